/* Swap on zram is RAM, not extra memory: pure parsers for /proc/swaps and
 * /sys/block/zramN/mm_stat so the floors and the pressure gate can tell. */
#pragma once

#include <stdint.h>

/* zram devices oomguard follows; distributions set up one (zram-generator,
 * zram-tools), a few per CPU at most. */
#define ZRAM_MAX_DEVICES 16

struct swaps {
	uint64_t zram_total_kib;	/* Size of zram swap devices */
	uint64_t zram_used_kib;		/* Used on them */
	unsigned zram_ids[ZRAM_MAX_DEVICES];	/* N of each /dev/zramN */
	unsigned n_zram;
};

/* Parse /proc/swaps:
 *   Filename      Type       Size     Used    Priority
 *   /dev/zram0    partition  4194300  102400  100
 * Lines naming /dev/zramN count as zram; others (disk partitions, files) are
 * real swap. Returns 0 or -EINVAL. */
int zram_parse_swaps(const char *buf, struct swaps *out);

/* Parse mm_stat and return its third field, mem_used_total, in KiB:
 *   orig_data_size compr_data_size mem_used_total mem_limit ...
 * (all in bytes). Returns 0 or -EINVAL. */
int zram_parse_mm_stat(const char *buf, uint64_t *mem_used_kib);
