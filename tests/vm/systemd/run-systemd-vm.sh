#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# oomguard where users run it: Debian with systemd as PID 1 in a QEMU guest,
# the package built from this tree installed with dpkg -i, its hardened unit
# killing a leaking transient unit, the record read back from the journal
# and, after a reboot, from oomguard --history.
#
#   tests/vm/systemd/run-systemd-vm.sh path/to/oomguard
#
# The binary serves only the harness's probe boot (lib-vm.sh picks KVM or
# TCG with it); the guest runs the .deb that packaging/debian/build.sh makes
# from the tree this script is in. The root disk (build-rootfs.sh:
# debootstrap --variant=minbase plus systemd) is built once and cached beside
# the kernel, under a name holding the hash of build-rootfs.sh and the
# Debian release. Two boots of one copy of it:
#   1 install-kill  dpkg -i, the service starts, systemd-run --unit=leak.service
#                   grows until oomguard kills it
#   2 history       the same disk booted again: oomguard --history there
# Each check prints PASS or FAIL with what it found; then "N passed, N failed".
# Exit status: 0 all passed, 1 some failed, 77 skipped (one line: no
# debootstrap, no mirror, not root for the first build, no qemu, no package
# tools), 99 the harness broke.
#
# Knobs (besides lib-vm.sh's): OOMGUARD_VM_DEBIAN_MIRROR (default: the host's
# apt source for Debian, else http://deb.debian.org/debian),
# OOMGUARD_VM_DEBIAN_SUITE (default: the host's Debian release, else bookworm;
# the package is built on the host, so its libraries must match),
# OOMGUARD_VM_KEEP=1 keeps the work directory (it is kept after a failure).

set -u
# shellcheck source=../lib-vm.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib-vm.sh"
SD_DIR=$VM_DIR/systemd
SRC_ROOT=$(cd "$VM_DIR/../.." && pwd)

[ $# -eq 1 ] || { echo "usage: $0 path/to/oomguard" >&2; exit 99; }
OOMGUARD=$(realpath "$1") || exit 99

# hog's arguments: named "leak", 64 MiB/s, one byte a page (fast under TCG);
# it grows until something kills it.
LEAK_ARGS="-n leak -r 64 -p touch"
# Boot 1 waits this long for the leak to die.
LEAK_LIMIT_S=120

# --- set-up -------------------------------------------------------------------

sd_check_tools() {
	local tool
	command -v python3 >/dev/null || vm_skip "python3 not found (the checks read JSON with it)"
	command -v mke2fs >/dev/null || vm_skip "mke2fs not found (apt-get install e2fsprogs)"
	for tool in dpkg-buildpackage dpkg-checkbuilddeps dh; do
		command -v "$tool" >/dev/null ||
			vm_skip "$tool not found, cannot build the .deb (apt-get install dpkg-dev debhelper)"
	done
	local unmet
	if ! unmet=$(dpkg-checkbuilddeps "$SRC_ROOT/packaging/debian/control" 2>&1); then
		vm_skip "build dependencies of the .deb missing: ${unmet##*: }"
	fi
}

# The Debian release the guest runs: the host's, since the package built here
# links against the host's libraries.
sd_suite() {
	local id='' codename=''
	if [ -n "${OOMGUARD_VM_DEBIAN_SUITE:-}" ]; then
		echo "$OOMGUARD_VM_DEBIAN_SUITE"
		return
	fi
	# shellcheck disable=SC1091
	[ -r /etc/os-release ] && id=$(. /etc/os-release && echo "${ID:-}") &&
		codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	if [ "$id" = debian ] && [ -n "$codename" ]; then
		echo "$codename"
	else
		echo bookworm
	fi
}

# The host's Debian mirror (deb822 "URIs:" or one-line "deb URI"), the first
# whose path ends in /debian; deb.debian.org otherwise.
sd_mirror() {
	local uri
	if [ -n "${OOMGUARD_VM_DEBIAN_MIRROR:-}" ]; then
		echo "$OOMGUARD_VM_DEBIAN_MIRROR"
		return
	fi
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }
			$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' |
		grep -E '^https?://[^ ]*/debian/?$' | head -n 1)
	echo "${uri:-http://deb.debian.org/debian}"
}

