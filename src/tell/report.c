#include "log.h"
#include "tell/report.h"

#include <signal.h>
#include <stdio.h>

#include "decide/badness.h"

uint32_t report_centi(uint64_t part, uint64_t total)
{
	if (total == 0 || part >= total)
		return 10000;
	/* part < total <= 2^50, so part * 10000 stays below 2^64. */
	return (uint32_t)(part * 10000 / total);
}

uint32_t report_centi_nearest(uint64_t part, uint64_t total)
{
	if (total == 0 || part >= total)
		return 10000;
	return (uint32_t)((part * 10000 + total / 2) / total);
}

const char *report_format_memory(char *buf, size_t len, const struct meminfo *mi,
				 const struct psi *psi)
{
	uint32_t mem = report_centi(mi->mem_available_kib, mi->mem_total_kib);
	uint32_t swap = report_centi(mi->swap_free_kib, mi->swap_total_kib);
	int n;

	n = snprintf(buf, len,
		     "MemAvailable %llu MiB of %llu MiB (%u.%02u%%), SwapFree %llu MiB of %llu MiB (%u.%02u%%)",
		     (unsigned long long)(mi->mem_available_kib / 1024),
		     (unsigned long long)(mi->mem_total_kib / 1024), mem / 100, mem % 100,
		     (unsigned long long)(mi->swap_free_kib / 1024),
		     (unsigned long long)(mi->swap_total_kib / 1024), swap / 100, swap % 100);
	if (psi && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", PSI full avg10 %u.%02u some avg10 %u.%02u",
			 psi->full.avg10_centi / 100, psi->full.avg10_centi % 100,
			 psi->some.avg10_centi / 100, psi->some.avg10_centi % 100);
	return buf;
}

const char *report_format_kill(char *buf, size_t len, const struct report_kill *k)
{
	const struct candidate *c = k->victim;
	char name[PIDINFO_COMM_MAX * 4 + 1], exited[32] = "";

	if (k->exited_ms >= 0)
		snprintf(exited, sizeof(exited), " exited_ms=%d", k->exited_ms);
	snprintf(buf, len,
		 "%s pid=%d name=\"%s\" uid=%u unit=%s oom_score=%ld score=%ld rss_kib=%llu "
		 "swap_kib=%llu signal=%s%s released=%s trigger=\"%s\"",
		 k->verb, (int)c->proc.pid, log_escape(name, sizeof(name), c->proc.comm),
		 (unsigned)c->proc.uid, k->unit && *k->unit ? k->unit : "-", c->kernel_score, c->score,
		 (unsigned long long)c->proc.rss_kib, (unsigned long long)c->proc.swap_kib,
		 k->signal == SIGKILL ? "SIGKILL" : k->signal == SIGTERM ? "SIGTERM" : "none", exited,
		 k->released ? "yes" : "no", k->trigger ? k->trigger : "");
	return buf;
}

const char *report_format_top(char *buf, size_t len, const struct proc_sample *procs, unsigned n)
{
	size_t o = (size_t)snprintf(buf, len, "top memory users:");

	for (unsigned i = 0; i < n && o < len; i++) {
		char name[PIDINFO_COMM_MAX * 4 + 1];

		o += (size_t)snprintf(buf + o, len - o, "%s pid=%d name=\"%s\" rss_kib=%llu swap_kib=%llu",
				      i ? ";" : "", (int)procs[i].pid,
				      log_escape(name, sizeof(name), procs[i].comm),
				      (unsigned long long)procs[i].rss_kib,
				      (unsigned long long)procs[i].swap_kib);
	}
	return buf;
}
