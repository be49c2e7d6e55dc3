/* The exact stall from PSI's cumulative totals: readings (time, totals) in,
 * window fractions and runs out. */
#include <criterion/criterion.h>

#include "parse/stall.h"

/* Feed readings every step_ms from t0 to t1 (inclusive) of a stall that
 * takes pct_full percent of the wall time on the full line (some twice as
 * much, capped), starting from the totals in some and full. Returns the
 * longest run seen. */
static uint64_t feed(struct stall_tracker *t, uint64_t t0, uint64_t t1, unsigned step_ms,
		     unsigned pct_full, uint64_t *some, uint64_t *full)
{
	uint64_t longest = 0;

	for (uint64_t now = t0; now <= t1; now += step_ms) {
		if (now > t0) {
			unsigned pct_some = pct_full * 2 > 100 ? 100 : pct_full * 2;

			*full += (uint64_t)step_ms * 1000 * pct_full / 100;
			*some += (uint64_t)step_ms * 1000 * pct_some / 100;
		}
		stall_feed(t, now, *some, *full);
		if (stall_run_ms(t) > longest)
			longest = stall_run_ms(t);
	}
	return longest;
}

Test(stall, window_fraction_is_delta_total_over_delta_wall)
{
	struct stall_tracker t;
	struct pressure_reading rd = { 0 };

	stall_init(&t, 2000, true, 500);
	cr_expect_not(stall_feed(&t, 10000, 1000000, 400000), "the first reading opens a window");
	cr_expect_not(stall_feed(&t, 10100, 1050000, 410000), "100 ms: the window is still open");
	cr_expect(stall_feed(&t, 10500, 1250000, 500000), "500 ms: it closes");
	stall_describe(&t, &rd);
	cr_expect(rd.have_window);
	cr_expect_eq(rd.some_centi, 5000, "250 ms of 500 stalled: 50 %%");
	cr_expect_eq(rd.full_centi, 2000, "100 ms of 500: 20 %%");
	cr_expect_eq(rd.window_ms, 500);
	cr_expect(t.in_run, "at the threshold counts");
	cr_expect_eq(rd.run_since_ms, 10400, "from the latest its 100 ms can have begun");
	cr_expect_eq(rd.run_ms, 0, "one window of it: it may have been a blip");
}

Test(stall, sustained_stall_runs_from_its_first_window)
{
	struct stall_tracker t;
	uint64_t some = 5000000, full = 3000000;

	stall_init(&t, 2000, true, 500);
	feed(&t, 0, 1000, 100, 0, &some, &full);
	cr_expect_eq(stall_run_ms(&t), 0);
	/* All of the time stalled from 1 s to 4 s, read every 100 ms: exact. */
	cr_expect_eq(feed(&t, 1000, 4000, 100, 100, &some, &full), 3000);
	cr_expect_eq(t.run_since_ms, 1000);
	cr_expect_eq(t.full_centi, 10000);
	/* 90 % of the time from 5 s to 8 s: shorter by the unstalled part of
	 * its two end windows, never longer than it was. */
	feed(&t, 4000, 5000, 100, 0, &some, &full);
	cr_expect_eq(feed(&t, 5000, 8000, 100, 90, &some, &full), 2900);
	cr_expect_eq(t.run_since_ms, 5050);
	cr_expect_eq(t.full_centi, 9000);
}

Test(stall, a_window_below_the_threshold_breaks_the_run)
{
	struct stall_tracker t;
	uint64_t some = 0, full = 0;

	stall_init(&t, 2000, true, 500);
	feed(&t, 0, 2000, 100, 100, &some, &full);
	cr_expect_eq(stall_run_ms(&t), 2000);
	/* 10 % for half a second: the run is over at once. */
	feed(&t, 2000, 2500, 100, 10, &some, &full);
	cr_expect_eq(stall_run_ms(&t), 0);
	cr_expect_not(t.in_run);
	/* A new stall is a new run, measured from its own start. */
	feed(&t, 2500, 3500, 100, 100, &some, &full);
	cr_expect_eq(stall_run_ms(&t), 1000);
	cr_expect_eq(t.run_since_ms, 2500);
}

/* No moving average: a 1.5 s burst never reads as a longer stall, and the
 * first quiet window after it ends the run (avg10 would stay above 20 %
 * for seconds). */
Test(stall, a_burst_that_stopped_is_over_within_one_window)
{
	struct stall_tracker t;
	uint64_t some = 0, full = 0, longest;

	stall_init(&t, 2000, true, 500);
	feed(&t, 0, 1000, 100, 0, &some, &full);
	cr_expect_eq(feed(&t, 1000, 2500, 100, 100, &some, &full), 1500);
	cr_expect_eq(feed(&t, 2500, 10000, 100, 0, &some, &full), 1500,
		     "it holds until the next window closes, and never grows");
	cr_expect_not(t.in_run);
	cr_expect_eq(stall_run_ms(&t), 0);
	cr_expect_eq(t.full_centi, 0);
	/* The same burst out of step with the windows (starting 400 ms into
	 * one, ending 100 ms into another): still 1.5 s, not the 2 s that
	 * the four windows it touches span. */
	stall_init(&t, 2000, true, 500);
	feed(&t, 0, 1400, 100, 0, &some, &full);
	longest = feed(&t, 1400, 2900, 100, 100, &some, &full);
	cr_expect_eq(longest, 1100, "its last window has not closed yet");
	cr_expect_eq(feed(&t, 2900, 5000, 100, 0, &some, &full), 1500);
	cr_expect_not(t.in_run);
}

