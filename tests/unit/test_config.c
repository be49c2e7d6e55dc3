/* config_parse: values, defaults and every kind of bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse/config.h"
#include "parse/regexbound.h"
#include "types.h"

static int parse(struct config *cfg, char *err, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"oomguard";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return config_parse(cfg, argc, argv, err, 256);
}

#define PARSE(cfg, err, ...) parse(cfg, err, (const char *const[]){ __VA_ARGS__, NULL })

Test(config, defaults_match_earlyoom)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(parse(&cfg, err, (const char *const[]){ NULL }), 0);
	cr_expect_eq(cfg.mem.term_centi, 1000);
	cr_expect_eq(cfg.mem.kill_centi, 500);
	cr_expect_eq(cfg.swap.term_centi, 1000);
	cr_expect_eq(cfg.swap.kill_centi, 500);
	cr_expect(cfg.mem.percent_set);
	cr_expect_not(cfg.mem.size_set);
	cr_expect_eq(cfg.report_ms, 3600000);
	cr_expect_eq(cfg.pre_kill_wait_ms, 200);
	cr_expect_eq(cfg.n_warnings, 0);
	cr_expect_str_eq(cfg.procfs_path, "/proc");
	cr_expect_eq(cfg.action, CONFIG_RUN);
	config_free(&cfg);
}

Test(config, percentages_and_kill_levels)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(PARSE(&cfg, err, "-m", "4.5", "--swap-min=20,3", "-r", "0", "--dryrun"), 0);
	cr_expect_eq(cfg.mem.term_centi, 450);
	cr_expect_eq(cfg.mem.kill_centi, 225);
	cr_expect_eq(cfg.swap.term_centi, 2000);
	cr_expect_eq(cfg.swap.kill_centi, 300);
	cr_expect_eq(cfg.report_ms, 0);
	cr_expect(cfg.dryrun);
	config_free(&cfg);
}

Test(config, sizes_with_suffixes)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(PARSE(&cfg, err, "-M", "204800", "-S", "1G,512M"), 0);
	cr_expect(cfg.mem.size_set);
	cr_expect_not(cfg.mem.percent_set, "-M alone replaces the default percentage");
	cr_expect_eq(cfg.mem.term_kib, 204800);
	cr_expect_eq(cfg.mem.kill_kib, 102400);
	cr_expect_eq(cfg.swap.term_kib, 1024 * 1024);
	cr_expect_eq(cfg.swap.kill_kib, 512 * 1024);
	config_free(&cfg);
}

Test(config, size_parser)
{
	uint64_t kib;

	cr_expect_eq(config_parse_size("100", &kib), 0);
	cr_expect_eq(kib, 100);
	cr_expect_eq(config_parse_size("100K", &kib), 0);
	cr_expect_eq(kib, 100);
	cr_expect_eq(config_parse_size("3MiB", &kib), 0);
	cr_expect_eq(kib, 3072);
	cr_expect_eq(config_parse_size("2g", &kib), 0);
	cr_expect_eq(kib, 2097152);
	cr_expect_eq(config_parse_size("2T", &kib), -EINVAL);
	cr_expect_eq(config_parse_size("", &kib), -EINVAL);
	cr_expect_eq(config_parse_size("-1", &kib), -EINVAL);
	cr_expect_eq(config_parse_size("12 M", &kib), -EINVAL);
	cr_expect_eq(config_parse_size("99999999999999999999999", &kib), -ERANGE);
	cr_expect_eq(config_parse_size("2000000000G", &kib), -ERANGE);
}

Test(config, percent_parser)
{
	uint32_t c;
	bool rounded;

	cr_expect_eq(config_parse_percent("0", &c, NULL), 0);
	cr_expect_eq(c, 0);
	cr_expect_eq(config_parse_percent("100", &c, NULL), 0);
	cr_expect_eq(c, 10000);
	cr_expect_eq(config_parse_percent("2.5", &c, &rounded), 0);
	cr_expect_eq(c, 250);
	cr_expect_not(rounded);
	cr_expect_eq(config_parse_percent("2.05", &c, NULL), 0);
	cr_expect_eq(c, 205);
	cr_expect_eq(config_parse_percent(".5", &c, NULL), 0, "as earlyoom's strtod");
	cr_expect_eq(c, 50);
	/* More decimals than the floors keep: rounded to the nearest. */
	cr_expect_eq(config_parse_percent("1.234", &c, &rounded), 0);
	cr_expect_eq(c, 123);
	cr_expect(rounded);
	cr_expect_eq(config_parse_percent("10.125", &c, &rounded), 0);
	cr_expect_eq(c, 1013);
	cr_expect_eq(config_parse_percent("3.1400", &c, &rounded), 0);
	cr_expect_eq(c, 314);
	cr_expect_not(rounded, "trailing zeros drop nothing");
	cr_expect_eq(config_parse_percent("99.999", &c, NULL), 0);
	cr_expect_eq(c, 10000);
	cr_expect_eq(config_parse_percent("100.004", &c, NULL), 0);
	cr_expect_eq(config_parse_percent("100.005", &c, NULL), -EINVAL);
	cr_expect_eq(config_parse_percent("100.5", &c, NULL), -EINVAL);
	cr_expect_eq(config_parse_percent("101", &c, NULL), -EINVAL);
	cr_expect_eq(config_parse_percent("5%", &c, NULL), -EINVAL);
	cr_expect_eq(config_parse_percent("5.", &c, NULL), -EINVAL);
	cr_expect_eq(config_parse_percent("", &c, NULL), -EINVAL);
	cr_expect_eq(config_parse_percent("1.2.3", &c, NULL), -EINVAL);
}

