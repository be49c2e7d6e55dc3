#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "policy.h"
#include "report.h"
#include "sensors.h"

struct loop {
	const struct config *cfg;
	const struct procfs *procfs;
	struct sensors sensors;
	bool have_psi;
	enum policy_action last_action;
	uint64_t next_report_ms;
	/* sample of this iteration */
	struct meminfo mi;
	struct psi psi;
	struct floors floors;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int sample(struct loop *l)
{
	const char *bad_key = NULL;
	int r;

	r = sensors_read_meminfo(&l->sensors, &l->mi, &bad_key);
	if (r == -EINVAL) {
		log_err("%s/meminfo: missing or malformed %s", l->cfg->procfs_path, bad_key);
		return r;
	}
	if (r < 0) {
		log_err("%s/meminfo: %s", l->cfg->procfs_path, strerror(-r));
		return r;
	}
	if (l->have_psi) {
		r = sensors_read_psi(&l->sensors, &l->psi);
		if (r < 0) {
			/* A kernel does not lose PSI at run time; a parse error
			 * means a format we do not know. Go on without it. */
			log_warn("%s/pressure/memory: %s; continuing without PSI",
				 l->cfg->procfs_path, r == -EINVAL ? "malformed" : strerror(-r));
			l->have_psi = false;
		}
	}
	policy_floors(l->cfg, &l->mi, &l->floors);
	return 0;
}

static void describe_crossing(const struct loop *l, enum policy_action action)
{
	const struct meminfo *mi = &l->mi;
	bool kill = action == ACTION_KILL;
	uint64_t mem_floor = kill ? l->floors.mem_kill_kib : l->floors.mem_term_kib;
	uint64_t swap_floor = kill ? l->floors.swap_kill_kib : l->floors.swap_term_kib;
	uint32_t mem = report_centi(mi->mem_available_kib, mi->mem_total_kib);
	uint32_t mem_f = report_centi_nearest(mem_floor, mi->mem_total_kib);
	uint32_t swap = report_centi(mi->swap_free_kib, mi->swap_total_kib);
	uint32_t swap_f = report_centi_nearest(swap_floor, mi->swap_total_kib);

	log_warn("low memory: MemAvailable %u.%02u%% (%llu MiB) <= %s floor %u.%02u%% (%llu MiB) "
		 "and SwapFree %u.%02u%% <= %u.%02u%%%s: %s%s",
		 mem / 100, mem % 100, (unsigned long long)(mi->mem_available_kib / 1024),
		 kill ? "kill" : "term", mem_f / 100, mem_f % 100,
		 (unsigned long long)(mem_floor / 1024),
		 swap / 100, swap % 100, swap_f / 100, swap_f % 100,
		 mi->swap_total_kib ? "" : " (no swap)",
		 l->cfg->dryrun ? "would send " : "sending ", policy_action_name(action));
}

static void maybe_report(struct loop *l, uint64_t now)
{
	char line[256];

	if (l->cfg->report_s == 0 && !l->cfg->once)
		return;
	if (!l->cfg->once && now < l->next_report_ms)
		return;
	l->next_report_ms = now + (uint64_t)l->cfg->report_s * 1000;
	log_info("%s", report_format_memory(line, sizeof(line), &l->mi,
					    l->have_psi ? &l->psi : NULL));
}

static int iterate(struct loop *l)
{
	enum policy_action action;
	int r;

	r = sample(l);
	if (r < 0)
		return r;
	maybe_report(l, now_ms());
	action = policy_check_floors(&l->floors, &l->mi);
	if (action != ACTION_NONE && action != l->last_action)
		describe_crossing(l, action);
	else if (action == ACTION_NONE && l->cfg->once)
		log_info("nothing to do: memory is above the floors");
	l->last_action = action;
	return 0;
}

int loop_run(const struct config *cfg, const struct procfs *procfs, volatile sig_atomic_t *stop)
{
	struct loop l = { .cfg = cfg, .procfs = procfs, .sensors = SENSORS_INIT };
	int r;

	r = sensors_open(&l.sensors, procfs);
	if (r < 0) {
		log_err("%s/meminfo: %s", cfg->procfs_path, strerror(-r));
		return r;
	}
	l.have_psi = sensors_read_psi(&l.sensors, &l.psi) == 0;
	if (!l.have_psi)
		log_notice("%s/pressure/memory is not available (CONFIG_PSI off or psi=0): "
			   "using MemAvailable and SwapFree only", cfg->procfs_path);

	while (!*stop) {
		r = iterate(&l);
		if (r < 0 || cfg->once)
			break;
		poll(NULL, 0, 1000);
	}
	sensors_close(&l.sensors);
	return r;
}
