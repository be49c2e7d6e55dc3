/* Pure parser for /proc/meminfo. */
#pragma once

#include <stdint.h>

struct meminfo {
	uint64_t mem_total_kib;
	uint64_t mem_free_kib;
	uint64_t mem_available_kib;
	uint64_t cached_kib;
	uint64_t active_file_kib;
	uint64_t inactive_file_kib;
	uint64_t anon_pages_kib;
	uint64_t shmem_kib;
	uint64_t swap_total_kib;
	uint64_t swap_free_kib;
};

/* Parse a NUL-terminated /proc/meminfo text into *out. MemTotal,
 * MemAvailable, SwapTotal and SwapFree are required; the other fields are 0
 * when absent. Returns 0, or -EINVAL with *bad_key naming the missing,
 * duplicated or malformed key. */
int meminfo_parse(const char *buf, struct meminfo *out, const char **bad_key);

/* Percentage (0..100) of part in total, rounded down; 100 when total is 0. */
unsigned meminfo_percent(uint64_t part_kib, uint64_t total_kib);
