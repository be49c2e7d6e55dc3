#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int procfs_open(struct procfs *procfs, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	procfs->root_fd = fd;
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
	int r = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (r < 0)
		return -errno;
	*fd = r;
	return 0;
}

long procfs_read_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -EINVAL;
	/* seq_file hands out at most a page per read, so loop until EOF. */
	while (len < size - 1) {
		ssize_t n = pread(fd, buf + len, size - 1 - len, (off_t)len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf[len] = '\0';
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
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

long procfs_read_file(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	int r = procfs_open_file(dirfd, path, &fd);

	if (r < 0)
		return r;
	return procfs_read_fd(fd, buf, size);
}
