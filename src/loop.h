/* The daemon loop: sample, decide, act, report, sleep. */
#pragma once

#include <signal.h>

#include "parse/config.h"
#include "acquire/procfs.h"

/* Open every descriptor the loop keeps (meminfo, PSI, vmstat, swaps, zram,
 * the process directory, the cgroup root) and create the PSI trigger: all
 * that may need privilege, so call it before dropping capabilities.
 * Returns 0 or -errno (already logged). */
int loop_open(const struct config *cfg, const struct procfs *procfs);

/* Run until *stop is set (or once with --once). Returns 0 on a clean stop,
 * or -errno when memory can no longer be read. */
int loop_run(volatile sig_atomic_t *stop);

/* Close what loop_open opened. */
void loop_close(void);