Test(config, seconds_parser)
{
	unsigned ms;

	cr_expect_eq(config_parse_seconds("0", 1000000, &ms), 0);
	cr_expect_eq(ms, 0);
	cr_expect_eq(config_parse_seconds("0.1", 1000000, &ms), 0);
	cr_expect_eq(ms, 100);
	cr_expect_eq(config_parse_seconds("3600", 3600000, &ms), 0);
	cr_expect_eq(ms, 3600000);
	cr_expect_eq(config_parse_seconds("0.2005", 1000000, &ms), 0);
	cr_expect_eq(ms, 201, "rounded to the millisecond");
	cr_expect_eq(config_parse_seconds("1.5", 1000000, &ms), 0);
	cr_expect_eq(ms, 1500);
	cr_expect_eq(config_parse_seconds(".5", 1000000, &ms), 0, "as earlyoom's strtod");
	cr_expect_eq(ms, 500);
	cr_expect_eq(config_parse_seconds("3600.0004", 3600000, &ms), 0);
	cr_expect_eq(ms, 3600000);
	cr_expect_eq(config_parse_seconds("3600.0005", 3600000, &ms), -EINVAL, "rounds above the maximum");
	cr_expect_eq(config_parse_seconds(".", 1000000, &ms), -EINVAL);
	cr_expect_eq(config_parse_seconds("3601", 3600000, &ms), -EINVAL);
	cr_expect_eq(config_parse_seconds("soon", 1000000, &ms), -EINVAL);
	cr_expect_eq(config_parse_seconds("5x", 1000000, &ms), -EINVAL, "earlyoom reads 5; refused here");
	cr_expect_eq(config_parse_seconds("1.", 1000000, &ms), -EINVAL);
	cr_expect_eq(config_parse_seconds("-1", 1000000, &ms), -EINVAL);
}

struct bad_case {
	const char *args[4];
	const char *expect_in_message;
};

