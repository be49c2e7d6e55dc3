/* hook_run and hook_reap with real hooks: the helper hook_dump (symlinked
 * into a temporary directory so it knows where to write), small sh scripts
 * and the shipped contrib hooks. Every process signalled here is a hook this
 * test started, or the session such a hook leads. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act/hook.h"

static char dir[64];
static struct hooks hooks = HOOKS_INIT;
static int saved_stderr = -1;
static char log_path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomguard-hook-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	/* Hooks inherit our working directory: a "touch pwned" smuggled in a
	 * name would land here, where the tests look for it. */
	cr_assert_eq(chdir(dir), 0);
	hooks = (struct hooks)HOOKS_INIT;
}

static void teardown(void)
{
	char cmd[128];

	/* Whatever a failed test left running: our hooks, each leading its
	 * own session. */
	for (size_t i = 0; i < HOOK_MAX_RUNNING; i++) {
		pid_t pid = hooks.running[i].pid;

		if (pid > 0) {
			if (getpgid(pid) == pid)
				kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(hook, .init = setup, .fini = teardown, .timeout = 30);

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Send our stderr (where log_msg writes) to a file until capture_end. */
static void capture_begin(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "%s/stderr.log", dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static size_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	return (size_t)n;
}

static const char *capture_end(void)
{
	static char buf[8192];

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	read_file(log_path, buf, sizeof(buf));
	return buf;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Reap until no hook runs; fails the test after ms. */
static void reap_all(int ms)
{
	uint64_t deadline = mono_ms() + (uint64_t)ms;

	while (hook_running(&hooks) > 0) {
		cr_assert_lt(mono_ms(), deadline, "hooks still running after %d ms", ms);
		hook_reap(&hooks);
		poll(NULL, 0, 10);
	}
}

static void write_script(const char *path, const char *body, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(body);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, body, len), (ssize_t)len);
	close(fd);
	cr_assert_eq(chmod(path, mode), 0);
}

/* A hook_dump symlinked as DIR/name; returns its path. */
static const char *dump_hook(const char *name)
{
	static char path[128];
	const char *helper = getenv("OOMGUARD_HOOK_DUMP");

	cr_assert_not_null(helper, "OOMGUARD_HOOK_DUMP not set");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(symlink(helper, path), 0);
	return path;
}

/* Read hook_dump's NUL-separated environment into vars[]. */
static unsigned read_env(const char *hook, char *buf, size_t size, const char **vars,
			 unsigned max)
{
	char path[160];
	size_t len;
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s.env", hook);
	len = read_file(path, buf, size);
	for (size_t i = 0; i < len && n < max; i += strlen(buf + i) + 1)
		vars[n++] = buf + i;
	return n;
}

static const char *env_get(const char **vars, unsigned n, const char *key)
{
	size_t klen = strlen(key);

	for (unsigned i = 0; i < n; i++)
		if (strncmp(vars[i], key, klen) == 0 && vars[i][klen] == '=')
			return vars[i] + klen + 1;
	return NULL;
}

/* Hook environments: with a victim, PATH, six OOMGUARD_ variables that every
 * event has, six figures of the sample (empty when unknown), seven about the
 * victim and earlyoom's four; without, 19. */
#define ENV_VICTIM 23
#define ENV_NO_VICTIM 19

static const struct proc_sample firefox = {
	.pid = 4242, .comm = "firefox", .uid = 1000, .rss_kib = 123456, .swap_kib = 789,
};

Test(hook, environment_is_exactly_the_victim)
{
	const char *hook = dump_hook("hook");
	struct hook_info info = {
		.event = HOOK_POST_KILL, .victim = &firefox, .signal = SIGKILL, .oom_score = 876,
		.cgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-1.scope",
		.reason = "pressure", .cmdline = "firefox --new-window\nhttps://x",
	};
	char buf[8192];
	const char *vars[64];
	unsigned n;
	pid_t pid = 0;

	/* Something of ours that must not leak into the hook. */
	setenv("OOMGUARD_SECRET", "do-not-pass", 1);
	cr_assert_eq(hook_run(&hooks, hook, &info, &pid), 0);
	cr_expect_gt(pid, 0);
	reap_all(5000);
	n = read_env(hook, buf, sizeof(buf), vars, 64);

	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_PID"), "4242");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_NAME"), "firefox");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_UID"), "1000");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_UNIT"), "user@1000.service/app-firefox-1.scope");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_CGROUP"), info.cgroup);
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_SIGNAL"), "SIGKILL");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_RSS_KIB"), "123456");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_SWAP_KIB"), "789");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_OOM_SCORE"), "876");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_EVENT"), "post-kill");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_REASON"), "pressure");
	/* The command line is escaped: its newline cannot start a line. */
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_CMDLINE"), "firefox --new-window\\x0ahttps://x");
	/* earlyoom's names for the same facts, for scripts brought along. */
	cr_expect_str_eq(env_get(vars, n, "EARLYOOM_PID"), "4242");
	cr_expect_str_eq(env_get(vars, n, "EARLYOOM_NAME"), "firefox");
	cr_expect_str_eq(env_get(vars, n, "EARLYOOM_UID"), "1000");
	cr_expect_str_eq(env_get(vars, n, "EARLYOOM_CMDLINE"), env_get(vars, n, "OOMGUARD_CMDLINE"));
	cr_expect_str_eq(env_get(vars, n, "PATH"), "/usr/sbin:/usr/bin:/sbin:/bin");
	/* Those and nothing else: no HOME, no OOMGUARD_SECRET. */
	cr_expect_eq(n, ENV_VICTIM, "the hook got %u variables", n);
	cr_expect_null(env_get(vars, n, "OOMGUARD_SECRET"));
	cr_expect_null(env_get(vars, n, "HOME"));
}

