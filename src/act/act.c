/* Acting on a shortage: describe the trigger, select victims, re-check
 * memory, run the hooks, kill through kill.c and write the record. Split
 * from loop.c, which samples and decides when; this file decides whom and
 * says what happened. */
#include "loop-internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "tell/report.h"

/* In --dryrun memory stays low after a "kill", so the same record would be
 * logged every tick; repeat it at most this often. */
#define DRYRUN_REPEAT_MS 10000
/* "MemAvailable 3.04% (60 MiB) <= kill floor 5.00% (98 MiB) and SwapFree
 * 1.95% <= 5.00%" for a floor crossing. */
void act_describe_floors(struct loop *l, enum policy_action action)
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

void act_describe_pressure(struct loop *l)
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
	if (loop_sample(l) < 0)
		return false;
	return policy_check_floors(&l->floors, &l->s.eff) == ACTION_KILL;
}

/* Re-check right before signalling: selection took time, and memory may
 * have come back (another process exited). Returns the action still due. */
static enum policy_action recheck(struct loop *l, enum policy_action action, bool by_pressure)
{
	enum policy_action now;

	if (loop_sample(l) < 0)
		return action;
	now = policy_check_floors(&l->floors, &l->s.eff);
	if (by_pressure)
		return now == ACTION_KILL ? ACTION_KILL : action;
	return now;
}

void act_on_shortage(struct loop *l, enum policy_action action, bool by_pressure)
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
			   (int)c->proc.pid, log_escape(name, sizeof(name), c->proc.comm));
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
