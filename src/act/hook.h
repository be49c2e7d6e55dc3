/* Hooks: programs run before a kill (--pre-kill), after it (--post-kill),
 * after a kernel OOM kill (--kernel-oom-hook) and on a warning that memory
 * is running out (--warn-hook). Each is started with execve,
 * no shell, argv = {PATH, NULL}, an environment describing the victim and
 * nothing of oomguard's own; without any capability, in a session of its own,
 * and never waited for: the loop reaps finished hooks with hook_reap(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "types.h"

/* A hook that hangs (notify-send waiting on a dead D-Bus) must not use up
 * every slot: at most this many run at once, the rest are skipped. */
#define HOOK_MAX_RUNNING 4

/* After this long a hook's whole session is SIGKILLed by hook_reap(). */
#define HOOK_TIMEOUT_MS 60000

/* A cgroup path is at most PATH_MAX; the unit is a part of it. */
#define HOOK_CGROUP_MAX 4096

/* The command line handed to hooks: at most this many bytes of it, as
 * earlyoom hands 256, then escaped as the log escapes names (\xNN, four
 * bytes for one at worst). */
#define HOOK_CMDLINE_MAX 256
#define HOOK_CMDLINE_ESCAPED (HOOK_CMDLINE_MAX * 4 + 1)

/* The environment: the cgroup path and the unit (at most the cgroup's
 * length each), the command line twice (OOMGUARD_ and EARLYOOM_), a comm of
 * PIDINFO_COMM_MAX twice, some twenty short numbers and names (at most 20
 * digits and a 30-byte name each), PATH, and the variable names:
 * 2 * 4096 + 2 * 1025 + 3 KiB holds the worst case. 23 variables today
 * and the terminating NULL; 32 slots leave room. */
#define HOOK_ENV_SIZE (2 * HOOK_CGROUP_MAX + 2 * HOOK_CMDLINE_ESCAPED + 3072)
#define HOOK_ENV_MAX 32

enum hook_event {
	HOOK_PRE_KILL,		/* before the first signal */
	HOOK_POST_KILL,		/* after the victim is gone (or given up on) */
	HOOK_KERNEL_OOM,	/* the kernel's OOM killer struck */
	HOOK_WARNING,		/* memory is running out: the victim would be killed first */
};

/* The figures of the sample a hook is run for. */
struct hook_figures {
	uint64_t mem_total_kib;
	uint64_t mem_available_kib;
	uint64_t swap_total_kib;		/* as the floors count it (zram bounded by RAM) */
	uint64_t swap_free_kib;
	bool have_psi;				/* a pressure window has closed */
	uint32_t psi_some_centi;		/* its stall, hundredths of % */
	uint32_t psi_full_centi;
};

/* What a hook is told, as OOMGUARD_* variables. */
struct hook_info {
	enum hook_event event;
	const struct proc_sample *victim;	/* NULL: unknown (kernel OOM); the
						 * victim variables are then empty */
	const char *cgroup;			/* its cgroup v2 path; NULL: unknown */
	const char *cmdline;			/* its command line, args joined by spaces; NULL: unknown */
	int signal;				/* SIGTERM or SIGKILL; 0: none */
	const char *reason;			/* "floor-term", "pressure", ...; NULL: none */
	long oom_score;				/* 0..2000 as /proc/PID/oom_score */
	const struct hook_figures *figures;	/* NULL: unknown; the figure variables are
						 * then empty */
};

struct hook_slot {
	pid_t pid;			/* 0: free */
	const char *path;		/* points into argv: lives as long as we do */
	enum hook_event event;
	uint64_t started_ms;		/* CLOCK_MONOTONIC */
	bool killed;			/* timed out and SIGKILLed */
};

struct hooks {
	struct hook_slot running[HOOK_MAX_RUNNING];
	unsigned timeout_ms;		/* 0: never kill a slow hook */
};

#define HOOKS_INIT { .timeout_ms = HOOK_TIMEOUT_MS }

/* Is path something we can run? For start-up: logs one warning line naming
 * flag, path and the reason ("not found", "not executable (mode 0644)",
 * "is a directory", ...). Returns 0 or -errno (-ENOENT, -EACCES, -EISDIR,
 * -EINVAL for an empty path). */
int hook_check(const char *path, const char *flag);

/* Start path for info->event and return without waiting. The environment
 * is built first in fixed buffers; the child is a vfork child that clears
 * every capability set, locks root out of regaining them on exec
 * (SECBIT_NOROOT, the bounding set), sets no_new_privs, resets signal
 * dispositions and mask and its oom_score_adj, closes inherited descriptors
 * and execs. Reaps finished hooks first. Logs one warning on failure.
 * Returns 0 with *pid set (pid may be NULL), -EBUSY when HOOK_MAX_RUNNING
 * hooks still run, -EPERM when the capabilities could not be dropped, or
 * the -errno of hook_check, of vfork or of execve. */
int hook_run(struct hooks *hooks, const char *path, const struct hook_info *info, pid_t *pid);

/* Reap hooks that finished (waitpid WNOHANG) and log each non-zero exit or
 * death by signal at warning level; SIGKILL the session of a hook running
 * longer than hooks->timeout_ms. Call once per loop iteration. Returns how
 * many were reaped. */
unsigned hook_reap(struct hooks *hooks);

/* Returns how many hooks are still running (not yet reaped). */
unsigned hook_running(const struct hooks *hooks);

/* Wait up to timeout_ms for hook pid (started by hook_run) to exit, without
 * reaping it (hook_reap does that and logs its status). Returns true when
 * it exited in time. */
bool hook_wait(pid_t pid, unsigned timeout_ms);

/* Empty oomguard's capability bounding set and set SECBIT_NOROOT |
 * SECBIT_NOROOT_LOCKED on it, so that anything it execs (hooks) has an
 * empty bounding set and, as uid 0, gets no capabilities, even once
 * oomguard has given up CAP_SETPCAP. Call at start-up, before dropping
 * capabilities, when hooks are configured. Changes nothing about
 * oomguard's own effective and permitted sets. Logs one warning when the
 * bounding set cannot be cleared. Returns 0 or -errno (-EPERM without
 * CAP_SETPCAP). */
int hook_lock_noroot(void);

/* "pre-kill", "post-kill", "kernel-oom" or "warning" (OOMGUARD_EVENT). */
const char *hook_event_name(enum hook_event event);

/* "--pre-kill", "--post-kill", "--kernel-oom-hook" or "--warn-hook", for
 * messages. */
const char *hook_event_flag(enum hook_event event);

/* Pure: build the hook environment ("KEY=value" strings) into buf and the
 * NULL-terminated envp (at least HOOK_ENV_MAX entries). Returns the number
 * of variables, or -ENAMETOOLONG when buf (HOOK_ENV_SIZE is enough for any
 * cgroup path below HOOK_CGROUP_MAX) is too small. Exposed for tests. */
int hook_build_env(const struct hook_info *info, char *buf, size_t size, char **envp,
		   size_t n_envp);
