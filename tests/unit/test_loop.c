/* Ticks of the daemon loop on fixture trees standing in for /proc: the
 * files are rewritten between ticks (the fake sensors), the clock is the
 * test's, and --dryrun keeps every signal away (the pids of a fixture name
 * other processes here). */
#define _GNU_SOURCE		/* setresuid */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "loop.h"

/* The machine-wide view, no cgroup tree: what the loop tests run on. */
static struct cgroupfs no_cgroupfs = CGROUPFS_INIT;
static const struct container machine_view;

static struct loop loop;
static struct procfs procfs = PROCFS_INIT;
static struct config cfg;		/* the loop keeps a pointer to it */

/* A copy of tests/fixtures/lowmem whose meminfo the test may rewrite. */
static char *copy_lowmem(void)
{
	char *dir = strdup("/tmp/oomguard-fixture-XXXXXX");
	char cmd[2048];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -r '%s/lowmem/.' '%s'", getenv("OOMGUARD_FIXTURES"), dir);
	cr_assert_eq(system(cmd), 0);
	return dir;
}

/* meminfo of a 2 GiB machine with 30 % available, 80 % of RAM anon and
 * half of its 1 GiB swap used: no floor is near, memory would explain a
 * stall. */
static void write_busy_meminfo(const char *dir)
{
	fixture_puts(dir, "meminfo",
		     "MemTotal:        2015232 kB\nMemFree:          300000 kB\n"
		     "MemAvailable:     604569 kB\nCached:           300000 kB\n"
		     "Active(file):     150000 kB\nInactive(file):   100000 kB\n"
		     "SwapTotal:       1048572 kB\nSwapFree:         524286 kB\n"
		     "AnonPages:       1612185 kB\n");
}

/* /proc/vmstat with the working-set refault counters. */
static void write_vmstat(const char *dir, uint64_t refaults)
{
	char text[256];

	snprintf(text, sizeof(text), "workingset_refault_anon %llu\nworkingset_refault_file %llu\n"
		 "pswpin 0\npswpout 0\noom_kill 0\n", (unsigned long long)refaults / 2,
		 (unsigned long long)refaults / 2);
	fixture_puts(dir, "vmstat", text);
}

static void write_pressure(const char *dir, uint64_t some_us, uint64_t full_us)
{
	char text[256];

	snprintf(text, sizeof(text),
		 "some avg10=0.00 avg60=0.00 avg300=0.00 total=%llu\n"
		 "full avg10=0.00 avg60=0.00 avg300=0.00 total=%llu\n",
		 (unsigned long long)some_us, (unsigned long long)full_us);
	fixture_puts(dir, "pressure/memory", text);
}

static void start(const char *dir, const char *const *args)
{
	cfg = fixture_config(args);
	cfg.procfs_path = dir;
	cr_assert_eq(procfs_open(&procfs, dir), 0);
	cr_assert_eq(loop_open(&loop, &cfg, &procfs, &no_cgroupfs, &machine_view), 0);
}

static void stop(char *dir)
{
	loop_close(&loop);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(dir);
}

Test(loop, a_floor_crossing_picks_the_kernels_victim)
{
	char *dir = copy_lowmem();

	start(dir, (const char *const[]){ "--dryrun", "-r", "0", NULL });
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_expect_eq(loop.last.action, ACTION_KILL);
	cr_expect_eq(loop.last.reason, REASON_FLOOR_KILL);
	cr_expect_eq(loop.dryrun_last_pid, 4242, "the leaky app, as the kernel would pick");
	cr_expect_eq(loop.sel.n_best, 3, "candidates kept for the next-candidate path");
	cr_expect(strstr(loop.trigger_text, "kill floor 5.00%") != NULL, "%s", loop.trigger_text);
	stop(dir);
}

Test(loop, a_machine_with_room_does_nothing)
{
	char *dir = copy_lowmem();

	write_busy_meminfo(dir);
	start(dir, (const char *const[]){ "--dryrun", "-r", "0", NULL });
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	cr_expect_eq(loop.last.action, ACTION_NONE);
	cr_expect_eq(loop.dryrun_last_pid, 0);
	cr_expect_eq(loop.last.cap.swap_free_kib, 524286);
	stop(dir);
}

/* The stall as it happens: totals rewritten every 100 ms tick; a 1.5 s
 * burst passes, then a thrash that lasts (the working set read back at 5 %
 * of memory a second) ends in a pressure kill once it has lasted
 * --psi-duration, and not before. */
