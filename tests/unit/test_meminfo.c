/* meminfo_parse against real captures and broken text. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse/meminfo.h"
#include "fixture.h"
#include "acquire/procfs.h"

static char *read_fixture(const char *rel)
{
	static char buf[16384];
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", getenv("OOMGUARD_FIXTURES"), rel);
	cr_assert_not_null(fixture_read(path, buf, sizeof(buf)), "cannot open %s", path);
	return buf;
}

Test(meminfo, real_capture_linux_6_18)
{
	struct meminfo mi;
	const char *bad = NULL;

	cr_assert_eq(meminfo_parse(read_fixture("plenty/meminfo"), &mi, &bad), 0);
	cr_expect_eq(mi.mem_total_kib, 24683656);
	cr_expect_eq(mi.mem_available_kib, 24426588);
	cr_expect_eq(mi.mem_free_kib, 24501620);
	cr_expect_eq(mi.active_file_kib, 7528);
	cr_expect_eq(mi.inactive_file_kib, 17716);
	cr_expect_eq(mi.anon_pages_kib, 5048);
	cr_expect_eq(mi.swap_total_kib, 0);
	cr_expect_eq(mi.swap_free_kib, 0);
}

Test(meminfo, lowmem_fixture)
{
	struct meminfo mi;
	const char *bad = NULL;

	cr_assert_eq(meminfo_parse(read_fixture("lowmem/meminfo"), &mi, &bad), 0);
	cr_expect_eq(mi.mem_total_kib, 2015232);
	cr_expect_eq(mi.mem_available_kib, 61440);
	cr_expect_eq(mi.swap_total_kib, 1048572);
	cr_expect_eq(mi.swap_free_kib, 20480);
}

/* A 4.x kernel without a few later fields but with everything we need. */
static const char minimal[] =
	"MemTotal:        1016324 kB\n"
	"MemFree:           79232 kB\n"
	"MemAvailable:     402064 kB\n"
	"SwapTotal:       1048572 kB\n"
	"SwapFree:         950000 kB\n";

Test(meminfo, minimal_and_no_trailing_newline)
{
	char buf[sizeof(minimal)];
	struct meminfo mi;
	const char *bad = NULL;

	snprintf(buf, sizeof(buf), "%s", minimal);
	buf[sizeof(minimal) - 2] = '\0';	/* drop the final '\n' */
	cr_assert_eq(meminfo_parse(buf, &mi, &bad), 0);
	cr_expect_eq(mi.swap_free_kib, 950000);
	cr_expect_eq(mi.anon_pages_kib, 0);
}

Test(meminfo, missing_memavailable_is_named)
{
	struct meminfo mi;
	const char *bad = NULL;

	/* Linux before 3.14 has no MemAvailable. */
	cr_assert_eq(meminfo_parse("MemTotal: 1000 kB\nMemFree: 10 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
				   &mi, &bad), -EINVAL);
	cr_expect_str_eq(bad, "MemAvailable");
}

Test(meminfo, keys_are_anchored_at_line_start)
{
	struct meminfo mi;
	const char *bad = NULL;
	/* "XMemAvailable" and a key inside another line must not count. */
	const char *text = "MemTotal: 1000 kB\nXMemAvailable: 999 kB\nFoo MemAvailable: 5 kB\n"
			   "SwapTotal: 0 kB\nSwapFree: 0 kB\n";

	cr_assert_eq(meminfo_parse(text, &mi, &bad), -EINVAL);
	cr_expect_str_eq(bad, "MemAvailable");
}

Test(meminfo, truncated_last_line)
{
	struct meminfo mi;
	const char *bad = NULL;

	cr_assert_eq(meminfo_parse("MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\nSwapFree: 1",
				   &mi, &bad), -EINVAL);
	cr_expect_str_eq(bad, "SwapFree");
	cr_assert_eq(meminfo_parse("MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapTo", &mi, &bad), -EINVAL);
	cr_expect_str_eq(bad, "SwapTotal");
}

