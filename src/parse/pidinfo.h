/* Pure parsers for the per-process files under /proc/PID, into the
 * struct proc_sample a scan produces for each process (types.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "types.h"

/* Parse /proc/PID/stat:
 *   1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 ... 22:starttime ...
 * comm is taken between the first '(' and the LAST ')', so names holding
 * ") " cannot shift the fields. Fills pid, comm, state, ppid, pgrp, flags,
 * starttime. Returns 0, -ESRCH (a whole line of a task the kernel released
 * while printing it: ppid 0, pgrp and session -1; the process is gone) or
 * -EINVAL. */
int pidinfo_parse_stat(const char *buf, struct proc_sample *out);

/* Parse /proc/PID/status for Uid (real), VmRSS, VmSwap and VmPTE (and
 * VmSize, RssAnon, RssFile, RssShmem, for pidinfo_same_mm_counters()):
 *   Uid:	1000	1000	1000	1000
 *   VmRSS:	   12345 kB
 * Kernel threads and zombies have no Vm* lines: has_mm is then false and
 * the sizes 0. Returns 0 or -EINVAL (no Uid line, malformed number). */
int pidinfo_parse_status(const char *buf, struct proc_sample *out);

/* The same, a line at a time, for a status read in pieces: its Groups line
 * alone can be 700 KiB (NGROUPS_MAX is 65536), far more than a buffer of
 * the scan's. pidinfo_status_begin(), then pidinfo_status_line() for each
 * line (NUL- or newline-terminated; a line cut short still parses as far as
 * it goes), then pidinfo_status_end(). _line returns 0 or -EINVAL (a
 * malformed number on a line we read); _end returns 0 or -EINVAL (no Uid
 * line was seen). */
struct pidinfo_status {
	struct proc_sample *out;
	bool have_uid;
};

void pidinfo_status_begin(struct pidinfo_status *st, struct proc_sample *out);
int pidinfo_status_line(struct pidinfo_status *st, const char *line);
int pidinfo_status_end(const struct pidinfo_status *st);

/* Do a and b show the same mm counters (VmSize, VmRSS, RssAnon, RssFile,
 * RssShmem, VmSwap, VmPTE), both having an mm? Two processes sharing one
 * mm show the same; two separate ones almost never do. Returns true or
 * false. */
bool pidinfo_same_mm_counters(const struct proc_sample *a, const struct proc_sample *b);

/* Parse /proc/PID/oom_score_adj ("-1000".."1000" and a newline).
 * Returns 0 or -EINVAL. */
int pidinfo_parse_oom_score_adj(const char *buf, int *adj);

/* Find the cgroup path in /proc/PID/cgroup text, for reports and matching:
 * the unified "0::/path" line wherever it stands, else (a v1-only system)
 * the first "name=systemd" one:
 *   9:name=systemd:/user.slice/session-3.scope
 *   0::/system.slice/nginx.service
 * Copies it into out (NUL-terminated, cut to len). Returns 0 or -ENOENT. */
int pidinfo_parse_cgroup(const char *buf, char *out, size_t len);

/* The same text, strictly, for acting on the path (cgroup.kill): only the
 * cgroup v2 "0::" line counts ("10::" does not), and a path that does not
 * fit is refused, never cut (a cut path names an ancestor). Copies it into
 * out. Returns 0, -ENOENT (no "0::" line: a v1-only system) or
 * -ENAMETOOLONG. */
int pidinfo_parse_cgroup_v2(const char *buf, char *out, size_t len);

/* The systemd unit of a cgroup path, as systemd names it: the first
 * component below the slices, if it is a .service or .scope
 * ("/system.slice/docker.service/x.service" -> "docker.service"). Inside a
 * user's service manager the user unit follows after a slash:
 * "/user.slice/user-1000.slice/user@1000.service/app.slice/app-x.scope" ->
 * "user@1000.service/app-x.scope". Copies it into out; empty when there is
 * none or it does not fit. Returns out. */
const char *pidinfo_unit_from_cgroup(const char *cgroup, char *out, size_t len);

/* Turn the NUL-separated /proc/PID/cmdline bytes (len of them) into one
 * space-separated string in place. Returns buf. */
char *pidinfo_join_cmdline(char *buf, size_t len);
