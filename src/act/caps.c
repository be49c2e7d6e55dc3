#define _GNU_SOURCE	/* setresuid, getresuid, getgrouplist */
#include "act/caps.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

/* A locked-memory limit this large never binds a daemon of a few MiB. */
#define MEMLOCK_ENOUGH (64UL << 20)

/* With MCL_ONFAULT a stack page is locked only once touched. Touch what
 * the kill path uses (about 24 KiB deep, hooks 13 KiB) now, so that it never
 * page-faults for stack while memory is scarce. */
__attribute__((noinline)) static void prefault_stack(void)
{
	volatile char stack[64 * 1024];

	for (size_t i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
}

int caps_protect_self(struct caps_report *rep, bool high_priority)
{
	char value[16];
	int fd, len;

	/* ONFAULT: lock pages as they are touched, so untouched reserved
	 * memory (thread stacks, malloc arenas) does not count as resident. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0) {
		rep->locked = rep->onfault = true;
	} else if (errno == EINVAL && mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
		rep->locked = true;
	} else {
		rep->lock_errno = errno;
	}
	if (rep->locked)
		prefault_stack();

	len = snprintf(value, sizeof(value), "%d\n", CAPS_SELF_OOM_SCORE_ADJ);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, value, (size_t)len) == len)
		rep->adj_set = true;
	else
		rep->adj_errno = errno;
	if (fd >= 0)
		close(fd);
	rep->nice_wanted = high_priority;
	if (high_priority)
		rep->nice_set = setpriority(PRIO_PROCESS, 0, -20) == 0;
	return 0;
}

static bool memlock_limited(void)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_MEMLOCK, &rl) < 0 ||
	       (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MEMLOCK_ENOUGH);
}

/* The kernel's overflow uid and gid: what "nobody" is on every distribution,
 * used when the system has no passwd entry for it (an initramfs). */
#define CAPS_NOBODY_ID 65534

/* "UID" or "UID:GID", each below 2^32 - 1 (that is (uid_t)-1, "no change"). */
static bool parse_ids(const char *s, uid_t *uid, gid_t *gid)
{
	unsigned long long u, g;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	u = strtoull(s, &end, 10);
	if (errno || u >= UINT32_MAX)
		return false;
	g = u;
	if (*end == ':') {
		if (end[1] < '0' || end[1] > '9')
			return false;
		g = strtoull(end + 1, &end, 10);
		if (errno || g >= UINT32_MAX)
			return false;
	}
	if (*end != '\0')
		return false;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return true;
}

int caps_resolve_user(const char *name, struct caps_user *user, char *errbuf, size_t errlen)
{
	const char *want = name ? name : CAPS_DEFAULT_USER;
	struct passwd *pw;

	memset(user, 0, sizeof(*user));
	errno = 0;
	pw = getpwnam(want);
	/* No user of its own (the packages create it): nobody, which other
	 * daemons may share, so that a root start still gives up uid 0. */
	if (!pw && !name) {
		want = "nobody";
		user->shared = true;
		pw = getpwnam(want);
	}
	if (pw) {
		snprintf(user->name, sizeof(user->name), "%s", pw->pw_name);
		user->uid = pw->pw_uid;
		user->gid = pw->pw_gid;
		user->n_groups = CAPS_MAX_GROUPS;
		if (getgrouplist(pw->pw_name, pw->pw_gid, user->groups, &user->n_groups) < 0) {
			snprintf(errbuf, errlen, "--user %s: in more than %d groups", want,
				 CAPS_MAX_GROUPS);
			return -EINVAL;
		}
	} else if (parse_ids(want, &user->uid, &user->gid) || !name) {
		if (!name)
			user->uid = user->gid = CAPS_NOBODY_ID;
		snprintf(user->name, sizeof(user->name), "%s", want);
		user->groups[0] = user->gid;
		user->n_groups = 1;
	} else {
		snprintf(errbuf, errlen, "--user %s: no such user (a name from the passwd database, "
			 "UID or UID:GID)", want);
		return -EINVAL;
	}
	if (geteuid() != 0) {
		/* Nothing to switch: a systemd start (DynamicUser=) or a user's. */
		if (name && user->uid != geteuid()) {
			snprintf(errbuf, errlen, "--user %s: only a start as root can switch to another "
				 "user (oomguard runs as uid %u)", want, (unsigned)geteuid());
			return -EPERM;
		}
		return 0;
	}
	user->keep_root = user->uid == 0;
	user->switch_uid = !user->keep_root;
	return 0;
}

/* Become user, keeping the permitted capabilities across the change of
 * uid (PR_SET_KEEPCAPS; the effective set is cleared by it and set again
 * by the caller). Then check that it took, all three ids of each. Returns
 * 0 or -errno. */
static int switch_user(const struct caps_user *user)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	if (setgroups((size_t)user->n_groups, user->groups) < 0)
		return -errno;
	if (setresgid(user->gid, user->gid, user->gid) < 0)
		return -errno;
	if (setresuid(user->uid, user->uid, user->uid) < 0)
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -errno;
	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		return -errno;
	if (ruid != user->uid || euid != user->uid || suid != user->uid ||
	    rgid != user->gid || egid != user->gid || sgid != user->gid)
		return -EPERM;
	return 0;
}

int caps_drop(struct caps_report *rep, const struct caps_user *user)
{
	cap_value_t keep[2] = { CAP_KILL, CAP_IPC_LOCK };
	int n_keep = 1, r = 0;
	cap_t now = cap_get_proc(), want = cap_init();
	cap_flag_value_t has;

	if (!now || !want) {
		r = -errno;
		goto out;
	}
	if (cap_get_flag(now, CAP_KILL, CAP_PERMITTED, &has) == 0)
		rep->have_kill = has == CAP_SET;
	/* Locked memory grows with every page we touch later (MCL_FUTURE);
	 * without CAP_IPC_LOCK that growth is capped by RLIMIT_MEMLOCK. */
	if (rep->locked && memlock_limited() &&
	    cap_get_flag(now, CAP_IPC_LOCK, CAP_PERMITTED, &has) == 0 && has == CAP_SET) {
		n_keep = 2;
		rep->kept_ipc_lock = true;
	}
	for (int i = 0; i < n_keep; i++) {
		if (cap_get_flag(now, keep[i], CAP_PERMITTED, &has) < 0 || has != CAP_SET)
			continue;
		cap_set_flag(want, CAP_PERMITTED, 1, &keep[i], CAP_SET);
		cap_set_flag(want, CAP_EFFECTIVE, 1, &keep[i], CAP_SET);
	}

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * the final set no longer has. */
	if (cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &has) == 0 && has == CAP_SET) {
		for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
			bool kept = false;

			for (int i = 0; i < n_keep; i++)
				kept |= keep[i] == c;
			if (!kept && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0) {
				r = -errno;
				goto out;
			}
		}
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL) {
		r = -errno;
		goto out;
	}
	if (user && user->switch_uid) {
		r = switch_user(user);
		if (r < 0)
			goto out;
		rep->switched = true;
	}
	/* After a switch the permitted set still holds every capability (the
	 * effective set is empty): this reduces it to the kept ones, and
	 * with CAP_SETUID gone the uid cannot be changed back. */
	if (cap_set_proc(want) < 0) {
		r = -errno;
		goto out;
	}
	/* A change of uid made the process non-dumpable: its /proc/self files
	 * would belong to root, out of its own reach (a hook cannot raise its
	 * oom_score_adj). Dumpable, it is what a start as that user with
	 * these capabilities is; ptrace by that user still needs them. */
	if (rep->switched && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		r = -errno;
		goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		goto out;
	}
	rep->dropped = true;
