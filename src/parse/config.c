#include "parse/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse/memcg.h"
#include "parse/regexbound.h"
#include "parse/strutil.h"

/* Largest accepted size: 2^50 KiB (1 EiB), as for /proc/meminfo values. */
#define SIZE_MAX_KIB (UINT64_C(1) << 50)

/* Past the 4095 bytes that C99 asks every compiler to take in one string
 * literal; gcc and clang, the two that build oomguard, take any length, and
 * one literal keeps the text in one piece for reading and for fputs. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
const char config_usage[] =
	"Usage: oomguard [OPTION]...\n"
	"Kill the process the kernel's OOM killer would pick, before the machine freezes.\n"
	"\n"
	"Thresholds (act when memory AND swap are at or below their floors):\n"
	"  -m, --mem-min PERCENT[,KILL_PERCENT]   MemAvailable floor in % of MemAvailable+AnonPages (default 10,5)\n"
	"  -s, --swap-min PERCENT[,KILL_PERCENT]  free swap floor in % of the swap total (default 10,5)\n"
	"  -M, --mem-min-size SIZE[,KILL_SIZE]    MemAvailable floor in KiB (or K, M, G suffix)\n"
	"  -S, --swap-min-size SIZE[,KILL_SIZE]   SwapFree floor in KiB (or K, M, G suffix)\n"
	"      --psi-threshold PERCENT            kill when stalled on memory at least PERCENT of the time (default 20; 0 = off)\n"
	"      --psi-duration SECONDS             ...in every 0.5 s for this long, memory the cause (default 1)\n"
	"      --psi-metric some|full             PSI line to watch (default full)\n"
	"\n"
	"Warning before a kill (logged once per episode, at most once a minute):\n"
	"      --warn-mem PERCENT     warn at this MemAvailable, as -m (default twice the term floor; 0 = off)\n"
	"      --warn-swap PERCENT    ...and this free swap, as -s (default twice the term floor; 0 = off)\n"
	"      --warn-psi PERCENT     warn when stalled this much for --psi-duration (default half of --psi-threshold; 0 = off)\n"
	"      --warn-hook PATH       run PATH on a warning (would-be victim and figures in OOMGUARD_*)\n"
	"\n"
	"Victim selection (regex on the name; prefix cmdline:, unit: or cgroup: to match those):\n"
	"      --prefer REGEX         raise matching processes by 300 oom_score points\n"
	"      --avoid REGEX          lower matching processes by 300 oom_score points\n"
	"      --ignore REGEX         never kill matching processes\n"
	"      --ignore-root-user     never kill processes of uid 0\n"
	"      --ignore-positive-adj  score positive oom_score_adj as 0 (browsers raise it on tabs)\n"
	"      --sort-by-rss          rank by RSS+swap instead of the kernel's oom_score\n"
	"      --list                 print the candidates, best victim first, and exit\n"
	"\n"
	"Containers and cgroup limits (default: beside the machine, the tightest memory.max on oomguard's cgroup path):\n"
	"      --cgroup PATH          watch the cgroup v2 PATH (as /proc/PID/cgroup shows it) too; its shortage kills in it\n"
	"      --no-cgroup            watch the machine alone, even under a memory limit\n"
	"\n"
	"Killing:\n"
	"  -g, --kill-group           kill the victim's whole process group\n"
	"      --kill-cgroup          kill every process of the victim's cgroup\n"
	"      --kill-timeout SECONDS wait this long after SIGTERM before SIGKILL (default 5)\n"
	"  -P, --pre-kill PATH        run PATH before a kill (victim in OOMGUARD_* variables)\n"
	"      --pre-kill-wait SECONDS    ...and hold the kill until it exits, at most this long (default 0.2)\n"
	"  -N, --post-kill PATH       run PATH after a kill\n"
	"      --kernel-oom-hook PATH run PATH when the kernel's own OOM killer ran\n"
	"      --dryrun               do everything but send signals and run kill hooks\n"
	"\n"
	"Other:\n"
	"  -r, --report SECONDS       memory report interval, decimals allowed (default 3600; 0 = off)\n"
	"      --metrics-file PATH    write Prometheus metrics to PATH every report interval (at most 60 s)\n"
	"      --syslog               log through syslog(3) instead of stderr\n"
	"      --state-dir DIR        keep the kill history in DIR (default /var/lib/oomguard)\n"
	"      --history              print the kill history, oldest first, and exit\n"
	"      --json                 with --history: one JSON object a line\n"
	"  -p                         run at nice -20 (earlyoom's -p; oom_score_adj is always set)\n"
	"      --user NAME            started as root, run as NAME after set-up (default oomguard, else nobody; root keeps uid 0)\n"
	"      --procfs DIR           read DIR instead of /proc\n"
	"      --sysfs DIR            read DIR instead of /sys (zram accounting)\n"
	"      --cgroupfs DIR         read DIR instead of the cgroup v2 mount (/sys/fs/cgroup)\n"
	"      --once                 check once, report, and exit\n"
	"  -d, --debug                verbose logging\n"
	"  -h, --help                 show this help and exit\n"
	"  -v, --version              show the version and exit\n"
	"\n"
	"earlyoom's flags with another meaning here (accepted with a warning, so a switched service runs):\n"
	"  -i                         earlyoom 1.7+ ignores it too (see --ignore-positive-adj)\n"
	"  -k                         earlyoom 1.2+ ignores it too\n"
	"  -n                         no D-Bus notifications: use --post-kill .../hooks/oomguard-notify\n"
	"      --kernel-oom           earlyoom's: the kernel's own pick, no policy; oomguard kills it\n"
	"\n"
	"Long flags are never abbreviated; a value that starts with '-' must be attached (--flag=-x).\n";
#pragma GCC diagnostic pop

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
	OPT_IGNORE_POSITIVE_ADJ,
	OPT_KERNEL_OOM,
	OPT_PRE_KILL_WAIT,
	OPT_USER,
	OPT_WARN_MEM,
	OPT_WARN_SWAP,
	OPT_WARN_PSI,
	OPT_WARN_HOOK,
	OPT_STATE_DIR,
	OPT_HISTORY,
	OPT_JSON,
	OPT_CGROUP,
	OPT_NO_CGROUP,
	OPT_CGROUPFS,
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
	{ "ignore-positive-adj", no_argument, NULL, OPT_IGNORE_POSITIVE_ADJ },
	{ "sort-by-rss", no_argument, NULL, OPT_SORT_BY_RSS },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "kill-cgroup", no_argument, NULL, OPT_KILL_CGROUP },
	{ "kill-timeout", required_argument, NULL, OPT_KILL_TIMEOUT },
	{ "kernel-oom-hook", required_argument, NULL, OPT_KERNEL_OOM_HOOK },
	{ "kernel-oom", no_argument, NULL, OPT_KERNEL_OOM },
	{ "pre-kill-wait", required_argument, NULL, OPT_PRE_KILL_WAIT },
	{ "psi-threshold", required_argument, NULL, OPT_PSI_THRESHOLD },
	{ "psi-duration", required_argument, NULL, OPT_PSI_DURATION },
	{ "psi-metric", required_argument, NULL, OPT_PSI_METRIC },
	{ "warn-mem", required_argument, NULL, OPT_WARN_MEM },
	{ "warn-swap", required_argument, NULL, OPT_WARN_SWAP },
	{ "warn-psi", required_argument, NULL, OPT_WARN_PSI },
	{ "warn-hook", required_argument, NULL, OPT_WARN_HOOK },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "history", no_argument, NULL, OPT_HISTORY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "no-cgroup", no_argument, NULL, OPT_NO_CGROUP },
	{ "cgroupfs", required_argument, NULL, OPT_CGROUPFS },
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

static void warn(struct config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add one line to cfg->warnings (the last slot says more were cut). */
static void warn(struct config *cfg, const char *fmt, ...)
{
	va_list ap;

	if (cfg->n_warnings >= CONFIG_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(cfg->warnings[cfg->n_warnings++], CONFIG_WARNING_LEN, fmt, ap);
	va_end(ap);
}

/*
 * A plain decimal "W", "W.F" or ".F" (as earlyoom's strtod reads them) in
 * units of 10^-places: "10.125" with 2 places is 1013. The first digit past
 * places rounds to nearest; *dropped says whether a non-zero digit was cut.
 */
static int parse_fixed(const char *s, unsigned places, uint64_t max_whole, uint64_t *value,
		       bool *dropped)
{
	uint64_t whole, frac = 0;
	unsigned digits = 0;
	bool round_up = false;
	const char *end;

	*dropped = false;
	if (s[0] == '.' && s[1] >= '0' && s[1] <= '9') {
		whole = 0;
		end = s;
	} else if (strutil_parse_u64(s, &end, max_whole, &whole) < 0) {
		return -EINVAL;
	}
	if (*end == '.') {
		const char *p = end + 1;

		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits < places)
				frac = frac * 10 + (uint64_t)(*p - '0');
			else if (digits == places)
				round_up = *p >= '5';
			*dropped |= digits >= places && *p != '0';
		}
		if (digits == 0)
			return -EINVAL;
		end = p;
	}
	if (*end != '\0')
		return -EINVAL;
	for (; digits < places; digits++)
		frac *= 10;
	for (unsigned i = 0; i < places; i++)
		whole *= 10;
	*value = whole + frac + round_up;
	return 0;
}