/* A warning carries the would-be victim as the kill hooks do, and the
 * figures of the sample; no signal is sent, so none is named. */
Test(hook, warning_has_the_victim_and_the_figures)
{
	const char *hook = dump_hook("warn-hook");
	struct hook_figures fig = {
		.mem_total_kib = 2015232, .mem_available_kib = 270000, .swap_total_kib = 1048572,
		.swap_free_kib = 150000, .have_psi = true, .psi_some_centi = 1250,
		.psi_full_centi = 705,
	};
	struct hook_info info = {
		.event = HOOK_WARNING, .victim = &firefox, .oom_score = 876, .reason = "warn-memory",
		.cgroup = "/user.slice/user-1000.slice/session-2.scope", .figures = &fig,
	};
	char buf[8192], *envp[HOOK_ENV_MAX];
	const char *vars[64];
	unsigned n;

	cr_assert_eq(hook_run(&hooks, hook, &info, NULL), 0);
	reap_all(5000);
	n = read_env(hook, buf, sizeof(buf), vars, 64);
	cr_expect_eq(n, ENV_VICTIM, "the hook got %u variables", n);
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_EVENT"), "warning");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_REASON"), "warn-memory");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_SIGNAL"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_PID"), "4242");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_NAME"), "firefox");
	cr_expect_str_eq(env_get(vars, n, "EARLYOOM_PID"), "4242");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_UNIT"), "session-2.scope");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_OOM_SCORE"), "876");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_MEM_TOTAL_KIB"), "2015232");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_MEM_AVAILABLE_KIB"), "270000");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_SWAP_TOTAL_KIB"), "1048572");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_SWAP_FREE_KIB"), "150000");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_PSI_SOME"), "12.50");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_PSI_FULL"), "7.05");

	/* Before a pressure window closed the stall is unknown, not 0. */
	fig.have_psi = false;
	cr_assert_eq(hook_build_env(&info, buf, sizeof(buf), envp, HOOK_ENV_MAX), ENV_VICTIM);
	for (n = 0; envp[n]; n++)
		vars[n] = envp[n];
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_PSI_SOME"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_PSI_FULL"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_MEM_AVAILABLE_KIB"), "270000");
	/* A kill hook is told no figures: they are empty, not 0. */
	info.event = HOOK_POST_KILL;
	info.figures = NULL;
	cr_assert_eq(hook_build_env(&info, buf, sizeof(buf), envp, HOOK_ENV_MAX), ENV_VICTIM);
	for (n = 0; envp[n]; n++)
		vars[n] = envp[n];
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_MEM_AVAILABLE_KIB"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_SWAP_FREE_KIB"), "");
}

Test(hook, argv_is_only_the_path)
{
	const char *hook = dump_hook("argv-hook");
	struct hook_info info = { .event = HOOK_PRE_KILL, .victim = &firefox, .signal = SIGTERM };
	char path[160], buf[512], expect[200];

	cr_assert_eq(hook_run(&hooks, hook, &info, NULL), 0);
	reap_all(5000);
	snprintf(path, sizeof(path), "%s.misc", hook);
	read_file(path, buf, sizeof(buf));
	cr_expect(strncmp(buf, "argc=1 ", 7) == 0, "%s", buf);
	snprintf(expect, sizeof(expect), "\nargv0=%s\n", hook);
	cr_expect_not_null(strstr(buf, expect), "%s", buf);
}

