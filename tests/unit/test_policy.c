/* Floors and the memory-AND-swap decision. */
#include <criterion/criterion.h>

#include "parse/config.h"
#include "decide/policy.h"

static struct config cfg_from(const char *const *args)
{
	struct config cfg;
	char err[256];
	char *argv[16];
	int argc = 0;

	argv[argc++] = (char *)"oomguard";
	while (*args)
		argv[argc++] = (char *)*args++;
	cr_assert_eq(config_parse(&cfg, argc, argv, err, sizeof(err)), 0, "%s", err);
	return cfg;
}

#define CFG(...) cfg_from((const char *const[]){ __VA_ARGS__ NULL })

static struct meminfo mi_of(uint64_t total, uint64_t avail, uint64_t swap_total, uint64_t swap_free)
{
	return (struct meminfo){ .mem_total_kib = total, .mem_available_kib = avail,
				 .swap_total_kib = swap_total, .swap_free_kib = swap_free };
}

static enum policy_action decide(const struct config *cfg, struct meminfo mi)
{
	struct floors f;

	policy_floors(cfg, &mi, &f);
	return policy_check_floors(&f, &mi);
}

Test(policy, default_floors_at_ten_and_five_percent)
{
	struct config cfg = CFG();
	struct meminfo mi = mi_of(1000000, 0, 500000, 0);
	struct floors f;

	policy_floors(&cfg, &mi, &f);
	cr_expect_eq(f.mem_term_kib, 100000);
	cr_expect_eq(f.mem_kill_kib, 50000);
	cr_expect_eq(f.swap_term_kib, 50000);
	cr_expect_eq(f.swap_kill_kib, 25000);
	config_free(&cfg);
}

Test(policy, memory_and_swap_must_both_be_low)
{
	struct config cfg = CFG();

	cr_expect_eq(decide(&cfg, mi_of(1000000, 90000, 500000, 400000)), ACTION_NONE,
		     "swap still free: earlyoom semantics leave this to the pressure trigger");
	cr_expect_eq(decide(&cfg, mi_of(1000000, 200000, 500000, 0)), ACTION_NONE);
	cr_expect_eq(decide(&cfg, mi_of(1000000, 100000, 500000, 50000)), ACTION_TERM,
		     "at the floor counts");
	cr_expect_eq(decide(&cfg, mi_of(1000000, 100001, 500000, 50000)), ACTION_NONE);
	cr_expect_eq(decide(&cfg, mi_of(1000000, 50000, 500000, 25000)), ACTION_KILL);
	cr_expect_eq(decide(&cfg, mi_of(1000000, 50000, 500000, 40000)), ACTION_TERM,
		     "memory at the kill floor but swap only at the term floor");
	config_free(&cfg);
}

Test(policy, no_swap_counts_as_swap_low)
{
	struct config cfg = CFG();

	cr_expect_eq(decide(&cfg, mi_of(1000000, 99000, 0, 0)), ACTION_TERM);
	cr_expect_eq(decide(&cfg, mi_of(1000000, 49000, 0, 0)), ACTION_KILL);
	cr_expect_eq(decide(&cfg, mi_of(1000000, 101000, 0, 0)), ACTION_NONE);
	config_free(&cfg);
}

Test(policy, swap_turned_on_while_running_moves_the_floor)
{
	struct config cfg = CFG();

	cr_expect_eq(decide(&cfg, mi_of(1000000, 90000, 0, 0)), ACTION_TERM);
	cr_expect_eq(decide(&cfg, mi_of(1000000, 90000, 2000000, 1500000)), ACTION_NONE);
	config_free(&cfg);
}

Test(policy, lower_of_percent_and_size_counts)
{
	/* 10 % of 1000000 KiB = 100000; -M 20000 is lower, so it counts. */
	struct config cfg = CFG("-m", "10", "-M", "20000",);
	struct meminfo mi = mi_of(1000000, 50000, 0, 0);
	struct floors f;

	policy_floors(&cfg, &mi, &f);
	cr_expect_eq(f.mem_term_kib, 20000);
	cr_expect_eq(f.mem_kill_kib, 10000);
	cr_expect_eq(decide(&cfg, mi), ACTION_NONE);
	config_free(&cfg);

	/* -M alone: the size is the floor, whatever the percentage. */
	cfg = CFG("-M", "300000",);
	cr_expect_eq(decide(&cfg, mi_of(1000000, 290000, 0, 0)), ACTION_TERM);
	config_free(&cfg);
}

