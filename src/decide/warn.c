#include "decide/warn.h"

#include <stdio.h>
#include <string.h>

#include "parse/strutil.h"

#define CENTI(v) (unsigned)((v) / 100), (unsigned)((v) % 100)

void warn_init(struct warn_state *st)
{
	memset(st, 0, sizeof(*st));
}

static uint64_t share_kib(uint64_t total_kib, uint32_t centi)
{
	/* total <= 2^50 and centi <= 10000: the product fits in 64 bits. */
	return total_kib * centi / 10000;
}

/* One side's level: given as a percentage of total, or twice the term
 * floor (which is the lower of -m and -M, so sizes double too) at most
 * CONFIG_MEM_MAX_CENTI of total, where it would warn on an idle machine;
 * never below the floor, where it would mean nothing. */
static uint64_t level_kib(uint64_t total_kib, uint64_t term_kib, bool set, uint32_t centi)
{
	uint64_t cap = share_kib(total_kib, CONFIG_MEM_MAX_CENTI);
	uint64_t level;

	if (set) {
		level = share_kib(total_kib, centi);
	} else {
		level = term_kib * 2;
		if (level > cap)
			level = cap;
	}
	return level < term_kib ? term_kib : level;
}

/* Above the level by WARN_MARGIN_PCT of the band between floor and level. */
static uint64_t clear_kib(uint64_t level, uint64_t term_kib)
{
	return level + (level - term_kib) * WARN_MARGIN_PCT / 100;
}

static bool memory_warning_on(const struct config *cfg)
{
	return !(cfg->warn_mem_set && cfg->warn_mem_centi == 0) &&
	       !(cfg->warn_swap_set && cfg->warn_swap_centi == 0);
}

void warn_levels(const struct config *cfg, const struct floors *floors, const struct capacity *cap,
		 struct warn_levels *out)
{
	memset(out, 0, sizeof(*out));
	out->psi_centi = cfg->warn_psi_centi;
	out->mem_on = memory_warning_on(cfg);
	if (!out->mem_on)
		return;
	out->mem_kib = level_kib(floors->mem_base_kib, floors->mem_term_kib, cfg->warn_mem_set,
				 cfg->warn_mem_centi);
	out->swap_kib = level_kib(cap->swap_total_kib, floors->swap_term_kib, cfg->warn_swap_set,
				  cfg->warn_swap_centi);
	out->mem_clear_kib = clear_kib(out->mem_kib, floors->mem_term_kib);
	out->swap_clear_kib = clear_kib(out->swap_kib, floors->swap_term_kib);
}

uint64_t warn_mem_max_kib(const struct config *cfg, const struct floors *floors,
			  uint64_t mem_total_kib)
{
	uint64_t level;

	if (!memory_warning_on(cfg))
		return 0;
	level = level_kib(mem_total_kib, floors->mem_term_max_kib, cfg->warn_mem_set,
			  cfg->warn_mem_centi);
	return clear_kib(level, floors->mem_term_max_kib);
}

/* MemAvailable and free swap at or below the levels; no swap at all counts
 * as met, as for the floors. */
static bool memory_low(const struct warn_levels *lv, const struct sample *s,
		       const struct capacity *cap)
{
	return lv->mem_on && s->mi.mem_available_kib <= lv->mem_kib &&
	       (cap->swap_total_kib == 0 || cap->swap_free_kib <= lv->swap_kib);
}

/* Back above the levels with the margin, on either side (either being
 * plentiful again is enough for the floors not to act). */
static bool memory_recovered(const struct warn_levels *lv, const struct sample *s,
			     const struct capacity *cap)
{
	return !lv->mem_on || s->mi.mem_available_kib > lv->mem_clear_kib ||
	       (cap->swap_total_kib && cap->swap_free_kib > lv->swap_clear_kib);
}

/* A source stalled at --warn-psi in every window for --psi-duration. Fills
 * v's source and pressure with the first. */
