/* The plain structs that travel between the stages: what acquire reads
 * (samples of memory, pressure and processes), what decide concludes
 * (candidates, the decision and its reason) and what act and tell are
 * handed. Every stage includes this header; it includes no other header of
 * oomguard's, so the includes of src/ can run one way. No functions. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- Memory: /proc/meminfo, /proc/vmstat, /proc/swaps, zram -------------- */

struct meminfo {
	uint64_t mem_total_kib;
	uint64_t mem_free_kib;
	uint64_t mem_available_kib;
	uint64_t cached_kib;
	uint64_t active_file_kib;
	uint64_t inactive_file_kib;
	uint64_t anon_pages_kib;
	uint64_t shmem_kib;
	uint64_t mlocked_kib;		/* locked pages: never swapped */
	uint64_t swap_total_kib;
	uint64_t swap_free_kib;
	uint64_t zswap_kib;		/* RAM that zswap's pool takes (5.19+; else 0) */
	uint64_t zswapped_kib;		/* swapped data that pool holds */
};

struct vmstat {
	uint64_t oom_kill;		/* kernel OOM kills since boot (4.13+) */
	uint64_t refault_file;		/* workingset_refault_file (5.9+), or workingset_refault */
	uint64_t refault_anon;		/* workingset_refault_anon (5.9+) */
	uint64_t pswpin;
	uint64_t pswpout;
	bool have_oom_kill;
	bool have_refault;
};

/* zram devices oomguard follows; distributions set up one (zram-generator,
 * zram-tools), a few per CPU at most. */
#define ZRAM_MAX_DEVICES 16

/* One zram swap device: its line of /proc/swaps, then its mm_stat. */
struct zram_device {
	unsigned id;			/* N of /dev/zramN */
	uint64_t size_kib;		/* disksize, as /proc/swaps shows it */
	uint64_t used_kib;		/* swapped data on it */
	bool have_mm_stat;
	uint64_t orig_bytes;		/* mm_stat: data stored, uncompressed */
	uint64_t compr_bytes;		/* ... compressed */
	uint64_t mem_used_bytes;	/* RAM the pool takes, overhead included */
	uint64_t mem_limit_bytes;	/* 0: no limit */
	uint64_t same_pages;		/* same-filled pages: stored without RAM */
};

/* Swap as /proc/swaps lists it, zram devices apart. */
struct swaps {
	uint64_t zram_total_kib;	/* Size of the zram swap devices */
	uint64_t zram_used_kib;		/* Used on them */
	struct zram_device zram[ZRAM_MAX_DEVICES];
	unsigned n_zram;
};

/* ---- Pressure: /proc/pressure/memory and (later) cgroups' memory.pressure - */

/* One line of a pressure file. Averages are kept in hundredths of a percent
 * (the kernel prints two decimals), so no floating point is needed. */
struct psi_line {
	uint32_t avg10_centi;
	uint32_t avg60_centi;
	uint32_t avg300_centi;
	uint64_t total_us;		/* cumulative stall time */
};

struct psi {
	struct psi_line some;
	struct psi_line full;
};

/* Pressure sources oomguard watches: the system's, and room for cgroups. */
#define PRESSURE_MAX_SOURCES 4

/* What one pressure source says at this sample: the exact stall over the
 * last closed window, from the cumulative totals, and how long the watched
 * line (--psi-metric) has been stalled at least --psi-threshold in every
 * window without a break. */
struct pressure_reading {
	bool valid;			/* the file was read and parsed */
	struct psi psi;			/* as read (averages for reports only) */
	bool have_window;		/* a window has closed since the tracker started */
	uint32_t some_centi;		/* stall of the last window, hundredths of % */
	uint32_t full_centi;
	uint32_t window_ms;		/* its length */
	uint64_t run_ms;		/* stalled >= threshold this long; 0: not now */
	uint64_t run_since_ms;		/* when that run began */
	/* The same at --warn-psi (0 when the warning is off): how long the
	 * stall has stayed at or above the warning level. */
	uint64_t warn_run_ms;
};

/* One sample of everything the decision reads. */
struct sample {
	uint64_t time_ms;		/* CLOCK_MONOTONIC of the meminfo read */
	/* The memory the decision sees: the machine's /proc/meminfo, or in
	 * the cgroup's sample of container mode the watched cgroup's view of
	 * it (parse/memcg.h memcg_view), whose swap is capped by the
	 * machine's. */
	struct meminfo mi;
	struct meminfo machine;		/* /proc/meminfo as read */
	bool cgroup_view;		/* mi is a cgroup's view */
	struct vmstat vm;
	struct swaps swaps;
	struct pressure_reading pressure[PRESSURE_MAX_SOURCES];
	unsigned n_pressure;
	bool have_vmstat;
	bool sampled;			/* false until the first sample: read everything */
};

