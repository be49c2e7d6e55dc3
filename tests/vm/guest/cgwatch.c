/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgwatch: sample one cgroup v2 memory cgroup until SIGTERM, for the
 * container-mode scenarios (cgroup-*), and print what the host checks as
 * key=value lines: whether the kernel's memory-cgroup OOM killer ran in it
 * (memory.events oom_kill), how full it got (memory.current against
 * memory.max) and its own pressure (memory.pressure).
 *
 *   cgwatch [-i INTERVAL_MS] CGROUP_DIR
 *
 * At start:   cg.max_kib (-1 for "max"), cg.oom_kill_start, cg.oom_start
 * Every INTERVAL_MS (100 by default), one line:
 *   cg_ts=UPTIME_MS current=KIB anon=KIB file=KIB swap=KIB oom=N oom_kill=N max=N
 *         psome=US pfull=US
 *   cg_ts      CLOCK_BOOTTIME in ms, the clock of /proc/uptime and of
 *              supervise's start_uptime_ms, so the host can put a sample on
 *              supervise's time line (ts = cg_ts - start_uptime_ms)
 *   current    memory.current; anon, file: memory.stat anon and file;
 *              swap: memory.swap.current (KiB)
 *   oom oom_kill max   memory.events (hierarchical: the subtree's too)
 *   psome pfull        memory.pressure total= (us, cumulative)
 * At SIGTERM: cg.current_peak_kib, cg.current_peak_uptime_ms, cg.file_at_peak_kib,
 *   cg.swap_peak_kib,
 *   cg.oom_kill_end, cg.oom_end, cg.max_events_end, cg.psi_some_delta_us,
 *   cg.psi_full_delta_us, cg.samples, then exits 0.
 * -1 marks a value that could not be read.
 *
 * Like supervise it locks itself in memory, runs at oom_score_adj -1000,
 * allocates nothing after start-up and writes each line with one write(2).
 * It must run outside the cgroup it watches, so that it is not charged to
 * it. Runs only inside the test VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

/* memory.stat of 6.1 is about 1.5 KiB; memory.events and memory.pressure
 * are a few lines. */
#define READ_BUF_LEN 8192

struct cgsample {
	long long current_kib, anon_kib, file_kib, swap_kib;
	long long oom, oom_kill, max_events;
	long long psome_us, pfull_us;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* total= of the line starting with KIND in memory.pressure:
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=1234
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=567        */
static long long psi_total(const char *text, const char *kind)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, kind, strlen(kind)) == 0) {
			const char *t = strstr(p, "total=");
			const char *nl = strchr(p, '\n');

			if (t && (!nl || t < nl))
				return strtoll(t + 6, NULL, 10);
		}
	}
	return -1;
}

static struct cgsample read_sample(int dir_fd)
{
	static char buf[READ_BUF_LEN];
	struct cgsample s = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };

	/* memory.current: bytes, one number ("134217728\n"). */
	if (read_at(dir_fd, "memory.current", buf, sizeof(buf)) > 0)
		s.current_kib = strtoll(buf, NULL, 10) / 1024;
	/* memory.swap.current: the same; absent without swap accounting. */
	if (read_at(dir_fd, "memory.swap.current", buf, sizeof(buf)) > 0)
		s.swap_kib = strtoll(buf, NULL, 10) / 1024;
	/* memory.stat: "anon 80740352\nfile 50331648\n..." in bytes. */
	if (read_at(dir_fd, "memory.stat", buf, sizeof(buf)) > 0) {
		long long anon = field(buf, "anon"), file = field(buf, "file");

		s.anon_kib = anon < 0 ? -1 : anon / 1024;
		s.file_kib = file < 0 ? -1 : file / 1024;
	}
	/* memory.events: "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n..." */
	if (read_at(dir_fd, "memory.events", buf, sizeof(buf)) > 0) {
		s.oom = field(buf, "oom");
		s.oom_kill = field(buf, "oom_kill");
		s.max_events = field(buf, "max");
	}
	if (read_at(dir_fd, "memory.pressure", buf, sizeof(buf)) > 0) {
		s.psome_us = psi_total(buf, "some");
		s.pfull_us = psi_total(buf, "full");
	}
	return s;
}

static long long boottime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	long interval_ms = 100;
	int opt;

	while ((opt = getopt(argc, argv, "i:")) != -1) {
		switch (opt) {
		case 'i': interval_ms = strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: cgwatch [-i INTERVAL_MS] CGROUP_DIR\n");
			return 2;
		}
	}
	if (optind + 1 != argc || interval_ms <= 0) {
		fprintf(stderr, "usage: cgwatch [-i INTERVAL_MS] CGROUP_DIR\n");
		return 2;
	}
	int dir_fd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		fprintf(stderr, "cgwatch: %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}

	protect_self("cgwatch");
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	char max_buf[64];
	long long max_kib = -1;
	/* memory.max: bytes ("134217728\n") or "max\n". */
	if (read_at(dir_fd, "memory.max", max_buf, sizeof(max_buf)) > 0 && max_buf[0] != 'm')
		max_kib = strtoll(max_buf, NULL, 10) / 1024;

	struct cgsample first = read_sample(dir_fd), last = first;
	long long peak_kib = first.current_kib, peak_ms = boottime_ms(), peak_file_kib = first.file_kib;
	long long swap_peak_kib = first.swap_kib;
	long samples = 0;

	emit("cg.dir=%s", argv[optind]);
	emit("cg.max_kib=%lld", max_kib);
	emit("cg.oom_kill_start=%lld", first.oom_kill);
	emit("cg.oom_start=%lld", first.oom);

	while (!stop) {
		long long t_ms = boottime_ms();
		struct cgsample s = read_sample(dir_fd);

		if (s.current_kib > peak_kib) {
			peak_kib = s.current_kib;
			peak_ms = t_ms;
			peak_file_kib = s.file_kib;
		}
		if (s.swap_kib > swap_peak_kib)
			swap_peak_kib = s.swap_kib;
		emit("cg_ts=%lld current=%lld anon=%lld file=%lld swap=%lld oom=%lld oom_kill=%lld"
		     " max=%lld psome=%lld pfull=%lld",
		     t_ms, s.current_kib, s.anon_kib, s.file_kib, s.swap_kib, s.oom, s.oom_kill,
		     s.max_events, s.psome_us, s.pfull_us);
		last = s;
		samples++;
		/* On the grid; a signal cuts the wait short. */
		long wait_ms = interval_ms - (long)(boottime_ms() % interval_ms);
		poll(NULL, 0, (int)(wait_ms < 1 ? 1 : wait_ms));
	}

	struct cgsample end = read_sample(dir_fd);
	if (end.oom_kill < 0)
		end = last;
	emit("cg.current_peak_kib=%lld", peak_kib);
	emit("cg.current_peak_uptime_ms=%lld", peak_ms);
	emit("cg.file_at_peak_kib=%lld", peak_file_kib);
	emit("cg.swap_peak_kib=%lld", swap_peak_kib);
	emit("cg.oom_kill_end=%lld", end.oom_kill);
	emit("cg.oom_end=%lld", end.oom);
	emit("cg.max_events_end=%lld", end.max_events);
	emit("cg.psi_some_delta_us=%lld",
	     end.psome_us < 0 || first.psome_us < 0 ? -1 : end.psome_us - first.psome_us);
	emit("cg.psi_full_delta_us=%lld",
	     end.pfull_us < 0 || first.pfull_us < 0 ? -1 : end.pfull_us - first.pfull_us);
	emit("cg.samples=%ld", samples);
	return 0;
}
