#include "tell/report.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "decide/decide.h"
#include "log.h"
#include "parse/strutil.h"

/* Append to buf at *o, never past len; snprintf's truncation is kept. */
#define CENTI(x) (x) / 100, (x) % 100

const char *report_format_zram(char *buf, size_t len, const struct capacity *cap)
{
	size_t o = 0;

	buf[0] = '\0';
	if (!cap->zram_size_kib)
		return buf;
	strutil_append(buf, len, &o, "zram %llu MiB disksize, %llu MiB used in %llu MiB of RAM",
	       (unsigned long long)(cap->zram_size_kib / 1024),
	       (unsigned long long)(cap->zram_used_kib / 1024),
	       (unsigned long long)(cap->zram_ram_kib / 1024));
	if (cap->zram_ratio_centi)
		strutil_append(buf, len, &o, " (ratio %u.%02u)", CENTI(cap->zram_ratio_centi));
	strutil_append(buf, len, &o, ", counted as swap up to %llu MiB more (%s)",
	       (unsigned long long)(cap->zram_headroom_kib / 1024),
	       cap->zram_ram_bound ? "bounded by RAM" : "bounded by its disksize");
	return buf;
}

const char *report_format_memory(char *buf, size_t len, const struct sample *s,
				 const struct decision *d)
{
	const struct meminfo *mi = &s->mi;
	const struct capacity *cap = &d->cap;
	const struct pressure_reading *rd = s->n_pressure ? &s->pressure[0] : NULL;
	uint32_t mem = strutil_centi(mi->mem_available_kib, d->floors.mem_base_kib);
	uint32_t swap = strutil_centi(cap->swap_free_kib, cap->swap_total_kib);
	char zram[256];
	size_t o = 0;

	strutil_append(buf, len, &o,
	       "MemAvailable %llu MiB of %llu MiB available+anon (%u.%02u%%; MemTotal %llu MiB), "
	       "SwapFree %llu MiB of %llu MiB (%u.%02u%%)",
	       (unsigned long long)(mi->mem_available_kib / 1024),
	       (unsigned long long)(d->floors.mem_base_kib / 1024), CENTI(mem),
	       (unsigned long long)(mi->mem_total_kib / 1024),
	       (unsigned long long)(cap->swap_free_kib / 1024),
	       (unsigned long long)(cap->swap_total_kib / 1024), CENTI(swap));
	if (rd && rd->valid) {
		strutil_append(buf, len, &o, ", PSI");
		if (rd->have_window)
			strutil_append(buf, len, &o, " full %u.%02u%% some %u.%02u%% (last %u ms),",
			       CENTI(rd->full_centi), CENTI(rd->some_centi), rd->window_ms);
		strutil_append(buf, len, &o, " full avg10 %u.%02u some avg10 %u.%02u",
		       CENTI(rd->psi.full.avg10_centi), CENTI(rd->psi.some.avg10_centi));
	}
	if (*report_format_zram(zram, sizeof(zram), cap))
		strutil_append(buf, len, &o, "; %s", zram);
	if (mi->zswap_kib)
		strutil_append(buf, len, &o, "; zswap pool %llu MiB of RAM holds %llu MiB",
		       (unsigned long long)(mi->zswap_kib / 1024),
		       (unsigned long long)(mi->zswapped_kib / 1024));
	return buf;
}

static void format_floors(char *buf, size_t len, const struct decision *d, const struct sample *s)
{
	const struct capacity *cap = &d->cap;
	bool kill = d->reason == REASON_FLOOR_KILL;
	uint64_t mem_floor = kill ? d->floors.mem_kill_kib : d->floors.mem_term_kib;
	uint64_t swap_floor = kill ? d->floors.swap_kill_kib : d->floors.swap_term_kib;
	uint64_t avail = s->mi.mem_available_kib, total = d->floors.mem_base_kib;
	uint32_t swap = strutil_centi(cap->swap_free_kib, cap->swap_total_kib);
	uint32_t swap_f = strutil_centi_nearest(swap_floor, cap->swap_total_kib);
	size_t o = 0;

	strutil_append(buf, len, &o, "MemAvailable %u.%02u%% (%llu MiB) <= %s floor %u.%02u%% (%llu MiB) and ",
	       CENTI(strutil_centi(avail, total)), (unsigned long long)(avail / 1024),
	       kill ? "kill" : "term", CENTI(strutil_centi_nearest(mem_floor, total)),
	       (unsigned long long)(mem_floor / 1024));
	if (cap->swap_total_kib == 0)
		strutil_append(buf, len, &o, "no swap");
	else
		strutil_append(buf, len, &o, "SwapFree %u.%02u%% <= %u.%02u%%", CENTI(swap), CENTI(swap_f));
	if (cap->zram_size_kib)
		strutil_append(buf, len, &o, " (zram counted at %llu MiB used + %llu MiB room, %s)",
		       (unsigned long long)(cap->zram_used_kib / 1024),
		       (unsigned long long)(cap->zram_headroom_kib / 1024),
		       cap->zram_ram_bound ? "bounded by RAM" : "bounded by its disksize");
}