Test(config, bad_input_gives_one_line_naming_the_flag)
{
	static const struct bad_case cases[] = {
		{ { "-m", "150" }, "--mem-min" },
		{ { "-m", "-5" }, "-m: missing value: '-5' is a flag" },
		{ { "-m", "99.5" }, "would act on an idle machine" },
		{ { "-m", "100" }, "would act on an idle machine" },
		{ { "-m", "0" }, "both levels are 0" },
		{ { "-s", "0,0" }, "both levels are 0" },
		{ { "-m", "," }, "both levels are 0" },
		{ { "-M", "," }, "both levels are 0" },
		{ { "-M", "0" }, "both levels are 0" },
		{ { "-m", "abc" }, "not a percentage" },
		{ { "-m", "10x" }, "--mem-min" },
		{ { "-s", "10,x" }, "--swap-min" },
		{ { "-M", "99999999999999999999" }, "too large" },
		{ { "-M", "12Q" }, "not a size" },
		{ { "-r", "soon" }, "--report" },
		{ { "--frobnicate" }, "--frobnicate" },
		{ { "--frobnicate=3" }, "--frobnicate" },
		{ { "-x" }, "-x" },
		{ { "--mem-min" }, "missing argument" },
		{ { "-m" }, "missing argument" },
		{ { "stray" }, "unexpected argument" },
		{ { "--prefer", "(" }, "bad regular expression" },
		{ { "--avoid", "cmdline:[a-" }, "bad regular expression" },
		{ { "--psi-metric", "half" }, "--psi-metric" },
		{ { "--psi-threshold", "200" }, "--psi-threshold" },
		{ { "--psi-duration", "0" }, "--psi-duration" },
		{ { "--kill-timeout", "-1" }, "--kill-timeout: missing value" },
		/* A missing value never swallows the next flag. */
		{ { "--pre-kill", "--dryrun" }, "--pre-kill: missing value: '--dryrun' is a flag" },
		{ { "-P", "--dryrun" }, "-P: missing value" },
		{ { "--prefer", "--dryrun" }, "missing value" },
		{ { "--procfs", "-d" }, "missing value" },
		/* Long flags are spelt out: none can become another. */
		{ { "--kernel-oom-h", "/bin/true" }, "not abbreviated (--kernel-oom-hook?)" },
		{ { "--dry" }, "--dry: unknown option" },
		{ { "--mem=5" }, "unknown option" },
		{ { "--kill" }, "unknown option" },
		{ { "--kernel-oom=1" }, "--kernel-oom" },
		{ { "--report", "1e3" }, "--report" },
		{ { "--pre-kill-wait", "11" }, "--pre-kill-wait" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		char err[256];

		cr_expect_eq(parse(&cfg, err, cases[i].args), -EINVAL, "case %zu accepted", i);
		cr_expect(strstr(err, cases[i].expect_in_message) != NULL,
			  "case %zu: '%s' does not mention '%s'", i, err, cases[i].expect_in_message);
		cr_expect(strchr(err, '\n') == NULL, "case %zu: message has a newline", i);
		config_free(&cfg);
	}
}

Test(config, match_rules_and_prefixes)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(PARSE(&cfg, err, "--prefer", "^(firefox|chrome)$", "--avoid", "cmdline:java .*-jar",
			   "--ignore", "unit:^sshd\\.service$", "--ignore", "name:cmdline:x"), 0);
	cr_assert_eq(cfg.n_rules, 4);
	cr_expect_eq(cfg.rules[0].kind, MATCH_PREFER);
	cr_expect_eq(cfg.rules[0].target, TARGET_NAME);
	cr_expect_eq(cfg.rules[1].kind, MATCH_AVOID);
	cr_expect_eq(cfg.rules[1].target, TARGET_CMDLINE);
	cr_expect_str_eq(cfg.rules[1].pattern, "java .*-jar");
	cr_expect_eq(cfg.rules[2].target, TARGET_UNIT);
	cr_expect_eq(cfg.rules[3].target, TARGET_NAME);
	cr_expect_str_eq(cfg.rules[3].pattern, "cmdline:x", "name: escapes a literal prefix");
	config_free(&cfg);
}

Test(config, help_version_list)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(PARSE(&cfg, err, "--help"), 0);
	cr_expect_eq(cfg.action, CONFIG_HELP);
	config_free(&cfg);
	cr_assert_eq(PARSE(&cfg, err, "-v"), 0);
	cr_expect_eq(cfg.action, CONFIG_VERSION);
	config_free(&cfg);
	cr_assert_eq(PARSE(&cfg, err, "--list", "--procfs", "/tmp"), 0);
	cr_expect_eq(cfg.action, CONFIG_LIST);
	cr_expect_str_eq(cfg.procfs_path, "/tmp");
	config_free(&cfg);
}

struct warned_case {
	const char *args[5];
	const char *expect_in_warning;
};

/* What earlyoom accepts with a warning is accepted with one here, so that a
 * service switched over from earlyoom runs. */
