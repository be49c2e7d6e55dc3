/* systemd's readiness and watchdog protocol, hand-written: one datagram to
 * $NOTIFY_SOCKET per message, no libsystemd. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct notify {
	int fd;			/* -1 when not started by systemd */
	uint64_t watchdog_ms;	/* WATCHDOG_USEC / 1000; 0 when off */
	uint64_t next_ping_ms;
};

#define NOTIFY_INIT { .fd = -1 }

/* Read NOTIFY_SOCKET and WATCHDOG_USEC (honouring WATCHDOG_PID) and open
 * the socket. Absent variables leave notifications off. Returns 0 or -errno
 * when the socket cannot be created. */
int notify_open(struct notify *n);

/* Send one message such as "READY=1". Returns 0, or -errno (nothing is
 * sent and 0 returned when notifications are off). */
int notify_send(struct notify *n, const char *msg);

/* Ping the watchdog if a quarter of its period has passed since the last
 * ping. Cheap when off. */
void notify_watchdog(struct notify *n, uint64_t now_ms);

void notify_close(struct notify *n);
