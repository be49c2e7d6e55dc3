#include "tell/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "acquire/procfs.h"
#include "parse/strutil.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_addr_len;

int notify_open(struct notify *n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *usec = getenv("WATCHDOG_USEC");
	const char *wd_pid = getenv("WATCHDOG_PID");
	size_t len;

	n->fd = -1;
	n->watchdog_ms = 0;
	if (!path || (path[0] != '/' && path[0] != '@'))
		return 0;
	len = strlen(path);
	if (len >= sizeof(notify_addr.sun_path))
		return -ENAMETOOLONG;
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')	/* abstract namespace */
		notify_addr.sun_path[0] = '\0';
	notify_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		return -errno;
	if (usec && (!wd_pid || strtol(wd_pid, NULL, 10) == (long)getpid())) {
		const char *end;
		uint64_t us;

		if (strutil_parse_u64(usec, &end, UINT64_MAX, &us) == 0 && *end == '\0')
			n->watchdog_ms = us / 1000;
	}
	/* Not for our children (hooks). */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

int notify_send(struct notify *n, const char *msg)
{
	if (n->fd < 0)
		return 0;
	if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&notify_addr,
		   notify_addr_len) < 0)
		return -errno;
	return 0;
}

void notify_watchdog(struct notify *n, uint64_t now_ms)
{
	if (n->watchdog_ms == 0 || now_ms < n->next_ping_ms)
		return;
	/* A quarter of the period leaves room for a kill that waits seconds. */
	n->next_ping_ms = now_ms + n->watchdog_ms / 4;
	notify_send(n, "WATCHDOG=1");
}

void notify_close(struct notify *n)
{
	procfs_closep(&n->fd);
}
