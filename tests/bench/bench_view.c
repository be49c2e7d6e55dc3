/* Benchmark: what container mode adds to a tick. The same loop ticks on a
 * copy of the fixture trees (tests/fixtures/cgroup-proc as procfs,
 * cgroup-container as the cgroup tree, Linux 6.1 captures), memory plenty
 * in both views, once in the machine's view alone (--no-cgroup) and once in
 * container mode (--cgroup /box: the box's memory files read and parsed
 * through kept descriptors, a second decision). Files on tmpfs cost what
 * parsing costs; a kernel's memory.stat also flushes its per-CPU counters,
 * which this does not measure. Prints microseconds of CPU per tick;
 * asserts nothing.
 * Run: meson test -C build --benchmark --verbose, or build/tests/bench_view
 * (OOMGUARD_FIXTURES names tests/fixtures). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "loop.h"

#define TICKS 20000

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void run(const char *label, const char *root, const char *view_flag, const char *path)
{
	static struct loop loop;
	static struct container view;
	char procfs_path[512], cgroup_path[512], err[1024];
	char *argv[] = { (char *)"oomguard", (char *)"--dryrun", (char *)"-r", (char *)"0",
			 (char *)view_flag, (char *)path, NULL };
	struct procfs procfs = PROCFS_INIT;
	struct cgroupfs cg = CGROUPFS_INIT;
	struct config cfg;
	double cpu0, cpu;

	snprintf(procfs_path, sizeof(procfs_path), "%s/proc", root);
	snprintf(cgroup_path, sizeof(cgroup_path), "%s/cgroup", root);
	if (config_parse(&cfg, path ? 6 : 5, argv, err, sizeof(err)) < 0 ||
	    procfs_open(&procfs, procfs_path) < 0 || cgroupfs_open(&cg, cgroup_path) < 0 ||
	    container_choose(&view, &cfg, &procfs, &cg, getpid(), 466136, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", label, err);
		exit(1);
	}
	cfg.procfs_path = procfs_path;
	if (freopen("/dev/null", "w", stderr) == NULL || loop_open(&loop, &cfg, &procfs, &cg, &view) < 0)
		exit(1);
	cpu0 = cpu_s();
	for (unsigned i = 0; i < TICKS; i++)
		if (loop_tick(&loop, 1000 + (uint64_t)i * 10) < 0)
			exit(1);
	cpu = cpu_s() - cpu0;
	printf("%-38s %6.1f us of CPU a tick (%u ticks)%s\n", label, cpu * 1e6 / TICKS, TICKS,
	       view.on ? ", two decisions" : "");
	loop_close(&loop);
	cgroupfs_close(&cg);
	procfs_close(&procfs);
	config_free(&cfg);
}

int main(void)
{
	const char *fixtures = getenv("OOMGUARD_FIXTURES");
	char root[] = "/tmp/oomguard-bench-XXXXXX", cmd[2048];

	if (!fixtures || !mkdtemp(root)) {
		fprintf(stderr, "bench_view: set OOMGUARD_FIXTURES to tests/fixtures\n");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "cp -r '%s/cgroup-proc' '%s/proc' && cp -r '%s/cgroup-container' "
		 "'%s/cgroup'", fixtures, root, fixtures, root);
	if (system(cmd) != 0)
		return 1;
	printf("bench_view: a loop tick on Linux 6.1 fixture trees, memory plenty\n");
	run("machine view alone (--no-cgroup)", root, "--no-cgroup", NULL);
	run("container mode (--cgroup /box)", root, "--cgroup", "/box");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : 1;
}
