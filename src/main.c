/* oomguard: glue. argv -> config, signals, the loop. The only file that exits. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>

#include "act/caps.h"
#include "parse/config.h"
#include "tell/histprint.h"
#include "tell/history.h"
#include "tell/list.h"
#include "log.h"
#include "acquire/pressure.h"
#include "acquire/sensors.h"
#include "loop.h"
#include "tell/report.h"
#include "acquire/cgroupfs.h"
#include "acquire/container.h"
#include "acquire/procfs.h"
#include "acquire/visibility.h"
#include "version.h"

static volatile sig_atomic_t stop_requested;

/* ~200 KiB of fixed buffers: static, not on the stack. */
static struct loop the_loop;
/* The memory view: three cgroup paths of up to 4 KiB. */
static struct container the_view;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	/* No SA_RESTART: the loop's poll() returns at once and sees the flag. */
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* No configuration file to reload and no log file to reopen (logs go
	 * to stderr or syslog): SIGHUP is ignored rather than fatal. A reader
	 * of stderr that went away must not kill the daemon either. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
}

/* "MemAvailable <= 10.00%/5.00% of available+anon", "... <= 1048576/524288
 * KiB", or with both "... <= min(10.00%, 1048576 KiB)/min(5.00%, 524288
 * KiB)". of names what the percentages are of ("" for swap's total). */
static void describe_floor(char *buf, size_t len, const char *what, const char *of,
			   const struct config_floor *f)
{
	if (f->percent_set && f->size_set)
		snprintf(buf, len, "%s <= min(%u.%02u%%, %llu KiB)/min(%u.%02u%%, %llu KiB)%s", what,
			 f->term_centi / 100, f->term_centi % 100, (unsigned long long)f->term_kib,
			 f->kill_centi / 100, f->kill_centi % 100, (unsigned long long)f->kill_kib, of);
	else if (f->size_set)
		snprintf(buf, len, "%s <= %llu/%llu KiB", what, (unsigned long long)f->term_kib,
			 (unsigned long long)f->kill_kib);
	else
		snprintf(buf, len, "%s <= %u.%02u%%/%u.%02u%%%s", what, f->term_centi / 100,
			 f->term_centi % 100, f->kill_centi / 100, f->kill_centi % 100, of);
}

/* One level of the warning: "20.00%" given, "twice the term floor" by
 * default. */
static const char *warn_level(char *buf, size_t len, bool set, uint32_t centi)
{
	if (!set)
		snprintf(buf, len, "twice the term floor");
	else
		snprintf(buf, len, "%u.%02u%%", centi / 100, centi % 100);
	return buf;
}

/* The warning before a kill, as the flags set it (the default levels
 * follow the floors, sizes too, on every sample). */
static void log_warn_levels(const struct config *cfg)
{
	char mem[32], swap[32], psi[96], levels[128];

	if (cfg->warn_mem_set && cfg->warn_mem_centi == 0 && cfg->warn_psi_centi == 0) {
		log_info("warning before a kill: off");
		return;
	}
	if (cfg->warn_psi_centi)
		snprintf(psi, sizeof(psi), "PSI %s stall at %u.%02u%% for %u.%u s",
			 cfg->psi_metric == PSI_METRIC_SOME ? "some" : "full", cfg->warn_psi_centi / 100,
			 cfg->warn_psi_centi % 100, cfg->psi_duration_ms / 1000,
			 cfg->psi_duration_ms % 1000 / 100);
	else
		snprintf(psi, sizeof(psi), "no pressure warning");
	if ((cfg->warn_mem_set && cfg->warn_mem_centi == 0) ||
	    (cfg->warn_swap_set && cfg->warn_swap_centi == 0))
		snprintf(levels, sizeof(levels), "no memory warning");
	else
		snprintf(levels, sizeof(levels), "MemAvailable at %s and SwapFree at %s",
			 warn_level(mem, sizeof(mem), cfg->warn_mem_set, cfg->warn_mem_centi),
			 warn_level(swap, sizeof(swap), cfg->warn_swap_set, cfg->warn_swap_centi));
	log_info("warning before a kill: %s; %s%s%s", levels, psi,
		 cfg->warn_hook ? "; --warn-hook " : "", cfg->warn_hook ? cfg->warn_hook : "");
}

