/* Container mode's foundation: the memory files of a cgroup parsed, the
 * limit search, the cgroup's view of memory, the memcg OOM killer's
 * totalpages; over string literals, the fixture trees captured on Linux 6.1
 * (tests/fixtures/cgroup-*) and, where this machine allows it, a real
 * cgroup. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acquire/cgroupfs.h"
#include "acquire/memcg.h"
#include "acquire/procfs.h"
#include "decide/badness.h"
#include "parse/meminfo.h"
#include "parse/memcg.h"
#include "parse/pidinfo.h"

#define MIB (UINT64_C(1) << 20)

static const char *fixture(const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", getenv("OOMGUARD_FIXTURES"), rel);
	return buf;
}

/* The text of fixture file rel, into buf. */
static char *fixture_text(const char *rel, char *buf, size_t size)
{
	char path[1024];
	FILE *f = fopen(fixture(rel, path, sizeof(path)), "r");
	size_t n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct cgroupfs open_tree(const char *name)
{
	struct cgroupfs cg = CGROUPFS_INIT;
	char path[1024];

	cr_assert_eq(cgroupfs_open(&cg, fixture(name, path, sizeof(path))), 0, "%s", path);
	return cg;
}

/* The guest's /proc/meminfo (466136 kB, 32764 kB of zram swap). */
static struct meminfo guest_meminfo(const char *rel)
{
	char buf[4096];
	const char *bad = NULL;
	struct meminfo mi;

	cr_assert_eq(meminfo_parse(fixture_text(rel, buf, sizeof(buf)), &mi, &bad), 0, "%s", bad);
	return mi;
}

/* ---- parsers ---------------------------------------------------------- */

Test(memcg, limits_are_max_or_bytes)
{
	uint64_t v = 7;

	cr_expect_eq(memcg_parse_limit("max\n", &v), 0);
	cr_expect_eq(v, MEMCG_UNLIMITED);
	cr_expect_eq(memcg_parse_limit("268435456\n", &v), 0);
	cr_expect_eq(v, 256 * MIB);
	cr_expect_eq(memcg_parse_limit("0\n", &v), 0, "swap.max 0 is a limit");
	cr_expect_eq(v, 0);
	cr_expect_eq(memcg_parse_limit("max", &v), 0, "no newline");
	cr_expect_eq(memcg_parse_limit("9223372036854771712\n", &v), 0, "a huge one as written");
	cr_expect_eq(v, UINT64_C(9223372036854771712));
	cr_expect_eq(memcg_parse_limit("", &v), -EINVAL);
	cr_expect_eq(memcg_parse_limit("\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_limit("maxx\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_limit("max 1\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_limit("-1\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_limit(" 12\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_limit("12\n\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_limit("12k\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_limit("18446744073709551615\n", &v), -EINVAL,
		     "the value that means max in our struct cannot be a number");
	cr_expect_eq(memcg_parse_limit("99999999999999999999\n", &v), -EINVAL);
}

Test(memcg, usage_is_one_number)
{
	uint64_t v = 7;

	cr_expect_eq(memcg_parse_number("59211776\n", &v), 0);
	cr_expect_eq(v, 59211776);
	cr_expect_eq(memcg_parse_number("60", &v), 0);
	cr_expect_eq(v, 60);
	cr_expect_eq(memcg_parse_number("max\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_number("", &v), -EINVAL);
	cr_expect_eq(memcg_parse_number("1\n2\n", &v), -EINVAL);
	cr_expect_eq(memcg_parse_number("1152921504606846977\n", &v), -EINVAL, "over 2^60");
}

Test(memcg, memory_stat_of_linux_6_1)
{
	char buf[8192];
	struct memcg_stat st;

	fixture_text("cgroup-container/box/app/memory.stat", buf, sizeof(buf));
	cr_assert_eq(memcg_parse_stat(buf, &st), 0);
	cr_expect_eq(st.anon, 50380800);
	/* 8 MiB written to /dev/shm: in "file" and "shmem", never in the
	 * file LRU (swap-backed pages sit on the anon LRU). */
	cr_expect_eq(st.file, 8 * MIB);
	cr_expect_eq(st.shmem, 8 * MIB);
	cr_expect_eq(st.active_file + st.inactive_file, 0);
	cr_expect_eq(st.file_mapped, 0);
	cr_expect_eq(st.slab_reclaimable, 20856);
	cr_expect_eq(st.unevictable, 0);
}

Test(memcg, memory_stat_keys_are_whole_words_at_line_start)
{
	struct memcg_stat st;

	cr_assert_eq(memcg_parse_stat("file_mapped 5\nanon 1\nfile 2\nactive_file 3\n"
				      "inactive_file 4\nxshmem 9\n shmem 9\nshmem_thp 9\n", &st), 0);
	cr_expect_eq(st.file, 2, "file_mapped is not file");
	cr_expect_eq(st.file_mapped, 5);
	cr_expect_eq(st.shmem, 0, "shmem only at the start of a line, and whole");
	cr_expect_eq(st.inactive_file, 4);
	/* Counters the view does not read may be anything. */
	cr_expect_eq(memcg_parse_stat("anon 1\nfile 2\nactive_file 3\ninactive_file 4\n"
				      "pgfault lots\n", &st), 0);
	cr_expect_eq(memcg_parse_stat("anon 1\nfile 2\nactive_file 3\ninactive_file 4", &st), 0,
		     "no final newline");
}

Test(memcg, memory_stat_refuses_what_it_needs_malformed_or_missing)
{
	struct memcg_stat st;
	char buf[8192];

	cr_expect_eq(memcg_parse_stat("anon x\nfile 2\nactive_file 3\ninactive_file 4\n", &st),
		     -EINVAL);
	cr_expect_eq(memcg_parse_stat("anon 1 2\nfile 2\nactive_file 3\ninactive_file 4\n", &st),
		     -EINVAL);
	cr_expect_eq(memcg_parse_stat("anon -1\nfile 2\nactive_file 3\ninactive_file 4\n", &st),
		     -EINVAL);
	cr_expect_eq(memcg_parse_stat("anon 1\nfile 2\nactive_file 3\n", &st), -EINVAL,
		     "no inactive_file");
	cr_expect_eq(memcg_parse_stat("anon\nfile 2\nactive_file 3\ninactive_file 4\n", &st),
		     -EINVAL, "a key without its value is not the key");
	cr_expect_eq(memcg_parse_stat("", &st), -EINVAL);
	/* The real file cut before its LRU lines: refused, not half read. */
	fixture_text("cgroup-container/box/app/memory.stat", buf, sizeof(buf));
	*strstr(buf, "inactive_anon") = '\0';
	cr_expect_eq(memcg_parse_stat(buf, &st), -EINVAL);
}

Test(memcg, cgroup_stat_descendants)
{
	char buf[256];
	uint64_t n = 9;

	cr_expect_eq(memcg_parse_nr_descendants(
			     fixture_text("cgroup-container/box/cgroup.stat", buf, sizeof(buf)), &n), 0);
	cr_expect_eq(n, 2);
	cr_expect_eq(memcg_parse_nr_descendants("nr_dying_descendants 3\n", &n), -EINVAL);
	cr_expect_eq(memcg_parse_nr_descendants("nr_descendants\n", &n), -EINVAL);
	cr_expect_eq(memcg_parse_nr_descendants("nr_descendants 1x\n", &n), -EINVAL);
	cr_expect_eq(memcg_parse_nr_descendants("", &n), -EINVAL);
}

Test(memcg, paths_the_search_may_walk)
{
	cr_expect(memcg_path_valid("/"));
	cr_expect(memcg_path_valid("/box"));
	cr_expect(memcg_path_valid("/system.slice/web.service"));
	cr_expect_not(memcg_path_valid(""));
	cr_expect_not(memcg_path_valid("box"));
	cr_expect_not(memcg_path_valid("/box/"));
	cr_expect_not(memcg_path_valid("//box"));
	cr_expect_not(memcg_path_valid("/../.."), "outside our cgroup namespace");
	cr_expect_not(memcg_path_valid("/a/./b"));
	cr_expect_not(memcg_path_valid("/a/.."));
}

/* ---- the limit search over a table ------------------------------------ */

struct fake_cgroup {
	const char *path;
	uint64_t max, swap_max, n_procs, nr_descendants;
	int error;
};

struct fake_tree {
	const struct fake_cgroup *cg;
	unsigned n;
	unsigned asked_members;		/* levels asked for their members */
};

static int fake_read(const char *path, bool members, struct memcg_level *out, void *data)
{
	struct fake_tree *t = data;

	for (unsigned i = 0; i < t->n; i++) {
		const struct fake_cgroup *c = &t->cg[i];

		if (strcmp(c->path, path) != 0)
			continue;
		if (c->error)
			return c->error;
		out->max = c->max;
		out->swap_max = c->swap_max;
		if (members) {
			t->asked_members++;
			out->n_procs = c->n_procs;
			out->nr_descendants = c->nr_descendants;
		}
		return 0;
	}
	return -ENOENT;
}

#define U MEMCG_UNLIMITED
#define RAM (4096 * MIB)

static struct memcg_limit search(const char *self, const struct fake_cgroup *cg, unsigned n,
				 int expect)
{
	struct fake_tree t = { cg, n, 0 };
	struct memcg_limit lim;

	cr_assert_eq(memcg_find_limit(self, RAM, fake_read, &t, &lim), expect);
	return lim;
}

Test(memcg, the_lowest_limit_on_the_path_binds)
{
	static const struct fake_cgroup tree[] = {
		{ "/", U, U, 40, 9, 0 },
		{ "/machine.slice", 3072 * MIB, U, 0, 5, 0 },
		{ "/machine.slice/lxc-web.scope", 1024 * MIB, 512 * MIB, 12, 0, 0 },
	};
	struct memcg_limit lim = search("/machine.slice/lxc-web.scope", tree, 3, 0);

	cr_expect_str_eq(lim.path, "/machine.slice/lxc-web.scope");
	cr_expect_eq(lim.max, 1024 * MIB);
	cr_expect_eq(lim.swap_max, 512 * MIB);
	cr_expect_str_eq(lim.swap_path, "/machine.slice/lxc-web.scope");
	cr_expect_eq(lim.swap_limit, 512 * MIB);
	cr_expect_eq(lim.skipped, 0);
}

Test(memcg, an_ancestor_tighter_than_ours_binds_and_swap_apart)
{
	static const struct fake_cgroup tree[] = {
		{ "/", U, U, 40, 9, 0 },
		{ "/box", 512 * MIB, U, 0, 2, 0 },
		{ "/box/app", 1024 * MIB, 0, 3, 0, 0 },
	};
	struct memcg_limit lim = search("/box/app", tree, 3, 0);

	cr_expect_str_eq(lim.path, "/box");
	cr_expect_eq(lim.max, 512 * MIB);
	cr_expect_eq(lim.swap_max, U, "the binding cgroup's own swap.max, for totalpages");
	cr_expect_str_eq(lim.swap_path, "/box/app");
	cr_expect_eq(lim.swap_limit, 0);
}

Test(memcg, a_tie_goes_to_the_ancestor)
{
	static const struct fake_cgroup tree[] = {
		{ "/", U, U, 40, 9, 0 },
		{ "/box", 512 * MIB, 0, 0, 1, 0 },
		{ "/box/app", 512 * MIB, 0, 3, 0, 0 },
	};
	struct memcg_limit lim = search("/box/app", tree, 3, 0);

	cr_expect_str_eq(lim.path, "/box");
	cr_expect_str_eq(lim.swap_path, "/box");
}

Test(memcg, oomguards_own_unit_is_left_out)
{
	static const struct fake_cgroup tree[] = {
		{ "/", U, U, 40, 9, 0 },
		{ "/system.slice", 2048 * MIB, U, 0, 7, 0 },
		/* MemoryMax=50M on oomguard.service, holding oomguard alone. */
		{ "/system.slice/oomguard.service", 50 * MIB, U, 0, 0, 0 },
	};
	struct fake_tree t = { tree, 3, 0 };
	struct memcg_limit lim;

	cr_assert_eq(memcg_find_limit("/system.slice/oomguard.service", RAM, fake_read, &t, &lim), 0);
	cr_expect_str_eq(lim.path, "/system.slice");
	cr_expect_eq(lim.max, 2048 * MIB);
	cr_expect_eq(lim.skipped, 1);
	cr_expect_eq(t.asked_members, 2, "members are read only while leaving out");
}

Test(memcg, a_cgroup_that_holds_anything_else_counts)
{
	/* Another process beside us (a hook, a helper): it is what the
	 * limit protects now. */
	static const struct fake_cgroup others[] = {
		{ "/", U, U, 40, 9, 0 },
		{ "/box", 256 * MIB, U, 1, 0, 0 },
	};
	/* A child cgroup: someone else's workload lives below us. */
	static const struct fake_cgroup child[] = {
		{ "/", U, U, 40, 9, 0 },
		{ "/box", 256 * MIB, U, 0, 1, 0 },
	};
	/* A whole chain holding only us: a container whose one process we
	 * are has nothing to protect. */
	static const struct fake_cgroup chain[] = {
		{ "/", U, U, 0, 2, 0 },
		{ "/a", 256 * MIB, U, 0, 1, 0 },
		{ "/a/b", 128 * MIB, U, 0, 0, 0 },
	};
	struct memcg_limit lim;

	lim = search("/box", others, 2, 0);
	cr_expect_str_eq(lim.path, "/box");
	cr_expect_eq(lim.skipped, 0);
	lim = search("/box", child, 2, 0);
	cr_expect_str_eq(lim.path, "/box");
	lim = search("/a/b", chain, 3, 0);
	cr_expect_str_eq(lim.path, "");
	cr_expect_eq(lim.max, U);
	cr_expect_eq(lim.skipped, 3);
}

Test(memcg, a_limit_at_or_above_ram_does_not_bind)
{
	static const struct fake_cgroup tree[] = {
		{ "/", U, U, 40, 9, 0 },
		{ "/user.slice", RAM, U, 0, 3, 0 },
		{ "/user.slice/big", 8 * RAM, U, 2, 0, 0 },
	};
	struct memcg_limit lim = search("/user.slice/big", tree, 3, 0);

	cr_expect_str_eq(lim.path, "");
	cr_expect_eq(lim.max, U);
	cr_expect_str_eq(lim.swap_path, "");
	cr_expect_eq(lim.swap_limit, U);
}

Test(memcg, the_search_refuses_odd_paths_and_passes_errors_up)
{
	static const struct fake_cgroup tree[] = {
		{ "/", U, U, 40, 9, 0 },
		{ "/box", 256 * MIB, U, 0, 0, -EACCES },
	};

	search("/../../elsewhere", tree, 2, -EINVAL);
	search("box", tree, 2, -EINVAL);
	search("/box", tree, 2, -EACCES);
	search("/gone", tree, 2, -ENOENT);
}

Test(memcg, the_root_alone_is_searched_too)
{
	/* Inside a cgroup namespace the mount's root is the container's own
	 * cgroup, and it has a memory.max. */
	static const struct fake_cgroup tree[] = {
		{ "/", 512 * MIB, U, 3, 1, 0 },
	};
	struct memcg_limit lim = search("/", tree, 1, 0);

	cr_expect_str_eq(lim.path, "/");
	cr_expect_eq(lim.max, 512 * MIB);
}

/* ---- the fixture trees, through cgroupfs ------------------------------ */

#define GUARD_PID 136	/* the oomguard stand-in in /box/oomguard.service */
#define APP_PID 116	/* the workload in /box/app */

Test(memcg, fixture_container_skips_oomguards_unit)
{
	struct cgroupfs cg = open_tree("cgroup-container");
	struct meminfo mi = guest_meminfo("cgroup-proc/meminfo");
	struct memcg_limit lim;

	cr_assert_eq(memcg_read_limit(&cg, "/box/oomguard.service", GUARD_PID, mi.mem_total_kib,
				      &lim), 0);
	cr_expect_str_eq(lim.path, "/box");
	cr_expect_eq(lim.max, 256 * MIB);
	cr_expect_eq(lim.skipped, 1);
	cr_expect_str_eq(lim.swap_path, "", "swap.max is max everywhere");
	/* Any other pid: the unit holds someone else, its 32M binds. */
	cr_assert_eq(memcg_read_limit(&cg, "/box/oomguard.service", APP_PID, mi.mem_total_kib,
				      &lim), 0);
	cr_expect_str_eq(lim.path, "/box/oomguard.service");
	cr_expect_eq(lim.max, 32 * MIB);
	cgroupfs_close(&cg);
}

Test(memcg, fixture_nested_finds_the_inner_limit_and_swap_0)
{
	struct cgroupfs cg = open_tree("cgroup-nested");
	struct meminfo mi = guest_meminfo("cgroup-proc/meminfo");
	struct memcg_limit lim;

	cr_assert_eq(memcg_read_limit(&cg, "/outer/inner/app", GUARD_PID, mi.mem_total_kib, &lim), 0);
	cr_expect_str_eq(lim.path, "/outer/inner");
	cr_expect_eq(lim.max, 128 * MIB);
	cr_expect_eq(lim.swap_max, 0);
	cr_expect_str_eq(lim.swap_path, "/outer/inner");
	cr_expect_eq(lim.swap_limit, 0);
	cgroupfs_close(&cg);
}

Test(memcg, fixture_max_everywhere_finds_none)
{
	struct cgroupfs cg = open_tree("cgroup-unlimited");
	struct meminfo mi = guest_meminfo("cgroup-proc/meminfo");
	struct memcg_limit lim;

	cr_assert_eq(memcg_read_limit(&cg, "/system.slice/web.service", GUARD_PID,
				      mi.mem_total_kib, &lim), 0);
	cr_expect_str_eq(lim.path, "");
	cr_expect_eq(lim.max, MEMCG_UNLIMITED);
	cr_expect_eq(memcg_read_limit(&cg, "/system.slice/gone.service", GUARD_PID,
				      mi.mem_total_kib, &lim), -ENOENT);
	cgroupfs_close(&cg);
}

Test(memcg, fixture_sample_of_the_container)
{
	struct cgroupfs cg = open_tree("cgroup-container");
	struct memcg_sample s;

	cr_assert_eq(memcg_read_sample(&cg, "/box", &s), 0);
	cr_expect_eq(s.max, 256 * MIB);
	cr_expect_eq(s.high, MEMCG_UNLIMITED);
	cr_expect_eq(s.current, 59060224);
	cr_expect(s.have_swap);
	cr_expect_eq(s.swap_max, MEMCG_UNLIMITED);
	cr_expect_eq(s.swap_current, 0);
	cr_expect_eq(s.stat.shmem, 8 * MIB);
	/* The mount's root has no memory.max: no figures of its own. */
	cr_expect_eq(memcg_read_sample(&cg, "/", &s), -ENOENT);
	cr_expect_eq(memcg_read_sample(&cg, "/box/vanished", &s), -ENOENT);
	cgroupfs_close(&cg);
}

Test(memcg, fixture_self_path_and_swappiness)
{
	struct procfs pf = PROCFS_INIT;
	char path[4096], dir[1024];
	unsigned swappiness = 0;

	cr_assert_eq(procfs_open(&pf, fixture("cgroup-proc", dir, sizeof(dir))), 0);
	cr_expect_eq(memcg_read_self_path(&pf, path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/box/oomguard.service");
	cr_expect_eq(memcg_read_swappiness(&pf, &swappiness), 0);
	cr_expect_eq(swappiness, 60);
	procfs_close(&pf);
}

/* A scratch copy of a fixture tree, to break. */
static char *scratch_tree(const char *name)
{
	char *dir = strdup("/tmp/oomguard-memcg-XXXXXX");
	char src[1024], cmd[2200];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -r '%s/.' '%s'", fixture(name, src, sizeof(src)), dir);
	cr_assert_eq(system(cmd), 0);
	return dir;
}

static void scratch_put(const char *dir, const char *rel, const char *text)
{
	char path[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void scratch_remove(char *dir)
{
	char cmd[200];

	cr_assert(strncmp(dir, "/tmp/oomguard-memcg-", 20) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	free(dir);
}

Test(memcg, broken_files_are_refused_missing_optional_ones_are_not)
{
	char *dir = scratch_tree("cgroup-container");
	struct cgroupfs cg = CGROUPFS_INIT;
	struct memcg_sample s;
	char path[1200];

	cr_assert_eq(cgroupfs_open(&cg, dir), 0);
	scratch_put(dir, "box/memory.max", "256M\n");
	cr_expect_eq(memcg_read_sample(&cg, "/box", &s), -EINVAL);
	scratch_put(dir, "box/memory.max", "268435456\n");
	scratch_put(dir, "box/memory.current", "");
	cr_expect_eq(memcg_read_sample(&cg, "/box", &s), -EINVAL, "truncated to nothing");
	scratch_put(dir, "box/memory.current", "59211776\n");
	scratch_put(dir, "box/memory.stat", "anon 50380800\nfile 83886");
	cr_expect_eq(memcg_read_sample(&cg, "/box", &s), -EINVAL, "truncated memory.stat");
	scratch_put(dir, "box/memory.stat", "anon 1\nfile 2\nactive_file 3\ninactive_file 4\n");
	/* swapaccount=0: no memory.swap.* at all, and no memory.high. */
	snprintf(path, sizeof(path), "%s/box/memory.swap.max", dir);
	cr_assert_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/box/memory.high", dir);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(memcg_read_sample(&cg, "/box", &s), 0);
	cr_expect_not(s.have_swap);
	cr_expect_eq(s.swap_max, MEMCG_UNLIMITED);
	cr_expect_eq(s.high, MEMCG_UNLIMITED);
	/* A number too long for a value file. */
	scratch_put(dir, "box/memory.max", "1234567890123456789012345678901234567890\n");
	cr_expect_eq(memcg_read_sample(&cg, "/box", &s), -EINVAL);
	/* A cgroup.procs line that is no pid: the search fails, loudly. */
	scratch_put(dir, "box/oomguard.service/cgroup.procs", "136\nx\n");
	{
		struct memcg_limit lim;

		cr_expect_eq(memcg_read_limit(&cg, "/box/oomguard.service", GUARD_PID, 466136,
					      &lim), -EINVAL);
	}
	cgroupfs_close(&cg);
	scratch_remove(dir);
}

/* ---- the view --------------------------------------------------------- */

Test(memcg, view_of_the_container)
{
	struct cgroupfs cg = open_tree("cgroup-container");
	struct meminfo mi = guest_meminfo("cgroup-proc/meminfo"), v;
	struct memcg_sample s;
	uint64_t reclaimable;

	cr_assert_eq(memcg_read_sample(&cg, "/box", &s), 0);
	memcg_view(&s, NULL, &mi, &v);
	reclaimable = s.stat.active_file + s.stat.inactive_file + s.stat.slab_reclaimable;
	cr_expect_eq(v.mem_total_kib, 256 * 1024);
	cr_expect_eq(v.mem_available_kib, (256 * MIB - (s.current - reclaimable)) / 1024);
	/* The shm segment is not available, though "file" counts it. */
	cr_expect_lt(v.mem_available_kib, (256 * MIB - s.current + s.stat.file) / 1024);
	cr_expect_eq(v.mem_free_kib, (256 * MIB - s.current) / 1024);
	cr_expect_eq(v.anon_pages_kib, s.stat.anon / 1024);
	cr_expect_eq(v.shmem_kib, 8 * 1024);
	cr_expect_eq(v.cached_kib, 8 * 1024);
	cr_expect_eq(v.swap_total_kib, mi.swap_total_kib, "no swap limit: the machine's");
	cr_expect_eq(v.swap_free_kib, mi.swap_free_kib);
	cgroupfs_close(&cg);
}

Test(memcg, view_with_swap_max_0)
{
	struct cgroupfs cg = open_tree("cgroup-nested");
	struct meminfo mi = guest_meminfo("cgroup-proc/meminfo"), v;
	struct memcg_sample s;

	cr_assert_eq(memcg_read_sample(&cg, "/outer/inner", &s), 0);
	cr_expect_eq(s.high, 100 * MIB);
	memcg_view(&s, &s, &mi, &v);
	cr_expect_eq(v.mem_total_kib, 128 * 1024);
	cr_expect_eq(v.swap_total_kib, 0);
	cr_expect_eq(v.swap_free_kib, 0);
	cgroupfs_close(&cg);
}

Test(memcg, view_counts_the_file_lru_and_clamps)
{
	struct meminfo mi = { .mem_total_kib = 4 << 20, .mem_free_kib = 3 << 20,
			      .mem_available_kib = 3 << 20, .swap_total_kib = 1 << 20,
			      .swap_free_kib = 1 << 19 };
	struct memcg_sample s = {
		.max = 1024 * MIB, .current = 900 * MIB, .have_swap = true,
		.swap_max = 2048 * MIB, .swap_current = 100 * MIB,
		.stat = { .anon = 500 * MIB, .file = 380 * MIB, .shmem = 80 * MIB,
			  .active_file = 200 * MIB, .inactive_file = 100 * MIB,
			  .slab_reclaimable = 20 * MIB },
	};
	struct meminfo v;

	memcg_view(&s, &s, &mi, &v);
	/* 1024 - (900 - 320) = 444 MiB */
	cr_expect_eq(v.mem_available_kib, 444 * 1024);
	cr_expect_eq(v.mem_free_kib, 124 * 1024);
	/* swap.max above the machine's swap: the machine's is the bound, and
	 * its SwapFree too. */
	cr_expect_eq(v.swap_total_kib, 1 << 20);
	cr_expect_eq(v.swap_free_kib, 1 << 19);
	/* The host runs short first: its MemAvailable bounds ours. */
	mi.mem_available_kib = 100 * 1024;
	memcg_view(&s, &s, &mi, &v);
	cr_expect_eq(v.mem_available_kib, 100 * 1024);
	/* memory.stat lagging behind memory.current, usage above a lowered
	 * memory.max: clamped, never wrapped. */
	mi.mem_available_kib = 3 << 20;
	s.current = 100 * MIB;
	memcg_view(&s, NULL, &mi, &v);
	cr_expect_eq(v.mem_available_kib, 1024 * 1024);
	s.current = 2000 * MIB;
	s.stat.active_file = s.stat.inactive_file = s.stat.slab_reclaimable = 0;
	memcg_view(&s, NULL, &mi, &v);
	cr_expect_eq(v.mem_available_kib, 0);
	cr_expect_eq(v.mem_free_kib, 0);
	/* swap.current above swap.max (lowered meanwhile): none free. */
	s.swap_max = 50 * MIB;
	memcg_view(&s, &s, &mi, &v);
	cr_expect_eq(v.swap_total_kib, 50 * 1024);
	cr_expect_eq(v.swap_free_kib, 0);
}

/* ---- totalpages and the kernel's choice --------------------------------- */

Test(memcg, totalpages_as_mem_cgroup_get_max)
{
	/* 128 MiB, swap.max 0 */
	cr_expect_eq(badness_memcg_totalpages(128 * MIB, 0, 32764, 60, 4), 32768);
	/* swap.max 64 MiB but only 32764 kB of swap on the machine */
	cr_expect_eq(badness_memcg_totalpages(128 * MIB, 64 * MIB, 32764, 60, 4), 32768 + 8191);
	cr_expect_eq(badness_memcg_totalpages(128 * MIB, MEMCG_UNLIMITED, 32764, 60, 4),
		     32768 + 8191);
	cr_expect_eq(badness_memcg_totalpages(128 * MIB, 16 * MIB, 32764, 60, 4), 32768 + 4096);
	/* vm.swappiness 0: the kernel adds no swap */
	cr_expect_eq(badness_memcg_totalpages(128 * MIB, 64 * MIB, 32764, 0, 4), 32768);
	/* memory.max is not capped at RAM; "max" is PAGE_COUNTER_MAX */
	cr_expect_eq(badness_memcg_totalpages(MEMCG_UNLIMITED, 0, 0, 60, 4),
		     (uint64_t)LONG_MAX / 4096);
	cr_expect_eq(badness_memcg_totalpages(0, 0, 0, 60, 4), 1, "?: 1");
	cr_expect_eq(badness_memcg_totalpages(128 * MIB, 0, 0, 60, 64), 2048, "64 KiB pages");
}

/* One process of a cgroup-oom run, as the scan would sample it. */
static struct proc_sample run_proc(const char *run, const char *who)
{
	char rel[128], buf[4096];
	struct proc_sample p = { 0 };

	snprintf(rel, sizeof(rel), "cgroup-oom/%s/%s/status", run, who);
	cr_assert_eq(pidinfo_parse_status(fixture_text(rel, buf, sizeof(buf)), &p), 0);
	snprintf(rel, sizeof(rel), "cgroup-oom/%s/%s/oom_score_adj", run, who);
	cr_assert_eq(pidinfo_parse_oom_score_adj(fixture_text(rel, buf, sizeof(buf)),
						 &p.oom_score_adj), 0);
	p.pid = 100;	/* not init */
	p.state = 'S';
	return p;
}

/* Which of A and B ranks first with totalpages tp: "A" or "B". */
static const char *pick(const char *run, uint64_t tp)
{
	struct proc_sample a = run_proc(run, "A"), b = run_proc(run, "B");

	return badness_points(&a, tp, 4) >= badness_points(&b, tp, 4) ? "A" : "B";
}

static uint64_t run_limit(const char *run, const char *file)
{
	char rel[128], buf[64];
	uint64_t v;

	snprintf(rel, sizeof(rel), "cgroup-oom/%s/%s", run, file);
	cr_assert_eq(memcg_parse_limit(fixture_text(rel, buf, sizeof(buf)), &v), 0);
	return v;
}

static uint64_t run_totalpages(const char *run)
{
	char rel[128];
	struct meminfo mi;

	snprintf(rel, sizeof(rel), "cgroup-oom/%s/meminfo", run);
	mi = guest_meminfo(rel);
	return badness_memcg_totalpages(run_limit(run, "memory.max"),
					run_limit(run, "memory.swap.max"), mi.swap_total_kib, 60, 4);
}

static void expect_kernel_choice(const char *run)
{
	char rel[128], killed[8];

	snprintf(rel, sizeof(rel), "cgroup-oom/%s/killed-first", run);
	fixture_text(rel, killed, sizeof(killed));
	killed[strcspn(killed, "\n")] = '\0';
	cr_expect_str_eq(pick(run, run_totalpages(run)), killed,
			 "%s: the Linux 6.1 memcg OOM killer killed %s first", run, killed);
}

Test(memcg, ranking_agrees_with_the_memcg_oom_killer_of_linux_6_1)
{
	struct meminfo mi = guest_meminfo("cgroup-oom/oom1/meminfo");
	uint64_t mem = 128 * MIB;

	for (unsigned i = 1; i <= 3; i++) {
		char run[8];

		snprintf(run, sizeof(run), "oom%u", i);
		expect_kernel_choice(run);
	}
	/* Each run tells one reading from another: a totalpages other than
	 * mem_cgroup_get_max()'s picks the other process. */
	cr_expect_str_eq(pick("oom1", badness_totalpages(mi.mem_total_kib, mi.swap_total_kib, 4)),
			 "B", "oom1 sets the machine's totalpages apart");
	cr_expect_str_eq(pick("oom2", badness_memcg_totalpages(mem, 0, mi.swap_total_kib, 60, 4)),
			 "A", "oom2 sets the swap not counted apart");
	cr_expect_str_eq(pick("oom3", badness_memcg_totalpages(mem, 64 * MIB, 1 << 20, 60, 4)),
			 "B", "oom3 sets swap.max counted past the machine's swap apart");
}

/* ---- a real cgroup, where this machine has one to make ---------------- */

/* A new cgroup under a cgroup2 mount whose memory controller is enabled
 * for children, into dir. Returns the mount's path, or NULL. */
static const char *make_real_cgroup(char *dir, size_t size)
{
	static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	char buf[512], file[300];

	for (unsigned i = 0; i < 2; i++) {
		struct statfs sfs;
		FILE *f;
		size_t n;

		if (statfs(mounts[i], &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		snprintf(file, sizeof(file), "%s/cgroup.subtree_control", mounts[i]);
		f = fopen(file, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		if (!strstr(buf, "memory"))
			continue;
		snprintf(dir, size, "%s/oomguard-memcg-%d", mounts[i], (int)getpid());
		if (mkdir(dir, 0755) == 0)
			return mounts[i];
	}
	return NULL;
}

Test(memcg, a_real_cgroup_reads_as_the_kernel_set_it)
{
	char dir[300], file[400], rel[64];
	const char *mount = make_real_cgroup(dir, sizeof(dir));
	struct cgroupfs cg = CGROUPFS_INIT;
	struct memcg_sample s;
	struct memcg_limit lim;
	pid_t child;
	int fd, status;

	if (!mount)
		cr_skip("no cgroup2 mount with the memory controller enabled and writable here "
			"(hybrid hierarchy, or not root): real-cgroup reading untested");
	snprintf(file, sizeof(file), "%s/memory.max", dir);
	fd = open(file, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "67108864", 8), 8);
	close(fd);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	fd = open(file, O_WRONLY);
	cr_assert_geq(fd, 0);
	snprintf(rel, sizeof(rel), "%d", (int)child);
	cr_assert_eq(write(fd, rel, strlen(rel)), (ssize_t)strlen(rel));
	close(fd);

	cr_assert_eq(cgroupfs_open(&cg, NULL), 0);
	cr_expect(cgroupfs_is_cgroup2(&cg));
	snprintf(rel, sizeof(rel), "/%s", strrchr(dir, '/') + 1);
	cr_expect_eq(memcg_read_sample(&cg, rel, &s), 0);
	cr_expect_eq(s.max, 64 * MIB);
	cr_expect_gt(s.current, 0, "the child's pages are charged here");
	/* Searched as if we were inside: the child is someone else. */
	cr_expect_eq(memcg_read_limit(&cg, rel, getpid(), UINT64_C(1) << 40, &lim), 0);
	cr_expect_str_eq(lim.path, rel);
	cr_expect_eq(lim.max, 64 * MIB);

	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	cgroupfs_close(&cg);
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(10000);
}