Test(policy, swap_min_100_ignores_swap)
{
	/* earlyoom users write -s 100 to act on memory alone. */
	struct config cfg = CFG("-s", "100",);

	cr_expect_eq(decide(&cfg, mi_of(1000000, 90000, 500000, 499000)), ACTION_TERM);
	config_free(&cfg);
}

/* ---- pressure ---------------------------------------------------------- */

static struct psi psi_full(uint32_t full_centi)
{
	struct psi p = { .full = { .avg10_centi = full_centi }, .some = { .avg10_centi = full_centi + 500 } };

	return p;
}

/* A machine whose anon memory fills 80 % of RAM and whose swap is half used:
 * memory is clearly the cause of any stall. */
static const struct mem_evidence short_mem = {
	.mem_total_kib = 1000000, .anon_kib = 800000, .file_lru_kib = 100000,
	.swap_total_kib = 1000000, .swap_free_kib = 500000, .have_refault = true,
};

/* An I/O-heavy but healthy machine: little anon, big busy cache, swap unused. */
static const struct mem_evidence io_bound = {
	.mem_total_kib = 1000000, .anon_kib = 200000, .file_lru_kib = 700000,
	.swap_total_kib = 1000000, .swap_free_kib = 990000, .have_refault = true,
};

/* Feed a pressure value every 100 ms from t0 to t1; returns the first time
 * a kill fired, or 0. */
static uint64_t feed(struct psi_tracker *t, const struct config *cfg, uint32_t centi,
		     const struct mem_evidence *ev, uint64_t t0, uint64_t t1)
{
	struct psi p = psi_full(centi);

	for (uint64_t now = t0; now <= t1; now += 100)
		if (policy_psi_update(t, cfg, &p, ev, 4, now))
			return now;
	return 0;
}

Test(policy, psi_short_stall_never_kills)
{
	struct config cfg = CFG("--psi-threshold", "20", "--psi-duration", "5",);
	struct psi_tracker t = { 0 };

	cr_expect_eq(feed(&t, &cfg, 9000, &short_mem, 1000, 5800), 0, "4.8 s of stall < 5 s");
	cr_expect_eq(feed(&t, &cfg, 1000, &short_mem, 5900, 6000), 0);
	cr_expect_eq(feed(&t, &cfg, 9000, &short_mem, 6100, 10000), 0, "the timer restarted");
	config_free(&cfg);
}

Test(policy, psi_sustained_stall_kills_after_the_duration)
{
	struct config cfg = CFG("--psi-threshold", "20", "--psi-duration", "5",);
	struct psi_tracker t = { 0 };

	cr_expect_eq(feed(&t, &cfg, 2000, &short_mem, 1000, 60000), 6000, "at the threshold counts");
	config_free(&cfg);
}

Test(policy, psi_with_plenty_of_memory_never_kills)
{
	struct config cfg = CFG("--psi-threshold", "20", "--psi-duration", "5",);
	struct psi_tracker t = { 0 };

	cr_expect_eq(feed(&t, &cfg, 9900, &io_bound, 1000, 120000), 0);
	config_free(&cfg);
}

Test(policy, psi_threshold_zero_disables)
{
	struct config cfg = CFG("--psi-threshold", "0",);
	struct psi_tracker t = { 0 };

	cr_expect_eq(feed(&t, &cfg, 10000, &short_mem, 1000, 120000), 0);
	config_free(&cfg);
}

Test(policy, psi_metric_some)
{
	struct config cfg = CFG("--psi-threshold", "20", "--psi-metric", "some", "--psi-duration", "1",);
	struct psi_tracker t = { 0 };

	/* full 16 % is below 20, some (full + 5) 21 % is above. */
	cr_expect_eq(feed(&t, &cfg, 1600, &short_mem, 1000, 10000), 2000);
	config_free(&cfg);
}

