/* What swap can still take: disk as the kernel says, zram bounded by RAM.
 * Samples are built from the figures of real 512 MiB guests (the VM suite)
 * and of mm_stat captures, in KiB and bytes as the kernel prints them. */
#include <criterion/criterion.h>

#include "decide/capacity.h"

#define MIB 1024ULL

/* A sample of a machine with mem_total KiB of RAM. */
static struct sample machine(uint64_t mem_total, uint64_t avail, uint64_t anon)
{
	struct sample s = { 0 };

	s.mi.mem_total_kib = mem_total;
	s.mi.mem_available_kib = avail;
	s.mi.anon_pages_kib = anon;
	return s;
}

/* Add zram device id of size KiB holding used KiB, with its mm_stat:
 * orig and pool in KiB (printed in bytes by the kernel). */
static void add_zram(struct sample *s, unsigned id, uint64_t size, uint64_t used, uint64_t orig,
		     uint64_t pool)
{
	struct zram_device *d = &s->swaps.zram[s->swaps.n_zram++];

	d->id = id;
	d->size_kib = size;
	d->used_kib = used;
	d->have_mm_stat = true;
	d->orig_bytes = orig * 1024;
	d->compr_bytes = pool * 1024 * 9 / 10;
	d->mem_used_bytes = pool * 1024;
	s->swaps.zram_total_kib += size;
	s->swaps.zram_used_kib += used;
	s->mi.swap_total_kib += size;
	s->mi.swap_free_kib += size - used;
}

Test(capacity, disk_swap_is_what_the_kernel_says)
{
	struct sample s = machine(2097152, 200000, 1500000);
	struct capacity c;

	s.mi.swap_total_kib = 2097148;
	s.mi.swap_free_kib = 951428;
	capacity_compute(&s, &c);
	cr_expect_eq(c.swap_total_kib, 2097148);
	cr_expect_eq(c.swap_free_kib, 951428);
	cr_expect_eq(c.disk_total_kib, 2097148);
	cr_expect_eq(c.zram_size_kib, 0);
	cr_expect_eq(c.zram_headroom_kib, 0);
	cr_expect_eq(c.zram_ratio_centi, 0);
}

Test(capacity, no_swap_at_all)
{
	struct sample s = machine(524288, 40000, 400000);
	struct capacity c;

	capacity_compute(&s, &c);
	cr_expect_eq(c.swap_total_kib, 0);
	cr_expect_eq(c.swap_free_kib, 0);
}

/* 480 MiB held on 512 MiB of RAM with 256 MiB of zram, 3/4 full at 2:1:
 * MemAvailable sits near the watermarks, as whenever zram is filling, yet
 * the 290 MiB still in RAM compress to make room. The disksize binds. */
Test(capacity, a_workload_that_fits_keeps_its_room)
{
	struct sample s = machine(512 * MIB, 10 * MIB, 290 * MIB);
	struct capacity c;

	add_zram(&s, 0, 256 * MIB, 190 * MIB, 190 * MIB, 95 * MIB);
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_ratio_centi, 200);
	cr_expect_eq(c.zram_headroom_kib, 66 * MIB);
	cr_expect_not(c.zram_ram_bound);
	cr_expect_eq(c.swap_total_kib, 256 * MIB);
	cr_expect_eq(c.swap_free_kib, 66 * MIB);
	cr_expect_eq(c.zram_ram_kib, 95 * MIB);
	cr_expect_eq(c.swapped_ram_kib, 95 * MIB);
}

/* 1 GiB of zram on 512 MiB of RAM, as zram-generator setups often have:
 * SwapFree says 324 MiB, but the RAM left (5 MiB available, 60 MiB of anon
 * that would give half back) holds only 70 MiB more at 2:1. */
Test(capacity, a_disksize_larger_than_ram_is_bounded_by_ram)
{
	struct sample s = machine(512 * MIB, 5 * MIB, 60 * MIB);
	struct capacity c;

	add_zram(&s, 0, 1024 * MIB, 700 * MIB, 700 * MIB, 350 * MIB);
	capacity_compute(&s, &c);
	cr_expect_eq(s.mi.swap_free_kib, 324 * MIB, "what earlyoom would count");
	cr_expect_eq(c.zram_headroom_kib, 70 * MIB);
	cr_expect(c.zram_ram_bound);
	cr_expect_eq(c.swap_total_kib, 770 * MIB);
	cr_expect_eq(c.swap_free_kib, 70 * MIB);
}

Test(capacity, an_empty_device_is_all_room)
{
	struct sample s = machine(512 * MIB, 400 * MIB, 30 * MIB);
	struct capacity c;

	add_zram(&s, 0, 256 * MIB, 0, 0, 0);
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_ratio_centi, 0, "nothing stored: no ratio to show");
	cr_expect_eq(c.zram_headroom_kib, 256 * MIB);
	cr_expect_eq(c.swap_free_kib, c.swap_total_kib, "100 %% free, whatever the ratio");
	/* Empty but RAM nearly gone: the default ratio 1 gains nothing from
	 * compressing, so the room is what is available. */
	s.mi.mem_available_kib = 20 * MIB;
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_headroom_kib, 20 * MIB);
	cr_expect_eq(c.swap_free_kib, c.swap_total_kib);
}

/* mm_stat of a device holding 100 MiB, 90 MiB of it same-filled pages
 * (stored as one word each): the 10 MiB that take RAM set the ratio. */
