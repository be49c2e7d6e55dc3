/* libFuzzer target for the command-line parser: the input is split at
 * newlines into up to 24 arguments. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_repeat(uint8_t c)
{
	return c == '*' || c == '+' || c == '?';
}

/* Two repetition operators in a row ("g++"): see below. */
static bool has_stacked_repeat(const uint8_t *data, size_t size)
{
	for (size_t i = 1; i < size; i++)
		if (is_repeat(data[i - 1]) && is_repeat(data[i]))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[26] = { (char *)"oomguard" };
	char err[256];
	struct config cfg;
	int argc = 1;

	/* glibc's regcomp() takes time exponential in nested bounded
	 * repetitions ("a{99}{99}{99}") and in stacked ones. The pattern
	 * bound (config_regex_size) keeps their memory in check, not yet
	 * their time: without this skip the fuzzer finds patterns of stacked
	 * '?' the bound accepts and regcomp chews on for minutes
	 * ("e???????????++++++": 125 s), an open hole, not one to find
	 * again at every smoke run. */
	if (size > 512 || memchr(data, '{', size) || has_stacked_repeat(data, size))
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; argc < 25;) {
		char *nl = strchr(p, '\n');

		argv[argc++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	argv[argc] = NULL;
	if (config_parse(&cfg, argc, argv, err, sizeof(err)) == 0) {
		if (cfg.mem.kill_centi > cfg.mem.term_centi || cfg.swap.kill_kib > cfg.swap.term_kib ||
		    cfg.mem.term_centi > 10000)
			abort();	/* validation let an inconsistent floor through */
	} else if (err[0] == '\0' || strchr(err, '\n')) {
		abort();		/* every error is one non-empty line */
	}
	config_free(&cfg);
	free(buf);
	return 0;
}
