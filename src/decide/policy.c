#include "decide/policy.h"

static uint64_t floor_kib(uint64_t total_kib, uint32_t centi, bool percent_set,
			  uint64_t size_kib, bool size_set)
{
	/* total <= 2^50 and centi <= 10000, so the product fits in 64 bits. */
	uint64_t from_percent = total_kib * centi / 10000;

	if (percent_set && size_set)
		return from_percent < size_kib ? from_percent : size_kib;
	if (size_set)
		return size_kib;
	return from_percent;
}

void policy_floors(const struct config *cfg, const struct meminfo *mi, struct floors *out)
{
	const struct config_floor *m = &cfg->mem, *s = &cfg->swap;

	out->mem_term_kib = floor_kib(mi->mem_total_kib, m->term_centi, m->percent_set,
				      m->term_kib, m->size_set);
	out->mem_kill_kib = floor_kib(mi->mem_total_kib, m->kill_centi, m->percent_set,
				      m->kill_kib, m->size_set);
	out->swap_term_kib = floor_kib(mi->swap_total_kib, s->term_centi, s->percent_set,
				       s->term_kib, s->size_set);
	out->swap_kill_kib = floor_kib(mi->swap_total_kib, s->kill_centi, s->percent_set,
				       s->kill_kib, s->size_set);
}

static bool swap_low(const struct meminfo *mi, uint64_t floor)
{
	return mi->swap_total_kib == 0 || mi->swap_free_kib <= floor;
}

enum policy_action policy_check_floors(const struct floors *floors, const struct meminfo *mi)
{
	if (mi->mem_available_kib <= floors->mem_kill_kib && swap_low(mi, floors->swap_kill_kib))
		return ACTION_KILL;
	if (mi->mem_available_kib <= floors->mem_term_kib && swap_low(mi, floors->swap_term_kib))
		return ACTION_TERM;
	return ACTION_NONE;
}

const char *policy_action_name(enum policy_action action)
{
	switch (action) {
	case ACTION_NONE: return "none";
	case ACTION_TERM: return "SIGTERM";
	case ACTION_KILL: return "SIGKILL";
	}
	return "?";
}

uint32_t policy_psi_value(const struct config *cfg, const struct psi *psi)
{
	return cfg->psi_metric == PSI_METRIC_SOME ? psi->some.avg10_centi : psi->full.avg10_centi;
}

bool policy_memory_is_short(const struct mem_evidence *ev, uint64_t refaults,
			    uint64_t elapsed_ms, unsigned page_kib)
{
	bool swap_filling, cache_thrashing = false;

	if (ev->mem_total_kib == 0 || ev->anon_kib * 100 < ev->mem_total_kib * POLICY_ANON_MIN_PCT)
		return false;
	swap_filling = ev->swap_total_kib > 0 &&
		       (ev->swap_total_kib - ev->swap_free_kib) * 100 >=
			       ev->swap_total_kib * POLICY_SWAP_USED_MIN_PCT;
	if (ev->have_refault && elapsed_ms > 0 && ev->file_lru_kib > 0) {
		/* refaulted KiB per second against the file LRU size */
		uint64_t refault_kib_per_s = refaults * page_kib * 1000 / elapsed_ms;

		cache_thrashing = refault_kib_per_s * 100 >=
				  ev->file_lru_kib * POLICY_REFAULT_MIN_PCT_PER_S;
	}
	/* A nearly empty file LRU with anon dominating is the end state of
	 * thrashing: nothing left to evict but the working set itself. */
	if (ev->file_lru_kib * 100 < ev->mem_total_kib * 2)
		cache_thrashing = true;
	return swap_filling || cache_thrashing;
}

bool policy_psi_update(struct psi_tracker *t, const struct config *cfg, const struct psi *psi,
		       const struct mem_evidence *ev, unsigned page_kib, uint64_t now_ms)
{
	uint64_t elapsed;

	if (cfg->psi_threshold_centi == 0)
		return false;
	if (policy_psi_value(cfg, psi) < cfg->psi_threshold_centi) {
		t->above = false;
		return false;
	}
	if (!t->above) {
		t->above = true;
		t->above_since_ms = now_ms;
		t->refault_at_start = ev->refault_file_pages;
	}
	if (now_ms < t->hold_until_ms)
		return false;
	elapsed = now_ms - t->above_since_ms;
	if (elapsed < cfg->psi_duration_ms)
		return false;
	return policy_memory_is_short(ev, ev->refault_file_pages - t->refault_at_start, elapsed,
				      page_kib);
}

void policy_psi_killed(struct psi_tracker *t, const struct config *cfg, uint64_t now_ms)
{
	uint64_t pause = cfg->psi_duration_ms > POLICY_PSI_POST_KILL_MS ? cfg->psi_duration_ms
									 : POLICY_PSI_POST_KILL_MS;

	t->above = false;
	t->hold_until_ms = now_ms + pause;
}

unsigned policy_interval_ms(const struct floors *floors, const struct meminfo *mi)
{
	uint64_t mem_headroom = mi->mem_available_kib > floors->mem_term_kib
					? mi->mem_available_kib - floors->mem_term_kib : 0;
	uint64_t swap_headroom = mi->swap_total_kib && mi->swap_free_kib > floors->swap_term_kib
					 ? mi->swap_free_kib - floors->swap_term_kib : 0;
	uint64_t ms = mem_headroom / POLICY_MEM_FILL_KIB_PER_MS +
		      swap_headroom / POLICY_SWAP_FILL_KIB_PER_MS;

	if (ms < POLICY_MIN_INTERVAL_MS)
		return POLICY_MIN_INTERVAL_MS;
	if (ms > POLICY_MAX_INTERVAL_MS)
		return POLICY_MAX_INTERVAL_MS;
	return (unsigned)ms;
}