Test(config, earlyoom_flags_that_warn_are_accepted)
{
	static const struct warned_case cases[] = {
		{ { "-k" }, "-k is ignored" },
		{ { "-i" }, "-i is ignored" },
		{ { "-n" }, "oomguard-notify" },
		{ { "-m", "10.123" }, "rounded to 10.12" },
		{ { "-m", "5,9" }, "both set to 9.00%" },
		{ { "-s", ",5" }, "both set to 5.00%" },
		{ { "-S", ",4096" }, "both set to 4096 KiB" },
		{ { "-M", "1000,2000" }, "both set to 2000 KiB" },
		{ { "--psi-threshold", "20.001" }, "rounded to 20.00" },
		{ { "-r=0" }, "-r=0 read as -r 0" },
		{ { "-m=10" }, "-m=10 read as -m 10" },
		{ { "--kernel-oom" }, "the same oom_badness" },
		{ { "--kernel-oom", "--prefer", "x", "-g" }, "as in earlyoom: --prefer/--avoid/--ignore -g" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		char err[256];

		cr_expect_eq(parse(&cfg, err, cases[i].args), 0, "case %zu refused: %s", i, err);
		cr_expect_eq(cfg.n_warnings, 1, "case %zu: %u warnings", i, cfg.n_warnings);
		cr_expect(strstr(cfg.warnings[0], cases[i].expect_in_warning) != NULL,
			  "case %zu: '%s' does not mention '%s'", i, cfg.warnings[0],
			  cases[i].expect_in_warning);
		cr_expect(strchr(cfg.warnings[0], '\n') == NULL);
		config_free(&cfg);
	}
}

Test(config, what_the_warned_flags_leave)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(PARSE(&cfg, err, "-m", "5,9", "-i", "-s", "2,1", "-r", "0.5"), 0, "%s", err);
	cr_expect_eq(cfg.mem.term_centi, 900, "term raised to the kill level, as earlyoom");
	cr_expect_eq(cfg.mem.kill_centi, 900);
	cr_expect_not(cfg.ignore_positive_adj, "-i is not --ignore-positive-adj any more");
	cr_expect_eq(cfg.swap.term_centi, 200);
	cr_expect_eq(cfg.swap.kill_centi, 100);
	cr_expect_eq(cfg.report_ms, 500);
	config_free(&cfg);
	/* An empty side of the pair is 0, as in earlyoom. */
	cr_assert_eq(PARSE(&cfg, err, "-m", "5,", "-M", "8192,"), 0, "%s", err);
	cr_expect_eq(cfg.mem.term_centi, 500);
	cr_expect_eq(cfg.mem.kill_centi, 0);
	cr_expect_eq(cfg.mem.term_kib, 8192);
	cr_expect_eq(cfg.mem.kill_kib, 0);
	config_free(&cfg);
	cr_assert_eq(PARSE(&cfg, err, "--ignore-positive-adj"), 0);
	cr_expect(cfg.ignore_positive_adj);
	config_free(&cfg);
	/* A value that starts with '-' is taken when attached. */
	cr_assert_eq(PARSE(&cfg, err, "--prefer=-bash", "-P/bin/true", "--pre-kill-wait", "0"), 0, "%s", err);
	cr_expect_str_eq(cfg.rules[0].pattern, "-bash");
	cr_expect_str_eq(cfg.pre_kill, "/bin/true");
	cr_expect_eq(cfg.pre_kill_wait_ms, 0);
	config_free(&cfg);
	/* "-X=value" is the value after '='; grouped flags too. */
	cr_assert_eq(PARSE(&cfg, err, "-dr=5", "-m=7,3"), 0, "%s", err);
	cr_expect_eq(cfg.report_ms, 5000);
	cr_expect_eq(cfg.mem.term_centi, 700);
	cr_expect_eq(cfg.mem.kill_centi, 300);
	config_free(&cfg);
	/* --kernel-oom: the kernel's own pick, so the policy earlyoom ignores
	 * in that mode is dropped; --dryrun stays. */
	cr_assert_eq(PARSE(&cfg, err, "--kernel-oom", "--dryrun", "--avoid", "sshd", "--sort-by-rss",
			   "--ignore-root-user", "-g"), 0, "%s", err);
	cr_expect(cfg.dryrun);
	cr_expect(cfg.kernel_oom);
	cr_expect_eq(cfg.n_rules, 0);
	cr_expect_not(cfg.sort_by_rss);
	cr_expect_not(cfg.ignore_root_user);
	cr_expect_not(cfg.kill_group);
	config_free(&cfg);
}

