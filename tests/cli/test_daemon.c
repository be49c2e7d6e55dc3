/* The daemon as systemd and an operator meet it: signals, readiness,
 * metrics, the kernel-OOM watch. Always --dryrun against fixture trees;
 * the only processes signalled are the oomguard children started here. */
#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <pwd.h>

#include "run.h"
#include "../unit/fixture.h"

static struct run_result res;

/* Wait until the daemon's stderr holds text (it has got that far), so a
 * test never races a slow start on a loaded machine. */
static void wait_for_text(FILE *err, const char *text, int ms)
{
	static char buf[65536];

	for (int waited = 0; waited < ms; waited += 10) {
		read_stream(err, buf, sizeof(buf));
		if (strstr(buf, text))
			return;
		usleep(10000);
	}
	cr_assert_fail("no '%s' within %d ms:\n%s", text, ms, buf);
}

Test(daemon, sigterm_and_sigint_exit_zero_sighup_is_ignored)
{
	static const int stop_signals[] = { SIGTERM, SIGINT };

	for (size_t i = 0; i < 2; i++) {
		FILE *err;
		pid_t pid = spawn_oomguard(&err, NULL, (const char *const[]){ "--dryrun", "-r", "0",
						"--procfs", fixture("plenty"), NULL });

		wait_for_text(err, "capabilities:", 10000);	/* handlers installed */
		cr_assert_eq(kill(pid, SIGHUP), 0);
		usleep(200000);
		cr_expect_eq(waitpid(pid, NULL, WNOHANG), 0, "SIGHUP must not stop it");
		cr_assert_eq(kill(pid, stop_signals[i]), 0);
		cr_expect_eq(wait_exit_ms(pid, 3000), 0, "signal %d: clean exit 0", stop_signals[i]);
		fclose(err);
	}
}

Test(daemon, tells_systemd_it_is_ready_and_stopping)
{
	char dir[] = "/tmp/oomguard-notify-XXXXXX", path[64], env[160], msg[256];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, got_ready = 0, got_stopping = 0;
	FILE *err;
	pid_t pid;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	/* A root start sends STOPPING=1 as nobody, and sending needs write
	 * permission on the socket (systemd's own is 0777 in a 0755 /run). */
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(chmod(path, 0777), 0);
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", path);
	pid = spawn_oomguard(&err, (const char *const[]){ env, NULL },
			     (const char *const[]){ "--dryrun", "--once", "--procfs", fixture("plenty"), NULL });
	cr_expect_eq(wait_exit_ms(pid, 5000), 0);
	for (;;) {
		ssize_t n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);

		if (n <= 0)
			break;
		msg[n] = '\0';
		got_ready += strcmp(msg, "READY=1") == 0;
		got_stopping += strcmp(msg, "STOPPING=1") == 0;
	}
	cr_expect_eq(got_ready, 1);
	cr_expect_eq(got_stopping, 1);
	close(fd);
	unlink(path);
	rmdir(dir);
	fclose(err);
}

Test(daemon, metrics_file_is_prometheus_text_written_atomically)
{
	char *dir = copy_fixture("lowmem"), path[1100], tmp[1200], buf[8192];

	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	RUN(&res, "--dryrun", "--once", "--procfs", dir, "--metrics-file", path);
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_assert_not_null(fixture_read(path, buf, sizeof(buf)), "no metrics file: %s", res.err);
	cr_expect(strstr(buf, "# TYPE oomguard_mem_available_bytes gauge\noomguard_mem_available_bytes 62914560\n"),
		  "%s", buf);
	cr_expect(strstr(buf, "oomguard_memory_pressure_avg10_percent{kind=\"full\"} 35.02\n"), "%s", buf);
	cr_expect(strstr(buf, "oomguard_memory_stall_seconds_total{kind=\"full\"} 46.115236\n"), "%s", buf);
	cr_expect(strstr(buf, "oomguard_kills_total{reason=\"floor-term\",signal=\"SIGTERM\"} 0\n"), "%s", buf);
	cr_expect(strstr(buf, "oomguard_kills_total{reason=\"pressure\",signal=\"SIGKILL\"} 0\n"), "%s", buf);
	cr_expect(strstr(buf, "oomguard_swap_free_bytes 20971520\n"), "%s", buf);
	cr_expect(strstr(buf, "oomguard_poll_interval_seconds "), "%s", buf);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_expect_neq(access(tmp, F_OK), 0, "the temporary file was renamed away");
	fixture_destroy(dir);
}

static void write_vmstat(const char *dir, unsigned oom_kills)
{
	char text[128];

	snprintf(text, sizeof(text), "workingset_refault_file 10\npswpin 0\noom_kill %u\n", oom_kills);
	fixture_puts(dir, "vmstat", text);
}

