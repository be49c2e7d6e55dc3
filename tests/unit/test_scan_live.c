/* Our oom_score must equal the kernel's /proc/PID/oom_score for every
 * process of this machine, except one whose memory changed between the
 * reads. Mismatches are re-read; a stable one fails the test. Read-only. */
#define _GNU_SOURCE	/* clone() */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "act/victim.h"
#include "decide/badness.h"
#include "decide/select.h"
#include "fixture.h"
#include "parse/meminfo.h"
#include "acquire/scan.h"
#include "acquire/sensors.h"

struct live {
	uint64_t totalpages;
	unsigned page_kib;
	unsigned compared, mismatched;
	pid_t mismatch_pids[256];
	long ours[256];
};

static long kernel_oom_score(pid_t pid)
{
	char path[64];
	long score = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/oom_score", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &score) != 1)
		score = -1;
	fclose(f);
	return score;
}

static void visit(const struct proc_sample *p, const struct proc_text *text, void *ctx)
{
	struct live *l = ctx;
	long ours = badness_oom_score(badness_points(p, l->totalpages, l->page_kib), l->totalpages);
	long theirs = kernel_oom_score(p->pid);

	(void)text;
	if (theirs < 0)
		return;	/* exited meanwhile */
	l->compared++;
	if (ours != theirs && l->mismatched < 256) {
		l->mismatch_pids[l->mismatched] = p->pid;
		l->ours[l->mismatched++] = ours;
	}
}

static uint64_t live_totalpages(unsigned page_kib)
{
	static char buf[16384];
	struct meminfo mi;
	const char *bad;

	cr_assert_not_null(fixture_read("/proc/meminfo", buf, sizeof(buf)));
	cr_assert_eq(meminfo_parse(buf, &mi, &bad), 0);
	return badness_totalpages(mi.mem_total_kib, mi.swap_total_kib, page_kib);
}

/* Re-read one process from scratch; returns 1 when it still mismatches. */
static int still_mismatches(struct scan *s, pid_t pid, struct live *l, long *ours_out, long *theirs_out)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		struct live one = { .totalpages = l->totalpages, .page_kib = l->page_kib };
		struct scan_stats saved = s->stats;

		(void)saved;
		/* Scan everything again but look at this pid only. */
		cr_assert_eq(scan_each(s, visit, &one), 0);
		*ours_out = -1;
		*theirs_out = kernel_oom_score(pid);
		for (unsigned i = 0; i < one.mismatched; i++)
			if (one.mismatch_pids[i] == pid)
				*ours_out = one.ours[i];
		if (*ours_out < 0)
			return 0;
		usleep(20000);
	}
	return 1;
}

/* Children with real, different memory footprints and adjustments, so the
 * comparison covers more than idle shells scoring 666. Each touches its own
 * memory (at most 192 MiB) and waits to be killed by this test. */
