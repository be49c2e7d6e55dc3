#include "acquire/visibility.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Read one super option ("hidepid=invisible", "gid=4242") into m. */
static int parse_option(const char *opt, size_t len, struct visibility_mount *m)
{
	char value[32];
	char *end;

	if (len > 8 && strncmp(opt, "hidepid=", 8) == 0 && len - 8 < sizeof(value)) {
		memcpy(value, opt + 8, len - 8);
		value[len - 8] = '\0';
		snprintf(m->hidepid_text, sizeof(m->hidepid_text), "%s", value);
		if (strcmp(value, "off") == 0 || strcmp(value, "0") == 0)
			m->hidepid = 0;
		else if (strcmp(value, "noaccess") == 0 || strcmp(value, "1") == 0)
			m->hidepid = 1;
		else if (strcmp(value, "invisible") == 0 || strcmp(value, "2") == 0)
			m->hidepid = 2;
		else if (strcmp(value, "ptraceable") == 0 || strcmp(value, "4") == 0)
			m->hidepid = 4;
		else
			return -EINVAL;
	} else if (len > 4 && strncmp(opt, "gid=", 4) == 0 && len - 4 < sizeof(value)) {
		unsigned long gid;

		memcpy(value, opt + 4, len - 4);
		value[len - 4] = '\0';
		errno = 0;
		gid = strtoul(value, &end, 10);
		if (errno || *end || end == value || gid >= (gid_t)-1)
			return -EINVAL;
		m->has_gid = true;
		m->gid = (gid_t)gid;
	}
	return 0;
}

/* One mountinfo line, NUL-terminated, without its newline:
 * "ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER". */
static int parse_line(const char *line, unsigned dev_major, unsigned dev_minor,
		      struct visibility_mount *m)
{
	unsigned id, parent, major, minor;
	const char *sep, *super, *end;
	char type[16], source[64];
	int n = 0;

	if (sscanf(line, "%u %u %u:%u %n", &id, &parent, &major, &minor, &n) != 4 || n == 0)
		return 0;
	if (major != dev_major || minor != dev_minor)
		return 0;
	sep = strstr(line, " - ");
	if (!sep || sscanf(sep + 3, "%15s %63s %n", type, source, &n) != 2 || strcmp(type, "proc") != 0)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->found = true;
	for (super = sep + 3 + n; *super; super = *end ? end + 1 : end) {
		int r;

		end = super + strcspn(super, ",");
		r = parse_option(super, (size_t)(end - super), m);
		if (r < 0)
			return r;
	}
	return 0;
}

int visibility_parse_mountinfo(const char *text, unsigned dev_major, unsigned dev_minor,
			       struct visibility_mount *m)
{
	/* A line is far shorter than this: paths are escaped, options few. */
	char line[4096];

	memset(m, 0, sizeof(*m));
	while (*text) {
		size_t len = strcspn(text, "\n");
		int r;

		if (len < sizeof(line)) {
			memcpy(line, text, len);
			line[len] = '\0';
			r = parse_line(line, dev_major, dev_minor, m);
			if (r < 0)
				return r;
		}
		/* A later line for the same device (a remount) wins. */
		text += len;
		if (*text == '\n')
			text++;
	}
	return 0;
}

int visibility_read_mount(const struct procfs *procfs, struct visibility_mount *m)
{
	/* Once, at start-up: a few hundred mounts in a container fit. */
	static char buf[256 * 1024];
	struct stat st;
	long n;

	memset(m, 0, sizeof(*m));
	if (fstat(procfs->root_fd, &st) < 0)
		return -errno;
	n = procfs_read_file(procfs->root_fd, "self/mountinfo", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return visibility_parse_mountinfo(buf, major(st.st_dev), minor(st.st_dev), m);
}

static int count_visit(pid_t pid, const char *name, void *ctx)
{
	(*(unsigned *)ctx)++;
	return 0;
}

int visibility_count_pids(const struct procfs *procfs, unsigned *count)
{
	char dents[4096] __attribute__((aligned(8)));
	_cleanup_close_ int fd = openat(procfs->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*count = 0;
	return procfs_each_pid(fd, dents, sizeof(dents), count_visit, count);
}

bool visibility_hides_others(const struct visibility_mount *m)
{
	gid_t groups[256];
	int n;

	if (!m->found || m->hidepid == 0)
		return false;
	if (!m->has_gid)
		return true;
	if (getegid() == m->gid)
		return false;
	n = getgroups(sizeof(groups) / sizeof(groups[0]), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == m->gid)
			return false;
	return true;
}
