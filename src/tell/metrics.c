#include "tell/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "decide/decide.h"

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

void metrics_count_kill(struct metrics *m, enum reason reason, int sig, bool escalated)
{
	if ((unsigned)reason < METRICS_REASONS && (sig == SIGTERM || sig == SIGKILL))
		m->kills[reason][sig == SIGKILL]++;
	if (escalated)
		m->escalations++;
}

long metrics_format(char *buf, size_t len, const struct sample *s, const struct capacity *cap,
		    const struct metrics *m)
{
	static const enum reason reasons[] = { REASON_FLOOR_TERM, REASON_FLOOR_KILL, REASON_PRESSURE };
	const struct pressure_reading *rd = s->n_pressure ? &s->pressure[0] : NULL;
	size_t o = 0;
	int r = 0;

	r |= put(buf, len, &o, "oomguard_mem_total_bytes", "MemTotal.", "gauge", "",
		 s->mi.mem_total_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_mem_available_bytes", "MemAvailable.", "gauge", "",
		 s->mi.mem_available_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_swap_total_bytes",
		 "Swap as the floors count it: disk swap, zram at the capacity RAM allows.", "gauge",
		 "", cap->swap_total_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_swap_free_bytes", "Free swap as the floors count it.",
		 "gauge", "", cap->swap_free_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_zram_mem_used_bytes", "RAM used by zram swap devices.",
		 "gauge", "", cap->zram_ram_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_zram_headroom_bytes",
		 "Data zram swap can still take, bounded by disksize and RAM.", "gauge", "",
		 cap->zram_headroom_kib * 1024, 0);
	r |= put(buf, len, &o, "oomguard_zram_compression_ratio",
		 "zram data stored per byte of RAM (0: unknown).", "gauge", "", cap->zram_ratio_centi, 2);
	if (rd && rd->valid) {
		r |= put(buf, len, &o, "oomguard_memory_pressure_avg10_percent",
			 "Memory pressure (PSI) 10 s average.", "gauge", "{kind=\"some\"}",
			 rd->psi.some.avg10_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_pressure_avg10_percent", NULL, NULL,
			 "{kind=\"full\"}", rd->psi.full.avg10_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_stall_percent",
			 "Memory stall over the last window, exact (from PSI totals).", "gauge",
			 "{kind=\"some\"}", rd->some_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_stall_percent", NULL, NULL, "{kind=\"full\"}",
			 rd->full_centi, 2);
		r |= put(buf, len, &o, "oomguard_memory_stall_seconds_total",
			 "Total memory stall time (PSI).", "counter", "{kind=\"some\"}",
			 rd->psi.some.total_us, 6);
		r |= put(buf, len, &o, "oomguard_memory_stall_seconds_total", NULL, NULL,
			 "{kind=\"full\"}", rd->psi.full.total_us, 6);
	}
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		for (int k = 0; k < 2; k++) {
			char labels[96];

			snprintf(labels, sizeof(labels), "{reason=\"%s\",signal=\"%s\"}",
				 decide_reason_name(reasons[i]), k ? "SIGKILL" : "SIGTERM");
			r |= put(buf, len, &o, "oomguard_kills_total",
				 i == 0 && k == 0 ? "Processes oomguard killed, by reason and last signal."
						  : NULL,
				 "counter", labels, m->kills[reasons[i]][k], 0);
		}
	}
	r |= put(buf, len, &o, "oomguard_escalations_total",
		 "SIGKILLs sent after a SIGTERM that was not enough.", "counter", "", m->escalations, 0);
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
