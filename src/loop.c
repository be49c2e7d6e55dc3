#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "decide/badness.h"
#include "decide/policy.h"
#include "log.h"
#include "tell/report.h"
#include "acquire/oomwatch.h"
#include "parse/memevents.h"

/* While a pressure source is watched (its trigger fired, or a window was at
 * or above the threshold), tick this often, as lmkd does after an event:
 * the stall is happening now and its windows must be measured. */
#define WATCH_POLL_MS 100
/* Metrics follow -r, but a textfile collector wants them at least this
 * often. */
#define METRICS_MAX_INTERVAL_MS 60000
/* Consecutive unreadable samples before the daemon gives up (about 10 s at
 * the idle tick). */
#define LOOP_MAX_FAILURES 10
/* While idle, /proc/vmstat (the kernel-OOM counter) is read this often. */
#define VMSTAT_IDLE_MS 10000
/* In --dryrun memory stays low after a "kill", so the same record would be
 * logged every tick; repeat it at most this often. */
#define DRYRUN_REPEAT_MS 10000
/* Every candidate refused the signal with EPERM: oomguard lacks CAP_KILL,
 * and trying them all again every tick (10 ms at the floors) only floods
 * the log and burns the CPU. The next try waits this long, doubling with
 * each refusal up to the most; a kill that goes through starts over. */
#define REFUSED_BACKOFF_MIN_MS 1000
#define REFUSED_BACKOFF_MAX_MS 30000
/* Memory is short and no process may be killed (all protected or
 * ignored): scanning every process at every 10 ms tick is what a machine
 * short of everything can least afford (2,000 processes: 3.7 s of CPU in
 * 5 s). Scan again when a process was created (the last pid moved) or
 * memory moved by NOTHING_MEM_MOVE_PCT of MemTotal, but not sooner than
 * NOTHING_RESCAN_MIN_MS after the last scan (a machine that forks threads
 * all the time would scan every tick again), and every NOTHING_RESCAN_MS
 * anyway: an oom_score_adj, a name (exec) or a uid that changed shows in
 * no counter. */
#define NOTHING_RESCAN_MIN_MS 200
#define NOTHING_RESCAN_MS 1000
#define NOTHING_MEM_MOVE_PCT 1

static bool report_due(const struct loop *l, uint64_t now)
{
	return l->cfg->once || (l->cfg->report_ms && now >= l->next_report_ms);
}

/* The sample the decision in force was taken on: the machine's, or in
 * container mode the cgroup's. */
static const struct sample *view(const struct loop *l)
{
	return l->in_cgroup ? &l->cs : &l->s;
}

/* MemAvailable plus free swap in one view (the cgroup's or the machine's),
 * as its last decision counted it. */
static uint64_t view_free_kib(const struct loop *l, bool cgroup)
{
	if (cgroup)
		return l->cs.mi.mem_available_kib + l->cgroup_last.cap.swap_free_kib;
	return l->s.mi.mem_available_kib + l->machine_last.cap.swap_free_kib;
}

/* ... in the view in force. */
static uint64_t free_kib(const struct loop *l)
{
	return view_free_kib(l, l->in_cgroup);
}

/* Inside a container (the watched cgroup is the root of our cgroup
 * namespace), /proc/vmstat's oom_kill is the host's: every other
 * container's kills would read as ours. The watched cgroup's own
 * memory.events oom_kill (its and its descendants' memcg kills) is what
 * oomguard is there to keep at 0. On a host, vmstat and the walk of the
 * tree see every kill, the watched cgroup's included, and name where. */
static bool watch_own_counter(const struct loop *l)
{
	return l->container->on && strcmp(l->container->limit.path, "/") == 0;
}

/* ---- acquire ------------------------------------------------------------- */

/* Container mode: the cgroup's sample on this tick's machine sample, with
 * the cgroup's pressure source (the second) as its own. The machine keeps
 * the first. A cgroup whose files stop reading (removed: a container that
 * stopped) leaves the machine's view alone in force; said once, and once
 * more when they read again. */
static void sample_cgroup(struct loop *l)
{
	int r = sensors_sample_cgroup(&l->sensors, &l->s, &l->cs);

	if (r < 0) {
		if (r != l->cs_error)
			log_err("cgroup %s: its memory files %s; watching the machine alone until "
				"they read again", l->container->limit.path,
				r == -EINVAL ? "are malformed" : strerror(-r));
		l->cs_error = r;
		l->cs_valid = false;
	} else {
		if (l->cs_error)
			log_notice("cgroup %s: its memory files read again",
				   l->container->limit.path);
		l->cs_error = 0;
		l->cs_valid = true;
	}
	if (l->s.n_pressure > 1) {
		l->cs.pressure[0] = l->s.pressure[1];
		l->cs.n_pressure = 1;
		l->s.n_pressure = 1;
	}
}

/* Read one sample into l->s (and l->cs in container mode). Returns 0 or
 * -errno (logged). */
static int loop_sample(struct loop *l, uint64_t now)
{
	const char *bad_key = NULL;
	bool watching = pressure_watching(&l->pressure, now);
	/* vmstat feeds the kernel-OOM watch (every VMSTAT_IDLE_MS is soon
	 * enough to report it) and the refault evidence (needed while a
	 * stall is watched or memory is low). */
	bool want_vmstat = now >= l->next_vmstat_ms || watching || l->last.action != ACTION_NONE;
	int r = sensors_sample(&l->sensors, &l->s, want_vmstat, &bad_key);

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
	l->s.time_ms = now;
	/* With a kernel trigger armed, no stall can reach the threshold
	 * without the trigger firing first: the files are read once it has,
	 * and for the report. */
	r = pressure_read(&l->pressure, &l->s, now, report_due(l, now) || l->s.n_pressure == 0);
	/* A stall seen only now, in this very read (a window just closed at
	 * the threshold; no trigger, or one that has not fired): the
	 * refault counters must be of now too, or the stall's baseline would
	 * be the idle read of up to VMSTAT_IDLE_MS ago, and the refaults of
	 * before the stall would count as its own (decide.c's refault
	 * marks take the counters at the sample's time). */
	if (!want_vmstat && pressure_watching(&l->pressure, now)) {
		sensors_read_vmstat(&l->sensors, &l->s);
		l->next_vmstat_ms = now + VMSTAT_IDLE_MS;
	}
	if (l->container->on)
		sample_cgroup(l);
	return r;
}

