/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hog: allocate and touch anonymous memory (or a tmpfs file's pages) at a
 * chosen rate, then hold it.
 *
 *   hog [-n NAME] [-a OOM_SCORE_ADJ] [-m MIB] [-r MIB_PER_S] [-p touch|half]
 *       [-c CGROUP_DIR] [-s PERCENT] [-e SECONDS] [-u PERCENT] [-f FILE]
 *
 *   -n  process name (comm), so that oomguard's --avoid/--prefer can match it
 *   -a  oom_score_adj to set on itself (default 0: the guest's init runs at
 *       -1000 so that the harness is never a victim, and children inherit it)
 *   -m  stop growing at MIB and hold (0, the default: grow until killed)
 *   -r  growth rate in MiB/s (0, the default: as fast as the CPU allows)
 *   -p  page content: "touch" writes one byte per page (fastest); "half"
 *       (default) fills half of each page with pseudo-random bytes so that
 *       zram compresses it about 2:1, like real heap data, instead of storing
 *       same-filled pages for free
 *   -c  join this cgroup v2 directory before allocating (scenario 7)
 *   -s  play a process that does not act on SIGTERM (scenario 8): block
 *       SIGTERM from the start, grow until MemAvailable is below PERCENT of
 *       MemTotal, then stop itself with SIGSTOP, as a process stuck in the
 *       kernel or stopped would: a SIGTERM stays pending, only SIGKILL ends
 *       it. Blocking closes the race with a SIGTERM sent while it still
 *       grows, which would otherwise end it before it stops.
 *   -e  with -m: once at MIB, hold for SECONDS and then exit 0 (scenario
 *       "burst": a process that needed the memory for a moment, and whose
 *       normal end is "exit:0")
 *   -u  stop growing once MemAvailable is below PERCENT of min(MemAvailable +
 *       AnonPages, MemTotal), the "user memory" that oomguard's (and earlyoom
 *       1.8's) floors are a share of, and hold (scenario "shm-futile": sits
 *       between their SIGTERM and SIGKILL floors however much RAM tmpfs holds)
 *   -f  with -m: map MIB of FILE (a tmpfs file of at least that size, e.g. in
 *       /dev/shm) MAP_SHARED instead of anonymous memory, and touch it: the
 *       pages count in this process's RSS (RssShmem) and in the kernel's
 *       oom_badness, but they belong to the file, so killing the process
 *       frees none of them (scenario "shm-futile")
 *
 * Once the target size (or -u's share) is reached it writes "H <pid>\n" to
 * fd 3 when that is open: the guest's supervise helper uses it to know that
 * nothing is still growing. A process stopped by -s never writes it: it must
 * not count as settled, or supervise's quiet timer would end the run before
 * a kill.
 * Runs only inside the test VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define PAGE 4096UL

static void die(const char *what)
{
	fprintf(stderr, "hog: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		die(path);
	close(fd);
}

/* Value after KEY at a line start of /proc/meminfo ("MemAvailable:  123 kB"),
 * or -1 when it cannot be read. */
static long meminfo_kib(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0)
			return strtol(p + klen, NULL, 10);
	}
	return -1;
}

/* Whether MemAvailable is below percent of MemTotal, or with user set of
 * min(MemAvailable + AnonPages, MemTotal). */
static int mem_available_below(double percent, int user)
{
	/* /proc/meminfo is about 1.5 KiB on 6.1. */
	static char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		die("/proc/meminfo");
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		die("/proc/meminfo");
	buf[len] = '\0';
	long avail = meminfo_kib(buf, "MemAvailable:"), total = meminfo_kib(buf, "MemTotal:");
	long anon = meminfo_kib(buf, "AnonPages:");

	if (user && anon >= 0 && avail + anon < total)
		total = avail + anon;
	return avail >= 0 && total > 0 && (double)avail < (double)total * percent / 100;
}

static uint64_t xorshift_state = 88172645463325252ULL;

static uint64_t xorshift(void)
{
	xorshift_state ^= xorshift_state << 13;
	xorshift_state ^= xorshift_state >> 7;
	xorshift_state ^= xorshift_state << 17;
	return xorshift_state;
}

