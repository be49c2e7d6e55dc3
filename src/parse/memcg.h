/* Pure: the memory files of one cgroup v2 directory, and what container
 * mode computes from them: the memory a limited cgroup still has (as its
 * reclaim sees it), and the tightest limit on a cgroup path. No I/O:
 * acquire/memcg.c reads the files through the cgroupfs seam and hands the
 * text, or a callback's answers, here.
 *
 * Where the figures go:
 *   start-up: acquire/container.c -> acquire/memcg.c memcg_read_limit() ->
 *             memcg_find_limit() here -> struct memcg_limit: which cgroup
 *             to watch, or none (the machine-wide view stays);
 *   each sample: acquire/sensors.c, memcg_files_read() of that cgroup (and
 *             of limit.swap_path when another cgroup's swap.max is
 *             tighter) -> struct memcg_sample -> memcg_view() here -> a
 *             struct meminfo as the cgroup sees it, put in struct sample's
 *             mi, so that decide's floors, policy and reports read it
 *             unchanged;
 *   selection and --list: badness_memcg_totalpages() (decide/badness.c)
 *             from limit.max, limit.swap_max and the machine's swap, for
 *             the victims in that cgroup's subtree. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Parse memory.max, memory.high or memory.swap.max (kernel 6.1):
 *   max
 *   536870912
 * one line, "max" or a number of bytes. Returns 0 with *bytes set
 * (MEMCG_UNLIMITED for "max"), or -EINVAL. */
int memcg_parse_limit(const char *buf, uint64_t *bytes);

/* Parse memory.current or memory.swap.current (kernel 6.1):
 *   94208000
 * one number of bytes, on one line. Also fits any one-number file
 * (/proc/sys/vm/swappiness). Returns 0 with *value set, or -EINVAL. */
int memcg_parse_number(const char *buf, uint64_t *value);

/* Zero *st and mark the required keys missing; before the first
 * memcg_parse_stat_line(). */
void memcg_stat_begin(struct memcg_stat *st, unsigned *seen);

/* One line of memory.stat (kernel 6.1, 40-odd lines, bytes first and
 * event counts after):
 *   anon 52023296
 *   file 46727168
 *   kernel 1343488
 *   ...
 *   shmem 10485760
 *   ...
 *   inactive_file 36241408
 *   active_file 0
 *   unevictable 0
 *   slab_reclaimable 356944
 *   ...
 *   workingset_refault_anon 0
 *   workingset_refault_file 412
 * A key is a whole word at the line's start ("file" is not "file_mapped");
 * keys the view does not need are skipped. *seen collects the required
 * keys found. Returns 0, or -EINVAL when a needed key's value is not one
 * number. */
int memcg_parse_stat_line(const char *line, struct memcg_stat *st, unsigned *seen);

/* After the last line: returns 0 when anon, file, active_file and
 * inactive_file were all there (every kernel since 4.5 has them), else
 * -EINVAL. */
int memcg_stat_end(unsigned seen);

/* A whole memory.stat text: begin, each line, end. Returns as those. */
int memcg_parse_stat(const char *buf, struct memcg_stat *st);

/* Parse cgroup.stat (kernel 6.1):
 *   nr_descendants 0
 *   nr_dying_descendants 0
 * for nr_descendants (live cgroups below). Returns 0 or -EINVAL. */
int memcg_parse_nr_descendants(const char *buf, uint64_t *nr);

/* Is path a cgroup path the search may walk: "/", or "/" and names, none
 * of them empty, "." or ".." (a process outside our cgroup namespace
 * shows "/../.."), shorter than MEMCG_LIMIT_PATH_MAX? Returns true or
 * false. */
bool memcg_path_valid(const char *path);

/* What the search learns of one cgroup on the path. */
struct memcg_level {
	uint64_t max;			/* memory.max; MEMCG_UNLIMITED when absent */
	uint64_t swap_max;		/* memory.swap.max; MEMCG_UNLIMITED when absent */
	/* Asked for only while the search is still leaving out cgroups
	 * that hold oomguard alone: */
	uint64_t n_procs;		/* pids in cgroup.procs other than oomguard's */
	uint64_t nr_descendants;	/* cgroup.stat */
};

