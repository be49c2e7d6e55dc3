/* libFuzzer targets for what oomguard reads about cgroups, where a wrong
 * answer kills the wrong processes. Built with -DFUZZ_CGROUP: the input is
 * /proc/PID/cgroup text, parsed for reports (cut to fit) and for acting on
 * (never cut), then its unit and whether --kill-cgroup may take it; or with
 * -DFUZZ_PROCS: the first byte picks a read size, the rest is cgroup.procs
 * text, parsed in chunks of that size and all at once, which must agree
 * with each other and with a plain reading of the digits. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/scope.h"
#include "parse/pidinfo.h"
#include "parse/procs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(FUZZ_CGROUP)
static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The unit of path and what --kill-cgroup says about it. */
static void check_path(const char *path)
{
	char unit[64], child[4200];

	pidinfo_unit_from_cgroup(path, unit, sizeof(unit));
	if (strlen(unit) >= sizeof(unit) ||
	    (unit[0] && !ends_with(unit, ".service") && !ends_with(unit, ".scope")))
		abort();
	/* Never ourselves, never an ancestor of ours (cgroup.kill takes the
	 * subtree), never the root or a path that climbs out with "..". */
	if (kill_cgroup_allowed(path, path))
		abort();
	snprintf(child, sizeof(child), "%s/oomguard.service", path);
	if (kill_cgroup_allowed(path, child))
		abort();
	if (kill_cgroup_allowed(path, "/system.slice/oomguard.service")) {
		if (path[0] != '/' || ends_with(path, "/") || strstr(path, "//") ||
		    strstr(path, "/./") || ends_with(path, "/.") || strstr(path, "/../") ||
		    ends_with(path, "/.."))
			abort();
	}
	/* Our own cgroup unknown: nothing may be killed whole. */
	if (kill_cgroup_allowed(path, ""))
		abort();
}

static void fuzz_one(const char *buf)
{
	char big[4096], small[8], strict[4096], strict_small[8];
	int r_big = pidinfo_parse_cgroup(buf, big, sizeof(big));
	int r_small = pidinfo_parse_cgroup(buf, small, sizeof(small));
	int r_strict = pidinfo_parse_cgroup_v2(buf, strict, sizeof(strict));
	int r_strict_small = pidinfo_parse_cgroup_v2(buf, strict_small, sizeof(strict_small));

	/* For reports: found or not whatever the room, cut to fit, the cut
	 * a prefix of the whole; a line's path never runs past its line. */
	if (r_big != r_small || (r_big == 0 && strncmp(big, small, strlen(small)) != 0) ||
	    (r_big == 0 && strchr(big, '\n')))
		abort();
	/* For acting: the "0::" line wins in both, so a strict answer is the
	 * report's answer, and it is never cut. */
	if (r_strict == 0 && (r_big != 0 || strcmp(strict, big) != 0))
		abort();
	if (r_strict_small == 0 && (r_strict != 0 || strcmp(strict_small, strict) != 0))
		abort();
	if (r_strict_small < 0 && r_strict_small != -ENAMETOOLONG && r_strict_small != r_strict)
		abort();
	if (r_strict_small == -ENAMETOOLONG && r_strict != -ENAMETOOLONG &&
	    (r_strict != 0 || strlen(strict) < sizeof(strict_small)))
		abort();
	if (r_big == 0)
		check_path(big);
}
#elif defined(FUZZ_PROCS)
/* Parse text in chunks of chunk bytes into pids (room for max). Returns
 * how many there were. */
static size_t parse(const char *text, size_t len, size_t chunk, uint64_t *pids, size_t max)
{
	struct procs_parser pp = { 0 };
	size_t n = 0;
	uint64_t pid;

	for (size_t at = 0; at < len; at += chunk) {
		size_t here = len - at < chunk ? len - at : chunk;

		for (size_t i = 0; procs_next_pid(&pp, text + at, here, &i, &pid);)
			if (n < max)
				pids[n++] = pid;
			else
				abort();
	}
	if (procs_last_pid(&pp, &pid)) {
		if (n >= max)
			abort();
		pids[n++] = pid;
	}
	return n;
}

/* The plain reading: each run of digits, its value when it is at most
 * INT32_MAX, else UINT64_MAX ("too big"). Leading zeros count for nothing;
 * more than 10 digits after them is too big; 10 or fewer fit in 64 bits.
 * Returns how many. */
static size_t reference(const char *text, size_t len, uint64_t *pids)
{
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		uint64_t v = 0;
		size_t digits = 0;

		if (text[i] < '0' || text[i] > '9') {
			i++;
			continue;
		}
		while (i < len && text[i] == '0')
			i++;
		for (; i < len && text[i] >= '0' && text[i] <= '9'; i++)
			if (++digits <= 10)
				v = v * 10 + (uint64_t)(text[i] - '0');
		pids[n++] = digits > 10 || v > INT32_MAX ? UINT64_MAX : v;
	}
	return n;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(FUZZ_CGROUP)
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	fuzz_one(buf);
	free(buf);
#elif defined(FUZZ_PROCS)
	/* At most one pid per two bytes ("1\n"), and one more at the end. */
	size_t max = size / 2 + 2, chunk, len, n_whole, n_chunked, n_ref;
	uint64_t *whole, *chunked, *ref;
	const char *text;

	if (size == 0)
		return 0;
	chunk = 1 + data[0] % 64;
	text = (const char *)data + 1;
	len = size - 1;
	whole = malloc(max * sizeof(*whole));
	chunked = malloc(max * sizeof(*chunked));
	ref = malloc(max * sizeof(*ref));
	if (!whole || !chunked || !ref)
		abort();
	n_whole = parse(text, len, len ? len : 1, whole, max);
	n_chunked = parse(text, len, chunk, chunked, max);
	n_ref = reference(text, len, ref);
	if (n_whole != n_chunked || n_whole != n_ref)
		abort();
	for (size_t i = 0; i < n_whole; i++) {
		if (whole[i] != chunked[i])
			abort();
		/* Too big comes out as anything above INT32_MAX, the caller
		 * skips it; a real pid comes out exact. */
		if (ref[i] == UINT64_MAX ? whole[i] <= INT32_MAX : whole[i] != ref[i])
			abort();
	}
	free(whole);
	free(chunked);
	free(ref);
#else
#error "define FUZZ_CGROUP or FUZZ_PROCS"
#endif
	return 0;
}
