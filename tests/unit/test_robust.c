/* Surviving what a busy machine does to a scanner: processes appearing and
 * vanishing mid-scan, and very many of them. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parse/config.h"
#include "fixture.h"
#include "acquire/scan.h"
#include "decide/select.h"

/* A child that forks short-lived grandchildren as fast as it can, in its
 * own process group so the test can stop all of them at once. Most exit at
 * once, so that scans meet entries that vanish under them; every fourth
 * lives a millisecond, long enough to be read whole now and then. It counts
 * its forks in *forks, a page shared with the test, so that the test can
 * tell churn from a churner that never got going. */
static pid_t start_fork_churn(unsigned long *forks)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Never outlive the test, should an assertion end it early. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);	/* auto-reap: no zombie pile-up */
		for (unsigned long n = 0;; n++) {
			pid_t c = fork();

			if (c == 0) {
				if (n % 4 == 0)
					usleep(1000);
				_exit(0);
			}
			if (c > 0)
				__atomic_add_fetch(forks, 1, __ATOMIC_RELAXED);
		}
	}
	setpgid(pid, pid);
	return pid;
}

/* Offers every process to the selection, and notes the churner's children
 * it came across: proof that the scans met processes that come and go. */
struct churn_watch {
	struct selection sel;
	pid_t churn;
	pid_t recent[64];	/* the last grandchildren counted, to count each once */
	unsigned seen;		/* distinct grandchildren read whole */
};

static void watch_visit(const struct proc_sample *p, const struct proc_text *text, void *ctx)
{
	struct churn_watch *w = ctx;
	const unsigned n_recent = sizeof(w->recent) / sizeof(w->recent[0]);

	if (p->pgrp == w->churn && p->pid != w->churn) {
		bool counted = false;

		for (unsigned i = 0; i < n_recent && !counted; i++)
			counted = w->recent[i] == p->pid;
		if (!counted)
			w->recent[w->seen++ % n_recent] = p->pid;
	}
	select_visit(p, text, &w->sel);
}

static unsigned long forks_now(unsigned long *forks)
{
	return __atomic_load_n(forks, __ATOMIC_RELAXED);
}