static pid_t spawn_child(size_t mib, const char *adj)
{
	int ready[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char *mem = malloc(mib << 20);
		FILE *f = fopen("/proc/self/oom_score_adj", "w");

		if (f) {
			fputs(adj, f);
			fclose(f);
		}
		for (size_t i = 0; mem && i < (mib << 20); i += 4096)
			mem[i] = 1;
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

Test(scan_live, oom_score_equals_the_kernels)
{
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct live l = { 0 };
	unsigned stable = 0;
	pid_t children[] = { spawn_child(192, "0"), spawn_child(64, "700"), spawn_child(32, "-500"),
			     spawn_child(16, "-1000") };

	l.page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);
	l.totalpages = live_totalpages(l.page_kib);
	cr_assert_eq(procfs_open(&procfs, "/proc"), 0);
	cr_assert_eq(scan_open(&scan, &procfs), 0);
	cr_assert_eq(scan_each(&scan, visit, &l), 0);
	cr_assert_gt(l.compared, 1, "compared %u processes", l.compared);
	for (unsigned i = 0; i < l.mismatched; i++) {
		long ours, theirs;

		if (still_mismatches(&scan, l.mismatch_pids[i], &l, &ours, &theirs)) {
			cr_log_error("pid %d: ours %ld, kernel %ld", (int)l.mismatch_pids[i], ours, theirs);
			stable++;
		}
	}
	cr_log_info("compared %u processes, %u first-read mismatches, %u stable", l.compared,
		    l.mismatched, stable);
	cr_expect_eq(stable, 0, "%u processes with a stable oom_score mismatch", stable);
	scan_close(&scan);
	procfs_close(&procfs);
	cr_expect_gt(kernel_oom_score(children[0]), 666, "the 192 MiB child scores above empty");
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
}

/* The quick lower bound the idle tick uses must never exceed what
 * /proc/meminfo says right after it (a little slack: memory may be
 * allocated between the two reads). */
Test(scan_live, quick_bound_is_below_memavailable)
{
	struct procfs procfs = PROCFS_INIT;
	static struct sensors s;
	struct sample smp = { 0 };
	const char *bad;

	cr_assert_eq(procfs_open(&procfs, "/proc"), 0);
	cr_assert_eq(sensors_open(&s, &procfs, "/sys"), 0);
	cr_assert_eq(sensors_sample(&s, &smp, true, &bad), 0);
	if (s.reserve_kib == 0)
		cr_skip_test("no /proc/zoneinfo here");
	for (int i = 0; i < 50; i++) {
		uint64_t bound;

		cr_assert_eq(sensors_quick_available(&s, &bound), 0);
		cr_assert_eq(sensors_sample(&s, &smp, false, &bad), 0);
		cr_expect_leq(bound, smp.mi.mem_available_kib + 65536, "bound %llu > MemAvailable %llu",
			      (unsigned long long)bound, (unsigned long long)smp.mi.mem_available_kib);
		cr_expect_gt(bound, smp.mi.mem_available_kib / 2, "a useful bound on an idle machine");
	}
	sensors_close(&s);
	procfs_close(&procfs);
}

/* ---- A process whose leader has exited: pthread_exit in main ------------ */

static int zombie_ready_fd = -1;
static size_t zombie_mib;

static void *hold_memory(void *arg)
{
	char *mem = malloc(zombie_mib << 20);

	(void)arg;
	for (size_t i = 0; mem && i < (zombie_mib << 20); i += 4096)
		mem[i] = 1;
	if (write(zombie_ready_fd, mem ? "x" : "-", 1) != 1)
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *close;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!fixture_read(path, buf, sizeof(buf)) || !(close = strrchr(buf, ')')))
		return '?';
	return close[2];
}

/* A child whose second thread touches mib MiB and waits, while the main
 * thread calls pthread_exit: the leader is a zombie (Z) heading a live
 * thread, as the kernel's oom_score still scores. */
