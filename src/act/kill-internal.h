/* Private to the kill module, shared by its two files: kill.c (one victim:
 * pidfd, identity, signal, wait, escalate, process_mrelease) and killscope.c
 * (what a kill reaches beyond the victim: its process group or cgroup, and
 * the checks that keep that from ever being oomguard, init or everyone).
 * Not for any other module: the public interface is kill.h. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "act/kill.h"

/* "PID/stat", "PID/cgroup", "self/cgroup": a pid has at most 10 digits. */
#define KILL_PID_PATH_SIZE 32

/* What one kill acts on, settled before the first signal. */
struct kill_target {
	const struct proc_sample *victim;
	int pidfd;			/* -1 without pidfds */
	pid_t pgrp;			/* for KILL_SCOPE_GROUP */
	enum kill_scope scope;
	const char *cgroup;		/* for KILL_SCOPE_CGROUP: "/a/b.scope" */
};

/* kill.c: pidfd_open(pid). Returns the descriptor or -errno. */
int kill_open_pidfd(pid_t pid);

/* kill.c: send sig through pidfd when it is open (>= 0), else with kill(2)
 * to pid. Returns 0 or -errno (-ESRCH, -EPERM). */
int kill_signal_pid(int pidfd, pid_t pid, int sig);

/* kill.c: read the file name of /proc/pid_dir ("1234" or "self") through the
 * procfs seam into buf (NUL-terminated). Returns the length, -ESRCH when the
 * process is gone, or -errno as procfs_read_file (-EFBIG: did not fit). */
long kill_read_pid_file(const struct kill_ctx *ctx, const char *pid_dir, const char *name,
			char *buf, size_t size);

/* killscope.c: read oomguard's own cgroup into ctx->self_cgroup ("" when
 * unknown) and open the cgroup2 mount, as kill_init documents. Returns 0,
 * or -errno when an explicitly given cgroup_root cannot be opened. */
int kill_init_cgroup(struct kill_ctx *ctx, const char *cgroup_root);

/* killscope.c: settle t->scope (and t->pgrp or t->cgroup) from req: the
 * group or cgroup when asked and allowed, else the victim alone with a
 * warning saying why. now is the victim's freshly re-read stat. Fills
 * out->scope, and out->cgroup when req->cgroup. */
void kill_choose_scope(const struct kill_ctx *ctx, const struct kill_request *req,
		       const struct proc_sample *now, struct kill_target *t,
		       struct kill_outcome *out);

/* killscope.c: signal the processes of t->cgroup: SIGKILL through
 * cgroup.kill when that works, else (and any other signal) each pid listed
 * in cgroup.procs but the victim, which the caller always signals itself.
 * Failures are logged; the victim's own signal decides the outcome. */
void kill_signal_cgroup(const struct kill_ctx *ctx, const struct kill_target *t, int sig);
