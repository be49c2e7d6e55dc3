/* Carrying a decision out (act_carry_out) against children this test forks,
 * and only those: the re-check right before each signal, the move to the
 * next candidate when one cannot be signalled, and the escalation while a
 * victim ignores SIGTERM. The loop's callbacks are played by the test with
 * decisions it makes up: the fake sensors. Every child dies with its
 * parent (PR_SET_PDEATHSIG) and is reaped here. */
#define _GNU_SOURCE	/* pipe2 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "act/act.h"
#include "decide/select.h"
#include "fixture.h"
#include "parse/pidinfo.h"

static struct procfs proc = PROCFS_INIT;
static struct cgroupfs cgroups = CGROUPFS_INIT;
static struct scan scan;
static struct hooks hooks = HOOKS_INIT;
static struct config cfg;
static struct act act;

static void setup(void)
{
	cfg = CFG("--kill-timeout", "1",);
	cr_assert_eq(procfs_open(&proc, "/proc"), 0);
	cr_assert_eq(scan_open(&scan, &proc), 0);
	act.cfg = &cfg;
	act.hooks = &hooks;
	act.scan = &scan;
	cgroupfs_open(&cgroups, NULL);
	kill_init(&act.kill, &proc, &cgroups);
}

static void teardown(void)
{
	cgroupfs_close(&cgroups);
	scan_close(&scan);
	procfs_close(&proc);
	config_free(&cfg);
}

TestSuite(act, .init = setup, .fini = teardown);

/* A child that waits to be killed, as o says: in process group o->pgrp
 * (with o->set_pgrp; 0: a new one of its own), named o->comm (NULL:
 * inherited), running as o->uid (0: stay root), ignoring SIGTERM with
 * o->ignore_term. */
struct spawn_opts {
	bool set_pgrp;
	pid_t pgrp;
	const char *comm;
	uid_t uid;
	bool ignore_term;
};

static pid_t spawn_with(const struct spawn_opts *o)
{
	int ready[2];
	char byte;
	pid_t pid;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (o->set_pgrp && setpgid(0, o->pgrp) < 0)
			_exit(2);
		if (o->uid && (setresgid(o->uid, o->uid, o->uid) < 0 ||
			       setresuid(o->uid, o->uid, o->uid) < 0))
			_exit(2);
		/* After the uid change, which clears it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		if (o->comm)
			prctl(PR_SET_NAME, o->comm);
		if (o->ignore_term)
			signal(SIGTERM, SIG_IGN);
		close(ready[0]);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	if (o->set_pgrp)
		setpgid(pid, o->pgrp);
	close(ready[1]);
	cr_assert_eq(read(ready[0], &byte, 1), 1, "the child did not start");
	close(ready[0]);
	return pid;
}

/* A child that waits to be killed; with ignore_term, SIGTERM does nothing. */
static pid_t spawn(bool ignore_term)
{
	return spawn_with(&(struct spawn_opts){ .ignore_term = ignore_term });
}

/* The candidate a scan would hand over for pid. */
static struct candidate candidate_of(pid_t pid)
{
	struct candidate c = { 0 };
	char path[64], buf[2048];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	cr_assert_not_null(fixture_read(path, buf, sizeof(buf)));
	cr_assert_eq(pidinfo_parse_stat(buf, &c.proc), 0);
	return c;
}

/* What signal ended pid; 0 when it is still alive (it is then killed). */
static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return 0;
	}
	return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
}

/* The fake loop: each re-check and escalation returns the next decision of
 * a script, and counts the calls. */
struct script {
	struct decision recheck[4];
	unsigned n_recheck, rechecks;
	bool escalate_after;		/* escalate() says yes from its 3rd call */
	unsigned escalations;
};

static struct decision fake_recheck(void *userdata)
{
	struct script *s = userdata;
	unsigned i = s->rechecks < s->n_recheck ? s->rechecks : s->n_recheck - 1;

	s->rechecks++;
	return s->recheck[i];
}

static enum escalation fake_escalate(void *userdata)
{
	struct script *s = userdata;

