/* Floors and the memory-AND-swap decision. */
#include <criterion/criterion.h>

#include "config.h"
#include "policy.h"

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
