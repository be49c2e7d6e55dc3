/* Victim selection end to end over fixture trees: scan + badness + policy. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "parse/config.h"
#include "fixture.h"
#include "acquire/scan.h"
#include "decide/select.h"

#define MAX_PROCS 8

struct select_case {
	const char *name;
	const char *args[6];
	struct fake_proc procs[MAX_PROCS];
	int expect_victim;	/* 0: no candidate at all */
	int expect_second;	/* 0: do not check */
};

#define KTHREAD 0x00200000u

/* Sizes in KiB on a 4 GiB machine without swap; 4 KiB pages. */
static const struct select_case cases[] = {
	{ "largest rss wins", { NULL },
	  { { .pid = 10, .comm = "small", .rss_kib = 1000 }, { .pid = 11, .comm = "big", .rss_kib = 9000 },
	    { .pid = 12, .comm = "mid", .rss_kib = 5000 } }, 11, 12 },
	{ "swap and page tables count", { NULL },
	  { { .pid = 10, .comm = "rss", .rss_kib = 9000 },
	    { .pid = 11, .comm = "swapped", .rss_kib = 4000, .swap_kib = 4000, .pte_kib = 2000 } }, 11, 10 },
	{ "positive adj beats size", { NULL },
	  { { .pid = 10, .comm = "big", .rss_kib = 400000 }, { .pid = 11, .comm = "tab", .rss_kib = 1000, .adj = 300 } },
	  11, 10 },
	{ "ignore-positive-adj undoes that", { "--ignore-positive-adj" },
	  { { .pid = 10, .comm = "big", .rss_kib = 400000 }, { .pid = 11, .comm = "tab", .rss_kib = 1000, .adj = 300 } },
	  10, 11 },
	{ "negative adj protects", { NULL },
	  { { .pid = 10, .comm = "big", .rss_kib = 400000, .adj = -500 }, { .pid = 11, .comm = "b", .rss_kib = 1000 } },
	  11, 10 },
	/* Without the rule sshd would win by far: its -1000 is -1048000
	 * points and b's -999 is -1046952 (1048 pages a unit), so sshd's
	 * 225000 pages against b's 2 would decide. Only the rule keeps it. */
	{ "adj -1000 never", { NULL },
	  { { .pid = 10, .comm = "sshd", .rss_kib = 900000, .adj = -1000 },
	    { .pid = 11, .comm = "b", .rss_kib = 10, .adj = -999 } },
	  11, 0 },
	{ "kernel threads, init and zombies never", { NULL },
	  { { .pid = 1, .comm = "systemd", .rss_kib = 900000 },
	    { .pid = 2, .comm = "kthreadd", .flags = KTHREAD },
	    { .pid = 20, .comm = "zombie", .rss_kib = 800000, .state = 'Z' },
	    { .pid = 21, .comm = "x", .rss_kib = 10 } }, 21, 0 },
	{ "only unkillables: no victim", { NULL },
	  { { .pid = 1, .comm = "init", .rss_kib = 900000 }, { .pid = 2, .comm = "kthreadd", .flags = KTHREAD } },
	  0, 0 },
	{ "ties: more memory, then newer", { NULL },
	  { { .pid = 30, .comm = "old", .rss_kib = 4000, .starttime = 100 },
	    { .pid = 31, .comm = "new", .rss_kib = 4000, .starttime = 900 },
	    { .pid = 32, .comm = "smaller", .rss_kib = 3996 } }, 31, 30 },
	{ "prefer moves up", { "--prefer", "^chrom" },
	  { { .pid = 10, .comm = "postgres", .rss_kib = 1500000 }, { .pid = 11, .comm = "chromium", .rss_kib = 100000 } },
	  11, 10 },
	{ "avoid moves down", { "--avoid", "^postgres$" },
	  { { .pid = 10, .comm = "postgres", .rss_kib = 1500000 }, { .pid = 11, .comm = "chromium", .rss_kib = 100000 } },
	  11, 10 },
	{ "ignore removes", { "--ignore", "^postgres$" },
	  { { .pid = 10, .comm = "postgres", .rss_kib = 1500000 }, { .pid = 11, .comm = "chromium", .rss_kib = 100000 } },
	  11, 0 },
	{ "ignore-root-user", { "--ignore-root-user" },
	  { { .pid = 10, .comm = "rootd", .rss_kib = 1500000, .uid = 0 },
	    { .pid = 11, .comm = "user", .rss_kib = 100, .uid = 1000 } }, 11, 0 },
	{ "cmdline: matches past 15 chars", { "--ignore", "cmdline:-jar /opt/important\\.jar" },
	  { { .pid = 10, .comm = "java", .rss_kib = 1500000, .cmdline = "java -jar /opt/important.jar" },
	    { .pid = 11, .comm = "java", .rss_kib = 100, .cmdline = "java -jar other.jar" } }, 11, 0 },
	{ "unit: matches the systemd unit", { "--prefer", "unit:^batch\\.service$" },
	  { { .pid = 10, .comm = "db", .rss_kib = 1500000, .cgroup = "/system.slice/db.service" },
	    { .pid = 11, .comm = "job", .rss_kib = 1000, .cgroup = "/system.slice/batch.service" } }, 11, 10 },
	{ "cgroup: matches the path", { "--avoid", "cgroup:^/system\\.slice/" },
	  { { .pid = 10, .comm = "db", .rss_kib = 1500000, .cgroup = "/system.slice/db.service" },
	    { .pid = 11, .comm = "job", .rss_kib = 1000, .cgroup = "/user.slice/u.scope" } }, 11, 10 },
	{ "comm with spaces and parens", { "--ignore", "^a\\) b$" },
	  { { .pid = 10, .comm = "a) b", .rss_kib = 1500000 }, { .pid = 11, .comm = "x (y) z", .rss_kib = 1000 } },
	  11, 0 },
	{ "sort-by-rss ranks by memory alone", { "--sort-by-rss" },
	  { { .pid = 10, .comm = "big", .rss_kib = 400000, .adj = -500 }, { .pid = 11, .comm = "tab", .rss_kib = 1000, .adj = 900 },
	    { .pid = 12, .comm = "sshd", .rss_kib = 900000, .adj = -1000 } }, 10, 11 },
	{ "name: is the default target", { "--prefer", "^x \\(y\\) z$" },
	  { { .pid = 10, .comm = "big", .rss_kib = 1500000 }, { .pid = 11, .comm = "x (y) z", .rss_kib = 1000 } },
	  11, 10 },
};

