#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs the VM scenarios of run-vm-tests.sh once with no daemon, once with
# oomguard and once with earlyoom (Debian's package, fetched into the VM cache
# like the kernel), and prints one table to compare them:
#
#   tests/vm/bench-vm.sh [-o PLOT_DIR] [-k KEEP_DIR] path/to/oomguard [scenario...]
#
#   -o  where the pictures go (default: the work directory, which is then kept)
#   -k  keep every boot's results.txt, daemon.log and console.log in
#       KEEP_DIR/SCENARIO-DAEMON/ (the guest's 100 ms time series is in
#       results.txt; tests/vm/README.md describes its lines)
#
# Default scenarios: all but kernel-oom (which only shows the kernel acting,
# whoever watches). Columns:
#   kernel  kills by the kernel's OOM killer (oom_kill in the guest's /proc/vmstat)
#   kills   test processes killed, by anyone (a good daemon kills no more than
#           needed; a process that finished its work is no kill)
#   victim  the first killed, and by which signal
#   kill_s  seconds from the start of the load to that death
#   avail   lowest MemAvailable seen (sampled every 100 ms)
#   full    increase of PSI "full" total in /proc/pressure/memory: time the
#           whole guest stood still waiting for memory
#   run20   longest run of consecutive 1 s windows with full stall >= 20 %
#   zram    zram's mem_used_total at its peak (RAM its compressed pages took)
#   dswap   disk swap used at its peak (SwapTotal - SwapFree, disk scenarios)
# Each cell is one boot, so numbers move between runs; both daemons run with
# the flags of the scenario in guest/init.sh (defaults plus -r 1 in 5, 9-15).
# In stuck-victim the runaway ignores SIGTERM and then sits still between the
# SIGTERM and SIGKILL floors: oomguard escalates after its --kill-timeout 2;
# earlyoom 1.7 escalates only on its SIGKILL floor, so it re-sends SIGTERM
# every 10 s ("kill failed: Timer expired") and the runaway lives until the
# run's 30 s limit ("-" in victim), as with no daemon at all.
# With gnuplot (apt-get install gnuplot-nox), thrash, slow-leak and
# slow-disk-leak get a picture each (plot-vm.sh): SCENARIO.png.
# Boots take 20-90 s each under TCG: the default set takes about 40 minutes.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib-vm.sh"

usage() {
	echo "usage: $0 [-o PLOT_DIR] [-k KEEP_DIR] path/to/oomguard [scenario...]" >&2
	exit 2
}

PLOT_DIR=''
KEEP_DIR=
while getopts o:k: opt; do
	case $opt in
	o) PLOT_DIR=$OPTARG ;;
	k) KEEP_DIR=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
OOMGUARD=$(realpath "$1") || exit 2
shift
[ $# -gt 0 ] || set -- fast-hog slow-leak many-growers protected thrash self stuck-victim \
	fits-zram fits-disk burst zram-big-leak slow-disk-leak tmpfs-full shm-futile
SCENARIOS=()
for word in "$@"; do
	name=$(vm_scenario_name "$word")
	[ -n "$name" ] || { echo "unknown scenario: $word ($VM_ALL_SCENARIOS)" >&2; exit 2; }
	SCENARIOS+=("$name")
done
PLOTTED="thrash slow-leak slow-disk-leak"

vm_setup "$OOMGUARD"
MODES="none oomguard"
if [ "$VM_HAVE_EARLYOOM" = 1 ]; then
	MODES+=" earlyoom"
else
	vm_log "earlyoom: not in the comparison ($VM_EARLYOOM_WHY)"
fi
[ -n "$PLOT_DIR" ] || PLOT_DIR="$VM_WORK"
if [ -n "$KEEP_DIR" ]; then
	mkdir -p "$KEEP_DIR" || exit 2
	KEEP_DIR=$(realpath "$KEEP_DIR")
fi

signal_name() {
	case "$1" in
	signal:15) echo SIGTERM ;;
	signal:9) echo SIGKILL ;;
	exit:*) echo "exited ${1#exit:}" ;;
	*) echo "$1" ;;
	esac
}

# KiB (or -1, or nothing) as MiB, or "-".
mib_cell() {
	awk -v k="${1:--1}" 'BEGIN { print k <= 0 ? "-" : sprintf("%.0f", k / 1024) }'
}

FORMAT='%-14s %-9s %6s %5s  %-22s %6s %6s %8s %6s %5s %5s%s\n'

