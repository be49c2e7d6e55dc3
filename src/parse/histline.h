/* One line of the kill history (history.N.jsonl): a JSON object on one
 * line, written by tell/history.c, read back by tell/histprint.c. Pure:
 * formats a struct hist_entry into a caller's buffer and parses one back,
 * so that the two can be tested against each other.
 *
 * Strings are bytes as the kernel hands them over (a process name need not
 * be UTF-8), so they are written in ASCII only: '"' and '\' as \" and \\,
 * every other byte below 0x20 or from 0x7f up as \u00XX, the byte's value.
 * A JSON reader thus always gets valid JSON, and the byte string comes back
 * exactly (a UTF-8 name shows as its bytes, "caf\u00c3\u00a9"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* The longest line: a kill with every field at its longest, each byte
 * escaped in six (\u00XX): name 63 -> 378, unit 255 -> 1530, cgroup 1023
 * -> 6138, trigger 511 -> 3066, five top users at 378 + 90, some 600 bytes
 * of keys and numbers: 14052 bytes. A kernel-OOM event: four cgroups of
 * 255 -> 6280, the top users, the numbers: 9220. 16 KiB holds either with
 * the outcome merged in (--history --json). */
#define HISTLINE_MAX 16384

/* The top memory users a line lists (SELECT_TOP_MEM). */
#define HISTLINE_TOP_MAX 5

enum hist_event {
	HIST_NONE,
	HIST_KILL,		/* "kill": written before the first signal */
	HIST_OUTCOME,		/* "outcome": what came of the kill kill_seq names */
	HIST_KERNEL_OOM,	/* "kernel-oom": the kernel's own killer ran */
	HIST_WARNING,		/* "warning": memory running out, no kill yet */
};

struct hist_proc {
	int64_t pid;
	char name[PIDINFO_COMM_MAX];
	uint64_t rss_kib;
	uint64_t swap_kib;
	bool gone;		/* kernel-oom: no longer there (pid + starttime) */
};

/* Every field any event has; what an event does not have stays zero or
 * empty and is not written. */
struct hist_entry {
	enum hist_event event;
	uint64_t seq;			/* one per line, rising across restarts */
	char time[40];			/* RFC 3339, UTC: "2024-05-01T12:34:56.789Z" */
	char boot[40];			/* /proc/sys/kernel/random/boot_id, "" unknown */

	/* kill, warning: the victim (or the would-be one) */
	int64_t pid;
	char name[PIDINFO_COMM_MAX];
	uint32_t uid;
	char unit[256];
	char cgroup[1024];
	int64_t oom_score;
	int64_t score;
	uint64_t rss_kib;
	uint64_t swap_kib;
	char reason[16];		/* decide_reason_name() */
	char trigger[512];		/* report_format_decision() */
	char signal[8];			/* the first signal: "SIGTERM", "SIGKILL" */
	uint64_t mem_available_kib;
	uint64_t swap_free_kib;
	struct hist_proc top[HISTLINE_TOP_MAX];
	unsigned n_top;

	/* outcome, for the kill whose seq is kill_seq (or merged into it) */
	bool has_outcome;
	uint64_t kill_seq;
	char outcome[16];		/* "killed", "failed" */
	char last_signal[8];
	char escalation[16];		/* decide_escalation_name(), "" none */
	int64_t exited_ms;		/* -1: did not exit (or not waited) */
	bool released;
	unsigned spared;
	bool have_gained;
	int64_t gained_kib;		/* MemAvailable + free swap, after - before */

	/* kernel-oom */
	struct kernel_oom_event koom;
};

/* "kill", "outcome", "kernel-oom", "warning"; "?" for HIST_NONE. */
const char *histline_event_name(enum hist_event event);

/* Copy s into buf as the inside of a JSON string (see above), cut before
 * an escape that would not fit. Returns buf. */
const char *histline_escape(char *buf, size_t len, const char *s);

/* Format e as one JSON line ending in '\n' into buf. A HIST_KILL with
 * has_outcome carries the outcome's fields too ("outcome":"unknown" when
 * merge is set and there was none): the form --history --json prints.
 * Returns the length, or -ENOBUFS when len was too small (buf then holds
 * no usable line). */
long histline_format(char *buf, size_t len, const struct hist_entry *e, bool merge);

/* Parse one line (with or without its '\n') into *e, zeroed first (and
 * exited_ms -1). Unknown keys are skipped, strings too long for their
 * field are cut. Returns 0, or -EINVAL when the line is not one JSON
 * object with at least "event", "seq" and "time" (a line cut short by a
 * crash mid-write, a NUL in a string, trailing bytes). */
int histline_parse(const char *line, struct hist_entry *e);
