/* Benchmark: time to scan a procfs and pick a victim, for the live /proc
 * and for generated trees of 1,000 and 10,000 processes. Prints figures;
 * asserts nothing. Run: meson test -C build --benchmark --verbose
 * (or build/tests/bench_select directly). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parse/config.h"
#include "parse/meminfo.h"
#include "acquire/scan.h"
#include "decide/select.h"
#include "tree.h"

/* n processes with varied sizes and adjustments, one in 20 a kernel thread. */
static void generate(const char *root, unsigned n)
{
	char dir[512], buf[1024];

	put(root, "meminfo", "MemTotal: 16000000 kB\nMemAvailable: 100000 kB\n"
			     "SwapTotal: 0 kB\nSwapFree: 0 kB\n");
	for (unsigned i = 0; i < n; i++) {
		unsigned pid = 100 + i;
		bool kthread = i % 20 == 0;

		snprintf(dir, sizeof(dir), "%s/%u", root, pid);
		mkdir(dir, 0755);
		snprintf(buf, sizeof(buf),
			 "%u (proc-%u) S 1 %u %u 0 -1 %u 0 0 0 0 0 0 0 0 20 0 1 0 %u 0 0 0\n",
			 pid, i, pid, pid, kthread ? 0x00200000u : 0x400000u, pid * 3);
		put(dir, "stat", buf);
		snprintf(buf, sizeof(buf), "%d\n", (int)(i % 7) * 100 - 300);
		put(dir, "oom_score_adj", buf);
		snprintf(buf, sizeof(buf),
			 "Name:\tproc-%u\nUid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\nGroups:\t\n"
			 "VmPeak:\t %u kB\nVmRSS:\t %u kB\nRssAnon:\t %u kB\nVmPTE:\t %u kB\nVmSwap:\t %u kB\n"
			 "Threads:\t1\n", i, i % 3 * 1000, i % 3 * 1000, i % 3 * 1000, i % 3 * 1000,
			 (i * 7919) % 500000, (i * 7919) % 400000, (i * 7919) % 300000, (i % 50) * 4,
			 (i % 11) * 64);
		put(dir, "status", buf);
		put(dir, "cmdline", "");
		put(dir, "cgroup", "0::/user.slice\n");
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench(const char *label, const char *root)
{
	static struct scan scan;
	struct procfs procfs = PROCFS_INIT;
	struct config cfg;
	char *argv[] = { (char *)"oomguard", NULL };
	char err[256];
	unsigned rounds = 0;
	double start, elapsed, best = 1e9;

	if (config_parse(&cfg, 1, argv, err, sizeof(err)) < 0 || procfs_open(&procfs, root) < 0 ||
	    scan_open(&scan, &procfs) < 0) {
		fprintf(stderr, "%s: cannot open %s\n", label, root);
		exit(1);
	}
	start = now_s();
	do {
		struct selection sel;
		double t0 = now_s(), t;

		select_init(&sel, &cfg, getpid(), 4000000, 4);
		scan_each(&scan, select_visit, &sel);
		t = now_s() - t0;
		if (t < best)
			best = t;
		rounds++;
	} while (now_s() - start < 2.0 || rounds < 3);
	elapsed = now_s() - start;
	printf("%-22s %7u processes  %9.3f ms per scan+select (mean of %u)  best %.3f ms\n",
	       label, scan.stats.processes, elapsed / rounds * 1e3, rounds, best * 1e3);
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
}

int main(void)
{
	static const unsigned sizes[] = { 1000, 10000 };
	char cmd[600];

	bench("live /proc", "/proc");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char root[] = "/tmp/oomguard-bench-XXXXXX", label[64];

		if (!mkdtemp(root)) {
			perror("mkdtemp");
			return 1;
		}
		generate(root, sizes[i]);
		snprintf(label, sizeof(label), "fixture %u", sizes[i]);
		bench(label, root);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