static void format_pressure(char *buf, size_t len, const struct decision *d, const struct sample *s,
			    const struct config *cfg)
{
	const struct pressure_reading *rd = &d->pressure;
	const struct pressure_evidence *ev = &d->evidence;
	bool full = cfg->psi_metric == PSI_METRIC_FULL;
	size_t o = 0;

	strutil_append(buf, len, &o, "PSI %s %u.%02u%% >= %u.%02u%% in every %u ms for %llu.%llu s: ",
	       full ? "full" : "some", CENTI(full ? rd->full_centi : rd->some_centi),
	       CENTI(cfg->psi_threshold_centi), rd->window_ms,
	       (unsigned long long)(rd->run_ms / 1000), (unsigned long long)(rd->run_ms % 1000 / 100));
	if (ev->cause == CAUSE_SLOW_SWAP)
		strutil_append(buf, len, &o, "slow swap (%llu MiB to disk swap during the stall)",
		       (unsigned long long)(ev->disk_swapped_kib / 1024));
	else
		strutil_append(buf, len, &o, "thrashing (refaults %llu KiB/s, %u.%u%% of memory a second)",
		       (unsigned long long)ev->refault_kib_per_s, ev->refault_permille_per_s / 10,
		       ev->refault_permille_per_s % 10);
	strutil_append(buf, len, &o, ", anon %u.%02u%% of RAM, MemAvailable %u.%02u%%", CENTI(ev->anon_centi),
	       CENTI(strutil_centi(s->mi.mem_available_kib, s->mi.mem_total_kib)));
}

const char *report_format_decision(char *buf, size_t len, const struct decision *d,
				   const struct sample *s, const struct config *cfg)
{
	buf[0] = '\0';
	if (d->reason == REASON_PRESSURE)
		format_pressure(buf, len, d, s, cfg);
	else if (d->reason == REASON_FLOOR_TERM || d->reason == REASON_FLOOR_KILL)
		format_floors(buf, len, d, s);
	return buf;
}

const char *report_format_policy(char *buf, size_t len, const struct config *cfg)
{
	static const char *const targets[] = { "name", "cmdline", "unit", "cgroup" };
	size_t o = 0;

	strutil_append(buf, len, &o, "victims ranked by %s",
	       cfg->sort_by_rss ? "RSS + swap (--sort-by-rss)" : "the kernel's oom_score");
	for (unsigned i = 0; i < cfg->n_rules; i++) {
		const struct match_rule *r = &cfg->rules[i];
		char pattern[256];

		strutil_append(buf, len, &o, "; %s %s '%s'", config_match_kind_name(r->kind),
		       targets[r->target], log_escape(pattern, sizeof(pattern), r->pattern));
	}
	if (cfg->ignore_root_user)
		strutil_append(buf, len, &o, "; never uid 0");
	if (cfg->ignore_positive_adj)
		strutil_append(buf, len, &o, "; positive oom_score_adj counted as 0");
	if (cfg->kill_cgroup)
		strutil_append(buf, len, &o, "; kill the victim's cgroup");
	else if (cfg->kill_group)
		strutil_append(buf, len, &o, "; kill the victim's process group");
	return buf;
}

const char *report_format_unit(char *buf, size_t len, const char *unit)
{
	char esc[REPORT_UNIT_ESCAPED];

	if (!unit || !*unit) {
		snprintf(buf, len, "-");
		return buf;
	}
	log_escape(esc, sizeof(esc), unit);
	snprintf(buf, len, strpbrk(esc, " =") ? "\"%s\"" : "%s", esc);
	return buf;
}

const char *report_signal_name(int sig)
{
	return sig == SIGKILL ? "SIGKILL" : sig == SIGTERM ? "SIGTERM" : "none";
}

const char *report_format_kill(char *buf, size_t len, const struct report_kill *k)
{
	const struct candidate *c = k->victim;
	char name[PIDINFO_COMM_MAX * 4 + 1];
	char unit[REPORT_UNIT_ESCAPED + 2];
	size_t o = 0;

	report_format_unit(unit, sizeof(unit), k->unit);
	strutil_append(buf, len, &o,
	       "%s pid=%d name=\"%s\" uid=%u unit=%s oom_score=%ld score=%ld rss_kib=%llu "
	       "swap_kib=%llu reason=%s signal=%s",
	       k->verb, (int)c->proc.pid, log_escape(name, sizeof(name), c->proc.comm),
	       (unsigned)c->proc.uid, unit, c->kernel_score, c->score,
	       (unsigned long long)c->proc.rss_kib, (unsigned long long)c->proc.swap_kib,
	       decide_reason_name(k->reason),
	       report_signal_name(k->signal));
	if (k->escalation)
		strutil_append(buf, len, &o, " escalation=%s", k->escalation);
	if (k->exited_ms >= 0)
		strutil_append(buf, len, &o, " exited_ms=%d", k->exited_ms);
	if (k->spared)
		strutil_append(buf, len, &o, " spared=%u", k->spared);
	strutil_append(buf, len, &o, " released=%s trigger=\"%s\"", k->released ? "yes" : "no",
	       k->trigger ? k->trigger : "");
	return buf;
}

const char *report_format_top(char *buf, size_t len, const struct proc_sample *procs, unsigned n)
{
	size_t o = 0;

	strutil_append(buf, len, &o, "top memory users:");
	for (unsigned i = 0; i < n; i++) {
		char name[PIDINFO_COMM_MAX * 4 + 1];

		strutil_append(buf, len, &o, "%s pid=%d name=\"%s\" rss_kib=%llu swap_kib=%llu", i ? ";" : "",
		       (int)procs[i].pid, log_escape(name, sizeof(name), procs[i].comm),
		       (unsigned long long)procs[i].rss_kib, (unsigned long long)procs[i].swap_kib);
	}
	return buf;
}
