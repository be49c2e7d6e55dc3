/* Surviving what a busy machine does to a scanner: processes appearing and
 * vanishing mid-scan, and very many of them. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parse/config.h"
#include "fixture.h"
#include "acquire/scan.h"
#include "decide/select.h"

/* A child that forks short-lived grandchildren as fast as it can, in its
 * own process group so the test can stop all of them at once. */
static pid_t start_fork_churn(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);	/* auto-reap: no zombie pile-up */
		for (;;) {
			pid_t c = fork();

			if (c == 0)
				_exit(0);
		}
	}
	setpgid(pid, pid);
	return pid;
}

Test(robust, fork_churn_during_scans)
{
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct config cfg;
	char *argv[] = { (char *)"oomguard", NULL };
	char err[256];
	unsigned vanished = 0, scans = 0;
	pid_t churn = start_fork_churn();

	cr_assert_eq(config_parse(&cfg, 1, argv, err, sizeof(err)), 0);
	cr_assert_eq(procfs_open(&procfs, "/proc"), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	for (; scans < 200; scans++) {
		struct selection sel;

		select_init(&sel, &cfg, getpid(), 6000000, 4);
		cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
		cr_expect_eq(scan.stats.malformed, 0, "scan %u: %u malformed", scans, scan.stats.malformed);
		cr_expect_gt(sel.n_candidates, 0);
		for (unsigned i = 0; i < sel.n_best; i++)
			cr_expect_gt(sel.best[i].proc.pid, 1);
		vanished += scan.stats.vanished;
	}
	kill(-churn, SIGKILL);
	waitpid(churn, NULL, 0);
	cr_log_info("%u scans under fork churn, %u processes vanished mid-read", scans, vanished);
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
}

/* 32,768 processes (the default pid_max) in a generated tree: every one is
 * read, the biggest is picked, nothing is allocated per process. */
Test(robust, thirty_two_thousand_processes, .timeout = 120)
{
	/* tmpfs when there is one: 100,000 small files are slow on overlayfs. */
	char root[] = "/dev/shm/oomguard-32k-XXXXXX", cmd[128];
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct selection sel;
	struct config cfg;
	char *argv[] = { (char *)"oomguard", NULL };
	char err[256], dir[1100], buf[512];
	const unsigned n = 32768;

	if (!mkdtemp(root)) {
		snprintf(root, sizeof(root), "/tmp/oomguard-32k-XXXXXX");
		cr_assert_not_null(mkdtemp(root));
	}
	fixture_puts(root, "meminfo", "MemTotal: 64000000 kB\nMemAvailable: 100000 kB\n"
				       "SwapTotal: 0 kB\nSwapFree: 0 kB\n");

	for (unsigned i = 0; i < n; i++) {
		unsigned pid = 100000 + i;
		unsigned long rss = pid == 120000 ? 9000000 : (i * 7919u) % 500000;

		snprintf(dir, sizeof(dir), "%s/%u", root, pid);
		cr_assert_eq(mkdir(dir, 0755), 0);
		snprintf(buf, sizeof(buf), "%u (p%u) S 1 %u %u 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %u 0 0 0\n",
			 pid, pid, pid, pid, pid);
		fixture_puts(dir, "stat", buf);
		fixture_puts(dir, "oom_score_adj", "0\n");
		snprintf(buf, sizeof(buf), "Name:\tp%u\nUid:\t1000\t1000\t1000\t1000\nVmRSS:\t %lu kB\n"
			 "VmPTE:\t 4 kB\nVmSwap:\t 0 kB\n", pid, rss);
		fixture_puts(dir, "status", buf);
	}
	cr_assert_eq(config_parse(&cfg, 1, argv, err, sizeof(err)), 0);
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	select_init(&sel, &cfg, getpid(), 16000000, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	cr_expect_eq(scan.stats.processes, n);
	cr_expect_eq(sel.n_candidates, n);
	cr_assert_gt(sel.n_best, 0);
	cr_expect_eq(sel.best[0].proc.pid, 120000);
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_expect_eq(system(cmd), 0);
}