# Finds or builds the cached root disk; sets SD_IMAGE. Skips when it cannot
# be built here.
sd_rootfs() {
	local suite mirror key lock_fd='' started
	suite=$(sd_suite)
	mirror=$(sd_mirror)
	key=$( (cat "$SD_DIR/build-rootfs.sh"; echo "$suite $(uname -m)") | sha256sum | cut -c1-12)
	SD_IMAGE="$VM_CACHE/debian-$suite-systemd-$key.img"
	[ -f "$SD_IMAGE" ] && return 0
	mkdir -p "$VM_CACHE" || vm_skip "cannot create the cache $VM_CACHE"
	if command -v flock >/dev/null; then
		exec {lock_fd}>"$VM_CACHE/.rootfs.lock" && flock "$lock_fd"
	fi
	if [ ! -f "$SD_IMAGE" ]; then
		command -v debootstrap >/dev/null ||
			vm_skip "debootstrap not found, cannot build the guest's root disk (apt-get install debootstrap)"
		[ "$(id -u)" = 0 ] ||
			vm_skip "building the guest's root disk needs root (debootstrap, chroot); run once as root or point OOMGUARD_VM_CACHE at a cache holding $(basename "$SD_IMAGE")"
		vm_log "building the guest's root disk: debootstrap $suite from $mirror (a few minutes, once)"
		started=$(date +%s)
		if ! "$SD_DIR/build-rootfs.sh" "$SD_IMAGE" "$suite" "$mirror" "$VM_CACHE/rootfs.log"; then
			vm_skip "cannot build the guest's root disk with debootstrap $suite $mirror (no network? see $VM_CACHE/rootfs.log)"
		fi
		vm_log "root disk built in $(($(date +%s) - started)) s: $SD_IMAGE"
		# Older images are dead weight once this one is ready.
		find "$VM_CACHE" -maxdepth 1 -name 'debian-*-systemd-*.img' ! -name "$(basename "$SD_IMAGE")" -delete
	fi
	[ -n "$lock_fd" ] && exec {lock_fd}>&-
	return 0
}

# Builds the .deb from this tree into $VM_WORK/deb; sets SD_DEB.
sd_build_deb() {
	local started
	started=$(date +%s)
	# The package's own tests run in the packaging suite; here it is the
	# installed result that matters.
	if ! DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
		"$SRC_ROOT/packaging/debian/build.sh" "$VM_WORK/deb" >"$VM_WORK/deb-build.log" 2>&1; then
		tail -n 40 "$VM_WORK/deb-build.log"
		echo "FAIL build: packaging/debian/build.sh failed (log above, $VM_WORK/deb-build.log)"
		exit 1
	fi
	SD_DEB=$(find "$VM_WORK/deb" -maxdepth 1 -name 'oomguard_*.deb' | head -n 1)
	[ -n "$SD_DEB" ] || { echo "FAIL build: build.sh left no oomguard_*.deb"; exit 1; }
	vm_log "package: $(basename "$SD_DEB") built in $(($(date +%s) - started)) s"
}

# The kill record's MESSAGE_ID, from the journal sink's header in this tree
# (#define JOURNAL_MESSAGE_ID_KILL "32 hex digits"), or empty.
sd_kill_message_id() {
	local header="$SRC_ROOT/src/tell/journal.h"
	[ -r "$header" ] || return 0
	sed -n 's/^#define JOURNAL_MESSAGE_ID_KILL "\([0-9a-fA-F]\{32\}\)".*/\1/p' "$header" |
		head -n 1 | tr 'A-F' 'a-f'
}

