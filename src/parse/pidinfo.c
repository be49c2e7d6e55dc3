#include "parse/pidinfo.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "parse/strutil.h"

/* Move past count space-separated fields. Returns NULL when fewer are left. */
static const char *skip_fields(const char *p, int count)
{
	for (; count > 0; count--) {
		while (*p && *p != ' ' && *p != '\n')
			p++;
		if (*p != ' ')
			return NULL;
		p++;
	}
	return p;
}

int pidinfo_parse_stat(const char *buf, struct proc_sample *out)
{
	const char *open = strchr(buf, '(');
	const char *close = strrchr(buf, ')');
	const char *p, *end;
	uint64_t value;
	int64_t svalue;
	size_t comm_len;
	bool released;

	if (!open || !close || close < open)
		return -EINVAL;
	if (strutil_parse_i64(buf, &end, 1, INT_MAX, &svalue) < 0 || end + 1 != open)
		return -EINVAL;
	out->pid = (pid_t)svalue;
	comm_len = (size_t)(close - open - 1);
	if (comm_len >= sizeof(out->comm))
		comm_len = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, comm_len);
	out->comm[comm_len] = '\0';

	/* After ") ": field 3 state, 4 ppid, 5 pgrp, 6..8 skipped, 9 flags,
	 * 10..21 skipped, 22 starttime. */
	p = close + 1;
	if (*p != ' ' || !p[1] || p[2] != ' ')
		return -EINVAL;
	out->state = p[1];
	p += 3;
	if (strutil_parse_i64(p, &end, 0, INT_MAX, &svalue) < 0 || *end != ' ')
		return -EINVAL;
	out->ppid = (pid_t)svalue;
	p = end + 1;
	if (strutil_parse_i64(p, &end, -1, INT_MAX, &svalue) < 0 || *end != ' ')
		return -EINVAL;
	out->pgrp = (pid_t)svalue;
	/* The kernel prints ppid 0, pgrp -1 and session -1 when the task was
	 * released (reaped) while it printed the line: do_task_stat() then
	 * finds no sighand to read them under. Nowhere else is pgrp -1. */
	released = svalue == -1;
	if (released && (out->ppid != 0 || strncmp(end + 1, "-1 ", 3) != 0))
		return -EINVAL;
	if (!(p = skip_fields(end + 1, 3)))	/* 6..8 */
		return -EINVAL;
	if (strutil_parse_u64(p, &end, UINT_MAX, &value) < 0 || *end != ' ')
		return -EINVAL;
	out->flags = (unsigned)value;
	if (!(p = skip_fields(end + 1, 12)))	/* 10..21 */
		return -EINVAL;
	if (strutil_parse_u64(p, &end, UINT64_MAX, &out->starttime) < 0 ||
	    (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	return released ? -ESRCH : 0;
}

/* "VmRSS:\t   12345 kB" -> 12345. */
static int parse_kib(const char *p, uint64_t *kib)
{
	const char *end;

	p = strutil_skip_blanks(p);
	/* 2^50 KiB, as for meminfo: a bound that keeps sums in 64 bits. */
	if (strutil_parse_u64(p, &end, UINT64_C(1) << 50, kib) < 0)
		return -EINVAL;
	if (strncmp(end, " kB", 3) != 0 || (end[3] != '\n' && end[3] != '\0'))
		return -EINVAL;
	return 0;
}

void pidinfo_status_begin(struct pidinfo_status *st, struct proc_sample *out)
{
	st->out = out;
	st->have_uid = false;
	out->has_mm = false;
	out->rss_kib = out->swap_kib = out->pte_kib = 0;
	out->vm_size_kib = out->rss_anon_kib = out->rss_file_kib = out->rss_shmem_kib = 0;
}

int pidinfo_status_line(struct pidinfo_status *st, const char *line)
{
	struct proc_sample *out = st->out;
	int r = 0;

	if (strutil_startswith(line, "Uid:")) {
		const char *end;
		uint64_t uid;

		r = strutil_parse_u64(strutil_skip_blanks(line + 4), &end, UINT32_MAX - 1, &uid);
		if (r == 0 && *end != '\t' && *end != ' ')
			r = -EINVAL;
		out->uid = (uid_t)uid;
		st->have_uid = r == 0;
	} else if (strutil_startswith(line, "VmRSS:")) {
		r = parse_kib(line + 6, &out->rss_kib);
		out->has_mm = r == 0;
	} else if (strutil_startswith(line, "VmSwap:")) {
		r = parse_kib(line + 7, &out->swap_kib);
	} else if (strutil_startswith(line, "VmPTE:")) {
		r = parse_kib(line + 6, &out->pte_kib);
	} else if (strutil_startswith(line, "VmSize:")) {
		r = parse_kib(line + 7, &out->vm_size_kib);
	} else if (strutil_startswith(line, "RssAnon:")) {
		r = parse_kib(line + 8, &out->rss_anon_kib);
	} else if (strutil_startswith(line, "RssFile:")) {
		r = parse_kib(line + 8, &out->rss_file_kib);
	} else if (strutil_startswith(line, "RssShmem:")) {
		r = parse_kib(line + 9, &out->rss_shmem_kib);
	}
	return r < 0 ? -EINVAL : 0;
}

bool pidinfo_same_mm_counters(const struct proc_sample *a, const struct proc_sample *b)
{
	return a->has_mm && b->has_mm && a->vm_size_kib == b->vm_size_kib &&
	       a->rss_kib == b->rss_kib && a->rss_anon_kib == b->rss_anon_kib &&
	       a->rss_file_kib == b->rss_file_kib && a->rss_shmem_kib == b->rss_shmem_kib &&
	       a->swap_kib == b->swap_kib && a->pte_kib == b->pte_kib;
}

int pidinfo_status_end(const struct pidinfo_status *st)
{
	return st->have_uid ? 0 : -EINVAL;
}

int pidinfo_parse_status(const char *buf, struct proc_sample *out)
{
	struct pidinfo_status st;
	const char *line = buf;

	pidinfo_status_begin(&st, out);
	while (*line) {
		const char *nl = strchr(line, '\n');

		/* Each key's parser stops at the '\n' that ends its line. */
		if (pidinfo_status_line(&st, line) < 0)
			return -EINVAL;
		if (!nl)
			break;
		line = nl + 1;
	}
	return pidinfo_status_end(&st);
}

int pidinfo_parse_oom_score_adj(const char *buf, int *adj)
{
	const char *end;
	int64_t value;

	if (strutil_parse_i64(buf, &end, -1000, 1000, &value) < 0)
		return -EINVAL;
	if (*end == '\n')
		end++;
	if (*end != '\0')
		return -EINVAL;
	*adj = (int)value;
	return 0;
}

/* The one walk over /proc/PID/cgroup lines behind both public parsers: the
 * "0::" line wins wherever it stands; without it, unless v2_only, the first
 * v1 "N:name=systemd:" line. Sets *path and *path_len (up to the newline).
 * Returns 0 or -ENOENT. */
static int find_cgroup(const char *buf, bool v2_only, const char **path, size_t *path_len)
{
	const char *line = buf, *found = NULL;

	while (*line) {
		const char *nl = strchr(line, '\n');

		if (strutil_startswith(line, "0::")) {
			found = line + 3;
			break;
		}
		if (!v2_only && !found &&
		    strutil_startswith(line + strspn(line, "0123456789"), ":name=systemd:"))
			found = strchr(line, ':') + strlen(":name=systemd:");
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!found)
		return -ENOENT;
	*path = found;
	*path_len = strcspn(found, "\n");
	return 0;
}

int pidinfo_parse_cgroup(const char *buf, char *out, size_t len)
{
	const char *path;
	size_t n;

	if (len == 0 || find_cgroup(buf, false, &path, &n) < 0)
		return -ENOENT;
	/* For reports and matching: the start of a long path still says most. */
	if (n >= len)
		n = len - 1;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int pidinfo_parse_cgroup_v2(const char *buf, char *out, size_t len)
{
	const char *path;
	size_t n;
	int r;

	r = find_cgroup(buf, true, &path, &n);
	if (r < 0)
		return r;
	/* Never cut: the path is written to as cgroup.kill, and a cut path
	 * names an ancestor. */
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static bool is_unit(const char *s, size_t len)
{
	return ends_with(s, len, ".service") || ends_with(s, len, ".scope");
}

/* The next path component after *p that is not a slice; its length in
 * *len, NULL when none is left. */
static const char *next_non_slice(const char **p, size_t *len)
{
	while (**p) {
		const char *start;

		while (**p == '/')
			(*p)++;
		start = *p;
		while (**p && **p != '/')
			(*p)++;
		*len = (size_t)(*p - start);
		if (*len && !ends_with(start, *len, ".slice"))
			return start;
	}
	return NULL;
}

const char *pidinfo_unit_from_cgroup(const char *cgroup, char *out, size_t len)
{
	const char *p = cgroup, *unit, *user_unit = NULL;
	size_t unit_len, user_len = 0;

	out[0] = '\0';
	/* As systemd: the unit is the first component below the slices.
	 * Deeper names belong to whoever the subtree is delegated to (a
	 * container runtime, a user) and could claim any unit's name. */
	unit = next_non_slice(&p, &unit_len);
	if (!unit || !is_unit(unit, unit_len))
		return out;
	/* A user's service manager: add the user unit, the part desktop
	 * users recognise ("user@1000.service/app-firefox-1234.scope"). */
	if (strncmp(unit, "user@", 5) == 0) {
		user_unit = next_non_slice(&p, &user_len);
		if (!user_unit || !is_unit(user_unit, user_len))
			user_len = 0;
	}
	if (unit_len + 1 + user_len >= len)
		return out;
	memcpy(out, unit, unit_len);
	out[unit_len] = '\0';
	if (user_len) {
		out[unit_len] = '/';
		memcpy(out + unit_len + 1, user_unit, user_len);
		out[unit_len + 1 + user_len] = '\0';
	}
	return out;
}

char *pidinfo_join_cmdline(char *buf, size_t len)
{
	/* Trailing NULs end the last argument; inner ones separate arguments. */
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	return buf;
}
