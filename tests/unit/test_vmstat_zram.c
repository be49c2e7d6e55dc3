/* /proc/vmstat, /proc/swaps and zram mm_stat parsers, and the sampler's
 * zram accounting over a fixture tree. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "acquire/sensors.h"
#include "parse/vmstat.h"
#include "parse/zram.h"

/* Lines of /proc/vmstat from Linux 6.18 (excerpt, order kept). */
static const char vmstat_618[] =
	"nr_free_pages 6125405\nnr_zone_inactive_anon 755\nworkingset_refault_anon 12\n"
	"workingset_refault_file 3456\nworkingset_activate_anon 0\nworkingset_activate_file 13943\n"
	"pswpin 7\npswpout 9\npgmajfault 1696\noom_kill 2\n";

Test(vmstat, real_capture)
{
	struct vmstat vm;

	cr_assert_eq(vmstat_parse(vmstat_618, &vm), 0);
	cr_expect_eq(vm.oom_kill, 2);
	cr_expect(vm.have_oom_kill);
	cr_expect_eq(vm.refault_file, 3456);
	cr_expect_eq(vm.refault_anon, 12);
	cr_expect(vm.have_refault);
	cr_expect_eq(vm.pswpin, 7);
	cr_expect_eq(vm.pswpout, 9);
}

Test(vmstat, old_kernel_names_and_absent_counters)
{
	struct vmstat vm;

	/* Before 5.9 there was one workingset_refault; before 4.13 no oom_kill. */
	cr_assert_eq(vmstat_parse("workingset_refault 99\nworkingset_refault_file_x 5\n", &vm), 0);
	cr_expect_eq(vm.refault_file, 99);
	cr_expect(vm.have_refault);
	cr_expect_not(vm.have_oom_kill);
	cr_expect_eq(vmstat_parse("oom_kill x\n", &vm), -EINVAL);
	cr_expect_eq(vmstat_parse("oom_kill 5 6\n", &vm), -EINVAL);
	cr_expect_eq(vmstat_parse("oom_kill", &vm), -EINVAL, "truncated");
	cr_expect_eq(vmstat_parse("", &vm), 0);
}

static const char swaps_mixed[] =
	"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	"/dev/zram0                              partition\t4194300\t\t1048576\t\t100\n"
	"/swapfile                               file\t\t2097148\t\t512\t\t-2\n"
	"/dev/zram1                              partition\t1000\t\t0\t\t100\n";

Test(zram, swaps_split_zram_from_disk)
{
	struct swaps sw;

	cr_assert_eq(zram_parse_swaps(swaps_mixed, &sw), 0);
	cr_expect_eq(sw.zram_total_kib, 4195300);
	cr_expect_eq(sw.zram_used_kib, 1048576);
	cr_assert_eq(sw.n_zram, 2);
	cr_expect_eq(sw.zram[0].id, 0);
	cr_expect_eq(sw.zram[0].size_kib, 4194300);
	cr_expect_eq(sw.zram[0].used_kib, 1048576);
	cr_expect_eq(sw.zram[1].id, 1);
	cr_expect_eq(sw.zram[1].size_kib, 1000);
	cr_expect_not(sw.zram[0].have_mm_stat, "mm_stat is the sampler's to read");
	cr_assert_eq(zram_parse_swaps("Filename\tType\tSize\tUsed\tPriority\n", &sw), 0);
	cr_expect_eq(sw.n_zram, 0);
	cr_expect_eq(zram_parse_swaps("", &sw), -EINVAL);
	cr_expect_eq(zram_parse_swaps("Filename\n/dev/zram0 partition x 0 100\n", &sw), -EINVAL);
	cr_expect_eq(zram_parse_swaps("Filename\n/dev/zram0 partition 10 20 100\n", &sw), -EINVAL,
		     "used > size");
}

