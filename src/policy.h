/* Pure decisions: (config, memory sample) -> action. No I/O. */
#pragma once

#include <stdint.h>

#include "config.h"
#include "meminfo.h"

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