	return s->escalate_after && ++s->escalations >= 3 ? ESCALATION_STALL
							  : ESCALATION_NONE;
}

static const struct decision term = { .action = ACTION_TERM, .reason = REASON_PRESSURE };
static const struct decision kill_now = { .action = ACTION_KILL, .reason = REASON_FLOOR_KILL };
static const struct decision nothing = { .action = ACTION_NONE };

Test(act, kills_the_best_candidate_and_reports_it)
{
	pid_t a = spawn(false), b = spawn(false);
	struct candidate c[2] = { candidate_of(a), candidate_of(b) };
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	act_carry_out(&act, &term, c, 2, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_assert_not_null(res.victim);
	cr_expect_eq(res.victim->proc.pid, a);
	cr_expect_eq(res.decision.reason, REASON_PRESSURE);
	cr_expect_eq(res.outcome.last_signal, SIGTERM);
	cr_expect(res.outcome.exited);
	cr_expect_eq(s.rechecks, 1, "one re-check, right before the signal");
	cr_expect_eq(reap(a), SIGTERM);
	cr_expect_eq(reap(b), 0, "one shortage, one victim");
}

Test(act, a_candidate_that_is_gone_gives_way_to_the_next)
{
	pid_t gone = spawn(false), b = spawn(false);
	struct candidate c[2] = { candidate_of(gone), candidate_of(b) };
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	kill(gone, SIGKILL);
	cr_assert_eq(waitpid(gone, NULL, 0), gone);
	act_carry_out(&act, &term, c, 2, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_assert_not_null(res.victim);
	cr_expect_eq(res.victim->proc.pid, b);
	cr_expect_eq(s.rechecks, 2, "memory is judged again before each candidate");
	cr_expect_eq(reap(b), SIGTERM);
}

Test(act, a_reused_pid_is_never_signalled)
{
	pid_t b = spawn(false), self = getpid();
	struct candidate c[2] = { candidate_of(self), candidate_of(b) };
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	/* The first candidate names this very test process with another
	 * start time, as a pid reused since the scan would. */
	c[0].proc.starttime += 1;
	act_carry_out(&act, &term, c, 2, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.victim->proc.pid, b);
	cr_expect_eq(reap(b), SIGTERM);
}

Test(act, memory_back_before_the_signal_kills_nothing)
{
	pid_t a = spawn(false);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { nothing }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_RECOVERED);
	cr_expect_null(res.victim);
	cr_expect_eq(res.outcome.last_signal, 0);
	cr_expect_eq(reap(a), 0, "still alive");
}

Test(act, a_floor_crossed_before_the_signal_sends_sigkill_at_once)
{
	pid_t a = spawn(true);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { kill_now }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.decision.reason, REASON_FLOOR_KILL);
	cr_expect_eq(res.outcome.last_signal, SIGKILL);
	cr_expect_eq(res.outcome.escalation, ESCALATION_NONE);
	cr_expect_eq(reap(a), SIGKILL);
}

Test(act, the_loop_is_asked_while_a_victim_ignores_sigterm)
{
	pid_t a = spawn(true);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { term }, .n_recheck = 1, .escalate_after = true };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.outcome.last_signal, SIGKILL);
	cr_expect_eq(res.outcome.escalation, ESCALATION_STALL);
	cr_expect_eq(s.escalations, 3, "SIGKILL as soon as the loop said so, not at the timeout");
	cr_expect_eq(reap(a), SIGKILL);
}

Test(act, the_kill_timeout_escalates_without_the_loop)
{
	pid_t a = spawn(true);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.outcome.last_signal, SIGKILL);
	cr_expect_eq(res.outcome.escalation, ESCALATION_TIMEOUT);
	cr_expect_geq(res.outcome.waited_ms, 1000);
	cr_expect_eq(reap(a), SIGKILL);
}

Test(act, no_candidate_left_is_said)
{
	pid_t gone = spawn(false);
	struct candidate c = candidate_of(gone);
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	kill(gone, SIGKILL);
	cr_assert_eq(waitpid(gone, NULL, 0), gone);
	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_NO_VICTIM);
	cr_expect_null(res.victim);
}

