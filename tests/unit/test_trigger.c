/* PSI trigger set-up and its fallbacks. Triggers are harmless to create:
 * they only make the kernel wake our poll(). */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "acquire/procfs.h"
#include "acquire/trigger.h"

static bool host_has_psi(void)
{
	return access("/proc/pressure/memory", R_OK) == 0;
}

Test(trigger, fixture_tree_gets_averages_and_stays_untouched)
{
	char *root = fixture_create(1000000, 500000, 0, 0);
	struct procfs procfs = PROCFS_INIT;
	struct trigger t = TRIGGER_INIT;
	char dir[1100], buf[256];
	const char *content = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
			      "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";

	snprintf(dir, sizeof(dir), "%s/pressure", root);
	cr_assert_eq(mkdir(dir, 0755), 0);
	fixture_puts(dir, "memory", content);
	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(trigger_setup(&t, procfs.root_fd, "pressure/memory", procfs_is_proc(&procfs),
				   PSI_METRIC_FULL, 2000), 0);
	cr_expect_eq(t.mode, TRIGGER_AVERAGES);
	cr_expect_eq(t.fd, -1);
	snprintf(dir, sizeof(dir), "%s/pressure/memory", root);
	cr_assert_not_null(fixture_read(dir, buf, sizeof(buf)));
	cr_expect_str_eq(buf, content, "no trigger text written into a fixture");
	trigger_describe(&t, buf, sizeof(buf));
	cr_expect(strstr(buf, "no kernel trigger") != NULL && strstr(buf, "read every tick") != NULL,
		  "%s", buf);
	procfs_close(&procfs);
	fixture_destroy(root);
}

Test(trigger, no_psi_file_means_none)
{
	char *root = fixture_create(1000000, 500000, 0, 0);
	struct procfs procfs = PROCFS_INIT;
	struct trigger t = TRIGGER_INIT;
	char buf[256];

	cr_assert_eq(procfs_open(&procfs, root), 0);
	cr_assert_eq(trigger_setup(&t, procfs.root_fd, "pressure/memory", procfs_is_proc(&procfs),
				   PSI_METRIC_FULL, 2000), 0);
	cr_expect_eq(t.mode, TRIGGER_NONE);
	trigger_describe(&t, buf, sizeof(buf));
	cr_expect(strstr(buf, "unavailable") != NULL, "%s", buf);
	procfs_close(&procfs);
	fixture_destroy(root);
}

Test(trigger, privileged_gets_a_one_second_window)
{
	struct procfs procfs = PROCFS_INIT;
	struct trigger t = TRIGGER_INIT;

	if (!host_has_psi())
		cr_skip_test("no /proc/pressure/memory on this kernel");
	cr_assert_eq(procfs_open(&procfs, "/proc"), 0);
	cr_assert_eq(trigger_setup(&t, procfs.root_fd, "pressure/memory", procfs_is_proc(&procfs),
				   PSI_METRIC_FULL, 2000), 0);
	if (t.mode == TRIGGER_AVERAGES)
		cr_skip_test("kernel refused triggers here: %s", strerror(t.refused_errno));
	if (t.mode == TRIGGER_2S)
		cr_skip_test("no CAP_SYS_RESOURCE: only 2 s windows here");
	cr_expect_eq(t.mode, TRIGGER_1S);
	cr_expect_str_eq(t.spec, "full 200000 1000000");
	cr_expect_geq(t.fd, 0);
	{
		/* An idle machine does not stall: no POLLPRI within 50 ms. */
		struct pollfd pfd = { .fd = t.fd, .events = POLLPRI };

		cr_expect_eq(poll(&pfd, 1, 50), 0);
	}
	trigger_close(&t);
	procfs_close(&procfs);
}

/* Drop CAP_SYS_RESOURCE in a child and check the 2 s fallback is taken
 * (Linux 6.5+ allows unprivileged triggers with 2 s windows; older kernels
 * refuse both and fall back to the averages). */
Test(trigger, without_cap_sys_resource_falls_back)
{
	pid_t pid;
	int status;

	if (!host_has_psi())
		cr_skip_test("no /proc/pressure/memory on this kernel");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct data[2];
		struct procfs procfs = PROCFS_INIT;
		struct trigger t = TRIGGER_INIT;

		if (syscall(SYS_capget, &hdr, data) < 0)
			_exit(10);
		data[CAP_SYS_RESOURCE / 32].effective &= ~(1u << (CAP_SYS_RESOURCE % 32));
		data[CAP_SYS_RESOURCE / 32].permitted &= ~(1u << (CAP_SYS_RESOURCE % 32));
		if (syscall(SYS_capset, &hdr, data) < 0)
			_exit(11);
		if (procfs_open(&procfs, "/proc") < 0 || trigger_setup(&t, procfs.root_fd, "pressure/memory", true, PSI_METRIC_SOME,
								      1500) < 0)
			_exit(12);
		if (t.mode == TRIGGER_2S && strcmp(t.spec, "some 300000 2000000") == 0)
			_exit(0);
		if (t.mode == TRIGGER_AVERAGES)
			_exit(2);	/* kernel before 6.5 */
		_exit(3 + (int)t.mode);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		cr_skip_test("this kernel refuses unprivileged triggers: averages fallback taken");
	cr_expect_eq(WEXITSTATUS(status), 0, "child reported %d", WEXITSTATUS(status));
}
