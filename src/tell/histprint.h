/* --history: the kill history read back from the state directory, for a
 * person (a table, oldest first, local dates) or with --json (one object a
 * line, a kill merged with its outcome). Works without the daemon, after a
 * reboot: it only reads the files tell/history.c wrote. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* Read dir's history.{0,1}.jsonl and print them to out, oldest first.
 * boot_now is this boot's id ("" unknown): entries of other boots are
 * marked. Malformed lines (a crash mid-write) are skipped and counted, one
 * line per file on err. No history (no directory, no files, empty files)
 * says so on out. Returns 0, or -errno when dir or a file in it cannot be
 * read (err then holds one line) or out could not be written. */
int histprint(FILE *out, FILE *err, const char *dir, const char *boot_now, bool json);
