#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# PID 1 of the throwaway QEMU guest that oomguard's VM tests boot. Each boot runs
# one scenario, picked on the kernel command line:
#
#   oomguard.scenario=NAME   fast-hog | slow-leak | many-growers | protected |
#                            thrash | self | kernel-oom | stuck-victim |
#                            fits-zram | fits-disk | burst | zram-big-leak |
#                            slow-disk-leak | tmpfs-full | shm-futile |
#                            cgroup-leak | cgroup-inside | cgroup-fits |
#                            cgroup-fits-zram | cgroup-namespace | probe
#   oomguard.mode=MODE       oomguard (default) | none | earlyoom | history
#                            (history: no workload and no daemon, only read
#                            the history an earlier boot left on the state disk)
#   oomguard.state=vdc       the host attached a state disk: mount it on /var/lib
#
# Results leave the guest as key=value lines on /dev/ttyS1 (a file on the host),
# never through the console, so kernel messages cannot garble them. The daemon's
# stderr goes to /dev/ttyS2, so its log reaches the host even if the guest hangs.
# Every scenario's memory exhaustion happens here, inside the guest, only.
#
# Sizes below assume 512 MiB of guest RAM (about 440 MiB MemAvailable after
# boot); the host script passes that with -m.

set -f   # daemon arguments hold regexes: never glob them

# --- plumbing ---------------------------------------------------------------

boot() {
	/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin
	/bin/busybox --install -s /bin
	export PATH=/bin:/sbin:/usr/bin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	# The archive holds no /dev/console, so the kernel started us without
	# stdin, stdout or stderr: take the console now that devtmpfs has it.
	exec </dev/console >/dev/console 2>&1
	# The harness must never be a victim: -1000 makes both the kernel and a
	# daemon that mirrors its rules skip us. Test programs set their own.
	echo -1000 > /proc/self/oom_score_adj

	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	stty -F /dev/ttyS2 raw -echo 2>/dev/null
	exec 9>/dev/ttyS1

	SCENARIO=probe MODE=oomguard STATE_DEV=
	for word in $(cat /proc/cmdline); do
		case "$word" in
		oomguard.scenario=*) SCENARIO=${word#*=} ;;
		oomguard.mode=*) MODE=${word#*=} ;;
		oomguard.state=*) STATE_DEV=${word#*=} ;;
		esac
	done
	# Written by the host: OOMGUARD_EXTRA_ARGS, MAX_RSS_KIB; THRASH_ANON_MIB
	# and THRASH_FILE_MIB may be added there to retune scenario "thrash".
	[ -r /etc/vm-test.conf ] && . /etc/vm-test.conf
}

emit() {
	echo "$*" >&9
}

finish() {
	emit "done=1"
	# Closing the port waits until the UART has sent everything; the sleep
	# covers any copy of the descriptor a stray child might still hold.
	exec 9>&-
	sleep 1
	poweroff -f
}

# Loads NAME.ko and its dependencies, in the order the host wrote them.
load_modules() {
	for list in "$@"; do
		for ko in $(cat "/modules/$list.order"); do
			insmod "/modules/$ko" 2>/dev/null || grep -q "^${ko%.ko} " /proc/modules ||
				{ emit "error=insmod $ko failed"; return 1; }
		done
	done
}

