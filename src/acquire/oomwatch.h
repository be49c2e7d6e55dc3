/* Where the kernel's OOM killer struck: a walk of the cgroup v2 tree that
 * notes each cgroup whose memory.events.local (or, before Linux 5.2,
 * memory.events) shows OOM kills. The walk runs at start-up and again each
 * time /proc/vmstat's oom_kill moves, never on oomguard's own kill path:
 * it opens files and fdopendir allocates. parse/memevents.c compares two
 * walks. */
#pragma once

#include "types.h"

/* Bounds on the walk, so that a tree of many thousands of cgroups (a
 * container host) cannot hold up the loop for long: a few thousand
 * directories read in a few ms. Deeper or further cgroups are left out and
 * the table says it is incomplete. */
#define OOMWATCH_MAX_DIRS 4096
#define OOMWATCH_MAX_DEPTH 16
/* The longest path walked: cgroup names are at most 255 bytes, so this
 * holds the deepest walk of names of a usual length. */
#define OOMWATCH_PATH_MAX 4096

/* Walk the cgroup2 tree at root_fd (the mount, or a fixture tree standing
 * in for it) into *t. root_fd < 0 gives an invalid table (no cgroup v2).
 * Returns 0, or -errno when the root itself cannot be read (t invalid). */
int oomwatch_walk(int root_fd, struct memcg_oom_table *t);