/* An idle tick, cheaply: while nothing else is due this tick (report,
 * metrics, the vmstat read, a watched stall) and the lower bound on
 * MemAvailable from sysinfo(2) is above the term floor, memory cannot be at
 * a floor, so neither /proc/meminfo nor a decision is needed. Returns true
 * when the tick is done. */
static bool quick_tick(struct loop *l, uint64_t now)
{
	uint64_t floor_kib = l->machine_last.floors.mem_term_max_kib;

	if (l->cs_valid && l->cgroup_last.floors.mem_term_max_kib > floor_kib)
		floor_kib = l->cgroup_last.floors.mem_term_max_kib;
	l->quick = false;
	if (!l->quick_ok || l->cfg->once || !l->s.sampled || l->machine_last.action != ACTION_NONE ||
	    (l->cs_valid && l->cgroup_last.action != ACTION_NONE) ||
	    pressure_watching(&l->pressure, now) ||
	    (l->cfg->psi_threshold_centi && pressure_needs_polling(&l->pressure)) ||
	    now >= l->next_vmstat_ms || report_due(l, now) ||
	    (l->cfg->metrics_file && now >= l->next_metrics_ms))
		return false;
	if (sensors_quick_available(&l->sensors, &l->quick_available_kib) < 0 ||
	    l->quick_available_kib <= floor_kib ||
	    l->quick_available_kib <= l->warn_max_kib)
		return false;
	l->quick = true;
	return true;
}

/* ---- decide -------------------------------------------------------------- */

/* The totalpages the kernel's killer would score with: RAM + swap for a
 * global OOM, the watched cgroup's limits for its memcg OOM (within). */
static uint64_t loop_totalpages(const struct loop *l, bool within)
{
	const struct container *c = l->container;

	if (within)
		return badness_memcg_totalpages(c->limit.max, c->limit.swap_max,
						l->s.machine.swap_total_kib, c->swappiness,
						l->page_kib);
	return badness_totalpages(l->s.mi.mem_total_kib, l->s.mi.swap_total_kib, l->page_kib);
}

/* Scan every process into sel, ranked against the current totals. For
 * victims (choose), the text the rules match (command line, cgroup) is
 * read and the processes that outlived their SIGKILL are left out; for
 * the top memory users alone, neither. within: only the processes of the
 * watched subtree count (their cgroup is read for that), scored as its
 * memcg OOM killer scores them. Returns scan_each's result. */
static int scan_into(struct loop *l, struct selection *sel, bool choose, bool within)
{
	l->scan.want_cmdline = choose && badness_rules_need_cmdline(l->cfg);
	l->scan.want_cgroup = within || (choose && badness_rules_need_cgroup(l->cfg));
	select_init(sel, l->cfg, l->self, loop_totalpages(l, within), l->page_kib);
	if (choose)
		select_set_skip(sel, &l->act.skip);
	if (within)
		select_set_subtree(sel, l->container->subtree);
	return scan_each(&l->scan, select_visit, sel);
}

static void select_victims(struct loop *l)
{
	int r;

	l->scans++;
	/* The victims of the view in force. */
	r = scan_into(l, &l->sel, true, l->in_cgroup);
	if (r < 0)
		log_err("cannot list processes in %s: %s", l->cfg->procfs_path, strerror(-r));
	log_debug("scan: %u processes, %u candidates, %u vanished, %u malformed",
		  l->scan.stats.processes, l->sel.n_candidates, l->scan.stats.vanished,
		  l->scan.stats.malformed);
}

/* The decision in words, into l->trigger_text (the log line, the kill
 * record, the history and the journal): in container mode it says whose
 * memory it is, as the figures are the cgroup's. */
static void format_trigger(struct loop *l, const struct decision *d)
{
	size_t n;

	report_format_decision(l->trigger_text, sizeof(l->trigger_text), d, view(l), l->cfg);
	n = strlen(l->trigger_text);
	if (l->in_cgroup && n + 1 < sizeof(l->trigger_text))
		snprintf(l->trigger_text + n, sizeof(l->trigger_text) - n, ", in cgroup %.*s",
			 (int)(sizeof(l->trigger_text) - n), l->container->limit.path);
}

/* Decide on the last sample(s) into l->last: the machine's decision, and
 * in container mode the cgroup's, the more urgent in force (see struct
 * loop). Returns l->last. */
static struct decision decide_views(struct loop *l)
{
	l->machine_last = decide_shortage(&l->decide, l->cfg, &l->s);
	l->last = l->machine_last;
	l->in_cgroup = false;
	if (!l->cs_valid)	/* only ever true in container mode */
		return l->last;
	l->cgroup_last = decide_shortage(&l->decide_cg, l->cfg, &l->cs);
	if (l->cgroup_last.action > l->machine_last.action ||
	    (l->cgroup_last.action == ACTION_NONE && l->machine_last.action == ACTION_NONE)) {
		l->last = l->cgroup_last;
		l->in_cgroup = true;
	}
	return l->last;
}

/* act's re-check right before a signal: a fresh sample and decision, which
 * is then the one being carried out. */