# One table row from a results file.
row() {
	local scenario=$1 mode=$2 r=$3 first kernel dswap=-1
	first=$(vm_get "$r" first_kill_label)
	kernel=$(($(vm_get "$r" oom_kill_after 0) - $(vm_get "$r" oom_kill_before 0)))
	case "$(vm_get "$r" swap)" in
	disk:*) dswap=$(vm_get "$r" swap_used_peak_kib -1) ;;
	esac
	# shellcheck disable=SC2059
	printf "$FORMAT" "$scenario" "$mode" "$kernel" \
		"$(vm_get "$r" kills '?')" \
		"${first:--} $([ -n "$first" ] && echo "($(signal_name "$(vm_get "$r" "proc.$first.end")"))")" \
		"$(awk -v ms="$(vm_get "$r" first_kill_ms -1)" 'BEGIN { print ms < 0 ? "-" : sprintf("%.1f", ms / 1000) }')" \
		"$(mib_cell "$(vm_get "$r" mem_available_min_kib -1)")" \
		"$(awk -v us="$(vm_get "$r" psi_full_delta_us -1)" 'BEGIN { print us < 0 ? "?" : sprintf("%.1f s", us / 1e6) }')" \
		"$(awk -f "$VM_DIR/series-stats.awk" "$r" | awk -F= '$1 == "full_run20_s" { v = $2 } END { print v == "" ? "?" : v " s" }')" \
		"$(mib_cell "$(vm_get "$r" zram_peak_used_kib -1)")" \
		"$(mib_cell "$dswap")" \
		"$([ "$(vm_get "$r" "done")" = 1 ] || echo "  (guest did not finish)")"
}

# shellcheck disable=SC2059
TABLE=$(printf "$FORMAT" scenario daemon kernel kills victim kill_s avail full run20 zram dswap "")
# shellcheck disable=SC2059
TABLE+=$'\n'$(printf "$FORMAT" "" "" "" "" "" "" MiB "" "" MiB MiB "")
PICTURES=()
for scenario in "${SCENARIOS[@]}"; do
	specs=()
	for mode in $MODES; do
		started=$(date +%s)
		vm_boot "$scenario-$mode" "$scenario" "$mode" "$(vm_scenario_limit "$scenario")"
		r="$VM_WORK/$scenario-$mode/results.txt"
		line=$(row "$scenario" "$mode" "$r")
		vm_log "$line   [$(($(date +%s) - started)) s]"
		TABLE+=$'\n'"$line"
		specs+=("$mode=$r")
		if [ -n "$KEEP_DIR" ]; then
			rm -rf "${KEEP_DIR:?}/$scenario-$mode"
			mkdir -p "$KEEP_DIR/$scenario-$mode"
			cp "$VM_WORK/$scenario-$mode"/{results.txt,daemon.log,console.log} "$KEEP_DIR/$scenario-$mode/" 2>/dev/null
		fi
	done
	case " $PLOTTED " in
	*" $scenario "*)
		if command -v gnuplot >/dev/null; then
			mkdir -p "$PLOT_DIR"
			if "$VM_DIR/plot-vm.sh" "$PLOT_DIR/$scenario.png" \
				"$scenario: $(basename "$OOMGUARD") against no daemon and earlyoom (accel $VM_ACCEL)" "${specs[@]}"; then
				PICTURES+=("$PLOT_DIR/$scenario.png")
			fi
		fi
		;;
	esac
done

echo
echo "$TABLE"
echo
echo "accelerator: $VM_ACCEL; guest: $VM_MEM_MIB MiB, $VM_SMP CPUs; kernel: $VM_KERNEL_PKG;" \
	"earlyoom: ${VM_EARLYOOM_VERSION:-${VM_EARLYOOM:-none}}"
if [ ${#PICTURES[@]} -gt 0 ]; then
	echo "pictures: ${PICTURES[*]}"
elif ! command -v gnuplot >/dev/null; then
	echo "pictures: none (gnuplot not found: apt-get install gnuplot-nox)"
fi
[ -n "$KEEP_DIR" ] && echo "raw results of every boot: $KEEP_DIR/SCENARIO-DAEMON/"
if [ "${OOMGUARD_VM_KEEP:-0}" = 1 ] || { [ "$PLOT_DIR" = "$VM_WORK" ] && [ ${#PICTURES[@]} -gt 0 ]; }; then
	echo "work directory kept: $VM_WORK"
else
	rm -rf "$VM_WORK"
fi
