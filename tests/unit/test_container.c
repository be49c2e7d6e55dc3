/* Container mode end to end on fixture trees: which view start-up takes
 * (acquire/container.c), and the loop in the cgroup's view: its memory
 * figures, its subtree's victims scored as the memcg OOM killer scores
 * them, its pressure source and its memory.events (loop.c). The cgroup
 * trees are copies of tests/fixtures/cgroup-container (Linux 6.1) with
 * memory.current and memory.stat rewritten per test. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acquire/cgroupfs.h"
#include "acquire/container.h"
#include "decide/badness.h"
#include "decide/capacity.h"
#include "loop.h"
#include "parse/memcg.h"
#include "fixture.h"

#define MIB (1024ull * 1024)
/* The stand-in for oomguard in the captured tree (cgroup-proc/self/cgroup). */
#define GUARD_PID 136

static struct loop loop;
static struct procfs procfs = PROCFS_INIT;
static struct cgroupfs cg = CGROUPFS_INIT;
static struct container view;
static struct config cfg;

static const char *fixtures(const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", getenv("OOMGUARD_FIXTURES"), rel);
	return buf;
}

/* ---- container_choose on the captured trees ------------------------------ */

static int choose(const char *tree, const char *proc, pid_t self, const char *const *args,
		  char *err, size_t errlen)
{
	char path[1024];

	cfg = fixture_config(args);
	cr_assert_eq(procfs_open(&procfs, fixtures(proc, path, sizeof(path))), 0);
	if (tree)
		cr_assert_eq(cgroupfs_open(&cg, fixtures(tree, path, sizeof(path))), 0);
	/* The guest's MemTotal, 466136 kB. */
	return container_choose(&view, &cfg, &procfs, &cg, self, 466136, err, errlen);
}

static void choose_fini(void)
{
	cgroupfs_close(&cg);
	procfs_close(&procfs);
	config_free(&cfg);
}

Test(container, own_path_finds_the_box_and_leaves_out_our_unit, .fini = choose_fini)
{
	char err[512];

	cr_assert_eq(choose("cgroup-container", "cgroup-proc", GUARD_PID,
			    (const char *const[]){ NULL }, err, sizeof(err)), 0);
	cr_expect(view.on);
	cr_expect_str_eq(view.limit.path, "/box");
	cr_expect_str_eq(view.subtree, "/box");
	cr_expect_eq(view.limit.max, 256 * MIB);
	cr_expect_eq(view.swappiness, 60);
	cr_expect(strstr(view.why, "cgroup /box (memory.max 256 MiB, memory.swap.max max)") != NULL,
		  "%s", view.why);
	cr_expect(strstr(view.why, "own cgroup path /box/oomguard.service (1 cgroup holding only "
			 "oomguard left out)") != NULL, "%s", view.why);
}

Test(container, no_cgroup_keeps_the_machine, .fini = choose_fini)
{
	char err[512];

	cr_assert_eq(choose("cgroup-container", "cgroup-proc", GUARD_PID,
			    (const char *const[]){ "--no-cgroup", NULL }, err, sizeof(err)), 0);
	cr_expect_not(view.on);
	cr_expect_str_eq(view.why, "the machine (--no-cgroup)");
}

Test(container, no_limit_anywhere_keeps_the_machine, .fini = choose_fini)
{
	char err[512];

	/* self/cgroup names /box/oomguard.service, which this tree has not:
	 * doubt keeps the machine. */
	cr_assert_eq(choose("cgroup-unlimited", "cgroup-proc", GUARD_PID,
			    (const char *const[]){ NULL }, err, sizeof(err)), 0);
	cr_expect_not(view.on);
	cr_expect(strstr(view.why, "is not in this cgroup tree") != NULL, "%s", view.why);
}

