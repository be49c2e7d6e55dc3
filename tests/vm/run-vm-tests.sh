#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# oomguard's end-to-end tests: each scenario boots a small QEMU guest (Debian's
# kernel, a busybox initramfs, the oomguard binary under test), exhausts the
# guest's memory in a known way and checks what oomguard did about it.
#
#   tests/vm/run-vm-tests.sh path/to/oomguard [scenario...]
#
# Scenarios, by number or name (default: all):
#   1 fast-hog      one process allocating flat out, no swap: oomguard kills it,
#                   the kernel's killer never runs
#   2 slow-leak     a slow leak with zram swap: killed before swap runs out
#   3 many-growers  twenty processes growing together: the largest dies first,
#                   and no other
#   4 protected     oom_score_adj -1000 and --avoid protect large bystanders; an
#                   oom_score_adj 1000 process dies first
#   5 thrash        a thrashing workload with free swap: the PSI trigger kills it
#                   and full-stall time stays far below a run without oomguard
#   6 self          oomguard is never killed and its VmRSS stays small
#   7 kernel-oom    when the kernel's killer acts first, oomguard reports it and
#                   runs its --kernel-oom-hook
#   8 stuck-victim  the runaway does not act on SIGTERM (it blocks it and stops
#                   itself): SIGTERM first, SIGKILL after --kill-timeout 2, its
#                   memory reaped (process_mrelease), no one else killed
#
# Prints PASS or FAIL per scenario with the measured numbers (and, on FAIL,
# the guest's oomguard log and kernel OOM lines), then "N passed, N failed".
# Exit status: 0 all passed, 1 some failed, 77 skipped (no qemu, busybox,
# static libc or kernel package), 99 the harness itself broke.
# Knobs are listed at the top of lib-vm.sh; OOMGUARD_VM_KEEP=1 keeps the work
# directory (console.log, results.txt, daemon.log per boot).

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib-vm.sh"

usage() {
	echo "usage: $0 path/to/oomguard [scenario...]  (scenarios: 1-8 or $VM_ALL_SCENARIOS)" >&2
	exit 99
}

[ $# -ge 1 ] || usage
OOMGUARD=$(realpath "$1") || usage
shift
SCENARIOS=()
for arg in "${@:-$VM_ALL_SCENARIOS}"; do
	for word in $arg; do
		name=$(vm_scenario_name "$word")
		[ -n "$name" ] || usage
		SCENARIOS+=("$name")
	done
done

# --- reading results ----------------------------------------------------------

# Value of KEY in the current scenario's results, or "" when absent.
res() {
	vm_get "$RESULTS" "$1"
}

# Integer value of KEY, or $2 (default -1) when absent or not a number; keeps
# the arithmetic below from tripping over a guest that stopped half-way.
num() {
	local v
	v=$(vm_get "${3:-$RESULTS}" "$1")
	[[ "$v" =~ ^-?[0-9]+$ ]] && echo "$v" || echo "${2:--1}"
}

mib() {
	awk -v k="$1" 'BEGIN { if (k < 0) print "?"; else printf "%.0f MiB", k / 1024 }'
}

secs() {
	awk -v ms="$1" 'BEGIN { if (ms < 0) print "?"; else printf "%.1f s", ms / 1000 }'
}

fail_because() {
	REASONS+=("$*")
}

# The daemon's log from the moment the load started (the guest writes a
# marker line), so start-up lines never count as evidence.
run_log() {
	sed -n '/^=== vmtest: load starts ===/,$p' "$DIR/daemon.log" 2>/dev/null
}

expect_daemon_started() {
	[ "$(res daemon_started)" = 1 ] ||
		fail_because "oomguard was not running 1 s after start (bad arguments? see its log)"
}

# The kernel killer count, read by the guest before and after the scenario.
expect_no_kernel_kills() {
	local delta=$(($(num oom_kill_after) - $(num oom_kill_before)))
	[ "$delta" -eq 0 ] ||
		fail_because "the kernel's OOM killer ran $delta time(s) (oom_kill in /proc/vmstat)"
}

# LABEL died from a signal that the kernel's killer did not send, and the
# daemon logged a kill line naming its pid.
expect_killed_by_daemon() {
	local label=$1 end pid
	end=$(res "proc.$label.end")
	pid=$(res "proc.$label.pid")
	case "$end" in
	signal:15 | signal:9) ;;
	*) fail_because "$label (pid $pid) was not killed: it ended as '${end:-unknown}'"; return ;;
	esac
	[ "$(res "proc.$label.kernel_oom")" = 0 ] ||
		fail_because "$label (pid $pid) died while the kernel's oom_kill count rose: the kernel killed it"
	run_log | grep -E "(^|[^a-z_])pid=$pid([^0-9]|$)" | grep -qE 'killed|sending SIG(TERM|KILL)' ||
		fail_because "no oomguard log line says it killed pid=$pid ($label)"
}

