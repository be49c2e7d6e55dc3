/* Carrying a decision out. For each candidate, best first: ask the loop
 * for a fresh decision right before the signal (memory may have come back,
 * or the kill floor been crossed, while the scan ran), run the pre-kill
 * hook, kill through kill.c, and on success the post-kill hook; a candidate
 * that cannot be signalled (gone, EPERM) gives way to the next, and so does
 * one that the policy protects now (it exec'd since the scan: decide's
 * badness_protected, asked again on what the pinned victim is). It decides
 * nothing itself: the decision and the candidates come in, what happened
 * goes out, and the loop writes the record. */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "act/hook.h"
#include "act/kill.h"
#include "acquire/scan.h"
#include "parse/config.h"
#include "types.h"

struct act {
	const struct config *cfg;
	struct kill_ctx kill;
	struct hooks *hooks;		/* the loop's: it reaps them */
	struct scan *scan;		/* the loop's: for the victim's unit and cgroup */
	/* Victims sent SIGKILL that did not exit: the loop hands it to the
	 * selection (select_set_skip), act fills and prunes it. */
	struct skip_set skip;
	/* The victim's status, re-read right before the signal (the
	 * policy's uid): sized as the scan's. */
	char status_buf[SCAN_STATUS_SIZE];
	/* A test seam: NULL is kill_execute. */
	int (*kill_fn)(const struct kill_ctx *ctx, const struct kill_request *req,
		       struct kill_outcome *out);
};

/* What act asks of the loop, which alone may sample and decide. */
struct act_callbacks {
	/* A fresh sample and decision, right before a signal. */
	struct decision (*recheck)(void *userdata);
	/* While a victim is asked to exit after SIGTERM: anything but
	 * ESCALATION_NONE sends SIGKILL at once (see kill_request). */
	enum escalation (*escalate)(void *userdata);
	/* The victim is pinned, its identity checked and the policy asked
	 * again: called right before the pre-kill hook and the first signal
	 * (signal), with its names and the decision carried out, so that the
	 * loop can record the kill before it happens. NULL: not called. */
	void (*pinned)(void *userdata, const struct candidate *c, const struct proc_names *names,
		       const struct decision *d, int signal);
	/* The first signal went out (after the words of pinned: the loop
	 * flushes its record then, so that a slow disk never delays the
	 * signal). NULL: not called. */
	void (*signalled)(void *userdata, int signal);
	void *userdata;
};

/* kill_execute's return (through before_signal) for a victim that the
 * policy protects by now: it is left alone and the next one tried. */
#define ACT_PROTECTED (-ECANCELED)

enum act_status {
	ACT_KILLED,		/* a victim was signalled and is gone */
	ACT_FAILED,		/* signalled, but it did not go (or an error) */
	ACT_RECOVERED,		/* the re-check found nothing to do any more */
	ACT_NO_VICTIM,		/* every candidate refused the signal or vanished */
};

struct act_result {
	enum act_status status;
	const struct candidate *victim;	/* for ACT_KILLED and ACT_FAILED */
	struct decision decision;	/* the decision as re-checked before the signal */
	struct kill_outcome outcome;
	int error;			/* kill_execute's return for ACT_FAILED; for
					 * ACT_NO_VICTIM -EPERM when a candidate refused
					 * the signal with EPERM (the others vanished or
					 * refused too), else 0 */
	struct proc_names names;	/* the victim's unit and cgroup */
};

/* Carry out decision d (ACTION_TERM or ACTION_KILL) on candidates[0..n),
 * best first. A victim sent SIGKILL that is still there after
 * KILL_FINAL_WAIT_MS (ACT_FAILED, -ETIMEDOUT) goes into a->skip, and
 * entries of processes gone since drop out of it. Returns nothing; *res
 * says what happened. */
void act_carry_out(struct act *a, const struct decision *d, const struct candidate *candidates,
		   unsigned n, const struct act_callbacks *cb, struct act_result *res);