Test(container, no_tree_or_no_own_path_keeps_the_machine, .fini = choose_fini)
{
	char err[512];

	cr_assert_eq(choose(NULL, "cgroup-proc", GUARD_PID, (const char *const[]){ NULL }, err,
			    sizeof(err)), 0);
	cr_expect_not(view.on);
	cr_expect_str_eq(view.why, "the machine (no cgroup v2 hierarchy)");
	procfs_close(&procfs);
	/* plenty/ has no self/cgroup. */
	cr_assert_eq(choose("cgroup-container", "plenty", GUARD_PID, (const char *const[]){ NULL },
			    err, sizeof(err)), 0);
	cr_expect_not(view.on);
	cr_expect(strstr(view.why, "own cgroup v2 path is unknown") != NULL, "%s", view.why);
}

Test(container, given_cgroup_below_the_limit_takes_the_limit_above, .fini = choose_fini)
{
	char err[512];

	cr_assert_eq(choose("cgroup-container", "cgroup-proc", GUARD_PID,
			    (const char *const[]){ "--cgroup", "/box/app/", NULL }, err,
			    sizeof(err)), 0, "%s", err);
	cr_expect(view.on);
	cr_expect_str_eq(view.limit.path, "/box");
	cr_expect_str_eq(view.subtree, "/box/app");
	cr_expect(strstr(view.why, "the tightest limit above --cgroup /box/app; victims only in "
			 "/box/app") != NULL, "%s", view.why);
}

Test(container, given_cgroup_that_cannot_be_watched_is_bad_usage, .fini = choose_fini)
{
	char err[512];

	cr_expect_eq(choose("cgroup-container", "cgroup-proc", GUARD_PID,
			    (const char *const[]){ "--cgroup", "/nope", NULL }, err, sizeof(err)),
		     -ENOENT);
	cr_expect(strstr(err, "--cgroup /nope: no such cgroup in") != NULL, "%s", err);
	cr_expect_not(view.on);
	choose_fini();
	cr_expect_eq(choose("cgroup-unlimited", "cgroup-proc", GUARD_PID,
			    (const char *const[]){ "--cgroup", "/system.slice/web.service", NULL },
			    err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, "no memory.max below RAM on it or above it") != NULL, "%s", err);
	choose_fini();
	/* A cgroup without the memory controller: the root has no memory.max. */
	cr_expect_eq(choose("cgroup-container", "cgroup-proc", GUARD_PID,
			    (const char *const[]){ "--cgroup", "/", NULL }, err, sizeof(err)),
		     -ENOENT);
	cr_expect(strstr(err, "no memory controller there") != NULL, "%s", err);
}

Test(container, subtree_membership)
{
	cr_expect(memcg_path_within("/box", "/box"));
	cr_expect(memcg_path_within("/box/app", "/box"));
	cr_expect_not(memcg_path_within("/boxer", "/box"));
	cr_expect_not(memcg_path_within("/bo", "/box"));
	cr_expect(memcg_path_within("/anything", "/"));
	cr_expect_not(memcg_path_within("/../../host.slice", "/"));
	cr_expect_not(memcg_path_within("/box/../x", "/box"));
}

/* ---- the loop in the cgroup's view --------------------------------------- */

static char *proc_dir, cg_dir[64];

/* /box as the test wants it: memory.current and memory.stat in MiB. */
static void put_box(unsigned current_mib, unsigned anon_mib, unsigned inactive_file_mib,
		    unsigned refaults)
{
	char path[128], text[512];

	snprintf(path, sizeof(path), "%s/box", cg_dir);
	snprintf(text, sizeof(text), "%llu\n", current_mib * MIB);
	fixture_puts(path, "memory.current", text);
	snprintf(text, sizeof(text),
		 "anon %llu\nfile %llu\nkernel 237568\nshmem 0\nzswap 0\nzswapped 0\n"
		 "file_mapped 0\nfile_dirty 0\ninactive_anon 0\nactive_anon %llu\n"
		 "inactive_file %llu\nactive_file 0\nunevictable 0\nslab_reclaimable 0\n"
		 "workingset_refault_anon 0\nworkingset_refault_file %u\n",
		 anon_mib * MIB, inactive_file_mib * MIB, anon_mib * MIB, inactive_file_mib * MIB,
		 refaults);
	fixture_puts(path, "memory.stat", text);
}

