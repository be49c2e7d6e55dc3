#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs the VM scenarios of run-vm-tests.sh once with no daemon, once with
# oomguard and, when Debian's earlyoom package is installed on the host, once
# with earlyoom, and prints one table to compare them:
#
#   tests/vm/bench-vm.sh path/to/oomguard [scenario...]
#
# Default scenarios: 1-6 and 8 (kernel-oom only shows the kernel acting,
# whoever watches). Columns:
#   kernel  kills by the kernel's OOM killer (oom_kill in the guest's /proc/vmstat)
#   kills   test processes killed, by anyone (a good daemon kills no more than
#           needed; a process that finished its work is no kill)
#   victim  the first killed, and by which signal
#   kill_s  seconds from the start of the load to that death
#   avail   lowest MemAvailable seen (sampled every 100 ms)
#   full    increase of PSI "full" total in /proc/pressure/memory: time the
#           whole guest stood still waiting for memory
# Each cell is one boot, so numbers move by a few tenths between runs; earlyoom
# runs with its defaults (it has no PSI trigger) plus the scenario's --avoid.
# In stuck-victim the runaway ignores SIGTERM and then sits still between the
# SIGTERM and SIGKILL floors: oomguard escalates after its --kill-timeout 2;
# earlyoom 1.7 escalates only on its SIGKILL floor, so it re-sends SIGTERM
# every 10 s ("kill failed: Timer expired") and the runaway lives until the
# run's 30 s limit ("-" in victim), as with no daemon at all.
# Boots take 10-45 s each under TCG: the default set takes about 10 minutes.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib-vm.sh"

[ $# -ge 1 ] || { echo "usage: $0 path/to/oomguard [scenario...]" >&2; exit 2; }
OOMGUARD=$(realpath "$1") || exit 2
shift
[ $# -gt 0 ] || set -- fast-hog slow-leak many-growers protected thrash self stuck-victim
SCENARIOS=()
for word in "$@"; do
	name=$(vm_scenario_name "$word")
	[ -n "$name" ] || { echo "unknown scenario: $word ($VM_ALL_SCENARIOS)" >&2; exit 2; }
	SCENARIOS+=("$name")
done

vm_setup "$OOMGUARD"
MODES="none oomguard"
if [ "$VM_HAVE_EARLYOOM" = 1 ]; then
	MODES+=" earlyoom"
else
	vm_log "earlyoom: $VM_EARLYOOM not found (apt-get install earlyoom to compare)"
fi

signal_name() {
	case "$1" in
	signal:15) echo SIGTERM ;;
	signal:9) echo SIGKILL ;;
	exit:*) echo "exited ${1#exit:}" ;;
	*) echo "$1" ;;
	esac
}

# One table row from a results file: scenario daemon kernel kills victim kill_s avail full
row() {
	local scenario=$1 mode=$2 r=$3 first kernel
	first=$(vm_get "$r" first_kill_label)
	kernel=$(($(vm_get "$r" oom_kill_after 0) - $(vm_get "$r" oom_kill_before 0)))
	printf '%-13s %-9s %6s %6s  %-26s %7s %8s %9s%s\n' "$scenario" "$mode" "$kernel" \
		"$(vm_get "$r" kills '?')" \
		"${first:--} $([ -n "$first" ] && echo "($(signal_name "$(vm_get "$r" "proc.$first.end")"))")" \
		"$(awk -v ms="$(vm_get "$r" first_kill_ms -1)" 'BEGIN { print ms < 0 ? "-" : sprintf("%.1f", ms / 1000) }')" \
		"$(awk -v k="$(vm_get "$r" mem_available_min_kib -1)" 'BEGIN { print k < 0 ? "?" : sprintf("%.0f MiB", k / 1024) }')" \
		"$(awk -v us="$(vm_get "$r" psi_full_delta_us -1)" 'BEGIN { print us < 0 ? "?" : sprintf("%.0f ms", us / 1000) }')" \
		"$([ "$(vm_get "$r" "done")" = 1 ] || echo "  (guest did not finish)")"
}

TABLE=$(printf '%-13s %-9s %6s %6s  %-26s %7s %8s %9s\n' \
	scenario daemon kernel kills victim kill_s avail full)
for scenario in "${SCENARIOS[@]}"; do
	for mode in $MODES; do
		started=$(date +%s)
		vm_boot "$scenario-$mode" "$scenario" "$mode" "$(vm_scenario_limit "$scenario")"
		line=$(row "$scenario" "$mode" "$VM_WORK/$scenario-$mode/results.txt")
		vm_log "$line   [$(($(date +%s) - started)) s]"
		TABLE+=$'\n'"$line"
	done
done

echo
echo "$TABLE"
echo
echo "accelerator: $VM_ACCEL; guest: $VM_MEM_MIB MiB, $VM_SMP CPUs; kernel: $VM_KERNEL_PKG"
if [ "${OOMGUARD_VM_KEEP:-0}" = 1 ]; then
	echo "guest logs kept in $VM_WORK"
else
	rm -rf "$VM_WORK"
fi
