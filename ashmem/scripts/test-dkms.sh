#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# test-dkms.sh - `make test-ashmem-dkms` (run from the top): the ashmem-dkms
# package installed on a real Debian 12 system, as a user installs it.
#
# The Debian VM of vm/ (vm/mkimage.sh: its own GRUB, systemd, udev), made
# with dkms and linux-headers-amd64 and with bookworm-backports in its apt
# sources (from the mirror of its bookworm entry), on a fresh qcow2 overlay
# that every boot below writes to (vm/run.sh --persist).  Five boots, the
# guest half being ashmem/tests/dkms-guest.sh:
#
#   install       Debian's stock 6.1: apt install ./ashmem-dkms_VER_all.deb
#                 (DKMS builds ashmem.ko for it), then with QEMU's user
#                 network apt install -t bookworm-backports linux-image-amd64
#                 linux-headers-amd64 (DKMS builds it for the new kernel)
#   6.1, NEW      each kernel booted through GRUB, no modprobe: ashmem loaded
#                 by systemd-modules-load, /dev/ashmem 666 root root from the
#                 package's udev rule; t_lib as a fresh unprivileged user on
#                 both backends, t_lib and t_ioctl as root; on NEW then
#                 apt remove ashmem-dkms
#   removed-NEW, removed-6.1
#                 after the removal: no module, no /dev/ashmem, in either
#
# NEW is the series bookworm-backports brought (6.12).  Every group is
# recorded with scripts/record-result test-ashmem-dkms-<group>; each boot
# also counts kernel-log-<boot>: vm/run.sh's verdict (guest/check-log.sh
# over the console, no timeout, the kernel GRUB was asked for) and
# guest/check-log.sh over the kernel journal.  Consoles and journals are in
# build/ashmem/dkms-vm/.  Exit status: 0 only if nothing failed.
set -u
top=$(pwd)
BUILD=${BUILD:-$top/build}
export BUILD
out=$BUILD/ashmem/dkms-vm
t=$BUILD/ashmem/t
mkdir -p "$out"
failed=0 total_p=0 total_f=0
t0=$(date +%s)

say() { echo "test-ashmem-dkms: $*"; }
record() {	# record NAME PASSED FAILED
	say "$1: $2 passed, $3 failed"
	scripts/record-result "test-ashmem-dkms-$1" "$2" "$3"
	total_p=$((total_p + $2)) total_f=$((total_f + $3))
	[ "$3" = 0 ] || failed=1
}
finish() {
	say "done in $(($(date +%s) - t0)) s"
	echo "$total_p passed, $total_f failed"
	exit $failed
}
series() { echo "$1" | cut -d. -f1,2; }

# 1. the package and the test programs
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' ashmem/module/dkms.conf)
deb=$(make --no-print-directory -s deb-ashmem 2> "$out/deb-build.log" | tail -n 1)
if [ "$deb" = "$BUILD/ashmem/deb/ashmem-dkms_${ver}_all.deb" ] && [ -f "$deb" ] &&
   [ -x "$t/t_lib" ] && [ -x "$t/t_ioctl" ]; then
	record package 1 0
else
	cat "$out/deb-build.log"
	say "no package ($deb) or no test programs in $t"
	record package 0 1
	finish
fi

# 2. the image (cached by vm/mkimage.sh, keyed by these options)
ts=$(date +%s)
if ! image=$(vm/mkimage.sh --include dkms,linux-headers-amd64 --suite bookworm-backports \
		--no-source 2> "$out/mkimage.log"); then
	tail -n 30 "$out/mkimage.log"
	record image 0 1
	finish
fi
record image 1 0
stock=$(sort -V "${image%.img}.releases" | tail -n 1)
say "image $image (stock kernel $stock) in $(($(date +%s) - ts)) s"
disk=$out/disk.qcow2
rm -f "$disk"
qemu-img create -q -f qcow2 -b "$image" -F raw "$disk" || { record image 0 1; finish; }

# boot NAME RELEASE TIMEOUT GROUPS CMD [RUN_ARGS...]: one boot of the disk
# (changes kept), counting GROUPS from its console and its kernel log.
boot() {
	local name=$1 release=$2 timeout=$3 groups=$4 cmd=$5 rc bs g
	shift 5
	bs=$(date +%s)
	say "boot $name ($release): $groups"
	vm/run.sh --image "$disk" --persist --release "$release" --quiet \
		--log "$out/$name.log" --timeout "$timeout" \
		--ctl-add "$top/ashmem/tests/dkms-guest.sh:dkms-guest.sh" \
		--ctl-add "$top/ashmem/tests/guest-run.sh:guest-run.sh" \
		--ctl-add "$deb:$(basename "$deb")" \
		--ctl-add "$t/t_lib:t/t_lib" --ctl-add "$t/t_ioctl:t/t_ioctl" \
		"$@" --cmd "$cmd" > "$out/$name.out" 2>&1
	rc=$?
	tr -d '\r' < "$out/$name.log" | grep -E '^(not ok|#   )|@@DKMS-' | head -n 80
	tr -d '\r' < "$out/$name.log" | sed -n '/^@@KLOG-BEGIN@@$/,/^@@KLOG-END@@$/p' > "$out/$name.klog"
	if [ "$rc" != 0 ] || [ ! -s "$out/$name.klog" ] ||
	   ! guest/check-log.sh "$out/$name.klog"; then
		cat "$out/$name.out"
		[ -s "$out/$name.klog" ] || say "$name: the guest printed no kernel journal"
		say "$name: vm/run.sh exit $rc (120 kernel log, 124 timeout, 125 no status, 126 wrong kernel)"
		record "kernel-log-$name" 0 1
	else
		record "kernel-log-$name" 1 0
	fi
	for g in $groups; do
		# shellcheck disable=SC2046
		record "$g" $(ashmem/tests/tap-count.sh "$out/$name.log" "$g")
	done
	say "boot $name took $(($(date +%s) - bs)) s"
}
# fail_groups GROUP...: groups a boot that could not happen would have run
fail_groups() { for g in "$@"; do record "$g" 0 1; done; }

# 3. install on the stock kernel; a new kernel from bookworm-backports
g="bash /run/sloba-ctl/dkms-guest.sh"
boot install "$stock" 10800 "install newkernel" \
	"$g install $ver; $g newkernel $ver" --net
new=$(tr -d '\r' < "$out/install.log" | sed -n 's/.*@@DKMS-NEWREL \([^@]*\)@@.*/\1/p' | tail -n 1)
tr -d '\r' < "$out/install.log" | sed -n 's/.*@@DKMS-TIME \([^ ]*\) \([0-9]*\)@@.*/  guest: \1 took \2 s/p'
s1=$(series "$stock") s2=$(series "${new:-none}")

# 4. each kernel, then the removal
checks() { echo "boot-$1 lib-user-ashmem-$1 lib-user-memfd-$1 lib-root-$1 ioctl-$1"; }
boot "$s1" "$stock" 3600 "$(checks "$s1")" "$g check $s1"
if [ -n "$new" ]; then
	boot "$s2" "$new" 3600 "$(checks "$s2") remove" \
		"$g check $s2; $g remove $ver"
	boot "removed-$s2" "$new" 3600 "removed-$s2" "$g removed $s2"
else
	say "no new kernel from bookworm-backports: its boots cannot run"
	# shellcheck disable=SC2046
	fail_groups $(checks new) remove removed-new
fi
boot "removed-$s1" "$stock" 3600 "removed-$s1" "$g removed $s1"
finish
