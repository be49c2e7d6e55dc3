/* The kill history: what oomguard killed, what the kernel's own killer did,
 * and the warnings, as JSON lines (parse/histline.h) in a state directory
 * that outlives a reboot when it is on disk (--state-dir, default
 * /var/lib/oomguard).
 *
 * Bounded without a rename at run time (the daemon may no longer be able to
 * write the directory once it dropped privileges): a ring of two files,
 * history.0.jsonl and history.1.jsonl, both opened at start-up. Lines are
 * appended to the current one; once it holds HISTORY_FILE_MAX bytes the
 * other is truncated through its kept descriptor and becomes current. So
 * the newest HISTORY_FILE_MAX to 2 * HISTORY_FILE_MAX bytes are kept.
 *
 * On the kill path nothing is allocated or opened: the entry and the line
 * are formatted into buffers of struct history, and each line goes out in
 * one write(2) followed by fdatasync(2). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "parse/histline.h"
#include "types.h"

/* 128 KiB a file: about a hundred kills with their top users at ~1 KiB a
 * kill (both lines), so two files keep between one and two hundred. */
#define HISTORY_FILE_MAX (128 * 1024)

struct history {
	bool on;			/* the files are open and locked */
	int fd[2];			/* history.0.jsonl, history.1.jsonl */
	unsigned cur;			/* the one appended to */
	uint64_t size;			/* its length */
	uint64_t seq;			/* of the last line written */
	uint64_t limit;			/* HISTORY_FILE_MAX; tests set it lower */
	char boot[40];			/* this boot's id, "" unknown */
	struct hist_entry e;		/* the entry being written (~6 KiB) */
	char line[HISTLINE_MAX];	/* ... formatted */
};

/* What a kill line says before the first signal. */
struct history_kill {
	const struct candidate *victim;
	const char *unit;		/* "" none */
	const char *cgroup;
	enum reason reason;
	const char *trigger;		/* report_format_decision() */
	int signal;			/* the first signal */
	uint64_t mem_available_kib;
	uint64_t swap_free_kib;
	const struct proc_sample *top;	/* the top memory users now */
	unsigned n_top;
};

/* What came of it. */
struct history_outcome {
	bool killed;			/* the victim is gone */
	int last_signal;		/* 0: none went out */
	const char *escalation;		/* decide_escalation_name(); NULL none */
	int exited_ms;			/* -1: it did not exit (or unknown) */
	bool released;
	unsigned spared;
	bool have_gained;
	int64_t gained_kib;		/* MemAvailable + free swap gained */
};

/* Set h to closed (no history), so that history_close and the appends are
 * safe on it. */
void history_init(struct history *h);

/* Create dir if missing (0755), open both files in it (0644, created when
 * missing) and lock the first (flock LOCK_EX|LOCK_NB), so that a second
 * daemon on the same directory cannot interleave its lines; read them to
 * continue the sequence numbers and find the current file. boot is this
 * boot's id ("" unknown). Never fatal: when the directory cannot be used
 * or another daemon holds the lock, one warning line says so and h stays
 * off. Returns 0 or -errno (h off). */
int history_open(struct history *h, const char *dir, const char *boot);

/* Close the files; safe on a history never opened. */
void history_close(struct history *h);

/* Append the kill line, before the first signal, in one write(2): from
 * then on it survives oomguard itself. It is not flushed to disk here: on
 * a machine short of memory the disk is often busy with swap, and an
 * fdatasync there can take seconds that the victim's memory would cost.
 * Call history_flush() right after the signal went out. Returns its
 * sequence number, or 0 when nothing was written (history off, or the
 * write failed: said in a warning). */
uint64_t history_kill(struct history *h, const struct history_kill *k);

/* fdatasync the current file: the kill line is on disk. Outcome and
 * kernel-oom lines are flushed as they are written. Returns 0 or -errno
 * (said in a warning; -EBADF when the history is off). */
int history_flush(struct history *h);

/* Append the outcome of the kill line kill_seq. Returns 0 or -errno. */
int history_outcome(struct history *h, uint64_t kill_seq, const struct history_outcome *o);

/* Append a kernel-oom line: what ev counted, the top memory users of the
 * sample before (gone[i]: top[i] is no longer there, a likely victim), and
 * memory now. Returns 0 or -errno. */
int history_kernel_oom(struct history *h, const struct kernel_oom_event *ev,
		       const struct proc_sample *top, const bool *gone, unsigned n_top,
		       uint64_t mem_available_kib, uint64_t swap_free_kib);

/* Append a warning line: memory running out for reason, the process that
 * would be killed first (pid 0 and name NULL: none). Returns 0 or -errno. */
int history_warning(struct history *h, enum reason reason, uint64_t mem_available_kib,
		    uint64_t swap_free_kib, pid_t pid, const char *name);

struct procfs;

/* This boot's id, /proc/sys/kernel/random/boot_id read through the procfs
 * seam ("1f0e...-...": 36 characters of hex digits and dashes), into buf
 * (at least 37 bytes); "" when it cannot be read or is not one (a fixture
 * tree). Returns buf. */
const char *history_read_boot_id(const struct procfs *procfs, char *buf, size_t len);

/* Format CLOCK_REALTIME as RFC 3339 UTC with milliseconds into buf (at
 * least 25 bytes): "2024-05-01T12:34:56.789Z". Returns buf. */
const char *history_time_now(char *buf, size_t len);