static void put_box_oom_kill(unsigned n)
{
	char path[128], text[160];

	snprintf(path, sizeof(path), "%s/box", cg_dir);
	snprintf(text, sizeof(text), "low 0\nhigh 0\nmax 12\noom %u\noom_kill %u\n"
		 "oom_group_kill 0\n", n, n);
	fixture_puts(path, "memory.events", text);
}

static void put_vmstat(unsigned oom_kill)
{
	char text[160];

	snprintf(text, sizeof(text), "workingset_refault_anon 0\nworkingset_refault_file 0\n"
		 "pswpin 0\npswpout 0\noom_kill %u\n", oom_kill);
	fixture_puts(proc_dir, "vmstat", text);
}

/* A machine with 455 MiB of RAM, 423 MiB of it available, no swap; in it
 * /box (memory.max 256 MiB) holding "app" (pid 116, 48 MiB) and, outside
 * the box, a bigger "web" (pid 200, 300 MiB) that a machine-wide pick
 * would take. */
static void loop_init(void)
{
	char cmd[4096], path[1024];

	proc_dir = fixture_create(466136, 433144, 0, 0);
	snprintf(cg_dir, sizeof(cg_dir), "%s/cgroup", proc_dir);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s' && mkdir -p '%s/self' '%s/sys/vm'",
		 fixtures("cgroup-container", path, sizeof(path)), cg_dir, proc_dir, proc_dir);
	cr_assert_eq(system(cmd), 0);
	fixture_puts(proc_dir, "self/cgroup", "0::/box/oomguard.service\n");
	fixture_puts(proc_dir, "sys/vm/swappiness", "60\n");
	snprintf(path, sizeof(path), "%s/box", cg_dir);
	fixture_puts(path, "memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		     "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	put_box_oom_kill(0);
	put_vmstat(0);
	fixture_add(proc_dir, &(struct fake_proc){ .pid = 116, .comm = "app", .rss_kib = 49152,
						   .uid = 1000, .cgroup = "/box/app" });
	fixture_add(proc_dir, &(struct fake_proc){ .pid = 200, .comm = "web", .rss_kib = 307200,
						   .uid = 1000,
						   .cgroup = "/system.slice/web.service" });
}

static void loop_fini(void)
{
	loop_close(&loop);
	cgroupfs_close(&cg);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(proc_dir);
}

/* Choose the view for args (self: the stand-in pid) and open the loop. */
static void start(const char *const *args)
{
	char err[512];

	cfg = fixture_config(args);
	cfg.procfs_path = proc_dir;
	cr_assert_eq(procfs_open(&procfs, proc_dir), 0);
	cr_assert_eq(cgroupfs_open(&cg, cg_dir), 0);
	cr_assert_eq(container_choose(&view, &cfg, &procfs, &cg, GUARD_PID, 466136, err,
				      sizeof(err)), 0, "%s", err);
	cr_assert_eq(loop_open(&loop, &cfg, &procfs, &cg, &view), 0);
}