int config_parse_percent(const char *s, uint32_t *centi, bool *rounded)
{
	uint64_t value;
	bool dropped;

	if (parse_fixed(s, 2, 100, &value, &dropped) < 0 || value > 10000)
		return -EINVAL;
	*centi = (uint32_t)value;
	if (rounded)
		*rounded = dropped;
	return 0;
}

int config_parse_seconds(const char *s, unsigned max_ms, unsigned *ms)
{
	uint64_t value;
	bool dropped;

	if (parse_fixed(s, 3, max_ms / 1000 + 1, &value, &dropped) < 0 || value > max_ms)
		return -EINVAL;
	*ms = (unsigned)value;
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

/* "-m 10.125": rounded to 10.13, as the floors keep hundredths. */
static int parse_percent_part(struct config *cfg, const char *flag, const char *what,
			      const char *text, bool pair, uint32_t max_centi, uint32_t *centi,
			      char *errbuf, size_t errlen)
{
	bool rounded = false;

	if (*text == '\0' && pair) {	/* earlyoom: an empty side of "TERM,KILL" is 0 */
		*centi = 0;
		return 0;
	}
	if (config_parse_percent(text, centi, &rounded) < 0)
		return fail(errbuf, errlen, "%s: %s '%s' is not a percentage between 0 and 100",
			    flag, what, text);
	if (*centi > max_centi)
		return fail(errbuf, errlen, "%s: %s %s%% would act on an idle machine: at most %u%%",
			    flag, what, text, max_centi / 100);
	if (rounded)
		warn(cfg, "%s: %s %s rounded to %u.%02u (two decimals)", flag, what, text,
		     *centi / 100, *centi % 100);
	return 0;
}

/* "5.00%" for hundredths of a percent, "1024 KiB" for a size. */
static const char *level_text(uint64_t v, bool centi, char *buf, size_t len)
{
	if (centi)
		snprintf(buf, len, "%llu.%02llu%%", (unsigned long long)(v / 100),
			 (unsigned long long)(v % 100));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)v);
	return buf;
}