expect_survived() {
	local end
	end=$(res "proc.$1.end")
	[ "$end" = alive ] || fail_because "$1 should have survived but ended as '${end:-unknown}'"
}

# --- scenarios ------------------------------------------------------------------
# Each check_* reads $RESULTS, adds to REASONS and sets SUMMARY to the numbers
# that matter, printed whether it passes or not.

check_fast_hog() {
	expect_daemon_started
	expect_killed_by_daemon hog
	expect_no_kernel_kills
	SUMMARY="hog $(res proc.hog.end) after $(secs "$(num first_kill_ms)") at $(mib "$(num proc.hog.size_kib)");"
	SUMMARY+=" MemAvailable min $(mib "$(num mem_available_min_kib)") of $(mib "$(num mem_total_kib)");"
	# Not asserted (scenario 1 is about the kill), shown for the hook's sake.
	if [ "$(num hook.post-kill.runs 0)" -gt 0 ]; then
		SUMMARY+=" post-kill hook ran with OOMGUARD_NAME=$(res hook.post-kill.env.OOMGUARD_NAME) OOMGUARD_SIGNAL=$(res hook.post-kill.env.OOMGUARD_SIGNAL)"
	else
		SUMMARY+=" post-kill hook did not run"
	fi
}

check_slow_leak() {
	local swap_total swap_min
	swap_total=$(num swap_total_kib)
	swap_min=$(num swap_free_min_kib)
	[ "$swap_total" -gt 0 ] || fail_because "the guest has no swap: zram set-up failed ($(res error))"
	expect_daemon_started
	expect_killed_by_daemon leak
	expect_no_kernel_kills
	# "Before swap is exhausted": at least 1 % of it was still free at worst.
	[ "$swap_min" -gt $((swap_total / 100)) ] ||
		fail_because "swap ran out: lowest SwapFree $(mib "$swap_min") of $(mib "$swap_total")"
	SUMMARY="leak $(res proc.leak.end) after $(secs "$(num first_kill_ms)") at $(mib "$(num proc.leak.size_kib)");"
	SUMMARY+=" SwapFree lowest $(mib "$swap_min") of $(mib "$swap_total");"
	SUMMARY+=" MemAvailable min $(mib "$(num mem_available_min_kib)")"
}

check_many_growers() {
	local first
	first=$(res first_kill_label)
	expect_daemon_started
	expect_no_kernel_kills
	[ "$first" = big ] || fail_because "the first to die was '${first:-nobody}', not big (the largest)"
	if [ -n "$first" ] && [ "$(res "proc.$first.largest_alive")" != "$first" ]; then
		fail_because "$first was not the largest when it died: $(res "proc.$first.largest_alive") had $(mib "$(num "proc.$first.largest_alive_kib")")"
	fi
	[ "$first" = big ] && expect_killed_by_daemon big
	[ "$(num kills)" -eq 1 ] ||
		fail_because "$(num kills) processes died ($(res kill_order)); killing big alone frees enough"
	SUMMARY="kill order: $(res kill_order) (big at $(mib "$(num proc.big.size_kib)"), after $(secs "$(num first_kill_ms)"));"
	SUMMARY+=" MemAvailable min $(mib "$(num mem_available_min_kib)"); run ended: $(res end)"
}