wait_for_file() {
	tries=0
	while [ ! -e "$1" ] && [ $tries -lt 50 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	[ -e "$1" ]
}

# Swap on zram: the setup desktops and small VMs use. SIZE like 256M.
setup_zram() {
	load_modules zram || return 1
	wait_for_file /sys/block/zram0/disksize || { emit "error=no zram0"; return 1; }
	echo "$1" > /sys/block/zram0/disksize
	if ! mkswap /dev/zram0 >/dev/null || ! swapon /dev/zram0; then
		emit "error=swapon failed"
		return 1
	fi
	emit "swap=zram:$1"
}

# The host attaches a raw disk as virtio-blk; thrash reads it as its file set.
setup_disk() {
	load_modules virtio_pci virtio_blk || return 1
	wait_for_file /dev/vda || { emit "error=no /dev/vda"; return 1; }
}

# Swap on the host's second, writable disk (/dev/vdb, fresh and sparse each
# boot; throttled by the host for slow-disk-leak).
setup_swap_disk() {
	load_modules virtio_pci virtio_blk || return 1
	wait_for_file /dev/vdb || { emit "error=no /dev/vdb"; return 1; }
	if ! mkswap /dev/vdb >/dev/null || ! swapon /dev/vdb; then
		emit "error=swapon /dev/vdb failed"
		return 1
	fi
	emit "swap=disk:$(($(cat /sys/block/vdb/size) / 2048))M"
}

# The state disk: an ext4 image the host made and keeps across this boot and
# the next, mounted where a distribution keeps /var/lib, so that oomguard
# writes its history at its default --state-dir, /var/lib/oomguard. The
# directory belongs to the user the daemon switches to (here, without a
# passwd file, nobody's 65534), as StateDirectory= makes it in the unit. Not
# unmounted at the end: poweroff -f is as abrupt as a machine that dies, so
# what the next boot finds is what oomguard's fsyncs made durable.
STATE_DIR=/var/lib/oomguard
setup_state_disk() {
	load_modules virtio_pci virtio_blk crc32c_generic ext4 || return 1
	wait_for_file "/dev/$STATE_DEV" || { emit "error=no /dev/$STATE_DEV"; return 1; }
	mkdir -p /var/lib
	if ! mount -t ext4 "/dev/$STATE_DEV" /var/lib; then
		emit "error=mount -t ext4 /dev/$STATE_DEV /var/lib failed"
		return 1
	fi
	mkdir -p "$STATE_DIR" && chown 65534:65534 "$STATE_DIR"
	emit "state_disk=ext4:/dev/$STATE_DEV"
}

# What oomguard --history prints, as it would greet an operator after the
# reboot: the table (default --state-dir) and the JSON lines (named).
report_history() {
	/bin/oomguard --history > /tmp/history.txt 2>&1
	emit "history_status=$?"
	sed 's/^/history.table=/' /tmp/history.txt >&9
	/bin/oomguard --history --json --state-dir "$STATE_DIR" > /tmp/history.json 2>/tmp/history.err
	emit "history_json_status=$?"
	sed 's/^/history.json=/' /tmp/history.json >&9
	sed 's/^/history.json_stderr=/' /tmp/history.err >&9
	ls -ln "$STATE_DIR" | sed 's/^/state.ls=/' >&9
}

# A tmpfs on /dev/shm, as every distribution mounts one, sized SIZE (like
# 400M) rather than the default half of RAM, so that it can hold most of it.
# Without swap its pages can go nowhere: no kill and no reclaim frees them.
setup_shm() {
	mkdir -p /dev/shm
	if ! mount -t tmpfs -o "size=$1" tmpfs /dev/shm; then
		emit "error=mount tmpfs on /dev/shm failed"
		return 1
	fi
}

meminfo_kib() {
	sed -n "s/^$1: *\([0-9]*\) kB\$/\1/p" /proc/meminfo
}

# Writes MIB of zeros to the file /dev/shm/NAME (tmpfs stores them as real
# pages) and reports what tmpfs holds then: Shmem, MemAvailable.
fill_shm() {
	if ! dd if=/dev/zero of="/dev/shm/$1" bs=1M count="$2" 2>/dev/null; then
		emit "error=writing $2 MiB to /dev/shm/$1 failed"
		return 1
	fi
	emit "shm_file_mib=$2"
	emit "shmem_kib=$(meminfo_kib Shmem)"
	emit "mem_available_after_fill_kib=$(meminfo_kib MemAvailable)"
}

oom_kill_count() {
	sed -n 's/^oom_kill //p' /proc/vmstat
}

# Starts the daemon for MODE with the scenario's arguments ($OOMGUARD_ARGS or
# $EARLYOOM_ARGS, word-split on purpose) at oom_score_adj $DAEMON_ADJ and,
# when $DAEMON_CGROUP names a cgroup v2 directory, in that cgroup from its
# first instruction (it reads /proc/self/cgroup at start-up). $DAEMON_WRAP,
# word-split too, is a command that execs the daemon after it (cgns).
start_daemon() {
	DAEMON_PID=
	# The argument strings are split into words on purpose (set -f is on).
	# shellcheck disable=SC2086
	case "$MODE" in
	none) emit "daemon=none"; return 0 ;;
	oomguard) set -- /bin/oomguard $OOMGUARD_ARGS $OOMGUARD_EXTRA_ARGS ;;
	earlyoom) set -- /bin/earlyoom $EARLYOOM_ARGS ;;
	*) emit "error=unknown mode $MODE"; return 1 ;;
	esac
	# shellcheck disable=SC2086
	[ -n "${DAEMON_WRAP:-}" ] && set -- $DAEMON_WRAP "$@"
	emit "daemon_cmd=$*"
	(
		echo "${DAEMON_ADJ:-0}" > /proc/self/oom_score_adj
		# "0" moves the writer: this subshell, which then execs the daemon.
		if [ -n "${DAEMON_CGROUP:-}" ] && ! echo 0 > "$DAEMON_CGROUP/cgroup.procs"; then
			echo "vmtest: cannot join $DAEMON_CGROUP" > /dev/ttyS2
			exit 125
		fi
		exec "$@" 9>&- >/dev/ttyS2 2>&1
	) &
	DAEMON_PID=$!
	# Let it open /proc, lock its memory and print its start-up line before
	# the load starts; a daemon that dies here is reported, not waited for.
	sleep 1
	if [ -d "/proc/$DAEMON_PID" ] && ! grep -q '^State:.*Z' "/proc/$DAEMON_PID/status"; then
		emit "daemon_started=1"
		emit "daemon_cgroup=$(sed -n 's/^0:://p' "/proc/$DAEMON_PID/cgroup")"
	else
		emit "daemon_started=0"
	fi
}

stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	( sleep 3; kill -KILL "$DAEMON_PID" 2>/dev/null ) &
	wait "$DAEMON_PID"
	emit "daemon_exit_status=$?"
}

# Runs the plan on stdin under supervise, bracketed by the kernel killer count.
run_plan() {
	emit "oom_kill_before=$(oom_kill_count)"
	# Splits the daemon's log into start-up and the run proper for the host.
	echo "=== vmtest: load starts ===" > /dev/ttyS2
	supervise "$@" ${DAEMON_PID:+-d "$DAEMON_PID"} >&9 2>/dev/console
	emit "supervise_status=$?"
}

report_kernel() {
	emit "oom_kill_after=$(oom_kill_count)"
	dmesg | grep -E 'invoked oom-killer|Out of memory|oom-kill:|Killed process' |
		sed 's/^/kmsg=/' >&9
}

# Writes a hook's environment where the scenario can find it. $1 = hook name.
# The first thing it does is read /proc/uptime (a shell builtin, no fork):
# when it started, on the clock of supervise's start_uptime_ms.
install_hook() {
	cat > "/bin/hook-$1" <<EOF
#!/bin/sh
read -r up _ < /proc/uptime
{
	echo "ran=1"
	echo "uptime=\$up"
	env | grep '^OOMGUARD_' | sed 's/^/env./'
} >> /tmp/hook-$1.out
EOF
	chmod +x "/bin/hook-$1"
}

report_hook() {
	# Only oomguard is given the hooks; its hook may still be running.
	if [ "$MODE" = oomguard ]; then
		wait_for_file "/tmp/hook-$1.out" || true
		sleep 0.5
	fi
	if [ -r "/tmp/hook-$1.out" ]; then
		emit "hook.$1.runs=$(grep -c '^ran=1' "/tmp/hook-$1.out")"
		emit "hook.$1.first_uptime_s=$(sed -n 's/^uptime=//p' "/tmp/hook-$1.out" | head -n 1)"
		grep '^env\.' "/tmp/hook-$1.out" | sed "s/^/hook.$1./" >&9
	else
		emit "hook.$1.runs=0"
	fi
}

# --- scenarios ----------------------------------------------------------------
# Each sets the daemon arguments, starts the daemon, feeds supervise a plan
# (LABEL START PROGRAM ARGS...; see supervise.c) and lets the host judge.

# 1. One process allocating as fast as it can, no swap.
scenario_fast_hog() {
	OOMGUARD_ARGS="-r 1 -N /bin/hook-post-kill"
	EARLYOOM_ARGS="-r 1"
	install_hook post-kill
	start_daemon
	echo "hog 0 /bin/hog -n hog -p touch" | run_plan -t 90
	report_hook post-kill
}

# 2. A slow leak with zram swap: must die before swap runs out. Slow enough
# for the warning level (at its default) to come first: its hook must run,
# naming the leak, before the SIGTERM.
scenario_slow_leak() {
	setup_zram 256M || return
	install_hook warn
	OOMGUARD_ARGS="-r 1 --warn-hook /bin/hook-warn"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	echo "leak 0 /bin/hog -n leak -r 20 -p half" | run_plan -t 120
	report_hook warn
}

# 3. Twenty processes growing together. Every one reaches its size at the same
# moment (rate = size / 12 s); together they need more than the guest has, but
# without the largest they fit with room to spare, so exactly one must die.
scenario_many_growers() {
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	{
		echo "big 0 /bin/hog -n big -m 250 -r $(awk 'BEGIN { print 250 / 12 }') -p touch"
		for i in $(seq 1 19); do
			size=$((4 + i))
			echo "small$i 0 /bin/hog -n small$i -m $size -r $(awk "BEGIN { print $size / 12 }") -p touch"
		done
	} | run_plan -t 120 -q 4
}

