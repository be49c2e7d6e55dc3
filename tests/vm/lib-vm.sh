# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shared host side of oomguard's VM tests, sourced by run-vm-tests.sh and
# bench-vm.sh: finds the tools, fetches Debian's kernel, builds the initramfs,
# picks KVM or TCG and boots one scenario. Every qemu run goes through vm_boot,
# the one place that knows the command line and the time limit.
#
# Knobs (environment):
#   OOMGUARD_VM_CACHE      kernel cache (default ~/.cache/oomguard-vm)
#   OOMGUARD_VM_ACCEL      auto (default), kvm or tcg
#   OOMGUARD_VM_MEM_MIB    guest RAM (default 512; the scenarios' sizes assume it)
#   OOMGUARD_VM_SMP        guest CPUs (default 2)
#   OOMGUARD_VM_KEEP       1: keep the work directory even when all passed
#   OOMGUARD_VM_DAEMON_ARGS extra oomguard arguments for every scenario (e.g. -d)
#   OOMGUARD_VM_MAX_RSS_KIB scenario "self": largest VmRSS allowed (default 10240)
#   OOMGUARD_VM_STALL_MAX_PERCENT scenarios "thrash" and "slow-disk-leak": full-stall
#                          time allowed with oomguard, in % of earlyoom's in the same
#                          run (default 20: "at most a fifth")
#   OOMGUARD_VM_EARLYOOM   earlyoom binary to compare with (default: Debian's earlyoom
#                          package, fetched with apt-get download into the cache and
#                          unpacked there, never installed on the host)
#   OOMGUARD_VM_MKE2FS     mke2fs for the state disk (default: mke2fs in PATH,
#                          /sbin or /usr/sbin; e2fsprogs)
#   OOMGUARD_VM_SWAP_BPS, OOMGUARD_VM_SWAP_IOPS  throttle of scenario "slow-disk-leak"'s
#                          swap disk (default 8 MiB/s, 100 IOPS)

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${OOMGUARD_VM_CACHE:-${HOME:-/tmp}/.cache/oomguard-vm}
VM_MEM_MIB=${OOMGUARD_VM_MEM_MIB:-512}
VM_SMP=${OOMGUARD_VM_SMP:-2}
VM_EARLYOOM=${OOMGUARD_VM_EARLYOOM:-}
# Kernel modules the scenarios load, with their dependencies: zram for swap,
# virtio for the disk that scenario "thrash" reads as its file working set and
# for the swap disk of the "fits-disk" and "slow-disk-leak" scenarios; ext4
# for the root disk of tests/vm/systemd, whose initramfs mounts it, and for
# the state disk (/dev/vdc) that holds oomguard's history across boots of
# the busybox guest; crc32c_generic, which ext4 asks the crypto API for at
# mount ("Cannot load crc32c driver" without it): a soft dependency that
# modinfo's depends= does not list.
VM_MODULES="zram virtio_pci virtio_blk ext4 crc32c_generic"
# What a cached kernel directory holds; a harness that changes it re-unpacks
# from the cached .deb instead of trusting an old layout.
VM_CACHE_STAMP="vmlinux modules: $VM_MODULES"
VM_ALL_SCENARIOS="fast-hog slow-leak many-growers protected thrash self kernel-oom stuck-victim fits-zram fits-disk burst zram-big-leak slow-disk-leak tmpfs-full shm-futile cgroup-leak cgroup-inside cgroup-fits cgroup-fits-zram cgroup-namespace"
# The disk that swap-on-disk scenarios mkswap in the guest (/dev/vdb); every
# boot gets a fresh sparse one, so no boot sees another's pages. Its size is
# per scenario, see vm_scenario_swap_mib.
# Scenario "slow-disk-leak" swaps to a disk as slow as a cheap VPS's network
# block volume at its baseline: such volumes are sold by the IOPS and MB/s,
# and a small one (or a burst-credit volume whose credits ran out; gp2-like
# volumes floor at 100 IOPS) gives about 100 IOPS and under 10 MiB/s.
# 8 MiB/s is well below the 20 MiB/s leak, so the disk, not the leak, sets
# the pace once RAM is full. IOPS matter more than MiB/s here: the guest
# queues swap writes far ahead of the disk (SwapFree falls faster than the
# disk writes), and the earlyoom comparison needs a freeze as long as users
# of such machines report. Measured full stall with earlyoom under TCG:
# 12 MiB/s + 200 IOPS 15 s, 8 + 200 18 s, 8 + 100 25 s, 4 + 100 46 s.
VM_SWAP_BPS=${OOMGUARD_VM_SWAP_BPS:-$((8 * 1024 * 1024))}
VM_SWAP_IOPS=${OOMGUARD_VM_SWAP_IOPS:-100}
# A guest of another shape (tests/vm/systemd: systemd on a disk) sets these
# after sourcing: its own initramfs, and its -drive values instead of the
# scenario disks (then no swap image is made).
VM_BOOT_INITRD=
VM_BOOT_DRIVES=()

