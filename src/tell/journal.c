#include "tell/journal.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decide/decide.h"
#include "log.h"
#include "parse/strutil.h"
#include "version.h"

#if HAVE_SD_JOURNAL
/* Without it, sd_journal_sendv is a macro that adds CODE_FILE, CODE_LINE
 * and CODE_FUNC of the one line below that calls it: they would say nothing
 * about the record. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#endif

/* ---- building (pure) ------------------------------------------------------ */

/* Append "KEY=" and len bytes of value as one field. The value is copied as
 * it is, NULs and newlines included: the iovec carries its length, and
 * sd_journal_sendv frames such values as binary. Returns 0 or -ENOBUFS. */
static int add_bytes(struct journal_entry *e, const char *key, const char *value, size_t len)
{
	size_t klen = strlen(key), need = klen + 1 + len;
	char *at = e->text + e->used;

	if (e->n >= JOURNAL_MAX_FIELDS || need > sizeof(e->text) - e->used)
		return -ENOBUFS;
	memcpy(at, key, klen);
	at[klen] = '=';
	memcpy(at + klen + 1, value, len);
	e->iov[e->n].iov_base = at;
	e->iov[e->n].iov_len = need;
	e->n++;
	e->used += need;
	return 0;
}

/* A NUL-terminated value; NULL or "" adds nothing (a field that would say
 * only "unknown" is left out, so that matching on it finds nothing).
 * Returns 0 or -ENOBUFS. */
static int add_str(struct journal_entry *e, const char *key, const char *value)
{
	return value && *value ? add_bytes(e, key, value, strlen(value)) : 0;
}

