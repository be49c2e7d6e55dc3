#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "hook.h"
#include "kill.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "policy.h"
#include "report.h"
#include "scan.h"
#include "select.h"
#include "sensors.h"
#include "trigger.h"

/* In --dryrun memory stays low after a "kill", so the same record would be
 * logged every tick; repeat it at most this often. */
#define DRYRUN_REPEAT_MS 10000
/* After a PSI trigger fires, poll this fast for one window, as lmkd does:
 * the stall is happening now and MemAvailable may be falling quickly. */
#define TRIGGER_FAST_POLL_MS 100
/* Metrics follow -r, but a textfile collector wants them at least this
 * often. */
#define METRICS_MAX_INTERVAL_MS 60000
/* Consecutive unreadable samples before the daemon gives up (about 10 s at
 * the idle tick). */
#define LOOP_MAX_FAILURES 10
/* After a trigger event, keep reading the averages this long. */
#define PSI_RECENT_MS 60000
/* While idle, /proc/vmstat (the kernel-OOM counter) is read this often. */
#define VMSTAT_IDLE_MS 10000

struct loop {
	const struct config *cfg;
	const struct procfs *procfs;
	struct sensors sensors;
	struct trigger trigger;
	struct kill_ctx kill;
	struct hooks hooks;
	struct notify notify;
	struct metrics metrics;
	uint64_t next_metrics_ms;
	struct scan scan;
	struct selection sel;
	struct sample s;
	struct floors floors;
	struct psi_tracker psi;
	enum policy_action last_action;
	uint64_t last_oom_kill;
	bool have_oom_kill;
	bool warned_no_candidate;
	uint64_t next_report_ms;
	uint64_t next_vmstat_ms;
	uint64_t psi_recent_until_ms;	/* read PSI until then after a trigger */
	uint64_t fast_poll_until_ms;
	uint64_t dryrun_quiet_until_ms;
	pid_t dryrun_last_pid;
	unsigned page_kib;
	pid_t self;
	char trigger_text[256];
};

static int sample(struct loop *l)
{
	const char *bad_key = NULL;
	uint64_t now = clock_now_ms();
	/* vmstat feeds the kernel-OOM watch (every VMSTAT_IDLE_MS is soon
	 * enough to report it) and the refault gate (needed while pressure is
	 * high or memory is low). */
	bool want_vmstat = now >= l->next_vmstat_ms || l->psi.above || l->last_action != ACTION_NONE;
	/* With a kernel trigger armed, avg10 cannot reach the threshold
	 * without the trigger firing first (a window at or above it), so the
	 * file is read only after an event, while above, or for a report. */
	bool want_psi = l->trigger.mode < TRIGGER_2S || now < l->psi_recent_until_ms ||
			l->psi.above || (l->cfg->report_s && now >= l->next_report_ms) || l->cfg->once;
	int r = sensors_sample(&l->sensors, &l->s, want_psi, want_vmstat, &bad_key);

	if (want_vmstat)
		l->next_vmstat_ms = now + VMSTAT_IDLE_MS;
	if (r == -EINVAL) {
		log_err("%s/meminfo: missing or malformed %s", l->cfg->procfs_path, bad_key);
		return r;
	}
	if (r < 0) {
		log_err("%s/meminfo: %s", l->cfg->procfs_path, strerror(-r));
		return r;
	}
	policy_floors(l->cfg, &l->s.eff, &l->floors);
	return 0;
}

static void evidence(const struct loop *l, struct mem_evidence *ev)
{
	const struct meminfo *mi = &l->s.mi;

	ev->mem_total_kib = mi->mem_total_kib;
	ev->anon_kib = mi->anon_pages_kib + l->s.zram_mem_used_kib;
	ev->file_lru_kib = mi->active_file_kib + mi->inactive_file_kib;
	ev->swap_total_kib = l->s.eff.swap_total_kib;
	ev->swap_free_kib = l->s.eff.swap_free_kib;
	ev->refault_file_pages = l->s.vm.refault_file;
	ev->have_refault = l->s.have_vmstat && l->s.vm.have_refault;
}

/* "MemAvailable 3.04% (60 MiB) <= kill floor 5.00% (98 MiB) and SwapFree
 * 1.95% <= 5.00%" for a floor crossing. */
