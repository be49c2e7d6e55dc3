/* The exact stall of a pressure file, from its cumulative "total=" counters:
 * the fraction of wall time stalled, delta total / delta wall time, over
 * consecutive windows of at least window_ms, and how long the watched line
 * has been stalled at least the threshold in every window without a break.
 * No moving average, so no lag either way: a stall shows within one window
 * of starting, and the first window after it ends breaks the run. Pure:
 * readings in (time, totals), figures out. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "types.h"

/* A window this much longer than window_ms (the file was not read for a
 * while: an idle machine reads it rarely) is an average over a time nobody
 * looked at. It may continue a run or end one, but a run it starts is
 * credited with window_ms of it at most. */
#define STALL_LONG_WINDOW_FACTOR 2

struct stall_tracker {
	uint32_t threshold_centi;	/* 0: no run is ever counted */
	bool watch_full;		/* runs follow "full" (else "some") */
	unsigned window_ms;
	/* The open window: the reading it started at. */
	bool started;
	uint64_t start_ms, start_some_us, start_full_us;
	/* The last closed window. */
	bool have_window;
	uint32_t some_centi, full_centi;
	uint32_t length_ms;
	/* The run of windows at or above the threshold, if one is going on. */
	bool in_run;
	uint64_t run_since_ms, run_end_ms;
};

/* Start a tracker that counts runs of the full (watch_full) or some line at
 * or above threshold_centi (hundredths of a percent) over windows of at
 * least window_ms. */
void stall_init(struct stall_tracker *t, uint32_t threshold_centi, bool watch_full,
		unsigned window_ms);

/* Feed one reading of the totals (microseconds) taken at now_ms. A reading
 * less than window_ms after the open window's start only waits; one after
 * it closes the window, computes its fractions (capped at 100 %: the
 * kernel's per-CPU clocks and ours differ by a little) and extends or breaks
 * the run. A total that went backwards (the file was recreated) breaks the
 * run and starts afresh. Returns true when a window closed. */
bool stall_feed(struct stall_tracker *t, uint64_t now_ms, uint64_t some_us, uint64_t full_us);

/* Forget the windows and the run, keeping the settings: after a kill, a
 * new run must be seen from its start. */
void stall_restart(struct stall_tracker *t);

/* How long the run has lasted: from the latest moment its stall can have
 * begun in its first window (that window's end less its stalled time) to
 * the earliest it can have ended in its last (that window's start plus its
 * stalled time). Exact for a stall that takes all of the time it lasts,
 * shorter by up to a window for one that takes part of it, never longer.
 * 0 when there is no run. */
uint64_t stall_run_ms(const struct stall_tracker *t);

/* Copy the last window and the run into out (its have_window, some_centi,
 * full_centi, window_ms, run_ms and run_since_ms). */
void stall_describe(const struct stall_tracker *t, struct pressure_reading *out);
