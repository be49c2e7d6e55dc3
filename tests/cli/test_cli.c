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
	/* Each after "--dryrun --once", so that a case accepted by mistake
	 * ends at once instead of staying as a daemon. */
	static const char *const cases[][6] = {
		{ "-m", "101" },
		{ "-m", "10,abc" },
		{ "-m", "ten" },
		{ "-s", "5x" },
		{ "-M", "123456789012345678901234567890" },
		{ "-S", "1G,2X" },
		{ "--bogus" },
		{ "-r", "-3" },
		{ "--prefer", "([" },
		{ "--procfs", "/nonexistent/proc" },
		{ "--procfs" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[8] = { "--dryrun", "--once" };

		memcpy(args + 2, cases[i], sizeof(cases[i]));
		run_oomguard(&res, args);
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

/* Killing by pids read from a fixture tree would hit whatever process
 * has that pid here: only --dryrun and --list may use one. */
Test(cli, fixture_procfs_without_dryrun_is_refused)
{
	RUN(&res, "--once", "--procfs", fixture("lowmem"));
	cr_expect_eq(res.status, 2, "status %d: %s", res.status, res.err);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	cr_expect(strstr(res.err, "only be used with --dryrun") != NULL, "%s", res.err);
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
	/* Floors are of what user memory can reach, as in earlyoom 1.8:
	 * MemAvailable 61440 + AnonPages 1782784 KiB. 61440 KiB is 3.33 % of
	 * that, under the 5 % kill floor (90 MiB); swap 1.95 %. */
	cr_expect(strstr(res.err, "MemAvailable 60 MiB of 1801 MiB available+anon (3.33%; "
			 "MemTotal 1968 MiB)") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "MemAvailable 3.33% (60 MiB) <= kill floor 5.00% (90 MiB)") != NULL,
		  "%s", res.err);
	cr_expect(strstr(res.err, "SwapFree 1.95% <= 5.00%") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would send SIGKILL") != NULL, "%s", res.err);
	/* The record it would write: the kernel's pick, its unit, its sizes. */
	cr_expect(strstr(res.err, "would kill pid=4242 name=\"leaky app\" uid=1000 unit=session-3.scope "
			 "oom_score=1100") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "rss_kib=1380000 swap_kib=610000 reason=floor-kill signal=SIGKILL") != NULL,
		  "%s", res.err);
	cr_expect(strstr(res.err, "top memory users: pid=4242 name=\"leaky app\"") != NULL, "%s", res.err);
}

Test(cli, dryrun_policy_moves_the_victim)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("lowmem"), "--ignore", "cmdline:leaky_app\\.py",
	    "--prefer", "unit:^postgresql\\.service$");
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "would kill pid=900 name=\"postgres\"") != NULL, "%s", res.err);
}

Test(cli, dryrun_term_level_only)
{
	/* With -m 4,1 the 3.33 % sample crosses the term floor only. */
	RUN(&res, "--dryrun", "--once", "-m", "4,1", "-s", "10,1", "--procfs", fixture("lowmem"));
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "term floor 4.00%") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would send SIGTERM") != NULL, "%s", res.err);
}