Test(config, size_floors_are_checked_against_the_machine)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(PARSE(&cfg, err, "-M", "1073741824"), 0);
	cr_expect_eq(config_check_totals(&cfg, 2015232, 0, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "--mem-min-size: 1073741824 KiB is not below MemTotal (2015232 KiB)") != NULL,
		  "%s", err);
	cr_expect(strstr(err, "sizes are in KiB") != NULL, "%s", err);
	cr_expect(strstr(err, "as bytes, that is 1048576 KiB") != NULL, "%s", err);
	config_free(&cfg);
	cr_assert_eq(PARSE(&cfg, err, "-M", "2015232"), 0);
	cr_expect_eq(config_check_totals(&cfg, 2015232, 0, err, sizeof(err)), -EINVAL,
		     "at MemTotal itself MemAvailable is always below");
	config_free(&cfg);
	cr_assert_eq(PARSE(&cfg, err, "-M", "200M"), 0);
	cr_expect_eq(config_check_totals(&cfg, 2015232, 0, err, sizeof(err)), 0);
	config_free(&cfg);
	/* -S: refused above SwapTotal, a warning without swap. */
	cr_assert_eq(PARSE(&cfg, err, "-S", "2G"), 0);
	cr_expect_eq(config_check_totals(&cfg, 2015232, 1048572, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "--swap-min-size") != NULL && strstr(err, "SwapTotal") != NULL, "%s", err);
	cr_expect_eq(config_check_totals(&cfg, 2015232, 0, err, sizeof(err)), 0);
	cr_expect_eq(cfg.n_warnings, 1);
	cr_expect(strstr(cfg.warnings[0], "no swap") != NULL, "%s", cfg.warnings[0]);
	config_free(&cfg);
}

/* What glibc's regcomp would take minutes or gigabytes over (regexbound.c)
 * is refused with one line before regcomp runs, the reason after the
 * pattern; the cases themselves are in test_regexbound.c. */
Test(config, regex_too_costly_for_regcomp_is_refused)
{
	static const struct { const char *arg, *error; } refused[] = {
		{ "a+++++++++", "--prefer: regular expression 'a+++++++++' stacks two repetitions "
		  "('++' at offset 1), which POSIX leaves undefined: write '+'" },
		{ "name:a{100}{100}", "'a{100}{100}' stacks two repetitions" },
		{ "cmdline:((a*)*){1,500}", "'((a*)*){1,500}' repeats with '*' (offset 5) a part "
		  "that can match the empty string" },
		{ "(a{1,40}){1,40}", "'(a{1,40}){1,40}' is too complex" },
		{ "unit:(a)\\1", "back-reference '\\1'" },
	};
	char long_pattern[REGEXBOUND_MAX_LEN + 2], list[REGEXBOUND_MAX_LEN + 1];
	struct config cfg;
	char err[256];
	size_t o = 0;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cr_expect_eq(PARSE(&cfg, err, "--prefer", refused[i].arg), -EINVAL, "%s accepted",
			     refused[i].arg);
		cr_expect(strstr(err, refused[i].error) != NULL, "%s: %s", refused[i].arg, err);
		cr_expect(strncmp(err, "--prefer: regular expression '", 30) == 0, "%s", err);
		cr_expect(strchr(err, '\n') == NULL, "%s", err);
		config_free(&cfg);
	}
	memset(long_pattern, 'a', REGEXBOUND_MAX_LEN + 1);
	long_pattern[REGEXBOUND_MAX_LEN + 1] = '\0';
	cr_expect_eq(PARSE(&cfg, err, "--avoid", long_pattern), -EINVAL);
	cr_expect(strstr(err, "--avoid: regular expression 'aaaa") != NULL &&
		  strstr(err, "...' is longer than 1024 characters") != NULL, "%s", err);
	cr_expect(strlen(err) < 255, "not cut: %s", err);
	config_free(&cfg);
	long_pattern[REGEXBOUND_MAX_LEN] = '\0';
	cr_expect_eq(PARSE(&cfg, err, "--avoid", long_pattern), 0, "%s", err);
	config_free(&cfg);

	/* What policies write stays well inside: a long list of names, a few
	 * bounded repetitions, one '+' where "a+++" was. */
	o += (size_t)snprintf(list + o, sizeof(list) - o, "^(");
	while (o < sizeof(list) - 32)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "process-%03zu|", o);
	snprintf(list + o, sizeof(list) - o, "last)$");
	cr_expect_eq(PARSE(&cfg, err, "--prefer", list, "--ignore", "cmdline:^/usr/bin/python3? .*worker-[0-9]{1,4}$",
			   "--avoid", "unit:^(user@[0-9]+|session-[0-9]+)\\.(service|scope)$",
			   "--prefer", "a+"), 0, "%s", err);
	cr_expect_eq(cfg.n_rules, 4);
	config_free(&cfg);
}

