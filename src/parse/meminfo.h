/* Pure parser for /proc/meminfo. */
#pragma once

#include <stdint.h>

#include "types.h"

/* Parse a NUL-terminated /proc/meminfo text into *out. MemTotal,
 * MemAvailable, SwapTotal and SwapFree are required; the other fields
 * (Zswap and Zswapped only exist with CONFIG_ZSWAP, 5.19+) are 0 when
 * absent. Returns 0, or -EINVAL with *bad_key naming the missing,
 * duplicated or malformed key. */
int meminfo_parse(const char *buf, struct meminfo *out, const char **bad_key);

/* The kernel's totalreserve_pages from /proc/zoneinfo: for every zone the
 * largest lowmem reserve ("protection") plus the high watermark, capped at
 * the zone's managed pages (mm/page_alloc.c:calculate_totalreserve_pages):
 *   Node 0, zone    DMA32
 *           high     8000
 *           managed  772808
 *           protection: (0, 0, 6528, 6528, 6528)
 * The per-CPU "high:" lines are not the watermark and are skipped. Since
 * MemAvailable >= MemFree - totalreserve, this gives a cheap lower bound on
 * MemAvailable from sysinfo(2). Returns 0 or -EINVAL. */
int meminfo_parse_zoneinfo_reserve(const char *buf, uint64_t *pages);
