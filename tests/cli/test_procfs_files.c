/* What a --procfs tree can hold in place of a file: a FIFO (which blocks an
 * open until a writer comes) must not hang --once or --list; it reads as a
 * bad file, skipped for a process, one clear line for meminfo. */
#include <sys/stat.h>

#include "run.h"
#include "../unit/fixture.h"

static struct run_result res;

/* Run oomguard with a 5 s limit: a hang fails the test with status -1. */
static void run_limited(const char *const *args)
{
	FILE *out = tmpfile(), *err = tmpfile();
	pid_t pid;

	cr_assert(out && err);
	pid = start_oomguard(fileno(out), fileno(err), NULL, args);
	res.status = wait_exit_ms(pid, 5000);
	lseek(fileno(out), 0, SEEK_SET);
	lseek(fileno(err), 0, SEEK_SET);
	drain(fileno(out), res.out, sizeof(res.out));
	drain(fileno(err), res.err, sizeof(res.err));
	fclose(out);
	fclose(err);
}

#define RUN5(...) run_limited((const char *const[]){ __VA_ARGS__, NULL })

/* Replace root/name by a FIFO. */
static void put_fifo(const char *root, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	cr_assert_eq(unlink(path), 0, "unlink %s", path);
	cr_assert_eq(mkfifo(path, 0644), 0, "mkfifo %s", path);
}

static char *tree_with_two(void)
{
	char *root = fixture_create(4194304, 100000, 0, 0);
	const struct fake_proc big = { .pid = 100, .comm = "big", .rss_kib = 900000 };
	const struct fake_proc small = { .pid = 200, .comm = "small", .rss_kib = 1000 };

	fixture_add(root, &big);
	fixture_add(root, &small);
	/* A daemon started as root reads it as nobody (--user's default). */
	cr_assert_eq(chmod(root, 0755), 0);
	return root;
}

Test(procfs_files, tree_without_fifo_lists_both)
{
	char *root = tree_with_two();

	RUN(&res, "--list", "--procfs", root);
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.out, "big") != NULL && strstr(res.out, "small") != NULL, "%s", res.out);
	fixture_destroy(root);
}

Test(procfs_files, fifo_status_is_skipped_by_list_and_once)
{
	static const char *const files[] = { "100/status", "100/stat", "100/oom_score_adj" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *root = tree_with_two();

		put_fifo(root, files[i]);
		RUN5("--list", "--procfs", root);
		cr_expect_eq(res.status, 0, "%s: --list exit %d (-1: hung): %s", files[i], res.status,
			     res.err);
		cr_expect(strstr(res.out, "small") != NULL, "%s:\n%s", files[i], res.out);
		cr_expect(strstr(res.out, "big") == NULL, "%s: the process with a FIFO is skipped:\n%s",
			  files[i], res.out);

		RUN5("--dryrun", "--once", "-m", "10,5", "--procfs", root);
		cr_expect_eq(res.status, 0, "%s: --once exit %d (-1: hung): %s", files[i], res.status,
			     res.err);
		cr_expect(strstr(res.err, "would kill") != NULL && strstr(res.err, "small") != NULL,
			  "%s: %s", files[i], res.err);
		fixture_destroy(root);
	}
}

Test(procfs_files, fifo_cmdline_and_cgroup_do_not_hang)
{
	char *root = tree_with_two();

	put_fifo(root, "100/cmdline");
	put_fifo(root, "100/cgroup");
	RUN5("--list", "--procfs", root, "--ignore", "cmdline:^nothing$");
	cr_expect_eq(res.status, 0, "--list exit %d (-1: hung): %s", res.status, res.err);
	cr_expect(strstr(res.out, "big") != NULL, "unreadable text does not drop the process:\n%s",
		  res.out);
	RUN5("--dryrun", "--once", "-m", "10,5", "--procfs", root);
	cr_expect_eq(res.status, 0, "--once exit %d (-1: hung): %s", res.status, res.err);
	cr_expect(strstr(res.err, "would kill") != NULL && strstr(res.err, "big") != NULL, "%s",
		  res.err);
	fixture_destroy(root);
}

Test(procfs_files, fifo_meminfo_is_one_clear_error)
{
	char *root = tree_with_two();

	put_fifo(root, "meminfo");
	RUN5("--list", "--procfs", root);
	cr_expect(res.status > 0, "--list exit %d (-1: hung)", res.status);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	cr_expect(strstr(res.err, "meminfo") != NULL, "%s", res.err);
	RUN5("--dryrun", "--once", "--procfs", root);
	cr_expect(res.status > 0, "--once exit %d (-1: hung)", res.status);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	cr_expect(strstr(res.err, "meminfo") != NULL, "%s", res.err);
	fixture_destroy(root);
}

Test(procfs_files, fifo_named_like_a_pid_is_skipped)
{
	char *root = tree_with_two();
	char path[1024];

	snprintf(path, sizeof(path), "%s/300", root);
	cr_assert_eq(mkfifo(path, 0644), 0);
	RUN5("--list", "--procfs", root);
	cr_expect_eq(res.status, 0, "--list exit %d (-1: hung): %s", res.status, res.err);
	cr_expect(strstr(res.out, "big") != NULL && strstr(res.out, "small") != NULL, "%s", res.out);
	fixture_destroy(root);
}
