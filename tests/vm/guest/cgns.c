/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgns: run a program in a new cgroup namespace rooted at the caller's
 * cgroup, as a container runtime on cgroup v2 does (LXC, Docker with its
 * default cgroupns=private, Kubernetes), for scenario cgroup-namespace.
 * Busybox's unshare has no -C.
 *
 *   cgns [-m CGROUP] [-s CONTROLLERS] PROGRAM [ARGS...]
 *
 * 1. unshare(CLONE_NEWCGROUP | CLONE_NEWNS): the cgroup the caller is in
 *    now becomes the namespace's root "/" (the caller must be in the
 *    cgroup to be the container, e.g. /box, before that cgroup enables a
 *    controller below it: cgroup v2 allows no process in such a cgroup);
 * 2. makes every mount private to the new mount namespace, detaches the
 *    inherited /sys/fs/cgroup and mounts a fresh cgroup2 there, whose root
 *    is then the namespace's root, as a container sees it;
 * 3. -m CGROUP: moves itself into CGROUP, a path inside the namespace
 *    ("/guard"), as a container's init moves itself into a leaf;
 * 4. -s CONTROLLERS: writes CONTROLLERS ("+memory") to the namespace
 *    root's cgroup.subtree_control, now that the root holds no process;
 * 5. prints one line to stderr (its cgroup before and after, as
 *    /proc/self/cgroup shows them) and execs PROGRAM.
 *
 * Exits 125 when a step fails, saying which. Runs only inside the test VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define CGROUP_MOUNT "/sys/fs/cgroup"
/* /proc/self/cgroup on a cgroup v2 only system: one line, "0::PATH". */
#define CGROUP_LINE_LEN 512

__attribute__((noreturn))
static void die(const char *what)
{
	fprintf(stderr, "cgns: %s: %s\n", what, strerror(errno));
	exit(125);
}

/* The cgroup v2 path of /proc/self/cgroup's "0::" line, in the reader's
 * cgroup namespace, into buf (NUL-terminated, newline cut). */
static void self_cgroup(char *buf, size_t size)
{
	char text[CGROUP_LINE_LEN * 4];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t len;

	snprintf(buf, size, "?");
	if (fd < 0)
		return;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len <= 0)
		return;
	text[len] = '\0';
	for (char *line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, "0::", 3) == 0) {
			size_t n = strcspn(line + 3, "\n");

			snprintf(buf, size, "%.*s", (int)n, line + 3);
			return;
		}
	}
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die(path);
	if (write(fd, text, strlen(text)) < 0)
		die(path);
	close(fd);
}

int main(int argc, char **argv)
{
	const char *move_to = NULL, *controllers = NULL;
	char before[CGROUP_LINE_LEN], after[CGROUP_LINE_LEN], path[CGROUP_LINE_LEN + 64];
	int opt;

	/* "+": options end at PROGRAM, whose own flags are its own. */
	while ((opt = getopt(argc, argv, "+m:s:")) != -1) {
		switch (opt) {
		case 'm': move_to = optarg; break;
		case 's': controllers = optarg; break;
		default:
			fprintf(stderr, "usage: cgns [-m CGROUP] [-s CONTROLLERS] PROGRAM [ARGS...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: cgns [-m CGROUP] [-s CONTROLLERS] PROGRAM [ARGS...]\n");
		return 2;
	}
	if (move_to && move_to[0] != '/') {
		fprintf(stderr, "cgns: -m %s: a path inside the namespace starts with '/'\n", move_to);
		return 2;
	}

	self_cgroup(before, sizeof(before));
	if (unshare(CLONE_NEWCGROUP | CLONE_NEWNS) != 0)
		die("unshare(CLONE_NEWCGROUP | CLONE_NEWNS)");
	/* Otherwise a shared / would carry the mounts below back out. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		die("making / private");
	/* The inherited mount shows the host's tree; EINVAL: none there. */
	if (umount2(CGROUP_MOUNT, MNT_DETACH) != 0 && errno != EINVAL)
		die("umount " CGROUP_MOUNT);
	if (mount("cgroup2", CGROUP_MOUNT, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		die("mount -t cgroup2 " CGROUP_MOUNT);
	if (move_to) {
		/* "0" moves the writer. */
		snprintf(path, sizeof(path), CGROUP_MOUNT "%s/cgroup.procs", move_to);
		write_file(path, "0");
	}
	if (controllers)
		write_file(CGROUP_MOUNT "/cgroup.subtree_control", controllers);
	self_cgroup(after, sizeof(after));
	fprintf(stderr, "cgns: new cgroup namespace rooted at %s (the cgroup it was in); "
		"/proc/self/cgroup now reads 0::%s; cgroup2 mounted fresh on " CGROUP_MOUNT "%s%s\n",
		before, after, controllers ? "; subtree_control " : "", controllers ? controllers : "");
	execv(argv[optind], argv + optind);
	die(argv[optind]);
}
