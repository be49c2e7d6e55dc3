/* The kill history's files (tell/history.c: written before the signal and
 * completed after, the ring of two, the lock, the sequence numbers) and
 * what --history makes of them (tell/histprint.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse/histline.h"
#include "tell/histprint.h"
#include "tell/history.h"

/* ---- the files --------------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomguard-history-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

static char *read_all(const char *name)
{
	static char buf[1 << 20];
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct history h, h2;

static const struct candidate victim = {
	.proc = { .pid = 4242, .comm = "leaky app", .uid = 1000, .rss_kib = 100, .swap_kib = 3 },
	.kernel_score = 1100, .score = 1100,
};

/* Print the history of dir into out/err buffers. */
static int print(bool json, char *out, size_t out_len, char *err, size_t err_len)
{
	FILE *o = fmemopen(out, out_len, "w"), *e = fmemopen(err, err_len, "w");
	int r;

	cr_assert(o && e);
	r = histprint(o, e, dir, "5f3c1ad2-8b2e-4c55-9d1f-2b0e9f6c7a41", json);
	fclose(o);
	fclose(e);
	return r;
}

Test(history, a_kill_is_written_before_and_completed_after, .fini = remove_dir)
{
	const struct proc_sample top[] = { { .pid = 4242, .comm = "leaky app", .rss_kib = 100 } };
	const struct history_kill k = { .victim = &victim, .unit = "app.service",
					.cgroup = "/system.slice/app.service",
					.reason = REASON_FLOOR_KILL, .trigger = "why",
					.signal = SIGKILL, .mem_available_kib = 5, .top = top,
					.n_top = 1 };
	const struct history_outcome o = { .killed = true, .last_signal = SIGKILL, .exited_ms = 40,
					   .have_gained = true, .gained_kib = 2048 };
	static char out[65536], err[4096];
	struct hist_entry e;
	uint64_t seq;
	char *text, *nl;

	make_dir();
	cr_assert_eq(history_open(&h, dir, "5f3c1ad2-8b2e-4c55-9d1f-2b0e9f6c7a41"), 0);
	seq = history_kill(&h, &k);
	cr_expect_eq(seq, 1);
	/* Before the outcome: the kill line alone is there, whole. */
	text = read_all("history.0.jsonl");
	nl = strchr(text, '\n');
	cr_assert_not_null(nl);
	cr_expect_eq(nl[1], '\0');
	cr_assert_eq(histline_parse(text, &e), 0, "%s", text);
	cr_expect_eq(e.event, HIST_KILL);
	cr_expect_str_eq(e.reason, "floor-kill");
	cr_expect_str_eq(e.signal, "SIGKILL");
	cr_expect_str_eq(e.boot, "5f3c1ad2-8b2e-4c55-9d1f-2b0e9f6c7a41");
	cr_expect_eq(strlen(e.time), 24, "%s", e.time);
	cr_expect_eq(e.time[23], 'Z');
	cr_expect_eq(print(false, out, sizeof(out), err, sizeof(err)), 0);
	cr_expect_not_null(strstr(out, "unknown"), "%s", out);
	cr_expect_not_null(strstr(out, "no outcome recorded: oomguard or the machine stopped "
				  "first"), "%s", out);

	cr_expect_eq(history_outcome(&h, seq, &o), 0);
	history_close(&h);
	cr_expect_eq(print(true, out, sizeof(out), err, sizeof(err)), 0);
	cr_expect_str_empty(err);
	cr_expect_eq(strchr(out, '\n') + 1, out + strlen(out), "one entry: %s", out);
	cr_assert_eq(histline_parse(out, &e), 0, "%s", out);
	cr_expect_str_eq(e.outcome, "killed");
	cr_expect_eq(e.exited_ms, 40);
	cr_expect_eq(e.gained_kib, 2048);
	cr_expect_str_eq(e.name, "leaky app");
	cr_expect_str_eq(e.unit, "app.service");
	cr_expect_eq(e.n_top, 1);

	/* Reopened, the sequence goes on. */
	cr_assert_eq(history_open(&h, dir, ""), 0);
	cr_expect_eq(h.seq, 2);
	cr_expect_eq(history_warning(&h, REASON_PRESSURE, 1, 2, 77, "x"), 0);
	cr_expect_eq(h.seq, 3);
	history_close(&h);
}

