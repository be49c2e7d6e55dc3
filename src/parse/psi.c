#include "parse/psi.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "parse/strutil.h"

enum { F_AVG10, F_AVG60, F_AVG300, F_TOTAL, N_FIELDS };

static const char *const field_names[N_FIELDS] = { "avg10=", "avg60=", "avg300=", "total=" };

/* "12.34" -> 1234; exactly two decimals, at most 100.00. */
static int parse_avg(const char *s, const char **end, uint32_t *centi)
{
	uint64_t whole, frac;
	const char *p;

	if (strutil_parse_u64(s, &p, 100, &whole) < 0 || *p != '.')
		return -EINVAL;
	if (strutil_parse_u64(p + 1, end, 99, &frac) < 0 || *end - (p + 1) != 2)
		return -EINVAL;
	if (whole == 100 && frac != 0)
		return -EINVAL;
	*centi = (uint32_t)(whole * 100 + frac);
	return 0;
}

static int parse_line(const char *p, const char *eol, struct psi_line *line)
{
	bool seen[N_FIELDS] = { false };

	while (p < eol) {
		const char *end = NULL;
		int f;

		p = strutil_skip_blanks(p);
		if (p >= eol)
			break;
		for (f = 0; f < N_FIELDS; f++)
			if (strutil_startswith(p, field_names[f]))
				break;
		if (f == N_FIELDS) {
			/* unknown field: skip to the next blank */
			while (p < eol && *p != ' ')
				p++;
			continue;
		}
		if (seen[f])
			return -EINVAL;
		seen[f] = true;
		p += strlen(field_names[f]);
		if (f == F_TOTAL) {
			if (strutil_parse_u64(p, &end, UINT64_MAX, &line->total_us) < 0)
				return -EINVAL;
		} else {
			uint32_t *dst = f == F_AVG10 ? &line->avg10_centi :
					f == F_AVG60 ? &line->avg60_centi : &line->avg300_centi;

			if (parse_avg(p, &end, dst) < 0)
				return -EINVAL;
		}
		if (end != eol && *end != ' ')
			return -EINVAL;
		p = end;
	}
	for (int f = 0; f < N_FIELDS; f++)
		if (!seen[f])
			return -EINVAL;
	return 0;
}

int psi_parse(const char *buf, struct psi *out)
{
	bool have_some = false, have_full = false;
	const char *line = buf;

	memset(out, 0, sizeof(*out));
	while (*line) {
		const char *eol = strchr(line, '\n');
		struct psi_line *dst = NULL;
		bool *have = NULL;

		if (!eol)
			eol = line + strlen(line);
		if (strutil_startswith(line, "some ")) {
			dst = &out->some;
			have = &have_some;
		} else if (strutil_startswith(line, "full ")) {
			dst = &out->full;
			have = &have_full;
		}
		if (dst) {
			if (*have || parse_line(line + 5, eol, dst) < 0)
				return -EINVAL;
			*have = true;
		}
		line = *eol ? eol + 1 : eol;
	}
	return have_some && have_full ? 0 : -EINVAL;
}
