/* --metrics-file on disk: whatever another user plants in the directory (a
 * FIFO, a file of theirs, a hard link or a symlink at the old PATH.tmp or
 * at PATH) is never opened, written through or waited on; an unsafe
 * directory is refused at start-up. Each case runs with O_TMPFILE and with
 * the named fallback a filesystem without it gets. */
#define _GNU_SOURCE	/* O_TMPFILE */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "tell/metrics.h"

#define TEXT "oomguard_mem_total_bytes 2063597568\n"

static char dir[64];
static char path[128], tmp[160], target[128];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomguard-metrics-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/node.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(target, sizeof(target), "%s/target", dir);
}

static void remove_dir(void)
{
	char cmd[128];

	chmod(dir, 0700);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(metrics, .init = make_dir, .fini = remove_dir);

/* Open the file in mode tmpfile (false: as on a filesystem without
 * O_TMPFILE) and write TEXT; expect it at path. */
static void write_metrics(bool tmpfile)
{
	static struct metrics m;
	char buf[256];

	memset(&m, 0, sizeof(m));
	cr_assert_eq(metrics_open(&m, path), 0);
	m.no_tmpfile = !tmpfile;
	cr_assert_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	cr_assert_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0, "a second write over the first");
	cr_expect_eq(m.no_tmpfile, !tmpfile, "the O_TMPFILE path was taken: %d", tmpfile);
	metrics_close(&m);
	cr_assert_not_null(fixture_read(path, buf, sizeof(buf)), "no metrics at %s", path);
	cr_expect_str_eq(buf, TEXT);
}

/* The names in dir other than the ones expected, as one string. */
static const char *strays(const char *a, const char *b, const char *c)
{
	static char out[512];
	DIR *d = opendir(dir);
	struct dirent *e;

	cr_assert_not_null(d);
	out[0] = '\0';
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    (a && strcmp(e->d_name, a) == 0) || (b && strcmp(e->d_name, b) == 0) ||
		    (c && strcmp(e->d_name, c) == 0))
			continue;
		strncat(out, e->d_name, sizeof(out) - strlen(out) - 2);
		strcat(out, " ");
	}
	closedir(d);
	return out;
}

static void need_tmpfile(void)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY, 0600);

	if (fd < 0)
		cr_skip_test("the filesystem of %s has no O_TMPFILE (%s); the fallback is tested",
			     dir, strerror(errno));
	close(fd);
}

static void planted_fifo(bool tmpfile)
{
	struct stat st;

	cr_assert_eq(mkfifo(tmp, 0666), 0);
	write_metrics(tmpfile);
	cr_assert_eq(lstat(tmp, &st), 0);
	cr_expect(S_ISFIFO(st.st_mode), "the planted FIFO is left alone");
	cr_expect_str_eq(strays("node.prom", "node.prom.tmp", NULL), "", "left behind");
}

/* A FIFO blocks open(O_WRONLY) until someone reads it: the loop would stop
 * deciding. The timeout turns such a hang into a failure. */
Test(metrics, planted_fifo_at_tmp_does_not_block_tmpfile, .timeout = 10)
{
	need_tmpfile();
	planted_fifo(true);
}

Test(metrics, planted_fifo_at_tmp_does_not_block_named, .timeout = 10)
{
	planted_fifo(false);
}

static void planted_file(bool tmpfile)
{
	char buf[64];

	fixture_puts(dir, "node.prom.tmp", "theirs\n");
	write_metrics(tmpfile);
	cr_assert_not_null(fixture_read(tmp, buf, sizeof(buf)));
	cr_expect_str_eq(buf, "theirs\n", "the planted file was written through");
}

Test(metrics, planted_file_at_tmp_is_not_written_tmpfile, .timeout = 10)
{
	need_tmpfile();
	planted_file(true);
}

Test(metrics, planted_file_at_tmp_is_not_written_named, .timeout = 10)
{
	planted_file(false);
}