/* A pre-kill hook that waits `sleep` seconds, then writes the victim's
 * state letter (S alive, Z killed) and its OOMGUARD_CMDLINE to dir/seen. */
static const char *write_pre_kill_hook(char *dir, const char *sleep)
{
	static char path[128];
	char text[512];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pre-kill", dir);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\nsleep %s\n"
		 "{ sed -n 's/^State:[[:space:]]*\\(.\\).*/\\1/p' /proc/$OOMGUARD_PID/status\n"
		 "  printf '%%s\\n' \"$OOMGUARD_CMDLINE\"; } > %s/seen.tmp\n"
		 "mv %s/seen.tmp %s/seen\n", sleep, dir, dir, dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0700), 0);
	return path;
}

/* Kill a child with cfg's pre-kill hook, wait for the hook to finish and
 * return what it saw (in buf). */
static const char *kill_with_hook(const char *dir, char *buf, size_t len)
{
	pid_t a = spawn(false);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;
	char seen[160];

	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	for (int i = 0; i < 1000 && hook_running(&hooks); i++) {
		hook_reap(&hooks);
		usleep(10000);
	}
	cr_expect_eq(hook_running(&hooks), 0, "the hook did not finish in 10 s");
	/* Reaped only now: until then a killed victim is a zombie, Z. */
	cr_expect_eq(reap(a), SIGTERM);
	snprintf(seen, sizeof(seen), "%s/seen", dir);
	return fixture_read(seen, buf, len) ? buf : "";
}

/* earlyoom gives its -P hook 200 ms with the victim alive (a heap dump, a
 * note of its state); here --pre-kill-wait bounds it. */
