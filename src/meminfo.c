#include "meminfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "strutil.h"

/* Largest value accepted: 2^50 KiB (1 EiB). Anything above is a corrupt
 * file, and the bound keeps later KiB->bytes and percent arithmetic in
 * uint64_t. */
#define MEMINFO_MAX_KIB (UINT64_C(1) << 50)

struct meminfo_key {
	const char *name;
	size_t offset;
	bool required;
};

#define KEY(name, field, req) { name, offsetof(struct meminfo, field), req }

static const struct meminfo_key keys[] = {
	KEY("MemTotal", mem_total_kib, true),
	KEY("MemFree", mem_free_kib, false),
	KEY("MemAvailable", mem_available_kib, true),
	KEY("Cached", cached_kib, false),
	KEY("Active(file)", active_file_kib, false),
	KEY("Inactive(file)", inactive_file_kib, false),
	KEY("AnonPages", anon_pages_kib, false),
	KEY("Shmem", shmem_kib, false),
	KEY("SwapTotal", swap_total_kib, true),
	KEY("SwapFree", swap_free_kib, true),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const struct meminfo_key *key_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

/* One line looks like "MemAvailable:    8234216 kB". */
static int parse_value(const char *p, uint64_t *value)
{
	const char *end;

	p = strutil_skip_blanks(p);
	if (strutil_parse_u64(p, &end, MEMINFO_MAX_KIB, value) < 0)
		return -EINVAL;
	if (strncmp(end, " kB", 3) != 0)
		return -EINVAL;
	end += 3;
	if (*end != '\n' && *end != '\0')
		return -EINVAL;
	return 0;
}

int meminfo_parse(const char *buf, struct meminfo *out, const char **bad_key)
{
	bool seen[N_KEYS] = { false };
	const char *line = buf;
	size_t n_seen = 0;

	memset(out, 0, sizeof(*out));
	while (*line) {
		const char *colon = strchr(line, ':');
		const char *nl = strchr(line, '\n');
		const struct meminfo_key *key;

		if (!nl)
			nl = line + strlen(line);
		if (colon && colon < nl && (key = key_lookup(line, (size_t)(colon - line)))) {
			size_t idx = (size_t)(key - keys);
			uint64_t value;

			if (seen[idx] || parse_value(colon + 1, &value) < 0) {
				*bad_key = key->name;
				return -EINVAL;
			}
			seen[idx] = true;
			memcpy((char *)out + key->offset, &value, sizeof(value));
			/* Everything we use sits in the first ~25 of ~55 lines:
			 * stop there; this parse runs every tick. */
			if (++n_seen == N_KEYS)
				break;
		}
		line = *nl ? nl + 1 : nl;
	}
	for (size_t i = 0; i < N_KEYS; i++) {
		if (keys[i].required && !seen[i]) {
			*bad_key = keys[i].name;
			return -EINVAL;
		}
	}
	if (out->mem_total_kib == 0) {
		*bad_key = "MemTotal";
		return -EINVAL;
	}
	return 0;
}

unsigned meminfo_percent(uint64_t part_kib, uint64_t total_kib)
{
	if (total_kib == 0)
		return 100;
	if (part_kib >= total_kib)
		return 100;
	return (unsigned)(part_kib * 100 / total_kib);
}
