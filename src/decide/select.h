/* Victim selection over one scan: keeps the best few candidates (so a
 * failed kill can move to the next without rescanning) and the biggest
 * memory users (for the kill record). Pure: fed by scan_each(). */
#pragma once

#include "decide/badness.h"
#include "parse/config.h"
#include "parse/pidinfo.h"

/* Candidates kept in order; a kill that fails (EPERM, vanished) moves down
 * this list. Eight is more than enough retries for one shortage. */
#define SELECT_KEEP 8
/* The kill record lists this many top memory users. */
#define SELECT_TOP_MEM 5

struct selection {
	const struct config *cfg;
	pid_t self;
	uint64_t totalpages;
	unsigned page_kib;

	struct candidate best[SELECT_KEEP];	/* best victim first */
	unsigned n_best;
	struct proc_sample top_mem[SELECT_TOP_MEM];	/* by RSS + swap, any process */
	unsigned n_top_mem;
	unsigned n_candidates;
	unsigned n_skipped[SKIP_IGNORED + 1];	/* by enum badness_skip */
	const struct skip_set *skip;	/* killed already and stuck; NULL: none */
	const char *subtree;		/* container mode: only processes in this
					 * cgroup subtree count; NULL: all */
	unsigned n_outside;		/* processes left out for being outside it */
	unsigned n_stuck;		/* processes passed over for being in it */
};

/* Start a selection for one scan. */
void select_init(struct selection *sel, const struct config *cfg, pid_t self,
		 uint64_t totalpages, unsigned page_kib);

/* Pass over the processes in skip (victims sent SIGKILL that did not
 * exit): they are no candidates of this selection, though still counted
 * among the top memory users. skip must outlive the selection; NULL: none.
 * Call after select_init. */
void select_set_skip(struct selection *sel, const struct skip_set *skip);

/* Container mode: only processes whose cgroup (proc_text's, so the scan
 * must read it) is subtree or below it are candidates or top users; the
 * rest, and those whose cgroup could not be read, are not looked at.
 * subtree must outlive the selection; NULL: every process. Call after
 * select_init. */
void select_set_subtree(struct selection *sel, const char *subtree);

/* Pure: is the process whose text this is in the cgroup subtree (NULL:
 * every process is)? One whose cgroup was not read is in none. The one
 * test for the selection and for --list. */
bool select_within(const char *subtree, const struct proc_text *text);

/* Pure: is (pid, starttime) in skip? */
bool select_skipped(const struct skip_set *skip, pid_t pid, uint64_t starttime);

/* Offer one process (matches scan_visit_fn). */
void select_visit(const struct proc_sample *p, const struct proc_text *text, void *sel);

/* Insert c into the kept list if it ranks high enough. */
void select_offer(struct selection *sel, const struct candidate *c);
