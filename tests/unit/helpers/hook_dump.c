/* A hook for tests: records what it was started with next to where it was
 * exec'd from (argv[0] is the path oomguard ran: a symlink the test made in
 * its temporary directory), then exits with status 0.
 *   ARGV0.env     the environment, each "KEY=value" followed by a NUL
 *   ARGV0.status  a copy of /proc/self/status (Cap*, NoNewPrivs, Sig*)
 *   ARGV0.misc    "argc=N sid=S pid=P adj=A fds=0,1,2" and argv[0]
 * Each file is written under a temporary name and renamed, so a reader
 * never sees half of one. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void publish(const char *argv0, const char *suffix, const char *data, size_t len)
{
	char tmp[4096], dst[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s%s.tmp", argv0, suffix);
	snprintf(dst, sizeof(dst), "%s%s", argv0, suffix);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		exit(10);
	if (write(fd, data, len) != (ssize_t)len)
		exit(11);
	close(fd);
	if (rename(tmp, dst) < 0)
		exit(12);
}

int main(int argc, char **argv)
{
	static char buf[65536];
	size_t len = 0;
	char adj[32] = "";
	DIR *dir;
	struct dirent *de;
	int fd;
	ssize_t n;

	for (char **e = environ; *e; e++) {
		size_t l = strlen(*e) + 1;

		if (len + l > sizeof(buf))
			return 13;
		memcpy(buf + len, *e, l);
		len += l;
	}
	publish(argv[0], ".env", buf, len);

	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 14;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return 15;
	publish(argv[0], ".status", buf, (size_t)n);

	fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, adj, sizeof(adj) - 1);
		adj[n > 0 ? n - 1 : 0] = '\0';	/* drop the newline */
		close(fd);
	}
	len = (size_t)snprintf(buf, sizeof(buf), "argc=%d sid=%d pid=%d adj=%s fds=", argc,
			       (int)getsid(0), (int)getpid(), adj);
	dir = opendir("/proc/self/fd");
	if (!dir)
		return 16;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(dir))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s,", de->d_name);
	}
	closedir(dir);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\nargv0=%s\n", argv[0]);
	publish(argv[0], ".misc", buf, len);
	return 0;
}
