#include "acquire/memcg.h"

#include <errno.h>
#include <string.h>

#include "parse/memcg.h"
#include "parse/pidinfo.h"
#include "parse/strutil.h"

/* A one-value file: "max" or up to 20 digits, and a newline. */
#define VALUE_BUF_SIZE 32
/* memory.stat and cgroup.procs are read a line at a time through this; a
 * line is a key of under 40 bytes and a number, or a pid. */
#define LINE_BUF_SIZE 128
/* cgroup.stat: two or three short lines. */
#define CGROUP_STAT_BUF_SIZE 256
/* self/cgroup: as scope.c reads it, hybrid systems list a dozen v1 lines
 * before the "0::" one. */
#define SELF_CGROUP_BUF_SIZE 8192

/* Read the one-value file name in dir_fd into buf. Returns 0, -EINVAL
 * (longer than a value), or -errno (-ENOENT: not there). */
static int read_value(int dir_fd, const char *name, char *buf)
{
	long n = procfs_read_file(dir_fd, name, buf, VALUE_BUF_SIZE);

	if (n == -EFBIG)
		return -EINVAL;
	return n < 0 ? (int)n : 0;
}

/* memory.max, memory.high, memory.swap.max into *bytes; a missing one is
 * unlimited when missing_ok. Returns 0, -EINVAL or -errno. */
static int read_limit(int dir_fd, const char *name, bool missing_ok, uint64_t *bytes)
{
	char buf[VALUE_BUF_SIZE];
	int r = read_value(dir_fd, name, buf);

	if (r == -ENOENT && missing_ok) {
		*bytes = MEMCG_UNLIMITED;
		return 0;
	}
	return r < 0 ? r : memcg_parse_limit(buf, bytes);
}

static int read_number(int dir_fd, const char *name, uint64_t *value)
{
	char buf[VALUE_BUF_SIZE];
	int r = read_value(dir_fd, name, buf);

	return r < 0 ? r : memcg_parse_number(buf, value);
}

struct stat_read {
	struct memcg_stat *st;
	unsigned seen;
};

static int stat_line(const char *line, void *data)
{
	struct stat_read *s = data;

	return memcg_parse_stat_line(line, s->st, &s->seen);
}

/* memory.stat line by line: its length grows with every kernel. */
static int read_stat(int dir_fd, struct memcg_stat *st)
{
	char buf[LINE_BUF_SIZE];
	struct stat_read s = { .st = st };
	_cleanup_close_ int fd = -1;
	int r = procfs_open_file(dir_fd, "memory.stat", &fd);

	if (r < 0)
		return r;
	memcg_stat_begin(st, &s.seen);
	r = procfs_read_lines(fd, buf, sizeof(buf), stat_line, &s);
	return r < 0 ? r : memcg_stat_end(s.seen);
}

int memcg_read_sample(const struct cgroupfs *cg, const char *path, struct memcg_sample *out)
{
	_cleanup_close_ int dir_fd = -1;
	int r;

	memset(out, 0, sizeof(*out));
	r = cgroupfs_open_dir(cg, path, &dir_fd);
	if (r < 0)
		return r;
	if ((r = read_limit(dir_fd, "memory.max", false, &out->max)) < 0 ||
	    (r = read_number(dir_fd, "memory.current", &out->current)) < 0 ||
	    (r = read_limit(dir_fd, "memory.high", true, &out->high)) < 0 ||
	    (r = read_stat(dir_fd, &out->stat)) < 0)
		return r;
	r = read_limit(dir_fd, "memory.swap.max", false, &out->swap_max);
	if (r == -ENOENT) {
		/* No swap accounting (swapaccount=0, CONFIG_MEMCG_SWAP off):
		 * the kernel's swap.max is then "max" too. */
		out->swap_max = MEMCG_UNLIMITED;
		return 0;
	}
	if (r < 0 || (r = read_number(dir_fd, "memory.swap.current", &out->swap_current)) < 0)
		return r;
	out->have_swap = true;
	return 0;
}

struct procs_count {
	pid_t self;
	uint64_t others;
};

static int procs_line(const char *line, void *data)
{
	struct procs_count *c = data;
	const char *end;
	uint64_t pid;

	if (strutil_parse_u64(line, &end, INT32_MAX, &pid) < 0 || *end != '\0')
		return -EINVAL;
	if (pid != (uint64_t)c->self)
		c->others++;
	return 0;
}

/* How many processes but self are in the cgroup at dir_fd, and how many
 * live cgroups are below it. Returns 0, -EINVAL or -errno. */
static int read_members(int dir_fd, pid_t self, struct memcg_level *out)
{
	char buf[CGROUP_STAT_BUF_SIZE];
	struct procs_count c = { .self = self };
	_cleanup_close_ int fd = -1;
	long n;
	int r = procfs_open_file(dir_fd, "cgroup.procs", &fd);

	if (r < 0)
		return r;
	r = procfs_read_lines(fd, buf, sizeof(buf), procs_line, &c);
	if (r < 0)
		return r;
	out->n_procs = c.others;
	n = procfs_read_file(dir_fd, "cgroup.stat", buf, sizeof(buf));
	if (n < 0)
		return n == -EFBIG ? -EINVAL : (int)n;
	return memcg_parse_nr_descendants(buf, &out->nr_descendants);
}

struct level_read {
	const struct cgroupfs *cg;
	pid_t self;
};

/* memcg_find_limit's reader. */
static int read_level(const char *path, bool members, struct memcg_level *out, void *data)
{
	const struct level_read *lr = data;
	_cleanup_close_ int dir_fd = -1;
	int r = cgroupfs_open_dir(lr->cg, path, &dir_fd);

	if (r < 0)
		return r;
	/* No memory.max: no memory controller here, or the host's root. */
	if ((r = read_limit(dir_fd, "memory.max", true, &out->max)) < 0 ||
	    (r = read_limit(dir_fd, "memory.swap.max", true, &out->swap_max)) < 0)
		return r;
	return members ? read_members(dir_fd, lr->self, out) : 0;
}

int memcg_read_limit(const struct cgroupfs *cg, const char *self_path, pid_t self,
		     uint64_t mem_total_kib, struct memcg_limit *out)
{
	struct level_read lr = { .cg = cg, .self = self };

	return memcg_find_limit(self_path, mem_total_kib * 1024, read_level, &lr, out);
}

int memcg_read_self_path(const struct procfs *procfs, char *path, size_t size)
{
	char buf[SELF_CGROUP_BUF_SIZE];
	long n = procfs_read_file(procfs->root_fd, "self/cgroup", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return pidinfo_parse_cgroup_v2(buf, path, size);
}

int memcg_read_swappiness(const struct procfs *procfs, unsigned *swappiness)
{
	char buf[VALUE_BUF_SIZE];
	uint64_t v;
	int r = read_value(procfs->root_fd, "sys/vm/swappiness", buf);

	if (r < 0)
		return r;
	/* 0..100 before Linux 5.8, 0..200 since. */
	if (memcg_parse_number(buf, &v) < 0 || v > 200)
		return -EINVAL;
	*swappiness = (unsigned)v;
	return 0;
}
