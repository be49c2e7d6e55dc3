/* libFuzzer target for the command-line parser: the input is split at
 * newlines into up to 24 arguments. */
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each accepted rule against what an unprivileged user may hand it: a
 * 4095-byte command line (the part cmdline: sees), here the input itself
 * repeated, so that a slow regexec shows as a timeout too. */
static void match_rules(const struct config *cfg, const uint8_t *data, size_t size)
{
	static char subject[4096];

	if (!cfg->n_rules || !size)
		return;
	for (size_t i = 0; i < sizeof(subject) - 1; i++)
		subject[i] = data[i % size] ? (char)data[i % size] : ' ';
	subject[sizeof(subject) - 1] = '\0';
	for (unsigned i = 0; i < cfg->n_rules; i++)
		(void)regexec(&cfg->rules[i].regex, subject, 0, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[26] = { (char *)"oomguard" };
	char err[256];
	struct config cfg;
	int argc = 1;

	/* No skip for hostile regular expressions: regexbound.c refuses what
	 * would keep glibc's regcomp busy, and a slow input (-timeout) is a
	 * hole in that bound. 512 bytes is room for every flag at once. */
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
		match_rules(&cfg, data, size);
	} else if (err[0] == '\0' || strchr(err, '\n')) {
		abort();		/* every error is one non-empty line */
	}
	config_free(&cfg);
	free(buf);
	return 0;
}
