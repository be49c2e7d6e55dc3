/* The shortage decision: sequences of samples in, actions and reasons out.
 * Pressure readings come from a real stall tracker fed PSI totals, as the
 * pressure module feeds it. */
#include <criterion/criterion.h>

#include "decide/decide.h"
#include "fixture.h"
#include "parse/stall.h"

#define MIB 1024ULL

/* A machine of 1000 MiB whose anon fills 80 % of RAM and whose disk swap
 * is half used: memory is clearly the cause of any stall. */
static struct sample short_of_memory(void)
{
	struct sample s = { 0 };

	s.mi.mem_total_kib = 1000 * MIB;
	s.mi.mem_available_kib = 300 * MIB;
	s.mi.anon_pages_kib = 800 * MIB;
	s.mi.active_file_kib = 60 * MIB;
	s.mi.inactive_file_kib = 40 * MIB;
	s.mi.swap_total_kib = 1000 * MIB;
	s.mi.swap_free_kib = 500 * MIB;
	s.have_vmstat = true;
	s.vm.have_refault = true;
	s.n_pressure = 1;
	return s;
}

/* An I/O-heavy but healthy machine: little anon, a big busy cache, swap
 * unused. nohang killed bees (btrfs dedup) on one like it (nohang #25). */
static struct sample io_bound(void)
{
	struct sample s = short_of_memory();

	s.mi.anon_pages_kib = 200 * MIB;
	s.mi.active_file_kib = 400 * MIB;
	s.mi.inactive_file_kib = 300 * MIB;
	s.mi.swap_free_kib = 990 * MIB;
	return s;
}

struct run {
	struct config cfg;
	struct decide_state st;
	struct stall_tracker stall;
	struct sample s;
	uint64_t some_us, full_us, now;
};

static void run_start(struct run *r, struct sample s)
{
	decide_init(&r->st, 4);
	stall_init(&r->stall, r->cfg.psi_threshold_centi, r->cfg.psi_metric == PSI_METRIC_FULL, 500);
	r->s = s;
	r->some_us = r->full_us = 0;
	r->now = 100000;
}

/* Advance ms milliseconds in 100 ms ticks, stalled pct percent of the time
 * ("some" as much), refaulting refault_pages and filling disk swap by
 * swap_kib per tick. Returns the decision of the first tick that acted, or
 * of the last tick. */
static struct decision run_filling(struct run *r, unsigned ms, unsigned pct,
				   uint64_t refault_pages, uint64_t swap_kib)
{
	struct decision d = { 0 };

	for (unsigned t = 0; t < ms; t += 100) {
		r->now += 100;
		r->some_us += 100000ULL * pct / 100;
		r->full_us += 100000ULL * pct / 100;
		r->s.vm.refault_file += refault_pages;
		r->s.mi.swap_free_kib -= swap_kib < r->s.mi.swap_free_kib ? swap_kib : r->s.mi.swap_free_kib;
		r->s.time_ms = r->now;
		r->s.pressure[0].valid = true;
		stall_feed(&r->stall, r->now, r->some_us, r->full_us);
		stall_describe(&r->stall, &r->s.pressure[0]);
		d = decide_shortage(&r->st, &r->cfg, &r->s);
		if (d.action != ACTION_NONE)
			return d;
	}
	return d;
}

static struct decision run_for(struct run *r, unsigned ms, unsigned pct, uint64_t refault_pages)
{
	return run_filling(r, ms, pct, refault_pages, 0);
}

/* Refaults per 100 ms tick of 2 % of short_of_memory()'s 900 MiB of anon
 * and file LRU a second: a machine reading back what it just evicted. */
#define THRASH_PAGES (900 * 256 * 2 / 100 / 10)

/* The run's time in ms (from its start) at which the first kill came, or
 * 0, in a thrash of pct percent. */
static uint64_t kill_at(struct run *r, uint64_t t0, unsigned ms, unsigned pct)
{
	struct decision d = run_for(r, ms, pct, THRASH_PAGES);

	return d.action == ACTION_NONE ? 0 : r->now - t0;
}

