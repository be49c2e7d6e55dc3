#include "parse/histline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse/strutil.h"

static const char *const event_names[] = {
	[HIST_NONE] = "?",
	[HIST_KILL] = "kill",
	[HIST_OUTCOME] = "outcome",
	[HIST_KERNEL_OOM] = "kernel-oom",
	[HIST_WARNING] = "warning",
};

const char *histline_event_name(enum hist_event event)
{
	return (unsigned)event < sizeof(event_names) / sizeof(event_names[0]) ? event_names[event]
									       : "?";
}

const char *histline_escape(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t need = c == '"' || c == '\\' ? 2 : c < 0x20 || c >= 0x7f ? 6 : 1;

		if (o + need >= len)
			break;
		if (need == 2) {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (need == 6) {
			memcpy(buf + o, "\\u00", 4);
			buf[o + 4] = hex[c >> 4];
			buf[o + 5] = hex[c & 0xf];
			o += 6;
		} else {
			buf[o++] = (char)c;
		}
	}
	if (len)
		buf[o] = '\0';
	return buf;
}

/* ---- formatting ---------------------------------------------------------- */

/* A line being written: o may run past len, which then says "too small". */
struct out {
	char *buf;
	size_t len;
	size_t o;
};

static void put(struct out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->o < w->len ? w->buf + w->o : NULL, w->o < w->len ? w->len - w->o : 0, fmt,
		      ap);
	va_end(ap);
	if (n > 0)
		w->o += (size_t)n;
}

/* ,"key":"escaped value" */
static void put_str(struct out *w, const char *key, const char *value)
{
	/* Six bytes per byte of the longest field (the cgroup). */
	char esc[1024 * 6];

	put(w, ",\"%s\":\"%s\"", key, histline_escape(esc, sizeof(esc), value));
}

static void put_u64(struct out *w, const char *key, uint64_t v)
{
	put(w, ",\"%s\":%" PRIu64, key, v);
}

static void put_i64(struct out *w, const char *key, int64_t v)
{
	put(w, ",\"%s\":%" PRId64, key, v);
}

static void put_top(struct out *w, const struct hist_entry *e)
{
	put(w, ",\"top\":[");
	for (unsigned i = 0; i < e->n_top && i < HISTLINE_TOP_MAX; i++) {
		const struct hist_proc *p = &e->top[i];
		char name[PIDINFO_COMM_MAX * 6];

		put(w, "%s{\"pid\":%" PRId64 ",\"name\":\"%s\",\"rss_kib\":%" PRIu64
		    ",\"swap_kib\":%" PRIu64 "%s}", i ? "," : "", p->pid,
		    histline_escape(name, sizeof(name), p->name), p->rss_kib, p->swap_kib,
		    e->event == HIST_KERNEL_OOM ? p->gone ? ",\"gone\":true" : ",\"gone\":false" : "");
	}
	put(w, "]");
}

static void put_victim(struct out *w, const struct hist_entry *e)
{
	put_i64(w, "pid", e->pid);
	put_str(w, "name", e->name);
	put_u64(w, "uid", e->uid);
	put_str(w, "unit", e->unit);
	put_str(w, "cgroup", e->cgroup);
	put_i64(w, "oom_score", e->oom_score);
	put_i64(w, "score", e->score);
	put_u64(w, "rss_kib", e->rss_kib);
	put_u64(w, "swap_kib", e->swap_kib);
	put_str(w, "reason", e->reason);
	put_str(w, "trigger", e->trigger);
	put_str(w, "signal", e->signal);
	put_u64(w, "mem_available_kib", e->mem_available_kib);
	put_u64(w, "swap_free_kib", e->swap_free_kib);
	put_top(w, e);
}

static void put_outcome(struct out *w, const struct hist_entry *e, bool merged)
{
	if (!merged)
		put_u64(w, "kill_seq", e->kill_seq);
	put_str(w, "outcome", e->outcome);
	put_str(w, "last_signal", e->last_signal);
	if (e->escalation[0])
		put_str(w, "escalation", e->escalation);
	if (e->exited_ms >= 0)
		put_i64(w, "exited_ms", e->exited_ms);
	put(w, ",\"released\":%s", e->released ? "true" : "false");
	if (e->spared)
		put_u64(w, "spared", e->spared);
	if (e->have_gained)
		put_i64(w, "gained_kib", e->gained_kib);
}