# 4. Protected bystanders: large, but one is at oom_score_adj -1000 and one
# matches --avoid; a small one at +1000 must go first, then the runaway.
scenario_protected() {
	OOMGUARD_ARGS="-r 1 --avoid ^avoided$"
	EARLYOOM_ARGS="-r 1 --avoid ^avoided$"
	start_daemon
	run_plan -t 120 -q 4 <<-EOF
		guarded 0 /bin/hog -n guarded -a -1000 -m 150 -p touch
		avoided 0 /bin/hog -n avoided -m 150 -p touch
		sacrifice 0 /bin/hog -n sacrifice -a 1000 -m 16 -p touch
		grower held /bin/hog -n grower -r 20 -p touch
	EOF
}

# 5. Thrashing: anonymous memory plus a file working set that together do not
# fit, with plenty of swap left. Only a pressure (PSI) trigger catches this;
# the host compares PSI full stall time with a boot that runs no daemon.
# Anonymous memory is two thirds of RAM, as when too many programs run: with
# a share near half, whether a daemon blames memory (oomguard gates PSI kills
# on anon >= 50 % of RAM) flips from run to run, and so did the result.
# oomguard runs at its defaults: the host holds its stall against earlyoom's.
scenario_thrash() {
	setup_zram 256M || return
	setup_disk || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	echo "thrash 0 /bin/thrash -n thrash -a ${THRASH_ANON_MIB:-300} -f /dev/vda -F ${THRASH_FILE_MIB:-180} -t 40" |
		run_plan -t 100
}

# 6. oomguard's own safety: it runs at oom_score_adj +1000 (the best victim by
# the kernel's rules, unless it excludes itself) among many tiny bystanders,
# while three runaways come one after the other.
scenario_self() {
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	DAEMON_ADJ=1000
	start_daemon
	{
		for i in $(seq 1 30); do
			echo "tiny$i 0 /bin/hog -n tiny$i -m 1 -p touch"
		done
		echo "run1 held /bin/hog -n run1 -p touch"
		echo "run2 dead:run1 /bin/hog -n run2 -p touch"
		echo "run3 dead:run2 /bin/hog -n run3 -p touch"
	} | run_plan -t 150 -q 3
	emit "max_rss_kib=${MAX_RSS_KIB:-10240}"
}

# 7. The kernel's killer acts first and oomguard must notice. The runaway sits
# in a memory cgroup limited to 64 MiB, so the kernel kills it (memcg OOM kills
# count in /proc/vmstat oom_kill too) while the machine as a whole is fine and
# oomguard's own floors, set near zero anyway, are never reached. That makes
# "the kernel acted first" certain instead of a race against the poll interval.
scenario_kernel_oom() {
	mkdir -p /sys/fs/cgroup
	mount -t cgroup2 none /sys/fs/cgroup
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir /sys/fs/cgroup/vmtest
	echo 64M > /sys/fs/cgroup/vmtest/memory.max
	echo 0 > /sys/fs/cgroup/vmtest/memory.swap.max 2>/dev/null
	install_hook kernel-oom
	OOMGUARD_ARGS="-r 1 -m 1 -s 1 --kernel-oom-hook /bin/hook-kernel-oom"
	EARLYOOM_ARGS="-r 1 -m 1 -s 1"
	start_daemon
	echo "cghog 0 /bin/hog -n cghog -c /sys/fs/cgroup/vmtest -p touch" | run_plan -t 60
	# The daemon polls: give it a moment to see the counter move.
	sleep 3
	report_hook kernel-oom
}

# 8. A runaway that does not act on SIGTERM, like a process stuck in the kernel
# or stopped. "stuck" blocks SIGTERM, grows until MemAvailable is below
# STUCK_STOP_PERCENT of MemTotal and stops itself (hog -s): halfway between the
# daemons' SIGTERM floor (10 %) and SIGKILL floor (5 %), so that memory alone
# never calls for SIGKILL and only the kill timeout can. Two bystanders, the
# larger one next in line, must survive.
scenario_stuck_victim() {
	STUCK_STOP_PERCENT=7.5
	OOMGUARD_ARGS="-r 1 -m 10,5 --kill-timeout 2"
	EARLYOOM_ARGS="-r 1 -m 10,5"
	start_daemon
	run_plan -t 30 -q 3 <<-EOF
		second 0 /bin/hog -n second -m 64 -p touch
		small 0 /bin/hog -n small -m 8 -p touch
		stuck held /bin/hog -n stuck -s $STUCK_STOP_PERCENT -p touch
	EOF
	emit "stuck_stop_percent=$STUCK_STOP_PERCENT"
	# Whether this kernel has process_mrelease (5.15+), read from its
	# symbols rather than from the daemon's own probe; no key when the
	# kernel lists no syscalls there.
	if grep -q ' [Tt] __x64_sys_process_mrelease$' /proc/kallsyms 2>/dev/null; then
		emit "kernel_mrelease=1"
	elif grep -q ' [Tt] __x64_sys_pidfd_open$' /proc/kallsyms 2>/dev/null; then
		emit "kernel_mrelease=0"
	fi
}

