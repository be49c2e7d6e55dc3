/* The warning before a kill: (warn state, config, sample, decision, now) ->
 * warn now or not, and why. Pure. Memory warns when MemAvailable AND free
 * swap are at or below their warning levels (twice the term floors unless
 * --warn-mem/--warn-swap say otherwise); pressure when the stall has stayed
 * at or above --warn-psi in every window for --psi-duration. Once per
 * episode, at most once per WARN_MIN_INTERVAL_MS, and never in a tick whose
 * decision acts: the loop logs it and runs --warn-hook. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "parse/config.h"
#include "types.h"

/* At most one warning a minute, across episodes: a warning pages a person
 * (a desktop notification, a chat message) and scans every process; a
 * machine that keeps sliding in and out of trouble is one problem to hear
 * about, not one a tick. nohang's min_post_warning_delay is 20 s, for a
 * desktop that a person watches; a server's operator reads these later. */
#define WARN_MIN_INTERVAL_MS 60000
/* An episode ends once memory has stayed above the warning level by the
 * margin below, and no stall is at the pressure warning level, for this
 * long: a leak that a garbage collection or a cache drop interrupts for a
 * few seconds is still the same episode. */
#define WARN_CLEAR_MS 30000
/* The margin: memory counts as recovered when MemAvailable (or free swap)
 * is above its warning level by this share of the band between the term
 * floor and the warning level, in percent (with the defaults, 20 % of the
 * base warns and above 25 % ends the episode). Memory hovering at the
 * level does not start a new episode each time it dips. */
#define WARN_MARGIN_PCT 50

/* The levels at one sample, in KiB. */
struct warn_levels {
	bool mem_on;			/* the memory warning is on */
	uint64_t mem_kib;		/* MemAvailable at or below this ... */
	uint64_t swap_kib;		/* ... and free swap at or below this warn */
	uint64_t mem_clear_kib;		/* above this (or swap above its own) */
	uint64_t swap_clear_kib;	/* memory has recovered */
	uint32_t psi_centi;		/* 0: no pressure warning */
};

struct warn_state {
	bool in_episode;
	bool episode_warned;		/* this episode has had its warning */
	bool clearing;			/* recovered since clear_since_ms */
	uint64_t clear_since_ms;
	bool have_warned;		/* a warning was given at last_warn_ms */
	uint64_t last_warn_ms;
};

/* What warn_check() concludes. */
struct warn_verdict {
	bool warn;			/* warn now */
	enum reason reason;		/* REASON_WARN_MEMORY, REASON_WARN_PRESSURE; else NONE */
	struct warn_levels levels;
	unsigned source;		/* for REASON_WARN_PRESSURE: the source, ... */
	struct pressure_reading pressure;	/* ... and its reading */
};

/* Start with no episode and no warning given. */
void warn_init(struct warn_state *st);

/* The warning levels for a sample with these floors and capacity:
 * --warn-mem % of the memory base (floors->mem_base_kib) and --warn-swap %
 * of cap->swap_total_kib when given, else twice the term floors, each at
 * most CONFIG_MEM_MAX_CENTI of its total and never below its floor. Fills
 * *out. */
void warn_levels(const struct config *cfg, const struct floors *floors, const struct capacity *cap,
		 struct warn_levels *out);

/* The highest MemAvailable at which the memory warning can begin or end at
 * this MemTotal (its level with the margin, of MemTotal): what the loop's
 * idle tick holds its lower bound on MemAvailable against, as it does the
 * term floor's mem_term_max_kib. Returns KiB (0: the warning is off). */
uint64_t warn_mem_max_kib(const struct config *cfg, const struct floors *floors,
			  uint64_t mem_total_kib);

/* Decide whether to warn at now_ms about sample s, whose decision is d
 * (its floors and capacity are used). When d acts (ACTION_TERM/KILL) it
 * returns at once, warn false and st untouched: a warning never delays a
 * kill. Otherwise an episode begins when a warning condition holds and
 * ends after WARN_CLEAR_MS of recovery (see WARN_MARGIN_PCT); the first
 * tick of an episode that is at least WARN_MIN_INTERVAL_MS after the last
 * warning warns (an episode that begins sooner warns once the interval is
 * over, if its condition still holds then). Returns the verdict; its
 * levels are filled whenever d does not act. */
struct warn_verdict warn_check(struct warn_state *st, const struct config *cfg,
			       const struct sample *s, const struct decision *d, uint64_t now_ms);

/* The warning in words, for the log line and the hook:
 *   "MemAvailable 15.00% (270000 KiB) <= warning level 20.00% (360000 KiB)
 *    and SwapFree 14.31% (150000 KiB) <= 20.00% (209714 KiB)"
 *   "PSI full 12.00% >= warning level 10.00% in every 500 ms for 1.5 s"
 * Returns buf. */
const char *warn_describe(char *buf, size_t len, const struct warn_verdict *v,
			  const struct sample *s, const struct decision *d,
			  const struct config *cfg);