Test(daemon, reports_the_kernel_oom_killer_and_runs_its_hook)
{
	char *dir = copy_fixture("lowmem"), hook[1100], out[1100], buf[65536], env[4096], script[4096];
	FILE *err;
	pid_t pid;

	write_vmstat(dir, 5);
	snprintf(hook, sizeof(hook), "%s/hook.sh", dir);
	snprintf(out, sizeof(out), "%s/hook.out", dir);
	snprintf(script, sizeof(script), "#!/bin/sh\nenv > '%s.part' && mv '%s.part' '%s'\n", out, out, out);
	fixture_puts(dir, "hook.sh", script);
	cr_assert_eq(chmod(hook, 0755), 0);
	pid = spawn_oomguard(&err, NULL, (const char *const[]){ "--dryrun", "-r", "0", "--procfs", dir,
					"--kernel-oom-hook", hook, NULL });
	wait_for_text(err, "would kill", 10000);	/* first sample taken */
	write_vmstat(dir, 8);
	for (int i = 0; i < 300 && access(out, F_OK) != 0; i++)
		usleep(10000);
	kill(pid, SIGTERM);
	cr_expect_eq(wait_exit_ms(pid, 3000), 0);
	read_stream(err, buf, sizeof(buf));
	cr_expect(strstr(buf, "the kernel's OOM killer ran 3 time(s)") != NULL, "%s", buf);
	cr_assert_not_null(fixture_read(out, env, sizeof(env)), "hook did not run: %s", buf);
	cr_expect(strstr(env, "OOMGUARD_EVENT=kernel-oom") != NULL, "%s", env);
	fclose(err);
	fixture_destroy(dir);
}

Test(daemon, syslog_mode_writes_nothing_to_stderr)
{
	RUN(&res, "--dryrun", "--once", "--syslog", "--procfs", fixture("plenty"));
	cr_expect_eq(res.status, 0);
	cr_expect_str_empty(res.err);
}

Test(daemon, journald_stream_gets_priority_prefixes)
{
	const char *procfs = fixture("plenty");	/* before the fork: it may copy */
	FILE *err = tmpfile();
	struct stat st;
	char env[96], buf[8192];
	pid_t pid;

	/* JOURNAL_STREAM names stderr's device and inode when systemd
	 * connected it to journald; a temporary file stands in for it. */
	cr_assert_not_null(err);
	cr_assert_eq(fstat(fileno(err), &st), 0);
	snprintf(env, sizeof(env), "JOURNAL_STREAM=%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fileno(err), 2);
		putenv(env);
		execl(getenv("OOMGUARD_BIN"), "oomguard", "--dryrun", "--once", "--procfs", procfs,
		      (char *)NULL);
		_exit(127);
	}
	cr_expect_eq(wait_exit_ms(pid, 5000), 0);
	read_stream(err, buf, sizeof(buf));
	fclose(err);
	cr_expect(strncmp(buf, "<5>oomguard ", 12) == 0, "%s", buf);
	cr_expect(strstr(buf, "\n<6>") != NULL, "%s", buf);
}

Test(daemon, no_pressure_file_carries_on_with_meminfo)
{
	char *dir = copy_fixture("lowmem"), cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -r '%s/pressure'", dir);
	cr_assert_eq(system(cmd), 0);
	RUN(&res, "--dryrun", "--once", "--procfs", dir);
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "PSI unavailable") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would kill pid=4242") != NULL, "%s", res.err);
	fixture_destroy(dir);
}

/* What a test that drops to OTHER_UID hands the binary: a copy of it and of
 * one fixture tree in a directory of the test's own under /tmp, readable by
 * everyone. The checkout may lie where that user cannot go (root's home is
 * 0700 on Debian, dpkg-buildpackage may run in a 0700 mktemp directory), so
 * nothing of it is passed on. /tmp, not $TMPDIR: a private TMPDIR would
 * bring the same problem back. */
struct other_user_tree {
	char dir[64];
	char bin[96];
	char procfs[96];
};

static void other_user_tree_destroy(struct other_user_tree *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	cr_expect_eq(system(cmd), 0);
}

/* Build the tree, then prove that OTHER_UID reaches it; skip with the reason
 * when it cannot (a /tmp that is not world-searchable). */
static void other_user_tree_create(struct other_user_tree *t, const char *fixture_name)
{
	char cmd[2048];

	snprintf(t->dir, sizeof(t->dir), "/tmp/oomguard-other-user-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	cr_assert_eq(chmod(t->dir, 0755), 0);
	snprintf(t->bin, sizeof(t->bin), "%s/oomguard", t->dir);
	snprintf(t->procfs, sizeof(t->procfs), "%s/%s", t->dir, fixture_name);
	/* chmod -R a+rX: a checkout cloned under umask 077 has 0600 files. */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 755 '%s' && cp -R '%s' '%s' && chmod -R a+rX '%s'",
		 getenv("OOMGUARD_BIN"), t->bin, t->bin, fixture(fixture_name), t->procfs, t->procfs);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "setpriv --reuid=" OTHER_UID " --regid=" OTHER_UID " --clear-groups "
		 "test -x '%s' -a -r '%s/meminfo'", t->bin, t->procfs);
	if (system(cmd) != 0) {
		other_user_tree_destroy(t);
		cr_skip_test("uid " OTHER_UID " cannot reach a directory made for it under /tmp");
	}
}

