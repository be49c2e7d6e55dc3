#include "act/victim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "acquire/scan.h"
#include "log.h"
#include "parse/pidinfo.h"

/* /proc/PID/stat has 52 fields: a comm of at most 16 bytes in parentheses
 * and 51 numbers of at most 20 digits each, about 1.1 KiB in the worst case. */
#define STAT_BUF_SIZE 2048

int victim_open_pidfd(pid_t pid)
{
	long r = syscall(SYS_pidfd_open, pid, 0);

	return r < 0 ? -errno : (int)r;
}

int victim_signal(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
	return kill(pid, sig) < 0 ? -errno : 0;
}

static int sys_process_mrelease(int pidfd)
{
	return syscall(SYS_process_mrelease, pidfd, 0) < 0 ? -errno : 0;
}

bool kill_have_pidfd(void)
{
	static int have = -1;

	if (have < 0) {
		int fd = victim_open_pidfd(getpid());

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

long victim_read_file(const struct kill_ctx *ctx, const char *pid_dir, const char *name,
		      char *buf, size_t size)
{
	char file[KILL_PID_PATH_SIZE];
	long n;

	snprintf(file, sizeof(file), "%s/%s", pid_dir, name);
	n = procfs_read_file(ctx->procfs->root_fd, file, buf, size);
	/* A process that exited or was reaped in between is no error here. */
	if (n == -ENOENT || n == -ESRCH)
		return -ESRCH;
	return n;
}

int victim_read_stat(const struct kill_ctx *ctx, pid_t pid, struct proc_sample *now)
{
	char pid_dir[KILL_PID_PATH_SIZE];
	char buf[STAT_BUF_SIZE];
	long n;

	snprintf(pid_dir, sizeof(pid_dir), "%d", (int)pid);
	n = victim_read_file(ctx, pid_dir, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	memset(now, 0, sizeof(*now));
	return pidinfo_parse_stat(buf, now);
}

/* Does the exited leader pid head a thread that is still alive? Reads
 * PID/task through the procfs seam, with buffers on the stack. */
static bool leader_has_live_thread(const struct kill_ctx *ctx, pid_t pid)
{
	char pid_dir[KILL_PID_PATH_SIZE];
	char dents[1024];	/* task/ entries: ~40 threads a getdents64 call */
	char buf[STAT_BUF_SIZE];
	struct proc_sample thread;
	_cleanup_close_ int pid_fd = -1;

	snprintf(pid_dir, sizeof(pid_dir), "%d", (int)pid);
	pid_fd = openat(ctx->procfs->root_fd, pid_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pid_fd < 0)
		return false;
	return scan_find_live_thread(pid_fd, pid, dents, sizeof(dents), buf, sizeof(buf),
				     &thread) > 0;
}

int victim_check(const struct kill_ctx *ctx, const struct proc_sample *victim,
		 struct proc_sample *now)
{
	int r = victim_read_stat(ctx, victim->pid, now);

	if (r < 0)
		return r;
	if (now->pid != victim->pid || now->starttime != victim->starttime)
		return -ESRCH;
	/* A zombie has already freed its memory; killing it frees nothing.
	 * But a zombie leader may head live threads that hold the mm: the
	 * process is alive, and the pidfd's signal reaches them all. */
	if (now->state == 'Z' || now->state == 'X' || now->state == 'x')
		return leader_has_live_thread(ctx, victim->pid) ? 0 : -ESRCH;
	return 0;
}

bool victim_exited(const struct kill_ctx *ctx, const struct proc_sample *victim, int pidfd,
		   int timeout_ms)
{
	struct proc_sample now;

	if (pidfd >= 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		int n = poll(&pfd, 1, timeout_ms);

		/* POLLIN: exited (zombie); POLLHUP: reaped as well. EINTR
		 * counts as "not yet"; the caller's clock decides. */
		return n > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR));
	}
	if (victim_check(ctx, victim, &now) == -ESRCH)
		return true;
	/* No pidfd, so nothing to sleep on but the clock. */
	if (timeout_ms > 0)
		poll(NULL, 0, timeout_ms);
	return victim_check(ctx, victim, &now) == -ESRCH;
}

bool victim_release_memory(int pidfd, pid_t pid)
{
	static bool noted_enosys;
	int r = -EAGAIN;

	if (pidfd < 0)
		return false;
	/* EAGAIN: mmap_lock contention, worth another try or two. */
	for (int i = 0; i < 3 && (r == -EAGAIN || r == -EINTR); i++)
		r = sys_process_mrelease(pidfd);
	if (r == -ENOSYS && !noted_enosys) {
		noted_enosys = true;
		log_notice("process_mrelease is not available (Linux < 5.15): "
			   "memory returns when the victim finishes exiting");
	} else if (r < 0 && r != -ENOSYS && r != -ESRCH) {
		log_debug("pid %d: process_mrelease: %s", (int)pid, strerror(-r));
	}
	return r == 0 || r == -ESRCH;
}
