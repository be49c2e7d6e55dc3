#include "tell/history.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acquire/procfs.h"
#include "decide/decide.h"
#include "log.h"
#include "tell/report.h"

static const char *const file_names[2] = { "history.0.jsonl", "history.1.jsonl" };

void history_init(struct history *h)
{
	h->on = false;
	h->fd[0] = h->fd[1] = -1;
	h->cur = 0;
	h->size = 0;
	h->seq = 0;
	h->limit = HISTORY_FILE_MAX;
	h->boot[0] = '\0';
}

void history_close(struct history *h)
{
	for (int i = 0; i < 2; i++)
		procfs_closep(&h->fd[i]);
	h->on = false;
}

const char *history_time_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	/* gmtime_r needs no time zone file: nothing to open or allocate. */
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!gmtime_r(&ts.tv_sec, &tm)) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 1000000);
	return buf;
}

/* ---- start-up ------------------------------------------------------------ */

const char *history_read_boot_id(const struct procfs *procfs, char *buf, size_t len)
{
	char text[64];
	long n = procfs_read_file(procfs->root_fd, "sys/kernel/random/boot_id", text, sizeof(text));

	buf[0] = '\0';
	/* "5f3c1ad2-8b2e-4c55-9d1f-2b0e9f6c7a41\n" */
	if (n != 37 || text[36] != '\n' || len < 37)
		return buf;
	for (int i = 0; i < 36; i++)
		if (!(text[i] == '-' || (text[i] >= '0' && text[i] <= '9') ||
		      (text[i] >= 'a' && text[i] <= 'f')))
			return buf;
	memcpy(buf, text, 36);
	buf[36] = '\0';
	return buf;
}

/* What reading a file at start-up found. */
struct file_scan {
	struct hist_entry *e;
	uint64_t max_seq;
};

static int scan_line(const char *line, void *ctx)
{
	struct file_scan *fs = ctx;

	if (histline_parse(line, fs->e) == 0 && fs->e->seq > fs->max_seq)
		fs->max_seq = fs->e->seq;
	return 0;
}

/* The highest sequence number in each file: the next line takes the one
 * above both, in the file that holds the highest (the newer one). */
