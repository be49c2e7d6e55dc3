/* Floors and the memory-AND-swap rule, on the effective swap capacity, and
 * the adaptive poll interval. */
#include <criterion/criterion.h>

#include "decide/policy.h"
#include "fixture.h"

/* Swap that is all disk: the capacity is what the kernel says. */
static struct capacity disk(uint64_t total, uint64_t free_kib)
{
	return (struct capacity){ .swap_total_kib = total, .swap_free_kib = free_kib,
				  .disk_total_kib = total, .disk_free_kib = free_kib };
}

/* A machine of total KiB whose memory is all available or anon, so that
 * MemAvailable + AnonPages ("user mem total") is MemTotal. */
static struct meminfo machine(uint64_t total, uint64_t avail)
{
	return (struct meminfo){ .mem_total_kib = total, .mem_available_kib = avail,
				 .anon_pages_kib = total - avail };
}

static enum reason check(const struct config *cfg, uint64_t total, uint64_t avail,
			 struct capacity cap)
{
	struct meminfo mi = machine(total, avail);
	struct floors f;

	policy_floors(cfg, &mi, &cap, &f);
	return policy_check_floors(&f, avail, &cap);
}

Test(policy, default_floors_at_ten_and_five_percent)
{
	struct config cfg = CFG();
	struct capacity cap = disk(500000, 0);
	struct meminfo mi = machine(1000000, 0);
	struct floors f;

	policy_floors(&cfg, &mi, &cap, &f);
	cr_expect_eq(f.mem_term_kib, 100000);
	cr_expect_eq(f.mem_kill_kib, 50000);
	cr_expect_eq(f.swap_term_kib, 50000);
	cr_expect_eq(f.swap_kill_kib, 25000);
	config_free(&cfg);
}

Test(policy, memory_and_swap_must_both_be_low)
{
	struct config cfg = CFG();

	cr_expect_eq(check(&cfg, 1000000, 90000, disk(500000, 400000)), REASON_NONE,
		     "swap still free: earlyoom semantics leave this to the pressure rule");
	cr_expect_eq(check(&cfg, 1000000, 200000, disk(500000, 0)), REASON_NONE);
	cr_expect_eq(check(&cfg, 1000000, 100000, disk(500000, 50000)), REASON_FLOOR_TERM,
		     "at the floor counts");
	cr_expect_eq(check(&cfg, 1000000, 100001, disk(500000, 50000)), REASON_NONE);
	cr_expect_eq(check(&cfg, 1000000, 50000, disk(500000, 25000)), REASON_FLOOR_KILL);
	cr_expect_eq(check(&cfg, 1000000, 50000, disk(500000, 40000)), REASON_FLOOR_TERM,
		     "memory at the kill floor but swap only at the term floor");
	config_free(&cfg);
}

Test(policy, no_swap_counts_as_swap_low)
{
	struct config cfg = CFG();

	cr_expect_eq(check(&cfg, 1000000, 99000, disk(0, 0)), REASON_FLOOR_TERM);
	cr_expect_eq(check(&cfg, 1000000, 49000, disk(0, 0)), REASON_FLOOR_KILL);
	cr_expect_eq(check(&cfg, 1000000, 101000, disk(0, 0)), REASON_NONE);
	config_free(&cfg);
}

Test(policy, swap_turned_on_while_running_moves_the_floor)
{
	struct config cfg = CFG();

	cr_expect_eq(check(&cfg, 1000000, 90000, disk(0, 0)), REASON_FLOOR_TERM);
	cr_expect_eq(check(&cfg, 1000000, 90000, disk(2000000, 1500000)), REASON_NONE);
	config_free(&cfg);
}

/* zram is swap again, at the capacity RAM allows: while it can still take
 * data, a low MemAvailable alone is no shortage. */
Test(policy, zram_with_room_is_swap)
{
	struct config cfg = CFG();
	struct capacity room = { .swap_total_kib = 256000, .swap_free_kib = 66000,
				 .zram_size_kib = 256000, .zram_used_kib = 190000,
				 .zram_headroom_kib = 66000 };
	struct capacity full = room;

	cr_expect_eq(check(&cfg, 512000, 10000, room), REASON_NONE);
	full.zram_headroom_kib = full.swap_free_kib = 20000;
	full.swap_total_kib = 210000;
	cr_expect_eq(check(&cfg, 512000, 10000, full), REASON_FLOOR_TERM,
		     "20 MiB of room left of 210: under the 10 %% term floor, above the 5 %% kill floor");
	full.zram_headroom_kib = full.swap_free_kib = 10000;
	full.swap_total_kib = 200000;
	cr_expect_eq(check(&cfg, 512000, 10000, full), REASON_FLOOR_KILL);
	config_free(&cfg);
}

Test(policy, lower_of_percent_and_size_counts)
{
	/* 10 % of 1000000 KiB = 100000; -M 20000 is lower, so it counts. */
	struct config cfg = CFG("-m", "10", "-M", "20000",);
	struct capacity none = disk(0, 0);
	struct meminfo mi = machine(1000000, 50000);
	struct floors f;

	policy_floors(&cfg, &mi, &none, &f);
	cr_expect_eq(f.mem_term_kib, 20000);
	cr_expect_eq(f.mem_kill_kib, 10000);
	cr_expect_eq(check(&cfg, 1000000, 50000, none), REASON_NONE);
	config_free(&cfg);

	/* -M alone: the size is the floor, whatever the percentage. */
	cfg = CFG("-M", "300000",);
	cr_expect_eq(check(&cfg, 1000000, 290000, none), REASON_FLOOR_TERM);
	config_free(&cfg);
}

