/* Per-process parsers: real captures and nasty names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "parse/pidinfo.h"

/* /proc/self/stat of a bash on Linux 6.18. */
static const char bash_stat[] =
	"7441 (bash) S 7440 7441 7441 0 -1 4194560 2371 10563 0 0 3 4 7 6 20 0 1 0 "
	"180723 8912896 770 18446744073709551615 94360545300480 94360546186125 "
	"140726393012784 0 0 0 65536 3686404 1266761467 1 0 0 17 1 0 0 0 0 0 "
	"94360546419856 94360546467888 94360555282432 140726393019207 140726393019212 "
	"140726393019212 140726393020398 0\n";

Test(pidinfo, stat_real_capture)
{
	struct proc_sample p;

	cr_assert_eq(pidinfo_parse_stat(bash_stat, &p), 0);
	cr_expect_eq(p.pid, 7441);
	cr_expect_str_eq(p.comm, "bash");
	cr_expect_eq(p.state, 'S');
	cr_expect_eq(p.ppid, 7440);
	cr_expect_eq(p.pgrp, 7441);
	cr_expect_eq(p.flags, 4194560);
	cr_expect_eq(p.starttime, 180723);
}

Test(pidinfo, stat_comm_with_spaces_parens_and_newline)
{
	struct proc_sample p;
	const char *stat = "42 (a) b) (c\nd) R 1 42 42 0 -1 2097152 0 0 0 0 0 0 0 0 20 0 1 0 999 0 0\n";

	cr_assert_eq(pidinfo_parse_stat(stat, &p), 0);
	cr_expect_str_eq(p.comm, "a) b) (c\nd");
	cr_expect_eq(p.state, 'R');
	cr_expect_eq(p.flags, PIDINFO_PF_KTHREAD);
	cr_expect_eq(p.starttime, 999);
}

Test(pidinfo, stat_fifteen_byte_and_empty_names)
{
	struct proc_sample p;

	cr_assert_eq(pidinfo_parse_stat("5 (123456789012345) S 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0", &p), 0);
	cr_expect_str_eq(p.comm, "123456789012345");
	cr_assert_eq(pidinfo_parse_stat("5 () S 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0", &p), 0);
	cr_expect_str_eq(p.comm, "");
}

Test(pidinfo, stat_truncated_or_garbage)
{
	struct proc_sample p;

	cr_expect_eq(pidinfo_parse_stat("", &p), -EINVAL);
	cr_expect_eq(pidinfo_parse_stat("42 (x) S 1 42 42 0 -1 0 0 0", &p), -EINVAL);
	cr_expect_eq(pidinfo_parse_stat("42 (x S 1 42", &p), -EINVAL);
	cr_expect_eq(pidinfo_parse_stat("x (y) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7", &p), -EINVAL);
	cr_expect_eq(pidinfo_parse_stat("42 (x) S 1 42 42 0 -1 zz 0 0 0 0 0 0 0 0 20 0 1 0 7", &p), -EINVAL);
	cr_expect_eq(pidinfo_parse_stat("42 (x) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -7", &p), -EINVAL);
}

/* /proc/PID/stat of a fork child reaped while the kernel printed it, seen
 * under fork churn on Linux 6.18: do_task_stat() found no sighand (the task
 * was released), so ppid, pgrp and session stayed at their 0, -1, -1. */
static const char reaped_stat[] =
	"997 (test_robust) X 0 -1 -1 0 -1 4194380 28 0 0 0 0 0 0 0 20 0 0 0 170228 "
	"0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

Test(pidinfo, stat_of_a_task_reaped_mid_read_is_gone)
{
	struct proc_sample p;

	cr_expect_eq(pidinfo_parse_stat(reaped_stat, &p), -ESRCH);
	/* Only the kernel's exact sentinels, on a whole line, mean gone. */
	cr_expect_eq(pidinfo_parse_stat("997 (x) X 0 -1 -1 0 -1", &p), -EINVAL, "truncated");
	cr_expect_eq(pidinfo_parse_stat("42 (x) S 1 -1 -1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7", &p),
		     -EINVAL, "ppid not 0");
	cr_expect_eq(pidinfo_parse_stat("42 (x) S 0 -1 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7", &p),
		     -EINVAL, "session not -1");
	cr_expect_eq(pidinfo_parse_stat("42 (x) S 0 -2 -1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7", &p),
		     -EINVAL);
	cr_expect_eq(pidinfo_parse_stat("42 (x) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7", &p), 0);
	cr_expect_eq(p.pgrp, 42);
}