check_protected() {
	local first
	first=$(res first_kill_label)
	expect_daemon_started
	expect_no_kernel_kills
	[ "$first" = sacrifice ] ||
		fail_because "the first to die was '${first:-nobody}', not sacrifice (oom_score_adj 1000)"
	expect_killed_by_daemon sacrifice
	expect_survived guarded
	expect_survived avoided
	SUMMARY="kill order: $(res kill_order);"
	SUMMARY+=" guarded $(res proc.guarded.end) at $(mib "$(num proc.guarded.size_kib)"),"
	SUMMARY+=" avoided $(res proc.avoided.end) at $(mib "$(num proc.avoided.size_kib)"),"
	SUMMARY+=" grower $(res proc.grower.end) at $(mib "$(num proc.grower.size_kib)")"
}

# Compares with the baseline boot (no daemon) in $BASELINE. "Far below" is
# THRASH_MAX_PERCENT of the baseline's full-stall time: a daemon without a
# pressure trigger lands near 100 % (earlyoom measured 96 %); oomguard, killing
# 5-10 s after the onset, measured 18-31 % over four runs.
THRASH_MAX_PERCENT=${OOMGUARD_VM_THRASH_MAX_PERCENT:-50}
check_thrash() {
	local base_full full swap_total swap_low
	base_full=$(num psi_full_delta_us -1 "$BASELINE")
	full=$(num psi_full_delta_us)
	swap_total=$(num swap_total_kib)
	# Lowest before the kill: swap only recovers after it.
	swap_low=$(num swap_free_min_before_first_kill_kib)
	[ "$(vm_get "$BASELINE" "done")" = 1 ] || fail_because "the baseline boot (no daemon) did not finish"
	# Without real thrashing in the baseline the comparison means nothing:
	# that is the workload's fault, reported as such.
	[ "$base_full" -ge 2000000 ] ||
		fail_because "the workload did not thrash without oomguard (full stall $(secs $((base_full / 1000)))): retune THRASH_*_MIB in guest/init.sh"
	expect_daemon_started
	expect_killed_by_daemon thrash
	expect_no_kernel_kills
	if [ "$swap_total" -le 0 ] || [ "$swap_low" -lt $((swap_total / 2)) ]; then
		fail_because "swap was not largely free before the kill: down to $(mib "$swap_low") of $(mib "$swap_total") (the floors, not PSI, acted?)"
	fi
	if [ "$full" -lt 0 ] || [ $((full * 100)) -gt $((base_full * THRASH_MAX_PERCENT)) ]; then
		fail_because "full stall with oomguard $(secs $((full / 1000))) is over $THRASH_MAX_PERCENT % of the $(secs $((base_full / 1000))) without it"
	fi
	SUMMARY="without oomguard: full stall $(secs $((base_full / 1000))) in $(secs "$(num duration_ms -1 "$BASELINE")"), thrash $(vm_get "$BASELINE" proc.thrash.end) after $(vm_get "$BASELINE" thrash_passes) passes;"
	SUMMARY+=" with: thrash $(res proc.thrash.end) after $(secs "$(num first_kill_ms)"), full stall $(secs $((full / 1000)))"
	[ "$base_full" -gt 0 ] && SUMMARY+=" ($((full * 100 / base_full)) %, at most $THRASH_MAX_PERCENT %)"
	SUMMARY+=", SwapFree lowest before the kill $(mib "$swap_low") of $(mib "$swap_total")"
}

check_self() {
	local rss max run
	rss=$(num daemon_rss_max_kib)
	max=$(num max_rss_kib 10240)
	expect_daemon_started
	expect_no_kernel_kills
	[ "$(res daemon_alive_end)" = 1 ] ||
		fail_because "oomguard died during the run (at $(secs "$(num daemon_died_ms)"))"
	if [ "$rss" -le 0 ] || [ "$rss" -gt "$max" ]; then
		fail_because "oomguard's VmRSS peaked at $rss KiB, over the $max KiB allowed (OOMGUARD_VM_MAX_RSS_KIB)"
	fi
	for run in run1 run2 run3; do
		expect_killed_by_daemon "$run"
	done
	SUMMARY="oomguard alive: $(res daemon_alive_end), VmRSS max $rss KiB (limit $max);"
	SUMMARY+=" kill order: $(res kill_order)"
}