static int add_fmt(struct journal_entry *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A formatted value (numbers, short words). Returns 0 or -ENOBUFS. */
static int add_fmt(struct journal_entry *e, const char *key, const char *fmt, ...)
{
	char value[32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(value))
		return -ENOBUFS;
	return add_bytes(e, key, value, (size_t)n);
}

/* The fields every entry starts with. MESSAGE comes first so that it is
 * there whatever else did not fit: it is what the stderr fallback logs. */
static int add_head(struct journal_entry *e, const char *message, const char *message_id,
		    int prio)
{
	e->n = 0;
	e->used = 0;
	return add_bytes(e, "MESSAGE", message, strlen(message)) |
	       add_str(e, "MESSAGE_ID", message_id) |
	       add_fmt(e, "PRIORITY", "%d", prio) |
	       add_str(e, "SYSLOG_IDENTIFIER", "oomguard");
}

/* The process's own fields: what the kill record and the warning share. */
static int add_process(struct journal_entry *e, const struct candidate *c, const char *unit,
		       const char *cgroup)
{
	const struct proc_sample *p = &c->proc;

	return add_fmt(e, "OOMGUARD_PID", "%d", (int)p->pid) |
	       add_bytes(e, "OOMGUARD_NAME", p->comm, strnlen(p->comm, sizeof(p->comm))) |
	       add_fmt(e, "OOMGUARD_UID", "%u", (unsigned)p->uid) |
	       add_str(e, "OOMGUARD_UNIT", unit) |
	       add_str(e, "OOMGUARD_CGROUP", cgroup) |
	       add_fmt(e, "OOMGUARD_RSS_KIB", "%llu", (unsigned long long)p->rss_kib) |
	       add_fmt(e, "OOMGUARD_SWAP_KIB", "%llu", (unsigned long long)p->swap_kib) |
	       add_fmt(e, "OOMGUARD_OOM_SCORE", "%ld", c->kernel_score);
}

/* The record's verb as one word: "killed" and "failed" as the history's
 * outcome has them, and --dryrun's "would-kill". */
static int add_outcome(struct journal_entry *e, const char *verb)
{
	char word[32];
	size_t i;

	if (strcmp(verb, "failed to kill") == 0)
		return add_str(e, "OOMGUARD_OUTCOME", "failed");
	for (i = 0; verb[i] && i < sizeof(word) - 1; i++)
		word[i] = verb[i] == ' ' ? '-' : verb[i];
	word[i] = '\0';
	return add_str(e, "OOMGUARD_OUTCOME", word);
}

/* Every -ENOBUFS above is or'ed into one negative value: report one. */
static int built(int r)
{
	return r < 0 ? -ENOBUFS : 0;
}

int journal_build_kill(struct journal_entry *e, const struct report_kill *k, const char *cgroup,
		       const char *top)
{
	const struct candidate *c = k->victim;
	char line[1536];
	int r;

	report_format_kill(line, sizeof(line), k);
	r = add_head(e, line, JOURNAL_MESSAGE_ID_KILL, LOG_NOTICE);
	r |= add_process(e, c, k->unit, cgroup);
	r |= add_fmt(e, "OOMGUARD_SCORE", "%ld", c->score);
	r |= add_str(e, "OOMGUARD_REASON", decide_reason_name(k->reason));
	r |= add_str(e, "OOMGUARD_SIGNAL", report_signal_name(k->signal));
	r |= add_outcome(e, k->verb);
	if (k->exited_ms >= 0)
		r |= add_fmt(e, "OOMGUARD_EXITED_MS", "%d", k->exited_ms);
	r |= add_str(e, "OOMGUARD_ESCALATION", k->escalation);
	r |= add_str(e, "OOMGUARD_RELEASED", k->released ? "yes" : "no");
	if (k->spared)
		r |= add_fmt(e, "OOMGUARD_SPARED", "%u", k->spared);
	r |= add_str(e, "OOMGUARD_TRIGGER", k->trigger);
	r |= add_str(e, "OOMGUARD_TOP", top);
	return built(r);
}

int journal_build_kernel_oom(struct journal_entry *e, const char *message,
			     const struct kernel_oom_event *ev, uint64_t oom_kill)
{
	int r = add_head(e, message, JOURNAL_MESSAGE_ID_KERNEL_OOM, LOG_ERR);

	r |= add_str(e, "OOMGUARD_REASON", decide_reason_name(REASON_KERNEL_OOM));
	r |= add_fmt(e, "OOMGUARD_KILLS", "%llu", (unsigned long long)ev->kills);
	r |= add_fmt(e, "OOMGUARD_OOM_KILL", "%llu", (unsigned long long)oom_kill);
	if (ev->cgroups_known) {
		r |= add_fmt(e, "OOMGUARD_GLOBAL_KILLS", "%llu", (unsigned long long)ev->global_kills);
		/* A field may repeat in the journal: one per cgroup. */
		for (unsigned i = 0; i < ev->n_cgroups; i++)
			r |= add_str(e, "OOMGUARD_CGROUP", ev->cgroup[i].path);
	}
	return built(r);
}

int journal_build_warning(struct journal_entry *e, const struct journal_warning_info *w)
{
	int r = add_head(e, w->message, JOURNAL_MESSAGE_ID_WARNING, LOG_WARNING);

	r |= add_fmt(e, "OOMGUARD_MEM_AVAILABLE_KIB", "%llu",
		     (unsigned long long)w->mem_available_kib);
	r |= add_fmt(e, "OOMGUARD_SWAP_FREE_KIB", "%llu", (unsigned long long)w->swap_free_kib);
	if (w->reason != REASON_NONE)
		r |= add_str(e, "OOMGUARD_REASON", decide_reason_name(w->reason));
	r |= add_str(e, "OOMGUARD_TRIGGER", w->trigger);
	if (w->first)
		r |= add_process(e, w->first, w->unit, w->cgroup);
	return built(r);
}

const char *journal_field(const struct journal_entry *e, const char *key, size_t *len)
{
	size_t klen = strlen(key);

	for (int i = 0; i < e->n; i++) {
		const char *f = e->iov[i].iov_base;

		if (e->iov[i].iov_len > klen && memcmp(f, key, klen) == 0 && f[klen] == '=') {
			*len = e->iov[i].iov_len - klen - 1;
			return f + klen + 1;
		}
	}
	return NULL;
}

/* ---- where it goes ---------------------------------------------------------- */

bool journal_stream_matches(const char *value, const struct stat *st)
{
	uint64_t dev, ino;
	const char *p;

	if (!value || strutil_parse_u64(value, &p, UINT64_MAX, &dev) < 0 || *p != ':' ||
	    strutil_parse_u64(p + 1, &p, UINT64_MAX, &ino) < 0 || *p != '\0')
		return false;
	return (uint64_t)st->st_dev == dev && (uint64_t)st->st_ino == ino;
}

#if HAVE_SD_JOURNAL
/* sd_journal_sendv writes a datagram to journald's socket (a memfd when it
 * is too large) and may block while journald does not keep up: the kill
 * records it carries are written after the signal went out, so the kill
 * itself never waits for it. Returns 0 or -errno. */
static int send_sd_journal(const struct iovec *iov, int n, void *userdata)
{
	return sd_journal_sendv(iov, n);
}
#endif

void journal_sink_init(struct journal_sink *s, bool use_syslog)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->ready = true;
#if HAVE_SD_JOURNAL
	s->send = send_sd_journal;
	/* --syslog asks for syslog; a terminal or a file is read as lines. */
	s->active = !use_syslog && fstat(STDERR_FILENO, &st) == 0 &&
		    journal_stream_matches(getenv("JOURNAL_STREAM"), &st);
#else
	(void)st;
	(void)use_syslog;
#endif
}

bool journal_emit(const struct journal_sink *s, const struct journal_entry *e, int prio)
{
	const char *message;
	size_t len = 0;

	if (!log_enabled(prio))
		return false;
	if (s && s->active && s->send && s->send(e->iov, e->n, s->userdata) >= 0)
		return true;
	message = journal_field(e, "MESSAGE", &len);
	if (message)
		log_msg(prio, "%.*s", (int)len, message);
	return false;
}

bool journal_kill(const struct journal_sink *s, const struct report_kill *k, const char *cgroup,
		  const char *top)
{
	struct journal_entry e;

	/* -ENOBUFS cannot happen at these sizes (JOURNAL_TEXT_MAX); were it
	 * to, what fitted still goes out, MESSAGE first. */
	journal_build_kill(&e, k, cgroup, top);
	return journal_emit(s, &e, LOG_NOTICE);
}

bool journal_kernel_oom(const struct journal_sink *s, const char *message,
			const struct kernel_oom_event *ev, uint64_t oom_kill)
{
	struct journal_entry e;

	journal_build_kernel_oom(&e, message, ev, oom_kill);
	return journal_emit(s, &e, LOG_ERR);
}

bool journal_warning(const struct journal_sink *s, const struct journal_warning_info *w)
{
	struct journal_entry e;

	journal_build_warning(&e, w);
	return journal_emit(s, &e, LOG_WARNING);
}
