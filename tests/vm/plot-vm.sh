#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Draws one PNG of a VM scenario from the guest's time series (the "ts=" lines
# of results.txt, every 100 ms): MemAvailable, swap used and the share of each
# 1 s that the whole guest stood still (PSI full: delta(pfull) / delta(ts)),
# one line per daemon, each daemon's first kill marked by a dashed line at
# the victim's death as the guest saw it (first_kill_ms: a victim whose
# memory process_mrelease freed shows MemAvailable rising before that line).
#
#   tests/vm/plot-vm.sh OUT.png TITLE DAEMON=results.txt [DAEMON=results.txt...]
#
# bench-vm.sh calls it when gnuplot is installed (apt-get install gnuplot-nox);
# the test suite never does. Exit status: 0 drawn, 1 failed, 77 no gnuplot.

set -u

[ $# -ge 3 ] || { echo "usage: $0 OUT.png TITLE DAEMON=results.txt..." >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "plot-vm.sh: gnuplot not found" >&2; exit 77; }
out=$1 title=$2
shift 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Writes NAME.mem (t_s avail_mib swap_used_mib, every sample) and NAME.stall
# (t_s full_pct, one point per 1 s window at its middle) for one results file.
series_files() {
	awk -v mem="$2.mem" -v stall="$2.stall" '
		function val(key,    i, kv) {
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == key) return kv[2] + 0
			}
			return -1
		}
		/^ts=/ {
			t = val("ts"); full = val("pfull")
			printf "%.2f %.1f %.1f\n", t / 1000, val("avail") / 1024,
				(val("swaptotal") - val("swapfree")) / 1024 > mem
			if (!started) { w_t = t; w_full = full; started = 1; next }
			if (t - w_t >= 1000) {
				printf "%.2f %.1f\n", (t + w_t) / 2000, (full - w_full) / ((t - w_t) * 10) > stall
				w_t = t; w_full = full
			}
		}' "$1"
}

colors=("#1f77b4" "#d62728" "#2ca02c" "#9467bd")
plots_mem=() plots_swap=() plots_stall=() arrows=()
i=0
for spec in "$@"; do
	name=${spec%%=*} file=${spec#*=}
	[ -r "$file" ] || { echo "plot-vm.sh: cannot read $file" >&2; exit 1; }
	series_files "$file" "$tmp/$i"
	[ -s "$tmp/$i.mem" ] || { echo "plot-vm.sh: no ts= lines in $file" >&2; exit 1; }
	touch "$tmp/$i.stall"
	c=${colors[$((i % ${#colors[@]}))]}
	kill_ms=$(awk -F= '$1 == "first_kill_ms" { v = $2 } END { print v }' "$file")
	label=$name
	if [ -n "$kill_ms" ]; then
		label="$name (first kill $(awk -v ms="$kill_ms" 'BEGIN { printf "%.1f s", ms / 1000 }'))"
		arrows+=("set arrow from $(awk -v ms="$kill_ms" 'BEGIN { print ms / 1000 }'),graph 0 to $(awk -v ms="$kill_ms" 'BEGIN { print ms / 1000 }'),graph 1 nohead dt 2 lw 1.5 lc rgb '$c'")
	fi
	plots_mem+=("'$tmp/$i.mem' using 1:2 with lines lw 1.5 lc rgb '$c' title '$label'")
	plots_swap+=("'$tmp/$i.mem' using 1:3 with lines lw 1.5 lc rgb '$c' notitle")
	plots_stall+=("'$tmp/$i.stall' using 1:2 with steps lw 1.5 lc rgb '$c' notitle")
	i=$((i + 1))
done
# One time axis for the three panels: the longest run sets it.
xmax=$(cat "$tmp"/*.mem | awk '$1 > m { m = $1 } END { print m }')

join() {
	local IFS=,
	echo "$*"
}

{
	echo "set terminal pngcairo size 1000,900 font ',10'"
	echo "set output '$out'"
	echo "set multiplot layout 3,1 title '${title//\'/}'"
	echo "set grid"
	echo "set xrange [0:$xmax]"
	printf '%s\n' "${arrows[@]}"
	echo "set key top right"
	echo "set ylabel 'MemAvailable (MiB)'"
	echo "set yrange [0:*]"
	echo "plot $(join "${plots_mem[@]}")"
	echo "set ylabel 'swap used (MiB)'"
	echo "plot $(join "${plots_swap[@]}")"
	echo "set xlabel 'seconds since the load started'"
	echo "set ylabel 'full stall, % of each 1 s'"
	echo "set yrange [0:105]"
	echo "plot $(join "${plots_stall[@]}")"
	echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp" || { echo "plot-vm.sh: gnuplot failed on $tmp/plot.gp" >&2; exit 1; }
