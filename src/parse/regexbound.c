#include "parse/regexbound.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * What glibc's regcomp makes of a pattern, judged before it runs.
 *
 * Size. regcomp expands repetitions into copies of their operand
 * (parse_dup_op): "X+" becomes "XX*", "X{m,n}" n copies (the last n-m
 * optional), "X{m,}" m+1; nested repetitions multiply: "(a{1000}){1000}" is
 * a million. Each character, bracket expression, group, '|' and quantifier
 * counts 1 here, a repetition multiplies its operand as regcomp does, and the
 * count saturates at REGEXBOUND_MAX_NODES + 1.
 *
 * Time. The size alone does not bound regcomp's time: its epsilon closures
 * (calc_eclosure) are recomputed while a loop of empty moves is unresolved,
 * and a part that can match the empty string, repeated, makes such loops;
 * stacked repetitions make them nest. "e???????????++++++" is 831 parts and
 * took 125 s of CPU (10 MiB). So, beside the size:
 *   - no two repetitions in a row ("a++", "a*?", "a?{2}", "a{2}{3}"):
 *     POSIX leaves them undefined in an ERE, and one always says the same;
 *   - no repetition of a part that can match the empty string ("(a*)+",
 *     "(a?)?", "(^|x)*", "(a{0,3})+"): "(a+)?" says what "(a*)+" does;
 *   - no back-reference "\1".."\9": not POSIX ERE, and glibc then matches by
 *     backtracking, exponential in the subject: "(a*)*\1b" against 4 KiB of
 *     'a' ran past a 20 s CPU limit in regexec.
 * With every repeated part non-empty there is no loop of empty moves.
 *
 * Measured with glibc 2.36 (x86_64, C locale) on patterns this accepts, by
 * timing regcomp and regexec over 4 KiB subjects (all 'a', "abab...",
 * random letters, random printable, random a/b, the pattern's own
 * characters): the worst found compile in under 0.05 s and 4 MiB
 * ("((a+)+){1,170}" and the fuzzer's slowest, listed in
 * tests/fuzz/corpus/config/), against minutes for what is refused.
 * regexec stays under 0.1 s per 4 KiB subject even at the bound, but glibc
 * keeps every DFA state it builds until regfree: a pattern such as
 * ".*a" followed by 500 '.' grows by about 2 MiB for each new hostile
 * subject. Realistic policies (names, anchored paths, "[0-9]{1,4}") build
 * a handful of states.
 */
#define RX_CAP ((uint64_t)REGEXBOUND_MAX_NODES + 1)

struct rx_part {
	uint64_t size;
	bool nullable;		/* can match the empty string */
};

struct rx_state {
	const char *start;	/* the pattern, for offsets */
	char *why;
	size_t whylen;
	bool failed;		/* why holds the first reason */
	bool count_only;	/* regexbound_size(): refuse nothing */
};

static uint64_t rx_add(uint64_t a, uint64_t b)
{
	return a + b > RX_CAP ? RX_CAP : a + b;	/* both at most RX_CAP */
}

static uint64_t rx_mul(uint64_t a, uint64_t b)
{
	return b && a > RX_CAP / b ? RX_CAP : a * b;
}

/* Record the first reason a pattern is refused; later ones are dropped. */
__attribute__((format(printf, 2, 3)))
static void rx_refuse(struct rx_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->failed || st->count_only)
		return;
	st->failed = true;
	va_start(ap, fmt);
	vsnprintf(st->why, st->whylen, fmt, ap);
	va_end(ap);
}

/* Past a bracket expression; p is just after '['. "[]a]", "[^]a]" and
 * "[[:alpha:]]" hold a ']' that does not close them. */
static const char *rx_skip_bracket(const char *p)
{
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char kind = p[1];

			for (p += 2; *p && !(p[0] == kind && p[1] == ']'); p++)
				;
			if (*p)
				p += 2;
			continue;
		}
		p++;
	}
	return *p ? p + 1 : p;
}

/* "{m}", "{m,}", "{m,n}" or "{,n}" at p: the copies regcomp makes of the
 * operand (at least 1, so that "{0}" is no discount) and the least m.
 * Returns the interval's length, or 0 when the text is not an interval. */
static size_t rx_interval(const char *p, uint64_t *copies, uint64_t *least)
{
	const char *q = p + 1;
	uint64_t m = 0, n = 0;
	bool comma = false, has_n = false;

	for (; *q >= '0' && *q <= '9'; q++)
		m = rx_add(rx_mul(m, 10), (uint64_t)(*q - '0'));
	if (*q == ',') {
		comma = true;
		for (q++; *q >= '0' && *q <= '9'; q++, has_n = true)
			n = rx_add(rx_mul(n, 10), (uint64_t)(*q - '0'));
	}
	if (*q != '}' || q == p + 1)
		return 0;
	*copies = has_n ? (n > m ? n : m) : comma ? rx_add(m, 1) : m;
	if (*copies == 0)
		*copies = 1;
	*least = m;
	return (size_t)(q + 1 - p);
}

/* The quantifier at p, if any: "*", "+", "?" or an interval. Returns its
 * length (0 for none), and applies it to *part: its size and whether it
 * can match the empty string. */
