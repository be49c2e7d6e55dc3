#include "decide/capacity.h"

#include <string.h>

/* Sizes are KiB below 2^50 (the parsers' bound) and ratios hundredths
 * below 2^10: every product here stays below 2^64. */
static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* orig / used in hundredths, within [100, CAPACITY_MAX_RATIO_CENTI];
 * CAPACITY_DEFAULT_RATIO_CENTI when nothing is measurable. */
static uint32_t ratio_centi(uint64_t orig_kib, uint64_t used_kib)
{
	uint64_t r;

	if (used_kib == 0 || orig_kib == 0)
		return CAPACITY_DEFAULT_RATIO_CENTI;
	r = orig_kib * 100 / used_kib;
	if (r < 100)
		return 100;
	return r > CAPACITY_MAX_RATIO_CENTI ? CAPACITY_MAX_RATIO_CENTI : (uint32_t)r;
}

/* Data (KiB) that ram_kib of pool holds at ratio. */
static uint64_t at_ratio(uint64_t ram_kib, uint32_t ratio)
{
	return ram_kib * ratio / 100;
}

/* What the zram devices can still take by their own bounds: free disksize,
 * and the pool left below mem_limit at ratio where one is set. Devices past
 * ZRAM_MAX_DEVICES are in /proc/swaps' totals but not listed: their free
 * disksize counts as it is. */
static uint64_t device_room(const struct swaps *sw, uint32_t ratio)
{
	uint64_t listed_size = 0, listed_used = 0, room = 0;

	for (unsigned i = 0; i < sw->n_zram; i++) {
		const struct zram_device *d = &sw->zram[i];
		uint64_t r = d->size_kib - d->used_kib;

		listed_size += d->size_kib;
		listed_used += d->used_kib;
		if (d->have_mm_stat && d->mem_limit_bytes) {
			uint64_t pool_left = d->mem_limit_bytes > d->mem_used_bytes
						     ? (d->mem_limit_bytes - d->mem_used_bytes) / 1024 : 0;

			r = min_u64(r, at_ratio(pool_left, ratio));
		}
		room += r;
	}
	if (sw->zram_total_kib > listed_size && sw->zram_used_kib >= listed_used)
		room += (sw->zram_total_kib - listed_size) - min_u64(sw->zram_total_kib - listed_size,
								     sw->zram_used_kib - listed_used);
	return room;
}

void capacity_compute(const struct sample *s, struct capacity *out)
{
	/* The swap devices are the machine's, and so is the RAM that zram
	 * takes: a cgroup's zram pages are not charged to it. */
	const struct meminfo *mi = s->cgroup_view ? &s->machine : &s->mi;
	const struct swaps *sw = &s->swaps;
	uint64_t orig_kib = 0, pool_kib = 0, room, anon_kib, ram_free_kib, zram_free;
	uint32_t ratio;

	memset(out, 0, sizeof(*out));
	/* SwapTotal and SwapFree count the zram devices too: take them out. */
	zram_free = sw->zram_total_kib - sw->zram_used_kib;
	out->disk_total_kib = mi->swap_total_kib > sw->zram_total_kib
				      ? mi->swap_total_kib - sw->zram_total_kib : 0;
	out->disk_free_kib = mi->swap_free_kib > zram_free ? mi->swap_free_kib - zram_free : 0;
	out->disk_free_kib = min_u64(out->disk_free_kib, out->disk_total_kib);
	out->zram_size_kib = sw->zram_total_kib;
	out->zram_used_kib = sw->zram_used_kib;

	for (unsigned i = 0; i < sw->n_zram; i++) {
		const struct zram_device *d = &sw->zram[i];
		/* Same-filled pages are stored as one word: they cost no RAM,
		 * and counting them would flatter the ratio. */
		uint64_t same_kib = d->same_pages * 4;
		uint64_t orig = d->orig_bytes / 1024;

		if (!d->have_mm_stat)
			continue;
		out->zram_ram_kib += d->mem_used_bytes / 1024;
		orig_kib += orig > same_kib ? orig - same_kib : 0;
		pool_kib += d->mem_used_bytes / 1024;
	}
	ratio = ratio_centi(orig_kib, pool_kib);
	out->zram_ratio_centi = orig_kib && pool_kib ? ratio : 0;

	if (sw->zram_total_kib) {
		room = device_room(sw, ratio);
		anon_kib = mi->anon_pages_kib > mi->mlocked_kib ? mi->anon_pages_kib - mi->mlocked_kib : 0;
		/* Compressing anon_kib at the ratio gives back anon * (1 - 1/ratio). */
		ram_free_kib = mi->mem_available_kib + anon_kib - anon_kib * 100 / ratio;
		out->zram_headroom_kib = min_u64(room, at_ratio(ram_free_kib, ratio));
		out->zram_ram_bound = out->zram_headroom_kib < room;
	}

	out->swap_total_kib = out->disk_total_kib + out->zram_used_kib + out->zram_headroom_kib;
	out->swap_free_kib = out->disk_free_kib + out->zram_headroom_kib;
	out->swapped_ram_kib = out->zram_ram_kib + mi->zswap_kib;
	/* A cgroup's swap is also bounded by its memory.swap.max (the view
	 * caps it so); of the RAM that swapped pages take, only its zswap
	 * pool is charged to it (zram's pages are the machine's). */
	if (s->cgroup_view) {
		out->swapped_ram_kib = s->mi.zswap_kib;
		out->swap_total_kib = min_u64(out->swap_total_kib, s->mi.swap_total_kib);
		out->swap_free_kib = min_u64(out->swap_free_kib, s->mi.swap_free_kib);
	}
}
