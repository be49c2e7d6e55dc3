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
#                   the kernel's killer never runs; a second boot on the same
#                   state disk lists the kill in oomguard --history (name,
#                   reason, signal, outcome, top users, the earlier boot's id)
#   2 slow-leak     a slow leak with zram swap: killed before swap runs out; the
#                   --warn-hook (the only flag added) ran before the SIGTERM and
#                   named the leak
#   3 many-growers  twenty processes growing together: the largest dies first,
#                   and no other
#   4 protected     oom_score_adj -1000 and --avoid protect large bystanders; an
#                   oom_score_adj 1000 process dies first
#   5 thrash        a thrashing workload with free swap, oomguard at its defaults:
#                   it kills the thrasher, and its full-stall time is at most a
#                   fifth of earlyoom's in the same run (a boot without a daemon
#                   proves that the workload thrashes at all)
#   6 self          oomguard is never killed and its VmRSS stays small
#   7 kernel-oom    when the kernel's killer acts first, oomguard reports it and
#                   runs its --kernel-oom-hook; a second boot's oomguard --history
#                   has the kernel-oom event (naming the cgroup /vmtest where
#                   the entry says oomguard knew the cgroups)
#   8 stuck-victim  the runaway does not act on SIGTERM (it blocks it and stops
#                   itself): SIGTERM first, SIGKILL after --kill-timeout 2, its
#                   memory reaped (process_mrelease), no one else killed
# Scenarios 9-15 run oomguard (and earlyoom) at their default flags:
#   9 fits-zram     480 MiB of half-compressible data held on 512 MiB RAM with a
#                   256 MiB zram swap: nothing dies, the kernel's killer does not
#                   run; zram must get well over half full (else the workload is wrong)
#  10 fits-disk     the same with a 256 MiB swap on an unthrottled disk
#  11 burst         150 MiB held, then a 300 MiB burst that swaps, holds 2 s and
#                   exits 0 on its own: nobody is killed
#  12 zram-big-leak a 20 MiB/s leak with a 1 GiB zram on 512 MiB RAM: oomguard
#                   kills it, the kernel's killer does not run
#  13 slow-disk-leak a 20 MiB/s leak into 1 GiB of swap on a throttled disk: oomguard kills
#                   it, the kernel's killer does not run, and the full-stall time
#                   is at most a fifth of earlyoom's in the same run
#  14 tmpfs-full    RAM mostly tmpfs (no swap), then a 96 MiB process that fits in
#                   what is left: MemAvailable ends under 10 % of MemTotal but far
#                   above 10 % of available + anon; nothing dies, no kernel kill
#                   (MemAvailable must get under 10 % of MemTotal, else the
#                   workload is wrong; earlyoom's outcome is printed)
#  15 shm-futile    four workers map a 256 MiB tmpfs segment, then an ordinary
#                   process holds memory between the floors: the first three
#                   deaths are workers killed by oomguard, which then logs that
#                   kills give nothing back and holds off, killing no one for 60 s
# Scenarios 16-20, container mode: a memory cgroup /box with memory.max
# 128 MiB on the 512 MiB guest (the machine keeps >= 40 % of MemTotal
# available, else the workload is wrong), oomguard at its defaults (plus
# -r 1); 16-19 assert oomguard's start-up line "memory view: cgroup
# /box (...)", no kernel kill in /box (memory.events oom_kill) nor on the
# machine (/proc/vmstat oom_kill); 20 the same for its namespace's "/" and
# /box, the machine's one kill being the host's in /other:
#  16 cgroup-leak   a 20 MiB/s leak beside a 16 MiB bystander in /box, oomguard
#                   outside it with --cgroup /box: its kill record names the
#                   leak, the bystander lives
#  17 cgroup-inside the same, oomguard inside the box (/box/guard) with no cgroup
#                   flag: it finds /box's limit itself
#  18 cgroup-fits   oomguard inside; 77 MiB of anon held while /dev/vda's page
#                   cache fills the box (memory.current must reach >= 90 % of
#                   memory.max, else the workload is wrong): nobody dies
#  19 cgroup-fits-zram oomguard inside; a 176 MiB process in the box with zram
#                   and memory.swap.max max: it swaps and fits, nobody dies
#  20 cgroup-namespace the real container: oomguard in a cgroup namespace whose
#                   root is /box (in /guard there, /box/guard on the host), no
#                   cgroup flag, cgroup-leak's workload: its view is "cgroup /
#                   (memory.max 128 MiB", the leak dies, the bystander lives;
#                   a hog in /other (memory.max 32 MiB, outside the box) is
#                   killed by the kernel first (/other's oom_kill 1 and vmstat
#                   +1, else the workload is wrong), and oomguard, whose
#                   kernel-OOM watch counts only the box, must not report it
#
# Prints PASS or FAIL per scenario with the measured numbers (and, on FAIL,
# the guest's oomguard log and kernel OOM lines), then "N passed, N failed".
# Every boot of a scenario has a fresh ext4 state disk (/dev/vdc, made with
# the host's mke2fs) mounted on /var/lib, so oomguard keeps its history at
# its default --state-dir; fast-hog's and kernel-oom's is kept for a second
# boot that runs no workload and no daemon, only oomguard --history (the
# table is printed) and --history --json (read with python3).
# Exit status: 0 all passed, 1 some failed, 77 skipped (no qemu, busybox,
# static libc or kernel package), 99 the harness itself broke.
# Knobs are listed at the top of lib-vm.sh; OOMGUARD_VM_KEEP=1 keeps the work
# directory (console.log, results.txt, daemon.log per boot).

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib-vm.sh"

