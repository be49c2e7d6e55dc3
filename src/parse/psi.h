/* Pure parser for /proc/pressure/memory (and cgroups' memory.pressure,
 * which have the same format). */
#pragma once

#include "types.h"

/* Parse a NUL-terminated pressure file:
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 * Both lines and all four fields of each are required, each exactly once;
 * unknown lines and fields are ignored for forward compatibility.
 * Returns 0 or -EINVAL. */
int psi_parse(const char *buf, struct psi *out);
