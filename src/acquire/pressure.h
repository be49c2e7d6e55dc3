/* The pressure sources oomguard watches: today the system's
 * /proc/pressure/memory; a cgroup's memory.pressure has the same format and
 * takes triggers too, so a later source is one more entry here. Each source
 * has its descriptor (read with pread), its kernel trigger, its stall
 * tracker (parse/stall.c) and a label for the log. */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "acquire/cgroupfs.h"
#include "acquire/procfs.h"
#include "acquire/trigger.h"
#include "parse/config.h"
#include "parse/stall.h"
#include "types.h"

/* Stall windows: the exact stall fraction is computed over consecutive
 * windows of at least this length (see README "Pressure"). Long enough that
 * one window holds several scheduling rounds of a stalled machine, short
 * enough that a stall shows, and one that stopped is over, within it. */
#define PRESSURE_WINDOW_MS 500

/* After the trigger fires, or while a window shows stall at or above the
 * threshold, the file is read every tick for this long. */
#define PRESSURE_WATCH_MS 5000

struct pressure_source {
	char label[64];			/* "system" or the cgroup's path */
	int fd;				/* the pressure file; -1 when absent */
	struct trigger trigger;
	struct stall_tracker stall;
	struct stall_tracker warn_stall;	/* the same at --warn-psi (decide/warn.c) */
	uint64_t watch_until_ms;	/* read every tick until then */
	bool fired;			/* the trigger fired since the last read */
	int read_error;			/* -errno of the failing reads; 0: the last read worked */
};

struct pressure {
	struct pressure_source src[PRESSURE_MAX_SOURCES];
	unsigned n;
	char buf[512];			/* a pressure file is ~110 bytes */
};

/* Initialise every descriptor to -1 and n to 0. */
void pressure_init(struct pressure *p);

/* Add the system's source, /proc/pressure/memory under procfs, with its
 * trigger (created now, while oomguard may still hold CAP_SYS_RESOURCE) and
 * its tracker for cfg's --psi-metric and --psi-threshold. Without the file
 * (CONFIG_PSI=n, psi=0, before 4.20) the source is added with fd -1 and its
 * trigger in TRIGGER_NONE. Returns 0. */
int pressure_open_system(struct pressure *p, const struct procfs *procfs,
			 const struct config *cfg);

/* Add a cgroup's source, memory.pressure of the cgroup at path ("/"
 * first) under cg, as pressure_open_system does the system's: its trigger
 * needs the file writable (root, a writable cgroup tree), else its
 * averages are read every tick. The label is the path. Without the file
 * (no such cgroup, PSI off) the source has fd -1. Returns 0 or -ENOSPC. */
int pressure_open_cgroup(struct pressure *p, const struct cgroupfs *cg, const char *path,
			 const struct config *cfg);

void pressure_close(struct pressure *p);

/* True when any source has a readable file. */
bool pressure_available(const struct pressure *p);

/* True when a source is being watched at now_ms: its trigger fired lately,
 * a recent window was at or above the threshold, or a run is going on. The
 * loop then reads it every tick and ticks fast. */
bool pressure_watching(const struct pressure *p, uint64_t now_ms);

/* True when a source has a file but no kernel trigger (the averages mode):
 * nothing would tell the loop that a stall began, so it is read every
 * tick, and an idle tick cannot skip it. */
bool pressure_needs_polling(const struct pressure *p);

/* Read the sources that are due (being watched, without a trigger, or
 * every one with force) into out->pressure[] and feed their trackers; a source not read keeps
 * its last reading. With PSI unavailable, psi=0 (reads fail EOPNOTSUPP) or
 * a malformed file, that source's reading is not valid. A source whose file
 * was opened but stops reading says so once (log_warn: its pressure kills
 * are off), and once again when it reads again. Returns 0. */
int pressure_read(struct pressure *p, struct sample *out, uint64_t now_ms, bool force);

/* After a kill: every tracker starts over, so that a second kill needs a
 * stall seen anew, after the first victim is gone. */
void pressure_restart(struct pressure *p);

/* Fill fds with the trigger descriptors to poll (POLLPRI), at most max.
 * Returns how many. */
unsigned pressure_pollfds(const struct pressure *p, struct pollfd *fds, unsigned max);

/* Handle what poll() returned for the descriptors pressure_pollfds gave:
 * POLLPRI starts a watch; POLLERR (the file went away) drops that trigger
 * and falls back to reading the averages. Returns true when a trigger
 * fired. */
bool pressure_events(struct pressure *p, const struct pollfd *fds, unsigned n, uint64_t now_ms);

/* One start-up line describing source i's trigger mode, after "cgroup
 * LABEL: " for a cgroup's source. Returns buf. */
const char *pressure_describe(const struct pressure *p, unsigned i, char *buf, unsigned len);
