#include "acquire/pressure.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "parse/psi.h"

void pressure_init(struct pressure *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < PRESSURE_MAX_SOURCES; i++) {
		p->src[i].fd = -1;
		p->src[i].trigger.fd = -1;
	}
}

/* The lowest level anything watches: the pressure warning (--warn-psi)
 * sits below the kill's threshold, and the trigger must fire for it. */
static uint32_t watch_level(const struct config *cfg)
{
	if (cfg->warn_psi_centi &&
	    (cfg->psi_threshold_centi == 0 || cfg->warn_psi_centi < cfg->psi_threshold_centi))
		return cfg->warn_psi_centi;
	return cfg->psi_threshold_centi;
}

/* Add a source: the pressure file path under dir_fd, its trigger (only on
 * a kernel's file) and its trackers. Returns 0 or -ENOSPC. */
static int add_source(struct pressure *p, const char *label, int dir_fd, const char *path,
		      bool kernel_file, const struct config *cfg)
{
	struct pressure_source *src;

	if (p->n >= PRESSURE_MAX_SOURCES)
		return -ENOSPC;
	src = &p->src[p->n++];
	snprintf(src->label, sizeof(src->label), "%s", label);
	if (dir_fd < 0 || procfs_open_file(dir_fd, path, &src->fd) < 0)
		src->fd = -1;
	if (dir_fd >= 0)
		trigger_setup(&src->trigger, dir_fd, path, kernel_file, cfg->psi_metric,
			      watch_level(cfg));
	stall_init(&src->stall, cfg->psi_threshold_centi, cfg->psi_metric == PSI_METRIC_FULL,
		   PRESSURE_WINDOW_MS);
	stall_init(&src->warn_stall, cfg->warn_psi_centi, cfg->psi_metric == PSI_METRIC_FULL,
		   PRESSURE_WINDOW_MS);
	return 0;
}

int pressure_open_system(struct pressure *p, const struct procfs *procfs,
			 const struct config *cfg)
{
	return add_source(p, "system", procfs->root_fd, "pressure/memory", procfs_is_proc(procfs),
			  cfg);
}

int pressure_open_cgroup(struct pressure *p, const struct cgroupfs *cg, const char *path,
			 const struct config *cfg)
{
	_cleanup_close_ int dir_fd = -1;
	char label[64];
	int r = cgroupfs_open_dir(cg, path, &dir_fd);

	/* The label is for the log: a long path keeps its end, the part that
	 * names the cgroup. */
	if (strlen(path) < sizeof(label))
		snprintf(label, sizeof(label), "%s", path);
	else
		snprintf(label, sizeof(label), "...%s", path + strlen(path) - (sizeof(label) - 4));
	if (r < 0)
		dir_fd = -1;
	return add_source(p, label, dir_fd, "memory.pressure", cgroupfs_is_cgroup2(cg), cfg);
}

void pressure_close(struct pressure *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		procfs_closep(&p->src[i].fd);
		trigger_close(&p->src[i].trigger);
	}
	p->n = 0;
}

bool pressure_available(const struct pressure *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->src[i].fd >= 0)
			return true;
	return false;
}

static bool source_watched(const struct pressure_source *src, uint64_t now_ms)
{
	return src->fd >= 0 && (src->fired || now_ms < src->watch_until_ms || src->stall.in_run ||
				src->warn_stall.in_run);
}

/* Without a trigger nothing would tell us a stall began. */
static bool source_polled(const struct pressure_source *src)
{
	return src->fd >= 0 && src->trigger.mode < TRIGGER_2S;
}

bool pressure_watching(const struct pressure *p, uint64_t now_ms)
{
	for (unsigned i = 0; i < p->n; i++)
		if (source_watched(&p->src[i], now_ms))
			return true;
	return false;
}

bool pressure_needs_polling(const struct pressure *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (source_polled(&p->src[i]))
			return true;
	return false;
}

/* Read one source's file. Returns 0, -ENOENT when PSI is unavailable (no
 * file, or psi=0: the file exists but reads fail with EOPNOTSUPP),
 * -EINVAL when malformed, or -errno. */
