#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int max_prio = LOG_INFO;
static bool journal_prefix;
static bool to_syslog;

/* JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected; only when
 * it is our stderr do the "<N>" prefixes reach journald rather than a
 * terminal a child inherited the variable into. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(bool debug, bool use_syslog)
{
	max_prio = debug ? LOG_DEBUG : LOG_INFO;
	journal_prefix = stderr_is_journal();
	to_syslog = use_syslog;
	if (to_syslog)
		openlog("oomguard", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

bool log_enabled(int prio)
{
	return prio <= max_prio;
}

void log_msg(int prio, const char *fmt, ...)
{
	/* 1 KiB holds a kill record with a long unit name; longer lines are cut
	 * rather than split so that a reader never sees half-lines interleaved. */
	char line[1024];
	size_t len = 0;
	int saved_errno = errno;
	va_list ap;
	int n;

	if (!log_enabled(prio))
		return;

	if (journal_prefix && !to_syslog)
		len = (size_t)snprintf(line, sizeof(line), "<%d>", prio);

	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	len += (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;

	if (to_syslog) {
		line[len] = '\0';
		syslog(prio, "%s", line);
	} else {
		line[len++] = '\n';
		/* One write keeps the line whole; a short write to a full pipe is
		 * not worth retrying under memory pressure. */
		if (write(STDERR_FILENO, line, len) < 0) {
			/* nothing sensible to do */
		}
	}
	errno = saved_errno;
}

const char *log_escape(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}
