#include "act/act.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "decide/badness.h"
#include "decide/decide.h"
#include "decide/policy.h"
#include "log.h"

static void run_hook(struct act *a, const char *path, enum hook_event event,
		     const struct candidate *c, const struct proc_names *names, int signal,
		     enum reason reason)
{
	struct hook_info info = { .event = event, .victim = &c->proc,
				  .cgroup = names->cgroup[0] ? names->cgroup : NULL,
				  .cmdline = names->cmdline[0] ? names->cmdline : NULL, .signal = signal,
				  .reason = decide_reason_name(reason), .oom_score = c->kernel_score };
	pid_t pid = 0;

	if (!path || hook_run(a->hooks, path, &info, &pid) < 0)
		return;
	/* A pre-kill hook may want the victim alive (a heap dump, a note of
	 * its state): the kill waits for it, briefly. */
	if (event == HOOK_PRE_KILL && a->cfg->pre_kill_wait_ms &&
	    !hook_wait(pid, a->cfg->pre_kill_wait_ms))
		log_info("%s %s still runs after %u ms; killing now", hook_event_flag(event), path,
			 a->cfg->pre_kill_wait_ms);
}

/* One candidate on its way through kill_execute: what its callbacks need. */
struct act_step {
	struct act *a;
	const struct candidate *c;
	const struct decision *now;
	const char *name;		/* escaped comm */
	int signal;			/* the first signal */
	struct proc_names *names;	/* filled once the victim is pinned */
	const struct act_callbacks *cb;
};

/* As scan_read_names: the text copied out of the scan's buffers. */
static void names_copy(struct proc_names *out, const struct proc_text *text)
{
	out->unit[0] = out->cgroup[0] = out->cmdline[0] = '\0';
	if (text->unit)
		snprintf(out->unit, sizeof(out->unit), "%s", text->unit);
	if (text->cgroup)
		snprintf(out->cgroup, sizeof(out->cgroup), "%s", text->cgroup);
	if (text->cmdline)
		snprintf(out->cmdline, sizeof(out->cmdline), "%s", text->cmdline);
}

static const char *protection_name(enum badness_skip why)
{
	switch (why) {
	case SKIP_UNKILLABLE: return "oom_score_adj -1000";
	case SKIP_ROOT_USER: return "--ignore-root-user";
	case SKIP_IGNORED: return "--ignore";
	default: return "policy";
	}
}

/* What the policy needs of the pinned victim as it is now: its fresh stat
 * (comm), then uid and oom_score_adj, and the text rules match (cmdline,
 * cgroup, unit, into the scan's buffers). Read by pid through the procfs
 * seam, then the pidfd shows the victim still alive, so the pid named it
 * throughout. Returns 0, or -ESRCH when it is gone. */
static int read_policy_view(struct act *a, const struct proc_sample *scanned,
			    const struct proc_sample *now, int pidfd, struct proc_sample *view,
			    struct proc_text *text)
{
	char pid_dir[KILL_PID_PATH_SIZE], adj_buf[32];
	struct proc_sample status = { 0 };
	int adj;
	long n;

	/* What cannot be read or parsed stays as the scan saw it. */
	*view = *now;
	view->uid = scanned->uid;
	view->oom_score_adj = scanned->oom_score_adj;
	snprintf(pid_dir, sizeof(pid_dir), "%d", (int)now->pid);
	n = victim_read_file(&a->kill, pid_dir, "status", a->status_buf, sizeof(a->status_buf));
	if (n == -ESRCH)
		return -ESRCH;
	if (n >= 0 && pidinfo_parse_status(a->status_buf, &status) == 0)
		view->uid = status.uid;
	n = victim_read_file(&a->kill, pid_dir, "oom_score_adj", adj_buf, sizeof(adj_buf));
	if (n == -ESRCH)
		return -ESRCH;
	if (n >= 0 && pidinfo_parse_oom_score_adj(adj_buf, &adj) == 0)
		view->oom_score_adj = adj;
	if (scan_read_text(a->scan, now->pid, text) < 0)
		return -ESRCH;
	if (victim_exited(&a->kill, now, pidfd, 0))
		return -ESRCH;
	return 0;
}

/* kill_execute's call once the victim is pinned and its identity checked:
 * its names are now surely its own, and a pre-kill hook runs for a victim
 * that is about to be signalled, never for a reused pid or one gone. The
 * policy is asked again first (it may have exec'd). Returns 0, -ESRCH or
 * ACT_PROTECTED. */
static int step_before_signal(void *step_data, const struct proc_sample *now, int pidfd)
{
	struct act_step *st = step_data;
	struct act *a = st->a;
	struct proc_sample view;
	struct proc_text text;
	enum badness_skip why;
	int r;

	/* It may have exec'd since the scan: same pid and start time, a new
	 * name, command line, uid. The policy is asked again. */
	r = read_policy_view(a, &st->c->proc, now, pidfd, &view, &text);
	if (r < 0)
		return r;
	why = badness_protected(a->cfg, &view, &text);
	if (why != SKIP_NONE) {
		char name[PIDINFO_COMM_MAX * 4 + 1];

		log_notice("pid=%d is now name=\"%s\" and protected (%s); it changed since the scan "
			   "(an exec?): not signalled", (int)now->pid,
			   log_escape(name, sizeof(name), view.comm), protection_name(why));
		return ACT_PROTECTED;
	}
	names_copy(st->names, &text);
	if (st->cb->pinned)
		st->cb->pinned(st->cb->userdata, st->c, st->names, st->now, st->signal);
	run_hook(a, a->cfg->pre_kill, HOOK_PRE_KILL, st->c, st->names, st->signal,
		 st->now->reason);
	return 0;
}

