/* The bottom of the kill path: one victim, named by (pid, starttime). A
 * pidfd pins it, /proc/PID/stat re-read through the procfs seam proves the
 * pid still names that process, a signal goes out through the pidfd, a
 * poll on it waits, process_mrelease reaps a dying one. Nothing here
 * allocates or forks: it runs when memory is already scarce. scope.c (the
 * victim's group or cgroup) and kill.c (the sequence) build on this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "acquire/procfs.h"
#include "types.h"

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

/* A cgroup path as /proc/PID/cgroup shows it is at most PATH_MAX (the
 * kernel builds it into a PATH_MAX buffer); 4096 holds any real one. */
#define KILL_CGROUP_MAX 4096

/* "PID/stat", "PID/cgroup", "self/cgroup": a pid has at most 10 digits. */
#define KILL_PID_PATH_SIZE 32

/* Process-wide facts the kill path needs, gathered once at start-up so that
 * a kill reads no more than the victim's own files. */
struct kill_ctx {
	const struct procfs *procfs;
	int cgroup_root_fd;			/* cgroup2 mount (borrowed); -1: none */
	pid_t self_pid;
	pid_t self_pgrp;			/* never signalled as a group */
	char self_cgroup[KILL_CGROUP_MAX];	/* "" unknown: cgroup kills refused */
	bool have_pidfd;			/* false: kill(2) fallback */
};

#define KILL_CTX_INIT { .cgroup_root_fd = -1 }

/* True when the kernel has pidfd_open (5.3+). Probed once. Without it kills
 * fall back to kill(2), which can hit a recycled pid in a narrow race. */
bool kill_have_pidfd(void);

/* True when the kernel has process_mrelease (5.15+). Probed once. */
bool kill_have_mrelease(void);

/* pidfd_open(pid). Returns the descriptor or -errno. */
int victim_open_pidfd(pid_t pid);

/* Send sig through pidfd when it is open (>= 0), else with kill(2) to pid.
 * Returns 0 or -errno (-ESRCH, -EPERM). */
int victim_signal(int pidfd, pid_t pid, int sig);

/* Read the file name of /proc/pid_dir ("1234" or "self") through the procfs
 * seam into buf (NUL-terminated). Returns the length, -ESRCH when the
 * process is gone, or -errno as procfs_read_file (-EFBIG: did not fit). */
long victim_read_file(const struct kill_ctx *ctx, const char *pid_dir, const char *name,
		      char *buf, size_t size);

/* Read pid's stat through the procfs seam into *now (zeroed first).
 * Returns 0, -ESRCH when the process is gone, -EINVAL when the text does
 * not parse, or another -errno. */
int victim_read_stat(const struct kill_ctx *ctx, pid_t pid, struct proc_sample *now);

/* Is victim->pid still the process sampled as victim, and alive? Returns 0
 * with *now filled from a fresh stat (of the leader: a leader that has
 * exited while other threads of it live on counts as alive, its state Z),
 * -ESRCH when it is gone, a zombie without live threads, or a different
 * process with the same pid (its starttime differs), -EINVAL when the stat
 * does not parse, or another -errno. */
int victim_check(const struct kill_ctx *ctx, const struct proc_sample *victim,
		 struct proc_sample *now);

/* Has the victim exited? With a pidfd, waits up to timeout_ms for POLLIN;
 * without, re-reads its stat (sleeping timeout_ms in between). */
bool victim_exited(const struct kill_ctx *ctx, const struct proc_sample *victim, int pidfd,
		   int timeout_ms);

/* Ask the kernel to reap a dying victim's memory now rather than when its
 * last thread gets through exit. Returns true when it did, or on ESRCH: no
 * thread of the victim still holds its mm, so the memory is back either
 * way. Needs no capability beyond holding the pidfd. */
bool victim_release_memory(int pidfd, pid_t pid);