static struct decision recheck(void *userdata)
{
	struct loop *l = userdata;
	uint64_t now = clock_now_ms();

	notify_watchdog(&l->notify, now);
	if (loop_sample(l, now) == 0)
		decide_views(l);
	if (l->last.action != ACTION_NONE)
		format_trigger(l, &l->last);
	l->acting = l->last;
	l->acting_in_cgroup = l->in_cgroup;
	l->acting_free_kib = free_kib(l);
	return l->last;
}

/* act's question while a victim is asked to exit after SIGTERM: SIGKILL
 * now? decide_escalation() answers on a fresh decision. */
static enum escalation escalate(void *userdata)
{
	struct loop *l = userdata;
	uint64_t now = clock_now_ms();

	notify_watchdog(&l->notify, now);
	if (loop_sample(l, now) < 0)
		return ESCALATION_NONE;
	decide_views(l);
	return decide_escalation(&l->acting, &l->last, l->cfg->psi_duration_ms);
}

/* ---- history (tell/history.h) ------------------------------------------ */

/* How old the top memory users a kernel-OOM line lists may be. Only low
 * memory makes the loop scan anyway, and a memory-limited cgroup's kill
 * happens while global memory is plentiful, so the history keeps a list of
 * its own: a scan of every process (some 23 us a process: 3 ms for 124,
 * 46 ms for 2,000) at most every TOP_REFRESH_MS, and only when MemAvailable
 * plus free swap moved by TOP_MOVE_PCT of MemTotal since the last one,
 * which is what a process growing towards a kill does; otherwise every
 * TOP_REFRESH_MAX_MS. An idle machine thus scans once a minute. */
#define TOP_REFRESH_MS 10000
#define TOP_REFRESH_MAX_MS 60000
#define TOP_MOVE_PCT 1

/* Open the history at start-up, as root, before privileges are dropped;
 * with --dryrun nothing is written (nor is the directory created). */
static void open_history(struct loop *l)
{
	char boot[40];

	if (l->cfg->dryrun) {
		log_info("dry run: no kill history is written (%s is left alone)", l->cfg->state_dir);
		return;
	}
	history_read_boot_id(l->procfs, boot, sizeof(boot));
	history_open(&l->history, l->cfg->state_dir, boot);
}

static uint64_t history_free_swap_kib(const struct loop *l)
{
	return l->last.cap.swap_free_kib;
}

/* A kill line ended without a signal (the signal failed, the next
 * candidate is tried, or memory came back): its outcome says so. */
static void history_unsignalled(struct loop *l)
{
	const struct history_outcome o = { .exited_ms = -1 };

	if (l->history_kill_seq)
		history_outcome(&l->history, l->history_kill_seq, &o);
	l->history_kill_seq = 0;
}

/* act's call right before the pre-kill hook and the first signal: the
 * kill line, on disk before the signal goes out. */
static void history_pinned(void *userdata, const struct candidate *c,
			   const struct proc_names *names, const struct decision *d, int signal)
{
	struct loop *l = userdata;
	const struct history_kill k = {
		.victim = c,
		.unit = names->unit,
		.cgroup = names->cgroup,
		.reason = d->reason,
		.trigger = l->trigger_text,
		.signal = signal,
		.mem_available_kib = view(l)->mi.mem_available_kib,
		.swap_free_kib = history_free_swap_kib(l),
		.top = l->sel.top_mem,
		.n_top = l->sel.n_top_mem,
	};

	history_unsignalled(l);
	l->history_kill_seq = history_kill(&l->history, &k);
}

/* act's word that the first signal went out: the kill line, written
 * before it, goes to disk now. */
static void history_signalled(void *userdata, int signal)
{
	struct loop *l = userdata;

	(void)signal;
	if (l->history_kill_seq)
		history_flush(&l->history);
}

/* After act_carry_out (and note_kill's fresh sample): the outcome line of
 * the kill line written last, if any. */
static void history_record_outcome(struct loop *l, const struct act_result *res)
{
	const struct kill_outcome *out = &res->outcome;
	struct history_outcome o = {
		.killed = res->status == ACT_KILLED,
		.last_signal = out->last_signal,
		.escalation = decide_escalation_name(out->escalation),
		.exited_ms = out->exited ? (int)out->waited_ms : -1,
		.released = out->released,
		.spared = out->spared,
		.have_gained = res->status == ACT_KILLED,
		.gained_kib = (int64_t)view_free_kib(l, l->acting_in_cgroup) -
			      (int64_t)l->acting_free_kib,
	};

	if (!l->history_kill_seq)
		return;
	if (res->status != ACT_KILLED && res->status != ACT_FAILED) {
		history_unsignalled(l);
		return;
	}
	history_outcome(&l->history, l->history_kill_seq, &o);
	l->history_kill_seq = 0;
}

/* Refresh the top memory users every TOP_REFRESH_MS while the history is
 * on: a scan that reads no cmdline or cgroup. */
static void keep_top_users(struct loop *l, uint64_t now)
{
	uint64_t was = l->top_free_kib, is = free_kib(l);
	uint64_t moved = is > was ? is - was : was - is;

	if (!l->history.on || now < l->next_top_ms)
		return;
	if (moved * 100 < view(l)->mi.mem_total_kib * TOP_MOVE_PCT && l->top_scan_ms &&
	    now - l->top_scan_ms < TOP_REFRESH_MAX_MS)
		return;
	l->next_top_ms = now + TOP_REFRESH_MS;
	l->top_scan_ms = now;
	l->top_free_kib = is;
	/* The users of what the kernel-OOM watch watches: inside a
	 * container its cgroup, on a host the whole machine. */
	if (scan_into(l, &l->top_sel, false, watch_own_counter(l)) < 0)
		l->top_sel.n_top_mem = 0;
}

