#include "acquire/oomwatch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acquire/procfs.h"
#include "parse/memevents.h"

struct walk {
	struct memcg_oom_table *t;
	unsigned dirs;
	bool saw_local, saw_hierarchical;
};

/* memory.events is a few short lines; 512 bytes hold them. */
#define EVENTS_BUF_SIZE 512

/* Note the cgroup at dir_fd (path for the report) when it shows kills. */
static void note_cgroup(struct walk *w, int dir_fd, const char *path)
{
	char buf[EVENTS_BUF_SIZE];
	uint64_t kills;
	struct stat st;
	long n = procfs_read_file(dir_fd, "memory.events.local", buf, sizeof(buf));

	if (n >= 0) {
		w->saw_local = true;
	} else {
		n = procfs_read_file(dir_fd, "memory.events", buf, sizeof(buf));
		if (n < 0)
			return;	/* the root, or no memory controller here */
		w->saw_hierarchical = true;
	}
	if (memevents_parse_oom_kill(buf, &kills) < 0 || kills == 0 || fstat(dir_fd, &st) < 0)
		return;
	if (w->t->n >= MEMCG_OOM_MAX) {
		w->t->truncated = true;
		return;
	}
	w->t->e[w->t->n].ino = st.st_ino;
	w->t->e[w->t->n].kills = kills;
	snprintf(w->t->e[w->t->n].path, MEMCG_PATH_MAX, "%s", path);
	w->t->n++;
}

/* Note dir_fd, then walk its subdirectories; takes dir_fd over. */
static void walk_dir(struct walk *w, int dir_fd, char *path, size_t len, unsigned depth)
{
	DIR *d;
	struct dirent *de;

	note_cgroup(w, dir_fd, len ? path : "/");
	if (depth >= OOMWATCH_MAX_DEPTH) {
		w->t->truncated = true;
		close(dir_fd);
		return;
	}
	d = fdopendir(dir_fd);
	if (!d) {
		close(dir_fd);
		return;
	}
	while ((de = readdir(d))) {
		size_t name_len = strlen(de->d_name);
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (++w->dirs > OOMWATCH_MAX_DIRS || len + 1 + name_len >= OOMWATCH_PATH_MAX) {
			w->t->truncated = true;
			continue;
		}
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;	/* removed meanwhile */
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, name_len + 1);
		walk_dir(w, fd, path, len + 1 + name_len, depth + 1);
		path[len] = '\0';
	}
	closedir(d);
}

int oomwatch_walk(int root_fd, struct memcg_oom_table *t)
{
	char path[OOMWATCH_PATH_MAX];
	struct walk w = { .t = t };
	int fd;

	memset(t, 0, sizeof(*t));
	if (root_fd < 0)
		return 0;
	fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	path[0] = '\0';
	walk_dir(&w, fd, path, 0, 0);
	t->valid = true;
	/* A mix means a tree (a fixture) in between: hierarchical counts are
	 * the safer reading, since they never name an ancestor twice. */
	t->local = w.saw_local && !w.saw_hierarchical;
	return 0;
}
