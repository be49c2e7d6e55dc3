#pragma once

#include <stddef.h>

/* Bounds on a --prefer/--avoid/--ignore pattern, so that glibc's regcomp
 * cannot take the machine's memory or minutes of CPU at start-up: its
 * length, and its size once regcomp has expanded the repetitions
 * (regexbound_size()). 1024 is above any list of names a policy matches,
 * and no pattern within the length limit reaches the size limit without
 * repetitions. */
#define REGEXBOUND_MAX_LEN 1024
#define REGEXBOUND_MAX_NODES 1024

/* Whether glibc's regcomp (REG_EXTENDED | REG_NOSUB, C locale) may be given
 * pattern: not too long, no stacked repetitions ("a++", "a{2}{3}"), no
 * back-references ("\1"), no repetition of a part that can match the empty
 * string ("(a*)+"), and at most REGEXBOUND_MAX_NODES parts once expanded.
 * Returns 0 when it may, or -EINVAL with why set to the reason, one line
 * without the pattern, that reads after "regular expression 'X' ". Syntax
 * errors are left for regcomp to report. */
int regexbound_check(const char *pattern, char *why, size_t whylen);

/* Estimate how many parts glibc's regcomp expands an extended regular
 * expression into: characters, bracket expressions, groups, '|' and
 * quantifiers count 1, "X+" counts X twice, "X{m,n}" n times; nested
 * repetitions multiply. Returns the count, saturated just above
 * REGEXBOUND_MAX_NODES. Exposed for tests. */
size_t regexbound_size(const char *pattern);