Test(stall, ten_ms_ticks_make_the_same_windows)
{
	struct stall_tracker t;
	uint64_t some = 0, full = 0;

	stall_init(&t, 2000, true, 500);
	cr_expect_eq(feed(&t, 0, 3000, 10, 100, &some, &full), 3000);
	cr_expect_eq(t.length_ms, 500);
	cr_expect_eq(t.full_centi, 10000);
	stall_init(&t, 2000, true, 500);
	cr_expect_eq(feed(&t, 3000, 6000, 10, 50, &some, &full), 2500);
	cr_expect_eq(t.full_centi, 5000);
}

Test(stall, irregular_ticks_make_windows_of_at_least_the_length)
{
	struct stall_tracker t;
	struct pressure_reading rd = { 0 };

	stall_init(&t, 2000, true, 500);
	stall_feed(&t, 0, 0, 0);
	cr_expect_not(stall_feed(&t, 499, 0, 499000));
	cr_expect(stall_feed(&t, 730, 0, 730000));
	stall_describe(&t, &rd);
	cr_expect_eq(rd.window_ms, 730);
	cr_expect_eq(rd.full_centi, 10000);
}

Test(stall, more_stall_than_wall_time_is_capped)
{
	struct stall_tracker t;

	/* The kernel's per-CPU clocks run a little apart from ours. */
	stall_init(&t, 2000, true, 500);
	stall_feed(&t, 0, 0, 0);
	cr_assert(stall_feed(&t, 500, 600000, 501000));
	cr_expect_eq(t.some_centi, 10000);
	cr_expect_eq(t.full_centi, 10000);
}

Test(stall, totals_that_go_backwards_restart_the_count)
{
	struct stall_tracker t;
	uint64_t some = 900000000, full = 800000000;

	stall_init(&t, 2000, true, 500);
	feed(&t, 0, 2000, 100, 100, &some, &full);
	cr_expect_eq(stall_run_ms(&t), 2000);
	/* The file was recreated (a cgroup removed and made again), or the
	 * counter wrapped: no window can be computed across that. */
	cr_expect_not(stall_feed(&t, 2100, 5, 3));
	cr_expect_eq(stall_run_ms(&t), 0);
	cr_expect(stall_feed(&t, 2600, 500005, 500003));
	cr_expect_eq(t.full_centi, 10000, "windows go on from the new totals");
	cr_expect_eq(t.run_since_ms, 2100);
	cr_expect_eq(stall_run_ms(&t), 500);
}

Test(stall, a_long_unwatched_window_counts_only_its_last_part)
{
	struct stall_tracker t;
	struct pressure_reading rd = { 0 };

	stall_init(&t, 2000, true, 500);
	stall_feed(&t, 0, 0, 0);
	/* Read again after 10 s (an idle machine reads PSI rarely), with a
	 * stall that averaged 30 % over them: a run may start, but credited
	 * with one window at most, not the 3 s of stall it holds. */
	cr_assert(stall_feed(&t, 10000, 6000000, 3000000));
	stall_describe(&t, &rd);
	cr_expect_eq(rd.full_centi, 3000);
	cr_expect_eq(rd.run_since_ms, 9500);
	cr_expect(stall_feed(&t, 10500, 6500000, 3500000));
	cr_expect_eq(stall_run_ms(&t), 1000, "then a window all stalled: 9.5 s to 10.5 s");
}

Test(stall, some_or_full)
{
	struct stall_tracker t;
	uint64_t some = 0, full = 0;

	/* feed() stalls "some" twice as much as "full": 15 % and 30 %. */
	stall_init(&t, 2000, false, 500);
	cr_expect_eq(feed(&t, 0, 2000, 100, 15, &some, &full), 1300,
		     "some 30 %% >= 20 %%: a run, less the unstalled 70 %% of its two end windows");
	stall_init(&t, 2000, true, 500);
	cr_expect_eq(feed(&t, 2000, 4000, 100, 15, &some, &full), 0, "full 15 %% < 20 %%");
}

Test(stall, threshold_zero_never_runs)
{
	struct stall_tracker t;
	uint64_t some = 0, full = 0;

	stall_init(&t, 0, true, 500);
	cr_expect_eq(feed(&t, 0, 5000, 100, 100, &some, &full), 0);
	cr_expect(t.have_window, "windows are still measured, for the report");
	cr_expect_eq(t.full_centi, 10000);
}

Test(stall, restart_forgets_windows_and_run)
{
	struct stall_tracker t;
	uint64_t some = 0, full = 0;

	stall_init(&t, 2000, true, 500);
	feed(&t, 0, 3000, 100, 100, &some, &full);
	cr_assert_eq(stall_run_ms(&t), 3000);
	stall_restart(&t);
	cr_expect_eq(stall_run_ms(&t), 0);
	cr_expect_not(t.have_window);
	cr_expect_eq(t.threshold_centi, 2000, "settings kept");
	cr_expect_eq(feed(&t, 3000, 4000, 100, 100, &some, &full), 1000, "counted anew");
}
