/* Pure decisions: (config, memory sample) -> action. No I/O. */
#pragma once

#include <stdint.h>

#include "parse/config.h"
#include "parse/meminfo.h"
#include "parse/psi.h"

/* The four floors in KiB at the current totals. They are recomputed from
 * every sample, so turning swap on or off while running moves them. */
struct floors {
	uint64_t mem_term_kib;
	uint64_t mem_kill_kib;
	uint64_t swap_term_kib;
	uint64_t swap_kill_kib;
};

enum policy_action {
	ACTION_NONE,
	ACTION_TERM,	/* SIGTERM the victim */
	ACTION_KILL,	/* SIGKILL the victim */
};

/* Compute the floors for this sample. When a floor is given both as a
 * percentage and as a size, the lower one counts (as in earlyoom). */
void policy_floors(const struct config *cfg, const struct meminfo *mi, struct floors *out);

/* Compare a sample with the floors: memory AND swap at or below their levels.
 * With no swap configured the swap side counts as met. Returns the action. */
enum policy_action policy_check_floors(const struct floors *floors, const struct meminfo *mi);

/* "none", "SIGTERM", "SIGKILL". */
const char *policy_action_name(enum policy_action action);

/* ---- Pressure (PSI) kills ---------------------------------------------- */

/* Evidence that memory, not I/O, causes the stall. Computed from meminfo,
 * vmstat and zram by the loop; judged by policy_memory_is_short(). */
struct mem_evidence {
	uint64_t mem_total_kib;
	uint64_t anon_kib;		/* AnonPages + zram's RAM use */
	uint64_t file_lru_kib;		/* Active(file) + Inactive(file) */
	uint64_t swap_total_kib;	/* disk swap only: zram excluded */
	uint64_t swap_free_kib;
	uint64_t refault_file_pages;	/* workingset_refault_file, cumulative */
	bool have_refault;
};

/* Tunables of the gate; see README "Pressure kills". */
#define POLICY_ANON_MIN_PCT		50	/* anon share of RAM that killing can free */
#define POLICY_SWAP_USED_MIN_PCT	10	/* swap filling: used share of SwapTotal */
#define POLICY_REFAULT_MIN_PCT_PER_S	10	/* file LRU re-read per second: thrashing */
/* After any kill, pressure kills wait this long (or the PSI duration if
 * longer): avg10 decays over ~10 s, so without the pause one stall would cost
 * a second victim while the average catches up. */
#define POLICY_PSI_POST_KILL_MS		10000

struct psi_tracker {
	bool above;			/* at or above the threshold */
	uint64_t above_since_ms;	/* since when */
	uint64_t hold_until_ms;		/* no PSI kill before this (post-kill) */
	uint64_t refault_at_start;	/* refault_file when above_since began */
};

/* The stall percentage (hundredths) the configured metric shows. */
uint32_t policy_psi_value(const struct config *cfg, const struct psi *psi);

/* True when the evidence says memory is short: anon >= POLICY_ANON_MIN_PCT
 * of RAM, and swap is filling (used >= POLICY_SWAP_USED_MIN_PCT) or the file
 * cache thrashes (refaults since the stall began, per second, >=
 * POLICY_REFAULT_MIN_PCT_PER_S of the file LRU). elapsed_ms is the stall's
 * age, refaults the refaulted pages in it. */
bool policy_memory_is_short(const struct mem_evidence *ev, uint64_t refaults,
			    uint64_t elapsed_ms, unsigned page_kib);

/* Feed one sample. Returns true when pressure has stayed at or above the
 * threshold for the configured duration, memory is shown to be the cause,
 * and no post-kill pause is running. */
bool policy_psi_update(struct psi_tracker *t, const struct config *cfg, const struct psi *psi,
		       const struct mem_evidence *ev, unsigned page_kib, uint64_t now_ms);

/* Tell the tracker a kill happened at now_ms: restart the timer and hold
 * pressure kills for the post-kill pause. */
void policy_psi_killed(struct psi_tracker *t, const struct config *cfg, uint64_t now_ms);

/* ---- Adaptive polling -------------------------------------------------- */

/* Fill rates the interval is computed for: the fastest seen in practice
 * (earlyoom measured ~6000 MiB/s for RAM with stress -m 4 and ~800 MiB/s
 * into zram swap). Assuming the worst keeps a poll before any crossing. */
#define POLICY_MEM_FILL_KIB_PER_MS	6144
#define POLICY_SWAP_FILL_KIB_PER_MS	819
#define POLICY_MIN_INTERVAL_MS		10
#define POLICY_MAX_INTERVAL_MS		1000

/* How long the loop may sleep: the time the headroom above the term floors
 * (memory, then swap, since both must run out) lasts at the fill rates,
 * clamped to [POLICY_MIN_INTERVAL_MS, POLICY_MAX_INTERVAL_MS]. */
unsigned policy_interval_ms(const struct floors *floors, const struct meminfo *mi);
