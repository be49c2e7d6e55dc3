/* Acting on one victim: pin it with a pidfd, prove it is still the sampled
 * process, signal it, wait, escalate, process_mrelease. Which processes
 * besides it a kill reaches (group, cgroup) is killscope.c's business. */
#include "act/kill.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "act/kill-internal.h"
#include "log.h"

/* Syscall numbers are the same on every architecture for these (they were
 * added after the tables were unified); older headers may lack them. */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

/* /proc/PID/stat has 52 fields: a comm of at most 16 bytes in parentheses
 * and 51 numbers of at most 20 digits each, about 1.1 KiB in the worst case. */
#define STAT_BUF_SIZE 2048

int kill_open_pidfd(pid_t pid)
{
	long r = syscall(SYS_pidfd_open, pid, 0);

	return r < 0 ? -errno : (int)r;
}

int kill_signal_pid(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
	return kill(pid, sig) < 0 ? -errno : 0;
}

static int sys_process_mrelease(int pidfd)
{
	return syscall(SYS_process_mrelease, pidfd, 0) < 0 ? -errno : 0;
}

bool kill_have_pidfd(void)
{
	static int have = -1;

	if (have < 0) {
		int fd = kill_open_pidfd(getpid());

		/* ENOSYS: kernel < 5.3; EPERM: a seccomp filter (older
		 * container runtimes) refuses it. EMFILE now says nothing about
		 * the kernel, so then assume the feature is there. */
		have = fd != -ENOSYS && fd != -EPERM;
		if (fd >= 0)
			close(fd);
	}
	return have;
}

bool kill_have_mrelease(void)
{
	static int have = -1;

	/* An invalid descriptor gets EBADF from a kernel that has the call
	 * and ENOSYS from one that does not: a probe without side effects. */
	if (have < 0)
		have = sys_process_mrelease(-1) != -ENOSYS;
	return have;
}

long kill_read_pid_file(const struct kill_ctx *ctx, const char *pid_dir, const char *name,
			char *buf, size_t size)
{
	char file[KILL_PID_PATH_SIZE];
	long n;

	snprintf(file, sizeof(file), "%s/%s", pid_dir, name);
	n = procfs_read_file(ctx->procfs->root_fd, file, buf, size);
	/* A process that exited or was reaped in between is no error here. */
	if (n == -ENOENT || n == -ESRCH)
		return -ESRCH;
	return n;
}

/* Re-read PID/stat into *now. Returns 0, -ESRCH when the process is gone,
 * -EINVAL when the text does not parse, or another -errno. */