/* Run cmd with sh, its output (up to size - 1 bytes) into buf. Returns
 * pclose's status. */
static int shell_output(const char *cmd, char *buf, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	cr_assert_not_null(p, "popen %s", cmd);
	n = fread(buf, 1, size - 1, p);
	buf[n] = '\0';
	return pclose(p);
}

/* Cut buf at the line "@second" that a two-part command prints between its
 * parts. Returns the second part. */
static char *second_part(char *buf)
{
	char *second = strstr(buf, "@second");

	cr_assert_not_null(second, "%s", buf);
	*second = '\0';
	return second + strlen("@second");
}

/* Started without privileges (as nobody, no capabilities), oomguard says
 * what it cannot do and carries on. */
Test(daemon, unprivileged_start_names_what_is_missing)
{
	struct other_user_tree tree;
	char cmd[2048], buf[8192];
	int status;

	if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0)
		cr_skip_test("needs root and setpriv to drop to nobody");
	other_user_tree_create(&tree, "plenty");
	snprintf(cmd, sizeof(cmd), "setpriv --reuid=" OTHER_UID " --regid=" OTHER_UID " --clear-groups "
		 "--inh-caps=-all --bounding-set=-all '%s' --dryrun --once --procfs '%s' 2>&1; "
		 "echo \"exit=$?\"", tree.bin, tree.procfs);
	status = shell_output(cmd, buf, sizeof(buf));
	other_user_tree_destroy(&tree);
	cr_expect_eq(status, 0);
	cr_expect(strstr(buf, "exit=0") != NULL, "%s", buf);
	cr_expect(strstr(buf, "no CAP_KILL: only processes of uid " OTHER_UID " can be killed") != NULL,
		  "%s", buf);
	cr_expect(strstr(buf, "cannot set own oom_score_adj to -900") != NULL, "%s", buf);
	cr_expect(strstr(buf, "PSI: ") != NULL, "%s", buf);
}

/* The capability sets of a running oomguard, from /proc/PID/status. */
struct capsets {
	unsigned long long inh, prm, eff, bnd, amb;
	int nnp;
	unsigned uid[4], gid[4];	/* real, effective, saved, fs */
	char groups[256];		/* "Groups:" as the kernel prints it */
};

static void read_capsets(pid_t pid, struct capsets *c)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	memset(c, 0, sizeof(*c));
	c->nnp = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "CapInh: %llx", &c->inh);
		sscanf(line, "CapPrm: %llx", &c->prm);
		sscanf(line, "CapEff: %llx", &c->eff);
		sscanf(line, "CapBnd: %llx", &c->bnd);
		sscanf(line, "CapAmb: %llx", &c->amb);
		sscanf(line, "NoNewPrivs: %d", &c->nnp);
		sscanf(line, "Uid: %u %u %u %u", &c->uid[0], &c->uid[1], &c->uid[2], &c->uid[3]);
		sscanf(line, "Gid: %u %u %u %u", &c->gid[0], &c->gid[1], &c->gid[2], &c->gid[3]);
		if (strncmp(line, "Groups:", 7) == 0)
			snprintf(c->groups, sizeof(c->groups), "%s", line + 7 + strspn(line + 7, " \t"));
	}
	fclose(f);
}

/* nobody's primary gid, and its groups as /proc/PID/status prints them
 * ("65534 \n"), from the passwd and group databases. */
static unsigned nobody_gid(void)
{
	struct passwd *pw = getpwnam("nobody");

	cr_assert_not_null(pw, "no user nobody");
	return (unsigned)pw->pw_gid;
}