Test(decide, floors_come_first)
{
	struct run r = { .cfg = CFG() };
	struct decision d;

	run_start(&r, short_of_memory());
	r.s.mi.mem_available_kib = 40 * MIB;
	r.s.mi.swap_free_kib = 40 * MIB;
	d = run_for(&r, 100, 0, 0);
	cr_expect_eq(d.action, ACTION_KILL);
	cr_expect_eq(d.reason, REASON_FLOOR_KILL);
	/* 5 % of what user memory can reach: available 40 + anon 800 MiB. */
	cr_expect_eq(d.floors.mem_kill_kib, 840 * MIB / 20);
	r.s.mi.swap_free_kib = 90 * MIB;
	d = run_for(&r, 100, 0, 0);
	cr_expect_eq(d.action, ACTION_TERM);
	cr_expect_eq(d.reason, REASON_FLOOR_TERM);
	cr_expect_eq(d.cap.swap_free_kib, 90 * MIB);
	config_free(&r.cfg);
}

Test(decide, a_sustained_thrash_is_a_pressure_kill)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };
	struct decision d;
	uint64_t t0;

	run_start(&r, short_of_memory());
	cr_expect_eq(run_for(&r, 3000, 0, 0).action, ACTION_NONE);
	t0 = r.now;
	d = run_for(&r, 10000, 50, THRASH_PAGES);
	cr_expect_eq(d.action, ACTION_TERM);
	cr_expect_eq(d.reason, REASON_PRESSURE);
	/* 2 s of run, counted from the latest the stall can have begun in its
	 * first window to the earliest it can have ended in its last: with
	 * half of each window stalled that takes about a window more (here
	 * the first window to close held 400 ms of the stall, 200 ms stalled). */
	cr_expect_eq(r.now - t0, 2600, "%llu", (unsigned long long)(r.now - t0));
	cr_expect_eq(d.source, 0);
	cr_expect_geq(d.pressure.run_ms, 2000);
	cr_expect_eq(d.pressure.full_centi, 5000);
	cr_expect_eq(d.evidence.cause, CAUSE_THRASHING);
	cr_expect_eq(d.evidence.anon_centi, 8000);
	cr_expect_geq(d.evidence.refault_permille_per_s, 19, "2 %% a second, less rounding");
	config_free(&r.cfg);
}

/* A stall without refaults is a workload moving into swap (fits-zram and
 * fits-disk in the VM suite: 23 s and 9 s of it under TCG): it ends when the
 * growth stops, or the floors end it. Not a pressure kill, however long. */
Test(decide, a_stall_that_refaults_nothing_is_no_thrash)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };

	run_start(&r, short_of_memory());
	cr_expect_eq(run_for(&r, 60000, 90, 0).action, ACTION_NONE);
	config_free(&r.cfg);
}

Test(decide, a_stall_shorter_than_the_duration_never_kills)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };
	uint64_t t0;

	run_start(&r, short_of_memory());
	run_for(&r, 1000, 0, 0);
	t0 = r.now;
	cr_expect_eq(kill_at(&r, t0, 1500, 100), 0, "1.5 s of full stall: under 2 s");
	cr_expect_eq(kill_at(&r, t0, 20000, 0), 0, "it stopped: nothing afterwards either");
	/* Stalls that come and go never add up: each run starts afresh once a
	 * whole window (two windows of pause always hold one) is quiet. */
	for (int i = 0; i < 10; i++) {
		cr_expect_eq(kill_at(&r, t0, 1500, 100), 0, "burst %d", i);
		cr_expect_eq(kill_at(&r, t0, 1000, 5), 0);
	}
	config_free(&r.cfg);
}

Test(decide, stall_below_the_threshold_never_kills)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };

	run_start(&r, short_of_memory());
	cr_expect_eq(run_for(&r, 60000, 19, THRASH_PAGES).action, ACTION_NONE);
	config_free(&r.cfg);
}

/* A leak into slow disk swap: nothing is read back, but everything waits
 * on the disk while swap fills, until it is gone. Once a quarter of RAM
 * went to disk in a stall of five times --psi-duration, it is a kill; a
 * workload that fits (fits-disk: 67 MiB, 14 %% of RAM, in 9 s) is not. */