/* Read the cgroup at path ("/" first) into *out; members says whether
 * n_procs and nr_descendants are wanted. Returns 0, -ENOENT when the
 * cgroup is not there, or another -errno. */
typedef int (*memcg_level_fn)(const char *path, bool members, struct memcg_level *out,
			      void *data);

/* The limit search, from oomguard's own cgroup self_path up to "/" (the
 * root of the mount, which inside a cgroup namespace is the container's
 * own cgroup and carries its memory.max):
 *  - Left out, from the bottom: a cgroup that holds only oomguard, i.e.
 *    whose cgroup.procs lists no other pid and whose live descendants are
 *    only the cgroups already left out below it on the path. Its limit is
 *    oomguard's own (the unit's MemoryMax=), not what the workload lives
 *    under. Once a cgroup holds anything else, every one above does too.
 *  - Of the rest, the lowest memory.max below mem_total_bytes binds (one
 *    at or above RAM never does: the machine runs out first); on a tie the
 *    ancestor, whose usage includes the child's and so reaches it first.
 *  - Apart, the lowest memory.swap.max on the same cgroups, tie to the
 *    ancestor likewise: swap runs out at the tightest one.
 * A cgroup without memory.max (no memory controller there, or the host's
 * root) has no limit. Fills *out (path "" and MEMCG_UNLIMITED for none).
 * Returns 0, -EINVAL for a path it may not walk, or read's error. */
int memcg_find_limit(const char *self_path, uint64_t mem_total_bytes, memcg_level_fn read,
		     void *data, struct memcg_limit *out);

/* The same search from a cgroup named by the operator (--cgroup PATH),
 * leaving nothing out: PATH is the workload's, not oomguard's (an empty
 * one too). Returns as memcg_find_limit. */
int memcg_find_limit_at(const char *path, uint64_t mem_total_bytes, memcg_level_fn read,
			void *data, struct memcg_limit *out);

/* Is path the cgroup subtree or inside it ("/box/app" is in "/box", "/boxer"
 * is not; everything is in "/")? A path memcg_path_valid refuses ("/../..",
 * outside our cgroup namespace) is in none. Returns true or false. */
bool memcg_path_within(const char *path, const char *subtree);

/* Memory as the limited cgroup sees it, in the machine's struct meminfo so
 * that decide reads it unchanged. mem is the cgroup whose memory.max binds;
 * swap the one with the tightest memory.swap.max, or NULL when none has one
 * (then the machine's swap is the cgroup's); machine is /proc/meminfo.
 *   MemTotal     = memory.max, at most the machine's MemTotal;
 *   MemAvailable = limit - (memory.current - reclaimable), at most the
 *                  machine's MemAvailable (the host may run out first),
 *   reclaimable  = active_file + inactive_file + slab_reclaimable: the
 *                  file LRU (clean or under writeback, reclaim drops it;
 *                  shmem and tmpfs are swap-backed and sit on the anon LRU,
 *                  so they are not in it, though memory.stat's "file"
 *                  counts them) and the slab the shrinkers free, the terms
 *                  of the machine's MemAvailable. The kubelet's working set
 *                  subtracts inactive_file only: stricter, and what
 *                  decides its evictions, not the kernel's OOM;
 *   SwapTotal    = swap.max, at most the machine's SwapTotal;
 *   SwapFree     = swap.max - swap.current, at most the machine's SwapFree;
 *   AnonPages, Shmem, Active/Inactive(file), Cached (= "file"), Mlocked
 *   (= unevictable), Zswap, Zswapped from memory.stat.
 * memory.stat is flushed lazily and may lag memory.current: the
 * differences are clamped at 0. Returns nothing. */
void memcg_view(const struct memcg_sample *mem, const struct memcg_sample *swap,
		const struct meminfo *machine, struct meminfo *out);
