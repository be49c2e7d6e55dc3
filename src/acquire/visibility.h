/* Can the daemon still see the processes it is meant to kill? A /proc
 * mounted with hidepid= shows an unprivileged reader its own processes
 * only: once its capabilities are dropped (CAP_SYS_PTRACE lets root see
 * through), oomguard would find no victim and never say why. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "acquire/procfs.h"

/* The options of a proc mount that decide what an unprivileged reader sees. */
struct visibility_mount {
	bool found;		/* the mount was found in mountinfo */
	unsigned hidepid;	/* 0 off, 1 noaccess, 2 invisible, 4 ptraceable */
	char hidepid_text[32];	/* as mountinfo spells it: "2", "invisible" */
	bool has_gid;
	gid_t gid;		/* gid=: members of this group see everything */
};

/* Find the proc mount with device major:minor in a mountinfo text and read
 * its super options, e.g. from
 *   "67 66 0:41 / /proc rw,relatime - proc proc rw,gid=4242,hidepid=invisible\n".
 * Pure. Returns 0 (m->found tells whether the line was there) or -EINVAL
 * for a line of that device that cannot be read. */
int visibility_parse_mountinfo(const char *text, unsigned dev_major, unsigned dev_minor,
			       struct visibility_mount *m);

/* The options of the proc mount behind procfs's root, read from its
 * self/mountinfo (ours, on the live procfs). Returns 0 (m->found false
 * when the root is no proc mount listed there) or -errno. */
int visibility_read_mount(const struct procfs *procfs, struct visibility_mount *m);

/* Count the numeric (pid) entries the caller can list in the procfs root.
 * Returns 0 or -errno. */
int visibility_count_pids(const struct procfs *procfs, unsigned *count);

/* Does the mount hide other users' processes from this process, that is
 * hidepid set and the process not in the mount's gid= group (effective or
 * supplementary)? Returns true or false. */
bool visibility_hides_others(const struct visibility_mount *m);
