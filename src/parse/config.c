#include "parse/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse/strutil.h"

/* Largest accepted size: 2^50 KiB (1 EiB), as for /proc/meminfo values. */
#define SIZE_MAX_KIB (UINT64_C(1) << 50)

const char config_usage[] =
	"Usage: oomguard [OPTION]...\n"
	"Kill the process the kernel's OOM killer would pick, before the machine freezes.\n"
	"\n"
	"Thresholds (act when memory AND swap are at or below their floors):\n"
	"  -m, --mem-min PERCENT[,KILL_PERCENT]   MemAvailable floor in % of MemTotal (default 10,5)\n"
	"  -s, --swap-min PERCENT[,KILL_PERCENT]  SwapFree floor in % of SwapTotal (default 10,5)\n"
	"  -M, --mem-min-size SIZE[,KILL_SIZE]    MemAvailable floor in KiB (or K, M, G suffix)\n"
	"  -S, --swap-min-size SIZE[,KILL_SIZE]   SwapFree floor in KiB (or K, M, G suffix)\n"
	"      --psi-threshold PERCENT            kill when stalled on memory at least PERCENT of the time (default 20; 0 = off)\n"
	"      --psi-duration SECONDS             ...in every 0.5 s for this long, memory the cause (default 1)\n"
	"      --psi-metric some|full             PSI line to watch (default full)\n"
	"\n"
	"Victim selection (regex on the name; prefix cmdline:, unit: or cgroup: to match those):\n"
	"      --prefer REGEX         raise matching processes by 300 oom_score points\n"
	"      --avoid REGEX          lower matching processes by 300 oom_score points\n"
	"      --ignore REGEX         never kill matching processes\n"
	"      --ignore-root-user     never kill processes of uid 0\n"
	"  -i, --ignore-positive-adj  score positive oom_score_adj as 0 (browsers raise it on tabs)\n"
	"      --sort-by-rss          rank by RSS+swap instead of the kernel's oom_score\n"
	"      --list                 print the candidates, best victim first, and exit\n"
	"\n"
	"Killing:\n"
	"  -g, --kill-group           kill the victim's whole process group\n"
	"      --kill-cgroup          kill every process of the victim's cgroup\n"
	"      --kill-timeout SECONDS wait this long after SIGTERM before SIGKILL (default 5)\n"
	"  -P, --pre-kill PATH        run PATH before a kill (victim in OOMGUARD_* variables)\n"
	"  -N, --post-kill PATH       run PATH after a kill\n"
	"      --kernel-oom-hook PATH run PATH when the kernel's own OOM killer ran\n"
	"      --dryrun               do everything but send signals and run kill hooks\n"
	"\n"
	"Other:\n"
	"  -r, --report SECONDS       memory report interval (default 3600; 0 = off)\n"
	"      --metrics-file PATH    write Prometheus metrics to PATH every report interval (at most 60 s)\n"
	"      --syslog               log through syslog(3) instead of stderr\n"
	"  -p                         run at nice -20 (earlyoom's -p; oom_score_adj is always set)\n"
	"      --procfs DIR           read DIR instead of /proc\n"
	"      --sysfs DIR            read DIR instead of /sys (zram accounting)\n"
	"      --once                 check once, report, and exit\n"
	"  -d, --debug                verbose logging\n"
	"  -h, --help                 show this help and exit\n"
	"  -v, --version              show the version and exit\n";

enum {
	OPT_DRYRUN = 256,
	OPT_PROCFS,
	OPT_SYSFS,
	OPT_ONCE,
	OPT_PREFER,
	OPT_AVOID,
	OPT_IGNORE,
	OPT_IGNORE_ROOT,
	OPT_LIST,
	OPT_KILL_CGROUP,
	OPT_KILL_TIMEOUT,
	OPT_KERNEL_OOM_HOOK,
	OPT_PSI_THRESHOLD,
	OPT_PSI_DURATION,
	OPT_PSI_METRIC,
	OPT_SORT_BY_RSS,
	OPT_SYSLOG,
	OPT_METRICS_FILE,
};