Test(config, user_flag_is_kept_for_the_switch)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(PARSE(&cfg, err, "--dryrun"), 0, "%s", err);
	cr_expect_null(cfg.user, "no --user: main.c picks nobody for a root start");
	config_free(&cfg);
	cr_assert_eq(PARSE(&cfg, err, "--user", "oomguard"), 0, "%s", err);
	cr_expect_str_eq(cfg.user, "oomguard");
	config_free(&cfg);
	cr_expect_eq(PARSE(&cfg, err, "--user="), -EINVAL);
	cr_expect(strstr(err, "--user: empty user name") != NULL, "%s", err);
	config_free(&cfg);
	cr_expect_eq(PARSE(&cfg, err, "--user", "--dryrun"), -EINVAL, "a flag is not a user name");
	config_free(&cfg);
}

/* Container mode's flags (#16). --cgroup takes the path as /proc/PID/cgroup
 * shows it, relative to the cgroup v2 mount; whether that cgroup exists and
 * has a memory limit is main.c's business (tests/cli), not the parser's. */
Test(config, cgroup_flags_are_off_by_default)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(parse(&cfg, err, (const char *const[]){ NULL }), 0, "%s", err);
	cr_expect_not(cfg.no_cgroup);
	cr_expect_null(cfg.cgroupfs_path, "no --cgroupfs: the cgroup2 mount");
	config_free(&cfg);
}

Test(config, cgroup_path_is_kept_with_its_trailing_slash_cut)
{
	static const struct {
		const char *arg, *kept;
	} cases[] = {
		{ "/box", "/box" },
		{ "/box/", "/box" },
		{ "/box//", "/box" },
		{ "/machine.slice/lxc-web.scope", "/machine.slice/lxc-web.scope" },
		{ "/machine.slice/lxc-web.scope/", "/machine.slice/lxc-web.scope" },
		/* The root cgroup: its one '/' is the path, not a trailing one. */
		{ "/", "/" },
		/* Names with dots are names: only "." and ".." are refused. */
		{ "/a.b/..c/.d", "/a.b/..c/.d" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		char err[256];

		cr_assert_eq(PARSE(&cfg, err, "--cgroup", cases[i].arg), 0, "--cgroup '%s': %s",
			     cases[i].arg, err);
		cr_expect_str_eq(cfg.cgroup_path, cases[i].kept, "--cgroup '%s'", cases[i].arg);
		cr_expect_not(cfg.no_cgroup);
		config_free(&cfg);
	}
	/* The =VALUE form is the same flag. */
	{
		struct config cfg;
		char err[256];

		cr_assert_eq(PARSE(&cfg, err, "--cgroup=/box/"), 0, "%s", err);
		cr_expect_str_eq(cfg.cgroup_path, "/box");
		config_free(&cfg);
	}
}

Test(config, cgroup_path_up_to_its_limit)
{
	/* MEMCG_LIMIT_PATH_MAX - 1 bytes is the longest path kept; one byte
	 * more is refused, with the limit in the message. */
	char longest[MEMCG_LIMIT_PATH_MAX], too_long[MEMCG_LIMIT_PATH_MAX + 1];
	struct config cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(longest) - 1; i++)
		longest[i] = i % 8 == 0 ? '/' : 'a';
	longest[sizeof(longest) - 1] = '\0';
	cr_assert_eq(strlen(longest), MEMCG_LIMIT_PATH_MAX - 1);
	snprintf(too_long, sizeof(too_long), "%sb", longest);

	cr_assert_eq(PARSE(&cfg, err, "--cgroup", longest), 0, "%s", err);
	cr_expect_str_eq(cfg.cgroup_path, longest);
	config_free(&cfg);
	cr_expect_eq(PARSE(&cfg, err, "--cgroup", too_long), -EINVAL, "a 4096-byte path accepted");
	cr_expect(strstr(err, "--cgroup: the path is longer than 4095 bytes") != NULL, "%s", err);
	cr_expect(strchr(err, '\n') == NULL, "%s", err);
	config_free(&cfg);
}

