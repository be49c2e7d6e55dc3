#include "parse/memevents.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "parse/strutil.h"

int memevents_parse_oom_kill(const char *buf, uint64_t *oom_kill)
{
	static const char key[] = "oom_kill ";

	for (const char *line = buf; *line;) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, key, sizeof(key) - 1) == 0) {
			const char *end;

			if (strutil_parse_u64(line + sizeof(key) - 1, &end, UINT64_MAX, oom_kill) < 0 ||
			    (*end != '\n' && *end != '\0'))
				return -EINVAL;
			return 0;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return -EINVAL;
}

static uint64_t kills_before(const struct memcg_oom_table *before, uint64_t ino)
{
	for (unsigned i = 0; i < before->n; i++)
		if (before->e[i].ino == ino)
			return before->e[i].kills;
	return 0;
}

/* Is a a proper ancestor of b ("/a" of "/a/b", not of "/ab")? */
static bool is_ancestor(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strcmp(a, "/") == 0)
		return strcmp(b, "/") != 0;
	return strncmp(a, b, n) == 0 && b[n] == '/';
}

/* Put a cgroup with grown count into ev, kept sorted by kills (most
 * first); the least gives way when ev is full. */
static void add_cgroup(struct kernel_oom_event *ev, const char *path, uint64_t kills)
{
	unsigned at = ev->n_cgroups;

	while (at > 0 && ev->cgroup[at - 1].kills < kills)
		at--;
	if (at >= KERNEL_OOM_MAX_CGROUPS)
		return;
	if (ev->n_cgroups < KERNEL_OOM_MAX_CGROUPS)
		ev->n_cgroups++;
	memmove(&ev->cgroup[at + 1], &ev->cgroup[at],
		(ev->n_cgroups - 1 - at) * sizeof(ev->cgroup[0]));
	strncpy(ev->cgroup[at].path, path, sizeof(ev->cgroup[at].path) - 1);
	ev->cgroup[at].path[sizeof(ev->cgroup[at].path) - 1] = '\0';
	ev->cgroup[at].kills = kills;
}

void memevents_diff(const struct memcg_oom_table *before, const struct memcg_oom_table *now,
		    uint64_t kills, struct kernel_oom_event *ev)
{
	uint64_t explained = 0;

	memset(ev, 0, sizeof(*ev));
	ev->kills = kills;
	ev->global_kills = kills;
	if (!before->valid || !now->valid)
		return;
	ev->cgroups_known = true;
	for (unsigned i = 0; i < now->n; i++) {
		const struct memcg_oom_entry *c = &now->e[i];
		uint64_t was = kills_before(before, c->ino);
		bool deeper = false;

		if (c->kills <= was)
			continue;
		/* Hierarchical counts: an ancestor counts its children's kills. */
		for (unsigned j = 0; !now->local && j < now->n && !deeper; j++)
			deeper = j != i && now->e[j].kills > kills_before(before, now->e[j].ino) &&
				 is_ancestor(c->path, now->e[j].path);
		if (deeper)
			continue;
		add_cgroup(ev, c->path, c->kills - was);
		explained += c->kills - was;
	}
	/* A kill in a cgroup may land between the vmstat read and the walk:
	 * then the cgroups explain more than vmstat moved, and none was
	 * global. */
	ev->global_kills = explained >= kills ? 0 : kills - explained;
	if (explained > kills)
		ev->kills = explained;
}
