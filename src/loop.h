/* The daemon loop: sample (acquire), decide, act, tell, sleep. The one
 * place that knows the order of the stages; each tick runs them once. The
 * caller owns struct loop: it holds ~200 KiB of fixed buffers, so give it
 * static storage. Tests run ticks on fixture trees through the same calls. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "act/act.h"
#include "act/hook.h"
#include "acquire/cgroupfs.h"
#include "acquire/container.h"
#include "acquire/pressure.h"
#include "acquire/procfs.h"
#include "acquire/scan.h"
#include "acquire/sensors.h"
#include "decide/decide.h"
#include "decide/select.h"
#include "decide/warn.h"
#include "parse/config.h"
#include "tell/history.h"
#include "tell/journal.h"
#include "tell/metrics.h"
#include "tell/notify.h"
#include "types.h"

struct loop {
	const struct config *cfg;
	const struct procfs *procfs;
	const struct cgroupfs *cgroupfs;	/* the cgroup2 root; root_fd -1: none */
	const struct container *container;	/* the memory view (container mode) */
	struct sensors sensors;
	struct pressure pressure;
	struct scan scan;
	struct selection sel;
	struct decide_state decide;
	struct warn_state warn;		/* the warning before a kill (maybe_warn) */
	uint64_t warn_max_kib;		/* warn_mem_max_kib() at the last sample */
	struct act act;
	struct hooks hooks;
	struct notify notify;
	struct metrics metrics;
	struct journal_sink journal;	/* set up at the first record (loop.c loop_journal) */
	struct sample s;		/* the last sample: the machine's */
	struct decision last;		/* the last decision, in force (of view(l)) */
	/* Container mode decides twice, on the machine's sample and on the
	 * watched cgroup's (cs: its view of memory and its pressure source),
	 * and the more urgent decision is in force: the cgroup's limit may
	 * bind first, or the machine may run out through processes outside
	 * the cgroup. in_cgroup says which one l->last is; on a tie the
	 * machine's acts (its victims include the cgroup's), and while
	 * neither acts the cgroup's is the one reported and warned about. */
	struct decision machine_last;	/* the machine's decision, this tick */
	struct sample cs;		/* the cgroup's sample; cs_valid false: unread */
	bool cs_valid;
	int cs_error;			/* the cgroup's files failing: said once */
	struct decide_state decide_cg;
	struct decision cgroup_last;	/* the cgroup's decision, this tick */
	bool in_cgroup;			/* l->last is the cgroup's */
	bool acting_in_cgroup;		/* so is l->acting */
	struct decision acting;		/* the one being carried out (act's re-check) */
	uint64_t acting_free_kib;	/* MemAvailable + free swap right before its signal */
	uint64_t last_oom_kill;
	bool have_oom_kill;
	uint64_t last_cgroup_oom_kill;	/* container mode: memory.events oom_kill */
	bool have_cgroup_oom_kill;
	bool warned_no_candidate;
	uint64_t refused_until_ms;	/* every candidate refused (EPERM): not before then */
	unsigned refused_backoff_ms;	/* the wait after the last refusal; 0: none */
	bool told_refused;		/* what is missing was said */
	/* The last scan found nothing to kill: what it saw (see rescan_due). */
	bool nothing_to_kill;
	bool nothing_have_pid;
	long nothing_last_pid;		/* /proc/loadavg's last pid then */
	uint64_t nothing_scan_ms;
	uint64_t nothing_free_kib;	/* MemAvailable + free swap then */
	unsigned long scans;		/* process scans run (tests, benchmark) */
	uint64_t next_report_ms;
	uint64_t next_vmstat_ms;
	uint64_t next_metrics_ms;
	bool quick_ok;			/* live procfs: sysinfo describes it */
	bool quick;			/* this tick used the quick lower bound */
	uint64_t quick_available_kib;
	uint64_t dryrun_quiet_until_ms;
	pid_t dryrun_last_pid;
	unsigned page_kib;
	pid_t self;
	char trigger_text[512];		/* the decision in words (report_format_decision) */
	/* The kill history (tell/history.h): off with --dryrun or when the
	 * state directory cannot be used. */
	struct history history;
	/* The memory-limited cgroups that had OOM kills, at the last walk
	 * (acquire/oomwatch.h), a scratch table for the next, and kills the
	 * walk saw before /proc/vmstat did (told already). */
	struct memcg_oom_table oom_cgroups;
	struct memcg_oom_table oom_walk;
	uint64_t oom_told_ahead;
	uint64_t history_kill_seq;	/* the kill line whose outcome is due; 0: none */
	/* The top memory users at the last refresh (at most every
	 * TOP_REFRESH_MS while the history is on), for a kernel-OOM line:
	 * the kernel's victim was among them. */
	struct selection top_sel;
	uint64_t next_top_ms;
	uint64_t top_scan_ms;		/* when it was last refreshed; 0: never */
	uint64_t top_free_kib;		/* MemAvailable + free swap then */
};

/* Open every descriptor the loop keeps (meminfo, vmstat, swaps, zram, the
 * pressure sources and their triggers, the process directory; in
 * container mode the watched cgroup's files): all that may need privilege,
 * so call it before dropping capabilities. procfs, cgroupfs (opened or
 * not) and container (acquire/container.h's choice) are borrowed and must
 * outlive the loop. Returns 0 or -errno (already logged). */
int loop_open(struct loop *l, const struct config *cfg, const struct procfs *procfs,
	      const struct cgroupfs *cgroupfs, const struct container *container);

/* One tick at now_ms: sample, watch the kernel's killer, decide, report,
 * warn that memory is running out (once per episode, when no kill is due),
 * and carry out a shortage (or with --dryrun say whom it would kill).
 * Returns 0, or -errno when memory could not be read (already logged). */
int loop_tick(struct loop *l, uint64_t now_ms);

/* Sleep until the next tick is due or a pressure trigger fires. */
void loop_wait(struct loop *l, uint64_t now_ms);

/* Run ticks until *stop is set (or once with --once). Returns 0 on a clean
 * stop, or -errno when memory can no longer be read. */
int loop_run(struct loop *l, volatile sig_atomic_t *stop);

/* Close what loop_open opened; safe after a failed loop_open. */
void loop_close(struct loop *l);