/* ---- Processes: /proc/PID/{stat,status,oom_score_adj,cmdline,cgroup} ------ */

/* TASK_COMM_LEN is 16 today; 64 leaves room for kernels that lengthen it
 * (kernel threads already show longer names in some trees). */
#define PIDINFO_COMM_MAX 64

/* PF_KTHREAD from include/linux/sched.h: the flags word in /proc/PID/stat
 * (field 9) has it set for kernel threads. */
#define PIDINFO_PF_KTHREAD 0x00200000u
/* PF_FORKNOEXEC: set by fork/clone, cleared by exec. A child that shares
 * its parent's mm (vfork) has not exec'd, so it has this flag. */
#define PIDINFO_PF_FORKNOEXEC 0x00000040u

struct proc_sample {
	pid_t pid;
	pid_t ppid;
	pid_t pgrp;
	char state;			/* R, S, D, Z, ...; see mm_tid */
	unsigned flags;			/* task flags (PF_*) */
	uint64_t starttime;		/* clock ticks after boot: identity with pid */
	char comm[PIDINFO_COMM_MAX];	/* as the kernel has it, may hold spaces and ')' */
	uid_t uid;			/* real uid */
	bool has_mm;			/* status has VmRSS: not a kthread/zombie */
	uint64_t rss_kib;		/* VmRSS = RssAnon + RssFile + RssShmem */
	uint64_t swap_kib;		/* VmSwap */
	uint64_t pte_kib;		/* VmPTE */
	int oom_score_adj;		/* -1000..1000 */
	/* 0, or the thread whose status gave uid and the mm figures above
	 * when the thread-group leader has exited (state Z) while other
	 * threads live on (pthread_exit in main): as the kernel's
	 * find_lock_task_mm(), the process is scored through a live thread,
	 * and state is that thread's. */
	pid_t mm_tid;
	/* The rest of the mm's counters in status, only to tell a child that
	 * shares its parent's mm by comparison (see shares_parent_mm). */
	uint64_t vm_size_kib;		/* VmSize */
	uint64_t rss_anon_kib;		/* RssAnon */
	uint64_t rss_file_kib;		/* RssFile */
	uint64_t rss_shmem_kib;		/* RssShmem */
	/* The scan found that this process shares its parent's mm: a vfork
	 * (or clone(CLONE_VM)) child that has not exec'd yet. The kernel
	 * gives such a child no score (in_vfork()), and killing it frees
	 * nothing: it is never a candidate (decide/select.c). */
	bool shares_parent_mm;
};

/* The text a rule can match, besides comm. NULL when not read. */
struct proc_text {
	const char *cmdline;
	const char *cgroup;
	const char *unit;
};

/* Policy marks shown by --list. */
#define MARK_PREFER	 0x1u
#define MARK_AVOID	 0x2u
#define MARK_ADJ_IGNORED 0x4u	/* --ignore-positive-adj zeroed a positive adj */

struct candidate {
	struct proc_sample proc;
	long kernel_points;		/* oom_badness() as the kernel computes it */
	long kernel_score;		/* /proc/PID/oom_score equivalent */
	long points;			/* after policy: what oomguard ranks by */
	long score;			/* points on the 0..2000 scale */
	unsigned marks;
};

/* Victims that were sent SIGKILL and did not exit in time (stuck in D state,
 * or holding memory the reaper cannot free): not candidates again while they
 * live, as the kernel's MMF_OOM_SKIP makes its own killer move on. act fills
 * the set from kill outcomes and drops a process once it is gone; decide's
 * selection skips what is in it. A few suffice: each entry is a kill that
 * already failed, and the oldest gives way when it is full. */
#define SKIP_SET_MAX 8

struct skip_entry {
	pid_t pid;
	uint64_t starttime;		/* with pid, the identity */
};

struct skip_set {
	struct skip_entry e[SKIP_SET_MAX];
	unsigned n;
	unsigned oldest;		/* replaced next when full */
};

/* ---- The decision ---------------------------------------------------------- */

enum action {
	ACTION_NONE,
	ACTION_TERM,			/* SIGTERM the victim */
	ACTION_KILL,			/* SIGKILL the victim */
};

/* Why oomguard acts, from a fixed vocabulary that the kill record, the
 * metrics and the hooks all carry (decide_reason_name() spells them); a
 * SIGKILL that follows a SIGTERM says why in enum escalation below. */