usage() {
	echo "usage: $0 path/to/oomguard [scenario...]  (scenarios: 1-20 or $VM_ALL_SCENARIOS)" >&2
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

# Value of KEY in the time-series summary of a results file (series-stats.awk).
series() {
	awk -f "$VM_DIR/series-stats.awk" "${2:-$RESULTS}" | awk -F= -v k="$1" '$1 == k { print $2 }'
}

# "full stall 12.3 s, longest run of 1 s windows >= 20 %: 8.0 s (peak 95 %)"
stall_words() {
	local r=${1:-$RESULTS}
	echo "full stall $(secs $(($(num psi_full_delta_us -1 "$r") / 1000))), longest run of 1 s windows >= 20 %: $(series full_run20_s "$r") s (peak 1 s $(series full_peak_1s_pct "$r") %)"
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

# --- the history on the state disk ---------------------------------------------
# Every oomguard boot has a fresh state disk (lib-vm.sh) on which oomguard
# keeps its history at its default --state-dir; for the scenarios in
# history_boot a second boot on the same disk, with no workload and no daemon,
# runs oomguard --history and --history --json there ($HISTORY).

history_boot() {
	case "$1" in
	fast-hog | kernel-oom) return 0 ;;
	esac
	return 1
}

# Facts about the JSON history of results file $1 (its history.json= lines)
# as key=value lines: lines, bad (lines that are not one JSON object), and,
# for the first entry whose event is $2 (and pid $3 when given), found=1 and
# its fields, its top users as top=name:rss_kib,... and the entry as raw=.
history_facts() {
	python3 - "$@" <<-'EOF'
		import json, sys
		path, event = sys.argv[1], sys.argv[2]
		pid = sys.argv[3] if len(sys.argv) > 3 else ""
		entries, bad = [], 0
		for line in open(path, errors="replace"):
		    if not line.startswith("history.json="):
		        continue
		    try:
		        e = json.loads(line[len("history.json="):])
		    except ValueError:
		        e = None
		    if isinstance(e, dict):
		        entries.append(e)
		    else:
		        bad += 1
		print("lines=%d" % (len(entries) + bad))
		print("bad=%d" % bad)
		for e in entries:
		    if e.get("event") == event and (not pid or str(e.get("pid")) == pid):
		        print("found=1")
		        for k in ("boot", "time", "pid", "name", "unit", "reason", "signal", "outcome",
		                  "scope", "cgroups_known"):
		            print("%s=%s" % (k, e.get(k, "")))
		        top = [t for t in e.get("top") or [] if isinstance(t, dict)]
		        print("top=" + ",".join("%s:%s" % (t.get("name"), t.get("rss_kib")) for t in top))
		        print("raw=" + json.dumps(e, separators=(",", ":")))
		        break
	EOF
}

# Value of KEY in $FACTS (history_facts' output), or "".
fact() {
	sed -n "s/^$1=//p" <<<"$FACTS" | head -n 1
}

# The second boot ran, found the state disk and both --history runs worked;
# sets FACTS for event $1 (pid $2) of its JSON. Returns non-zero (having said
# why) when there is nothing to look at.
expect_history_read() {
	if [ -z "$HISTORY" ]; then
		fail_because "no second boot to read the history: ${VM_STATE_WHY:-no state disk}"
		return 1
	fi
	if ! command -v python3 >/dev/null; then
		fail_because "python3 is needed to read oomguard --history --json"
		return 1
	fi
	[ -n "$(res state_disk)" ] ||
		fail_because "the scenario's boot had no state disk ($(res error))"
	if [ "$(vm_get "$HISTORY" "done")" != 1 ] || [ -z "$(vm_get "$HISTORY" state_disk)" ]; then
		fail_because "the second boot did not mount the state disk and finish ($(vm_get "$HISTORY" error), see $(dirname "$HISTORY"))"
		return 1
	fi
	[ "$(vm_get "$HISTORY" history_status)" = 0 ] ||
		fail_because "oomguard --history on the next boot exited $(vm_get "$HISTORY" history_status '?'): $(vm_get "$HISTORY" history.table)"
	[ "$(vm_get "$HISTORY" history_json_status)" = 0 ] ||
		fail_because "oomguard --history --json on the next boot exited $(vm_get "$HISTORY" history_json_status '?'): $(vm_get "$HISTORY" history.json_stderr)"
	FACTS=$(history_facts "$HISTORY" "$@")
	[ "$(fact bad)" = 0 ] ||
		fail_because "$(fact bad) of $(fact lines) lines of oomguard --history --json are not one JSON object each"
	# Written in the scenario's boot, read in the next: two boot ids.
	if [ "$(fact found)" = 1 ]; then
		[ "$(fact boot)" = "$(res boot_id)" ] ||
			fail_because "the $1 entry's boot is '$(fact boot)', not the scenario's boot ($(res boot_id))"
		[ "$(vm_get "$HISTORY" boot_id)" != "$(res boot_id)" ] ||
			fail_because "the second boot has the same boot id as the first: not a new boot"
	fi
}

# Where a missing entry went: was it there in the scenario's own boot?
history_same_boot_words() {
	if [ "$(history_facts "$RESULTS" "$@" | sed -n 's/^found=//p')" = 1 ]; then
		echo "the scenario's boot listed it, so it was lost at power-off: not on disk"
	else
		echo "the scenario's boot did not list it either: $(grep -c '^history.json=' "$RESULTS") line(s)"
	fi
}

# The kill of LABEL is in the next boot's history: its pid and name, the
# reason word and first signal of oomguard's kill record, its outcome, and
# the top memory users (LABEL among them: it is the largest when it dies), in
# the JSON; its name and reason in the table, which is printed.
expect_history_kill() {
	local label=$1 pid record reason
	pid=$(res "proc.$label.pid")
	expect_history_read kill "$pid" || return
	HISTORY_SHOW=$(sed -n 's/^history.table=//p' "$HISTORY")
	if [ "$(fact found)" != 1 ]; then
		fail_because "no kill entry for pid=$pid ($label) in oomguard --history --json on the next boot; $(history_same_boot_words kill "$pid")"
		return
	fi
	record=$(run_log | grep -E "(^| )killed pid=$pid " | head -n 1)
	reason=$(sed -n 's/.* reason=\([a-z-]*\) .*/\1/p' <<<"$record")
	[ "$(fact name)" = "$label" ] || fail_because "the history names pid=$pid '$(fact name)', not $label"
	case "$(fact reason)" in
	floor-term | floor-kill | pressure) ;;
	*) fail_because "the history's reason '$(fact reason)' is not a word of the vocabulary (floor-term, floor-kill, pressure)" ;;
	esac
	[ "$(fact reason)" = "$reason" ] ||
		fail_because "the history's reason '$(fact reason)' is not the kill record's '${reason:-none}'"
	case "$(fact signal)" in
	SIGTERM | SIGKILL) ;;
	*) fail_because "the history's signal is '$(fact signal)', not SIGTERM or SIGKILL" ;;
	esac
	[ "$(fact outcome)" = killed ] || fail_because "the history's outcome is '$(fact outcome)', not killed"
	grep -qE "(^|,)$label:[0-9]+(,|$)" <<<"$(fact top)" ||
		fail_because "the history's top users ($(fact top)) do not list $label"
	grep -F -- "$label" <<<"$HISTORY_SHOW" | grep -qF -- "$(fact reason)" ||
		fail_because "no line of oomguard --history on the next boot shows $label with its reason $(fact reason)"
}

# The kernel's kill is in the next boot's history: a kernel-oom entry of the
# scenario's boot, shown in the table too. Which cgroup it struck in is
# asserted only where the entry says oomguard knew ("cgroups_known":true):
# then it must name /vmtest, the memory cgroup the kernel killed in, and not
# call the kill global. Otherwise the summary says it was not asserted.
expect_history_kernel_oom() {
	expect_history_read kernel-oom || return
	HISTORY_SHOW=$(sed -n 's/^history.table=//p' "$HISTORY")
	if [ "$(fact found)" != 1 ]; then
		fail_because "no kernel-oom entry in oomguard --history --json on the next boot; $(history_same_boot_words kernel-oom)"
		return
	fi
	grep -qF kernel-oom <<<"$HISTORY_SHOW" ||
		fail_because "no line of oomguard --history on the next boot shows the kernel-oom event"
	if [ "$(fact cgroups_known)" = True ]; then
		if ! grep -qF '"path":"/vmtest"' <<<"$(fact raw)" || [ "$(fact scope)" = global ]; then
			fail_because "the kernel-oom entry does not say the kill was in the memory cgroup /vmtest: $(fact raw)"
		fi
		KOOM_CGROUP_WORDS="scope $(fact scope)"
	else
		KOOM_CGROUP_WORDS="cgroups not known to oomguard (cgroups_known=$(fact cgroups_known)): where it struck not asserted"
	fi
}

