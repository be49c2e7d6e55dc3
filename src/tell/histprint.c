#define _GNU_SOURCE /* strptime */
#include "tell/histprint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acquire/procfs.h"
#include "log.h"
#include "parse/histline.h"

static const char *const file_names[2] = { "history.0.jsonl", "history.1.jsonl" };

/* The entries of both files, in the order read. */
struct entries {
	struct hist_entry *e;
	size_t n, cap;
	bool *merged;		/* e[i] is an outcome merged into its kill */
};

static int push(struct entries *all, const struct hist_entry *e)
{
	if (all->n == all->cap) {
		size_t cap = all->cap ? all->cap * 2 : 64;
		struct hist_entry *grown = realloc(all->e, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		all->e = grown;
		all->cap = cap;
	}
	all->e[all->n++] = *e;
	return 0;
}

/* Read one file's lines into all; a line that does not parse is counted
 * and said once for the file. Returns 0 (also when the file is missing)
 * or -errno. */
static int read_file(int dir_fd, const char *dir, const char *name, struct entries *all, FILE *err)
{
	static struct hist_entry e;
	unsigned malformed = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int fd, r = 0;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (len = getline(&line, &cap, f)) >= 0) {
		/* Only a line ended by its newline is whole: the last one of a
		 * crash mid-write may parse and still lack its end. */
		if (len == 0 || line[len - 1] != '\n' || histline_parse(line, &e) < 0 ||
		    e.event == HIST_NONE)
			malformed++;
		else
			r = push(all, &e);
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	if (malformed)
		fprintf(err, "oomguard: --history: %u malformed line%s skipped in %s/%s\n", malformed,
			malformed == 1 ? "" : "s", dir, name);
	return r;
}

static int by_seq(const void *a, const void *b)
{
	const struct hist_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Give each kill its outcome (the line with its seq as kill_seq). */
static void merge_outcomes(struct entries *all)
{
	for (size_t i = 0; i < all->n; i++) {
		struct hist_entry *o = &all->e[i];

		if (o->event != HIST_OUTCOME)
			continue;
		for (size_t j = i; j-- > 0;) {
			struct hist_entry *k = &all->e[j];

			if (k->event != HIST_KILL || k->seq != o->kill_seq)
				continue;
			k->has_outcome = true;
			memcpy(k->outcome, o->outcome, sizeof(k->outcome));
			memcpy(k->last_signal, o->last_signal, sizeof(k->last_signal));
			memcpy(k->escalation, o->escalation, sizeof(k->escalation));
			k->exited_ms = o->exited_ms;
			k->released = o->released;
			k->spared = o->spared;
			k->have_gained = o->have_gained;
			k->gained_kib = o->gained_kib;
			break;
		}
		/* An outcome whose kill line was lost says nothing alone. */
		all->merged[i] = true;
	}
}

/* "2024-05-01T12:34:56.789Z" as a local date, "2024-05-01 14:34:56";
 * what does not parse is shown as written. */
static const char *local_time(char *buf, size_t len, const char *rfc3339)
{
	struct tm tm = { 0 }, local;
	char *end;
	time_t t;

	end = strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (t = timegm(&tm)) == (time_t)-1 || !localtime_r(&t, &local) ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &local) == 0)
		snprintf(buf, len, "%s", rfc3339);
	return buf;
}

/* Rows from another boot than the last one shown get a line saying so. */
static void boot_line(FILE *out, const char *boot, const char *boot_now, const char **shown)
{
	char esc[sizeof(((struct hist_entry *)0)->boot) * 4];

	if (*shown && strcmp(*shown, boot) == 0)
		return;
	*shown = boot;
	if (!*boot)
		fprintf(out, "-- boot unknown --\n");
	else
		fprintf(out, "-- %s boot %s --\n", boot_now[0] && strcmp(boot, boot_now) == 0 ? "this"
										     : "earlier",
			log_escape(esc, sizeof(esc), boot));
}

static void print_top(FILE *out, const struct hist_entry *e)
{
	for (unsigned i = 0; i < e->n_top; i++) {
		char name[PIDINFO_COMM_MAX * 4];

		fprintf(out, "    top %7" PRId64 " %-16s rss_kib=%" PRIu64 " swap_kib=%" PRIu64 "%s\n",
			e->top[i].pid, log_escape(name, sizeof(name), e->top[i].name),
			e->top[i].rss_kib, e->top[i].swap_kib,
			e->event == HIST_KERNEL_OOM && e->top[i].gone ? "  (gone since: a likely victim)"
								       : "");
	}
}

/* "    SIGTERM, then SIGKILL (timeout); exited after 140 ms; 1757 MiB
 * given back" */