# The initramfs that mounts the root disk and starts its systemd: busybox,
# the disk and ext4 modules, initramfs-init.sh as /init.
sd_build_initramfs() {
	local root="$VM_WORK/sd-initramfs"
	rm -rf "$root"
	mkdir -p "$root"/{bin,modules,proc,sys,dev,newroot}
	vm_copy_with_libs "$VM_BUSYBOX" /bin/busybox "$root" || vm_fail_harness "cannot copy busybox"
	cp "$VM_MODDIR"/* "$root/modules/" || vm_fail_harness "cannot copy the kernel modules"
	install -m 0755 "$SD_DIR/initramfs-init.sh" "$root/init"
	(cd "$root" && find . | "$VM_BUSYBOX" cpio -o -H newc 2>/dev/null) >"$VM_WORK/sd-initramfs.cpio" ||
		vm_fail_harness "cpio failed"
}

# The second disk: this run's package, hog (built by vm_build_initramfs),
# guest.sh and its settings.
sd_build_test_disk() {
	local dir="$VM_WORK/vmtest"
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! cp "$SD_DEB" "$dir/" || ! cp "$VM_WORK/root/bin/hog" "$dir/hog" ||
		! install -m 0755 "$SD_DIR/guest.sh" "$dir/guest.sh"; then
		vm_fail_harness "cannot fill the test disk"
	fi
	cat >"$dir/vmtest.conf" <<-EOF
		DEB='$(basename "$SD_DEB")'
		KILL_MESSAGE_ID='$KILL_MESSAGE_ID'
		LEAK_ARGS='$LEAK_ARGS'
		LEAK_LIMIT_S='$LEAK_LIMIT_S'
	EOF
	mke2fs -q -t ext4 -L oomguard-vmtest -d "$dir" "$VM_WORK/vmtest.img" 64M >/dev/null ||
		vm_fail_harness "mke2fs of the test disk failed"
}

# --- reading results ----------------------------------------------------------

res() {
	vm_get "$RESULTS" "$1"
}

# Integer value of KEY, or $2 (default -1) when absent or not a number.
num() {
	local v
	v=$(vm_get "$RESULTS" "$1")
	[[ "$v" =~ ^-?[0-9]+$ ]] && echo "$v" || echo "${2:--1}"
}

secs() {
	awk -v ms="$1" 'BEGIN { if (ms < 0) print "?"; else printf "%.1f s", ms / 1000 }'
}

# Section NAME of the current boot's evidence (guest.sh's "=== NAME ===").
section() {
	awk -v n="=== $1 ===" '$0 == n { on = 1; next } on && $0 == "=== end ===" { exit } on' "$EVIDENCE"
}

# field KEY FILE: KEY's value in pick-record.py's output FILE.
field() {
	vm_get "$2" "$1"
}

PASSED=0
FAILED=0
FAILED_NAMES=()
pass() {
	echo "PASS $1: $2"
	PASSED=$((PASSED + 1))
}
fail() {
	echo "FAIL $1: $2"
	FAILED=$((FAILED + 1))
	FAILED_NAMES+=("$1")
}
check() {
	local name=$1 ok=$2 words=$3
	if [ "$ok" = 1 ]; then pass "$name" "$words"; else fail "$name" "$words"; fi
}

# --- checks of boot 1 ---------------------------------------------------------

check_boot1() {
	local pid ok words rec
	pid=$(num leak_pid)

	ok=0
	[ "$(res dpkg_rc)" = 0 ] && [ "$(res enabled)" = enabled ] && [ "$(res active_after_install)" = active ] && ok=1
	words="dpkg -i exit $(res dpkg_rc) in $(secs "$(num dpkg_ms)"); unit $(res enabled);"
	words+=" active after install: $(res active_after_install)"
	[ -n "$(res active_after_enable_now)" ] && words+=" (after systemctl enable --now: $(res active_after_enable_now))"
	check install "$ok" "$words"

	# ExecMainCode 2 is CLD_KILLED; oomguard's SIGTERM, or its SIGKILL.
	ok=0
	local killer_lines
	killer_lines=$(section journal-unit | grep -E "(^|[^a-z_])pid=$pid([^0-9]|$)" | grep -cE 'kill|SIGTERM|SIGKILL')
	[ "$pid" -gt 0 ] && [ "$(res leak_code)" = 2 ] && [[ "$(res leak_status)" =~ ^(9|15)$ ]] &&
		[ "$killer_lines" -gt 0 ] && ok=1
	words="leak.service (pid $pid, comm $(res leak_comm)) ended with code=$(res leak_code) status=$(res leak_status)"
	words+=" result=$(res leak_result) after $(secs "$(num leak_end_ms)"); $killer_lines line(s) of oomguard.service's journal name pid=$pid"
	check kill "$ok" "$words"

	# The hardened unit survives its own kill: same process, never restarted.
	ok=0
	[ "$(res svc_active_after)" = active ] && [ "$(res svc_nrestarts_after)" = 0 ] &&
		[ "$(res svc_pid_after)" = "$(res svc_pid_before)" ] && [ "$(num svc_pid_after 0)" -gt 0 ] && ok=1
	words="oomguard.service $(res svc_active_after) (result $(res svc_result_after)), MainPID $(res svc_pid_before) -> $(res svc_pid_after), NRestarts=$(res svc_nrestarts_after)"
	local sys
	sys=$(section journal-unit | grep -ciE 'status=31|SIGSYS|core dump')
	[ "$sys" -gt 0 ] && { ok=0; words+="; $sys journal line(s) mention SIGSYS or a core dump"; }
	check service-survives "$ok" "$words"

	local tagged
	tagged=$(section journal-tag | grep -E "(^|[^a-z_])pid=$pid([^0-9]|$)" | grep -cE 'kill|SIGTERM|SIGKILL')
	ok=0
	[ "$tagged" -gt 0 ] && ok=1
	words="journalctl -t oomguard: $(section journal-tag | grep -cv '^-- ') line(s), $tagged naming the kill of pid=$pid"
	if [ "$ok" = 0 ]; then
		words+="; oomguard.service's lines are tagged: $(section journal-unit | sed -n 's/^\[[^]]*\] [^ ]* \([^:[]*\).*/\1/p' | sort | uniq -c | sort -rn | head -n 3 | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')"
	fi
	check journal-tag "$ok" "$words"

	ok=0
	if [ -z "$KILL_MESSAGE_ID" ]; then
		words="no kill MESSAGE_ID: src/tell/journal.h is missing or has no JOURNAL_MESSAGE_ID_KILL"
	else
		rec="$VM_WORK/boot1/journal-kill.txt"
		section journal-kill-json >"$VM_WORK/boot1/journal-kill.json"
		python3 "$SD_DIR/pick-record.py" "$VM_WORK/boot1/journal-kill.json" "OOMGUARD_PID=$pid" >"$rec"
		words="MESSAGE_ID=$KILL_MESSAGE_ID: $(field records "$rec") record(s), $(field matches "$rec") with OOMGUARD_PID=$pid"
		if [ "$(field matches "$rec" 0)" -gt 0 ]; then
			words+="; SYSLOG_IDENTIFIER=$(field SYSLOG_IDENTIFIER "$rec") OOMGUARD_NAME=$(field OOMGUARD_NAME "$rec")"
			words+=" OOMGUARD_UNIT=$(field OOMGUARD_UNIT "$rec") OOMGUARD_REASON=$(field OOMGUARD_REASON "$rec")"
			words+=" OOMGUARD_SIGNAL=$(field OOMGUARD_SIGNAL "$rec") OOMGUARD_RSS_KIB=$(field OOMGUARD_RSS_KIB "$rec")"
			[ "$(field SYSLOG_IDENTIFIER "$rec")" = oomguard ] && [ "$(field OOMGUARD_NAME "$rec")" = leak ] &&
				[ "$(field OOMGUARD_UNIT "$rec")" = leak.service ] && [ -n "$(field OOMGUARD_REASON "$rec")" ] && ok=1
			JOURNAL_REASON=$(field OOMGUARD_REASON "$rec")
		fi
	fi
	check journal-fields "$ok" "$words"

	ok=0
	[ "$(num oom_kill_before)" = 0 ] && [ "$(num oom_kill_after)" = 0 ] && ok=1
	check no-kernel-oom "$ok" "oom_kill in /proc/vmstat: $(res oom_kill_before) before the leak, $(res oom_kill_after) after"
}

