/* Memory samples read through descriptors kept open for the daemon's life:
 * /proc/meminfo, /proc/vmstat, /proc/swaps, /proc/zoneinfo, /proc/loadavg
 * and the mm_stat of zram swap devices; in container mode also the watched
 * cgroup's memory files, for a second sample that carries its view of
 * memory (sensors_sample_cgroup). Each read is a pread at offset 0
 * into a fixed buffer: no open and no allocation per sample. Pressure files
 * are acquire/pressure.c's. */
#pragma once

#include <stdbool.h>

#include "acquire/cgroupfs.h"
#include "acquire/memcg.h"
#include "acquire/procfs.h"
#include "types.h"

/* /proc/meminfo is about 1.5 KiB and /proc/vmstat about 6 KiB on 6.x
 * kernels; 16 KiB leaves room for the fields future kernels add. */
#define SENSORS_BUF_SIZE 16384

struct sensors {
	int meminfo_fd;
	int vmstat_fd;		/* -1 when unreadable */
	int swaps_fd;		/* -1 when unreadable */
	int zoneinfo_fd;	/* -1 when unreadable */
	int loadavg_fd;		/* -1 when unreadable */
	uint64_t reserve_kib;	/* totalreserve_pages in KiB; 0: unknown */
	unsigned page_kib;
	int sysfs_fd;		/* sysfs root for zram; -1 when absent */
	int zram_fds[ZRAM_MAX_DEVICES];	/* mm_stat of each zram swap device */
	unsigned zram_ids[ZRAM_MAX_DEVICES];
	unsigned n_zram;
	/* Container mode: the watched cgroup's files, and those of the one
	 * whose memory.swap.max is tighter when it is another. */
	bool memcg_on;
	struct memcg_files memcg;
	bool memcg_swap_on;
	struct memcg_files memcg_swap;
	uint64_t memcg_max;		/* memory.max at the last sample (quick bound) */
	struct memcg_stat memcg_stat;	/* memory.stat at the last sample */
	char buf[SENSORS_BUF_SIZE];
};

/* Initialise every descriptor to -1. */
void sensors_init(struct sensors *s);

/* Read /proc/meminfo under procfs once, without keeping a descriptor (for
 * start-up checks and --list). Returns 0, -EINVAL with *bad_key naming the
 * missing or malformed key, or -errno. */
int sensors_read_meminfo_once(const struct procfs *procfs, struct meminfo *mi,
			      const char **bad_key);

/* Open the files below procfs (meminfo required, the rest optional) and the
 * sysfs root at sysfs_path (optional). Returns 0 or the -errno of meminfo. */
int sensors_open(struct sensors *s, const struct procfs *procfs, const char *sysfs_path);

/* Container mode: sample the cgroup at path (its memory.max binds) and,
 * when swap_path is another cgroup ("" or NULL: none), that one's swap
 * figures too, with sensors_sample_cgroup(). Opens their files now.
 * Returns 0, or -errno as memcg_files_open (-ENOENT: gone, or no memory
 * controller). */
int sensors_open_memcg(struct sensors *s, const struct cgroupfs *cg, const char *path,
		       const char *swap_path);

/* Container mode: the watched cgroup's memory.events oom_kill. Returns 0,
 * -ENOENT outside container mode or without the file, or as
 * memcg_files_read_oom_kill. */
int sensors_memcg_oom_kill(struct sensors *s, uint64_t *kills);

void sensors_close(struct sensors *s);

/* Read a sample's memory figures into *out: meminfo (errors: 0, -EINVAL
 * with *bad_key naming the missing or malformed key, or -errno; out keeps
 * its last good figures then), and the
 * optional sources, which just clear their have_ flags. /proc/vmstat is
 * ~4 KiB of text the kernel builds counter by counter, the costliest read,
 * so it is only read with want_vmstat (and at the first sample); otherwise
 * out->vm keeps its last value. /proc/swaps is re-read while zram swap is
 * active and whenever SwapTotal changed, and then every zram device's
 * mm_stat. out->time_ms is left to the caller. */
int sensors_sample(struct sensors *s, struct sample *out, bool want_vmstat, const char **bad_key);

/* Container mode: the watched cgroup's sample, built on machine (this
 * tick's sensors_sample): the same sample with mi the cgroup's view of
 * memory (parse/memcg.h memcg_view), cgroup_view set, the refault counters
 * the cgroup's own (memory.stat) and no pressure reading (the loop puts the
 * cgroup's source there). Returns 0, -ENOENT outside container mode, or
 * memcg_files_read's error (out is left alone then). */
int sensors_sample_cgroup(struct sensors *s, const struct sample *machine, struct sample *out);

/* Read /proc/vmstat alone into out->vm (have_vmstat false, and the
 * counters zero, when it cannot be read): for a sample whose stall was seen
 * only after sensors_sample() skipped it. */
void sensors_read_vmstat(struct sensors *s, struct sample *out);

/* A cheap lower bound on MemAvailable: sysinfo(2)'s free RAM minus the
 * kernel's reserve (from /proc/zoneinfo, re-read with every vmstat read).
 * The kernel computes MemAvailable as free - reserve + a share of the page
 * cache and reclaimable slab, so the bound never overstates. sysinfo is a
 * fraction of the cost of building /proc/meminfo, and while memory is far
 * above the floors this bound is all an idle tick needs. Only meaningful on
 * the live procfs of this machine. In container mode the bound is also at
 * most memory.max (at the last sample) less memory.current, one ~20-byte
 * read: the cgroup's reclaimable cache only adds to what it has. Returns 0
 * or -errno (-ENODATA without a reserve figure). */
int sensors_quick_available(struct sensors *s, uint64_t *kib);

/* The last pid the kernel handed out (in oomguard's pid namespace), the
 * last field of /proc/loadavg: "0.20 0.18 0.12 1/80 11206". A change means
 * a process (or thread) was created; ~30 bytes read, where a scan reads
 * every process. Returns 0, -ENOENT without the file, -EINVAL when
 * malformed, or -errno. */
int sensors_last_pid(struct sensors *s, long *pid);
