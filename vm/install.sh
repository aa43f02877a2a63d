#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Installs Debian packages (our kernels, or anything else) into a VM image
# the way a user does: the base image of vm/mkimage.sh boots on its own
# GRUB, the packages reach it on the control disk, and `dpkg -i` runs inside,
# so the kernel packages' own hooks make the initramfs (initramfs-tools) and
# the GRUB entries (update-grub), Debian's stock kernel staying in the menu.
#
# Under TCG on a busy host this is slow: Debian's 6.12 kernel package (an
# initramfs of every module, MODULES=most) took over an hour here, hence the
# two-hour timeout; our kernels, with a few modules, take minutes.
#
# One line of set-up precedes dpkg: the initramfs loads the drivers of
# persistent memory (nfit, nd_pmem; INITRAMFS_MODULES), so that the image
# also boots from an NVDIMM (vm/run.sh --pmem), as the battle boots it.
#
# The result is a qcow2 overlay on the base image, cached as
# $SLOBA_CACHE/vm/<name>-<key>.qcow2 (key: the base image and the packages'
# content); prints its path.  The base image must stay where it is.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}

usage() {
	cat >&2 <<EOF
usage: ${0##*/} --base IMAGE [--name NAME] PACKAGE.deb...
  --base IMAGE   a disk image of vm/mkimage.sh
  --name NAME    first part of the overlay's name (default: kernels)
Prints the path of the qcow2 image with the packages installed.
EOF
	exit 2
}
say() { echo "vm/install.sh: $*" >&2; }
fail() { say "error: $*"; exit 1; }

base='' name=kernels debs=()
while [ $# -gt 0 ]; do
	case $1 in
	--base) [ $# -ge 2 ] || usage; base=$2; shift 2 ;;
	--name) [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
	-*) usage ;;
	*) debs+=("$1"); shift ;;
	esac
done
[ -n "$base" ] && [ ${#debs[@]} -gt 0 ] || usage
[ -r "$base" ] || fail "cannot read $base"
for d in "${debs[@]}"; do
	case "$d" in *.deb) ;; *) fail "not a .deb: $d" ;; esac
	[ -r "$d" ] || fail "cannot read $d"
done
base=$(realpath "$base")
INITRAMFS_MODULES="nfit nd_pmem"

key=$({
	echo "$base"
	echo "initramfs modules: $INITRAMFS_MODULES"
	for d in "${debs[@]}"; do
		echo "$(basename "$d") $(sha256sum < "$d")"
	done | sort
} | sha256sum | cut -c1-12)
out=$SLOBA_CACHE/vm/$name-$key.qcow2
exec 9> "$out.lock"
flock 9
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

tmp=$out.tmp.qcow2
log=$SLOBA_CACHE/vm/$name-$key.install.log
rm -f "$tmp"
qemu-img create -q -f qcow2 -b "$base" -F raw "$tmp" ||
	fail "qemu-img create failed"
args=()
for d in "${debs[@]}"; do
	args+=(--ctl-add "$d:debs/$(basename "$d")")
done
say "installing ${debs[*]##*/} (dpkg -i inside the VM; log $log)"
start=$(date +%s)
# Every linux-image package must have left a GRUB entry behind.
check='for d in /run/sloba-ctl/debs/linux-image-*.deb; do
	[ -e "$d" ] || continue
	v=$(dpkg-deb -f "$d" Package); v=${v#linux-image-}
	grep -q "with Linux $v'"'"'" /boot/grub/grub.cfg || { echo "no GRUB entry for $v"; exit 1; }
	[ -f /boot/initrd.img-$v ] || { echo "no initramfs for $v"; exit 1; }
done'
if ! "$here/run.sh" --image "$tmp" --persist --quiet --log "$log" --timeout 7200 "${args[@]}" \
	--cmd "set -e; for m in $INITRAMFS_MODULES; do grep -qx \$m /etc/initramfs-tools/modules || echo \$m >> /etc/initramfs-tools/modules; done; dpkg -i /run/sloba-ctl/debs/*.deb; $check; grep -E '^\s*menuentry ' /boot/grub/grub.cfg | cut -d\"'\" -f2 | sed 's/^/@@GRUB-ENTRY /'; sync"; then
	tail -n 40 "$log" >&2
	rm -f "$tmp"
	fail "installing failed (log above)"
fi
tr -d '\r' < "$log" | sed -n 's/^@@GRUB-ENTRY /  GRUB: /p' >&2
mv "$tmp" "$out"
say "done in $(($(date +%s) - start)) s: $out"
echo "$out"
