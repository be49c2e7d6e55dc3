/* Kernel PSI triggers on a pressure file (/proc/pressure/memory, a
 * cgroup's memory.pressure): the kernel wakes poll() with POLLPRI as soon as
 * memory stalls exceed a budget within a window, so the loop reacts at once
 * instead of at its next tick. One trigger per pressure source
 * (acquire/pressure.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "parse/config.h"

enum trigger_mode {
	TRIGGER_NONE,		/* no PSI at all */
	TRIGGER_AVERAGES,	/* PSI readable, triggers refused: the file read
				 * every tick (its total=, as always) */
	TRIGGER_2S,		/* unprivileged: window must be a multiple of 2 s */
	TRIGGER_1S,		/* CAP_SYS_RESOURCE: 1 s window */
};

struct trigger {
	int fd;			/* poll for POLLPRI; -1 unless a trigger mode */
	enum trigger_mode mode;
	char spec[48];		/* what was written, e.g. "full 200000 1000000" */
	int refused_errno;	/* why the last attempt failed */
};

#define TRIGGER_INIT { .fd = -1 }

/* Stall budget used when pressure kills are off (--psi-threshold 0): the
 * trigger then only wakes the loop early, at 10 % stall per window. */
#define TRIGGER_DEFAULT_CENTI 1000

/* Set up a trigger on the pressure file path (relative to dir_fd) for
 * metric at threshold (hundredths of a percent of the window): a 1 s window
 * first, a 2 s window when the kernel refuses that (no CAP_SYS_RESOURCE),
 * the averages when it refuses both (kernels before 5.2, or an unprivileged
 * process before 6.5). Only a kernel's file gets a trigger (kernel_file):
 * writing one into a fixture tree would change the fixture. Returns 0;
 * t->mode says what is active. */
int trigger_setup(struct trigger *t, int dir_fd, const char *path, bool kernel_file,
		  enum psi_metric metric, uint32_t threshold_centi);

void trigger_close(struct trigger *t);

/* One line for the start-up log describing t->mode. Returns buf. */
const char *trigger_describe(const struct trigger *t, char *buf, unsigned len);
