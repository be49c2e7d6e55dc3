#include "acquire/container.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "acquire/memcg.h"
#include "log.h"
#include "parse/memcg.h"

/* A path in the start-up line and in errors, escaped (log_escape) and cut
 * to fit: a cgroup path a line long says enough in 200 bytes. */
#define ESC_PATH_SIZE 201
#define HOW_SIZE (2 * ESC_PATH_SIZE + 96)

/* When vm.swappiness cannot be read: the kernel's default. */
#define DEFAULT_SWAPPINESS 60

/* "128 MiB", "1.5 GiB", "max". Returns buf. */
static const char *format_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	uint64_t tenths;
	unsigned u = 0;

	if (bytes == MEMCG_UNLIMITED) {
		snprintf(buf, len, "max");
		return buf;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
		return buf;
	}
	tenths = bytes * 10 / 1024;
	while (tenths >= 10240 && u + 1 < sizeof(units) / sizeof(units[0])) {
		tenths /= 1024;
		u++;
	}
	if (tenths % 10)
		snprintf(buf, len, "%llu.%llu %s", (unsigned long long)(tenths / 10),
			 (unsigned long long)(tenths % 10), units[u]);
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)(tenths / 10), units[u]);
	return buf;
}

/* c->why for a cgroup view: "cgroup /box (memory.max 128 MiB,
 * memory.swap.max max), " and how it was found. */
static void describe_cgroup(struct container *c, const char *how)
{
	char mem[32], swap[32], swap_at[MEMCG_LIMIT_PATH_MAX + 64] = "";
	char esc_path[ESC_PATH_SIZE];

	if (c->limit.swap_path[0] && strcmp(c->limit.swap_path, c->limit.path) != 0) {
		char esc[ESC_PATH_SIZE];

		snprintf(swap_at, sizeof(swap_at), "; swap bound by %s's memory.swap.max %s",
			 log_escape(esc, sizeof(esc), c->limit.swap_path),
			 format_bytes(swap, sizeof(swap), c->limit.swap_limit));
	}
	snprintf(c->why, sizeof(c->why), "cgroup %s (memory.max %s, memory.swap.max %s%s), %.*s",
		 log_escape(esc_path, sizeof(esc_path), c->limit.path),
		 format_bytes(mem, sizeof(mem), c->limit.max),
		 format_bytes(swap, sizeof(swap), c->limit.swap_max), swap_at, (int)sizeof(c->why) / 2, how);
}

static void read_swappiness(struct container *c, const struct procfs *procfs)
{
	if (memcg_read_swappiness(procfs, &c->swappiness) < 0)
		c->swappiness = DEFAULT_SWAPPINESS;
}

/* --cgroup PATH. Returns 0, or -errno with err filled. */
static int choose_given(struct container *c, const struct config *cfg, const struct cgroupfs *cg,
			uint64_t mem_total_kib, char *err, size_t errlen)
{
	const char *path = cfg->cgroup_path;
	const char *where = cfg->cgroupfs_path ? cfg->cgroupfs_path : "/sys/fs/cgroup";
	char esc[ESC_PATH_SIZE], how[HOW_SIZE];
	struct memcg_sample probe;
	int dir_fd = -1, r;

	log_escape(esc, sizeof(esc), path);
	if (cg->root_fd < 0) {
		snprintf(err, errlen, "--cgroup %s: no cgroup v2 hierarchy at %s", esc, where);
		return -ENOENT;
	}
	r = cgroupfs_open_dir(cg, path, &dir_fd);
	if (r < 0) {
		snprintf(err, errlen, "--cgroup %s: %s in %s", esc,
			 r == -ENOENT ? "no such cgroup" : strerror(-r), where);
		return r;
	}
	close(dir_fd);
	r = memcg_read_sample(cg, path, &probe);
	if (r < 0) {
		snprintf(err, errlen, "--cgroup %s: %s", esc,
			 r == -ENOENT ? "no memory controller there (no memory.max: enable memory in "
					"its parent's cgroup.subtree_control)"
				      : r == -EINVAL ? "its memory files are malformed" : strerror(-r));
		return r;
	}
	r = memcg_read_limit_at(cg, path, mem_total_kib, &c->limit);
	if (r < 0) {
		snprintf(err, errlen, "--cgroup %s: cannot read its limits: %s", esc, strerror(-r));
		return r;
	}
	if (c->limit.max == MEMCG_UNLIMITED) {
		snprintf(err, errlen, "--cgroup %s: no memory.max below RAM on it or above it, so the "
			 "machine runs out first and the machine-wide view covers it (drop --cgroup)",
			 esc);
		return -ENOENT;
	}
	snprintf(c->subtree, sizeof(c->subtree), "%s", path);
	if (strcmp(c->limit.path, path) == 0)
		snprintf(how, sizeof(how), "--cgroup %s", esc);
	else
		snprintf(how, sizeof(how), "the tightest limit above --cgroup %s; victims only in %s",
			 esc, esc);
	describe_cgroup(c, how);
	c->on = true;
	return 0;
}