Test(hook, kernel_oom_without_victim_and_unit_rules)
{
	const char *hook = dump_hook("hook");
	struct hook_info info = { .event = HOOK_KERNEL_OOM };
	char buf[8192], *envp[HOOK_ENV_MAX];
	const char *vars[64];
	unsigned n;

	cr_assert_eq(hook_run(&hooks, hook, &info, NULL), 0);
	reap_all(5000);
	n = read_env(hook, buf, sizeof(buf), vars, 64);
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_EVENT"), "kernel-oom");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_PID"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_NAME"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_SIGNAL"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_CGROUP"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_UNIT"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_REASON"), "");
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_CMDLINE"), "");
	cr_expect_null(env_get(vars, n, "EARLYOOM_PID"), "no earlyoom variables without a victim");
	cr_expect_eq(n, ENV_NO_VICTIM);

	/* The unit is the last component ending in .service or .scope. */
	info.victim = &firefox;
	info.cgroup = "/system.slice/docker.service/payload";
	cr_assert_eq(hook_build_env(&info, buf, sizeof(buf), envp, HOOK_ENV_MAX), ENV_VICTIM);
	n = 0;
	while (envp[n])
		vars[n] = envp[n], n++;
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_UNIT"), "docker.service");
	info.cgroup = "/";
	cr_assert_eq(hook_build_env(&info, buf, sizeof(buf), envp, HOOK_ENV_MAX), ENV_VICTIM);
	cr_expect_str_eq(envp[5], "OOMGUARD_UNIT=");
	info.cgroup = "/user.slice/servicex";
	cr_assert_eq(hook_build_env(&info, buf, sizeof(buf), envp, HOOK_ENV_MAX), ENV_VICTIM);
	cr_expect_str_eq(envp[5], "OOMGUARD_UNIT=");
}

Test(hook, build_env_refuses_what_does_not_fit)
{
	static char long_cgroup[HOOK_CGROUP_MAX + 10];
	struct hook_info info = { .event = HOOK_POST_KILL, .victim = &firefox, .cgroup = "/a.scope" };
	char buf[HOOK_ENV_SIZE], small[64], *envp[HOOK_ENV_MAX];

	memset(long_cgroup, 'a', sizeof(long_cgroup) - 1);
	long_cgroup[0] = '/';
	info.cgroup = long_cgroup;
	cr_expect_eq(hook_build_env(&info, buf, sizeof(buf), envp, HOOK_ENV_MAX), -ENAMETOOLONG);
	info.cgroup = "/a.scope";
	cr_expect_eq(hook_build_env(&info, small, sizeof(small), envp, HOOK_ENV_MAX), -ENAMETOOLONG);
	cr_expect_eq(hook_build_env(&info, buf, sizeof(buf), envp, 5), -ENAMETOOLONG);
	/* The largest cgroup path that can exist fits. */
	long_cgroup[HOOK_CGROUP_MAX - 1] = '\0';
	info.cgroup = long_cgroup;
	cr_expect_eq(hook_build_env(&info, buf, sizeof(buf), envp, HOOK_ENV_MAX), ENV_VICTIM);
}

/* The name as a hostile process could choose it (comm is whatever it
 * writes to /proc/self/comm): spaces, ';', "$()", backquotes, quotes, a
 * newline, a leading '-' and markup. */
static const char hostile[] = "-a b;$(touch pwned)`touch pwned`\"'\n<b>&";

static void hostile_name(struct proc_sample *v, char *pwned, size_t len)
{
	*v = firefox;
	snprintf(pwned, len, "%s/pwned", dir);
	snprintf(v->comm, sizeof(v->comm), "%s", hostile);
}

