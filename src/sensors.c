#include "sensors.h"

#include <errno.h>

int sensors_open(struct sensors *s, const struct procfs *procfs)
{
	int r;

	r = procfs_open_file(procfs->root_fd, "meminfo", &s->meminfo_fd);
	if (r < 0)
		return r;
	/* CONFIG_PSI=n, psi=0 or a pre-4.20 kernel: carry on with meminfo. */
	if (procfs_open_file(procfs->root_fd, "pressure/memory", &s->psi_fd) < 0)
		s->psi_fd = -1;
	return 0;
}

void sensors_close(struct sensors *s)
{
	procfs_closep(&s->meminfo_fd);
	procfs_closep(&s->psi_fd);
}

int sensors_read_meminfo(struct sensors *s, struct meminfo *mi, const char **bad_key)
{
	long n = procfs_read_fd(s->meminfo_fd, s->buf, sizeof(s->buf));

	*bad_key = "(file)";
	if (n < 0)
		return (int)n;
	return meminfo_parse(s->buf, mi, bad_key);
}

int sensors_read_psi(struct sensors *s, struct psi *psi)
{
	long n;

	if (s->psi_fd < 0)
		return -ENOENT;
	n = procfs_read_fd(s->psi_fd, s->buf, sizeof(s->buf));
	/* With psi=0 on the command line the file exists but reads fail with
	 * EOPNOTSUPP: treat it as absent. */
	if (n == -EOPNOTSUPP)
		return -ENOENT;
	if (n < 0)
		return (int)n;
	return psi_parse(s->buf, psi);
}