Test(decide, slow_swap_that_keeps_filling_is_a_pressure_kill)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };
	struct decision d;
	uint64_t t0;

	run_start(&r, short_of_memory());
	r.s.mi.swap_free_kib = r.s.mi.swap_total_kib;
	t0 = r.now;
	/* 14 % of RAM in 9 s, then it holds: never. */
	d = run_filling(&r, 9000, 90, 0, 140 * MIB / 90);
	cr_expect_eq(d.action, ACTION_NONE);
	cr_expect_eq(run_for(&r, 20000, 0, 0).action, ACTION_NONE);
	/* 8 MiB/s into disk swap, fully stalled: 250 MiB (a quarter of RAM)
	 * after 31 s of it. */
	t0 = r.now;
	d = run_filling(&r, 60000, 100, 0, 800);
	cr_expect_eq(d.reason, REASON_PRESSURE);
	cr_expect_eq(d.evidence.cause, CAUSE_SLOW_SWAP);
	cr_expect_geq(d.evidence.disk_swapped_kib, 250 * MIB);
	cr_expect_leq(r.now - t0, 33000, "%llu", (unsigned long long)(r.now - t0));
	/* A fast disk takes the quarter of RAM in 2 s: no kill before the
	 * stall has lasted 5 x 2 s. */
	run_start(&r, short_of_memory());
	r.s.mi.swap_free_kib = r.s.mi.swap_total_kib;
	run_for(&r, 1000, 0, 0);
	t0 = r.now;
	d = run_filling(&r, 60000, 100, 0, 13 * MIB);
	cr_expect_eq(d.evidence.cause, CAUSE_SLOW_SWAP);
	cr_expect_geq(r.now - t0, 10000, "%llu", (unsigned long long)(r.now - t0));
	config_free(&r.cfg);
}

Test(decide, stall_with_plenty_of_memory_never_kills)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };

	run_start(&r, io_bound());
	/* Even a thrashing cache: little anon means a kill would free little. */
	cr_expect_eq(run_for(&r, 60000, 99, 5000).action, ACTION_NONE);
	config_free(&r.cfg);
}

Test(decide, threshold_zero_turns_pressure_kills_off)
{
	struct run r = { .cfg = CFG("--psi-threshold", "0",) };

	run_start(&r, short_of_memory());
	cr_expect_eq(run_for(&r, 60000, 100, 0).action, ACTION_NONE);
	config_free(&r.cfg);
}

/* zram-only swap, the thrash of the issue and a workload that fits: zram
 * filling alone never opens the gate (the capacity floor ends a zram leak);
 * working-set refaults do, at once. */
Test(decide, on_zram_refaults_open_the_gate_and_filling_does_not)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };
	struct sample s = short_of_memory();
	struct zram_device *z = &s.swaps.zram[0];
	struct decision d = { 0 };

	s.mi.swap_total_kib = 256 * MIB;
	s.mi.swap_free_kib = 200 * MIB;
	s.swaps.n_zram = 1;
	s.swaps.zram_total_kib = z->size_kib = 256 * MIB;
	s.swaps.zram_used_kib = z->used_kib = 56 * MIB;
	z->have_mm_stat = true;
	z->orig_bytes = 56 * MIB * 1024;
	z->mem_used_bytes = 28 * MIB * 1024;
	run_start(&r, s);
	/* zram fills at 8 MiB/s, nothing is read back: 30 s, no kill. */
	for (int i = 0; i < 30 && d.action == ACTION_NONE; i++) {
		r.s.swaps.zram_used_kib = r.s.swaps.zram[0].used_kib += 4 * MIB;
		r.s.mi.swap_free_kib -= 4 * MIB;
		d = run_for(&r, 500, 90, 0);
		cr_expect_eq(d.action, ACTION_NONE, "second %d", i / 2);
	}
	d = run_for(&r, 5000, 90, THRASH_PAGES);
	cr_expect_eq(d.reason, REASON_PRESSURE);
	cr_expect_eq(d.evidence.cause, CAUSE_THRASHING);
	config_free(&r.cfg);
}

