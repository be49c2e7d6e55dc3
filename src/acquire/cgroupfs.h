/* The I/O seam for cgroup v2, as struct procfs is for /proc: every read of
 * /sys/fs/cgroup (or of a fixture tree standing in for it) goes through one
 * directory descriptor, so tests point it at tests/fixtures/cgroup-*. */
#pragma once

#include <stdbool.h>

struct cgroupfs {
	int root_fd;	/* O_DIRECTORY descriptor of the cgroup2 mount; -1: none */
};

#define CGROUPFS_INIT { .root_fd = -1 }

/* Open path as the cgroup root, whatever it is (a fixture tree); or, when
 * path is NULL, the cgroup2 mount: /sys/fs/cgroup, then
 * /sys/fs/cgroup/unified (hybrid systems, where /sys/fs/cgroup is a tmpfs
 * of v1 mounts), whichever is a cgroup2 filesystem. Returns 0, -errno when
 * path cannot be opened, or -ENOENT when no cgroup2 mount was found. */
int cgroupfs_open(struct cgroupfs *cg, const char *path);

/* Is the root a cgroup2 mount (not a fixture tree)? Returns true or false. */
bool cgroupfs_is_cgroup2(const struct cgroupfs *cg);

/* Open the cgroup directory at path ("/" first, as /proc/PID/cgroup shows
 * it; "/" is the root) relative to the root, into *fd. Returns 0, -ENOENT
 * when it is not there (removed meanwhile), -EBADF without a root, or
 * -errno. */
int cgroupfs_open_dir(const struct cgroupfs *cg, const char *path, int *fd);

/* Close the root; safe on a cgroupfs that was never opened. */
void cgroupfs_close(struct cgroupfs *cg);