Test(config, cgroup_path_that_is_not_one_is_refused_in_one_line)
{
	static const struct bad_case cases[] = {
		{ { "--cgroup", "box" }, "--cgroup: 'box' is not a cgroup path: it must start with '/'" },
		{ { "--cgroup", "box/" }, "--cgroup: 'box/' is not a cgroup path" },
		{ { "--cgroup", "/a/../b" }, "--cgroup: '/a/../b' is not a cgroup path" },
		{ { "--cgroup", "/a/./b" }, "--cgroup: '/a/./b' is not a cgroup path" },
		{ { "--cgroup", "/.." }, "--cgroup: '/..' is not a cgroup path" },
		{ { "--cgroup", "/a//b" }, "--cgroup: '/a//b' is not a cgroup path" },
		{ { "--cgroup", "" }, "--cgroup: '' is not a cgroup path" },
		{ { "--cgroup=" }, "--cgroup: '' is not a cgroup path" },
		/* The file system path is refused with the form meant. */
		{ { "--cgroup", "/sys/fs/cgroup/box" }, "is a file system path; give the cgroup as "
		  "/proc/PID/cgroup shows it, relative to the cgroup v2 mount (--cgroup /box)" },
		{ { "--cgroup", "/sys/fs/cgroup/machine.slice/lxc-web.scope" },
		  "(--cgroup /machine.slice/lxc-web.scope)" },
		{ { "--cgroup", "/sys/fs/cgroup" }, "(--cgroup /)" },
		/* A missing value never swallows the next flag. */
		{ { "--cgroup", "--dryrun" }, "--cgroup: missing value: '--dryrun' is a flag" },
		{ { "--cgroup", "-d" }, "--cgroup: missing value: '-d' is a flag" },
		{ { "--cgroup" }, "missing argument" },
		{ { "--cgroupfs", "--dryrun" }, "--cgroupfs: missing value: '--dryrun' is a flag" },
		{ { "--cgroupfs" }, "missing argument" },
		/* The two views at once. */
		{ { "--cgroup", "/box", "--no-cgroup" }, "--cgroup and --no-cgroup: give one" },
		{ { "--no-cgroup", "--cgroup", "/box" }, "--cgroup and --no-cgroup: give one" },
		/* Long flags are spelt out. */
		{ { "--cgroupf", "/tmp" }, "unknown option" },
		{ { "--no-cgroup=1" }, "--no-cgroup" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		char err[256];

		cr_expect_eq(parse(&cfg, err, cases[i].args), -EINVAL, "case %zu (%s %s) accepted", i,
			     cases[i].args[0], cases[i].args[1] ? cases[i].args[1] : "");
		cr_expect(strstr(err, cases[i].expect_in_message) != NULL,
			  "case %zu: '%s' does not mention '%s'", i, err, cases[i].expect_in_message);
		cr_expect(strchr(err, '\n') == NULL, "case %zu: message has a newline", i);
		config_free(&cfg);
	}
}

Test(config, no_cgroup_and_cgroupfs_are_kept)
{
	struct config cfg;
	char err[256];

	cr_assert_eq(PARSE(&cfg, err, "--no-cgroup"), 0, "%s", err);
	cr_expect(cfg.no_cgroup);
	config_free(&cfg);
	cr_assert_eq(PARSE(&cfg, err, "--cgroupfs", "/tmp/cgroup-tree", "--dryrun"), 0, "%s", err);
	cr_expect_str_eq(cfg.cgroupfs_path, "/tmp/cgroup-tree");
	cr_expect_not(cfg.no_cgroup);
	config_free(&cfg);
	/* --cgroupfs only moves where the tree is read: it goes with either view. */
	cr_assert_eq(PARSE(&cfg, err, "--cgroupfs=/tmp/t", "--cgroup", "/box/"), 0, "%s", err);
	cr_expect_str_eq(cfg.cgroupfs_path, "/tmp/t");
	cr_expect_str_eq(cfg.cgroup_path, "/box");
	config_free(&cfg);
	cr_assert_eq(PARSE(&cfg, err, "--cgroupfs", "/tmp/t", "--no-cgroup"), 0, "%s", err);
	cr_expect(cfg.no_cgroup);
	config_free(&cfg);
}