Test(capacity, same_filled_pages_do_not_flatter_the_ratio)
{
	struct sample s = machine(512 * MIB, 10 * MIB, 200 * MIB);
	struct capacity c;

	add_zram(&s, 0, 256 * MIB, 100 * MIB, 100 * MIB, 5 * MIB);
	s.swaps.zram[0].same_pages = 90 * 256;
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_ratio_centi, 200, "10 MiB in 5 MiB, not 100 in 5");
	/* Only same-filled pages: nothing to measure, the default stands. */
	s.swaps.zram[0].same_pages = 100 * 256;
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_ratio_centi, 0);
	cr_expect_eq(c.zram_headroom_kib, 10 * MIB, "ratio 1: MemAvailable, no gain from anon");
}

Test(capacity, mem_limit_bounds_the_pool)
{
	struct sample s = machine(512 * MIB, 100 * MIB, 200 * MIB);
	struct capacity c;

	/* 64 MiB limit, 60 MiB used at 2:1: 4 MiB of pool, 8 MiB of data. */
	add_zram(&s, 0, 256 * MIB, 120 * MIB, 120 * MIB, 60 * MIB);
	s.swaps.zram[0].mem_limit_bytes = 64 * MIB * 1024;
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_headroom_kib, 8 * MIB);
	cr_expect_not(c.zram_ram_bound, "the device's own limit binds, not RAM");
	/* A pool past its limit (the limit was lowered): no room. */
	s.swaps.zram[0].mem_limit_bytes = 50 * MIB * 1024;
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_headroom_kib, 0);
}

Test(capacity, ratio_edges)
{
	struct sample s = machine(512 * MIB, 10 * MIB, 100 * MIB);
	struct capacity c;

	/* Incompressible data costs more than it stores: no gain, ratio 1. */
	add_zram(&s, 0, 256 * MIB, 100 * MIB, 100 * MIB, 110 * MIB);
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_ratio_centi, 100);
	cr_expect_eq(c.zram_headroom_kib, 10 * MIB);
	/* 1000:1 is a device of zero-like pages: capped. */
	s = machine(512 * MIB, 10 * MIB, 100 * MIB);
	add_zram(&s, 0, 4096 * MIB, 1000 * MIB, 1000 * MIB, 1 * MIB);
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_ratio_centi, CAPACITY_MAX_RATIO_CENTI);
}

Test(capacity, a_device_without_mm_stat_counts_at_ratio_one)
{
	struct sample s = machine(512 * MIB, 30 * MIB, 300 * MIB);
	struct capacity c;

	add_zram(&s, 0, 256 * MIB, 100 * MIB, 0, 0);
	s.swaps.zram[0].have_mm_stat = false;
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_ram_kib, 0, "unknown, not invented");
	cr_expect_eq(c.zram_headroom_kib, 30 * MIB, "no ratio known: what RAM is available");
}

Test(capacity, two_devices_share_the_ram)
{
	struct sample s = machine(512 * MIB, 10 * MIB, 100 * MIB);
	struct capacity c;

	add_zram(&s, 0, 128 * MIB, 100 * MIB, 100 * MIB, 50 * MIB);
	add_zram(&s, 1, 128 * MIB, 100 * MIB, 100 * MIB, 50 * MIB);
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_ratio_centi, 200);
	cr_expect_eq(c.zram_headroom_kib, 56 * MIB, "min(28 + 28 free, (10 + 50) * 2)");
	cr_expect_eq(c.zram_ram_kib, 100 * MIB);
}

Test(capacity, disk_swap_beside_zram_is_kept)
{
	struct sample s = machine(2048 * MIB, 200 * MIB, 1500 * MIB);
	struct capacity c;

	/* 1 GiB zram, empty, and 2 GiB of disk swap, 1 GiB free. */
	add_zram(&s, 0, 1024 * MIB, 0, 0, 0);
	s.mi.swap_total_kib += 2048 * MIB;
	s.mi.swap_free_kib += 1024 * MIB;
	capacity_compute(&s, &c);
	cr_expect_eq(c.disk_total_kib, 2048 * MIB);
	cr_expect_eq(c.disk_free_kib, 1024 * MIB);
	cr_expect_eq(c.zram_headroom_kib, 200 * MIB, "ratio 1: MemAvailable");
	cr_expect_eq(c.swap_total_kib, 2248 * MIB);
	cr_expect_eq(c.swap_free_kib, 1224 * MIB);
}

Test(capacity, zswap_pool_is_ram_that_holds_swap)
{
	struct sample s = machine(2048 * MIB, 200 * MIB, 1500 * MIB);
	struct capacity c;

	s.mi.swap_total_kib = 2048 * MIB;
	s.mi.swap_free_kib = 1500 * MIB;
	s.mi.zswap_kib = 100 * MIB;
	s.mi.zswapped_kib = 300 * MIB;
	capacity_compute(&s, &c);
	cr_expect_eq(c.swapped_ram_kib, 100 * MIB);
	cr_expect_eq(c.swap_free_kib, 1500 * MIB, "its pages hold disk slots: SwapFree counts them");
}

Test(capacity, mlocked_anon_cannot_make_room)
{
	struct sample s = machine(512 * MIB, 5 * MIB, 100 * MIB);
	struct capacity c;

	add_zram(&s, 0, 1024 * MIB, 600 * MIB, 600 * MIB, 300 * MIB);
	s.mi.mlocked_kib = 100 * MIB;
	capacity_compute(&s, &c);
	cr_expect_eq(c.zram_headroom_kib, 10 * MIB, "only MemAvailable at 2:1");
}
