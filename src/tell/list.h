/* --list: print the ranking an operator can check a policy against. */
#pragma once

#include <stdio.h>

#include "parse/config.h"
#include "acquire/container.h"
#include "acquire/procfs.h"

/* Scan procfs, rank every candidate with cfg's policy and print a header and
 * one row per candidate, best victim first, to out, and flush it. In
 * container mode (view->on) only the processes of view->subtree, scored
 * as that cgroup's memcg OOM killer scores them: the ranking it would use.
 * Returns 0 or -errno (a write error included: -ENOSPC, -EPIPE, -EIO). */
int list_print(FILE *out, const struct config *cfg, const struct procfs *procfs,
	       const struct container *view);
