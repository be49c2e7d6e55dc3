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
			    out->n_zram < ZRAM_MAX_DEVICES) {
				struct zram_device *dev = &out->zram[out->n_zram++];

				dev->id = (unsigned)id;
				dev->size_kib = size;
				dev->used_kib = used;
			}
		}
		line = nl;
	}
	return 0;
}

int zram_parse_mm_stat(const char *buf, struct zram_device *dev)
{
	/* Bytes are bounded by 2^60 (an EiB): the capacity arithmetic
	 * multiplies them by a ratio in hundredths. */
	const uint64_t max = UINT64_C(1) << 60;
	uint64_t field[6] = { 0 };
	const char *p = strutil_skip_blanks(buf);
	const char *end;
	int n = 0;

	for (; n < 6 && *p && *p != '\n'; n++) {
		if (strutil_parse_u64(p, &end, max, &field[n]) < 0)
			return -EINVAL;
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\0')
			return -EINVAL;
		p = strutil_skip_blanks(end);
	}
	if (n < 3)
		return -EINVAL;
	dev->orig_bytes = field[0];
	dev->compr_bytes = field[1];
	dev->mem_used_bytes = field[2];
	dev->mem_limit_bytes = field[3];
	dev->same_pages = field[5];
	dev->have_mm_stat = true;
	return 0;
}
