/* Logging never waits for the reader of stderr: a pipe or socket nobody
 * drains costs lines (counted, and said in the next line out), never a
 * wait between a decision and its signal. Each test puts its own pipe or
 * socket on fd 2; an alarm turns a write that blocks into a crash, which
 * fails the test instead of hanging it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int saved_stderr = -1;

/* Put fd on stderr (the logger set up for it) until restore_stderr(). */
static void use_as_stderr(int fd)
{
	saved_stderr = dup(STDERR_FILENO);
	cr_assert_geq(saved_stderr, 0);
	cr_assert_geq(dup2(fd, STDERR_FILENO), 0);
	log_setup(false, false);
}

static void restore_stderr(void)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	log_setup(false, false);
}

/* Fill what fd writes into until it would block; the description's flags
 * are as they were afterwards. Returns the bytes written. */
static size_t fill(int fd)
{
	static const char junk[512] = { 'x' };
	int flags = fcntl(fd, F_GETFL);
	size_t total = 0;
	ssize_t n;

	cr_assert_eq(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
	while ((n = write(fd, junk, sizeof(junk))) > 0)
		total += (size_t)n;
	cr_assert(errno == EAGAIN, "%s", strerror(errno));
	/* A stream socket takes a short write of what still fits. */
	while ((n = write(fd, junk, 1)) > 0)
		total += (size_t)n;
	cr_assert_eq(fcntl(fd, F_SETFL, flags), 0);
	return total;
}

/* Read everything fd holds now into buf (NUL-terminated, cut to size).
 * Returns the bytes read. */
static size_t drain(int fd, char *buf, size_t size)
{
	int flags = fcntl(fd, F_GETFL);
	size_t len = 0, total = 0;
	char scratch[4096];
	ssize_t n;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while ((n = read(fd, scratch, sizeof(scratch))) > 0) {
		size_t keep = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;

		memcpy(buf + len, scratch, keep);
		len += keep;
		total += (size_t)n;
	}
	buf[len] = '\0';
	fcntl(fd, F_SETFL, flags);
	return total;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* What both kinds of reader show: lines into a full buffer return at
 * once; once there is room, the next line says how many were lost, and
 * the one after it says nothing more. */
static void check_drops(int write_end, int read_end)
{
	char before[256], after[256];
	double start, took;
	int flags_before;

	fill(write_end);
	flags_before = fcntl(write_end, F_GETFL);
	alarm(10);
	use_as_stderr(write_end);
	start = now_ms();
	for (int i = 0; i < 100; i++)
		log_warn("line %d while the reader sleeps", i);
	took = now_ms() - start;
	drain(read_end, before, sizeof(before));
	log_info("the reader is back");
	drain(read_end, after, sizeof(after));
	log_info("and nothing was lost since");
	restore_stderr();
	alarm(0);

	cr_expect_lt(took, 1000, "100 lines took %.0f ms", took);
	cr_expect_eq(fcntl(write_end, F_GETFL), flags_before,
		     "the shared file description keeps its flags (no O_NONBLOCK on it)");
	cr_expect_eq(strstr(before, "line "), NULL, "nothing of the dropped lines got out");
	cr_expect_str_eq(after, "the reader is back (100 log lines dropped)\n");
	drain(read_end, after, sizeof(after));
	cr_expect_str_eq(after, "and nothing was lost since\n");
}

Test(log, a_full_pipe_costs_lines_not_a_wait_and_the_next_line_counts_them)
{
	int p[2];

	cr_assert_eq(pipe(p), 0);
	check_drops(p[1], p[0]);
	close(p[0]);
	close(p[1]);
}

/* journald's stream: a unix stream socket. */
Test(log, a_full_socket_costs_lines_not_a_wait_and_the_next_line_counts_them)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	check_drops(sv[1], sv[0]);
	close(sv[0]);
	close(sv[1]);
}

Test(log, one_dropped_line_is_counted_in_the_singular)
{
	char out[256];
	int p[2];

	cr_assert_eq(pipe(p), 0);
	fill(p[1]);
	alarm(10);
	use_as_stderr(p[1]);
	log_warn("lost");
	drain(p[0], out, sizeof(out));
	log_warn("next");
	drain(p[0], out, sizeof(out));
	restore_stderr();
	alarm(0);
	cr_expect_str_eq(out, "next (1 log line dropped)\n");
}

/* A line cut at the buffer still has room for the count. */
Test(log, the_count_fits_after_a_line_cut_at_the_buffer)
{
	static char out[4096];
	static char lng[3000];
	int p[2];
	size_t n;

	memset(lng, 'a', sizeof(lng) - 1);
	cr_assert_eq(pipe(p), 0);
	fill(p[1]);
	alarm(10);
	use_as_stderr(p[1]);
	log_warn("lost");
	log_warn("lost");
	drain(p[0], out, sizeof(out));
	log_warn("%s", lng);
	n = drain(p[0], out, sizeof(out));
	restore_stderr();
	alarm(0);
	cr_expect_gt(n, 1000);
	cr_expect(strstr(out, "aaaa (2 log lines dropped)\n") != NULL, "%s", out + n - 40);
	cr_expect_eq(strchr(out, '\n'), out + n - 1, "one line");
}

/* A plain file is written as before: nothing to wait for. */
Test(log, a_regular_file_gets_every_line)
{
	char path[] = "/tmp/oomguard-log-XXXXXX", out[256];
	int fd = mkstemp(path);
	ssize_t n;

	cr_assert_geq(fd, 0);
	use_as_stderr(fd);
	log_info("one");
	log_info("two");
	restore_stderr();
	n = pread(fd, out, sizeof(out) - 1, 0);
	cr_assert_geq(n, 0);
	out[n] = '\0';
	close(fd);
	unlink(path);
	cr_expect_str_eq(out, "one\ntwo\n");
}

/* --syslog: a syslog daemon (or journald's /dev/log) that does not keep up
 * costs lines, never a wait; the datagrams are syslog(3)'s. */
Test(log, a_full_syslog_socket_costs_lines_not_a_wait_and_the_next_line_counts_them)
{
	char dir[] = "/tmp/oomguard-syslog-XXXXXX", tag[64], msg[1200];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int server, client, dropped_before = 0;
	double start, took;
	ssize_t n;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/log", dir);
	server = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	client = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert(server >= 0 && client >= 0);
	cr_assert_eq(bind(server, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(connect(client, (struct sockaddr *)&addr, sizeof(addr)), 0);
	/* Another sender fills the daemon's queue. */
	while (send(client, "x", 1, 0) == 1)
		;
	cr_assert(errno == EAGAIN, "%s", strerror(errno));

	alarm(10);
	log_setup_at(false, true, addr.sun_path);
	start = now_ms();
	for (int i = 0; i < 100; i++)
		log_warn("line %d while syslog sleeps", i);
	took = now_ms() - start;
	while ((n = recv(server, msg, sizeof(msg) - 1, 0)) > 0)
		dropped_before += n > 1;
	log_info("the reader is back");
	n = recv(server, msg, sizeof(msg) - 1, 0);
	alarm(0);
	log_setup(false, false);

	cr_expect_lt(took, 1000, "100 lines took %.0f ms", took);
	cr_expect_eq(dropped_before, 0, "only the other sender's datagrams were queued");
	cr_assert_gt(n, 0);
	msg[n] = '\0';
	snprintf(tag, sizeof(tag), " oomguard[%d]: ", (int)getpid());
	cr_expect(strncmp(msg, "<30>", 4) == 0, "daemon.info: %s", msg);
	cr_expect(strstr(msg, tag) != NULL, "%s", msg);
	cr_expect_str_eq(strstr(msg, "]: ") + 3, "the reader is back (100 log lines dropped)");
	close(client);
	close(server);
	unlink(addr.sun_path);
	rmdir(dir);
}
