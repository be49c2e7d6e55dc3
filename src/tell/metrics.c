#define _GNU_SOURCE	/* O_TMPFILE, AT_EMPTY_PATH */
#include "tell/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decide/decide.h"
#include "log.h"

static int put(char *buf, size_t len, size_t *o, const char *name, const char *help,
	       const char *type, const char *labels, unsigned long long value, unsigned scale_dec)
{
	int n;

	if (help)
		n = snprintf(buf + *o, len - *o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	else
		n = 0;
	if (n < 0 || (size_t)n >= len - *o)
		return -ENOSPC;
	*o += (size_t)n;
	/* scale_dec: the value is in 1/10^scale_dec units (e.g. centi-percent). */
	if (scale_dec == 2)
		n = snprintf(buf + *o, len - *o, "%s%s %llu.%02llu\n", name, labels, value / 100, value % 100);
	else if (scale_dec == 3)
		n = snprintf(buf + *o, len - *o, "%s%s %llu.%03llu\n", name, labels, value / 1000,
			     value % 1000);
	else if (scale_dec == 6)
		n = snprintf(buf + *o, len - *o, "%s%s %llu.%06llu\n", name, labels, value / 1000000,
			     value % 1000000);
	else
		n = snprintf(buf + *o, len - *o, "%s%s %llu\n", name, labels, value);
	if (n < 0 || (size_t)n >= len - *o)
		return -ENOSPC;
	*o += (size_t)n;
	return 0;
}

void metrics_count_kill(struct metrics *m, enum reason reason, int sig, bool escalated)
{
	if ((unsigned)reason < METRICS_REASONS && (sig == SIGTERM || sig == SIGKILL))
		m->kills[reason][sig == SIGKILL]++;
	if (escalated)
		m->escalations++;
}

void metrics_count_warning(struct metrics *m, enum reason reason)
{
	if (reason == REASON_WARN_MEMORY || reason == REASON_WARN_PRESSURE)
		m->warnings[reason == REASON_WARN_PRESSURE]++;
}

long metrics_format(char *buf, size_t len, const struct sample *s, const struct capacity *cap,
		    const struct metrics *m)
{
	static const enum reason reasons[] = { REASON_FLOOR_TERM, REASON_FLOOR_KILL, REASON_PRESSURE };
	const struct pressure_reading *rd = s->n_pressure ? &s->pressure[0] : NULL;
	size_t o = 0;
	int r = 0;

	r |= put(buf, len, &o, "oomguard_mem_total_bytes", "MemTotal.", "gauge", "",
		 s->mi.mem_total_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_mem_available_bytes", "MemAvailable.", "gauge", "",
		 s->mi.mem_available_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_swap_total_bytes",
		 "Swap as the floors count it: disk swap, zram at the capacity RAM allows.", "gauge",
		 "", cap->swap_total_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_swap_free_bytes", "Free swap as the floors count it.",
		 "gauge", "", cap->swap_free_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_zram_mem_used_bytes", "RAM used by zram swap devices.",
		 "gauge", "", cap->zram_ram_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_zram_headroom_bytes",
		 "Data zram swap can still take, bounded by disksize and RAM.", "gauge", "",
		 cap->zram_headroom_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_zram_compression_ratio",
		 "zram data stored per byte of RAM (0: unknown).", "gauge", "", cap->zram_ratio_centi, 2);
	if (rd && rd->valid) {
		r |= put(buf, len, &o, "oomguard_memory_pressure_avg10_percent",
			 "Memory pressure (PSI) 10 s average.", "gauge", "{kind=\"some\"}",
			 rd->psi.some.avg10_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_pressure_avg10_percent", NULL, NULL,
			 "{kind=\"full\"}", rd->psi.full.avg10_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_stall_percent",
			 "Memory stall over the last window, exact (from PSI totals).", "gauge",
			 "{kind=\"some\"}", rd->some_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_stall_percent", NULL, NULL, "{kind=\"full\"}",
			 rd->full_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_stall_seconds_total",
			 "Total memory stall time (PSI).", "counter", "{kind=\"some\"}",
			 rd->psi.some.total_us, 6);
		r |= put(buf, len, &o, "oomguard_memory_stall_seconds_total", NULL, NULL,
			 "{kind=\"full\"}", rd->psi.full.total_us, 6);
	}
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		for (int k = 0; k < 2; k++) {
			char labels[96];

			snprintf(labels, sizeof(labels), "{reason=\"%s\",signal=\"%s\"}",
				 decide_reason_name(reasons[i]), k ? "SIGKILL" : "SIGTERM");
			r |= put(buf, len, &o, "oomguard_kills_total",
				 i == 0 && k == 0 ? "Processes oomguard killed, by reason and last signal."
						  : NULL,
				 "counter", labels, m->kills[reasons[i]][k], 0);
		}
	}
	r |= put(buf, len, &o, "oomguard_escalations_total",
		 "SIGKILLs sent after a SIGTERM that was not enough.", "counter", "", m->escalations, 0);
	for (unsigned i = 0; i < 2; i++) {
		char labels[64];

		snprintf(labels, sizeof(labels), "{reason=\"%s\"}",
			 decide_reason_name(i ? REASON_WARN_PRESSURE : REASON_WARN_MEMORY));
		r |= put(buf, len, &o, "oomguard_warnings_total",
			 i == 0 ? "Warnings that memory is running out (--warn-*), by reason." : NULL,
			 i == 0 ? "counter" : NULL, labels, m->warnings[i], 0);
	}
	if (s->have_vmstat && s->vm.have_oom_kill)
		r |= put(buf, len, &o, "oomguard_kernel_oom_kills_total",
			 "The kernel's own OOM kills since boot (oom_kill in /proc/vmstat).", "counter",
			 "", s->vm.oom_kill, 0);
	r |= put(buf, len, &o, "oomguard_poll_interval_seconds", "Current poll interval.", "gauge", "",
		 m->interval_ms, 3);
	return r ? -ENOSPC : (long)o;
}

/* ---- the file ------------------------------------------------------------ */

/* Temporary names are NAME.XXXXXXXX.tmp: not *.prom, so the textfile
 * collector skips one left behind by a crash. */
#define TMP_SUFFIX_LEN (1 + 8 + 4)
/* Attempts at a free random name before giving up: a clash means someone
 * is guessing them, which a few tries cannot fix either. */
#define TMP_TRIES 8

/* Why the directory st is unsafe for a file another user must not forge
 * or replace (NULL: safe). Its owner and any user who may write it can
 * rename anything there, unless the sticky bit keeps each to their own. */
static const char *dir_unsafe(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "owned by another user";
	if (st->st_mode & S_ISVTX)
		return NULL;
	if (st->st_mode & S_IWOTH)
		return "writable by others without the sticky bit";
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && st->st_gid != getegid())
		return "writable by its group without the sticky bit";
	return NULL;
}