/* earlyoom 1.8+: -m is a percentage of MemAvailable + AnonPages. A 2 GiB
 * machine with 1.2 GiB in tmpfs, which no kill frees: 10 % of MemTotal
 * would be 200 MiB, more than all the memory a kill could ever give back
 * (a loop of kills); 10 % of the 800 MiB of available+anon is 80 MiB. */
Test(policy, memory_floor_is_of_available_plus_anon)
{
	struct config cfg = CFG();
	struct capacity none = disk(0, 0);
	struct meminfo tmpfs = { .mem_total_kib = 2048000, .mem_available_kib = 150000,
				 .anon_pages_kib = 650000, .shmem_kib = 1228800 };
	struct floors f;

	policy_floors(&cfg, &tmpfs, &none, &f);
	cr_expect_eq(f.mem_base_kib, 800000);
	cr_expect_eq(f.mem_term_kib, 80000);
	cr_expect_eq(f.mem_kill_kib, 40000);
	cr_expect_eq(f.mem_term_max_kib, 204800, "the idle tick's bound: of MemTotal, never lower");
	cr_expect_eq(policy_check_floors(&f, tmpfs.mem_available_kib, &none), REASON_NONE,
		     "150 MiB available is no shortage here");
	/* Sizes are sizes: -M does not scale. */
	config_free(&cfg);
	cfg = CFG("-M", "100000",);
	policy_floors(&cfg, &tmpfs, &none, &f);
	cr_expect_eq(f.mem_term_kib, 100000);
	config_free(&cfg);
}

/* A leak into a 1 GiB zram on 512 MiB of RAM: most of the leak sits
 * compressed in zram's pool, which is RAM a kill gives back, while
 * AnonPages shrinks. The pool counts as user memory, or the floor would
 * shrink with it and the kill come after minutes of stall. */
Test(policy, memory_floor_counts_zram_and_zswap_pools)
{
	struct config cfg = CFG();
	struct capacity zram = disk(0, 0);
	struct meminfo mi = { .mem_total_kib = 468000, .mem_available_kib = 30000,
			      .anon_pages_kib = 60000 };
	struct floors f;

	zram.swapped_ram_kib = 330000;	/* zram pool + zswap pool */
	policy_floors(&cfg, &mi, &zram, &f);
	cr_expect_eq(f.mem_base_kib, 420000);
	cr_expect_eq(f.mem_term_kib, 42000);
	cr_expect_eq(policy_check_floors(&f, mi.mem_available_kib, &zram), REASON_FLOOR_TERM,
		     "30 MiB left of 420 MiB is the shortage it is");
	zram.swapped_ram_kib = 900000;	/* never above MemTotal */
	policy_floors(&cfg, &mi, &zram, &f);
	cr_expect_eq(f.mem_base_kib, 468000);
	config_free(&cfg);
}

Test(policy, swap_min_100_ignores_swap)
{
	/* earlyoom users write -s 100 to act on memory alone. */
	struct config cfg = CFG("-s", "100",);

	cr_expect_eq(check(&cfg, 1000000, 90000, disk(500000, 499000)), REASON_FLOOR_TERM);
	config_free(&cfg);
}

Test(policy, action_names)
{
	cr_expect_str_eq(policy_action_name(ACTION_NONE), "none");
	cr_expect_str_eq(policy_action_name(ACTION_TERM), "SIGTERM");
	cr_expect_str_eq(policy_action_name(ACTION_KILL), "SIGKILL");
}

/* ---- adaptive polling -------------------------------------------------- */

Test(policy, interval_shrinks_as_memory_falls)
{
	struct config cfg = CFG();
	struct capacity none = disk(0, 0);
	unsigned last = POLICY_MAX_INTERVAL_MS + 1;
	uint64_t avail[] = { 16000000, 8000000, 4000000, 2500000, 2000000, 1700000, 1650000, 1600000, 100 };
	struct meminfo mi = machine(16000000, 16000000);
	struct floors f;

	policy_floors(&cfg, &mi, &none, &f);
	for (size_t i = 0; i < sizeof(avail) / sizeof(avail[0]); i++) {
		unsigned ms = policy_interval_ms(&f, avail[i], 0, 0);

		cr_expect_leq(ms, last, "avail %lu: %u ms after %u ms", (unsigned long)avail[i], ms, last);
		cr_expect_geq(ms, POLICY_MIN_INTERVAL_MS);
		cr_expect_leq(ms, POLICY_MAX_INTERVAL_MS);
		last = ms;
	}
	cr_expect_eq(last, POLICY_MIN_INTERVAL_MS, "at the floor: poll as fast as allowed");
	cr_expect_eq(policy_interval_ms(&f, 16000000, 0, 0), POLICY_MAX_INTERVAL_MS,
		     "idle: once a second");
	config_free(&cfg);
}

Test(policy, interval_counts_swap_headroom)
{
	struct config cfg = CFG();
	struct capacity none = disk(0, 0), swap = disk(8000000, 4000000);
	struct meminfo mi = machine(16000000, 1700000);
	struct floors f1, f2;

	policy_floors(&cfg, &mi, &none, &f1);
	policy_floors(&cfg, &mi, &swap, &f2);
	cr_expect_gt(policy_interval_ms(&f2, 1700000, 8000000, 4000000),
		     policy_interval_ms(&f1, 1700000, 0, 0));
	config_free(&cfg);
}
