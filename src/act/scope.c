#include "act/scope.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acquire/cgroupfs.h"
#include "log.h"
#include "parse/memcg.h"
#include "parse/pidinfo.h"
#include "parse/procs.h"

/* /proc/PID/cgroup: one line per hierarchy. Hybrid systems list a dozen v1
 * lines of typically under 100 bytes before the "0::" line. A file that does
 * not fit is refused, never parsed truncated: a cut path names an ancestor. */
#define CGROUP_FILE_BUF_SIZE 8192

/* cgroup.procs is read in chunks; one chunk holds at least 512 pids
 * (pid_max is at most 4194304: 7 digits and a newline). */
#define PROCS_CHUNK_SIZE 4096

/* A cgroup name is chosen by whoever owns the subtree: escaped before it
 * reaches the log, at four bytes per odd byte. A log line is cut at 1 KiB
 * (log.c), so more than that would never be seen. */
#define SCOPE_CGROUP_ESCAPED 1024

bool kill_group_allowed(pid_t pgrp, pid_t self_pgrp)
{
	/* kill(-0) is our own group and kill(-1) is every process; pgrp 1 is
	 * init's, shared by daemons that never called setsid. */
	return pgrp > 1 && pgrp != self_pgrp;
}

bool kill_cgroup_allowed(const char *victim, const char *self)
{
	/* Unknown or odd (outside our cgroup namespace) self: refuse. */
	if (!memcg_path_valid(self) || strcmp(victim, "/") == 0)
		return false;
	/* Paths outside our cgroup namespace read "/../..": not ours to kill. */
	if (!memcg_path_valid(victim))
		return false;
	/* cgroup.kill takes the whole subtree: an ancestor of ours is us. */
	return !memcg_path_within(self, victim);
}

/* Read pid's cgroup v2 path through the procfs seam. Returns 0, -ESRCH when
 * the process is gone, -EFBIG when the file did not fit, or as
 * pidinfo_parse_cgroup_v2. */
