#include "acquire/trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Try one "<some|full> <stall us> <window us>" trigger. Returns 0 or -errno. */
static int try_trigger(struct trigger *t, int dir_fd, const char *path, const char *metric,
		       uint32_t centi, unsigned window_us)
{
	unsigned stall_us = (unsigned)((uint64_t)window_us * centi / 10000);
	int fd;

	if (stall_us == 0)
		stall_us = 1;
	snprintf(t->spec, sizeof(t->spec), "%s %u %u", metric, stall_us, window_us);
	fd = openat(dir_fd, path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The kernel wants the terminating NUL too (psi.rst). */
	if (write(fd, t->spec, strlen(t->spec) + 1) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	t->fd = fd;
	return 0;
}

int trigger_setup(struct trigger *t, int dir_fd, const char *path, bool kernel_file,
		  enum psi_metric metric, uint32_t threshold_centi)
{
	const char *name = metric == PSI_METRIC_SOME ? "some" : "full";
	uint32_t centi = threshold_centi ? threshold_centi : TRIGGER_DEFAULT_CENTI;
	int r;

	t->fd = -1;
	t->mode = TRIGGER_NONE;
	t->refused_errno = 0;
	if (faccessat(dir_fd, path, R_OK, 0) < 0)
		return 0;
	t->mode = TRIGGER_AVERAGES;
	if (!kernel_file) {
		t->refused_errno = ENOTSUP;
		return 0;
	}
	r = try_trigger(t, dir_fd, path, name, centi, 1000000);
	if (r == 0) {
		t->mode = TRIGGER_1S;
		return 0;
	}
	t->refused_errno = -r;
	r = try_trigger(t, dir_fd, path, name, centi, 2000000);
	if (r == 0) {
		t->mode = TRIGGER_2S;
		return 0;
	}
	t->refused_errno = -r;
	return 0;
}

void trigger_close(struct trigger *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

const char *trigger_describe(const struct trigger *t, char *buf, unsigned len)
{
	switch (t->mode) {
	case TRIGGER_NONE:
		snprintf(buf, len, "PSI unavailable (CONFIG_PSI off or psi=0): "
				   "using MemAvailable and SwapFree only");
		break;
	case TRIGGER_AVERAGES:
		snprintf(buf, len, "PSI: no kernel trigger (%s); the file is read every tick",
			 t->refused_errno == ENOTSUP ? "not a kernel file: a fixture tree"
						      : strerror(t->refused_errno));
		break;
	case TRIGGER_2S:
		snprintf(buf, len, "PSI: kernel trigger \"%s\" (2 s window: 1 s needs CAP_SYS_RESOURCE)",
			 t->spec);
		break;
	case TRIGGER_1S:
		snprintf(buf, len, "PSI: kernel trigger \"%s\" (1 s window)", t->spec);
		break;
	}
	return buf;
}
