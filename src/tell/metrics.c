#include "tell/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int put(char *buf, size_t len, size_t *o, const char *name, const char *help,
	       const char *type, const char *labels, unsigned long long value, unsigned scale_dec)
{
	int n;

	if (help)
		n = snprintf(buf + *o, len - *o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	else
		n = 0;
	if (n < 0 || (size_t)n >= len - *o)
		return -ENOSPC;
	*o += (size_t)n;
	/* scale_dec: the value is in 1/10^scale_dec units (e.g. centi-percent). */
	if (scale_dec == 2)
		n = snprintf(buf + *o, len - *o, "%s%s %llu.%02llu\n", name, labels, value / 100, value % 100);
	else if (scale_dec == 3)
		n = snprintf(buf + *o, len - *o, "%s%s %llu.%03llu\n", name, labels, value / 1000,
			     value % 1000);
	else if (scale_dec == 6)
		n = snprintf(buf + *o, len - *o, "%s%s %llu.%06llu\n", name, labels, value / 1000000,
			     value % 1000000);
	else
		n = snprintf(buf + *o, len - *o, "%s%s %llu\n", name, labels, value);
	if (n < 0 || (size_t)n >= len - *o)
		return -ENOSPC;
	*o += (size_t)n;
	return 0;
}

long metrics_format(char *buf, size_t len, const struct sample *s, const struct metrics *m)
{
	size_t o = 0;
	int r = 0;

	r |= put(buf, len, &o, "oomguard_mem_total_bytes", "MemTotal.", "gauge", "",
		 s->mi.mem_total_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_mem_available_bytes", "MemAvailable.", "gauge", "",
		 s->mi.mem_available_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_swap_total_bytes", "SwapTotal, zram swap excluded.", "gauge",
		 "", s->eff.swap_total_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_swap_free_bytes", "SwapFree, zram swap excluded.", "gauge", "",
		 s->eff.swap_free_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_zram_mem_used_bytes", "RAM used by zram swap devices.",
		 "gauge", "", s->zram_mem_used_kib * 1024, 0);
	if (s->have_psi) {
		r |= put(buf, len, &o, "oomguard_memory_pressure_avg10_percent",
			 "Memory pressure (PSI) 10 s average.", "gauge", "{kind=\"some\"}",
			 s->psi.some.avg10_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_pressure_avg10_percent", NULL, NULL,
			 "{kind=\"full\"}", s->psi.full.avg10_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_stall_seconds_total",
			 "Total memory stall time (PSI).", "counter", "{kind=\"some\"}",
			 s->psi.some.total_us, 6);
		r |= put(buf, len, &o, "oomguard_memory_stall_seconds_total", NULL, NULL,
			 "{kind=\"full\"}", s->psi.full.total_us, 6);
	}
	r |= put(buf, len, &o, "oomguard_kills_total", "Processes oomguard signalled, by last signal.",
		 "counter", "{signal=\"SIGTERM\"}", m->kills_sigterm, 0);
	r |= put(buf, len, &o, "oomguard_kills_total", NULL, NULL, "{signal=\"SIGKILL\"}",
		 m->kills_sigkill, 0);
	r |= put(buf, len, &o, "oomguard_pressure_kills_total", "Kills triggered by memory pressure.",
		 "counter", "", m->kills_pressure, 0);
	if (s->have_vmstat && s->vm.have_oom_kill)
		r |= put(buf, len, &o, "oomguard_kernel_oom_kills_total",
			 "The kernel's own OOM kills since boot (oom_kill in /proc/vmstat).", "counter",
			 "", s->vm.oom_kill, 0);
	r |= put(buf, len, &o, "oomguard_poll_interval_seconds", "Current poll interval.", "gauge", "",
		 m->interval_ms, 3);
	return r ? -ENOSPC : (long)o;
}

int metrics_write(const char *path, const char *buf, size_t len)
{
	char tmp[4096 + 8];
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}