Test(hook, hostile_name_arrives_byte_exact_and_runs_nothing)
{
	const char *hook = dump_hook("hook");
	struct proc_sample v;
	struct hook_info info = { .event = HOOK_PRE_KILL, .victim = &v, .signal = SIGTERM };
	char pwned[128], script[160], out[160], body[512], buf[8192];
	const char *vars[64];
	unsigned n;

	hostile_name(&v, pwned, sizeof(pwned));
	cr_assert_lt(strlen(v.comm), sizeof(v.comm) - 1, "test name was cut");

	/* A binary sees the bytes as they are. */
	cr_assert_eq(hook_run(&hooks, hook, &info, NULL), 0);
	reap_all(5000);
	n = read_env(hook, buf, sizeof(buf), vars, 64);
	cr_expect_str_eq(env_get(vars, n, "OOMGUARD_NAME"), v.comm);

	/* So does a careful script, and nobody ran the "$(touch ...)". */
	snprintf(script, sizeof(script), "%s/hook.sh", dir);
	snprintf(out, sizeof(out), "%s/name.out", dir);
	snprintf(body, sizeof(body), "#!/bin/sh\nprintf '%%s' \"$OOMGUARD_NAME\" > '%s'\n", out);
	write_script(script, body, 0755);
	cr_assert_eq(hook_run(&hooks, script, &info, NULL), 0);
	reap_all(5000);
	read_file(out, buf, sizeof(buf));
	cr_expect_str_eq(buf, v.comm);
	cr_expect_neq(access(pwned, F_OK), 0, "the name was executed as a command");
}

static uint64_t status_hex(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	cr_assert_not_null(p, "no %s in status", key);
	return strtoull(p + strlen(key), NULL, 16);
}

static long status_long(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	cr_assert_not_null(p, "no %s in status", key);
	return strtol(p + strlen(key), NULL, 10);
}

/* Put cap into our inheritable and ambient sets (it must be permitted),
 * so that the hook has something to lose there too. */
static bool raise_ambient(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0 ||
	    !(data[CAP_TO_INDEX(cap)].permitted & CAP_TO_MASK(cap)))
		return false;
	data[CAP_TO_INDEX(cap)].inheritable |= CAP_TO_MASK(cap);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return false;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == 0;
}

Test(hook, runs_without_capabilities)
{
	const char *hook = dump_hook("hook");
	struct hook_info info = { .event = HOOK_POST_KILL, .victim = &firefox, .signal = SIGTERM };
	char path[160], status[8192];
	bool raised = raise_ambient(CAP_NET_BIND_SERVICE);

	if (raised) {
		read_file("/proc/self/status", status, sizeof(status));
		cr_assert_neq(status_hex(status, "\nCapAmb:"), 0);
		cr_assert_neq(status_hex(status, "\nCapInh:"), 0);
	}
	cr_assert_eq(hook_run(&hooks, hook, &info, NULL), 0);
	reap_all(5000);
	snprintf(path, sizeof(path), "%s.status", hook);
	read_file(path, status, sizeof(status));
	cr_expect_eq(status_hex(status, "\nCapEff:"), 0, "%s", status);
	cr_expect_eq(status_hex(status, "\nCapPrm:"), 0);
	cr_expect_eq(status_hex(status, "\nCapInh:"), 0);
	cr_expect_eq(status_hex(status, "\nCapAmb:"), 0);
	cr_expect_eq(status_long(status, "\nNoNewPrivs:"), 1);
	if (!raised)
		cr_log_warn("could not raise an ambient capability: CapInh/CapAmb checked from 0");
	if (geteuid() == 0) {
		/* As root the bounding set goes too, so nothing comes back. */
		cr_expect_eq(status_hex(status, "\nCapBnd:"), 0);
	}
}

/* Give up CAP_SETPCAP as oomguard's caps_drop() does, keeping the rest.
 * Returns false when we did not have it. */
static bool drop_setpcap(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	unsigned i = CAP_TO_INDEX(CAP_SETPCAP);
	uint32_t m = CAP_TO_MASK(CAP_SETPCAP);

	if (syscall(SYS_capget, &hdr, data) < 0 || !(data[i].effective & m))
		return false;
	data[i].effective &= ~m;
	data[i].permitted &= ~m;
	data[i].inheritable &= ~m;
	return syscall(SYS_capset, &hdr, data) == 0;
}

/* The daemon's order: hook_lock_noroot() at start-up, then caps_drop()
 * takes CAP_SETPCAP, and only later a hook runs, whose child can then no
 * longer drop anything from the bounding set itself. (Criterion runs each
 * test in a process of its own: the capability given up here is only that
 * process's.) */