out:
	if (r < 0)
		rep->drop_errno = -r;
	cap_free(now);
	cap_free(want);
	return r;
}

void caps_log(const struct caps_report *rep, bool dryrun)
{
	if (rep->locked)
		log_info("memory locked (mlockall%s)", rep->onfault ? " with MCL_ONFAULT" : "");
	else
		log_warn("cannot lock memory (%s; needs CAP_IPC_LOCK or a higher RLIMIT_MEMLOCK): "
			 "oomguard's own pages may be swapped out when memory is short",
			 strerror(rep->lock_errno));
	if (!rep->adj_set)
		log_warn("cannot set own oom_score_adj to %d (%s; needs CAP_SYS_RESOURCE): "
			 "the kernel may pick oomguard", CAPS_SELF_OOM_SCORE_ADJ, strerror(rep->adj_errno));
	if (rep->nice_wanted && !rep->nice_set)
		log_warn("-p: cannot set nice -20 (needs CAP_SYS_NICE); running at normal priority");
	if (rep->dropped)
		log_info("capabilities: kept CAP_KILL%s; others, inheritable and ambient cleared, "
			 "no-new-privs set; running as uid %u gid %u", rep->kept_ipc_lock ?
			 " and CAP_IPC_LOCK" : "", (unsigned)getuid(), (unsigned)getgid());
	/* Said in --dryrun too: a dry run is how an operator checks a set-up. */
	if (!rep->have_kill)
		log_warn("no CAP_KILL: only processes of uid %u can be killed%s", (unsigned)getuid(),
			 dryrun ? " (once not in --dryrun)" : "");
}
