#include "acquire/cgroupfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "acquire/procfs.h"

static bool fd_is_cgroup2(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroupfs_open(struct cgroupfs *cg, const char *path)
{
	static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

	if (path) {
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		cg->root_fd = fd;
		return 0;
	}
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		int fd = open(candidates[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (fd_is_cgroup2(fd)) {
			cg->root_fd = fd;
			return 0;
		}
		close(fd);
	}
	return -ENOENT;
}

bool cgroupfs_is_cgroup2(const struct cgroupfs *cg)
{
	return cg->root_fd >= 0 && fd_is_cgroup2(cg->root_fd);
}

int cgroupfs_open_dir(const struct cgroupfs *cg, const char *path, int *fd)
{
	int r;

	if (cg->root_fd < 0)
		return -EBADF;
	if (path[0] != '/')
		return -EINVAL;
	/* openat wants it relative to the root; "/" is the root itself.
	 * O_NOFOLLOW: cgroupfs has no symlinks, a fixture tree must not
	 * lead elsewhere through one. */
	r = openat(cg->root_fd, path[1] ? path + 1 : ".",
		   O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (r < 0)
		return -errno;
	*fd = r;
	return 0;
}

void cgroupfs_close(struct cgroupfs *cg)
{
	procfs_closep(&cg->root_fd);
}