/* earlyoom raises a term level below its kill level to the kill level with
 * a warning rather than refusing to start: a service switched over must
 * run. Both at 0 leaves no floor at all, which earlyoom refuses too. */
static int settle_pair(struct config *cfg, const char *flag, uint64_t *term, uint64_t *kill,
		       bool centi, char *errbuf, size_t errlen)
{
	char t[32], k[32];

	if (*term == 0 && *kill == 0)
		return fail(errbuf, errlen, "%s: both levels are 0, which leaves no floor "
			    "(earlyoom refuses this too)", flag);
	if (*kill > *term) {
		warn(cfg, "%s: the kill level %s is above the term level %s: both set to %s, as "
		     "earlyoom does", flag, level_text(*kill, centi, k, sizeof(k)),
		     level_text(*term, centi, t, sizeof(t)), k);
		*term = *kill;
	}
	return 0;
}

static int parse_percent_pair(struct config *cfg, const char *flag, const char *arg,
			      uint32_t max_centi, struct config_floor *floor, char *errbuf,
			      size_t errlen)
{
	char buf[64];
	const char *kill_part = split_pair(arg, buf, sizeof(buf));
	uint64_t term, kill;
	int r;

	if (strlen(arg) >= sizeof(buf))
		return fail(errbuf, errlen, "%s: '%s' is not a percentage between 0 and 100", flag, arg);
	r = parse_percent_part(cfg, flag, "level", buf, kill_part != NULL, max_centi,
			       &floor->term_centi, errbuf, errlen);
	if (r < 0)
		return r;
	floor->kill_centi = floor->term_centi / 2;
	if (kill_part) {
		r = parse_percent_part(cfg, flag, "kill level", kill_part, true, max_centi,
				       &floor->kill_centi, errbuf, errlen);
		if (r < 0)
			return r;
	}
	term = floor->term_centi;
	kill = floor->kill_centi;
	r = settle_pair(cfg, flag, &term, &kill, true, errbuf, errlen);
	if (r < 0)
		return r;
	floor->term_centi = (uint32_t)term;
	floor->percent_set = true;
	return 0;
}