static const struct option long_options[] = {
	{ "mem-min", required_argument, NULL, 'm' },
	{ "swap-min", required_argument, NULL, 's' },
	{ "mem-min-size", required_argument, NULL, 'M' },
	{ "swap-min-size", required_argument, NULL, 'S' },
	{ "report", required_argument, NULL, 'r' },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ "kill-group", no_argument, NULL, 'g' },
	{ "pre-kill", required_argument, NULL, 'P' },
	{ "post-kill", required_argument, NULL, 'N' },
	{ "dryrun", no_argument, NULL, OPT_DRYRUN },
	{ "procfs", required_argument, NULL, OPT_PROCFS },
	{ "sysfs", required_argument, NULL, OPT_SYSFS },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "prefer", required_argument, NULL, OPT_PREFER },
	{ "avoid", required_argument, NULL, OPT_AVOID },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "ignore-root-user", no_argument, NULL, OPT_IGNORE_ROOT },
	{ "ignore-positive-adj", no_argument, NULL, 'i' },
	{ "sort-by-rss", no_argument, NULL, OPT_SORT_BY_RSS },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "kill-cgroup", no_argument, NULL, OPT_KILL_CGROUP },
	{ "kill-timeout", required_argument, NULL, OPT_KILL_TIMEOUT },
	{ "kernel-oom-hook", required_argument, NULL, OPT_KERNEL_OOM_HOOK },
	{ "psi-threshold", required_argument, NULL, OPT_PSI_THRESHOLD },
	{ "psi-duration", required_argument, NULL, OPT_PSI_DURATION },
	{ "psi-metric", required_argument, NULL, OPT_PSI_METRIC },
	{ NULL, 0, NULL, 0 },
};

/* "+": stop at the first non-option; ":": report missing arguments as ':'. */
static const char short_options[] = "+:m:s:M:S:r:dhvgP:N:ipnk";

static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int config_parse_percent(const char *s, uint32_t *centi)
{
	uint64_t whole, frac = 0;
	const char *end;

	if (strutil_parse_u64(s, &end, 100, &whole) < 0)
		return -EINVAL;
	if (*end == '.') {
		const char *frac_start = end + 1;
		size_t digits;

		if (strutil_parse_u64(frac_start, &end, 99, &frac) < 0)
			return -EINVAL;
		digits = (size_t)(end - frac_start);
		if (digits > 2)
			return -EINVAL;
		if (digits == 1)
			frac *= 10;
	}
	if (*end != '\0' || (whole == 100 && frac != 0))
		return -EINVAL;
	*centi = (uint32_t)(whole * 100 + frac);
	return 0;
}

int config_parse_size(const char *s, uint64_t *kib)
{
	uint64_t value, scale = 1;
	const char *end;
	int r;

	r = strutil_parse_u64(s, &end, UINT64_MAX, &value);
	if (r < 0)
		return r;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': scale = 1; end++; break;
	case 'm': case 'M': scale = 1024; end++; break;
	case 'g': case 'G': scale = 1024 * 1024; end++; break;
	default:
		return -EINVAL;
	}
	if (*end == 'i' || *end == 'I')	/* "MiB" style */
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (value > SIZE_MAX_KIB / scale)
		return -ERANGE;
	*kib = value * scale;
	return 0;
}

/* Split "TERM[,KILL]" into two strings in buf. Returns the kill part or NULL. */
static const char *split_pair(const char *arg, char *buf, size_t buflen)
{
	char *comma;

	snprintf(buf, buflen, "%s", arg);
	comma = strchr(buf, ',');
	if (!comma)
		return NULL;
	*comma = '\0';
	return comma + 1;
}

static int parse_percent_pair(const char *flag, const char *arg, struct config_floor *floor,
			      char *errbuf, size_t errlen)
{
	char buf[64];
	const char *kill_part = split_pair(arg, buf, sizeof(buf));

	if (strlen(arg) >= sizeof(buf) || config_parse_percent(buf, &floor->term_centi) < 0)
		return fail(errbuf, errlen, "%s: '%s' is not a percentage between 0 and 100", flag, arg);
	floor->kill_centi = floor->term_centi / 2;
	if (kill_part) {
		if (config_parse_percent(kill_part, &floor->kill_centi) < 0)
			return fail(errbuf, errlen, "%s: kill level '%s' is not a percentage between 0 and 100",
				    flag, kill_part);
		if (floor->kill_centi > floor->term_centi)
			return fail(errbuf, errlen, "%s: kill level %s is above the term level %s",
				    flag, kill_part, buf);
	}
	floor->percent_set = true;
	return 0;
}