Test(loop, a_sustained_thrash_and_not_a_burst_leads_to_a_pressure_kill)
{
	char *dir = copy_lowmem();
	uint64_t now = 10000, some = 5000000, full = 1000000, first_kill = 0, refaults = 0;

	write_busy_meminfo(dir);
	write_pressure(dir, some, full);
	write_vmstat(dir, refaults);
	start(dir, (const char *const[]){ "--dryrun", "-r", "0", "--psi-duration", "2", NULL });
	for (int t = 0; t < 100; t++, now += 100) {
		/* 0-1 s quiet, 1-2.5 s all stalled, 2.5-4 s quiet, then stalled. */
		bool stalled = (t >= 10 && t < 25) || t >= 40;

		if (stalled) {
			some += 100000;
			full += 100000;
			/* 5 % of the 1.8 GiB of anon and file LRU a second. */
			refaults += 1800 * 256 * 5 / 100 / 10;
		}
		write_pressure(dir, some, full);
		write_vmstat(dir, refaults);
		cr_assert_eq(loop_tick(&loop, now), 0);
		if (loop.last.action != ACTION_NONE && !first_kill)
			first_kill = now;
	}
	cr_expect_eq(loop.last.reason, REASON_PRESSURE);
	cr_expect_eq(loop.dryrun_last_pid, 4242);
	cr_expect_geq(first_kill, 10000 + 4000 + 2000, "not the burst; 2 s into the stall at least");
	cr_expect_leq(first_kill, 10000 + 4000 + 2000 + 600, "and within a window of it");
	cr_expect(strstr(loop.trigger_text, "PSI full 100.00% >= 20.00%") != NULL, "%s",
		  loop.trigger_text);
	cr_expect(strstr(loop.trigger_text, ": thrashing (refaults ") != NULL, "%s", loop.trigger_text);
	stop(dir);
}

Test(loop, pressure_without_a_memory_shortage_kills_nothing)
{
	char *dir = copy_lowmem();
	uint64_t now = 10000, some = 0, full = 0, refaults = 0;

	/* Lots of cache, little anon, swap unused: an I/O-bound machine. */
	fixture_puts(dir, "meminfo",
		     "MemTotal:        2015232 kB\nMemFree:          300000 kB\n"
		     "MemAvailable:    1200000 kB\nActive(file):     700000 kB\n"
		     "Inactive(file):   500000 kB\nSwapTotal:       1048572 kB\n"
		     "SwapFree:        1048572 kB\nAnonPages:        400000 kB\n");
	start(dir, (const char *const[]){ "--dryrun", "-r", "0", NULL });
	for (int t = 0; t < 200; t++, now += 100) {
		some += 100000;
		full += 90000;
		refaults += 5000;	/* the cache churns */
		write_pressure(dir, some, full);
		write_vmstat(dir, refaults);
		cr_assert_eq(loop_tick(&loop, now), 0);
		cr_assert_eq(loop.last.action, ACTION_NONE, "tick %d", t);
	}
	stop(dir);
}