# The --warn-hook ran before the daemon's SIGTERM to LABEL and named LABEL,
# the process then killed. When the hook started: its first read of
# /proc/uptime (in steps of 10 ms, so 10 ms are added) on supervise's time
# line (start_uptime_ms). When the SIGTERM came, by supervise's records: the
# first sample that saw it pending, or else the death (a process that does
# not block SIGTERM dies of it at once), which cannot come before it.
WARN_UPTIME_STEP_MS=10
expect_warned_before_kill() {
	local label=$1 pid hook_ms term_ms
	pid=$(res "proc.$label.pid")
	WARN_LEAD_MS=-1
	if [ "$(num hook.warn.runs 0)" -lt 1 ]; then
		fail_because "the --warn-hook never ran"
		return
	fi
	[ "$(res hook.warn.env.OOMGUARD_EVENT)" = warning ] ||
		fail_because "the warn hook ran with OOMGUARD_EVENT='$(res hook.warn.env.OOMGUARD_EVENT)', not warning"
	if [ "$(res hook.warn.env.OOMGUARD_PID)" != "$pid" ] || [ "$(res hook.warn.env.OOMGUARD_NAME)" != "$label" ]; then
		fail_because "the warning named pid=$(res hook.warn.env.OOMGUARD_PID) name=$(res hook.warn.env.OOMGUARD_NAME), not $label (pid=$pid), killed later"
	fi
	hook_ms=$(awk -v u="$(res hook.warn.first_uptime_s)" -v s="$(num start_uptime_ms)" -v step="$WARN_UPTIME_STEP_MS" '
		BEGIN { if (u !~ /^[0-9]+(\.[0-9]+)?$/ || s < 0) print -1; else printf "%d\n", u * 1000 - s + step }')
	term_ms=$(num "proc.$label.sigterm_pending_ms")
	[ "$term_ms" -ge 0 ] || term_ms=$(num "proc.$label.end_ms")
	if [ "$hook_ms" -lt 0 ] || [ "$term_ms" -lt 0 ]; then
		fail_because "cannot put the warn hook (uptime $(res hook.warn.first_uptime_s) s) and the SIGTERM to $label on one time line"
	elif [ "$hook_ms" -ge "$term_ms" ]; then
		fail_because "the warn hook started at $(secs "$hook_ms"), not before the SIGTERM to $label (at the latest $(secs "$term_ms"))"
	else
		WARN_LEAD_MS=$((term_ms - hook_ms))
	fi
}

# --- scenarios ------------------------------------------------------------------
# Each check_* reads $RESULTS, adds to REASONS and sets SUMMARY to the numbers
# that matter, printed whether it passes or not.

check_fast_hog() {
	expect_daemon_started
	expect_killed_by_daemon hog
	expect_no_kernel_kills
	expect_history_kill hog
	SUMMARY="hog $(res proc.hog.end) after $(secs "$(num first_kill_ms)") at $(mib "$(num proc.hog.size_kib)");"
	SUMMARY+=" MemAvailable min $(mib "$(num mem_available_min_kib)") of $(mib "$(num mem_total_kib)");"
	# Not asserted (scenario 1 is about the kill), shown for the hook's sake.
	if [ "$(num hook.post-kill.runs 0)" -gt 0 ]; then
		SUMMARY+=" post-kill hook ran with OOMGUARD_NAME=$(res hook.post-kill.env.OOMGUARD_NAME) OOMGUARD_SIGNAL=$(res hook.post-kill.env.OOMGUARD_SIGNAL)"
	else
		SUMMARY+=" post-kill hook did not run"
	fi
	[ "$(fact found)" = 1 ] &&
		SUMMARY+="; next boot's history: $(fact reason) $(fact signal) $(fact outcome) at $(fact time), top $(fact top)"
}

check_slow_leak() {
	local swap_total swap_min
	swap_total=$(num swap_total_kib)
	swap_min=$(num swap_free_min_kib)
	[ "$swap_total" -gt 0 ] || fail_because "the guest has no swap: zram set-up failed ($(res error))"
	expect_daemon_started
	expect_killed_by_daemon leak
	expect_no_kernel_kills
	expect_warned_before_kill leak
	# "Before swap is exhausted": at least 1 % of it was still free at worst.
	[ "$swap_min" -gt $((swap_total / 100)) ] ||
		fail_because "swap ran out: lowest SwapFree $(mib "$swap_min") of $(mib "$swap_total")"
	SUMMARY="leak $(res proc.leak.end) after $(secs "$(num first_kill_ms)") at $(mib "$(num proc.leak.size_kib)");"
	SUMMARY+=" SwapFree lowest $(mib "$swap_min") of $(mib "$swap_total");"
	SUMMARY+=" MemAvailable min $(mib "$(num mem_available_min_kib)");"
	SUMMARY+=" warn hook ran $(num hook.warn.runs 0) time(s)"
	[ "$WARN_LEAD_MS" -ge 0 ] && SUMMARY+=", first $(secs "$WARN_LEAD_MS") before the SIGTERM"
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

# The stall comparisons of "thrash" and "slow-disk-leak": oomguard's full-stall
# time (the increase of PSI "full total") at most STALL_MAX_PERCENT of
# earlyoom's, booted right before it in the same run, so that both see the
# same host load. earlyoom has no pressure rule: it acts only when MemAvailable
# and SwapFree are both low, so its stall is what a floors-only daemon gives.
# Without earlyoom the comparison cannot be made, and it fails, saying why.
STALL_MAX_PERCENT=${OOMGUARD_VM_STALL_MAX_PERCENT:-20}
expect_stall_below_earlyoom() {
	local full eo_full
	full=$(num psi_full_delta_us)
	if [ -z "$EARLYOOM_RESULTS" ]; then
		fail_because "no earlyoom to compare the stall with: ${VM_EARLYOOM_WHY:-unknown reason}"
		return
	fi
	eo_full=$(num psi_full_delta_us -1 "$EARLYOOM_RESULTS")
	if [ "$(vm_get "$EARLYOOM_RESULTS" "done")" != 1 ] || [ "$(vm_get "$EARLYOOM_RESULTS" daemon_started)" != 1 ]; then
		fail_because "the earlyoom boot did not run to its end (daemon_started=$(vm_get "$EARLYOOM_RESULTS" daemon_started), see $(dirname "$EARLYOOM_RESULTS"))"
		return
	fi
	if [ "$full" -lt 0 ] || [ "$eo_full" -lt 0 ] || [ $((full * 100)) -gt $((eo_full * STALL_MAX_PERCENT)) ]; then
		fail_because "full stall with oomguard $(secs $((full / 1000))) is over $STALL_MAX_PERCENT % of earlyoom's $(secs $((eo_full / 1000)))"
	fi
}

# How LABEL ended in results file $2: "signal:15 after 41.2 s", "exit:0 (not killed)".
death_words() {
	local end
	end=$(vm_get "$2" "proc.$1.end")
	case "$end" in
	signal:*) echo "$end after $(secs "$(num "proc.$1.end_ms" -1 "$2")")" ;;
	*) echo "${end:-unknown} (not killed)" ;;
	esac
}

