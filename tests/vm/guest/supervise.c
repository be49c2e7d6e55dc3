/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * supervise: start a scenario's processes, watch who dies, when and how, and
 * sample the guest's memory state, then print everything as key=value lines.
 *
 *   supervise [-t TIMEOUT_S] [-q QUIET_S] [-i INTERVAL_MS] [-d DAEMON_PID] < plan
 *
 * The plan has one process per line:  LABEL START PROGRAM [ARGS...]
 *   START is milliseconds after the start ("0"), "held" (once every process
 *   started so far has reached its size) or "dead:LABEL" (once LABEL died).
 *
 * While a process lives it is sampled every INTERVAL_MS for its size and
 * whether it is stopped or has a SIGTERM pending: the first time either is
 * seen is reported ("proc.LABEL.stopped_ms", "proc.LABEL.sigterm_pending_ms"),
 * the guest's own evidence of a SIGTERM that a process did not act on.
 *
 * Every INTERVAL_MS (100 by default) it also writes one time-series line
 * (the format is in emit_series() and tests/vm/README.md) with the raw
 * counters a decision needs: MemAvailable, anon, swap, zram's mm_stat, the
 * cumulative PSI totals and the refault and swap counters of /proc/vmstat.
 * At the end it reports zram's peak ("zram_peak_*") and the lowest SwapFree.
 * Times are ms since its start; "start_uptime_ms" is that start on the
 * clock of /proc/uptime, which the guest's hooks read.
 *
 * The run ends when every process has exited ("end=all_exited"), when all
 * survivors hold their memory and nothing happened for QUIET_S seconds
 * ("end=quiet"), or after TIMEOUT_S ("end=timeout"); survivors are then
 * SIGKILLed and reported as "alive".
 *
 * Why one C program rather than shell: under memory pressure a busybox shell
 * loop forks for every sample and gets stalled or killed itself; this one is
 * static, locks itself in memory, runs at oom_score_adj -1000 (so oomguard and
 * the kernel must skip it), allocates nothing after start-up, and reaps its
 * children the moment they die, which is what gives exact death order and
 * times. Each output line is written with one write(2) so that lines survive
 * the guest being stopped mid-run. Runs only inside the test VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define MAX_PROCS 64
#define MAX_ARGS 24
/* A plan line is a label, a start condition and a short command line. */
#define LINE_MAX_LEN 512
/* /proc/vmstat is the largest file read here: about 5 KiB on 6.1. */
#define READ_BUF_LEN 16384

struct proc {
	char line[LINE_MAX_LEN];
	char *label;
	char *start;
	char *argv[MAX_ARGS + 1];
	pid_t pid;
	int started, alive, holding;
	long start_ms, end_ms;
	long size_kib;		/* largest VmRSS + VmSwap sampled */
	int seen_stopped, seen_sigterm;
};

struct mem {
	long mem_available_kib, mem_total_kib, swap_free_kib, swap_total_kib;
	long mem_free_kib, anon_kib, file_lru_kib;
};

/* /sys/block/zram0/mm_stat, the fields used here (bytes, same_pages in
 * pages); all 0 when there is no zram0. */
struct zram {
	long long orig_bytes, compr_bytes, used_bytes, used_max_bytes, same_pages;
};

/* /proc/vmstat counters since boot, in pages or events. */
struct vmstat {
	long long refault_anon, refault_file, pswpin, pswpout, oom_kill;
};

static struct proc procs[MAX_PROCS];
static int nprocs;
static struct timespec t0;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec - t0.tv_sec) * 1000 + (ts.tv_nsec - t0.tv_nsec) / 1000000;
}

static struct mem read_mem(void)
{
	static char buf[READ_BUF_LEN];
	struct mem m = { -1, -1, -1, -1, -1, -1, -1 };

	if (read_at(AT_FDCWD, "/proc/meminfo", buf, sizeof(buf)) > 0) {
		m.mem_available_kib = field(buf, "MemAvailable:");
		m.mem_total_kib = field(buf, "MemTotal:");
		m.swap_free_kib = field(buf, "SwapFree:");
		m.swap_total_kib = field(buf, "SwapTotal:");
		m.mem_free_kib = field(buf, "MemFree:");
		m.anon_kib = field(buf, "AnonPages:");
		long active = field(buf, "Active(file):"), inactive = field(buf, "Inactive(file):");
		m.file_lru_kib = active < 0 || inactive < 0 ? -1 : active + inactive;
	}
	return m;
}

