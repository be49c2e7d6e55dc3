#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash
#
# Guest side of the systemd scenario, run by oomguard-vmtest.service (see
# build-rootfs.sh) from the test disk once the guest is up. It measures and
# reports, the host decides: results go out as key=value lines on ttyS1,
# evidence (journal, history, dmesg) as "=== NAME ===" ... "=== end ==="
# sections on ttyS2. oomguard.mode= on the kernel command line picks the boot:
#
#   install-kill  dpkg -i the package, let its service kill a leaking
#                 transient unit (systemd-run), read the service's state and
#                 the journal, power off
#   history       the boot after: oomguard --history (table and JSON) from the
#                 state directory the first boot left, power off
#
# Runs only inside the test VM.
set -u

# shellcheck disable=SC1091
. /mnt/vmtest/vmtest.conf
# The evidence port is a tty: no colour codes in what journalctl and
# systemctl print there.
export SYSTEMD_COLORS=0 SYSTEMD_PAGER=

exec 3>/dev/ttyS1 4>/dev/ttyS2

emit() {
	echo "$*" >&3
}

# section NAME COMMAND...: COMMAND's output and errors as one section;
# returns COMMAND's exit status.
section() {
	local name="$1" rc
	shift
	echo "=== $name ===" >&4
	"$@" >&4 2>&1
	rc=$?
	echo "=== end ===" >&4
	return $rc
}

now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

vmstat_oom_kill() {
	awk '$1 == "oom_kill" { print $2 }' /proc/vmstat
}

prop() {
	systemctl show -p "$2" --value "$1"
}

# Waits up to $1 s for oomguard.service to be active (the postinst starts
# it; Type=notify makes "active" mean READY=1 was sent).
wait_active() {
	local i=0
	while [ "$(systemctl is-active oomguard.service)" != active ]; do
		i=$((i + 1))
		[ "$i" -le $(($1 * 5)) ] || return 1
		sleep 0.2
	done
}

journal_evidence() {
	section journal-unit journalctl -b -u oomguard.service -o short-monotonic --no-pager
	section journal-tag journalctl -b -t oomguard -o short-monotonic --no-pager
	section journal-tag-json journalctl -b -t oomguard -o json --no-pager
	if [ -n "$KILL_MESSAGE_ID" ]; then
		section journal-kill-json journalctl -b -o json --no-pager "MESSAGE_ID=$KILL_MESSAGE_ID"
	fi
	section dmesg sh -c "dmesg | grep -iE 'oom|killed process|seccomp|audit|segfault|trap'"
}

phase_install_kill() {
	local t0 pid code i
	t0=$(now_ms)
	section dpkg dpkg -i "/mnt/vmtest/$DEB"
	emit "dpkg_rc=$?"
	emit "dpkg_ms=$(($(now_ms) - t0))"
	emit "enabled=$(systemctl is-enabled oomguard.service 2>&1)"
	if wait_active 30; then
		emit "active_after_install=active"
	else
		emit "active_after_install=$(systemctl is-active oomguard.service)"
		# Not what a user of the package gets, but it lets the kill checks
		# below still say something.
		systemctl enable --now oomguard.service
		wait_active 30
		emit "active_after_enable_now=$(systemctl is-active oomguard.service)"
	fi
	section unit-file systemctl cat oomguard.service
	emit "svc_pid_before=$(prop oomguard.service MainPID)"
	emit "svc_nrestarts_before=$(prop oomguard.service NRestarts)"
	emit "mem_total_kib=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
	emit "mem_available_kib=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)"
	emit "oom_kill_before=$(vmstat_oom_kill)"

	# --remain-after-exit keeps the unit and its exit status after a SIGTERM,
	# which systemd counts as a clean end and would otherwise collect at once.
	t0=$(now_ms)
	# shellcheck disable=SC2086
	systemd-run --quiet --unit=leak.service --remain-after-exit /mnt/vmtest/hog $LEAK_ARGS
	emit "leak_run_rc=$?"
	pid=$(prop leak.service MainPID)
	emit "leak_pid=$pid"
	emit "leak_comm=$(cat "/proc/$pid/comm" 2>/dev/null)"
	# ExecMainCode is 0 while the main process runs, then its si_code:
	# 1 exited, 2 killed, 3 dumped.
	i=0
	code=0
	while [ "$i" -lt $((LEAK_LIMIT_S * 10)) ]; do
		code=$(prop leak.service ExecMainCode)
		[ "$code" = 0 ] || break
		i=$((i + 1))
		sleep 0.1
	done
	emit "leak_end_ms=$(($(now_ms) - t0))"
	emit "leak_code=$code"
	emit "leak_status=$(prop leak.service ExecMainStatus)"
	emit "leak_result=$(prop leak.service Result)"
	[ "$code" = 0 ] && systemctl kill --signal=KILL leak.service

	# A daemon that a filter kills at its first kill dies while it sends the
	# signal or records it; give it that time before asking.
	sleep 5
	emit "svc_active_after=$(systemctl is-active oomguard.service)"
	emit "svc_result_after=$(prop oomguard.service Result)"
	emit "svc_pid_after=$(prop oomguard.service MainPID)"
	emit "svc_nrestarts_after=$(prop oomguard.service NRestarts)"
	emit "oom_kill_after=$(vmstat_oom_kill)"
	journal_evidence
	emit "journal_persistent=$([ -d /var/log/journal ] && echo yes || echo no)"
}

phase_history() {
	if wait_active 30; then
		emit "svc_active=active"
	else
		emit "svc_active=$(systemctl is-active oomguard.service)"
	fi
	section history oomguard --history
	emit "history_rc=$?"
	section history-json oomguard --history --json
	emit "history_json_rc=$?"
	section state-dir ls -lL /var/lib/oomguard/
	# Printed, not asserted: the image keeps the journal in /run, so the
	# first boot's lines are gone, as on many small servers.
	section boots journalctl --list-boots --no-pager
	emit "journal_boots=$(journalctl --list-boots --no-pager -q 2>/dev/null | awk '$1 ~ /^-?[0-9]+$/' | wc -l)"
	emit "journal_previous_boot_lines=$(journalctl -b -1 -t oomguard -q --no-pager 2>/dev/null | wc -l)"
	emit "oom_kill=$(vmstat_oom_kill)"
}

mode=$(sed -n 's/.*oomguard\.mode=\([^ ]*\).*/\1/p' /proc/cmdline)
emit "phase=$mode"
# The driver starts once multi-user.target is reached: the boot time.
emit "multi_user_ms=$(now_ms)"
case "$mode" in
install-kill) phase_install_kill ;;
history) phase_history ;;
*) emit "error=unknown oomguard.mode=$mode" ;;
esac
emit "done=1"
sync
systemctl poweroff --no-block