Test(container, a_full_box_acts_on_its_own_process_as_the_memcg_killer_scores,
     .init = loop_init, .fini = loop_fini)
{
	/* 250 of 256 MiB charged, 4 MiB of it clean cache: 10 MiB left. */
	put_box(250, 240, 4, 0);
	start((const char *const[]){ "--dryrun", "-r", "0", NULL });
	cr_assert(view.on);
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_expect(loop.cs_valid);
	cr_expect(loop.cs.cgroup_view);
	cr_expect_eq(loop.cs.mi.mem_total_kib, 256 * 1024);
	cr_expect_eq(loop.cs.mi.mem_available_kib, 10 * 1024);
	cr_expect_eq(loop.s.mi.mem_available_kib, 433144, "the machine's own sample");
	cr_expect_eq(loop.machine_last.action, ACTION_NONE);
	cr_expect(loop.in_cgroup, "the box's decision is in force");
	/* 10 MiB is 4 % of available + anon: below the SIGKILL floor. */
	cr_expect_eq(loop.last.reason, REASON_FLOOR_KILL, "the box is at its floor: %d",
		     loop.last.reason);
	cr_assert_eq(loop.sel.n_best, 1, "only the box's process is a candidate");
	cr_expect_eq(loop.sel.best[0].proc.pid, 116);
	cr_expect_geq(loop.sel.n_outside, 1, "web, outside the box, was left out");
	cr_expect(strstr(loop.trigger_text, ", in cgroup /box") != NULL, "%s", loop.trigger_text);
	/* mem_cgroup_get_max(): memory.max 256 MiB + min(swap.max, no
	 * swap) = 65536 pages, not the machine's 116534. */
	cr_expect_eq(loop.sel.totalpages, 65536);
	cr_expect_eq(loop.sel.best[0].kernel_score,
		     badness_oom_score(loop.sel.best[0].kernel_points, 65536));
	/* The box's pressure file is the second source, and the box's
	 * sample's own. */
	cr_expect_eq(loop.pressure.n, 2);
	cr_expect_str_eq(loop.pressure.src[0].label, "system");
	cr_expect_str_eq(loop.pressure.src[1].label, "/box");
	cr_expect_geq(loop.pressure.src[1].fd, 0);
	cr_expect_eq(loop.cs.n_pressure, 1);
	cr_expect(loop.cs.pressure[0].valid, "the box's pressure file was read for the box");
	cr_expect_eq(loop.s.n_pressure, 1);
}

Test(container, a_box_full_of_clean_cache_fits, .init = loop_init, .fini = loop_fini)
{
	/* At its limit, but 150 MiB of it is page cache reclaim drops. */
	put_box(255, 100, 150, 0);
	start((const char *const[]){ "--dryrun", "-r", "0", NULL });
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_expect_eq(loop.cs.mi.mem_available_kib, 151 * 1024);
	cr_expect_eq(loop.last.action, ACTION_NONE);
	cr_expect(loop.in_cgroup, "while nothing acts, the box's view is the one reported");
}

Test(container, a_box_running_out_is_warned_about_as_the_boxs, .init = loop_init,
     .fini = loop_fini)
{
	char log[8192];

	/* 30 MiB left of 256: 13 % of available + anon, between the term
	 * floor (10 %) and the warning (twice that). */
	put_box(230, 200, 4, 0);
	start((const char *const[]){ "--dryrun", "-r", "0", NULL });
	fixture_capture_start();
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	fixture_capture_end(log, sizeof(log));
	cr_expect_eq(loop.last.action, ACTION_NONE);
	cr_expect(strstr(log, "memory is running out in cgroup /box: reason=warn-memory") != NULL,
		  "%s", log);
	cr_expect(strstr(log, "would kill first pid=116 name=\"app\"") != NULL, "%s", log);
}

