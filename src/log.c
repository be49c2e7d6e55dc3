#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int max_prio = LOG_INFO;
static bool journal_prefix;
static bool to_syslog;

/* How a line reaches stderr without ever waiting for its reader (a log
 * pipe nobody drains must not hold up a kill). O_NONBLOCK on fd 2 itself
 * would change a file description that others share: the hooks we start,
 * a shell or supervisor that holds the same pipe or terminal, our stdout
 * after 2>&1. So it is left alone, and:
 *   - a socket (journald's stream) gets send(MSG_DONTWAIT), per call;
 *   - a pipe, FIFO or terminal is opened again through /proc/self/fd/2:
 *     a description of our own, O_NONBLOCK, for our lines only;
 *   - when that open fails (no /proc, a pipe of another user), a write
 *     only once poll() says there is room: a line of at most 1 KiB fits
 *     in a free pipe slot whole (writes up to PIPE_BUF are atomic);
 *   - a regular file never waits for a reader: plain write(2). */
enum stderr_mode {
	STDERR_WRITE,
	STDERR_SEND,
	STDERR_OWN_FD,
	STDERR_POLL,
};

static enum stderr_mode stderr_mode = STDERR_WRITE;
static int own_fd = -1;			/* STDERR_OWN_FD's description */
static unsigned long dropped;		/* lines lost to a full reader since the last one out */
static bool mid_line;			/* a short write cut the last line */

/* --syslog: datagrams to /dev/log from a socket of our own, O_NONBLOCK.
 * syslog(3) sends without MSG_DONTWAIT, and a syslog daemon or journald
 * that does not keep up would make it wait. */
static int syslog_fd = -1;
static struct sockaddr_un syslog_addr;

static void syslog_setup(const char *path)
{
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&syslog_addr, 0, sizeof(syslog_addr));
	syslog_addr.sun_family = AF_UNIX;
	snprintf(syslog_addr.sun_path, sizeof(syslog_addr.sun_path), "%s", path);
	/* Timestamps from localtime_r: read the zone now, not at a kill. */
	tzset();
}

/* Send one syslog datagram. A daemon that restarted (ECONNREFUSED) or
 * that was not there yet is connected again, once per line. Returns
 * what send(2) returns. */
static ssize_t syslog_put(const char *buf, size_t len)
{
	ssize_t n;

	if (syslog_fd < 0) {
		errno = EBADF;
		return -1;
	}
	n = send(syslog_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == ENOTCONN || errno == ECONNREFUSED || errno == EDESTADDRREQ)) {
		if (connect(syslog_fd, (const struct sockaddr *)&syslog_addr, sizeof(syslog_addr)) < 0)
			return -1;
		n = send(syslog_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	return n;
}

/* "<PRI>Mmm dd hh:mm:ss oomguard[PID]: ", as syslog(3) starts a line
 * (RFC 3164), with the daemon facility. Returns its length. */
static size_t syslog_header(char *buf, size_t size, int prio)
{
	time_t now = time(NULL);
	struct tm tm;
	size_t len = (size_t)snprintf(buf, size, "<%d>", LOG_DAEMON | prio);

	if (localtime_r(&now, &tm))
		len += strftime(buf + len, size - len, "%b %e %T ", &tm);
	len += (size_t)snprintf(buf + len, size - len, "oomguard[%d]: ", (int)getpid());
	return len;
}

static void stderr_setup(void)
{
	struct stat st;

	if (own_fd >= 0)
		close(own_fd);
	own_fd = -1;
	stderr_mode = STDERR_WRITE;
	if (fstat(STDERR_FILENO, &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode)) {
		stderr_mode = STDERR_SEND;
	} else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		own_fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		stderr_mode = own_fd >= 0 ? STDERR_OWN_FD : STDERR_POLL;
	}
}

/* Write buf[0..len) without waiting. Returns what write(2) returns. */
static ssize_t stderr_put(const char *buf, size_t len)
{
	struct pollfd pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
	ssize_t n;

	switch (stderr_mode) {
	case STDERR_SEND:
		n = send(STDERR_FILENO, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		/* Not a socket after all (fd 2 replaced since): write. */
		if (n >= 0 || errno != ENOTSOCK)
			return n;
		break;
	case STDERR_OWN_FD:
		return write(own_fd, buf, len);
	case STDERR_POLL:
		if (poll(&pfd, 1, 0) == 0) {
			errno = EAGAIN;
			return -1;
		}
		break;
	case STDERR_WRITE:
		break;
	}
	return write(STDERR_FILENO, buf, len);
}

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

void log_setup_at(bool debug, bool use_syslog, const char *syslog_path)
{
	max_prio = debug ? LOG_DEBUG : LOG_INFO;
	journal_prefix = stderr_is_journal();
	to_syslog = use_syslog;
	dropped = 0;
	mid_line = false;
	stderr_setup();
	if (to_syslog)
		syslog_setup(syslog_path);
}

void log_setup(bool debug, bool use_syslog)
{
	log_setup_at(debug, use_syslog, "/dev/log");
}

bool log_enabled(int prio)
{
	return prio <= max_prio;
}

void log_msg(int prio, const char *fmt, ...)
{
	/* 1 KiB holds a kill record with a long unit name; longer lines are cut
	 * rather than split so that a reader never sees half-lines interleaved.
	 * The last LOG_DROPPED_ROOM bytes are kept for the count of lines
	 * dropped before this one, and a newline that ends a line cut short. */
	char line[1024 + LOG_DROPPED_ROOM];
	const size_t text_max = sizeof(line) - LOG_DROPPED_ROOM;
	size_t len = 0;
	int saved_errno = errno;
	va_list ap;
	ssize_t w;
	int n;

	if (!log_enabled(prio))
		return;

	if (to_syslog)
		len = syslog_header(line, text_max, prio);
	else if (mid_line)
		line[len++] = '\n';
	if (journal_prefix && !to_syslog)
		len += (size_t)snprintf(line + len, text_max - len, "<%d>", prio);

	va_start(ap, fmt);
	n = vsnprintf(line + len, text_max - len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	len += (size_t)n;
	if (len > text_max - 2)
		len = text_max - 2;
	if (dropped)
		len += (size_t)snprintf(line + len, sizeof(line) - len - 1, " (%lu log line%s dropped)",
					dropped, dropped == 1 ? "" : "s");

	/* One write keeps the line whole; a reader that does not keep up
	 * costs the line (counted, and said in the next one out), never a
	 * wait: this may run between a decision and its signal. */
	if (to_syslog) {
		w = syslog_put(line, len);
	} else {
		line[len++] = '\n';
		w = stderr_put(line, len);
	}
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
		dropped++;
	} else if (w >= 0) {
		dropped = 0;
		mid_line = !to_syslog && (size_t)w < len;
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
