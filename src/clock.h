/* Monotonic milliseconds, the one clock oomguard measures intervals with. */
#pragma once

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds (a vDSO call: no syscall). */
static inline uint64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