Test(act, the_pre_kill_hook_sees_the_victim_alive_within_its_wait)
{
	char dir[] = "/tmp/oomguard-act-XXXXXX", buf[512], cmd[64], self[256] = "";
	const char *hook = write_pre_kill_hook(dir, "0.2");

	config_free(&cfg);
	/* A long wait, so that a slow machine still starts the hook in it. */
	cfg = CFG("--kill-timeout", "1", "--pre-kill", hook, "--pre-kill-wait", "5",);
	cr_expect_eq(kill_with_hook(dir, buf, sizeof(buf))[0], 'S', "the hook saw: %s", buf);
	/* The hook had the victim's command line, a fork of this process's. */
	cr_assert_not_null(fixture_read("/proc/self/cmdline", self, sizeof(self)));
	cr_expect(self[0] && strstr(buf, self) != NULL, "'%s' not in %s", self, buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(act, a_pre_kill_hook_that_takes_longer_does_not_hold_the_kill)
{
	char dir[] = "/tmp/oomguard-act-XXXXXX", buf[512], cmd[64];
	const char *hook = write_pre_kill_hook(dir, "2");

	config_free(&cfg);
	cfg = CFG("--kill-timeout", "1", "--pre-kill", hook, "--pre-kill-wait", "0.2",);
	cr_expect_eq(kill_with_hook(dir, buf, sizeof(buf))[0], 'Z',
		     "the victim was killed after 0.2 s, while the hook slept 2 s: %s", buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* Signal first, the words after. stderr is a pipe already full that nobody
 * reads, so the first line logged blocks; a helper thread watches whether
 * the victim dies while the log is stuck, and only then (or after 3 s)
 * drains the pipe. A notice written before the signal would hold the kill
 * until the drain. */
struct stuck_log {
	int read_fd;
	pid_t victim;
	bool died_while_stuck;
};

static void *drain_after_victim_dies(void *arg)
{
	struct stuck_log *sl = arg;
	char buf[4096];

	for (int i = 0; i < 300 && !sl->died_while_stuck; i++) {
		siginfo_t info = { 0 };

		if (waitid(P_PID, (id_t)sl->victim, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == sl->victim)
			sl->died_while_stuck = true;
		else
			usleep(10000);
	}
	fcntl(sl->read_fd, F_SETFL, O_NONBLOCK);
	/* Until the writer is done: it closes its end at the end of the test. */
	for (;;) {
		ssize_t n = read(sl->read_fd, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0)
			usleep(1000);
	}
	return NULL;
}

Test(act, the_signal_goes_out_before_the_notice_is_written)
{
	pid_t a = spawn(false);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { kill_now }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;
	struct stuck_log sl = { .victim = a };
	int pipefd[2], saved;
	pthread_t drainer;
	char fill[4096] = { 0 };

	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	fcntl(pipefd[1], F_SETPIPE_SZ, 4096);
	fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
	while (write(pipefd[1], fill, sizeof(fill)) > 0)
		;
	cr_assert_eq(errno, EAGAIN);
	fcntl(pipefd[1], F_SETFL, 0);
	sl.read_fd = pipefd[0];
	saved = dup(STDERR_FILENO);
	dup2(pipefd[1], STDERR_FILENO);
	close(pipefd[1]);
	cr_assert_eq(pthread_create(&drainer, NULL, drain_after_victim_dies, &sl), 0);

	act_carry_out(&act, &kill_now, &c, 1, &cb, &res);

	dup2(saved, STDERR_FILENO);
	close(saved);
	pthread_join(drainer, NULL);
	close(pipefd[0]);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect(sl.died_while_stuck, "the log held the signal back");
	cr_expect_eq(reap(a), SIGKILL);
}

/* A child running as uid nobody, which we cannot signal once CAP_KILL is
 * out of our effective set. */
static pid_t spawn_nobody(void)
{
	return spawn_with(&(struct spawn_opts){ .uid = 65534 });
}

/* Set or clear CAP_KILL in our effective set (it stays permitted). */
static bool effective_kill(bool on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0 ||
	    !(data[CAP_TO_INDEX(CAP_KILL)].permitted & CAP_TO_MASK(CAP_KILL)))
		return false;
	if (on)
		data[CAP_TO_INDEX(CAP_KILL)].effective |= CAP_TO_MASK(CAP_KILL);
	else
		data[CAP_TO_INDEX(CAP_KILL)].effective &= ~CAP_TO_MASK(CAP_KILL);
	return syscall(SYS_capset, &hdr, data) == 0;
}

Test(act, every_candidate_refusing_with_eperm_says_eperm)
{
	pid_t a, b;
	struct candidate c[2];
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	if (geteuid() != 0)
		cr_skip("needs root, to start children as another uid");
	a = spawn_nobody();
	b = spawn_nobody();
	c[0] = candidate_of(a);
	c[1] = candidate_of(b);
	if (!effective_kill(false))
		cr_skip("no CAP_KILL to give up");
	act_carry_out(&act, &term, c, 2, &cb, &res);
	cr_assert(effective_kill(true));
	cr_expect_eq(res.status, ACT_NO_VICTIM);
	cr_expect_eq(res.error, -EPERM);
	cr_expect_eq(s.rechecks, 2, "both were tried");
	cr_expect_eq(reap(a), 0, "still alive");
	cr_expect_eq(reap(b), 0, "still alive");

	/* Vanished ones alone are no EPERM. */
	a = spawn(false);
	c[0] = candidate_of(a);
	kill(a, SIGKILL);
	cr_assert_eq(waitpid(a, NULL, 0), a);
	act_carry_out(&act, &term, c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_NO_VICTIM);
	cr_expect_eq(res.error, 0);
}

/* The pre-kill hook runs once the victim is pinned and proved to be the
 * process sampled, right before its signal: never for a candidate whose pid
 * was reused, one that vanished, or one that would refuse the signal. The
 * hook appends $OOMGUARD_PID to dir/ran. */
Test(act, the_pre_kill_hook_runs_only_for_the_victim_signalled)
{
	char dir[] = "/tmp/oomguard-act-XXXXXX", path[128], ran[128], text[256], buf[256];
	char want[32], cmd[64];
	pid_t gone = spawn(false), b = spawn(false), self = getpid();
	struct candidate c[3] = { candidate_of(self), candidate_of(gone), candidate_of(b) };
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pre-kill", dir);
	snprintf(ran, sizeof(ran), "%s/ran", dir);
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"$OOMGUARD_PID\" >> %s\n", ran);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0700), 0);
	config_free(&cfg);
	cfg = CFG("--kill-timeout", "1", "--pre-kill", path, "--pre-kill-wait", "5",);

	/* This very test process with another start time: a reused pid. */
	c[0].proc.starttime += 1;
	kill(gone, SIGKILL);
	cr_assert_eq(waitpid(gone, NULL, 0), gone);
	act_carry_out(&act, &term, c, 3, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_assert_not_null(res.victim);
	cr_expect_eq(res.victim->proc.pid, b);
	for (int i = 0; i < 1000 && hook_running(&hooks); i++) {
		hook_reap(&hooks);
		usleep(10000);
	}
	cr_expect_eq(reap(b), SIGTERM);
	snprintf(want, sizeof(want), "%d\n", (int)b);
	cr_expect_str_eq(fixture_read(ran, buf, sizeof(buf)) ? buf : "", want,
			 "the hook ran for: %s", buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* The seam for a victim that outlives SIGKILL (D state, memory the reaper
 * cannot free): the first pid handed to it is "sent SIGKILL" and reported
 * still there; nothing is signalled. Anyone else gets the real kill. */
static pid_t stuck_pid;
static unsigned stuck_calls;

static int kill_stuck_first(const struct kill_ctx *ctx, const struct kill_request *req,
			    struct kill_outcome *out)
{
	if (req->victim->pid != stuck_pid)
		return kill_execute(ctx, req, out);
	stuck_calls++;
	memset(out, 0, sizeof(*out));
	out->last_signal = SIGKILL;
	out->waited_ms = KILL_FINAL_WAIT_MS;
	return -ETIMEDOUT;
}

/* The candidate as the selection sees it: with memory, a's the most. */
static struct candidate selectable(pid_t pid, uint64_t rss_kib)
{
	struct candidate c = candidate_of(pid);

	c.proc.has_mm = true;
	c.proc.rss_kib = rss_kib;
	c.proc.uid = 1000;
	return c;
}

/* Select over the two, with act's skip set, as the loop does. */
static const struct candidate *select_from(struct selection *sel, const struct candidate *a,
					   const struct candidate *b)
{
	select_init(sel, &cfg, getpid(), 1000000, 4);
	select_set_skip(sel, &act.skip);
	select_visit(&a->proc, NULL, sel);
	select_visit(&b->proc, NULL, sel);
	return sel->n_best ? &sel->best[0] : NULL;
}

Test(act, a_victim_that_outlives_sigkill_is_not_chosen_again)
{
	pid_t a = spawn(false), b = spawn(false);
	struct candidate ca = selectable(a, 900000), cb_ = selectable(b, 100000);
	struct script s = { .recheck = { kill_now }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;
	struct selection sel;
	const struct candidate *best;

	stuck_pid = a;
	act.kill_fn = kill_stuck_first;

	/* Tick 1: a is chosen, "survives" SIGKILL. */
	best = select_from(&sel, &ca, &cb_);
	cr_assert_not_null(best);
	cr_assert_eq(best->proc.pid, a);
	act_carry_out(&act, &kill_now, sel.best, sel.n_best, &cb, &res);
	cr_expect_eq(res.status, ACT_FAILED);
	cr_expect_eq(res.error, -ETIMEDOUT);
	cr_expect_eq(act.skip.n, 1);

	/* Tick 2: a is still there, yet b is the one tried now. */
	best = select_from(&sel, &ca, &cb_);
	cr_assert_not_null(best);
	cr_expect_eq(best->proc.pid, b, "the stuck victim was chosen again");
	cr_expect_eq(sel.n_stuck, 1);
	act_carry_out(&act, &kill_now, sel.best, sel.n_best, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.victim->proc.pid, b);
	cr_expect_eq(stuck_calls, 1, "SIGKILL was 'sent' to the stuck victim once");
	cr_expect_eq(reap(b), SIGKILL);
	cr_expect_eq(reap(a), 0, "a was never really signalled");

	/* a is gone now: its entry drops out at the next kill. */
	act_carry_out(&act, &kill_now, NULL, 0, &cb, &res);
	cr_expect_eq(act.skip.n, 0);
	act.kill_fn = NULL;
}

/* A child that, once told through the returned pipe, execs sleep: same pid
 * and start time, a new comm and command line. */
static pid_t spawn_exec_later(int *go)
{
	int ready[2], go_pipe[2];
	char byte;
	pid_t pid;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(go_pipe, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		close(ready[0]);
		close(go_pipe[1]);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		if (read(go_pipe[0], &byte, 1) != 1)
			_exit(4);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(5);
	}
	close(ready[1]);
	close(go_pipe[0]);
	cr_assert_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	*go = go_pipe[1];
	return pid;
}

/* Wait until pid's comm reads want. */
static void wait_comm(pid_t pid, const char *want)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 500; i++) {
		if (fixture_read(path, buf, sizeof(buf)) && strncmp(buf, want, strlen(want)) == 0 &&
		    buf[strlen(want)] == '\n')
			return;
		usleep(10000);
	}
	cr_assert_fail("pid %d never became %s", (int)pid, want);
}

/* Selected as what it was at the scan, then it execs into something the
 * policy protects: the re-check on the pinned victim leaves it alone. */
Test(act, a_victim_that_execs_into_a_protected_name_is_left_alone)
{
	int go;
	pid_t a = spawn_exec_later(&go), b = spawn(false);
	struct candidate c[2] = { candidate_of(a), candidate_of(b) };
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;
	char path[64], buf[2048];
	struct proc_sample after = { 0 };

	config_free(&cfg);
	cfg = CFG("--kill-timeout", "1", "--ignore", "^sleep$",);
	cr_assert_str_neq(c[0].proc.comm, "sleep");
	cr_assert_eq(write(go, "g", 1), 1);
	close(go);
	wait_comm(a, "sleep");
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)a);
	cr_assert_not_null(fixture_read(path, buf, sizeof(buf)));
	cr_assert_eq(pidinfo_parse_stat(buf, &after), 0);
	cr_assert_eq(after.starttime, c[0].proc.starttime, "exec keeps the identity");

	act_carry_out(&act, &term, c, 2, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_assert_not_null(res.victim);
	cr_expect_eq(res.victim->proc.pid, b, "the protected process was killed");
	cr_expect_eq(reap(a), 0, "still alive");
	cr_expect_eq(reap(b), SIGTERM);
}

/* The same through the command line: the scan saw no "--protect-me". */
Test(act, a_victim_whose_cmdline_is_now_ignored_is_left_alone)
{
	int go;
	pid_t a = spawn_exec_later(&go);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	config_free(&cfg);
	cfg = CFG("--kill-timeout", "1", "--ignore", "cmdline:^sleep 30$",);
	cr_assert_eq(write(go, "g", 1), 1);
	close(go);
	wait_comm(a, "sleep");
	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_NO_VICTIM);
	cr_expect_eq(res.error, 0, "protected is not EPERM");
	cr_expect_eq(reap(a), 0, "still alive");
}

/* --- -g and --kill-cgroup spare the members the policy protects --- */

/* A child in process group pgrp (0: a new one of its own), named comm
 * (NULL: inherited), running as uid (0: stay root); SIGTERM kills it. */
static pid_t spawn_member(pid_t pgrp, const char *comm, uid_t uid)
{
	return spawn_with(&(struct spawn_opts){ .set_pgrp = true, .pgrp = pgrp, .comm = comm,
						.uid = uid });
}

Test(act, the_process_group_spares_what_ignore_protects)
{
	pid_t a = spawn_member(0, NULL, 0);
	pid_t b = spawn_member(a, NULL, 0), p = spawn_member(a, "protected", 0);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	config_free(&cfg);
	cfg = CFG("--kill-timeout", "1", "-g", "--ignore", "^protected$",);
	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.outcome.scope, KILL_SCOPE_GROUP);
	cr_expect_eq(res.outcome.spared, 1);
	cr_expect_eq(reap(a), SIGTERM);
	usleep(100000);
	cr_expect_eq(reap(b), SIGTERM, "an unprotected member was not signalled");
	cr_expect_eq(reap(p), 0, "the --ignore'd member was signalled with its group");
}