static const char *nobody_groups(void)
{
	static char text[256];
	gid_t groups[64];
	int n = 64;
	size_t o = 0;

	cr_assert_geq(getgrouplist("nobody", nobody_gid(), groups, &n), 0);
	for (int i = 0; i < n && o < sizeof(text); i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%u ", (unsigned)groups[i]);
	snprintf(text + o, sizeof(text) - o, "\n");
	return text;
}

/* Wait until the daemon has logged that it dropped its capabilities. */
static void wait_dropped(FILE *err)
{
	char buf[8192] = "";

	for (int i = 0; i < 300 && !strstr(buf, "capabilities:"); i++) {
		usleep(10000);
		read_stream(err, buf, sizeof(buf));
	}
	cr_assert(strstr(buf, "capabilities: kept CAP_KILL") != NULL, "%s", buf);
}

#define CAP_BIT(n) (1ULL << (n))

/* Started as root (every capability) or, as systemd's unit does, as an
 * unprivileged user with ambient capabilities: the same result, CAP_KILL
 * (and CAP_IPC_LOCK while the memlock limit binds) and nothing inheritable. */
Test(daemon, drops_to_the_same_capabilities_as_root_or_with_ambient_caps)
{
	static const char *const setpriv_ambient[] = {
		"/usr/bin/setpriv", "--reuid=" OTHER_UID, "--regid=" OTHER_UID, "--clear-groups",
		"--inh-caps=+kill,+ipc_lock", "--ambient-caps=+kill,+ipc_lock",
		NULL,
	};
	const unsigned long long keep = CAP_BIT(5) /* KILL */ | CAP_BIT(14) /* IPC_LOCK */;
	struct other_user_tree tree;
	struct capsets as_root, as_user;
	FILE *err;
	pid_t pid;

	if (geteuid() != 0 || access(setpriv_ambient[0], X_OK) != 0)
		cr_skip_test("needs root and setpriv");
	other_user_tree_create(&tree, "plenty");

	pid = spawn_oomguard(&err, NULL, (const char *const[]){ "--dryrun", "-r", "0", "--procfs",
					tree.procfs, NULL });
	wait_dropped(err);
	read_capsets(pid, &as_root);
	kill(pid, SIGTERM);
	cr_expect_eq(wait_exit_ms(pid, 3000), 0);
	fclose(err);

	err = tmpfile();
	cr_assert_eq(fcntl(fileno(err), F_SETFL, O_APPEND), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char *argv[16];
		int i = 0;

		for (; setpriv_ambient[i]; i++)
			argv[i] = (char *)setpriv_ambient[i];
		argv[i++] = tree.bin;
		argv[i++] = (char *)"--dryrun";
		argv[i++] = (char *)"-r";
		argv[i++] = (char *)"0";
		argv[i++] = (char *)"--procfs";
		argv[i++] = tree.procfs;
		argv[i] = NULL;
		dup2(fileno(err), 2);
		execv(argv[0], argv);
		_exit(127);
	}
	wait_dropped(err);
	read_capsets(pid, &as_user);
	kill(pid, SIGTERM);
	cr_expect_eq(wait_exit_ms(pid, 3000), 0);
	fclose(err);
	other_user_tree_destroy(&tree);

	cr_expect_eq(as_root.eff & ~keep, 0, "root kept more: %llx", as_root.eff);
	cr_expect_neq(as_root.eff & CAP_BIT(5), 0, "root lost CAP_KILL");
	cr_expect_eq(as_user.eff, as_root.eff, "user %llx vs root %llx", as_user.eff, as_root.eff);
	cr_expect_eq(as_user.prm, as_root.prm);
	cr_expect_eq(as_root.inh, 0);
	cr_expect_eq(as_user.inh, 0);
	cr_expect_eq(as_root.amb, 0);
	cr_expect_eq(as_user.amb, 0);
	cr_expect_eq(as_root.nnp, 1);
	cr_expect_eq(as_user.nnp, 1);
	cr_expect_eq(as_root.bnd & ~keep, 0, "bounding set not reduced: %llx", as_root.bnd);
	/* And as the same user: root gave up uid 0 for nobody, all four ids,
	 * with nobody's own groups (the ambient start has none). */
	for (int i = 0; i < 4; i++) {
		cr_expect_eq(as_root.uid[i], 65534, "uid[%d] %u", i, as_root.uid[i]);
		cr_expect_eq(as_root.uid[i], as_user.uid[i]);
		cr_expect_eq(as_root.gid[i], nobody_gid(), "gid[%d] %u", i, as_root.gid[i]);
	}
	cr_expect_str_eq(as_root.groups, nobody_groups(), "root start: groups %s", as_root.groups);
}

Test(daemon, malformed_meminfo_at_start_exits_1_with_one_line)
{
	char *dir = copy_fixture("plenty");

	fixture_puts(dir, "meminfo", "MemTotal: 1000 kB\nMemAvailable: lots\n");
	RUN(&res, "--dryrun", "--once", "--procfs", dir);
	cr_expect_eq(res.status, 1);
	cr_expect(strstr(res.err, "meminfo: missing or malformed MemAvailable") != NULL, "%s", res.err);
	fixture_destroy(dir);
}

Test(daemon, one_malformed_sample_is_skipped)
{
	char *dir = copy_fixture("plenty"), buf[65536], good[4096];
	FILE *err;
	pid_t pid;

	snprintf(buf, sizeof(buf), "%s/meminfo", dir);
	cr_assert_not_null(fixture_read(buf, good, sizeof(good)));
	pid = spawn_oomguard(&err, NULL, (const char *const[]){ "--dryrun", "-r", "1", "--procfs", dir, NULL });
	wait_for_text(err, "MemAvailable 23854 MiB", 10000);	/* first sample taken */
	fixture_puts(dir, "meminfo", "MemTotal: 1000 kB\nMemAvail");	/* truncated */
	usleep(1500000);
	fixture_puts(dir, "meminfo", good);
	usleep(1200000);
	cr_expect_eq(waitpid(pid, NULL, WNOHANG), 0, "a bad sample must not end the daemon");
	kill(pid, SIGTERM);
	cr_expect_eq(wait_exit_ms(pid, 3000), 0);
	read_stream(err, buf, sizeof(buf));
	cr_expect(strstr(buf, "missing or malformed MemAvailable") != NULL, "%s", buf);
	fclose(err);
	fixture_destroy(dir);
}

/* Start $OOMGUARD_BIN with args after closing the descriptors in the
 * close_mask (bit n: fd n), as a service manager or a shell's `2>&-` might;
 * the other standard descriptors are inherited. */
static pid_t start_with_closed_fds(unsigned close_mask, const char *const *args)
{
	char *argv[16];
	int argc = 0;
	pid_t pid;

	argv[argc++] = getenv("OOMGUARD_BIN");
	while (*args && argc < 15)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (int fd = 0; fd <= 2; fd++)
			if (close_mask & (1u << fd))
				close(fd);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* With stderr (or every standard descriptor) closed at start, the lowest
 * free number would go to the procfs root the daemon opens first, and its
 * log lines there. The daemon puts /dev/null on 0, 1 and 2 first: the
 * procfs root lies above them and a --once run works and writes its
 * metrics file as usual. */
Test(daemon, closed_standard_fds_become_dev_null_first)
{
	static const unsigned masks[] = { 1u << 2, 7u };

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		char *dir = copy_fixture("plenty"), metrics[1100], buf[8192], fd_path[64], target[1100];
		char link[3][1100] = { "", "", "" };
		int root_fd = -1, status;
		pid_t pid;

		snprintf(metrics, sizeof(metrics), "%s/metrics.prom", dir);
		pid = start_with_closed_fds(masks[i], (const char *const[]){ "--dryrun", "--once",
					    "--procfs", dir, "--metrics-file", metrics, NULL });
		status = wait_exit_ms(pid, 5000);
		cr_expect_eq(status, 0, "mask %x: exit %d", masks[i], status);
		cr_assert_not_null(fixture_read(metrics, buf, sizeof(buf)), "mask %x: no metrics file",
				   masks[i]);
		cr_expect(strncmp(buf, "# HELP ", 7) == 0, "mask %x: %s", masks[i], buf);
		cr_expect(strstr(buf, "policy:") == NULL && strstr(buf, "SIGTERM/SIGKILL when") == NULL,
			  "mask %x: a log line went into the metrics file: %s", masks[i], buf);

		/* Running, before and after the start: which fd holds what. */
		pid = start_with_closed_fds(masks[i], (const char *const[]){ "--dryrun", "-r", "0",
					    "--procfs", dir, NULL });
		for (int waited = 0; root_fd < 0 && waited < 5000; waited += 10) {
			usleep(10000);
			for (int fd = 0; fd < 16 && root_fd < 0; fd++) {
				ssize_t n;

				snprintf(fd_path, sizeof(fd_path), "/proc/%d/fd/%d", (int)pid, fd);
				n = readlink(fd_path, target, sizeof(target) - 1);
				if (n <= 0)
					continue;
				target[n] = '\0';
				if (fd <= 2)
					snprintf(link[fd], sizeof(link[fd]), "%s", target);
				if (strcmp(target, dir) == 0)
					root_fd = fd;
			}
		}
		kill(pid, SIGTERM);
		cr_expect_eq(wait_exit_ms(pid, 3000), 0);
		cr_expect_gt(root_fd, 2, "mask %x: the procfs root is fd %d", masks[i], root_fd);
		for (int fd = 0; fd <= 2; fd++)
			if (masks[i] & (1u << fd))
				cr_expect_str_eq(link[fd], "/dev/null", "mask %x: fd %d is '%s'", masks[i],
						 fd, link[fd]);
		fixture_destroy(dir);
	}
}

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* In a child about to exec: make the system call nr fail with EPERM from
 * now on (a seccomp filter, inherited across exec), so that a step the
 * kernel would allow here can be made to fail for real. Returns 0 or -1. */
static int deny_syscall(long nr)
{
#ifdef TEST_AUDIT_ARCH
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

	/* No new privileges: what a filter needs without CAP_SYS_ADMIN, and
	 * what oomguard sets itself anyway. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#else
	(void)nr;
	return -1;
#endif
}

/* Run $OOMGUARD_BIN with args, the system call nr denied, stderr into
 * res->err. Skips the test when no filter can be installed here. */
static void run_denied(struct run_result *r, long nr, const char *const *args)
{
	FILE *err = tmpfile();
	char *argv[16];
	int argc = 0, pipe_fds[2];
	char ok = 0;
	pid_t pid;

	cr_assert_not_null(err);
	cr_assert_eq(pipe(pipe_fds), 0);
	argv[argc++] = getenv("OOMGUARD_BIN");
	while (*args && argc < 15)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(pipe_fds[0]);
		dup2(fileno(err), 2);
		if (deny_syscall(nr) < 0)
			_exit(126);
		ok = 1;
		if (write(pipe_fds[1], &ok, 1) != 1)
			_exit(126);
		close(pipe_fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipe_fds[1]);
	if (read(pipe_fds[0], &ok, 1) != 1)
		ok = 0;
	close(pipe_fds[0]);
	r->status = wait_exit_ms(pid, 10000);
	read_stream(err, r->err, sizeof(r->err));
	fclose(err);
	if (!ok)
		cr_skip_test("cannot install a seccomp filter here (not x86-64/aarch64, or seccomp off)");
}

/* capset(2) refused (as a seccomp policy, an LSM or a user namespace
 * without the capability may refuse it): the daemon still holds every
 * capability it started with. It must not run so: one line, exit 1. */
Test(daemon, failed_capability_drop_refuses_to_run)
{
	run_denied(&res, SYS_capset, (const char *const[]){ "--dryrun", "-r", "0", "--procfs",
			fixture("plenty"), NULL });
	cr_expect_eq(res.status, 1, "exit %d: %s", res.status, res.err);
	cr_expect(strstr(res.err, "cannot drop capabilities (Operation not permitted): refusing "
			 "to run") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "capabilities: kept") == NULL, "%s", res.err);
	cr_expect(strstr(res.err, "nothing to do") == NULL, "the loop ran:\n%s", res.err);
}

/* Started as root, oomguard switches to --user (default nobody) once set up,
 * and the hooks it starts run as that user with no capability at all. */
Test(daemon, root_start_runs_hooks_as_nobody_without_capabilities)
{
	char *dir, hook[1100], out[1100], buf[65536], status[4096], script[4096], expect[320];
	FILE *err;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root: only a root start switches users");
	dir = copy_fixture("lowmem");
	write_vmstat(dir, 5);
	snprintf(hook, sizeof(hook), "%s/hook.sh", dir);
	snprintf(out, sizeof(out), "%s/hook.out", dir);
	snprintf(script, sizeof(script), "#!/bin/sh\ngrep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Amb)):' "
		 "/proc/self/status > '%s.part' && mv '%s.part' '%s'\n", out, out, out);
	fixture_puts(dir, "hook.sh", script);
	cr_assert_eq(chmod(hook, 0755), 0);
	pid = spawn_oomguard(&err, NULL, (const char *const[]){ "--dryrun", "-r", "0", "--procfs", dir,
					"--kernel-oom-hook", hook, NULL });
	wait_for_text(err, "would kill", 10000);	/* first sample taken */
	write_vmstat(dir, 6);
	for (int i = 0; i < 300 && access(out, F_OK) != 0; i++)
		usleep(10000);
	kill(pid, SIGTERM);
	cr_expect_eq(wait_exit_ms(pid, 3000), 0);
	read_stream(err, buf, sizeof(buf));
	fclose(err);
	cr_assert_not_null(fixture_read(out, status, sizeof(status)), "hook did not run: %s", buf);
	cr_expect(strstr(buf, "running as uid 65534 gid ") != NULL, "%s", buf);
	snprintf(expect, sizeof(expect), "Uid:\t65534\t65534\t65534\t65534\nGid:\t%u\t%u\t%u\t%u\n",
		 nobody_gid(), nobody_gid(), nobody_gid(), nobody_gid());
	cr_expect(strstr(status, expect) != NULL, "%s", status);
	cr_expect(strstr(status, "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
			 "CapEff:\t0000000000000000\n") != NULL, "%s", status);
	cr_expect(strstr(status, "CapAmb:\t0000000000000000\n") != NULL, "%s", status);
	fixture_destroy(dir);
}

/* --user root keeps uid 0, as asked, and says what that means. */
Test(daemon, user_root_keeps_uid_0_with_a_warning)
{
	struct capsets c;
	char buf[8192];
	FILE *err;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root: only a root start switches users");
	pid = spawn_oomguard(&err, NULL, (const char *const[]){ "--dryrun", "-r", "0", "--procfs",
					fixture("plenty"), "--user", "root", NULL });
	wait_dropped(err);
	read_capsets(pid, &c);
	kill(pid, SIGTERM);
	cr_expect_eq(wait_exit_ms(pid, 3000), 0);
	read_stream(err, buf, sizeof(buf));
	fclose(err);
	for (int i = 0; i < 4; i++) {
		cr_expect_eq(c.uid[i], 0, "uid[%d] %u", i, c.uid[i]);
		cr_expect_eq(c.gid[i], 0, "gid[%d] %u", i, c.gid[i]);
	}
	cr_expect_eq(c.eff & ~(CAP_BIT(5) | CAP_BIT(14)), 0, "kept more: %llx", c.eff);
	cr_expect(strstr(buf, "--user root: oomguard and its hooks keep uid 0") != NULL, "%s", buf);
}

/* A user that does not exist is bad usage: one line, exit 2, at once. */
Test(daemon, unknown_user_is_refused_with_one_line)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("plenty"), "--user", "no-such-user-oomguard");
	cr_expect_eq(res.status, 2, "exit %d: %s", res.status, res.err);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	cr_expect(strstr(res.err, "oomguard: --user no-such-user-oomguard: no such user") != NULL, "%s",
		  res.err);
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("plenty"), "--user=");
	cr_expect_eq(res.status, 2, "exit %d: %s", res.status, res.err);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
}