# 9-15 run every daemon at its defaults (plus a report line a second): they
# hold the outcome a user gets without tuning anything.

# 9. A program that fits: it grows as fast as it can to 480 MiB of
# half-compressible data and holds it. 512 MiB of RAM plus a 256 MiB zram
# swap have room for it (zram ends well over half full, which the host
# checks: otherwise the scenario would not test what it claims); nothing
# may die. The quiet time gives a slow pressure rule its chance to misfire.
scenario_fits_zram() {
	setup_zram 256M || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	echo "fit 0 /bin/hog -n fit -m 480 -p half" | run_plan -t 150 -q 15
}

# 10. The same program with a 256 MiB swap on an ordinary (unthrottled) disk.
scenario_fits_disk() {
	setup_swap_disk || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	echo "fit 0 /bin/hog -n fit -m 480 -p half" | run_plan -t 150 -q 15
}

# 11. A short burst that ends by itself: "hold" keeps 150 MiB, then "burst"
# takes 300 MiB as fast as it can, holds it 2 s and exits 0. Together that
# is 450 MiB against about 440 MiB MemAvailable after boot, so the burst
# really swaps: more than the 10 MiB over, since zram's compressed copies
# take RAM too and the kernel keeps its watermarks free (hold's cold pages
# go first). A 350 MiB burst swapped 210-226 MiB, 82-88 % of the 256 MiB
# zram, so close to full that killing would be defensible; 300 MiB keeps it
# a clear fit. A rule that acts on pressure that is over, or on a moment of
# low MemAvailable with swap to spare, kills here.
scenario_burst() {
	setup_zram 256M || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	run_plan -t 90 -q 3 <<-EOF
		hold 0 /bin/hog -n hold -m 150 -p half
		burst held /bin/hog -n burst -m 300 -p half -e 2
	EOF
}

# 12. A slow leak with a zram disksize larger than RAM (1 GiB on 512 MiB, as
# zram-generator setups often have): SwapFree stays high while zram's
# compressed pages fill RAM, so a daemon that trusts SwapFree leaves it to
# the kernel's killer.
scenario_zram_big_leak() {
	setup_zram 1G || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	# Under TCG zram compresses only 6-9 MiB/s, which sets the leak's real
	# pace once RAM is full: without a daemon the kernel's killer came at
	# 148 s, so the run may last 200 s before it calls a survivor "alive".
	echo "leak 0 /bin/hog -n leak -r 20 -p half" | run_plan -t 200
}

# 13. A leak of 20 MiB/s into 1 GiB of swap on a slow disk (the host
# throttles /dev/vdb to a cheap VPS volume's speed and sizes it, see
# lib-vm.sh): once RAM is full every new page waits for the disk, and the
# guest stands still long before swap is full, about two minutes with a
# floors-only daemon. The host compares the full-stall time with earlyoom's.
scenario_slow_disk_leak() {
	setup_swap_disk || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	echo "leak 0 /bin/hog -n leak -r 20 -p half" | run_plan -t 360
}

# 14-15: RAM held by tmpfs, on /dev/shm, with no swap: no kill and no
# reclaim frees it. oomguard's floors are shares of min(MemAvailable +
# AnonPages, MemTotal), "user memory", as earlyoom's are since 1.8 (Debian
# 12's earlyoom 1.7 takes MemTotal, as oomguard 0.1 did).

# 14. A machine whose RAM is mostly tmpfs: /dev/shm is filled until only
# TMPFS_FIT_MIB + TMPFS_LEFT_MIB are available (about 300 MiB of tmpfs of
# the 457 MiB MemTotal), then "fit", an ordinary process of TMPFS_FIT_MIB,
# takes its share and holds it. MemAvailable ends about 35 MiB, 7.6 % of
# MemTotal (under the 10 % SIGTERM floor of a MemTotal daemon, above its 5 %
# SIGKILL floor) but 26 % of available + anon (131 MiB), far above 10 % of
# that. Killing fit would free its 96 MiB and leave the 300 MiB that are
# the real shortage in place, and the next program would meet the same
# floor: a MemTotal floor kills every program in turn. Nothing may die. The
# fill is sized from MemAvailable at that moment, so a larger kernel or
# initramfs does not move where the run ends.
TMPFS_FIT_MIB=96
TMPFS_LEFT_MIB=36
scenario_tmpfs_full() {
	setup_shm 400M || return
	avail_mib=$(($(meminfo_kib MemAvailable) / 1024))
	fill_shm fill $((avail_mib - TMPFS_FIT_MIB - TMPFS_LEFT_MIB)) || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	echo "fit 0 /bin/hog -n fit -m $TMPFS_FIT_MIB -p half" | run_plan -t 90 -q 20
}

