/* The selection's skip set: victims sent SIGKILL that did not exit are no
 * candidates while they live (as the kernel's MMF_OOM_SKIP), so the next
 * candidate gets its turn. Pure: samples made up here. */
#include <criterion/criterion.h>

#include "decide/select.h"
#include "fixture.h"

static struct proc_sample proc(pid_t pid, uint64_t starttime, uint64_t rss_kib)
{
	struct proc_sample p = {
		.pid = pid, .starttime = starttime, .state = 'D', .has_mm = true,
		.rss_kib = rss_kib, .uid = 1000,
	};

	snprintf(p.comm, sizeof(p.comm), "p%d", (int)pid);
	return p;
}

static void run(struct selection *sel, const struct config *cfg, const struct skip_set *skip,
		const struct proc_sample *procs, unsigned n)
{
	select_init(sel, cfg, 1, 1000000, 4);
	select_set_skip(sel, skip);
	for (unsigned i = 0; i < n; i++)
		select_visit(&procs[i], NULL, sel);
}

Test(select_skip, a_stuck_victim_is_passed_over_for_the_next)
{
	struct config cfg = CFG();
	struct proc_sample procs[3] = { proc(100, 5000, 900000), proc(101, 6000, 400000),
					proc(102, 7000, 100000) };
	struct skip_set skip = { .e = { { .pid = 100, .starttime = 5000 } }, .n = 1 };
	struct selection sel;

	run(&sel, &cfg, NULL, procs, 3);
	cr_assert_eq(sel.n_best, 3);
	cr_expect_eq(sel.best[0].proc.pid, 100, "without the set, the biggest");

	run(&sel, &cfg, &skip, procs, 3);
	cr_assert_eq(sel.n_best, 2);
	cr_expect_eq(sel.best[0].proc.pid, 101);
	cr_expect_eq(sel.best[1].proc.pid, 102);
	cr_expect_eq(sel.n_candidates, 2);
	cr_expect_eq(sel.n_stuck, 1);
	/* Still the biggest memory user, for the record. */
	cr_expect_eq(sel.top_mem[0].pid, 100);
	config_free(&cfg);
}

Test(select_skip, the_identity_is_pid_and_starttime)
{
	struct config cfg = CFG();
	/* pid 100 was reused by a new process: it is a candidate like any. */
	struct proc_sample procs[2] = { proc(100, 9999, 900000), proc(101, 6000, 400000) };
	struct skip_set skip = { .e = { { .pid = 100, .starttime = 5000 },
					{ .pid = 7, .starttime = 1 } }, .n = 2 };
	struct selection sel;

	run(&sel, &cfg, &skip, procs, 2);
	cr_assert_eq(sel.n_best, 2);
	cr_expect_eq(sel.best[0].proc.pid, 100);
	cr_expect_eq(sel.n_stuck, 0);
	cr_expect(select_skipped(&skip, 100, 5000));
	cr_expect_not(select_skipped(&skip, 100, 9999));
	cr_expect_not(select_skipped(NULL, 100, 5000));
	config_free(&cfg);
}
