#include "parse/zram.h"

#include <errno.h>
#include <string.h>

#include "parse/strutil.h"

/* Skip one run of non-blanks and the blanks after it. */
static const char *skip_word(const char *p)
{
	while (*p && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	return strutil_skip_blanks(p);
}

int zram_parse_swaps(const char *buf, struct swaps *out)
{
	const char *line = strchr(buf, '\n');	/* skip the header */

	memset(out, 0, sizeof(*out));
	if (!strutil_startswith(buf, "Filename"))
		return -EINVAL;
	while (line && *++line) {
		const char *nl = strchr(line, '\n');
		uint64_t size, used, id;
		const char *p, *end;

		if (strutil_startswith(line, "/dev/zram")) {
			/* Filename may hold spaces only as "\040", so words split. */
			p = skip_word(line);			/* Type */
			p = skip_word(p);			/* Size */
			if (strutil_parse_u64(p, &end, UINT64_C(1) << 50, &size) < 0)
				return -EINVAL;
			p = strutil_skip_blanks(end);
			if (strutil_parse_u64(p, &end, UINT64_C(1) << 50, &used) < 0 || used > size)
				return -EINVAL;
			out->zram_total_kib += size;
			out->zram_used_kib += used;
			if (strutil_parse_u64(line + 9, &end, 1u << 20, &id) == 0 &&
			    out->n_zram < ZRAM_MAX_DEVICES)
				out->zram_ids[out->n_zram++] = (unsigned)id;
		}
		line = nl;
	}
	return 0;
}

int zram_parse_mm_stat(const char *buf, uint64_t *mem_used_kib)
{
	const char *p = strutil_skip_blanks(buf);
	const char *end;
	uint64_t bytes;

	for (int field = 0; field < 2; field++) {
		if (strutil_parse_u64(p, &end, UINT64_MAX, &bytes) < 0)
			return -EINVAL;
		p = strutil_skip_blanks(end);
	}
	if (strutil_parse_u64(p, &end, UINT64_MAX, &bytes) < 0)
		return -EINVAL;
	if (*end != ' ' && *end != '\n' && *end != '\0')
		return -EINVAL;
	*mem_used_kib = bytes / 1024;
	return 0;
}
