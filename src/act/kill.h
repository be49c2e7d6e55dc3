/* The act step: the only module that sends signals. A victim is named by
 * (pid, starttime); a pidfd pins it, /proc/PID/stat re-read through the procfs
 * seam proves the pid still names that process, and only then does a signal
 * go out, through the pidfd. Nothing here allocates or forks: it runs when
 * memory is already scarce. Implemented in kill.c (the victim) and
 * killscope.c (its process group or cgroup), which share kill-internal.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "parse/pidinfo.h"
#include "acquire/procfs.h"

/* A cgroup path as /proc/PID/cgroup shows it is at most PATH_MAX (the
 * kernel builds it into a PATH_MAX buffer); 4096 holds any real one. */
#define KILL_CGROUP_MAX 4096

/* How long to wait for a victim to vanish after SIGKILL (and
 * process_mrelease) before reporting -ETIMEDOUT. A process that outlives a
 * second of SIGKILL is stuck in the kernel (D state, NFS); waiting longer
 * would only stall the loop. */
#define KILL_FINAL_WAIT_MS 1000

/* How often the SIGTERM wait wakes up to ask req->escalate. */
#define KILL_POLL_SLICE_MS 100

/* Process-wide facts the kill path needs, gathered once at start-up so that
 * a kill reads no more than the victim's own files. */
struct kill_ctx {
	const struct procfs *procfs;
	int cgroup_root_fd;			/* cgroup2 mount; -1: none */
	pid_t self_pid;
	pid_t self_pgrp;			/* never signalled as a group */
	char self_cgroup[KILL_CGROUP_MAX];	/* "" unknown: cgroup kills refused */
	bool have_pidfd;			/* false: kill(2) fallback */
};

#define KILL_CTX_INIT { .cgroup_root_fd = -1 }

enum kill_scope {
	KILL_SCOPE_PROCESS,	/* the victim alone */
	KILL_SCOPE_GROUP,	/* the victim's process group */
	KILL_SCOPE_CGROUP,	/* every process in the victim's cgroup */
};

struct kill_request {
	const struct proc_sample *victim;	/* pid + starttime are the identity */
	int first_signal;			/* SIGTERM or SIGKILL */
	unsigned timeout_ms;			/* SIGTERM -> SIGKILL escalation */
	bool group;				/* -g: the victim's process group */
	bool cgroup;				/* --kill-cgroup */
	/* Asked every KILL_POLL_SLICE_MS while waiting on SIGTERM; true sends
	 * SIGKILL at once (the kill floor was crossed meanwhile). May be NULL. */
	bool (*escalate)(void *userdata);
	void *userdata;
};

struct kill_outcome {
	int last_signal;		/* 0: nothing was sent */
	enum kill_scope scope;		/* what was actually signalled */
	bool exited;			/* the victim is gone */
	bool released;			/* process_mrelease reaped it (or found it gone) */
	unsigned waited_ms;		/* first signal to exit (or giving up) */
	char cgroup[KILL_CGROUP_MAX];	/* with req->cgroup: the victim's v2 path, else "" */
};

/* Gather the context: own pid, pgrp and cgroup (through procfs, "self/cgroup"),
 * whether the kernel has pidfds, and a descriptor on the cgroup2 mount.
 * cgroup_root NULL looks for cgroup2 at /sys/fs/cgroup, then at
 * /sys/fs/cgroup/unified (hybrid systems); not finding it only disables
 * --kill-cgroup. Returns 0, or -errno when an explicitly given cgroup_root
 * cannot be opened. */
int kill_init(struct kill_ctx *ctx, const struct procfs *procfs, const char *cgroup_root);

/* Close the cgroup root descriptor; safe on a ctx never initialised. */
void kill_close(struct kill_ctx *ctx);

/* Returns 0 when --kill-cgroup can work, -ENOENT when no cgroup2 mount was
 * found, or -ENODATA when oomguard's own cgroup is unknown (then killing a
 * cgroup could kill oomguard, so it is refused). For a start-up warning. */
int kill_check_cgroup(const struct kill_ctx *ctx);

/* True when the kernel has pidfd_open (5.3+). Probed once. Without it kills
 * fall back to kill(2), which can hit a recycled pid in a narrow race. */
bool kill_have_pidfd(void);

/* True when the kernel has process_mrelease (5.15+). Probed once. */
bool kill_have_mrelease(void);

/* Kill req->victim: verify its identity, send first_signal (to the process,
 * its group or its cgroup), wait on the pidfd for it to exit, asking
 * req->escalate on the way, send SIGKILL after timeout_ms, then
 * process_mrelease so its memory returns even if it is stuck. A refused
 * group or cgroup (pgrp 0/1/own, root or own cgroup) falls back to the
 * victim alone with a warning; out->scope says what was done.
 * Returns 0 (victim gone), -ESRCH (not the same process any more, or gone or
 * a zombie before any signal: try the next candidate), -EPERM (may not
 * signal it: next candidate), -EINVAL (victim pid <= 1 or oomguard itself),
 * -ETIMEDOUT (SIGKILL sent but still there after KILL_FINAL_WAIT_MS), or
 * another -errno from pidfd_open (-EMFILE, -ENOMEM). out is always filled. */
int kill_execute(const struct kill_ctx *ctx, const struct kill_request *req,
		 struct kill_outcome *out);

/* Pure: may pgrp be signalled as a group by a process in self_pgrp? Never
 * 0 or 1 (kill(0) and kill(-1) semantics, init's group), never our own. */
bool kill_group_allowed(pid_t pgrp, pid_t self_pgrp);

/* Pure: may cgroup path victim be killed whole by a process in cgroup self?
 * Never the root "/", never a path that is not absolute or climbs out with
 * "..", never self or an ancestor of self (cgroup.kill takes descendants
 * too), never when self is unknown (""). */
bool kill_cgroup_allowed(const char *victim, const char *self);
