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
	CONFIG_HISTORY,		/* --history: print the kill history and exit */
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

/* What earlyoom accepts with a warning, oomguard accepts with a warning too:
 * the parser collects them (one line each) and main.c logs them. Eight
 * cover every flag that can warn at once. */
#define CONFIG_MAX_WARNINGS 8
#define CONFIG_WARNING_LEN 320

/* The highest memory term floor: at 100 % MemAvailable is always at or
 * below it and an idle machine would be killed at once. earlyoom's limit. */
#define CONFIG_MEM_MAX_CENTI 9900

enum psi_metric { PSI_METRIC_FULL, PSI_METRIC_SOME };

struct config {
	enum config_action action;
	struct config_floor mem;
	struct config_floor swap;
	unsigned report_ms;		/* 0 disables the periodic report */
	bool debug;
	bool dryrun;
	bool once;			/* one iteration, then exit */
	const char *procfs_path;
	const char *sysfs_path;
	const char *cgroupfs_path;	/* --cgroupfs; NULL: the cgroup2 mount */

	/* Container mode (acquire/container.h): --cgroup PATH watches that
	 * cgroup, --no-cgroup the machine; neither: the tightest memory
	 * limit on oomguard's own cgroup path, if any. */
	char cgroup_path[4096];		/* --cgroup, trailing '/' cut; "": none
					 * (MEMCG_LIMIT_PATH_MAX) */
	bool no_cgroup;

	struct match_rule rules[CONFIG_MAX_RULES];
	unsigned n_rules;
	bool ignore_root_user;
	bool ignore_positive_adj;

	bool kill_group;
	bool kill_cgroup;
	bool kernel_oom;		/* earlyoom's --kernel-oom: the kernel's pick, no policy */
	unsigned kill_timeout_ms;	/* SIGTERM -> SIGKILL escalation */
	const char *pre_kill;
	unsigned pre_kill_wait_ms;	/* the kill waits this long for --pre-kill */
	const char *post_kill;
	const char *kernel_oom_hook;

	bool sort_by_rss;		/* rank by RSS+swap, not the kernel's score */
	bool high_priority;		/* -p: nice -20, as earlyoom */
	bool use_syslog;
	const char *metrics_file;
	const char *user;		/* --user; NULL: nobody, when started as root */

	uint32_t psi_threshold_centi;	/* 0 disables pressure kills */
	unsigned psi_duration_ms;
	enum psi_metric psi_metric;

	/* The warning before a kill (decide/warn.c), in hundredths of a
	 * percent. Without --warn-mem/--warn-swap the levels are twice the
	 * term floors (sizes too), worked out on each sample; 0 on either
	 * turns the memory warning off. */
	uint32_t warn_mem_centi;	/* of the memory base, as -m */
	bool warn_mem_set;
	uint32_t warn_swap_centi;	/* of the swap total, as -s */
	bool warn_swap_set;
	uint32_t warn_psi_centi;	/* 0: no pressure warning; default half of --psi-threshold */
	bool warn_psi_set;
	const char *warn_hook;
	/* The kill history (tell/history.h): its directory; --json for --history. */
	const char *state_dir;
	bool json;

	char warnings[CONFIG_MAX_WARNINGS][CONFIG_WARNING_LEN];
	unsigned n_warnings;
};

/* Fill cfg from argv. Long flags must be spelt out (no abbreviation can
 * turn into another flag), and a value that starts with '-' given as a
 * separate word is refused (a missing value must not swallow the next
 * flag; --flag=-value says it is meant). Returns 0, with cfg->warnings
 * holding what was accepted but adjusted, or -EINVAL with one line (no
 * newline) in errbuf naming the flag and the problem. The caller owns cfg
 * and must call config_free() on success or failure. */
int config_parse(struct config *cfg, int argc, char **argv, char *errbuf, size_t errlen);

/* Check the size floors against the machine: -M at or above MemTotal, or
 * -S at or above SwapTotal, would act on an idle machine and are refused
 * (the line says sizes are KiB and what a size typed in bytes would be);
 * -S without any swap adds a warning. A --warn-mem (--warn-swap) level that
 * is, of MemTotal (SwapTotal), at or below the -M (-S) size floor is
 * refused: it could never warn before the kill. Returns 0 or -EINVAL with
 * errbuf. */
int config_check_totals(struct config *cfg, uint64_t mem_total_kib, uint64_t swap_total_kib,
			char *errbuf, size_t errlen);

/* Release the compiled regexes. */
void config_free(struct config *cfg);

/* The --help text. */
extern const char config_usage[];

/* "prefer", "avoid" or "ignore". */
const char *config_match_kind_name(enum match_kind kind);

/* Parse a size: KiB by default, or with a K, M or G suffix. Returns 0,
 * -EINVAL or -ERANGE. Exposed for tests. */
int config_parse_size(const char *s, uint64_t *kib);

/* Parse a percentage 0..100 into hundredths, rounded to the nearest (any
 * number of decimals; *rounded tells whether digits were dropped; may be
 * NULL). Returns 0 or -EINVAL. Exposed for tests. */
int config_parse_percent(const char *s, uint32_t *centi, bool *rounded);

/* Parse seconds ("0.2", ".5", "5") into milliseconds, rounded to the
 * nearest, at most max_ms. Returns 0 or -EINVAL. Exposed for tests. */
int config_parse_seconds(const char *s, unsigned max_ms, unsigned *ms);
