/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * thrash: keep an anonymous working set and a file working set hot at the same
 * time, so that together they no longer fit in RAM (scenario 5).
 *
 *   thrash [-n NAME] -a ANON_MIB -f FILE -F FILE_MIB [-t SECONDS]
 *
 * Each pass writes one byte to every anonymous page and then reads FILE_MIB of
 * FILE (the guest's /dev/vda: reads of a block device go through its page
 * cache like any file, and need no filesystem module). When the two sets do
 * not fit, every pass refaults file pages and swaps anonymous ones in and out:
 * the machine thrashes and PSI "full" grows, while swap stays mostly free,
 * which is exactly what memory floors alone do not catch.
 *
 * Stops by itself after SECONDS (default 40) and exits 0, so a run without any
 * daemon ends too; prints "thrash_passes=N", the passes it managed (a key=value
 * line on the results port). Runs only inside the test VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define PAGE 4096UL

static void die(const char *what)
{
	fprintf(stderr, "thrash: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *name = NULL, *file = NULL;
	unsigned long anon_mib = 0, file_mib = 0;
	double seconds = 40;
	int opt;

	while ((opt = getopt(argc, argv, "n:a:f:F:t:")) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 'a': anon_mib = strtoul(optarg, NULL, 10); break;
		case 'f': file = optarg; break;
		case 'F': file_mib = strtoul(optarg, NULL, 10); break;
		case 't': seconds = strtod(optarg, NULL); break;
		default:
			fprintf(stderr, "usage: thrash [-n NAME] -a ANON_MIB -f FILE -F FILE_MIB [-t SECONDS]\n");
			return 2;
		}
	}
	if (!file || !anon_mib || !file_mib) {
		fprintf(stderr, "thrash: -a, -f and -F are required\n");
		return 2;
	}
	if (name && prctl(PR_SET_NAME, name) != 0)
		die("prctl");

	/* Undo the -1000 inherited from the guest's init: this is a victim. */
	int adj_fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (adj_fd < 0 || write(adj_fd, "0", 1) != 1)
		die("oom_score_adj");
	close(adj_fd);

	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(file);

	size_t anon_bytes = anon_mib * MIB;
	unsigned char *anon = mmap(NULL, anon_bytes, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (anon == MAP_FAILED)
		die("mmap");
	/* Half-random pages: zram halves them, as it would real heap data. */
	uint64_t x = 88172645463325252ULL;

	for (size_t off = 0; off < anon_bytes; off += PAGE) {
		uint64_t *words = (uint64_t *)(anon + off);

		for (size_t i = 0; i < PAGE / 2 / sizeof(*words); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			words[i] = x;
		}
	}

	static unsigned char buf[MIB];
	double deadline = now_s() + seconds;
	unsigned long passes = 0;

	while (now_s() < deadline) {
		for (size_t off = 0; off < anon_bytes; off += PAGE)
			anon[off + PAGE - 1]++;
		for (unsigned long mib = 0; mib < file_mib; mib++) {
			if (pread(fd, buf, MIB, (off_t)(mib * MIB)) < 0)
				die("pread");
		}
		passes++;
	}
	printf("thrash_passes=%lu\n", passes);
	return 0;
}
