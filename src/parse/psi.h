/* Pure parser for /proc/pressure/memory. */
#pragma once

#include <stdint.h>

/* One line of the file. Averages are kept in hundredths of a percent (the
 * kernel prints two decimals), so no floating point is needed. */
struct psi_line {
	uint32_t avg10_centi;
	uint32_t avg60_centi;
	uint32_t avg300_centi;
	uint64_t total_us;	/* cumulative stall time */
};

struct psi {
	struct psi_line some;
	struct psi_line full;
};

/* Parse a NUL-terminated pressure file:
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 * Both lines and all four fields of each are required, each exactly once;
 * unknown lines and fields are ignored for forward compatibility.
 * Returns 0 or -EINVAL. */
int psi_parse(const char *buf, struct psi *out);