/* Each step of the switch refused (setgroups, setresgid, setresuid): the
 * daemon would still be root. It must not run so: one line, exit 1. */
Test(daemon, failed_user_switch_refuses_to_run)
{
	static const long steps[] = { SYS_setgroups, SYS_setresgid, SYS_setresuid };

	if (geteuid() != 0)
		cr_skip_test("needs root: only a root start switches users");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		run_denied(&res, steps[i], (const char *const[]){ "--dryrun", "-r", "0", "--procfs",
				fixture("plenty"), NULL });
		cr_expect_eq(res.status, 1, "syscall %ld: exit %d: %s", steps[i], res.status, res.err);
		cr_expect(strstr(res.err, "--user nobody: cannot switch to uid 65534 gid ") != NULL &&
			  strstr(res.err, "(Operation not permitted): refusing to run as root") != NULL,
			  "syscall %ld: %s", steps[i], res.err);
		cr_expect(strstr(res.err, "nothing to do") == NULL, "the loop ran:\n%s", res.err);
	}
}

/* The metrics file is rewritten every interval by the user the daemon runs
 * as: a directory that user cannot write is named at start-up. */
Test(daemon, metrics_directory_the_user_cannot_write_is_named_at_start)
{
	char dir[] = "/tmp/oomguard-root-only-XXXXXX", path[64];

	if (geteuid() != 0)
		cr_skip_test("needs root: only a root start switches users");
	cr_assert_not_null(mkdtemp(dir));	/* 0700, root's */
	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("plenty"), "--metrics-file", path);
	rmdir(dir);
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "uid 65534 cannot write the directory /tmp/oomguard-root-only-") != NULL,
		  "%s", res.err);
}