static int read_cgroup(const struct kill_ctx *ctx, const char *pid_dir, char *path, size_t size)
{
	char buf[CGROUP_FILE_BUF_SIZE];
	long n = victim_read_file(ctx, pid_dir, "cgroup", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return pidinfo_parse_cgroup_v2(buf, path, size);
}

void scope_init(struct kill_ctx *ctx, const struct cgroupfs *cg)
{
	if (read_cgroup(ctx, "self", ctx->self_cgroup, sizeof(ctx->self_cgroup)) < 0)
		ctx->self_cgroup[0] = '\0';
	/* No cgroup2 mount only disables --kill-cgroup. */
	ctx->cgroup_root_fd = cg ? cg->root_fd : -1;
}

int kill_check_cgroup(const struct kill_ctx *ctx)
{
	if (ctx->cgroup_root_fd < 0)
		return -ENOENT;
	if (ctx->self_cgroup[0] == '\0')
		return -ENODATA;
	return 0;
}

void scope_choose(const struct kill_ctx *ctx, bool group, bool cgroup,
		  const struct proc_sample *now, struct kill_target *t, char *cgroup_buf)
{
	const struct proc_sample *v = t->victim;
	char pid_dir[KILL_PID_PATH_SIZE];
	char esc[SCOPE_CGROUP_ESCAPED];
	int r;

	t->scope = KILL_SCOPE_PROCESS;
	cgroup_buf[0] = '\0';
	if (cgroup) {
		snprintf(pid_dir, sizeof(pid_dir), "%d", (int)v->pid);
		r = read_cgroup(ctx, pid_dir, cgroup_buf, KILL_CGROUP_MAX);
		if (r < 0) {
			cgroup_buf[0] = '\0';
			log_warn("pid %d: cannot read its cgroup (%s); killing the process only",
				 (int)v->pid, strerror(-r));
		} else if (kill_check_cgroup(ctx) < 0) {
			log_warn("pid %d: cgroup %s: %s; killing the process only",
				 (int)v->pid, log_escape(esc, sizeof(esc), cgroup_buf),
				 ctx->cgroup_root_fd < 0 ? "no cgroup2 mount"
							 : "oomguard's own cgroup is unknown");
		} else if (!kill_cgroup_allowed(cgroup_buf, ctx->self_cgroup)) {
			log_warn("pid %d: refusing to kill cgroup %s (root, or holds oomguard); "
				 "killing the process only", (int)v->pid,
				 log_escape(esc, sizeof(esc), cgroup_buf));
		} else {
			t->scope = KILL_SCOPE_CGROUP;
			t->cgroup = cgroup_buf;
		}
	} else if (group) {
		if (kill_group_allowed(now->pgrp, ctx->self_pgrp)) {
			t->scope = KILL_SCOPE_GROUP;
			t->pgrp = now->pgrp;
		} else {
			log_warn("pid %d: refusing to signal process group %d (%s); "
				 "killing the process only", (int)v->pid, (int)now->pgrp,
				 now->pgrp == ctx->self_pgrp ? "oomguard's own" : "init's or none");
		}
	}
}

/* One walk over the members of a group or cgroup: sig 0 only counts the
 * protected ones into *protected, any other signal goes to each member the
 * policy does not protect. */
struct member_walk {
	int sig;
	unsigned protected;
};

/* Is member pid, pinned by pidfd and shown to be in the scope, protected?
 * Counted when it is. True when it must not be signalled. */
static bool member_spared(const struct kill_target *t, pid_t pid, int pidfd,
			  struct member_walk *w)
{
	int r;

	if (!t->is_protected)
		return w->sig == 0;
	r = t->is_protected(t->protect_data, pid, pidfd);
	if (r > 0)
		w->protected++;
	return r != 0 || w->sig == 0;
}

/* Signal one pid listed in cgroup.procs, if it is still in cgroup. The pidfd
 * is opened before the cgroup is read: if the pid was recycled in between,
 * the pidfd names the dead process and the signal goes nowhere. */
static void signal_member(const struct kill_ctx *ctx, const struct kill_target *t, pid_t pid,
			  struct member_walk *w)
{
	const char *cgroup = t->cgroup;
	int sig = w->sig;
	char pid_dir[KILL_PID_PATH_SIZE];
	char path[KILL_CGROUP_MAX];
	_cleanup_close_ int pidfd = -1;
	int r;

	if (ctx->have_pidfd) {
		r = victim_open_pidfd(pid);
		if (r < 0)
			return;
		pidfd = r;
	}
	snprintf(pid_dir, sizeof(pid_dir), "%d", (int)pid);
	if (read_cgroup(ctx, pid_dir, path, sizeof(path)) < 0 || strcmp(path, cgroup) != 0)
		return;
	if (member_spared(t, pid, pidfd, w))
		return;
	r = victim_signal(pidfd, pid, sig);
	if (r < 0 && r != -ESRCH && log_enabled(LOG_DEBUG)) {
		char esc[SCOPE_CGROUP_ESCAPED];

		log_debug("cgroup %s: pid %d: %s", log_escape(esc, sizeof(esc), cgroup), (int)pid,
			  strerror(-r));
	}
}

/* One pid read from cgroup.procs: signal it unless it is the victim
 * (signalled by the caller), ourselves, init or garbage. */
static void signal_listed(const struct kill_ctx *ctx, const struct kill_target *t,
			  uint64_t pid, struct member_walk *w)
{
	if (pid <= 1 || pid > INT32_MAX || (pid_t)pid == ctx->self_pid ||
	    (pid_t)pid == t->victim->pid)
		return;
	signal_member(ctx, t, (pid_t)pid, w);
}

/* Walk every process listed in the cgroup's cgroup.procs (see struct
 * member_walk). Returns 0 or -errno of reading the list. */
static int signal_cgroup_procs(const struct kill_ctx *ctx, const struct kill_target *t,
			       struct member_walk *w)
{
	char file[KILL_CGROUP_MAX + sizeof("/cgroup.procs")];
	char buf[PROCS_CHUNK_SIZE];
	_cleanup_close_ int fd = -1;
	struct procs_parser pp = { 0 };
	uint64_t pid;
	ssize_t n;

	/* t->cgroup starts with '/'; openat wants it relative to the root. */
	snprintf(file, sizeof(file), "%s/cgroup.procs", t->cgroup + 1);
	fd = openat(ctx->cgroup_root_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (size_t i = 0; procs_next_pid(&pp, buf, (size_t)n, &i, &pid);)
			signal_listed(ctx, t, pid, w);
	}
	if (procs_last_pid(&pp, &pid))
		signal_listed(ctx, t, pid, w);
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

/* Signal the processes of t->cgroup: SIGKILL through cgroup.kill when that
 * works, else (and any other signal) each pid listed in cgroup.procs but
 * the victim, which scope_signal always signals itself. Failures are
 * logged; the victim's own signal decides the outcome. */
static void signal_cgroup(const struct kill_ctx *ctx, struct kill_target *t, int sig)
{
	char esc[SCOPE_CGROUP_ESCAPED];
	struct member_walk count = { .sig = 0 }, walk = { .sig = sig };
	int r;

	t->spared = 0;
	/* cgroup.kill takes everyone: only when no member is protected. A
	 * list that cannot be read cannot show that. */
	r = t->is_protected ? signal_cgroup_procs(ctx, t, &count) : 0;
	if (r < 0) {
		log_warn("cgroup %s: cgroup.procs: %s; signalling the victim only",
			 log_escape(esc, sizeof(esc), t->cgroup), strerror(-r));
		return;
	}
	if (count.protected) {
		r = signal_cgroup_procs(ctx, t, &walk);
		t->spared = walk.protected;
		if (r < 0)
			log_warn("cgroup %s: cgroup.procs: %s; signalling the victim only",
				 log_escape(esc, sizeof(esc), t->cgroup), strerror(-r));
		return;
	}
	if (sig == SIGKILL) {
		r = write_cgroup_kill(ctx, t->cgroup);
		if (r == 0)
			return;
		log_notice("cgroup %s: cgroup.kill: %s; signalling each process",
			   log_escape(esc, sizeof(esc), t->cgroup), strerror(-r));
	}
	r = signal_cgroup_procs(ctx, t, &walk);
	t->spared = walk.protected;
	if (r < 0)
		log_warn("cgroup %s: cgroup.procs: %s; signalling the victim only",
			 log_escape(esc, sizeof(esc), t->cgroup), strerror(-r));
}

/* One entry of the procfs root: if it is a process of t->pgrp other than
 * the victim and oomguard, pin it, check it is still in the group, and
 * signal it unless spared (struct member_walk). */
static void group_member(const struct kill_ctx *ctx, const struct kill_target *t, pid_t pid,
			 struct member_walk *w)
{
	struct proc_sample first, now;
	_cleanup_close_ int pidfd = -1;
	int r;

	if (pid <= 1 || pid == ctx->self_pid || pid == t->victim->pid)
		return;
	/* A cheap look first: most processes are in other groups. */
	if (victim_read_stat(ctx, pid, &first) < 0 || first.pgrp != t->pgrp)
		return;
	if (ctx->have_pidfd) {
		r = victim_open_pidfd(pid);
		if (r < 0)
			return;
		pidfd = r;
	}
	/* Pinned now: the same process (start time) and still in the group. */
	if (victim_check(ctx, &first, &now) < 0 || now.pgrp != t->pgrp)
		return;
	if (member_spared(t, pid, pidfd, w))
		return;
	r = victim_signal(pidfd, pid, w->sig);
	if (r < 0 && r != -ESRCH)
		log_debug("process group %d: pid %d: %s", (int)t->pgrp, (int)pid, strerror(-r));
}

struct group_walk {
	const struct kill_ctx *ctx;
	const struct kill_target *t;
	struct member_walk *w;
};

/* procfs_each_pid's step: one process that may be in the group. */
static int group_visit(pid_t pid, const char *name, void *data)
{
	struct group_walk *g = data;

	group_member(g->ctx, g->t, pid, g->w);
	return 0;
}

/* Walk the procfs root for the members of t->pgrp. Returns 0 or -errno of
 * reading the directory. */
static int walk_group(const struct kill_ctx *ctx, const struct kill_target *t,
		      struct member_walk *w)
{
	/* Any size works (getdents64 resumes); 8 KiB is ~300 entries a call. */
	char dents[8192] __attribute__((aligned(8)));
	_cleanup_close_ int fd = openat(ctx->procfs->root_fd, ".",
					O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct group_walk g = { .ctx = ctx, .t = t, .w = w };

	if (fd < 0)
		return -errno;
	return procfs_each_pid(fd, dents, sizeof(dents), group_visit, &g);
}

/* The process group: whole with kill(-pgrp) unless a member is protected,
 * then member by member. Returns 0, or -errno of kill(-pgrp). */
static int signal_group(const struct kill_ctx *ctx, struct kill_target *t, int sig, bool *whole)
{
	struct member_walk count = { .sig = 0 }, walk = { .sig = sig };
	int r;

	t->spared = 0;
	*whole = true;
	r = t->is_protected ? walk_group(ctx, t, &count) : 0;
	if (r < 0) {
		/* Its members cannot be seen, so neither can their protection. */
		log_warn("process group %d: cannot list its members (%s); signalling the victim "
			 "only", (int)t->pgrp, strerror(-r));
		*whole = false;
		return 0;
	}
	if (count.protected) {
		*whole = false;
		r = walk_group(ctx, t, &walk);
		t->spared = walk.protected;
		if (r < 0)
			log_warn("process group %d: cannot list its members (%s); signalling the "
				 "victim only", (int)t->pgrp, strerror(-r));
		return 0;
	}
	return kill(-t->pgrp, sig) < 0 ? -errno : 0;
}

int scope_signal(const struct kill_ctx *ctx, struct kill_target *t, int sig)
{
	bool whole;
	int r;

	switch (t->scope) {
	case KILL_SCOPE_GROUP:
		r = signal_group(ctx, t, sig, &whole);
		if (whole)
			return r;
		break;
	case KILL_SCOPE_CGROUP:
		signal_cgroup(ctx, t, sig);
		break;
	case KILL_SCOPE_PROCESS:
		break;
	}
	/* The victim itself always gets the signal directly, through its
	 * pidfd: cgroup.kill on a fixture tree, or a cgroup.procs read that
	 * failed, must not leave it running. */
	r = victim_signal(t->pidfd, t->victim->pid, sig);
	/* Gone already (cgroup.kill got there first, or it exited): the rest
	 * of its cgroup has been signalled, which is what was asked. */
	if (r == -ESRCH && t->scope != KILL_SCOPE_PROCESS)
		return 0;
	return r;
}
