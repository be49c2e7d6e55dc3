#include "decide/decide.h"

#include <string.h>

#include "decide/capacity.h"
#include "decide/policy.h"

void decide_init(struct decide_state *st, unsigned page_kib)
{
	memset(st, 0, sizeof(*st));
	st->page_kib = page_kib ? page_kib : 4;
}

const char *decide_reason_name(enum reason reason)
{
	switch (reason) {
	case REASON_NONE: return "none";
	case REASON_FLOOR_TERM: return "floor-term";
	case REASON_FLOOR_KILL: return "floor-kill";
	case REASON_PRESSURE: return "pressure";
	case REASON_ESCALATION: return "escalation";
	}
	return "?";
}

/* part of total in hundredths of a percent, 10000 at most. */
static uint32_t centi_of(uint64_t part, uint64_t total)
{
	if (total == 0 || part >= total)
		return 10000;
	return (uint32_t)(part * 10000 / total);
}

bool decide_memory_is_short(const struct meminfo *mi, const struct capacity *cap,
			    uint64_t refault_pages, uint64_t elapsed_ms, unsigned page_kib,
			    struct pressure_evidence *ev)
{
	uint64_t anon = mi->anon_pages_kib + cap->swapped_ram_kib;
	uint64_t swap_used = cap->swap_total_kib - cap->swap_free_kib;
	bool swap_filling, thrashing = false;

	memset(ev, 0, sizeof(*ev));
	ev->file_lru_kib = mi->active_file_kib + mi->inactive_file_kib;
	if (mi->mem_total_kib == 0)
		return false;
	ev->anon_centi = centi_of(anon, mi->mem_total_kib);
	ev->swap_used_centi = cap->swap_total_kib ? centi_of(swap_used, cap->swap_total_kib) : 0;
	if (elapsed_ms > 0)
		ev->refault_kib_per_s = refault_pages * page_kib * 1000 / elapsed_ms;
	if (anon * 100 < mi->mem_total_kib * DECIDE_ANON_MIN_PCT)
		return false;
	swap_filling = cap->swap_total_kib > 0 &&
		       swap_used * 100 >= cap->swap_total_kib * DECIDE_SWAP_USED_MIN_PCT;
	if (elapsed_ms > 0 && ev->file_lru_kib > 0)
		thrashing = ev->refault_kib_per_s * 100 >=
			    ev->file_lru_kib * DECIDE_REFAULT_MIN_PCT_PER_S;
	/* A nearly empty file LRU with anon dominating is the end state of
	 * thrashing: nothing left to evict but the working set itself. */
	if (ev->file_lru_kib * 100 < mi->mem_total_kib * DECIDE_FILE_LRU_MIN_PCT)
		thrashing = true;
	ev->short_of_memory = swap_filling || thrashing;
	return ev->short_of_memory;
}

/* Is source i's stall a reason to kill? Tracks its run in st. */
static bool pressure_due(struct decide_state *st, const struct config *cfg, const struct sample *s,
			 unsigned i, struct decision *d)
{
	const struct pressure_reading *rd = &s->pressure[i];
	uint64_t refaults = s->vm.refault_file + s->vm.refault_anon;
	struct pressure_evidence ev;

	if (!rd->valid || rd->run_ms == 0)
		return false;
	if (rd->run_since_ms != st->run_since_ms[i]) {
		st->run_since_ms[i] = rd->run_since_ms;
		st->refaults_at_run_start[i] = refaults;
		st->run_seen_ms[i] = s->time_ms;
	}
	if (rd->run_ms < cfg->psi_duration_ms)
		return false;
	if (!decide_memory_is_short(&s->mi, &d->cap, refaults - st->refaults_at_run_start[i],
				    s->time_ms - st->run_seen_ms[i], st->page_kib, &ev))
		return false;
	d->source = i;
	d->pressure = *rd;
	d->evidence = ev;
	return true;
}

struct decision decide_shortage(struct decide_state *st, const struct config *cfg,
				const struct sample *s)
{
	struct decision d;

	memset(&d, 0, sizeof(d));
	capacity_compute(s, &d.cap);
	policy_floors(cfg, s->mi.mem_total_kib, &d.cap, &d.floors);
	d.reason = policy_check_floors(&d.floors, s->mi.mem_available_kib, &d.cap);
	if (d.reason != REASON_NONE) {
		d.action = d.reason == REASON_FLOOR_KILL ? ACTION_KILL : ACTION_TERM;
		return d;
	}
	if (cfg->psi_threshold_centi == 0)
		return d;
	for (unsigned i = 0; i < s->n_pressure && i < PRESSURE_MAX_SOURCES; i++) {
		if (pressure_due(st, cfg, s, i, &d)) {
			d.action = ACTION_TERM;
			d.reason = REASON_PRESSURE;
			break;
		}
	}
	return d;
}
