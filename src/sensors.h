/* System-wide samples read through descriptors kept open for the daemon's
 * life: /proc/meminfo, /proc/pressure/memory and /proc/vmstat. Each read is a
 * pread at offset 0 into a fixed buffer: no open, no allocation per sample. */
#pragma once

#include <stdbool.h>

#include "meminfo.h"
#include "procfs.h"
#include "psi.h"

/* /proc/meminfo is about 1.5 KiB and /proc/vmstat about 6 KiB on 6.x
 * kernels; 16 KiB leaves room for the fields future kernels add. */
#define SENSORS_BUF_SIZE 16384

struct sensors {
	int meminfo_fd;
	int psi_fd;	/* -1 when the kernel has no PSI */
	char buf[SENSORS_BUF_SIZE];
};

#define SENSORS_INIT { .meminfo_fd = -1, .psi_fd = -1 }

/* Open meminfo (required) and pressure/memory (optional) below procfs.
 * Returns 0 or the -errno of opening meminfo. */
int sensors_open(struct sensors *s, const struct procfs *procfs);

void sensors_close(struct sensors *s);

/* Read and parse meminfo. Returns 0, -EINVAL with *bad_key set for a
 * malformed file, or -errno. */
int sensors_read_meminfo(struct sensors *s, struct meminfo *mi, const char **bad_key);

/* Read and parse PSI. Returns 0, -ENOENT when PSI is unavailable, -EINVAL
 * for a malformed file, or -errno. */
int sensors_read_psi(struct sensors *s, struct psi *psi);