# 15. Kills that free nothing: a 256 MiB shared segment in /dev/shm (half of
# RAM, as a database's shared buffers) mapped and touched whole by four
# workers, so each has 256 MiB of RSS (RssShmem, which the kernel's
# oom_badness counts) and ranks far above "anon", an ordinary process that
# then grows (to about 155 MiB) until MemAvailable is below
# SHM_ANON_PERCENT of available + anon (hog -u), halfway between the SIGTERM
# floor (10 %) and the SIGKILL floor (5 %), and holds. The daemon kills
# workers, but the segment stays (its file is still there): each kill gives
# back under 1 MiB (page tables), and MemAvailable stays under the floor.
# After three such kills oomguard must hold off for 60 s and kill no one in
# that time. The quiet time outlasts the hold, so the host sees what
# oomguard does once it ends (it kills the last worker, futile again, then
# anon, which ends the shortage). The kernel's killer has no reason to run:
# MemAvailable stays above its watermarks.
SHM_SEGMENT_MIB=256
SHM_ANON_PERCENT=7.5
scenario_shm_futile() {
	setup_shm 300M || return
	fill_shm segment "$SHM_SEGMENT_MIB" || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	start_daemon
	{
		for i in 1 2 3 4; do
			echo "holder$i 0 /bin/hog -n holder$i -f /dev/shm/segment -m $SHM_SEGMENT_MIB -p touch"
		done
		echo "anon held /bin/hog -n anon -u $SHM_ANON_PERCENT -p touch"
	} | run_plan -t 200 -q 80
	emit "shm_anon_percent=$SHM_ANON_PERCENT"
	emit "shmem_end_kib=$(meminfo_kib Shmem)"
}

# 16-20: container mode (#16). A memory cgroup /box whose memory.max,
# BOX_MAX_MIB, is a quarter of the guest's RAM: the box runs out while the
# machine as a whole keeps most of its memory free (the host checks that the
# machine's MemAvailable stayed >= 40 % of MemTotal), so only a daemon that
# watches the box's own figures can act before the kernel's memory-cgroup OOM
# killer does. cgroup v2 allows processes only in leaves once a controller is
# enabled below a cgroup: the workload runs in /box/work and, where oomguard
# runs inside the box, it runs in /box/guard. Each scenario runs oomguard at
# its default flags plus "-r 1"; cgroup-leak adds the one it is about,
# --cgroup /box. cgwatch (outside the box) records /box's memory.current and
# its memory.events oom_kill, the kernel's memcg kills, for the host.
CG_ROOT=/sys/fs/cgroup
BOX=$CG_ROOT/box
BOX_MAX_MIB=128

# The box and its two leaves, plus /bin/incg DIR PROGRAM ARGS..., which runs
# a program in cgroup DIR at oom_score_adj 0 (supervise's children inherit
# its -1000; hog sets its own), for programs that cannot join by themselves.
# $1: the box's memory.swap.max (default 0: no swap for the box). $2
# "later": leave /box's cgroup.subtree_control empty, so that a process can
# still join /box itself (scenario 20's container runtime) and enable the
# memory controller below it once it has moved into a leaf.
setup_box() {
	mkdir -p "$CG_ROOT"
	if ! mount -t cgroup2 none "$CG_ROOT" || ! echo +memory > "$CG_ROOT/cgroup.subtree_control" ||
		! mkdir "$BOX" || ! echo "${BOX_MAX_MIB}M" > "$BOX/memory.max" ||
		! mkdir "$BOX/work" "$BOX/guard"; then
		emit "error=setting up the memory cgroup $BOX failed"
		return 1
	fi
	if [ "${2:-}" != later ] && ! echo +memory > "$BOX/cgroup.subtree_control"; then
		emit "error=enabling memory below $BOX failed"
		return 1
	fi
	# Absent where the kernel does no swap accounting; the scenarios
	# without swap do not need it.
	[ -e "$BOX/memory.swap.max" ] && echo "${1:-0}" > "$BOX/memory.swap.max"
	cat > /bin/incg <<'EOF'
#!/bin/sh
echo $$ > "$1/cgroup.procs" || exit 126
echo 0 > /proc/self/oom_score_adj
shift
exec "$@"
EOF
	chmod +x /bin/incg
	emit "box=/box"
	emit "box_max_kib=$(($(cat "$BOX/memory.max") / 1024))"
	emit "box_swap_max=$(cat "$BOX/memory.swap.max" 2>/dev/null || echo none)"
}