check_kernel_oom() {
	local kernel_kills=$(($(num oom_kill_after) - $(num oom_kill_before))) line
	expect_daemon_started
	[ "$kernel_kills" -ge 1 ] ||
		fail_because "the kernel's killer never ran: the scenario's memory cgroup did not work ($(res proc.cghog.end))"
	line=$(run_log | grep -iE 'kernel' | grep -iE 'oom|killer' | head -n 1)
	[ -n "$line" ] || fail_because "no oomguard log line reports that the kernel's OOM killer ran"
	[ "$(num hook.kernel-oom.runs 0)" -ge 1 ] || fail_because "the --kernel-oom-hook never ran"
	[ "$(res daemon_alive_end)" = 1 ] || fail_because "oomguard died during the run"
	SUMMARY="kernel kills: $kernel_kills; cghog $(res proc.cghog.end) (kernel_oom=$(res proc.cghog.kernel_oom));"
	SUMMARY+=" hook runs: $(num hook.kernel-oom.runs 0); log: ${line:-none}"
}

# A SIGTERM the victim cannot act on: the daemon must wait --kill-timeout (2 s)
# and then SIGKILL it, and move on to no one else. "After the timeout" is at
# least STUCK_MIN_MS after the SIGTERM, by the daemon's clock (exited_ms in
# its kill record counts from the first signal) and by the guest's (the first
# sample showing the SIGTERM pending, 100 ms apart, to the death); at most
# STUCK_MAX_MS by the daemon's, the timeout plus time for a 300 MiB process to
# exit under TCG.
STUCK_MIN_MS=1500
STUCK_MAX_MS=5000
check_stuck_victim() {
	local pid term_line kill_line first_send exited_ms released guest_ms stopped pending end_ms note=""
	pid=$(res proc.stuck.pid)
	stopped=$(num proc.stuck.stopped_ms)
	pending=$(num proc.stuck.sigterm_pending_ms)
	end_ms=$(num proc.stuck.end_ms)
	expect_daemon_started
	expect_no_kernel_kills
	# Without the stop the scenario shows nothing: the workload's fault.
	if [ "$stopped" -lt 0 ]; then
		fail_because "stuck (pid $pid) was never seen stopped: hog -s $(res stuck_stop_percent) did not stop it before it ended as '$(res proc.stuck.end)'"
	fi
	[ "$(res proc.stuck.end)" = signal:9 ] ||
		fail_because "stuck (pid $pid) did not die by SIGKILL: it ended as '$(res proc.stuck.end)'"
	expect_killed_by_daemon stuck
	[ "$pending" -ge 0 ] || fail_because "the guest never saw a SIGTERM pending on stuck (pid $pid)"
	[ "$(res kill_order)" = stuck ] || fail_because "processes that died: '$(res kill_order)'; stuck alone should have"
	expect_survived second
	expect_survived small
	first_send=$(run_log | grep -E "sending SIG[A-Z]+ to pid=$pid( |$)" | head -n 1)
	term_line=$(run_log | grep -E "sending SIGTERM to pid=$pid( |$)" | head -n 1)
	kill_line=$(run_log | grep -E "(^| )killed pid=$pid " | head -n 1)
	if [ -z "$term_line" ] || [ "$first_send" != "$term_line" ]; then
		fail_because "oomguard did not send SIGTERM first: its first signal line for pid=$pid is '${first_send:-none}'"
	fi
	exited_ms=$(sed -n 's/.* exited_ms=\([0-9]*\) .*/\1/p' <<<"$kill_line")
	released=$(sed -n 's/.* released=\([a-z]*\) .*/\1/p' <<<"$kill_line")
	if [ -z "$kill_line" ]; then
		fail_because "no 'killed pid=$pid' record in oomguard's log"
	elif ! grep -q ' signal=SIGKILL ' <<<"$kill_line"; then
		fail_because "oomguard's kill record does not say SIGKILL: $kill_line"
	elif [ -z "$exited_ms" ] || [ "$exited_ms" -lt "$STUCK_MIN_MS" ] || [ "$exited_ms" -gt "$STUCK_MAX_MS" ]; then
		fail_because "oomguard's record says the victim exited ${exited_ms:-?} ms after the SIGTERM, not within $STUCK_MIN_MS-$STUCK_MAX_MS ms (--kill-timeout 2)"
	fi
	guest_ms=-1
	[ "$pending" -ge 0 ] && [ "$end_ms" -ge 0 ] && guest_ms=$((end_ms - pending))
	[ "$pending" -lt 0 ] || [ "$guest_ms" -ge "$STUCK_MIN_MS" ] ||
		fail_because "the guest saw stuck die $guest_ms ms after its SIGTERM was pending, under $STUCK_MIN_MS ms"
	# process_mrelease is 5.15+; only a kernel shown to have it makes "no" a failure.
	case "$released,$(res kernel_mrelease)" in
	yes,*) ;;
	no,1) fail_because "released=no although the guest kernel has process_mrelease" ;;
	*) note=" (kernel_mrelease=$(vm_get "$RESULTS" kernel_mrelease unknown): not asserted)" ;;
	esac
	SUMMARY="stuck stopped at $(secs "$stopped") ($(mib "$(num proc.stuck.size_kib)")), SIGTERM pending at $(secs "$pending"),"
	SUMMARY+=" $(res proc.stuck.end) at $(secs "$end_ms") ($(secs "$guest_ms") later by the guest's clock);"
	SUMMARY+=" oomguard: exited_ms=${exited_ms:-?} released=${released:-?}$note;"
	SUMMARY+=" kill order: $(res kill_order); MemAvailable min $(mib "$(num mem_available_min_kib)")"
}