Test(history, a_second_opener_gets_no_history, .fini = remove_dir)
{
	make_dir();
	cr_assert_eq(history_open(&h, dir, ""), 0);
	cr_expect(h.on);
	cr_expect_eq(history_open(&h2, dir, ""), -EWOULDBLOCK);
	cr_expect_not(h2.on);
	cr_expect_eq(history_warning(&h2, REASON_PRESSURE, 1, 2, 77, "x"), -EBADF);
	cr_expect_eq(h2.fd[0], -1);
	history_close(&h);
	/* Once the first is gone, the lock is free again. */
	cr_expect_eq(history_open(&h2, dir, ""), 0);
	history_close(&h2);
}

Test(history, a_directory_that_cannot_be_used_leaves_it_off)
{
	cr_expect_lt(history_open(&h, "/proc/self/oomguard-history", ""), 0);
	cr_expect_not(h.on);
	cr_expect_eq(history_kill(&h, &(struct history_kill){ .victim = &victim }), 0);
	history_close(&h);
}

/* Past the limit the other file is emptied and taken: the oldest half
 * goes, the newest stays, and --history shows what is left in order. */
Test(history, the_ring_drops_the_oldest_and_keeps_the_order, .fini = remove_dir)
{
	static char out[1 << 20], err[4096];
	struct stat st0, st1;
	char path[128];
	uint64_t expect, last = 0;
	unsigned lines = 0;

	make_dir();
	cr_assert_eq(history_open(&h, dir, ""), 0);
	h.limit = 4096;
	for (int i = 0; i < 200; i++)
		cr_assert_eq(history_warning(&h, REASON_FLOOR_TERM, (uint64_t)i, 0, i, "w"), 0);
	history_close(&h);
	snprintf(path, sizeof(path), "%s/history.0.jsonl", dir);
	cr_assert_eq(stat(path, &st0), 0);
	snprintf(path, sizeof(path), "%s/history.1.jsonl", dir);
	cr_assert_eq(stat(path, &st1), 0);
	cr_expect_lt(st0.st_size, 4096 + 512);
	cr_expect_lt(st1.st_size, 4096 + 512);
	cr_expect_gt(st0.st_size + st1.st_size, 4096);

	cr_assert_eq(print(true, out, sizeof(out), err, sizeof(err)), 0);
	cr_expect_str_empty(err);
	for (char *p = out; *p; p = strchr(p, '\n') + 1) {
		struct hist_entry e;
		char line[HISTLINE_MAX];

		snprintf(line, sizeof(line), "%.*s", (int)(strchr(p, '\n') - p), p);
		cr_assert_eq(histline_parse(line, &e), 0, "%s", line);
		cr_expect(last == 0 || e.seq == last + 1, "%llu after %llu",
			  (unsigned long long)e.seq, (unsigned long long)last);
		last = e.seq;
		cr_expect_eq(e.mem_available_kib, e.seq - 1);
		lines++;
	}
	cr_expect_eq(last, 200, "the newest is kept");
	cr_expect_lt(lines, 200, "the oldest are dropped");
	expect = 200 - lines + 1;
	cr_expect_gt(expect, 1);

	/* Reopened, it appends to the newer file. */
	cr_assert_eq(history_open(&h, dir, ""), 0);
	cr_expect_eq(h.seq, 200);
	history_close(&h);
}

Test(history, a_cut_last_line_is_skipped_and_said_once, .fini = remove_dir)
{
	static char out[65536], err[4096];
	char path[128], expect[256];
	FILE *f;

	make_dir();
	cr_assert_eq(history_open(&h, dir, ""), 0);
	cr_assert_neq(history_kill(&h, &(struct history_kill){ .victim = &victim, .signal = SIGTERM,
							       .reason = REASON_PRESSURE }), 0);
	history_close(&h);
	snprintf(path, sizeof(path), "%s/history.0.jsonl", dir);
	f = fopen(path, "a");
	cr_assert_not_null(f);
	fputs("{\"time\":\"2024-05-01T12:34:56.789Z\",\"boot\":\"\",\"seq\":2,\"event\":\"kill\",\"pi", f);
	fclose(f);
	cr_expect_eq(print(false, out, sizeof(out), err, sizeof(err)), 0);
	cr_expect_not_null(strstr(out, "leaky app"), "%s", out);
	cr_expect_not_null(strstr(out, "pressure"), "%s", out);
	snprintf(expect, sizeof(expect), "oomguard: --history: 1 malformed line skipped in %s/"
		 "history.0.jsonl\n", dir);
	cr_expect_str_eq(err, expect);
}
