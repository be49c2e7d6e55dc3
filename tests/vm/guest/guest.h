/* What the guest's C programs (supervise, cgwatch) share: one line to the
 * serial port in one write, a small file read whole, a number after a key,
 * and staying alive through the memory shortage they watch. Header-only: each program is built alone, static, by lib-vm.sh. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* One line, one write: keeps lines whole on the serial port. */
__attribute__((format(printf, 1, 2)))
static void emit(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = (int)sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t ignored = write(STDOUT_FILENO, line, (size_t)len);
	(void)ignored;
}

/* Reads the small file name (relative to dir_fd, or AT_FDCWD) whole into
 * buf, NUL-terminated; returns its length or -1. */
static ssize_t read_at(int dir_fd, const char *name, char *buf, size_t size)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return len;
}

/* The number after KEY and blanks at a line start ("MemAvailable:  123 kB",
 * "VmRSS:\t 5 kB", "oom_kill 0"; "oom" is not "oom_kill"), or -1 when the
 * key is missing. */
static long long field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t'))
			return strtoll(p + klen, NULL, 10);
	}
	return -1;
}

/* The watcher must outlive what it watches: out of the kernel's reach
 * (oom_score_adj -1000) and never paged out. name prefixes the one line
 * said when mlockall fails (the run goes on). */
static void protect_self(const char *name)
{
	int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (adj >= 0) {
		ssize_t ignored = write(adj, "-1000", 5);
		(void)ignored;
		close(adj);
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		fprintf(stderr, "%s: mlockall: %s (going on)\n", name, strerror(errno));
}
