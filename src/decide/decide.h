/* The shortage decision, taken in one place: (state, config, sample) ->
 * struct decision (types.h): an action and its reason. The floors come
 * first (policy.c, on the capacity of capacity.c); then pressure: a source
 * stalled at least --psi-threshold in every window for --psi-duration, with
 * evidence that memory is the cause. Pure: the loop samples, act carries the
 * decision out, and asks again through the loop when it must re-check. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "parse/config.h"
#include "types.h"

/* The memory gate of pressure kills; see README "The memory gate". */
#define DECIDE_ANON_MIN_PCT		50	/* anon share of RAM: killing can free it */
/* Thrashing: working-set refaults while stalled, per second, in thousandths
 * of the memory that can be evicted and read back (anon + file LRU). */
#define DECIDE_REFAULT_MIN_PERMILLE_PER_S 10
/* Slow swap: disk swap filled by this share of RAM while stalled, ... */
#define DECIDE_DISK_SWAP_FILL_PCT	25
/* ... in a stall that lasted this many times --psi-duration. */
#define DECIDE_SLOW_SWAP_DURATION_FACTOR 5

/* What a pressure source's current run has seen. */
struct run_figures {
	uint64_t run_ms;		/* the stall's length so far */
	uint64_t elapsed_ms;		/* the refaults below were counted over this */
	uint64_t refault_pages;		/* working-set refaults, file + anon, lately */
	uint64_t disk_swapped_kib;	/* growth of disk swap used since the run began */
};

/* The refault counter (file + anon) at a moment. */
struct refault_mark {
	uint64_t time_ms;
	uint64_t pages;
};

/* Per pressure source: the run seen last, disk swap used when it was first
 * seen, and two marks of the refault counter: the rate is taken over the
 * last one to two --psi-duration, so that a stall that turns into a thrash
 * shows as one at once, whatever came before in the run. The marks come
 * from samples that read vmstat (the loop reads it in every sample that
 * sees a run); a sample without it (an unreadable vmstat leaves the
 * counters zero) neither sets a mark nor counts refaults, so that the
 * counters since boot are never taken for the run's. */
struct decide_run {
	uint64_t since_ms;
	uint64_t disk_used_at_start_kib;
	bool have_marks;
	struct refault_mark older, newer;
};

/* Kills that gave no memory back, in a row, before oomguard backs off: RAM
 * held by tmpfs, shm or the kernel is freed by no kill, and killing on
 * would empty the machine. */
#define DECIDE_FUTILE_KILLS 3
/* A kill gave memory back when MemAvailable plus free swap rose by at
 * least this share of what the victim held (RSS + swap), in percent. */
#define DECIDE_KILL_GAIN_MIN_PCT 25
/* How long oomguard holds back then; the kernel's killer remains. */
#define DECIDE_BACKOFF_MS 60000

struct decide_state {
	struct decide_run run[PRESSURE_MAX_SOURCES];
	unsigned futile_kills;		/* kills in a row that gave nothing back */
	uint64_t last_futile_ms;	/* when the last of them was noted */
	uint64_t backoff_until_ms;	/* decisions are held until then */
	unsigned page_kib;
};

/* Start with no run seen. page_kib is the page size in KiB (vmstat counts
 * pages). */
void decide_init(struct decide_state *st, unsigned page_kib);

/* Decide for sample s: the floors first (REASON_FLOOR_KILL, then
 * REASON_FLOOR_TERM), then each pressure source (REASON_PRESSURE, a SIGTERM)
 * when its run of windows at or above --psi-threshold has lasted
 * --psi-duration and decide_memory_is_short() says memory is the cause and
 * the stall will not end by itself. During a backoff (decide_note_kill) an
 * action comes with held set.
 * --psi-threshold 0 turns pressure off. Updates st with the runs seen.
 * Returns the decision, its floors and capacity filled whatever the action. */
struct decision decide_shortage(struct decide_state *st, const struct config *cfg,
				const struct sample *s);

/* The memory gate: does memory cause the stall, and will a kill end it?
 * Fills *ev. Shut unless anon (AnonPages + the RAM of zram and zswap
 * pools) is at least DECIDE_ANON_MIN_PCT of MemTotal. Then open for
 *   - thrashing: working-set refaults (file and anon) during the run at
 *     DECIDE_REFAULT_MIN_PERMILLE_PER_S of anon + file LRU per second or
 *     more, once the run has lasted duration_ms: the machine reads back
 *     what it just evicted, and that does not end by itself;
 *   - slow swap: disk swap filled by DECIDE_DISK_SWAP_FILL_PCT of MemTotal
 *     during a run of DECIDE_SLOW_SWAP_DURATION_FACTOR x duration_ms: a
 *     workload that fits moves in and settles, a leak keeps everything
 *     waiting on the disk until swap is gone.
 * zram filling is neither: writing to zram is compression in RAM, which
 * stops when the workload stops growing, and the capacity floor
 * (capacity.c) ends a zram leak before the kernel would. Returns true when
 * the gate is open (ev->cause says why). */
bool decide_memory_is_short(const struct meminfo *mi, const struct capacity *cap,
			    const struct run_figures *run, unsigned duration_ms, unsigned page_kib,
			    struct pressure_evidence *ev);

/* Tell the decision what a kill gave back: victim_kib is what the victim
 * held (RSS + swap), gained_kib how much MemAvailable plus free swap rose
 * from right before the signal to right after the victim was gone. After
 * DECIDE_FUTILE_KILLS kills in a row (none more than DECIDE_BACKOFF_MS
 * after the one before) that gave back less than
 * DECIDE_KILL_GAIN_MIN_PCT of what their victim held, the decisions of the
 * next DECIDE_BACKOFF_MS are held (decision.held) rather than carried out.
 * Returns true when that backoff begins now (say so, loudly). */
bool decide_note_kill(struct decide_state *st, uint64_t victim_kib, int64_t gained_kib,
		      uint64_t now_ms);

/* While a victim is asked to exit after SIGTERM for decision acting, now is
 * a fresh decision: SIGKILL at once? ESCALATION_FLOOR when now says the
 * kill floor is crossed; ESCALATION_STALL when acting was a pressure kill
 * and the same run of stall has gone on for another duration_ms since (a
 * victim stuck in reclaim does not act on SIGTERM, and process_mrelease
 * can reap only one that was SIGKILLed); else ESCALATION_NONE. */
enum escalation decide_escalation(const struct decision *acting, const struct decision *now,
				  unsigned duration_ms);

/* "timeout", "floor-kill", "stall"; NULL for ESCALATION_NONE. */
const char *decide_escalation_name(enum escalation escalation);

/* "floor-term", "floor-kill", "pressure", "none"; for warnings
 * (decide/warn.c) "warn-memory" and "warn-pressure". */
const char *decide_reason_name(enum reason reason);