# A boot's state disk (/dev/vdc): an ext4 image that vm_state_disk_new made
# and that the caller sets here before vm_boot, and keeps for a second boot
# to read what the first left; empty: no third disk.
VM_STATE_DISK=

vm_log() {
	printf '%s\n' "$*" >&2
}

# meson reads exit status 77 as "skipped": one line saying why, then stop.
vm_skip() {
	[ -n "${VM_WORK:-}" ] && rm -rf "$VM_WORK"
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# 99 is meson's "hard error": the harness itself broke, not oomguard.
vm_fail_harness() {
	printf 'ERROR: %s\n' "$*"
	exit 99
}

# Maps a scenario number or name to its name; empty when unknown.
vm_scenario_name() {
	local i=1 name
	for name in $VM_ALL_SCENARIOS; do
		if [ "$1" = "$i" ] || [ "$1" = "$name" ]; then
			echo "$name"
			return
		fi
		i=$((i + 1))
	done
}

# Upper bound for one boot of a scenario, in seconds; normal runs under TCG
# take a fifth of it.
vm_scenario_limit() {
	case "$1" in
	fast-hog | kernel-oom | stuck-victim | burst) echo 120 ;;
	self | zram-big-leak | shm-futile) echo 240 ;;
	slow-disk-leak) echo 420 ;;
	*) echo 180 ;;
	esac
}

# Size of the swap disk of a scenario, in MiB. "slow-disk-leak" has 1 GiB,
# twice RAM, as the old rule of thumb many VPS images still follow: a leak
# and a workload that fits look alike until the leak has moved more into
# swap than the fitting one does (fits-disk moves 14-17 % of RAM), so the
# freeze any daemon can save is what a swap larger than that would cost. On
# 1 GiB at 8 MiB/s earlyoom leaves the guest frozen for about two minutes.
vm_scenario_swap_mib() {
	case "$1" in
	slow-disk-leak) echo 1024 ;;
	*) echo 256 ;;
	esac
}

# qemu -drive options of the swap disk for a scenario: throttled for
# "slow-disk-leak", the host's own speed for the others.
vm_scenario_swap_drive() {
	case "$1" in
	slow-disk-leak) echo ",throttling.bps-total=$VM_SWAP_BPS,throttling.iops-total=$VM_SWAP_IOPS" ;;
	esac
}

vm_check_tools() {
	command -v qemu-system-x86_64 >/dev/null ||
		vm_skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
	command -v timeout >/dev/null || vm_skip "timeout(1) not found"
	VM_BUSYBOX=$(command -v busybox) ||
		vm_skip "busybox not found (apt-get install busybox-static)"
	VM_CC=${CC:-cc}
	command -v "$VM_CC" >/dev/null || vm_skip "no C compiler ($VM_CC) for the guest's test programs"
	# Guest programs are static so they need no libraries; that needs libc.a.
	local probe
	probe=$(mktemp -d)
	printf 'int main(void) { return 0; }\n' >"$probe/t.c"
	if ! "$VM_CC" -static -o "$probe/t" "$probe/t.c" 2>/dev/null; then
		rm -rf "$probe"
		vm_skip "$VM_CC -static does not link (apt-get install libc6-dev)"
	fi
	rm -rf "$probe"
}