static pid_t spawn_zombie_leader(size_t mib)
{
	int ready[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pthread_t t;

		zombie_ready_fd = ready[1];
		zombie_mib = mib;
		if (pthread_create(&t, NULL, hold_memory, NULL) != 0)
			_exit(1);
		pthread_exit(NULL);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	cr_assert_eq(c, 'x', "the thread could not allocate");
	close(ready[0]);
	for (int i = 0; i < 200 && proc_state(pid) != 'Z'; i++)
		usleep(10000);
	cr_assert_eq(proc_state(pid), 'Z', "the leader has exited");
	return pid;
}

struct watch {
	pid_t pids[2];
	struct proc_sample seen[2];
	bool found[2];
};

static void watch_visit(const struct proc_sample *p, const struct proc_text *text, void *ctx)
{
	struct watch *w = ctx;

	(void)text;
	for (int i = 0; i < 2; i++)
		if (p->pid == w->pids[i]) {
			w->seen[i] = *p;
			w->found[i] = true;
		}
}

/* The hog whose main thread had exited survived while a small bystander
 * was killed: it was never a candidate. It is scored through its live
 * thread, as the kernel's oom_score shows, ranks above the bystander by
 * its real size, and the kill path accepts and kills it. */
Test(scan_live, zombie_leader_is_scored_through_a_live_thread)
{
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	struct config cfg = CFG();
	struct kill_ctx kctx = KILL_CTX_INIT;
	pid_t hog = spawn_zombie_leader(64), bystander = spawn_child(16, "0");
	struct watch w = { .pids = { hog, bystander } };
	struct candidate ch, cb;
	struct proc_sample now;
	unsigned page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);
	uint64_t totalpages = live_totalpages(page_kib);
	enum badness_skip skip_hog, skip_bystander;
	int pidfd, status;

	/* No cr_assert from here on: the children must be killed whatever
	 * fails, or the hog's live thread outlives the test. */
	cr_expect_eq(procfs_open(&procfs, "/proc"), 0);
	cr_expect_eq(scan_open(&scan, &procfs), 0);
	cr_expect_eq(scan_each(&scan, watch_visit, &w), 0);
	cr_expect(w.found[0] && w.found[1]);
	cr_expect(w.seen[0].has_mm, "the zombie leader's process has an mm");
	cr_expect_geq(w.seen[0].rss_kib, 64 * 1024, "rss %llu KiB",
		      (unsigned long long)w.seen[0].rss_kib);
	cr_expect(w.seen[0].mm_tid > 0 && w.seen[0].mm_tid != hog, "mm_tid %d",
		  (int)w.seen[0].mm_tid);
	cr_expect_eq(w.seen[1].mm_tid, 0);
	skip_hog = badness_evaluate(&cfg, &w.seen[0], NULL, getpid(), totalpages, page_kib, &ch);
	skip_bystander = badness_evaluate(&cfg, &w.seen[1], NULL, getpid(), totalpages, page_kib, &cb);
	cr_expect_eq(skip_hog, SKIP_NONE, "the zombie leader's process is a candidate");
	cr_expect_eq(skip_bystander, SKIP_NONE);
	if (skip_hog == SKIP_NONE && skip_bystander == SKIP_NONE) {
		cr_expect(badness_better(&ch, &cb),
			  "64 MiB (points %ld) ranks above 16 MiB (points %ld)", ch.points, cb.points);
		cr_expect_eq(ch.kernel_score, kernel_oom_score(hog), "ours %ld, the kernel's %ld",
			     ch.kernel_score, kernel_oom_score(hog));
	}

	/* The kill path: the sample as the scan gave it (leader's pid and
	 * starttime) is accepted, signalled through the pidfd, and gone once
	 * the whole group has exited. */
	kctx.procfs = &procfs;
	kctx.self_pid = getpid();
	cr_expect_eq(victim_check(&kctx, &w.seen[0], &now), 0,
		     "a zombie leader with live threads is alive");
	cr_expect_eq(now.state, 'Z');
	pidfd = victim_open_pidfd(hog);
	cr_expect_geq(pidfd, 0, "pidfd_open: %s", strerror(-pidfd));
	cr_expect_not(victim_exited(&kctx, &w.seen[0], pidfd, 0), "not exited while a thread lives");
	cr_expect_eq(victim_signal(pidfd, hog, SIGKILL), 0);
	cr_expect(victim_exited(&kctx, &w.seen[0], pidfd, 2000), "the whole group exits");
	kill(hog, SIGKILL);
	cr_expect_eq(waitpid(hog, &status, 0), hog);
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_expect_eq(victim_check(&kctx, &w.seen[0], &now), -ESRCH, "reaped: gone");
	if (pidfd >= 0)
		close(pidfd);

	kill(bystander, SIGKILL);
	waitpid(bystander, NULL, 0);
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
}

/* ---- A vfork child: it shares its parent's mm until it execs or exits -- */

static int vfork_ready_fd = -1, vfork_release_fd = -1;

/* The clone(CLONE_VM | CLONE_VFORK) child: on its own stack, in its
 * parent's memory, it only makes system calls: it says who it is, then
 * blocks until the test releases it. */
static int vfork_child(void *arg)
{
	pid_t self = (pid_t)syscall(SYS_getpid);
	char c;

	(void)arg;
	if (write(vfork_ready_fd, &self, sizeof(self)) != (ssize_t)sizeof(self))
		return 1;
	while (read(vfork_release_fd, &c, 1) < 0)
		;
	return 0;
}

