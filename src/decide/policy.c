#include "decide/policy.h"

static uint64_t floor_kib(uint64_t total_kib, uint32_t centi, bool percent_set,
			  uint64_t size_kib, bool size_set)
{
	/* total <= 2^50 and centi <= 10000, so the product fits in 64 bits. */
	uint64_t from_percent = total_kib * centi / 10000;

	if (percent_set && size_set)
		return from_percent < size_kib ? from_percent : size_kib;
	if (size_set)
		return size_kib;
	return from_percent;
}

void policy_floors(const struct config *cfg, const struct meminfo *mi, const struct capacity *cap,
		   struct floors *out)
{
	const struct config_floor *m = &cfg->mem, *s = &cfg->swap;
	/* Anonymous memory swapped to zram or zswap still takes RAM, in
	 * their pools, and a kill gives it back as surely as AnonPages:
	 * without it, a leak into a large zram would shrink the base as it
	 * fills RAM, and the floor with it. */
	uint64_t user = mi->mem_available_kib + mi->anon_pages_kib + cap->swapped_ram_kib;

	out->mem_base_kib = user < mi->mem_total_kib ? user : mi->mem_total_kib;
	out->mem_term_kib = floor_kib(out->mem_base_kib, m->term_centi, m->percent_set, m->term_kib,
				      m->size_set);
	out->mem_kill_kib = floor_kib(out->mem_base_kib, m->kill_centi, m->percent_set, m->kill_kib,
				      m->size_set);
	out->mem_term_max_kib = floor_kib(mi->mem_total_kib, m->term_centi, m->percent_set,
					  m->term_kib, m->size_set);
	out->swap_term_kib = floor_kib(cap->swap_total_kib, s->term_centi, s->percent_set,
				       s->term_kib, s->size_set);
	out->swap_kill_kib = floor_kib(cap->swap_total_kib, s->kill_centi, s->percent_set,
				       s->kill_kib, s->size_set);
}

static bool swap_low(const struct capacity *cap, uint64_t floor)
{
	return cap->swap_total_kib == 0 || cap->swap_free_kib <= floor;
}

enum reason policy_check_floors(const struct floors *floors, uint64_t mem_available_kib,
				const struct capacity *cap)
{
	if (mem_available_kib <= floors->mem_kill_kib && swap_low(cap, floors->swap_kill_kib))
		return REASON_FLOOR_KILL;
	if (mem_available_kib <= floors->mem_term_kib && swap_low(cap, floors->swap_term_kib))
		return REASON_FLOOR_TERM;
	return REASON_NONE;
}

const char *policy_action_name(enum action action)
{
	switch (action) {
	case ACTION_NONE: return "none";
	case ACTION_TERM: return "SIGTERM";
	case ACTION_KILL: return "SIGKILL";
	}
	return "?";
}

unsigned policy_interval_ms(const struct floors *floors, uint64_t mem_available_kib,
			    uint64_t swap_total_kib, uint64_t swap_free_kib)
{
	uint64_t mem_headroom = mem_available_kib > floors->mem_term_kib
					? mem_available_kib - floors->mem_term_kib : 0;
	uint64_t swap_headroom = swap_total_kib && swap_free_kib > floors->swap_term_kib
					 ? swap_free_kib - floors->swap_term_kib : 0;
	uint64_t ms = mem_headroom / POLICY_MEM_FILL_KIB_PER_MS +
		      swap_headroom / POLICY_SWAP_FILL_KIB_PER_MS;

	if (ms < POLICY_MIN_INTERVAL_MS)
		return POLICY_MIN_INTERVAL_MS;
	if (ms > POLICY_MAX_INTERVAL_MS)
		return POLICY_MAX_INTERVAL_MS;
	return (unsigned)ms;
}