static int read_source(struct pressure *p, struct pressure_source *src, struct psi *psi)
{
	long n;

	if (src->fd < 0)
		return -ENOENT;
	n = procfs_read_fd(src->fd, p->buf, sizeof(p->buf));
	if (n == -EOPNOTSUPP)
		return -ENOENT;
	if (n < 0)
		return (int)n;
	return psi_parse(p->buf, psi);
}

/* A file that opened at start-up and stops reading turns pressure kills off
 * without a word from the decision (its reading is just not valid): say
 * so when it starts and when it ends, not at every read. */
static void note_read(struct pressure_source *src, int r)
{
	const char *what = src->stall.threshold_centi ? "; pressure kills are off until it reads again"
						      : "";

	if (r < 0 && src->read_error == 0)
		log_warn("PSI: cannot read the %s pressure file: %s%s", src->label,
			 r == -ENOENT ? "PSI is off (psi=0?)"
			 : r == -EINVAL ? "malformed" : strerror(-r), what);
	else if (r == 0 && src->read_error < 0)
		log_warn("PSI: the %s pressure file reads again%s", src->label,
			 src->stall.threshold_centi ? "; pressure kills are back on" : "");
	src->read_error = r;
}

int pressure_read(struct pressure *p, struct sample *out, uint64_t now_ms, bool force)
{
	out->n_pressure = p->n;
	for (unsigned i = 0; i < p->n; i++) {
		struct pressure_source *src = &p->src[i];
		struct pressure_reading *rd = &out->pressure[i];
		uint32_t watched;
		int r;

		if (!force && !source_watched(src, now_ms) && !source_polled(src))
			continue;
		src->fired = false;
		r = read_source(p, src, &rd->psi);
		if (src->fd >= 0)
			note_read(src, r);
		rd->valid = r == 0;
		if (!rd->valid)
			continue;
		stall_feed(&src->warn_stall, now_ms, rd->psi.some.total_us, rd->psi.full.total_us);
		if (stall_feed(&src->stall, now_ms, rd->psi.some.total_us, rd->psi.full.total_us)) {
			watched = src->stall.watch_full ? src->stall.full_centi : src->stall.some_centi;
			if (src->stall.threshold_centi && watched >= src->stall.threshold_centi)
				src->watch_until_ms = now_ms + PRESSURE_WATCH_MS;
		}
		stall_describe(&src->stall, rd);
		rd->warn_run_ms = stall_run_ms(&src->warn_stall);
	}
	return 0;
}

void pressure_restart(struct pressure *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		stall_restart(&p->src[i].stall);
		stall_restart(&p->src[i].warn_stall);
	}
}

unsigned pressure_pollfds(const struct pressure *p, struct pollfd *fds, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n && n < max; i++) {
		if (p->src[i].trigger.fd < 0)
			continue;
		fds[n].fd = p->src[i].trigger.fd;
		fds[n].events = POLLPRI;
		fds[n].revents = 0;
		n++;
	}
	return n;
}

bool pressure_events(struct pressure *p, const struct pollfd *fds, unsigned n, uint64_t now_ms)
{
	bool fired = false;

	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < p->n; i++) {
			struct pressure_source *src = &p->src[i];

			if (src->trigger.fd != fds[k].fd)
				continue;
			if (fds[k].revents & POLLERR) {
				log_warn("PSI trigger on %s reported an error; falling back to reading "
					 "its averages", src->label);
				trigger_close(&src->trigger);
				src->trigger.mode = TRIGGER_AVERAGES;
			} else if (fds[k].revents & POLLPRI) {
				log_debug("PSI trigger on %s fired", src->label);
				src->fired = true;
				src->watch_until_ms = now_ms + PRESSURE_WATCH_MS;
				fired = true;
			}
		}
	}
	return fired;
}

const char *pressure_describe(const struct pressure *p, unsigned i, char *buf, unsigned len)
{
	char what[192];

	if (strcmp(p->src[i].label, "system") == 0)
		return trigger_describe(&p->src[i].trigger, buf, len);
	/* A cgroup's source: say whose. */
	trigger_describe(&p->src[i].trigger, what, sizeof(what));
	snprintf(buf, len, "cgroup %s: %s", p->src[i].label, what);
	return buf;
}
