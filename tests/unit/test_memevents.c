/* Where the kernel's OOM killer struck: memory.events parsed, two walks of
 * a cgroup tree compared, and the walk itself over a tree the test makes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acquire/oomwatch.h"
#include "parse/memevents.h"

Test(memevents, oom_kill_is_read_from_its_line)
{
	uint64_t v = 99;

	cr_expect_eq(memevents_parse_oom_kill("low 0\nhigh 0\nmax 1520\noom 3\noom_kill 2\n"
					      "oom_group_kill 0\n", &v), 0);
	cr_expect_eq(v, 2);
	cr_expect_eq(memevents_parse_oom_kill("oom_kill 7", &v), 0, "no final newline");
	cr_expect_eq(v, 7);
	/* oom_group_kill is another counter, not oom_kill. */
	cr_expect_eq(memevents_parse_oom_kill("oom_group_kill 5\n", &v), -EINVAL);
	cr_expect_eq(memevents_parse_oom_kill("oom 3\n", &v), -EINVAL, "4.12: no oom_kill");
	cr_expect_eq(memevents_parse_oom_kill("oom_kill x\n", &v), -EINVAL);
	cr_expect_eq(memevents_parse_oom_kill("oom_kill 3 4\n", &v), -EINVAL);
	cr_expect_eq(memevents_parse_oom_kill("oom_kill 99999999999999999999\n", &v), -EINVAL);
	cr_expect_eq(memevents_parse_oom_kill("", &v), -EINVAL);
}

static void put(struct memcg_oom_table *t, uint64_t ino, const char *path, uint64_t kills)
{
	t->e[t->n].ino = ino;
	t->e[t->n].kills = kills;
	snprintf(t->e[t->n].path, sizeof(t->e[t->n].path), "%s", path);
	t->n++;
}

Test(memevents, a_cgroup_whose_count_grew_had_the_kill)
{
	struct memcg_oom_table before = { .valid = true, .local = true };
	struct memcg_oom_table now = { .valid = true, .local = true };
	struct kernel_oom_event ev;

	put(&before, 10, "/system.slice/old.service", 4);
	put(&now, 10, "/system.slice/old.service", 4);	/* unchanged: not this time */
	put(&now, 11, "/system.slice/web.service", 1);	/* new since the last walk */
	memevents_diff(&before, &now, 1, &ev);
	cr_expect(ev.cgroups_known);
	cr_expect_eq(ev.kills, 1);
	cr_expect_eq(ev.global_kills, 0);
	cr_assert_eq(ev.n_cgroups, 1);
	cr_expect_str_eq(ev.cgroup[0].path, "/system.slice/web.service");
	cr_expect_eq(ev.cgroup[0].kills, 1);
}

Test(memevents, kills_no_cgroup_explains_are_global)
{
	struct memcg_oom_table before = { .valid = true, .local = true };
	struct memcg_oom_table now = { .valid = true, .local = true };
	struct kernel_oom_event ev;

	put(&before, 11, "/box", 1);
	put(&now, 11, "/box", 2);
	memevents_diff(&before, &now, 3, &ev);
	cr_expect_eq(ev.kills, 3);
	cr_expect_eq(ev.global_kills, 2);
	cr_assert_eq(ev.n_cgroups, 1);
	cr_expect_eq(ev.cgroup[0].kills, 1);
}

Test(memevents, a_removed_and_recreated_cgroup_counts_from_zero)
{
	struct memcg_oom_table before = { .valid = true, .local = true };
	struct memcg_oom_table now = { .valid = true, .local = true };
	struct kernel_oom_event ev;

	put(&before, 11, "/box", 5);
	put(&now, 12, "/box", 1);	/* same name, another directory */
	memevents_diff(&before, &now, 1, &ev);
	cr_assert_eq(ev.n_cgroups, 1);
	cr_expect_eq(ev.cgroup[0].kills, 1);
	cr_expect_eq(ev.global_kills, 0);
}

Test(memevents, hierarchical_counts_name_the_deepest_cgroup_only)
{
	struct memcg_oom_table before = { .valid = true, .local = false };
	struct memcg_oom_table now = { .valid = true, .local = false };
	struct kernel_oom_event ev;

	put(&now, 1, "/machine.slice", 1);
	put(&now, 2, "/machine.slice/lxc-web.scope", 1);
	put(&now, 3, "/machine.slicex", 1);	/* a sibling whose name starts alike */
	memevents_diff(&before, &now, 2, &ev);
	cr_assert_eq(ev.n_cgroups, 2);
	cr_expect_str_eq(ev.cgroup[0].path, "/machine.slice/lxc-web.scope");
	cr_expect_str_eq(ev.cgroup[1].path, "/machine.slicex");
	cr_expect_eq(ev.global_kills, 0);

	/* "/box" is no ancestor of "/boxer": both had a kill. */
	now.n = 0;
	put(&now, 4, "/box", 1);
	put(&now, 5, "/boxer", 1);
	memevents_diff(&before, &now, 2, &ev);
	cr_expect_eq(ev.n_cgroups, 2);

	/* With local counts the first table names all three. */
	now.n = 0;
	put(&now, 1, "/machine.slice", 1);
	put(&now, 2, "/machine.slice/lxc-web.scope", 1);
	put(&now, 3, "/machine.slicex", 1);
	before.local = now.local = true;
	memevents_diff(&before, &now, 3, &ev);
	cr_expect_eq(ev.n_cgroups, 3);
}

