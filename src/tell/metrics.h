/* --metrics-file: Prometheus text exposition for node_exporter's textfile
 * collector, written to an unnamed temporary file in the same directory and
 * renamed over PATH, so a scrape never sees half a file. No HTTP server in
 * the daemon.
 *
 * The directory is opened once, at start-up, and every name is resolved
 * against that descriptor. Nothing ever opens an existing name in it: a
 * FIFO, a symlink or a hard link another user plants there is never
 * written through and never blocks the loop. A directory others may write
 * (without the sticky bit) or owned by another user is refused: metrics
 * are off and start-up says so. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Kills by the reason of the decision (enum reason) and the last signal. */
#define METRICS_REASONS (REASON_PRESSURE + 1)

struct metrics {
	uint64_t kills[METRICS_REASONS][2];	/* [reason][0: SIGTERM, 1: SIGKILL] */
	uint64_t escalations;			/* SIGKILL after a SIGTERM */
	uint64_t warnings[2];			/* warn-memory, warn-pressure */
	unsigned interval_ms;			/* current poll interval */
	/* The file (metrics_open): */
	const char *path;			/* NULL: no --metrics-file */
	const char *name;			/* its last component, in path */
	int dir_fd;				/* its directory; -1: not open */
	bool refused;				/* the directory is unsafe: off */
	bool no_tmpfile;			/* no O_TMPFILE there: named temp */
	unsigned tmp_seq;			/* mixed into temporary names */
};

/* Count one kill for reason whose last signal was sig (SIGTERM or SIGKILL),
 * escalated or not. */
void metrics_count_kill(struct metrics *m, enum reason reason, int sig, bool escalated);

/* Count one warning for reason (REASON_WARN_MEMORY or REASON_WARN_PRESSURE;
 * others are not warnings and are not counted). */
void metrics_count_warning(struct metrics *m, enum reason reason);

/* Format the exposition for one sample (with its capacity) into buf.
 * Returns the length, or -ENOSPC when buf is too small. Pure. */
long metrics_format(char *buf, size_t len, const struct sample *s, const struct capacity *cap,
		    const struct metrics *m);

/* Take path (NULL: none) as the metrics file: open its directory and check
 * it is owned by root or by us and not writable by other users or groups
 * unless sticky. Call once, as the user that will write the file (the loop
 * does at its first write, after any --user switch). Returns 0; -EPERM
 * when the directory is unsafe (logged, metrics are then off for good); or
 * another -errno (logged; metrics_write tries again). */
int metrics_open(struct metrics *m, const char *path);

/* Write buf (len bytes) as the metrics file atomically: an O_TMPFILE (or
 * an O_EXCL file with a random name where the filesystem lacks O_TMPFILE)
 * linked under a random name, then renamed over the file; fsync-free. Never
 * blocks on what others put in the directory. Returns 0 (also when there is
 * no file, or it was refused) or -errno. */
int metrics_write(struct metrics *m, const char *buf, size_t len);

/* Close the directory; safe after a failed or missing metrics_open when
 * struct metrics was zeroed. */
void metrics_close(struct metrics *m);
