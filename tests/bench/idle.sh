#!/bin/sh
# Benchmark: what oomguard costs on an idle machine, beside earlyoom when
# Debian's earlyoom package is installed. Both run with --dryrun (nothing is
# ever signalled) at their defaults for DURATION seconds (default 60); CPU
# time comes from /proc/PID/schedstat (first field: ns on the CPU), memory
# from VmRSS and RssAnon after the run. Prints a table, asserts nothing.
#   tests/bench/idle.sh [path/to/oomguard]
set -eu
OOMGUARD=${1:-build/src/oomguard}
DURATION=${DURATION:-60}

measure() { # name, command...
	name=$1
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep 1	# start-up is not idle cost
	start=$(cut -d' ' -f1 "/proc/$pid/schedstat")
	sleep "$DURATION"
	end=$(cut -d' ' -f1 "/proc/$pid/schedstat")
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
	anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	printf '%-10s %14d %12d %10d\n' "$name" $(((end - start) * 60 / DURATION)) "$rss" "$anon"
}

printf '%-10s %14s %12s %10s\n' daemon "cpu_ns/min" "VmRSS_KiB" "RssAnon_KiB"
measure oomguard "$OOMGUARD" --dryrun
if command -v earlyoom >/dev/null; then
	measure earlyoom earlyoom --dryrun
else
	echo "earlyoom   (not installed: apt-get install earlyoom to compare)"
fi
