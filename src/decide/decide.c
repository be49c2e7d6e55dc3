#include "decide/decide.h"

#include <string.h>

#include "decide/capacity.h"
#include "decide/policy.h"
#include "parse/strutil.h"

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
	case REASON_WARN_MEMORY: return "warn-memory";
	case REASON_WARN_PRESSURE: return "warn-pressure";
	case REASON_KERNEL_OOM: return "kernel-oom";
	}
	return "?";
}

const char *decide_escalation_name(enum escalation escalation)
{
	switch (escalation) {
	case ESCALATION_NONE: return NULL;
	case ESCALATION_TIMEOUT: return "timeout";
	case ESCALATION_FLOOR: return "floor-kill";
	case ESCALATION_STALL: return "stall";
	}
	return "?";
}

bool decide_memory_is_short(const struct meminfo *mi, const struct capacity *cap,
			    const struct run_figures *run, unsigned duration_ms, unsigned page_kib,
			    struct pressure_evidence *ev)
{
	uint64_t anon = mi->anon_pages_kib + cap->swapped_ram_kib;
	uint64_t evictable = mi->anon_pages_kib + mi->active_file_kib + mi->inactive_file_kib;

	memset(ev, 0, sizeof(*ev));
	ev->disk_swapped_kib = run->disk_swapped_kib;
	if (mi->mem_total_kib == 0)
		return false;
	ev->anon_centi = strutil_centi(anon, mi->mem_total_kib);
	if (run->elapsed_ms > 0) {
		ev->refault_kib_per_s = run->refault_pages * page_kib * 1000 / run->elapsed_ms;
		if (evictable) {
			uint64_t permille = ev->refault_kib_per_s * 1000 / evictable;

			ev->refault_permille_per_s = permille > 1000000 ? 1000000 : (uint32_t)permille;
		}
	}
	if (anon * 100 < mi->mem_total_kib * DECIDE_ANON_MIN_PCT)
		return false;
	if (run->run_ms >= duration_ms && run->elapsed_ms > 0 &&
	    ev->refault_permille_per_s >= DECIDE_REFAULT_MIN_PERMILLE_PER_S)
		ev->cause = CAUSE_THRASHING;
	else if (run->run_ms >= (uint64_t)duration_ms * DECIDE_SLOW_SWAP_DURATION_FACTOR &&
		 run->disk_swapped_kib * 100 >= mi->mem_total_kib * DECIDE_DISK_SWAP_FILL_PCT)
		ev->cause = CAUSE_SLOW_SWAP;
	return ev->cause != CAUSE_NONE;
}

/* Is source i's stall a reason to kill? Tracks its run in st. */
static bool pressure_due(struct decide_state *st, const struct config *cfg, const struct sample *s,
			 unsigned i, struct decision *d)
{
	const struct pressure_reading *rd = &s->pressure[i];
	struct refault_mark now = { s->time_ms, s->vm.refault_file + s->vm.refault_anon };
	uint64_t disk_used = d->cap.disk_total_kib - d->cap.disk_free_kib;
	struct decide_run *r = &st->run[i];
	struct pressure_evidence ev;
	struct run_figures run;
	bool have_refaults = s->have_vmstat && s->vm.have_refault;

	if (!rd->valid || rd->run_ms == 0)
		return false;
	if (rd->run_since_ms != r->since_ms) {
		r->since_ms = rd->run_since_ms;
		r->disk_used_at_start_kib = disk_used;
		r->have_marks = false;
	}
	if (have_refaults && !r->have_marks) {
		r->older = r->newer = now;
		r->have_marks = true;
	}
	if (have_refaults && now.time_ms - r->newer.time_ms >= cfg->psi_duration_ms) {
		r->older = r->newer;
		r->newer = now;
	}
	if (rd->run_ms < cfg->psi_duration_ms)
		return false;
	run.run_ms = rd->run_ms;
	run.elapsed_ms = 0;
	run.refault_pages = 0;
	if (have_refaults) {
		run.elapsed_ms = now.time_ms - r->older.time_ms;
		run.refault_pages = now.pages >= r->older.pages ? now.pages - r->older.pages : 0;
	}
	run.disk_swapped_kib = disk_used > r->disk_used_at_start_kib
				       ? disk_used - r->disk_used_at_start_kib : 0;
	if (!decide_memory_is_short(&s->mi, &d->cap, &run, cfg->psi_duration_ms, st->page_kib, &ev))
		return false;
	d->source = i;
	d->pressure = *rd;
	d->evidence = ev;
	return true;
}

enum escalation decide_escalation(const struct decision *acting, const struct decision *now,
				  unsigned duration_ms)
{
	if (now->action == ACTION_KILL)
		return ESCALATION_FLOOR;
	if (acting->reason == REASON_PRESSURE && now->reason == REASON_PRESSURE &&
	    now->source == acting->source &&
	    now->pressure.run_since_ms == acting->pressure.run_since_ms &&
	    now->pressure.run_ms >= acting->pressure.run_ms + duration_ms)
		return ESCALATION_STALL;
	return ESCALATION_NONE;
}

bool decide_note_kill(struct decide_state *st, uint64_t victim_kib, int64_t gained_kib,
		      uint64_t now_ms)
{
	if (gained_kib > 0 && (uint64_t)gained_kib * 100 >= victim_kib * DECIDE_KILL_GAIN_MIN_PCT) {
		st->futile_kills = 0;
		return false;
	}
	/* "In a row": a futile kill long after the last one starts a new row. */
	if (st->futile_kills && now_ms - st->last_futile_ms > DECIDE_BACKOFF_MS)
		st->futile_kills = 0;
	st->last_futile_ms = now_ms;
	if (++st->futile_kills < DECIDE_FUTILE_KILLS)
		return false;
	st->futile_kills = 0;
	st->backoff_until_ms = now_ms + DECIDE_BACKOFF_MS;
	return true;
}

/* The decision for s, before a backoff holds it. */
static struct decision decide_now(struct decide_state *st, const struct config *cfg,
				  const struct sample *s)
{
	struct decision d;

	memset(&d, 0, sizeof(d));
	capacity_compute(s, &d.cap);
	policy_floors(cfg, &s->mi, &d.cap, &d.floors);
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

struct decision decide_shortage(struct decide_state *st, const struct config *cfg,
				const struct sample *s)
{
	struct decision d = decide_now(st, cfg, s);

	d.held = d.action != ACTION_NONE && s->time_ms < st->backoff_until_ms;
	return d;
}