/* Fill one MiB chunk; returns nothing, the point is the page faults. */
static void fill_chunk(unsigned char *chunk, int half_random)
{
	for (unsigned long off = 0; off < MIB; off += PAGE) {
		if (half_random) {
			uint64_t *words = (uint64_t *)(chunk + off);

			for (unsigned long i = 0; i < PAGE / 2 / sizeof(*words); i++)
				words[i] = xorshift();
		} else {
			chunk[off] = 1;
		}
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *name = NULL, *cgroup = NULL, *adj = "0", *file = NULL;
	unsigned long target_mib = 0;
	double rate_mib_s = 0, stop_percent = 0, hold_s = -1, user_percent = 0;
	int half_random = 1, opt, fd = -1;

	while ((opt = getopt(argc, argv, "n:a:m:r:p:c:s:e:u:f:")) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 'a': adj = optarg; break;
		case 'm': target_mib = strtoul(optarg, NULL, 10); break;
		case 'r': rate_mib_s = strtod(optarg, NULL); break;
		case 'p': half_random = strcmp(optarg, "touch") != 0; break;
		case 'c': cgroup = optarg; break;
		case 's': stop_percent = strtod(optarg, NULL); break;
		case 'e': hold_s = strtod(optarg, NULL); break;
		case 'u': user_percent = strtod(optarg, NULL); break;
		case 'f': file = optarg; break;
		default:
			fprintf(stderr, "usage: hog [-n NAME] [-a ADJ] [-m MIB] [-r MIB/S] [-p touch|half] [-c CGROUP] [-s PERCENT] [-e SECONDS] [-u PERCENT] [-f FILE]\n");
			return 2;
		}
	}
	if (file) {
		struct stat st;

		/* Touching past the file's end would be a SIGBUS, not a test. */
		if (target_mib == 0) {
			fprintf(stderr, "hog: -f needs -m\n");
			return 2;
		}
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0)
			die(file);
		if ((unsigned long long)st.st_size < (unsigned long long)target_mib * MIB) {
			fprintf(stderr, "hog: %s holds %lld bytes, under -m %lu MiB\n", file,
				(long long)st.st_size, target_mib);
			return 2;
		}
	}
	if (name && prctl(PR_SET_NAME, name) != 0)
		die("prctl");
	write_file("/proc/self/oom_score_adj", adj);
	if (cgroup) {
		char path[512], pid[32];

		snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
		snprintf(pid, sizeof(pid), "%d", getpid());
		write_file(path, pid);
	}
	xorshift_state ^= (uint64_t)getpid() << 32;
	if (stop_percent > 0) {
		sigset_t term;

		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		if (sigprocmask(SIG_BLOCK, &term, NULL) != 0)
			die("sigprocmask");
	}

	double start = now_s();

	for (unsigned long mib = 0; target_mib == 0 || mib < target_mib; mib++) {
		/* One mapping per MiB: no realloc copies, and the kernel sees a
		 * steady stream of faults like a leaking heap. */
		unsigned char *chunk = fd >= 0
			? mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(mib * MIB))
			: mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (chunk == MAP_FAILED)
			die("mmap");
		fill_chunk(chunk, half_random);
		if (user_percent > 0 && mem_available_below(user_percent, 1))
			break;
		if (stop_percent > 0 && mem_available_below(stop_percent, 0)) {
			/* Stays stopped until SIGKILL (or a SIGCONT nobody sends). */
			raise(SIGSTOP);
			for (;;)
				pause();
		}
		if (rate_mib_s > 0) {
			double due = start + (double)(mib + 1) / rate_mib_s;
			double wait = due - now_s();

			if (wait > 0) {
				struct timespec ts = {
					.tv_sec = (time_t)wait,
					.tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9),
				};
				nanosleep(&ts, NULL);
			}
		}
	}

	char msg[32];
	int len = snprintf(msg, sizeof(msg), "H %d\n", getpid());

	if (fcntl(3, F_GETFD) != -1 && write(3, msg, (size_t)len) < 0)
		die("write fd 3");
	if (hold_s >= 0) {
		struct timespec ts = {
			.tv_sec = (time_t)hold_s,
			.tv_nsec = (long)((hold_s - (double)(time_t)hold_s) * 1e9),
		};

		/* A signal ends the sleep early only if it kills us anyway. */
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		return 0;
	}
	for (;;)
		pause();
}