# Full stall up to the first sample that saw the daemon's SIGTERM pending on
# LABEL, in results file $2, or nothing when no sample saw it: the rest of
# the stall is the victim's exit (on a slow swap disk the dying victim can
# sit in reclaim for seconds, the only task not idle, which PSI counts as a
# full stall).
stall_before_signal_words() {
	local at
	at=$(num "proc.$1.sigterm_pending_ms" -1 "$2")
	[ "$at" -ge 0 ] || return 0
	awk -v at="$at" '
		/^ts=/ {
			t = substr($1, 4) + 0
			match($0, / pfull=-?[0-9]+/)
			v = substr($0, RSTART + 7, RLENGTH - 7) + 0
			if (!n++) f0 = v
			if (t <= at) f = v
		}
		END { if (n) printf ", %.1f s of it before the SIGTERM (seen pending at %.1f s)", (f - f0) / 1e6, at / 1000 }' "$2"
}

# "earlyoom: leak signal:15 after 41.2 s, full stall 30.1 s (...); oomguard is 12 % of it"
earlyoom_words() {
	local label=$1 eo_full full
	[ -n "$EARLYOOM_RESULTS" ] || { echo "earlyoom: not run (${VM_EARLYOOM_WHY:-?})"; return; }
	eo_full=$(num psi_full_delta_us -1 "$EARLYOOM_RESULTS")
	full=$(num psi_full_delta_us)
	echo -n "earlyoom: $label $(death_words "$label" "$EARLYOOM_RESULTS"), $(stall_words "$EARLYOOM_RESULTS")$(stall_before_signal_words "$label" "$EARLYOOM_RESULTS")"
	[ "$eo_full" -gt 0 ] && [ "$full" -ge 0 ] && echo -n "; oomguard's stall is $((full * 100 / eo_full)) % of it (at most $STALL_MAX_PERCENT %)"
	echo
}

# oomguard at its defaults against earlyoom (expect_stall_below_earlyoom). The
# no-daemon boot in $BASELINE proves that the workload thrashes at all.
check_thrash() {
	local base_full swap_total swap_low
	base_full=$(num psi_full_delta_us -1 "$BASELINE")
	swap_total=$(num swap_total_kib)
	# Lowest before the kill: swap only recovers after it.
	swap_low=$(num swap_free_min_before_first_kill_kib)
	[ "$(vm_get "$BASELINE" "done")" = 1 ] || fail_because "the baseline boot (no daemon) did not finish"
	# Without real thrashing in the baseline the comparison means nothing:
	# that is the workload's fault, reported as such.
	[ "$base_full" -ge 2000000 ] ||
		fail_because "the workload did not thrash without a daemon (full stall $(secs $((base_full / 1000)))): retune THRASH_*_MIB in guest/init.sh"
	expect_daemon_started
	expect_killed_by_daemon thrash
	expect_no_kernel_kills
	if [ "$swap_total" -le 0 ] || [ "$swap_low" -lt $((swap_total / 2)) ]; then
		fail_because "swap was not largely free before the kill: down to $(mib "$swap_low") of $(mib "$swap_total") (the floors, not PSI, acted?)"
	fi
	expect_stall_below_earlyoom
	SUMMARY="no daemon: $(stall_words "$BASELINE") in $(secs "$(num duration_ms -1 "$BASELINE")"), thrash $(vm_get "$BASELINE" proc.thrash.end) after $(vm_get "$BASELINE" thrash_passes) passes;"
	SUMMARY+=" oomguard: thrash $(res proc.thrash.end) after $(secs "$(num first_kill_ms)"), $(stall_words),"
	SUMMARY+=" SwapFree lowest before the kill $(mib "$swap_low") of $(mib "$swap_total"); $(earlyoom_words thrash)"
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
	expect_history_kernel_oom
	SUMMARY="kernel kills: $kernel_kills; cghog $(res proc.cghog.end) (kernel_oom=$(res proc.cghog.kernel_oom));"
	SUMMARY+=" hook runs: $(num hook.kernel-oom.runs 0); log: ${line:-none}"
	[ "$(fact found)" = 1 ] &&
		SUMMARY+="; next boot's history: kernel-oom at $(fact time), $KOOM_CGROUP_WORDS, top $(fact top)"
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

# Scenarios 9-11: a workload that fits must live. FITS_ZRAM_MIN_PERCENT is how
# full zram must get at its peak (orig_data_size over disksize) for fits-zram
# to test what it claims, a fit that leans on zram; 480 MiB measured 65 %.
FITS_ZRAM_MIN_PERCENT=60
expect_nothing_killed() {
	[ "$(num kills)" -eq 0 ] || fail_because "$(num kills) process(es) killed ($(res kill_order)); the workload fits"
}

fits_words() {
	echo "fit $(res proc.fit.end) at $(mib "$(num proc.fit.size_kib)"), reached its size at $(secs "$(num proc.fit.held_ms)");" \
		"$(stall_words); MemAvailable min $(mib "$(num mem_available_min_kib)"), last 5 s $(mib "$(series avail_last5s_kib)")"
}

check_fits_zram() {
	local pct
	pct=$(res zram_peak_percent)
	[ "$(num zram_disksize_kib 0)" -gt 0 ] || fail_because "the guest has no zram: set-up failed ($(res error))"
	expect_daemon_started
	expect_no_kernel_kills
	expect_nothing_killed
	expect_survived fit
	# Whether zram filled enough is known only once fit reached its size.
	if [ "$(num proc.fit.held_ms)" -lt 0 ]; then
		fail_because "fit never reached its 480 MiB (so how full zram would get is unknown)"
	elif ! awk -v p="${pct:--1}" -v m="$FITS_ZRAM_MIN_PERCENT" 'BEGIN { exit !(p >= m) }'; then
		fail_because "workload problem: zram got only ${pct:-?} % full at its peak (at least $FITS_ZRAM_MIN_PERCENT % is needed to test a fit that leans on zram)"
	fi
	SUMMARY="$(fits_words); zram peak ${pct:-?} % of $(mib "$(num zram_disksize_kib)"): orig $(mib "$(num zram_peak_orig_kib)"), mem_used $(mib "$(num zram_peak_used_kib)")"
}

check_fits_disk() {
	case "$(res swap)" in
	disk:*) ;;
	*) fail_because "the guest has no disk swap: set-up failed ($(res error))" ;;
	esac
	expect_daemon_started
	expect_no_kernel_kills
	expect_nothing_killed
	expect_survived fit
	[ "$(num proc.fit.held_ms)" -ge 0 ] || fail_because "fit never reached its 480 MiB"
	SUMMARY="$(fits_words); swap used at peak $(mib "$(num swap_used_peak_kib)") of $(mib "$(num swap_total_kib)")"
}