static size_t rx_quantifier(const char *p, struct rx_part *part)
{
	uint64_t copies, least;
	size_t n;

	switch (*p) {
	case '*':
	case '?':
		part->size = rx_add(part->size, 1);
		part->nullable = true;
		return 1;
	case '+':
		part->size = rx_add(rx_mul(part->size, 2), 1);
		return 1;
	case '{':
		n = rx_interval(p, &copies, &least);
		if (n) {
			part->size = rx_mul(rx_add(part->size, 1), copies);
			part->nullable = part->nullable || least == 0;
		}
		return n;
	}
	return 0;
}

/* What to write instead of two stacked quantifiers: for "*", "+" and "?"
 * the one that means the same ("a++" is "a+", "a+?" is "a*"). */
static const char *rx_instead(const char *first, const char *second)
{
	if (*first == '{' || *second == '{')
		return "a single interval";
	if (*first == *second)
		return *first == '+' ? "'+'" : *first == '*' ? "'*'" : "'?'";
	return "'*'";
}

static struct rx_part rx_alternatives(struct rx_state *st, const char **pp, unsigned depth);

/* The atom at *pp, which it passes: a character, an escape, a bracket
 * expression (one part each) or a group. Returns its size and whether it can
 * match the empty string, as anchors and "\b"-like escapes do. */
static struct rx_part rx_atom(struct rx_state *st, const char **pp, unsigned depth)
{
	const char *p = *pp;
	struct rx_part atom = { 1, false };

	if (*p == '(') {
		*pp = p + 1;
		atom = rx_alternatives(st, pp, depth + 1);
		atom.size = rx_add(atom.size, 1);
		if (**pp == ')')
			(*pp)++;
	} else if (*p == '[') {
		*pp = rx_skip_bracket(p + 1);
	} else if (*p == '\\' && p[1]) {
		if (p[1] >= '1' && p[1] <= '9')
			rx_refuse(st, "uses the back-reference '\\%c' (offset %zu): not POSIX ERE, "
				  "and glibc then matches in exponential time", p[1],
				  (size_t)(p - st->start));
		atom.nullable = strchr("bB<>`'", p[1]) != NULL;
		*pp = p + 2;
	} else {
		atom.nullable = *p == '^' || *p == '$';
		*pp = p + 1;	/* a character, a stray ')', or a quantifier with nothing to repeat */
	}
	return atom;
}

/* A concatenation of pieces (an atom and its quantifiers, at most one
 * allowed) up to '|' or the ')' that closes the group; at the top, a stray
 * ')' is a character that can be repeated, as regcomp takes it
 * (RE_UNMATCHED_RIGHT_PAREN_ORD): ")a{1,20000}" is as large as "a{1,20000}". Returns its size and whether it can match the
 * empty string (all its pieces can). */
static struct rx_part rx_sequence(struct rx_state *st, const char **pp, unsigned depth)
{
	struct rx_part total = { 0, true };

	while (**pp && **pp != '|' && (**pp != ')' || depth == 0) && !st->failed) {
		struct rx_part piece = rx_atom(st, pp, depth);
		const char *first = *pp;
		bool empty = piece.nullable;
		size_t n;

		for (unsigned i = 0; (n = rx_quantifier(*pp, &piece)) != 0; i++) {
			if (i == 0 && empty)
				rx_refuse(st, "repeats with '%.*s' (offset %zu) a part that can match "
					  "the empty string: write (a+)? rather than (a*)+", (int)n,
					  first, (size_t)(first - st->start));
			else if (i == 1)
				rx_refuse(st, "stacks two repetitions ('%.*s' at offset %zu), which "
					  "POSIX leaves undefined: write %s", (int)(*pp + n - first),
					  first, (size_t)(first - st->start), rx_instead(first, *pp));
			*pp += n;
		}
		total.size = rx_add(total.size, piece.size);
		total.nullable = total.nullable && piece.nullable;
	}
	return total;
}

/* Alternatives separated by '|', up to the ')' that closes the group (left
 * at *pp). Returns their size
 * and whether one can match the empty string. The recursion is as deep as
 * the groups are nested, at most REGEXBOUND_MAX_LEN / 2. */
static struct rx_part rx_alternatives(struct rx_state *st, const char **pp, unsigned depth)
{
	struct rx_part total = { 0, false };

	for (;;) {
		struct rx_part alt = rx_sequence(st, pp, depth);

		total.size = rx_add(total.size, alt.size);
		total.nullable = total.nullable || alt.nullable;
		if (!st->failed && **pp == '|') {
			(*pp)++;
			total.size = rx_add(total.size, 1);
			continue;
		}
		return total;
	}
}

size_t regexbound_size(const char *pattern)
{
	struct rx_state st = { pattern, NULL, 0, false, true };
	const char *p = pattern;

	return (size_t)rx_alternatives(&st, &p, 0).size;
}

int regexbound_check(const char *pattern, char *why, size_t whylen)
{
	struct rx_state st = { pattern, why, whylen, false, false };
	const char *p = pattern;
	struct rx_part all;

	if (strlen(pattern) > REGEXBOUND_MAX_LEN) {
		snprintf(why, whylen, "is longer than %d characters", REGEXBOUND_MAX_LEN);
		return -EINVAL;
	}
	all = rx_alternatives(&st, &p, 0);
	if (st.failed)
		return -EINVAL;
	if (all.size > REGEXBOUND_MAX_NODES) {
		snprintf(why, whylen, "is too complex: its repetitions expand to more than %d "
			 "parts (X+ counts X twice, X{m,n} n times, nested ones multiply)",
			 REGEXBOUND_MAX_NODES);
		return -EINVAL;
	}
	return 0;
}