/* The directory part of m->path into dir (PATH_MAX bytes) and its last
 * component into m->name. Returns why the path cannot be used, or NULL. */
static const char *split_path(struct metrics *m, char *dir)
{
	const char *slash = strrchr(m->path, '/');
	size_t n = slash ? (size_t)(slash - m->path) : 0;

	m->name = slash ? slash + 1 : m->path;
	if (!*m->name || strcmp(m->name, ".") == 0 || strcmp(m->name, "..") == 0)
		return "not a file name";
	if (strlen(m->name) + TMP_SUFFIX_LEN > NAME_MAX || n >= PATH_MAX)
		return "name too long";
	if (!slash)
		n = (size_t)snprintf(dir, PATH_MAX, ".");
	else if (n == 0)
		n = (size_t)snprintf(dir, PATH_MAX, "/");
	else
		memcpy(dir, m->path, n);
	dir[n] = '\0';
	return NULL;
}

/* Open the directory of m->path and check it; set m->name. Returns 0,
 * -EPERM when it is refused (logged; m->refused set) or -errno. */
static int open_dir(struct metrics *m)
{
	char dir[PATH_MAX];
	const char *why = split_path(m, dir);
	struct stat st;
	int fd, r;

	if (why) {
		log_warn("--metrics-file %s: %s; metrics are off", m->path, why);
		m->refused = true;
		return -EPERM;
	}
	/* O_PATH: no read permission needed, and a FIFO is refused by
	 * O_DIRECTORY before it is opened. */
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	why = dir_unsafe(&st);
	if (why) {
		log_warn("--metrics-file %s: directory %s is %s; metrics are off (the directory must be "
			 "owned by root or by uid %u and not writable by others)",
			 m->path, dir, why, (unsigned)geteuid());
		close(fd);
		m->refused = true;
		return -EPERM;
	}
	m->dir_fd = fd;
	return 0;
}

/* True when m->path no longer leads to the directory held open (it was
 * removed, or replaced: a package reinstalled) or that directory has
 * become unsafe: then it is opened and checked again. */