# Prints "depends=" from a module's .modinfo section, as module names.
vm_module_depends() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | tr ',' ' '
}

# Writes MODULE's dependencies, then MODULE, uncompressed into $dest and
# their names into the file $order, each once. $index maps names to files.
vm_module_closure() {
	local name=$1 file dep
	grep -qx "$name.ko" "$order" 2>/dev/null && return 0
	file=$(awk -v n="$name" '$1 == n { print $2; exit }' "$index")
	[ -n "$file" ] || { vm_log "kernel module $name not found in the package"; return 1; }
	# Debian 12 ships plain .ko; later releases compress them, and busybox
	# insmod cannot be trusted to read that, so the guest gets plain files.
	case "$file" in
	*.ko.xz) xz -dc "$file" ;;
	*.ko.zst) zstd -qdc "$file" ;;
	*.ko.gz) gzip -dc "$file" ;;
	*) cat "$file" ;;
	esac >"$dest/$name.ko" || return 1
	for dep in $(vm_module_depends "$dest/$name.ko"); do
		vm_module_closure "$dep" || return 1
	done
	echo "$name.ko" >>"$order"
}

# Copies the modules of $VM_MODULES and their dependencies out of the unpacked
# package tree $1 into $2, and writes NAME.order beside them: the load order.
vm_extract_modules() {
	local tree=$1 dest=$2 index order m
	index=$(mktemp)
	mkdir -p "$dest"
	# modinfo's "depends=" spells module names with underscores.
	find "$tree"/lib/modules "$tree"/usr/lib/modules -name '*.ko*' 2>/dev/null |
		awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n); print n, $0 }' >"$index"
	for m in $VM_MODULES; do
		order="$dest/$m.order"
		: >"$order"
		vm_module_closure "$m" || { rm -f "$index"; return 1; }
	done
	rm -f "$index"
}

# Writes the ELF vmlinux inside bzImage $1 to $2; returns non-zero when it
# cannot. QEMU boots such an ELF directly through its PVH entry point, which
# skips the kernel's self-decompression: under TCG that alone takes about 5 s
# of every boot.
vm_unpack_vmlinux() {
	local bzimage=$1 out=$2 magic tool offset
	for magic in xz zstd gzip; do
		case $magic in
		xz) offset=$(LC_ALL=C grep -obUa $'\xfd7zXZ' "$bzimage") tool="xz -dc --single-stream" ;;
		zstd) offset=$(LC_ALL=C grep -obUa $'\x28\xb5\x2f\xfd' "$bzimage") tool="zstd -qdc" ;;
		gzip) offset=$(LC_ALL=C grep -obUa $'\x1f\x8b\x08' "$bzimage") tool="gzip -dc" ;;
		esac
		offset=${offset%%:*}
		[ -n "$offset" ] || continue
		command -v "${tool%% *}" >/dev/null || continue
		tail -c +$((offset + 1)) "$bzimage" | $tool >"$out" 2>/dev/null
		[ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && return 0
	done
	rm -f "$out"
	return 1
}

