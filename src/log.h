/* Leveled logging to stderr (or syslog), one write(2) or datagram per line,
 * never waiting for the reader. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* Room kept at the end of a line for " (N log lines dropped)". */
#define LOG_DROPPED_ROOM 48

/* Set the threshold (LOG_DEBUG with -d, LOG_INFO otherwise) and detect
 * journald: when JOURNAL_STREAM names our stderr, lines get "<N>" prefixes so
 * the journal stores their priority. Sets up writes to stderr that never
 * wait for its reader (see log.c: fd 2's own file description is left as
 * it is): call it again when fd 2 was replaced. */
void log_setup(bool debug, bool use_syslog);

/* log_setup with the syslog socket at syslog_path rather than /dev/log
 * (for tests). With use_syslog, lines go as RFC 3164 datagrams ("<PRI>Mmm
 * dd hh:mm:ss oomguard[PID]: text", facility daemon), as syslog(3) would
 * send them, but from a socket of our own that never waits. */
void log_setup_at(bool debug, bool use_syslog, const char *syslog_path);

/* True when messages at prio would be written. */
bool log_enabled(int prio);

/* Format one line and write it with a single write(2) that never waits:
 * when the reader of stderr does not keep up (a full pipe or socket), the
 * line is dropped and counted, and the next line that gets through ends
 * with " (N log lines dropped)". Lines longer than the fixed buffer are
 * cut, never split. No allocation: safe under memory pressure. */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)    log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)

/* Copy s into buf with control characters, backslashes, double quotes and
 * bytes >= 0x7f written as \xNN, so a process name can never forge a log
 * line or break a column. Returns buf. */
const char *log_escape(char *buf, size_t len, const char *s);