Test(robust, fork_churn_during_scans)
{
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	static struct churn_watch w;
	struct config cfg;
	char *argv[] = { (char *)"oomguard", NULL };
	char err[256];
	unsigned vanished = 0, scans = 0;
	unsigned long *forks, forks_before, forks_during;
	pid_t churn;

	forks = mmap(NULL, sizeof(*forks), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(forks, MAP_FAILED);
	churn = start_fork_churn(forks);
	w.churn = churn;
	cr_assert_eq(config_parse(&cfg, 1, argv, err, sizeof(err)), 0);
	cr_assert_eq(procfs_open(&procfs, "/proc"), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	/* Scan only once the churner is forking: up to 5 s for it to start. */
	for (int i = 0; i < 500 && forks_now(forks) == 0; i++)
		usleep(10000);
	forks_before = forks_now(forks);
	cr_assert_gt(forks_before, 0, "the churner never forked");
	for (; scans < 200; scans++) {
		select_init(&w.sel, &cfg, getpid(), 6000000, 4);
		cr_assert_eq(scan_each(&scan, watch_visit, &w), 0);
		cr_expect_eq(scan.stats.malformed, 0, "scan %u: %u malformed", scans, scan.stats.malformed);
		cr_expect_gt(w.sel.n_candidates, 0);
		for (unsigned i = 0; i < w.sel.n_best; i++)
			cr_expect_gt(w.sel.best[i].proc.pid, 1);
		vanished += scan.stats.vanished;
	}
	forks_during = forks_now(forks) - forks_before;
	kill(-churn, SIGKILL);
	waitpid(churn, NULL, 0);
	munmap(forks, sizeof(*forks));
	cr_log_info("%u scans under fork churn: %lu forks, %u grandchildren read, "
		    "%u processes vanished mid-read", scans, forks_during, w.seen, vanished);
	/* Churn, not a pause: a fork for every other scan at least (here ten
	 * a scan, two or three under ASan), and the scans read some of the
	 * churner's children (here 20 to 100; other processes' exits make
	 * "vanished" no proof of churn). */
	cr_expect_geq(forks_during, scans / 2, "only %lu forks during %u scans", forks_during, scans);
	cr_expect_geq(w.seen, 3, "the scans read only %u of the churner's children", w.seen);
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

/* A status of the 6.18 layout whose Groups line holds groups_len bytes of
 * groups: thousands of supplementary groups make it longer than any buffer
 * the scan keeps. */
static void put_status_with_groups(const char *dir, unsigned pid, size_t groups_len,
				   unsigned long rss_kib)
{
	static char buf[800000];
	size_t len;

	len = (size_t)snprintf(buf, sizeof(buf),
			       "Name:\tg%u\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%u\nPid:\t%u\n"
			       "PPid:\t1\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n"
			       "FDSize:\t64\nGroups:\t", pid, pid, pid);
	for (size_t i = 0; i < groups_len; i += 2) {
		buf[len++] = '7';
		buf[len++] = ' ';
	}
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				"\nVmPeak:\t %8lu kB\nVmSize:\t %8lu kB\nVmRSS:\t %8lu kB\n"
				"RssAnon:\t %8lu kB\nVmPTE:\t      40 kB\nVmSwap:\t       0 kB\n"
				"Threads:\t1\n", rss_kib * 2, rss_kib * 2, rss_kib, rss_kib);
	fixture_write(dir, "status", buf, len);
}

/* NGROUPS_MAX (65536) groups of up to 10 digits: a status of ~700 KiB, far
 * above the scan's 16 KiB buffer. Such a process was skipped as malformed
 * and so could never be killed; it is read and ranked like any other. And
 * every line of status may straddle a read boundary: sizes around one and
 * two buffers' worth, a byte apart, all parse to the same figures. */
Test(robust, status_with_a_huge_groups_line)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct selection sel;
	struct config cfg = CFG();
	const struct fake_proc small = { .pid = 50, .comm = "small", .rss_kib = 1000 };
	char dir[1100];
	unsigned pid = 100, n = 1;

	fixture_add(root, &small);
	for (size_t g = SCAN_STATUS_SIZE - 400; g < SCAN_STATUS_SIZE + 200; g += 2, pid++, n++) {
		struct fake_proc fp = { .pid = (int)pid, .comm = "g", .rss_kib = 2000 + pid };

		fixture_add(root, &fp);
		snprintf(dir, sizeof(dir), "%s/%u", root, pid);
		/* odd and even shifts: every byte position of the lines */
		put_status_with_groups(dir, pid, g + (pid & 1), 2000 + pid);
	}
	for (size_t g = 2 * SCAN_STATUS_SIZE - 200; g < 2 * SCAN_STATUS_SIZE + 100; g += 2, pid++, n++) {
		struct fake_proc fp = { .pid = (int)pid, .comm = "g", .rss_kib = 2000 + pid };

		fixture_add(root, &fp);
		snprintf(dir, sizeof(dir), "%s/%u", root, pid);
		put_status_with_groups(dir, pid, g + (pid & 1), 2000 + pid);
	}
	{
		struct fake_proc hog = { .pid = 9000, .comm = "hog", .rss_kib = 500000 };

		fixture_add(root, &hog);
		snprintf(dir, sizeof(dir), "%s/9000", root);
		put_status_with_groups(dir, 9000, 65536 * 11, 500000);
		n++;
	}
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	select_init(&sel, &cfg, getpid(), 1048576, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	cr_expect_eq(scan.stats.malformed, 0, "%u malformed", scan.stats.malformed);
	cr_expect_eq(scan.stats.processes, n);
	cr_expect_eq(sel.n_candidates, n);
	cr_assert_gt(sel.n_best, 1);
	cr_expect_eq(sel.best[0].proc.pid, 9000, "the 700 KiB status is read: %d first",
		     (int)sel.best[0].proc.pid);
	cr_expect_eq(sel.best[0].proc.rss_kib, 500000);
	cr_expect_eq(sel.best[0].proc.uid, 1000);
	cr_expect_eq(sel.best[0].proc.pte_kib, 40);
	/* Each straddling one kept its own size (RSS = 2000 + pid). */
	for (unsigned i = 1; i < sel.n_best; i++)
		cr_expect_eq(sel.best[i].proc.rss_kib, 2000u + (unsigned)sel.best[i].proc.pid,
			     "pid %d", (int)sel.best[i].proc.pid);
	cr_expect_eq(sel.best[1].proc.pid, (pid_t)(pid - 1));
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(root);
}

/* procfs_read_lines() hands every line over whole, wherever the reads cut
 * the file, and a line longer than the buffer as its start. */
struct lines {
	char seen[64][32];
	unsigned n;
};

static int collect_line(const char *line, void *ctx)
{
	struct lines *l = ctx;

	if (l->n < 64)
		snprintf(l->seen[l->n++], sizeof(l->seen[0]), "%s", line);
	return 0;
}

Test(robust, read_lines_across_pieces)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	const char text[] = "ab\ncdefghij\n\nklmnopqrstuvwxyz0123456789\nend";
	struct procfs procfs = PROCFS_INIT;

	fixture_puts(root, "f", text);
	cr_assert_eq(procfs_open(&procfs, root), 0);
	for (size_t size = 2; size < sizeof(text) + 2; size++) {
		_cleanup_close_ int fd = -1;
		struct lines l = { .n = 0 };
		char buf[64];

		cr_assert_eq(procfs_open_file(procfs.root_fd, "f", &fd), 0);
		cr_assert_eq(procfs_read_lines(fd, buf, size, collect_line, &l), 0);
		cr_assert_eq(l.n, 5, "size %zu: %u lines", size, l.n);
		cr_expect(strncmp(l.seen[0], "ab", size - 1) == 0 && strlen(l.seen[0]) == (size < 3 ? 1 : 2),
			  "size %zu: '%s'", size, l.seen[0]);
		cr_expect(strncmp(l.seen[1], "cdefghij", size - 1) == 0, "size %zu: '%s'", size, l.seen[1]);
		cr_expect_str_empty(l.seen[2], "size %zu", size);
		cr_expect(strncmp(l.seen[3], "klmnopqrstuvwxyz0123456789", size - 1) == 0 &&
			  strlen(l.seen[3]) == (size - 1 < 26 ? size - 1 : 26), "size %zu: '%s'", size,
			  l.seen[3]);
		cr_expect(strncmp(l.seen[4], "end", size - 1) == 0, "size %zu: '%s'", size, l.seen[4]);
	}
	procfs_close(&procfs);
	fixture_destroy(root);
}

static int collect_pid(pid_t pid, const char *name, void *ctx)
{
	pid_t *seen = ctx;

	cr_expect_eq(pid, (pid_t)strtol(name, NULL, 10), "%s", name);
	for (int i = 0; i < 8; i++)
		if (!seen[i]) {
			seen[i] = pid;
			break;
		}
	return pid == 77 ? 77 : 0;
}

/* The one walk over pid-named entries (scan, task/, a group, the
 * visibility count): what is a pid's name, and a step that stops it. */
Test(robust, each_pid_takes_only_pid_names_and_stops_when_told)
{
	static const char *const names[] = { "1", "42", "007", "self", "12a", "2147483647",
					     "2147483648", "99999999999" };
	char dir[] = "/tmp/oomguard-eachpid-XXXXXX", path[128];
	char dents[256] __attribute__((aligned(8)));
	pid_t seen[8] = { 0 };
	unsigned n = 0;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		cr_assert_eq(mkdir(path, 0700), 0);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_expect_eq(procfs_each_pid(fd, dents, sizeof(dents), collect_pid, seen), 0);
	for (int i = 0; i < 8 && seen[i]; i++, n++)
		cr_expect(seen[i] == 1 || seen[i] == 42 || seen[i] == 2147483647, "took %d", seen[i]);
	cr_expect_eq(n, 3, "1, 42 and 2147483647 only");
	snprintf(path, sizeof(path), "%s/77", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	memset(seen, 0, sizeof(seen));
	cr_expect_eq(procfs_each_pid(fd, dents, sizeof(dents), collect_pid, seen), 77,
		     "a positive step ends the walk with its value");
	close(fd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/77", dir);
	rmdir(path);
	rmdir(dir);
}