/* The kernel's killer ran kills times since the last sample: a kernel-oom
 * line with the top users of the last refresh, those gone since marked
 * (the likely victims: same pid and start time no longer there). */
static void history_kernel_oom_event(struct loop *l, const struct kernel_oom_event *ev)
{
	const struct selection *t = &l->top_sel;
	bool gone[SELECT_TOP_MEM] = { false };

	if (!l->history.on)
		return;
	for (unsigned i = 0; i < t->n_top_mem; i++) {
		struct proc_sample now;

		gone[i] = victim_read_stat(&l->act.kill, t->top_mem[i].pid, &now) == -ESRCH ||
			  now.starttime != t->top_mem[i].starttime;
	}
	history_kernel_oom(&l->history, ev, t->top_mem, gone, t->n_top_mem,
			   view(l)->mi.mem_available_kib, history_free_swap_kib(l));
	/* What is left now is the list for the next one. */
	l->next_top_ms = 0;
	l->top_scan_ms = 0;
}

/* ---- tell ---------------------------------------------------------------- */

/* The journal sink, set up at the first record that needs it (stderr is
 * then what it will stay; a test may have set up a fake before). */
static const struct journal_sink *loop_journal(struct loop *l)
{
	if (!l->journal.ready)
		journal_sink_init(&l->journal, l->cfg->use_syslog);
	return &l->journal;
}

/* The kill record goes to the journal with its fields, or else to stderr
 * as one line (journal_kill); the top users follow as a line of their own.
 * Both after the signal: a journal that is slow to take them delays no
 * kill. */
static void log_record(struct loop *l, const struct candidate *c, const struct proc_names *names,
		       const char *verb, const struct decision *d,
		       const struct kill_outcome *out)
{
	struct report_kill k = {
		.victim = c,
		.unit = names->unit,
		.verb = verb,
		.reason = d->reason,
		.signal = out ? out->last_signal : d->action == ACTION_KILL ? SIGKILL : SIGTERM,
		.exited_ms = out && out->exited ? (int)out->waited_ms : -1,
		.released = out && out->released,
		.spared = out ? out->spared : 0,
		.trigger = l->trigger_text,
	};
	char top[1536];

	if (out)
		k.escalation = decide_escalation_name(out->escalation);
	report_format_top(top, sizeof(top), l->sel.top_mem, l->sel.n_top_mem);
	journal_kill(loop_journal(l), &k, names->cgroup, top);
	log_notice("%s", top);
}

static void maybe_report(struct loop *l, uint64_t now)
{
	char line[768];

	if (!report_due(l, now))
		return;
	l->next_report_ms = now + l->cfg->report_ms;
	log_info("%s", report_format_memory(line, sizeof(line), &l->s, &l->machine_last));
	if (l->cs_valid)
		log_info("cgroup %s: %s", l->container->limit.path,
			 report_format_memory(line, sizeof(line), &l->cs, &l->cgroup_last));
}

static void maybe_write_metrics(struct loop *l, uint64_t now)
{
	/* ~3 KiB of text today; 8 KiB leaves room. */
	static char buf[8192];
	uint64_t every = l->cfg->report_ms;
	long n;
	int r;

	if (!l->cfg->metrics_file || now < l->next_metrics_ms)
		return;
	if (every == 0 || every > METRICS_MAX_INTERVAL_MS)
		every = METRICS_MAX_INTERVAL_MS;
	l->next_metrics_ms = now + every;
	/* Opened at the first write, as the user oomguard runs as (after
	 * main's --user switch): its directory is checked against that
	 * user, the one that writes there. */
	if (!l->metrics.path)
		metrics_open(&l->metrics, l->cfg->metrics_file);
	/* The machine's figures: the gauges mean the same in every mode. */
	n = metrics_format(buf, sizeof(buf), &l->s, &l->machine_last.cap, &l->metrics);
	r = n < 0 ? (int)n : metrics_write(&l->metrics, buf, (size_t)n);
	if (r < 0)
		log_warn("--metrics-file %s: %s", l->cfg->metrics_file, strerror(-r));
}

/* The kernel's own OOM killer ran: it should never, since we act first.
 * Say so loudly; the operator may want to plan a reboot. */
/* Where the kernel's killer struck since the last walk of the cgroup tree,
 * in words: "globally (the machine ran out of memory)", "inside the
 * memory-limited cgroup /box (1 kill)", both, or unknown without a tree. */
static void describe_kernel_oom(char *buf, size_t len, const struct kernel_oom_event *ev)
{
	size_t o = 0;
	int n;

	if (!ev->cgroups_known) {
		snprintf(buf, len, "globally or inside a memory-limited cgroup (no cgroup v2 tree "
			 "to tell which)");
		return;
	}
	buf[0] = '\0';
	if (ev->global_kills) {
		n = snprintf(buf, len, "%llu globally (the machine ran out of memory)",
			     (unsigned long long)ev->global_kills);
		o = n > 0 && (size_t)n < len ? (size_t)n : len - 1;
	}
	for (unsigned i = 0; i < ev->n_cgroups && o + 1 < len; i++) {
		char path[MEMCG_PATH_MAX * 4 + 1];

		n = snprintf(buf + o, len - o, "%s%llu inside the memory-limited cgroup %s",
			     o ? ", " : "", (unsigned long long)ev->cgroup[i].kills,
			     log_escape(path, sizeof(path), ev->cgroup[i].path));
		o += n > 0 && (size_t)n < len - o ? (size_t)n : len - 1 - o;
	}
}

/* The kernel's own OOM killer ran: it should never, since we act first.
 * Say so loudly, with where it struck (a memory-limited cgroup's kill is
 * one no system-wide view can prevent), in the log or journal, the history
 * and the hook; the operator may want to plan a reboot. */
