/* Command-line flags parsed and validated into struct config. Pure: no I/O
 * except regcomp's allocations; every error is one line in errbuf. */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum config_action {
	CONFIG_RUN,
	CONFIG_HELP,
	CONFIG_VERSION,
	CONFIG_LIST,
};

/* A floor for one resource (memory or swap). Percentages are kept in
 * hundredths so that earlyoom's "-m 4.5" works without floating point. */
struct config_floor {
	uint32_t term_centi;	/* SIGTERM at or below this % of the total */
	uint32_t kill_centi;	/* SIGKILL at or below this % */
	bool percent_set;	/* -m/-s given (or the default applies) */
	uint64_t term_kib;	/* absolute floor from -M/-S */
	uint64_t kill_kib;
	bool size_set;
};

enum match_kind { MATCH_PREFER, MATCH_AVOID, MATCH_IGNORE };

/* What a --prefer/--avoid/--ignore regex is matched against, chosen by a
 * prefix on the pattern: "name:" (default), "cmdline:", "unit:", "cgroup:". */
enum match_target { TARGET_NAME, TARGET_CMDLINE, TARGET_UNIT, TARGET_CGROUP };

struct match_rule {
	enum match_kind kind;
	enum match_target target;
	const char *pattern;	/* points into argv, without the prefix */
	regex_t regex;
};

/* 32 rules is far more than any real policy; a fixed array keeps the
 * struct free of ownership questions. */
#define CONFIG_MAX_RULES 32

enum psi_metric { PSI_METRIC_FULL, PSI_METRIC_SOME };

struct config {
	enum config_action action;
	struct config_floor mem;
	struct config_floor swap;
	unsigned report_s;		/* 0 disables the periodic report */
	bool debug;
	bool dryrun;
	bool once;			/* one iteration, then exit */
	const char *procfs_path;
	const char *sysfs_path;

	struct match_rule rules[CONFIG_MAX_RULES];
	unsigned n_rules;
	bool ignore_root_user;
	bool ignore_positive_adj;

	bool kill_group;
	bool kill_cgroup;
	unsigned kill_timeout_ms;	/* SIGTERM -> SIGKILL escalation */
	const char *pre_kill;
	const char *post_kill;
	const char *kernel_oom_hook;

	bool sort_by_rss;		/* rank by RSS+swap, not the kernel's score */
	bool high_priority;		/* -p: nice -20, as earlyoom */
	bool use_syslog;
	const char *metrics_file;

	uint32_t psi_threshold_centi;	/* 0 disables pressure kills */
	unsigned psi_duration_ms;
	enum psi_metric psi_metric;
};

/* Fill cfg from argv. Returns 0, or -EINVAL with one line (no newline) in
 * errbuf naming the flag and the problem. The caller owns cfg and must call
 * config_free() on success or failure. */
int config_parse(struct config *cfg, int argc, char **argv, char *errbuf, size_t errlen);

/* Release the compiled regexes. */
void config_free(struct config *cfg);

/* The --help text. */
extern const char config_usage[];

/* "prefer", "avoid" or "ignore". */
const char *config_match_kind_name(enum match_kind kind);

/* Parse a size: KiB by default, or with a K, M or G suffix. Returns 0,
 * -EINVAL or -ERANGE. Exposed for tests. */
int config_parse_size(const char *s, uint64_t *kib);

/* Parse a percentage 0..100 with up to two decimals into hundredths.
 * Returns 0 or -EINVAL. Exposed for tests. */
int config_parse_percent(const char *s, uint32_t *centi);