static const char status_capture[] =
	"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t7441\nNgid:\t0\nPid:\t7441\n"
	"PPid:\t7440\nTracerPid:\t0\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n"
	"FDSize:\t256\nGroups:\t0 \nVmPeak:\t    8704 kB\nVmSize:\t    8704 kB\nVmLck:\t       0 kB\n"
	"VmPin:\t       0 kB\nVmHWM:\t    4284 kB\nVmRSS:\t    3080 kB\nRssAnon:\t     928 kB\n"
	"RssFile:\t    2152 kB\nRssShmem:\t       0 kB\nVmData:\t    1016 kB\nVmStk:\t     132 kB\n"
	"VmExe:\t     892 kB\nVmLib:\t    1876 kB\nVmPTE:\t      56 kB\nVmSwap:\t      12 kB\n"
	"HugetlbPages:\t       0 kB\nThreads:\t1\n";

Test(pidinfo, status_real_capture)
{
	struct proc_sample p;

	cr_assert_eq(pidinfo_parse_status(status_capture, &p), 0);
	cr_expect_eq(p.uid, 1000, "the real uid is the first field");
	cr_expect(p.has_mm);
	cr_expect_eq(p.rss_kib, 3080);
	cr_expect_eq(p.pte_kib, 56);
	cr_expect_eq(p.swap_kib, 12);
}

Test(pidinfo, status_kernel_thread_has_no_mm)
{
	struct proc_sample p;

	cr_assert_eq(pidinfo_parse_status("Name:\tkworker/0:1\nUid:\t0\t0\t0\t0\nThreads:\t1\n", &p), 0);
	cr_expect_not(p.has_mm);
	cr_expect_eq(p.rss_kib, 0);
}

Test(pidinfo, status_bad)
{
	struct proc_sample p;

	cr_expect_eq(pidinfo_parse_status("Name:\tx\nVmRSS:\t 5 kB\n", &p), -EINVAL, "no Uid");
	cr_expect_eq(pidinfo_parse_status("Uid:\t0\t0\t0\t0\nVmRSS:\t 5x kB\n", &p), -EINVAL);
	cr_expect_eq(pidinfo_parse_status("Uid:\t0\t0\t0\t0\nVmRSS:\t 5", &p), -EINVAL, "truncated");
	cr_expect_eq(pidinfo_parse_status("Uid:\tx\n", &p), -EINVAL);
	/* A name that looks like a key is on the Name line, never at line start. */
	cr_assert_eq(pidinfo_parse_status("Name:\tVmRSS:\\t 99 kB\nUid:\t5\t5\t5\t5\nVmRSS:\t 7 kB\n", &p), 0);
	cr_expect_eq(p.rss_kib, 7);
}

Test(pidinfo, oom_score_adj)
{
	int adj;

	cr_expect_eq(pidinfo_parse_oom_score_adj("0\n", &adj), 0);
	cr_expect_eq(adj, 0);
	cr_expect_eq(pidinfo_parse_oom_score_adj("-1000\n", &adj), 0);
	cr_expect_eq(adj, -1000);
	cr_expect_eq(pidinfo_parse_oom_score_adj("1000", &adj), 0);
	cr_expect_eq(adj, 1000);
	cr_expect_eq(pidinfo_parse_oom_score_adj("1001\n", &adj), -EINVAL);
	cr_expect_eq(pidinfo_parse_oom_score_adj("-1001\n", &adj), -EINVAL);
	cr_expect_eq(pidinfo_parse_oom_score_adj("", &adj), -EINVAL);
	cr_expect_eq(pidinfo_parse_oom_score_adj("12 \n", &adj), -EINVAL);
}

/* The strict variant kill's cgroup path relies on (its result names the
 * cgroup.kill to write). */
