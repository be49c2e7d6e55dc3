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

/* The files of the watched cgroup, kept open for the daemon's life (the
 * loop reads them every sample: no open under pressure). -1 where absent. */
struct memcg_files {
	int max_fd, current_fd, high_fd, stat_fd;
	int swap_max_fd, swap_current_fd;	/* -1 without swap accounting */
	int events_fd;				/* memory.events; -1 when absent */
};

#define MEMCG_FILES_INIT { -1, -1, -1, -1, -1, -1, -1 }

/* Open the memory files of the cgroup at path ("/" first) into *f: as
 * memcg_read_sample, memory.max, memory.current and memory.stat are
 * required. Returns 0, -ENOENT (gone, or no memory controller), or
 * -errno; f is closed again on failure. */
int memcg_files_open(struct memcg_files *f, const struct cgroupfs *cg, const char *path);

/* Read the kept files into *out, as memcg_read_sample does. Returns 0,
 * -EINVAL when a file is malformed, or -errno (-ENODEV once the cgroup was
 * removed). */
int memcg_files_read(const struct memcg_files *f, struct memcg_sample *out);

/* memory.current alone: ~20 bytes, for the loop's idle tick. Returns 0,
 * -EINVAL or -errno. */
int memcg_files_read_current(const struct memcg_files *f, uint64_t *bytes);

/* memory.events' oom_kill (hierarchical: the cgroup's and its
 * descendants' memcg OOM kills). Returns 0, -ENOENT without the file,
 * -EINVAL or -errno. */
int memcg_files_read_oom_kill(const struct memcg_files *f, uint64_t *kills);

void memcg_files_close(struct memcg_files *f);

/* The limit search (parse/memcg.h memcg_find_limit, whose rules apply)
 * over the cgroups of self_path, reading each through cg; self is
 * oomguard's pid as cgroup.procs shows it, mem_total_kib the machine's
 * MemTotal. Returns 0 with *out filled, -EINVAL for a path outside our
 * cgroup namespace, -ENOENT when a cgroup on the path is not in this tree
 * (a cgroupfs mounted from another namespace), or -errno. */
int memcg_read_limit(const struct cgroupfs *cg, const char *self_path, pid_t self,
		     uint64_t mem_total_kib, struct memcg_limit *out);

/* The search from path up with nothing left out (parse/memcg.h
 * memcg_find_limit_at), for --cgroup PATH. Returns as memcg_read_limit. */
int memcg_read_limit_at(const struct cgroupfs *cg, const char *path, uint64_t mem_total_kib,
			struct memcg_limit *out);

/* Our own cgroup v2 path from self/cgroup ("0::/system.slice/x.service")
 * into path (size bytes). Returns 0, or as pidinfo_parse_cgroup_v2 and
 * procfs_read_file. */
int memcg_read_self_path(const struct procfs *procfs, char *path, size_t size);

/* vm.swappiness from sys/vm/swappiness (0..200), which cgroup v2 uses for
 * every cgroup. Returns 0, -EINVAL, or -errno. */
int memcg_read_swappiness(const struct procfs *procfs, unsigned *swappiness);
