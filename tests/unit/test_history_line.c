/* The kill history's line format (parse/histline.c): formatted and parsed
 * back equal, hostile names kept byte for byte in ASCII-only JSON, every
 * line cut short by a crash refused. */
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

/* Every byte a name can hold, but NUL: quotes, backslashes, newlines,
 * control bytes, DEL and all from 0x80 (not UTF-8). */
static const char hostile[] = "a\"b\\c\nd\te\x01\x1f\x7f\x80\xc3\xa9\xff )(";

static void kill_entry(struct hist_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->event = HIST_KILL;
	e->seq = 41;
	snprintf(e->time, sizeof(e->time), "2024-05-01T12:34:56.789Z");
	snprintf(e->boot, sizeof(e->boot), "5f3c1ad2-8b2e-4c55-9d1f-2b0e9f6c7a41");
	e->pid = 4242;
	snprintf(e->name, sizeof(e->name), "%s", hostile);
	e->uid = 1000;
	snprintf(e->unit, sizeof(e->unit), "app \"x\".service");
	snprintf(e->cgroup, sizeof(e->cgroup), "/system.slice/app \"x\".service");
	e->oom_score = 1310;
	e->score = -5;
	e->rss_kib = 1834000;
	e->swap_kib = 12;
	snprintf(e->reason, sizeof(e->reason), "floor-term");
	snprintf(e->trigger, sizeof(e->trigger), "MemAvailable 3.04%% (60 MiB) <= term floor");
	snprintf(e->signal, sizeof(e->signal), "SIGTERM");
	e->mem_available_kib = 61440;
	e->swap_free_kib = 7;
	e->n_top = 2;
	e->top[0] = (struct hist_proc){ .pid = 4242, .rss_kib = 1834000, .swap_kib = 12 };
	snprintf(e->top[0].name, sizeof(e->top[0].name), "%s", hostile);
	e->top[1] = (struct hist_proc){ .pid = 1, .name = "systemd", .rss_kib = 9000 };
	e->exited_ms = -1;
}

static void expect_same_kill(const struct hist_entry *a, const struct hist_entry *b)
{
	cr_expect_eq(a->event, b->event);
	cr_expect_eq(a->seq, b->seq);
	cr_expect_str_eq(a->time, b->time);
	cr_expect_str_eq(a->boot, b->boot);
	cr_expect_eq(a->pid, b->pid);
	cr_expect_str_eq(a->name, b->name);
	cr_expect_eq(a->uid, b->uid);
	cr_expect_str_eq(a->unit, b->unit);
	cr_expect_str_eq(a->cgroup, b->cgroup);
	cr_expect_eq(a->oom_score, b->oom_score);
	cr_expect_eq(a->score, b->score);
	cr_expect_eq(a->rss_kib, b->rss_kib);
	cr_expect_eq(a->swap_kib, b->swap_kib);
	cr_expect_str_eq(a->reason, b->reason);
	cr_expect_str_eq(a->trigger, b->trigger);
	cr_expect_str_eq(a->signal, b->signal);
	cr_expect_eq(a->mem_available_kib, b->mem_available_kib);
	cr_expect_eq(a->swap_free_kib, b->swap_free_kib);
	cr_expect_eq(a->n_top, b->n_top);
	for (unsigned i = 0; i < a->n_top && i < b->n_top; i++) {
		cr_expect_eq(a->top[i].pid, b->top[i].pid);
		cr_expect_str_eq(a->top[i].name, b->top[i].name);
		cr_expect_eq(a->top[i].rss_kib, b->top[i].rss_kib);
		cr_expect_eq(a->top[i].swap_kib, b->top[i].swap_kib);
	}
}

Test(history_line, a_kill_and_its_outcome_read_back_equal)
{
	struct hist_entry e, back, o;
	char line[HISTLINE_MAX];
	long n;

	kill_entry(&e);
	n = histline_format(line, sizeof(line), &e, false);
	cr_assert_gt(n, 0);
	cr_expect_eq(line[n - 1], '\n');
	cr_expect_eq(strchr(line, '\n'), line + n - 1, "one line: %s", line);
	cr_assert_eq(histline_parse(line, &back), 0, "%s", line);
	expect_same_kill(&e, &back);
	cr_expect_not(back.has_outcome);

	memset(&o, 0, sizeof(o));
	o.event = HIST_OUTCOME;
	o.seq = 42;
	o.kill_seq = 41;
	snprintf(o.time, sizeof(o.time), "2024-05-01T12:34:57.000Z");
	snprintf(o.outcome, sizeof(o.outcome), "killed");
	snprintf(o.last_signal, sizeof(o.last_signal), "SIGKILL");
	snprintf(o.escalation, sizeof(o.escalation), "timeout");
	o.exited_ms = 5140;
	o.released = true;
	o.spared = 2;
	o.have_gained = true;
	o.gained_kib = -300;
	cr_assert_gt(histline_format(line, sizeof(line), &o, false), 0);
	cr_assert_eq(histline_parse(line, &back), 0, "%s", line);
	cr_expect_eq(back.event, HIST_OUTCOME);
	cr_expect_eq(back.kill_seq, 41);
	cr_expect_str_eq(back.outcome, "killed");
	cr_expect_str_eq(back.last_signal, "SIGKILL");
	cr_expect_str_eq(back.escalation, "timeout");
	cr_expect_eq(back.exited_ms, 5140);
	cr_expect(back.released);
	cr_expect_eq(back.spared, 2);
	cr_expect(back.have_gained);
	cr_expect_eq(back.gained_kib, -300);
}