static void describe_floors(struct loop *l, enum policy_action action)
{
	const struct meminfo *mi = &l->s.eff;
	bool kill = action == ACTION_KILL;
	uint64_t mem_floor = kill ? l->floors.mem_kill_kib : l->floors.mem_term_kib;
	uint64_t swap_floor = kill ? l->floors.swap_kill_kib : l->floors.swap_term_kib;
	uint32_t mem = report_centi(mi->mem_available_kib, mi->mem_total_kib);
	uint32_t mem_f = report_centi_nearest(mem_floor, mi->mem_total_kib);
	uint32_t swap = report_centi(mi->swap_free_kib, mi->swap_total_kib);
	uint32_t swap_f = report_centi_nearest(swap_floor, mi->swap_total_kib);
	int n;

	n = snprintf(l->trigger_text, sizeof(l->trigger_text),
		     "MemAvailable %u.%02u%% (%llu MiB) <= %s floor %u.%02u%% (%llu MiB) and "
		     "SwapFree %u.%02u%% <= %u.%02u%%%s",
		     mem / 100, mem % 100, (unsigned long long)(mi->mem_available_kib / 1024),
		     kill ? "kill" : "term", mem_f / 100, mem_f % 100,
		     (unsigned long long)(mem_floor / 1024), swap / 100, swap % 100, swap_f / 100,
		     swap_f % 100,
		     mi->swap_total_kib ? "" : l->s.mi.swap_total_kib ? " (swap is zram only: its pages are RAM)"
								       : " (no swap)");
	if (l->s.have_psi && n > 0 && (size_t)n < sizeof(l->trigger_text))
		snprintf(l->trigger_text + n, sizeof(l->trigger_text) - (size_t)n,
			 ", PSI full avg10 %u.%02u", l->s.psi.full.avg10_centi / 100,
			 l->s.psi.full.avg10_centi % 100);
}

static void describe_pressure(struct loop *l)
{
	const struct meminfo *mi = &l->s.mi;
	uint32_t value = policy_psi_value(l->cfg, &l->s.psi);
	uint32_t mem = report_centi(mi->mem_available_kib, mi->mem_total_kib);
	uint32_t anon = report_centi(mi->anon_pages_kib + l->s.zram_mem_used_kib, mi->mem_total_kib);
	uint32_t swap = report_centi(l->s.eff.swap_free_kib, l->s.eff.swap_total_kib);

	snprintf(l->trigger_text, sizeof(l->trigger_text),
		 "PSI %s avg10 %u.%02u >= %u.%02u for %u s, anon %u.%02u%% of RAM, "
		 "MemAvailable %u.%02u%%, SwapFree %u.%02u%%",
		 l->cfg->psi_metric == PSI_METRIC_SOME ? "some" : "full", value / 100, value % 100,
		 l->cfg->psi_threshold_centi / 100, l->cfg->psi_threshold_centi % 100,
		 l->cfg->psi_duration_ms / 1000, anon / 100, anon % 100, mem / 100, mem % 100,
		 swap / 100, swap % 100);
}

static void maybe_report(struct loop *l, uint64_t now)
{
	char line[384];
	int n;

	if (l->cfg->report_s == 0 && !l->cfg->once)
		return;
	if (!l->cfg->once && now < l->next_report_ms)
		return;
	l->next_report_ms = now + (uint64_t)l->cfg->report_s * 1000;
	report_format_memory(line, sizeof(line), &l->s.mi, l->s.have_psi ? &l->s.psi : NULL);
	n = (int)strlen(line);
	if (l->s.swaps.n_zram && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n,
			 ", zram %llu MiB of RAM holds %llu MiB of swap",
			 (unsigned long long)(l->s.zram_mem_used_kib / 1024),
			 (unsigned long long)(l->s.swaps.zram_used_kib / 1024));
	log_info("%s", line);
}

/* The kernel's own OOM killer ran: it should never, since we act first.
 * Say so loudly; the operator may want to plan a reboot. */
static void watch_kernel_oom(struct loop *l)
{
	if (!l->s.have_vmstat || !l->s.vm.have_oom_kill)
		return;
	if (l->have_oom_kill && l->s.vm.oom_kill > l->last_oom_kill)
		log_err("the kernel's OOM killer ran %llu time(s) (oom_kill in /proc/vmstat is now %llu; "
			"it also counts kills inside memory-limited cgroups); check the kernel log "
			"(dmesg) for what it killed",
			(unsigned long long)(l->s.vm.oom_kill - l->last_oom_kill),
			(unsigned long long)l->s.vm.oom_kill);
	/* Also in --dryrun: this reports what the kernel did, not a kill of ours. */
	if (l->have_oom_kill && l->s.vm.oom_kill > l->last_oom_kill && l->cfg->kernel_oom_hook) {
		struct hook_info info = { .event = HOOK_KERNEL_OOM };

		hook_run(&l->hooks, l->cfg->kernel_oom_hook, &info, NULL);
	}
	l->last_oom_kill = l->s.vm.oom_kill;
	l->have_oom_kill = true;
}

