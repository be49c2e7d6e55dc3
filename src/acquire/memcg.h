/* Container mode's reads: one memory cgroup's files, the limit search on
 * oomguard's own cgroup path, and the two facts from /proc that go with
 * them. Through the cgroupfs and procfs seams, so fixture trees stand in.
 * Start-up work (it opens files), and one sample per loop round; nothing
 * here allocates. parse/memcg.h says where the figures go next. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "acquire/cgroupfs.h"
#include "acquire/procfs.h"
#include "types.h"

/* Read the memory files of the cgroup at path ("/" first) into *out:
 * memory.max, memory.current and memory.stat are required; memory.high
 * reads as unlimited and memory.swap.* as absent (have_swap false) when
 * missing. Returns 0, -ENOENT when the cgroup is gone or has no memory
 * controller (quietly expected: a container's cgroup can vanish), -EINVAL
 * when a file is malformed, or -errno. */
int memcg_read_sample(const struct cgroupfs *cg, const char *path, struct memcg_sample *out);

/* The limit search (parse/memcg.h memcg_find_limit, whose rules apply)
 * over the cgroups of self_path, reading each through cg; self is
 * oomguard's pid as cgroup.procs shows it, mem_total_kib the machine's
 * MemTotal. Returns 0 with *out filled, -EINVAL for a path outside our
 * cgroup namespace, -ENOENT when a cgroup on the path is not in this tree
 * (a cgroupfs mounted from another namespace), or -errno. */
int memcg_read_limit(const struct cgroupfs *cg, const char *self_path, pid_t self,
		     uint64_t mem_total_kib, struct memcg_limit *out);

/* Our own cgroup v2 path from self/cgroup ("0::/system.slice/x.service")
 * into path (size bytes). Returns 0, or as pidinfo_parse_cgroup_v2 and
 * procfs_read_file. */
int memcg_read_self_path(const struct procfs *procfs, char *path, size_t size);

/* vm.swappiness from sys/vm/swappiness (0..200), which cgroup v2 uses for
 * every cgroup. Returns 0, -EINVAL, or -errno. */
int memcg_read_swappiness(const struct procfs *procfs, unsigned *swappiness);
