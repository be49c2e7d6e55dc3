#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash
#
# PID 1 of the systemd scenario's initramfs: load the disk and ext4 modules
# (Debian builds them as modules, and the guest's root has no
# /lib/modules), mount /dev/vda and hand over to its systemd. Any failure
# says why on the console and ends init: with panic=-1 and -no-reboot the
# kernel's panic then ends qemu at once rather than at the time limit.

/bin/busybox --install -s /bin
export PATH=/bin

die() {
	echo "initramfs: $*" >/dev/console
	exit 1
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# NAME.order lists NAME.ko after its dependencies, as the host wrote them.
for list in virtio_pci virtio_blk ext4 crc32c_generic; do
	[ -f "/modules/$list.order" ] || die "no /modules/$list.order"
	# shellcheck disable=SC2013
	for ko in $(cat "/modules/$list.order"); do
		insmod "/modules/$ko" 2>/dev/null || grep -q "^${ko%.ko} " /proc/modules ||
			die "insmod $ko failed"
	done
done

# The disk appears asynchronously once virtio_blk has probed it.
i=0
while [ ! -b /dev/vda ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || die "no /dev/vda after 10 s"
	sleep 0.1
done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || die "cannot mount /dev/vda"
# /sbin/init is an absolute symlink, to be read inside the new root.
[ -x "/newroot$(readlink /newroot/sbin/init)" ] || [ -x /newroot/sbin/init ] ||
	die "/dev/vda has no /sbin/init"

umount /proc /sys /dev
exec switch_root /newroot /sbin/init
