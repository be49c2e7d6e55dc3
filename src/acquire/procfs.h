/* The I/O seam: every read of /proc (or of a fixture tree standing in for it)
 * goes through a directory descriptor, so tests point it at tests/fixtures. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>

struct procfs {
	int root_fd;	/* O_DIRECTORY descriptor of /proc or a fixture root */
};

#define PROCFS_INIT { .root_fd = -1 }

/* Open path as the procfs root. Returns 0 or -errno. */
int procfs_open(struct procfs *procfs, const char *path);

/* Is the root a proc mount (not a fixture tree or another filesystem)?
 * Returns true or false. */
bool procfs_is_proc(const struct procfs *procfs);

/* Is the root the live procfs of our own pid namespace (a proc mount whose
 * "self" is our pid)? Killing needs this: pids read from any other tree
 * would name unrelated processes here. Returns 0, -ENOTSUP (not a procfs)
 * or -EXDEV (another pid namespace's procfs). */
int procfs_check_live(const struct procfs *procfs);

/* Close the root; safe on a procfs that was never opened. */
void procfs_close(struct procfs *procfs);

/* Open path (relative to dirfd) read-only, close-on-exec and non-blocking,
 * into *fd. Only a regular file is accepted (all of procfs's are): a FIFO
 * or device in a fixture tree would block. Returns 0, -EINVAL (not a
 * regular file) or -errno. */
int procfs_open_file(int dirfd, const char *path, int *fd);

/* Read the whole file behind fd from offset 0 into buf and NUL-terminate it.
 * Returns the length (>= 0), -EFBIG when the file did not fit (buf then holds
 * the truncated start), or -errno. Uses pread, so a descriptor kept open is
 * re-read without seeking. */
long procfs_read_fd(int fd, char *buf, size_t size);

/* openat + procfs_read_fd + close. Returns as procfs_read_fd. */
long procfs_read_file(int dirfd, const char *path, char *buf, size_t size);

/* Called with each line of a file, its '\n' replaced by a NUL. Returns 0
 * to go on, or a negative value that ends the read and is returned. */
typedef int (*procfs_line_fn)(const char *line, void *ctx);

/* Read the file behind fd from offset 0 through buf (size bytes, reused for
 * every piece) and hand each line to fn, so a file of any length is read
 * without a buffer of its length. A line longer than size - 1 bytes is
 * handed over cut to its first size - 1 bytes, the rest skipped. Returns
 * 0, fn's negative value, or -errno. */
int procfs_read_lines(int fd, char *buf, size_t size, procfs_line_fn fn, void *ctx);

/* Close *fd if open and set it to -1; for __attribute__((cleanup)). */
/* Called by procfs_each_pid for an entry named like a pid: 0 goes on, a
 * positive value stops the walk and is its result. */
typedef int (*procfs_pid_fn)(pid_t pid, const char *name, void *ctx);

/* Walk directory dir_fd from its start (a procfs root, or a PID/task) with
 * getdents64 through dents (any size, 8-byte aligned: the kernel's dirent64
 * records land there; nothing is allocated), calling fn for each entry named
 * like a pid (digits, no leading zero, at most INT32_MAX). Returns 0, fn's
 * positive value, or -errno of reading the directory. */
int procfs_each_pid(int dir_fd, char *dents, size_t size, procfs_pid_fn fn, void *ctx);

void procfs_closep(int *fd);

#define _cleanup_close_ __attribute__((cleanup(procfs_closep)))
