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

# Both daemons run side by side over the same minute, so that whatever
# else the machine does weighs on both alike.
names=oomguard
"$OOMGUARD" --dryrun >/dev/null 2>&1 &
pids=$!
if command -v earlyoom >/dev/null; then
	earlyoom --dryrun >/dev/null 2>&1 &
	pids="$pids $!"
	names="$names earlyoom"
fi
sleep 2	# start-up is not idle cost
starts=
for pid in $pids; do
	starts="$starts $(cut -d' ' -f1 "/proc/$pid/schedstat")"
done
# perf's task-clock is exact where the scheduler's statistics are coarse.
perf_pids=
if command -v perf >/dev/null; then
	for pid in $pids; do
		perf stat -x, -o "/tmp/oomguard-idle-perf.$pid" -e task-clock -p "$pid" -- sleep "$DURATION" &
		perf_pids="$perf_pids $!"
	done
fi
sleep "$DURATION"
for p in $perf_pids; do
	wait "$p" 2>/dev/null || true
done

printf '%-10s %14s %14s %12s %12s %10s\n' daemon "cpu_ns/min" "perf_ns/min" "wakeups/min" "VmRSS_KiB" \
	"RssAnon_KiB"
# shellcheck disable=SC2086 # one word per pid, on purpose
set -- $starts
for pid in $pids; do
	name=${names%% *}
	names=${names#* }
	end=$(cut -d' ' -f1 "/proc/$pid/schedstat")
	switches=$(awk '/^voluntary_ctxt_switches:/ {print $2}' "/proc/$pid/status")
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
	anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
	perf_ns=-
	if [ -f "/tmp/oomguard-idle-perf.$pid" ]; then
		# task-clock is printed in milliseconds, e.g. "2.78,msec,task-clock,..."
		perf_ns=$(awk -F, -v d="$DURATION" '/task-clock/ {printf "%d", $1 * 1000000 * 60 / d}' \
			"/tmp/oomguard-idle-perf.$pid")
		rm -f "/tmp/oomguard-idle-perf.$pid"
	fi
	printf '%-10s %14d %14s %12s %12d %10d\n' "$name" $(((end - $1) * 60 / DURATION)) "$perf_ns" \
		"~$((switches * 60 / (DURATION + 2)))" "$rss" "$anon"
	shift
	kill "$pid"
	wait "$pid" 2>/dev/null || true
done
command -v earlyoom >/dev/null ||
	echo "earlyoom: not installed (apt-get install earlyoom to compare)"
