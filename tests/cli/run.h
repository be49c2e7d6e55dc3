/* Run the built oomguard binary and capture what it prints. For CLI tests
 * only: the binary is only ever run with --help, --version, bad flags,
 * --list or --dryrun against fixture trees, so it never signals anything. */
#pragma once

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct run_result {
	int status;		/* exit status, or 128+signal */
	char out[65536];
	char err[65536];
};

static void drain(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/* Fork and exec $OOMGUARD_BIN with args (NULL-terminated), stdout and
 * stderr to out_fd/err_fd (-1: inherit), after putting env entries. The
 * child is ours to signal. */
static pid_t start_oomguard(int out_fd, int err_fd, const char *const *env, const char *const *args)
{
	const char *bin = getenv("OOMGUARD_BIN");
	char *argv[64];
	int argc = 0;
	pid_t pid;

	cr_assert_not_null(bin, "OOMGUARD_BIN not set");
	argv[argc++] = (char *)bin;
	while (*args && argc < 63)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (out_fd >= 0)
			dup2(out_fd, 1);
		if (err_fd >= 0)
			dup2(err_fd, 2);
		unsetenv("JOURNAL_STREAM");
		for (; env && *env; env++)
			putenv((char *)*env);
		execv(bin, argv);
		_exit(127);
	}
	return pid;
}

/* Wait up to ms for pid to exit; returns its exit status, 128+signal, or
 * -1 on timeout (the child is then SIGKILLed and reaped). */
static inline int wait_exit_ms(pid_t pid, int ms)
{
	int status;

	for (int waited = 0; waited < ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Runs oomguard to completion; stdout and stderr go to temporary files so
 * that neither pipe can fill and block the child. A run that has not ended
 * after 20 s (a flag accepted that should not have been, leaving a daemon
 * running) is killed and fails the test rather than hanging it. */
static void run_oomguard(struct run_result *res, const char *const *args)
{
	FILE *out = tmpfile(), *err = tmpfile();
	pid_t pid;

	cr_assert(out && err);
	pid = start_oomguard(fileno(out), fileno(err), NULL, args);
	res->status = wait_exit_ms(pid, 20000);
	cr_expect_neq(res->status, -1, "oomguard %s ... was still running after 20 s", args[0]);
	lseek(fileno(out), 0, SEEK_SET);
	lseek(fileno(err), 0, SEEK_SET);
	drain(fileno(out), res->out, sizeof(res->out));
	drain(fileno(err), res->err, sizeof(res->err));
	fclose(out);
	fclose(err);
}

#define RUN(res, ...) run_oomguard(res, (const char *const[]){ __VA_ARGS__, NULL })

/* The copy of $OOMGUARD_FIXTURES that fixture() hands out, and its removal
 * when the test's process exits. */
static char fixtures_copy[64];

static void fixtures_copy_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixtures_copy);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fixtures_copy);
}

/* The fixture trees' root. Started as root, oomguard runs as nobody once set
 * up and reads the tree as that user, who may not reach the checkout (root's
 * home is 0700 on Debian, dpkg-buildpackage may build in a 0700 mktemp
 * directory, a clone under umask 077 has 0600 files): as root the trees are
 * copied, once per test process, into a world-readable directory of the
 * test's own under /tmp. */
static inline const char *fixtures_root(void)
{
	char cmd[1024];

	if (geteuid() != 0)
		return getenv("OOMGUARD_FIXTURES");
	if (fixtures_copy[0])
		return fixtures_copy;
	snprintf(fixtures_copy, sizeof(fixtures_copy), "/tmp/oomguard-fixtures-XXXXXX");
	cr_assert_not_null(mkdtemp(fixtures_copy));
	atexit(fixtures_copy_remove);
	snprintf(cmd, sizeof(cmd), "cp -R '%s/.' '%s' && chmod -R a+rX '%s'",
		 getenv("OOMGUARD_FIXTURES"), fixtures_copy, fixtures_copy);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	return fixtures_copy;
}

static inline const char *fixture(const char *name)
{
	static char path[8][512];
	static int slot;
	char *p = path[slot++ % 8];

	snprintf(p, 512, "%s/%s", fixtures_root(), name);
	return p;
}

static inline int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Start oomguard in the background with stderr to a temporary file
 * (returned in *err_file) and extra environment; for tests that signal it
 * or change its fixture while it runs. */
static inline pid_t spawn_oomguard(FILE **err_file, const char *const *env, const char *const *args)
{
	*err_file = tmpfile();
	cr_assert_not_null(*err_file);
	/* The test reads the file while the daemon writes it through a shared
	 * file offset: O_APPEND keeps every write at the end whatever the
	 * reader's lseek does. */
	cr_assert_eq(fcntl(fileno(*err_file), F_SETFL, O_APPEND), 0);
	return start_oomguard(-1, fileno(*err_file), env, args);
}

static inline void read_stream(FILE *f, char *buf, size_t size)
{
	lseek(fileno(f), 0, SEEK_SET);
	drain(fileno(f), buf, size);
}

/* The user the privilege tests drop to, and the one a root start becomes. */
#define OTHER_UID "65534"

/* A copy of tests/fixtures/<name> that a test may change. Started as root,
 * the daemon runs as OTHER_UID once set up: the copy is that user's, so
 * that it can read the tree and write its metrics file and hook output
 * there, as it would in a directory given to it (RuntimeDirectory=). */
static inline char *copy_fixture(const char *name)
{
	char *dir = strdup("/tmp/oomguard-fixture-XXXXXX");
	char cmd[2048];

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(cmd, sizeof(cmd), "cp -r '%s/.' '%s'%s%s", fixture(name), dir,
		 geteuid() == 0 ? " && chown -R " OTHER_UID ":" OTHER_UID " " : "",
		 geteuid() == 0 ? dir : "");
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	return dir;
}
