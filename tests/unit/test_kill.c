/* kill_execute against children this test forks, and only those: every
 * victim is our own child (or grandchild-free process group / cgroup made
 * for the test), dies with its parent (PR_SET_PDEATHSIG), and is reaped
 * here. Tests that exercise refusals point the context's "self" at a group
 * or cgroup the test created, so that a bug would hit only our children. */
#define _GNU_SOURCE	/* pipe2 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "act/kill.h"
#include "parse/pidinfo.h"
#include "acquire/procfs.h"
#include "fixture.h"

enum child_kind {
	CHILD_DEFAULT,		/* SIGTERM kills it */
	CHILD_IGNORE_TERM,	/* SIGTERM ignored: needs SIGKILL */
};

struct child {
	pid_t pid;
	int go_fd;		/* closing it makes the child exit(0) */
};

static struct procfs proc = PROCFS_INIT;
static struct kill_ctx ctx = KILL_CTX_INIT;
/* This machine's cgroup2 mount, if any, as main.c opens it. */
static struct cgroupfs cgroups = CGROUPFS_INIT;

static void setup(void)
{
	cr_assert_eq(procfs_open(&proc, "/proc"), 0);
	cgroupfs_open(&cgroups, NULL);
	kill_init(&ctx, &proc, &cgroups);
}

static void teardown(void)
{
	cgroupfs_close(&cgroups);
	procfs_close(&proc);
}

/* Fork a child that sets its SIGTERM disposition, joins process group pgrp
 * (0: a new one of its own, -1: stay in ours), reports ready and then waits
 * for go_fd to close. */
