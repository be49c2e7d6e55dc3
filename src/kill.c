#include "kill.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Syscall numbers are the same on every architecture for these (they were
 * added after the tables were unified); older headers may lack them. */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

/* /proc/PID/stat has 52 fields: a comm of at most 16 bytes in parentheses
 * and 51 numbers of at most 20 digits each, about 1.1 KiB in the worst case. */
#define STAT_BUF_SIZE 2048

/* /proc/PID/cgroup: one line per hierarchy. Hybrid systems list a dozen v1
 * lines of typically under 100 bytes before the "0::" line. A file that does
 * not fit is refused, never parsed truncated: a cut path names an ancestor. */
#define CGROUP_FILE_BUF_SIZE 8192

/* cgroup.procs is read in chunks; one chunk holds at least 512 pids
 * (pid_max is at most 4194304: 7 digits and a newline). */
#define PROCS_CHUNK_SIZE 4096

/* "PID/stat", "PID/cgroup": a pid has at most 10 digits. */
#define PID_PATH_SIZE 32

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int sys_pidfd_open(pid_t pid)
{
	long r = syscall(SYS_pidfd_open, pid, 0);

	return r < 0 ? -errno : (int)r;
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static int sys_process_mrelease(int pidfd)
{
	return syscall(SYS_process_mrelease, pidfd, 0) < 0 ? -errno : 0;
}

bool kill_have_pidfd(void)
{
	static int have = -1;

	if (have < 0) {
		int fd = sys_pidfd_open(getpid());

		/* ENOSYS: kernel < 5.3; EPERM: a seccomp filter (older
		 * container runtimes) refuses it. EMFILE now says nothing about
		 * the kernel, so then assume the feature is there. */
		have = fd != -ENOSYS && fd != -EPERM;
		if (fd >= 0)
			close(fd);
	}
	return have;
}

bool kill_have_mrelease(void)
{
	static int have = -1;

	/* An invalid descriptor gets EBADF from a kernel that has the call
	 * and ENOSYS from one that does not: a probe without side effects. */
	if (have < 0)
		have = sys_process_mrelease(-1) != -ENOSYS;
	return have;
}

bool kill_group_allowed(pid_t pgrp, pid_t self_pgrp)
{
	/* kill(-0) is our own group and kill(-1) is every process; pgrp 1 is
	 * init's, shared by daemons that never called setsid. */
	return pgrp > 1 && pgrp != self_pgrp;
}

/* True when path has an empty, "." or ".." component. */
static bool path_is_odd(const char *path)
{
	const char *p = path;

	while (*p == '/') {
		const char *c = p + 1;
		size_t len = strcspn(c, "/");

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return true;
		p = c + len;
	}
	return *p != '\0';
}

bool kill_cgroup_allowed(const char *victim, const char *self)
{
	size_t len = strlen(victim);

	if (self[0] == '\0' || victim[0] != '/' || strcmp(victim, "/") == 0)
		return false;
	/* Paths outside our cgroup namespace read "/../..": not ours to kill. */
	if (path_is_odd(victim))
		return false;
	/* cgroup.kill takes the whole subtree: an ancestor of ours is us. */
	if (strncmp(self, victim, len) == 0 && (self[len] == '\0' || self[len] == '/'))
		return false;
	return true;
}

int kill_parse_cgroup(const char *buf, char *path, size_t size)
{
	const char *line = buf;

	while (line && *line) {
		if (strncmp(line, "0::", 3) == 0) {
			const char *start = line + 3;
			size_t len = strcspn(start, "\n");

			if (len >= size)
				return -ENAMETOOLONG;
			memcpy(path, start, len);
			path[len] = '\0';
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

/* Read pid's cgroup v2 path through the procfs seam. Returns 0, -ESRCH when
 * the process is gone, -EFBIG when the file did not fit, or as
 * kill_parse_cgroup. */
static int read_cgroup(const struct kill_ctx *ctx, const char *pid_dir, char *path, size_t size)
{
	char file[PID_PATH_SIZE];
	char buf[CGROUP_FILE_BUF_SIZE];
	long n;

	snprintf(file, sizeof(file), "%s/cgroup", pid_dir);
	n = procfs_read_file(ctx->procfs->root_fd, file, buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	return kill_parse_cgroup(buf, path, size);
}

/* Re-read PID/stat into *now. Returns 0, -ESRCH when the process is gone,
 * -EINVAL when the text does not parse, or another -errno. */
static int read_stat(const struct kill_ctx *ctx, pid_t pid, struct proc_sample *now)
{
	char file[PID_PATH_SIZE];
	char buf[STAT_BUF_SIZE];
	long n;

	snprintf(file, sizeof(file), "%d/stat", (int)pid);
	n = procfs_read_file(ctx->procfs->root_fd, file, buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	memset(now, 0, sizeof(*now));
	return pidinfo_parse_stat(buf, now);
}

/* Is pid still the process sampled as victim, and alive? Returns 0 with
 * *now filled, -ESRCH when it is gone, a zombie, or a different process
 * with the same pid (its starttime differs), or as read_stat. */
static int check_identity(const struct kill_ctx *ctx, const struct proc_sample *victim,
			  struct proc_sample *now)
{
	int r = read_stat(ctx, victim->pid, now);

	if (r < 0)
		return r;
	if (now->pid != victim->pid || now->starttime != victim->starttime)
		return -ESRCH;
	/* A zombie has already freed its memory; killing it frees nothing. */
	if (now->state == 'Z' || now->state == 'X' || now->state == 'x')
		return -ESRCH;
	return 0;
}

int kill_init(struct kill_ctx *ctx, const struct procfs *procfs, const char *cgroup_root)
{
	static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

	ctx->procfs = procfs;
	ctx->cgroup_root_fd = -1;
	ctx->self_pid = getpid();
	ctx->self_pgrp = getpgrp();
	ctx->have_pidfd = kill_have_pidfd();
	if (read_cgroup(ctx, "self", ctx->self_cgroup, sizeof(ctx->self_cgroup)) < 0)
		ctx->self_cgroup[0] = '\0';

	if (cgroup_root) {
		int fd = open(cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		ctx->cgroup_root_fd = fd;
		return 0;
	}
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		int fd = open(candidates[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct statfs sfs;

		if (fd < 0)
			continue;
		/* On hybrid systems /sys/fs/cgroup is a tmpfs of v1 mounts. */
		if (fstatfs(fd, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
			ctx->cgroup_root_fd = fd;
			break;
		}
		close(fd);
	}
	return 0;
}

void kill_close(struct kill_ctx *ctx)
{
	procfs_closep(&ctx->cgroup_root_fd);
}

int kill_check_cgroup(const struct kill_ctx *ctx)
{
	if (ctx->cgroup_root_fd < 0)
		return -ENOENT;
	if (ctx->self_cgroup[0] == '\0')
		return -ENODATA;
	return 0;
}

/* What one kill acts on, settled before the first signal. */
struct target {
	const struct proc_sample *victim;
	int pidfd;			/* -1 without pidfds */
	pid_t pgrp;			/* for KILL_SCOPE_GROUP */
	enum kill_scope scope;
	const char *cgroup;		/* for KILL_SCOPE_CGROUP: "/a/b.scope" */
};

/* Signal the victim alone. Returns 0, -ESRCH or -EPERM. */
static int signal_victim(const struct target *t, int sig)
{
	if (t->pidfd >= 0)
		return sys_pidfd_send_signal(t->pidfd, sig);
	return kill(t->victim->pid, sig) < 0 ? -errno : 0;
}

/* Signal one pid listed in cgroup.procs, if it is still in cgroup. The pidfd
 * is opened before the cgroup is read: if the pid was recycled in between,
 * the pidfd names the dead process and the signal goes nowhere. */
static void signal_member(const struct kill_ctx *ctx, pid_t pid, const char *cgroup, int sig)
{
	char pid_dir[PID_PATH_SIZE];
	char path[KILL_CGROUP_MAX];
	_cleanup_close_ int pidfd = -1;
	int r;

	if (ctx->have_pidfd) {
		r = sys_pidfd_open(pid);
		if (r < 0)
			return;
		pidfd = r;
	}
	snprintf(pid_dir, sizeof(pid_dir), "%d", (int)pid);
	if (read_cgroup(ctx, pid_dir, path, sizeof(path)) < 0 || strcmp(path, cgroup) != 0)
		return;
	r = pidfd >= 0 ? sys_pidfd_send_signal(pidfd, sig) : (kill(pid, sig) < 0 ? -errno : 0);
	if (r < 0 && r != -ESRCH)
		log_debug("cgroup %s: pid %d: %s", cgroup, (int)pid, strerror(-r));
}

/* One pid read from cgroup.procs: signal it unless it is the victim
 * (signalled by the caller), ourselves, init or garbage. */
static void signal_listed(const struct kill_ctx *ctx, const struct target *t, uint64_t pid,
			  int sig)
{
	if (pid <= 1 || pid > INT32_MAX || (pid_t)pid == ctx->self_pid ||
	    (pid_t)pid == t->victim->pid)
		return;
	signal_member(ctx, (pid_t)pid, t->cgroup, sig);
}

/* Signal every process listed in the cgroup's cgroup.procs. Returns 0 or
 * -errno of reading the list. */
static int signal_cgroup_procs(const struct kill_ctx *ctx, const struct target *t, int sig)
{
	char file[KILL_CGROUP_MAX + sizeof("/cgroup.procs")];
	char buf[PROCS_CHUNK_SIZE];
	_cleanup_close_ int fd = -1;
	uint64_t pid = 0;
	bool in_number = false;
	ssize_t n;

	/* t->cgroup starts with '/'; openat wants it relative to the root. */
	snprintf(file, sizeof(file), "%s/cgroup.procs", t->cgroup + 1);
	fd = openat(ctx->cgroup_root_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* "123\n456\n": a pid may straddle two chunks, so the number under
	 * construction lives across reads. */
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				/* Saturate: anything past INT32_MAX is skipped. */
				if (pid <= INT32_MAX)
					pid = pid * 10 + (uint64_t)(buf[i] - '0');
				in_number = true;
			} else {
				if (in_number)
					signal_listed(ctx, t, pid, sig);
				pid = 0;
				in_number = false;
			}
		}
	}
	if (in_number)
		signal_listed(ctx, t, pid, sig);
	return 0;
}

/* SIGKILL a whole cgroup through cgroup.kill (Linux 5.14+). Returns 0 or
 * -errno of opening or writing it. */
static int write_cgroup_kill(const struct kill_ctx *ctx, const char *cgroup)
{
	char file[KILL_CGROUP_MAX + sizeof("/cgroup.kill")];
	_cleanup_close_ int fd = -1;

	snprintf(file, sizeof(file), "%s/cgroup.kill", cgroup + 1);
	fd = openat(ctx->cgroup_root_fd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		return -errno;
	return 0;
}

/* Send sig to the target's scope. Returns 0, -ESRCH (nothing left to
 * signal) or -EPERM. */
static int send_signal(const struct kill_ctx *ctx, const struct target *t, int sig)
{
	int r;

	switch (t->scope) {
	case KILL_SCOPE_GROUP:
		return kill(-t->pgrp, sig) < 0 ? -errno : 0;
	case KILL_SCOPE_CGROUP:
		if (sig == SIGKILL) {
			r = write_cgroup_kill(ctx, t->cgroup);
			if (r == 0)
				break;
			log_notice("cgroup %s: cgroup.kill: %s; signalling each process",
				   t->cgroup, strerror(-r));
		}
		r = signal_cgroup_procs(ctx, t, sig);
		if (r < 0)
			log_warn("cgroup %s: cgroup.procs: %s; signalling the victim only",
				 t->cgroup, strerror(-r));
		break;
	case KILL_SCOPE_PROCESS:
		break;
	}
	/* The victim itself always gets the signal directly, through its
	 * pidfd: cgroup.kill on a fixture tree, or a cgroup.procs read that
	 * failed, must not leave it running. */
	r = signal_victim(t, sig);
	/* Gone already (cgroup.kill got there first, or it exited): the rest
	 * of its cgroup has been signalled, which is what was asked. */
	if (r == -ESRCH && t->scope == KILL_SCOPE_CGROUP)
		return 0;
	return r;
}

/* Has the victim exited? With a pidfd, waits up to timeout_ms for POLLIN;
 * without, re-reads its stat. */
static bool victim_exited(const struct kill_ctx *ctx, const struct target *t, int timeout_ms)
{
	struct proc_sample now;

	if (t->pidfd >= 0) {
		struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };
		int n = poll(&pfd, 1, timeout_ms);

		/* POLLIN: exited (zombie); POLLHUP: reaped as well. EINTR
		 * counts as "not yet"; the caller's clock decides. */
		return n > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR));
	}
	if (check_identity(ctx, t->victim, &now) == -ESRCH)
		return true;
	/* No pidfd, so nothing to sleep on but the clock. */
	if (timeout_ms > 0)
		poll(NULL, 0, timeout_ms);
	return check_identity(ctx, t->victim, &now) == -ESRCH;
}

/* Wait up to timeout_ms for the victim to exit, asking escalate (if any)
 * every KILL_POLL_SLICE_MS. Returns true when it exited. */
static bool wait_exit(const struct kill_ctx *ctx, const struct target *t, unsigned timeout_ms,
		      const struct kill_request *req)
{
	uint64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		uint64_t now = now_ms();
		uint64_t slice = deadline > now ? deadline - now : 0;

		if (slice > KILL_POLL_SLICE_MS)
			slice = KILL_POLL_SLICE_MS;
		if (victim_exited(ctx, t, (int)slice))
			return true;
		if (now_ms() >= deadline)
			return false;
		if (req && req->escalate && req->escalate(req->userdata)) {
			log_debug("pid %d: escalating to SIGKILL early", (int)t->victim->pid);
			return false;
		}
	}
}

/* Ask the kernel to reap the (dying) victim's memory now rather than when
 * its last thread gets through exit. Returns true when it did, or on ESRCH:
 * no thread of the victim still holds its mm (exit_mm ran, or it was
 * reaped), so the memory is back either way. Needs no capability beyond
 * holding the pidfd. */
static bool release_memory(const struct target *t)
{
	static bool noted_enosys;
	int r = -EAGAIN;

	if (t->pidfd < 0)
		return false;
	/* EAGAIN: mmap_lock contention, worth another try or two. */
	for (int i = 0; i < 3 && (r == -EAGAIN || r == -EINTR); i++)
		r = sys_process_mrelease(t->pidfd);
	if (r == -ENOSYS && !noted_enosys) {
		noted_enosys = true;
		log_notice("process_mrelease is not available (Linux < 5.15): "
			   "memory returns when the victim finishes exiting");
	} else if (r < 0 && r != -ENOSYS && r != -ESRCH) {
		log_debug("pid %d: process_mrelease: %s", (int)t->victim->pid, strerror(-r));
	}
	return r == 0 || r == -ESRCH;
}

/* Settle the scope: the group or cgroup when asked and allowed, else the
 * victim alone with a warning saying why. */
static void choose_scope(const struct kill_ctx *ctx, const struct kill_request *req,
			 const struct proc_sample *now, struct target *t, struct kill_outcome *out)
{
	const struct proc_sample *v = req->victim;
	char pid_dir[PID_PATH_SIZE];
	int r;

	t->scope = KILL_SCOPE_PROCESS;
	if (req->cgroup) {
		snprintf(pid_dir, sizeof(pid_dir), "%d", (int)v->pid);
		r = read_cgroup(ctx, pid_dir, out->cgroup, sizeof(out->cgroup));
		if (r < 0) {
			out->cgroup[0] = '\0';
			log_warn("pid %d (%s): cannot read its cgroup (%s); killing the process only",
				 (int)v->pid, v->comm, strerror(-r));
		} else if (kill_check_cgroup(ctx) < 0) {
			log_warn("pid %d (%s): cgroup %s: %s; killing the process only",
				 (int)v->pid, v->comm, out->cgroup,
				 ctx->cgroup_root_fd < 0 ? "no cgroup2 mount"
							 : "oomguard's own cgroup is unknown");
		} else if (!kill_cgroup_allowed(out->cgroup, ctx->self_cgroup)) {
			log_warn("pid %d (%s): refusing to kill cgroup %s (root, or holds oomguard); "
				 "killing the process only", (int)v->pid, v->comm, out->cgroup);
		} else {
			t->scope = KILL_SCOPE_CGROUP;
			t->cgroup = out->cgroup;
		}
	} else if (req->group) {
		if (kill_group_allowed(now->pgrp, ctx->self_pgrp)) {
			t->scope = KILL_SCOPE_GROUP;
			t->pgrp = now->pgrp;
		} else {
			log_warn("pid %d (%s): refusing to signal process group %d (%s); "
				 "killing the process only", (int)v->pid, v->comm, (int)now->pgrp,
				 now->pgrp == ctx->self_pgrp ? "oomguard's own" : "init's or none");
		}
	}
	out->scope = t->scope;
}

/* Send SIGKILL after a SIGTERM that was not enough. A process group is
 * signalled again only after the victim is re-checked to still be alive and
 * in it: while a member lives, the pgrp id cannot be reused by a new group.
 * Returns 0, -ESRCH when the victim is gone (which is success), or -EPERM. */
static int escalate_kill(const struct kill_ctx *ctx, struct target *t)
{
	struct proc_sample now;
	int r;

	if (t->scope == KILL_SCOPE_GROUP) {
		r = check_identity(ctx, t->victim, &now);
		if (r < 0)
			return r;
		if (now.pgrp != t->pgrp) {
			log_warn("pid %d (%s): left process group %d; killing the process only",
				 (int)t->victim->pid, t->victim->comm, (int)t->pgrp);
			t->scope = KILL_SCOPE_PROCESS;
		}
	}
	return send_signal(ctx, t, SIGKILL);
}

int kill_execute(const struct kill_ctx *ctx, const struct kill_request *req,
		 struct kill_outcome *out)
{
	const struct proc_sample *v = req->victim;
	struct target t = { .victim = v, .pidfd = -1 };
	_cleanup_close_ int pidfd = -1;
	struct proc_sample now;
	uint64_t start;
	int r;

	out->last_signal = 0;
	out->scope = KILL_SCOPE_PROCESS;
	out->exited = false;
	out->released = false;
	out->waited_ms = 0;
	out->cgroup[0] = '\0';

	/* kill(0), kill(-1) and kill(1) must never be reachable, whatever a
	 * scan hands us. */
	if (v->pid <= 1 || v->pid == ctx->self_pid)
		return -EINVAL;

	if (ctx->have_pidfd) {
		r = sys_pidfd_open(v->pid);
		/* EINVAL: the pid is a thread, not a process we sampled. */
		if (r == -ESRCH || r == -EINVAL)
			return -ESRCH;
		if (r < 0)
			return r;
		pidfd = r;
		t.pidfd = pidfd;
	}
	/* The pidfd was opened first, so if stat still shows the sampled
	 * starttime, the pidfd names the victim and no one else. */
	r = check_identity(ctx, v, &now);
	if (r < 0)
		return r == -EINVAL ? -ESRCH : r;

	choose_scope(ctx, req, &now, &t, out);
	/* Reading the cgroup took time: make sure it was the victim's. */
	if (t.scope == KILL_SCOPE_CGROUP && victim_exited(ctx, &t, 0))
		return -ESRCH;

	start = now_ms();
	r = send_signal(ctx, &t, req->first_signal);
	if (r < 0)
		return r;
	out->last_signal = req->first_signal;

	if (req->first_signal != SIGKILL) {
		if (wait_exit(ctx, &t, req->timeout_ms, req)) {
			out->exited = true;
			out->waited_ms = (unsigned)(now_ms() - start);
			return 0;
		}
		r = escalate_kill(ctx, &t);
		if (r == -ESRCH) {
			out->exited = true;
			out->waited_ms = (unsigned)(now_ms() - start);
			return 0;
		}
		if (r < 0) {
			out->waited_ms = (unsigned)(now_ms() - start);
			return r;
		}
		out->last_signal = SIGKILL;
	}
	/* Only now: before the victim is dying the call fails with EINVAL. */
	out->released = release_memory(&t);
	out->exited = wait_exit(ctx, &t, KILL_FINAL_WAIT_MS, NULL);
	out->waited_ms = (unsigned)(now_ms() - start);
	return out->exited ? 0 : -ETIMEDOUT;
}