/* A tree the daemon can list with root's privileges but not as the user it
 * becomes: it would see no process and kill nothing, saying nothing. It
 * refuses to run instead, with one line. */
Test(daemon, procfs_unreadable_after_the_switch_is_refused)
{
	char *dir;

	if (geteuid() != 0)
		cr_skip_test("needs root: only a root start switches users");
	dir = copy_fixture("lowmem");
	cr_assert_eq(chown(dir, 0, 0), 0);
	cr_assert_eq(chmod(dir, 0700), 0);
	RUN(&res, "--dryrun", "--once", "--procfs", dir);
	fixture_destroy(dir);
	cr_expect_eq(res.status, 1, "exit %d: %s", res.status, res.err);
	cr_expect(strstr(res.err, ": 6 processes visible before privileges were dropped, 0 after (as "
			 "uid 65534): oomguard would kill nothing") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "would kill pid") == NULL, "the loop ran:\n%s", res.err);
}

/* /proc mounted hidepid=2,gid=4242 (here a fresh proc in a private pid and
 * mount namespace, where the daemon sees only this test's processes and
 * --dryrun sends nothing): as nobody, outside group 4242, oomguard would be
 * blind, and refuses with one line naming the group. With nobody in group
 * 4242 (a group file bound over /etc/group in that mount namespace, so the
 * switch gives it the group) it starts. */