static void log_start(const struct config *cfg)
{
	char mem[128], swap[96], psi[128], policy[1024];

	describe_floor(mem, sizeof(mem), "MemAvailable", " of available+anon", &cfg->mem);
	describe_floor(swap, sizeof(swap), "SwapFree", "", &cfg->swap);
	if (cfg->psi_threshold_centi)
		snprintf(psi, sizeof(psi), "on pressure when PSI %s stall >= %u.%02u%% in every %u ms "
			 "for %u.%u s", cfg->psi_metric == PSI_METRIC_SOME ? "some" : "full",
			 cfg->psi_threshold_centi / 100, cfg->psi_threshold_centi % 100,
			 PRESSURE_WINDOW_MS, cfg->psi_duration_ms / 1000,
			 cfg->psi_duration_ms % 1000 / 100);
	else
		snprintf(psi, sizeof(psi), "pressure kills off");
	log_notice("oomguard %s: SIGTERM/SIGKILL when %s and %s; %s%s", OOMGUARD_VERSION, mem, swap,
		   psi, cfg->dryrun ? "; dry run: no signal will be sent" : "");
	log_info("policy: %s", report_format_policy(policy, sizeof(policy), cfg));
	log_warn_levels(cfg);
}

/* Open the procfs root and check what the flags need of it: a readable
 * meminfo (into *mi) and the live procfs of our pid namespace unless
 * nothing will be signalled. Returns 0, or the exit status after printing
 * one line (2: bad usage). */
static int open_procfs(struct config *cfg, struct procfs *procfs, struct meminfo *mi)
{
	const char *bad_key = NULL;
	int r;

	r = procfs_open(procfs, cfg->procfs_path);
	if (r < 0) {
		fprintf(stderr, "oomguard: --procfs: cannot open '%s': %s\n", cfg->procfs_path,
			strerror(-r));
		return 2;
	}
	r = sensors_read_meminfo_once(procfs, mi, &bad_key);
	if (r == -EINVAL) {
		fprintf(stderr, "oomguard: %s/meminfo: missing or malformed %s\n", cfg->procfs_path,
			bad_key);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "oomguard: --procfs: no readable meminfo in '%s': %s\n",
			cfg->procfs_path, strerror(-r));
		return 2;
	}
	r = procfs_check_live(procfs);
	if (r < 0 && !cfg->dryrun && cfg->action == CONFIG_RUN) {
		fprintf(stderr, "oomguard: --procfs: '%s' is %s; pids there name other processes here, "
			"so it can only be used with --dryrun or --list\n", cfg->procfs_path,
			r == -ENOTSUP ? "not a procfs" : "the procfs of another pid namespace");
		return 2;
	}
	return 0;
}

/* Open the cgroup v2 root (--cgroupfs, else the mount, if any) and choose
 * the memory view (acquire/container.h), then check the size floors
 * against that view's totals: a cgroup's memory.max and swap limit in
 * container mode. Returns 0, or the exit status after printing one line
 * (2: bad usage). */
static int choose_view(struct config *cfg, const struct procfs *procfs,
		       const struct meminfo *mi, struct cgroupfs *cg, struct container *view)
{
	uint64_t mem_total_kib = mi->mem_total_kib, swap_total_kib = mi->swap_total_kib;
	char err[1024];
	int r = cgroupfs_open(cg, cfg->cgroupfs_path);

	if (r < 0 && cfg->cgroupfs_path) {
		fprintf(stderr, "oomguard: --cgroupfs: cannot open '%s': %s\n", cfg->cgroupfs_path,
			strerror(-r));
		return 2;
	}
	if (container_choose(view, cfg, procfs, cg, getpid(), mi->mem_total_kib, err,
			     sizeof(err)) < 0) {
		fprintf(stderr, "oomguard: %s\n", err);
		return 2;
	}
	if (view->on) {
		if (view->limit.max / 1024 < mem_total_kib)
			mem_total_kib = view->limit.max / 1024;
		if (view->limit.swap_limit / 1024 < swap_total_kib)
			swap_total_kib = view->limit.swap_limit / 1024;
	}
	if (config_check_totals(cfg, mem_total_kib, swap_total_kib, err, sizeof(err)) < 0) {
		fprintf(stderr, "oomguard: %s%s\n", err,
			view->on ? " (in container mode the totals are the cgroup's limits)" : "");
		return 2;
	}
	return 0;
}

/* A daemon started with stdin, stdout or stderr closed would hand that
 * number to the first descriptor it opens (the procfs root, a metrics
 * file), and its log lines would go there. Put /dev/null on each one that
 * is closed, before anything else is opened. Returns 0 or -errno (nothing
 * can be said then: stderr may be the one missing). */