/* Refaults count from the start of the run: the evidence of the stall
 * itself, not of what happened before it. */
Test(decide, refaults_count_from_the_start_of_the_run)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };
	struct sample s = short_of_memory();
	struct decision d;

	/* No swap in use: only thrashing can open the gate. */
	s.mi.swap_free_kib = s.mi.swap_total_kib;
	run_start(&r, s);
	run_for(&r, 5000, 0, 100000);	/* a huge burst of refaults, long ago */
	d = run_for(&r, 5000, 80, 10);
	cr_expect_eq(d.action, ACTION_NONE, "40 KiB/s of refaults is no thrash: %llu",
		     (unsigned long long)d.evidence.refault_kib_per_s);
	/* 100 MiB file LRU re-read at 10 MiB a tick: 100 %/s. */
	run_for(&r, 1000, 0, 0);
	d = run_for(&r, 5000, 80, 2560);
	cr_expect_eq(d.reason, REASON_PRESSURE);
	cr_expect_geq(d.evidence.refault_kib_per_s, 100 * MIB - 1);
	config_free(&r.cfg);
}

Test(decide, memory_gate_rules)
{
	struct sample s = short_of_memory();
	struct capacity cap = { .swap_total_kib = 1000 * MIB, .swap_free_kib = 500 * MIB };
	struct run_figures run = { .run_ms = 2000, .elapsed_ms = 2000 };
	struct pressure_evidence ev;

	/* 900 MiB of anon and file LRU; 1 %/s of it is 9 MiB/s. */
	run.refault_pages = 18 * MIB / 4;
	cr_expect(decide_memory_is_short(&s.mi, &cap, &run, 2000, 4, &ev));
	cr_expect_eq(ev.cause, CAUSE_THRASHING);
	cr_expect_eq(ev.refault_kib_per_s, 9 * MIB);
	cr_expect_eq(ev.refault_permille_per_s, 10);
	run.refault_pages = 17 * MIB / 4;
	cr_expect_not(decide_memory_is_short(&s.mi, &cap, &run, 2000, 4, &ev), "under 1 %%/s");
	/* Not yet the duration: the rate alone is not enough. */
	run.refault_pages = 100 * MIB;
	run.run_ms = 1900;
	cr_expect_not(decide_memory_is_short(&s.mi, &cap, &run, 2000, 4, &ev));
	/* A thrashing page cache with little anon: a kill would free little
	 * (nohang #25). */
	s = io_bound();
	run.run_ms = 60000;
	cr_expect_not(decide_memory_is_short(&s.mi, &cap, &run, 2000, 4, &ev));
	cr_expect_eq(ev.cause, CAUSE_NONE);
	/* zram's pool is anon memory too: 400 MiB anon + 150 MiB of pool. */
	s = short_of_memory();
	s.mi.anon_pages_kib = 400 * MIB;
	cap.swapped_ram_kib = 150 * MIB;
	run.refault_pages = 100 * MIB;
	cr_expect(decide_memory_is_short(&s.mi, &cap, &run, 2000, 4, &ev));
	cr_expect_eq(ev.anon_centi, 5500);
	/* Slow swap: a quarter of RAM to disk in a stall of 5 x the duration. */
	s = short_of_memory();
	run = (struct run_figures){ .run_ms = 10000, .elapsed_ms = 9500, .disk_swapped_kib = 250 * MIB };
	cr_expect(decide_memory_is_short(&s.mi, &cap, &run, 2000, 4, &ev));
	cr_expect_eq(ev.cause, CAUSE_SLOW_SWAP);
	run.disk_swapped_kib = 249 * MIB;
	cr_expect_not(decide_memory_is_short(&s.mi, &cap, &run, 2000, 4, &ev));
	run.disk_swapped_kib = 250 * MIB;
	run.run_ms = 9900;
	cr_expect_not(decide_memory_is_short(&s.mi, &cap, &run, 2000, 4, &ev));
}