static void select_victims(struct loop *l)
{
	uint64_t totalpages = badness_totalpages(l->s.mi.mem_total_kib, l->s.mi.swap_total_kib,
						 l->page_kib);
	int r;

	l->scan.want_cmdline = badness_rules_need_cmdline(l->cfg);
	l->scan.want_cgroup = badness_rules_need_cgroup(l->cfg);
	select_init(&l->sel, l->cfg, l->self, totalpages, l->page_kib);
	r = scan_each(&l->scan, select_visit, &l->sel);
	if (r < 0)
		log_err("cannot list processes in %s: %s", l->cfg->procfs_path, strerror(-r));
	log_debug("scan: %u processes, %u candidates, %u vanished, %u malformed",
		  l->scan.stats.processes, l->sel.n_candidates, l->scan.stats.vanished,
		  l->scan.stats.malformed);
}

/* The victim's unit and cgroup, read once per kill for the record and the
 * hooks; copied out of the scan's buffers, which the next read reuses. */
struct victim_text {
	char unit[256];
	char cgroup[1024];
};

static void read_victim_text(struct loop *l, const struct candidate *c, struct victim_text *vt)
{
	struct badness_text text;

	vt->unit[0] = vt->cgroup[0] = '\0';
	if (scan_read_text(&l->scan, c->proc.pid, &text) < 0)
		return;
	if (text.unit)
		snprintf(vt->unit, sizeof(vt->unit), "%s", text.unit);
	if (text.cgroup)
		snprintf(vt->cgroup, sizeof(vt->cgroup), "%s", text.cgroup);
}

static void log_record(struct loop *l, const struct candidate *c, const struct victim_text *vt,
		       const char *verb, int signal, int exited_ms, bool released)
{
	struct report_kill k = { .victim = c, .unit = vt->unit, .verb = verb, .signal = signal,
				 .exited_ms = exited_ms, .released = released,
				 .trigger = l->trigger_text };
	char line[1024];

	log_notice("%s", report_format_kill(line, sizeof(line), &k));
	log_notice("%s", report_format_top(line, sizeof(line), l->sel.top_mem, l->sel.n_top_mem));
}

static void run_hook(struct loop *l, const char *path, enum hook_event event,
		     const struct candidate *c, const struct victim_text *vt, int signal)
{
	struct hook_info info = { .event = event, .victim = &c->proc,
				  .cgroup = vt->cgroup[0] ? vt->cgroup : NULL, .signal = signal,
				  .oom_score = c->kernel_score };

	if (path)
		hook_run(&l->hooks, path, &info, NULL);
}

/* Re-read memory while a victim is being asked to exit: SIGKILL at once
 * when the kill floors are crossed meanwhile (as earlyoom escalates). */
static bool escalate(void *userdata)
{
	struct loop *l = userdata;

	notify_watchdog(&l->notify, clock_now_ms());
	if (sample(l) < 0)
		return false;
	return policy_check_floors(&l->floors, &l->s.eff) == ACTION_KILL;
}

/* Re-check right before signalling: selection took time, and memory may
 * have come back (another process exited). Returns the action still due. */
static enum policy_action recheck(struct loop *l, enum policy_action action, bool by_pressure)
{
	enum policy_action now;

	if (sample(l) < 0)
		return action;
	now = policy_check_floors(&l->floors, &l->s.eff);
	if (by_pressure)
		return now == ACTION_KILL ? ACTION_KILL : action;
	return now;
}

