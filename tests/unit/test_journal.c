/* Journal entries (src/tell/journal.c): the exact fields of each kind of
 * record, handed to a fake sink; the JOURNAL_STREAM test that decides
 * whether the journal is there at all; and the one rule of the sink: a
 * record goes to the journal or to stderr, never both and never neither.
 * stderr is a pipe of the test's own while it runs, so that what reached
 * it can be read back. */
#define _GNU_SOURCE		/* memmem, unshare */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.h"
#include "log.h"
#include "loop.h"
#include "tell/journal.h"
#include "version.h"

/* The machine-wide view, no cgroup tree: what the loop tests run on. */
static struct cgroupfs no_cgroupfs = CGROUPFS_INIT;
static const struct container machine_view;

/* One global kill, for the tests of the sink. */
static const struct kernel_oom_event one_kill = { .kills = 1, .global_kills = 1 };

/* ---- a fake sink: keeps copies of what it was sent ------------------------ */

#define FAKE_ENTRIES 8

struct fake_entry {
	char field[JOURNAL_MAX_FIELDS][2048];
	size_t len[JOURNAL_MAX_FIELDS];
	int n;
};

struct fake_sink {
	struct fake_entry e[FAKE_ENTRIES];
	unsigned calls;
	int result;			/* what send returns: 0 or -errno */
};

static int fake_send(const struct iovec *iov, int n, void *userdata)
{
	struct fake_sink *f = userdata;
	struct fake_entry *e = &f->e[f->calls % FAKE_ENTRIES];

	cr_assert_leq(n, JOURNAL_MAX_FIELDS);
	e->n = n;
	for (int i = 0; i < n; i++) {
		cr_assert_lt(iov[i].iov_len, sizeof(e->field[i]));
		memcpy(e->field[i], iov[i].iov_base, iov[i].iov_len);
		e->field[i][iov[i].iov_len] = '\0';
		e->len[i] = iov[i].iov_len;
	}
	f->calls++;
	return f->result;
}

static struct journal_sink fake_sink_of(struct fake_sink *f, int result)
{
	memset(f, 0, sizeof(*f));
	f->result = result;
	return (struct journal_sink){ .send = fake_send, .userdata = f, .active = true,
				      .ready = true };
}

/* ---- stderr on a pipe ------------------------------------------------------- */

static int saved_stderr = -1;
static int err_pipe[2] = { -1, -1 };

static void capture_stderr(void)
{
	cr_assert_eq(pipe2(err_pipe, O_CLOEXEC), 0);
	saved_stderr = dup(STDERR_FILENO);
	cr_assert_geq(dup2(err_pipe[1], STDERR_FILENO), 0);
	log_setup(false, false);
}

/* What reached stderr since capture_stderr(), NUL-terminated; stderr is
 * the test's own again afterwards. */
