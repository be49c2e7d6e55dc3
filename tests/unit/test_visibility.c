/* visibility_parse_mountinfo: the proc mount's hidepid= and gid= options. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "acquire/visibility.h"

/* Three stacked proc mounts, as after `unshare --mount-proc` and a remount
 * with hidepid (Linux 6.x spells hidepid=2 "invisible"), and one of an
 * older kernel that writes the number. */
static const char mountinfo[] =
	"22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"25 22 0:23 / /proc/sys/fs/binfmt_misc rw,relatime shared:13 - autofs systemd-1 rw,fd=29\n"
	"66 48 0:40 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
	"67 66 0:41 / /proc rw,relatime - proc proc rw,gid=4242,hidepid=invisible\n"
	"70 22 0:42 / /mnt/old\\040proc rw - proc proc rw,hidepid=2\n"
	"71 22 0:43 / /mnt/sub rw - proc proc rw,hidepid=ptraceable,subset=pid\n";

Test(visibility, reads_the_options_of_the_mount_with_that_device)
{
	struct visibility_mount m;

	cr_assert_eq(visibility_parse_mountinfo(mountinfo, 0, 41, &m), 0);
	cr_expect(m.found);
	cr_expect_eq(m.hidepid, 2);
	cr_expect_str_eq(m.hidepid_text, "invisible");
	cr_expect(m.has_gid);
	cr_expect_eq(m.gid, 4242);

	cr_assert_eq(visibility_parse_mountinfo(mountinfo, 0, 21, &m), 0);
	cr_expect(m.found);
	cr_expect_eq(m.hidepid, 0);
	cr_expect_not(m.has_gid);
	cr_expect_not(visibility_hides_others(&m));

	cr_assert_eq(visibility_parse_mountinfo(mountinfo, 0, 42, &m), 0);
	cr_expect_eq(m.hidepid, 2);
	cr_expect_str_eq(m.hidepid_text, "2");
	cr_expect_not(m.has_gid);
	cr_expect(visibility_hides_others(&m), "hidepid without gid= hides others from anyone");

	cr_assert_eq(visibility_parse_mountinfo(mountinfo, 0, 43, &m), 0);
	cr_expect_eq(m.hidepid, 4);

	cr_assert_eq(visibility_parse_mountinfo(mountinfo, 0, 99, &m), 0);
	cr_expect_not(m.found);
	cr_expect_not(visibility_hides_others(&m));
}

Test(visibility, a_group_member_sees_everything)
{
	struct visibility_mount m = { .found = true, .hidepid = 2, .has_gid = true };

	m.gid = getegid();
	cr_expect_not(visibility_hides_others(&m));
	m.gid = 4242424;
	cr_expect(visibility_hides_others(&m));
}

Test(visibility, unreadable_options_are_an_error)
{
	struct visibility_mount m;

	cr_expect_eq(visibility_parse_mountinfo("67 66 0:41 / /proc rw - proc proc rw,hidepid=maybe\n",
						0, 41, &m), -EINVAL);
	cr_expect_eq(visibility_parse_mountinfo("67 66 0:41 / /proc rw - proc proc rw,gid=x\n", 0, 41, &m),
		     -EINVAL);
	cr_expect_eq(visibility_parse_mountinfo("67 66 0:41 / /proc rw no separator\n", 0, 41, &m),
		     -EINVAL);
	cr_expect_eq(visibility_parse_mountinfo("", 0, 41, &m), 0);
	cr_expect_not(m.found);
}