static void run_case(const struct select_case *tc)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct selection sel;
	struct config cfg;
	char *argv[8] = { (char *)"oomguard" };
	char err[256];
	int argc = 1;

	for (int i = 0; i < MAX_PROCS && tc->procs[i].pid; i++)
		fixture_add(root, &tc->procs[i]);
	for (int i = 0; tc->args[i]; i++)
		argv[argc++] = (char *)tc->args[i];
	cr_assert_eq(config_parse(&cfg, argc, argv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	scan.want_cmdline = badness_rules_need_cmdline(&cfg);
	scan.want_cgroup = badness_rules_need_cgroup(&cfg);
	select_init(&sel, &cfg, getpid(), 4194304 / 4, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	if (tc->expect_victim == 0) {
		cr_expect_eq(sel.n_best, 0, "%s: expected no victim, got pid %d", tc->name,
			     sel.n_best ? sel.best[0].proc.pid : 0);
	} else {
		cr_expect_geq(sel.n_best, 1, "%s: no victim", tc->name);
		if (sel.n_best >= 1)
			cr_expect_eq(sel.best[0].proc.pid, tc->expect_victim, "%s: victim %d", tc->name,
				     sel.best[0].proc.pid);
		if (tc->expect_second && sel.n_best >= 2)
			cr_expect_eq(sel.best[1].proc.pid, tc->expect_second, "%s: second %d", tc->name,
				     sel.best[1].proc.pid);
		if (tc->expect_second)
			cr_expect_geq(sel.n_best, 2, "%s: no second candidate", tc->name);
	}
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(root);
}

Test(select, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

Test(select, oomguard_never_picks_itself)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	struct fake_proc me = { .pid = getpid(), .comm = "oomguard", .rss_kib = 3000000 };
	struct fake_proc other = { .pid = getpid() + 1, .comm = "other", .rss_kib = 10 };
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct selection sel;
	struct config cfg;
	char *argv[] = { (char *)"oomguard", NULL };
	char err[256];

	fixture_add(root, &me);
	fixture_add(root, &other);
	cr_assert_eq(config_parse(&cfg, 1, argv, err, sizeof(err)), 0);
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	select_init(&sel, &cfg, getpid(), 4194304 / 4, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	cr_assert_eq(sel.n_best, 1);
	cr_expect_eq(sel.best[0].proc.pid, other.pid);
	cr_expect_eq(sel.n_skipped[SKIP_SELF], 1);
	cr_expect_eq(sel.top_mem[0].pid, me.pid, "top memory users include everything");
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(root);
}

Test(select, malformed_and_vanishing_files_are_skipped)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	struct fake_proc good = { .pid = 10, .comm = "good", .rss_kib = 100 };
	struct fake_proc bad = { .pid = 11, .comm = "bad", .rss_kib = 900000 };
	struct fake_proc gone = { .pid = 12, .comm = "gone", .rss_kib = 900000 };
	struct fake_proc half = { .pid = 13, .comm = "half", .rss_kib = 900000 };
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct selection sel;
	struct config cfg;
	char *argv[] = { (char *)"oomguard", NULL };
	char err[256], dir[1100];

	fixture_add(root, &good);
	fixture_add(root, &bad);
	fixture_add(root, &gone);
	fixture_add(root, &half);
	snprintf(dir, sizeof(dir), "%s/11", root);
	fixture_puts(dir, "status", "Name:\tbad\nUid:\t0\t0\t0\t0\nVmRSS:\t 900000");	/* truncated */
	snprintf(dir, sizeof(dir), "%s/12/status", root);
	cr_assert_eq(unlink(dir), 0);	/* as if the process exited mid-scan */
	snprintf(dir, sizeof(dir), "%s/13", root);
	fixture_puts(dir, "stat", "13 (half) S 1 13");
	cr_assert_eq(config_parse(&cfg, 1, argv, err, sizeof(err)), 0);
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	select_init(&sel, &cfg, getpid(), 4194304 / 4, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	cr_expect_eq(sel.n_best, 1);
	cr_expect_eq(sel.best[0].proc.pid, 10);
	cr_expect_eq(scan.stats.entries, 4);
	cr_expect_eq(scan.stats.vanished, 1);
	cr_expect_eq(scan.stats.malformed, 2);
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(root);
}

/* The stat text of a task the kernel released while printing it (pgrp and
 * session -1, ppid 0): the process is gone, not malformed, and never a
 * candidate even though its other files still read. */
Test(select, stat_of_a_reaped_task_counts_as_vanished)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	struct fake_proc good = { .pid = 10, .comm = "good", .rss_kib = 100 };
	struct fake_proc reaped = { .pid = 997, .comm = "test_robust", .rss_kib = 900000 };
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct selection sel;
	struct config cfg;
	char *argv[] = { (char *)"oomguard", NULL };
	char err[256], dir[1100];

	fixture_add(root, &good);
	fixture_add(root, &reaped);
	snprintf(dir, sizeof(dir), "%s/997", root);
	fixture_puts(dir, "stat", "997 (test_robust) X 0 -1 -1 0 -1 4194380 28 0 0 0 0 0 0 0 20 0 0 0 "
			   "170228 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	cr_assert_eq(config_parse(&cfg, 1, argv, err, sizeof(err)), 0);
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	select_init(&sel, &cfg, getpid(), 4194304 / 4, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	cr_expect_eq(scan.stats.entries, 2);
	cr_expect_eq(scan.stats.processes, 1);
	cr_expect_eq(scan.stats.vanished, 1);
	cr_expect_eq(scan.stats.malformed, 0);
	cr_expect_eq(sel.n_best, 1);
	cr_expect_eq(sel.best[0].proc.pid, 10);
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(root);
}

Test(select, keeps_the_best_eight_in_order)
{
	struct selection sel;
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	select_init(&sel, &cfg, 0, 1000000, 4);
	for (int i = 0; i < 20; i++) {
		struct candidate c = { .proc = { .pid = 100 + i }, .points = (i * 7) % 20 };

		select_offer(&sel, &c);
	}
	cr_assert_eq(sel.n_best, SELECT_KEEP);
	for (unsigned i = 0; i < SELECT_KEEP; i++)
		cr_expect_eq(sel.best[i].points, 19 - (long)i);
}

/* tests/fixtures/zombie-leader: a 206 MiB hog whose main thread called
 * pthread_exit (leader 3100 in state Z, no Vm lines; thread 3101 holds the
 * mm), a 40 MiB bystander and a lone zombie. The hog was never a
 * candidate and the bystander died; the kernel scores the hog through its
 * live thread, and so does the scan. */
Test(select, zombie_leader_with_a_live_thread_is_ranked_by_its_mm)
{
	char root[1024];
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct selection sel;
	struct config cfg = CFG();

	snprintf(root, sizeof(root), "%s/zombie-leader", getenv("OOMGUARD_FIXTURES"));
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	select_init(&sel, &cfg, getpid(), 4194304 / 4, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	cr_expect_eq(scan.stats.processes, 3);
	cr_expect_eq(scan.stats.malformed, 0);
	cr_assert_eq(sel.n_best, 2, "the hog and the bystander; the lone zombie is none");
	cr_expect_eq(sel.best[0].proc.pid, 3100, "victim %d", (int)sel.best[0].proc.pid);
	cr_expect_eq(sel.best[0].proc.rss_kib, 210944, "the mm's figures, from task/3101");
	cr_expect_eq(sel.best[0].proc.pte_kib, 472);
	cr_expect_eq(sel.best[0].proc.mm_tid, 3101);
	cr_expect_eq(sel.best[0].proc.starttime, 1475895, "identity stays the leader's");
	cr_expect_eq(sel.best[0].proc.uid, 1000);
	cr_expect_eq(sel.best[1].proc.pid, 3200);
	cr_expect_eq(sel.best[1].proc.mm_tid, 0);
	cr_expect_eq(sel.n_skipped[SKIP_UNKILLABLE] + sel.n_skipped[SKIP_ZOMBIE], 1);
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
}

/* Where kcmp(KCMP_VM) cannot answer (a fixture tree, a seccomp filter, no
 * ptrace rights), /proc tells a vfork child: it has not exec'd
 * (PF_FORKNOEXEC), its parent waits in state D, and both show the same mm
 * counters. Such a child is no candidate; without all three it is one. */
struct vfork_case {
	const char *name;
	char parent_state;
	unsigned child_flags;
	unsigned long child_rss_kib;
	bool child_is_candidate;
};

static void run_vfork_case(const struct vfork_case *tc)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	const struct fake_proc parent = { .pid = 40, .comm = "make", .rss_kib = 300000,
					  .pte_kib = 600, .state = tc->parent_state };
	const struct fake_proc child = { .pid = 41, .comm = "make", .rss_kib = tc->child_rss_kib,
					 .pte_kib = 600 };
	const struct fake_proc other = { .pid = 50, .comm = "other", .rss_kib = 1000 };
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct selection sel;
	struct config cfg = CFG();
	char dir[1100], stat[512];

	fixture_add(root, &parent);
	fixture_add(root, &child);
	fixture_add(root, &other);
	/* The child of 40, started after it (fixture_add makes every ppid 1). */
	snprintf(dir, sizeof(dir), "%s/41", root);
	snprintf(stat, sizeof(stat),
		 "41 (make) S 40 40 40 0 -1 %u 100 0 0 0 5 3 0 0 20 0 1 0 900 10485760 75000 "
		 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n", tc->child_flags);
	fixture_puts(dir, "stat", stat);
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	select_init(&sel, &cfg, getpid(), 4194304 / 4, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	cr_expect_eq(scan.stats.processes, 3, "%s", tc->name);
	cr_expect_eq(sel.n_candidates, tc->child_is_candidate ? 3u : 2u, "%s: %u candidates", tc->name,
		     sel.n_candidates);
	if (!tc->child_is_candidate) {
		cr_expect_eq(sel.best[0].proc.pid, 40, "%s: victim %d", tc->name, (int)sel.best[0].proc.pid);
		for (unsigned i = 0; i < sel.n_best; i++)
			cr_expect_neq(sel.best[i].proc.pid, 41, "%s", tc->name);
		for (unsigned i = 0; i < sel.n_top_mem; i++)
			cr_expect_neq(sel.top_mem[i].pid, 41, "%s: its memory is its parent's", tc->name);
	} else {
		bool found = false;

		for (unsigned i = 0; i < sel.n_best; i++)
			found |= sel.best[i].proc.pid == 41;
		cr_expect(found, "%s: the child is a candidate", tc->name);
	}
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(root);
}

Test(select, vfork_child_by_the_proc_evidence)
{
	static const struct vfork_case vcases[] = {
		{ "vfork child: parent in D, same mm", 'D', 0x00400040u, 300000, false },
		{ "parent not waiting: a fork child", 'S', 0x00400040u, 300000, true },
		{ "other counters: its own mm", 'D', 0x00400040u, 299996, true },
		{ "exec'd: its own mm", 'D', 0x00400100u, 300000, true },
	};

	for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++)
		run_vfork_case(&vcases[i]);
}

/* cmdline: rules see the first SCAN_TEXT_SIZE - 1 (4095) bytes of
 * /proc/PID/cmdline, arguments joined by spaces: a word that ends within
 * them matches, one past them does not. The documented bound. */
Test(select, cmdline_rules_see_the_first_4095_bytes)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	const struct fake_proc within = { .pid = 10, .comm = "java", .rss_kib = 900000 };
	const struct fake_proc beyond = { .pid = 11, .comm = "java", .rss_kib = 800000 };
	const struct fake_proc plain = { .pid = 12, .comm = "plain", .rss_kib = 1000 };
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	static char cmd[8192];
	struct selection sel;
	struct config cfg = CFG("--ignore", "cmdline:MARK$",);
	char dir[1100];
	size_t len;

	fixture_add(root, &within);
	fixture_add(root, &beyond);
	fixture_add(root, &plain);
	/* "java\0-Dx=aaaa...\0MARK\0", MARK ending at byte 4095 for 10 and one
	 * byte later for 11. */
	for (int pid = 10; pid <= 11; pid++) {
		size_t pad = (size_t)(SCAN_TEXT_SIZE - 1) - strlen("java") - 1 - 1 - strlen("MARK") +
			     (size_t)(pid - 10);

		memcpy(cmd, "java", 5);
		len = 5;
		memset(cmd + len, 'a', pad);
		len += pad;
		cmd[len++] = '\0';
		memcpy(cmd + len, "MARK", 5);
		len += 5;
		snprintf(dir, sizeof(dir), "%s/%d", root, pid);
		fixture_write(dir, "cmdline", cmd, len);
	}
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	scan.want_cmdline = true;
	select_init(&sel, &cfg, getpid(), 4194304 / 4, 4);
	cr_assert_eq(scan_each(&scan, select_visit, &sel), 0);
	cr_expect_eq(sel.n_skipped[SKIP_IGNORED], 1, "only the rule within 4095 bytes matched");
	cr_assert_eq(sel.n_best, 2);
	cr_expect_eq(sel.best[0].proc.pid, 11, "the word past byte 4095 is not seen");
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(root);
}