static void planted_hardlink(bool tmpfile)
{
	char buf[64];
	struct stat st;

	fixture_puts(dir, "target", "precious\n");
	cr_assert_eq(link(target, tmp), 0);
	write_metrics(tmpfile);
	cr_assert_not_null(fixture_read(target, buf, sizeof(buf)));
	cr_expect_str_eq(buf, "precious\n", "the hard link's target was clobbered");
	cr_assert_eq(stat(target, &st), 0);
	cr_expect_eq(st.st_nlink, 2, "the planted link is left alone");
	cr_expect_str_eq(strays("node.prom", "node.prom.tmp", "target"), "", "left behind");
}

Test(metrics, planted_hardlink_at_tmp_keeps_its_target_tmpfile, .timeout = 10)
{
	need_tmpfile();
	planted_hardlink(true);
}

Test(metrics, planted_hardlink_at_tmp_keeps_its_target_named, .timeout = 10)
{
	planted_hardlink(false);
}

/* Symlinks at the temporary name and at PATH itself: replaced, never
 * followed. */
static void planted_symlinks(bool tmpfile)
{
	char buf[64];
	struct stat st;

	fixture_puts(dir, "target", "precious\n");
	cr_assert_eq(symlink(target, tmp), 0);
	cr_assert_eq(symlink(target, path), 0);
	write_metrics(tmpfile);
	cr_assert_not_null(fixture_read(target, buf, sizeof(buf)));
	cr_expect_str_eq(buf, "precious\n", "a symlink was followed");
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect(S_ISREG(st.st_mode), "PATH is our file now");
}

Test(metrics, planted_symlinks_are_not_followed_tmpfile, .timeout = 10)
{
	need_tmpfile();
	planted_symlinks(true);
}

Test(metrics, planted_symlinks_are_not_followed_named, .timeout = 10)
{
	planted_symlinks(false);
}

/* A FIFO at PATH itself: renamed over, not opened. */
Test(metrics, planted_fifo_at_path_is_replaced, .timeout = 10)
{
	struct stat st;

	cr_assert_eq(mkfifo(path, 0666), 0);
	write_metrics(false);
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect(S_ISREG(st.st_mode));
}

/* Open the file in dir with mode (and owner), expect r from metrics_open;
 * -EPERM also means metrics_write makes nothing. */
static void check_dir(mode_t mode, uid_t uid, gid_t gid, int expect)
{
	static struct metrics m;
	int r;

	cr_assert_eq(chown(dir, uid, gid), 0, "chown: %s", strerror(errno));
	cr_assert_eq(chmod(dir, mode), 0);
	memset(&m, 0, sizeof(m));
	r = metrics_open(&m, path);
	cr_expect_eq(r, expect, "mode %o uid %u gid %u: %d, expected %d", (unsigned)mode,
		     (unsigned)uid, (unsigned)gid, r, expect);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	cr_expect_eq(access(path, F_OK) == 0, expect == 0, "mode %o: metrics %s", (unsigned)mode,
		     expect == 0 ? "missing" : "written anyway");
	metrics_close(&m);
	unlink(path);
}

Test(metrics, world_writable_directory_without_sticky_bit_is_refused)
{
	check_dir(0777, 0, 0, -EPERM);
	check_dir(0773, 0, 0, -EPERM);
}

Test(metrics, group_writable_directory_of_another_group_is_refused)
{
	check_dir(0770, 0, 65534, -EPERM);
	check_dir(0770, 0, 0, 0);
}

Test(metrics, directory_of_another_user_is_refused)
{
	check_dir(0755, 65534, 0, -EPERM);
	check_dir(01777, 65534, 0, -EPERM);
}

Test(metrics, sticky_or_private_directory_is_accepted)
{
	check_dir(01777, 0, 0, 0);	/* like /tmp */
	check_dir(0755, 0, 0, 0);
	check_dir(0700, 0, 0, 0);
}