static int open_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int null_fd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free number: fd itself, as the lower ones are open. */
		null_fd = open("/dev/null", O_RDWR);
		if (null_fd < 0)
			return -errno;
		if (null_fd != fd) {
			close(null_fd);
			return -EBADF;
		}
	}
	return 0;
}

/* Flush and close stdout after --help or --version: a full disk or a
 * closed pipe must not pass for printed output. Returns the exit status (1
 * after printing one line). */
static int close_stdout(const char *flag)
{
	/* Output longer than stdout's buffer (--help is, past 4 KiB) was
	 * written in part already: that write's errno is the reason. */
	int early = ferror(stdout) ? errno : 0;
	int failed;

	errno = 0;
	failed = fflush(stdout) != 0 || ferror(stdout);
	if (!failed && fclose(stdout) != 0)
		failed = 1;
	if (!failed)
		return 0;
	fprintf(stderr, "oomguard: %s: cannot write to stdout: %s\n", flag,
		strerror(errno ? errno : early ? early : EIO));
	return 1;
}

/* --history: print what --state-dir holds. Needs no daemon and nothing of
 * procfs but this boot's id, to mark the entries of earlier boots. Returns
 * the exit status (1 after one line when the directory cannot be read). */
static int print_history(const struct config *cfg)
{
	struct procfs procfs = PROCFS_INIT;
	char boot[40] = "";
	int r;

	if (procfs_open(&procfs, cfg->procfs_path) == 0)
		history_read_boot_id(&procfs, boot, sizeof(boot));
	procfs_close(&procfs);
	r = histprint(stdout, stderr, cfg->state_dir, boot, cfg->json);
	if (r < 0 && ferror(stdout))
		fprintf(stderr, "oomguard: --history: cannot write to stdout: %s\n", strerror(-r));
	return r < 0 ? 1 : close_stdout("--history");
}

/* The metrics file is written anew (a temporary file renamed over it) every
 * interval, by the user the daemon now runs as: say at start-up when that
 * user cannot write its directory, rather than once per interval later. */
static void check_metrics_dir(const char *path)
{
	char copy[4096];
	const char *dir;

	if (!path || strlen(path) >= sizeof(copy))
		return;
	memcpy(copy, path, strlen(path) + 1);
	dir = dirname(copy);
	if (access(dir, W_OK | X_OK) < 0)
		log_warn("--metrics-file %s: uid %u cannot write the directory %s (%s): the file "
			 "will not be written; give that user a directory of its own", path,
			 (unsigned)getuid(), dir, strerror(errno));
}

/* After the drop: can the daemon still see the processes it is to kill? A
 * /proc mounted with hidepid= (and no gid= group of ours) shows it only its
 * own; the pid count before and after the drop catches what the mount
 * options do not say (a fixture tree the user cannot read). Returns 0, or
 * -EACCES after logging one line. */
