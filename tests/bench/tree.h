/* What the benchmarks share to generate procfs trees: no Criterion here,
 * a failed write ends the benchmark. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write text to dir/name, or exit 1 saying why. */
static inline void put(const char *dir, const char *name, const char *text)
{
	/* dir is at most 512 bytes in the generators; the name is short. */
	char path[1100];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) < 0) {
		perror(path);
		exit(1);
	}
	close(fd);
}