Test(daemon, hidepid_proc_is_refused_unless_the_user_has_its_group)
{
	struct other_user_tree tree;
	char cmd[4096], buf[16384], *second;

	if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0)
		cr_skip_test("needs root and unshare for a private /proc");
	other_user_tree_create(&tree, "plenty");
	snprintf(cmd, sizeof(cmd),
		 "cp /etc/group '%s/group' && echo 'oomguard-test-proc:x:4242:nobody' >> '%s/group' && "
		 "unshare --pid --fork --mount --mount-proc sh -c '"
		 "mount -t proc -o hidepid=2,gid=4242 proc /proc || { echo no-hidepid-mount; exit 0; }; "
		 "%s --dryrun --once 2>&1; echo \"exit=$?\"; echo @second; "
		 "mount --bind %s/group /etc/group && %s --dryrun --once 2>&1; echo \"exit=$?\"' 2>&1",
		 tree.dir, tree.dir, tree.bin, tree.dir, tree.bin);
	shell_output(cmd, buf, sizeof(buf));
	other_user_tree_destroy(&tree);
	if (strstr(buf, "no-hidepid-mount"))
		cr_skip_test("cannot mount a proc with hidepid=2 here: %s", buf);
	second = second_part(buf);
	cr_expect(strstr(buf, "exit=1") != NULL, "blind start not refused:\n%s", buf);
	cr_expect(strstr(buf, "/proc is mounted with hidepid=") != NULL &&
		  strstr(buf, ",gid=4242: as uid 65534, not in group 4242, oomguard would see only its "
			 "own processes and kill nothing; give it that group (SupplementaryGroups=4242") != NULL,
		  "%s", buf);
	cr_expect(strstr(buf, "nothing to do") == NULL, "the loop ran:\n%s", buf);
	cr_expect(strstr(second, "exit=0") != NULL, "in group 4242 it must start:\n%s", second);
	cr_expect(strstr(second, "hidepid") == NULL, "%s", second);
	cr_expect(strstr(second, "nothing to do") != NULL, "%s", second);
}