Test(meminfo, huge_and_garbage_numbers)
{
	struct meminfo mi;
	const char *bad = NULL;

	cr_expect_eq(meminfo_parse("MemTotal: 99999999999999999999999 kB\nMemAvailable: 1 kB\n"
				   "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &mi, &bad), -EINVAL);
	cr_expect_str_eq(bad, "MemTotal");
	cr_expect_eq(meminfo_parse("MemTotal: 1000 kB\nMemAvailable: -5 kB\n"
				   "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &mi, &bad), -EINVAL);
	cr_expect_str_eq(bad, "MemAvailable");
	cr_expect_eq(meminfo_parse("MemTotal: 1000 kB\nMemAvailable: 12x kB\n"
				   "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &mi, &bad), -EINVAL);
	cr_expect_eq(meminfo_parse("MemTotal: 1000 MB\nMemAvailable: 12 kB\n"
				   "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &mi, &bad), -EINVAL);
	cr_expect_eq(meminfo_parse("MemTotal: 0 kB\nMemAvailable: 0 kB\n"
				   "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &mi, &bad), -EINVAL);
}

Test(meminfo, duplicate_key_is_an_error)
{
	struct meminfo mi;
	const char *bad = NULL;

	cr_expect_eq(meminfo_parse("MemTotal: 1000 kB\nMemAvailable: 5 kB\nMemAvailable: 6 kB\n"
				   "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &mi, &bad), -EINVAL);
	cr_expect_str_eq(bad, "MemAvailable");
}

Test(meminfo, unknown_keys_and_odd_lines_ignored)
{
	struct meminfo mi;
	const char *bad = NULL;

	cr_assert_eq(meminfo_parse("HugePages_Total:       0\nNewKey2031: 7 kB\nno colon here\n\n"
				   "MemTotal: 1000 kB\nMemAvailable: 5 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
				   &mi, &bad), 0);
	cr_expect_eq(mi.mem_available_kib, 5);
}

Test(meminfo, empty_buffer)
{
	struct meminfo mi;
	const char *bad = NULL;

	cr_expect_eq(meminfo_parse("", &mi, &bad), -EINVAL);
	cr_expect_str_eq(bad, "MemTotal");
}

Test(meminfo, zoneinfo_reserve_real_capture)
{
	uint64_t pages = 0;

	/* Linux 6.18: DMA, DMA32, Normal, Movable, Device zones; per-CPU
	 * "high:" lines must not be taken for the watermark. */
	cr_assert_eq(meminfo_parse_zoneinfo_reserve(read_fixture("plenty/zoneinfo"), &pages), 0);
	cr_expect_gt(pages, 0);
	cr_expect_lt(pages, 24683656 / 4 / 10, "reserve is a small share of RAM: %llu", (unsigned long long)pages);
}

Test(meminfo, zoneinfo_reserve_rules)
{
	uint64_t pages;
	/* max(protection) + high, capped at managed; pageset lines ignored. */
	const char *two_zones =
		"Node 0, zone      DMA\n  per-node stats\n        high     38\n        managed  3840\n"
		"        protection: (0, 3018, 9546, 9546)\n  pagesets\n    cpu: 0\n"
		"              high:     5000\n"
		"Node 0, zone   Normal\n        high     1000\n        managed  500\n"
		"        protection: (0, 0, 0, 0)\n";

	cr_assert_eq(meminfo_parse_zoneinfo_reserve(two_zones, &pages), 0);
	cr_expect_eq(pages, 3840 + 500, "9546 + 38 capped at 3840; 1000 capped at 500");
	cr_expect_eq(meminfo_parse_zoneinfo_reserve("Node 0, zone DMA\n        high     38\n", &pages), -EINVAL,
		     "no managed line");
	cr_expect_eq(meminfo_parse_zoneinfo_reserve("", &pages), -EINVAL);
	cr_expect_eq(meminfo_parse_zoneinfo_reserve("Node 0, zone DMA\n high 3\n managed 9\n protection: (1, x)\n",
						    &pages), -EINVAL);
	cr_assert_eq(meminfo_parse_zoneinfo_reserve("Node 0, zone DMA\n high 3\n managed 9\n protection: (4)\n",
						    &pages), 0);
	cr_expect_eq(pages, 7);
}