static void put_kernel_oom(struct out *w, const struct hist_entry *e)
{
	const struct kernel_oom_event *k = &e->koom;

	put_u64(w, "kills", k->kills);
	put_u64(w, "global_kills", k->global_kills);
	put_str(w, "scope", k->global_kills ? "global" : "cgroup");
	put(w, ",\"cgroups_known\":%s", k->cgroups_known ? "true" : "false");
	put(w, ",\"cgroups\":[");
	for (unsigned i = 0; i < k->n_cgroups && i < KERNEL_OOM_MAX_CGROUPS; i++) {
		char path[sizeof(k->cgroup[i].path) * 6];

		put(w, "%s{\"path\":\"%s\",\"kills\":%" PRIu64 "}", i ? "," : "",
		    histline_escape(path, sizeof(path), k->cgroup[i].path), k->cgroup[i].kills);
	}
	put(w, "]");
	put_u64(w, "mem_available_kib", e->mem_available_kib);
	put_u64(w, "swap_free_kib", e->swap_free_kib);
	put_top(w, e);
}

static void put_warning(struct out *w, const struct hist_entry *e)
{
	put_str(w, "reason", e->reason);
	put_u64(w, "mem_available_kib", e->mem_available_kib);
	put_u64(w, "swap_free_kib", e->swap_free_kib);
	put_i64(w, "pid", e->pid);
	put_str(w, "name", e->name);
}

long histline_format(char *buf, size_t len, const struct hist_entry *e, bool merge)
{
	struct out w = { .buf = buf, .len = len };
	char esc[sizeof(e->boot) * 6];

	put(&w, "{\"time\":\"%s\"", histline_escape(esc, sizeof(esc), e->time));
	put_str(&w, "boot", e->boot);
	put_u64(&w, "seq", e->seq);
	put_str(&w, "event", histline_event_name(e->event));
	switch (e->event) {
	case HIST_KILL:
		put_victim(&w, e);
		if (e->has_outcome)
			put_outcome(&w, e, true);
		else if (merge)
			put(&w, ",\"outcome\":\"unknown\"");
		break;
	case HIST_OUTCOME:
		put_outcome(&w, e, false);
		break;
	case HIST_KERNEL_OOM:
		put_kernel_oom(&w, e);
		break;
	case HIST_WARNING:
		put_warning(&w, e);
		break;
	case HIST_NONE:
		break;
	}
	put(&w, "}\n");
	if (w.o >= len)
		return -ENOBUFS;
	return (long)w.o;
}

/* ---- parsing ------------------------------------------------------------- */

/* Nesting the reader accepts in values it skips: ours go two deep. */
#define PARSE_MAX_DEPTH 8

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	return 0;
}

/* Append byte c to out (size len, o bytes in), quietly cut when full. */
static void add(char *out, size_t len, size_t *o, unsigned c)
{
	if (out && *o + 1 < len)
		out[(*o)++] = (char)c;
}

/* \uXXXX at p (after the backslash-u): up to 0xff the byte itself (what
 * histline_escape writes), above as UTF-8, a surrogate pair joined. */
static const char *unicode(const char *p, char *out, size_t len, size_t *o)
{
	unsigned v, lo;

	if (hex4(p, &v) < 0 || v == 0)
		return NULL;
	p += 4;
	if (v >= 0xd800 && v < 0xdc00 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) == 0 &&
	    lo >= 0xdc00 && lo < 0xe000) {
		v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
		p += 6;
	}
	if (v < 0x100) {
		add(out, len, o, v);
	} else if (v < 0x800) {
		add(out, len, o, 0xc0 | v >> 6);
		add(out, len, o, 0x80 | (v & 0x3f));
	} else if (v < 0x10000) {
		add(out, len, o, 0xe0 | v >> 12);
		add(out, len, o, 0x80 | (v >> 6 & 0x3f));
		add(out, len, o, 0x80 | (v & 0x3f));
	} else {
		add(out, len, o, 0xf0 | v >> 18);
		add(out, len, o, 0x80 | (v >> 12 & 0x3f));
		add(out, len, o, 0x80 | (v >> 6 & 0x3f));
		add(out, len, o, 0x80 | (v & 0x3f));
	}
	return p;
}

/* A JSON string at p (its opening quote) into out (NULL: skipped). Returns
 * the text after the closing quote, or NULL. */
static const char *string(const char *p, char *out, size_t len)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	size_t o = 0;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)	/* a raw control byte, the NUL that ends a cut line */
			return NULL;
		if (c != '\\') {
			add(out, len, &o, c);
			p++;
			continue;
		}
		if (p[1] == 'u') {
			p = unicode(p + 2, out, len, &o);
			if (!p)
				return NULL;
			continue;
		}
		const char *s = p[1] ? strchr(simple, p[1]) : NULL;

		if (!s || (s - simple) % 2)
			return NULL;
		add(out, len, &o, (unsigned char)s[1]);
		p += 2;
	}
	if (out && len)
		out[o] = '\0';
	return p + 1;
}