static void report_kernel_oom(struct loop *l, const struct kernel_oom_event *ev)
{
	/* The counter that moved: the watched cgroup's in container mode. */
	uint64_t count = watch_own_counter(l) ? l->last_cgroup_oom_kill : l->s.vm.oom_kill;
	char where[512], counter[160], line[900];

	describe_kernel_oom(where, sizeof(where), ev);
	snprintf(counter, sizeof(counter), "oom_kill in %s is now %llu",
		 watch_own_counter(l) ? "the memory.events of the watched cgroup" : "/proc/vmstat",
		 (unsigned long long)count);
	snprintf(line, sizeof(line),
		 "the kernel's OOM killer ran %llu time(s) (%s): %s; check the kernel log (dmesg) "
		 "for what it killed", (unsigned long long)ev->kills, counter, where);
	journal_kernel_oom(loop_journal(l), line, ev, count);
	history_kernel_oom_event(l, ev);
	/* Also in --dryrun: this reports what the kernel did, not a kill of
	 * ours. */
	if (l->cfg->kernel_oom_hook) {
		struct hook_info info = {
			.event = HOOK_KERNEL_OOM,
			.reason = decide_reason_name(REASON_KERNEL_OOM),
			.cgroup = ev->n_cgroups ? ev->cgroup[0].path : NULL,
		};

		hook_run(&l->hooks, l->cfg->kernel_oom_hook, &info, NULL);
	}
}

/* The watched cgroup's memory.events oom_kill, when watch_own_counter(). */
static void watch_cgroup_oom(struct loop *l)
{
	uint64_t kills, before = l->last_cgroup_oom_kill;
	bool had = l->have_cgroup_oom_kill;

	if (sensors_memcg_oom_kill(&l->sensors, &kills) < 0)
		return;
	/* The report says the counter as it is now. */
	l->last_cgroup_oom_kill = kills;
	l->have_cgroup_oom_kill = true;
	if (had && kills > before) {
		struct kernel_oom_event ev = { .kills = kills - before, .cgroups_known = true,
					       .n_cgroups = 1 };

		snprintf(ev.cgroup[0].path, sizeof(ev.cgroup[0].path), "%.*s",
			 (int)sizeof(ev.cgroup[0].path) - 1, l->container->limit.path);
		ev.cgroup[0].kills = ev.kills;
		report_kernel_oom(l, &ev);
	}
}

/* Watch /proc/vmstat's oom_kill; when it moved, walk the cgroup tree to
 * tell global kills from memory-cgroup ones. In container mode, the
 * watched cgroup's own counter instead. */
static void watch_kernel_oom(struct loop *l)
{
	if (watch_own_counter(l)) {
		watch_cgroup_oom(l);
		return;
	}
	if (!l->s.have_vmstat || !l->s.vm.have_oom_kill)
		return;
	if (l->have_oom_kill && l->s.vm.oom_kill > l->last_oom_kill) {
		uint64_t kills = l->s.vm.oom_kill - l->last_oom_kill;
		/* A kill that the last walk saw before vmstat did was told
		 * then. */
		uint64_t told = l->oom_told_ahead < kills ? l->oom_told_ahead : kills;
		struct kernel_oom_event ev;

		kills -= told;
		l->oom_told_ahead -= told;
		oomwatch_walk(l->cgroupfs->root_fd, &l->oom_walk);
		memevents_diff(&l->oom_cgroups, &l->oom_walk, kills, &ev);
		l->oom_told_ahead += ev.kills - kills;
		l->oom_cgroups = l->oom_walk;
		if (ev.kills)
			report_kernel_oom(l, &ev);
	}
	l->last_oom_kill = l->s.vm.oom_kill;
	l->have_oom_kill = true;
}

/* ---- warn ---------------------------------------------------------------- */

/* The sample's figures for the warning hook. */
static void warn_figures(const struct loop *l, const struct decision *d, struct hook_figures *f)
{
	const struct sample *s = view(l);
	const struct pressure_reading *rd = s->n_pressure ? &s->pressure[0] : NULL;

	memset(f, 0, sizeof(*f));
	f->mem_total_kib = s->mi.mem_total_kib;
	f->mem_available_kib = s->mi.mem_available_kib;
	f->swap_total_kib = d->cap.swap_total_kib;
	f->swap_free_kib = d->cap.swap_free_kib;
	f->have_psi = rd && rd->valid && rd->have_window;
	if (f->have_psi) {
		f->psi_some_centi = rd->some_centi;
		f->psi_full_centi = rd->full_centi;
	}
}

/* Memory is running out and no kill is due yet: say so once per episode
 * (decide/warn.c), with the figures and the process that would be killed
 * first (a scan, as shortage() makes one: cheap once an episode), and run
 * --warn-hook. In --dryrun too: a warning sends no signal. A tick whose
 * decision acts does no warning work (warn_check returns at once). */
