/* The floors and the poll interval: (config, memory, capacity) -> levels.
 * Pure. The whole shortage decision, pressure included, is decide.c's. */
#pragma once

#include <stdint.h>

#include "parse/config.h"
#include "types.h"

/* Compute the floors for this sample: memory in % of MemAvailable +
 * AnonPages, "user mem total" as earlyoom 1.8+ has it (so that RAM held by
 * tmpfs, shm or the kernel, which no kill frees, cannot make oomguard kill
 * in a loop), at most MemTotal; or in KiB. Swap in % of the effective swap
 * total cap->swap_total_kib (or KiB). When a floor is given both as a
 * percentage and as a size, the lower one counts (as in earlyoom). Also
 * fills mem_base_kib and mem_term_max_kib (the term floor of MemTotal,
 * never below the real one: what an idle tick's lower bound on MemAvailable
 * is held against). */
void policy_floors(const struct config *cfg, const struct meminfo *mi, const struct capacity *cap,
		   struct floors *out);

/* Compare with the floors: MemAvailable AND the effective free swap at or
 * below their levels. With no swap at all the swap side counts as met.
 * Returns REASON_FLOOR_KILL, REASON_FLOOR_TERM or REASON_NONE. */
enum reason policy_check_floors(const struct floors *floors, uint64_t mem_available_kib,
				const struct capacity *cap);

/* "none", "SIGTERM", "SIGKILL". */
const char *policy_action_name(enum action action);

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
unsigned policy_interval_ms(const struct floors *floors, uint64_t mem_available_kib,
			    uint64_t swap_total_kib, uint64_t swap_free_kib);
