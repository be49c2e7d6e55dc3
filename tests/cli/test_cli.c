/* The command line as a user meets it: exit codes and messages. */
#include "run.h"

static struct run_result res;

Test(cli, help_and_version_exit_zero)
{
	RUN(&res, "--help");
	cr_expect_eq(res.status, 0);
	cr_expect(strstr(res.out, "--mem-min") != NULL);
	cr_expect_str_empty(res.err);
	RUN(&res, "-v");
	cr_expect_eq(res.status, 0);
	cr_expect(strncmp(res.out, "oomguard ", 9) == 0, "version: %s", res.out);
}

Test(cli, bad_input_exits_2_with_one_line)
{
	static const char *const cases[][4] = {
		{ "-m", "101" },
		{ "-m", "10,20" },
		{ "-m", "ten" },
		{ "-s", "5x" },
		{ "-M", "123456789012345678901234567890" },
		{ "-S", "1G,2G" },
		{ "--bogus" },
		{ "-r", "-3" },
		{ "--prefer", "([" },
		{ "--procfs", "/nonexistent/proc" },
		{ "--procfs" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_oomguard(&res, cases[i]);
		cr_expect_eq(res.status, 2, "%s %s: exit %d", cases[i][0], cases[i][1] ? cases[i][1] : "", res.status);
		cr_expect_eq(count_lines(res.err), 1, "%s: stderr '%s'", cases[i][0], res.err);
		cr_expect(strncmp(res.err, "oomguard: ", 10) == 0, "%s", res.err);
		cr_expect_str_empty(res.out);
	}
}

Test(cli, procfs_that_is_a_file_is_rejected)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("plenty/meminfo"));
	cr_expect_eq(res.status, 2);
	cr_expect(strstr(res.err, "--procfs") != NULL, "%s", res.err);
}

Test(cli, procfs_without_meminfo_is_rejected)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("."));
	cr_expect_eq(res.status, 2, "status %d: %s", res.status, res.err);
	cr_expect(strstr(res.err, "meminfo") != NULL, "%s", res.err);
}

Test(cli, dryrun_low_memory_reports_the_crossed_threshold)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("lowmem"));
	cr_expect_eq(res.status, 0, "%s", res.err);
	/* 61440 of 2015232 KiB is 3.04 %, under the 5 % kill floor; swap 1.95 %. */
	cr_expect(strstr(res.err, "MemAvailable 3.04%") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "kill floor 5.00%") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "SwapFree 1.95% <= 5.00%") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would send SIGKILL") != NULL, "%s", res.err);
}

Test(cli, dryrun_term_level_only)
{
	/* With -m 4,1 the 3.04 % sample crosses the term floor only. */
	RUN(&res, "--dryrun", "--once", "-m", "4,1", "-s", "10,1", "--procfs", fixture("lowmem"));
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "term floor 4.00%") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would send SIGTERM") != NULL, "%s", res.err);
}

Test(cli, dryrun_plenty_of_memory_does_nothing)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("plenty"));
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "nothing to do") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would send") == NULL, "%s", res.err);
	cr_expect(strstr(res.err, "MemAvailable 23854 MiB of 24105 MiB") != NULL, "%s", res.err);
}
