/* The loop's side of the history, on a fixture tree: a kernel-OOM line
 * names the top memory users of the sample before the kernel's killer ran,
 * and marks the one gone since. Memory stays far above every floor and
 * pressure kills are off, so the loop (not in --dryrun, to write its
 * history) has nothing to signal. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fixture.h"
#include "acquire/oomwatch.h"
#include "loop.h"
#include "tell/histprint.h"

/* The machine-wide view; a test that walks a cgroup tree opens cgroup_tree on it. */
static struct cgroupfs cgroup_tree = CGROUPFS_INIT;
static const struct container machine_view;

static struct loop loop;
static struct procfs procfs = PROCFS_INIT;
static struct config cfg;

static void put_vmstat(const char *dir, unsigned oom_kill)
{
	char text[160];

	snprintf(text, sizeof(text), "workingset_refault_anon 0\nworkingset_refault_file 0\n"
		 "pswpin 0\npswpout 0\noom_kill %u\n", oom_kill);
	fixture_puts(dir, "vmstat", text);
}

/* A copy of the lowmem fixture under /tmp with 30 % available and swap
 * half free (no floor is near), the kernel's oom_kill at 5, and the loop
 * opened on it with its history in DIR/state (into state, 600 bytes). */
static char *open_fixture(char *state)
{
	char *dir = strdup("/tmp/oomguard-fixture-XXXXXX");
	char cmd[2048];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -r '%s/lowmem/.' '%s'", getenv("OOMGUARD_FIXTURES"), dir);
	cr_assert_eq(system(cmd), 0);
	fixture_puts(dir, "meminfo",
		     "MemTotal:        2015232 kB\nMemFree:          300000 kB\n"
		     "MemAvailable:     604569 kB\nCached:           300000 kB\n"
		     "SwapTotal:       1048572 kB\nSwapFree:         524286 kB\n"
		     "AnonPages:       1612185 kB\n");
	put_vmstat(dir, 5);
	snprintf(state, 600, "%s/state", dir);
	cfg = fixture_config((const char *const[]){ "-r", "0", "--psi-threshold", "0", NULL });
	cfg.procfs_path = dir;
	cfg.state_dir = state;
	cr_assert_eq(procfs_open(&procfs, dir), 0);
	cr_assert_eq(loop_open(&loop, &cfg, &procfs, &cgroup_tree, &machine_view), 0);
	return dir;
}

Test(history_loop, a_kernel_oom_names_the_top_users_before_and_who_is_gone)
{
	char cmd[2048], state[600];
	static char out[65536], err[4096];
	char *dir = open_fixture(state);
	FILE *o, *e;

	cr_assert(loop.history.on);

	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_expect_eq(loop.last.action, ACTION_NONE);
	/* The kernel killed the leaky app, and postgres too, whose pid a new
	 * process has since (another start time). */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/4242' && sed -i 's/ 87300 / 99999 /' '%s/900/stat'",
		 dir, dir);
	cr_assert_eq(system(cmd), 0);
	put_vmstat(dir, 7);
	cr_assert_eq(loop_tick(&loop, 12000), 0);
	cr_expect_eq(loop.last.action, ACTION_NONE);
	loop_close(&loop);
	procfs_close(&procfs);

	o = fmemopen(out, sizeof(out), "w");
	e = fmemopen(err, sizeof(err), "w");
	cr_assert_eq(histprint(o, e, state, "", true), 0);
	fclose(o);
	fclose(e);
	cr_expect_eq(strchr(out, '\n') + 1, out + strlen(out), "one line: %s", out);
	/* Whether the cgroup tree was walked is this machine's (the fixture
	 * stands in for /proc, not for /sys/fs/cgroup): left out. */
	cr_expect(strstr(out, "\"event\":\"kernel-oom\",\"kills\":2,\"global_kills\":2,"
			 "\"scope\":\"global\",") != NULL, "%s", out);
	cr_expect(strstr(out, "\"cgroups\":[],\"mem_available_kib\":604569,") != NULL, "%s", out);
	cr_expect(strstr(out, "\"top\":[{\"pid\":4242,\"name\":\"leaky app\",\"rss_kib\":1380000,"
			 "\"swap_kib\":610000,\"gone\":true},") != NULL, "%s", out);
	cr_expect(strstr(out, "{\"pid\":900,\"name\":\"postgres\",\"rss_kib\":310000,"
			 "\"swap_kib\":120000,\"gone\":true},") != NULL, "pid reused: %s", out);
	cr_expect(strstr(out, "{\"pid\":1,\"name\":\"systemd\",\"rss_kib\":9000,\"swap_kib\":0,"
			 "\"gone\":false},") != NULL, "still there: %s", out);
	config_free(&cfg);
	fixture_destroy(dir);
}

static void put_events(const char *dir, const char *cgroup, unsigned oom_kill)
{
	char sub[700], text[160];

	snprintf(sub, sizeof(sub), "cgroup%s/memory.events.local", cgroup);
	snprintf(text, sizeof(text), "low 0\nhigh 0\nmax 9\noom 1\noom_kill %u\noom_group_kill 0\n",
		 oom_kill);
	fixture_puts(dir, sub, text);
}

/* The cgroup tree stands in for /sys/fs/cgroup: a kill inside a memory-
 * limited cgroup is told from a global one, in the history (and the line
 * the log or the journal gets, built from the same event). */
Test(history_loop, a_kernel_oom_inside_a_limited_cgroup_names_it)
{
	char cmd[2048], state[600], tree[600];
	static char out[65536], err[4096];
	char *dir = open_fixture(state);
	FILE *o, *e;

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/cgroup/box' '%s/cgroup/system.slice/web.service'",
		 dir, dir);
	cr_assert_eq(system(cmd), 0);
	put_events(dir, "/box", 3);
	put_events(dir, "/system.slice/web.service", 0);
	snprintf(tree, sizeof(tree), "%s/cgroup", dir);
	/* The fixture's tree instead of this machine's, walked as
	 * loop_open walks it. */
	cgroupfs_close(&cgroup_tree);
	cr_assert_eq(cgroupfs_open(&cgroup_tree, tree), 0);
	oomwatch_walk(cgroup_tree.root_fd, &loop.oom_cgroups);

	cr_assert_eq(loop_tick(&loop, 1000), 0);
	/* One kill in web.service, one global; /box's old kills are old. */
	put_events(dir, "/system.slice/web.service", 1);
	put_vmstat(dir, 7);
	cr_assert_eq(loop_tick(&loop, 12000), 0);
	loop_close(&loop);
	procfs_close(&procfs);

	o = fmemopen(out, sizeof(out), "w");
	e = fmemopen(err, sizeof(err), "w");
	cr_assert_eq(histprint(o, e, state, "", true), 0);
	fclose(o);
	fclose(e);
	cr_expect(strstr(out, "\"kills\":2,\"global_kills\":1,") != NULL, "%s", out);
	cr_expect(strstr(out, "\"cgroups_known\":true,\"cgroups\":[{\"path\":"
			 "\"/system.slice/web.service\",\"kills\":1}]") != NULL, "%s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	free(dir);
}
