/* Pure parser for the few /proc/vmstat counters oomguard watches. */
#pragma once

#include "types.h"

/* Parse "name value" lines:
 *   oom_kill 0
 *   workingset_refault_file 1234
 * Absent counters stay 0 with their have_ flag false. A malformed value of a
 * counter we use is an error. Returns 0 or -EINVAL. */
int vmstat_parse(const char *buf, struct vmstat *out);