start_cgwatch() {
	cgwatch "$BOX" >&9 2>/dev/console &
	CGWATCH_PID=$!
}

stop_cgwatch() {
	kill -TERM "$CGWATCH_PID" 2>/dev/null
	wait "$CGWATCH_PID"
	emit "cgwatch_status=$?"
}

# The workload of cgroup-leak and cgroup-inside: "bystander" holds 16 MiB in
# the box, then "leak" grows at 20 MiB/s (slow-leak's pace), in the box, until
# something kills it: about 5 s to the box's limit, with no swap.
cgroup_leak_plan() {
	run_plan -t 60 -q 5 <<-EOF
		bystander 0 /bin/hog -n bystander -c $BOX/work -m 16 -p touch
		leak held /bin/hog -n leak -c $BOX/work -r 20 -p half
	EOF
}

# 16. oomguard outside the box (root cgroup), told --cgroup /box.
scenario_cgroup_leak() {
	setup_box || return
	OOMGUARD_ARGS="-r 1 --cgroup /box"
	EARLYOOM_ARGS="-r 1"
	start_cgwatch
	start_daemon
	cgroup_leak_plan
	stop_cgwatch
}

# 17. oomguard inside the box, in /box/guard, with no cgroup flag: it must
# find /box's limit on its own cgroup path.
scenario_cgroup_inside() {
	setup_box || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	DAEMON_CGROUP=$BOX/guard
	start_cgwatch
	start_daemon
	cgroup_leak_plan
	stop_cgwatch
}

# 18. A box that fits, oomguard inside it as in 17: "hold" keeps
# CGFITS_HOLD_MIB (60 % of memory.max) of anonymous memory, then "reader"
# reads CGFITS_READ_MIB of /dev/vda (twice memory.max) CGFITS_PASSES times.
# Reads of a block device go through its page cache, charged to the box like
# any file's, and clean: the kernel reclaims it at the limit, so the box sits
# full (the host checks that memory.current reached >= 90 % of memory.max)
# while everything in it fits. Not tmpfs: shmem is charged too, but without
# swap nothing reclaims it. Nobody may die.
CGFITS_HOLD_MIB=77
CGFITS_READ_MIB=256
CGFITS_PASSES=3
scenario_cgroup_fits() {
	setup_box || return
	setup_disk || return
	cat > /bin/readloop <<'EOF'
#!/bin/sh
# readloop FILE MIB PASSES: read MIB of FILE PASSES times, then exit 0.
i=0
while [ $i -lt "$3" ]; do
	dd if="$1" of=/dev/null bs=1M count="$2" 2>/dev/null || exit 1
	i=$((i + 1))
done
EOF
	chmod +x /bin/readloop
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	DAEMON_CGROUP=$BOX/guard
	start_cgwatch
	start_daemon
	run_plan -t 150 -q 10 <<-EOF
		hold 0 /bin/hog -n hold -c $BOX/work -m $CGFITS_HOLD_MIB -p half
		reader held /bin/incg $BOX/work /bin/readloop /dev/vda $CGFITS_READ_MIB $CGFITS_PASSES
	EOF
	stop_cgwatch
	emit "cgfits_hold_mib=$CGFITS_HOLD_MIB"
	emit "cgfits_read_mib=$CGFITS_READ_MIB"
	emit "cgfits_passes=$CGFITS_PASSES"
}

# 19. A box that fits with swap: 256 MiB of zram, the box's memory.swap.max
# "max", and "fit" grows to CGFITS_ZRAM_MIB of half-compressible data, more
# than memory.max, and holds it; oomguard inside the box as in 17. What does
# not fit in the box's RAM goes to swap (the host checks that the box
# swapped at least CGFITS_ZRAM_MIB - BOX_MAX_MIB), which has room for it.
# Nobody may die.
CGFITS_ZRAM_MIB=176
scenario_cgroup_fits_zram() {
	setup_zram 256M || return
	setup_box max || return
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	DAEMON_CGROUP=$BOX/guard
	start_cgwatch
	start_daemon
	echo "fit 0 /bin/hog -n fit -c $BOX/work -m $CGFITS_ZRAM_MIB -p half" | run_plan -t 150 -q 15
	stop_cgwatch
	emit "cgfits_zram_mib=$CGFITS_ZRAM_MIB"
}

