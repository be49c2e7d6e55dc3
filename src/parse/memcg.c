#include "parse/memcg.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "parse/strutil.h"

/* Largest usage figure accepted: 2^60 bytes (1 EiB). More is a corrupt
 * file, and the bound keeps the sums of a few figures in uint64_t. Limits
 * are only compared, so any number below "max" is taken as written. */
#define MEMCG_MAX_BYTES (UINT64_C(1) << 60)

/* The rest of a one-value line: nothing, or its newline and nothing. */
static bool at_line_end(const char *p)
{
	return *p == '\0' || (*p == '\n' && p[1] == '\0');
}

int memcg_parse_limit(const char *buf, uint64_t *bytes)
{
	const char *end;

	if (strncmp(buf, "max", 3) == 0 && at_line_end(buf + 3)) {
		*bytes = MEMCG_UNLIMITED;
		return 0;
	}
	if (strutil_parse_u64(buf, &end, MEMCG_UNLIMITED - 1, bytes) < 0 || !at_line_end(end))
		return -EINVAL;
	return 0;
}

int memcg_parse_number(const char *buf, uint64_t *value)
{
	const char *end;

	if (strutil_parse_u64(buf, &end, MEMCG_MAX_BYTES, value) < 0 || !at_line_end(end))
		return -EINVAL;
	return 0;
}

struct stat_key {
	const char *name;
	size_t offset;
	unsigned required;	/* its bit in *seen, 0 when optional */
};

#define REQ_ANON 0x1u
#define REQ_FILE 0x2u
#define REQ_ACTIVE_FILE 0x4u
#define REQ_INACTIVE_FILE 0x8u
#define REQ_ALL (REQ_ANON | REQ_FILE | REQ_ACTIVE_FILE | REQ_INACTIVE_FILE)
/* Not required: marks that a refault counter was there. */
#define SEEN_REFAULT 0x100u

#define KEY(field, req) { #field, offsetof(struct memcg_stat, field), req }

static const struct stat_key stat_keys[] = {
	KEY(anon, REQ_ANON),
	KEY(file, REQ_FILE),
	KEY(shmem, 0),
	KEY(file_mapped, 0),
	KEY(file_dirty, 0),
	KEY(active_file, REQ_ACTIVE_FILE),
	KEY(inactive_file, REQ_INACTIVE_FILE),
	KEY(unevictable, 0),
	KEY(slab_reclaimable, 0),
	KEY(zswap, 0),
	KEY(zswapped, 0),
	{ "workingset_refault_file", offsetof(struct memcg_stat, refault_file), SEEN_REFAULT },
	{ "workingset_refault_anon", offsetof(struct memcg_stat, refault_anon), SEEN_REFAULT },
	/* Before 5.9: one counter, the file and anon refaults together. */
	{ "workingset_refault", offsetof(struct memcg_stat, refault_file), SEEN_REFAULT },
};

#define N_STAT_KEYS (sizeof(stat_keys) / sizeof(stat_keys[0]))

void memcg_stat_begin(struct memcg_stat *st, unsigned *seen)
{
	memset(st, 0, sizeof(*st));
	*seen = 0;
}

int memcg_parse_stat_line(const char *line, struct memcg_stat *st, unsigned *seen)
{
	size_t len = strcspn(line, " \n");
	const char *end;

	if (line[len] != ' ')
		return 0;	/* not "key value": nothing the view needs */
	for (size_t i = 0; i < N_STAT_KEYS; i++) {
		const struct stat_key *k = &stat_keys[i];
		uint64_t *field = (uint64_t *)(void *)((char *)st + k->offset);

		if (strlen(k->name) != len || strncmp(line, k->name, len) != 0)
			continue;
		if (strutil_parse_u64(line + len + 1, &end, MEMCG_MAX_BYTES, field) < 0 ||
		    !at_line_end(end))
			return -EINVAL;
		*seen |= k->required;
		if (k->required & SEEN_REFAULT)
			st->have_refault = true;
		return 0;
	}
	return 0;
}

int memcg_stat_end(unsigned seen)
{
	return (seen & REQ_ALL) == REQ_ALL ? 0 : -EINVAL;
}