# --- running ------------------------------------------------------------------

show_failure_details() {
	echo "    --- oomguard log, $DIR/daemon.log (last 40 lines) ---"
	tail -n 40 "$DIR/daemon.log" 2>/dev/null | sed 's/^/    | /'
	if grep -q '^kmsg=' "$RESULTS" 2>/dev/null; then
		echo "    --- kernel OOM messages ---"
		sed -n 's/^kmsg=/    | /p' "$RESULTS" | head -n 20
	fi
	grep '^error=' "$RESULTS" 2>/dev/null | sed 's/^/    guest /'
	if grep -q '^sample=' "$RESULTS" 2>/dev/null; then
		echo "    --- guest memory, every 2 s ---"
		sed -n 's/^sample=/    | /p' "$RESULTS" | awk 'NR % 2 == 1' | tail -n 30
	fi
	if [ "$(res "done")" != 1 ]; then
		echo "    --- guest console, $DIR/console.log (last 25 lines) ---"
		tail -n 25 "$DIR/console.log" 2>/dev/null | sed 's/^/    | /'
	fi
}

vm_setup "$OOMGUARD"

passed=0
failed=0
KEEP=${OOMGUARD_VM_KEEP:-0}
for scenario in "${SCENARIOS[@]}"; do
	started=$(date +%s)
	limit=$(vm_scenario_limit "$scenario")
	REASONS=()
	SUMMARY=""
	if [ "$scenario" = thrash ]; then
		vm_boot thrash-baseline thrash none "$limit"
		BASELINE="$VM_WORK/thrash-baseline/results.txt"
	fi
	vm_boot "$scenario" "$scenario" oomguard "$limit"
	status=$?
	DIR="$VM_WORK/$scenario"
	RESULTS="$DIR/results.txt"
	if [ "$(res "done")" != 1 ]; then
		if [ "$status" -eq 124 ]; then
			fail_because "the guest did not finish within $limit s"
		else
			fail_because "the guest stopped before the end (qemu status $status)"
		fi
	fi
	"check_${scenario//-/_}"
	elapsed=$(($(date +%s) - started))
	if [ ${#REASONS[@]} -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS $scenario (${elapsed} s): $SUMMARY"
	else
		failed=$((failed + 1))
		KEEP=1
		echo "FAIL $scenario (${elapsed} s): $SUMMARY"
		printf '    - %s\n' "${REASONS[@]}"
		show_failure_details
	fi
done

if [ "$KEEP" = 1 ]; then
	echo "guest logs kept in $VM_WORK"
else
	rm -rf "$VM_WORK"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