static const char *number(const char *p, int64_t *v)
{
	const char *end;

	if (*p == '-' ? strutil_parse_i64(p, &end, INT64_MIN, INT64_MAX, v) < 0
		      : strutil_parse_i64(p, &end, 0, INT64_MAX, v) < 0)
		return NULL;
	/* A fraction or exponent is no number of ours, but valid JSON. */
	while (*end == '.' || *end == 'e' || *end == 'E' || *end == '+' || *end == '-' ||
	       (*end >= '0' && *end <= '9'))
		end++;
	return end;
}

static const char *skip_value(const char *p, unsigned depth);

/* The values of an array or object at p ('[' or '{'), each handed to
 * item (NULL: skipped); an object's keys go to key. */
struct walker {
	const char *(*value)(void *ctx, const char *key, const char *p, unsigned depth);
	void *ctx;
};

static const char *compound(const char *p, const struct walker *w, unsigned depth)
{
	char close = *p == '{' ? '}' : ']';
	bool object = *p == '{';
	char key[32];

	if (depth >= PARSE_MAX_DEPTH)
		return NULL;
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		key[0] = '\0';
		if (object) {
			p = string(p, key, sizeof(key));
			if (!p)
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
			p = ws(p);
		}
		p = w && w->value ? w->value(w->ctx, key, p, depth + 1) : skip_value(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

static const char *skip_value(const char *p, unsigned depth)
{
	int64_t n;

	switch (*p) {
	case '"': return string(p, NULL, 0);
	case '{': case '[': return compound(p, NULL, depth);
	case 't': return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f': return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n': return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default: return number(p, &n);
	}
}

static const char *boolean(const char *p, bool *v)
{
	if (strncmp(p, "true", 4) == 0) {
		*v = true;
		return p + 4;
	}
	if (strncmp(p, "false", 5) == 0) {
		*v = false;
		return p + 5;
	}
	return NULL;
}

static const char *unsigned_number(const char *p, uint64_t *v)
{
	const char *end;

	return strutil_parse_u64(p, &end, UINT64_MAX, v) < 0 ? NULL : end;
}

/* One object of "top". */
static const char *top_value(void *ctx, const char *key, const char *p, unsigned depth)
{
	struct hist_proc *t = ctx;

	if (strcmp(key, "pid") == 0)
		return number(p, &t->pid);
	if (strcmp(key, "name") == 0)
		return string(p, t->name, sizeof(t->name));
	if (strcmp(key, "rss_kib") == 0)
		return unsigned_number(p, &t->rss_kib);
	if (strcmp(key, "swap_kib") == 0)
		return unsigned_number(p, &t->swap_kib);
	if (strcmp(key, "gone") == 0)
		return boolean(p, &t->gone);
	return skip_value(p, depth);
}

static const char *top_item(void *ctx, const char *key, const char *p, unsigned depth)
{
	struct hist_entry *e = ctx;
	struct walker w = { .value = top_value };

	(void)key;
	if (*p != '{')
		return NULL;
	if (e->n_top >= HISTLINE_TOP_MAX)
		return skip_value(p, depth);
	w.ctx = &e->top[e->n_top++];
	return compound(p, &w, depth);
}

static const char *cgroup_value(void *ctx, const char *key, const char *p, unsigned depth)
{
	struct kernel_oom_event *k = ctx;

	if (strcmp(key, "path") == 0)
		return string(p, k->cgroup[k->n_cgroups - 1].path, sizeof(k->cgroup[0].path));
	if (strcmp(key, "kills") == 0)
		return unsigned_number(p, &k->cgroup[k->n_cgroups - 1].kills);
	return skip_value(p, depth);
}

static const char *cgroup_item(void *ctx, const char *key, const char *p, unsigned depth)
{
	struct kernel_oom_event *k = ctx;
	struct walker w = { .value = cgroup_value, .ctx = k };

	(void)key;
	if (*p != '{')
		return NULL;
	if (k->n_cgroups >= KERNEL_OOM_MAX_CGROUPS)
		return skip_value(p, depth);
	k->n_cgroups++;
	return compound(p, &w, depth);
}

/* What the top-level parse has seen besides the fields. */
struct top_level {
	struct hist_entry *e;
	bool have_event, have_seq, have_time;
};

#define STR(field) { #field, offsetof(struct hist_entry, field), sizeof(((struct hist_entry *)0)->field) }

static const struct { const char *key; size_t off, size; } string_fields[] = {
	STR(time), STR(boot), STR(name), STR(unit), STR(cgroup), STR(reason), STR(trigger),
	STR(signal), STR(outcome), STR(last_signal), STR(escalation),
};

static const char *event_value(struct top_level *t, const char *p)
{
	char name[16];

	p = string(p, name, sizeof(name));
	if (!p)
		return NULL;
	for (unsigned i = HIST_KILL; i <= HIST_WARNING; i++)
		if (strcmp(name, event_names[i]) == 0)
			t->e->event = (enum hist_event)i;
	t->have_event = true;
	return p;
}

static const char *number_value(struct hist_entry *e, const char *key, const char *p)
{
	uint64_t u;
	int64_t i;

	if (strcmp(key, "pid") == 0)
		return number(p, &e->pid);
	if (strcmp(key, "oom_score") == 0)
		return number(p, &e->oom_score);
	if (strcmp(key, "score") == 0)
		return number(p, &e->score);
	if (strcmp(key, "exited_ms") == 0)
		return number(p, &e->exited_ms);
	if (strcmp(key, "gained_kib") == 0) {
		e->have_gained = true;
		return number(p, &e->gained_kib);
	}
	if (strcmp(key, "uid") == 0 || strcmp(key, "spared") == 0) {
		p = number(p, &i);
		if (p && (i < 0 || i > UINT32_MAX))
			return NULL;
		if (p && key[0] == 'u')
			e->uid = (uint32_t)i;
		else if (p)
			e->spared = (unsigned)i;
		return p;
	}
	static const struct { const char *key; size_t off; } u64s[] = {
		{ "seq", offsetof(struct hist_entry, seq) },
		{ "rss_kib", offsetof(struct hist_entry, rss_kib) },
		{ "swap_kib", offsetof(struct hist_entry, swap_kib) },
		{ "mem_available_kib", offsetof(struct hist_entry, mem_available_kib) },
		{ "swap_free_kib", offsetof(struct hist_entry, swap_free_kib) },
		{ "kill_seq", offsetof(struct hist_entry, kill_seq) },
		{ "kills", offsetof(struct hist_entry, koom.kills) },
		{ "global_kills", offsetof(struct hist_entry, koom.global_kills) },
	};
	for (size_t k = 0; k < sizeof(u64s) / sizeof(u64s[0]); k++) {
		if (strcmp(key, u64s[k].key) != 0)
			continue;
		p = unsigned_number(p, &u);
		if (p)
			memcpy((char *)e + u64s[k].off, &u, sizeof(u));
		return p;
	}
	return NULL;
}

static const char *entry_value(void *ctx, const char *key, const char *p, unsigned depth)
{
	struct top_level *t = ctx;
	struct hist_entry *e = t->e;
	const char *q;

	if (depth != 1)
		return skip_value(p, depth);
	if (strcmp(key, "event") == 0)
		return event_value(t, p);
	if (strcmp(key, "top") == 0 && *p == '[')
		return compound(p, &(struct walker){ .value = top_item, .ctx = e }, depth);
	if (strcmp(key, "cgroups") == 0 && *p == '[')
		return compound(p, &(struct walker){ .value = cgroup_item, .ctx = &e->koom }, depth);
	if (strcmp(key, "released") == 0)
		return boolean(p, &e->released);
	if (strcmp(key, "cgroups_known") == 0)
		return boolean(p, &e->koom.cgroups_known);
	for (size_t i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
		if (strcmp(key, string_fields[i].key) != 0)
			continue;
		t->have_time |= strcmp(key, "time") == 0;
		return string(p, (char *)e + string_fields[i].off, string_fields[i].size);
	}
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		q = number_value(e, key, p);
		t->have_seq |= q && strcmp(key, "seq") == 0;
		if (q)
			return q;
	}
	return skip_value(p, depth);
}

int histline_parse(const char *line, struct hist_entry *e)
{
	struct top_level t = { .e = e };
	struct walker w = { .value = entry_value, .ctx = &t };
	const char *p;

	memset(e, 0, sizeof(*e));
	e->exited_ms = -1;
	p = ws(line);
	if (*p != '{')
		return -EINVAL;
	p = compound(p, &w, 0);
	if (!p || *ws(p) != '\0' || !t.have_event || !t.have_seq || !t.have_time)
		return -EINVAL;
	e->has_outcome = e->outcome[0] && strcmp(e->outcome, "unknown") != 0;
	return 0;
}