Test(memevents, a_kill_between_the_reads_is_no_global_one)
{
	struct memcg_oom_table before = { .valid = true, .local = true };
	struct memcg_oom_table now = { .valid = true, .local = true };
	struct kernel_oom_event ev;

	put(&now, 1, "/a", 1);
	put(&now, 2, "/b", 1);
	memevents_diff(&before, &now, 1, &ev);
	cr_expect_eq(ev.kills, 2, "the cgroups saw more than vmstat did");
	cr_expect_eq(ev.global_kills, 0);
}

Test(memevents, the_cgroups_with_most_kills_are_kept)
{
	struct memcg_oom_table before = { .valid = true, .local = true };
	struct memcg_oom_table now = { .valid = true, .local = true };
	struct kernel_oom_event ev;
	char path[32];

	for (unsigned i = 0; i < KERNEL_OOM_MAX_CGROUPS + 3; i++) {
		snprintf(path, sizeof(path), "/c%u", i);
		put(&now, i + 1, path, i + 1);
	}
	memevents_diff(&before, &now, 100, &ev);
	cr_assert_eq(ev.n_cgroups, KERNEL_OOM_MAX_CGROUPS);
	for (unsigned i = 0; i < KERNEL_OOM_MAX_CGROUPS; i++)
		cr_expect_eq(ev.cgroup[i].kills, KERNEL_OOM_MAX_CGROUPS + 3 - i, "at %u", i);
}

Test(memevents, without_a_cgroup_tree_every_kill_is_global)
{
	struct memcg_oom_table before = { .valid = false };
	struct memcg_oom_table now = { .valid = false };
	struct kernel_oom_event ev;

	memevents_diff(&before, &now, 2, &ev);
	cr_expect(!ev.cgroups_known);
	cr_expect_eq(ev.global_kills, 2);
	cr_expect_eq(ev.n_cgroups, 0);
}

/* ---- the walk, over a tree made here ------------------------------------ */

static char root[64];

static void mk(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
}

static void events(const char *rel, const char *file, unsigned kills)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s/%s", root, rel, file);
	f = fopen(p, "w");
	cr_assert(f, "%s", p);
	fprintf(f, "low 0\nhigh 0\nmax 3\noom 1\noom_kill %u\noom_group_kill 0\n", kills);
	fclose(f);
}

static int open_root(void)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY);

	cr_assert(fd >= 0);
	return fd;
}

static void make_root(void)
{
	snprintf(root, sizeof(root), "/tmp/oomguard-memevents-XXXXXX");
	cr_assert(mkdtemp(root));
}

static void remove_root(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_expect_eq(system(cmd), 0);
}

Test(memevents, walk_notes_the_cgroups_with_kills, .init = make_root, .fini = remove_root)
{
	struct memcg_oom_table before, now;
	struct kernel_oom_event ev;
	int fd;

	mk("/system.slice");
	mk("/system.slice/web.service");
	mk("/system.slice/db.service");
	mk("/user.slice");
	events("/system.slice", "memory.events.local", 0);
	events("/system.slice/web.service", "memory.events.local", 0);
	events("/system.slice/db.service", "memory.events.local", 2);
	events("/user.slice", "memory.events.local", 0);
	fd = open_root();
	cr_assert_eq(oomwatch_walk(fd, &before), 0);
	cr_expect(before.valid && before.local && !before.truncated);
	cr_assert_eq(before.n, 1, "only cgroups with kills are kept");
	cr_expect_str_eq(before.e[0].path, "/system.slice/db.service");
	cr_expect_eq(before.e[0].kills, 2);

	events("/system.slice/web.service", "memory.events.local", 1);
	cr_assert_eq(oomwatch_walk(fd, &now), 0);
	memevents_diff(&before, &now, 1, &ev);
	cr_assert_eq(ev.n_cgroups, 1);
	cr_expect_str_eq(ev.cgroup[0].path, "/system.slice/web.service");
	cr_expect_eq(ev.global_kills, 0);
	close(fd);
}

Test(memevents, walk_falls_back_to_hierarchical_counts, .init = make_root, .fini = remove_root)
{
	struct memcg_oom_table t;
	int fd;

	mk("/box");
	mk("/box/inner");
	events("/box", "memory.events", 1);
	events("/box/inner", "memory.events", 1);
	fd = open_root();
	cr_assert_eq(oomwatch_walk(fd, &t), 0);
	cr_expect(!t.local);
	cr_expect_eq(t.n, 2);
	close(fd);
}

Test(memevents, walk_is_bounded_in_depth, .init = make_root, .fini = remove_root)
{
	struct memcg_oom_table t;
	char rel[256] = "";
	int fd;

	for (unsigned i = 0; i <= OOMWATCH_MAX_DEPTH + 1; i++) {
		strcat(rel, "/d");
		mk(rel);
	}
	events(rel, "memory.events.local", 1);
	fd = open_root();
	cr_assert_eq(oomwatch_walk(fd, &t), 0);
	cr_expect(t.truncated);
	cr_expect_eq(t.n, 0, "the cgroup below the bound is not reached");
	close(fd);
}

Test(memevents, no_tree_gives_an_invalid_table)
{
	struct memcg_oom_table t;

	cr_expect_eq(oomwatch_walk(-1, &t), 0);
	cr_expect(!t.valid);
}