int memcg_parse_stat(const char *buf, struct memcg_stat *st)
{
	/* A line of memory.stat is a key of under 40 bytes and a number. */
	char line[128];
	unsigned seen;

	memcg_stat_begin(st, &seen);
	for (const char *p = buf; *p;) {
		size_t len = strcspn(p, "\n");
		int r;

		/* A line too long to be the kernel's cannot be one of ours. */
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			r = memcg_parse_stat_line(line, st, &seen);
			if (r < 0)
				return r;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return memcg_stat_end(seen);
}

int memcg_parse_nr_descendants(const char *buf, uint64_t *nr)
{
	static const char key[] = "nr_descendants ";

	for (const char *line = buf; *line;) {
		const char *end;

		if (strncmp(line, key, sizeof(key) - 1) == 0) {
			if (strutil_parse_u64(line + sizeof(key) - 1, &end, UINT64_MAX, nr) < 0 ||
			    (*end != '\n' && *end != '\0'))
				return -EINVAL;
			return 0;
		}
		line += strcspn(line, "\n");
		if (*line == '\n')
			line++;
	}
	return -EINVAL;
}

bool memcg_path_valid(const char *path)
{
	const char *p = path;

	if (path[0] != '/' || strlen(path) >= MEMCG_LIMIT_PATH_MAX)
		return false;
	if (path[1] == '\0')
		return true;
	while (*p == '/') {
		const char *c = p + 1;
		size_t len = strcspn(c, "/");

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		p = c + len;
	}
	return *p == '\0';
}

bool memcg_path_within(const char *path, const char *subtree)
{
	size_t n = strlen(subtree);

	/* "/../.." is a cgroup outside our cgroup namespace: in no subtree. */
	if (!memcg_path_valid(path))
		return false;
	if (n == 1 && subtree[0] == '/')
		return path[0] == '/';
	return strncmp(path, subtree, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Cut path ("/a/b") to its parent ("/a", then "/"). Returns false at "/". */
static bool path_up(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == path) {
		if (path[1] == '\0')
			return false;
		path[1] = '\0';
		return true;
	}
	*slash = '\0';
	return true;
}

/* Take level (at path) into *out if its limits are as tight or tighter:
 * the search goes upwards, so a tie goes to the ancestor. */
static void consider(const char *path, const struct memcg_level *level,
		     uint64_t mem_total_bytes, struct memcg_limit *out)
{
	if (level->max < mem_total_bytes && level->max <= out->max) {
		out->max = level->max;
		out->swap_max = level->swap_max;
		strcpy(out->path, path);
	}
	if (level->swap_max != MEMCG_UNLIMITED && level->swap_max <= out->swap_limit) {
		out->swap_limit = level->swap_max;
		strcpy(out->swap_path, path);
	}
}

/* The search from self_path up; leave_out: leave out the cgroups at the
 * bottom that hold only oomguard. */
static int find_limit(const char *self_path, bool leave_out, uint64_t mem_total_bytes,
		      memcg_level_fn read, void *data, struct memcg_limit *out)
{
	char path[MEMCG_LIMIT_PATH_MAX];
	bool leaving_out = leave_out;

	memset(out, 0, sizeof(*out));
	out->max = MEMCG_UNLIMITED;
	out->swap_max = MEMCG_UNLIMITED;
	out->swap_limit = MEMCG_UNLIMITED;
	if (!memcg_path_valid(self_path))
		return -EINVAL;
	strcpy(path, self_path);
	do {
		struct memcg_level level = { .max = MEMCG_UNLIMITED,
					     .swap_max = MEMCG_UNLIMITED };
		int r = read(path, leaving_out, &level, data);

		if (r < 0)
			return r;
		if (leaving_out) {
			/* Its descendants are only the ones left out below. */
			if (level.n_procs == 0 && level.nr_descendants == out->skipped) {
				out->skipped++;
				continue;
			}
			leaving_out = false;
		}
		consider(path, &level, mem_total_bytes, out);
	} while (path_up(path));
	return 0;
}

int memcg_find_limit(const char *self_path, uint64_t mem_total_bytes, memcg_level_fn read,
		     void *data, struct memcg_limit *out)
{
	return find_limit(self_path, true, mem_total_bytes, read, data, out);
}

int memcg_find_limit_at(const char *path, uint64_t mem_total_bytes, memcg_level_fn read,
			void *data, struct memcg_limit *out)
{
	return find_limit(path, false, mem_total_bytes, read, data, out);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* a - b, or 0 when b is larger. */
static uint64_t sub_clamped(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void memcg_view(const struct memcg_sample *mem, const struct memcg_sample *swap,
		const struct meminfo *machine, struct meminfo *out)
{
	const struct memcg_stat *st = &mem->stat;
	uint64_t limit = min_u64(mem->max, machine->mem_total_kib * 1024);
	uint64_t reclaimable = st->active_file + st->inactive_file + st->slab_reclaimable;
	uint64_t used = sub_clamped(mem->current, reclaimable);

	memset(out, 0, sizeof(*out));
	out->mem_total_kib = limit / 1024;
	out->mem_free_kib = min_u64(sub_clamped(limit, mem->current) / 1024, machine->mem_free_kib);
	out->mem_available_kib = min_u64(sub_clamped(limit, used) / 1024,
					 machine->mem_available_kib);
	out->cached_kib = st->file / 1024;
	out->active_file_kib = st->active_file / 1024;
	out->inactive_file_kib = st->inactive_file / 1024;
	out->anon_pages_kib = st->anon / 1024;
	out->shmem_kib = st->shmem / 1024;
	out->mlocked_kib = st->unevictable / 1024;
	out->zswap_kib = st->zswap / 1024;
	out->zswapped_kib = st->zswapped / 1024;
	out->swap_total_kib = machine->swap_total_kib;
	out->swap_free_kib = machine->swap_free_kib;
	if (swap && swap->have_swap && swap->swap_max != MEMCG_UNLIMITED) {
		uint64_t total = min_u64(swap->swap_max / 1024, machine->swap_total_kib);

		out->swap_total_kib = total;
		out->swap_free_kib = min_u64(sub_clamped(total, swap->swap_current / 1024),
					     machine->swap_free_kib);
	}
}
