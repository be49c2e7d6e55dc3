/* The kill sequence, on top of the kill path's layers: victim.c (pidfd,
 * identity, signal, wait, process_mrelease) and scope.c (process group,
 * cgroup). The only module that sends signals. Nothing here allocates or
 * forks: it runs when memory is already scarce. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "act/scope.h"
#include "act/victim.h"
#include "acquire/procfs.h"
#include "types.h"

/* How long to wait for a victim to vanish after SIGKILL (and
 * process_mrelease) before reporting -ETIMEDOUT. A process that outlives a
 * second of SIGKILL is stuck in the kernel (D state, NFS); waiting longer
 * would only stall the loop. */
#define KILL_FINAL_WAIT_MS 1000

/* How often the SIGTERM wait wakes up to ask req->escalate. */
#define KILL_POLL_SLICE_MS 100

struct kill_request {
	const struct proc_sample *victim;	/* pid + starttime are the identity */
	int first_signal;			/* SIGTERM or SIGKILL */
	unsigned timeout_ms;			/* SIGTERM -> SIGKILL escalation */
	bool group;				/* -g: the victim's process group */
	bool cgroup;				/* --kill-cgroup */
	/* Asked every KILL_POLL_SLICE_MS while waiting on SIGTERM: anything
	 * but ESCALATION_NONE sends SIGKILL at once, for that reason.
	 * May be NULL. */
	enum escalation (*escalate)(void *userdata);
	void *userdata;
	/* Called once the victim is pinned (its pidfd open) and proved to
	 * be the process sampled, its scope settled, right before the first
	 * signal: now is its fresh stat, pidfd -1 without pidfds. Returns 0
	 * to send the signal, or -errno to leave this victim alone (nothing
	 * is sent and kill_execute returns that). May be NULL. */
	int (*before_signal)(void *step_data, const struct proc_sample *now, int pidfd);
	/* With -g or --kill-cgroup: is this member protected by the policy?
	 * Protected members are spared (see scope_signal). NULL: none is. */
	scope_protected_fn member_protected;
	/* Called once, right after first_signal went out (to say so: the
	 * signal first, the words after). May be NULL. */
	void (*signalled)(void *step_data, int sig);
	void *step_data;
};

struct kill_outcome {
	int last_signal;		/* 0: nothing was sent */
	enum kill_scope scope;		/* what was actually signalled */
	enum escalation escalation;
	bool exited;			/* the victim is gone */
	bool released;			/* process_mrelease reaped it (or found it gone) */
	unsigned waited_ms;		/* first signal to exit (or giving up) */
	unsigned spared;		/* group or cgroup members the policy protects,
					 * left alone by the last signal */
	char cgroup[KILL_CGROUP_MAX];	/* with req->cgroup: the victim's v2 path, else "" */
};

/* Gather the context: own pid, pgrp and cgroup (through procfs, "self/cgroup"),
 * whether the kernel has pidfds, and the cgroup2 root of cg (see
 * scope_init; NULL: none). procfs and cg are borrowed: they must outlive
 * ctx. Returns nothing. */
void kill_init(struct kill_ctx *ctx, const struct procfs *procfs, const struct cgroupfs *cg);

/* Kill req->victim: verify its identity, send first_signal (to the process,
 * its group or its cgroup), wait on the pidfd for it to exit, asking
 * req->escalate on the way, send SIGKILL after timeout_ms, then
 * process_mrelease so its memory returns even if it is stuck. A refused
 * group or cgroup (pgrp 0/1/own, root or own cgroup) falls back to the
 * victim alone with a warning; out->scope says what was done. Members of
 * the group or cgroup that req->member_protected calls protected are not
 * signalled (out->spared counts them).
 * Returns 0 (victim gone), -ESRCH (not the same process any more, or gone or
 * a zombie before any signal: try the next candidate), -EPERM (may not
 * signal it: next candidate), -EINVAL (victim pid <= 1 or oomguard itself),
 * -ETIMEDOUT (SIGKILL sent but still there after KILL_FINAL_WAIT_MS),
 * what req->before_signal returned when it refused, or another -errno from
 * pidfd_open (-EMFILE, -ENOMEM). out is always filled. */
int kill_execute(const struct kill_ctx *ctx, const struct kill_request *req,
		 struct kill_outcome *out);