Test(hook, bounding_set_is_empty_after_oomguard_gave_up_setpcap)
{
	const char *hook = dump_hook("hook");
	struct hook_info info = { .event = HOOK_POST_KILL, .victim = &firefox, .signal = SIGTERM };
	char path[160], status[8192];

	if (hook_lock_noroot() == -EPERM)
		cr_skip("no CAP_SETPCAP here: the bounding set cannot be cleared");
	cr_assert(drop_setpcap(), "hook_lock_noroot succeeded without CAP_SETPCAP?");
	read_file("/proc/self/status", status, sizeof(status));
	cr_assert_eq(status_hex(status, "\nCapEff:") & (1ULL << CAP_SETPCAP), 0);
	cr_expect_neq(status_hex(status, "\nCapEff:"), 0,
		      "hook_lock_noroot took our other capabilities");
	cr_assert_eq(hook_run(&hooks, hook, &info, NULL), 0);
	reap_all(5000);
	snprintf(path, sizeof(path), "%s.status", hook);
	read_file(path, status, sizeof(status));
	cr_expect_eq(status_hex(status, "\nCapBnd:"), 0, "%s", status);
	cr_expect_eq(status_hex(status, "\nCapEff:"), 0);
	cr_expect_eq(status_hex(status, "\nCapPrm:"), 0);
}

Test(hook, clean_process_state)
{
	const char *hook = dump_hook("hook");
	struct hook_info info = { .event = HOOK_POST_KILL, .victim = &firefox, .signal = SIGTERM };
	char path[160], buf[8192], *fds;
	int leak, adj_fd;
	sigset_t block;

	/* What oomguard may have that a hook must not inherit: its own
	 * oom_score_adj, an ignored SIGPIPE, a blocked signal, a descriptor
	 * without O_CLOEXEC. oomguard lowers its adj (with CAP_SYS_RESOURCE,
	 * which also lowers the floor the hook may return to); a test cannot
	 * count on that capability, so it raises its own instead. */
	adj_fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(adj_fd, 0);
	cr_assert_eq(write(adj_fd, "500", 3), 3);
	close(adj_fd);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	leak = open("/dev/null", O_RDONLY);
	cr_assert_geq(leak, 3);

	cr_assert_eq(hook_run(&hooks, hook, &info, NULL), 0);
	reap_all(5000);
	close(leak);

	snprintf(path, sizeof(path), "%s.status", hook);
	read_file(path, buf, sizeof(buf));
	cr_expect_eq(status_hex(buf, "\nSigBlk:"), 0);
	cr_expect_eq(status_hex(buf, "\nSigIgn:") & (1ull << (SIGPIPE - 1)), 0);
	snprintf(path, sizeof(path), "%s.misc", hook);
	read_file(path, buf, sizeof(buf));
	{
		int sid = -1, pid = -2, adj = -1;

		cr_assert_eq(sscanf(buf, "argc=%*d sid=%d pid=%d adj=%d", &sid, &pid, &adj), 3,
			     "%s", buf);
		cr_expect_eq(sid, pid, "the hook does not lead its own session");
		cr_expect_eq(adj, 0, "oom_score_adj %d inherited", adj);
	}
	fds = strstr(buf, "fds=");
	cr_assert_not_null(fds);
	for (char *p = fds + 4; *p && *p != '\n'; p = strchr(p, ',') + 1)
		cr_expect_lt(atoi(p), 3, "descriptor %d leaked into the hook", atoi(p));
}