/* zram0's mm_stat, e.g. (6.1; the last field is 6.0+):
 *   268435456 134217728 140000000        0 140000000       12        0        0        0
 * orig_data_size compr_data_size mem_used_total mem_limit mem_used_max
 * same_pages pages_compacted huge_pages huge_pages_since. Zeros without zram. */
static struct zram read_zram(void)
{
	char buf[256];
	struct zram z = { 0, 0, 0, 0, 0 };
	long long f[6];
	char *p = buf, *endp;

	if (read_at(AT_FDCWD, "/sys/block/zram0/mm_stat", buf, sizeof(buf)) <= 0)
		return z;
	for (int i = 0; i < 6; i++, p = endp) {
		f[i] = strtoll(p, &endp, 10);
		if (endp == p)
			return z;
	}
	z.orig_bytes = f[0];
	z.compr_bytes = f[1];
	z.used_bytes = f[2];
	z.used_max_bytes = f[4];
	z.same_pages = f[5];
	return z;
}

/* zram0's disksize in bytes ("268435456\n"), 0 without zram. */
static long long read_zram_disksize(void)
{
	char buf[64];

	if (read_at(AT_FDCWD, "/sys/block/zram0/disksize", buf, sizeof(buf)) <= 0)
		return 0;
	return strtoll(buf, NULL, 10);
}

/* Lines like "workingset_refault_anon 1234" ("pswpin 56", "oom_kill 0"). */
static struct vmstat read_vmstat(void)
{
	static char buf[READ_BUF_LEN];
	struct vmstat v = { -1, -1, -1, -1, -1 };

	if (read_at(AT_FDCWD, "/proc/vmstat", buf, sizeof(buf)) <= 0)
		return v;
	v.refault_anon = field(buf, "workingset_refault_anon");
	v.refault_file = field(buf, "workingset_refault_file");
	v.pswpin = field(buf, "pswpin");
	v.pswpout = field(buf, "pswpout");
	v.oom_kill = field(buf, "oom_kill");
	return v;
}

static long read_oom_kill(void)
{
	return (long)read_vmstat().oom_kill;
}

/* PSI memory totals in microseconds. The file reads:
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=1234
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=567        */
static void read_psi(long long *some_us, long long *full_us)
{
	char buf[512];

	*some_us = *full_us = -1;
	if (read_at(AT_FDCWD, "/proc/pressure/memory", buf, sizeof(buf)) <= 0)
		return;
	for (char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		char *total = strstr(line, "total=");

		if (!total)
			continue;
		if (strncmp(line, "some", 4) == 0)
			*some_us = strtoll(total + 6, NULL, 10);
		else if (strncmp(line, "full", 4) == 0)
			*full_us = strtoll(total + 6, NULL, 10);
	}
}

/* Reads /proc/PID/status; returns 0, or -1 once the process is gone or a
 * zombie (its memory is freed then, whatever its parent does). */
static int read_live_status(pid_t pid, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_at(AT_FDCWD, path, buf, size) <= 0)
		return -1;
	const char *state = strstr(buf, "\nState:");
	if (!state)
		return -1;
	state += strlen("\nState:");
	state += strspn(state, " \t");
	return *state == 'Z' ? -1 : 0;
}

/* Hex signal mask after "KEY" at a line start ("ShdPnd:\t0000000000004000"),
 * or 0 when the key is missing. */
static unsigned long long sigmask_field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0)
			return strtoull(p + klen, NULL, 16);
	}
	return 0;
}

/* Samples a live process from /proc/PID/status: keeps its largest VmRSS +
 * VmSwap in KiB, and reports the first sample that shows it stopped
 * ("State:\tT (stopped)") or with SIGTERM pending, for the whole process
 * (ShdPnd, where kill and pidfd_send_signal put it) or one thread (SigPnd).
 * A process already gone or a zombie is left as it was. */