Test(history_line, hostile_names_are_ascii_json_and_come_back_byte_for_byte)
{
	struct hist_entry e, back;
	char line[HISTLINE_MAX];
	long n;

	kill_entry(&e);
	n = histline_format(line, sizeof(line), &e, false);
	cr_assert_gt(n, 0);
	for (long i = 0; i < n - 1; i++)
		cr_expect(line[i] >= 0x20 && line[i] < 0x7f, "byte %ld is 0x%02x in %s", i,
			  (unsigned char)line[i], line);
	cr_expect_not_null(strstr(line, "\"name\":\"a\\\"b\\\\c\\u000ad\\u0009e\\u0001\\u001f"
				  "\\u007f\\u0080\\u00c3\\u00a9\\u00ff )(\""), "%s", line);
	cr_assert_eq(histline_parse(line, &back), 0, "%s", line);
	cr_expect_str_eq(back.name, hostile);
	cr_expect_str_eq(back.top[0].name, hostile);
	cr_expect_str_eq(back.unit, "app \"x\".service");
}

Test(history_line, the_longest_fields_fit_the_line)
{
	struct hist_entry e, back;
	static char line[HISTLINE_MAX];

	kill_entry(&e);
	memset(e.name, 0x01, sizeof(e.name) - 1);
	memset(e.unit, 0x01, sizeof(e.unit) - 1);
	memset(e.cgroup, 0x01, sizeof(e.cgroup) - 1);
	memset(e.trigger, 0x01, sizeof(e.trigger) - 1);
	e.n_top = HISTLINE_TOP_MAX;
	for (unsigned i = 0; i < e.n_top; i++) {
		e.top[i].pid = 2147483647;
		e.top[i].rss_kib = e.top[i].swap_kib = UINT64_MAX;
		memset(e.top[i].name, 0xff, sizeof(e.top[i].name) - 1);
	}
	e.has_outcome = true;
	snprintf(e.outcome, sizeof(e.outcome), "killed");
	cr_assert_gt(histline_format(line, sizeof(line), &e, true), 0);
	cr_assert_eq(histline_parse(line, &back), 0);
	cr_expect_str_eq(back.cgroup, e.cgroup);
	cr_expect_str_eq(back.top[4].name, e.top[4].name);
	cr_expect_eq(histline_format(line, 100, &e, false), -ENOBUFS);
}

/* A crash mid-write leaves a line cut anywhere: none of its prefixes
 * passes for an entry. */
Test(history_line, every_cut_of_a_line_is_refused)
{
	struct hist_entry e, back;
	char line[HISTLINE_MAX], cut[HISTLINE_MAX];
	long n;

	kill_entry(&e);
	n = histline_format(line, sizeof(line), &e, false);
	cr_assert_gt(n, 2);
	/* n - 1 is the whole object without its newline. */
	for (long len = 0; len < n - 1; len++) {
		memcpy(cut, line, (size_t)len);
		cut[len] = '\0';
		cr_expect_eq(histline_parse(cut, &back), -EINVAL, "cut at %ld parsed: %s", len, cut);
	}
	cr_expect_eq(histline_parse("{\"time\":\"x\",\"seq\":1,\"event\":\"kill\"} x", &back),
		     -EINVAL);
	cr_expect_eq(histline_parse("{\"seq\":1,\"event\":\"kill\"}", &back), -EINVAL);
	cr_expect_eq(histline_parse("{\"time\":\"a\\u0000b\",\"seq\":1,\"event\":\"kill\"}", &back),
		     -EINVAL);
	cr_expect_eq(histline_parse("{\"time\":\"t\",\"seq\":1,\"event\":\"kill\",\"x\":[[[[[[[[[1]]]]]]]]]}",
				    &back), -EINVAL);
	cr_expect_eq(histline_parse("{\"time\":\"t\",\"seq\":1,\"event\":\"kill\",\"x\":{\"y\":[1,true,null]}}",
				    &back), 0);
}


Test(history_line, a_kernel_oom_reads_back_with_its_cgroups)
{
	struct hist_entry e = { .event = HIST_KERNEL_OOM, .seq = 9, .time = "t" }, back;
	char line[HISTLINE_MAX];

	e.koom = (struct kernel_oom_event){ .kills = 3, .global_kills = 0, .cgroups_known = true,
					    .n_cgroups = 2 };
	snprintf(e.koom.cgroup[0].path, sizeof(e.koom.cgroup[0].path), "/system.slice/a\"b.service");
	e.koom.cgroup[0].kills = 2;
	snprintf(e.koom.cgroup[1].path, sizeof(e.koom.cgroup[1].path), "/user.slice");
	e.koom.cgroup[1].kills = 1;
	e.n_top = 1;
	e.top[0] = (struct hist_proc){ .pid = 7, .name = "java", .rss_kib = 5, .gone = true };
	cr_assert_gt(histline_format(line, sizeof(line), &e, false), 0);
	cr_expect_not_null(strstr(line, "\"scope\":\"cgroup\",\"cgroups_known\":true,"), "%s", line);
	cr_assert_eq(histline_parse(line, &back), 0, "%s", line);
	cr_expect_eq(back.koom.kills, 3);
	cr_expect_eq(back.koom.global_kills, 0);
	cr_expect(back.koom.cgroups_known);
	cr_expect_eq(back.koom.n_cgroups, 2);
	cr_expect_str_eq(back.koom.cgroup[0].path, "/system.slice/a\"b.service");
	cr_expect_eq(back.koom.cgroup[1].kills, 1);
	cr_expect(back.top[0].gone);
}