/* No flag: the limit on our own cgroup path, if any, into *c. */
static void choose_own(struct container *c, const struct procfs *procfs, const struct cgroupfs *cg,
		       pid_t self, uint64_t mem_total_kib)
{
	char self_path[MEMCG_LIMIT_PATH_MAX], esc[ESC_PATH_SIZE];
	char how[HOW_SIZE];
	int r;

	if (cg->root_fd < 0) {
		snprintf(c->why, sizeof(c->why), "the machine (no cgroup v2 hierarchy)");
		return;
	}
	r = memcg_read_self_path(procfs, self_path, sizeof(self_path));
	if (r < 0) {
		snprintf(c->why, sizeof(c->why), "the machine (oomguard's own cgroup v2 path is "
			 "unknown: %s)", strerror(-r));
		return;
	}
	log_escape(esc, sizeof(esc), self_path);
	r = memcg_read_limit(cg, self_path, self, mem_total_kib, &c->limit);
	if (r < 0) {
		snprintf(c->why, sizeof(c->why), "the machine (oomguard's own cgroup %s %s)", esc,
			 r == -ENOENT ? "is not in this cgroup tree (a mount of another cgroup "
					"namespace?)"
				      : r == -EINVAL ? "cannot be walked" : strerror(-r));
		return;
	}
	if (c->limit.max == MEMCG_UNLIMITED) {
		snprintf(c->why, sizeof(c->why), "the machine (no memory limit below RAM on "
			 "oomguard's cgroup %s or above)", esc);
		return;
	}
	snprintf(c->subtree, sizeof(c->subtree), "%s", c->limit.path);
	if (c->limit.skipped)
		snprintf(how, sizeof(how), "the tightest limit on oomguard's own cgroup path %s (%u "
			 "cgroup%s holding only oomguard left out)", esc, c->limit.skipped,
			 c->limit.skipped == 1 ? "" : "s");
	else
		snprintf(how, sizeof(how), "the tightest limit on oomguard's own cgroup path %s", esc);
	describe_cgroup(c, how);
	c->on = true;
}

int container_choose(struct container *c, const struct config *cfg, const struct procfs *procfs,
		     const struct cgroupfs *cg, pid_t self, uint64_t mem_total_kib, char *err,
		     size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->limit.max = c->limit.swap_max = c->limit.swap_limit = MEMCG_UNLIMITED;
	err[0] = '\0';
	read_swappiness(c, procfs);
	if (cfg->no_cgroup) {
		snprintf(c->why, sizeof(c->why), "the machine (--no-cgroup)");
		return 0;
	}
	if (cfg->cgroup_path[0])
		return choose_given(c, cfg, cg, mem_total_kib, err, errlen);
	choose_own(c, procfs, cg, self, mem_total_kib);
	return 0;
}