static void sample_proc(struct proc *p, long t_ms)
{
	const unsigned long long sigterm_bit = 1ULL << (SIGTERM - 1);
	char buf[4096];

	if (read_live_status(p->pid, buf, sizeof(buf)) < 0)
		return;
	long rss = field(buf, "VmRSS:"), swap = field(buf, "VmSwap:");
	/* An exiting task has no VmRSS line any more. */
	long size = rss < 0 ? 0 : rss + (swap > 0 ? swap : 0);

	/* The largest seen: a victim's RSS drops to 0 while the kernel reaps
	 * it, before it is a zombie. */
	if (size > p->size_kib)
		p->size_kib = size;
	/* read_live_status found the line: it is no zombie. */
	const char *state = strstr(buf, "\nState:") + strlen("\nState:");
	state += strspn(state, " \t");
	if (!p->seen_stopped && *state == 'T') {
		p->seen_stopped = 1;
		emit("proc.%s.stopped_ms=%ld", p->label, t_ms);
	}
	if (!p->seen_sigterm &&
	    ((sigmask_field(buf, "ShdPnd:") | sigmask_field(buf, "SigPnd:")) & sigterm_bit)) {
		p->seen_sigterm = 1;
		emit("proc.%s.sigterm_pending_ms=%ld", p->label, t_ms);
	}
}

/* One time-series line, one write(2), about 250 bytes; the fields, all raw
 * counters as the kernel gives them (a reader takes differences):
 *   ts        ms since supervise started
 *   avail anon free swapfree swaptotal   meminfo MemAvailable, AnonPages,
 *             MemFree, SwapFree, SwapTotal (KiB)
 *   filelru   Active(file) + Inactive(file) (KiB)
 *   zorig zcompr zused   zram0 mm_stat orig_data_size, compr_data_size,
 *             mem_used_total (bytes); zsame same_pages (pages); 0 without zram
 *   psome pfull   /proc/pressure/memory total= (us, cumulative since boot)
 *   rfa rff   vmstat workingset_refault_anon, _file (pages since boot)
 *   pin pout  vmstat pswpin, pswpout (pages since boot)
 * -1 marks a value that could not be read. */
static void emit_series(long t_ms, const struct mem *m, const struct zram *z,
			long long psome_us, long long pfull_us, const struct vmstat *v)
{
	emit("ts=%ld avail=%ld anon=%ld free=%ld swapfree=%ld swaptotal=%ld"
	     " zorig=%lld zcompr=%lld zused=%lld zsame=%lld psome=%lld pfull=%lld"
	     " rfa=%lld rff=%lld pin=%lld pout=%lld filelru=%ld",
	     t_ms, m->mem_available_kib, m->anon_kib, m->mem_free_kib, m->swap_free_kib,
	     m->swap_total_kib, z->orig_bytes, z->compr_bytes, z->used_bytes, z->same_pages,
	     psome_us, pfull_us, v->refault_anon, v->refault_file, v->pswpin, v->pswpout,
	     m->file_lru_kib);
}

static struct proc *find_proc(const char *label)
{
	for (int i = 0; i < nprocs; i++)
		if (strcmp(procs[i].label, label) == 0)
			return &procs[i];
	return NULL;
}

static int read_plan(void)
{
	char line[LINE_MAX_LEN];

	while (fgets(line, sizeof(line), stdin)) {
		struct proc *p = &procs[nprocs];
		int argc = 0;

		if (line[0] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		if (nprocs == MAX_PROCS) {
			fprintf(stderr, "supervise: more than %d processes in the plan\n", MAX_PROCS);
			return -1;
		}
		memcpy(p->line, line, sizeof(line));
		p->label = strtok(p->line, " \t\n");
		p->start = strtok(NULL, " \t\n");
		while (argc < MAX_ARGS && (p->argv[argc] = strtok(NULL, " \t\n")))
			argc++;
		if (!p->start || argc == 0) {
			fprintf(stderr, "supervise: bad plan line: %s", line);
			return -1;
		}
		p->argv[argc] = NULL;
		nprocs++;
	}
	return nprocs > 0 ? 0 : -1;
}

/* Whether a process's START condition holds now. */
static int may_start(const struct proc *p, long t_ms)
{
	if (strcmp(p->start, "held") == 0) {
		for (int i = 0; i < nprocs; i++)
			if (procs[i].started && procs[i].alive && !procs[i].holding)
				return 0;
		return 1;
	}
	if (strncmp(p->start, "dead:", 5) == 0) {
		const struct proc *q = find_proc(p->start + 5);

		return q && q->started && !q->alive;
	}
	return t_ms >= strtol(p->start, NULL, 10);
}

static void start_proc(struct proc *p, int status_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Own process group: oomguard --kill-group must never reach us. */
		setpgid(0, 0);
		munlockall();
		if (status_fd != 3) {
			dup2(status_fd, 3);
			close(status_fd);
		}
		execv(p->argv[0], p->argv);
		fprintf(stderr, "supervise: exec %s: %s\n", p->argv[0], strerror(errno));
		_exit(127);
	}
	p->pid = pid;
	p->started = 1;
	p->alive = pid > 0;
	p->start_ms = now_ms();
	emit("proc.%s.pid=%d", p->label, pid);
	emit("proc.%s.start_ms=%ld", p->label, p->start_ms);
}