static int read_stat(const struct kill_ctx *ctx, pid_t pid, struct proc_sample *now)
{
	char pid_dir[KILL_PID_PATH_SIZE];
	char buf[STAT_BUF_SIZE];
	long n;

	snprintf(pid_dir, sizeof(pid_dir), "%d", (int)pid);
	n = kill_read_pid_file(ctx, pid_dir, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	memset(now, 0, sizeof(*now));
	return pidinfo_parse_stat(buf, now);
}

/* Is pid still the process sampled as victim, and alive? Returns 0 with
 * *now filled, -ESRCH when it is gone, a zombie, or a different process
 * with the same pid (its starttime differs), or as read_stat. */
static int check_identity(const struct kill_ctx *ctx, const struct proc_sample *victim,
			  struct proc_sample *now)
{
	int r = read_stat(ctx, victim->pid, now);

	if (r < 0)
		return r;
	if (now->pid != victim->pid || now->starttime != victim->starttime)
		return -ESRCH;
	/* A zombie has already freed its memory; killing it frees nothing. */
	if (now->state == 'Z' || now->state == 'X' || now->state == 'x')
		return -ESRCH;
	return 0;
}

int kill_init(struct kill_ctx *ctx, const struct procfs *procfs, const char *cgroup_root)
{
	ctx->procfs = procfs;
	ctx->cgroup_root_fd = -1;
	ctx->self_pid = getpid();
	ctx->self_pgrp = getpgrp();
	ctx->have_pidfd = kill_have_pidfd();
	return kill_init_cgroup(ctx, cgroup_root);
}

void kill_close(struct kill_ctx *ctx)
{
	procfs_closep(&ctx->cgroup_root_fd);
}

/* Send sig to the target's scope. Returns 0, -ESRCH (nothing left to
 * signal) or -EPERM. */
static int send_signal(const struct kill_ctx *ctx, const struct kill_target *t, int sig)
{
	int r;

	switch (t->scope) {
	case KILL_SCOPE_GROUP:
		return kill(-t->pgrp, sig) < 0 ? -errno : 0;
	case KILL_SCOPE_CGROUP:
		kill_signal_cgroup(ctx, t, sig);
		break;
	case KILL_SCOPE_PROCESS:
		break;
	}
	/* The victim itself always gets the signal directly, through its
	 * pidfd: cgroup.kill on a fixture tree, or a cgroup.procs read that
	 * failed, must not leave it running. */
	r = kill_signal_pid(t->pidfd, t->victim->pid, sig);
	/* Gone already (cgroup.kill got there first, or it exited): the rest
	 * of its cgroup has been signalled, which is what was asked. */
	if (r == -ESRCH && t->scope == KILL_SCOPE_CGROUP)
		return 0;
	return r;
}

/* Has the victim exited? With a pidfd, waits up to timeout_ms for POLLIN;
 * without, re-reads its stat. */
static bool victim_exited(const struct kill_ctx *ctx, const struct kill_target *t, int timeout_ms)
{
	struct proc_sample now;

	if (t->pidfd >= 0) {
		struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };
		int n = poll(&pfd, 1, timeout_ms);

		/* POLLIN: exited (zombie); POLLHUP: reaped as well. EINTR
		 * counts as "not yet"; the caller's clock decides. */
		return n > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR));
	}
	if (check_identity(ctx, t->victim, &now) == -ESRCH)
		return true;
	/* No pidfd, so nothing to sleep on but the clock. */
	if (timeout_ms > 0)
		poll(NULL, 0, timeout_ms);
	return check_identity(ctx, t->victim, &now) == -ESRCH;
}

/* Wait up to timeout_ms for the victim to exit, asking escalate (if any)
 * every KILL_POLL_SLICE_MS. Returns true when it exited. */
static bool wait_exit(const struct kill_ctx *ctx, const struct kill_target *t, unsigned timeout_ms,
		      const struct kill_request *req)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		uint64_t now = clock_now_ms();
		uint64_t slice = deadline > now ? deadline - now : 0;

		if (slice > KILL_POLL_SLICE_MS)
			slice = KILL_POLL_SLICE_MS;
		if (victim_exited(ctx, t, (int)slice))
			return true;
		if (clock_now_ms() >= deadline) {
			if (req)
				log_notice("pid=%d did not exit within %u ms of SIGTERM; sending SIGKILL",
					   (int)t->victim->pid, timeout_ms);
			return false;
		}
		if (req && req->escalate && req->escalate(req->userdata)) {
			log_notice("pid=%d: the kill floor was crossed while waiting after SIGTERM; "
				   "sending SIGKILL now", (int)t->victim->pid);
			return false;
		}
	}
}

/* Ask the kernel to reap the (dying) victim's memory now rather than when
 * its last thread gets through exit. Returns true when it did, or on ESRCH:
 * no thread of the victim still holds its mm (exit_mm ran, or it was
 * reaped), so the memory is back either way. Needs no capability beyond
 * holding the pidfd. */
static bool release_memory(const struct kill_target *t)
{
	static bool noted_enosys;
	int r = -EAGAIN;

	if (t->pidfd < 0)
		return false;
	/* EAGAIN: mmap_lock contention, worth another try or two. */
	for (int i = 0; i < 3 && (r == -EAGAIN || r == -EINTR); i++)
		r = sys_process_mrelease(t->pidfd);
	if (r == -ENOSYS && !noted_enosys) {
		noted_enosys = true;
		log_notice("process_mrelease is not available (Linux < 5.15): "
			   "memory returns when the victim finishes exiting");
	} else if (r < 0 && r != -ENOSYS && r != -ESRCH) {
		log_debug("pid %d: process_mrelease: %s", (int)t->victim->pid, strerror(-r));
	}
	return r == 0 || r == -ESRCH;
}

