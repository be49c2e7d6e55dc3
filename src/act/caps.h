/* Privileges and self-protection: lock memory, lower our own OOM score,
 * then keep only the capabilities the loop needs (libcap). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* oomguard's own oom_score_adj. Low enough that the kernel picks any
 * ordinary process first (it takes 90 % of RAM+swap off our points), yet
 * not -1000: should oomguard itself ever balloon, the kernel may still stop
 * it instead of killing everything else. See README "Self-protection". */
#define CAPS_SELF_OOM_SCORE_ADJ -900

/* Supplementary groups kept across the switch: far more than any service
 * user is in. */
#define CAPS_MAX_GROUPS 64

/* Whom a root start runs as without --user: a system user of its own,
 * which the packages create (contrib/oomguard.sysusers); where there is
 * none, nobody. */
#define CAPS_DEFAULT_USER "oomguard"

/* The user a root start switches to after set-up (--user). */
struct caps_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[CAPS_MAX_GROUPS];	/* supplementary groups, as initgroups(3) */
	int n_groups;
	bool switch_uid;	/* a root start that gives up uid 0 */
	bool keep_root;		/* a root start told --user root */
	bool shared;		/* the default fell back to nobody, which others share */
};

struct caps_report {
	bool locked;		/* mlockall succeeded */
	bool onfault;		/* ... with MCL_ONFAULT */
	bool adj_set;		/* own oom_score_adj lowered */
	bool nice_wanted;
	bool nice_set;
	bool have_kill;		/* CAP_KILL kept (or we are the only user to kill) */
	bool kept_ipc_lock;
	bool dropped;		/* the capability sets were reduced */
	bool switched;		/* uid, gid and groups are the --user's */
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

/* Decide whom the daemon runs as after set-up. name is --user (NULL when
 * not given). Started as root (euid 0): name, by default "nobody" (uid and
 * gid 65534 when the system has no such entry), looked up with getpwnam(3)
 * or given as UID or UID:GID, with its groups from getgrouplist(3); uid 0
 * ("root") keeps root, with keep_root set. Started as another user: no
 * switch, and a --user naming someone else is refused. Returns 0, or
 * -EINVAL / -EPERM with one line (no newline) in errbuf. */
int caps_resolve_user(const char *name, struct caps_user *user, char *errbuf, size_t errlen);

/* Reduce privileges to what the loop needs: CAP_KILL, plus CAP_IPC_LOCK
 * while RLIMIT_MEMLOCK could stop locked memory from growing. Clears the
 * inheritable and ambient sets and the bounding set (when CAP_SETPCAP
 * allows); with user->switch_uid sets the user's groups, gid and uid
 * (real, effective and saved) keeping only those capabilities across the
 * change, and makes the process dumpable again (as a start under that uid
 * would be: /proc/self stays its own, and ptrace still needs what it
 * holds); then sets no-new-privs. user may be NULL (no switch). Call after
 * every descriptor and trigger that needs privilege is set up. Returns 0
 * or -errno (recorded in *rep): on failure the process may still hold
 * every capability, or uid 0, and the caller must not go on. */
int caps_drop(struct caps_report *rep, const struct caps_user *user);

/* Log what the start-up achieved and what the daemon will not be able to
 * do, one line each (after a successful caps_drop()). */
void caps_log(const struct caps_report *rep, bool dryrun);
