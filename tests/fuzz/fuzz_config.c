/* libFuzzer target for the command-line parser: the input is split at
 * newlines into up to 24 arguments. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[26] = { (char *)"oomguard" };
	char err[256];
	struct config cfg;
	int argc = 1;

	/* No pattern is kept from the fuzzer: glibc's regcomp() takes time
	 * and memory exponential in stacked and nested repetitions ("g++++",
	 * "a{99}{99}"), and config_regex_size() must refuse every pattern
	 * that would (a slow or huge input here is a hole in that bound). */
	if (size > 512)
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
