#include "decide/select.h"

#include <string.h>

#include "parse/memcg.h"

void select_init(struct selection *sel, const struct config *cfg, pid_t self,
		 uint64_t totalpages, unsigned page_kib)
{
	memset(sel, 0, sizeof(*sel));
	sel->cfg = cfg;
	sel->self = self;
	sel->totalpages = totalpages;
	sel->page_kib = page_kib;
}

void select_set_skip(struct selection *sel, const struct skip_set *skip)
{
	sel->skip = skip;
}

void select_set_subtree(struct selection *sel, const char *subtree)
{
	sel->subtree = subtree;
}

bool select_within(const char *subtree, const struct proc_text *text)
{
	return !subtree || (text && text->cgroup && memcg_path_within(text->cgroup, subtree));
}

bool select_skipped(const struct skip_set *skip, pid_t pid, uint64_t starttime)
{
	if (!skip)
		return false;
	for (unsigned i = 0; i < skip->n; i++)
		if (skip->e[i].pid == pid && skip->e[i].starttime == starttime)
			return true;
	return false;
}

void select_offer(struct selection *sel, const struct candidate *c)
{
	unsigned pos = sel->n_best;

	while (pos > 0 && badness_better(c, &sel->best[pos - 1]))
		pos--;
	if (pos >= SELECT_KEEP)
		return;
	if (sel->n_best < SELECT_KEEP)
		sel->n_best++;
	memmove(&sel->best[pos + 1], &sel->best[pos],
		(sel->n_best - 1 - pos) * sizeof(sel->best[0]));
	sel->best[pos] = *c;
}

static void offer_top_mem(struct selection *sel, const struct proc_sample *p)
{
	uint64_t mem = p->rss_kib + p->swap_kib;
	unsigned pos = sel->n_top_mem;

	while (pos > 0 && mem > sel->top_mem[pos - 1].rss_kib + sel->top_mem[pos - 1].swap_kib)
		pos--;
	if (pos >= SELECT_TOP_MEM)
		return;
	if (sel->n_top_mem < SELECT_TOP_MEM)
		sel->n_top_mem++;
	memmove(&sel->top_mem[pos + 1], &sel->top_mem[pos],
		(sel->n_top_mem - 1 - pos) * sizeof(sel->top_mem[0]));
	sel->top_mem[pos] = *p;
}

void select_visit(const struct proc_sample *p, const struct proc_text *text, void *ctx)
{
	struct selection *sel = ctx;
	struct candidate c;
	enum badness_skip skip;

	if (!select_within(sel->subtree, text)) {
		sel->n_outside++;
		return;
	}
	/* A vfork child shows its parent's memory again: not a top user
	 * of its own (and no candidate: badness_points). */
	if (p->has_mm && !p->shares_parent_mm)
		offer_top_mem(sel, p);
	/* Killed already and still there: another SIGKILL frees nothing
	 * more, the next candidate might. */
	if (select_skipped(sel->skip, p->pid, p->starttime)) {
		sel->n_stuck++;
		return;
	}
	skip = badness_evaluate(sel->cfg, p, text, sel->self, sel->totalpages, sel->page_kib, &c);
	sel->n_skipped[skip]++;
	if (skip != SKIP_NONE)
		return;
	sel->n_candidates++;
	select_offer(sel, &c);
}