# --- checks of boot 2 ---------------------------------------------------------

check_boot2() {
	local pid=$1 ok words rec lines
	ok=0
	[ "$(res "done")" = 1 ] && [ "$(res svc_active)" = active ] && ok=1
	check reboot "$ok" "second boot reached multi-user.target after $(secs "$(num multi_user_ms)"); oomguard.service $(res svc_active)"

	rec="$VM_WORK/boot2/history-record.txt"
	section history-json >"$VM_WORK/boot2/history.json"
	python3 "$SD_DIR/pick-record.py" "$VM_WORK/boot2/history.json" "pid=$pid" >"$rec"

	# The table: the kill's row (event "kill": the warning before it has a
	# row with the same pid and name) with the journal's reason, and for
	# every top user that the JSON lists, a line with its pid and name.
	lines=$(section history | grep -E " kill +$pid " | grep -w leak)
	ok=0
	words="oomguard --history exit $(res history_rc), $(section history | wc -l) line(s)"
	if [ -n "$lines" ]; then
		words+=", the kill: $(echo "$lines" | head -n 1 | tr -s ' ')"
		if [ "$(res history_rc)" = 0 ] && { [ -z "$JOURNAL_REASON" ] || echo "$lines" | grep -qw -- "$JOURNAL_REASON"; }; then
			ok=1
		else
			words+=" (reason ${JOURNAL_REASON:-?} not on it)"
		fi
		local i top_pid top_name n_top missing=''
		n_top=$(field top.len "$rec" 0)
		for ((i = 0; i < n_top; i++)); do
			top_pid=$(field "top.$i.pid" "$rec")
			top_name=$(field "top.$i.name" "$rec")
			section history | grep -E "(^|[^0-9])$top_pid([^0-9]|$)" | grep -qF -- "$top_name" ||
				missing+=" $top_pid/$top_name"
		done
		words+="; top users: $n_top in the JSON"
		[ "$n_top" -gt 0 ] || ok=0
		[ -z "$missing" ] || { ok=0; words+=", not in the table:$missing"; }
	else
		words+=", none naming pid $pid and leak"
	fi
	check history "$ok" "$words"

	ok=0
	words="oomguard --history --json exit $(res history_json_rc), $(field records "$rec") record(s), $(field matches "$rec") with pid=$pid"
	if [ "$(field matches "$rec" 0)" -gt 0 ]; then
		words+=": name=$(field name "$rec") unit=$(field unit "$rec") reason=$(field reason "$rec") signal=$(field signal "$rec")"
		words+=" rss_kib=$(field rss_kib "$rec") swap_kib=$(field swap_kib "$rec") outcome=$(field outcome "$rec") top: $(field top.len "$rec" 0) entries"
		[ "$(res history_json_rc)" = 0 ] && [ "$(field name "$rec")" = leak ] && [ "$(field unit "$rec")" = leak.service ] &&
			[ -n "$(field reason "$rec")" ] && [ -n "$(field signal "$rec")" ] && [ -n "$(field outcome "$rec")" ] &&
			[ -n "$(field time "$rec")" ] && [ -n "$(field rss_kib "$rec")" ] && [ -n "$(field swap_kib "$rec")" ] &&
			[ "$(field top.len "$rec" 0)" -gt 0 ] && ok=1
		if [ -n "$JOURNAL_REASON" ] && [ "$(field reason "$rec")" != "$JOURNAL_REASON" ]; then
			ok=0
			words+=" (the journal said reason $JOURNAL_REASON)"
		fi
	fi
	check history-json "$ok" "$words"

	ok=0
	[ "$(num oom_kill)" = 0 ] && ok=1
	check no-kernel-oom-2 "$ok" "oom_kill in /proc/vmstat at the end of the second boot: $(res oom_kill)"
}