Test(cli, container_mode_says_its_view_and_refuses_a_cgroup_it_cannot_watch)
{
	static const char *const bad[][4] = {
		{ "--cgroup", "/nope" },
		{ "--cgroup", "/" },			/* the root: no memory.max */
		{ "--cgroup", "box" },
		{ "--cgroup", "/sys/fs/cgroup/box" },
		{ "--cgroup", "/box", "--no-cgroup" },
		{ "--cgroupfs", "/nonexistent/cgroup" },
	};

	RUN(&res, "--dryrun", "--once", "--procfs", fixture("cgroup-proc"), "--cgroupfs",
	    fixture("cgroup-container"), "--cgroup", "/box/");
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "memory view: cgroup /box (memory.max 256 MiB, memory.swap.max "
			 "max), --cgroup /box\n") != NULL, "%s", res.err);
	/* 56 MiB charged, 48 MiB of it anon: the box has room. */
	cr_expect(strstr(res.err, "nothing to do") != NULL, "%s", res.err);
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("cgroup-proc"), "--cgroupfs",
	    fixture("cgroup-container"), "--no-cgroup");
	cr_expect(strstr(res.err, "memory view: the machine (--no-cgroup)") != NULL, "%s", res.err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[10] = { "--dryrun", "--once", "--procfs", fixture("cgroup-proc"),
					 "--cgroupfs", fixture("cgroup-container") };

		memcpy(args + 6, bad[i], sizeof(bad[i]));
		run_oomguard(&res, args);
		cr_expect_eq(res.status, 2, "%s %s: exit %d", bad[i][0], bad[i][1], res.status);
		cr_expect_eq(count_lines(res.err), 1, "%s %s: stderr '%s'", bad[i][0], bad[i][1],
			     res.err);
		cr_expect(strncmp(res.err, "oomguard: --cgroup", 18) == 0, "%s", res.err);
	}
}

Test(cli, dryrun_plenty_of_memory_does_nothing)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("plenty"));
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "nothing to do") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would send") == NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would kill") == NULL, "%s", res.err);
	cr_expect(strstr(res.err, "MemAvailable 23854 MiB of 23859 MiB available+anon (99.97%; MemTotal 24105 MiB)") != NULL, "%s", res.err);
}

#include "../unit/fixture.h"

Test(cli, list_ranks_candidates_with_policy_marks)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	const struct fake_proc procs[] = {
		{ .pid = 1, .comm = "systemd", .rss_kib = 9000 },
		{ .pid = 2, .comm = "kthreadd", .flags = 0x00200000u },
		{ .pid = 100, .comm = "postgres", .rss_kib = 1500000, .uid = 0, .cgroup = "/system.slice/postgresql.service" },
		{ .pid = 200, .comm = "Web Content", .rss_kib = 100000, .adj = 300, .uid = 1000 },
		{ .pid = 300, .comm = "sshd", .rss_kib = 5000, .adj = -1000 },
		{ .pid = 400, .comm = "evil\nname", .rss_kib = 50 },
	};
	char *postgres, *web, *evil;

	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		fixture_add(root, &procs[i]);
	RUN(&res, "--list", "--procfs", root, "--avoid", "unit:^postgresql");
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strncmp(res.out, "    PID OOM_SCORE", 17) == 0, "%s", res.out);
	/* POINTS is the kernel's raw oom_badness(): for the tab, 100000 KiB in
	 * 4 KiB pages plus adj 300 x (1048576 pages / 1000). */
	cr_expect(strstr(res.out, " 339400 ") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "POINTS") && strstr(res.out, "RSS_KIB") && strstr(res.out, "SWAP_KIB") && strstr(res.out, "USER") &&
		  strstr(res.out, "NAME") && strstr(res.out, "ADJ"), "%s", res.out);
	cr_expect_eq(count_lines(res.out), 4, "header + 3 candidates:\n%s", res.out);
	web = strstr(res.out, "Web Content");
	postgres = strstr(res.out, "postgres ");
	evil = strstr(res.out, "evil\\x0aname");
	cr_assert(web && postgres && evil, "%s", res.out);
	cr_expect(web < postgres, "the avoided postgres ranks below the tab:\n%s", res.out);
	cr_expect(strstr(res.out, "postgresql.service") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "sshd") == NULL && strstr(res.out, "systemd") == NULL &&
		  strstr(res.out, "kthreadd") == NULL, "%s", res.out);
	fixture_destroy(root);
}

