/* The kernel's formula, checked against hand-computed values. */
#include <criterion/criterion.h>

#include "decide/badness.h"

static struct proc_sample proc(int pid, unsigned long rss, unsigned long swap, unsigned long pte, int adj)
{
	struct proc_sample p = { .pid = pid, .state = 'S', .has_mm = true, .rss_kib = rss,
				 .swap_kib = swap, .pte_kib = pte, .oom_score_adj = adj };
	return p;
}

Test(badness, points_are_pages_of_rss_swap_and_page_tables)
{
	/* 4 KiB pages: 400 KiB rss + 40 swap + 8 pte = 100 + 10 + 2 pages. */
	struct proc_sample p = proc(100, 400, 40, 8, 0);

	cr_expect_eq(badness_points(&p, 1000000, 4), 112);
}

Test(badness, adj_scaled_by_totalpages_over_1000_integer_first)
{
	/* totalpages 1999: 1999/1000 = 1, so adj 500 adds 500 points, not 999. */
	struct proc_sample p = proc(100, 0, 0, 0, 500);

	cr_expect_eq(badness_points(&p, 1999, 4), 500);
	p.oom_score_adj = -300;
	cr_expect_eq(badness_points(&p, 6000000, 4), -300L * 6000);
}

Test(badness, oom_score_matches_proc_oom_score)
{
	uint64_t total = badness_totalpages(2015232, 1048572, 4);	/* 765,951 pages */

	cr_expect_eq(total, 765951);
	cr_expect_eq(badness_oom_score(0, total), 666, "an empty process reads 666");
	cr_expect_eq(badness_oom_score(BADNESS_UNKILLABLE, total), 0);
	cr_expect_eq(badness_oom_score((long)total, total), 1333);
	/* adj 1000 on an empty process: 1000 * 765 = 765000 points;
	 * 765000 * 1000 / 765951 = 998, (1000 + 998) * 2 / 3 = 1332. */
	cr_expect_eq(badness_oom_score(765000, total), 1332);
	/* adj -1000 + 1000 pages: -764000*1000/765951 = -997 (toward zero),
	 * (1000 - 997) * 2 / 3 = 2. */
	cr_expect_eq(badness_oom_score(-764000, total), 2);
}

Test(badness, kernel_skip_rules)
{
	struct proc_sample p = proc(1, 4000, 0, 0, 0);

	cr_expect_eq(badness_points(&p, 100000, 4), BADNESS_UNKILLABLE, "init");
	p = proc(2, 4000, 0, 0, 0);
	p.flags = PIDINFO_PF_KTHREAD;
	cr_expect_eq(badness_points(&p, 100000, 4), BADNESS_UNKILLABLE, "kernel thread");
	p = proc(3, 4000, 0, 0, -1000);
	cr_expect_eq(badness_points(&p, 100000, 4), BADNESS_UNKILLABLE, "adj -1000");
	p = proc(4, 4000, 0, 0, -999);
	cr_expect_neq(badness_points(&p, 100000, 4), BADNESS_UNKILLABLE, "adj -999 is killable");
	p = proc(5, 0, 0, 0, 0);
	p.has_mm = false;
	cr_expect_eq(badness_points(&p, 100000, 4), BADNESS_UNKILLABLE, "no mm");
	p = proc(6, 4000, 0, 0, 0);
	p.shares_parent_mm = true;
	cr_expect_eq(badness_points(&p, 100000, 4), BADNESS_UNKILLABLE, "in_vfork: its parent's mm");
}

Test(badness, ties_go_to_more_memory_then_the_newer_process)
{
	struct candidate a = { .proc = proc(10, 100, 0, 0, 0), .points = 50 };
	struct candidate b = { .proc = proc(11, 200, 0, 0, 0), .points = 50 };

	cr_expect(badness_better(&b, &a));
	cr_expect_not(badness_better(&a, &b));
	b.proc.rss_kib = 100;
	a.proc.starttime = 500;
	b.proc.starttime = 400;
	cr_expect(badness_better(&a, &b), "newer process wins a full tie, as the kernel's walk");
	a.points = 49;
	cr_expect(badness_better(&b, &a), "points decide first");
}
