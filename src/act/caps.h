/* Privileges and self-protection: lock memory, lower our own OOM score,
 * then keep only the capabilities the loop needs (libcap). */
#pragma once

#include <stdbool.h>

/* oomguard's own oom_score_adj. Low enough that the kernel picks any
 * ordinary process first (it takes 90 % of RAM+swap off our points), yet
 * not -1000: should oomguard itself ever balloon, the kernel may still stop
 * it instead of killing everything else. See README "Self-protection". */
#define CAPS_SELF_OOM_SCORE_ADJ -900

struct caps_report {
	bool locked;		/* mlockall succeeded */
	bool onfault;		/* ... with MCL_ONFAULT */
	bool adj_set;		/* own oom_score_adj lowered */
	bool nice_wanted;
	bool nice_set;
	bool have_kill;		/* CAP_KILL kept (or we are the only user to kill) */
	bool kept_ipc_lock;
	bool dropped;		/* the capability sets were reduced */
	int lock_errno;
	int adj_errno;
	int drop_errno;
};

/* Lock all memory (MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT, without ONFAULT on
 * kernels before 4.4) and write CAPS_SELF_OOM_SCORE_ADJ to
 * /proc/self/oom_score_adj; with high_priority (earlyoom's -p) also nice
 * -20. Failures are recorded in *rep, not fatal.
 * Returns 0. */
int caps_protect_self(struct caps_report *rep, bool high_priority);

/* Reduce privileges to what the loop needs: CAP_KILL, plus CAP_IPC_LOCK
 * while RLIMIT_MEMLOCK could stop locked memory from growing. Clears the
 * inheritable and ambient sets and the bounding set (when CAP_SETPCAP
 * allows), and sets no-new-privs. Call after every descriptor and trigger
 * that needs privilege is set up. Returns 0 or -errno (recorded in *rep):
 * on failure the process may still hold every capability it started with,
 * and the caller must not go on. */
int caps_drop(struct caps_report *rep);

/* Log what the start-up achieved and what the daemon will not be able to
 * do, one line each (after a successful caps_drop()). */
void caps_log(const struct caps_report *rep, bool dryrun);