/* Send SIGKILL after a SIGTERM that was not enough. A process group is
 * signalled again only after the victim is re-checked to still be alive and
 * in it: while a member lives, the pgrp id cannot be reused by a new group.
 * Returns 0, -ESRCH when the victim is gone (which is success), or -EPERM. */
static int escalate_kill(const struct kill_ctx *ctx, struct kill_target *t)
{
	struct proc_sample now;
	int r;

	if (t->scope == KILL_SCOPE_GROUP) {
		r = check_identity(ctx, t->victim, &now);
		if (r < 0)
			return r;
		if (now.pgrp != t->pgrp) {
			log_warn("pid %d: left process group %d; killing the process only",
				 (int)t->victim->pid, (int)t->pgrp);
			t->scope = KILL_SCOPE_PROCESS;
		}
	}
	return send_signal(ctx, t, SIGKILL);
}

int kill_execute(const struct kill_ctx *ctx, const struct kill_request *req,
		 struct kill_outcome *out)
{
	const struct proc_sample *v = req->victim;
	struct kill_target t = { .victim = v, .pidfd = -1 };
	_cleanup_close_ int pidfd = -1;
	struct proc_sample now;
	uint64_t start;
	int r;

	out->last_signal = 0;
	out->scope = KILL_SCOPE_PROCESS;
	out->exited = false;
	out->released = false;
	out->waited_ms = 0;
	out->cgroup[0] = '\0';

	/* kill(0), kill(-1) and kill(1) must never be reachable, whatever a
	 * scan hands us. */
	if (v->pid <= 1 || v->pid == ctx->self_pid)
		return -EINVAL;

	if (ctx->have_pidfd) {
		r = kill_open_pidfd(v->pid);
		/* EINVAL: the pid is a thread, not a process we sampled. */
		if (r == -ESRCH || r == -EINVAL)
			return -ESRCH;
		if (r < 0)
			return r;
		pidfd = r;
		t.pidfd = pidfd;
	}
	/* The pidfd was opened first, so if stat still shows the sampled
	 * starttime, the pidfd names the victim and no one else. */
	r = check_identity(ctx, v, &now);
	if (r < 0)
		return r == -EINVAL ? -ESRCH : r;

	kill_choose_scope(ctx, req, &now, &t, out);
	/* Reading the cgroup took time: make sure it was the victim's. */
	if (t.scope == KILL_SCOPE_CGROUP && victim_exited(ctx, &t, 0))
		return -ESRCH;

	start = clock_now_ms();
	r = send_signal(ctx, &t, req->first_signal);
	if (r < 0)
		return r;
	out->last_signal = req->first_signal;

	if (req->first_signal != SIGKILL) {
		if (wait_exit(ctx, &t, req->timeout_ms, req)) {
			out->exited = true;
			out->waited_ms = (unsigned)(clock_now_ms() - start);
			return 0;
		}
		r = escalate_kill(ctx, &t);
		if (r == -ESRCH) {
			out->exited = true;
			out->waited_ms = (unsigned)(clock_now_ms() - start);
			return 0;
		}
		if (r < 0) {
			out->waited_ms = (unsigned)(clock_now_ms() - start);
			return r;
		}
		out->last_signal = SIGKILL;
	}
	/* Only now: before the victim is dying the call fails with EINVAL. */
	out->released = release_memory(&t);
	out->exited = wait_exit(ctx, &t, KILL_FINAL_WAIT_MS, NULL);
	out->waited_ms = (unsigned)(clock_now_ms() - start);
	return out->exited ? 0 : -ETIMEDOUT;
}
