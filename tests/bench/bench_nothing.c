/* Benchmark: what the loop costs while memory is below the kill floor and
 * nothing may be killed (2,000 processes, every one protected by --ignore),
 * ticking every 10 ms as it does at the floors, on the real clock, in
 * --dryrun on a generated tree. Once as the loop runs now (a scan when
 * something changed, at least once a second), once with a scan forced at
 * every tick as before. Prints CPU time; asserts nothing.
 * Run: meson test -C build --benchmark --verbose, or build/tests/bench_nothing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "tree.h"

/* The machine-wide view, no cgroup tree: what the loop tests run on. */
static struct cgroupfs no_cgroupfs = CGROUPFS_INIT;
static const struct container machine_view;

#define PROCESSES 2000
#define SECONDS 3
#define TICK_MS 10

/* A 16 GB machine at 0.6 % available, no swap; n processes named keeper. */
static void generate(const char *root, unsigned n)
{
	char dir[512], buf[1024];

	put(root, "meminfo", "MemTotal: 16000000 kB\nMemFree: 50000 kB\nMemAvailable: 100000 kB\n"
			     "AnonPages: 15000000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
	put(root, "loadavg", "9.00 8.00 7.00 3/2000 2099\n");
	for (unsigned i = 0; i < n; i++) {
		unsigned pid = 100 + i;

		snprintf(dir, sizeof(dir), "%s/%u", root, pid);
		mkdir(dir, 0755);
		snprintf(buf, sizeof(buf),
			 "%u (keeper) S 1 %u %u 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 %u 0 0 0\n",
			 pid, pid, pid, pid * 3);
		put(dir, "stat", buf);
		put(dir, "oom_score_adj", "0\n");
		snprintf(buf, sizeof(buf),
			 "Name:\tkeeper\nUid:\t1000\t1000\t1000\t1000\nGid:\t0\t0\t0\t0\n"
			 "VmPeak:\t %u kB\nVmRSS:\t %u kB\nRssAnon:\t %u kB\nVmPTE:\t 40 kB\n"
			 "VmSwap:\t 0 kB\nThreads:\t1\n", 8000 + i, 7000 + i, 6000 + i);
		put(dir, "status", buf);
		put(dir, "cmdline", "keeper");
		put(dir, "cgroup", "0::/user.slice\n");
	}
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void run(const char *label, const char *root, bool scan_every_tick)
{
	static struct loop loop;
	struct procfs procfs = PROCFS_INIT;
	struct config cfg;
	char *argv[] = { (char *)"oomguard", (char *)"--dryrun", (char *)"-r", (char *)"0",
			 (char *)"--ignore", (char *)"^keeper$", NULL };
	char err[256];
	uint64_t start, now;
	unsigned ticks = 0;
	double cpu0;
	int devnull = open("/dev/null", O_WRONLY), saved = dup(STDERR_FILENO);

	if (config_parse(&cfg, 6, argv, err, sizeof(err)) < 0 || procfs_open(&procfs, root) < 0) {
		fprintf(stderr, "%s: %s\n", label, err);
		exit(1);
	}
	cfg.procfs_path = root;
	dup2(devnull, STDERR_FILENO);	/* the start-up lines and the warning */
	if (loop_open(&loop, &cfg, &procfs, &no_cgroupfs, &machine_view) < 0)
		exit(1);
	cpu0 = cpu_s();
	start = now = clock_now_ms();
	while (now - start < SECONDS * 1000) {
		if (scan_every_tick)
			loop.nothing_to_kill = false;
		loop_tick(&loop, now);
		ticks++;
		usleep(TICK_MS * 1000);
		now = clock_now_ms();
	}
	dup2(saved, STDERR_FILENO);
	printf("%-28s %u processes, %u ticks in %u s: %5lu scans, %7.3f s CPU (%5.1f %% of a CPU)\n",
	       label, PROCESSES, ticks, SECONDS, loop.scans, cpu_s() - cpu0,
	       (cpu_s() - cpu0) * 100 / SECONDS);
	loop_close(&loop);
	procfs_close(&procfs);
	config_free(&cfg);
	close(devnull);
	close(saved);
}

int main(void)
{
	char root[] = "/tmp/oomguard-bench-XXXXXX", cmd[600];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	generate(root, PROCESSES);
	run("nothing to kill, now:", root, false);
	run("nothing to kill, scan/tick:", root, true);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : 1;
}