/* A member of the victim's group or cgroup, pinned by pidfd: protected by
 * the same predicate that made it no candidate? What cannot be read of it
 * counts as protected: a member is spared rather than killed blind.
 * Returns 1, 0, or -ESRCH when it is gone. */
static int step_member_protected(void *step_data, pid_t pid, int pidfd)
{
	static const struct proc_sample unknown = { .uid = 0, .oom_score_adj = -1000 };
	struct act_step *st = step_data;
	struct proc_sample now, view;
	struct proc_text text;

	if (victim_read_stat(&st->a->kill, pid, &now) < 0)
		return -ESRCH;
	if (read_policy_view(st->a, &unknown, &now, pidfd, &view, &text) < 0)
		return -ESRCH;
	return badness_protected(st->a->cfg, &view, &text) != SKIP_NONE;
}

/* kill_execute's word that the first signal went out: only now is it
 * said, so that a slow log never delays a kill. */
static void step_signalled(void *step_data, int sig)
{
	const struct act_step *st = step_data;

	if (st->cb->signalled)
		st->cb->signalled(st->cb->userdata, sig);
	log_notice("sending %s to pid=%d name=\"%s\" reason=%s", sig == SIGKILL ? "SIGKILL" : "SIGTERM",
		   (int)st->c->proc.pid, st->name, decide_reason_name(st->now->reason));
}

/* Drop the entries of a->skip whose process is gone (or a zombie, or its
 * pid since reused). */
static void skip_prune(struct act *a)
{
	struct skip_set *set = &a->skip;
	unsigned kept = 0;

	for (unsigned i = 0; i < set->n; i++) {
		struct proc_sample v = { .pid = set->e[i].pid, .starttime = set->e[i].starttime };
		struct proc_sample now;

		if (victim_check(&a->kill, &v, &now) == -ESRCH)
			continue;
		set->e[kept++] = set->e[i];
	}
	if (kept != set->n)
		set->oldest = 0;
	set->n = kept;
}

/* Remember a victim that outlived its SIGKILL; when the set is full, the
 * oldest entry gives way. */
static void skip_add(struct act *a, const struct proc_sample *p)
{
	struct skip_set *set = &a->skip;
	struct skip_entry e = { .pid = p->pid, .starttime = p->starttime };

	skip_prune(a);
	if (set->n < SKIP_SET_MAX) {
		set->e[set->n++] = e;
		return;
	}
	set->e[set->oldest] = e;
	set->oldest = (set->oldest + 1) % SKIP_SET_MAX;
}

void act_carry_out(struct act *a, const struct decision *d, const struct candidate *candidates,
		   unsigned n, const struct act_callbacks *cb, struct act_result *res)
{
	struct decision now = *d;
	bool refused = false;

	memset(res, 0, sizeof(*res));
	res->status = ACT_NO_VICTIM;
	skip_prune(a);
	for (unsigned i = 0; i < n; i++) {
		const struct candidate *c = &candidates[i];
		struct kill_request req = {
			.victim = &c->proc,
			.timeout_ms = a->cfg->kill_timeout_ms,
			.group = a->cfg->kill_group,
			.cgroup = a->cfg->kill_cgroup,
			.escalate = cb->escalate,
			.userdata = cb->userdata,
		};
		char name[PIDINFO_COMM_MAX * 4 + 1];
		struct act_step st = { .a = a, .c = c, .now = &now, .name = name,
				       .names = &res->names, .cb = cb };
		int r;

		/* The scan (or the last victim) took time: judge again on
		 * fresh figures. A floor may have been crossed further, or
		 * memory come back, or the stall stopped. */
		now = cb->recheck(cb->userdata);
		if (now.action == ACTION_NONE) {
			res->status = ACT_RECOVERED;
			res->decision = now;
			return;
		}
		req.first_signal = now.action == ACTION_KILL ? SIGKILL : SIGTERM;
		req.before_signal = step_before_signal;
		req.signalled = step_signalled;
		req.member_protected = step_member_protected;
		req.step_data = &st;
		st.signal = req.first_signal;
		log_escape(name, sizeof(name), c->proc.comm);
		memset(&res->names, 0, sizeof(res->names));
		r = (a->kill_fn ? a->kill_fn : kill_execute)(&a->kill, &req, &res->outcome);
		if (r == ACT_PROTECTED)
			continue;
		if (r == -ESRCH || r == -EPERM || r == -EINVAL) {
			refused |= r == -EPERM;
			log_warn("could not kill pid=%d name=\"%s\": %s; trying the next candidate",
				 (int)c->proc.pid, name,
				 r == -ESRCH ? "it exited or its pid was reused" : strerror(-r));
			continue;
		}
		if (r == -ETIMEDOUT && res->outcome.last_signal == SIGKILL) {
			skip_add(a, &c->proc);
			log_warn("pid=%d name=\"%s\" is still there %u ms after SIGKILL (stuck in the "
				 "kernel, or its memory cannot be freed): it will not be chosen again "
				 "while it lives", (int)c->proc.pid, name, KILL_FINAL_WAIT_MS);
		}
		if (res->outcome.spared)
			log_notice("pid=%d: %u member(s) of its %s spared: the policy protects them",
				   (int)c->proc.pid, res->outcome.spared,
				   res->outcome.scope == KILL_SCOPE_CGROUP ? "cgroup" : "process group");
		res->status = r == 0 ? ACT_KILLED : ACT_FAILED;
		res->victim = c;
		res->decision = now;
		res->error = r;
		run_hook(a, a->cfg->post_kill, HOOK_POST_KILL, c, &res->names,
			 res->outcome.last_signal, now.reason);
		return;
	}
	res->decision = now;
	/* Not one could be signalled and some said EPERM: a capability is
	 * missing (CAP_KILL), which the loop says once and backs off for. */
	if (refused)
		res->error = -EPERM;
}
