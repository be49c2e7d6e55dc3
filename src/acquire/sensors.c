#include "acquire/sensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "parse/memcg.h"
#include "parse/meminfo.h"
#include "parse/vmstat.h"
#include "parse/zram.h"

void sensors_init(struct sensors *s)
{
	s->meminfo_fd = s->vmstat_fd = s->swaps_fd = s->sysfs_fd = s->zoneinfo_fd = -1;
	s->loadavg_fd = -1;
	s->reserve_kib = 0;
	s->page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);
	for (unsigned i = 0; i < ZRAM_MAX_DEVICES; i++)
		s->zram_fds[i] = -1;
	s->n_zram = 0;
	s->memcg_on = s->memcg_swap_on = false;
	s->memcg = s->memcg_swap = (struct memcg_files)MEMCG_FILES_INIT;
	s->memcg_max = 0;
}


int sensors_read_meminfo_once(const struct procfs *procfs, struct meminfo *mi,
			      const char **bad_key)
{
	/* ~1.5 KiB today; the same room as the kept descriptor's buffer. */
	char buf[SENSORS_BUF_SIZE];
	long n = procfs_read_file(procfs->root_fd, "meminfo", buf, sizeof(buf));

	*bad_key = "(file)";
	if (n < 0)
		return (int)n;
	return meminfo_parse(buf, mi, bad_key);
}

