/* Formatting of what the operator reads: the memory report and (later) the
 * kill record. Pure: formats into caller buffers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/meminfo.h"
#include "parse/psi.h"

/* part/total in hundredths of a percent; 10000 when total is 0. */
uint32_t report_centi(uint64_t part, uint64_t total);

/* The same, rounded to nearest: a floor computed as 5 % of MemTotal and
 * rounded down to whole KiB reads back as 5.00 %, not 4.99 %. */
uint32_t report_centi_nearest(uint64_t part, uint64_t total);

/* One line: "MemAvailable 812 MiB of 7961 MiB (10.20%), SwapFree ...,
 * PSI full avg10 1.20 some avg10 3.40". psi may be NULL when PSI is
 * unavailable. Returns buf. */
const char *report_format_memory(char *buf, size_t len, const struct meminfo *mi,
				 const struct psi *psi);

struct candidate;
struct proc_sample;

/* What a kill record says about the outcome; NULL fields are left out. */
struct report_kill {
	const struct candidate *victim;
	const char *unit;	/* "" when none */
	const char *verb;	/* "killed", "would kill", "failed to kill" */
	int signal;		/* last signal sent, or the one that would be */
	int exited_ms;		/* -1: unknown / not waited */
	bool released;		/* process_mrelease gave the memory back */
	const char *trigger;	/* why: floors or pressure, with the values */
};

/* The kill record, one line:
 *   killed pid=4242 name="leaky app" uid=1000 unit=app.service
 *   oom_score=1310 score=1310 rss_kib=1834000 swap_kib=0 signal=SIGTERM
 *   exited_ms=140 released=no trigger="..."
 * Returns buf. */
const char *report_format_kill(char *buf, size_t len, const struct report_kill *k);

/* "top memory users: pid=1 name="a" rss_kib=.. swap_kib=..; ..." for n
 * processes. Returns buf. */
const char *report_format_top(char *buf, size_t len, const struct proc_sample *procs, unsigned n);
