/* Pure parser for the few /proc/vmstat counters oomguard watches. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct vmstat {
	uint64_t oom_kill;		/* kernel OOM kills since boot (4.13+) */
	uint64_t refault_file;		/* workingset_refault_file (5.9+), or workingset_refault */
	uint64_t refault_anon;		/* workingset_refault_anon (5.9+) */
	uint64_t pswpin;
	uint64_t pswpout;
	bool have_oom_kill;
	bool have_refault;
};

/* Parse "name value" lines:
 *   oom_kill 0
 *   workingset_refault_file 1234
 * Absent counters stay 0 with their have_ flag false. A malformed value of a
 * counter we use is an error. Returns 0 or -EINVAL. */
int vmstat_parse(const char *buf, struct vmstat *out);
