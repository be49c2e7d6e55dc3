/* What the operator reads: the memory report, the decision in words, the
 * kill record and the top memory users. Pure: formats into caller buffers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/config.h"
#include "types.h"

/* How zram is counted, for start-up and the report:
 *   "zram 256 MiB disksize, 120 MiB used in 61 MiB of RAM (ratio 1.97),
 *    counted as swap up to 80 MiB more (bounded by RAM)"
 * Empty when there is no zram swap. Returns buf. */
const char *report_format_zram(char *buf, size_t len, const struct capacity *cap);

/* One line: "MemAvailable 812 MiB of 7961 MiB (10.55% of available+anon,
 * 7700 MiB), SwapFree 0 MiB of 0 MiB (100.00%), PSI full 0.00% some 0.00%
 * (last 500 ms), full avg10 1.20 some avg10 3.40", then the zram text; the
 * percentages are the ones the floors of d compare. The PSI part is the
 * system source's last window (or its averages alone before one closed),
 * left out when PSI is unavailable. Returns buf. */
const char *report_format_memory(char *buf, size_t len, const struct sample *s,
				 const struct decision *d);

/* Why the decision acts, with its figures, for the kill record's
 * trigger="..." and the "low memory" warning:
 *   "MemAvailable 3.04% (60 MiB) <= kill floor 5.00% (98 MiB) and
 *    SwapFree 1.95% <= 5.00%"
 *   "PSI full 87.00% >= 20.00% in every 500 ms for 2.5 s: thrashing
 *    (refaults 12000 KiB/s, 2.9% of memory a second), anon 72.00% of RAM,
 *    MemAvailable 20.00%"
 * Returns buf. */
const char *report_format_decision(char *buf, size_t len, const struct decision *d,
				   const struct sample *s, const struct config *cfg);

/* The victim policy in force, as earlyoom echoes its own at start-up:
 *   "victims ranked by the kernel's oom_score; prefer name '^chrome$';
 *    avoid unit '^postgresql'; never uid 0"
 * Rules are shown in the order given, each with its target; regexes are
 * escaped as names are. Returns buf. */
const char *report_format_policy(char *buf, size_t len, const struct config *cfg);

/* A unit name (struct proc_names holds at most 255 bytes of it) escaped
 * at four bytes per odd byte. */
#define REPORT_UNIT_ESCAPED (255 * 4 + 1)

/* The unit as one field of a record: escaped as names are, and quoted when
 * it holds a space or '=' (a cgroup name may: whoever owns the subtree
 * chooses it), so that it can neither end the line nor add a field of its
 * own; "-" when there is none. buf takes REPORT_UNIT_ESCAPED + 2 bytes.
 * Returns buf. */
const char *report_format_unit(char *buf, size_t len, const char *unit);

/* "SIGKILL", "SIGTERM" or, for any other value (0: nothing sent), "none":
 * the word the kill record, the history and the journal use. Returns a
 * static string. */
const char *report_signal_name(int sig);

/* What a kill record says about the outcome; NULL fields are left out. */
struct report_kill {
	const struct candidate *victim;
	const char *unit;	/* "" when none; escaped (and quoted when it holds a
				 * space or '=') in the record */
	const char *verb;	/* "killed", "would kill", "failed to kill" */
	enum reason reason;
	int signal;		/* last signal sent, or the one that would be */
	const char *escalation;	/* "timeout", "floor-kill"; NULL: none */
	int exited_ms;		/* -1: unknown / not waited */
	bool released;		/* process_mrelease gave the memory back */
	unsigned spared;	/* -g/--kill-cgroup members the policy protects,
				 * not signalled; 0: left out */
	const char *trigger;	/* why: floors or pressure, with the values */
};

/* The kill record, one line:
 *   killed pid=4242 name="leaky app" uid=1000 unit=app.service
 *   oom_score=1310 score=1310 rss_kib=1834000 swap_kib=0 reason=floor-term
 *   signal=SIGTERM exited_ms=140 released=no trigger="..."
 * Returns buf. */
const char *report_format_kill(char *buf, size_t len, const struct report_kill *k);

/* "top memory users: pid=1 name="a" rss_kib=.. swap_kib=..; ..." for n
 * processes. Returns buf. */
const char *report_format_top(char *buf, size_t len, const struct proc_sample *procs, unsigned n);
