#include "decide/badness.h"

#include <string.h>

uint64_t badness_totalpages(uint64_t mem_total_kib, uint64_t swap_total_kib, unsigned page_kib)
{
	return (mem_total_kib + swap_total_kib) / page_kib;
}

/* page_counter's "max": PAGE_COUNTER_MAX is LONG_MAX / PAGE_SIZE pages on
 * 64-bit kernels. */
static uint64_t memcg_pages(uint64_t bytes, unsigned page_kib)
{
	uint64_t page = (uint64_t)page_kib * 1024;

	return bytes == MEMCG_UNLIMITED ? (uint64_t)LONG_MAX / page : bytes / page;
}

uint64_t badness_memcg_totalpages(uint64_t max_bytes, uint64_t swap_max_bytes,
				  uint64_t swap_total_kib, unsigned swappiness, unsigned page_kib)
{
	uint64_t pages = memcg_pages(max_bytes, page_kib);
	uint64_t swap_pages = memcg_pages(swap_max_bytes, page_kib);
	uint64_t total_swap_pages = swap_total_kib / page_kib;

	if (swappiness)
		pages += swap_pages < total_swap_pages ? swap_pages : total_swap_pages;
	return pages ? pages : 1;
}

long badness_points(const struct proc_sample *p, uint64_t totalpages, unsigned page_kib)
{
	long points, adj;

	/* oom_unkillable_task(): global init and kernel threads. */
	if (p->pid == 1 || (p->flags & PIDINFO_PF_KTHREAD))
		return BADNESS_UNKILLABLE;
	/* find_lock_task_mm() failed: no mm left (zombie, exiting). */
	if (!p->has_mm)
		return BADNESS_UNKILLABLE;
	adj = p->oom_score_adj;
	/* oom_badness(): OOM_SCORE_ADJ_MIN, or in_vfork(): a child that
	 * shares its parent's mm holds nothing of its own, and killing it
	 * frees nothing; the parent, showing the same memory, is ranked. */
	if (adj == -1000 || p->shares_parent_mm)
		return BADNESS_UNKILLABLE;

	/* get_mm_rss + MM_SWAPENTS + mm_pgtables_bytes / PAGE_SIZE. status
	 * prints each as pages << (PAGE_SHIFT - 10), page tables as bytes >> 10,
	 * so dividing by the page size in KiB recovers the page counts. */
	points = (long)(p->rss_kib / page_kib + p->swap_kib / page_kib + p->pte_kib / page_kib);

	/* "Normalize to oom_score_adj units" */
	adj *= (long)(totalpages / 1000);
	points += adj;
	return points;
}

long badness_oom_score(long points, uint64_t totalpages)
{
	if (points == BADNESS_UNKILLABLE || totalpages == 0)
		return 0;
	return (1000 + points * 1000 / (long)totalpages) * 2 / 3;
}

static bool rule_matches(const struct match_rule *rule, const struct proc_sample *p,
			 const struct proc_text *text)
{
	const char *subject = NULL;

	switch (rule->target) {
	case TARGET_NAME: subject = p->comm; break;
	case TARGET_CMDLINE: subject = text ? text->cmdline : NULL; break;
	case TARGET_UNIT: subject = text ? text->unit : NULL; break;
	case TARGET_CGROUP: subject = text ? text->cgroup : NULL; break;
	}
	/* Text that could not be read matches nothing, so a vanished
	 * cmdline never turns an --ignore into a kill or a --prefer on. */
	if (!subject)
		return false;
	return regexec(&rule->regex, subject, 0, NULL, 0) == 0;
}

enum badness_skip badness_protected(const struct config *cfg, const struct proc_sample *p,
				    const struct proc_text *text)
{
	if (p->oom_score_adj == -1000)
		return SKIP_UNKILLABLE;
	if (cfg->ignore_root_user && p->uid == 0)
		return SKIP_ROOT_USER;
	for (unsigned i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].kind == MATCH_IGNORE && rule_matches(&cfg->rules[i], p, text))
			return SKIP_IGNORED;
	return SKIP_NONE;
}

enum badness_skip badness_evaluate(const struct config *cfg, const struct proc_sample *p,
				   const struct proc_text *text, pid_t self,
				   uint64_t totalpages, unsigned page_kib, struct candidate *out)
{
	struct proc_sample scored = *p;
	long unit = (long)(totalpages / 1000);
	unsigned marks = 0;
	enum badness_skip skip;

	if (p->pid == self)
		return SKIP_SELF;
	if (p->state == 'Z' || p->state == 'X')
		return SKIP_ZOMBIE;
	out->kernel_points = badness_points(p, totalpages, page_kib);
	if (out->kernel_points == BADNESS_UNKILLABLE)
		return SKIP_UNKILLABLE;
	skip = badness_protected(cfg, p, text);
	if (skip != SKIP_NONE)
		return skip;

	if (cfg->ignore_positive_adj && scored.oom_score_adj > 0) {
		scored.oom_score_adj = 0;
		marks |= MARK_ADJ_IGNORED;
	}
	if (cfg->sort_by_rss) {
		/* earlyoom's --sort-by-rss: memory alone, no oom_score_adj. */
		scored.oom_score_adj = 0;
	}
	out->points = badness_points(&scored, totalpages, page_kib);
	for (unsigned i = 0; i < cfg->n_rules; i++) {
		const struct match_rule *rule = &cfg->rules[i];

		if (rule->kind == MATCH_PREFER && !(marks & MARK_PREFER) && rule_matches(rule, p, text)) {
			out->points += BADNESS_POLICY_ADJ * unit;
			marks |= MARK_PREFER;
		} else if (rule->kind == MATCH_AVOID && !(marks & MARK_AVOID) &&
			   rule_matches(rule, p, text)) {
			out->points -= BADNESS_POLICY_ADJ * unit;
			marks |= MARK_AVOID;
		}
	}
	out->proc = *p;
	out->kernel_score = badness_oom_score(out->kernel_points, totalpages);
	out->score = badness_oom_score(out->points, totalpages);
	if (out->score < 0)
		out->score = 0;
	out->marks = marks;
	return SKIP_NONE;
}

bool badness_better(const struct candidate *a, const struct candidate *b)
{
	uint64_t a_mem = a->proc.rss_kib + a->proc.swap_kib;
	uint64_t b_mem = b->proc.rss_kib + b->proc.swap_kib;

	if (a->points != b->points)
		return a->points > b->points;
	if (a_mem != b_mem)
		return a_mem > b_mem;
	if (a->proc.starttime != b->proc.starttime)
		return a->proc.starttime > b->proc.starttime;
	return a->proc.pid > b->proc.pid;
}

static bool rules_need(const struct config *cfg, enum match_target target)
{
	for (unsigned i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].target == target)
			return true;
	return false;
}

bool badness_rules_need_cmdline(const struct config *cfg)
{
	return rules_need(cfg, TARGET_CMDLINE);
}

bool badness_rules_need_cgroup(const struct config *cfg)
{
	return rules_need(cfg, TARGET_CGROUP) || rules_need(cfg, TARGET_UNIT);
}
