/* The daemon loop's state, shared by loop.c (sample, decide, sleep) and
 * act.c (select, kill, record). Private to those two files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "parse/config.h"
#include "act/hook.h"
#include "act/kill.h"
#include "tell/metrics.h"
#include "tell/notify.h"
#include "decide/policy.h"
#include "acquire/procfs.h"
#include "acquire/scan.h"
#include "decide/select.h"
#include "acquire/sensors.h"
#include "acquire/trigger.h"

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
	bool quick_ok;			/* live procfs: sysinfo describes it */
	bool quick;			/* this tick used the quick lower bound */
	uint64_t quick_available_kib;
	uint64_t fast_poll_until_ms;
	uint64_t dryrun_quiet_until_ms;
	pid_t dryrun_last_pid;
	unsigned page_kib;
	pid_t self;
	char trigger_text[256];
};

/* Read one sample into l->s and recompute l->floors. Returns 0 or -errno
 * (logged). */
int loop_sample(struct loop *l);

/* Write the trigger text (l->trigger_text) for a floor crossing. */
void act_describe_floors(struct loop *l, enum policy_action action);

/* Write the trigger text for a pressure kill. */
void act_describe_pressure(struct loop *l);

/* Select and kill (or, with --dryrun, say whom it would kill) for action,
 * trying the next candidate when one cannot be signalled. */
void act_on_shortage(struct loop *l, enum policy_action action, bool by_pressure);