static void maybe_warn(struct loop *l, const struct decision *d, uint64_t now)
{
	const struct sample *s = view(l);
	struct warn_verdict v = warn_check(&l->warn, l->cfg, s, d, now);
	struct hook_figures fig;
	struct hook_info info = { .event = HOOK_WARNING, .figures = &fig };
	const struct candidate *c = NULL;
	struct proc_names names = { .unit = "" };
	char why[256], now_text[768], victim[1024], name[PIDINFO_COMM_MAX * 4 + 1];
	char unit[REPORT_UNIT_ESCAPED + 2];
	char line[sizeof(why) + sizeof(victim) + sizeof(now_text) + 64];

	l->warn_max_kib = warn_mem_max_kib(l->cfg, &d->floors, s->mi.mem_total_kib);
	if (!v.warn)
		return;
	warn_describe(why, sizeof(why), &v, s, d, l->cfg);
	report_format_memory(now_text, sizeof(now_text), s, d);
	select_victims(l);
	snprintf(victim, sizeof(victim), "no process may be killed (all are protected or ignored)");
	if (l->sel.n_best > 0) {
		c = &l->sel.best[0];
		scan_read_names(&l->scan, c->proc.pid, &names);
		snprintf(victim, sizeof(victim), "would kill first pid=%d name=\"%s\" uid=%u unit=%s "
			 "oom_score=%ld rss_kib=%llu swap_kib=%llu", (int)c->proc.pid,
			 log_escape(name, sizeof(name), c->proc.comm), (unsigned)c->proc.uid,
			 report_format_unit(unit, sizeof(unit), names.unit),
			 c->kernel_score, (unsigned long long)c->proc.rss_kib,
			 (unsigned long long)c->proc.swap_kib);
	}
	snprintf(line, sizeof(line), "memory is running out%s%.*s: reason=%s %s; %s; now %s",
		 l->in_cgroup ? " in cgroup " : "", l->in_cgroup ? 256 : 0,
		 l->in_cgroup ? l->container->limit.path : "", decide_reason_name(v.reason), why,
		 victim, now_text);
	journal_warning(loop_journal(l), &(struct journal_warning_info){
		.message = line, .reason = v.reason, .trigger = why,
		.mem_available_kib = s->mi.mem_available_kib, .swap_free_kib = d->cap.swap_free_kib,
		.first = c, .unit = names.unit, .cgroup = names.cgroup });
	metrics_count_warning(&l->metrics, v.reason);
	history_warning(&l->history, v.reason, s->mi.mem_available_kib, d->cap.swap_free_kib,
			c ? c->proc.pid : 0, c ? c->proc.comm : NULL);
	if (!l->cfg->warn_hook)
		return;
	warn_figures(l, d, &fig);
	info.reason = decide_reason_name(v.reason);
	if (c) {
		info.victim = &c->proc;
		info.cgroup = names.cgroup[0] ? names.cgroup : NULL;
		info.cmdline = names.cmdline[0] ? names.cmdline : NULL;
		info.oom_score = c->kernel_score;
	}
	hook_run(&l->hooks, l->cfg->warn_hook, &info, NULL);
}

/* ---- act ----------------------------------------------------------------- */

static void dryrun(struct loop *l, const struct decision *d, uint64_t now)
{
	const struct candidate *c = &l->sel.best[0];
	struct proc_names names;

	if (c->proc.pid == l->dryrun_last_pid && now < l->dryrun_quiet_until_ms)
		return;
	l->dryrun_last_pid = c->proc.pid;
	l->dryrun_quiet_until_ms = now + DRYRUN_REPEAT_MS;
	scan_read_names(&l->scan, c->proc.pid, &names);
	log_record(l, c, &names, "would kill", d, NULL);
}

/* Did the kill give memory back? What MemAvailable plus free swap gained
 * from right before the signal to now, the victim gone, against what the
 * victim held; kills that keep giving nothing back make the decision hold
 * off (decide_note_kill). */
static void note_kill(struct loop *l, const struct candidate *victim)
{
	uint64_t now = clock_now_ms();
	uint64_t held = victim->proc.rss_kib + victim->proc.swap_kib;
	int64_t gained;

	if (loop_sample(l, now) < 0)
		return;
	decide_views(l);
	/* In the view the kill was made in, and so is the backoff. */
	gained = (int64_t)view_free_kib(l, l->acting_in_cgroup) - (int64_t)l->acting_free_kib;
	if (decide_note_kill(l->acting_in_cgroup ? &l->decide_cg : &l->decide, held, gained, now))
		log_err("%u kills in a row gave back less than %u%% of what their victims held (RAM "
			"held by tmpfs, shm or the kernel, which no kill frees?): oomguard holds off "
			"for %u s; the kernel's OOM killer is still there", DECIDE_FUTILE_KILLS,
			DECIDE_KILL_GAIN_MIN_PCT, DECIDE_BACKOFF_MS / 1000);
}

/* The scan found nothing to kill at now: remember what it saw. */
static void note_nothing_to_kill(struct loop *l, uint64_t now)
{
	l->nothing_to_kill = true;
	l->nothing_scan_ms = now;
	l->nothing_free_kib = free_kib(l);
	l->nothing_have_pid = sensors_last_pid(&l->sensors, &l->nothing_last_pid) == 0;
}

/* Is a scan due at now? Always, unless the last one found nothing to kill:
 * then only once something changed (see NOTHING_RESCAN_MS). */
static bool rescan_due(struct loop *l, uint64_t now)
{
	uint64_t was = l->nothing_free_kib, is = free_kib(l);
	long pid;
	bool have_pid;

	if (!l->nothing_to_kill || now < l->nothing_scan_ms ||
	    now - l->nothing_scan_ms >= NOTHING_RESCAN_MS)
		return true;
	if (now - l->nothing_scan_ms < NOTHING_RESCAN_MIN_MS)
		return false;
	if ((is > was ? is - was : was - is) * 100 >=
	    view(l)->mi.mem_total_kib * NOTHING_MEM_MOVE_PCT)
		return true;
	have_pid = sensors_last_pid(&l->sensors, &pid) == 0;
	return have_pid != l->nothing_have_pid || (have_pid && pid != l->nothing_last_pid);
}

/* Every candidate refused the signal (EPERM): back off, and say once what
 * is missing. */
