/* Pure parser for a cgroup's cgroup.procs, read in chunks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The number under construction, kept across chunks: a pid may straddle
 * two reads. Zero it before the first chunk. */
struct procs_parser {
	uint64_t pid;
	bool in_number;
};

/* The next pid in chunk buf[*pos..len) of "123\n456\n" text: any run of
 * digits is a number and anything else ends it. A number past INT32_MAX
 * saturates: it comes out as some value above INT32_MAX, for the caller
 * to skip, never wrapped round to a real pid. Advances *pos. Returns true
 * with *pid set, or false when the chunk is used up (a number at its end
 * may go on in the next one). */
bool procs_next_pid(struct procs_parser *p, const char *buf, size_t len, size_t *pos,
		    uint64_t *pid);

/* After the last chunk: the number the text ended on, if any. Returns true
 * with *pid set, or false. */
bool procs_last_pid(struct procs_parser *p, uint64_t *pid);