Test(metrics, bad_names_are_refused)
{
	static struct metrics m;
	char name[300];

	snprintf(name, sizeof(name), "%s/", dir);
	cr_expect_eq(metrics_open(&m, name), -EPERM);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_expect_eq(metrics_open(&m, name), -EPERM, "a name longer than NAME_MAX");
	metrics_close(&m);
	cr_expect_str_eq(strays(NULL, NULL, NULL), "");
}

/* The directory removed and made again (a package reinstalled): the next
 * write opens the new one. A missing directory at start-up is retried. */
Test(metrics, directory_made_again_is_opened_again)
{
	static struct metrics m;
	char buf[256];

	cr_assert_eq(rmdir(dir), 0);
	cr_expect_eq(metrics_open(&m, path), -ENOENT);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), -ENOENT);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rmdir(dir), 0);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), -ENOENT);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	cr_assert_not_null(fixture_read(path, buf, sizeof(buf)));
	cr_expect_str_eq(buf, TEXT);
	metrics_close(&m);
}

/* Renamed away and replaced: the metrics go to the new directory, which
 * is checked like the first. */
Test(metrics, directory_replaced_is_opened_and_checked_again)
{
	static struct metrics m;
	char old[80], old_file[128], buf[256];

	snprintf(old, sizeof(old), "%s.old", dir);
	snprintf(old_file, sizeof(old_file), "%s/node.prom", old);
	cr_assert_eq(metrics_open(&m, path), 0);
	cr_assert_eq(rename(dir, old), 0);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	cr_expect_not_null(fixture_read(path, buf, sizeof(buf)), "not in the new directory");
	cr_expect_neq(access(old_file, F_OK), 0, "written to the old directory");
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(chmod(dir, 0777), 0);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	cr_expect_neq(access(path, F_OK), 0, "written to an unsafe directory");
	metrics_close(&m);
	rmdir(old);
}

Test(metrics, no_file_does_nothing)
{
	static struct metrics m;

	cr_expect_eq(metrics_open(&m, NULL), 0);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	metrics_close(&m);
	/* A zeroed struct (loop_open failed before metrics_open) must not
	 * close descriptor 0. */
	memset(&m, 0, sizeof(m));
	metrics_close(&m);
	cr_expect_neq(fcntl(0, F_GETFD), -1, "descriptor 0 was closed");
}

/* A bare name is in the working directory at start-up. */
Test(metrics, relative_name_is_in_the_working_directory)
{
	static struct metrics m;
	char buf[256];

	cr_assert_eq(chdir(dir), 0);
	cr_assert_eq(metrics_open(&m, "node.prom"), 0);
	cr_expect_eq(metrics_write(&m, TEXT, strlen(TEXT)), 0);
	metrics_close(&m);
	cr_assert_not_null(fixture_read(path, buf, sizeof(buf)));
	cr_expect_str_eq(buf, TEXT);
	cr_assert_eq(chdir("/"), 0);
}

/* Warnings are counted by the reason word the log, the history and the
 * journal carry; a kill reason is no warning. */
Test(metrics, warnings_are_counted_by_reason)
{
	static char buf[8192];
	struct sample s = { 0 };
	struct capacity cap = { 0 };
	struct metrics m = { 0 };

	metrics_count_warning(&m, REASON_WARN_MEMORY);
	metrics_count_warning(&m, REASON_WARN_MEMORY);
	metrics_count_warning(&m, REASON_WARN_PRESSURE);
	metrics_count_warning(&m, REASON_FLOOR_TERM);
	cr_assert_gt(metrics_format(buf, sizeof(buf), &s, &cap, &m), 0);
	cr_expect_not_null(strstr(buf, "# TYPE oomguard_warnings_total counter\n"
				       "oomguard_warnings_total{reason=\"warn-memory\"} 2\n"
				       "oomguard_warnings_total{reason=\"warn-pressure\"} 1\n"), "%s", buf);
}