# Prints what a failed boot left: the end of its console and the results.
show_boot() {
	local dir=$1
	echo "--- $dir/results.txt ---"
	cat "$dir/results.txt" 2>/dev/null
	echo "--- $dir/console.log (last 40 lines) ---"
	tail -n 40 "$dir/console.log" 2>/dev/null | sed 's/\r$//'
	echo "--- $dir/qemu.log ---"
	cat "$dir/qemu.log" 2>/dev/null
}

# --- main -----------------------------------------------------------------------

vm_check_tools
sd_check_tools
vm_fetch_kernel
sd_rootfs
VM_WORK=$(mktemp -d "${TMPDIR:-/tmp}/oomguard-vm-systemd.XXXXXX")
vm_log "kernel: $VM_KERNEL_PKG; root disk: $SD_IMAGE; work dir: $VM_WORK"
sd_build_deb
KILL_MESSAGE_ID=$(sd_kill_message_id)
JOURNAL_REASON=
vm_build_initramfs "$OOMGUARD"
vm_pick_accel
sd_build_initramfs
sd_build_test_disk
started=$(date +%s)
cp --sparse=always "$SD_IMAGE" "$VM_WORK/root.img" || vm_fail_harness "cannot copy $SD_IMAGE"
VM_BOOT_INITRD="$VM_WORK/sd-initramfs.cpio"
VM_BOOT_DRIVES=("file=$VM_WORK/root.img,format=raw,if=virtio"
	"file=$VM_WORK/vmtest.img,format=raw,if=virtio,readonly=on")