static void find_current(struct history *h)
{
	uint64_t max[2] = { 0, 0 };
	struct stat st;

	for (int i = 0; i < 2; i++) {
		struct file_scan fs = { .e = &h->e };

		procfs_read_lines(h->fd[i], h->line, sizeof(h->line), scan_line, &fs);
		max[i] = fs.max_seq;
	}
	h->cur = max[1] > max[0] ? 1 : 0;
	h->seq = max[h->cur];
	h->size = fstat(h->fd[h->cur], &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int open_file(int dir_fd, const char *name, int *fd)
{
	/* O_APPEND: every write lands at the end, also after the other
	 * file's ftruncate made it current again. No symlink is followed in
	 * the directory: the daemon opens it as root. */
	*fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		     0644);
	return *fd < 0 ? -errno : 0;
}

int history_open(struct history *h, const char *dir, const char *boot)
{
	_cleanup_close_ int dir_fd = -1;
	int r = 0;

	history_init(h);
	snprintf(h->boot, sizeof(h->boot), "%s", boot ? boot : "");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	if (r == 0) {
		dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir_fd < 0)
			r = -errno;
	}
	for (int i = 0; r == 0 && i < 2; i++)
		r = open_file(dir_fd, file_names[i], &h->fd[i]);
	if (r < 0) {
		log_warn("history off: %s: %s; pass --state-dir DIR with a directory oomguard can "
			 "write as it starts", dir, strerror(-r));
		history_close(h);
		return r;
	}
	if (flock(h->fd[0], LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		log_warn("history off: %s/%s is locked (%s): another oomguard writes this history; "
			 "pass --state-dir to give each its own", dir, file_names[0],
			 r == -EWOULDBLOCK ? "held" : strerror(-r));
		history_close(h);
		return r;
	}
	find_current(h);
	h->on = true;
	log_info("history: %s/history.{0,1}.jsonl, %u KiB each, the newest kept (next seq %llu)",
		 dir, (unsigned)(h->limit / 1024), (unsigned long long)h->seq + 1);
	return 0;
}

/* ---- appending ----------------------------------------------------------- */

/* The common head of the next line, in h->e. */
static void begin_entry(struct history *h, enum hist_event event)
{
	memset(&h->e, 0, sizeof(h->e));
	h->e.event = event;
	h->e.seq = h->seq + 1;
	h->e.exited_ms = -1;
	history_time_now(h->e.time, sizeof(h->e.time));
	memcpy(h->e.boot, h->boot, sizeof(h->boot));
}

/* The current file is full: truncate the other one and make it current.
 * Only before a line that starts an entry: an outcome goes to its kill's
 * file, so rotation never parts the two. */
static void rotate(struct history *h)
{
	unsigned other = h->cur ^ 1;

	if (h->size < h->limit)
		return;
	if (ftruncate(h->fd[other], 0) < 0) {
		log_warn("history: cannot truncate %s: %s", file_names[other], strerror(errno));
		return;
	}
	h->cur = other;
	h->size = 0;
}

/* Format h->e and append it in one write(2), then, with sync, fdatasync
 * it. A short write (a full disk) is cut off again, so that no half line
 * stays. Returns 0 or -errno (said). */
static int append(struct history *h, bool may_rotate, bool sync)
{
	long n = histline_format(h->line, sizeof(h->line), &h->e, false);
	int fd;
	ssize_t w;

	if (!h->on)
		return -EBADF;
	if (n < 0) {
		log_warn("history: a %s line did not fit in %zu bytes: not written",
			 histline_event_name(h->e.event), sizeof(h->line));
		return (int)n;
	}
	if (may_rotate)
		rotate(h);
	fd = h->fd[h->cur];
	do
		w = write(fd, h->line, (size_t)n);
	while (w < 0 && errno == EINTR);
	if (w != n) {
		int r = w < 0 ? -errno : -ENOSPC;

		if (w > 0 && ftruncate(fd, (off_t)h->size) < 0)
			log_debug("history: cannot cut the short line off: %s", strerror(errno));
		log_warn("history: cannot write %s: %s", file_names[h->cur], strerror(-r));
		return r;
	}
	h->size += (uint64_t)n;
	h->seq = h->e.seq;
	return sync ? history_flush(h) : 0;
}

int history_flush(struct history *h)
{
	if (!h->on)
		return -EBADF;
	/* fdatasync: the data and the new length, without the times that
	 * fsync would write as well. */
	if (fdatasync(h->fd[h->cur]) < 0) {
		int r = -errno;

		log_warn("history: fdatasync %s: %s", file_names[h->cur], strerror(-r));
		return r;
	}
	return 0;
}

static void copy_top(struct hist_entry *e, const struct proc_sample *top, const bool *gone,
		     unsigned n)
{
	e->n_top = n < HISTLINE_TOP_MAX ? n : HISTLINE_TOP_MAX;
	for (unsigned i = 0; i < e->n_top; i++) {
		e->top[i].pid = top[i].pid;
		memcpy(e->top[i].name, top[i].comm, sizeof(e->top[i].name));
		e->top[i].name[sizeof(e->top[i].name) - 1] = '\0';
		e->top[i].rss_kib = top[i].rss_kib;
		e->top[i].swap_kib = top[i].swap_kib;
		e->top[i].gone = gone && gone[i];
	}
}

uint64_t history_kill(struct history *h, const struct history_kill *k)
{
	struct hist_entry *e = &h->e;
	const struct proc_sample *p = &k->victim->proc;

	if (!h->on)
		return 0;
	begin_entry(h, HIST_KILL);
	e->pid = p->pid;
	snprintf(e->name, sizeof(e->name), "%s", p->comm);
	e->uid = (uint32_t)p->uid;
	snprintf(e->unit, sizeof(e->unit), "%s", k->unit ? k->unit : "");
	snprintf(e->cgroup, sizeof(e->cgroup), "%s", k->cgroup ? k->cgroup : "");
	e->oom_score = k->victim->kernel_score;
	e->score = k->victim->score;
	e->rss_kib = p->rss_kib;
	e->swap_kib = p->swap_kib;
	snprintf(e->reason, sizeof(e->reason), "%s", decide_reason_name(k->reason));
	snprintf(e->trigger, sizeof(e->trigger), "%s", k->trigger ? k->trigger : "");
	snprintf(e->signal, sizeof(e->signal), "%s", report_signal_name(k->signal));
	e->mem_available_kib = k->mem_available_kib;
	e->swap_free_kib = k->swap_free_kib;
	copy_top(e, k->top, NULL, k->n_top);
	/* Written now, flushed once the signal is out (history_flush). */
	return append(h, true, false) == 0 ? h->seq : 0;
}

int history_outcome(struct history *h, uint64_t kill_seq, const struct history_outcome *o)
{
	struct hist_entry *e = &h->e;

	if (!h->on)
		return -EBADF;
	begin_entry(h, HIST_OUTCOME);
	e->kill_seq = kill_seq;
	snprintf(e->outcome, sizeof(e->outcome), "%s", o->killed ? "killed" : "failed");
	snprintf(e->last_signal, sizeof(e->last_signal), "%s", report_signal_name(o->last_signal));
	snprintf(e->escalation, sizeof(e->escalation), "%s", o->escalation ? o->escalation : "");
	e->exited_ms = o->exited_ms;
	e->released = o->released;
	e->spared = o->spared;
	e->have_gained = o->have_gained;
	e->gained_kib = o->gained_kib;
	return append(h, false, true);
}

int history_kernel_oom(struct history *h, const struct kernel_oom_event *ev,
		       const struct proc_sample *top, const bool *gone, unsigned n_top,
		       uint64_t mem_available_kib, uint64_t swap_free_kib)
{
	struct hist_entry *e = &h->e;

	if (!h->on)
		return -EBADF;
	begin_entry(h, HIST_KERNEL_OOM);
	e->koom = *ev;
	e->mem_available_kib = mem_available_kib;
	e->swap_free_kib = swap_free_kib;
	copy_top(e, top, gone, n_top);
	return append(h, true, true);
}

int history_warning(struct history *h, enum reason reason, uint64_t mem_available_kib,
		    uint64_t swap_free_kib, pid_t pid, const char *name)
{
	struct hist_entry *e = &h->e;

	if (!h->on)
		return -EBADF;
	begin_entry(h, HIST_WARNING);
	snprintf(e->reason, sizeof(e->reason), "%s", decide_reason_name(reason));
	e->mem_available_kib = mem_available_kib;
	e->swap_free_kib = swap_free_kib;
	e->pid = pid;
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	/* Not flushed: a warning comes while memory runs short, and a flush
	 * on a disk busy with swap would hold up the loop's next look. */
	return append(h, true, false);
}