static int check_visibility(const struct config *cfg, const struct procfs *procfs,
			    unsigned before)
{
	struct visibility_mount m;
	unsigned after = 0;

	if (procfs_is_proc(procfs) && visibility_read_mount(procfs, &m) == 0 &&
	    visibility_hides_others(&m)) {
		if (m.has_gid)
			log_err("%s is mounted with hidepid=%s,gid=%u: as uid %u, not in group %u, "
				"oomguard would see only its own processes and kill nothing; give it "
				"that group (SupplementaryGroups=%u in the unit, or a --user in the "
				"group), or mount %s without hidepid", cfg->procfs_path, m.hidepid_text,
				(unsigned)m.gid, (unsigned)getuid(), (unsigned)m.gid, (unsigned)m.gid,
				cfg->procfs_path);
		else
			log_err("%s is mounted with hidepid=%s and no gid=: as uid %u oomguard would "
				"see only its own processes and kill nothing; remount it with "
				"gid=GROUP and give oomguard that group (SupplementaryGroups=GROUP in "
				"the unit, or a --user in the group)", cfg->procfs_path, m.hidepid_text,
				(unsigned)getuid());
		return -EACCES;
	}
	if (visibility_count_pids(procfs, &after) < 0 || (before > 1 && after <= 1)) {
		log_err("%s: %u processes visible before privileges were dropped, %u after (as uid "
			"%u): oomguard would kill nothing; let that user read it", cfg->procfs_path,
			before, after, (unsigned)getuid());
		return -EACCES;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct procfs procfs = PROCFS_INIT;
	struct cgroupfs cgroupfs = CGROUPFS_INIT;
	struct meminfo mi;
	struct caps_user user;
	struct config cfg;
	char err[256];
	int r;

	if (open_std_fds() < 0)
		return 1;
	if (config_parse(&cfg, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "oomguard: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	if (cfg.action == CONFIG_HELP) {
		fputs(config_usage, stdout);
		config_free(&cfg);
		return close_stdout("--help");
	}
	if (cfg.action == CONFIG_VERSION) {
		printf("oomguard %s\n", OOMGUARD_VERSION);
		config_free(&cfg);
		return close_stdout("--version");
	}
	if (cfg.action == CONFIG_HISTORY) {
		r = print_history(&cfg);
		config_free(&cfg);
		return r;
	}
	/* Whom to run as is settled before anything is set up: an unknown
	 * --user is bad usage, said at once. */
	if (cfg.action == CONFIG_RUN && caps_resolve_user(cfg.user, &user, err, sizeof(err)) < 0) {
		fprintf(stderr, "oomguard: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	/* A daemon that is asked to stop while it starts (a service manager's
	 * restart, a test that saw it open its first descriptor) stops
	 * cleanly, with status 0, rather than die of the signal. */
	if (cfg.action == CONFIG_RUN)
		install_signals();
	r = open_procfs(&cfg, &procfs, &mi);
	if (r == 0)
		r = choose_view(&cfg, &procfs, &mi, &cgroupfs, &the_view);
	if (r != 0) {
		cgroupfs_close(&cgroupfs);
		procfs_close(&procfs);
		config_free(&cfg);
		return r;
	}

	log_setup(cfg.debug, cfg.use_syslog);
	for (unsigned i = 0; i < cfg.n_warnings; i++)
		log_warn("%s", cfg.warnings[i]);
	if (cfg.action == CONFIG_LIST) {
		/* The ranking is a cgroup's: say whose (the machine's is the
		 * one --list always showed). */
		if (the_view.on)
			log_info("memory view: %s", the_view.why);
		r = list_print(stdout, &cfg, &procfs, &the_view);
		if (r < 0)
			fprintf(stderr, "oomguard: --list: %s%s\n",
				ferror(stdout) ? "cannot write to stdout: " : "",
				strerror(-r));
		cgroupfs_close(&cgroupfs);
		procfs_close(&procfs);
		config_free(&cfg);
		return r < 0 ? 1 : close_stdout("--list");
	}
	log_start(&cfg);
	log_notice("memory view: %s", the_view.why);
	r = loop_open(&the_loop, &cfg, &procfs, &cgroupfs, &the_view);
	if (r == 0) {
		struct caps_report caps = { 0 };
		unsigned visible = 0;

		/* What can be seen with every privilege, to compare. */
		if (visibility_count_pids(&procfs, &visible) < 0)
			visible = 0;

		/* Everything that needs privilege is open now: protect
		 * ourselves, then keep only what killing needs, as the
		 * unprivileged user when started as root. */
		caps_protect_self(&caps, cfg.high_priority);
		r = caps_drop(&caps, &user);
		if (r < 0) {
			/* Fail closed: a daemon that carries on with every root
			 * capability or uid 0, and hands them to its hooks, is
			 * worse than one that does not start. */
			if (user.switch_uid && !caps.switched)
				log_err("--user %s: cannot switch to uid %u gid %u (%s): refusing to run "
					"as root", user.name, (unsigned)user.uid, (unsigned)user.gid,
					strerror(-r));
			else
				log_err("cannot drop capabilities (%s): refusing to run with more "
					"privilege than killing needs", strerror(-r));
		} else {
			caps_log(&caps, cfg.dryrun);
			if (user.keep_root)
				log_warn("--user %s: oomguard and its hooks keep uid 0, so they can still "
					 "open, write and chmod any root-owned file", user.name);
			if (user.shared && user.switch_uid)
				log_warn("running as %s: there is no user %s, and any other process of %s "
					 "may signal oomguard or raise its oom_score_adj; create a system "
					 "user of its own (systemd-sysusers with the shipped oomguard.conf, "
					 "or useradd --system %s) or pass --user", user.name,
					 CAPS_DEFAULT_USER, user.name, CAPS_DEFAULT_USER);
			check_metrics_dir(cfg.metrics_file);
			r = check_visibility(&cfg, &procfs, visible);
			if (r == 0)
				r = loop_run(&the_loop, &stop_requested);
		}
	}
	loop_close(&the_loop);

	cgroupfs_close(&cgroupfs);
	procfs_close(&procfs);
	config_free(&cfg);
	return r < 0 ? 1 : 0;
}