/* As for percentages, an empty side of "TERM,KILL" is 0. */
static int size_part(const char *text, bool pair, uint64_t *kib)
{
	if (*text == '\0' && pair) {
		*kib = 0;
		return 0;
	}
	return config_parse_size(text, kib);
}

static int parse_size_pair(struct config *cfg, const char *flag, const char *arg,
			   struct config_floor *floor, char *errbuf, size_t errlen)
{
	char buf[64];
	const char *kill_part = split_pair(arg, buf, sizeof(buf));
	int r;

	r = strlen(arg) >= sizeof(buf) ? -ERANGE : size_part(buf, kill_part != NULL, &floor->term_kib);
	if (r == -ERANGE)
		return fail(errbuf, errlen, "%s: size '%s' is too large", flag, arg);
	if (r < 0)
		return fail(errbuf, errlen, "%s: '%s' is not a size (KiB, or a number with K, M or G)",
			    flag, arg);
	floor->kill_kib = floor->term_kib / 2;
	if (kill_part) {
		r = size_part(kill_part, true, &floor->kill_kib);
		if (r == -ERANGE)
			return fail(errbuf, errlen, "%s: kill size '%s' is too large", flag, kill_part);
		if (r < 0)
			return fail(errbuf, errlen, "%s: kill size '%s' is not a size", flag, kill_part);
	}
	r = settle_pair(cfg, flag, &floor->term_kib, &floor->kill_kib, false, errbuf, errlen);
	if (r < 0)
		return r;
	floor->size_set = true;
	return 0;
}

/* A hook named by a relative path would run whatever that path means in
 * the daemon's working directory ("/" under systemd): earlyoom disables
 * such a hook with a warning and runs, and so does oomguard. */
