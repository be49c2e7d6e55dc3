#include "parse/stall.h"

#include <string.h>

void stall_init(struct stall_tracker *t, uint32_t threshold_centi, bool watch_full,
		unsigned window_ms)
{
	memset(t, 0, sizeof(*t));
	t->threshold_centi = threshold_centi;
	t->watch_full = watch_full;
	t->window_ms = window_ms ? window_ms : 1;
}

void stall_restart(struct stall_tracker *t)
{
	stall_init(t, t->threshold_centi, t->watch_full, t->window_ms);
}

static void open_window(struct stall_tracker *t, uint64_t now_ms, uint64_t some_us,
			uint64_t full_us)
{
	t->started = true;
	t->start_ms = now_ms;
	t->start_some_us = some_us;
	t->start_full_us = full_us;
}

/* stall_us of wall_ms in hundredths of a percent, at most 10000:
 * stall_us * 10000 / (wall_ms * 1000). */
static uint32_t fraction_centi(uint64_t stall_us, uint64_t wall_ms)
{
	if (stall_us >= wall_ms * 1000)
		return 10000;
	return (uint32_t)(stall_us * 10 / wall_ms);
}

bool stall_feed(struct stall_tracker *t, uint64_t now_ms, uint64_t some_us, uint64_t full_us)
{
	uint64_t length, stalled_ms;

	if (!t->started || now_ms < t->start_ms) {
		open_window(t, now_ms, some_us, full_us);
		return false;
	}
	if (some_us < t->start_some_us || full_us < t->start_full_us) {
		t->in_run = false;
		open_window(t, now_ms, some_us, full_us);
		return false;
	}
	length = now_ms - t->start_ms;
	if (length < t->window_ms)
		return false;

	t->have_window = true;
	t->length_ms = length > UINT32_MAX ? UINT32_MAX : (uint32_t)length;
	t->some_centi = fraction_centi(some_us - t->start_some_us, length);
	t->full_centi = fraction_centi(full_us - t->start_full_us, length);
	stalled_ms = ((t->watch_full ? full_us - t->start_full_us : some_us - t->start_some_us) / 1000);
	if (stalled_ms > length)
		stalled_ms = length;
	if (t->threshold_centi == 0 ||
	    (t->watch_full ? t->full_centi : t->some_centi) < t->threshold_centi) {
		t->in_run = false;
	} else {
		/* Windows do not line up with the stall: a run is counted from
		 * the latest its stall can have begun in its first window (the
		 * window's end less its stalled time) to the earliest it can
		 * have ended in its last (the window's start plus it), so a
		 * burst reads as long as it was, never longer. A window nobody
		 * looked into for a while counts for one window at most. */
		if (!t->in_run) {
			uint64_t credit = stalled_ms;

			if (length > (uint64_t)t->window_ms * STALL_LONG_WINDOW_FACTOR &&
			    credit > t->window_ms)
				credit = t->window_ms;
			t->in_run = true;
			t->run_since_ms = now_ms - credit;
		}
		t->run_end_ms = t->start_ms + stalled_ms;
		if (t->run_end_ms < t->run_since_ms)
			t->run_end_ms = t->run_since_ms;
	}
	open_window(t, now_ms, some_us, full_us);
	return true;
}

uint64_t stall_run_ms(const struct stall_tracker *t)
{
	return t->in_run ? t->run_end_ms - t->run_since_ms : 0;
}

void stall_describe(const struct stall_tracker *t, struct pressure_reading *out)
{
	out->have_window = t->have_window;
	out->some_centi = t->some_centi;
	out->full_centi = t->full_centi;
	out->window_ms = t->length_ms;
	out->run_ms = stall_run_ms(t);
	out->run_since_ms = t->in_run ? t->run_since_ms : 0;
}