static unsigned count_in(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

Test(container, a_box_whose_files_stop_reading_leaves_the_machine_watching, .init = loop_init,
     .fini = loop_fini)
{
	char log[8192], path[128];

	put_box(100, 90, 4, 0);
	start((const char *const[]){ "--dryrun", "-r", "0", NULL });
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_assert(loop.cs_valid);
	snprintf(path, sizeof(path), "%s/box", cg_dir);
	fixture_capture_start();
	/* Rewritten in place: the kept descriptor reads the broken text. */
	fixture_puts(path, "memory.stat", "anon many\n");
	cr_expect_eq(loop_tick(&loop, 2000), 0, "the daemon goes on");
	cr_expect_not(loop.cs_valid);
	cr_expect_not(loop.in_cgroup, "the machine's view alone is in force");
	cr_expect_eq(loop_tick(&loop, 3000), 0);
	put_box(100, 90, 4, 0);
	cr_expect_eq(loop_tick(&loop, 4000), 0);
	fixture_capture_end(log, sizeof(log));
	cr_expect(loop.cs_valid);
	cr_expect_eq(count_in(log, "cgroup /box: its memory files are malformed; watching the "
			      "machine alone until they read again"), 1, "said once: %s", log);
	cr_expect_eq(count_in(log, "cgroup /box: its memory files read again"), 1, "%s", log);
}

Test(container, the_machine_view_sees_neither_the_box_nor_its_limit, .init = loop_init,
     .fini = loop_fini)
{
	put_box(250, 240, 4, 0);
	start((const char *const[]){ "--dryrun", "-r", "0", "--no-cgroup", NULL });
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_expect_not(loop.cs_valid);
	cr_expect_not(loop.in_cgroup);
	cr_expect_eq(loop.s.mi.mem_available_kib, 433144);
	cr_expect_eq(loop.last.action, ACTION_NONE);
	cr_expect_eq(loop.pressure.n, 1);
	cr_expect_str_eq(loop.pressure.src[0].label, "system");
}

Test(container, the_machine_running_out_acts_on_the_whole_machine, .init = loop_init,
     .fini = loop_fini)
{
	/* The box has room (100 of 256 MiB), but the machine is out: 12 MiB
	 * available, as when processes outside the box take it all. Its
	 * victim is the machine's, web, outside the box: with the box's view
	 * alone (victims in the box, its figures capped by the machine's)
	 * the box's app would die for what web did. */
	fixture_puts(proc_dir, "meminfo", "MemTotal:         466136 kB\nMemFree:           10000 kB\n"
		     "MemAvailable:      12000 kB\nAnonPages:        400000 kB\n"
		     "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
	put_box(100, 90, 4, 0);
	start((const char *const[]){ "--dryrun", "-r", "0", NULL });
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_expect_neq(loop.machine_last.action, ACTION_NONE);
	cr_expect_not(loop.in_cgroup, "the machine's decision is in force");
	cr_assert_geq(loop.sel.n_best, 1);
	cr_expect_eq(loop.sel.best[0].proc.pid, 200);
	cr_expect_eq(loop.sel.totalpages, 466136 / 4, "scored as a global OOM");
	cr_expect_null(strstr(loop.trigger_text, "in cgroup"), "%s", loop.trigger_text);
}

/* A container's own tree: the root of the cgroup namespace is the
 * container's cgroup and carries its memory.max (/box's files, moved up). */
static void put_namespace_root(void)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "cd '%s' && rm -rf box/app box/oomguard.service && "
		 "cp box/memory.* . && mkdir -p system.slice/oomguard.service", cg_dir);
	cr_assert_eq(system(cmd), 0);
	fixture_puts(proc_dir, "self/cgroup", "0::/system.slice/oomguard.service\n");
	fixture_puts(proc_dir, "116/cgroup", "0::/app.service\n");
	fixture_puts(proc_dir, "200/cgroup", "0::/web.service\n");
}

static void put_root(unsigned current_mib, unsigned oom_kill)
{
	char text[160];

	snprintf(text, sizeof(text), "%llu\n", current_mib * MIB);
	fixture_puts(cg_dir, "memory.current", text);
	snprintf(text, sizeof(text), "low 0\nhigh 0\nmax 12\noom %u\noom_kill %u\n"
		 "oom_group_kill 0\n", oom_kill, oom_kill);
	fixture_puts(cg_dir, "memory.events", text);
}