static unsigned count_lines(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The pressure file stops parsing for 2 s in the middle of a run, then
 * reads again: pressure kills are off meanwhile, and the log says so once
 * when it starts and once when it ends, not at every 100 ms tick. */
Test(loop, a_pressure_file_that_stops_reading_is_said_once_and_its_recovery_too)
{
	char *dir = copy_lowmem();
	static char log[65536];
	uint64_t now = 10000;

	write_busy_meminfo(dir);
	write_pressure(dir, 1000000, 500000);
	write_vmstat(dir, 0);
	start(dir, (const char *const[]){ "--dryrun", "-r", "0", NULL });
	fixture_capture_start();
	for (int t = 0; t < 60; t++, now += 100) {
		if (t == 20)
			fixture_puts(dir, "pressure/memory", "some avg10=0.00 garbage\n");
		else if (t == 40)
			write_pressure(dir, 2000000, 900000);
		cr_assert_eq(loop_tick(&loop, now), 0);
		if (t >= 20 && t < 40)
			cr_assert_not(loop.s.pressure[0].valid, "tick %d", t);
	}
	fixture_capture_end(log, sizeof(log));
	cr_expect_eq(count_lines(log, "PSI: cannot read the system pressure file: malformed; "
				      "pressure kills are off until it reads again"), 1, "%s", log);
	cr_expect_eq(count_lines(log, "PSI: the system pressure file reads again; pressure kills "
				      "are back on"), 1, "%s", log);
	cr_expect_eq(count_lines(log, "PSI:"), 2, "%s", log);
	cr_expect(loop.s.pressure[0].valid);
	stop(dir);
}

/* Root's children that wait to be killed: the only processes the EPERM test
 * below names, so that nothing else could ever be signalled. */
static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

#define NOBODY_UID 65534

/* Without CAP_KILL (oomguard as nobody; the candidates root's), every
 * candidate refuses the signal. Retried every 10 ms tick that was 300 log
 * lines a second with three candidates, forever: now the tries back off
 * (1, 2, 4 s ... in 10 s of floor-kill ticks: 4 tries) and what is missing
 * is said once. */
Test(loop, candidates_that_all_refuse_with_eperm_are_retried_with_backoff)
{
	char *dir = fixture_create(2015232, 20000, 0, 0);
	char log_path[] = "/tmp/oomguard-log-XXXXXX";
	static char log[1 << 20];
	pid_t sleepers[3], child;
	int log_fd, status;
	unsigned refusals;

	if (geteuid() != 0)
		cr_skip_test("needs root to drop to uid %d while its candidates stay root's", NOBODY_UID);
	cr_assert_eq(chmod(dir, 0755), 0);
	for (int i = 0; i < 3; i++) {
		sleepers[i] = spawn_sleeper();
		fixture_add(dir, &(struct fake_proc){ .pid = sleepers[i], .comm = "sleeper",
						      .rss_kib = 100000u * (unsigned)(i + 1) });
	}
	cfg = fixture_config((const char *const[]){ "-r", "0", NULL });
	cfg.procfs_path = dir;
	log_fd = mkstemp(log_path);
	cr_assert_geq(log_fd, 0);

	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		uint64_t now = 10000;

		dup2(log_fd, STDERR_FILENO);
		if (setgroups(0, NULL) < 0 || setresgid(NOBODY_UID, NOBODY_UID, NOBODY_UID) < 0 ||
		    setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID) < 0)
			_exit(2);
		/* No privilege left to signal root's processes. */
		if (kill(sleepers[0], 0) == 0 || errno != EPERM)
			_exit(3);
		if (procfs_open(&procfs, dir) < 0 || loop_open(&loop, &cfg, &procfs, &no_cgroupfs, &machine_view) < 0)
			_exit(4);
		for (int t = 0; t < 1000; t++, now += 10)
			if (loop_tick(&loop, now) < 0 || loop.last.reason != REASON_FLOOR_KILL)
				_exit(5);
		_exit(0);
	}
	cr_assert_eq(waitpid(child, &status, 0), child);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(kill(sleepers[i], 0), 0, "pid %d still alive", (int)sleepers[i]);
		kill(sleepers[i], SIGKILL);
		waitpid(sleepers[i], NULL, 0);
	}
	close(log_fd);
	cr_assert_not_null(fixture_read(log_path, log, sizeof(log)));
	unlink(log_path);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x: %.2000s", status, log);
	refusals = count_lines(log, "Operation not permitted; trying the next candidate");
	cr_expect_eq(refusals % 3, 0, "%.2000s", log);
	cr_expect_geq(refusals / 3, 2, "tried again after the backoff: %.2000s", log);
	cr_expect_leq(refusals / 3, 4, "%u tries in 10 s", refusals / 3);
	cr_expect_eq(count_lines(log, "needs CAP_KILL"), 1, "%.2000s", log);
	config_free(&cfg);
	fixture_destroy(dir);
}

/* A tree of a 2 GiB machine at 1 % available, no swap (below the kill
 * floor), and n processes named "keeper", which --ignore protects. */
static char *nothing_to_kill_tree(unsigned n)
{
	char *dir = fixture_create(2015232, 20000, 0, 0);

	for (unsigned i = 0; i < n; i++)
		fixture_add(dir, &(struct fake_proc){ .pid = 1000 + (int)i, .comm = "keeper",
						      .rss_kib = 10000 + i });
	return dir;
}

/* Memory below the floor and nothing that may be killed: the scan is not
 * run every 10 ms tick but about once a second (10 s of ticks: 11 scans at
 * most), and the warning said once. */