started=$(date +%s)
vm_boot boot1 systemd install-kill 600
status=$?
RESULTS="$VM_WORK/boot1/results.txt" EVIDENCE="$VM_WORK/boot1/daemon.log"
vm_log "boot 1: qemu exit $status after $(($(date +%s) - started)) s (multi-user.target at $(secs "$(num multi_user_ms)"), dpkg -i $(secs "$(num dpkg_ms)"), leak killed after $(secs "$(num leak_end_ms)"))"
if [ "$(res "done")" != 1 ]; then
	show_boot "$VM_WORK/boot1"
	fail boot1 "the first boot did not run to its end (qemu exit $status; 124 is the time limit)"
else
	check_boot1
fi
LEAK_PID=$(num leak_pid)

if [ "$(res "done")" = 1 ]; then
	started=$(date +%s)
	vm_boot boot2 systemd history 300
	status=$?
	RESULTS="$VM_WORK/boot2/results.txt" EVIDENCE="$VM_WORK/boot2/daemon.log"
	vm_log "boot 2: qemu exit $status after $(($(date +%s) - started)) s (multi-user.target at $(secs "$(num multi_user_ms)"))"
	if [ "$(res "done")" != 1 ]; then
		show_boot "$VM_WORK/boot2"
		fail boot2 "the second boot did not run to its end (qemu exit $status)"
	else
		check_boot2 "$LEAK_PID"
		vm_log "journal seen from the second boot: $(res journal_boots) boot(s), $(res journal_previous_boot_lines) line(s) of the first tagged oomguard (the image keeps the journal in /run)"
	fi
fi

echo "$PASSED passed, $FAILED failed${FAILED_NAMES[*]:+ (${FAILED_NAMES[*]})}"
if [ "$FAILED" -gt 0 ] || [ "${OOMGUARD_VM_KEEP:-0}" = 1 ]; then
	echo "work directory kept: $VM_WORK (boot1/ and boot2/: console.log, results.txt, daemon.log = evidence)"
else
	rm -rf "$VM_WORK"
fi
[ "$FAILED" -eq 0 ]