Test(decide, reason_names)
{
	cr_expect_str_eq(decide_reason_name(REASON_NONE), "none");
	cr_expect_str_eq(decide_reason_name(REASON_FLOOR_TERM), "floor-term");
	cr_expect_str_eq(decide_reason_name(REASON_FLOOR_KILL), "floor-kill");
	cr_expect_str_eq(decide_reason_name(REASON_PRESSURE), "pressure");
	cr_expect_null(decide_escalation_name(ESCALATION_NONE));
	cr_expect_str_eq(decide_escalation_name(ESCALATION_TIMEOUT), "timeout");
	cr_expect_str_eq(decide_escalation_name(ESCALATION_FLOOR), "floor-kill");
	cr_expect_str_eq(decide_escalation_name(ESCALATION_STALL), "stall");
}

Test(decide, escalation_while_a_victim_ignores_sigterm)
{
	struct decision pressure = { .action = ACTION_TERM, .reason = REASON_PRESSURE,
				     .pressure = { .run_ms = 2000, .run_since_ms = 50000 } };
	struct decision floor_kill = { .action = ACTION_KILL, .reason = REASON_FLOOR_KILL };
	struct decision floor_term = { .action = ACTION_TERM, .reason = REASON_FLOOR_TERM };
	struct decision nothing = { 0 };
	struct decision later = pressure;

	cr_expect_eq(decide_escalation(&pressure, &floor_kill, 1000), ESCALATION_FLOOR);
	cr_expect_eq(decide_escalation(&floor_term, &floor_kill, 1000), ESCALATION_FLOOR);
	cr_expect_eq(decide_escalation(&floor_term, &floor_term, 1000), ESCALATION_NONE,
		     "a floor kill waits for --kill-timeout");
	later.pressure.run_ms = 2900;
	cr_expect_eq(decide_escalation(&pressure, &later, 1000), ESCALATION_NONE);
	later.pressure.run_ms = 3000;
	cr_expect_eq(decide_escalation(&pressure, &later, 1000), ESCALATION_STALL,
		     "the stall went on for another --psi-duration after the SIGTERM");
	cr_expect_eq(decide_escalation(&pressure, &nothing, 1000), ESCALATION_NONE,
		     "the stall ended: the victim may take its time");
	later.pressure.run_since_ms = 52000;
	cr_expect_eq(decide_escalation(&pressure, &later, 1000), ESCALATION_NONE,
		     "another run, not the one the kill was for");
	later = pressure;
	later.pressure.run_ms = 9000;
	later.source = 1;
	cr_expect_eq(decide_escalation(&pressure, &later, 1000), ESCALATION_NONE);
}

/* Kills that free nothing (RAM held by tmpfs or shm that the victims had
 * mapped) must not go on one victim after another. */
Test(decide, kills_that_give_nothing_back_make_it_hold_off)
{
	struct run r = { .cfg = CFG() };
	struct decision d;
	uint64_t t;

	run_start(&r, short_of_memory());
	r.s.mi.mem_available_kib = 40 * MIB;
	r.s.mi.swap_free_kib = 40 * MIB;
	t = r.now;
	/* Two that gave nothing back, then one that gave back a third of
	 * what its victim held: the row starts over. */
	cr_expect_not(decide_note_kill(&r.st, 300 * MIB, 0, t += 1000));
	cr_expect_not(decide_note_kill(&r.st, 300 * MIB, -5 * (int64_t)MIB, t += 1000));
	cr_expect_not(decide_note_kill(&r.st, 300 * MIB, 100 * MIB, t += 1000));
	cr_expect_not(decide_note_kill(&r.st, 300 * MIB, 10 * MIB, t += 1000));
	cr_expect_not(decide_note_kill(&r.st, 300 * MIB, 10 * MIB, t += 1000));
	r.now = t;
	d = run_for(&r, 100, 0, 0);
	cr_expect_eq(d.action, ACTION_KILL);
	cr_expect_not(d.held, "two futile kills in a row are not yet a loop");
	/* The third in a row: a backoff of DECIDE_BACKOFF_MS begins. */
	cr_expect(decide_note_kill(&r.st, 300 * MIB, 10 * MIB, t += 1000));
	r.now = t;
	d = run_for(&r, 100, 0, 0);
	cr_expect_eq(d.action, ACTION_KILL, "the floor is still crossed, and said so");
	cr_expect(d.held);
	r.now = t + DECIDE_BACKOFF_MS - 200;
	d = run_for(&r, 100, 0, 0);
	cr_expect(d.held);
	r.now = t + DECIDE_BACKOFF_MS;
	d = run_for(&r, 100, 0, 0);
	cr_expect_eq(d.action, ACTION_KILL);
	cr_expect_not(d.held, "after the backoff oomguard acts again");
	config_free(&r.cfg);
}

