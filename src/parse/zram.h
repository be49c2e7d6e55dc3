/* Swap on zram lives in RAM: pure parsers for /proc/swaps and
 * /sys/block/zramN/mm_stat, so that decide/capacity.c can count zram as
 * the capacity it really has. */
#pragma once

#include "types.h"

/* Parse /proc/swaps:
 *   Filename      Type       Size     Used    Priority
 *   /dev/zram0    partition  4194300  102400  100
 * Lines naming /dev/zramN are zram (out->zram[], at most ZRAM_MAX_DEVICES;
 * the totals count every one); others (disk partitions, files) are disk
 * swap. The mm_stat fields are left clear. Returns 0 or -EINVAL. */
int zram_parse_swaps(const char *buf, struct swaps *out);

/* Parse mm_stat into dev's mm_stat fields:
 *   orig_data_size compr_data_size mem_used_total mem_limit mem_used_max
 *   same_pages pages_compacted huge_pages [huge_pages_since]
 * (the first five in bytes, the rest in pages). The first three are
 * required; mem_limit and same_pages are 0 when an old kernel lacks them.
 * Sets dev->have_mm_stat. Returns 0 or -EINVAL. */
int zram_parse_mm_stat(const char *buf, struct zram_device *dev);
