/* The warning before a kill: levels derived from the floors, once per
 * episode, the margin and the rate limit, never in a tick that acts, and
 * the pressure warning ahead of a pressure kill. Samples go through the
 * real decision (decide_shortage), pressure readings through real stall
 * trackers fed PSI totals as acquire/pressure.c feeds them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "decide/decide.h"
#include "decide/warn.h"
#include "parse/stall.h"

#define MIB 1024ULL
#define S 1000ULL	/* ms in a second */

static struct config cfg;
static char err[256];

static int parse(const char *const *args)
{
	char *argv[32] = { (char *)"oomguard" };
	int argc = 1;

	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	config_free(&cfg);
	return config_parse(&cfg, argc, argv, err, sizeof(err));
}

#define PARSE(...) parse((const char *const[]){ __VA_ARGS__, NULL })

static void setup(void)
{
	cr_assert_eq(PARSE("--dryrun"), 0, "%s", err);
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(warn, .init = setup, .fini = teardown);

/* 2000 MiB of RAM, 1000 MiB of it anon, and 1000 MiB of disk swap: the
 * memory base is MemAvailable + 1000 MiB. At 150 MiB available (base 1150:
 * term floor 115, warning level 230) and 150 MiB of free swap (term 100,
 * warning 200) memory sits between the warning level and the term floor. */
static struct sample machine(uint64_t avail_mib, uint64_t swap_free_mib)
{
	struct sample s;

	memset(&s, 0, sizeof(s));
	s.mi.mem_total_kib = 2000 * MIB;
	s.mi.mem_available_kib = avail_mib * MIB;
	s.mi.anon_pages_kib = 1000 * MIB;
	s.mi.swap_total_kib = 1000 * MIB;
	s.mi.swap_free_kib = swap_free_mib * MIB;
	s.sampled = true;
	return s;
}

struct ticks {
	struct decide_state decide;
	struct warn_state warn;
	unsigned warnings;
	struct warn_verdict last;	/* the last warning given */
	struct decision d;		/* the last decision */
};

static void ticks_start(struct ticks *t)
{
	memset(t, 0, sizeof(*t));
	decide_init(&t->decide, 4);
	warn_init(&t->warn);
}

/* One tick at now_ms (seconds here are ms * S) on sample s. Returns true
 * when it warned. */
static bool tick(struct ticks *t, struct sample s, uint64_t now_ms)
{
	struct warn_verdict v;

	s.time_ms = now_ms;
	t->d = decide_shortage(&t->decide, &cfg, &s);
	v = warn_check(&t->warn, &cfg, &s, &t->d, now_ms);
	if (v.warn) {
		t->warnings++;
		t->last = v;
	}
	return v.warn;
}

/* Ticks every second from from_s to to_s (excluded) at avail/swap. Returns
 * how many warned. */
static unsigned hold(struct ticks *t, uint64_t from_s, uint64_t to_s, uint64_t avail_mib,
		     uint64_t swap_mib)
{
	unsigned n = 0;

	for (uint64_t sec = from_s; sec < to_s; sec++)
		n += tick(t, machine(avail_mib, swap_mib), sec * S);
	return n;
}

Test(warn, fires_once_per_episode_with_its_reason)
{
	struct ticks t;

	ticks_start(&t);
	cr_expect_eq(hold(&t, 0, 10, 1500, 900), 0, "plenty of memory warned");
	cr_expect(tick(&t, machine(150, 150), 10 * S));
	cr_expect_eq(t.d.action, ACTION_NONE, "the sample is above the term floor");
	cr_expect_eq(t.last.reason, REASON_WARN_MEMORY);
	cr_expect_str_eq(decide_reason_name(t.last.reason), "warn-memory");
	/* The same episode for ten minutes: no second warning, long after
	 * the rate limit. */
	cr_expect_eq(hold(&t, 11, 600, 150, 150), 0);
	cr_expect_eq(t.warnings, 1);
}

Test(warn, memory_hovering_at_the_level_does_not_warn_again)
{
	struct ticks t;

	ticks_start(&t);
	cr_expect(tick(&t, machine(150, 150), 0));
	/* Just above the level (260 MiB: base 1260, level 252) and back
	 * below it, again and again: above the level but not by the margin
	 * (clear at 315), so the episode goes on. */
	for (uint64_t sec = 1; sec < 600; sec++)
		tick(&t, machine(sec % 2 ? 260 : 250, 150), sec * S);
	/* Above the level for minutes, but not by the margin, then below
	 * it again: the same episode. */
	cr_expect_eq(hold(&t, 600, 800, 300, 150), 0);
	cr_expect_eq(hold(&t, 800, 810, 150, 150), 0);
	cr_expect_eq(t.warnings, 1, "warned %u times while hovering", t.warnings);
}

Test(warn, a_new_episode_after_a_real_recovery_warns_but_not_within_the_rate_limit)
{
	struct ticks t;

	ticks_start(&t);
	cr_expect(tick(&t, machine(150, 150), 0));
	/* Recovered (400 MiB: base 1400, level 280, clear above 350) for
	 * longer than WARN_CLEAR_MS: the episode is over. */
	cr_expect_eq(hold(&t, 1, 1 + WARN_CLEAR_MS / S + 1, 400, 150), 0);
	/* A new episode 33 s after the warning: within the minute, quiet... */
	cr_expect_eq(hold(&t, 33, WARN_MIN_INTERVAL_MS / S, 150, 150), 0);
	/* ... until the minute is over, while it still holds. */
	cr_expect(tick(&t, machine(150, 150), WARN_MIN_INTERVAL_MS));
	cr_expect_eq(hold(&t, 61, 200, 150, 150), 0);
	cr_expect_eq(t.warnings, 2);
}

Test(warn, a_short_recovery_is_the_same_episode)
{
	struct ticks t;

	ticks_start(&t);
	cr_expect(tick(&t, machine(150, 150), 0));
	cr_expect_eq(hold(&t, 1, 70, 150, 150), 0);
	/* Recovered for 20 s, less than WARN_CLEAR_MS, then low again, well
	 * past the rate limit: still the first episode. */
	cr_expect_eq(hold(&t, 70, 90, 400, 150), 0);
	cr_expect_eq(hold(&t, 90, 100, 150, 150), 0);
	/* Recovered for good, then low again: a new episode, and a minute
	 * has passed since the warning. */
	cr_expect_eq(hold(&t, 100, 100 + WARN_CLEAR_MS / S + 1, 400, 150), 0);
	cr_expect(tick(&t, machine(150, 150), 140 * S));
	cr_expect_eq(t.warnings, 2);
}

Test(warn, free_swap_above_its_level_is_no_warning)
{
	struct ticks t;

	ticks_start(&t);
	/* Memory in the band, but 300 MiB of swap free (level 200). */
	cr_expect_eq(hold(&t, 0, 100, 150, 300), 0);
}

Test(warn, never_in_a_tick_whose_decision_acts)
{
	struct ticks t;
	struct warn_state before;
	struct sample s = machine(100, 50);
	struct warn_verdict v;

	ticks_start(&t);
	/* At the term floor: the decision acts, the warning does nothing. */
	for (uint64_t sec = 0; sec < 100; sec++) {
		cr_expect_not(tick(&t, machine(100, 50), sec * S));
		cr_expect_neq(t.d.action, ACTION_NONE);
	}
	cr_expect_not(t.warn.in_episode, "a tick that acts changed the warning's state");
	/* A sample in the band, with a decision that acts (a kill floor
	 * crossed between samples): no warning, and the state is untouched. */
	s = machine(150, 150);
	t.d = decide_shortage(&t.decide, &cfg, &s);
	t.d.action = ACTION_KILL;
	before = t.warn;
	v = warn_check(&t.warn, &cfg, &s, &t.d, 200 * S);
	cr_expect_not(v.warn);
	cr_expect_eq(memcmp(&before, &t.warn, sizeof(before)), 0);
	/* Once the decision no longer acts, the warning comes. */
	cr_expect(tick(&t, machine(150, 150), 201 * S));
}

Test(warn, off_with_zero)
{
	struct ticks t;

	cr_assert_eq(PARSE("--warn-mem", "0"), 0, "%s", err);
	ticks_start(&t);
	cr_expect_eq(hold(&t, 0, 100, 150, 150), 0);
	cr_assert_eq(PARSE("--warn-swap", "0"), 0, "%s", err);
	ticks_start(&t);
	cr_expect_eq(hold(&t, 0, 100, 150, 150), 0);
}

/* ---- levels ------------------------------------------------------------- */

static struct warn_levels levels_at(struct sample s)
{
	struct decide_state st;
	struct decision d;
	struct warn_levels lv;

	decide_init(&st, 4);
	d = decide_shortage(&st, &cfg, &s);
	warn_levels(&cfg, &d.floors, &d.cap, &lv);
	return lv;
}

Test(warn, default_levels_are_twice_the_term_floors)
{
	/* 1000 MiB available: base 2000 MiB (MemTotal). */
	struct sample s = machine(1000, 900);
	struct warn_levels lv = levels_at(s);

	cr_expect(lv.mem_on);
	cr_expect_eq(lv.mem_kib, 400 * MIB, "20 %% of 2000 MiB, got %llu",
		     (unsigned long long)lv.mem_kib);
	cr_expect_eq(lv.swap_kib, 200 * MIB, "20 %% of 1000 MiB");
	cr_expect_eq(lv.psi_centi, 1000, "half of --psi-threshold 20");

	cr_assert_eq(PARSE("-m", "30", "-s", "15"), 0, "%s", err);
	lv = levels_at(s);
	cr_expect_eq(lv.mem_kib, 1200 * MIB);
	cr_expect_eq(lv.swap_kib, 300 * MIB);
	/* Twice 60 % would be above the total: held at 99 %. */
	cr_assert_eq(PARSE("-m", "60", "-s", "70"), 0, "%s", err);
	lv = levels_at(s);
	cr_expect_eq(lv.mem_kib, 2000 * MIB * 99 / 100);
	cr_expect_eq(lv.swap_kib, 1000 * MIB * 99 / 100);
}

Test(warn, default_levels_double_the_size_floors)
{
	struct sample s = machine(1000, 900);
	struct warn_levels lv;

	cr_assert_eq(PARSE("-M", "100M", "-S", "150M"), 0, "%s", err);
	lv = levels_at(s);
	cr_expect_eq(lv.mem_kib, 200 * MIB);
	cr_expect_eq(lv.swap_kib, 300 * MIB);
	/* Held below the totals. */
	cr_assert_eq(PARSE("-M", "1500M", "-S", "600M"), 0, "%s", err);
	lv = levels_at(s);
	cr_expect_eq(lv.mem_kib, 2000 * MIB * 99 / 100);
	cr_expect_eq(lv.swap_kib, 1000 * MIB * 99 / 100);
}

Test(warn, given_levels_and_the_idle_bound)
{
	struct sample s = machine(1000, 900);
	struct decide_state st;
	struct decision d;
	struct warn_levels lv;

	cr_assert_eq(PARSE("--warn-mem", "25", "--warn-swap", "100", "--warn-psi", "5"), 0, "%s", err);
	lv = levels_at(s);
	cr_expect_eq(lv.mem_kib, 500 * MIB);
	cr_expect_eq(lv.swap_kib, 1000 * MIB, "100 %%: swap does not matter");
	cr_expect_eq(lv.psi_centi, 500);
	/* The idle tick's bound: the level of MemTotal with its margin (25 %
	 * of 2000 MiB, plus half of the 15 % band above the term floor). */
	decide_init(&st, 4);
	d = decide_shortage(&st, &cfg, &s);
	cr_expect_eq(warn_mem_max_kib(&cfg, &d.floors, s.mi.mem_total_kib), 650 * MIB);
	cr_assert_eq(PARSE("--warn-mem", "0"), 0, "%s", err);
	cr_expect_eq(warn_mem_max_kib(&cfg, &d.floors, s.mi.mem_total_kib), 0);
	cr_assert_eq(PARSE("--psi-threshold", "40"), 0, "%s", err);
	cr_expect_eq(cfg.warn_psi_centi, 2000);
	cr_assert_eq(PARSE("--psi-threshold", "0"), 0, "%s", err);
	cr_expect_eq(cfg.warn_psi_centi, 0, "no pressure kills, no default pressure warning");
}

Test(warn, a_level_at_or_below_the_term_floor_is_refused)
{
	cr_expect_eq(PARSE("--warn-mem", "10"), -EINVAL);
	cr_expect_str_eq(err, "--warn-mem: 10.00% is not above the term floor (--mem-min "
			 "10.00%), so it could not warn before the kill");
	cr_expect_eq(PARSE("--warn-mem", "15", "-m", "20"), -EINVAL);
	cr_expect_eq(PARSE("-m", "20", "--warn-mem", "20.01"), 0, "%s", err);
	cr_expect_eq(PARSE("--warn-swap", "5"), -EINVAL);
	cr_expect_str_eq(err, "--warn-swap: 5.00% is not above the term floor (--swap-min "
			 "10.00%), so it could not warn before the kill");
	cr_expect_eq(PARSE("--warn-psi", "20"), -EINVAL);
	cr_expect_str_eq(err, "--warn-psi: 20.00% is not below --psi-threshold 20.00%, so it "
			 "could not warn before a pressure kill");
	cr_expect_eq(PARSE("--warn-psi", "30", "--psi-threshold", "0"), 0, "%s", err);
	cr_expect_eq(PARSE("--warn-mem", "abc"), -EINVAL);
	cr_expect_eq(PARSE("--warn-mem", "99.5"), -EINVAL, "above the 99 %% of -m");
	cr_expect_eq(PARSE("--warn-hook", "relative"), 0, "%s", err);
	cr_expect_null(cfg.warn_hook, "a relative hook is off, as the other hooks");

	/* Against a size floor, on the machine's totals. */
	cr_assert_eq(PARSE("-M", "500M", "--warn-mem", "20"), 0, "%s", err);
	cr_expect_eq(config_check_totals(&cfg, 2000 * MIB, 0, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "--warn-mem: 20.00% of MemTotal is 409600 KiB, not above the term "
			 "floor (--mem-min-size 512000 KiB), so it could not warn before the kill");
	cr_expect_eq(config_check_totals(&cfg, 4000 * MIB, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(PARSE("-S", "300M", "--warn-swap", "20"), 0, "%s", err);
	cr_expect_eq(config_check_totals(&cfg, 4000 * MIB, 1000 * MIB, err, sizeof(err)), -EINVAL);
	cr_expect_eq(config_check_totals(&cfg, 4000 * MIB, 2000 * MIB, err, sizeof(err)), 0);
}

/* ---- pressure ----------------------------------------------------------- */

/* Two trackers on the same totals, as pressure.c keeps them: the kill's at
 * --psi-threshold and the warning's at --warn-psi. */
struct stall_pair {
	struct stall_tracker kill, warn;
	uint64_t us;
};

static void stall_tick(struct stall_pair *p, struct sample *s, uint64_t now_ms, unsigned pct)
{
	p->us += 100000ULL * pct / 100;
	stall_feed(&p->kill, now_ms, p->us, p->us);
	stall_feed(&p->warn, now_ms, p->us, p->us);
	s->n_pressure = 1;
	s->pressure[0].valid = true;
	stall_describe(&p->kill, &s->pressure[0]);
	s->pressure[0].warn_run_ms = stall_run_ms(&p->warn);
}

Test(warn, pressure_warns_before_a_pressure_kill_could_be_due)
{
	struct ticks t;
	struct stall_pair p;
	struct sample s = machine(1000, 900);	/* plenty of memory */
	uint64_t now = 100000, warned_at = 0;

	memset(&p, 0, sizeof(p));
	stall_init(&p.kill, cfg.psi_threshold_centi, true, 500);
	stall_init(&p.warn, cfg.warn_psi_centi, true, 500);
	ticks_start(&t);
	/* 15 %: above the warning's 10 %, below the kill's 20 %. Less than
	 * --psi-duration of it is no warning. */
	for (unsigned i = 0; i < 6; i++) {
		now += 100;
		stall_tick(&p, &s, now, 15);
		cr_expect_not(tick(&t, s, now));
	}
	for (unsigned i = 0; i < 20 && !warned_at; i++) {
		now += 100;
		stall_tick(&p, &s, now, 15);
		if (tick(&t, s, now))
			warned_at = now;
		cr_expect_eq(t.d.action, ACTION_NONE);
		cr_expect_eq(s.pressure[0].run_ms, 0, "no run at the kill's threshold yet");
	}
	cr_assert_neq(warned_at, 0, "no pressure warning");
	cr_expect_eq(t.last.reason, REASON_WARN_PRESSURE);
	cr_expect_geq(t.last.pressure.warn_run_ms, cfg.psi_duration_ms);
	/* The stall goes on: one warning for the episode. */
	for (unsigned i = 0; i < 100; i++) {
		now += 100;
		stall_tick(&p, &s, now, 15);
		cr_expect_not(tick(&t, s, now));
	}
}

Test(warn, pressure_warning_off_with_zero)
{
	struct ticks t;
	struct stall_pair p;
	struct sample s = machine(1000, 900);
	uint64_t now = 100000;

	cr_assert_eq(PARSE("--warn-psi", "0"), 0, "%s", err);
	memset(&p, 0, sizeof(p));
	stall_init(&p.kill, cfg.psi_threshold_centi, true, 500);
	stall_init(&p.warn, cfg.warn_psi_centi, true, 500);
	ticks_start(&t);
	for (unsigned i = 0; i < 50; i++) {
		now += 100;
		stall_tick(&p, &s, now, 15);
		cr_expect_not(tick(&t, s, now));
	}
}

Test(warn, describes_memory_and_pressure)
{
	struct ticks t;
	char buf[256];
	struct sample s = machine(150, 150);

	ticks_start(&t);
	cr_assert(tick(&t, s, 0));
	warn_describe(buf, sizeof(buf), &t.last, &s, &t.d, &cfg);
	cr_expect_str_eq(buf, "MemAvailable 13.04% (153600 KiB) <= warning level 20.00% "
			 "(235520 KiB) and SwapFree 15.00% (153600 KiB) <= 20.00% (204800 KiB)");
}