Test(policy, psi_recovery_resets_and_post_kill_pause)
{
	struct config cfg = CFG("--psi-threshold", "20", "--psi-duration", "5",);
	struct psi_tracker t = { 0 };
	uint64_t fired = feed(&t, &cfg, 5000, &short_mem, 0, 60000);

	cr_assert_eq(fired, 5000);
	policy_psi_killed(&t, &cfg, fired);
	/* avg10 stays high while it decays: no second kill within the pause;
	 * a stall that lasted through the pause takes the next victim. */
	cr_expect_eq(feed(&t, &cfg, 5000, &short_mem, 5100, 14900), 0);
	cr_expect_eq(feed(&t, &cfg, 5000, &short_mem, 15000, 60000), 15000,
		     "stall still there after the pause: the next victim goes");
	config_free(&cfg);
}

Test(policy, memory_gate_rules)
{
	struct mem_evidence ev = io_bound;

	cr_expect(policy_memory_is_short(&short_mem, 0, 5000, 4));
	cr_expect_not(policy_memory_is_short(&io_bound, 0, 5000, 4));
	/* Thrashing page cache alone, with little anon: still not a memory
	 * shortage that a kill would fix. */
	cr_expect_not(policy_memory_is_short(&io_bound, 1000000, 5000, 4));
	/* Anon dominates, no swap, but the file LRU is re-read at 40 %/s:
	 * MemAvailable may look fine, the cache is thrashing. */
	ev.anon_kib = 700000;
	ev.swap_total_kib = ev.swap_free_kib = 0;
	ev.file_lru_kib = 250000;
	cr_expect(policy_memory_is_short(&ev, 125000, 5000, 4), "500 MB refaulted in 5 s of 250 MB LRU");
	cr_expect_not(policy_memory_is_short(&ev, 1000, 5000, 4), "a few refaults are normal");
	/* Anon dominates and swap is filling. */
	ev.swap_total_kib = 1000000;
	ev.swap_free_kib = 850000;
	cr_expect(policy_memory_is_short(&ev, 0, 5000, 4));
	ev.swap_free_kib = 950000;
	cr_expect_not(policy_memory_is_short(&ev, 0, 5000, 4));
	/* Nothing left in the file LRU. */
	ev.file_lru_kib = 5000;
	cr_expect(policy_memory_is_short(&ev, 0, 5000, 4));
}

/* ---- adaptive polling -------------------------------------------------- */

Test(policy, interval_shrinks_as_memory_falls)
{
	struct config cfg = CFG();
	unsigned last = POLICY_MAX_INTERVAL_MS + 1;
	uint64_t avail[] = { 16000000, 8000000, 4000000, 2500000, 2000000, 1700000, 1650000, 1600000, 100 };

	for (size_t i = 0; i < sizeof(avail) / sizeof(avail[0]); i++) {
		struct meminfo mi = mi_of(16000000, avail[i], 0, 0);
		struct floors f;
		unsigned ms;

		policy_floors(&cfg, &mi, &f);
		ms = policy_interval_ms(&f, &mi);
		cr_expect_leq(ms, last, "avail %lu: %u ms after %u ms", (unsigned long)avail[i], ms, last);
		cr_expect_geq(ms, POLICY_MIN_INTERVAL_MS);
		cr_expect_leq(ms, POLICY_MAX_INTERVAL_MS);
		last = ms;
	}
	cr_expect_eq(last, POLICY_MIN_INTERVAL_MS, "at the floor: poll as fast as allowed");
	{
		struct meminfo mi = mi_of(16000000, 16000000, 0, 0);
		struct floors f;

		policy_floors(&cfg, &mi, &f);
		cr_expect_eq(policy_interval_ms(&f, &mi), POLICY_MAX_INTERVAL_MS, "idle: once a second");
	}
	config_free(&cfg);
}

Test(policy, interval_counts_swap_headroom)
{
	struct config cfg = CFG();
	struct meminfo no_swap = mi_of(16000000, 1700000, 0, 0);
	struct meminfo swap = mi_of(16000000, 1700000, 8000000, 4000000);
	struct floors f1, f2;

	policy_floors(&cfg, &no_swap, &f1);
	policy_floors(&cfg, &swap, &f2);
	cr_expect_gt(policy_interval_ms(&f2, &swap), policy_interval_ms(&f1, &no_swap));
	config_free(&cfg);
}
