#include "parse/vmstat.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "parse/strutil.h"

static int parse_counter(const char *p, uint64_t *out)
{
	const char *end;

	if (*p != ' ' || strutil_parse_u64(p + 1, &end, UINT64_MAX, out) < 0)
		return -EINVAL;
	return *end == '\n' || *end == '\0' ? 0 : -EINVAL;
}

int vmstat_parse(const char *buf, struct vmstat *out)
{
	static const struct { const char *name; size_t offset; } counters[] = {
		{ "oom_kill", offsetof(struct vmstat, oom_kill) },
		{ "workingset_refault_file", offsetof(struct vmstat, refault_file) },
		{ "workingset_refault", offsetof(struct vmstat, refault_file) },
		{ "workingset_refault_anon", offsetof(struct vmstat, refault_anon) },
		{ "pswpin", offsetof(struct vmstat, pswpin) },
		{ "pswpout", offsetof(struct vmstat, pswpout) },
	};
	const char *line = buf;

	memset(out, 0, sizeof(*out));
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t key_len = strcspn(line, " \n");

		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
			if (strlen(counters[i].name) != key_len ||
			    memcmp(line, counters[i].name, key_len) != 0)
				continue;
			uint64_t value;

			if (parse_counter(line + key_len, &value) < 0)
				return -EINVAL;
			memcpy((char *)out + counters[i].offset, &value, sizeof(value));
			if (i == 0)
				out->have_oom_kill = true;
			if (i == 1 || i == 2)
				out->have_refault = true;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}
