/* Container mode's start-up: which memory view the daemon takes (the
 * machine's, or one memory-limited cgroup's) and why, from the flags and
 * the limit search (acquire/memcg.h). Read once, before the loop opens
 * anything, through the procfs and cgroupfs seams; --list takes the same
 * view. The loop then samples the chosen cgroup (acquire/sensors.h), watches
 * its memory.pressure and memory.events, and picks victims in its subtree
 * scored with the memcg OOM killer's totalpages (decide/badness.h
 * badness_memcg_totalpages() of limit.max and limit.swap_max). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "acquire/cgroupfs.h"
#include "acquire/procfs.h"
#include "parse/config.h"
#include "types.h"

struct container {
	bool on;				/* the cgroup's view; false: the machine's */
	struct memcg_limit limit;		/* where the limits bind (limit.path: the
						 * cgroup watched) */
	char subtree[MEMCG_LIMIT_PATH_MAX];	/* victims are in it: limit.path, or
						 * --cgroup's PATH below it */
	unsigned swappiness;			/* vm.swappiness (60 when unreadable) */
	char why[1024];				/* the view in words, for "memory view: " */
};

/* Choose the view for cfg: --no-cgroup the machine; --cgroup PATH that
 * cgroup (the tightest memory.max at or above it); neither, the tightest
 * limit on oomguard's own cgroup path, self being oomguard's pid as
 * cgroup.procs shows it, or the machine when there is none (or the tree
 * cannot tell: a wrong limit would kill what fits, so doubt keeps the
 * machine's view). mem_total_kib is the machine's MemTotal. Fills *c,
 * c->why always. Returns 0, or -EINVAL / -ENOENT with one line in err for
 * a --cgroup that cannot be watched (bad usage: exit 2). */
int container_choose(struct container *c, const struct config *cfg, const struct procfs *procfs,
		     const struct cgroupfs *cg, pid_t self, uint64_t mem_total_kib, char *err,
		     size_t errlen);