Test(pidinfo, cgroup_v2_strict)
{
	char path[64];

	cr_assert_eq(pidinfo_parse_cgroup_v2("4:memory:/user.slice\n1:name=systemd:/x\n"
					     "0::/user.slice/user-1000.slice/session-2.scope\n",
					     path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/user.slice/user-1000.slice/session-2.scope");
	cr_assert_eq(pidinfo_parse_cgroup_v2("0::/system.slice/nginx.service", path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/system.slice/nginx.service");
	cr_assert_eq(pidinfo_parse_cgroup_v2("0::/\n", path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/");
	/* A v1-only system: name=systemd is not a v2 path to cgroup.kill. */
	cr_expect_eq(pidinfo_parse_cgroup_v2("1:name=systemd:/system.slice/a.service\n", path,
					     sizeof(path)), -ENOENT);
	cr_expect_eq(pidinfo_parse_cgroup_v2("", path, sizeof(path)), -ENOENT);
	/* "10::" is not "0::". */
	cr_expect_eq(pidinfo_parse_cgroup_v2("10::/a\n", path, sizeof(path)), -ENOENT);
	/* Never cut: a cut path would name an ancestor. */
	cr_expect_eq(pidinfo_parse_cgroup_v2("0::/aaaaaaaaaa/bbbbbbbbbb\n", path, 12), -ENAMETOOLONG);
	/* The reporting parser, on the same inputs, takes v1 and cuts. */
	cr_assert_eq(pidinfo_parse_cgroup("1:name=systemd:/system.slice/a.service\n", path,
					  sizeof(path)), 0);
	cr_expect_str_eq(path, "/system.slice/a.service");
	cr_assert_eq(pidinfo_parse_cgroup("0::/aaaaaaaaaa/bbbbbbbbbb\n", path, 12), 0);
	cr_expect_str_eq(path, "/aaaaaaaaaa");
}

Test(pidinfo, cgroup_and_unit)
{
	char path[256], unit[64];

	cr_assert_eq(pidinfo_parse_cgroup("0::/system.slice/nginx.service\n", path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/system.slice/nginx.service");
	cr_expect_str_eq(pidinfo_unit_from_cgroup(path, unit, sizeof(unit)), "nginx.service");
	/* v1 hybrid: the unified line wins wherever it stands. */
	cr_assert_eq(pidinfo_parse_cgroup("9:name=systemd:/old.scope\n4:memory:/x\n0::/new.scope\n",
					  path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/new.scope");
	cr_assert_eq(pidinfo_parse_cgroup("1:name=systemd:/user.slice/session-3.scope\n", path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/user.slice/session-3.scope");
	cr_expect_eq(pidinfo_parse_cgroup("4:memory:/x\n", path, sizeof(path)), -ENOENT);
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/"
						  "app-firefox-12.scope", unit, sizeof(unit)),
			 "user@1000.service/app-firefox-12.scope");
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/user.slice/user-1000.slice/user@1000.service/init.scope",
						  unit, sizeof(unit)), "user@1000.service/init.scope");
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/user.slice/user-1000.slice/session-3.scope", unit,
						  sizeof(unit)), "session-3.scope");
	/* A delegated subtree cannot claim another unit's name. */
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/system.slice/docker.service/sshd.service", unit,
						  sizeof(unit)), "docker.service");
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/init.scope", unit, sizeof(unit)), "init.scope");
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/system.slice/x.mount/y.service", unit, sizeof(unit)), "");
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/system.slice/nginx.service", unit, 8), "",
			 "too long for the buffer: empty, not cut");
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/system.slice/foo.service/worker", unit, sizeof(unit)),
			 "foo.service");
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/", unit, sizeof(unit)), "");
	cr_expect_str_eq(pidinfo_unit_from_cgroup("/user.slice", unit, sizeof(unit)), "");
}

Test(pidinfo, cmdline_join)
{
	char buf[] = "java\0-jar\0app.jar\0\0";

	cr_expect_str_eq(pidinfo_join_cmdline(buf, sizeof(buf) - 1), "java -jar app.jar");
}

/* The line-at-a-time status parser, as the scan feeds it: lines without
 * their newline give the figures the whole-buffer parser gives. */
Test(pidinfo, status_line_by_line_equals_whole)
{
	struct proc_sample whole, lines;
	struct pidinfo_status st;
	char copy[sizeof(status_capture)];
	char *line = copy, *nl;

	memset(&whole, 0, sizeof(whole));
	memset(&lines, 0, sizeof(lines));
	cr_assert_eq(pidinfo_parse_status(status_capture, &whole), 0);
	memcpy(copy, status_capture, sizeof(copy));
	pidinfo_status_begin(&st, &lines);
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		cr_assert_eq(pidinfo_status_line(&st, line), 0, "%s", line);
		line = nl + 1;
	}
	cr_assert_eq(pidinfo_status_end(&st), 0);
	cr_expect_eq(lines.uid, whole.uid);
	cr_expect_eq(lines.has_mm, whole.has_mm);
	cr_expect_eq(lines.rss_kib, whole.rss_kib);
	cr_expect_eq(lines.swap_kib, whole.swap_kib);
	cr_expect_eq(lines.pte_kib, whole.pte_kib);

	/* No Uid line: malformed at the end; a bad number at its line. */
	pidinfo_status_begin(&st, &lines);
	cr_expect_eq(pidinfo_status_line(&st, "Groups:\t4 24 27 30"), 0);
	cr_expect_eq(pidinfo_status_end(&st), -EINVAL);
	cr_expect_eq(pidinfo_status_line(&st, "VmRSS:\t 12x kB"), -EINVAL);
	/* A line cut short (the start of an overlong one) is read as far as
	 * it goes: a number without its " kB" is malformed. */
	cr_expect_eq(pidinfo_status_line(&st, "VmRSS:\t 1234"), -EINVAL);
}
