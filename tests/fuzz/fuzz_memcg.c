/* libFuzzer target for container mode's parsers and computations, built
 * with -DFUZZ_MEMCG. The input is read as every cgroup file at once: a
 * limit, a number, memory.stat (whole and line by line, which must agree),
 * cgroup.stat and a cgroup path; what parses then feeds the view, the
 * limit search (over levels made up from the path's bytes) and the memcg
 * totalpages, whose answers must stay within their bounds; and subtree
 * membership of the path, against its own ancestors. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide/badness.h"
#include "parse/memcg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_MEMCG
#error "define FUZZ_MEMCG"
#endif

/* memory.stat line by line, as acquire/memcg.c reads it. */
static int stat_by_lines(const char *buf, struct memcg_stat *st)
{
	char line[128];
	unsigned seen;

	memcg_stat_begin(st, &seen);
	for (const char *p = buf; *p;) {
		size_t len = strcspn(p, "\n");

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (memcg_parse_stat_line(line, st, &seen) < 0)
				return -EINVAL;
		}
		p += len + (p[len] == '\n');
	}
	return memcg_stat_end(seen);
}

static void check_values(const char *buf)
{
	uint64_t limit, number, nr;
	int r_limit = memcg_parse_limit(buf, &limit);
	int r_number = memcg_parse_number(buf, &number);

	/* A usage figure is also a limit, of the same bytes. */
	if (r_number == 0 && (r_limit != 0 || limit != number))
		abort();
	if (r_limit == 0 && limit != MEMCG_UNLIMITED && limit <= (UINT64_C(1) << 60) &&
	    (r_number != 0 || number != limit))
		abort();
	/* Only that it returns: any text may come. */
	(void)memcg_parse_nr_descendants(buf, &nr);
}

/* Levels made up from the path's bytes: the same path, the same level. */
static int made_up_level(const char *path, bool members, struct memcg_level *out, void *data)
{
	uint64_t h = 1469598103934665603u;

	for (const char *p = path; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211u;
	if ((h & 0xff) == 7)
		return -EACCES;
	out->max = h & 1 ? MEMCG_UNLIMITED : (h >> 8) % (UINT64_C(1) << 36);
	out->swap_max = h & 2 ? MEMCG_UNLIMITED : (h >> 20) % (UINT64_C(1) << 34);
	out->n_procs = members ? (h >> 40) % 3 : 0;
	out->nr_descendants = members ? (h >> 44) % 3 : 0;
	return 0;
}

/* Is a the path of b or of one of its ancestors? */
static bool is_on_path(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strcmp(a, "/") == 0 ||
	       (strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/'));
}

static void check_search(const char *path)
{
	const uint64_t ram = UINT64_C(1) << 35;
	struct memcg_limit lim;
	int r;

	if (strlen(path) >= MEMCG_LIMIT_PATH_MAX)
		return;
	r = memcg_find_limit(path, ram, made_up_level, NULL, &lim);
	if (!memcg_path_valid(path)) {
		if (r != -EINVAL)
			abort();
		return;
	}
	if (r < 0)
		return;
	if (lim.path[0] ? !is_on_path(lim.path, path) || lim.max >= ram : lim.max != MEMCG_UNLIMITED)
		abort();
	if (lim.swap_path[0] ? !is_on_path(lim.swap_path, path) : lim.swap_limit != MEMCG_UNLIMITED)
		abort();
}

/* Subtree membership agrees with is_on_path: a valid path is in "/", in
 * itself and in each of its ancestors; an invalid one is in none. And the
 * search from a named cgroup (nothing left out) keeps to the same path. */
static void check_within(const char *path)
{
	char up[MEMCG_LIMIT_PATH_MAX];
	struct memcg_limit lim;
	char *slash;

	if (strlen(path) >= MEMCG_LIMIT_PATH_MAX)
		return;
	if (!memcg_path_valid(path)) {
		if (memcg_path_within(path, "/"))
			abort();
		return;
	}
	if (!memcg_path_within(path, "/") || !memcg_path_within(path, path))
		abort();
	strcpy(up, path);
	while ((slash = strrchr(up, '/')) && slash != up) {
		*slash = '\0';
		if (!memcg_path_within(path, up) || !is_on_path(up, path))
			abort();
		/* path goes on with "/" after up: never inside up's sibling
		 * "upx", which shares its prefix. */
		if (strlen(up) + 2 < sizeof(up)) {
			char sib[MEMCG_LIMIT_PATH_MAX];

			snprintf(sib, sizeof(sib), "%sx", up);
			if (memcg_path_within(path, sib))
				abort();
		}
	}
	if (memcg_find_limit_at(path, UINT64_C(1) << 35, made_up_level, NULL, &lim) == 0 &&
	    ((lim.path[0] && !is_on_path(lim.path, path)) || lim.skipped != 0))
		abort();
}

static void check_view(const struct memcg_stat *st, const uint8_t *data, size_t size)
{
	uint64_t v[6] = { 0 };
	struct memcg_sample s = { .stat = *st, .have_swap = true };
	struct meminfo mi = { 0 }, out;

	for (size_t i = 0; i < size && i < 6 * 8; i++)
		v[i / 8] = v[i / 8] << 8 | data[i];
	s.max = v[0];
	s.current = v[1] % (UINT64_C(1) << 60);
	s.swap_max = v[2];
	s.swap_current = v[3] % (UINT64_C(1) << 60);
	mi.mem_total_kib = v[4] % (UINT64_C(1) << 50);
	mi.mem_available_kib = mi.mem_free_kib = mi.mem_total_kib / 2;
	mi.swap_total_kib = v[5] % (UINT64_C(1) << 50);
	mi.swap_free_kib = mi.swap_total_kib / 3;
	memcg_view(&s, &s, &mi, &out);
	if (out.mem_available_kib > out.mem_total_kib || out.mem_available_kib > mi.mem_available_kib ||
	    out.mem_free_kib > out.mem_total_kib ||
	    out.swap_free_kib > out.swap_total_kib || out.swap_total_kib > mi.swap_total_kib)
		abort();
	if (badness_memcg_totalpages(s.max, s.swap_max, mi.swap_total_kib, (unsigned)(v[0] & 1),
				     4) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	struct memcg_stat whole, lines;
	int r_whole, r_lines;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	check_values(buf);
	check_search(buf);
	check_within(buf);
	r_whole = memcg_parse_stat(buf, &whole);
	r_lines = stat_by_lines(buf, &lines);
	if (r_whole != r_lines || (r_whole == 0 && memcmp(&whole, &lines, sizeof(whole)) != 0))
		abort();
	if (r_whole == 0)
		check_view(&whole, data, size);
	free(buf);
	return 0;
}
