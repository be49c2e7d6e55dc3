/* The kill record (report_format_kill): every text the victim controls is
 * escaped, so that a name or a unit chosen by whoever started it can neither
 * end the line, nor add a field, nor reach a terminal as an escape. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "tell/report.h"

static const struct candidate victim = {
	.proc = { .pid = 4242, .comm = "leaky app", .uid = 1000, .rss_kib = 100, .swap_kib = 0 },
	.kernel_score = 1100, .score = 1100,
};

static const char *record(char *buf, size_t len, const char *unit)
{
	struct report_kill k = {
		.victim = &victim, .unit = unit, .verb = "killed", .reason = REASON_FLOOR_KILL,
		.signal = SIGKILL, .exited_ms = 40, .released = true, .trigger = "why",
	};

	return report_format_kill(buf, len, &k);
}

Test(report, a_plain_unit_is_printed_as_it_is)
{
	char buf[1536];

	cr_expect_str_eq(record(buf, sizeof(buf), "session-3.scope"),
			 "killed pid=4242 name=\"leaky app\" uid=1000 unit=session-3.scope "
			 "oom_score=1100 score=1100 rss_kib=100 swap_kib=0 reason=floor-kill "
			 "signal=SIGKILL exited_ms=40 released=yes trigger=\"why\"");
	cr_expect_not_null(strstr(record(buf, sizeof(buf), ""), " unit=- "), "%s", buf);
	cr_expect_not_null(strstr(record(buf, sizeof(buf), NULL), " unit=- "), "%s", buf);
}

Test(report, a_hostile_unit_is_escaped_and_quoted)
{
	char buf[1536];

	/* A quote, a newline with a forged record after it, an escape
	 * sequence (clear screen) and spaces that would add fields. */
	record(buf, sizeof(buf), "x\" reason=none\nkilled pid=1 \x1b[2J y.scope");
	cr_expect_not_null(strstr(buf, " unit=\"x\\x22 reason=none\\x0akilled pid=1 "
				       "\\x1b[2J y.scope\" oom_score=1100 "), "%s", buf);
	cr_expect_null(strchr(buf, '\n'));
	cr_expect_null(strchr(buf, '\x1b'));
	/* The fields that follow are the record's own, once each. */
	cr_expect_null(strstr(strstr(buf, "reason=floor-kill") + 1, "reason="), "%s", buf);
	/* An '=' alone is enough to quote: it would start a field. */
	cr_expect_not_null(strstr(record(buf, sizeof(buf), "a=b.scope"), " unit=\"a=b.scope\" "),
			   "%s", buf);
}

Test(report, members_spared_are_counted_in_the_record)
{
	struct report_kill k = {
		.victim = &victim, .unit = "app.scope", .verb = "killed", .reason = REASON_FLOOR_TERM,
		.signal = SIGTERM, .exited_ms = 40, .spared = 2, .trigger = "why",
	};
	char buf[1536];

	cr_expect_not_null(strstr(report_format_kill(buf, sizeof(buf), &k),
				  " exited_ms=40 spared=2 released=no "), "%s", buf);
	k.spared = 0;
	cr_expect_null(strstr(report_format_kill(buf, sizeof(buf), &k), "spared"), "%s", buf);
}

/* The unit field every record uses (the kill record, the warning): a unit
 * that holds a space or '=' is quoted, so it cannot add a field. */
Test(report, unit_field_is_escaped_and_quoted_when_it_could_split)
{
	char buf[REPORT_UNIT_ESCAPED + 2];

	cr_expect_str_eq(report_format_unit(buf, sizeof(buf), "app.service"), "app.service");
	cr_expect_str_eq(report_format_unit(buf, sizeof(buf), ""), "-");
	cr_expect_str_eq(report_format_unit(buf, sizeof(buf), NULL), "-");
	cr_expect_str_eq(report_format_unit(buf, sizeof(buf), "a b=c.scope"), "\"a b=c.scope\"");
	cr_expect_str_eq(report_format_unit(buf, sizeof(buf), "x\"y\n.scope"), "x\\x22y\\x0a.scope");
}
