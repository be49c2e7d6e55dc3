#include "act/caps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

int caps_drop(struct caps_report *rep)
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
	if (cap_set_proc(want) < 0) {
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
			 "no-new-privs set", rep->kept_ipc_lock ? " and CAP_IPC_LOCK" : "");
	/* Said in --dryrun too: a dry run is how an operator checks a set-up. */
	if (!rep->have_kill)
		log_warn("no CAP_KILL: only processes of uid %u can be killed%s", (unsigned)getuid(),
			 dryrun ? " (once not in --dryrun)" : "");
}
