#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the root disk of the systemd VM scenario: a minimal Debian with
# systemd as PID 1, as an ext4 image made without mounting anything.
#
#   tests/vm/systemd/build-rootfs.sh IMAGE SUITE MIRROR [LOG]
#
# run-systemd-vm.sh calls this once and caches IMAGE under a name that holds
# the hash of this file, so any change here (the package list, the driver
# unit) builds a new image; nothing else needs to know. Needs root (for
# debootstrap and chroot) and the Debian mirror; a few minutes the first time.
# Exit status: 0 built, 1 failed (debootstrap's log is in LOG).
set -euo pipefail

# minbase is apt, dpkg and the essential set; this adds what a Debian server
# with systemd has and what oomguard's package needs at install and run time:
# systemd-sysv makes systemd PID 1, udev names the disks, dbus is what
# systemctl and hooks talk through on a real machine, init-system-helpers
# runs the package's postinst (deb-systemd-helper enables the unit),
# libcap2 and libsystemd0 are its shared libraries.
PACKAGES=systemd,systemd-sysv,udev,dbus,init-system-helpers,libcap2,libsystemd0
# Sparse: about 300 MiB of it is used.
IMAGE_SIZE=1G

if [ $# -lt 3 ]; then
	echo "usage: $0 IMAGE SUITE MIRROR [LOG]" >&2
	exit 2
fi
image=$1 suite=$2 mirror=$3 log=${4:-/dev/stderr}

tree=$(mktemp -d "$(dirname "$image")/rootfs.XXXXXX")
trap 'rm -rf "$tree" "$image.tmp"' EXIT

debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$tree" "$mirror" >>"$log" 2>&1

echo oomguard-vm >"$tree/etc/hostname"
# The initramfs mounts the root read-write, so nothing checks it at boot.
# The second disk holds this run's package, test program and guest script.
cat >"$tree/etc/fstab" <<-'FSTAB'
	/dev/vda  /            ext4  rw,errors=remount-ro  0 0
	/dev/vdb  /mnt/vmtest  ext4  ro,nofail,x-systemd.device-timeout=30s  0 0
FSTAB
mkdir -p "$tree/mnt/vmtest"
# One machine id for both boots of a run, so that they are one machine's
# boots (journalctl --list-boots), not two first boots.
chroot "$tree" systemd-machine-id-setup >>"$log" 2>&1
# A root login on the serial console without a password, to look around by
# hand in a kept image (the guest has no network).
chroot "$tree" passwd -d root >>"$log" 2>&1

# The driver: once the system is up, run the scenario from the second disk.
# After multi-user.target, so that the boot is complete when it starts.
cat >"$tree/etc/systemd/system/oomguard-vmtest.service" <<-'UNIT'
	[Unit]
	Description=oomguard VM scenario (tests/vm/systemd/guest.sh)
	After=multi-user.target
	RequiresMountsFor=/mnt/vmtest

	[Service]
	Type=oneshot
	ExecStart=/bin/sh /mnt/vmtest/guest.sh
	StandardOutput=journal+console
	StandardError=journal+console
	TimeoutStartSec=infinity

	[Install]
	WantedBy=multi-user.target
UNIT
ln -s ../oomguard-vmtest.service "$tree/etc/systemd/system/multi-user.target.wants/oomguard-vmtest.service"

# As on the cloud images of small VPSes (and unlike a Debian installed from
# scratch), the journal lives in /run only: what the first boot logged is
# gone after the reboot, and oomguard --history is the record that must last.
rm -rf "$tree/var/log/journal"

# Downloaded packages and lists are dead weight in the image.
chroot "$tree" apt-get clean >>"$log" 2>&1
rm -rf "$tree"/var/lib/apt/lists/* "$tree"/var/cache/apt/*.bin

mke2fs -q -t ext4 -L oomguard-root -d "$tree" "$image.tmp" "$IMAGE_SIZE" >>"$log" 2>&1
mv "$image.tmp" "$image"
