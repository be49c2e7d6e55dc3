#!/bin/sh
# The host suites again, built with AddressSanitizer and UBSan, in a build
# directory of their own. Registered as the meson test "sanitizers" (suite
# "sanitize"), so README's single `meson test` runs it.
#     tests/run-sanitized.sh SOURCE_DIR BUILD_DIR
# The QEMU scenarios are left out: a sanitizer runtime reserves terabytes
# of shadow address space, which mlockall and a 512 MiB guest do not mix
# with; they run once, on the binary that ships.
set -eu
src=$1
dir=$2
[ -f "$dir/build.ninja" ] ||
	meson setup "$dir" "$src" -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$dir" --print-errorlogs --no-suite vm
