#include "policy.h"

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

void policy_floors(const struct config *cfg, const struct meminfo *mi, struct floors *out)
{
	const struct config_floor *m = &cfg->mem, *s = &cfg->swap;

	out->mem_term_kib = floor_kib(mi->mem_total_kib, m->term_centi, m->percent_set,
				      m->term_kib, m->size_set);
	out->mem_kill_kib = floor_kib(mi->mem_total_kib, m->kill_centi, m->percent_set,
				      m->kill_kib, m->size_set);
	out->swap_term_kib = floor_kib(mi->swap_total_kib, s->term_centi, s->percent_set,
				       s->term_kib, s->size_set);
	out->swap_kill_kib = floor_kib(mi->swap_total_kib, s->kill_centi, s->percent_set,
				       s->kill_kib, s->size_set);
}

static bool swap_low(const struct meminfo *mi, uint64_t floor)
{
	return mi->swap_total_kib == 0 || mi->swap_free_kib <= floor;
}

enum policy_action policy_check_floors(const struct floors *floors, const struct meminfo *mi)
{
	if (mi->mem_available_kib <= floors->mem_kill_kib && swap_low(mi, floors->swap_kill_kib))
		return ACTION_KILL;
	if (mi->mem_available_kib <= floors->mem_term_kib && swap_low(mi, floors->swap_term_kib))
		return ACTION_TERM;
	return ACTION_NONE;
}

const char *policy_action_name(enum policy_action action)
{
	switch (action) {
	case ACTION_NONE: return "none";
	case ACTION_TERM: return "SIGTERM";
	case ACTION_KILL: return "SIGKILL";
	}
	return "?";
}
