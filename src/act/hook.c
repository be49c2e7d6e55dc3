#define _GNU_SOURCE	/* sigabbrev_np */
#include "act/hook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "parse/pidinfo.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* Capability numbers fit in 64 bits (two 32-bit capset words); the kernel
 * answers EINVAL past its last one. */
#define CAP_NUMBERS 64

/* The only PATH a hook gets: oomguard's own may point anywhere. */
static const char hook_path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

const char *hook_event_name(enum hook_event event)
{
	switch (event) {
	case HOOK_PRE_KILL:
		return "pre-kill";
	case HOOK_POST_KILL:
		return "post-kill";
	case HOOK_KERNEL_OOM:
		return "kernel-oom";
	case HOOK_WARNING:
		return "warning";
	}
	return "unknown";
}

const char *hook_event_flag(enum hook_event event)
{
	switch (event) {
	case HOOK_PRE_KILL:
		return "--pre-kill";
	case HOOK_POST_KILL:
		return "--post-kill";
	case HOOK_KERNEL_OOM:
		return "--kernel-oom-hook";
	case HOOK_WARNING:
		return "--warn-hook";
	}
	return "hook";
}

/* Why path cannot be run, for a warning; NULL when it can. *err gets the
 * -errno. A description of the mode goes into why_buf. */
static const char *check_path(const char *path, int *err, char *why_buf, size_t why_len)
{
	struct stat st;

	if (!path || !*path) {
		*err = -EINVAL;
		return "empty path";
	}
	if (stat(path, &st) < 0) {
		*err = -errno;
		return errno == ENOENT ? "not found" : strerror(errno);
	}
	if (S_ISDIR(st.st_mode)) {
		*err = -EISDIR;
		return "is a directory";
	}
	if (!S_ISREG(st.st_mode)) {
		*err = -EACCES;
		return "not a regular file";
	}
	/* AT_EACCESS: the effective ids are the ones execve checks. noexec
	 * mounts fail here too. */
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) {
		*err = -errno;
		if (errno != EACCES)
			return strerror(errno);
		snprintf(why_buf, why_len, "not executable (mode %04o%s)",
			 (unsigned)(st.st_mode & 07777),
			 st.st_mode & 0111 ? ", or on a noexec mount" : "");
		return why_buf;
	}
	*err = 0;
	return NULL;
}

int hook_check(const char *path, const char *flag)
{
	char why_buf[64];
	int err;
	const char *why = check_path(path, &err, why_buf, sizeof(why_buf));

	if (why)
		log_warn("%s %s: %s", flag, path ? path : "", why);
	return err;
}

/* Appends "key=value" to the environment being built. */
struct env_builder {
	char *buf;
	size_t size, used;
	char **envp;
	size_t n_envp, count;
	bool overflow;
};

static void env_add(struct env_builder *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void env_add(struct env_builder *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->overflow)
		return;
	/* Keep one envp slot for the terminating NULL. */
	if (e->count + 1 >= e->n_envp) {
		e->overflow = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->used, e->size - e->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= e->size - e->used) {
		e->overflow = true;
		return;
	}
	e->envp[e->count++] = e->buf + e->used;
	e->used += (size_t)n + 1;
}

static const char *signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (!abbrev)
		return "";
	snprintf(buf, len, "SIG%s", abbrev);
	return buf;
}

/* The sample's figures, empty when unknown: a script can test for "". */
static void add_figures(struct env_builder *e, const struct hook_figures *f)
{
	if (!f) {
		env_add(e, "OOMGUARD_MEM_TOTAL_KIB=");
		env_add(e, "OOMGUARD_MEM_AVAILABLE_KIB=");
		env_add(e, "OOMGUARD_SWAP_TOTAL_KIB=");
		env_add(e, "OOMGUARD_SWAP_FREE_KIB=");
		env_add(e, "OOMGUARD_PSI_SOME=");
		env_add(e, "OOMGUARD_PSI_FULL=");
		return;
	}
	env_add(e, "OOMGUARD_MEM_TOTAL_KIB=%llu", (unsigned long long)f->mem_total_kib);
	env_add(e, "OOMGUARD_MEM_AVAILABLE_KIB=%llu", (unsigned long long)f->mem_available_kib);
	env_add(e, "OOMGUARD_SWAP_TOTAL_KIB=%llu", (unsigned long long)f->swap_total_kib);
	env_add(e, "OOMGUARD_SWAP_FREE_KIB=%llu", (unsigned long long)f->swap_free_kib);
	/* Percent with two decimals, as /proc/pressure prints its averages. */
	if (f->have_psi) {
		env_add(e, "OOMGUARD_PSI_SOME=%u.%02u", f->psi_some_centi / 100,
			f->psi_some_centi % 100);
		env_add(e, "OOMGUARD_PSI_FULL=%u.%02u", f->psi_full_centi / 100,
			f->psi_full_centi % 100);
	} else {
		env_add(e, "OOMGUARD_PSI_SOME=");
		env_add(e, "OOMGUARD_PSI_FULL=");
	}
}

