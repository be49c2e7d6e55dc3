/* Formatting of what the operator reads: the memory report and (later) the
 * kill record. Pure: formats into caller buffers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meminfo.h"
#include "psi.h"

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

/* Copy s into buf with control characters, backslashes, double quotes and
 * bytes >= 0x7f written as \xNN, so a process name can never forge a log
 * line or break a column. Returns buf. */
const char *report_escape(char *buf, size_t len, const char *s);
