#include "acquire/memcg.h"

#include <errno.h>
#include <string.h>

#include "parse/memcg.h"
#include "parse/memevents.h"
#include "parse/pidinfo.h"
#include "parse/strutil.h"

/* A one-value file: "max" or up to 20 digits, and a newline. */
#define VALUE_BUF_SIZE 32
/* memory.stat is read through this, a line at a time: a line is a key of
 * under 40 bytes and a number, and 6.x kernels print 40 to 60 of them
 * (1.2-1.8 KiB), so 4 KiB takes the file in one read, every sample, where
 * a line-sized buffer took a dozen. */
#define STAT_BUF_SIZE 4096
/* cgroup.stat: two or three short lines. */
#define CGROUP_STAT_BUF_SIZE 256
/* self/cgroup: as scope.c reads it, hybrid systems list a dozen v1 lines
 * before the "0::" one. */
#define SELF_CGROUP_BUF_SIZE 8192

/* A one-value file kept open, into buf (VALUE_BUF_SIZE). Returns 0,
 * -EINVAL (longer than a value), or -errno. */
static int read_value_fd(int fd, char *buf)
{
	long n = procfs_read_fd(fd, buf, VALUE_BUF_SIZE);

	if (n == -EFBIG)
		return -EINVAL;
	return n < 0 ? (int)n : 0;
}

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

/* A kept limit file; fd -1 (not there) is unlimited. */
static int read_limit_fd(int fd, uint64_t *bytes)
{
	char buf[VALUE_BUF_SIZE];
	int r;

	if (fd < 0) {
		*bytes = MEMCG_UNLIMITED;
		return 0;
	}
	r = read_value_fd(fd, buf);
	return r < 0 ? r : memcg_parse_limit(buf, bytes);
}

static int read_number_fd(int fd, uint64_t *value)
{
	char buf[VALUE_BUF_SIZE];
	int r = read_value_fd(fd, buf);

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
static int read_stat_fd(int fd, struct memcg_stat *st)
{
	char buf[STAT_BUF_SIZE];
	struct stat_read s = { .st = st };
	int r;

	memcg_stat_begin(st, &s.seen);
	r = procfs_read_lines(fd, buf, sizeof(buf), stat_line, &s);
	return r < 0 ? r : memcg_stat_end(s.seen);
}

void memcg_files_close(struct memcg_files *f)
{
	procfs_closep(&f->max_fd);
	procfs_closep(&f->current_fd);
	procfs_closep(&f->high_fd);
	procfs_closep(&f->stat_fd);
	procfs_closep(&f->swap_max_fd);
	procfs_closep(&f->swap_current_fd);
	procfs_closep(&f->events_fd);
}

/* Open name in dir_fd into *fd; a missing optional file leaves it -1.
 * Returns 0 or -errno. */
static int open_member(int dir_fd, const char *name, bool optional, int *fd)
{
	int r = procfs_open_file(dir_fd, name, fd);

	if (r == -ENOENT && optional) {
		*fd = -1;
		return 0;
	}
	return r;
}

int memcg_files_open(struct memcg_files *f, const struct cgroupfs *cg, const char *path)
{
	_cleanup_close_ int dir_fd = -1;
	int r;

	*f = (struct memcg_files)MEMCG_FILES_INIT;
	r = cgroupfs_open_dir(cg, path, &dir_fd);
	if (r < 0)
		return r;
	if ((r = open_member(dir_fd, "memory.max", false, &f->max_fd)) < 0 ||
	    (r = open_member(dir_fd, "memory.current", false, &f->current_fd)) < 0 ||
	    (r = open_member(dir_fd, "memory.stat", false, &f->stat_fd)) < 0 ||
	    (r = open_member(dir_fd, "memory.high", true, &f->high_fd)) < 0 ||
	    (r = open_member(dir_fd, "memory.events", true, &f->events_fd)) < 0 ||
	    (r = open_member(dir_fd, "memory.swap.max", true, &f->swap_max_fd)) < 0)
		goto fail;
	/* Swap accounting is both files or neither. */
	if (f->swap_max_fd >= 0 &&
	    (r = open_member(dir_fd, "memory.swap.current", false, &f->swap_current_fd)) < 0)
		goto fail;
	return 0;
fail:
	memcg_files_close(f);
	return r;
}

int memcg_files_read(const struct memcg_files *f, struct memcg_sample *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = read_limit_fd(f->max_fd, &out->max)) < 0 ||
	    (r = read_number_fd(f->current_fd, &out->current)) < 0 ||
	    (r = read_limit_fd(f->high_fd, &out->high)) < 0 ||
	    (r = read_stat_fd(f->stat_fd, &out->stat)) < 0)
		return r;
	/* No swap accounting (swapaccount=0, CONFIG_MEMCG_SWAP off): the
	 * kernel's swap.max is then "max" too. */
	out->swap_max = MEMCG_UNLIMITED;
	if (f->swap_max_fd < 0)
		return 0;
	if ((r = read_limit_fd(f->swap_max_fd, &out->swap_max)) < 0 ||
	    (r = read_number_fd(f->swap_current_fd, &out->swap_current)) < 0)
		return r;
	out->have_swap = true;
	return 0;
}

int memcg_files_read_current(const struct memcg_files *f, uint64_t *bytes)
{
	return read_number_fd(f->current_fd, bytes);
}

int memcg_files_read_oom_kill(const struct memcg_files *f, uint64_t *kills)
{
	/* memory.events: six short lines (~80 bytes). */
	char buf[256];
	long n;

	if (f->events_fd < 0)
		return -ENOENT;
	n = procfs_read_fd(f->events_fd, buf, sizeof(buf));
	if (n < 0)
		return n == -EFBIG ? -EINVAL : (int)n;
	return memevents_parse_oom_kill(buf, kills);
}

int memcg_read_sample(const struct cgroupfs *cg, const char *path, struct memcg_sample *out)
{
	struct memcg_files f;
	int r = memcg_files_open(&f, cg, path);

	if (r < 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	r = memcg_files_read(&f, out);
	memcg_files_close(&f);
	return r;
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

int memcg_read_limit_at(const struct cgroupfs *cg, const char *path, uint64_t mem_total_kib,
			struct memcg_limit *out)
{
	struct level_read lr = { .cg = cg, .self = 0 };

	return memcg_find_limit_at(path, mem_total_kib * 1024, read_level, &lr, out);
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