static void refused(struct loop *l, uint64_t now)
{
	if (l->refused_backoff_ms == 0)
		l->refused_backoff_ms = REFUSED_BACKOFF_MIN_MS;
	else if (l->refused_backoff_ms < REFUSED_BACKOFF_MAX_MS / 2)
		l->refused_backoff_ms *= 2;
	else
		l->refused_backoff_ms = REFUSED_BACKOFF_MAX_MS;
	l->refused_until_ms = now + l->refused_backoff_ms;
	if (!l->told_refused)
		log_err("no candidate could be killed: every one refused the signal (EPERM); "
			"signalling other users' processes needs CAP_KILL: run oomguard as root or "
			"under its systemd unit, which grants it. Trying again in %u s, then less "
			"often (every %u s at most)", l->refused_backoff_ms / 1000,
			REFUSED_BACKOFF_MAX_MS / 1000);
	else
		log_debug("no candidate could be killed (EPERM); next try in %u ms",
			  l->refused_backoff_ms);
	l->told_refused = true;
}

/* Carry out a shortage: choose, then kill (or say whom, with --dryrun),
 * then record what happened. */
static void shortage(struct loop *l, const struct decision *d, uint64_t now)
{
	const struct act_callbacks cb = { .recheck = recheck, .escalate = escalate,
					  .pinned = history_pinned, .signalled = history_signalled,
					  .userdata = l };
	struct act_result res;

	if (!rescan_due(l, now))
		return;
	select_victims(l);
	if (l->sel.n_best == 0) {
		if (!l->warned_no_candidate)
			log_warn("low memory but no process may be killed (all are protected or ignored)");
		l->warned_no_candidate = true;
		note_nothing_to_kill(l, now);
		return;
	}
	l->warned_no_candidate = false;
	l->nothing_to_kill = false;
	if (l->cfg->dryrun) {
		dryrun(l, d, now);
		return;
	}
	act_carry_out(&l->act, d, l->sel.best, l->sel.n_best, &cb, &res);
	if (res.status != ACT_KILLED && res.status != ACT_FAILED)
		history_record_outcome(l, &res);
	switch (res.status) {
	case ACT_RECOVERED:
		log_notice("%s before the kill; nothing killed",
			   d->reason == REASON_PRESSURE ? "the stall ended" : "memory recovered");
		return;
	case ACT_NO_VICTIM:
		if (res.error == -EPERM)
			refused(l, now);
		else
			log_err("no candidate could be killed");
		return;
	case ACT_KILLED:
	case ACT_FAILED:
		break;
	}
	l->refused_backoff_ms = 0;
	log_record(l, res.victim, &res.names, res.status == ACT_KILLED ? "killed" : "failed to kill",
		   &res.decision, &res.outcome);
	metrics_count_kill(&l->metrics, res.decision.reason, res.outcome.last_signal,
			   res.outcome.escalation != ESCALATION_NONE);
	/* One stall, one victim: a second pressure kill needs a stall seen
	 * anew, from after this victim is gone. */
	pressure_restart(&l->pressure);
	if (res.status == ACT_KILLED)
		note_kill(l, res.victim);
	history_record_outcome(l, &res);
}

int loop_tick(struct loop *l, uint64_t now)
{
	enum action before = l->last.action;
	enum reason reason_before = l->last.reason;
	bool held_before = l->last.held;
	struct decision d;
	int r;

	if (hook_running(&l->hooks))
		hook_reap(&l->hooks);
	if (quick_tick(l, now)) {
		notify_watchdog(&l->notify, now);
		return 0;
	}
	r = loop_sample(l, now);
	if (r < 0)
		return r;
	watch_kernel_oom(l);
	keep_top_users(l, now);
	d = decide_views(l);
	maybe_report(l, now);
	maybe_write_metrics(l, now);
	notify_watchdog(&l->notify, now);
	maybe_warn(l, &d, now);

	if (d.action == ACTION_NONE) {
		if (l->cfg->once)
			log_info("nothing to do: memory is above the floors");
		return 0;
	}
	format_trigger(l, &d);
	if (d.action != before || d.reason != reason_before || d.held != held_before)
		log_warn("low memory: %s: %s %s", l->trigger_text,
			 d.held ? "holding off (the last kills gave no memory back), not sending"
				: l->cfg->dryrun ? "would send" : "sending",
			 policy_action_name(d.action));
	if (d.held || now < l->refused_until_ms)
		return 0;
	shortage(l, &d, now);
	return 0;
}

