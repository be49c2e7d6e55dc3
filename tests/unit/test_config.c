/* config_parse: values, defaults and every kind of bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "parse/config.h"

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
	cr_expect_eq(cfg.report_s, 3600);
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
	cr_expect_eq(cfg.report_s, 0);
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

	cr_expect_eq(config_parse_percent("0", &c), 0);
	cr_expect_eq(c, 0);
	cr_expect_eq(config_parse_percent("100", &c), 0);
	cr_expect_eq(c, 10000);
	cr_expect_eq(config_parse_percent("2.5", &c), 0);
	cr_expect_eq(c, 250);
	cr_expect_eq(config_parse_percent("2.05", &c), 0);
	cr_expect_eq(c, 205);
	cr_expect_eq(config_parse_percent("100.5", &c), -EINVAL);
	cr_expect_eq(config_parse_percent("101", &c), -EINVAL);
	cr_expect_eq(config_parse_percent("1.234", &c), -EINVAL);
	cr_expect_eq(config_parse_percent("5%", &c), -EINVAL);
	cr_expect_eq(config_parse_percent(".5", &c), -EINVAL);
	cr_expect_eq(config_parse_percent("5.", &c), -EINVAL);
}

struct bad_case {
	const char *args[4];
	const char *expect_in_message;
};

Test(config, bad_input_gives_one_line_naming_the_flag)
{
	static const struct bad_case cases[] = {
		{ { "-m", "150" }, "--mem-min" },
		{ { "-m", "-5" }, "--mem-min" },
		{ { "-m", "10,20" }, "above the term level" },
		{ { "-m", "abc" }, "not a percentage" },
		{ { "-m", "10x" }, "--mem-min" },
		{ { "-s", "10,x" }, "--swap-min" },
		{ { "-M", "99999999999999999999" }, "too large" },
		{ { "-S", "1G,2G" }, "above the term size" },
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
		{ { "--kill-timeout", "-1" }, "--kill-timeout" },
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