static int parse_size_pair(const char *flag, const char *arg, struct config_floor *floor,
			   char *errbuf, size_t errlen)
{
	char buf[64];
	const char *kill_part = split_pair(arg, buf, sizeof(buf));
	int r;

	r = strlen(arg) >= sizeof(buf) ? -ERANGE : config_parse_size(buf, &floor->term_kib);
	if (r == -ERANGE)
		return fail(errbuf, errlen, "%s: size '%s' is too large", flag, arg);
	if (r < 0)
		return fail(errbuf, errlen, "%s: '%s' is not a size (KiB, or a number with K, M or G)",
			    flag, arg);
	floor->kill_kib = floor->term_kib / 2;
	if (kill_part) {
		r = config_parse_size(kill_part, &floor->kill_kib);
		if (r == -ERANGE)
			return fail(errbuf, errlen, "%s: kill size '%s' is too large", flag, kill_part);
		if (r < 0)
			return fail(errbuf, errlen, "%s: kill size '%s' is not a size", flag, kill_part);
		if (floor->kill_kib > floor->term_kib)
			return fail(errbuf, errlen, "%s: kill size %s is above the term size %s",
				    flag, kill_part, buf);
	}
	floor->size_set = true;
	return 0;
}

static int parse_uint(const char *flag, const char *arg, unsigned min, unsigned max, unsigned *out,
		      char *errbuf, size_t errlen)
{
	const char *end;
	uint64_t value;

	if (strutil_parse_u64(arg, &end, max, &value) < 0 || *end != '\0' || value < min)
		return fail(errbuf, errlen, "%s: '%s' is not a whole number from %u to %u",
			    flag, arg, min, max);
	*out = (unsigned)value;
	return 0;
}

const char *config_match_kind_name(enum match_kind kind)
{
	switch (kind) {
	case MATCH_PREFER: return "prefer";
	case MATCH_AVOID: return "avoid";
	case MATCH_IGNORE: return "ignore";
	}
	return "?";
}

static int add_rule(struct config *cfg, enum match_kind kind, const char *arg,
		    char *errbuf, size_t errlen)
{
	static const struct { const char *prefix; enum match_target target; } prefixes[] = {
		{ "name:", TARGET_NAME },
		{ "cmdline:", TARGET_CMDLINE },
		{ "unit:", TARGET_UNIT },
		{ "cgroup:", TARGET_CGROUP },
	};
	struct match_rule *rule;
	char msg[128];
	int r;

	if (cfg->n_rules >= CONFIG_MAX_RULES)
		return fail(errbuf, errlen, "--%s: more than %d --prefer/--avoid/--ignore rules",
			    config_match_kind_name(kind), CONFIG_MAX_RULES);
	rule = &cfg->rules[cfg->n_rules];
	rule->kind = kind;
	rule->target = TARGET_NAME;
	rule->pattern = arg;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strutil_startswith(arg, prefixes[i].prefix)) {
			rule->target = prefixes[i].target;
			rule->pattern = arg + strlen(prefixes[i].prefix);
			break;
		}
	}
	r = regcomp(&rule->regex, rule->pattern, REG_EXTENDED | REG_NOSUB);
	if (r != 0) {
		regerror(r, &rule->regex, msg, sizeof(msg));
		return fail(errbuf, errlen, "--%s: bad regular expression '%s': %s",
			    config_match_kind_name(kind), rule->pattern, msg);
	}
	cfg->n_rules++;
	return 0;
}

static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->action = CONFIG_RUN;
	cfg->report_s = 3600;
	cfg->procfs_path = "/proc";
	cfg->sysfs_path = "/sys";
	cfg->kill_timeout_ms = 5000;
	cfg->psi_threshold_centi = 2000;
	/* Measured in the VM suite (README "Pressure"): a thrash is ended
	 * about 2 s into its sustained stall. */
	cfg->psi_duration_ms = 1000;
	cfg->psi_metric = PSI_METRIC_FULL;
}

/* A floor given neither as a percentage nor as a size gets the default 10 %,
 * kill at 5 %, as earlyoom does. */
static void floor_default(struct config_floor *floor)
{
	if (!floor->percent_set && !floor->size_set) {
		floor->term_centi = 1000;
		floor->kill_centi = 500;
		floor->percent_set = true;
	}
}