int hook_build_env(const struct hook_info *info, char *buf, size_t size, char **envp,
		   size_t n_envp)
{
	struct env_builder e = { .buf = buf, .size = size, .envp = envp, .n_envp = n_envp };
	const struct proc_sample *v = info->victim;
	const char *cgroup = info->cgroup ? info->cgroup : "";
	char unit[HOOK_CGROUP_MAX];
	char cmdline[HOOK_CMDLINE_ESCAPED], raw[HOOK_CMDLINE_MAX + 1];
	char sig[32];

	if (strlen(cgroup) >= sizeof(unit))
		return -ENAMETOOLONG;
	/* The unit is a whole component of the cgroup path, never cut. */
	pidinfo_unit_from_cgroup(cgroup, unit, sizeof(unit));
	/* Cut at HOOK_CMDLINE_MAX bytes, then escaped: a command line is
	 * chosen by whoever started the victim. */
	snprintf(raw, sizeof(raw), "%s", info->cmdline ? info->cmdline : "");
	log_escape(cmdline, sizeof(cmdline), raw);
	env_add(&e, "%s", hook_path_env);
	env_add(&e, "OOMGUARD_EVENT=%s", hook_event_name(info->event));
	env_add(&e, "OOMGUARD_SIGNAL=%s", signal_name(info->signal, sig, sizeof(sig)));
	env_add(&e, "OOMGUARD_REASON=%s", info->reason ? info->reason : "");
	env_add(&e, "OOMGUARD_CGROUP=%s", cgroup);
	env_add(&e, "OOMGUARD_UNIT=%s", unit);
	add_figures(&e, info->figures);
	if (v) {
		env_add(&e, "OOMGUARD_PID=%d", (int)v->pid);
		/* comm as the kernel has it: spaces, quotes, "$(...)" and
		 * newlines are bytes in a value, never parsed by anyone here. */
		env_add(&e, "OOMGUARD_NAME=%s", v->comm);
		env_add(&e, "OOMGUARD_UID=%u", (unsigned)v->uid);
		env_add(&e, "OOMGUARD_RSS_KIB=%llu", (unsigned long long)v->rss_kib);
		env_add(&e, "OOMGUARD_SWAP_KIB=%llu", (unsigned long long)v->swap_kib);
		env_add(&e, "OOMGUARD_OOM_SCORE=%ld", info->oom_score);
		env_add(&e, "OOMGUARD_CMDLINE=%s", cmdline);
		/* earlyoom's names, so that a script migrated from -N or -P
		 * keeps working. */
		env_add(&e, "EARLYOOM_PID=%d", (int)v->pid);
		env_add(&e, "EARLYOOM_NAME=%s", v->comm);
		env_add(&e, "EARLYOOM_UID=%u", (unsigned)v->uid);
		env_add(&e, "EARLYOOM_CMDLINE=%s", cmdline);
	} else {
		env_add(&e, "OOMGUARD_PID=");
		env_add(&e, "OOMGUARD_NAME=");
		env_add(&e, "OOMGUARD_UID=");
		env_add(&e, "OOMGUARD_RSS_KIB=");
		env_add(&e, "OOMGUARD_SWAP_KIB=");
		env_add(&e, "OOMGUARD_OOM_SCORE=");
		env_add(&e, "OOMGUARD_CMDLINE=");
	}
	if (e.overflow)
		return -ENAMETOOLONG;
	envp[e.count] = NULL;
	return (int)e.count;
}

static int sys_capget(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &hdr, data) < 0 ? -errno : 0;
}

