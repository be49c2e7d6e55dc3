#include "parse/meminfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "parse/strutil.h"

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
	KEY("Mlocked", mlocked_kib, false),
	KEY("SwapTotal", swap_total_kib, true),
	KEY("SwapFree", swap_free_kib, true),
	KEY("Zswap", zswap_kib, false),
	KEY("Zswapped", zswapped_kib, false),
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
			/* Everything we use sits in the first ~27 of ~55 lines:
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

/* One zone's figures, in pages. */
struct zone_reserve {
	uint64_t high, managed, max_protection;
	bool have_high, have_managed;
};

static uint64_t zone_reserve_pages(const struct zone_reserve *z)
{
	uint64_t max = z->max_protection + z->high;

	return max > z->managed ? z->managed : max;
}

/* "(0, 3018, 9546)" -> 9546. */
static int parse_protection(const char *p, uint64_t *max)
{
	const char *end;
	uint64_t v;

	if (*p != '(')
		return -EINVAL;
	*max = 0;
	for (p++;;) {
		p = strutil_skip_blanks(p);
		if (strutil_parse_u64(p, &end, UINT64_C(1) << 50, &v) < 0)
			return -EINVAL;
		if (v > *max)
			*max = v;
		if (*end == ')')
			return 0;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
}

int meminfo_parse_zoneinfo_reserve(const char *buf, uint64_t *pages)
{
	struct zone_reserve z = { 0 };
	bool in_zone = false;
	uint64_t total = 0;
	const char *line = buf;

	while (*line) {
		const char *nl = strchr(line, '\n');
		const char *p = strutil_skip_blanks(line);
		const char *end;
		int r = 0;

		if (strutil_startswith(line, "Node ")) {
			if (in_zone) {
				if (!z.have_high || !z.have_managed)
					return -EINVAL;
				total += zone_reserve_pages(&z);
			}
			memset(&z, 0, sizeof(z));
			in_zone = true;
		} else if (in_zone && strutil_startswith(p, "high ")) {
			r = strutil_parse_u64(strutil_skip_blanks(p + 5), &end, UINT64_C(1) << 50, &z.high);
			z.have_high = r == 0;
		} else if (in_zone && strutil_startswith(p, "managed ")) {
			r = strutil_parse_u64(strutil_skip_blanks(p + 8), &end, UINT64_C(1) << 50, &z.managed);
			z.have_managed = r == 0;
		} else if (in_zone && strutil_startswith(p, "protection: ")) {
			r = parse_protection(p + 12, &z.max_protection);
		}
		if (r < 0)
			return -EINVAL;
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!in_zone)
		return -EINVAL;
	if (!z.have_high || !z.have_managed)
		return -EINVAL;
	*pages = total + zone_reserve_pages(&z);
	return 0;
}