static bool pressure_high(const struct config *cfg, const struct sample *s, struct warn_verdict *v)
{
	if (cfg->warn_psi_centi == 0)
		return false;
	for (unsigned i = 0; i < s->n_pressure && i < PRESSURE_MAX_SOURCES; i++) {
		const struct pressure_reading *rd = &s->pressure[i];

		if (rd->valid && rd->warn_run_ms > 0 && rd->warn_run_ms >= cfg->psi_duration_ms) {
			v->source = i;
			v->pressure = *rd;
			return true;
		}
	}
	return false;
}

struct warn_verdict warn_check(struct warn_state *st, const struct config *cfg,
			       const struct sample *s, const struct decision *d, uint64_t now_ms)
{
	struct warn_verdict v;
	bool mem_low, psi_high;

	memset(&v, 0, sizeof(v));
	if (d->action != ACTION_NONE)
		return v;
	warn_levels(cfg, &d->floors, &d->cap, &v.levels);
	mem_low = memory_low(&v.levels, s, &d->cap);
	psi_high = pressure_high(cfg, s, &v);
	if (!st->in_episode) {
		if (!mem_low && !psi_high)
			return v;
		st->in_episode = true;
		st->episode_warned = false;
		st->clearing = false;
	} else if (!psi_high && memory_recovered(&v.levels, s, &d->cap)) {
		if (!st->clearing) {
			st->clearing = true;
			st->clear_since_ms = now_ms;
		}
		if (now_ms - st->clear_since_ms >= WARN_CLEAR_MS)
			st->in_episode = st->clearing = false;
		return v;
	} else {
		st->clearing = false;
	}
	if (st->episode_warned || (!mem_low && !psi_high))
		return v;
	if (st->have_warned && now_ms < st->last_warn_ms + WARN_MIN_INTERVAL_MS)
		return v;
	st->episode_warned = st->have_warned = true;
	st->last_warn_ms = now_ms;
	v.warn = true;
	v.reason = mem_low ? REASON_WARN_MEMORY : REASON_WARN_PRESSURE;
	return v;
}

const char *warn_describe(char *buf, size_t len, const struct warn_verdict *v,
			  const struct sample *s, const struct decision *d,
			  const struct config *cfg)
{
	const struct warn_levels *lv = &v->levels;
	uint64_t base = d->floors.mem_base_kib, swap = d->cap.swap_total_kib;
	bool full = cfg->psi_metric == PSI_METRIC_FULL;
	size_t o = 0;

	buf[0] = '\0';
	if (v->reason == REASON_WARN_MEMORY) {
		strutil_append(buf, len, &o, "MemAvailable %u.%02u%% (%llu KiB) <= warning level %u.%02u%% "
		       "(%llu KiB)", CENTI(strutil_centi(s->mi.mem_available_kib, base)),
		       (unsigned long long)s->mi.mem_available_kib,
		       CENTI(strutil_centi(lv->mem_kib, base)), (unsigned long long)lv->mem_kib);
		if (swap)
			strutil_append(buf, len, &o, " and SwapFree %u.%02u%% (%llu KiB) <= %u.%02u%% "
			       "(%llu KiB)", CENTI(strutil_centi(d->cap.swap_free_kib, swap)),
			       (unsigned long long)d->cap.swap_free_kib,
			       CENTI(strutil_centi(lv->swap_kib, swap)),
			       (unsigned long long)lv->swap_kib);
		else
			strutil_append(buf, len, &o, " and no swap");
	} else if (v->reason == REASON_WARN_PRESSURE) {
		const struct pressure_reading *rd = &v->pressure;

		strutil_append(buf, len, &o, "PSI %s %u.%02u%% >= warning level %u.%02u%% in every %u ms "
		       "for %llu.%llu s", full ? "full" : "some",
		       CENTI(full ? rd->full_centi : rd->some_centi), CENTI(lv->psi_centi),
		       rd->window_ms, (unsigned long long)(rd->warn_run_ms / 1000),
		       (unsigned long long)(rd->warn_run_ms % 1000 / 100));
	}
	return buf;
}