enum reason {
	REASON_NONE,
	REASON_FLOOR_TERM,		/* memory and swap at or below the term floors */
	REASON_FLOOR_KILL,		/* ... at or below the kill floors */
	REASON_PRESSURE,		/* stalled on memory, and memory is the cause */
	/* Warnings (decide/warn.c), never a kill: after the kill reasons, so
	 * that arrays indexed by a kill's reason keep their size. */
	REASON_WARN_MEMORY,		/* memory and swap at or below the warning levels */
	REASON_WARN_PRESSURE,		/* stalled at --warn-psi for --psi-duration */
	REASON_KERNEL_OOM,		/* not ours: the kernel's own OOM killer ran */
};

/* Why a SIGTERM was followed by SIGKILL. */
enum escalation {
	ESCALATION_NONE,
	ESCALATION_TIMEOUT,		/* --kill-timeout ran out */
	ESCALATION_FLOOR,		/* the kill floor was crossed while waiting */
	ESCALATION_STALL,		/* the stall that called for the kill went on */
};

/* The four floors in KiB at the current totals. They are recomputed from
 * every sample, so turning swap on or off while running moves them. */
struct floors {
	uint64_t mem_term_kib;
	uint64_t mem_kill_kib;
	uint64_t swap_term_kib;
	uint64_t swap_kill_kib;
	uint64_t mem_base_kib;		/* what -m is a percentage of: MemAvailable + AnonPages */
	uint64_t mem_term_max_kib;	/* the term floor at its highest, of MemTotal */
};

/* Swap as it really is: disk swap as the kernel counts it, zram bounded by
 * the RAM that its compressed pages need (decide/capacity.c). */
struct capacity {
	uint64_t swap_total_kib;	/* disk swap + zram used + zram headroom */
	uint64_t swap_free_kib;		/* disk swap free + zram headroom */
	uint64_t disk_total_kib;	/* swap that is not zram */
	uint64_t disk_free_kib;
	uint64_t zram_size_kib;		/* zram disksize */
	uint64_t zram_used_kib;		/* data swapped to zram */
	uint64_t zram_headroom_kib;	/* what zram can still take */
	uint64_t zram_ram_kib;		/* RAM its pool takes (mem_used_total) */
	uint32_t zram_ratio_centi;	/* compression ratio now, x100; 0: unknown */
	bool zram_ram_bound;		/* the headroom is bounded by RAM, not disksize */
	uint64_t swapped_ram_kib;	/* RAM holding swapped pages: zram + zswap pools */
};

/* Why a stall will not end by itself (decide/decide.c). */
enum pressure_cause {
	CAUSE_NONE,
	CAUSE_THRASHING,		/* the working set is read back as fast as it is evicted */
	CAUSE_SLOW_SWAP,		/* disk swap keeps filling while everything waits */
};

/* Evidence that memory causes a stall, and that a kill would end it. */
struct pressure_evidence {
	uint32_t anon_centi;		/* anon + swapped_ram share of MemTotal */
	uint64_t refault_kib_per_s;	/* working-set refaults (file + anon) during the stall */
	uint32_t refault_permille_per_s; /* ... in thousandths of anon + file LRU */
	uint64_t disk_swapped_kib;	/* disk swap filled during the stall */
	enum pressure_cause cause;	/* CAUSE_NONE: the gate is shut */
};

struct decision {
	enum action action;
	enum reason reason;
	struct floors floors;		/* at this sample */
	struct capacity cap;		/* swap as the floors counted it */
	/* Kills gave no memory back lately: act must not carry this one out
	 * (decide_note_kill). */
	bool held;
	/* For REASON_PRESSURE: which source, its figures, the evidence. */
	unsigned source;
	struct pressure_reading pressure;
	struct pressure_evidence evidence;
};

/* ---- The kernel's own OOM killer ------------------------------------------ */

/* Cgroups whose memory.events show OOM kills: only those are kept (most
 * never have one). 64 is more than a machine whose limits keep being hit
 * needs to be told apart; beyond that the walk says it is incomplete. */
#define MEMCG_OOM_MAX 64
#define MEMCG_PATH_MAX 256

struct memcg_oom_entry {
	uint64_t ino;			/* the cgroup directory's inode: its identity */
	uint64_t kills;			/* oom_kill */
	char path[MEMCG_PATH_MAX];	/* relative to the cgroup2 root, "/" first */
};

struct memcg_oom_table {
	bool valid;			/* the walk ran (a cgroup2 tree was there) */
	bool local;			/* counts are memory.events.local (5.2+), not
					 * hierarchical memory.events */
	bool truncated;			/* more cgroups with kills than MEMCG_OOM_MAX,
					 * or the walk hit its bounds */
	unsigned n;
	struct memcg_oom_entry e[MEMCG_OOM_MAX];
};