static const char *hook_path(struct config *cfg, const char *flag, const char *arg)
{
	if (arg[0] == '/')
		return arg;
	warn(cfg, "%s %s: not an absolute path, so the hook is off", flag, arg);
	return NULL;
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
	char msg[128], why[160];
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
	/* Bounded before regcomp sees it, which could otherwise take minutes
	 * and gigabytes: see regexbound.c. */
	if (regexbound_check(rule->pattern, why, sizeof(why)) < 0)
		return fail(errbuf, errlen, "--%s: regular expression '%.64s%s' %s",
			    config_match_kind_name(kind), rule->pattern,
			    strlen(rule->pattern) > 64 ? "..." : "", why);
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
	cfg->report_ms = 3600 * 1000;
	/* earlyoom's PREHOOK_STARTUP_SLEEP_MS: long enough for a hook to
	 * record the victim, short against a machine running out. */
	cfg->pre_kill_wait_ms = 200;
	cfg->procfs_path = "/proc";
	cfg->sysfs_path = "/sys";
	cfg->kill_timeout_ms = 5000;
	cfg->psi_threshold_centi = 2000;
	/* Measured in the VM suite (README "Pressure"): a thrash is ended
	 * about 2 s into its sustained stall. */
	cfg->psi_duration_ms = 1000;
	cfg->psi_metric = PSI_METRIC_FULL;
	cfg->state_dir = "/var/lib/oomguard";
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

/* --cgroup PATH: a cgroup v2 path as /proc/PID/cgroup shows it ("/" first,
 * relative to the mount), a trailing '/' allowed. A file system path
 * (/sys/fs/cgroup/...) is refused with the form meant, rather than guessed
 * at. Returns 0 or -EINVAL. */
static int parse_cgroup_path(struct config *cfg, const char *arg, char *errbuf, size_t errlen)
{
	size_t len = strlen(arg);

	if (strutil_startswith(arg, "/sys/fs/cgroup") && (arg[14] == '\0' || arg[14] == '/'))
		return fail(errbuf, errlen, "--cgroup: '%.200s' is a file system path; give the cgroup "
			    "as /proc/PID/cgroup shows it, relative to the cgroup v2 mount (--cgroup "
			    "%.200s)", arg, arg[14] == '/' ? arg + 14 : "/");
	if (len >= sizeof(cfg->cgroup_path))
		return fail(errbuf, errlen, "--cgroup: the path is longer than %zu bytes",
			    sizeof(cfg->cgroup_path) - 1);
	memcpy(cfg->cgroup_path, arg, len + 1);
	while (len > 1 && cfg->cgroup_path[len - 1] == '/')
		cfg->cgroup_path[--len] = '\0';
	if (!memcg_path_valid(cfg->cgroup_path)) {
		cfg->cgroup_path[0] = '\0';
		return fail(errbuf, errlen, "--cgroup: '%.200s' is not a cgroup path: it must start "
			    "with '/' and name no '.' or '..' (e.g. --cgroup /machine.slice/lxc-web.scope)",
			    arg);
	}
	return 0;
}

/* The kill history's flags (tell/history.h). Returns 0 or -EINVAL. */
static int parse_history_option(struct config *cfg, int c, const char *arg, char *errbuf,
				size_t errlen)
{
	switch (c) {
	case OPT_STATE_DIR:
		if (*arg == '\0')
			return fail(errbuf, errlen, "--state-dir: empty directory name");
		cfg->state_dir = arg;
		return 0;
	case OPT_HISTORY: cfg->action = CONFIG_HISTORY; return 0;
	default: cfg->json = true; return 0;
	}
}

static int parse_option(struct config *cfg, int c, const char *arg, const char *flag,
			char *errbuf, size_t errlen)
{
	unsigned seconds;
	int r;

	switch (c) {
	case 'm':
		return parse_percent_pair(cfg, "--mem-min", arg, CONFIG_MEM_MAX_CENTI, &cfg->mem,
					  errbuf, errlen);
	case 's': return parse_percent_pair(cfg, "--swap-min", arg, 10000, &cfg->swap, errbuf, errlen);
	case 'M': return parse_size_pair(cfg, "--mem-min-size", arg, &cfg->mem, errbuf, errlen);
	case 'S': return parse_size_pair(cfg, "--swap-min-size", arg, &cfg->swap, errbuf, errlen);
	case 'r':
		if (config_parse_seconds(arg, 1000000000, &cfg->report_ms) < 0)
			return fail(errbuf, errlen, "--report: '%s' is not a number of seconds from 0 to "
				    "1000000", arg);
		return 0;
	case 'd': cfg->debug = true; return 0;
	case 'h': cfg->action = CONFIG_HELP; return 0;
	case 'v': cfg->action = CONFIG_VERSION; return 0;
	case 'g': cfg->kill_group = true; return 0;
	case 'P': cfg->pre_kill = hook_path(cfg, flag, arg); return 0;
	case OPT_PRE_KILL_WAIT:
		if (config_parse_seconds(arg, 10000, &cfg->pre_kill_wait_ms) < 0)
			return fail(errbuf, errlen, "--pre-kill-wait: '%s' is not a number of seconds "
				    "from 0 to 10", arg);
		return 0;
	case 'N': cfg->post_kill = hook_path(cfg, flag, arg); return 0;
	case OPT_DRYRUN: cfg->dryrun = true; return 0;
	case OPT_PROCFS: cfg->procfs_path = arg; return 0;
	case OPT_SYSFS: cfg->sysfs_path = arg; return 0;
	case OPT_ONCE: cfg->once = true; return 0;
	case OPT_PREFER: return add_rule(cfg, MATCH_PREFER, arg, errbuf, errlen);
	case OPT_AVOID: return add_rule(cfg, MATCH_AVOID, arg, errbuf, errlen);
	case OPT_IGNORE: return add_rule(cfg, MATCH_IGNORE, arg, errbuf, errlen);
	case OPT_IGNORE_ROOT: cfg->ignore_root_user = true; return 0;
	case OPT_IGNORE_POSITIVE_ADJ: cfg->ignore_positive_adj = true; return 0;
	case 'p': cfg->high_priority = true; return 0;
	/* earlyoom's flags that do nothing any more, or nothing here: ignored
	 * with a warning, so that a service switched over still runs. */
	case 'i':
		warn(cfg, "-i is ignored, as earlyoom has done since 1.7 (the policy it once named "
		     "is --ignore-positive-adj)");
		return 0;
	case 'k':
		warn(cfg, "-k is ignored, as earlyoom has done since 1.2: oomguard acts before the "
		     "kernel's killer would (see --kernel-oom-hook)");
		return 0;
	case 'n':
		warn(cfg, "-n is ignored: oomguard sends no D-Bus notification itself; add --post-kill "
		     "/usr/share/oomguard/hooks/oomguard-notify for one");
		return 0;
	case OPT_KERNEL_OOM: cfg->kernel_oom = true; return 0;
	case OPT_SORT_BY_RSS: cfg->sort_by_rss = true; return 0;
	case OPT_SYSLOG: cfg->use_syslog = true; return 0;
	case OPT_METRICS_FILE: cfg->metrics_file = arg; return 0;
	case OPT_USER:
		if (*arg == '\0')
			return fail(errbuf, errlen, "--user: empty user name");
		cfg->user = arg;
		return 0;
	case OPT_LIST: cfg->action = CONFIG_LIST; return 0;
	case OPT_KILL_CGROUP: cfg->kill_cgroup = true; return 0;
	case OPT_KILL_TIMEOUT:
		r = parse_uint("--kill-timeout", arg, 1, 3600, &seconds, errbuf, errlen);
		cfg->kill_timeout_ms = seconds * 1000;
		return r;
	case OPT_KERNEL_OOM_HOOK: cfg->kernel_oom_hook = hook_path(cfg, flag, arg); return 0;
	case OPT_PSI_THRESHOLD:
		return parse_percent_part(cfg, "--psi-threshold", "level", arg, false, 10000,
					  &cfg->psi_threshold_centi, errbuf, errlen);
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
	case OPT_WARN_MEM:
		cfg->warn_mem_set = true;
		return parse_percent_part(cfg, "--warn-mem", "level", arg, false, CONFIG_MEM_MAX_CENTI,
					  &cfg->warn_mem_centi, errbuf, errlen);
	case OPT_WARN_SWAP:
		cfg->warn_swap_set = true;
		return parse_percent_part(cfg, "--warn-swap", "level", arg, false, 10000,
					  &cfg->warn_swap_centi, errbuf, errlen);
	case OPT_WARN_PSI:
		cfg->warn_psi_set = true;
		return parse_percent_part(cfg, "--warn-psi", "level", arg, false, 10000,
					  &cfg->warn_psi_centi, errbuf, errlen);
	case OPT_WARN_HOOK: cfg->warn_hook = hook_path(cfg, flag, arg); return 0;
	case OPT_CGROUP: return parse_cgroup_path(cfg, arg, errbuf, errlen);
	case OPT_NO_CGROUP: cfg->no_cgroup = true; return 0;
	case OPT_CGROUPFS: cfg->cgroupfs_path = arg; return 0;
	case OPT_STATE_DIR:
	case OPT_HISTORY:
	case OPT_JSON:
		return parse_history_option(cfg, c, arg, errbuf, errlen);
	case ':':
		return fail(errbuf, errlen, "%s: missing argument", flag);
	default:
		return fail(errbuf, errlen, "%s: unknown option (see --help)", flag);
	}
}

/* getopt_long takes any unambiguous prefix of a long flag: "--kernel-oom"
 * (an earlyoom flag) would be read as --kernel-oom-hook and swallow the
 * next word as its path. A long flag must be spelt out. Returns 0 or
 * -EINVAL. */
static int check_spelling(const char *typed, int longindex, int c, char *errbuf, size_t errlen)
{
	const char *name;

	if (longindex < 0 || c == '?' || c == ':')
		return 0;
	name = long_options[longindex].name;
	if (strcmp(typed + 2, name) == 0)
		return 0;
	return fail(errbuf, errlen, "%s: unknown option; long flags are not abbreviated (--%s?)",
		    typed, name);
}

/* "-r=5" gives -r the value "=5": earlyoom reads it as 0 (reports off) or
 * refuses it (-m=10). What is meant is plain: the value after '='. */
static const char *short_equals(struct config *cfg, const char *flag, const char *value,
				const char *word)
{
	if (value == word || value[0] != '=' || value[1] == '\0')
		return value;
	warn(cfg, "%s=%s read as %s %s (with a short flag the value follows without '=')", flag,
	     value + 1, flag, value + 1);
	return value + 1;
}

/* A value given as a separate word that starts with '-' is the next flag,
 * not a value: "--pre-kill --dryrun" must not run "--dryrun" as a hook and
 * start live. "--flag=-value" or "-f-value" says that it is meant. Returns
 * 0 or -EINVAL. */
static int check_value(const char *flag, const char *value, const char *word, char *errbuf,
		       size_t errlen)
{
	if (!value || value != word || value[0] != '-')
		return 0;
	return fail(errbuf, errlen, "%s: missing value: '%s' is a flag (attach a value that starts "
		    "with '-': %s%s%s)", flag, value, flag, flag[1] == '-' ? "=" : "", value);
}

/* earlyoom's --kernel-oom has the kernel's OOM killer pick (sysrq 'f'),
 * which ignores earlyoom's victim policy. oomguard's default pick is that
 * very choice (the same oom_badness, oom_score_adj included), made and
 * killed here with a record of what died: so the flag means the default
 * pick, and the policy flags that earlyoom ignores with it are dropped. */
static void kernel_oom_policy(struct config *cfg)
{
	char dropped[160] = "";
	size_t o = 0;

	if (cfg->n_rules)
		o += (size_t)snprintf(dropped + o, sizeof(dropped) - o, " --prefer/--avoid/--ignore");
	if (cfg->sort_by_rss)
		o += (size_t)snprintf(dropped + o, sizeof(dropped) - o, " --sort-by-rss");
	if (cfg->ignore_root_user)
		o += (size_t)snprintf(dropped + o, sizeof(dropped) - o, " --ignore-root-user");
	if (cfg->kill_group)
		o += (size_t)snprintf(dropped + o, sizeof(dropped) - o, " -g");
	config_free(cfg);
	cfg->sort_by_rss = cfg->ignore_root_user = cfg->kill_group = false;
	warn(cfg, "--kernel-oom: oomguard picks as the kernel's OOM killer would (the same "
	     "oom_badness) and kills that process itself, not through sysrq, so that the kill is "
	     "recorded%s%s", o ? "; ignored with it, as in earlyoom:" : "", dropped);
}

/* A warning level at or below its term floor could never come before the
 * kill. Percentages are compared here (a floor given as a size is compared
 * with the totals in config_check_totals); 0 turns a warning off. Without
 * --warn-psi the pressure warning sits at half of --psi-threshold. Returns
 * 0 or -EINVAL. */
static int check_warn_levels(struct config *cfg, char *errbuf, size_t errlen)
{
	if (cfg->warn_mem_set && cfg->warn_mem_centi && cfg->mem.percent_set &&
	    cfg->warn_mem_centi <= cfg->mem.term_centi)
		return fail(errbuf, errlen, "--warn-mem: %u.%02u%% is not above the term floor "
			    "(--mem-min %u.%02u%%), so it could not warn before the kill",
			    cfg->warn_mem_centi / 100, cfg->warn_mem_centi % 100,
			    cfg->mem.term_centi / 100, cfg->mem.term_centi % 100);
	if (cfg->warn_swap_set && cfg->warn_swap_centi && cfg->swap.percent_set &&
	    cfg->warn_swap_centi <= cfg->swap.term_centi)
		return fail(errbuf, errlen, "--warn-swap: %u.%02u%% is not above the term floor "
			    "(--swap-min %u.%02u%%), so it could not warn before the kill",
			    cfg->warn_swap_centi / 100, cfg->warn_swap_centi % 100,
			    cfg->swap.term_centi / 100, cfg->swap.term_centi % 100);
	if (!cfg->warn_psi_set)
		cfg->warn_psi_centi = cfg->psi_threshold_centi / 2;
	else if (cfg->warn_psi_centi && cfg->psi_threshold_centi &&
		 cfg->warn_psi_centi >= cfg->psi_threshold_centi)
		return fail(errbuf, errlen, "--warn-psi: %u.%02u%% is not below --psi-threshold "
			    "%u.%02u%%, so it could not warn before a pressure kill",
			    cfg->warn_psi_centi / 100, cfg->warn_psi_centi % 100,
			    cfg->psi_threshold_centi / 100, cfg->psi_threshold_centi % 100);
	return 0;
}

int config_parse(struct config *cfg, int argc, char **argv, char *errbuf, size_t errlen)
{
	int c, r;

	config_defaults(cfg);
	errbuf[0] = '\0';
	opterr = 0;
	optind = 0;	/* glibc: full re-initialisation, so tests can parse twice */
	for (;;) {
		char flag[64] = "";
		int this_optind = optind ? optind : 1;
		const char *word = this_optind < argc ? argv[this_optind] : "";
		int longindex = -1;

		c = getopt_long(argc, argv, short_options, long_options, &longindex);
		if (c == -1)
			break;
		/* The flag as the user typed it, without "=value". */
		if (strutil_startswith(word, "--"))
			snprintf(flag, sizeof(flag), "%.*s", (int)strcspn(word, "="), word);
		else
			snprintf(flag, sizeof(flag), "-%c", c == '?' || c == ':' ? optopt : c);
		r = check_spelling(flag, longindex, c, errbuf, errlen);
		if (r == 0 && optarg && !strutil_startswith(word, "--"))
			optarg = (char *)short_equals(cfg, flag, optarg, argv[optind - 1]);
		if (r == 0)
			r = check_value(flag, optarg, optind > 0 ? argv[optind - 1] : NULL, errbuf, errlen);
		if (r == 0)
			r = parse_option(cfg, c, optarg, flag, errbuf, errlen);
		if (r < 0)
			return r;
	}
	if (optind < argc)
		return fail(errbuf, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
	if (cfg->json && cfg->action != CONFIG_HISTORY)
		return fail(errbuf, errlen, "--json: only with --history (the log and the journal "
			    "carry the daemon's records)");
	if (cfg->cgroup_path[0] && cfg->no_cgroup)
		return fail(errbuf, errlen, "--cgroup and --no-cgroup: give one (--no-cgroup watches "
			    "the whole machine, --cgroup one cgroup)");
	if (cfg->kernel_oom)
		kernel_oom_policy(cfg);
	floor_default(&cfg->mem);
	floor_default(&cfg->swap);
	return check_warn_levels(cfg, errbuf, errlen);
}

/* "1073741824" KiB is 1 TiB: a size typed in bytes. Say what it would be. */
static void bytes_hint(uint64_t kib, uint64_t total_kib, char *buf, size_t len)
{
	buf[0] = '\0';
	if (kib / 1024 > 0 && kib / 1024 < total_kib)
		snprintf(buf, len, "; if %llu was meant as bytes, that is %llu KiB",
			 (unsigned long long)kib, (unsigned long long)(kib / 1024));
}

static int check_size(const char *flag, const char *what, uint64_t term_kib, uint64_t total_kib,
		      char *errbuf, size_t errlen)
{
	char hint[96];

	if (term_kib < total_kib)
		return 0;
	bytes_hint(term_kib, total_kib, hint, sizeof(hint));
	return fail(errbuf, errlen, "%s: %llu KiB is not below %s (%llu KiB), so it would act on an "
		    "idle machine; sizes are in KiB, or with K, M or G%s", flag,
		    (unsigned long long)term_kib, what, (unsigned long long)total_kib, hint);
}

/* A warning level in percent against a floor given only as a size: at most
 * the level's share of the total, which is where it is at its highest. */
static int check_warn_size(const char *flag, uint32_t centi, const struct config_floor *floor,
			   const char *floor_flag, const char *what, uint64_t total_kib,
			   char *errbuf, size_t errlen)
{
	uint64_t level_kib = total_kib * centi / 10000;

	if (centi == 0 || floor->percent_set || !floor->size_set || level_kib > floor->term_kib)
		return 0;
	return fail(errbuf, errlen, "%s: %u.%02u%% of %s is %llu KiB, not above the term floor "
		    "(%s %llu KiB), so it could not warn before the kill", flag, centi / 100,
		    centi % 100, what, (unsigned long long)level_kib, floor_flag,
		    (unsigned long long)floor->term_kib);
}

int config_check_totals(struct config *cfg, uint64_t mem_total_kib, uint64_t swap_total_kib,
			char *errbuf, size_t errlen)
{
	int r = 0;

	if (cfg->mem.size_set)
		r = check_size("--mem-min-size", "MemTotal", cfg->mem.term_kib, mem_total_kib,
			       errbuf, errlen);
	if (r == 0 && cfg->swap.size_set && swap_total_kib == 0)
		warn(cfg, "--swap-min-size: this machine has no swap, so the swap floor does not "
		     "matter (memory alone decides)");
	else if (r == 0 && cfg->swap.size_set)
		r = check_size("--swap-min-size", "SwapTotal", cfg->swap.term_kib, swap_total_kib,
			       errbuf, errlen);
	if (r == 0)
		r = check_warn_size("--warn-mem", cfg->warn_mem_set ? cfg->warn_mem_centi : 0,
				    &cfg->mem, "--mem-min-size", "MemTotal", mem_total_kib, errbuf, errlen);
	if (r == 0 && swap_total_kib)
		r = check_warn_size("--warn-swap", cfg->warn_swap_set ? cfg->warn_swap_centi : 0,
				    &cfg->swap, "--swap-min-size", "SwapTotal", swap_total_kib, errbuf,
				    errlen);
	return r;
}

void config_free(struct config *cfg)
{
	for (unsigned i = 0; i < cfg->n_rules; i++)
		regfree(&cfg->rules[i].regex);
	cfg->n_rules = 0;
}
