#include "acquire/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

int scan_open(struct scan *s, const struct procfs *procfs)
{
	int fd = openat(procfs->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	s->procfs = procfs;
	s->dir_fd = fd;
	/* Pids of any other tree name nothing here: no kcmp on them. */
	s->live = procfs_check_live(procfs) == 0;
	return 0;
}

void scan_close(struct scan *s)
{
	procfs_closep(&s->dir_fd);
}

/* ENOENT and ESRCH mean the process went away: expected, not an error. */
static bool vanished(long r)
{
	return r == -ENOENT || r == -ESRCH;
}

static long read_text(int dir_fd, const char *name, char *buf, size_t size)
{
	long n = procfs_read_file(dir_fd, name, buf, size);

	/* A truncated cmdline or cgroup is still good to match and report. */
	if (n == -EFBIG)
		n = (long)strlen(buf);
	return n;
}

static void fill_text(struct scan *s, int pid_fd, bool want_cmdline, bool want_cgroup,
		      struct proc_text *text)
{
	long n;

	text->cmdline = text->cgroup = text->unit = NULL;
	if (want_cmdline) {
		n = procfs_read_file(pid_fd, "cmdline", s->cmdline_buf, sizeof(s->cmdline_buf));
		if (n == -EFBIG)
			n = (long)sizeof(s->cmdline_buf) - 1;
		if (n >= 0)
			text->cmdline = pidinfo_join_cmdline(s->cmdline_buf, (size_t)n);
	}
	if (want_cgroup) {
		n = read_text(pid_fd, "cgroup", s->cgroup_file_buf, sizeof(s->cgroup_file_buf));
		if (n >= 0 && pidinfo_parse_cgroup(s->cgroup_file_buf, s->cgroup_buf,
						   sizeof(s->cgroup_buf)) == 0) {
			text->cgroup = s->cgroup_buf;
			text->unit = pidinfo_unit_from_cgroup(s->cgroup_buf, s->unit_buf,
							      sizeof(s->unit_buf));
		}
	}
}

static int status_line(const char *line, void *ctx)
{
	return pidinfo_status_line(ctx, line);
}

/* Read and parse PID/status line by line, whatever its length (thousands
 * of supplementary groups make its Groups line longer than any buffer we
 * would keep). Returns 0, -EINVAL (malformed) or -errno. */
static int read_status(struct scan *s, int pid_fd, struct proc_sample *p)
{
	_cleanup_close_ int fd = -1;
	struct pidinfo_status st;
	int r = procfs_open_file(pid_fd, "status", &fd);

	if (r < 0)
		return r;
	pidinfo_status_begin(&st, p);
	r = procfs_read_lines(fd, s->status_buf, sizeof(s->status_buf), status_line, &st);
	if (r < 0)
		return r;
	return pidinfo_status_end(&st);
}

struct live_thread {
	int pid_fd;
	pid_t leader;
	char *buf;
	size_t buf_size;
	struct proc_sample *thread;
};

/* procfs_each_pid's step over task/: the tid of a live thread, or 0. */
static int live_thread_visit(pid_t tid, const char *name, void *ctx)
{
	struct live_thread *lt = ctx;
	char path[32];

	if (tid == lt->leader)
		return 0;
	snprintf(path, sizeof(path), "task/%s/stat", name);
	memset(lt->thread, 0, sizeof(*lt->thread));
	if (procfs_read_file(lt->pid_fd, path, lt->buf, lt->buf_size) < 0 ||
	    pidinfo_parse_stat(lt->buf, lt->thread) < 0)
		return 0;	/* exited meanwhile, or not readable */
	if (lt->thread->pid != lt->leader && lt->thread->state != 'Z' &&
	    lt->thread->state != 'X' && lt->thread->state != 'x')
		return lt->thread->pid;
	return 0;
}

int scan_find_live_thread(int pid_fd, pid_t leader, char *dents, size_t dents_size, char *buf,
			  size_t buf_size, struct proc_sample *thread)
{
	_cleanup_close_ int task_fd = openat(pid_fd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct live_thread lt = { .pid_fd = pid_fd, .leader = leader, .buf = buf,
				  .buf_size = buf_size, .thread = thread };

	if (task_fd < 0)
		return -errno;
	return procfs_each_pid(task_fd, dents, dents_size, live_thread_visit, &lt);
}

/* The leader shows no mm (it has exited: state Z): score the process
 * through a live thread, as the kernel's find_lock_task_mm() does; the mm
 * counters of status are the process's, whichever thread shows them. A
 * lone zombie has only itself in task/ and stays without an mm. */
static void read_live_thread(struct scan *s, int pid_fd, struct proc_sample *p)
{
	_cleanup_close_ int tid_fd = -1;
	struct proc_sample t;
	char path[32];
	int tid;

	tid = scan_find_live_thread(pid_fd, p->pid, s->task_dents, sizeof(s->task_dents),
				    s->stat_buf, sizeof(s->stat_buf), &t);
	if (tid <= 0)
		return;
	snprintf(path, sizeof(path), "task/%d", tid);
	tid_fd = openat(pid_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tid_fd < 0 || read_status(s, tid_fd, &t) < 0 || !t.has_mm)
		return;
	p->state = t.state;
	p->uid = t.uid;
	p->has_mm = true;
	p->rss_kib = t.rss_kib;
	p->swap_kib = t.swap_kib;
	p->pte_kib = t.pte_kib;
	p->vm_size_kib = t.vm_size_kib;
	p->rss_anon_kib = t.rss_anon_kib;
	p->rss_file_kib = t.rss_file_kib;
	p->rss_shmem_kib = t.rss_shmem_kib;
	p->mm_tid = tid;
}

/* kcmp(2) from linux/kcmp.h; the number is in every <sys/syscall.h> of
 * the kernels that have it (3.5+). */
#define SCAN_KCMP_VM 1

/* Does p share its parent's mm: a vfork child (or a clone(CLONE_VM) one)
 * that has neither exec'd nor exited yet? kcmp(KCMP_VM) asks the kernel.
 * When it cannot answer (EPERM: no ptrace rights over both, or a seccomp
 * filter; ENOSYS: CONFIG_KCMP off; a fixture tree, whose pids name
 * nothing here), /proc gives the evidence: the parent waits for the child
 * in state D (a vfork parent waits killably, which /proc shows as D) and
 * shows exactly the same mm counters. Returns true or false. */
static bool shares_parent_mm(struct scan *s, const struct proc_sample *p)
{
	_cleanup_close_ int ppid_fd = -1;
	struct proc_sample parent;
	char name[16];

	/* Only a child that has not exec'd can still share its parent's mm:
	 * this keeps the check off nearly every process. */
	if (!(p->flags & PIDINFO_PF_FORKNOEXEC) || p->ppid <= 0 || !p->has_mm)
		return false;
#ifdef SYS_kcmp
	if (s->live) {
		long r = syscall(SYS_kcmp, p->pid, p->ppid, SCAN_KCMP_VM, 0, 0);

		if (r >= 0)
			return r == 0;
	}
#endif
	snprintf(name, sizeof(name), "%d", (int)p->ppid);
	ppid_fd = openat(s->procfs->root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ppid_fd < 0)
		return false;
	memset(&parent, 0, sizeof(parent));
	if (procfs_read_file(ppid_fd, "stat", s->stat_buf, sizeof(s->stat_buf)) < 0 ||
	    pidinfo_parse_stat(s->stat_buf, &parent) < 0 || parent.state != 'D')
		return false;
	if (read_status(s, ppid_fd, &parent) < 0)
		return false;
	return pidinfo_same_mm_counters(p, &parent);
}

/* Read one process. Returns 0, or -ENOENT (vanished) / -EINVAL (malformed). */
static int read_process(struct scan *s, const char *name, struct proc_sample *p,
			struct proc_text *text)
{
	_cleanup_close_ int pid_fd = -1;
	long n;
	int r;

	pid_fd = openat(s->procfs->root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pid_fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -EINVAL;

	memset(p, 0, sizeof(*p));
	n = procfs_read_file(pid_fd, "stat", s->stat_buf, sizeof(s->stat_buf));
	if (n < 0)
		return vanished(n) ? -ENOENT : -EINVAL;
	r = pidinfo_parse_stat(s->stat_buf, p);
	if (r == -ESRCH)
		return -ENOENT;	/* reaped while the kernel printed stat */
	if (r < 0) {
		log_debug("scan: %s/stat: malformed, skipped", name);
		return -EINVAL;
	}
	text->cmdline = text->cgroup = text->unit = NULL;
	/* Kernel threads have no memory to free: skip their other files. */
	if (p->flags & PIDINFO_PF_KTHREAD)
		return 0;

	n = procfs_read_file(pid_fd, "oom_score_adj", s->small_buf, sizeof(s->small_buf));
	if (n < 0)
		return vanished(n) ? -ENOENT : -EINVAL;
	if (pidinfo_parse_oom_score_adj(s->small_buf, &p->oom_score_adj) < 0) {
		log_debug("scan: %s/oom_score_adj: malformed, skipped", name);
		return -EINVAL;
	}
	r = read_status(s, pid_fd, p);
	if (r < 0) {
		if (vanished(r))
			return -ENOENT;
		log_debug("scan: %s/status: malformed, skipped", name);
		return -EINVAL;
	}
	/* A zombie leader may head live threads (pthread_exit in main). */
	if (!p->has_mm)
		read_live_thread(s, pid_fd, p);
	p->shares_parent_mm = shares_parent_mm(s, p);
	fill_text(s, pid_fd, s->want_cmdline, s->want_cgroup, text);
	return 0;
}

struct each_process {
	struct scan *s;
	scan_visit_fn visit;
	void *ctx;
};

/* procfs_each_pid's step over the root: read the process, count, visit. */
static int process_visit(pid_t pid, const char *name, void *ctx)
{
	struct each_process *ep = ctx;
	struct scan *s = ep->s;
	struct proc_sample p;
	struct proc_text text;
	int r;

	s->stats.entries++;
	r = read_process(s, name, &p, &text);
	if (r == -ENOENT)
		s->stats.vanished++;
	else if (r < 0)
		s->stats.malformed++;
	else {
		s->stats.processes++;
		ep->visit(&p, &text, ep->ctx);
	}
	return 0;
}

int scan_each(struct scan *s, scan_visit_fn visit, void *ctx)
{
	struct each_process ep = { .s = s, .visit = visit, .ctx = ctx };

	memset(&s->stats, 0, sizeof(s->stats));
	return procfs_each_pid(s->dir_fd, s->dents, sizeof(s->dents), process_visit, &ep);
}

int scan_read_text(struct scan *s, pid_t pid, struct proc_text *text)
{
	_cleanup_close_ int pid_fd = -1;
	char name[16];

	snprintf(name, sizeof(name), "%d", (int)pid);
	pid_fd = openat(s->procfs->root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pid_fd < 0)
		return -errno;
	fill_text(s, pid_fd, true, true, text);
	return 0;
}

void scan_read_names(struct scan *s, pid_t pid, struct proc_names *out)
{
	struct proc_text text;

	out->unit[0] = out->cgroup[0] = out->cmdline[0] = '\0';
	if (scan_read_text(s, pid, &text) < 0)
		return;
	if (text.unit)
		snprintf(out->unit, sizeof(out->unit), "%s", text.unit);
	if (text.cgroup)
		snprintf(out->cgroup, sizeof(out->cgroup), "%s", text.cgroup);
	if (text.cmdline)
		snprintf(out->cmdline, sizeof(out->cmdline), "%s", text.cmdline);
}