#define KERNEL_OOM_MAX_CGROUPS 4

/* One time the kernel's OOM killer ran, as the history and the journal tell
 * it: how many kills, how many of them global (the whole machine out of
 * memory) and in which memory-limited cgroups the others were. */
struct kernel_oom_event {
	uint64_t kills;			/* /proc/vmstat oom_kill moved this much */
	uint64_t global_kills;		/* of them, not explained by a cgroup */
	bool cgroups_known;		/* the cgroup tree was walked */
	unsigned n_cgroups;
	struct {
		char path[MEMCG_PATH_MAX];
		uint64_t kills;
	} cgroup[KERNEL_OOM_MAX_CGROUPS];
};

/* ---- Container mode: one memory cgroup's figures (issue #16) -------------- */

/* How container mode travels:
 *   acquire/container.c chooses, at start-up, the cgroup to watch (the
 *   tightest limit on oomguard's own cgroup path, or --cgroup's) as a
 *   struct memcg_limit; acquire/sensors.c then reads that cgroup's files
 *   through the cgroupfs seam into struct memcg_sample with every sample;
 *   parse/memcg.c's memcg_view() turns the sample and /proc/meminfo into a
 *   struct meminfo as the cgroup sees memory: the mi of a second struct
 *   sample, the cgroup's (sample.machine keeps /proc/meminfo), which the
 *   loop decides on beside the machine's, so that decide's floors and
 *   policy run unchanged on either;
 *   decide/badness.c's badness_memcg_totalpages() gives the totalpages the
 *   memcg OOM killer scores with, for select and --list.
 * All sizes here are bytes, as the cgroup files print them. */

/* "max" in memory.max, memory.high, memory.swap.max. */
#define MEMCG_UNLIMITED UINT64_MAX

/* A cgroup path as /proc/PID/cgroup shows it: the kernel builds it in a
 * PATH_MAX buffer. The limit search keeps two, once. */
#define MEMCG_LIMIT_PATH_MAX 4096

/* The memory.stat keys the view needs (bytes). */
struct memcg_stat {
	uint64_t anon;			/* anonymous memory, shmem excluded */
	uint64_t file;			/* page cache, shmem and tmpfs included */
	uint64_t shmem;			/* swap-backed cache: on the anon LRU */
	uint64_t file_mapped;
	uint64_t file_dirty;
	uint64_t active_file;		/* the file LRU: clean or to be written back, */
	uint64_t inactive_file;		/* never shmem (it is swap-backed) */
	uint64_t unevictable;		/* mlocked, ramfs: no reclaim, no swap */
	uint64_t slab_reclaimable;	/* dentries, inodes: the shrinkers free them */
	uint64_t zswap;			/* zswap pool charged here (5.19+) */
	uint64_t zswapped;		/* the data in that pool */
	/* Working-set refaults of the cgroup's pages (event counts, as
	 * /proc/vmstat's): workingset_refault_file and _anon (5.9+), or
	 * workingset_refault before. */
	uint64_t refault_file;
	uint64_t refault_anon;
	bool have_refault;
};

/* One cgroup's figures, read through the cgroupfs seam. */
struct memcg_sample {
	uint64_t max;			/* memory.max, or MEMCG_UNLIMITED */
	uint64_t high;			/* memory.high, or MEMCG_UNLIMITED */
	uint64_t current;		/* memory.current */
	bool have_swap;			/* memory.swap.* exist (swap accounting on) */
	uint64_t swap_max;		/* memory.swap.max; MEMCG_UNLIMITED without */
	uint64_t swap_current;		/* memory.swap.current; 0 without */
	struct memcg_stat stat;
};

/* Where the limit search found limits on a cgroup path, and which cgroups
 * it left out as holding oomguard alone. Paths are relative to the cgroup2
 * mount, "/" first, as /proc/PID/cgroup shows them; "" for none. */
struct memcg_limit {
	char path[MEMCG_LIMIT_PATH_MAX];	/* the cgroup whose memory.max binds */
	uint64_t max;			/* its memory.max; MEMCG_UNLIMITED: none binds */
	uint64_t swap_max;		/* its memory.swap.max (for totalpages) */
	char swap_path[MEMCG_LIMIT_PATH_MAX]; /* the cgroup with the tightest swap.max */
	uint64_t swap_limit;		/* that swap.max; MEMCG_UNLIMITED: none */
	unsigned skipped;		/* cgroups from ours up holding only oomguard */
};