static bool dir_changed(struct metrics *m)
{
	char dir[PATH_MAX];
	struct stat now, held;

	return split_path(m, dir) || stat(dir, &now) < 0 || fstat(m->dir_fd, &held) < 0 ||
	       now.st_dev != held.st_dev || now.st_ino != held.st_ino || dir_unsafe(&held);
}

int metrics_open(struct metrics *m, const char *path)
{
	int r;

	m->path = path;
	m->name = NULL;
	m->dir_fd = -1;
	m->refused = false;
	m->no_tmpfile = false;
	if (!path)
		return 0;
	r = open_dir(m);
	if (r < 0 && !m->refused)
		log_warn("--metrics-file %s: %s; trying again at each write", path, strerror(-r));
	return r;
}

void metrics_close(struct metrics *m)
{
	if (m->path && m->dir_fd >= 0)
		close(m->dir_fd);
	m->dir_fd = -1;
}

/* A fresh random temporary name into tmp (NAME_MAX + 1 bytes). Its
 * randomness only keeps others from squatting the names; O_EXCL and
 * linkat's EEXIST keep us from ever using one of theirs. */
static void tmp_name(struct metrics *m, char *tmp, size_t len)
{
	unsigned v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		struct timespec ts;

		/* Early boot: the pool is not ready, and we must not wait. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (unsigned)ts.tv_nsec ^ ((unsigned)getpid() << 12) ^ (++m->tmp_seq * 2654435761u);
	}
	snprintf(tmp, len, "%s.%08x.tmp", m->name, v);
}

/* Returns 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* buf in an unnamed file (O_TMPFILE), then linked as a fresh tmp. Returns
 * its open descriptor, -EOPNOTSUPP when this directory cannot do that, or
 * -errno; on error nothing was named. */
static int create_tmpfile(struct metrics *m, const char *buf, size_t len, char *tmp,
			  size_t tmp_len)
{
	char proc[32];
	int fd = openat(m->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	int r;

	/* EISDIR, EINVAL: a kernel without O_TMPFILE; EOPNOTSUPP: a
	 * filesystem without it. */
	if (fd < 0)
		return errno == EISDIR || errno == EINVAL ? -EOPNOTSUPP : -errno;
	r = write_all(fd, buf, len);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (unsigned tries = 1; r == 0; tries++) {
		tmp_name(m, tmp, tmp_len);
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, gone once
		 * capabilities are dropped; /proc/self/fd does not. */
		if (linkat(fd, "", m->dir_fd, tmp, AT_EMPTY_PATH) == 0 ||
		    (errno != EEXIST &&
		     linkat(AT_FDCWD, proc, m->dir_fd, tmp, AT_SYMLINK_FOLLOW) == 0))
			return fd;
		r = -errno;
		/* No /proc to name it through (the directory is there: the
		 * file was just made in it). */
		if (r == -ENOENT)
			r = -EOPNOTSUPP;
		if (r == -EEXIST && tries < TMP_TRIES)
			r = 0;
	}
	close(fd);
	return r;
}

/* buf in a new file with a fresh random name tmp, made with O_EXCL (never
 * an existing name, link or FIFO). Returns its open descriptor or -errno;
 * on error nothing was named. */
static int create_named(struct metrics *m, const char *buf, size_t len, char *tmp, size_t tmp_len)
{
	int fd = -EEXIST, r;

	for (unsigned tries = 0; fd == -EEXIST && tries < TMP_TRIES; tries++) {
		tmp_name(m, tmp, tmp_len);
		fd = openat(m->dir_fd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0)
		return fd;
	r = write_all(fd, buf, len);
	if (r < 0) {
		close(fd);
		unlinkat(m->dir_fd, tmp, 0);
		return r;
	}
	return fd;
}

int metrics_write(struct metrics *m, const char *buf, size_t len)
{
	char tmp[NAME_MAX + 1];
	int fd, r;

	if (!m->path || m->refused)
		return 0;
	if (m->dir_fd >= 0 && dir_changed(m))
		metrics_close(m);
	if (m->dir_fd < 0) {
		r = open_dir(m);
		if (r < 0)
			return m->refused ? 0 : r;
	}
	fd = m->no_tmpfile ? -EOPNOTSUPP : create_tmpfile(m, buf, len, tmp, sizeof(tmp));
	if (fd == -EOPNOTSUPP) {
		m->no_tmpfile = true;
		fd = create_named(m, buf, len, tmp, sizeof(tmp));
	}
	if (fd < 0)
		return fd;
	r = close(fd) < 0 ? -errno : 0;
	if (r == 0 && renameat(m->dir_fd, tmp, m->dir_fd, m->name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(m->dir_fd, tmp, 0);
	return r;
}
