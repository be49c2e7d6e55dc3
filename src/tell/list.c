#include "tell/list.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decide/badness.h"
#include "decide/select.h"
#include "log.h"
#include "acquire/sensors.h"
#include "tell/report.h"
#include "acquire/scan.h"

/* One row: the candidate plus the unit or cgroup text, copied because the
 * scan's buffers are reused for the next process. */
struct row {
	struct candidate c;
	char where[256];
};

struct collect {
	const struct config *cfg;
	const char *subtree;		/* container mode; NULL: every process */
	pid_t self;
	uint64_t totalpages;
	unsigned page_kib;
	struct row *rows;
	size_t n, cap;
	int error;
};

/* --list runs once at the operator's request, not under memory pressure,
 * so growing an array with realloc is fine here. */
static void collect_visit(const struct proc_sample *p, const struct proc_text *text, void *ctx)
{
	struct collect *col = ctx;
	struct candidate c;
	struct row *row;

	if (!select_within(col->subtree, text))
		return;
	if (badness_evaluate(col->cfg, p, text, col->self, col->totalpages, col->page_kib, &c) != SKIP_NONE)
		return;
	if (col->n == col->cap) {
		size_t cap = col->cap ? col->cap * 2 : 256;
		struct row *rows = realloc(col->rows, cap * sizeof(*rows));

		if (!rows) {
			col->error = -ENOMEM;
			return;
		}
		col->rows = rows;
		col->cap = cap;
	}
	row = &col->rows[col->n++];
	row->c = c;
	snprintf(row->where, sizeof(row->where), "%s",
		 text->unit && *text->unit ? text->unit : text->cgroup ? text->cgroup : "-");
}

static int compare_rows(const void *a, const void *b)
{
	const struct row *ra = a, *rb = b;

	if (badness_better(&ra->c, &rb->c))
		return -1;
	if (badness_better(&rb->c, &ra->c))
		return 1;
	return 0;
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
	return buf;
}

static const char *marks_text(unsigned marks, char *buf)
{
	char *p = buf;

	if (marks & MARK_PREFER)
		*p++ = '+';
	if (marks & MARK_AVOID)
		*p++ = '-';
	if (marks & MARK_ADJ_IGNORED)
		*p++ = '0';
	if (p == buf)
		*p++ = '.';
	*p = '\0';
	return buf;
}

static int read_totals(const struct procfs *procfs, const struct container *view,
		       uint64_t *totalpages, unsigned page_kib)
{
	struct meminfo mi;
	const char *bad = NULL;
	int r = sensors_read_meminfo_once(procfs, &mi, &bad);

	if (r == -EINVAL)
		log_err("meminfo: missing or malformed %s", bad);
	if (r < 0)
		return r;
	if (view->on)
		*totalpages = badness_memcg_totalpages(view->limit.max, view->limit.swap_max,
						       mi.swap_total_kib, view->swappiness, page_kib);
	else
		*totalpages = badness_totalpages(mi.mem_total_kib, mi.swap_total_kib, page_kib);
	return 0;
}

int list_print(FILE *out, const struct config *cfg, const struct procfs *procfs,
	       const struct container *view)
{
	static struct scan scan;	/* ~60 KiB of buffers: not on the stack */
	struct collect col = { .cfg = cfg, .self = getpid(),
			       .subtree = view->on ? view->subtree : NULL };
	int r;

	col.page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);
	r = read_totals(procfs, view, &col.totalpages, col.page_kib);
	if (r < 0)
		return r;
	r = scan_open(&scan, procfs);
	if (r < 0)
		return r;
	scan.want_cmdline = badness_rules_need_cmdline(cfg);
	scan.want_cgroup = true;
	r = scan_each(&scan, collect_visit, &col);
	scan_close(&scan);
	if (r == 0)
		r = col.error;
	if (r < 0) {
		free(col.rows);
		return r;
	}
	if (col.n)	/* no rows: col.rows is NULL, which qsort must not get */
		qsort(col.rows, col.n, sizeof(*col.rows), compare_rows);

	fprintf(out, "%7s %9s %6s %10s %5s %10s %10s %-10s %-16s %-4s %s\n",
		"PID", "OOM_SCORE", "SCORE", "POINTS", "ADJ", "RSS_KIB", "SWAP_KIB", "USER", "NAME",
		"MARK", "UNIT_OR_CGROUP");
	for (size_t i = 0; i < col.n; i++) {
		const struct candidate *c = &col.rows[i].c;
		char user[64], name[PIDINFO_COMM_MAX * 4 + 1], where[1024], marks[4];

		fprintf(out, "%7d %9ld %6ld %10ld %5d %10llu %10llu %-10s %-16s %-4s %s\n",
			(int)c->proc.pid, c->kernel_score, c->score, c->kernel_points, c->proc.oom_score_adj,
			(unsigned long long)c->proc.rss_kib, (unsigned long long)c->proc.swap_kib,
			user_name(c->proc.uid, user, sizeof(user)),
			log_escape(name, sizeof(name), c->proc.comm), marks_text(c->marks, marks),
			log_escape(where, sizeof(where), col.rows[i].where));
	}
	free(col.rows);
	/* The rows sit in stdio's buffer: a full disk or a closed pipe shows
	 * only when it is flushed, and must not pass for a printed list. */
	errno = 0;
	if (fflush(out) != 0 || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
