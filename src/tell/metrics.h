/* --metrics-file: Prometheus text exposition for node_exporter's textfile
 * collector, written to PATH.tmp and renamed, so a scrape never sees half
 * a file. No HTTP server in the daemon. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "acquire/sensors.h"

struct metrics {
	uint64_t kills_sigterm;
	uint64_t kills_sigkill;
	uint64_t kills_pressure;	/* kills triggered by PSI rather than the floors */
	unsigned interval_ms;		/* current poll interval */
};

/* Format the exposition for one sample into buf. Returns the length, or
 * -ENOSPC when buf is too small. Pure. */
long metrics_format(char *buf, size_t len, const struct sample *s, const struct metrics *m);

/* Write buf to path atomically (path.tmp, fsync-free, rename). Returns 0
 * or -errno. */
int metrics_write(const char *path, const char *buf, size_t len);