static void print_outcome(FILE *out, const struct hist_entry *e)
{
	fprintf(out, "    %s", e->signal);
	if (strcmp(e->last_signal, e->signal) != 0)
		fprintf(out, ", then %s", e->last_signal);
	if (e->escalation[0])
		fprintf(out, " (%s)", e->escalation);
	if (e->exited_ms >= 0)
		fprintf(out, "; exited after %" PRId64 " ms", e->exited_ms);
	else
		fprintf(out, "; did not exit");
	if (e->released)
		fprintf(out, "; memory reaped at once (process_mrelease)");
	if (e->have_gained)
		fprintf(out, "; %" PRId64 " MiB given back", e->gained_kib / 1024);
	if (e->spared)
		fprintf(out, "; %u member(s) spared", e->spared);
	fputc('\n', out);
}

static void print_row(FILE *out, const struct hist_entry *e)
{
	char when[64], name[PIDINFO_COMM_MAX * 4], unit[256 * 4], what[64];
	const char *outcome = e->has_outcome ? e->outcome : "unknown";

	local_time(when, sizeof(when), e->time);
	switch (e->event) {
	case HIST_KILL:
		fprintf(out, "%-19s  %-10s %7" PRId64 " %-16s %-24s %-10s %-7s %-8s %10" PRIu64 "\n",
			when, "kill", e->pid, log_escape(name, sizeof(name), e->name),
			e->unit[0] ? log_escape(unit, sizeof(unit), e->unit) : "-", e->reason,
			e->signal, outcome, e->rss_kib);
		if (!e->has_outcome)
			fprintf(out, "    no outcome recorded: oomguard or the machine stopped first\n");
		else
			print_outcome(out, e);
		break;
	case HIST_KERNEL_OOM:
		snprintf(what, sizeof(what), "%" PRIu64 " kill%s", e->koom.kills,
			 e->koom.kills == 1 ? "" : "s");
		fprintf(out, "%-19s  %-10s %7s %-16s %-24s %-10s %-7s %-8s %10s\n", when, "kernel-oom",
			"-", what, e->koom.global_kills ? "(global)" : "(in a cgroup)", "kernel-oom", "-",
			"-", "-");
		for (unsigned i = 0; i < e->koom.n_cgroups; i++)
			fprintf(out, "    cgroup %s: %" PRIu64 " kill(s)\n",
				log_escape(unit, sizeof(unit), e->koom.cgroup[i].path),
				e->koom.cgroup[i].kills);
		break;
	case HIST_WARNING:
		fprintf(out, "%-19s  %-10s %7" PRId64 " %-16s %-24s %-10s %-7s %-8s %10s\n", when,
			"warning", e->pid, log_escape(name, sizeof(name), e->name), "-", e->reason, "-",
			"-", "-");
		break;
	default:
		return;
	}
	print_top(out, e);
}

static void print_all(FILE *out, const struct entries *all, const char *boot_now, bool json)
{
	static char line[HISTLINE_MAX];
	const char *shown = NULL;

	if (!json)
		fprintf(out, "%-19s  %-10s %7s %-16s %-24s %-10s %-7s %-8s %10s\n", "TIME", "EVENT",
			"PID", "NAME", "UNIT", "REASON", "SIGNAL", "OUTCOME", "RSS_KIB");
	for (size_t i = 0; i < all->n; i++) {
		const struct hist_entry *e = &all->e[i];

		if (all->merged[i] || e->event == HIST_OUTCOME)
			continue;
		if (json) {
			if (histline_format(line, sizeof(line), e, true) > 0)
				fputs(line, out);
			continue;
		}
		boot_line(out, e->boot, boot_now, &shown);
		print_row(out, e);
	}
}

int histprint(FILE *out, FILE *err, const char *dir, const char *boot_now, bool json)
{
	struct entries all = { 0 };
	int dir_fd, r = 0;

	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 && errno != ENOENT) {
		r = -errno;
		fprintf(err, "oomguard: --history: %s: %s\n", dir, strerror(-r));
		return r;
	}
	for (int i = 0; dir_fd >= 0 && r == 0 && i < 2; i++) {
		r = read_file(dir_fd, dir, file_names[i], &all, err);
		if (r < 0)
			fprintf(err, "oomguard: --history: %s/%s: %s\n", dir, file_names[i],
				strerror(-r));
	}
	if (dir_fd >= 0)
		close(dir_fd);
	if (r == 0 && all.n) {
		all.merged = calloc(all.n, sizeof(*all.merged));
		if (!all.merged)
			r = -ENOMEM;
	}
	if (r == 0 && all.n == 0) {
		/* With --json on err: out stays valid JSON lines (none). */
		fprintf(json ? err : out, "no history in %s: oomguard has recorded nothing there\n",
			dir);
	} else if (r == 0) {
		/* Sequence numbers rise across restarts and files: the ring's
		 * older file comes first. */
		qsort(all.e, all.n, sizeof(*all.e), by_seq);
		merge_outcomes(&all);
		print_all(out, &all, boot_now ? boot_now : "", json);
	}
	free(all.e);
	free(all.merged);
	if (r == 0 && (fflush(out) != 0 || ferror(out)))
		r = -EIO;
	return r;
}