# Finds or fetches Debian's current amd64 kernel; sets VM_KERNEL (the image to
# boot) and VM_MODDIR (modules plus .order files). Skips when it cannot be had.
vm_fetch_kernel() {
	local pkg deb tree kdir
	mkdir -p "$VM_CACHE" || vm_skip "cannot create kernel cache $VM_CACHE"
	# The metapackage names today's ABI; resolving it here means a kernel
	# security update is picked up without editing the harness.
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		# No apt lists (or not Debian): fall back to what an earlier run cached.
		kdir=$(find "$VM_CACHE" -maxdepth 1 -type d -name 'linux-image-*' | sort -V | tail -n 1)
		if [ -z "$kdir" ] || [ ! -f "$kdir/ready" ]; then
			vm_skip "cannot resolve linux-image-amd64 (apt-get update?) and no kernel cached in $VM_CACHE"
		fi
		pkg=$(basename "$kdir")
	fi
	kdir="$VM_CACHE/$pkg"
	# Two runs sharing the cache must not unpack over each other.
	local lock_fd
	if command -v flock >/dev/null; then
		exec {lock_fd}>"$VM_CACHE/.lock" && flock "$lock_fd"
	fi
	if [ ! -f "$kdir/ready" ] || [ "$(cat "$kdir/ready")" != "$VM_CACHE_STAMP" ]; then
		deb=$(find "$VM_CACHE" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
		if [ -z "$deb" ]; then
			vm_log "fetching $pkg into $VM_CACHE"
			(cd "$VM_CACHE" && apt-get download "$pkg") >"$VM_CACHE/apt-get.log" 2>&1 ||
				vm_skip "apt-get download $pkg failed (see $VM_CACHE/apt-get.log)"
			deb=$(find "$VM_CACHE" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
			[ -n "$deb" ] || vm_skip "apt-get download $pkg left no .deb in $VM_CACHE"
		fi
		command -v dpkg-deb >/dev/null || vm_skip "dpkg-deb not found, cannot unpack $deb"
		tree=$(mktemp -d "$VM_CACHE/unpack.XXXXXX")
		dpkg-deb -x "$deb" "$tree" || { rm -rf "$tree"; vm_skip "dpkg-deb -x $deb failed"; }
		rm -rf "$kdir"
		mkdir -p "$kdir"
		if ! cp "$tree"/boot/vmlinuz-* "$kdir/vmlinuz" ||
			! vm_extract_modules "$tree" "$kdir/modules"; then
			rm -rf "$tree" "$kdir"
			vm_fail_harness "unpacking $deb failed"
		fi
		vm_unpack_vmlinux "$kdir/vmlinuz" "$kdir/vmlinux" ||
			vm_log "cannot unpack vmlinux from the bzImage; booting it compressed (slower)"
		rm -rf "$tree"
		echo "$VM_CACHE_STAMP" >"$kdir/ready"
		# Older kernels are dead weight once the current one is ready.
		find "$VM_CACHE" -maxdepth 1 -name 'linux-image-*' ! -name "${pkg}*" -exec rm -rf {} +
	fi
	[ -n "$lock_fd" ] && exec {lock_fd}>&-
	VM_KERNEL="$kdir/vmlinuz"
	[ -f "$kdir/vmlinux" ] && VM_KERNEL="$kdir/vmlinux"
	VM_MODDIR="$kdir/modules"
	VM_KERNEL_PKG=$pkg
}

# Finds earlyoom for the comparisons: $OOMGUARD_VM_EARLYOOM, or /usr/bin/earlyoom
# out of Debian's package, fetched with apt-get download into the cache and
# unpacked with dpkg-deb like the kernel (installing it would start a live
# OOM killer on the host). Sets VM_EARLYOOM, or leaves it empty and says why
# in VM_EARLYOOM_WHY: the suite then fails the checks that need it rather
# than skipping, since a comparison that cannot run must not pass.
vm_fetch_earlyoom() {
	local deb tree dir ver
	VM_EARLYOOM_WHY=
	VM_EARLYOOM_VERSION=
	if [ -n "${OOMGUARD_VM_EARLYOOM:-}" ]; then
		VM_EARLYOOM=$OOMGUARD_VM_EARLYOOM
		if [ ! -x "$VM_EARLYOOM" ]; then
			VM_EARLYOOM_WHY="OOMGUARD_VM_EARLYOOM=$VM_EARLYOOM is not executable"
			VM_EARLYOOM=
		fi
		return 0
	fi
	ver=$(apt-cache policy earlyoom 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1)
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		# No apt lists: an earlier run's copy will do.
		dir=$(find "$VM_CACHE" -maxdepth 1 -type d -name 'earlyoom-*' | sort -V | tail -n 1)
		if [ -n "$dir" ] && [ -x "$dir/earlyoom" ]; then
			VM_EARLYOOM=$dir/earlyoom
		else
			VM_EARLYOOM_WHY="apt-cache knows no earlyoom package (apt-get update?) and none is cached in $VM_CACHE"
		fi
		return 0
	fi
	dir="$VM_CACHE/earlyoom-${ver//[:\/]/_}"
	if [ ! -x "$dir/earlyoom" ]; then
		local lock_fd=
		if command -v flock >/dev/null; then
			exec {lock_fd}>"$VM_CACHE/.lock" && flock "$lock_fd"
		fi
		deb=$(find "$VM_CACHE" -maxdepth 1 -name "earlyoom_${ver#*:}_*.deb" | head -n 1)
		if [ -z "$deb" ]; then
			vm_log "fetching earlyoom $ver into $VM_CACHE"
			rm -f "$VM_CACHE"/earlyoom_*.deb
			(cd "$VM_CACHE" && apt-get download "earlyoom=$ver") >"$VM_CACHE/apt-get-earlyoom.log" 2>&1 ||
				VM_EARLYOOM_WHY="apt-get download earlyoom failed (see $VM_CACHE/apt-get-earlyoom.log)"
			deb=$(find "$VM_CACHE" -maxdepth 1 -name 'earlyoom_*.deb' | head -n 1)
		fi
		tree=$(mktemp -d "$VM_CACHE/unpack.XXXXXX")
		if [ -z "$VM_EARLYOOM_WHY" ]; then
			if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$tree" || [ ! -x "$tree/usr/bin/earlyoom" ]; then
				VM_EARLYOOM_WHY="cannot unpack /usr/bin/earlyoom from ${deb:-the earlyoom package}"
			else
				find "$VM_CACHE" -maxdepth 1 -type d -name 'earlyoom-*' -exec rm -rf {} +
				mkdir -p "$dir" && cp "$tree/usr/bin/earlyoom" "$dir/earlyoom"
			fi
		fi
		rm -rf "$tree"
		[ -n "$lock_fd" ] && exec {lock_fd}>&-
		[ -z "$VM_EARLYOOM_WHY" ] || return 0
	fi
	VM_EARLYOOM=$dir/earlyoom
	VM_EARLYOOM_VERSION=$ver
}

# Copies an executable and, for a dynamic one, every library ldd lists plus
# the loader, to the same paths under the root $3.
vm_copy_with_libs() {
	local src=$1 dest=$2 root=$3 lib
	install -D -m 0755 "$src" "$root$dest" || return 1
	# ldd prints "libx.so => /path (0x...)" or, for the loader, "/path (0x...)".
	for lib in $(ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib" || return 1
	done
	if ldd "$src" 2>/dev/null | grep -q 'not found'; then
		vm_log "$src: a library is missing: $(ldd "$src" | grep 'not found' | head -n 1)"
		return 1
	fi
}

# Builds $VM_WORK/initramfs.cpio around the oomguard binary $1.
vm_build_initramfs() {
	local oomguard=$1 root="$VM_WORK/root" prog
	rm -rf "$root"
	mkdir -p "$root"/{bin,etc,modules,proc,sys,dev,tmp}
	# oomguard drops CAP_DAC_OVERRIDE, and when a non-root user builds the
	# archive the guest's files belong to that uid: hooks still write here.
	chmod 1777 "$root/tmp"
	vm_copy_with_libs "$VM_BUSYBOX" /bin/busybox "$root" || vm_fail_harness "cannot copy busybox"
	vm_copy_with_libs "$oomguard" /bin/oomguard "$root" || vm_fail_harness "cannot copy $oomguard and its libraries"
	# Read by both scripts: the suite needs earlyoom for its stall
	# comparisons, the benchmark for its third column.
	# shellcheck disable=SC2034
	VM_HAVE_EARLYOOM=0
	if [ -n "$VM_EARLYOOM" ]; then
		if vm_copy_with_libs "$VM_EARLYOOM" /bin/earlyoom "$root"; then
			# shellcheck disable=SC2034
			VM_HAVE_EARLYOOM=1
		else
			VM_EARLYOOM_WHY="cannot copy $VM_EARLYOOM and its libraries into the guest"
		fi
	fi
	for prog in hog thrash supervise cgwatch cgns; do
		"$VM_CC" -static -O2 -Wall -Wextra -Werror -o "$root/bin/$prog" "$VM_DIR/guest/$prog.c" ||
			vm_fail_harness "cannot build guest program $prog"
	done
	install -m 0755 "$VM_DIR/guest/init.sh" "$root/init"
	cp "$VM_MODDIR"/* "$root/modules/"
	cat >"$root/etc/vm-test.conf" <<-EOF
		OOMGUARD_EXTRA_ARGS='${OOMGUARD_VM_DAEMON_ARGS:-}'
		MAX_RSS_KIB='${OOMGUARD_VM_MAX_RSS_KIB:-10240}'
	EOF
	# Uncompressed: the kernel unpacks it fastest, and it is only a few MiB.
	(cd "$root" && find . | "$VM_BUSYBOX" cpio -o -H newc 2>/dev/null) >"$VM_WORK/initramfs.cpio" ||
		vm_fail_harness "cpio failed"
	# The file working set of scenario "thrash": sparse, so it costs no disk.
	truncate -s 512M "$VM_WORK/disk.img"
}

# Makes a fresh ext4 image $1 for /dev/vdc, sparse, 16 MiB: the history
# files oomguard keeps are bounded at 2 x 128 KiB. Made on the host with
# mke2fs, so the guest needs only the ext4 module, not a mkfs of its own.
# Returns non-zero (and says why in VM_STATE_WHY) when it cannot be made.
# Read by run-vm-tests.sh when a check needs the disk.
# shellcheck disable=SC2034
vm_state_disk_new() {
	local mke2fs=${OOMGUARD_VM_MKE2FS:-}
	VM_STATE_WHY=
	if [ -z "$mke2fs" ] && ! mke2fs=$(PATH=$PATH:/sbin:/usr/sbin command -v mke2fs); then
		VM_STATE_WHY="no mke2fs on the host for the state disk (apt-get install e2fsprogs)"
		return 1
	fi
	rm -f "$1"
	if ! truncate -s 16M "$1" || ! "$mke2fs" -q -F -t ext4 -L oomguard-state "$1" >"$1.log" 2>&1; then
		VM_STATE_WHY="$mke2fs -t ext4 $1 failed: $(head -n 1 "$1.log" 2>/dev/null)"
		return 1
	fi
	rm -f "$1.log"
}

# Boots one scenario. Usage: vm_boot RUN_NAME SCENARIO MODE TIMEOUT_S
# Leaves console.log, results.txt and daemon.log in $VM_WORK/RUN_NAME and
# returns qemu's status (124 when the time limit stopped it).
vm_boot() {
	local name=$1 scenario=$2 mode=$3 limit=$4 dir="$VM_WORK/$1" accel
	mkdir -p "$dir"
	rm -f "$dir"/{console.log,results.txt,daemon.log}
	local initrd=${VM_BOOT_INITRD:-$VM_WORK/initramfs.cpio} drives=("${VM_BOOT_DRIVES[@]}") drive
	local state_word=
	if [ "${#drives[@]}" -eq 0 ]; then
		# A fresh, sparse swap disk: only what a boot swaps out costs host
		# disk, and no boot sees another's pages.
		rm -f "$VM_WORK/swap.img"
		truncate -s "$(vm_scenario_swap_mib "$scenario")M" "$VM_WORK/swap.img"
		drives=("file=$VM_WORK/disk.img,format=raw,if=virtio,readonly=on"
			"file=$VM_WORK/swap.img,format=raw,if=virtio$(vm_scenario_swap_drive "$scenario")")
		# The state disk, third so that it is /dev/vdc, and the kernel
		# command line word that has the guest mount it.
		if [ -n "$VM_STATE_DISK" ]; then
			drives+=("file=$VM_STATE_DISK,format=raw,if=virtio")
			state_word=" oomguard.state=vdc"
		fi
	fi
	local drive_args=()
	for drive in "${drives[@]}"; do
		drive_args+=(-drive "$drive")
	done
	case "$VM_ACCEL" in
	kvm) accel=(-accel kvm -cpu host) ;;
	*) accel=(-accel tcg -cpu max) ;;
	esac
	# panic=-1 plus -no-reboot: a guest crash ends qemu at once instead of
	# waiting for the time limit. loglevel=4 keeps the kernel's OOM task dumps
	# off the serial console: printing them there is slow and would stall the
	# very guest being measured (they stay in dmesg).
	timeout -k 5 "$limit" qemu-system-x86_64 \
		"${accel[@]}" -m "$VM_MEM_MIB" -smp "$VM_SMP" \
		-nodefaults -no-user-config -no-reboot -display none \
		-kernel "$VM_KERNEL" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=4 panic=-1 oops=panic psi=1 oomguard.scenario=$scenario oomguard.mode=$mode$state_word" \
		-serial "file:$dir/console.log" \
		-serial "file:$dir/results.txt" \
		-serial "file:$dir/daemon.log" \
		"${drive_args[@]}" \
		</dev/null >"$dir/qemu.log" 2>&1
	local status=$?
	# The serial port keeps the guest's \r\n; the parsers want plain lines.
	sed -i 's/\r$//' "$dir/results.txt" "$dir/daemon.log" 2>/dev/null
	return $status
}

# Value of KEY in a results file (the last one wins), or $3 when absent.
vm_get() {
	awk -F= -v k="$2" -v d="${3-}" '
		$1 == k { v = substr($0, length(k) + 2); found = 1 }
		END { print found ? v : d }' "$1"
}

# Decides between KVM and TCG. KVM must be advertised by the CPU flags (a
# /dev/kvm node alone proves nothing: without nested virtualisation a guest
# hangs in early boot instead of failing), usable, and must boot a probe
# guest within a short limit. Also proves the initramfs boots at all.
vm_pick_accel() {
	local want=${OOMGUARD_VM_ACCEL:-auto} started
	VM_ACCEL=tcg
	if [ "$want" != tcg ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		VM_ACCEL=kvm
		started=$(date +%s)
		if vm_boot probe-kvm probe oomguard 30 && [ "$(vm_get "$VM_WORK/probe-kvm/results.txt" probe)" = ok ]; then
			VM_PROBE="$VM_WORK/probe-kvm/results.txt"
			vm_log "accelerator: kvm (probe booted in $(($(date +%s) - started)) s)"
			return 0
		fi
		vm_log "accelerator: kvm advertised but the probe guest did not boot within 30 s; using tcg"
		VM_ACCEL=tcg
	elif [ "$want" = kvm ]; then
		vm_skip "OOMGUARD_VM_ACCEL=kvm but the CPU shows no vmx/svm or /dev/kvm is not usable"
	fi
	started=$(date +%s)
	vm_boot probe-tcg probe oomguard 90
	VM_PROBE="$VM_WORK/probe-tcg/results.txt"
	if [ "$(vm_get "$VM_PROBE" probe)" != ok ]; then
		vm_log "--- console of the probe guest (last 30 lines) ---"
		tail -n 30 "$VM_WORK/probe-tcg/console.log" >&2
		cat "$VM_WORK/probe-tcg/qemu.log" >&2
		vm_fail_harness "the probe guest did not boot under tcg (work dir $VM_WORK)"
	fi
	vm_log "accelerator: tcg (probe booted and powered off in $(($(date +%s) - started)) s," \
		"kernel at init after $(vm_get "$VM_PROBE" boot_s) s)"
}

# Common set-up for both scripts: tools, kernel, work dir, initramfs, accel.
vm_setup() {
	local oomguard=$1
	[ -x "$oomguard" ] || { echo "ERROR: $oomguard is not an executable oomguard binary"; exit 99; }
	vm_check_tools
	vm_fetch_kernel
	vm_fetch_earlyoom
	if [ -n "$VM_EARLYOOM" ]; then
		vm_log "earlyoom: $VM_EARLYOOM${VM_EARLYOOM_VERSION:+ (Debian $VM_EARLYOOM_VERSION)}"
	else
		vm_log "earlyoom: none ($VM_EARLYOOM_WHY)"
	fi
	VM_WORK=$(mktemp -d "${TMPDIR:-/tmp}/oomguard-vm.XXXXXX")
	vm_log "kernel: $VM_KERNEL_PKG; work dir: $VM_WORK"
	vm_build_initramfs "$oomguard"
	vm_pick_accel
}
