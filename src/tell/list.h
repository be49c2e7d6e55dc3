/* --list: print the ranking an operator can check a policy against. */
#pragma once

#include <stdio.h>

#include "parse/config.h"
#include "acquire/procfs.h"

/* Scan procfs, rank every candidate with cfg's policy and print a header and
 * one row per candidate, best victim first, to out, and flush it. Returns 0
 * or -errno (a write error included: -ENOSPC, -EPIPE, -EIO). */
int list_print(FILE *out, const struct config *cfg, const struct procfs *procfs);