static void describe_status(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(out, size, "signal:%d", WTERMSIG(status));
	else
		snprintf(out, size, "exit:%d", WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
	long timeout_s = 120, quiet_s = 0, interval_ms = 100;
	pid_t daemon_pid = 0;
	int opt;

	while ((opt = getopt(argc, argv, "t:q:i:d:")) != -1) {
		switch (opt) {
		case 't': timeout_s = strtol(optarg, NULL, 10); break;
		case 'q': quiet_s = strtol(optarg, NULL, 10); break;
		case 'i': interval_ms = strtol(optarg, NULL, 10); break;
		case 'd': daemon_pid = (pid_t)strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: supervise [-t TIMEOUT_S] [-q QUIET_S] [-i INTERVAL_MS] [-d DAEMON_PID] < plan\n");
			return 2;
		}
	}
	if (read_plan() < 0)
		return 2;

	protect_self("supervise");

	int status_pipe[2];
	if (pipe2(status_pipe, O_CLOEXEC) != 0) {
		perror("supervise: pipe2");
		return 2;
	}
	/* The read end stays ours; children get the write end as fd 3. */
	fcntl(status_pipe[0], F_SETFL, O_NONBLOCK);
	int child_fd = fcntl(status_pipe[1], F_DUPFD, 10);
	close(status_pipe[1]);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The same moment on the clock /proc/uptime reads (CLOCK_BOOTTIME), so
	 * that a hook's "uptime" can be put on supervise's time line. */
	struct timespec boot0;
	clock_gettime(CLOCK_BOOTTIME, &boot0);
	struct mem m = read_mem();
	long long psi_some0, psi_full0, psi_some, psi_full;
	read_psi(&psi_some0, &psi_full0);
	long oom_kill0 = read_oom_kill(), oom_kill_seen = oom_kill0;
	long mem_available_min = m.mem_available_kib, swap_free_min = m.swap_free_kib;
	long daemon_rss_max = 0, daemon_died_ms = -1, last_event_ms = 0, next_sample_line_ms = 0;
	long next_series_ms = 0, anon_max = m.anon_kib;
	long long zram_disksize = read_zram_disksize();
	struct zram zram_peak = { 0, 0, 0, 0, 0 };
	int kills = 0;		/* deaths by a signal, whoever sent it */
	char kill_order[1024] = "";
	const char *end = "timeout";

	emit("start_uptime_ms=%ld", (long)boot0.tv_sec * 1000 + boot0.tv_nsec / 1000000);
	emit("mem_total_kib=%ld", m.mem_total_kib);
	emit("swap_total_kib=%ld", m.swap_total_kib);
	emit("mem_available_start_kib=%ld", m.mem_available_kib);
	emit("oom_kill_start=%ld", oom_kill0);
	emit("psi_full_start_us=%lld", psi_full0);
	if (daemon_pid > 0)
		emit("daemon_pid=%d", daemon_pid);

	for (;;) {
		long t_ms = now_ms();

		for (int i = 0; i < nprocs; i++) {
			if (!procs[i].started && may_start(&procs[i], t_ms)) {
				fcntl(child_fd, F_SETFD, 0);
				start_proc(&procs[i], child_fd);
				fcntl(child_fd, F_SETFD, FD_CLOEXEC);
				last_event_ms = t_ms;
			}
		}

		/* "H <pid>" lines from processes that reached their size. */
		char msg[256];
		ssize_t len;
		while ((len = read(status_pipe[0], msg, sizeof(msg) - 1)) > 0) {
			msg[len] = '\0';
			for (char *h = strchr(msg, 'H'); h; h = strchr(h + 1, 'H')) {
				pid_t pid = (pid_t)strtol(h + 1, NULL, 10);

				for (int i = 0; i < nprocs; i++) {
					if (procs[i].pid == pid && !procs[i].holding) {
						procs[i].holding = 1;
						emit("proc.%s.held_ms=%ld", procs[i].label, t_ms);
						last_event_ms = t_ms;
					}
				}
			}
		}

		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			struct proc *p = NULL, *largest = NULL;
			char how[32];

			for (int i = 0; i < nprocs; i++) {
				if (procs[i].pid == pid)
					p = &procs[i];
				if (procs[i].alive && (!largest || procs[i].size_kib > largest->size_kib))
					largest = &procs[i];
			}
			if (!p)
				continue;
			long oom_kill_now = read_oom_kill();
			p->alive = 0;
			p->end_ms = now_ms();
			describe_status(status, how, sizeof(how));
			emit("proc.%s.end=%s", p->label, how);
			emit("proc.%s.end_ms=%ld", p->label, p->end_ms);
			emit("proc.%s.size_kib=%ld", p->label, p->size_kib);
			/* The counter rose since the previous death: the kernel's
			 * killer ran in between, most likely on this process. */
			emit("proc.%s.kernel_oom=%d", p->label, oom_kill_now > oom_kill_seen);
			emit("proc.%s.largest_alive=%s", p->label, largest ? largest->label : "");
			emit("proc.%s.largest_alive_kib=%ld", p->label, largest ? largest->size_kib : -1);
			oom_kill_seen = oom_kill_now;
			last_event_ms = p->end_ms;
			/* A process that finished its work is no kill. */
			if (!WIFSIGNALED(status))
				continue;
			if (kills == 0) {
				read_psi(&psi_some, &psi_full);
				emit("first_kill_label=%s", p->label);
				emit("first_kill_ms=%ld", p->end_ms);
				/* Lows up to the first kill: a victim frees memory
				 * and swap while it exits, so the sample just before
				 * its death no longer shows the state at the kill. */
				emit("mem_available_min_before_first_kill_kib=%ld", mem_available_min);
				emit("swap_free_min_before_first_kill_kib=%ld", swap_free_min);
				emit("psi_full_at_first_kill_us=%lld", psi_full - psi_full0);
			}
			kills++;
			snprintf(kill_order + strlen(kill_order), sizeof(kill_order) - strlen(kill_order),
				 "%s%s", kills > 1 ? "," : "", p->label);
		}

		m = read_mem();
		if (m.mem_available_kib >= 0 && m.mem_available_kib < mem_available_min)
			mem_available_min = m.mem_available_kib;
		if (m.swap_free_kib >= 0 && m.swap_free_kib < swap_free_min)
			swap_free_min = m.swap_free_kib;
		if (m.anon_kib > anon_max)
			anon_max = m.anon_kib;
		if (now_ms() >= next_series_ms) {
			struct zram z = read_zram();
			struct vmstat v = read_vmstat();
			long long some_us, full_us;

			read_psi(&some_us, &full_us);
			emit_series(now_ms(), &m, &z, some_us, full_us, &v);
			if (z.orig_bytes > zram_peak.orig_bytes)
				zram_peak.orig_bytes = z.orig_bytes;
			if (z.compr_bytes > zram_peak.compr_bytes)
				zram_peak.compr_bytes = z.compr_bytes;
			if (z.used_bytes > zram_peak.used_bytes)
				zram_peak.used_bytes = z.used_bytes;
			/* On the grid, skipping slots the guest was too stalled
			 * to take: a gap in ts is itself a finding. */
			next_series_ms = (now_ms() / interval_ms + 1) * interval_ms;
		}
		for (int i = 0; i < nprocs; i++)
			if (procs[i].alive)
				sample_proc(&procs[i], now_ms());
		/* One line a second: enough to see when pressure began. */
		if (now_ms() >= next_sample_line_ms) {
			read_psi(&psi_some, &psi_full);
			emit("sample=%ld ms: MemAvailable %ld KiB, SwapFree %ld KiB, PSI full +%lld ms",
			     now_ms(), m.mem_available_kib, m.swap_free_kib, (psi_full - psi_full0) / 1000);
			next_sample_line_ms += 1000;
		}
		if (daemon_pid > 0 && daemon_died_ms < 0) {
			char buf[4096];
			long rss = -1;

			if (read_live_status(daemon_pid, buf, sizeof(buf)) == 0)
				rss = field(buf, "VmRSS:");
			if (rss < 0) {
				daemon_died_ms = now_ms();
				emit("daemon_died_ms=%ld", daemon_died_ms);
			} else if (rss > daemon_rss_max) {
				daemon_rss_max = rss;
			}
		}

		int pending = 0, alive = 0, growing = 0;
		for (int i = 0; i < nprocs; i++) {
			pending += !procs[i].started;
			alive += procs[i].alive;
			growing += procs[i].alive && !procs[i].holding;
		}
		t_ms = now_ms();
		if (!pending && !alive) {
			end = "all_exited";
			break;
		}
		if (quiet_s > 0 && !pending && !growing && t_ms - last_event_ms >= quiet_s * 1000) {
			end = "quiet";
			break;
		}
		if (t_ms >= timeout_s * 1000)
			break;

		struct pollfd pfd = { .fd = status_pipe[0], .events = POLLIN };
		long wait_ms = next_series_ms - now_ms();

		poll(&pfd, 1, (int)(wait_ms < 1 ? 1 : wait_ms > interval_ms ? interval_ms : wait_ms));
	}

	long duration_ms = now_ms();
	for (int i = 0; i < nprocs; i++) {
		if (!procs[i].started) {
			emit("proc.%s.end=never_started", procs[i].label);
		} else if (procs[i].alive) {
			emit("proc.%s.end=alive", procs[i].label);
			emit("proc.%s.size_kib=%ld", procs[i].label, procs[i].size_kib);
			kill(-procs[i].pid, SIGKILL);
			kill(procs[i].pid, SIGKILL);
		}
	}
	while (waitpid(-1, NULL, 0) > 0)
		;

	read_psi(&psi_some, &psi_full);
	long oom_kill_end = read_oom_kill();
	emit("end=%s", end);
	emit("duration_ms=%ld", duration_ms);
	emit("kills=%d", kills);
	emit("kill_order=%s", kill_order);
	emit("mem_available_min_kib=%ld", mem_available_min);
	emit("swap_free_min_kib=%ld", swap_free_min);
	emit("swap_free_end_kib=%ld", read_mem().swap_free_kib);
	emit("psi_some_delta_us=%lld", psi_some - psi_some0);
	emit("psi_full_delta_us=%lld", psi_full - psi_full0);
	emit("oom_kill_end=%ld", oom_kill_end);
	emit("oom_kill_delta=%ld", oom_kill_end - oom_kill0);
	emit("anon_max_kib=%ld", anon_max);
	if (m.swap_total_kib > 0 && swap_free_min >= 0) {
		emit("swap_used_peak_kib=%ld", m.swap_total_kib - swap_free_min);
		emit("swap_used_peak_percent=%.1f",
		     100.0 * (double)(m.swap_total_kib - swap_free_min) / (double)m.swap_total_kib);
	}
	/* mem_used_max is the kernel's own peak, exact where 100 ms samples
	 * can miss one. */
	struct zram z_end = read_zram();
	if (z_end.used_max_bytes > zram_peak.used_bytes)
		zram_peak.used_bytes = z_end.used_max_bytes;
	emit("zram_disksize_kib=%lld", zram_disksize / 1024);
	emit("zram_peak_orig_kib=%lld", zram_peak.orig_bytes / 1024);
	emit("zram_peak_compr_kib=%lld", zram_peak.compr_bytes / 1024);
	emit("zram_peak_used_kib=%lld", zram_peak.used_bytes / 1024);
	if (zram_disksize > 0)
		emit("zram_peak_percent=%.1f", 100.0 * (double)zram_peak.orig_bytes / (double)zram_disksize);
	if (daemon_pid > 0) {
		emit("daemon_rss_max_kib=%ld", daemon_rss_max);
		emit("daemon_alive_end=%d", daemon_died_ms < 0);
	}
	return 0;
}