Test(hook, does_not_block_and_slow_hooks_are_killed)
{
	char script[160], body[640], bgpid_path[160], buf[64], proc_path[64];
	struct hook_info info = { .event = HOOK_PRE_KILL, .victim = &firefox, .signal = SIGTERM };
	const char *log;
	uint64_t start;
	pid_t pid = 0;
	int bg;

	snprintf(script, sizeof(script), "%s/slow.sh", dir);
	snprintf(bgpid_path, sizeof(bgpid_path), "%s/bg.pid", dir);
	/* A background child as well: the timeout takes the whole session. */
	/* Written aside and renamed: the file is whole once it exists. */
	snprintf(body, sizeof(body),
		 "#!/bin/sh\nsleep 5 &\necho $! > '%s.new'\nmv '%s.new' '%s'\nexec sleep 5\n",
		 bgpid_path, bgpid_path, bgpid_path);
	write_script(script, body, 0755);

	start = mono_ms();
	cr_assert_eq(hook_run(&hooks, script, &info, &pid), 0);
	cr_expect_lt(mono_ms() - start, 500, "hook_run blocked for %llu ms",
		     (unsigned long long)(mono_ms() - start));
	cr_expect_eq(hook_running(&hooks), 1);
	cr_expect_eq(hook_reap(&hooks), 0);
	cr_expect_eq(hook_running(&hooks), 1, "a 5 s hook was reaped at once");

	/* Wait for the script to record its background child. */
	for (int i = 0; i < 300 && access(bgpid_path, F_OK) != 0; i++)
		poll(NULL, 0, 10);
	read_file(bgpid_path, buf, sizeof(buf));
	bg = atoi(buf);
	cr_assert_gt(bg, 1);

	capture_begin();
	hooks.timeout_ms = 100;
	reap_all(3000);
	log = capture_end();
	cr_expect_lt(mono_ms() - start, 4000);
	cr_expect_not_null(strstr(log, "timed out and was killed by SIGKILL"), "%s", log);
	cr_expect_not_null(strstr(log, script), "%s", log);

	/* The background sleep went with it (reparented, so someone else
	 * reaps it: absent or a zombie). */
	snprintf(proc_path, sizeof(proc_path), "/proc/%d/stat", bg);
	for (int i = 0; i < 200; i++) {
		int fd = open(proc_path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			break;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if (strstr(buf, ") Z "))
			break;
		cr_assert_lt(i, 199, "the hook's background child survived: %s", buf);
		poll(NULL, 0, 10);
	}
}

Test(hook, missing_hook_warns_once_and_fails)
{
	struct hook_info info = { .event = HOOK_POST_KILL, .victim = &firefox, .signal = SIGTERM };
	const char *log;
	char path[128];

	snprintf(path, sizeof(path), "%s/no-such-hook", dir);
	capture_begin();
	cr_expect_eq(hook_run(&hooks, path, &info, NULL), -ENOENT);
	log = capture_end();
	cr_expect_eq(count_lines(log), 1, "%s", log);
	cr_expect_not_null(strstr(log, "--post-kill "), "%s", log);
	cr_expect_not_null(strstr(log, path), "%s", log);
	cr_expect_not_null(strstr(log, ": not found"), "%s", log);
	cr_expect_eq(hook_running(&hooks), 0);

	capture_begin();
	cr_expect_eq(hook_check(path, "-N"), -ENOENT);
	log = capture_end();
	cr_expect_eq(count_lines(log), 1, "%s", log);
	cr_expect_not_null(strstr(log, "-N "), "%s", log);
	cr_expect_not_null(strstr(log, "not found"), "%s", log);
}

Test(hook, not_executable_and_directory_are_refused)
{
	struct hook_info info = { .event = HOOK_PRE_KILL, .victim = &firefox, .signal = SIGTERM };
	const char *log;
	char path[128];

	snprintf(path, sizeof(path), "%s/plain", dir);
	write_script(path, "#!/bin/sh\nexit 0\n", 0644);
	capture_begin();
	cr_expect_eq(hook_run(&hooks, path, &info, NULL), -EACCES);
	cr_expect_eq(hook_check(dir, "--pre-kill"), -EISDIR);
	cr_expect_eq(hook_check("", "--pre-kill"), -EINVAL);
	log = capture_end();
	cr_expect_eq(count_lines(log), 3, "%s", log);
	cr_expect_not_null(strstr(log, "--pre-kill "), "%s", log);
	cr_expect_not_null(strstr(log, "not executable (mode 0644)"), "%s", log);
	cr_expect_not_null(strstr(log, "is a directory"), "%s", log);
	cr_expect_not_null(strstr(log, "empty path"), "%s", log);
	cr_expect_eq(hook_running(&hooks), 0);

	/* And a good one passes the same check quietly. */
	chmod(path, 0755);
	capture_begin();
	cr_expect_eq(hook_check(path, "--pre-kill"), 0);
	log = capture_end();
	cr_expect_str_eq(log, "");
}

Test(hook, exec_failure_is_reported_synchronously)
{
	struct hook_info info = { .event = HOOK_KERNEL_OOM };
	const char *log;
	char path[128];

	/* Executable, but neither ELF nor "#!": execve says ENOEXEC. */
	snprintf(path, sizeof(path), "%s/garbage", dir);
	write_script(path, "this is not a program\n", 0755);
	capture_begin();
	cr_expect_eq(hook_run(&hooks, path, &info, NULL), -ENOEXEC);
	log = capture_end();
	cr_expect_eq(count_lines(log), 1, "%s", log);
	cr_expect_not_null(strstr(log, "--kernel-oom-hook"), "%s", log);
	cr_expect_not_null(strstr(log, "cannot execute"), "%s", log);
	cr_expect_eq(hook_running(&hooks), 0, "the failed child was left unreaped");
}

Test(hook, nonzero_exit_is_a_warning)
{
	struct hook_info info = { .event = HOOK_POST_KILL, .victim = &firefox, .signal = SIGKILL };
	const char *log;
	char path[128];

	snprintf(path, sizeof(path), "%s/fails", dir);
	write_script(path, "#!/bin/sh\nexit 3\n", 0755);
	cr_assert_eq(hook_run(&hooks, path, &info, NULL), 0);
	capture_begin();
	reap_all(5000);
	log = capture_end();
	cr_expect_not_null(strstr(log, "exited with status 3"), "%s", log);
	cr_expect_not_null(strstr(log, path), "%s", log);

	/* Status 0 says nothing at the default level. */
	write_script(path, "#!/bin/sh\nexit 0\n", 0755);
	cr_assert_eq(hook_run(&hooks, path, &info, NULL), 0);
	capture_begin();
	reap_all(5000);
	log = capture_end();
	cr_expect_str_eq(log, "");
}

Test(hook, at_most_four_run_at_once)
{
	struct hook_info info = { .event = HOOK_POST_KILL, .victim = &firefox, .signal = SIGKILL };
	const char *log;
	char path[128];

	snprintf(path, sizeof(path), "%s/slow", dir);
	write_script(path, "#!/bin/sh\nexec sleep 5\n", 0755);
	for (int i = 0; i < HOOK_MAX_RUNNING; i++)
		cr_assert_eq(hook_run(&hooks, path, &info, NULL), 0);
	cr_expect_eq(hook_running(&hooks), HOOK_MAX_RUNNING);
	capture_begin();
	cr_expect_eq(hook_run(&hooks, path, &info, NULL), -EBUSY);
	log = capture_end();
	cr_expect_not_null(strstr(log, "still running"), "%s", log);
	cr_expect_eq(hook_running(&hooks), HOOK_MAX_RUNNING);

	hooks.timeout_ms = 50;
	capture_begin();
	reap_all(3000);
	capture_end();
	/* A slot is free again. */
	cr_expect_eq(hook_run(&hooks, path, &info, NULL), 0);
	hooks.timeout_ms = 50;
	capture_begin();
	reap_all(3000);
	capture_end();
}

Test(hook, event_names)
{
	cr_expect_str_eq(hook_event_name(HOOK_PRE_KILL), "pre-kill");
	cr_expect_str_eq(hook_event_name(HOOK_POST_KILL), "post-kill");
	cr_expect_str_eq(hook_event_name(HOOK_KERNEL_OOM), "kernel-oom");
	cr_expect_str_eq(hook_event_name(HOOK_WARNING), "warning");
	cr_expect_str_eq(hook_event_flag(HOOK_WARNING), "--warn-hook");
	cr_expect_str_eq(hook_event_flag(HOOK_PRE_KILL), "--pre-kill");
	cr_expect_str_eq(hook_event_flag(HOOK_POST_KILL), "--post-kill");
	cr_expect_str_eq(hook_event_flag(HOOK_KERNEL_OOM), "--kernel-oom-hook");
}

Test(hook, lock_noroot_keeps_our_capabilities)
{
	char status[8192];
	uint64_t before, after;

	read_file("/proc/self/status", status, sizeof(status));
	before = status_hex(status, "\nCapEff:");
	if (hook_lock_noroot() == -EPERM)
		cr_skip("no CAP_SETPCAP here");
	read_file("/proc/self/status", status, sizeof(status));
	after = status_hex(status, "\nCapEff:");
	cr_expect_eq(before, after, "hook_lock_noroot changed our own capabilities");
	/* Idempotent once locked. */
	cr_expect_eq(hook_lock_noroot(), 0);
}

/* The shipped hooks, run as oomguard would run them, with a hostile name
 * and cgroup. They must exit 0 and execute nothing from either. */
Test(hook, contrib_notify_treats_the_name_as_data)
{
	const char *contrib = getenv("OOMGUARD_CONTRIB");
	static const enum hook_event events[] = { HOOK_PRE_KILL, HOOK_POST_KILL, HOOK_KERNEL_OOM,
						  HOOK_WARNING };
	struct proc_sample v;
	struct hook_info info = { .victim = &v, .signal = SIGTERM };
	char pwned[128], path[256];
	const char *log;

	cr_assert_not_null(contrib, "OOMGUARD_CONTRIB not set");
	hostile_name(&v, pwned, sizeof(pwned));
	info.cgroup = "/user.slice/x;$(touch pwned).scope";
	snprintf(path, sizeof(path), "%s/oomguard-notify", contrib);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		info.event = events[i];
		capture_begin();
		cr_assert_eq(hook_run(&hooks, path, &info, NULL), 0);
		reap_all(10000);
		log = capture_end();
		cr_expect_null(strstr(log, "exited with status"), "%s", log);
		cr_expect_null(strstr(log, "killed"), "%s", log);
		/* One line of its own either way: notified, broadcast, or not;
		 * the name's newline does not start another. */
		cr_expect_not_null(strstr(log, "oomguard-notify: "), "%s", log);
		cr_expect_eq(count_lines(log), 1, "%s", log);
	}
	cr_expect_neq(access(pwned, F_OK), 0, "oomguard-notify executed the name");
}

