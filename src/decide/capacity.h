/* How much swap is really left. Disk swap is what the kernel says. Swap on
 * zram is different: its compressed pages live in RAM, so what it can still
 * take is bounded by RAM as well as by its disksize. Pure: a sample in,
 * struct capacity (types.h) out. */
#pragma once

#include "types.h"

/* The compression ratio assumed while a device holds nothing measurable
 * (empty, or only same-filled pages): 1, no gain. An empty device is all
 * headroom whatever the ratio, so this only matters once data arrives, and
 * then the ratio is measured. */
#define CAPACITY_DEFAULT_RATIO_CENTI 100

/* A measured ratio is capped here: zstd reaches 3-4 on typical heap data;
 * more than this is a device holding mostly trivially compressible pages,
 * which says little about the next ones. */
#define CAPACITY_MAX_RATIO_CENTI 800

/* Fill *out from s: disk swap (SwapTotal/SwapFree minus the zram devices of
 * /proc/swaps) as is; for zram, the headroom is the smallest of
 *   - its free disksize (Size - Used in /proc/swaps),
 *   - its mem_limit less mem_used_total, at the ratio (when a limit is set),
 *   - what the RAM still free can hold at the ratio, where RAM still free is
 *     MemAvailable plus what compressing the anonymous pages still in RAM
 *     would give back (AnonPages - Mlocked, times 1 - 1/ratio): the kernel
 *     swaps those out to make room, so MemAvailable alone, which sits near
 *     the watermarks whenever zram is being filled, would understate it.
 * The ratio is orig_data_size / mem_used_total over the pages that take RAM
 * (same-filled pages cost none and are left out of the measure), for all
 * devices together. The effective swap is then disk free + zram headroom
 * free, of a total of disk total + zram used + zram headroom: at its peak
 * zram counts for what it can hold, never for a disksize RAM cannot back.
 * zswap's pool (Zswap in meminfo) is RAM holding swapped pages too; its
 * pages also take disk swap slots, which SwapFree already counts.
 * In container mode (s->cgroup_view) the swap and zram figures are the
 * machine's (s->machine), the totals then capped by the cgroup's own swap
 * in s->mi (memory.swap.max less memory.swap.current).
 * Returns nothing; every field of *out is set. */
void capacity_compute(const struct sample *s, struct capacity *out);