check_burst() {
	expect_daemon_started
	expect_no_kernel_kills
	expect_nothing_killed
	[ "$(res proc.burst.end)" = exit:0 ] ||
		fail_because "burst should have ended by itself (exit:0) but ended as '$(res proc.burst.end)'"
	expect_survived hold
	# A burst that reached its size without swapping tests nothing: the
	# workload's fault (a burst killed early never got that far).
	if [ "$(num proc.burst.held_ms)" -ge 0 ] && [ "$(num swap_used_peak_kib 0)" -le 0 ]; then
		fail_because "workload problem: the burst did not swap (swap used at peak 0); raise its size in guest/init.sh"
	fi
	SUMMARY="burst $(res proc.burst.end) at $(mib "$(num proc.burst.size_kib)") (held from $(secs "$(num proc.burst.held_ms)")), hold $(res proc.hold.end);"
	SUMMARY+=" swap used at peak $(mib "$(num swap_used_peak_kib)"); $(stall_words); MemAvailable min $(mib "$(num mem_available_min_kib)")"
}

check_zram_big_leak() {
	[ "$(num zram_disksize_kib 0)" -gt "$(num mem_total_kib)" ] ||
		fail_because "zram's disksize ($(mib "$(num zram_disksize_kib 0)")) is not larger than RAM: set-up failed ($(res error))"
	expect_daemon_started
	expect_killed_by_daemon leak
	expect_no_kernel_kills
	SUMMARY="leak $(res proc.leak.end) after $(secs "$(num first_kill_ms)") at $(mib "$(num proc.leak.size_kib)");"
	SUMMARY+=" SwapFree lowest before the kill $(mib "$(num swap_free_min_before_first_kill_kib)") of $(mib "$(num swap_total_kib)");"
	SUMMARY+=" zram mem_used peak $(mib "$(num zram_peak_used_kib)"); MemAvailable min $(mib "$(num mem_available_min_kib)"); $(stall_words)"
}

check_slow_disk_leak() {
	case "$(res swap)" in
	disk:*) ;;
	*) fail_because "the guest has no disk swap: set-up failed ($(res error))" ;;
	esac
	expect_daemon_started
	expect_killed_by_daemon leak
	expect_no_kernel_kills
	expect_stall_below_earlyoom
	SUMMARY="oomguard: leak $(death_words leak "$RESULTS") at $(mib "$(num proc.leak.size_kib)"), $(stall_words)$(stall_before_signal_words leak "$RESULTS"),"
	SUMMARY+=" swap used before the kill $(mib $(($(num swap_total_kib) - $(num swap_free_min_before_first_kill_kib)))); $(earlyoom_words leak)"
}

# Scenarios 14-15: RAM held by tmpfs, which no kill frees.

# The lowest MemAvailable of the time series as a percentage of MemTotal and
# of min(MemAvailable + AnonPages, MemTotal) in the same sample (the base of
# oomguard's floors): "7.6 % of MemTotal, 26.5 % of available+anon".
avail_share_words() {
	awk -v total="$(num mem_total_kib -1 "${1:-$RESULTS}")" '
		/^ts=/ {
			a = n = -1
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^avail=/) a = substr($i, 7) + 0
				if ($i ~ /^anon=/) n = substr($i, 6) + 0
			}
			if (a < 0 || n < 0 || total <= 0) next
			base = a + n < total ? a + n : total
			if (!seen++ || a < low) { low = a; low_base = base }
		}
		END {
			if (!seen) { print "?"; exit }
			printf "%.1f %% of MemTotal, %.1f %% of available+anon", 100 * low / total, 100 * low / low_base
		}' "${1:-$RESULTS}"
}

# MemAvailable of the first time-series sample at or after MS: "123 MiB".
avail_after_words() {
	awk -v at="$1" '
		/^ts=/ && substr($1, 4) + 0 >= at {
			for (i = 2; i <= NF; i++)
				if ($i ~ /^avail=/) { printf "%.0f MiB", substr($i, 7) / 1024; found = 1; exit }
		}
		END { if (!found) print "?" }' "${2:-$RESULTS}"
}

# How the companion earlyoom boot ended for a fits scenario, printed only:
# earlyoom 1.7 takes MemTotal as the base of its floors, 1.8 user memory.
earlyoom_fits_words() {
	[ -n "$EARLYOOM_RESULTS" ] || { echo "earlyoom: not run (${VM_EARLYOOM_WHY:-?})"; return; }
	echo "earlyoom${VM_EARLYOOM_VERSION:+ $VM_EARLYOOM_VERSION} (not asserted): fit $(death_words fit "$EARLYOOM_RESULTS"), kills $(vm_get "$EARLYOOM_RESULTS" kills '?'), kernel kills $(($(num oom_kill_after 0 "$EARLYOOM_RESULTS") - $(num oom_kill_before 0 "$EARLYOOM_RESULTS")))"
}

# Scenario 14: a process that fits beside a full tmpfs must live. Unless
# MemAvailable got under 10 % of MemTotal (the SIGTERM floor of a daemon that
# still takes MemTotal as its base, such as oomguard 0.1), the run tests
# nothing: that is the workload's fault, reported as such.
check_tmpfs_full() {
	local total low
	total=$(num mem_total_kib)
	low=$(num mem_available_min_kib)
	expect_daemon_started
	expect_no_kernel_kills
	expect_nothing_killed
	expect_survived fit
	if [ "$(num proc.fit.held_ms)" -lt 0 ]; then
		# A kill is reported above; otherwise the workload broke.
		[ "$(num kills)" -gt 0 ] || fail_because "fit never reached its size (it ended as '$(res proc.fit.end)')"
	elif [ "$low" -lt 0 ] || [ $((low * 10)) -ge "$total" ]; then
		fail_because "workload problem: MemAvailable never got under 10 % of MemTotal (lowest $(mib "$low") of $(mib "$total")): retune TMPFS_* in guest/init.sh"
	fi
	SUMMARY="tmpfs holds $(mib "$(num shmem_kib)") of $(mib "$total") MemTotal; $(fits_words);"
	SUMMARY+=" at its lowest MemAvailable was $(avail_share_words "$RESULTS"); $(earlyoom_fits_words)"
}