Test(act, the_process_group_spares_root_with_ignore_root_user)
{
	pid_t a, b, p;
	struct candidate c;
	struct script s = { .recheck = { kill_now }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	if (geteuid() != 0)
		cr_skip("needs root, to start members as another uid");
	a = spawn_member(0, NULL, 65534);
	b = spawn_member(a, NULL, 65534);
	p = spawn_member(a, NULL, 0);
	c = candidate_of(a);
	c.proc.uid = 65534;
	config_free(&cfg);
	cfg = CFG("--kill-timeout", "1", "-g", "--ignore-root-user",);
	act_carry_out(&act, &kill_now, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.outcome.spared, 1);
	cr_expect_eq(reap(a), SIGKILL);
	usleep(100000);
	cr_expect_eq(reap(b), SIGKILL);
	cr_expect_eq(reap(p), 0, "the root member was killed with its group");
}

Test(act, a_group_with_no_protected_member_is_signalled_whole)
{
	pid_t a = spawn_member(0, NULL, 0), b = spawn_member(a, NULL, 0);
	struct candidate c = candidate_of(a);
	struct script s = { .recheck = { term }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	config_free(&cfg);
	cfg = CFG("--kill-timeout", "1", "-g", "--ignore", "^protected$",);
	act_carry_out(&act, &term, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.outcome.spared, 0);
	cr_expect_eq(reap(a), SIGTERM);
	usleep(100000);
	cr_expect_eq(reap(b), SIGTERM);
}

/* The same inside a cgroup v2 made for the test, when one can be. */
static char act_cg[256];

static bool cg_make(void)
{
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		snprintf(act_cg, sizeof(act_cg), "/sys/fs/cgroup/unified/oomguard-act-%d",
			 (int)getpid());
	else if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		snprintf(act_cg, sizeof(act_cg), "/sys/fs/cgroup/oomguard-act-%d", (int)getpid());
	else
		return false;
	return mkdir(act_cg, 0755) == 0;
}

static void cg_move(pid_t pid)
{
	char file[300], num[16];
	int fd, len;

	snprintf(file, sizeof(file), "%s/cgroup.procs", act_cg);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", file, strerror(errno));
	len = snprintf(num, sizeof(num), "%d", (int)pid);
	cr_assert_eq(write(fd, num, (size_t)len), len);
	close(fd);
}

Test(act, the_cgroup_spares_what_ignore_protects)
{
	pid_t a, b, p;
	struct candidate c;
	struct script s = { .recheck = { kill_now }, .n_recheck = 1 };
	struct act_callbacks cb = { .recheck = fake_recheck, .escalate = fake_escalate, .userdata = &s };
	struct act_result res;

	if (!cg_make())
		cr_skip("no writable cgroup v2 hierarchy here: --kill-cgroup protection untested");
	a = spawn_member(0, NULL, 0);
	b = spawn_member(0, NULL, 0);
	p = spawn_member(0, "protected", 0);
	cg_move(a);
	cg_move(b);
	cg_move(p);
	c = candidate_of(a);
	config_free(&cfg);
	cfg = CFG("--kill-timeout", "1", "--kill-cgroup", "--ignore", "^protected$",);
	kill_init(&act.kill, &proc, &cgroups);
	act_carry_out(&act, &kill_now, &c, 1, &cb, &res);
	cr_expect_eq(res.status, ACT_KILLED);
	cr_expect_eq(res.outcome.scope, KILL_SCOPE_CGROUP);
	cr_expect_eq(res.outcome.spared, 1);
	cr_expect_eq(reap(a), SIGKILL);
	usleep(100000);
	cr_expect_eq(reap(b), SIGKILL, "an unprotected member was not killed");
	cr_expect_eq(reap(p), 0, "cgroup.kill took the --ignore'd member too");
	for (int i = 0; i < 100 && rmdir(act_cg) < 0 && errno == EBUSY; i++)
		usleep(10000);
}