/* Futile kills far apart are not "in a row": a leak killed once an hour
 * whose victim's memory was mostly shared never makes oomguard hold off. */
Test(decide, futile_kills_far_apart_are_not_a_row)
{
	struct decide_state st;
	uint64_t t = 1000;

	decide_init(&st, 4);
	for (int i = 0; i < 10; i++)
		cr_expect_not(decide_note_kill(&st, 300 * MIB, 0, t += DECIDE_BACKOFF_MS + 1),
			      "kill %d", i);
	/* Within the window they are. */
	cr_expect_not(decide_note_kill(&st, 300 * MIB, 0, t += DECIDE_BACKOFF_MS));
	cr_expect(decide_note_kill(&st, 300 * MIB, 0, t += DECIDE_BACKOFF_MS));
}

/* A stall's refault evidence is what was refaulted during it: a sample
 * that could not read vmstat (its counters zero) is no baseline, else the
 * counters since boot, read once vmstat reads again, would make a stall
 * that refaults nothing look like a thrash. */
Test(decide, a_stall_whose_start_had_no_vmstat_is_no_thrash_by_the_counters_since_boot)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };

	run_start(&r, short_of_memory());
	cr_expect_eq(run_for(&r, 3000, 0, 0).action, ACTION_NONE);
	/* The stall begins while vmstat cannot be read ... */
	r.s.have_vmstat = false;
	r.s.vm.have_refault = false;
	r.s.vm.refault_file = 0;
	cr_expect_eq(run_for(&r, 1500, 90, 0).action, ACTION_NONE);
	/* ... then reads again: 40 GiB refaulted since boot, none since. */
	r.s.have_vmstat = true;
	r.s.vm.have_refault = true;
	r.s.vm.refault_file = 10000000;
	cr_expect_eq(run_for(&r, 20000, 90, 0).action, ACTION_NONE);
	cr_expect_geq(r.s.pressure[0].run_ms, 20000, "the stall went on");
	/* And a thrash after that is still seen as one. */
	cr_expect_eq(run_for(&r, 5000, 90, THRASH_PAGES * 2).reason, REASON_PRESSURE);
	config_free(&r.cfg);
}

/* The refault baseline is the first sample of the run that read vmstat:
 * with vmstat missing for the first seconds of a thrash, the rate is taken
 * from when it reads again, not from a zero. */
Test(decide, a_thrash_is_measured_from_the_first_sample_that_read_vmstat)
{
	struct run r = { .cfg = CFG("--psi-threshold", "20", "--psi-duration", "2",) };
	struct decision d;

	run_start(&r, short_of_memory());
	r.s.vm.refault_file = 5000000;
	cr_expect_eq(run_for(&r, 3000, 0, 0).action, ACTION_NONE);
	/* Unreadable, the counters are zero (sensors_sample). */
	r.s.have_vmstat = false;
	r.s.vm.have_refault = false;
	r.s.vm.refault_file = 0;
	cr_expect_eq(run_for(&r, 3000, 90, 0).action, ACTION_NONE,
		     "no refault figure, no thrash verdict");
	r.s.have_vmstat = true;
	r.s.vm.have_refault = true;
	r.s.vm.refault_file = 5000000 + 30 * THRASH_PAGES;
	d = run_for(&r, 5000, 90, THRASH_PAGES);
	cr_expect_eq(d.reason, REASON_PRESSURE);
	cr_expect_eq(d.evidence.cause, CAUSE_THRASHING);
	cr_expect_leq(d.evidence.refault_permille_per_s, 25, "2 %% a second, not 5 M pages at once: %u",
		      d.evidence.refault_permille_per_s);
	config_free(&r.cfg);
}