# 20. The real container: oomguard inside a cgroup namespace whose root is
# /box, as LXC, Docker (cgroupns=private, its default on cgroup v2) and
# Kubernetes run it; there /proc/self/cgroup reads "/guard" and the
# cgroup2 mount shows /box as its root "/", with /box's memory.max. The
# daemon's launcher joins /box while /box enables no controller below it
# yet; cgns then unshares the cgroup namespace (root: /box) and a mount
# namespace, mounts cgroup2 afresh, moves itself into /guard (/box/guard on
# the host), enables +memory in the root's subtree_control, as a container's
# init would, and execs oomguard with no cgroup flag. The workload is
# cgroup-leak's, after "other": outside the box, in /other (memory.max
# OTHER_MAX_MIB, no swap), a hog that the kernel's memory-cgroup OOM
# killer kills while oomguard runs, so that /proc/vmstat oom_kill moves
# once for a kill that is not the container's to report.
OTHER=$CG_ROOT/other
OTHER_MAX_MIB=32
other_oom_kill() {
	sed -n 's/^oom_kill //p' "$OTHER/memory.events" 2>/dev/null
}
scenario_cgroup_namespace() {
	setup_box 0 later || return
	if ! mkdir "$OTHER" || ! echo "${OTHER_MAX_MIB}M" > "$OTHER/memory.max"; then
		emit "error=setting up the memory cgroup $OTHER failed"
		return
	fi
	[ -e "$OTHER/memory.swap.max" ] && echo 0 > "$OTHER/memory.swap.max"
	emit "other_max_kib=$(($(cat "$OTHER/memory.max") / 1024))"
	emit "other.oom_kill_start=$(other_oom_kill)"
	OOMGUARD_ARGS="-r 1"
	EARLYOOM_ARGS="-r 1"
	DAEMON_CGROUP=$BOX
	DAEMON_WRAP="/bin/cgns -m /guard -s +memory"
	start_cgwatch
	start_daemon
	# What cgns left: memory enabled below /box (else, with no daemon,
	# enable it here), and the daemon in a cgroup namespace of its own.
	emit "box_subtree_control=$(cat "$BOX/cgroup.subtree_control")"
	grep -qw memory "$BOX/cgroup.subtree_control" || echo +memory > "$BOX/cgroup.subtree_control"
	if [ -n "$DAEMON_PID" ]; then
		emit "daemon_cgroupns=$(readlink "/proc/$DAEMON_PID/ns/cgroup")"
		emit "init_cgroupns=$(readlink /proc/self/ns/cgroup)"
	fi
	run_plan -t 60 -q 5 <<-EOF
		other 0 /bin/hog -n other -c $OTHER -p touch
		bystander dead:other /bin/hog -n bystander -c $BOX/work -m 16 -p touch
		leak held /bin/hog -n leak -c $BOX/work -r 20 -p half
	EOF
	stop_cgwatch
	emit "other.oom_kill_end=$(other_oom_kill)"
}

# The host boots this first to learn whether an accelerator really works, and
# how fast the serial port carrying the daemon's log is.
scenario_probe() {
	start=$(cut -d' ' -f1 /proc/uptime)
	head -c 65536 /dev/zero | tr '\0' 'x' > /dev/ttyS2
	emit "serial_64k_s=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { print b - a }')"
	emit "probe=ok"
}

# --- main -------------------------------------------------------------------

boot
emit "scenario=$SCENARIO"
emit "mode=$MODE"
emit "kernel=$(uname -r)"
emit "boot_s=$(cut -d' ' -f1 /proc/uptime)"
emit "psi=$([ -r /proc/pressure/memory ] && echo 1 || echo 0)"
emit "boot_id=$(cat /proc/sys/kernel/random/boot_id)"
if [ -n "$STATE_DEV" ]; then
	setup_state_disk || STATE_DEV=
fi
if [ "$MODE" = history ]; then
	# A later boot on the same state disk: read what the last one left.
	[ -n "$STATE_DEV" ] && report_history
	finish
fi
case "$SCENARIO" in
fast-hog | slow-leak | many-growers | protected | thrash | self | kernel-oom | stuck-victim | \
	fits-zram | fits-disk | burst | zram-big-leak | slow-disk-leak | tmpfs-full | shm-futile | \
	cgroup-leak | cgroup-inside | cgroup-fits | cgroup-fits-zram | cgroup-namespace | probe)
	"scenario_$(echo "$SCENARIO" | tr - _)"
	stop_daemon
	report_kernel
	# The same boot's view, to tell "never written" from "lost in the
	# crash" when the next boot finds nothing.
	[ "$MODE" = oomguard ] && [ -n "$STATE_DEV" ] && report_history
	;;
*)
	emit "error=unknown scenario $SCENARIO"
	;;
esac
finish
