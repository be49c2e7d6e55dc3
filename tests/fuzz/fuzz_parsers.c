/* libFuzzer target for the /proc parsers. One binary per parser is built
 * from this file with -DFUZZ_<NAME>, so each gets its own corpus. The
 * vmstat target also reads the input as a cgroup's memory.events. The
 * input becomes a NUL-terminated buffer, as procfs_read_fd() hands out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acquire/visibility.h"
#include "parse/memevents.h"
#include "parse/meminfo.h"
#include "parse/pidinfo.h"
#include "parse/psi.h"
#include "parse/vmstat.h"
#include "parse/zram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
#if defined(FUZZ_MEMINFO)
	{
		struct meminfo mi;
		const char *bad = NULL;

		uint64_t reserve;

		if (meminfo_parse(buf, &mi, &bad) == 0 && mi.mem_total_kib == 0)
			abort();	/* a success must carry a MemTotal */
		meminfo_parse_zoneinfo_reserve(buf, &reserve);
	}
#elif defined(FUZZ_PSI)
	{
		struct psi psi;

		if (psi_parse(buf, &psi) == 0 && (psi.some.avg10_centi > 10000 || psi.full.avg300_centi > 10000))
			abort();
	}
#elif defined(FUZZ_PIDINFO)
	{
		struct proc_sample p;
		char path[256], unit[64];
		int adj;

		if (pidinfo_parse_stat(buf, &p) == 0 && strlen(p.comm) >= sizeof(p.comm))
			abort();
		pidinfo_parse_status(buf, &p);
		if (pidinfo_parse_oom_score_adj(buf, &adj) == 0 && (adj < -1000 || adj > 1000))
			abort();
		if (pidinfo_parse_cgroup(buf, path, sizeof(path)) == 0)
			pidinfo_unit_from_cgroup(path, unit, sizeof(unit));
		pidinfo_join_cmdline(buf, size);
	}
#elif defined(FUZZ_MOUNTINFO)
	{
		/* The device is the input's first two bytes, so that a line of
		 * the corpus can be the proc mount or not; the text is the
		 * rest (the seeds start "\0\025": parsed from byte 0, their
		 * NUL ended the text before the first line, and the fuzzer
		 * reached the parser only when a mutation happened on it). */
		unsigned major = size > 0 ? data[0] % 4 : 0, minor = size > 1 ? data[1] : 0;
		const char *text = size > 2 ? buf + 2 : "";
		struct visibility_mount m;

		if (visibility_parse_mountinfo(text, major, minor, &m) == 0 && m.found) {
			if (m.hidepid != 0 && m.hidepid != 1 && m.hidepid != 2 && m.hidepid != 4)
				abort();
			if (memchr(m.hidepid_text, '\0', sizeof(m.hidepid_text)) == NULL)
				abort();	/* always a string */
		}
	}
#elif defined(FUZZ_VMSTAT)
	{
		struct vmstat vm;
		struct swaps sw;
		struct zram_device dev = { 0 };
		uint64_t oom_kill;

		vmstat_parse(buf, &vm);
		/* cgroup memory.events: counters as vmstat's. */
		memevents_parse_oom_kill(buf, &oom_kill);
		if (zram_parse_swaps(buf, &sw) == 0) {
			if (sw.zram_used_kib > sw.zram_total_kib || sw.n_zram > ZRAM_MAX_DEVICES)
				abort();
			for (unsigned i = 0; i < sw.n_zram; i++)
				if (sw.zram[i].used_kib > sw.zram[i].size_kib)
					abort();
		}
		if (zram_parse_mm_stat(buf, &dev) == 0 && !dev.have_mm_stat)
			abort();
	}
#else
#error "define one FUZZ_ target"
#endif
	free(buf);
	return 0;
}
