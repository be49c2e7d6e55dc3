/* libFuzzer targets for the numeric pure modules: the input is read as
 * little-endian 64-bit numbers standing in for what the kernel could hand
 * over, however absurd, and every result must keep its invariants. Built
 * with -DFUZZ_STALL (PSI readings into the stall tracker) or
 * -DFUZZ_CAPACITY (a sample into capacity_compute and the floors). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide/capacity.h"
#include "decide/policy.h"
#include "parse/config.h"
#include "parse/stall.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next number of the input, 0 past its end. */
static uint64_t next(const uint8_t **data, size_t *size)
{
	uint64_t v = 0;
	size_t n = *size < 8 ? *size : 8;

	memcpy(&v, *data, n);
	*data += n;
	*size -= n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(FUZZ_STALL)
	struct stall_tracker t;
	uint64_t now = next(&data, &size) & 0xffffffffffULL, some = 0, full = 0, first = now;

	stall_init(&t, (uint32_t)(next(&data, &size) % 10001), next(&data, &size) & 1,
		   (unsigned)(next(&data, &size) % 5000));
	while (size > 0) {
		struct pressure_reading rd;

		/* Time moves by up to ~65 s, the totals by anything (even back). */
		now += next(&data, &size) & 0xffff;
		some = next(&data, &size) & 1 ? some + (next(&data, &size) & 0xffffffff)
					      : next(&data, &size);
		full = next(&data, &size) & 1 ? full + (next(&data, &size) & 0xffffffff)
					      : next(&data, &size);
		stall_feed(&t, now, some, full);
		stall_describe(&t, &rd);
		if (rd.some_centi > 10000 || rd.full_centi > 10000)
			abort();
		if (rd.run_ms > now - first)
			abort();	/* a run longer than the time watched */
	}
#elif defined(FUZZ_CAPACITY)
	struct sample s = { 0 };
	struct capacity c;
	struct config cfg;
	struct floors f;
	const uint64_t kib_max = UINT64_C(1) << 50;
	char *argv[] = { (char *)"oomguard", NULL };
	char err[64];

	s.mi.mem_total_kib = next(&data, &size) % kib_max;
	s.mi.mem_available_kib = next(&data, &size) % kib_max;
	s.mi.anon_pages_kib = next(&data, &size) % kib_max;
	s.mi.mlocked_kib = next(&data, &size) % kib_max;
	s.mi.swap_total_kib = next(&data, &size) % kib_max;
	s.mi.swap_free_kib = next(&data, &size) % kib_max;
	s.mi.zswap_kib = next(&data, &size) % kib_max;
	s.swaps.n_zram = (unsigned)(next(&data, &size) % (ZRAM_MAX_DEVICES + 1));
	for (unsigned i = 0; i < s.swaps.n_zram; i++) {
		struct zram_device *d = &s.swaps.zram[i];

		/* As the parsers produce them: sizes in KiB below 2^50, used
		 * no more than size, bytes below 2^60. */
		d->size_kib = next(&data, &size) % kib_max;
		d->used_kib = d->size_kib ? next(&data, &size) % (d->size_kib + 1) : 0;
		d->have_mm_stat = next(&data, &size) & 1;
		d->orig_bytes = next(&data, &size) % (UINT64_C(1) << 60);
		d->mem_used_bytes = next(&data, &size) % (UINT64_C(1) << 60);
		d->mem_limit_bytes = next(&data, &size) % (UINT64_C(1) << 60);
		d->same_pages = next(&data, &size) % (UINT64_C(1) << 48);
		s.swaps.zram_total_kib += d->size_kib;
		s.swaps.zram_used_kib += d->used_kib;
	}
	capacity_compute(&s, &c);
	if (c.swap_free_kib > c.swap_total_kib || c.disk_free_kib > c.disk_total_kib)
		abort();
	if (c.zram_headroom_kib > s.swaps.zram_total_kib - s.swaps.zram_used_kib)
		abort();	/* never more room than free disksize */
	if (c.zram_ratio_centi && (c.zram_ratio_centi < 100 || c.zram_ratio_centi > CAPACITY_MAX_RATIO_CENTI))
		abort();
	if (config_parse(&cfg, 1, argv, err, sizeof(err)) == 0) {
		policy_floors(&cfg, &s.mi, &c, &f);
		if (f.swap_kill_kib > f.swap_term_kib || f.mem_kill_kib > f.mem_term_kib)
			abort();
		/* The base is available + anon, never above MemTotal. */
		if (f.mem_base_kib > s.mi.mem_total_kib || f.mem_term_kib > f.mem_term_max_kib)
			abort();
		policy_check_floors(&f, s.mi.mem_available_kib, &c);
		config_free(&cfg);
	}
#else
#error "define one FUZZ_ target"
#endif
	return 0;
}
