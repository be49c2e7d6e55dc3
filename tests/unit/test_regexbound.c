/* regexbound: what glibc's regcomp may be given, and why the rest is not. */
#include <criterion/criterion.h>
#include <errno.h>
#include <regex.h>
#include <string.h>
#include <time.h>

#include "parse/regexbound.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

Test(regexbound, size_counts_what_regcomp_expands)
{
	cr_expect_eq(regexbound_size("abc"), 3);
	cr_expect_eq(regexbound_size("a*"), 2);
	cr_expect_eq(regexbound_size("a+"), 3, "X+ is XX*");
	cr_expect_eq(regexbound_size("a++"), 7);
	cr_expect_eq(regexbound_size("a{3}"), 6);
	cr_expect_eq(regexbound_size("a{2,5}"), 10);
	cr_expect_eq(regexbound_size("a{4,}"), 10);
	cr_expect_eq(regexbound_size("a{,3}"), 6);
	cr_expect_eq(regexbound_size("a{0}"), 2);
	cr_expect_eq(regexbound_size("(a|b)"), 4);
	cr_expect_eq(regexbound_size("[]a+]+"), 3, "the '+' inside the brackets is a character");
	cr_expect_eq(regexbound_size("[[:alpha:]]x"), 2);
	cr_expect_eq(regexbound_size("\\+\\+"), 2);
	cr_expect_eq(regexbound_size("a{x}"), 4, "not an interval: characters");
	cr_expect_eq(regexbound_size("(a{10}){10}"), 220);
	/* Saturates instead of overflowing. */
	cr_expect_eq(regexbound_size("a{32767}{32767}{32767}{32767}{32767}"),
		     REGEXBOUND_MAX_NODES + 1);
	cr_expect_eq(regexbound_size("a++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++"),
		     REGEXBOUND_MAX_NODES + 1);
}

/* Each refused with the reason that names it: a line without a newline,
 * short enough to follow "--prefer: regular expression '<64 chars>...' ". */
Test(regexbound, hostile_patterns_are_refused_with_the_reason)
{
	static const struct { const char *pattern, *reason; } refused[] = {
		/* Stacked repetitions: 125 s of regcomp for the first. */
		{ "e???????????++++++", "stacks two repetitions ('?\?' at offset 1)" },
		{ "a++", "write '+'" },
		{ "a**", "write '*'" },
		{ "a*?", "write '*'" },
		{ "a+?", "write '*'" },
		{ "x(ab)?+", "('?+' at offset 5)" },
		{ "a?{2}", "write a single interval" },
		{ "a{2}{3}", "stacks two repetitions ('{2}{3}'" },
		{ "a{1000}{1000}", "stacks two repetitions" },
		/* A repeated part that can match the empty string. */
		{ "((a?)+)+", "repeats with '+' (offset 5) a part that can match the empty string" },
		{ "(((((((((((e?)?)?)?)?)?)?)?)?)?)+)+", "repeats with '?'" },
		{ "(a*)*", "empty string" },
		{ "(a|b?){3}", "repeats with '{3}'" },
		{ "(a{0,3})+", "empty string" },
		{ "(^|x)*", "empty string" },
		{ "($)+", "empty string" },
		{ "(\\b)+", "empty string" },
		{ "(a|)+", "empty string" },
		{ "()*", "empty string" },
		{ "(a?b*)+", "empty string" },
		/* Back-references: exponential regexec. */
		{ "(a*)\\1b", "back-reference '\\1' (offset 4)" },
		{ "(a)(b)(c)(d)(e)(f)(g)(h)(i)\\9", "back-reference '\\9'" },
		/* Nested repetitions of non-empty parts: the size bound. */
		{ "(a{1,40}){1,40}", "too complex" },
		{ "((((a+)+)+)+){1,100}", "too complex" },
		{ "(a{100}){100}", "too complex" },
		{ "x{1000}", "too complex" },
		/* A stray ')' is a character regcomp repeats (found by the fuzzer). */
		{ ",5cmdlia){1,20913}", "too complex" },
	};
	char why[160];

	for (size_t i = 0; i < N(refused); i++) {
		memset(why, 0, sizeof(why));
		cr_expect_eq(regexbound_check(refused[i].pattern, why, sizeof(why)), -EINVAL,
			     "%s accepted", refused[i].pattern);
		cr_expect(strstr(why, refused[i].reason) != NULL, "%s: %s", refused[i].pattern, why);
		cr_expect(strchr(why, '\n') == NULL && strlen(why) < 130, "%s: %s",
			  refused[i].pattern, why);
	}
}

/* What policies write, and the near misses of the rules above. */
Test(regexbound, realistic_policies_are_accepted)
{
	static const char *const accepted[] = {
		"^(chrome|chromium|firefox|electron)$",
		"^(a|b)$",
		"cc1plus|rustc|ld\\.lld|java",
		"^/usr/bin/python3? .*worker-[0-9]{1,4}$",
		"^(user@[0-9]+|session-[0-9]+)\\.(service|scope)$",
		"^ssh(d)?\\.service$",
		"java .*-jar /opt/batch/",
		"(a+)?", "(a+)*", "(-[a-z]+)*", "( [^ ]*)+", "(ab?)+", "(x|y*z)+",
		"a{0,3}", "(ab){2,5}", "[*+?]+", "\\++", "\\\\1?", "[\\1]",
		"\\.(service|scope)", "a|b|", "(a)\\.",
	};
	char why[160];

	for (size_t i = 0; i < N(accepted); i++) {
		why[0] = '\0';
		cr_expect_eq(regexbound_check(accepted[i], why, sizeof(why)), 0, "%s: %s",
			     accepted[i], why);
	}
}

/* The figures in regexbound.c: what is accepted at the edges of the bound
 * compiles quickly. Measured under 0.05 s; 1 s leaves room for sanitizers
 * and slow machines, against the minutes the refused patterns take. */
Test(regexbound, accepted_worst_cases_compile_quickly)
{
	static const char *const worst[] = {
		"((a+)+){1,93}",
		"((((((((a+)+)+)+)+)+)+)+)",
		"(((((((x*y)+z?)+z?)+z?)+z?)+z?)+z?)+z?",
		"(a|b?c){1,146}",
		"(.*a){1,204}",
		"(a?b?c?d?e?f?g?h?x){1,53}",
		"((a|b)+(c|d)+){1,51}",
	};
	char why[160];

	for (size_t i = 0; i < N(worst); i++) {
		struct timespec t0, t1;
		regex_t re;
		double s;

		cr_assert_eq(regexbound_check(worst[i], why, sizeof(why)), 0, "%s: %s", worst[i], why);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		cr_assert_eq(regcomp(&re, worst[i], REG_EXTENDED | REG_NOSUB), 0, "%s", worst[i]);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		regfree(&re);
		s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		cr_expect(s < 1.0, "%s took %.3f s in regcomp", worst[i], s);
	}
}

Test(regexbound, length_is_bounded)
{
	char pattern[REGEXBOUND_MAX_LEN + 2], why[160];

	memset(pattern, 'a', REGEXBOUND_MAX_LEN + 1);
	pattern[REGEXBOUND_MAX_LEN + 1] = '\0';
	cr_expect_eq(regexbound_check(pattern, why, sizeof(why)), -EINVAL);
	cr_expect_str_eq(why, "is longer than 1024 characters");
	pattern[REGEXBOUND_MAX_LEN] = '\0';
	cr_expect_eq(regexbound_check(pattern, why, sizeof(why)), 0, "%s", why);
}
