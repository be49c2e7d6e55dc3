/* --metrics-file: Prometheus text exposition for node_exporter's textfile
 * collector, written to PATH.tmp and renamed, so a scrape never sees half
 * a file. No HTTP server in the daemon. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Kills by the reason of the decision (enum reason) and the last signal. */
#define METRICS_REASONS (REASON_PRESSURE + 1)

struct metrics {
	uint64_t kills[METRICS_REASONS][2];	/* [reason][0: SIGTERM, 1: SIGKILL] */
	uint64_t escalations;			/* SIGKILL after a SIGTERM */
	unsigned interval_ms;			/* current poll interval */
};

/* Count one kill for reason whose last signal was sig (SIGTERM or SIGKILL),
 * escalated or not. */
void metrics_count_kill(struct metrics *m, enum reason reason, int sig, bool escalated);

/* Format the exposition for one sample (with its capacity) into buf.
 * Returns the length, or -ENOSPC when buf is too small. Pure. */
long metrics_format(char *buf, size_t len, const struct sample *s, const struct capacity *cap,
		    const struct metrics *m);

/* Write buf to path atomically (path.tmp, fsync-free, rename). Returns 0
 * or -errno. */
int metrics_write(const char *path, const char *buf, size_t len);
