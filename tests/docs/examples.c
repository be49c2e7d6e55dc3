/* The examples README.md and the man page show, as the formatters write
 * them: check-examples.py compares each marked block there with a section
 * printed here, so that the documentation cannot drift from the code.
 *
 *   docs_examples FIXTURES_DIR
 *
 * prints "@NAME" lines, each followed by its example:
 *   @kill-record    the kill record and its top-users line, for the decision
 *                   the loop takes on the fixture tests/fixtures/lowmem, as
 *                   logged once the victim is gone
 *   @history        oomguard --history over a history written here
 *   @history-json   oomguard --history --json over the same */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decide/decide.h"
#include "loop.h"
#include "parse/histline.h"
#include "tell/histprint.h"
#include "tell/report.h"

/* The machine-wide view, no cgroup tree: what the loop tests run on. */
static struct cgroupfs no_cgroupfs = CGROUPFS_INIT;
static const struct container machine_view;

static struct loop the_loop;

static int kill_record(const char *fixtures)
{
	char procfs_path[4096], line[1536];
	char *argv[] = { (char *)"oomguard", (char *)"--dryrun", (char *)"--once",
			 (char *)"--procfs", procfs_path, NULL };
	struct procfs procfs = PROCFS_INIT;
	struct config cfg;
	struct proc_names names;
	char err[256];
	struct loop *l = &the_loop;

	snprintf(procfs_path, sizeof(procfs_path), "%s/lowmem", fixtures);
	if (config_parse(&cfg, 5, argv, err, sizeof(err)) < 0 ||
	    procfs_open(&procfs, procfs_path) < 0 || loop_open(l, &cfg, &procfs, &no_cgroupfs, &machine_view) < 0 ||
	    loop_tick(l, 1000) < 0 || l->sel.n_best == 0) {
		fprintf(stderr, "docs_examples: no decision on %s: %s\n", procfs_path, err);
		return 1;
	}
	scan_read_names(&l->scan, l->sel.best[0].proc.pid, &names);
	{
		/* What the loop logs once the victim has gone: SIGKILL at the
		 * kill floor, the victim gone 40 ms later, its memory reaped. */
		struct report_kill k = {
			.victim = &l->sel.best[0],
			.unit = names.unit,
			.verb = "killed",
			.reason = l->last.reason,
			.signal = SIGKILL,
			.exited_ms = 40,
			.released = true,
			.trigger = l->trigger_text,
		};

		printf("@kill-record\n%s\n", report_format_kill(line, sizeof(line), &k));
	}
	printf("%s\n", report_format_top(line, sizeof(line), l->sel.top_mem, l->sel.n_top_mem));
	loop_close(l);
	procfs_close(&procfs);
	config_free(&cfg);
	return 0;
}

#define BOOT_BEFORE "0b2c5e1a-5d3e-4c55-9d1f-2b0e9f6c7a41"
#define BOOT_NOW "fea8436b-71f9-46c2-beb4-07ba11b3aabc"

static void top(struct hist_entry *e, int64_t pid, const char *name, uint64_t rss, bool gone)
{
	struct hist_proc *p = &e->top[e->n_top++];

	p->pid = pid;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->rss_kib = rss;
	p->gone = gone;
}

/* A history as the daemon writes it: a kill and its outcome before the
 * last reboot, then a kernel kill inside a memory-limited cgroup. */
static int write_history(const char *dir)
{
	static struct hist_entry e;
	static char line[HISTLINE_MAX];
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/history.0.jsonl", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;

	memset(&e, 0, sizeof(e));
	e.event = HIST_KILL;
	e.seq = 1;
	snprintf(e.time, sizeof(e.time), "2026-11-30T03:12:09.412Z");
	snprintf(e.boot, sizeof(e.boot), BOOT_BEFORE);
	e.pid = 23817;
	snprintf(e.name, sizeof(e.name), "php-fpm8.2");
	e.uid = 33;
	snprintf(e.unit, sizeof(e.unit), "php8.2-fpm.service");
	snprintf(e.cgroup, sizeof(e.cgroup), "/system.slice/php8.2-fpm.service");
	e.oom_score = e.score = 1203;
	e.rss_kib = 301240;
	e.swap_kib = 187520;
	snprintf(e.reason, sizeof(e.reason), "floor-term");
	snprintf(e.trigger, sizeof(e.trigger), "MemAvailable 9.41%% (38 MiB) <= term floor 10.00%% "
		 "(41 MiB) and SwapFree 9.80%% <= 10.00%% (zram counted at 213 MiB used + 23 MiB "
		 "room, bounded by RAM)");
	snprintf(e.signal, sizeof(e.signal), "SIGTERM");
	e.mem_available_kib = 39100;
	e.swap_free_kib = 24200;
	top(&e, 23817, "php-fpm8.2", 301240, false);
	top(&e, 812, "mariadbd", 98400, false);
	top(&e, 23790, "php-fpm8.2", 41200, false);
	top(&e, 1, "systemd", 11800, false);
	top(&e, 640, "nginx", 9200, false);
	if (histline_format(line, sizeof(line), &e, false) < 0)
		return -1;
	fputs(line, f);

	memset(&e, 0, sizeof(e));
	e.event = HIST_OUTCOME;
	e.seq = 2;
	snprintf(e.time, sizeof(e.time), "2026-11-30T03:12:09.561Z");
	snprintf(e.boot, sizeof(e.boot), BOOT_BEFORE);
	e.has_outcome = true;
	e.kill_seq = 1;
	snprintf(e.outcome, sizeof(e.outcome), "killed");
	snprintf(e.last_signal, sizeof(e.last_signal), "SIGTERM");
	e.exited_ms = 149;
	e.have_gained = true;
	e.gained_kib = 468000;
	if (histline_format(line, sizeof(line), &e, false) < 0)
		return -1;
	fputs(line, f);

	memset(&e, 0, sizeof(e));
	e.event = HIST_KERNEL_OOM;
	e.seq = 3;
	snprintf(e.time, sizeof(e.time), "2026-12-01T17:40:02.008Z");
	snprintf(e.boot, sizeof(e.boot), BOOT_NOW);
	e.koom.kills = 1;
	e.koom.cgroups_known = true;
	e.koom.n_cgroups = 1;
	snprintf(e.koom.cgroup[0].path, sizeof(e.koom.cgroup[0].path),
		 "/system.slice/backup.service");
	e.koom.cgroup[0].kills = 1;
	e.mem_available_kib = 201000;
	top(&e, 4410, "restic", 243100, true);
	top(&e, 812, "mariadbd", 97900, false);
	if (histline_format(line, sizeof(line), &e, false) < 0)
		return -1;
	fputs(line, f);
	return fclose(f);
}

static int history(void)
{
	char dir[] = "/tmp/oomguard-docs-XXXXXX", path[64];
	int r = 1;

	if (!mkdtemp(dir))
		return 1;
	setenv("TZ", "UTC", 1);
	tzset();
	if (write_history(dir) == 0) {
		printf("@history\n");
		fflush(stdout);
		r = histprint(stdout, stderr, dir, BOOT_NOW, false) < 0;
		printf("@history-json\n");
		fflush(stdout);
		r |= histprint(stdout, stderr, dir, BOOT_NOW, true) < 0;
	}
	snprintf(path, sizeof(path), "%s/history.0.jsonl", dir);
	unlink(path);
	rmdir(dir);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: docs_examples FIXTURES_DIR\n");
		return 2;
	}
	/* The loop logs its start-up lines; the examples are on stdout. */
	if (kill_record(argv[1]) != 0 || history() != 0)
		return 1;
	return fflush(stdout) != 0;
}
