/* The shortage decision, taken in one place: (state, config, sample) ->
 * struct decision (types.h): an action and its reason. The floors come
 * first (policy.c, on the capacity of capacity.c); then pressure: a source
 * stalled at least --psi-threshold in every window for --psi-duration, with
 * evidence that memory is the cause. Pure: the loop samples, act carries the
 * decision out, and asks again through the loop when it must re-check. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "parse/config.h"
#include "types.h"

/* The memory gate of pressure kills; see README "The memory gate". */
#define DECIDE_ANON_MIN_PCT		50	/* anon share of RAM: killing can free it */
#define DECIDE_SWAP_USED_MIN_PCT	10	/* swap filling: used share of the effective swap */
#define DECIDE_REFAULT_MIN_PCT_PER_S	10	/* working set re-read per second: thrashing */
#define DECIDE_FILE_LRU_MIN_PCT		2	/* file LRU this small: nothing left to evict */

struct decide_state {
	/* Per pressure source: the run seen last, and the refault counter
	 * (file + anon) when it was first seen. */
	uint64_t run_since_ms[PRESSURE_MAX_SOURCES];
	uint64_t refaults_at_run_start[PRESSURE_MAX_SOURCES];
	uint64_t run_seen_ms[PRESSURE_MAX_SOURCES];	/* when that counter was read */
	unsigned page_kib;
};

/* Start with no run seen. page_kib is the page size in KiB (vmstat counts
 * pages). */
void decide_init(struct decide_state *st, unsigned page_kib);

/* Decide for sample s: the floors first (REASON_FLOOR_KILL, then
 * REASON_FLOOR_TERM), then each pressure source (REASON_PRESSURE, a SIGTERM)
 * when its run of windows at or above --psi-threshold has lasted
 * --psi-duration and decide_memory_is_short() says memory is the cause.
 * --psi-threshold 0 turns pressure off. Updates st with the runs seen.
 * Returns the decision, its floors and capacity filled whatever the action. */
struct decision decide_shortage(struct decide_state *st, const struct config *cfg,
				const struct sample *s);

/* The memory gate: is memory short, so that a kill can relieve the stall?
 * Fills *ev. True when anon (AnonPages + the RAM of zram and zswap pools)
 * is at least DECIDE_ANON_MIN_PCT of MemTotal, and swap of any kind is
 * filling (DECIDE_SWAP_USED_MIN_PCT of the effective swap used) or the
 * working set is being re-read: refaults of file and anon pages
 * (refault_pages over elapsed_ms) per second at least
 * DECIDE_REFAULT_MIN_PCT_PER_S of the file LRU, or a file LRU below
 * DECIDE_FILE_LRU_MIN_PCT of RAM. */
bool decide_memory_is_short(const struct meminfo *mi, const struct capacity *cap,
			    uint64_t refault_pages, uint64_t elapsed_ms, unsigned page_kib,
			    struct pressure_evidence *ev);

/* "floor-term", "floor-kill", "pressure", "escalation", "none". */
const char *decide_reason_name(enum reason reason);
