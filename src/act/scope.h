/* What a kill reaches beyond the victim: -g its process group,
 * --kill-cgroup its cgroup (cgroup.kill, or each member of cgroup.procs),
 * and the refusals that keep that from ever being oomguard, init or every
 * process. Built on victim.c; kill.c picks and uses a scope. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "act/victim.h"
#include "acquire/cgroupfs.h"

enum kill_scope {
	KILL_SCOPE_PROCESS,	/* the victim alone */
	KILL_SCOPE_GROUP,	/* the victim's process group */
	KILL_SCOPE_CGROUP,	/* every process in the victim's cgroup */
};

/* Does the policy protect member pid (pinned by pidfd, -1 without)?
 * Returns 1 (spare it), 0 (signal it) or -ESRCH (gone). */
typedef int (*scope_protected_fn)(void *data, pid_t pid, int pidfd);

/* What one kill acts on, settled before the first signal. */
struct kill_target {
	const struct proc_sample *victim;
	int pidfd;			/* -1 without pidfds */
	pid_t pgrp;			/* for KILL_SCOPE_GROUP */
	enum kill_scope scope;
	const char *cgroup;		/* for KILL_SCOPE_CGROUP: "/a/b.scope" */
	/* Members of the group or cgroup it protects are spared; NULL:
	 * none is. */
	scope_protected_fn is_protected;
	void *protect_data;
	unsigned spared;		/* members spared by the last signal */
};

/* Read oomguard's own cgroup into ctx->self_cgroup ("" when unknown) and
 * take the cgroup2 root from cg (main.c opens it, and it outlives ctx):
 * without one (cg NULL or not open) --kill-cgroup kills single processes.
 * Returns nothing. */
void scope_init(struct kill_ctx *ctx, const struct cgroupfs *cg);

/* Returns 0 when --kill-cgroup can work, -ENOENT when no cgroup2 mount was
 * found, or -ENODATA when oomguard's own cgroup is unknown (then killing a
 * cgroup could kill oomguard, so it is refused). For a start-up warning. */
int kill_check_cgroup(const struct kill_ctx *ctx);

/* Pure: may pgrp be signalled as a group by a process in self_pgrp? Never
 * 0 or 1 (kill(0) and kill(-1) semantics, init's group), never our own. */
bool kill_group_allowed(pid_t pgrp, pid_t self_pgrp);

/* Pure: may cgroup path victim be killed whole by a process in cgroup self?
 * Never the root "/", never a path that is not absolute or climbs out with
 * "..", never self or an ancestor of self (cgroup.kill takes descendants
 * too), never when self is unknown (""). */
bool kill_cgroup_allowed(const char *victim, const char *self);

/* Settle t->scope (and t->pgrp or t->cgroup, in cgroup_buf of
 * KILL_CGROUP_MAX bytes) from what was asked: the group or cgroup when asked
 * and allowed, else the victim alone with a warning saying why. now is the
 * victim's freshly re-read stat. cgroup_buf is "" unless a cgroup was read. */
void scope_choose(const struct kill_ctx *ctx, bool group, bool cgroup,
		  const struct proc_sample *now, struct kill_target *t, char *cgroup_buf);

/* Send sig to the target's scope; the victim itself always gets it
 * directly, through its pidfd. With t->is_protected, the members are
 * looked at first: when none is protected, the group or cgroup is
 * signalled whole (kill(-pgrp), cgroup.kill); else each member but the
 * protected ones, one by one through a pidfd, and t->spared says how many
 * were spared. Returns 0, -ESRCH (nothing left to signal) or -EPERM. */
int scope_signal(const struct kill_ctx *ctx, struct kill_target *t, int sig);