static void act(struct loop *l, enum policy_action action, bool by_pressure)
{
	uint64_t now = clock_now_ms();

	select_victims(l);
	if (l->sel.n_best == 0) {
		if (!l->warned_no_candidate)
			log_warn("low memory but no process may be killed (all are protected or ignored)");
		l->warned_no_candidate = true;
		return;
	}
	l->warned_no_candidate = false;

	if (l->cfg->dryrun) {
		const struct candidate *c = &l->sel.best[0];
		struct victim_text vt;

		if (c->proc.pid == l->dryrun_last_pid && now < l->dryrun_quiet_until_ms)
			return;
		l->dryrun_last_pid = c->proc.pid;
		l->dryrun_quiet_until_ms = now + DRYRUN_REPEAT_MS;
		read_victim_text(l, c, &vt);
		log_record(l, c, &vt, "would kill", action == ACTION_KILL ? SIGKILL : SIGTERM, -1, false);
		return;
	}

	for (unsigned i = 0; i < l->sel.n_best; i++) {
		const struct candidate *c = &l->sel.best[i];
		struct kill_request req = {
			.victim = &c->proc,
			.timeout_ms = l->cfg->kill_timeout_ms,
			.group = l->cfg->kill_group,
			.cgroup = l->cfg->kill_cgroup,
			.escalate = escalate,
			.userdata = l,
		};
		struct kill_outcome out;
		struct victim_text vt;
		char name[PIDINFO_COMM_MAX * 4 + 1];
		int r;

		action = recheck(l, action, by_pressure);
		if (action == ACTION_NONE) {
			log_notice("memory recovered before the kill; nothing killed");
			return;
		}
		req.first_signal = action == ACTION_KILL ? SIGKILL : SIGTERM;
		read_victim_text(l, c, &vt);
		log_notice("sending %s to pid=%d name=\"%s\"", policy_action_name(action),
			   (int)c->proc.pid, report_escape(name, sizeof(name), c->proc.comm));
		run_hook(l, l->cfg->pre_kill, HOOK_PRE_KILL, c, &vt, req.first_signal);
		r = kill_execute(&l->kill, &req, &out);
		if (r == -ESRCH || r == -EPERM || r == -EINVAL) {
			log_warn("could not kill pid=%d name=\"%s\": %s; trying the next candidate",
				 (int)c->proc.pid, name,
				 r == -ESRCH ? "it exited or its pid was reused" : strerror(-r));
			continue;
		}
		log_record(l, c, &vt, r == 0 ? "killed" : "failed to kill", out.last_signal,
			   out.exited ? (int)out.waited_ms : -1, out.released);
		run_hook(l, l->cfg->post_kill, HOOK_POST_KILL, c, &vt, out.last_signal);
		if (out.last_signal == SIGKILL)
			l->metrics.kills_sigkill++;
		else if (out.last_signal == SIGTERM)
			l->metrics.kills_sigterm++;
		if (by_pressure)
			l->metrics.kills_pressure++;
		policy_psi_killed(&l->psi, l->cfg, clock_now_ms());
		return;
	}
	log_err("no candidate could be killed");
}

static void maybe_write_metrics(struct loop *l, uint64_t now)
{
	/* ~1.5 KiB of text today; 4 KiB leaves room. */
	static char buf[4096];
	uint64_t every = (uint64_t)l->cfg->report_s * 1000;
	long n;
	int r;

	if (!l->cfg->metrics_file || now < l->next_metrics_ms)
		return;
	if (every == 0 || every > METRICS_MAX_INTERVAL_MS)
		every = METRICS_MAX_INTERVAL_MS;
	l->next_metrics_ms = now + every;
	n = metrics_format(buf, sizeof(buf), &l->s, &l->metrics);
	r = n < 0 ? (int)n : metrics_write(l->cfg->metrics_file, buf, (size_t)n);
	if (r < 0)
		log_warn("--metrics-file %s: %s", l->cfg->metrics_file, strerror(-r));
}

static int iterate(struct loop *l, uint64_t now)
{
	enum policy_action action;
	struct mem_evidence ev;
	bool pressure = false;
	int r;

	if (hook_running(&l->hooks))
		hook_reap(&l->hooks);
	r = sample(l);
	if (r < 0)
		return r;
	watch_kernel_oom(l);
	maybe_report(l, now);
	maybe_write_metrics(l, now);
	notify_watchdog(&l->notify, now);

	action = policy_check_floors(&l->floors, &l->s.eff);
	if (action != ACTION_NONE) {
		describe_floors(l, action);
	} else if (l->s.have_psi) {
		evidence(l, &ev);
		pressure = policy_psi_update(&l->psi, l->cfg, &l->s.psi, &ev, l->page_kib, now);
		if (pressure) {
			action = ACTION_TERM;
			describe_pressure(l);
		}
	}
	if (action != ACTION_NONE) {
		if (action != l->last_action)
			log_warn("low memory: %s: %s %s", l->trigger_text,
				 l->cfg->dryrun ? "would send" : "sending", policy_action_name(action));
		act(l, action, pressure);
	} else if (l->cfg->once) {
		log_info("nothing to do: memory is above the floors");
	}
	l->last_action = action;
	return 0;
}

