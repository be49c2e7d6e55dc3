#include "parse/strutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int strutil_parse_u64(const char *s, const char **end, uint64_t max, uint64_t *out)
{
	uint64_t value = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (value > (max - digit) / 10)
			return -ERANGE;
		value = value * 10 + digit;
	}
	*out = value;
	*end = p;
	return 0;
}

int strutil_parse_i64(const char *s, const char **end, int64_t min, int64_t max, int64_t *out)
{
	bool negative = *s == '-';
	uint64_t magnitude;
	int r;

	r = strutil_parse_u64(s + negative, end,
			      negative ? (uint64_t)-(min + 1) + 1 : (uint64_t)max, &magnitude);
	if (r < 0)
		return r;
	*out = negative ? -(int64_t)(magnitude - 1) - 1 : (int64_t)magnitude;
	if (negative && magnitude == 0)
		*out = 0;
	if (*out < min || *out > max)
		return -ERANGE;
	return 0;
}

const char *strutil_skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

bool strutil_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

uint32_t strutil_centi(uint64_t part, uint64_t total)
{
	if (total == 0 || part >= total)
		return 10000;
	/* part < total <= 2^50, so part * 10000 stays below 2^64. */
	return (uint32_t)(part * 10000 / total);
}

uint32_t strutil_centi_nearest(uint64_t part, uint64_t total)
{
	if (total == 0 || part >= total)
		return 10000;
	return (uint32_t)((part * 10000 + total / 2) / total);
}

void strutil_append(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o = *o + (size_t)n < len ? *o + (size_t)n : len;
}