Test(container, inside_a_container_its_own_memcg_kills_are_reported_and_the_hosts_not,
     .init = loop_init, .fini = loop_fini)
{
	char log[8192];

	put_namespace_root();
	put_root(100, 0);
	start((const char *const[]){ "--dryrun", "-r", "0", "--cgroup", "/", NULL });
	cr_assert(view.on);
	cr_assert_str_eq(view.limit.path, "/");
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	fixture_capture_start();
	/* Another container's kill on the host: vmstat moves, ours not. */
	put_vmstat(1);
	cr_assert_eq(loop_tick(&loop, 20000), 0);
	put_root(100, 2);
	cr_assert_eq(loop_tick(&loop, 40000), 0);
	fixture_capture_end(log, sizeof(log));
	cr_expect(strstr(log, "the kernel's OOM killer ran 2 time(s) (oom_kill in the "
			 "memory.events of the watched cgroup is now 2): 2 inside the "
			 "memory-limited cgroup /") != NULL, "%s", log);
	cr_expect_null(strstr(log, "ran 1 time(s)"), "the host's kill was reported: %s", log);
}

Test(container, on_a_host_the_walk_names_the_boxs_memcg_kill, .init = loop_init,
     .fini = loop_fini)
{
	char log[8192], path[128];

	put_box(100, 90, 4, 0);
	snprintf(path, sizeof(path), "%s/box/app", cg_dir);
	fixture_puts(path, "memory.events.local", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"
		     "oom_group_kill 0\n");
	start((const char *const[]){ "--dryrun", "-r", "0", "--cgroup", "/box", NULL });
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	fixture_capture_start();
	fixture_puts(path, "memory.events.local", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"
		     "oom_group_kill 0\n");
	put_vmstat(1);
	cr_assert_eq(loop_tick(&loop, 20000), 0);
	fixture_capture_end(log, sizeof(log));
	cr_expect(strstr(log, "1 inside the memory-limited cgroup /box/app") != NULL, "%s", log);
}

Test(container, refaults_are_the_boxs_own, .init = loop_init, .fini = loop_fini)
{
	put_box(100, 90, 4, 777);
	put_vmstat(0);
	fixture_puts(proc_dir, "vmstat", "workingset_refault_anon 5000\n"
		     "workingset_refault_file 90000\npswpin 0\npswpout 0\noom_kill 0\n");
	start((const char *const[]){ "--dryrun", "-r", "0", NULL });
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_expect(loop.cs.vm.have_refault);
	cr_expect_eq(loop.cs.vm.refault_file, 777);
	cr_expect_eq(loop.cs.vm.refault_anon, 0);
	cr_expect_eq(loop.s.vm.refault_file, 90000, "the machine's decision keeps vmstat's");
}

/* ---- capacity in the cgroup's view ---------------------------------------- */

Test(container, capacity_caps_the_machines_swap_by_the_cgroups)
{
	struct sample s;
	struct capacity cap;

	memset(&s, 0, sizeof(s));
	s.machine.mem_total_kib = 466136;
	s.machine.mem_available_kib = 400000;
	s.machine.swap_total_kib = 1048576;
	s.machine.swap_free_kib = 1000000;
	s.machine.zswap_kib = 5000;
	s.cgroup_view = true;
	s.mi = s.machine;
	s.mi.swap_total_kib = 65536;	/* memory.swap.max 64 MiB */
	s.mi.swap_free_kib = 16384;	/* 48 MiB of it used */
	s.mi.zswap_kib = 1000;
	capacity_compute(&s, &cap);
	cr_expect_eq(cap.swap_total_kib, 65536);
	cr_expect_eq(cap.swap_free_kib, 16384);
	cr_expect_eq(cap.disk_total_kib, 1048576, "the devices are the machine's");
	cr_expect_eq(cap.swapped_ram_kib, 1000, "only the cgroup's zswap is charged to it");
	s.cgroup_view = false;
	s.mi = s.machine;
	capacity_compute(&s, &cap);
	cr_expect_eq(cap.swap_free_kib, 1000000);
	cr_expect_eq(cap.swapped_ram_kib, 5000);
}