# Scenario 15: kills that give nothing back. The first three deaths must be
# workers that oomguard killed (no kernel kill among them), its log must say
# after the third record that it holds off, and then no one may die for
# SHM_HOLD_MS, the 60 s hold less SHM_HOLD_SLACK_MS: oomguard starts the hold
# once it has seen the third victim gone, and supervise records that death up
# to a sample (100 ms) or a stalled moment later, which shortens the gap it
# sees. Without a hold the next kill follows within a second. What comes
# after the hold is printed, not asserted (oomguard kills the last worker,
# futile again, then anon, which ends the shortage).
SHM_HOLD_MS=60000
SHM_HOLD_SLACK_MS=2000
check_shm_futile() {
	local order labels i label third_ms next next_ms=-1 gap records err_line hold_line kernel
	order=$(res kill_order)
	IFS=, read -r -a labels <<<"$order"
	kernel=$(($(num oom_kill_after) - $(num oom_kill_before)))
	expect_daemon_started
	for i in 1 2 3 4; do
		[ "$(num "proc.holder$i.held_ms")" -ge 0 ] ||
			fail_because "workload problem: holder$i never mapped its $(res shm_file_mib) MiB (it ended as '$(res "proc.holder$i.end")')"
	done
	[ "$(num proc.anon.held_ms)" -ge 0 ] ||
		fail_because "workload problem: anon never got MemAvailable under $(res shm_anon_percent) % of available+anon (it ended as '$(res proc.anon.end)')"
	if [ ${#labels[@]} -lt 3 ]; then
		fail_because "only ${#labels[@]} death(s) ($order): oomguard should have killed three workers"
	fi
	for i in 0 1 2; do
		label=${labels[$i]:-}
		[ -n "$label" ] || break
		case "$label" in
		holder*) expect_killed_by_daemon "$label" ;;
		*) fail_because "death $((i + 1)) was $label, not a worker holding the segment (kill order: $order)" ;;
		esac
	done
	err_line=$(run_log | grep -n 'kills in a row gave back less than' | grep 'holds off for 60 s' | head -n 1)
	if [ -z "$err_line" ]; then
		fail_because "no oomguard log line says that kills gave nothing back and it holds off for 60 s"
	else
		records=$(run_log | head -n "${err_line%%:*}" | grep -cE '(^| )killed pid=')
		[ "$records" -eq 3 ] ||
			fail_because "oomguard logged $records kill record(s) before it held off, not 3"
		hold_line=$(run_log | tail -n +"${err_line%%:*}" | grep -m 1 'holding off (the last kills gave no memory back), not sending')
		[ -n "$hold_line" ] || fail_because "after the error line no 'holding off ..., not sending' line: did the hold hold?"
	fi
	third_ms=$(num "proc.${labels[2]:-none}.end_ms")
	next=${labels[3]:-}
	if [ "$third_ms" -ge 0 ]; then
		if [ -n "$next" ]; then
			next_ms=$(num "proc.$next.end_ms")
			gap=$((next_ms - third_ms))
			[ "$gap" -ge $((SHM_HOLD_MS - SHM_HOLD_SLACK_MS)) ] ||
				fail_because "$next died $(secs "$gap") after the third kill, within oomguard's 60 s hold"
		else
			gap=$(($(num duration_ms) - third_ms))
			[ "$gap" -ge $((SHM_HOLD_MS - SHM_HOLD_SLACK_MS)) ] ||
				fail_because "the run ended $(secs "$gap") after the third kill, before the 60 s hold was over"
		fi
	fi
	SUMMARY="kill order: $order;"
	for i in 0 1 2; do
		label=${labels[$i]:-}
		[ -n "$label" ] && SUMMARY+=" $label $(res "proc.$label.end") at $(secs "$(num "proc.$label.end_ms")") ($(mib "$(num "proc.$label.size_kib")")),"
	done
	SUMMARY+=" MemAvailable $(mib "$(num mem_available_min_before_first_kill_kib)") at its lowest before the first death, $(avail_after_words "$third_ms") after the third;"
	SUMMARY+=" tmpfs $(mib "$(num shmem_kib)") before, $(mib "$(num shmem_end_kib)") at the end;"
	if [ -n "$next" ]; then
		SUMMARY+=" next death (the hold is 60 s): $next $(res "proc.$next.end") $(secs "$gap") after the third"
	else
		SUMMARY+=" no death in the $(secs "${gap:--1}") after the third"
	fi
	SUMMARY+="; error lines: $(run_log | grep -c 'kills in a row gave back less than'); kernel kills (not asserted): $kernel"
}

# Scenarios 16-19: container mode, a memory cgroup /box of a quarter of RAM
# (guest/init.sh). cgwatch's cg.* keys and cg_ts= lines hold /box's figures.

# The daemon's log before the load started: its start-up lines.
startup_log() {
	sed -n '/^=== vmtest: load starts ===/q;p' "$DIR/daemon.log" 2>/dev/null
}

# The guest made /box and cgwatch sampled it.
expect_box() {
	[ "$(res box)" = /box ] || fail_because "the guest did not set up the memory cgroup /box ($(res error))"
	[ "$(num cg.samples 0)" -gt 0 ] ||
		fail_because "cgwatch recorded no sample of /box (cgwatch status $(res cgwatch_status '?'))"
}

# The daemon ran in cgroup $1 (as /proc/PID/cgroup shows it): where the
# scenario put it, or the test is not the one it claims to be.
expect_daemon_in() {
	[ "$(res daemon_cgroup)" = "$1" ] ||
		fail_because "harness problem: oomguard ran in the cgroup '$(res daemon_cgroup)', not $1"
}

# Its start-up log says it watches cgroup $1, with memory.max $2 when given
# ("memory view: cgroup /box (memory.max 128 MiB, ..."); sets VIEW_LINE to
# its memory view line.
expect_memory_view() {
	local want="memory view: cgroup $1 ("
	[ -n "${2:-}" ] && want+="memory.max $2"
	VIEW_LINE=$(startup_log | grep -m 1 'memory view: ')
	grep -qF -- "$want" <<<"$VIEW_LINE" ||
		fail_because "oomguard's start-up log has no '$want...' line: ${VIEW_LINE:-it has no 'memory view:' line at all}"
}

# The same for /box as the host sees it, of any size.
expect_memory_view_box() {
	expect_memory_view /box
}

# The kernel's memory-cgroup OOM killer did not run in /box: its
# memory.events oom_kill (which counts the subtree's) did not move.
expect_no_box_kills() {
	local start end
	start=$(num cg.oom_kill_start)
	end=$(num cg.oom_kill_end)
	if [ "$start" -lt 0 ] || [ "$end" -lt 0 ]; then
		fail_because "cannot read /box's memory.events oom_kill (at start '$(res cg.oom_kill_start)', at end '$(res cg.oom_kill_end)')"
	elif [ "$end" -ne "$start" ]; then
		fail_because "the kernel's memory-cgroup OOM killer ran $((end - start)) time(s) in /box (memory.events oom_kill $start -> $end)"
	fi
}

# oomguard's kill record for LABEL's pid names LABEL; sets KILL_RECORD.
expect_kill_record_names() {
	local label=$1 pid
	pid=$(res "proc.$label.pid")
	KILL_RECORD=$(run_log | grep -E "(^| )killed pid=$pid " | head -n 1)
	if [ -z "$KILL_RECORD" ]; then
		fail_because "no oomguard kill record ('killed pid=$pid ...') for $label"
	elif ! grep -qF " name=\"$label\" " <<<"$KILL_RECORD"; then
		fail_because "oomguard's kill record for pid=$pid does not name $label: $KILL_RECORD"
	fi
}

# The box, not the machine, ran out: the machine's MemAvailable never fell
# under CG_MACHINE_MIN_PERCENT of MemTotal. Otherwise a daemon watching the
# machine could have acted too, and the run would not show the box's view
# at work: the workload's fault, reported as such.
CG_MACHINE_MIN_PERCENT=40
expect_machine_roomy() {
	local total low
	total=$(num mem_total_kib)
	low=$(num mem_available_min_kib)
	if [ "$total" -le 0 ] || [ "$low" -lt 0 ] || [ $((low * 100)) -lt $((total * CG_MACHINE_MIN_PERCENT)) ]; then
		fail_because "workload problem: the machine's MemAvailable fell to $(mib "$low") of $(mib "$total") MemTotal, under $CG_MACHINE_MIN_PERCENT %: the machine's view, not the box's, may have acted"
	fi
}