static unsigned min_unsigned(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* How soon one view wants the next tick, from how near its floors are. */
static unsigned view_interval_ms(const struct sample *s, const struct decision *d)
{
	return policy_interval_ms(&d->floors, s->mi.mem_available_kib, d->cap.swap_total_kib,
				  d->cap.swap_free_kib);
}

void loop_wait(struct loop *l, uint64_t now)
{
	struct pollfd fds[PRESSURE_MAX_SOURCES];
	unsigned interval, n;
	int ready;

	if (l->quick) {
		/* Only the memory headroom is known (a lower bound); assume no
		 * swap headroom, which can only shorten the sleep. */
		interval = policy_interval_ms(&l->machine_last.floors, l->quick_available_kib, 0, 0);
		if (l->cs_valid)
			interval = min_unsigned(interval, policy_interval_ms(&l->cgroup_last.floors,
									     l->quick_available_kib, 0, 0));
	} else {
		interval = view_interval_ms(&l->s, &l->machine_last);
		if (l->cs_valid)
			interval = min_unsigned(interval, view_interval_ms(&l->cs, &l->cgroup_last));
	}
	if (pressure_watching(&l->pressure, now) && interval > WATCH_POLL_MS)
		interval = WATCH_POLL_MS;
	l->metrics.interval_ms = interval;
	n = pressure_pollfds(&l->pressure, fds, PRESSURE_MAX_SOURCES);
	ready = poll(fds, n, (int)interval);
	if (ready > 0)
		pressure_events(&l->pressure, fds, n, clock_now_ms());
}

static void log_setup_lines(struct loop *l)
{
	char line[256];

	if (!kill_have_pidfd())
		log_warn("this kernel has no pidfd_open (Linux < 5.3): signalling by pid with kill(2), "
			 "which can hit a reused pid in a narrow race");
	if (l->cfg->kill_cgroup && kill_check_cgroup(&l->act.kill) < 0)
		log_warn("--kill-cgroup: no cgroup v2 hierarchy or own cgroup unknown; "
			 "killing single processes instead");
	if (!kill_have_mrelease())
		log_info("this kernel has no process_mrelease (Linux < 5.15): a killed process frees "
			 "its memory as it exits");
	for (unsigned i = 0; i < l->pressure.n; i++)
		log_info("%s", pressure_describe(&l->pressure, i, line, sizeof(line)));
}

int loop_open(struct loop *l, const struct config *cfg, const struct procfs *procfs,
	      const struct cgroupfs *cgroupfs, const struct container *container)
{
	int r;

	memset(l, 0, sizeof(*l));
	history_init(&l->history);
	l->cfg = cfg;
	l->procfs = procfs;
	l->cgroupfs = cgroupfs;
	l->container = container;
	l->self = getpid();
	l->page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);
	l->notify.fd = -1;
	l->hooks.timeout_ms = HOOK_TIMEOUT_MS;
	l->scan.dir_fd = -1;
	l->act.cfg = cfg;
	l->act.hooks = &l->hooks;
	l->act.scan = &l->scan;
	sensors_init(&l->sensors);
	pressure_init(&l->pressure);
	decide_init(&l->decide, l->page_kib);
	decide_init(&l->decide_cg, l->page_kib);
	warn_init(&l->warn);
	/* sysinfo(2) describes this machine, not a tree given with --procfs. */
	l->quick_ok = procfs_check_live(procfs) == 0;

	r = sensors_open(&l->sensors, procfs, cfg->sysfs_path);
	if (r < 0) {
		log_err("%s/meminfo: %s", cfg->procfs_path, strerror(-r));
		return r;
	}
	r = scan_open(&l->scan, procfs);
	if (r < 0) {
		log_err("cannot list processes in %s: %s", cfg->procfs_path, strerror(-r));
		return r;
	}
	if (container->on) {
		r = sensors_open_memcg(&l->sensors, cgroupfs, container->limit.path,
				       container->limit.swap_path);
		if (r < 0) {
			log_err("cgroup %s: cannot open its memory files: %s", container->limit.path,
				strerror(-r));
			return r;
		}
	}
	kill_init(&l->act.kill, procfs, cgroupfs);
	/* Which cgroups had OOM kills before we started: a kernel kill is
	 * placed by what grew since. */
	if (!watch_own_counter(l))
		oomwatch_walk(cgroupfs->root_fd, &l->oom_cgroups);
	if (cfg->pre_kill)
		hook_check(cfg->pre_kill, "--pre-kill");
	if (cfg->post_kill)
		hook_check(cfg->post_kill, "--post-kill");
	if (cfg->kernel_oom_hook)
		hook_check(cfg->kernel_oom_hook, "--kernel-oom-hook");
	if (cfg->warn_hook)
		hook_check(cfg->warn_hook, "--warn-hook");
	/* Hooks exec as our uid; as root they must not regain capabilities
	 * once ours are dropped. Needs CAP_SETPCAP, so before caps_drop. */
	if ((cfg->pre_kill || cfg->post_kill || cfg->kernel_oom_hook || cfg->warn_hook) &&
	    getuid() == 0)
		hook_lock_noroot();
	r = notify_open(&l->notify);
	if (r < 0)
		log_warn("NOTIFY_SOCKET: %s; systemd will not hear that oomguard is ready",
			 strerror(-r));
	/* The trigger needs CAP_SYS_RESOURCE for a 1 s window: now, before
	 * privileges are dropped. */
	/* The system's source first: sample_cgroup() hands the second, the
	 * cgroup's, to the cgroup's sample. */
	pressure_open_system(&l->pressure, procfs, cfg);
	if (container->on)
		pressure_open_cgroup(&l->pressure, cgroupfs, container->limit.path, cfg);
	log_setup_lines(l);
	open_history(l);
	return 0;
}

/* Say once how zram is counted, as soon as the first sample shows it. */
static void log_first_sample(struct loop *l)
{
	char line[256];

	if (*report_format_zram(line, sizeof(line), &l->machine_last.cap))
		log_info("%s; its pages live in RAM, so it counts for what RAM can still hold",
			 line);
}

int loop_run(struct loop *l, volatile sig_atomic_t *stop)
{
	unsigned failures = 0;
	bool first = true;
	int r = 0;

	notify_send(&l->notify, "READY=1");
	while (!*stop) {
		uint64_t now = clock_now_ms();

		r = loop_tick(l, now);
		/* One unreadable sample is skipped (already logged); meminfo
		 * that stays unreadable, or is so from the start, ends the
		 * daemon so that its supervisor sees it. */
		if (r < 0 && (l->cfg->once || !l->s.sampled || ++failures >= LOOP_MAX_FAILURES))
			break;
		if (r == 0) {
			failures = 0;
			if (first)
				log_first_sample(l);
			first = false;
		}
		if (l->cfg->once)
			break;
		loop_wait(l, now);
	}
	notify_send(&l->notify, "STOPPING=1");
	return r;
}

void loop_close(struct loop *l)
{
	history_close(&l->history);
	metrics_close(&l->metrics);
	pressure_close(&l->pressure);
	notify_close(&l->notify);
	scan_close(&l->scan);
	sensors_close(&l->sensors);
}
