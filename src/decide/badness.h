/* The kernel's OOM badness, mirrored from mm/oom_kill.c:oom_badness() and
 * fs/proc/base.c:proc_oom_score(), then oomguard's user policy on top. Pure. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "parse/config.h"
#include "types.h"

/* What the kernel returns for a task it will never pick. */
#define BADNESS_UNKILLABLE LONG_MIN

/* totalpages for a global OOM: RAM + swap, in pages (MemTotal and SwapTotal
 * are exact page counts printed in KiB). */
uint64_t badness_totalpages(uint64_t mem_total_kib, uint64_t swap_total_kib, unsigned page_kib);

/* totalpages for a memory-cgroup OOM, as mem_cgroup_get_max()
 * (mm/memcontrol.c, cgroup v2) gives it for the cgroup whose limit was
 * hit: its memory.max plus its memory.swap.max, the swap counted only up to
 * the machine's swap (total_swap_pages) and only when vm.swappiness is not
 * 0 (cgroup v2 has no swappiness of its own). memory.max is not capped at
 * RAM: the kernel does not cap it either. Sizes in bytes as the cgroup
 * files print them, MEMCG_UNLIMITED for "max" (the kernel's
 * PAGE_COUNTER_MAX pages). Returns the page count, at least 1 (oom_kill.c:
 * "mem_cgroup_get_max(oc->memcg) ?: 1"). */
uint64_t badness_memcg_totalpages(uint64_t max_bytes, uint64_t swap_max_bytes,
				  uint64_t swap_total_kib, unsigned swappiness, unsigned page_kib);

/* oom_badness(): rss + swap entries + page-table pages, plus oom_score_adj
 * scaled by totalpages / 1000 (integer division first, as the kernel does).
 * Returns BADNESS_UNKILLABLE for PID 1, kernel threads, tasks without an mm
 * (zombies, exited) and oom_score_adj == -1000. */
long badness_points(const struct proc_sample *p, uint64_t totalpages, unsigned page_kib);

/* proc_oom_score(): the 0..2000 value /proc/PID/oom_score shows for points.
 * Returns 0 for BADNESS_UNKILLABLE. */
long badness_oom_score(long points, uint64_t totalpages);

/* Why a process is not a candidate. */
enum badness_skip {
	SKIP_NONE,
	SKIP_UNKILLABLE,	/* the kernel's own rules */
	SKIP_SELF,		/* oomguard itself */
	SKIP_ZOMBIE,
	SKIP_ROOT_USER,		/* --ignore-root-user */
	SKIP_IGNORED,		/* --ignore matched */
};

/* Policy amount: --prefer/--avoid move a process by 300 on the oom_score
 * scale, like earlyoom. oom_score = (1000 + points*1000/total) * 2/3, so 300
 * there is 450 oom_score_adj units, 45 % of RAM+swap in points. */
#define BADNESS_POLICY_ADJ 450

/* Pure: does the policy protect p from every kill, whatever its score?
 * oom_score_adj -1000 (SKIP_UNKILLABLE), --ignore-root-user and uid 0
 * (SKIP_ROOT_USER), an --ignore rule matching (SKIP_IGNORED; text as for
 * badness_evaluate). The one predicate for selection, the re-check right
 * before a signal and the members of a group or cgroup kill. Returns
 * SKIP_NONE when not protected. */
enum badness_skip badness_protected(const struct config *cfg, const struct proc_sample *p,
				    const struct proc_text *text);

/* Evaluate one process against the kernel's rules and the user policy.
 * text may be NULL when no rule needs more than the name. Returns SKIP_NONE
 * and fills *out for a candidate, or the reason it is not one. */
enum badness_skip badness_evaluate(const struct config *cfg, const struct proc_sample *p,
				   const struct proc_text *text, pid_t self,
				   uint64_t totalpages, unsigned page_kib, struct candidate *out);

/* True when a ranks before b (a is the better victim): higher points, then
 * larger RSS+swap, then the newer process (as the kernel's task-list walk
 * keeps the last of equals), then the higher pid. */
bool badness_better(const struct candidate *a, const struct candidate *b);

/* True when the rule's target needs cmdline / cgroup text read. */
bool badness_rules_need_cmdline(const struct config *cfg);
bool badness_rules_need_cgroup(const struct config *cfg);