Test(cli, list_with_ignore_and_bad_regex)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	const struct fake_proc a = { .pid = 100, .comm = "alpha", .rss_kib = 1000 };
	const struct fake_proc b = { .pid = 200, .comm = "beta", .rss_kib = 2000 };

	fixture_add(root, &a);
	fixture_add(root, &b);
	RUN(&res, "--list", "--procfs", root, "--ignore", "^beta$");
	cr_expect_eq(res.status, 0);
	cr_expect(strstr(res.out, "alpha") != NULL && strstr(res.out, "beta") == NULL, "%s", res.out);
	RUN(&res, "--list", "--procfs", root, "--ignore", "cmdline:(");
	cr_expect_eq(res.status, 2);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	fixture_destroy(root);
}

/* Output that cannot be written (a full disk, here /dev/full) is a failure:
 * exit 1 with one line on stderr, not 0 as if the text had been printed. */
Test(cli, output_that_cannot_be_written_exits_1)
{
	static const char *const cases[][4] = {
		{ "--help" },
		{ "--version" },
		{ "-v" },
		{ "--list", "--procfs", NULL /* the fixture */ },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[5] = { cases[i][0], cases[i][1], cases[i][2], NULL, NULL };
		int full = open("/dev/full", O_WRONLY);
		FILE *err = tmpfile();
		pid_t pid;

		if (strcmp(args[0], "--list") == 0)
			args[2] = fixture("plenty");
		cr_assert_geq(full, 0, "no /dev/full");
		cr_assert_not_null(err);
		pid = start_oomguard(full, fileno(err), NULL, args);
		res.status = wait_exit_ms(pid, 5000);
		read_stream(err, res.err, sizeof(res.err));
		close(full);
		fclose(err);
		cr_expect_eq(res.status, 1, "%s: exit %d", args[0], res.status);
		cr_expect_eq(count_lines(res.err), 1, "%s: stderr '%s'", args[0], res.err);
		cr_expect(strstr(res.err, "cannot write to stdout: No space left on device") != NULL,
			  "%s: %s", args[0], res.err);
	}
}

#include <sys/resource.h>

/* Run the binary with --prefer pattern, under an address-space limit of
 * limit_mib (0: none), stderr into res.err. */
static void run_prefer(const char *pattern, unsigned long limit_mib)
{
	const char *procfs = fixture("plenty");	/* before the fork: it may copy */
	FILE *err = tmpfile();
	pid_t pid;

	cr_assert_not_null(err);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { limit_mib << 20, limit_mib << 20 };

		dup2(fileno(err), 2);
		if (limit_mib && setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(126);
		execl(getenv("OOMGUARD_BIN"), "oomguard", "--dryrun", "--once", "--procfs",
		      procfs, "--prefer", pattern, (char *)NULL);
		_exit(127);
	}
	res.status = wait_exit_ms(pid, 20000);
	read_stream(err, res.err, sizeof(res.err));
	fclose(err);
}

/* The pattern that made regcomp take most of the machine's memory: refused
 * with one line before regcomp runs. The binary runs under a 512 MiB
 * address-space limit, so that without the bound this test fails (regcomp
 * runs out) instead of eating the machine. A sanitizer build cannot start
 * under such a limit (its shadow memory is terabytes of address space):
 * there a pattern refused by the same bound, that regcomp would compile in
 * a few MiB, stands in for it. */
Test(cli, stacked_quantifiers_are_refused_before_regcomp)
{
	const char *pattern = "a++++++++++++++++++++";
	char expect[160];

	run_prefer(pattern, 512);
	if (strstr(res.err, "AddressSanitizer") || strstr(res.err, "ReserveShadowMemoryRange")) {
		cr_log_info("sanitizer build: cannot run under RLIMIT_AS; checking a cheap pattern");
		pattern = "a++++++++++++";
		run_prefer(pattern, 0);
	}
	snprintf(expect, sizeof(expect), "oomguard: --prefer: regular expression '%s' stacks two "
		 "repetitions ('++' at offset 1), which POSIX leaves undefined: write '+'",
		 pattern);
	cr_expect_eq(res.status, 2, "exit %d: %s", res.status, res.err);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	cr_expect(strstr(res.err, expect) != NULL, "%s", res.err);
}
