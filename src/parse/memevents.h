/* Pure: the oom_kill counter of a cgroup v2 memory.events file, and which
 * cgroups the kernel's OOM killer struck in between two walks of the tree
 * (acquire/oomwatch.c takes the walks). */
#pragma once

#include <stdint.h>

#include "types.h"

/* Parse memory.events or memory.events.local:
 *   low 0
 *   high 0
 *   max 1520
 *   oom 3
 *   oom_kill 2
 *   oom_group_kill 0
 * into *oom_kill. Returns 0, or -EINVAL when oom_kill is missing or not a
 * number (a kernel before 4.13 has no such line). */
int memevents_parse_oom_kill(const char *buf, uint64_t *oom_kill);

/* What the kernel's OOM killer did between two walks, before and now,
 * given kills, how far /proc/vmstat's oom_kill moved meanwhile (it counts
 * every kill, global and memory-cgroup alike). A cgroup whose count grew
 * (matched by inode, a new one counting from 0) had a memory-cgroup kill;
 * with hierarchical counts (no memory.events.local) only the deepest
 * cgroups that grew are named, since their ancestors count the same kills.
 * Kills that no cgroup explains were global ones. Fills *ev: at most
 * KERNEL_OOM_MAX_CGROUPS cgroups, the ones with most kills first. Returns
 * nothing. */
void memevents_diff(const struct memcg_oom_table *before, const struct memcg_oom_table *now,
		    uint64_t kills, struct kernel_oom_event *ev);
