/* Strict number parsing shared by the /proc parsers and the flag parser,
 * and the percentages the decision and the reports print. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse a decimal unsigned number at s (no sign, no leading space) into *out
 * and point *end past its digits. Returns 0, -EINVAL when s holds no digit,
 * or -ERANGE when the value exceeds max. */
int strutil_parse_u64(const char *s, const char **end, uint64_t max, uint64_t *out);

/* Parse a signed decimal (optional '-') within [min, max]. Returns as above. */
int strutil_parse_i64(const char *s, const char **end, int64_t min, int64_t max, int64_t *out);

/* Skip spaces and tabs; returns the first other character's address. */
const char *strutil_skip_blanks(const char *s);

/* True when s starts with prefix. */
bool strutil_startswith(const char *s, const char *prefix);

/* part of total in hundredths of a percent (sizes up to 2^50); 10000 when
 * total is 0 or part is not smaller. */
uint32_t strutil_centi(uint64_t part, uint64_t total);

/* The same, rounded to nearest: a floor computed as 5 % of MemTotal and
 * rounded down to whole KiB reads back as 5.00 %, not 4.99 %. */
uint32_t strutil_centi_nearest(uint64_t part, uint64_t total);

/* Append printf-style text to buf (len bytes) at *o, never past its end:
 * what does not fit is cut, and *o then stays at len so that later
 * appends add nothing. For formatters that build one line in pieces. */
void strutil_append(char *buf, size_t len, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