/* Sleep until the next tick or a PSI trigger, whichever comes first. */
static void wait_next(struct loop *l, uint64_t now)
{
	unsigned interval = policy_interval_ms(&l->floors, &l->s.eff);
	struct pollfd pfd = { .fd = l->trigger.fd, .events = POLLPRI };

	if (now < l->fast_poll_until_ms && interval > TRIGGER_FAST_POLL_MS)
		interval = TRIGGER_FAST_POLL_MS;
	l->metrics.interval_ms = interval;
	if (poll(&pfd, pfd.fd >= 0 ? 1 : 0, (int)interval) <= 0)
		return;
	if (pfd.revents & POLLERR) {
		log_warn("PSI trigger reported an error; falling back to reading averages");
		trigger_close(&l->trigger);
		l->trigger.mode = TRIGGER_AVERAGES;
	} else if (pfd.revents & POLLPRI) {
		log_debug("PSI trigger fired");
		l->fast_poll_until_ms = clock_now_ms() + 1000;
		/* avg10 needs about a minute to decay after a stall */
		l->psi_recent_until_ms = clock_now_ms() + PSI_RECENT_MS;
	}
}

static int loop_setup(struct loop *l)
{
	char line[256];
	int r;

	r = sensors_open(&l->sensors, l->procfs, l->cfg->sysfs_path);
	if (r < 0) {
		log_err("%s/meminfo: %s", l->cfg->procfs_path, strerror(-r));
		return r;
	}
	r = scan_open(&l->scan, l->procfs);
	if (r < 0) {
		log_err("cannot list processes in %s: %s", l->cfg->procfs_path, strerror(-r));
		return r;
	}
	r = kill_init(&l->kill, l->procfs, NULL);
	if (r < 0)
		return r;
	if (!kill_have_pidfd())
		log_warn("this kernel has no pidfd_open (Linux < 5.3): signalling by pid with kill(2), "
			 "which can hit a reused pid in a narrow race");
	if (l->cfg->kill_cgroup && kill_check_cgroup(&l->kill) < 0)
		log_warn("--kill-cgroup: no cgroup v2 hierarchy or own cgroup unknown; "
			 "killing single processes instead");
	if (!kill_have_mrelease())
		log_info("this kernel has no process_mrelease (Linux < 5.15): a killed process frees "
			 "its memory as it exits");
	if (l->cfg->pre_kill)
		hook_check(l->cfg->pre_kill, "--pre-kill");
	if (l->cfg->post_kill)
		hook_check(l->cfg->post_kill, "--post-kill");
	if (l->cfg->kernel_oom_hook)
		hook_check(l->cfg->kernel_oom_hook, "--kernel-oom-hook");
	/* Hooks exec as our uid; as root they must not regain capabilities
	 * once ours are dropped. Needs CAP_SETPCAP, so before caps_drop. */
	if ((l->cfg->pre_kill || l->cfg->post_kill || l->cfg->kernel_oom_hook) && getuid() == 0)
		hook_lock_noroot();
	r = notify_open(&l->notify);
	if (r < 0)
		log_warn("NOTIFY_SOCKET: %s; systemd will not hear that oomguard is ready",
			 strerror(-r));
	trigger_setup(&l->trigger, l->procfs, l->cfg->psi_metric, l->cfg->psi_threshold_centi);
	log_info("%s", trigger_describe(&l->trigger, line, sizeof(line)));
	return 0;
}

/* ~100 KiB of fixed buffers: static, not on the stack. */
static struct loop the_loop;

int loop_open(const struct config *cfg, const struct procfs *procfs)
{
	struct loop *l = &the_loop;

	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->procfs = procfs;
	l->self = getpid();
	l->page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);
	l->trigger.fd = -1;
	l->notify.fd = -1;
	l->kill.cgroup_root_fd = -1;
	l->hooks.timeout_ms = HOOK_TIMEOUT_MS;
	sensors_init(&l->sensors);
	l->scan.dir_fd = -1;
	return loop_setup(l);
}

int loop_run(volatile sig_atomic_t *stop)
{
	struct loop *l = &the_loop;
	int r = 0;

	unsigned failures = 0;

	notify_send(&l->notify, "READY=1");
	while (!*stop) {
		uint64_t now = clock_now_ms();

		r = iterate(l, now);
		/* One unreadable sample is skipped (already logged); meminfo
		 * that stays unreadable, or is so from the start, ends the
		 * daemon so that its supervisor sees it. */
		if (r < 0 && (l->cfg->once || !l->s.sampled || ++failures >= LOOP_MAX_FAILURES))
			break;
		if (r == 0)
			failures = 0;
		if (l->cfg->once)
			break;
		wait_next(l, now);
	}
	notify_send(&l->notify, "STOPPING=1");
	return r;
}

void loop_close(void)
{
	struct loop *l = &the_loop;

	trigger_close(&l->trigger);
	notify_close(&l->notify);
	kill_close(&l->kill);
	scan_close(&l->scan);
	sensors_close(&l->sensors);
}