int sensors_open(struct sensors *s, const struct procfs *procfs, const char *sysfs_path)
{
	int r;

	sensors_init(s);
	r = procfs_open_file(procfs->root_fd, "meminfo", &s->meminfo_fd);
	if (r < 0)
		return r;
	if (procfs_open_file(procfs->root_fd, "vmstat", &s->vmstat_fd) < 0)
		s->vmstat_fd = -1;
	if (procfs_open_file(procfs->root_fd, "swaps", &s->swaps_fd) < 0)
		s->swaps_fd = -1;
	if (procfs_open_file(procfs->root_fd, "zoneinfo", &s->zoneinfo_fd) < 0)
		s->zoneinfo_fd = -1;
	if (procfs_open_file(procfs->root_fd, "loadavg", &s->loadavg_fd) < 0)
		s->loadavg_fd = -1;
	if (sysfs_path)
		s->sysfs_fd = open(sysfs_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

int sensors_open_memcg(struct sensors *s, const struct cgroupfs *cg, const char *path,
		       const char *swap_path)
{
	int r = memcg_files_open(&s->memcg, cg, path);

	if (r < 0)
		return r;
	s->memcg_on = true;
	if (swap_path && swap_path[0] && strcmp(swap_path, path) != 0) {
		r = memcg_files_open(&s->memcg_swap, cg, swap_path);
		if (r < 0)
			return r;
		s->memcg_swap_on = true;
	}
	return 0;
}

int sensors_memcg_oom_kill(struct sensors *s, uint64_t *kills)
{
	if (!s->memcg_on)
		return -ENOENT;
	return memcg_files_read_oom_kill(&s->memcg, kills);
}

void sensors_close(struct sensors *s)
{
	memcg_files_close(&s->memcg);
	memcg_files_close(&s->memcg_swap);
	s->memcg_on = s->memcg_swap_on = false;
	procfs_closep(&s->meminfo_fd);
	procfs_closep(&s->vmstat_fd);
	procfs_closep(&s->swaps_fd);
	procfs_closep(&s->zoneinfo_fd);
	procfs_closep(&s->loadavg_fd);
	procfs_closep(&s->sysfs_fd);
	for (unsigned i = 0; i < s->n_zram; i++)
		procfs_closep(&s->zram_fds[i]);
	s->n_zram = 0;
}

static int read_meminfo(struct sensors *s, struct meminfo *mi, const char **bad_key)
{
	long n = procfs_read_fd(s->meminfo_fd, s->buf, sizeof(s->buf));

	*bad_key = "(file)";
	if (n < 0)
		return (int)n;
	return meminfo_parse(s->buf, mi, bad_key);
}

/* The set of zram swap devices changed (swapon/swapoff at run time, or the
 * first sample): open the mm_stat of each. Rare, so opening here is fine. */
static void zram_follow(struct sensors *s, const struct swaps *sw)
{
	bool same = sw->n_zram == s->n_zram;

	for (unsigned i = 0; same && i < sw->n_zram; i++)
		same = sw->zram[i].id == s->zram_ids[i];
	if (same)
		return;
	for (unsigned i = 0; i < s->n_zram; i++)
		procfs_closep(&s->zram_fds[i]);
	s->n_zram = sw->n_zram;
	for (unsigned i = 0; i < sw->n_zram; i++) {
		char path[64];

		s->zram_ids[i] = sw->zram[i].id;
		snprintf(path, sizeof(path), "block/zram%u/mm_stat", sw->zram[i].id);
		if (s->sysfs_fd < 0 || procfs_open_file(s->sysfs_fd, path, &s->zram_fds[i]) < 0)
			s->zram_fds[i] = -1;
	}
}

/* Read each device's mm_stat into sw (aligned with s->zram_fds, which
 * zram_follow opened for sw's devices). A device whose file cannot be read
 * keeps have_mm_stat false; capacity counts it at its disksize alone. */
static void read_mm_stats(struct sensors *s, struct swaps *sw)
{
	for (unsigned i = 0; i < sw->n_zram && i < s->n_zram; i++) {
		if (s->zram_fds[i] < 0 || procfs_read_fd(s->zram_fds[i], s->buf, sizeof(s->buf)) < 0 ||
		    zram_parse_mm_stat(s->buf, &sw->zram[i]) < 0)
			sw->zram[i].have_mm_stat = false;
	}
}

/* The reserve moves only with min_free_kbytes, watermark boosts and memory
 * hotplug: refreshed with the vmstat read (every 10 s idle). A bad read
 * drops the figure, which turns the quick path off. */
static void read_reserve(struct sensors *s)
{
	uint64_t pages;

	if (s->zoneinfo_fd >= 0 && procfs_read_fd(s->zoneinfo_fd, s->buf, sizeof(s->buf)) >= 0 &&
	    meminfo_parse_zoneinfo_reserve(s->buf, &pages) == 0)
		s->reserve_kib = pages * s->page_kib;
	else
		s->reserve_kib = 0;
}

int sensors_quick_available(struct sensors *s, uint64_t *kib)
{
	struct sysinfo si;
	uint64_t free_kib;

	if (s->reserve_kib == 0)
		return -ENODATA;
	if (sysinfo(&si) < 0)
		return -errno;
	free_kib = (uint64_t)si.freeram * si.mem_unit / 1024;
	*kib = free_kib > s->reserve_kib ? free_kib - s->reserve_kib : 0;
	if (s->memcg_on) {
		uint64_t current, room_kib;
		int r = memcg_files_read_current(&s->memcg, &current);

		if (r < 0)
			return r;
		room_kib = s->memcg_max > current ? (s->memcg_max - current) / 1024 : 0;
		if (room_kib < *kib)
			*kib = room_kib;
	}
	return 0;
}

/* Container mode: the cgroup's view of machine into *view. Returns 0 or
 * memcg_files_read's error. */
static int read_memcg(struct sensors *s, const struct meminfo *machine, struct meminfo *view)
{
	struct memcg_sample mem, swap;
	int r = memcg_files_read(&s->memcg, &mem);

	if (r < 0)
		return r;
	if (s->memcg_swap_on && (r = memcg_files_read(&s->memcg_swap, &swap)) < 0)
		return r;
	memcg_view(&mem, s->memcg_swap_on ? &swap : &mem, machine, view);
	s->memcg_max = mem.max;
	s->memcg_stat = mem.stat;
	return 0;
}

void sensors_read_vmstat(struct sensors *s, struct sample *out)
{
	out->have_vmstat = s->vmstat_fd >= 0 &&
			   procfs_read_fd(s->vmstat_fd, s->buf, sizeof(s->buf)) >= 0 &&
			   vmstat_parse(s->buf, &out->vm) == 0;
	if (!out->have_vmstat)
		memset(&out->vm, 0, sizeof(out->vm));
}

int sensors_sample(struct sensors *s, struct sample *out, bool want_vmstat, const char **bad_key)
{
	uint64_t last_swap_total = out->machine.swap_total_kib;
	bool first = !out->sampled;
	struct meminfo mi;
	int r;

	/* A bad read leaves the last good figures in place. */
	r = read_meminfo(s, &mi, bad_key);
	if (r < 0)
		return r;
	out->mi = out->machine = mi;
	out->cgroup_view = false;
	out->sampled = true;
	if (want_vmstat || first) {
		sensors_read_vmstat(s, out);
		read_reserve(s);
	}
	if (first || out->swaps.n_zram || out->machine.swap_total_kib != last_swap_total) {
		if (s->swaps_fd < 0 || procfs_read_fd(s->swaps_fd, s->buf, sizeof(s->buf)) < 0 ||
		    zram_parse_swaps(s->buf, &out->swaps) < 0) {
			memset(&out->swaps, 0, sizeof(out->swaps));
			return 0;
		}
		zram_follow(s, &out->swaps);
		read_mm_stats(s, &out->swaps);
	}
	return 0;
}

int sensors_sample_cgroup(struct sensors *s, const struct sample *machine, struct sample *out)
{
	struct meminfo view;
	int r;

	if (!s->memcg_on)
		return -ENOENT;
	r = read_memcg(s, &machine->machine, &view);
	if (r < 0)
		return r;
	*out = *machine;
	out->mi = view;
	out->cgroup_view = true;
	/* The stall is the cgroup's, and so are the refaults that say it is
	 * a thrash: the machine's would count every other cgroup's as its
	 * own. */
	out->vm.refault_file = s->memcg_stat.refault_file;
	out->vm.refault_anon = s->memcg_stat.refault_anon;
	out->vm.have_refault = s->memcg_stat.have_refault;
	out->n_pressure = 0;
	return 0;
}

int sensors_last_pid(struct sensors *s, long *pid)
{
	/* "0.20 0.18 0.12 1/80 11206\n": five short fields. */
	char buf[128], *last, *end;
	long n;

	if (s->loadavg_fd < 0)
		return -ENOENT;
	n = procfs_read_fd(s->loadavg_fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	last = strrchr(buf, ' ');
	if (!last || !strchr(buf, '/'))
		return -EINVAL;
	errno = 0;
	*pid = strtol(last + 1, &end, 10);
	if (errno || end == last + 1 || *end || *pid < 0)
		return -EINVAL;
	return 0;
}