static char *captured(char *buf, size_t size)
{
	ssize_t n;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(err_pipe[1]);
	log_setup(false, false);
	fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
	n = read(err_pipe[0], buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(err_pipe[0]);
	return buf;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static unsigned count(const char *haystack, const char *needle)
{
	unsigned n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- the records ------------------------------------------------------------ */

static const struct candidate victim = {
	.proc = { .pid = 4242, .comm = "leaky app", .uid = 1000, .rss_kib = 1834000,
		  .swap_kib = 12 },
	.kernel_score = 1310, .score = 1200,
};

static struct report_kill kill_of(const struct candidate *c, const char *verb)
{
	return (struct report_kill){
		.victim = c, .unit = "app.service", .verb = verb, .reason = REASON_FLOOR_TERM,
		.signal = SIGTERM, .exited_ms = 140, .released = false, .trigger = "why",
	};
}

/* e's fields, in order, are exactly want[] (NULL-terminated). */
static void expect_fields(const struct journal_entry *e, const char *const *want)
{
	int i;

	for (i = 0; want[i]; i++) {
		cr_assert_lt(i, e->n, "missing field %s", want[i]);
		cr_expect_eq(e->iov[i].iov_len, strlen(want[i]), "field %d: %.*s, want %s", i,
			     (int)e->iov[i].iov_len, (const char *)e->iov[i].iov_base, want[i]);
		cr_expect_eq(memcmp(e->iov[i].iov_base, want[i], strlen(want[i])), 0,
			     "field %d: %.*s, want %s", i, (int)e->iov[i].iov_len,
			     (const char *)e->iov[i].iov_base, want[i]);
	}
	cr_expect_eq(e->n, i, "%d fields, want %d", e->n, i);
}

Test(journal, a_kill_record_has_every_field_and_the_log_line_as_message)
{
	struct report_kill k = kill_of(&victim, "killed");
	struct journal_entry e;
	char line[1536], message[1600];

	k.escalation = "timeout";
	k.spared = 2;
	cr_assert_eq(journal_build_kill(&e, &k, "/system.slice/app.service", "top memory users: x"),
		     0);
	snprintf(message, sizeof(message), "MESSAGE=%s", report_format_kill(line, sizeof(line), &k));
	expect_fields(&e, (const char *const[]){
		message,
		"MESSAGE_ID=ff9a5f48d486455b9bbd569acabc98d0",
		"PRIORITY=5",
		"SYSLOG_IDENTIFIER=oomguard",
		"OOMGUARD_PID=4242",
		"OOMGUARD_NAME=leaky app",
		"OOMGUARD_UID=1000",
		"OOMGUARD_UNIT=app.service",
		"OOMGUARD_CGROUP=/system.slice/app.service",
		"OOMGUARD_RSS_KIB=1834000",
		"OOMGUARD_SWAP_KIB=12",
		"OOMGUARD_OOM_SCORE=1310",
		"OOMGUARD_SCORE=1200",
		"OOMGUARD_REASON=floor-term",
		"OOMGUARD_SIGNAL=SIGTERM",
		"OOMGUARD_OUTCOME=killed",
		"OOMGUARD_EXITED_MS=140",
		"OOMGUARD_ESCALATION=timeout",
		"OOMGUARD_RELEASED=no",
		"OOMGUARD_SPARED=2",
		"OOMGUARD_TRIGGER=why",
		"OOMGUARD_TOP=top memory users: x",
		NULL });
	cr_expect_str_eq(message, "MESSAGE=killed pid=4242 name=\"leaky app\" uid=1000 "
			 "unit=app.service oom_score=1310 score=1200 rss_kib=1834000 swap_kib=12 "
			 "reason=floor-term signal=SIGTERM escalation=timeout exited_ms=140 "
			 "spared=2 released=no trigger=\"why\"");
}

/* A field that would only say "unknown" is not there: matching on it must
 * find nothing rather than an empty value. */
Test(journal, what_is_unknown_is_left_out)
{
	struct report_kill k = kill_of(&victim, "would kill");
	struct journal_entry e;
	const char *v;
	size_t len;

	k.unit = "";
	k.exited_ms = -1;
	k.signal = SIGKILL;
	k.reason = REASON_PRESSURE;
	k.trigger = NULL;
	cr_assert_eq(journal_build_kill(&e, &k, NULL, NULL), 0);
	for (const char *const *key = (const char *const[]){ "OOMGUARD_UNIT", "OOMGUARD_CGROUP",
		"OOMGUARD_EXITED_MS", "OOMGUARD_ESCALATION", "OOMGUARD_SPARED", "OOMGUARD_TRIGGER",
		"OOMGUARD_TOP", NULL }; *key; key++)
		cr_expect_null(journal_field(&e, *key, &len), "%s is there", *key);
	v = journal_field(&e, "OOMGUARD_SIGNAL", &len);
	cr_expect(len == 7 && memcmp(v, "SIGKILL", 7) == 0, "%.*s", (int)len, v);
	v = journal_field(&e, "OOMGUARD_REASON", &len);
	cr_expect(len == 8 && memcmp(v, "pressure", 8) == 0, "%.*s", (int)len, v);
	/* The head (4), the process (6 without unit and cgroup), score,
	 * reason, signal, outcome, released. */
	cr_expect_eq(e.n, 15);
}

Test(journal, the_outcome_is_the_verb_as_one_word)
{
	static const char *const verbs[][2] = {
		{ "killed", "killed" },
		{ "would kill", "would-kill" },
		{ "failed to kill", "failed" },
	};

	for (unsigned i = 0; i < 3; i++) {
		struct report_kill k = kill_of(&victim, verbs[i][0]);
		struct journal_entry e;
		const char *v;
		size_t len;

		cr_assert_eq(journal_build_kill(&e, &k, NULL, NULL), 0);
		v = journal_field(&e, "OOMGUARD_OUTCOME", &len);
		cr_assert_not_null(v);
		cr_expect_eq(len, strlen(verbs[i][1]));
		cr_expect_eq(memcmp(v, verbs[i][1], len), 0, "%.*s", (int)len, v);
		v = journal_field(&e, "MESSAGE", &len);
		cr_expect_eq(strncmp(v, verbs[i][0], strlen(verbs[i][0])), 0, "%.*s", (int)len, v);
	}
}

/* The name and the unit come from whoever started the process: in the
 * journal they are the bytes as they are (a value's length is in its
 * framing, so no byte can end a field), in MESSAGE they are escaped as on
 * stderr. */
Test(journal, a_hostile_name_is_raw_in_its_field_and_escaped_in_the_message)
{
	struct candidate c = victim;
	const char *name = "x\"\nMESSAGE=forged\x1b";
	const char *unit = "u\nOOMGUARD_PID=1.scope";
	const char *want = "name=\"x\\x22\\x0aMESSAGE=forged\\x1b\"";
	struct report_kill k = kill_of(&c, "killed");
	struct journal_entry e;
	const char *v;
	size_t len;

	snprintf(c.proc.comm, sizeof(c.proc.comm), "%s", name);
	k.unit = unit;
	cr_assert_eq(journal_build_kill(&e, &k, NULL, NULL), 0);
	v = journal_field(&e, "OOMGUARD_NAME", &len);
	cr_assert_not_null(v);
	cr_expect_eq(len, strlen(name));
	cr_expect_eq(memcmp(v, name, len), 0);
	v = journal_field(&e, "OOMGUARD_UNIT", &len);
	cr_assert_not_null(v);
	cr_expect_eq(len, strlen(unit));
	cr_expect_eq(memcmp(v, unit, len), 0);
	/* The forged fields are inside values, not fields of their own. */
	v = journal_field(&e, "OOMGUARD_PID", &len);
	cr_expect(len == 4 && memcmp(v, "4242", 4) == 0, "%.*s", (int)len, v);
	v = journal_field(&e, "MESSAGE", &len);
	cr_expect_null(memchr(v, '\n', len));
	cr_expect_null(memchr(v, '\x1b', len));
	cr_expect_not_null(memmem(v, len, want, strlen(want)), "%.*s", (int)len, v);
}

/* Every field at its longest still fits in the fixed buffer. */
Test(journal, the_longest_kill_record_fits)
{
	static char unit[256], cgroup[1024], trigger[512], top[1536];
	struct candidate c = victim;
	struct report_kill k = kill_of(&c, "failed to kill");
	struct journal_entry e;
	size_t len;

	memset(c.proc.comm, '\n', sizeof(c.proc.comm) - 1);
	c.proc.comm[sizeof(c.proc.comm) - 1] = '\0';
	c.proc.pid = -2147483647 - 1;
	c.proc.rss_kib = c.proc.swap_kib = UINT64_MAX;
	c.kernel_score = c.score = -9223372036854775807L - 1;
	memset(unit, '"', sizeof(unit) - 1);
	memset(cgroup, 'c', sizeof(cgroup) - 1);
	memset(trigger, 't', sizeof(trigger) - 1);
	memset(top, 'p', sizeof(top) - 1);
	k.unit = unit;
	k.trigger = trigger;
	k.escalation = "floor-kill";
	k.spared = UINT32_MAX;
	k.exited_ms = 2147483647;
	cr_assert_eq(journal_build_kill(&e, &k, cgroup, top), 0);
	cr_expect_eq(e.n, 22);
	journal_field(&e, "OOMGUARD_TOP", &len);
	cr_expect_eq(len, sizeof(top) - 1);
	journal_field(&e, "OOMGUARD_CGROUP", &len);
	cr_expect_eq(len, sizeof(cgroup) - 1);
	journal_field(&e, "OOMGUARD_NAME", &len);
	cr_expect_eq(len, sizeof(c.proc.comm) - 1);
}

Test(journal, a_kernel_oom_event_has_its_own_id_and_counts)
{
	struct journal_entry e;

	struct kernel_oom_event ev = { .kills = 2, .global_kills = 2 };

	cr_assert_eq(journal_build_kernel_oom(&e, "the kernel's OOM killer ran 2 time(s)", &ev, 7), 0);
	expect_fields(&e, (const char *const[]){
		"MESSAGE=the kernel's OOM killer ran 2 time(s)",
		"MESSAGE_ID=c0fc73d2c5714e1bbccd9e8fb256849c",
		"PRIORITY=3",
		"SYSLOG_IDENTIFIER=oomguard",
		"OOMGUARD_REASON=kernel-oom",
		"OOMGUARD_KILLS=2",
		"OOMGUARD_OOM_KILL=7",
		NULL });
}

Test(journal, a_kernel_oom_event_names_each_cgroup_it_was_in)
{
	struct journal_entry e;
	struct kernel_oom_event ev = { .kills = 3, .global_kills = 1, .cgroups_known = true,
				       .n_cgroups = 2 };

	snprintf(ev.cgroup[0].path, sizeof(ev.cgroup[0].path), "/box");
	ev.cgroup[0].kills = 1;
	snprintf(ev.cgroup[1].path, sizeof(ev.cgroup[1].path), "/system.slice/web.service");
	ev.cgroup[1].kills = 1;
	cr_assert_eq(journal_build_kernel_oom(&e, "m", &ev, 9), 0);
	expect_fields(&e, (const char *const[]){
		"MESSAGE=m",
		"MESSAGE_ID=c0fc73d2c5714e1bbccd9e8fb256849c",
		"PRIORITY=3",
		"SYSLOG_IDENTIFIER=oomguard",
		"OOMGUARD_REASON=kernel-oom",
		"OOMGUARD_KILLS=3",
		"OOMGUARD_OOM_KILL=9",
		"OOMGUARD_GLOBAL_KILLS=1",
		"OOMGUARD_CGROUP=/box",
		"OOMGUARD_CGROUP=/system.slice/web.service",
		NULL });
}

Test(journal, a_warning_names_the_first_victim_and_the_figures)
{
	struct journal_warning_info w = {
		.message = "memory is running out", .reason = REASON_FLOOR_TERM, .trigger = "figures",
		.mem_available_kib = 80000, .swap_free_kib = 0, .first = &victim,
		.unit = "app.service", .cgroup = "/app",
	};
	struct journal_entry e;

	cr_assert_eq(journal_build_warning(&e, &w), 0);
	expect_fields(&e, (const char *const[]){
		"MESSAGE=memory is running out",
		"MESSAGE_ID=0253a69950f7491cbcfb359ea9764ec8",
		"PRIORITY=4",
		"SYSLOG_IDENTIFIER=oomguard",
		"OOMGUARD_MEM_AVAILABLE_KIB=80000",
		"OOMGUARD_SWAP_FREE_KIB=0",
		"OOMGUARD_REASON=floor-term",
		"OOMGUARD_TRIGGER=figures",
		"OOMGUARD_PID=4242",
		"OOMGUARD_NAME=leaky app",
		"OOMGUARD_UID=1000",
		"OOMGUARD_UNIT=app.service",
		"OOMGUARD_CGROUP=/app",
		"OOMGUARD_RSS_KIB=1834000",
		"OOMGUARD_SWAP_KIB=12",
		"OOMGUARD_OOM_SCORE=1310",
		NULL });
	w.first = NULL;
	w.reason = REASON_NONE;
	cr_assert_eq(journal_build_warning(&e, &w), 0);
	expect_fields(&e, (const char *const[]){
		"MESSAGE=memory is running out",
		"MESSAGE_ID=0253a69950f7491cbcfb359ea9764ec8",
		"PRIORITY=4",
		"SYSLOG_IDENTIFIER=oomguard",
		"OOMGUARD_MEM_AVAILABLE_KIB=80000",
		"OOMGUARD_SWAP_FREE_KIB=0",
		"OOMGUARD_TRIGGER=figures",
		NULL });
}

/* ---- is stderr the journal? ------------------------------------------------ */

Test(journal, journal_stream_must_name_stderr_exactly)
{
	struct stat st = { .st_dev = 25, .st_ino = 123456 };
	static const char *const malformed[] = {
		"", ":", "25", "25:", ":123456", "25:123456x", "25:123456:1", "-25:123456",
		"25:-123456", " 25:123456", "25: 123456", "25:+123456", "0x19:123456", "abc",
		"99999999999999999999999:123456", "25:99999999999999999999999",
	};

	cr_expect(journal_stream_matches("25:123456", &st));
	cr_expect_not(journal_stream_matches("26:123456", &st));
	cr_expect_not(journal_stream_matches("25:123457", &st));
	cr_expect_not(journal_stream_matches(NULL, &st));
	for (unsigned i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		cr_expect_not(journal_stream_matches(malformed[i], &st), "'%s' taken", malformed[i]);
}

/* The default sink is the journal only with libsystemd built in, stderr
 * the stream JOURNAL_STREAM names, and no --syslog. */
Test(journal, the_default_sink_follows_journal_stream)
{
	struct journal_sink s;
	struct stat st;
	char value[64];
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	cr_assert_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(value, sizeof(value), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);

	setenv("JOURNAL_STREAM", value, 1);
	journal_sink_init(&s, false);
	cr_expect(s.ready);
	cr_expect_eq(s.active, HAVE_SD_JOURNAL, "built %s libsystemd",
		     HAVE_SD_JOURNAL ? "with" : "without");
	journal_sink_init(&s, true);
	cr_expect_not(s.active, "--syslog wants syslog");
	snprintf(value, sizeof(value), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", value, 1);
	journal_sink_init(&s, false);
	cr_expect_not(s.active, "a stream inherited from a parent is not ours");
	setenv("JOURNAL_STREAM", "garbage", 1);
	journal_sink_init(&s, false);
	cr_expect_not(s.active);
	unsetenv("JOURNAL_STREAM");
	journal_sink_init(&s, false);
	cr_expect_not(s.active);

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(fds[0]);
	close(fds[1]);
}

/* ---- one record, one place ------------------------------------------------- */

Test(journal, a_record_the_journal_takes_is_not_also_a_stderr_line)
{
	struct fake_sink f;
	struct journal_sink s = fake_sink_of(&f, 0);
	struct report_kill k = kill_of(&victim, "killed");
	char out[4096];

	capture_stderr();
	cr_expect(journal_kill(&s, &k, "/app", "top"));
	captured(out, sizeof(out));
	cr_expect_eq(f.calls, 1);
	cr_expect_str_eq(out, "", "also on stderr: %s", out);
	cr_expect_str_eq(f.e[0].field[1], "MESSAGE_ID=" JOURNAL_MESSAGE_ID_KILL);
	cr_expect_eq(strncmp(f.e[0].field[0], "MESSAGE=killed pid=4242 ", 24), 0, "%s",
		     f.e[0].field[0]);
}

Test(journal, a_failed_send_falls_back_to_the_stderr_line)
{
	struct fake_sink f;
	struct journal_sink s = fake_sink_of(&f, -EAGAIN);
	struct report_kill k = kill_of(&victim, "killed");
	char out[4096], line[1536];

	capture_stderr();
	cr_expect_not(journal_kill(&s, &k, "/app", "top"));
	captured(out, sizeof(out));
	cr_expect_eq(f.calls, 1, "the journal was tried first");
	report_format_kill(line, sizeof(line), &k);
	cr_expect_eq(count(out, line), 1, "%s", out);
	cr_expect_eq(count(out, "\n"), 1, "one line: %s", out);
}

Test(journal, without_the_journal_every_kind_is_its_stderr_line)
{
	struct fake_sink f;
	struct journal_sink s = fake_sink_of(&f, 0);
	struct journal_warning_info w = { .message = "memory is running out", .first = &victim };
	char out[4096];

	s.active = false;
	capture_stderr();
	cr_expect_not(journal_kernel_oom(&s, "the kernel's OOM killer ran", &one_kill, 1));
	cr_expect_not(journal_warning(&s, &w));
	cr_expect_not(journal_kill(NULL, &(struct report_kill){ .victim = &victim,
		.verb = "would kill", .exited_ms = -1 }, NULL, NULL));
	captured(out, sizeof(out));
	cr_expect_eq(f.calls, 0);
	cr_expect_str_eq(out, "the kernel's OOM killer ran\nmemory is running out\n"
			 "would kill pid=4242 name=\"leaky app\" uid=1000 unit=- oom_score=1310 "
			 "score=1200 rss_kib=1834000 swap_kib=12 reason=none signal=none "
			 "released=no trigger=\"\"\n");
}

Test(journal, warnings_and_kernel_events_reach_the_sink_alone)
{
	struct fake_sink f;
	struct journal_sink s = fake_sink_of(&f, 0);
	struct journal_warning_info w = { .message = "memory is running out" };
	char out[4096];

	capture_stderr();
	cr_expect(journal_warning(&s, &w));
	cr_expect(journal_kernel_oom(&s, "the kernel's OOM killer ran", &one_kill, 5));
	captured(out, sizeof(out));
	cr_expect_str_eq(out, "");
	cr_assert_eq(f.calls, 2);
	cr_expect_str_eq(f.e[0].field[1], "MESSAGE_ID=" JOURNAL_MESSAGE_ID_WARNING);
	cr_expect_str_eq(f.e[0].field[2], "PRIORITY=4");
	cr_expect_str_eq(f.e[1].field[1], "MESSAGE_ID=" JOURNAL_MESSAGE_ID_KERNEL_OOM);
	cr_expect_str_eq(f.e[1].field[6], "OOMGUARD_OOM_KILL=5");
}

/* ---- the real sink, on the wire --------------------------------------------- */

/* The value of key in a datagram of journald's native protocol, each field
 * either "KEY=value\n" or, for a value that holds a newline, "KEY\n", a
 * 64-bit little-endian length, the bytes and "\n". Returns a pointer into
 * buf and its length in *len, or NULL. */
static const char *native_field(const char *buf, size_t n, const char *key, size_t *len)
{
	size_t klen = strlen(key), o = 0;

	while (o < n) {
		const char *f = buf + o, *nl = memchr(f, '\n', n - o), *eq;
		uint64_t vlen = 0;

		cr_assert_not_null(nl, "a field without its newline");
		eq = memchr(f, '=', (size_t)(nl - f));
		if (eq) {
			if ((size_t)(eq - f) == klen && memcmp(f, key, klen) == 0) {
				*len = (size_t)(nl - eq - 1);
				return eq + 1;
			}
			o = (size_t)(nl - buf) + 1;
			continue;
		}
		cr_assert_leq((size_t)(nl - buf) + 9, n);
		for (int b = 7; b >= 0; b--)
			vlen = vlen << 8 | (unsigned char)nl[1 + b];
		cr_assert_leq((size_t)(nl - buf) + 9 + vlen + 1, n);
		if ((size_t)(nl - f) == klen && memcmp(f, key, klen) == 0) {
			*len = (size_t)vlen;
			return nl + 9;
		}
		o = (size_t)(nl - buf) + 9 + vlen + 1;
	}
	return NULL;
}

/* sd_journal_sendv as journald receives it: the test's own mount namespace
 * with a tmpfs on /run, where a socket of the test's own is
 * /run/systemd/journal/socket. The hostile name arrives whole, binary
 * framed, and nothing reaches stderr. Needs root (a mount namespace) and
 * libsystemd; skips, visibly (tests/meson.build), without them. */
Test(journal, the_native_protocol_carries_names_raw)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *name = "a\nMESSAGE=forged\"";
	struct candidate c = victim;
	struct report_kill k = kill_of(&c, "killed");
	struct journal_sink s;
	struct stat st;
	static char buf[65536];
	char value[64], out[4096];
	const char *v;
	size_t len;
	ssize_t n;
	int fd;

	if (!HAVE_SD_JOURNAL)
		cr_skip_test("built without libsystemd (-Djournal=disabled)");
	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("no mount namespace (%s): needs root", strerror(errno));
	/* Nothing mounted here may reach the host's namespace. */
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "%s", strerror(errno));
	cr_assert_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0, "%s", strerror(errno));
	cr_assert_eq(mkdir("/run/systemd", 0755), 0);
	cr_assert_eq(mkdir("/run/systemd/journal", 0755), 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/run/systemd/journal/socket");
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (const struct sockaddr *)&addr, sizeof(addr)), 0, "%s",
		     strerror(errno));

	snprintf(c.proc.comm, sizeof(c.proc.comm), "%s", name);
	capture_stderr();
	cr_assert_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(value, sizeof(value), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", value, 1);
	journal_sink_init(&s, false);
	cr_expect(s.active);
	cr_expect(journal_kill(&s, &k, "/app", "top"));
	unsetenv("JOURNAL_STREAM");
	captured(out, sizeof(out));
	cr_expect_str_eq(out, "", "also on stderr: %s", out);

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	cr_assert_gt(n, 0, "no datagram: %s", strerror(errno));
	v = native_field(buf, (size_t)n, "OOMGUARD_NAME", &len);
	cr_assert_not_null(v);
	cr_expect(len == strlen(name) && memcmp(v, name, len) == 0, "%.*s", (int)len, v);
	v = native_field(buf, (size_t)n, "MESSAGE_ID", &len);
	cr_expect(v && len == 32 && memcmp(v, JOURNAL_MESSAGE_ID_KILL, 32) == 0);
	v = native_field(buf, (size_t)n, "SYSLOG_IDENTIFIER", &len);
	cr_expect(v && len == 8 && memcmp(v, "oomguard", 8) == 0);
	cr_expect_null(native_field(buf, (size_t)n, "CODE_FILE", &len), "the wrapper's location");
	v = native_field(buf, (size_t)n, "MESSAGE", &len);
	cr_assert_not_null(v);
	cr_expect_null(memchr(v, '\n', len));
	close(fd);
}

/* ---- the loop's records ----------------------------------------------------- */

static struct loop loop;
static struct procfs procfs = PROCFS_INIT;
static struct config cfg;

static char *copy_lowmem(void)
{
	char *dir = strdup("/tmp/oomguard-fixture-XXXXXX");
	char cmd[2048];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -r '%s/lowmem/.' '%s'", getenv("OOMGUARD_FIXTURES"), dir);
	cr_assert_eq(system(cmd), 0);
	fixture_puts(dir, "vmstat", "pswpin 0\npswpout 0\noom_kill 3\n");
	return dir;
}

/* A --dryrun tick on the lowmem tree: the "would kill" record reaches the
 * sink with its fields, and stderr has the top users' line but not the
 * record. */
Test(journal, the_loop_sends_its_kill_record_to_the_journal_only)
{
	char *dir = copy_lowmem();
	struct fake_sink f;
	char out[8192];
	const struct fake_entry *e = &f.e[0];

	cfg = fixture_config((const char *const[]){ "--dryrun", "-r", "0", NULL });
	cfg.procfs_path = dir;
	cr_assert_eq(procfs_open(&procfs, dir), 0);
	cr_assert_eq(loop_open(&loop, &cfg, &procfs, &no_cgroupfs, &machine_view), 0);
	loop.journal = fake_sink_of(&f, 0);
	capture_stderr();
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	captured(out, sizeof(out));
	cr_assert_eq(f.calls, 1, "%s", out);
	cr_expect_str_eq(e->field[1], "MESSAGE_ID=" JOURNAL_MESSAGE_ID_KILL);
	cr_expect_eq(strncmp(e->field[0], "MESSAGE=would kill pid=4242 ", 28), 0, "%s",
		     e->field[0]);
	cr_expect_str_eq(e->field[4], "OOMGUARD_PID=4242");
	cr_expect_not_null(strstr(out, "top memory users:"), "%s", out);
	cr_expect_null(strstr(out, "would kill pid="), "the record is on stderr too: %s", out);

	/* The kernel's killer ran 2 more times. */
	fixture_puts(dir, "vmstat", "pswpin 0\npswpout 0\noom_kill 5\n");
	fixture_puts(dir, "meminfo", "MemTotal: 2015232 kB\nMemFree: 1500000 kB\n"
		     "MemAvailable: 1500000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
	capture_stderr();
	cr_assert_eq(loop_tick(&loop, 20000), 0);
	captured(out, sizeof(out));
	cr_assert_eq(f.calls, 2, "%s", out);
	cr_expect_str_eq(f.e[1].field[1], "MESSAGE_ID=" JOURNAL_MESSAGE_ID_KERNEL_OOM);
	cr_expect_str_eq(f.e[1].field[4], "OOMGUARD_REASON=kernel-oom");
	cr_expect_str_eq(f.e[1].field[5], "OOMGUARD_KILLS=2");
	cr_expect_null(strstr(out, "OOM killer ran"), "also on stderr: %s", out);

	loop_close(&loop);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(dir);
}

/* Replace the value of key in DIR/meminfo, keeping the kernel's layout. */
static void set_meminfo(const char *dir, const char *key, unsigned long kib)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "sed -i 's/^%s: *[0-9]* kB$/%s:%*lu kB/' '%s/meminfo'", key, key,
		 (int)(15 - strlen(key) + 1), kib, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Between the warning level and the term floor (as tests/cli/test_warning.c
 * sets it up): the warning reaches the sink with the would-be victim, and
 * its line is not also on stderr. */
Test(journal, the_loops_warning_goes_to_the_journal_only)
{
	char *dir = copy_lowmem();
	struct fake_sink f;
	char out[8192];
	const struct fake_entry *e = &f.e[0];

	set_meminfo(dir, "MemAvailable", 270000);
	set_meminfo(dir, "AnonPages", 1500000);
	set_meminfo(dir, "SwapFree", 150000);
	cfg = fixture_config((const char *const[]){ "--dryrun", "-r", "0", NULL });
	cfg.procfs_path = dir;
	cr_assert_eq(procfs_open(&procfs, dir), 0);
	cr_assert_eq(loop_open(&loop, &cfg, &procfs, &no_cgroupfs, &machine_view), 0);
	loop.journal = fake_sink_of(&f, 0);
	capture_stderr();
	cr_assert_eq(loop_tick(&loop, 1000), 0);
	captured(out, sizeof(out));
	cr_assert_eq(f.calls, 1, "%s", out);
	cr_expect(starts_with(e->field[0], "MESSAGE=memory is running out: reason=warn-memory "),
		  "%s", e->field[0]);
	cr_expect_str_eq(e->field[1], "MESSAGE_ID=" JOURNAL_MESSAGE_ID_WARNING);
	cr_expect_str_eq(e->field[4], "OOMGUARD_MEM_AVAILABLE_KIB=270000");
	cr_expect_str_eq(e->field[5], "OOMGUARD_SWAP_FREE_KIB=150000");
	cr_expect_str_eq(e->field[6], "OOMGUARD_REASON=warn-memory");
	cr_expect(starts_with(e->field[7], "OOMGUARD_TRIGGER=MemAvailable 15.25% "), "%s",
		  e->field[7]);
	cr_expect_str_eq(e->field[8], "OOMGUARD_PID=4242");
	cr_expect_str_eq(e->field[9], "OOMGUARD_NAME=leaky app");
	cr_expect_null(strstr(out, "memory is running out"), "also on stderr: %s", out);

	loop_close(&loop);
	procfs_close(&procfs);
	config_free(&cfg);
	fixture_destroy(dir);
}