# /box's highest memory.current in the cgwatch samples up to MS on
# supervise's time line: "112 MiB (88 % of memory.max)", or "?". Up to a
# kill the leak only grows, so that is the box's fill at the kill; a sample
# taken after a death already shows the memory given back.
cg_current_upto() {
	awk -v at="$(($(num start_uptime_ms) + $1))" -v max="$(num cg.max_kib)" -v ok="$(num start_uptime_ms)" '
		ok < 0 { exit }
		/^cg_ts=/ {
			if (substr($1, 7) + 0 > at) exit
			for (i = 2; i <= NF; i++)
				if ($i ~ /^current=/ && (!found || substr($i, 9) + 0 > c)) { c = substr($i, 9) + 0; found = 1 }
		}
		END {
			if (!found) print "?"
			else if (max > 0) printf "%.0f MiB (%.0f %% of memory.max)", c / 1024, 100 * c / max
			else printf "%.0f MiB", c / 1024
		}' "$RESULTS"
}

# "12 MiB (3 % of MemTotal)": the machine's lowest MemAvailable.
machine_low_words() {
	local total low
	total=$(num mem_total_kib)
	low=$(num mem_available_min_kib)
	awk -v t="$total" -v l="$low" 'BEGIN { if (t <= 0 || l < 0) print "?"; else printf "%.0f MiB (%.0f %% of MemTotal)", l / 1024, 100 * l / t }'
}

# The box's own pressure over the run, from cgwatch: "some 1.2 s, full 0.4 s".
cg_psi_words() {
	echo "some $(secs $(($(num cg.psi_some_delta_us) / 1000))), full $(secs $(($(num cg.psi_full_delta_us) / 1000)))"
}

# Scenarios 16 and 17: a 20 MiB/s leak in the box beside a 16 MiB bystander.
# oomguard must kill the leak before the box's limit calls the kernel's
# memcg killer. Timings printed only: leak start to its SIGTERM (the first
# sample that saw it pending, else its death), the box's memory.current
# then, and the machine's lowest MemAvailable.
cgroup_leak_checks() {
	expect_box
	expect_daemon_started
	expect_memory_view_box
	expect_killed_by_daemon leak
	expect_kill_record_names leak
	expect_survived bystander
	expect_no_box_kills
	expect_no_kernel_kills
	expect_machine_roomy
	cgroup_leak_summary
}

# The numbers of a leak in the box: SUMMARY.
cgroup_leak_summary() {
	local term_ms start_ms term_words="SIGTERM (seen pending)"
	start_ms=$(num proc.leak.start_ms)
	term_ms=$(num proc.leak.sigterm_pending_ms)
	if [ "$term_ms" -lt 0 ]; then
		term_ms=$(num proc.leak.end_ms)
		term_words="its death (no SIGTERM seen pending)"
	fi
	SUMMARY="leak $(res proc.leak.end) (kernel_oom=$(res proc.leak.kernel_oom)) at $(mib "$(num proc.leak.size_kib)"),"
	if [ "$start_ms" -ge 0 ] && [ "$term_ms" -ge 0 ]; then
		SUMMARY+=" $(secs $((term_ms - start_ms))) from leak start to $term_words; /box's memory.current then $(cg_current_upto "$term_ms"),"
	else
		SUMMARY+=" leak start to SIGTERM unknown,"
	fi
	SUMMARY+=" peak $(mib "$(num cg.current_peak_kib)") of $(mib "$(num cg.max_kib)");"
	SUMMARY+=" bystander $(res proc.bystander.end); /box oom_kill $(res cg.oom_kill_start)->$(res cg.oom_kill_end),"
	SUMMARY+=" vmstat oom_kill +$(($(num oom_kill_after) - $(num oom_kill_before)));"
	SUMMARY+=" machine MemAvailable lowest $(machine_low_words); /box pressure $(cg_psi_words);"
	SUMMARY+=" ${VIEW_LINE:-no memory view line}; kill record: ${KILL_RECORD:-none}"
}

check_cgroup_leak() {
	expect_daemon_in /
	cgroup_leak_checks
}

check_cgroup_inside() {
	expect_daemon_in /box/guard
	cgroup_leak_checks
}

# Scenario 20: oomguard in a cgroup namespace rooted at /box (cgns), the
# real container. Inside, its own cgroup is /guard and the box is "/": it
# must take the namespace's root as its view, kill the leak there, and keep
# quiet about the kernel's kill in /other, a cgroup outside the container
# (that kill moved /proc/vmstat, the host's counter, not the box's).
CGNS_VIEW=/
check_cgroup_namespace() {
	local box_d other_d vm_d line
	expect_box
	expect_daemon_in /box/guard
	if [ -z "$(res daemon_cgroupns)" ] || [ "$(res daemon_cgroupns)" = "$(res init_cgroupns)" ]; then
		fail_because "harness problem: oomguard ran in the cgroup namespace '$(res daemon_cgroupns)', not one of its own (init's is $(res init_cgroupns))"
	fi
	grep -qw memory <<<"$(res box_subtree_control)" ||
		fail_because "harness problem: cgns did not enable memory in the namespace root's cgroup.subtree_control ('$(res box_subtree_control)')"
	expect_daemon_started
	expect_memory_view "$CGNS_VIEW" "$(mib "$(num box_max_kib)")"
	expect_killed_by_daemon leak
	expect_kill_record_names leak
	expect_survived bystander
	expect_no_box_kills
	expect_machine_roomy
	box_d=$(($(num cg.oom_kill_end) - $(num cg.oom_kill_start)))
	other_d=$(($(num other.oom_kill_end) - $(num other.oom_kill_start)))
	vm_d=$(($(num oom_kill_after) - $(num oom_kill_before)))
	# The host's kill: one in /other, and /proc/vmstat moved by it (and by
	# the box's, failed above), by nothing else.
	if [ "$(res proc.other.end)" != signal:9 ] || [ "$other_d" -ne 1 ] || [ "$vm_d" -ne $((1 + box_d)) ]; then
		fail_because "workload problem: the kernel's memory-cgroup OOM killer did not kill 'other' in /other once, and nothing else outside the box (other ended as '$(res proc.other.end)'; oom_kill: /other's memory.events $(res other.oom_kill_start) -> $(res other.oom_kill_end), /proc/vmstat +$vm_d, /box +$box_d): nothing shows that a kill outside the container goes unreported"
	fi
	# No kernel-OOM line: with no kill in /box, the only kernel kill was
	# the host's in /other. Had the box's killer run (failed above), a line
	# would be due, but it could not be told from one counting /other.
	line=$(run_log | grep -m 1 "the kernel's OOM killer ran")
	if [ -n "$line" ] && [ "$box_d" -eq 0 ]; then
		fail_because "oomguard reported a kernel OOM kill, but the only one was outside its container (/other): $line"
	elif [ -n "$line" ]; then
		fail_because "oomguard reported a kernel OOM kill, which must not count the host's kill in /other (the box's own killer ran too, see above): $line"
	fi
	cgroup_leak_summary
	SUMMARY+="; /other: other $(res proc.other.end) at $(mib "$(num proc.other.size_kib)") of $(mib "$(num other_max_kib)"), oomguard's kernel-OOM lines: $(run_log | grep -c "the kernel's OOM killer ran")"
}