static struct child spawn(enum child_kind kind, pid_t pgrp)
{
	int ready[2], go[2];
	struct child c;
	char byte;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	c.pid = fork();
	cr_assert_geq(c.pid, 0);
	if (c.pid == 0) {
		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		if (pgrp >= 0 && setpgid(0, pgrp) < 0)
			_exit(2);
		if (kind == CHILD_IGNORE_TERM)
			signal(SIGTERM, SIG_IGN);
		close(ready[0]);
		close(go[1]);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		while (read(go[0], &byte, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	/* Both sides call setpgid so the group exists whoever runs first. */
	if (pgrp >= 0)
		setpgid(c.pid, pgrp);
	close(ready[1]);
	close(go[0]);
	cr_assert_eq(read(ready[0], &byte, 1), 1, "child did not start");
	close(ready[0]);
	c.go_fd = go[1];
	return c;
}

static void sample_of(pid_t pid, struct proc_sample *s)
{
	char path[32], buf[2048];

	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	cr_assert_gt(procfs_read_file(proc.root_fd, path, buf, sizeof(buf)), 0);
	memset(s, 0, sizeof(*s));
	cr_assert_eq(pidinfo_parse_stat(buf, s), 0);
}

/* Wait up to ms for pid to end; returns its wait status, or -1 after
 * SIGKILLing (our own child) and reaping it when it did not end in time. */
static int reap_within(pid_t pid, int ms)
{
	int status;

	for (int waited = 0; waited < ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		cr_assert_eq(r, 0, "waitpid: %s", strerror(errno));
		poll(NULL, 0, 10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* True when our child pid is still running after a grace of ms. */
static bool alive_after(pid_t pid, int ms)
{
	int status;

	poll(NULL, 0, ms);
	return waitpid(pid, &status, WNOHANG) == 0;
}

static void finish(struct child *c)
{
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->go_fd);
}

static void expect_killed_by(pid_t pid, int sig)
{
	int status = reap_within(pid, 3000);

	cr_assert_neq(status, -1, "pid %d did not die", (int)pid);
	cr_assert(WIFSIGNALED(status), "pid %d exited with status %d instead", (int)pid,
		  WEXITSTATUS(status));
	cr_assert_eq(WTERMSIG(status), sig, "pid %d died of signal %d, not %d", (int)pid,
		     WTERMSIG(status), sig);
}

TestSuite(kill, .init = setup, .fini = teardown, .timeout = 30);

Test(kill, sigterm_honoured)
{
	struct child c = spawn(CHILD_DEFAULT, -1);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = { .victim = &v, .first_signal = SIGTERM, .timeout_ms = 5000 };

	sample_of(c.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.last_signal, SIGTERM);
	cr_expect(out.exited);
	cr_expect_eq(out.scope, KILL_SCOPE_PROCESS);
	cr_expect_lt(out.waited_ms, 5000);
	/* Exited on SIGTERM: no SIGKILL, so no process_mrelease either. */
	cr_expect_not(out.released);
	expect_killed_by(c.pid, SIGTERM);
	close(c.go_fd);
}

Test(kill, sigterm_ignored_escalates_after_timeout)
{
	struct child c = spawn(CHILD_IGNORE_TERM, -1);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = { .victim = &v, .first_signal = SIGTERM, .timeout_ms = 300 };

	sample_of(c.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.last_signal, SIGKILL);
	cr_expect(out.exited);
	cr_expect_geq(out.waited_ms, 300);
	cr_expect_lt(out.waited_ms, 300 + KILL_FINAL_WAIT_MS);
	if (kill_have_mrelease())
		cr_expect(out.released, "process_mrelease after SIGKILL did not succeed");
	expect_killed_by(c.pid, SIGKILL);
	close(c.go_fd);
}

static enum escalation escalate_on_second_call(void *userdata)
{
	unsigned *calls = userdata;

	return ++*calls >= 2 ? ESCALATION_FLOOR : ESCALATION_NONE;
}

Test(kill, escalate_callback_sends_sigkill_early)
{
	struct child c = spawn(CHILD_IGNORE_TERM, -1);
	struct proc_sample v;
	struct kill_outcome out;
	unsigned calls = 0;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGTERM, .timeout_ms = 20000,
		.escalate = escalate_on_second_call, .userdata = &calls,
	};

	sample_of(c.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(calls, 2);
	cr_expect_eq(out.last_signal, SIGKILL);
	cr_expect_eq(out.escalation, ESCALATION_FLOOR, "the callback's reason is kept");
	/* Two polling slices, not the 20 s timeout. */
	cr_expect_lt(out.waited_ms, 2000, "waited %u ms", out.waited_ms);
	cr_expect_geq(out.waited_ms, KILL_POLL_SLICE_MS);
	expect_killed_by(c.pid, SIGKILL);
	close(c.go_fd);
}

Test(kill, sigkill_first_then_process_mrelease)
{
	struct child c = spawn(CHILD_DEFAULT, -1);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = { .victim = &v, .first_signal = SIGKILL, .timeout_ms = 5000 };

	sample_of(c.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.last_signal, SIGKILL);
	cr_expect(out.exited);
	expect_killed_by(c.pid, SIGKILL);
	close(c.go_fd);
	if (!kill_have_mrelease())
		cr_skip("process_mrelease is not available on this kernel");
	cr_expect(out.released);
}

Test(kill, stale_starttime_is_not_signalled)
{
	struct child c = spawn(CHILD_DEFAULT, -1);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = { .victim = &v, .first_signal = SIGTERM, .timeout_ms = 300 };

	/* As if the sampled process had exited and the pid been reused by
	 * this child: same pid, different starttime. */
	sample_of(c.pid, &v);
	v.starttime += 1;
	cr_assert_eq(kill_execute(&ctx, &req, &out), -ESRCH);
	cr_expect_eq(out.last_signal, 0);
	cr_assert(alive_after(c.pid, 200), "a process with a stale identity was signalled");
	finish(&c);
}

Test(kill, reaped_victim_is_esrch)
{
	struct child c = spawn(CHILD_DEFAULT, -1);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = { .victim = &v, .first_signal = SIGTERM, .timeout_ms = 300 };
	int status;

	sample_of(c.pid, &v);
	close(c.go_fd);
	cr_assert_eq(waitpid(c.pid, &status, 0), c.pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(kill_execute(&ctx, &req, &out), -ESRCH);
	cr_expect_eq(out.last_signal, 0);
	cr_expect_not(out.exited);
}

Test(kill, zombie_victim_is_esrch)
{
	struct child c = spawn(CHILD_DEFAULT, -1);
	struct proc_sample v, now;
	struct kill_outcome out;
	struct kill_request req = { .victim = &v, .first_signal = SIGTERM, .timeout_ms = 300 };
	int status;

	sample_of(c.pid, &v);
	close(c.go_fd);
	for (int i = 0; i < 300; i++) {
		sample_of(c.pid, &now);
		if (now.state == 'Z')
			break;
		poll(NULL, 0, 10);
	}
	cr_assert_eq(now.state, 'Z', "child did not become a zombie");
	cr_assert_eq(kill_execute(&ctx, &req, &out), -ESRCH);
	cr_expect_eq(out.last_signal, 0);
	cr_assert_eq(waitpid(c.pid, &status, 0), c.pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(kill, refuses_pid_1_0_and_self)
{
	/* starttime UINT64_MAX: even without the guard the identity check
	 * would refuse these, so this test can never signal them. */
	struct proc_sample v = { .starttime = UINT64_MAX };
	struct kill_outcome out;
	struct kill_request req = { .victim = &v, .first_signal = SIGTERM, .timeout_ms = 300 };

	v.pid = 1;
	cr_expect_eq(kill_execute(&ctx, &req, &out), -EINVAL);
	v.pid = 0;
	cr_expect_eq(kill_execute(&ctx, &req, &out), -EINVAL);
	v.pid = getpid();
	cr_expect_eq(kill_execute(&ctx, &req, &out), -EINVAL);
	cr_expect_eq(out.last_signal, 0);
}

Test(kill, process_group_all_members_die)
{
	struct child leader = spawn(CHILD_DEFAULT, 0);
	struct child m1 = spawn(CHILD_DEFAULT, leader.pid);
	struct child m2 = spawn(CHILD_DEFAULT, leader.pid);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGTERM, .timeout_ms = 3000, .group = true,
	};

	sample_of(leader.pid, &v);
	cr_assert_eq(v.pgrp, leader.pid);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.scope, KILL_SCOPE_GROUP);
	cr_expect_eq(out.last_signal, SIGTERM);
	expect_killed_by(leader.pid, SIGTERM);
	expect_killed_by(m1.pid, SIGTERM);
	expect_killed_by(m2.pid, SIGTERM);
	close(leader.go_fd);
	close(m1.go_fd);
	close(m2.go_fd);
}

Test(kill, process_group_escalates_to_sigkill)
{
	struct child leader = spawn(CHILD_IGNORE_TERM, 0);
	struct child m1 = spawn(CHILD_IGNORE_TERM, leader.pid);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGTERM, .timeout_ms = 300, .group = true,
	};

	sample_of(leader.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.scope, KILL_SCOPE_GROUP);
	cr_expect_eq(out.last_signal, SIGKILL);
	expect_killed_by(leader.pid, SIGKILL);
	expect_killed_by(m1.pid, SIGKILL);
	close(leader.go_fd);
	close(m1.go_fd);
}

Test(kill, own_process_group_is_refused)
{
	struct child leader = spawn(CHILD_DEFAULT, 0);
	struct child m1 = spawn(CHILD_DEFAULT, leader.pid);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGTERM, .timeout_ms = 3000, .group = true,
	};

	/* Pretend oomguard lives in the group we just made: the refusal is
	 * tested without ever aiming at a group this test did not create. */
	ctx.self_pgrp = leader.pid;
	sample_of(leader.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.scope, KILL_SCOPE_PROCESS);
	expect_killed_by(leader.pid, SIGTERM);
	cr_expect(alive_after(m1.pid, 200), "a member of oomguard's own group was signalled");
	finish(&m1);
	close(leader.go_fd);
}

Test(kill, group_allowed_never_0_1_or_own)
{
	cr_expect_not(kill_group_allowed(0, 500));
	cr_expect_not(kill_group_allowed(1, 500));
	cr_expect_not(kill_group_allowed(-1, 500));
	cr_expect_not(kill_group_allowed(-500, 500));
	cr_expect_not(kill_group_allowed(500, 500));
	cr_expect(kill_group_allowed(501, 500));
	cr_expect(kill_group_allowed(2, 500));
}

Test(kill, without_pidfd_falls_back_to_kill)
{
	struct child c = spawn(CHILD_IGNORE_TERM, -1);
	struct child d = spawn(CHILD_DEFAULT, -1);
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = { .victim = &v, .first_signal = SIGTERM, .timeout_ms = 300 };

	ctx.have_pidfd = false;
	sample_of(d.pid, &v);
	v.starttime += 1;
	cr_assert_eq(kill_execute(&ctx, &req, &out), -ESRCH);
	cr_assert(alive_after(d.pid, 100), "stale identity signalled without pidfd");

	sample_of(c.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.last_signal, SIGKILL);
	cr_expect(out.exited);
	cr_expect_not(out.released, "process_mrelease needs a pidfd");
	cr_expect_geq(out.waited_ms, 300);
	expect_killed_by(c.pid, SIGKILL);
	close(c.go_fd);

	sample_of(d.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.last_signal, SIGTERM);
	expect_killed_by(d.pid, SIGTERM);
	close(d.go_fd);
}

/* The cached probes against the kernel asked afresh, here and not through
 * the code under test: a cache that says "no pidfd" on a kernel that has it
 * would quietly send every kill through kill(2) and its pid-reuse race. */
Test(kill, pidfd_probe_agrees_with_context)
{
	long fd = syscall(SYS_pidfd_open, getpid(), 0);
	int open_errno = errno;
	/* As the probe reads it: ENOSYS (before 5.3) or EPERM (a seccomp
	 * filter) mean no pidfd; anything else, EMFILE say, says nothing. */
	bool fresh_pidfd = fd >= 0 || (open_errno != ENOSYS && open_errno != EPERM);
	bool fresh_mrelease;

	if (fd >= 0)
		close((int)fd);
	/* EBADF from a kernel that has process_mrelease, ENOSYS otherwise. */
	cr_assert_lt(syscall(SYS_process_mrelease, -1, 0), 0);
	fresh_mrelease = errno != ENOSYS;

	cr_expect_eq(kill_have_pidfd(), fresh_pidfd, "cached pidfd probe %d, kernel says %d",
		     kill_have_pidfd(), fresh_pidfd);
	cr_expect_eq(ctx.have_pidfd, fresh_pidfd, "kill_init took have_pidfd %d, kernel says %d",
		     ctx.have_pidfd, fresh_pidfd);
	cr_expect_eq(kill_have_mrelease(), fresh_mrelease, "cached mrelease probe %d, kernel says %d",
		     kill_have_mrelease(), fresh_mrelease);
	cr_expect_eq(ctx.self_pid, getpid());
	cr_expect_eq(ctx.self_pgrp, getpgrp());
}

/* --- cgroups: pure parts --- */

Test(kill, cgroup_allowed_refusals)
{
	cr_expect_not(kill_cgroup_allowed("/", "/system.slice/oomguard.service"));
	cr_expect_not(kill_cgroup_allowed("", "/system.slice/oomguard.service"));
	cr_expect_not(kill_cgroup_allowed("user.slice/a.scope", "/system.slice/oomguard.service"));
	cr_expect_not(kill_cgroup_allowed("/../../a.scope", "/system.slice/oomguard.service"));
	cr_expect_not(kill_cgroup_allowed("/user.slice/./a.scope", "/x.service"));
	cr_expect_not(kill_cgroup_allowed("/user.slice//a.scope", "/x.service"));
	cr_expect_not(kill_cgroup_allowed("/user.slice/a.scope/", "/x.service"));
	/* Our own cgroup, and any ancestor of it. */
	cr_expect_not(kill_cgroup_allowed("/system.slice/oomguard.service",
					  "/system.slice/oomguard.service"));
	cr_expect_not(kill_cgroup_allowed("/system.slice", "/system.slice/oomguard.service"));
	/* Unknown self: refuse everything. */
	cr_expect_not(kill_cgroup_allowed("/user.slice/a.scope", ""));
	/* A sibling sharing a prefix is not an ancestor. */
	cr_expect(kill_cgroup_allowed("/system.slice/oomguard", "/system.slice/oomguard.service"));
	cr_expect(kill_cgroup_allowed("/user.slice/user-1000.slice/app.scope",
				      "/system.slice/oomguard.service"));
	/* oomguard in the root cgroup (containers, tests): others are fine. */
	cr_expect(kill_cgroup_allowed("/user.slice/app.scope", "/"));
}

Test(kill, check_cgroup_reasons)
{
	struct kill_ctx c = KILL_CTX_INIT;

	cr_expect_eq(kill_check_cgroup(&c), -ENOENT);
	c.cgroup_root_fd = ctx.cgroup_root_fd >= 0 ? ctx.cgroup_root_fd : proc.root_fd;
	c.self_cgroup[0] = '\0';
	cr_expect_eq(kill_check_cgroup(&c), -ENODATA);
	snprintf(c.self_cgroup, sizeof(c.self_cgroup), "/system.slice/oomguard.service");
	cr_expect_eq(kill_check_cgroup(&c), 0);
}

Test(kill, init_without_a_cgroup_root_turns_kill_cgroup_off)
{
	struct kill_ctx c = KILL_CTX_INIT;
	struct cgroupfs none = CGROUPFS_INIT;

	cr_expect_eq(cgroupfs_open(&none, "/nonexistent/oomguard-cgroup-root"), -ENOENT);
	kill_init(&c, &proc, &none);
	cr_expect_eq(kill_check_cgroup(&c), -ENOENT);
	kill_init(&c, &proc, NULL);
	cr_expect_eq(kill_check_cgroup(&c), -ENOENT);
}

/* --- cgroups: real kills in a cgroup made for the test --- */

static char cg_mount[64];
static char cg_path[512];	/* as /proc/PID/cgroup shows it */
static char cg_dir[600];	/* cg_mount + cg_path */
static char fake_root[64];

static void cg_setup(void)
{
	static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	char self_cg[KILL_CGROUP_MAX], buf[8192];

	setup();
	for (size_t i = 0; i < 2; i++) {
		struct statfs sfs;

		if (statfs(mounts[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(cg_mount, sizeof(cg_mount), "%s", mounts[i]);
			break;
		}
	}
	if (!cg_mount[0])
		return;
	/* Make the test cgroup below our own, so that a delegated subtree
	 * (systemd Delegate=yes, a container) works as well as the root. */
	if (procfs_read_file(proc.root_fd, "self/cgroup", buf, sizeof(buf)) < 0 ||
	    pidinfo_parse_cgroup_v2(buf, self_cg, sizeof(self_cg)) < 0 || strlen(self_cg) > 400)
		return;
	snprintf(cg_path, sizeof(cg_path), "%s/oomguard-test-%d",
		 strcmp(self_cg, "/") == 0 ? "" : self_cg, (int)getpid());
	snprintf(cg_dir, sizeof(cg_dir), "%s%s", cg_mount, cg_path);
	if (mkdir(cg_dir, 0755) < 0)
		cg_dir[0] = '\0';
}

static void cg_teardown(void)
{
	if (cg_dir[0]) {
		/* An exited task leaves the cgroup asynchronously: retry EBUSY. */
		for (int i = 0; i < 100 && rmdir(cg_dir) < 0 && errno == EBUSY; i++)
			poll(NULL, 0, 10);
	}
	if (fake_root[0]) {
		char p[700];

		snprintf(p, sizeof(p), "%s%s/cgroup.procs", fake_root, cg_path);
		unlink(p);
		snprintf(p, sizeof(p), "%s%s", fake_root, cg_path);
		rmdir(p);
		rmdir(fake_root);
	}
	teardown();
}

static void cg_require(void)
{
	if (!cg_mount[0])
		cr_skip("no cgroup2 mount");
	if (!cg_dir[0])
		cr_skip("cannot create a cgroup under %s (not root, or not delegated)", cg_mount);
}

static void cg_enter(pid_t pid)
{
	char file[700], num[16];
	int fd, len;

	snprintf(file, sizeof(file), "%s/cgroup.procs", cg_dir);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", file, strerror(errno));
	len = snprintf(num, sizeof(num), "%d", (int)pid);
	cr_assert_eq(write(fd, num, (size_t)len), len, "moving %d: %s", (int)pid, strerror(errno));
	close(fd);
}

Test(kill, cgroup_kill_takes_every_member, .init = cg_setup, .fini = cg_teardown)
{
	struct child a, b, c;
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGKILL, .timeout_ms = 3000, .cgroup = true,
	};

	cg_require();
	a = spawn(CHILD_IGNORE_TERM, -1);
	b = spawn(CHILD_IGNORE_TERM, -1);
	c = spawn(CHILD_DEFAULT, -1);
	cg_enter(a.pid);
	cg_enter(b.pid);
	/* c stays outside: it must survive. */
	sample_of(a.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.scope, KILL_SCOPE_CGROUP);
	cr_expect_str_eq(out.cgroup, cg_path);
	cr_expect_eq(out.last_signal, SIGKILL);
	expect_killed_by(a.pid, SIGKILL);
	expect_killed_by(b.pid, SIGKILL);
	cr_expect(alive_after(c.pid, 100), "a process outside the cgroup was killed");
	finish(&c);
	close(a.go_fd);
	close(b.go_fd);
}

Test(kill, cgroup_sigterm_reaches_every_member, .init = cg_setup, .fini = cg_teardown)
{
	struct child a, b;
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGTERM, .timeout_ms = 3000, .cgroup = true,
	};

	cg_require();
	a = spawn(CHILD_DEFAULT, -1);
	b = spawn(CHILD_DEFAULT, -1);
	cg_enter(a.pid);
	cg_enter(b.pid);
	sample_of(a.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.scope, KILL_SCOPE_CGROUP);
	cr_expect_eq(out.last_signal, SIGTERM);
	expect_killed_by(a.pid, SIGTERM);
	expect_killed_by(b.pid, SIGTERM);
	close(a.go_fd);
	close(b.go_fd);
}

Test(kill, own_cgroup_is_refused, .init = cg_setup, .fini = cg_teardown)
{
	struct child a, b;
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGTERM, .timeout_ms = 3000, .cgroup = true,
	};

	cg_require();
	a = spawn(CHILD_DEFAULT, -1);
	b = spawn(CHILD_DEFAULT, -1);
	cg_enter(a.pid);
	cg_enter(b.pid);
	/* Pretend oomguard lives in the test's cgroup. */
	snprintf(ctx.self_cgroup, sizeof(ctx.self_cgroup), "%s", cg_path);
	sample_of(a.pid, &v);
	cr_assert_eq(kill_execute(&ctx, &req, &out), 0);
	cr_expect_eq(out.scope, KILL_SCOPE_PROCESS);
	expect_killed_by(a.pid, SIGTERM);
	cr_expect(alive_after(b.pid, 200), "a process in oomguard's own cgroup was killed");
	finish(&b);
	close(a.go_fd);
}

/* Without cgroup.kill (Linux < 5.14) every pid of cgroup.procs is signalled,
 * but only if /proc/PID/cgroup confirms it is still in that cgroup. A fake
 * cgroup root holds a cgroup.procs listing two real members, an outsider
 * and the test itself; it has no cgroup.kill. */
Test(kill, cgroup_procs_fallback_checks_membership, .init = cg_setup, .fini = cg_teardown)
{
	struct kill_ctx fake = KILL_CTX_INIT;
	struct cgroupfs fake_cg = CGROUPFS_INIT;
	struct child a, b, outsider;
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGKILL, .timeout_ms = 3000, .cgroup = true,
	};
	char dir[600], file[700], list[128];
	int fd, len;

	cg_require();
	snprintf(fake_root, sizeof(fake_root), "/tmp/oomguard-cgroot-XXXXXX");
	cr_assert_not_null(mkdtemp(fake_root));
	snprintf(dir, sizeof(dir), "%s%s", fake_root, cg_path);
	cr_assert_eq(mkdir(dir, 0755), 0);

	a = spawn(CHILD_IGNORE_TERM, -1);
	b = spawn(CHILD_IGNORE_TERM, -1);
	outsider = spawn(CHILD_DEFAULT, -1);
	cg_enter(a.pid);
	cg_enter(b.pid);
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	len = snprintf(list, sizeof(list), "%d\n%d\n%d\n%d\n", (int)a.pid, (int)outsider.pid,
		       (int)getpid(), (int)b.pid);
	cr_assert_eq(write(fd, list, (size_t)len), len);
	close(fd);

	cr_assert_eq(cgroupfs_open(&fake_cg, fake_root), 0);
	kill_init(&fake, &proc, &fake_cg);
	sample_of(a.pid, &v);
	cr_assert_eq(kill_execute(&fake, &req, &out), 0);
	cgroupfs_close(&fake_cg);
	cr_expect_eq(out.scope, KILL_SCOPE_CGROUP);
	expect_killed_by(a.pid, SIGKILL);
	expect_killed_by(b.pid, SIGKILL);
	cr_expect(alive_after(outsider.pid, 100), "a listed pid outside the cgroup was killed");
	finish(&outsider);
	close(a.go_fd);
	close(b.go_fd);
}

/* Whoever owns a cgroup subtree names its cgroups: a quote, an escape
 * sequence and spaces in the name reach the log escaped. The fake root has
 * no cgroup.kill, so the kill says so, naming the cgroup. (A newline cannot
 * be tried: /proc/PID/cgroup would show it raw and the path is refused.) */
Test(kill, a_hostile_cgroup_name_is_escaped_in_the_log, .init = cg_setup, .fini = cg_teardown)
{
	static const char evil[] = "ev\"il \x1b[2J x";
	struct kill_ctx fake = KILL_CTX_INIT;
	struct cgroupfs fake_cg = CGROUPFS_INIT;
	struct child a;
	struct proc_sample v;
	struct kill_outcome out;
	struct kill_request req = {
		.victim = &v, .first_signal = SIGKILL, .timeout_ms = 3000, .cgroup = true,
	};
	char real[sizeof(cg_dir)], dir[700], file[760], saved[sizeof(cg_dir)], num[16], want[700];
	static char log_buf[8192];
	const char *log;
	int fd, len;

	cg_require();
	cr_assert_lt(strlen(cg_dir) + sizeof(evil) + 1, sizeof(real));
	snprintf(real, sizeof(real), "%.*s/%s", (int)(sizeof(real) - sizeof(evil) - 1), cg_dir, evil);
	cr_assert_eq(mkdir(real, 0755), 0, "%s: %s", real, strerror(errno));
	snprintf(fake_root, sizeof(fake_root), "/tmp/oomguard-cgroot-XXXXXX");
	cr_assert_not_null(mkdtemp(fake_root));
	snprintf(dir, sizeof(dir), "%s%s", fake_root, cg_path);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s%s/%s", fake_root, cg_path, evil);
	cr_assert_eq(mkdir(dir, 0755), 0);

	a = spawn(CHILD_IGNORE_TERM, -1);
	snprintf(saved, sizeof(saved), "%s", cg_dir);
	snprintf(cg_dir, sizeof(cg_dir), "%s", real);
	cg_enter(a.pid);
	snprintf(cg_dir, sizeof(cg_dir), "%s", saved);
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	len = snprintf(num, sizeof(num), "%d\n", (int)a.pid);
	cr_assert_eq(write(fd, num, (size_t)len), len);
	close(fd);

	cr_assert_eq(cgroupfs_open(&fake_cg, fake_root), 0);
	kill_init(&fake, &proc, &fake_cg);
	sample_of(a.pid, &v);
	fixture_capture_start();
	cr_expect_eq(kill_execute(&fake, &req, &out), 0);
	log = fixture_capture_end(log_buf, sizeof(log_buf));
	cgroupfs_close(&fake_cg);
	cr_expect_eq(out.scope, KILL_SCOPE_CGROUP);
	expect_killed_by(a.pid, SIGKILL);
	close(a.go_fd);
	snprintf(want, sizeof(want), "cgroup %s/ev\\x22il \\x1b[2J x: cgroup.kill: ", cg_path);
	cr_expect_not_null(strstr(log, want), "%s", log);
	cr_expect_null(strchr(log, '\x1b'), "a raw escape reached the log: %s", log);

	unlink(file);
	rmdir(dir);
	for (int i = 0; i < 100 && rmdir(real) < 0 && errno == EBUSY; i++)
		poll(NULL, 0, 10);
}