Test(loop, with_nothing_to_kill_the_processes_are_scanned_once_a_second_not_every_tick)
{
	char *dir = nothing_to_kill_tree(50);
	static char log[65536];
	uint64_t now = 10000;

	start(dir, (const char *const[]){ "--dryrun", "-r", "0", "--ignore", "^keeper$", NULL });
	fixture_capture_start();
	for (int t = 0; t < 1000; t++, now += 10) {
		cr_assert_eq(loop_tick(&loop, now), 0);
		cr_assert_eq(loop.last.reason, REASON_FLOOR_KILL);
	}
	fixture_capture_end(log, sizeof(log));
	cr_expect_geq(loop.scans, 10, "still scanned now and then: %lu", loop.scans);
	cr_expect_leq(loop.scans, 11, "%lu scans in 1000 ticks", loop.scans);
	cr_expect_eq(count_lines(log, "no process may be killed"), 1, "%s", log);
	cr_expect_eq(loop.dryrun_last_pid, 0);
	stop(dir);
}

/* ... but a new process (the last pid of /proc/loadavg moved) is looked at
 * within NOTHING_RESCAN_MIN_MS, not only at the next second; so is memory
 * that moved by 1 % of RAM. */
Test(loop, with_nothing_to_kill_a_new_process_or_moved_memory_brings_a_scan_soon)
{
	char *dir = nothing_to_kill_tree(20);
	uint64_t now = 10000, picked = 0;
	unsigned long scans;

	fixture_puts(dir, "loadavg", "1.00 0.50 0.20 1/40 1019\n");
	start(dir, (const char *const[]){ "--dryrun", "-r", "0", "--ignore", "^keeper$", NULL });
	for (int t = 0; t < 350; t++, now += 10)
		cr_assert_eq(loop_tick(&loop, now), 0);
	/* Scanned at 10.0, 11.0, 12.0 and 13.0 s; now 13.5 s. */
	cr_expect_eq(loop.scans, 4);

	/* Memory moves by 2 % of RAM (40 MiB freed): a scan at once. */
	fixture_puts(dir, "meminfo", "MemTotal:        2015232 kB\nMemFree:           30000 kB\n"
				     "MemAvailable:      60000 kB\nAnonPages:       1900000 kB\n"
				     "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
	scans = loop.scans;
	cr_assert_eq(loop_tick(&loop, now), 0);
	now += 10;
	cr_expect_eq(loop.scans, scans + 1, "memory moved");

	/* Less than NOTHING_RESCAN_MIN_MS later a new process appears: it is
	 * seen 200 ms after the last scan, not at the next second. */
	for (int t = 0; t < 5; t++, now += 10)
		cr_assert_eq(loop_tick(&loop, now), 0);
	fixture_add(dir, &(struct fake_proc){ .pid = 1020, .comm = "hog", .rss_kib = 500000 });
	fixture_puts(dir, "loadavg", "1.00 0.50 0.20 2/41 1020\n");
	for (int t = 0; t < 50 && !picked; t++, now += 10) {
		cr_assert_eq(loop_tick(&loop, now), 0);
		if (loop.dryrun_last_pid == 1020)
			picked = now;
	}
	cr_expect_eq(picked, 13500 + 200, "picked at %llu", (unsigned long long)picked);
	cr_expect_eq(loop.scans, scans + 2);
	stop(dir);
}

/* The refault evidence of a stall counts refaults during the stall only.
 * Idle, /proc/vmstat is read every 10 s; the churn of the seconds before a
 * stall (the cache read back at 5 % of memory a second, no stall) must not
 * be taken for a thrash when the stall comes with no refault at all: it is
 * pressure without a memory cause, and kills nothing. */
Test(loop, refaults_from_before_a_stall_do_not_open_the_memory_gate)
{
	char *dir = copy_lowmem();
	uint64_t now = 10000, some = 5000000, full = 1000000, refaults = 0;

	write_busy_meminfo(dir);
	write_pressure(dir, some, full);
	write_vmstat(dir, refaults);
	start(dir, (const char *const[]){ "--dryrun", "-r", "0", "--psi-duration", "2", NULL });
	for (int t = 0; t < 120; t++, now += 100) {
		/* 0-4.5 s the cache churns, no stall; then all stalled, and
		 * not one refault. The stall fills the window that closes at
		 * 5 s: the run is seen in the tick it closes, one that has not
		 * read vmstat since the start. */
		if (t < 46) {
			refaults += 1800 * 256 * 5 / 100 / 10;
		} else {
			some += 100000;
			full += 100000;
		}
		write_pressure(dir, some, full);
		write_vmstat(dir, refaults);
		cr_assert_eq(loop_tick(&loop, now), 0);
		cr_assert_eq(loop.last.action, ACTION_NONE, "tick %d: %s", t, loop.trigger_text);
	}
	cr_expect_geq(loop.s.pressure[0].run_ms, 6000, "the stall went on");
	cr_expect_eq(loop.last.evidence.refault_permille_per_s, 0);
	stop(dir);
}