# Scenario 18: the box sits full of reclaimable page cache beside 60 % of
# anonymous memory: nobody may die. Unless memory.current reached
# CG_FULL_MIN_PERCENT of memory.max the run tests nothing: the workload's
# fault, reported as such.
CG_FULL_MIN_PERCENT=90
check_cgroup_fits() {
	local peak max reader_ms
	peak=$(num cg.current_peak_kib)
	max=$(num cg.max_kib)
	expect_box
	expect_daemon_in /box/guard
	expect_daemon_started
	expect_memory_view_box
	expect_nothing_killed
	expect_survived hold
	[ "$(res proc.reader.end)" = exit:0 ] ||
		fail_because "reader should have finished its passes (exit:0) but ended as '$(res proc.reader.end)'"
	expect_no_box_kills
	expect_no_kernel_kills
	if [ "$max" -le 0 ] || [ "$peak" -lt 0 ] || [ $((peak * 100)) -lt $((max * CG_FULL_MIN_PERCENT)) ]; then
		fail_because "workload problem: /box's memory.current peaked at $(mib "$peak"), under $CG_FULL_MIN_PERCENT % of its memory.max $(mib "$max"): the page cache did not fill the box (retune CGFITS_* in guest/init.sh)"
	fi
	reader_ms=-1
	[ "$(num proc.reader.end_ms)" -ge 0 ] && reader_ms=$(($(num proc.reader.end_ms) - $(num proc.reader.start_ms)))
	SUMMARY="hold $(res proc.hold.end) at $(mib "$(num proc.hold.size_kib)"); reader $(res proc.reader.end) after"
	SUMMARY+=" $(secs "$reader_ms") ($(res cgfits_passes) passes of $(res cgfits_read_mib) MiB);"
	SUMMARY+=" /box's memory.current peak $(mib "$peak") of $(mib "$max") (page cache $(mib "$(num cg.file_at_peak_kib)") then);"
	SUMMARY+=" /box pressure $(cg_psi_words); /box oom_kill $(res cg.oom_kill_start)->$(res cg.oom_kill_end);"
	SUMMARY+=" machine MemAvailable lowest $(machine_low_words); ${VIEW_LINE:-no memory view line}"
}

# Scenario 19: a process larger than the box's memory.max that fits with
# the box's swap (zram, memory.swap.max max): nobody may die. It must reach
# its size, which past memory.max means the box swapped; cgwatch's peak of
# memory.swap.current must show it, or the workload is wrong.
check_cgroup_fits_zram() {
	[ "$(num zram_disksize_kib 0)" -gt 0 ] || fail_because "the guest has no zram: set-up failed ($(res error))"
	[ "$(res box_swap_max)" = max ] ||
		fail_because "harness problem: /box's memory.swap.max is '$(res box_swap_max)', not max"
	expect_box
	expect_daemon_in /box/guard
	expect_daemon_started
	expect_memory_view_box
	expect_nothing_killed
	expect_survived fit
	expect_no_box_kills
	expect_no_kernel_kills
	if [ "$(num proc.fit.held_ms)" -lt 0 ]; then
		[ "$(num kills)" -gt 0 ] || fail_because "fit never reached its $(res cgfits_zram_mib) MiB (it ended as '$(res proc.fit.end)')"
	elif [ "$(num cg.swap_peak_kib 0)" -le 0 ]; then
		fail_because "workload problem: fit holds $(res cgfits_zram_mib) MiB in a box of $(mib "$(num cg.max_kib)") but /box never swapped (memory.swap.current peak $(res cg.swap_peak_kib))"
	fi
	SUMMARY="fit $(res proc.fit.end) at $(mib "$(num proc.fit.size_kib)"), reached its size at $(secs "$(num proc.fit.held_ms)");"
	SUMMARY+=" /box's memory.current peak $(mib "$(num cg.current_peak_kib)") of $(mib "$(num cg.max_kib)"), its swap peak $(mib "$(num cg.swap_peak_kib)");"
	SUMMARY+=" zram mem_used peak $(mib "$(num zram_peak_used_kib)"); /box pressure $(cg_psi_words);"
	SUMMARY+=" /box oom_kill $(res cg.oom_kill_start)->$(res cg.oom_kill_end); ${VIEW_LINE:-no memory view line}"
}

# --- running ------------------------------------------------------------------

# The extra boots a scenario compares with, each run just before it: none for
# thrash's baseline, earlyoom for the stall comparisons and, printed only,
# for tmpfs-full.
companion_modes() {
	case "$1" in
	thrash) echo none earlyoom ;;
	slow-disk-leak | tmpfs-full) echo earlyoom ;;
	esac
}

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
	BASELINE=
	EARLYOOM_RESULTS=
	# Every boot of a scenario has a state disk, so that the companions
	# boot the same guest; the oomguard boot's own is kept for the next.
	VM_STATE_DISK="$VM_WORK/$scenario.state.img"
	vm_state_disk_new "$VM_STATE_DISK" || VM_STATE_DISK=
	for mode in $(companion_modes "$scenario"); do
		case "$mode" in
		none)
			vm_boot "$scenario-none" "$scenario" none "$limit"
			BASELINE="$VM_WORK/$scenario-none/results.txt"
			;;
		earlyoom)
			if [ "$VM_HAVE_EARLYOOM" = 1 ]; then
				vm_boot "$scenario-earlyoom" "$scenario" earlyoom "$limit"
				EARLYOOM_RESULTS="$VM_WORK/$scenario-earlyoom/results.txt"
			fi
			;;
		esac
	done
	[ -z "$VM_STATE_DISK" ] || vm_state_disk_new "$VM_STATE_DISK" || VM_STATE_DISK=
	vm_boot "$scenario" "$scenario" oomguard "$limit"
	status=$?
	DIR="$VM_WORK/$scenario"
	RESULTS="$DIR/results.txt"
	HISTORY=
	HISTORY_SHOW=
	FACTS=
	if [ -n "$VM_STATE_DISK" ] && history_boot "$scenario"; then
		vm_boot "$scenario-history" "$scenario" history 90
		HISTORY="$VM_WORK/$scenario-history/results.txt"
	fi
	VM_STATE_DISK=
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
		if [ -n "$HISTORY_SHOW" ]; then
			echo "    oomguard --history on the next boot:"
			while IFS= read -r line; do
				echo "    | $line"
			done <<<"$HISTORY_SHOW"
		fi
	else
		failed=$((failed + 1))
		KEEP=1
		echo "FAIL $scenario (${elapsed} s): $SUMMARY"
		printf '    - %s\n' "${REASONS[@]}"
		show_failure_details
		if [ -n "$HISTORY" ]; then
			echo "    --- oomguard --history on the next boot, $HISTORY ---"
			sed -n 's/^history\.\(table\|json\|json_stderr\)=/    | /p; s/^state\.ls=/    | ls: /p' "$HISTORY" | head -n 40
		fi
	fi
done

if [ "$KEEP" = 1 ]; then
	echo "guest logs kept in $VM_WORK"
else
	rm -rf "$VM_WORK"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