static int sys_capset_none(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static bool bounding_set_empty(void)
{
	for (int cap = 0; cap < CAP_NUMBERS; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break;	/* EINVAL: past the last capability */
		if (r > 0)
			return false;
	}
	return true;
}

/* Would an exec by this process (after clearing its own sets) come back
 * with root's full capabilities? Only for uid 0 without SECBIT_NOROOT and
 * with a bounding set that still holds something. */
static bool exec_regains_root(void)
{
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

	if (getuid() != 0 && geteuid() != 0)
		return false;
	if (bits >= 0 && (bits & SECBIT_NOROOT))
		return false;
	return !bounding_set_empty();
}

/* Can a child of ours shed root for good? It needs CAP_SETPCAP for
 * securebits or the bounding set, unless hook_lock_noroot() already ran. */
static bool can_drop_privileges(void)
{
	struct __user_cap_data_struct data[2];

	if (!exec_regains_root())
		return true;
	if (sys_capget(data) < 0)
		return false;
	return data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP);
}

/* Empty the bounding set, which only limits what an exec may gain: our own
 * effective and permitted sets stay as they are. Returns 0 or -errno
 * (-EPERM without CAP_SETPCAP). */
static int clear_bounding_set(void)
{
	for (int cap = 0; cap < CAP_NUMBERS; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break;	/* EINVAL: past the last capability */
		if (r > 0 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

int hook_lock_noroot(void)
{
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	int r = 0;

	if (bits < 0)
		return -errno;
	/* Hooks inherit the bounding set; after caps_drop() no child of ours
	 * holds CAP_SETPCAP to clear it, so it is cleared here, once. */
	if (clear_bounding_set() < 0) {
		r = -errno;
		log_warn("hooks: cannot clear the capability bounding set (%s; needs "
			 "CAP_SETPCAP): hooks inherit it", strerror(errno));
	}
	if ((bits & (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED)) ==
	    (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED))
		return r;
	if (prctl(PR_SET_SECUREBITS, bits | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0) < 0)
		return -errno;
	return r;
}

/* In the child: give up every capability and the means to get one back.
 * Order matters: securebits and the bounding set need CAP_SETPCAP, which
 * capset then drops. Returns 0 or -errno. */
static int drop_privileges(void)
{
	int bits;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	/* Without CAP_SETPCAP these two fail with EPERM; exec_regains_root()
	 * below then decides whether that matters. */
	bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (bits >= 0 && !(bits & SECBIT_NOROOT))
		prctl(PR_SET_SECUREBITS, bits | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0);
	for (int cap = 0; cap < CAP_NUMBERS; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			break;
	if (sys_capset_none() < 0)
		return -errno;
	/* No setuid bits or file capabilities on the way back up either. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (exec_regains_root())
		return -EPERM;
	return 0;
}

/* What the vfork child reports back through memory it shares with the
 * parent (which is suspended until the child execs or exits). */
struct child_report {
	int err;		/* positive errno; 0: exec succeeded */
	const char *stage;
};

static void reset_signals(void)
{
	struct sigaction dfl, old;
	sigset_t none;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	/* Handlers would run oomguard's code; ignored signals (SIGPIPE) stay
	 * ignored across exec. Neither belongs to a hook. */
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_DFL)
			sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The vfork child. Only syscalls and stack variables: the parent's memory
 * is shared until execve. Never returns. */
static __attribute__((noreturn)) void exec_child(char *const argv[], char *const envp[],
						  volatile struct child_report *report)
{
	int fd, r;

	/* A session of its own: the terminal's ^C and kills of oomguard's
	 * group do not reach it, and hook_reap can kill all it started. */
	setsid();
	/* oomguard protects itself with a low oom_score_adj; a hook must not
	 * inherit that. Raising it needs no privilege. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) < 0) {
			/* keep the inherited value */
		}
		close(fd);
	}
	/* stdin, stdout and stderr stay (the hook logs where we log). */
	syscall(SYS_close_range, 3, ~0U, 0);
	r = drop_privileges();
	if (r < 0) {
		report->err = -r;
		report->stage = "cannot drop capabilities";
		_exit(126);
	}
	reset_signals();
	execve(argv[0], argv, envp);
	report->err = errno;
	report->stage = "cannot execute";
	_exit(127);
}

static struct hook_slot *free_slot(struct hooks *hooks)
{
	for (size_t i = 0; i < HOOK_MAX_RUNNING; i++)
		if (hooks->running[i].pid == 0)
			return &hooks->running[i];
	return NULL;
}

int hook_run(struct hooks *hooks, const char *path, const struct hook_info *info, pid_t *pid)
{
	const char *flag = hook_event_flag(info->event);
	volatile struct child_report report = { 0 };
	char env_buf[HOOK_ENV_SIZE];
	char *envp[HOOK_ENV_MAX];
	char *argv[2] = { (char *)path, NULL };
	struct hook_slot *slot;
	sigset_t all, old;
	pid_t child;
	int r;

	hook_reap(hooks);
	slot = free_slot(hooks);
	if (!slot) {
		log_warn("%s %s: %d hooks still running; not starting another",
			 flag, path, HOOK_MAX_RUNNING);
		return -EBUSY;
	}
	r = hook_check(path, flag);
	if (r < 0)
		return r;
	if (!can_drop_privileges()) {
		log_warn("%s %s: not run: as uid 0 without CAP_SETPCAP it would regain every "
			 "capability on exec (call hook_lock_noroot at start-up)", flag, path);
		return -EPERM;
	}
	r = hook_build_env(info, env_buf, sizeof(env_buf), envp, HOOK_ENV_MAX);
	if (r < 0) {
		log_warn("%s %s: cgroup path too long for the environment", flag, path);
		return r;
	}

	/* No handler of ours may run in the child while it shares our
	 * memory; it unblocks (with default dispositions) just before exec. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/* vfork, not fork: no page tables to copy and no copy-on-write faults
	 * in oomguard afterwards, which matters when memory is short. */
	child = vfork();
	if (child == 0)
		exec_child(argv, envp, &report);
	r = child < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		log_warn("%s %s: cannot start: %s", flag, path, strerror(-r));
		return r;
	}
	if (report.err) {
		/* The child has exited already: vfork returned. */
		waitpid(child, NULL, 0);
		log_warn("%s %s: %s: %s", flag, path, report.stage, strerror(report.err));
		return -report.err;
	}
	*slot = (struct hook_slot){
		.pid = child, .path = path, .event = info->event, .started_ms = clock_now_ms(),
	};
	log_debug("%s %s: started as pid %d", flag, path, (int)child);
	if (pid)
		*pid = child;
	return 0;
}

static void report_exit(const struct hook_slot *slot, int status)
{
	const char *flag = hook_event_flag(slot->event);
	char sig[32];

	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warn("%s %s (pid %d) exited with status %d", flag, slot->path, (int)slot->pid,
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warn("%s %s (pid %d) %s by %s", flag, slot->path, (int)slot->pid,
			 slot->killed ? "timed out and was killed" : "was killed",
			 signal_name(WTERMSIG(status), sig, sizeof(sig)));
	else
		log_debug("%s %s (pid %d) finished", flag, slot->path, (int)slot->pid);
}

unsigned hook_reap(struct hooks *hooks)
{
	unsigned reaped = 0;
	uint64_t now = clock_now_ms();

	for (size_t i = 0; i < HOOK_MAX_RUNNING; i++) {
		struct hook_slot *slot = &hooks->running[i];
		int status;
		pid_t r;

		if (slot->pid == 0)
			continue;
		r = waitpid(slot->pid, &status, WNOHANG);
		if (r == slot->pid) {
			report_exit(slot, status);
			slot->pid = 0;
			reaped++;
		} else if (r < 0 && errno == ECHILD) {
			/* SIGCHLD ignored, or reaped elsewhere: nothing to learn. */
			slot->pid = 0;
			reaped++;
		} else if (r == 0 && !slot->killed && hooks->timeout_ms &&
			   now - slot->started_ms >= hooks->timeout_ms) {
			/* Unreaped, so the pid and the session it leads are
			 * still ours; getpgid confirms setsid happened. */
			if (getpgid(slot->pid) == slot->pid)
				kill(-slot->pid, SIGKILL);
			else
				kill(slot->pid, SIGKILL);
			slot->killed = true;
		}
	}
	return reaped;
}

unsigned hook_running(const struct hooks *hooks)
{
	unsigned n = 0;

	for (size_t i = 0; i < HOOK_MAX_RUNNING; i++)
		n += hooks->running[i].pid != 0;
	return n;
}

bool hook_wait(pid_t pid, unsigned timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		siginfo_t info = { 0 };

		/* WNOWAIT: the zombie stays for hook_reap to collect and log. */
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
			return true;	/* not our child any more: gone */
		if (info.si_pid == pid)
			return true;
		if (clock_now_ms() >= deadline)
			return false;
		/* A hook is a short script: 10 ms steps cost nothing. */
		poll(NULL, 0, 10);
	}
}
