#include "act/kill.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

void kill_init(struct kill_ctx *ctx, const struct procfs *procfs, const struct cgroupfs *cg)
{
	ctx->procfs = procfs;
	ctx->self_pid = getpid();
	ctx->self_pgrp = getpgrp();
	ctx->have_pidfd = kill_have_pidfd();
	scope_init(ctx, cg);
}

/* Wait up to timeout_ms for the victim to exit, asking req->escalate (when
 * given) every KILL_POLL_SLICE_MS. Returns true when it exited; sets
 * *escalation when it stopped waiting early or at the deadline. */
static bool wait_exit(const struct kill_ctx *ctx, const struct kill_target *t, unsigned timeout_ms,
		      const struct kill_request *req, enum escalation *escalation)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		uint64_t now = clock_now_ms();
		uint64_t slice = deadline > now ? deadline - now : 0;

		if (slice > KILL_POLL_SLICE_MS)
			slice = KILL_POLL_SLICE_MS;
		if (victim_exited(ctx, t->victim, t->pidfd, (int)slice))
			return true;
		if (clock_now_ms() >= deadline) {
			if (req) {
				log_notice("pid=%d did not exit within %u ms of SIGTERM; sending SIGKILL",
					   (int)t->victim->pid, timeout_ms);
				*escalation = ESCALATION_TIMEOUT;
			}
			return false;
		}
		if (req && req->escalate) {
			enum escalation why = req->escalate(req->userdata);

			if (why != ESCALATION_NONE) {
				log_notice("pid=%d: %s while waiting after SIGTERM; sending SIGKILL now",
					   (int)t->victim->pid,
					   why == ESCALATION_STALL ? "the stall went on"
									: "the kill floor was crossed");
				*escalation = why;
				return false;
			}
		}
	}
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
		r = victim_check(ctx, t->victim, &now);
		if (r < 0)
			return r;
		if (now.pgrp != t->pgrp) {
			log_warn("pid %d: left process group %d; killing the process only",
				 (int)t->victim->pid, (int)t->pgrp);
			t->scope = KILL_SCOPE_PROCESS;
		}
	}
	return scope_signal(ctx, t, SIGKILL);
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
	out->escalation = ESCALATION_NONE;
	out->exited = false;
	out->released = false;
	out->waited_ms = 0;
	out->spared = 0;
	out->cgroup[0] = '\0';

	/* kill(0), kill(-1) and kill(1) must never be reachable, whatever a
	 * scan hands us. */
	if (v->pid <= 1 || v->pid == ctx->self_pid)
		return -EINVAL;

	if (ctx->have_pidfd) {
		r = victim_open_pidfd(v->pid);
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
	r = victim_check(ctx, v, &now);
	if (r < 0)
		return r == -EINVAL ? -ESRCH : r;

	scope_choose(ctx, req->group, req->cgroup, &now, &t, out->cgroup);
	out->scope = t.scope;
	t.is_protected = req->member_protected;
	t.protect_data = req->step_data;
	/* Reading the cgroup took time: make sure it was the victim's. */
	if (t.scope == KILL_SCOPE_CGROUP && victim_exited(ctx, v, t.pidfd, 0))
		return -ESRCH;
	if (req->before_signal) {
		/* Signal 0 asks the kernel whether we may, sending nothing:
		 * a victim that will refuse gets no pre-kill hook either. */
		r = victim_signal(t.pidfd, v->pid, 0);
		if (r < 0)
			return r;
		r = req->before_signal(req->step_data, &now, t.pidfd);
		if (r < 0)
			return r;
	}

	start = clock_now_ms();
	r = scope_signal(ctx, &t, req->first_signal);
	if (r < 0)
		return r;
	out->last_signal = req->first_signal;
	out->spared = t.spared;
	if (req->signalled)
		req->signalled(req->step_data, req->first_signal);

	if (req->first_signal != SIGKILL) {
		if (wait_exit(ctx, &t, req->timeout_ms, req, &out->escalation)) {
			out->exited = true;
			out->waited_ms = (unsigned)(clock_now_ms() - start);
			return 0;
		}
		r = escalate_kill(ctx, &t);
		if (r == 0)
			out->spared = t.spared;
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
	out->released = victim_release_memory(t.pidfd, v->pid);
	out->exited = wait_exit(ctx, &t, KILL_FINAL_WAIT_MS, NULL, &out->escalation);
	out->waited_ms = (unsigned)(clock_now_ms() - start);
	return out->exited ? 0 : -ETIMEDOUT;
}
