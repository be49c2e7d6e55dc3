/* oomguard with its stderr on a pipe that is full and that nobody reads (a
 * log reader stalled): it must go on with its ticks, not wait for the pipe
 * to drain. --dryrun on fixture trees: nothing is ever signalled. */
#include <errno.h>
#include <sys/stat.h>

/* run.h's run_oomguard() gives the child files, never a pipe: unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "run.h"

/* A pipe filled to the brim; the read end stays open (a reader that
 * sleeps, not one that left: that would be EPIPE, not a wait). */
static void full_pipe(int p[2])
{
	static const char junk[512] = { 'x' };

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	cr_assert_eq(errno, EAGAIN);
	/* Blocking again, as a log pipe is. */
	cr_assert_eq(fcntl(p[1], F_SETFL, 0), 0);
}

Test(logpipe, once_on_a_full_stderr_pipe_still_finishes)
{
	int p[2], status;
	pid_t pid;

	full_pipe(p);
	pid = start_oomguard(-1, p[1], NULL,
			     (const char *const[]){ "--dryrun", "--once", "--procfs", fixture("lowmem"),
						    NULL });
	status = wait_exit_ms(pid, 10000);
	close(p[0]);
	close(p[1]);
	cr_expect_eq(status, 0, "exit status %d (-1: still running after 10 s)", status);
}

/* The daemon keeps ticking: the metrics file is written, and written again
 * a second later, while every line of its log is lost. */
Test(logpipe, the_daemon_keeps_ticking_on_a_full_stderr_pipe)
{
	char dir[] = "/tmp/oomguard-logpipe-XXXXXX", path[128];
	struct stat st;
	int p[2], status, seen = 0;
	pid_t pid;

	cr_assert_not_null(mkdtemp(dir));
	/* Started as root, oomguard writes as nobody (--user's default). */
	if (geteuid() == 0)
		cr_assert_eq(chown(dir, 65534, 65534), 0);
	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	full_pipe(p);
	pid = start_oomguard(-1, p[1], NULL,
			     (const char *const[]){ "--dryrun", "-r", "1", "--procfs", fixture("lowmem"),
						    "--metrics-file", path, NULL });
	for (int i = 0; i < 500 && seen < 2; i++) {
		usleep(10000);
		if (stat(path, &st) == 0) {
			seen++;
			unlink(path);
			/* The next write is a second away at -r 1. */
			usleep(500000);
		}
	}
	kill(pid, SIGTERM);
	status = wait_exit_ms(pid, 5000);
	close(p[0]);
	close(p[1]);
	rmdir(dir);
	cr_expect_eq(seen, 2, "metrics written %d time(s) in 5 s", seen);
	cr_expect_eq(status, 0, "SIGTERM: exit status %d (-1: still running after 5 s)", status);
}