Test(zram, mm_stat)
{
	struct zram_device d = { 0 };

	/* orig compr mem_used_total limit max same compacted huge huge_since */
	cr_assert_eq(zram_parse_mm_stat("1073741824 268435456 283115520        0 283115520    12    0    0    0\n",
					&d), 0);
	cr_expect(d.have_mm_stat);
	cr_expect_eq(d.orig_bytes, 1073741824);
	cr_expect_eq(d.compr_bytes, 268435456);
	cr_expect_eq(d.mem_used_bytes, 283115520);
	cr_expect_eq(d.mem_limit_bytes, 0);
	cr_expect_eq(d.same_pages, 12);
	/* Linux 4.1-4.12: seven fields, no same_pages yet; the limit is set. */
	memset(&d, 0, sizeof(d));
	cr_assert_eq(zram_parse_mm_stat("4096 100 12288 67108864 12288 0\n", &d), 0);
	cr_expect_eq(d.mem_limit_bytes, 67108864);
	cr_expect_eq(d.same_pages, 0);
	memset(&d, 0, sizeof(d));
	cr_expect_eq(zram_parse_mm_stat("1 2\n", &d), -EINVAL, "three fields at least");
	cr_expect_not(d.have_mm_stat);
	cr_expect_eq(zram_parse_mm_stat("1 2 x 4\n", &d), -EINVAL);
	cr_expect_eq(zram_parse_mm_stat("1 2 3x\n", &d), -EINVAL);
	cr_expect_eq(zram_parse_mm_stat("", &d), -EINVAL);
}

/* A 2 GiB VPS with 1 GiB zram swap, half used, holding its pages in
 * 180 MiB of RAM: the sampler reads the device's mm_stat beside
 * /proc/swaps, for decide/capacity.c to count. */
Test(zram, sampler_reads_each_device)
{
	char *root = fixture_create(2097152, 200000, 1048572, 524286);
	char *sys = fixture_create(1, 1, 0, 0);
	struct procfs procfs = PROCFS_INIT;
	static struct sensors s;
	struct sample smp = { 0 };
	const char *bad;
	char dir[1200];

	fixture_puts(root, "swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
				     "/dev/zram0                              partition\t1048572\t\t524286\t\t100\n");
	snprintf(dir, sizeof(dir), "%s/block", sys);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/block/zram0", sys);
	cr_assert_eq(mkdir(dir, 0755), 0);
	fixture_puts(dir, "mm_stat", "536866816 150000000 188743680 0 188743680 0 0 0 0\n");

	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(sensors_open(&s, &procfs, sys), 0);
	cr_assert_eq(sensors_sample(&s, &smp, true, &bad), 0);
	cr_expect_eq(smp.mi.swap_total_kib, 1048572, "the kernel's view is kept");
	cr_assert_eq(smp.swaps.n_zram, 1);
	cr_expect_eq(smp.swaps.zram[0].used_kib, 524286);
	cr_expect(smp.swaps.zram[0].have_mm_stat);
	cr_expect_eq(smp.swaps.zram[0].mem_used_bytes, 188743680);
	cr_expect_eq(smp.swaps.zram[0].orig_bytes, 536866816);
	/* The pool grows: the next sample reads it again through the same
	 * descriptor. */
	fixture_puts(dir, "mm_stat", "636866816 170000000 198743680 0 198743680 0 0 0 0\n");
	cr_assert_eq(sensors_sample(&s, &smp, false, &bad), 0);
	cr_expect_eq(smp.swaps.zram[0].mem_used_bytes, 198743680);
	sensors_close(&s);
	procfs_close(&procfs);
	fixture_destroy(root);
	fixture_destroy(sys);
}

Test(zram, no_sysfs_leaves_the_pool_unknown)
{
	char *root = fixture_create(2097152, 200000, 3145720, 2000000);
	struct procfs procfs = PROCFS_INIT;
	static struct sensors s;
	struct sample smp = { 0 };
	const char *bad;

	/* 1 GiB zram (all free) + 2 GiB disk swap (2000000 - 1048572 free). */
	fixture_puts(root, "swaps", "Filename\tType\tSize\tUsed\tPriority\n"
				     "/dev/zram0\tpartition\t1048572\t0\t100\n"
				     "/dev/vda3\tpartition\t2097148\t1145720\t-2\n");
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(sensors_open(&s, &procfs, "/nonexistent"), 0);
	cr_assert_eq(sensors_sample(&s, &smp, true, &bad), 0);
	cr_assert_eq(smp.swaps.n_zram, 1);
	cr_expect_eq(smp.swaps.zram_total_kib, 1048572);
	cr_expect_not(smp.swaps.zram[0].have_mm_stat, "no sysfs: zram RAM use unknown, not invented");
	sensors_close(&s);
	procfs_close(&procfs);
	fixture_destroy(root);
}