/* Without --user a root start runs as the system user oomguard, which the
 * packages create (here a passwd file with it, bound over /etc/passwd in a
 * private mount namespace); where there is none, as nobody, with a warning
 * that nobody is shared. */
Test(daemon, default_user_is_oomguard_where_it_exists_else_nobody_with_a_warning)
{
	struct other_user_tree tree;
	char cmd[4096], buf[16384], *second;

	if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0)
		cr_skip_test("needs root and unshare for a private /etc/passwd");
	other_user_tree_create(&tree, "plenty");
	snprintf(cmd, sizeof(cmd),
		 "%s --dryrun --once 2>&1; echo \"exit=$?\"; echo @second; "
		 "cp /etc/passwd '%s/passwd' && "
		 "echo 'oomguard:x:4243:4243:oomguard:/:/usr/sbin/nologin' >> '%s/passwd' && "
		 "unshare --mount sh -c 'mount --bind %s/passwd /etc/passwd && %s --dryrun --once 2>&1; "
		 "echo \"exit=$?\"' 2>&1",
		 tree.bin, tree.dir, tree.dir, tree.dir, tree.bin);
	shell_output(cmd, buf, sizeof(buf));
	other_user_tree_destroy(&tree);
	second = second_part(buf);
	cr_expect(strstr(buf, "exit=0") != NULL && strstr(buf, "running as uid 65534 gid 65534"),
		  "without a user oomguard: nobody\n%s", buf);
	cr_expect(strstr(buf, "running as nobody: there is no user oomguard") != NULL, "%s", buf);
	cr_expect(strstr(second, "exit=0") != NULL && strstr(second, "running as uid 4243 gid 4243"),
		  "with a user oomguard: that user\n%s", second);
	cr_expect(strstr(second, "there is no user") == NULL, "%s", second);
}

/* Started as another user (as the shipped unit's dynamic user is), oomguard
 * switches nothing: --user naming that same user is fine, another one is
 * refused with one line, since it could only be honoured as root. */
Test(daemon, user_switch_needs_a_root_start)
{
	struct other_user_tree tree;
	char cmd[2048], buf[8192];

	if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0)
		cr_skip_test("needs root and setpriv to start as nobody");
	other_user_tree_create(&tree, "plenty");
	snprintf(cmd, sizeof(cmd), "for u in root " OTHER_UID "; do setpriv --reuid=" OTHER_UID
		 " --regid=" OTHER_UID " --clear-groups --inh-caps=-all --bounding-set=-all '%s' "
		 "--dryrun --once --procfs '%s' --user $u 2>&1; echo \"exit=$?\"; done", tree.bin,
		 tree.procfs);
	shell_output(cmd, buf, sizeof(buf));
	other_user_tree_destroy(&tree);
	/* The refusal is the first thing printed, one line, then exit 2. */
	cr_expect(strstr(buf, "oomguard: --user root: only a start as root can switch to another user "
			  "(oomguard runs as uid " OTHER_UID ")\nexit=2\n") == buf, "%s", buf);
	cr_expect(strstr(buf, "nothing to do") != NULL && strstr(buf, "\nexit=0\n") != NULL,
		  "--user " OTHER_UID " as " OTHER_UID ": %s", buf);
}