/* The warning names the process that would be stopped first, or says that
 * none may be. */
Test(hook, contrib_notify_shows_the_warning)
{
	const char *contrib = getenv("OOMGUARD_CONTRIB");
	struct hook_info info = { .event = HOOK_WARNING, .victim = &firefox,
				  .reason = "warn-memory" };
	char path[256];
	const char *log;

	cr_assert_not_null(contrib, "OOMGUARD_CONTRIB not set");
	snprintf(path, sizeof(path), "%s/oomguard-notify", contrib);
	capture_begin();
	cr_assert_eq(hook_run(&hooks, path, &info, NULL), 0);
	reap_all(10000);
	log = capture_end();
	cr_expect_not_null(strstr(log, "Memory is running low: \"firefox\" (pid 4242) using 120 MiB "
				  "would be stopped first."), "%s", log);
	info.victim = NULL;
	capture_begin();
	cr_assert_eq(hook_run(&hooks, path, &info, NULL), 0);
	reap_all(10000);
	log = capture_end();
	cr_expect_not_null(strstr(log, "Memory is running low, and no process may be stopped."),
			   "%s", log);
}

static const char *run_restart_unit(const char *cgroup, const char *unit_expect)
{
	const char *contrib = getenv("OOMGUARD_CONTRIB");
	struct proc_sample v;
	struct hook_info info = { .event = HOOK_POST_KILL, .victim = &v, .signal = SIGKILL };
	char pwned[128], path[256], envbuf[HOOK_ENV_SIZE], *envp[HOOK_ENV_MAX], want[256];

	cr_assert_not_null(contrib, "OOMGUARD_CONTRIB not set");
	hostile_name(&v, pwned, sizeof(pwned));
	info.cgroup = cgroup;
	/* The unit oomguard hands over is what the script decides on. */
	cr_assert_eq(hook_build_env(&info, envbuf, sizeof(envbuf), envp, HOOK_ENV_MAX), ENV_VICTIM);
	snprintf(want, sizeof(want), "OOMGUARD_UNIT=%s", unit_expect);
	cr_assert_str_eq(envp[5], want);
	snprintf(path, sizeof(path), "%s/oomguard-restart-unit", contrib);
	capture_begin();
	cr_assert_eq(hook_run(&hooks, path, &info, NULL), 0);
	reap_all(10000);
	cr_expect_neq(access(pwned, F_OK), 0, "oomguard-restart-unit executed the name");
	return capture_end();
}

Test(hook, contrib_restart_unit_restarts_only_a_plain_service)
{
	const char *log;

	log = run_restart_unit("/", "");
	cr_expect_not_null(strstr(log, "in no systemd unit"), "%s", log);
	log = run_restart_unit("/user.slice/user-1000.slice/session-2.scope", "session-2.scope");
	cr_expect_not_null(strstr(log, "is not a service"), "%s", log);
	log = run_restart_unit("/system.slice/x;$(touch pwned).service", "x;$(touch pwned).service");
	cr_expect_not_null(strstr(log, "unexpected characters"), "%s", log);
	/* A name chosen inside a delegated subtree is not a unit, and the
	 * service that delegated it is not restarted for one of its guests. */
	log = run_restart_unit("/system.slice/docker.service/sshd.service", "docker.service");
	cr_expect_not_null(strstr(log, "delegated by docker.service"), "%s", log);
	log = run_restart_unit("/user.slice/user-1000.slice/user@1000.service/app.slice/"
			       "foo.service", "user@1000.service/foo.service");
	cr_expect_not_null(strstr(log, "user's service manager"), "%s", log);
	cr_expect_null(strstr(log, ": restarting "), "%s", log);
}
