/* Walk the processes of a procfs root without allocating: getdents64 into a
 * fixed buffer, then per process openat relative to its /proc/PID
 * directory, so every file read belongs to the same task even if the pid
 * is reused during the walk. */
#pragma once

#include <stdbool.h>

#include "parse/pidinfo.h"
#include "acquire/procfs.h"

/* Buffer sizes: a stat line is ~350 bytes even with a 64-byte comm; status
 * is ~1.5 KiB but its Groups line grows with supplementary groups (up to
 * NGROUPS_MAX = 65536 of them, ~700 KiB), so it is read through its buffer
 * a piece at a time, line by line: 16 KiB takes a thousand groups in one
 * read. cmdline and cgroup are cut to their first SCAN_TEXT_SIZE - 1 =
 * 4095 bytes, which is plenty to match a regex on and to report: a
 * cmdline: rule sees no further (the man page says so; a command line can
 * be megabytes, and the scan allocates nothing). 32 KiB of dirents hold ~1000 entries per
 * getdents64 call. */
#define SCAN_DENTS_SIZE   32768
#define SCAN_STAT_SIZE    1024
#define SCAN_STATUS_SIZE  16384
#define SCAN_TEXT_SIZE    4096

struct scan_stats {
	unsigned entries;	/* numeric directory entries seen */
	unsigned processes;	/* fully read */
	unsigned vanished;	/* gone between the listing and the reads */
	unsigned malformed;	/* files we could not parse: skipped */
};

struct scan {
	const struct procfs *procfs;
	int dir_fd;
	bool want_cmdline;
	bool want_cgroup;
	bool live;		/* the procfs of our pid namespace: its pids are ours */
	struct scan_stats stats;
	char dents[SCAN_DENTS_SIZE];
	char stat_buf[SCAN_STAT_SIZE];
	char status_buf[SCAN_STATUS_SIZE];
	char small_buf[64];
	char task_dents[2048];	/* PID/task of a zombie leader: ~80 threads a call */
	char cmdline_buf[SCAN_TEXT_SIZE];
	char cgroup_file_buf[SCAN_TEXT_SIZE];
	char cgroup_buf[SCAN_TEXT_SIZE];
	char unit_buf[256];
};

/* Called once per process that could be read. Kernel threads come with
 * has_mm false and no status read. text fields are NULL unless wanted and
 * readable; everything is valid only during the call. */
typedef void (*scan_visit_fn)(const struct proc_sample *p, const struct proc_text *text,
			      void *ctx);

/* Prepare a scan of procfs. Returns 0 or -errno. */
int scan_open(struct scan *s, const struct procfs *procfs);

void scan_close(struct scan *s);

/* Visit every process. Returns 0 (s->stats tells what was skipped) or
 * -errno when the directory itself cannot be read. */
int scan_each(struct scan *s, scan_visit_fn visit, void *ctx);

/* Read the cmdline and cgroup of one pid (for reports and hooks) into the
 * scan's buffers. text fields are NULL where unreadable. Returns 0 or
 * -errno (-ENOENT/-ESRCH when the process is gone). */
int scan_read_text(struct scan *s, pid_t pid, struct proc_text *text);

/* A thread of the process whose /proc/PID directory is pid_fd, other than
 * its leader (pid leader), that has not exited, for a process whose leader
 * has (pthread_exit in main leaves it a zombie heading live threads): the
 * kernel scores and kills such a process through any live thread. Lists
 * task/ through dents, reads each task/TID/stat through buf into *thread.
 * Allocates nothing. Returns the thread's tid (> 0, *thread filled), 0 when
 * no thread other than the leader is alive, or -errno. */
int scan_find_live_thread(int pid_fd, pid_t leader, char *dents, size_t dents_size, char *buf,
			  size_t buf_size, struct proc_sample *thread);

/* The unit, cgroup and command line of one pid, copied out of the scan's
 * buffers (which the next read reuses) for a kill record and the hooks; ""
 * where unreadable. */
struct proc_names {
	char unit[256];
	char cgroup[1024];
	char cmdline[1024];	/* arguments joined by spaces, cut to fit */
};

void scan_read_names(struct scan *s, pid_t pid, struct proc_names *out);
