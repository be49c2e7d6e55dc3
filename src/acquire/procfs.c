#include "acquire/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0

/* The kernel's dirent64 layout; glibc only declares it with _GNU_SOURCE
 * in <dirent.h> for getdents64(), so spell it out. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* "1234" -> 1234; 0 for anything that is not a pid's name. */
static pid_t pid_of_name(const char *name)
{
	uint64_t pid = 0;

	if (*name < '1' || *name > '9')
		return 0;
	for (; *name; name++) {
		if (*name < '0' || *name > '9')
			return 0;
		pid = pid * 10 + (uint64_t)(*name - '0');
		if (pid > INT32_MAX)
			return 0;
	}
	return (pid_t)pid;
}

int procfs_each_pid(int dir_fd, char *dents, size_t size, procfs_pid_fn fn, void *ctx)
{
	if (lseek(dir_fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		long nread = syscall(SYS_getdents64, dir_fd, dents, size);

		if (nread < 0)
			return -errno;
		if (nread == 0)
			return 0;
		for (long off = 0; off < nread;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(void *)(dents + off);
			pid_t pid = pid_of_name(d->d_name);
			int r;

			off += d->d_reclen;
			if (pid && (r = fn(pid, d->d_name, ctx)) > 0)
				return r;
		}
	}
}

int procfs_open(struct procfs *procfs, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	procfs->root_fd = fd;
	return 0;
}

bool procfs_is_proc(const struct procfs *procfs)
{
	struct statfs st;

	return fstatfs(procfs->root_fd, &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

int procfs_check_live(const struct procfs *procfs)
{
	char link[32];
	ssize_t n;

	if (!procfs_is_proc(procfs))
		return -ENOTSUP;
	n = readlinkat(procfs->root_fd, "self", link, sizeof(link) - 1);
	if (n <= 0)
		return -EXDEV;
	link[n] = '\0';
	if (strtol(link, NULL, 10) != (long)getpid())
		return -EXDEV;
	return 0;
}

void procfs_close(struct procfs *procfs)
{
	procfs_closep(&procfs->root_fd);
}

void procfs_closep(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

int procfs_open_file(int dirfd, const char *path, int *fd)
{
	/* O_NONBLOCK: a FIFO (or a device) put in a --procfs tree in place of
	 * a file must not hang the open (a FIFO waits for a writer) nor the
	 * reads. Every file of procfs and sysfs is regular, and O_NONBLOCK
	 * changes nothing for those. */
	int r = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (r < 0)
		return -errno;
	if (fstat(r, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(r);
		return -EINVAL;
	}
	*fd = r;
	return 0;
}

long procfs_read_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -EINVAL;
	while (len < size - 1) {
		size_t want = size - 1 - len;
		ssize_t n = pread(fd, buf + len, want, (off_t)len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf[len] = '\0';
			return -errno;
		}
		len += (size_t)n;
		/* A short read is the end of the file: procfs builds a whole
		 * seq_file on the first read, and asking again at an offset
		 * makes it build everything once more just to skip it. */
		if ((size_t)n < want)
			break;
	}
	buf[len] = '\0';
	if (len == size - 1) {
		char probe;
		ssize_t n = pread(fd, &probe, 1, (off_t)len);

		if (n > 0)
			return -EFBIG;
	}
	return (long)len;
}

int procfs_read_lines(int fd, char *buf, size_t size, procfs_line_fn fn, void *ctx)
{
	size_t have = 0;	/* the start of an unfinished line, at buf[0] */
	bool skipping = false;	/* in a line too long for buf, its start handed over */
	off_t off = 0;

	if (size < 2)
		return -EINVAL;
	for (;;) {
		size_t want = size - 1 - have;
		ssize_t n = pread(fd, buf + have, want, off);
		char *line = buf, *end, *nl;
		bool eof;
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += n;
		/* A short read is the end, as in procfs_read_fd(). Reading on
		 * at the offset where the last read stopped lets a seq_file
		 * go on from the text it built, not build it again. */
		eof = (size_t)n < want;
		end = buf + have + n;
		*end = '\0';
		while ((nl = memchr(line, '\n', (size_t)(end - line)))) {
			*nl = '\0';
			if (!skipping && (r = fn(line, ctx)) < 0)
				return r;
			skipping = false;
			line = nl + 1;
		}
		have = (size_t)(end - line);
		if (eof) {
			r = have > 0 && !skipping ? fn(line, ctx) : 0;
			return r < 0 ? r : 0;
		}
		if (line == buf) {
			/* No newline in a full buffer: hand over the start of
			 * the line, skip the rest of it. */
			if (!skipping && (r = fn(buf, ctx)) < 0)
				return r;
			skipping = true;
			have = 0;
		} else {
			memmove(buf, line, have);
		}
	}
}

long procfs_read_file(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	int r = procfs_open_file(dirfd, path, &fd);

	if (r < 0)
		return r;
	return procfs_read_fd(fd, buf, size);
}