static int parse_option(struct config *cfg, int c, const char *arg, const char *bad_opt,
			char *errbuf, size_t errlen)
{
	unsigned seconds;
	int r;

	switch (c) {
	case 'm': return parse_percent_pair("--mem-min", arg, &cfg->mem, errbuf, errlen);
	case 's': return parse_percent_pair("--swap-min", arg, &cfg->swap, errbuf, errlen);
	case 'M': return parse_size_pair("--mem-min-size", arg, &cfg->mem, errbuf, errlen);
	case 'S': return parse_size_pair("--swap-min-size", arg, &cfg->swap, errbuf, errlen);
	case 'r': return parse_uint("--report", arg, 0, 1000000, &cfg->report_s, errbuf, errlen);
	case 'd': cfg->debug = true; return 0;
	case 'h': cfg->action = CONFIG_HELP; return 0;
	case 'v': cfg->action = CONFIG_VERSION; return 0;
	case 'g': cfg->kill_group = true; return 0;
	case 'P': cfg->pre_kill = arg; return 0;
	case 'N': cfg->post_kill = arg; return 0;
	case OPT_DRYRUN: cfg->dryrun = true; return 0;
	case OPT_PROCFS: cfg->procfs_path = arg; return 0;
	case OPT_SYSFS: cfg->sysfs_path = arg; return 0;
	case OPT_ONCE: cfg->once = true; return 0;
	case OPT_PREFER: return add_rule(cfg, MATCH_PREFER, arg, errbuf, errlen);
	case OPT_AVOID: return add_rule(cfg, MATCH_AVOID, arg, errbuf, errlen);
	case OPT_IGNORE: return add_rule(cfg, MATCH_IGNORE, arg, errbuf, errlen);
	case OPT_IGNORE_ROOT: cfg->ignore_root_user = true; return 0;
	case 'i': cfg->ignore_positive_adj = true; return 0;
	case 'p': cfg->high_priority = true; return 0;
	case 'n':
		return fail(errbuf, errlen, "-n: oomguard sends no D-Bus notifications itself; use "
			    "--post-kill /usr/share/oomguard/hooks/oomguard-notify");
	case 'k':
		return fail(errbuf, errlen, "-k: there is no kernel OOM killer mode; oomguard acts "
			    "before the kernel would (see --kernel-oom-hook)");
	case OPT_SORT_BY_RSS: cfg->sort_by_rss = true; return 0;
	case OPT_SYSLOG: cfg->use_syslog = true; return 0;
	case OPT_METRICS_FILE: cfg->metrics_file = arg; return 0;
	case OPT_LIST: cfg->action = CONFIG_LIST; return 0;
	case OPT_KILL_CGROUP: cfg->kill_cgroup = true; return 0;
	case OPT_KILL_TIMEOUT:
		r = parse_uint("--kill-timeout", arg, 1, 3600, &seconds, errbuf, errlen);
		cfg->kill_timeout_ms = seconds * 1000;
		return r;
	case OPT_KERNEL_OOM_HOOK: cfg->kernel_oom_hook = arg; return 0;
	case OPT_PSI_THRESHOLD:
		if (config_parse_percent(arg, &cfg->psi_threshold_centi) < 0)
			return fail(errbuf, errlen, "--psi-threshold: '%s' is not a percentage between 0 and 100", arg);
		return 0;
	case OPT_PSI_DURATION:
		r = parse_uint("--psi-duration", arg, 1, 3600, &seconds, errbuf, errlen);
		cfg->psi_duration_ms = seconds * 1000;
		return r;
	case OPT_PSI_METRIC:
		if (strcmp(arg, "full") == 0)
			cfg->psi_metric = PSI_METRIC_FULL;
		else if (strcmp(arg, "some") == 0)
			cfg->psi_metric = PSI_METRIC_SOME;
		else
			return fail(errbuf, errlen, "--psi-metric: '%s' is not 'some' or 'full'", arg);
		return 0;
	case ':':
		return fail(errbuf, errlen, "%s: missing argument", bad_opt);
	default:
		return fail(errbuf, errlen, "%s: unknown option (see --help)", bad_opt);
	}
}

int config_parse(struct config *cfg, int argc, char **argv, char *errbuf, size_t errlen)
{
	int c, r;

	config_defaults(cfg);
	errbuf[0] = '\0';
	opterr = 0;
	optind = 0;	/* glibc: full re-initialisation, so tests can parse twice */
	for (;;) {
		char bad_opt[64] = "";
		int this_optind = optind ? optind : 1;

		c = getopt_long(argc, argv, short_options, long_options, NULL);
		if (c == -1)
			break;
		if ((c == '?' || c == ':') && this_optind < argc) {
			const char *word = argv[this_optind];

			/* Name the flag as the user typed it, without "=value". */
			if (strutil_startswith(word, "--"))
				snprintf(bad_opt, sizeof(bad_opt), "%.*s", (int)strcspn(word, "="), word);
			else
				snprintf(bad_opt, sizeof(bad_opt), "-%c", optopt);
		}
		r = parse_option(cfg, c, optarg, bad_opt, errbuf, errlen);
		if (r < 0)
			return r;
	}
	if (optind < argc)
		return fail(errbuf, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
	floor_default(&cfg->mem);
	floor_default(&cfg->swap);
	return 0;
}

void config_free(struct config *cfg)
{
	for (unsigned i = 0; i < cfg->n_rules; i++)
		regfree(&cfg->rules[i].regex);
	cfg->n_rules = 0;
}
