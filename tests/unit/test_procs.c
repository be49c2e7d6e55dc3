/* cgroup.procs as act/scope.c reads it: in chunks, a pid may straddle two
 * of them; garbage and numbers past any pid are never a real pid. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "parse/procs.h"

/* Parse text in chunks of chunk bytes into pids. Returns how many. */
static size_t parse(const char *text, size_t chunk, uint64_t *pids, size_t max)
{
	struct procs_parser pp = { 0 };
	size_t len = strlen(text), n = 0;
	uint64_t pid;

	for (size_t at = 0; at < len; at += chunk) {
		size_t here = len - at < chunk ? len - at : chunk;

		for (size_t i = 0; procs_next_pid(&pp, text + at, here, &i, &pid);) {
			cr_assert_lt(n, max);
			pids[n++] = pid;
		}
	}
	if (procs_last_pid(&pp, &pid)) {
		cr_assert_lt(n, max);
		pids[n++] = pid;
	}
	return n;
}

Test(procs, one_pid_a_line_in_any_chunking)
{
	uint64_t pids[8];

	for (size_t chunk = 1; chunk <= 16; chunk++) {
		cr_assert_eq(parse("1\n4242\n4300\n", chunk, pids, 8), 3, "chunk %zu", chunk);
		cr_expect_eq(pids[0], 1);
		cr_expect_eq(pids[1], 4242, "chunk %zu: %llu", chunk, (unsigned long long)pids[1]);
		cr_expect_eq(pids[2], 4300);
	}
}

Test(procs, last_pid_without_a_newline)
{
	uint64_t pids[4];

	cr_assert_eq(parse("12\n345", 2, pids, 4), 2);
	cr_expect_eq(pids[1], 345);
	cr_expect_eq(parse("", 4, pids, 4), 0);
	cr_expect_eq(parse("\n\n", 1, pids, 4), 0);
}

Test(procs, garbage_ends_a_number)
{
	uint64_t pids[4];

	cr_assert_eq(parse("  12x7\n-3", 3, pids, 4), 3);
	cr_expect_eq(pids[0], 12);
	cr_expect_eq(pids[1], 7);
	cr_expect_eq(pids[2], 3);
}

Test(procs, numbers_past_int32_saturate_never_wrap)
{
	uint64_t pids[4];

	cr_assert_eq(parse("2147483647\n2147483648\n18446744073709551626\n", 5, pids, 4), 3);
	cr_expect_eq(pids[0], 2147483647);
	cr_expect_gt(pids[1], INT32_MAX);
	/* 2^64 + 10 would wrap to 10 in a plain accumulator. */
	cr_expect_gt(pids[2], INT32_MAX, "%llu", (unsigned long long)pids[2]);
}
