/* The daemon loop: sample, decide, act, report, sleep. */
#pragma once

#include <signal.h>

#include "config.h"
#include "procfs.h"

/* Run until *stop is set (or once with --once). Returns 0 on a clean stop,
 * or -errno when memory can no longer be read. */
int loop_run(const struct config *cfg, const struct procfs *procfs, volatile sig_atomic_t *stop);