/* A child that touches mib MiB, then vforks a grandchild that blocks: the
 * child waits in state D, the grandchild shows the same mm. Returns the
 * child; *grandchild and *release (write a byte to let it go) set. */
static pid_t spawn_vfork_parent(size_t mib, pid_t *grandchild, int *release)
{
	int ready[2], rel[2];
	pid_t pid;

	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(rel), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		static char stack[64 * 1024] __attribute__((aligned(16)));
		char *mem = malloc(mib << 20);
		int status;
		pid_t c;

		for (size_t i = 0; mem && i < (mib << 20); i += 4096)
			mem[i] = 1;
		vfork_ready_fd = ready[1];
		vfork_release_fd = rel[0];
		c = clone(vfork_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		if (c < 0)
			_exit(1);
		waitpid(c, &status, 0);
		for (;;)
			pause();
	}
	close(ready[1]);
	close(rel[0]);
	cr_assert_eq(read(ready[0], grandchild, sizeof(*grandchild)), (ssize_t)sizeof(*grandchild));
	close(ready[0]);
	for (int i = 0; i < 200 && proc_state(pid) != 'D'; i++)
		usleep(10000);
	cr_assert_eq(proc_state(pid), 'D', "the vfork parent waits");
	*release = rel[1];
	return pid;
}

struct pair_filter {
	pid_t pids[2];
	struct proc_sample seen[2];
	struct selection sel;
};

/* Feed only the two processes of the test to the selection. */
static void pair_visit(const struct proc_sample *p, const struct proc_text *text, void *ctx)
{
	struct pair_filter *f = ctx;

	for (int i = 0; i < 2; i++)
		if (p->pid == f->pids[i]) {
			f->seen[i] = *p;
			select_visit(p, text, &f->sel);
		}
}

/* The vfork child ranked like its parent and won the tie (newer); killing
 * it frees nothing. It is not a candidate; the parent is. */
Test(scan_live, vfork_child_is_not_picked_over_its_parent)
{
	struct procfs procfs = PROCFS_INIT;
	static struct scan scan;
	static struct pair_filter f;
	struct config cfg = CFG();
	unsigned page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);
	pid_t grandchild = 0;
	int release = -1;
	pid_t parent = spawn_vfork_parent(32, &grandchild, &release);
	long kcmp = syscall(SYS_kcmp, grandchild, parent, 1 /* KCMP_VM */, 0, 0);

	cr_log_info("kcmp(KCMP_VM) here: %ld (%s): the scan %s", kcmp, kcmp < 0 ? strerror(errno) : "ok",
		    kcmp == 0 ? "asks the kernel" : "uses the /proc evidence");
	/* No cr_assert from here on: the children must be released. */
	f.pids[0] = parent;
	f.pids[1] = grandchild;
	select_init(&f.sel, &cfg, getpid(), live_totalpages(page_kib), page_kib);
	cr_expect_eq(procfs_open(&procfs, "/proc"), 0);
	cr_expect_eq(scan_open(&scan, &procfs), 0);
	cr_expect_eq(scan_each(&scan, pair_visit, &f), 0);
	cr_expect_eq(f.seen[1].pid, grandchild, "the grandchild was scanned");
	cr_expect(f.seen[1].shares_parent_mm, "the vfork child shares its parent's mm");
	cr_expect_not(f.seen[0].shares_parent_mm);
	cr_expect_eq(f.seen[1].rss_kib, f.seen[0].rss_kib, "the same memory, shown twice");
	cr_expect_eq(kernel_oom_score(grandchild), 0, "the kernel gives it no score (in_vfork)");
	cr_expect_eq(f.sel.n_best, 1, "only the parent is a candidate");
	cr_expect_eq(f.sel.n_best ? f.sel.best[0].proc.pid : 0, parent, "victim %d (parent %d, child %d)",
		     f.sel.n_best ? (int)f.sel.best[0].proc.pid : 0, (int)parent, (int)grandchild);

	cr_expect_eq(write(release, "x", 1), 1);
	close(release);
	kill(parent, SIGKILL);
	waitpid(parent, NULL, 0);
	scan_close(&scan);
	procfs_close(&procfs);
	config_free(&cfg);
}
