#include "loop.h"
#include "loop-internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "tell/report.h"

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

int loop_sample(struct loop *l)
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

/* An idle tick, cheaply: while nothing else is due this tick (report,
 * metrics, the vmstat read, PSI averages) and the lower bound on
 * MemAvailable from sysinfo(2) is above the term floor, memory cannot be
 * at a floor, so neither /proc/meminfo nor a decision is needed. Returns
 * true when the tick is done. */
static bool quick_tick(struct loop *l, uint64_t now)
{
	bool psi_each_tick = l->cfg->psi_threshold_centi && l->trigger.mode == TRIGGER_AVERAGES;

	l->quick = false;
	if (!l->quick_ok || l->cfg->once || !l->s.sampled || l->last_action != ACTION_NONE ||
	    l->psi.above || psi_each_tick || now < l->psi_recent_until_ms ||
	    now >= l->next_vmstat_ms || (l->cfg->report_s && now >= l->next_report_ms) ||
	    (l->cfg->metrics_file && now >= l->next_metrics_ms))
		return false;
	if (sensors_quick_available(&l->sensors, &l->quick_available_kib) < 0 ||
	    l->quick_available_kib <= l->floors.mem_term_kib)
		return false;
	l->quick = true;
	return true;
}

static int iterate(struct loop *l, uint64_t now)
{
	enum policy_action action;
	struct mem_evidence ev;
	bool pressure = false;
	int r;

	if (hook_running(&l->hooks))
		hook_reap(&l->hooks);
	if (quick_tick(l, now)) {
		notify_watchdog(&l->notify, now);
		return 0;
	}
	r = loop_sample(l);
	if (r < 0)
		return r;
	watch_kernel_oom(l);
	maybe_report(l, now);
	maybe_write_metrics(l, now);
	notify_watchdog(&l->notify, now);

	action = policy_check_floors(&l->floors, &l->s.eff);
	if (action != ACTION_NONE) {
		act_describe_floors(l, action);
	} else if (l->s.have_psi) {
		evidence(l, &ev);
		pressure = policy_psi_update(&l->psi, l->cfg, &l->s.psi, &ev, l->page_kib, now);
		if (pressure) {
			action = ACTION_TERM;
			act_describe_pressure(l);
		}
	}
	if (action != ACTION_NONE) {
		if (action != l->last_action)
			log_warn("low memory: %s: %s %s", l->trigger_text,
				 l->cfg->dryrun ? "would send" : "sending", policy_action_name(action));
		act_on_shortage(l, action, pressure);
	} else if (l->cfg->once) {
		log_info("nothing to do: memory is above the floors");
	}
	l->last_action = action;
	return 0;
}

/* Sleep until the next tick or a PSI trigger, whichever comes first. */
static void wait_next(struct loop *l, uint64_t now)
{
	unsigned interval;

	if (l->quick) {
		/* Only the memory headroom is known (a lower bound); assume no
		 * swap headroom, which can only shorten the sleep. */
		struct meminfo bound = l->s.eff;

		bound.mem_available_kib = l->quick_available_kib;
		bound.swap_free_kib = 0;
		interval = policy_interval_ms(&l->floors, &bound);
	} else {
		interval = policy_interval_ms(&l->floors, &l->s.eff);
	}
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
	/* sysinfo(2) describes this machine, not a tree given with --procfs. */
	l->quick_ok = procfs_check_live(procfs) == 0;
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
