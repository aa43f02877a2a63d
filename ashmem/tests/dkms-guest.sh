#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms-guest.sh - the guest half of `make test-ashmem-dkms`
# (ashmem/scripts/test-dkms.sh puts it on the control disk of vm/run.sh).
# Runs as root in the Debian 12 VM, one step of the installation per call,
# and prints each group of checks as TAP between the markers that
# tap-count.sh counts (@@TAP-BEGIN name@@ ... @@TAP-END name status@@):
#
#   install VER      (stock 6.1) apt install ./ashmem-dkms_VER_all.deb with
#                    the running kernel's headers there: DKMS built and
#                    installed ashmem.ko for it; also makes the user tester
#   newkernel VER    the network up, apt update, then apt install -t
#                    bookworm-backports linux-image-amd64 linux-headers-amd64:
#                    DKMS built ashmem for the new kernel by itself; prints
#                    @@DKMS-NEWREL release@@
#   check LABEL      (after a reboot, no modprobe) ashmem loaded at boot by
#                    systemd-modules-load, /dev/ashmem 0666 root root by the
#                    package's udev rule; then t_lib as tester on both
#                    backends, t_lib and t_ioctl as root (guest-run.sh)
#   remove VER       apt remove ashmem-dkms: nothing of it left, for any kernel
#   removed LABEL    (after a reboot) no ashmem module, no /dev/ashmem, and
#                    systemd-modules-load still succeeded
#
# Every call ends with the kernel's journal of this boot between
# @@KLOG-BEGIN@@ and @@KLOG-END@@ (the host runs guest/check-log.sh on it)
# and "@@DKMS-TIME step seconds@@" lines for the slow steps.  The test
# programs (static) are on the control disk under t/.
# (shellcheck cannot see the functions called through check.)
# shellcheck disable=SC2317

ctl=/run/sloba-ctl
bin=/usr/local/libexec/ashmem-tests
rel=$(uname -r)
export DEBIAN_FRONTEND=noninteractive
step=${1:-}
arg=${2:-}
out=/tmp/dkms-check.out

# --- TAP ----------------------------------------------------------------------
group() { g=$1 n=0 nfail=0; echo "@@TAP-BEGIN $g@@"; }
endgroup() { echo "1..$n"; echo "@@TAP-END $g $((nfail > 0))@@"; }
# check DESCRIPTION COMMAND...: one result, ok when COMMAND succeeds; its
# output is shown as comments when it fails.
check() {
	local d=$1
	shift
	n=$((n + 1))
	if "$@" > "$out" 2>&1; then
		echo "ok $n - $d"
	else
		echo "not ok $n - $d"
		sed 's/^/#   /' "$out" | tail -n 40
		nfail=$((nfail + 1))
	fi
}
diag() { echo "# $*"; }
# timed NAME COMMAND...: runs COMMAND with its output in /tmp/NAME.log and
# prints how long it took.
timed() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@" > "/tmp/$name.log" 2>&1
	rc=$?
	echo "@@DKMS-TIME $name $(($(date +%s) - t0))@@"
	return $rc
}
showlog() { sed 's/^/    /' "/tmp/$1.log" | tail -n "${2:-40}"; }

# --- what the checks look at (called through check) ----------------------------
installed() { dpkg-query -W -f '${Status}' "$1" 2> /dev/null | grep -q 'install ok installed'; }
# dkms_installed VER REL: dkms status says ashmem/VER is installed for REL
# (fixed strings: a release such as 6.12.95+deb12-amd64 is no regex)
dkms_installed() {
	dkms status -m ashmem -v "$1" -k "$2"
	dkms status -m ashmem -v "$1" -k "$2" 2> /dev/null | grep -F "ashmem/$1, $2, " |
		grep -q ': installed'
}
# ko_in REL: ashmem.ko (or .ko.xz) is in REL's updates/dkms
ko_in() {
	ls -l /lib/modules/"$1"/updates/dkms/
	[ -f /lib/modules/"$1"/updates/dkms/ashmem.ko ] || [ -f /lib/modules/"$1"/updates/dkms/ashmem.ko.xz ]
}
no_ko() { ! find /lib/modules/"$1" -name 'ashmem.ko*' | grep .; }
equals() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
modules_load_ok() {
	systemctl show -p ActiveState -p Result systemd-modules-load.service
	[ "$(systemctl show -p ActiveState --value systemd-modules-load.service)" = active ] &&
	[ "$(systemctl show -p Result --value systemd-modules-load.service)" = success ]
}
system_running() {
	local s
	s=$(systemctl is-system-running)
	systemctl --failed --no-legend --plain
	equals "$s" running
}
unprivileged() {
	id tester
	[ "$(id -u tester)" != 0 ] && equals "$(id -G tester)" "$(id -g tester)"
}
# the last MODE a rule set on the device is the package rule's 0666
udev_rule() {
	local lines
	lines=$(udevadm test --action=add /sys/class/misc/ashmem 2>&1 | grep -E '\.rules:[0-9]+ MODE ')
	echo "$lines"
	tail -n 1 <<< "$lines" | grep -Eq '/60-ashmem-dkms\.rules:[0-9]+ MODE 0?666$'
}
net_up() {
	mkdir -p /run/systemd/network
	printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' > /run/systemd/network/50-ashmem-test.network
	echo 'nameserver 10.0.2.3' > /etc/resolv.conf	# QEMU user network's DNS
	systemctl restart systemd-networkd &&
	/lib/systemd/systemd-networkd-wait-online --timeout=120 &&
	networkctl --no-pager status | head -n 20
}

case $step in
install)
	ver=$arg
	group install
	check "linux-headers-$rel is installed" installed "linux-headers-$rel"
	check "dkms is installed" installed dkms
	check "no ashmem yet: no module, no /dev/ashmem" sh -c "! modinfo ashmem && [ ! -e /dev/ashmem ]"
	cp "$ctl/ashmem-dkms_${ver}_all.deb" /tmp/
	cd /tmp || exit 1
	timed apt-install-deb apt install -y "./ashmem-dkms_${ver}_all.deb"
	rc=$?
	check "apt install ./ashmem-dkms_${ver}_all.deb exits 0" equals $rc 0
	diag "apt install ./ashmem-dkms_${ver}_all.deb (exit $rc):"
	showlog apt-install-deb 25
	check "ashmem-dkms $ver is installed" equals "$(dpkg-query -W -f '${Status} ${Version}' ashmem-dkms 2>&1)" "install ok installed $ver"
	check "dkms status: ashmem/$ver installed for $rel" dkms_installed "$ver" "$rel"
	check "ashmem.ko is in /lib/modules/$rel/updates/dkms" ko_in "$rel"
	check "modinfo finds that module" sh -c "modinfo -n ashmem | grep -q '^/lib/modules/$rel/updates/dkms/ashmem.ko'"
	check "the udev rule is /lib/udev/rules.d/60-ashmem-dkms.rules" test -f /lib/udev/rules.d/60-ashmem-dkms.rules
	check "modules-load.d names ashmem" grep -qx ashmem /usr/lib/modules-load.d/ashmem.conf
	if [ "$nfail" != 0 ] && [ -f "/var/lib/dkms/ashmem/$ver/build/make.log" ]; then
		diag "DKMS make.log:"
		sed 's/^/    /' "/var/lib/dkms/ashmem/$ver/build/make.log" | tail -n 30
	fi
	# the unprivileged user of the later boots, fresh, in no other group
	id tester > /dev/null 2>&1 || useradd --create-home --shell /bin/bash tester
	check "user tester exists, unprivileged" unprivileged
	endgroup
	;;
newkernel)
	ver=$arg
	group newkernel
	check "the network is up (QEMU user network, DHCP)" net_up
	check "bookworm-backports is in apt's sources" sh -c \
		"apt-get indextargets --no-release-info --format '\$(RELEASE)' | grep -qx bookworm-backports"
	timed apt-update apt-get update
	check "apt-get update exits 0" equals $? 0
	showlog apt-update 12
	old=$(ls /lib/modules)
	timed apt-install-kernel apt install -y -t bookworm-backports linux-image-amd64 linux-headers-amd64
	rc=$?
	check "apt install -t bookworm-backports linux-image-amd64 linux-headers-amd64 exits 0" equals $rc 0
	diag "apt install -t bookworm-backports ... (exit $rc):"
	showlog apt-install-kernel 60
	meta=$(dpkg-query -W -f '${Version}' linux-image-amd64)
	new=$(dpkg-query -W -f '${Depends}' linux-image-amd64 | grep -o 'linux-image-[^ ,]*' | head -n 1)
	new=${new#linux-image-}
	echo "@@DKMS-NEWREL $new@@"
	diag "linux-image-amd64 $meta: $new"
	check "linux-image-amd64 now comes from bookworm-backports ($meta)" sh -c "echo '$meta' | grep -q '~bpo12'"
	check "the new kernel $new is installed, besides $rel" sh -c \
		"[ -n '$new' ] && [ '$new' != '$rel' ] && [ -d /lib/modules/$new ] && [ -d /lib/modules/$rel ] &&
		 ! echo '$old' | grep -qx '$new'"
	check "linux-headers-$new is installed" installed "linux-headers-$new"
	check "dkms status: ashmem/$ver installed for $new (no manual step)" dkms_installed "$ver" "$new"
	check "dkms status: ashmem/$ver still installed for $rel" dkms_installed "$ver" "$rel"
	check "ashmem.ko is in /lib/modules/$new/updates/dkms" ko_in "$new"
	check "ashmem.ko is still in /lib/modules/$rel/updates/dkms" ko_in "$rel"
	check "GRUB has an entry for each kernel" sh -c \
		"grep -q \"with Linux $new'\" /boot/grub/grub.cfg && grep -q \"with Linux $rel'\" /boot/grub/grub.cfg"
	if [ -f "/var/lib/dkms/ashmem/$ver/build/make.log" ] && ! dkms_installed "$ver" "$new" > /dev/null; then
		diag "DKMS make.log:"
		sed 's/^/    /' "/var/lib/dkms/ashmem/$ver/build/make.log" | tail -n 30
	fi
	endgroup
	;;
check)
	label=$arg
	mkdir -p "$bin"
	install -m 755 "$ctl/t/t_lib" "$ctl/t/t_ioctl" "$bin/"
	group "boot-$label"
	check "the system is running, no failed unit" system_running
	check "lsmod lists ashmem (nobody ran modprobe)" sh -c "lsmod | grep -q '^ashmem '"
	check "systemd-modules-load.service succeeded" modules_load_ok
	# by its identifier: the service runs before journald and exits before
	# journald reads its messages, so they carry no _SYSTEMD_UNIT for -u
	check "systemd-modules-load inserted ashmem" sh -c \
		"journalctl -b -t systemd-modules-load --no-pager -o cat | tee /dev/stderr |
		 grep -qx \"Inserted module 'ashmem'\""
	check "the loaded ashmem is DKMS's for $rel" sh -c \
		"modinfo -n ashmem | grep '^/lib/modules/$rel/updates/dkms/ashmem.ko'"
	check "stat -c '%a %U %G' /dev/ashmem: 666 root root" equals "$(stat -c '%a %U %G' /dev/ashmem 2>&1)" "666 root root"
	check "udevadm info shows the node" sh -c \
		"udevadm info -q all /dev/ashmem | tee /dev/stderr | grep -qx 'N: ashmem' &&
		 udevadm info -q all /dev/ashmem | grep -qx 'E: DEVNAME=/dev/ashmem' &&
		 udevadm info -q all /dev/ashmem | grep -qx 'E: SUBSYSTEM=misc'"
	check "the mode comes from 60-ashmem-dkms.rules" udev_rule
	check "tester is unprivileged" unprivileged
	check "t_lib --backend as tester: plain ashmem" equals \
		"$(cd /tmp && runuser -u tester -- "$bin/t_lib" --backend 2>&1)" "plain ashmem"
	endgroup
	cd /tmp || exit 1
	sh "$ctl/guest-run.sh" \
		"lib-user-ashmem-$label:runuser -u tester -- env LIBASHMEM_BACKEND=ashmem $bin/t_lib" \
		"lib-user-memfd-$label:runuser -u tester -- env LIBASHMEM_BACKEND=memfd $bin/t_lib" \
		"lib-root-$label:LIBASHMEM_BACKEND=ashmem $bin/t_lib" \
		"ioctl-$label:$bin/t_ioctl"
	;;
remove)
	ver=$arg
	group remove
	timed apt-remove apt remove -y ashmem-dkms
	rc=$?
	check "apt remove ashmem-dkms exits 0" equals $rc 0
	showlog apt-remove 20
	check "ashmem-dkms is not installed" sh -c "! dpkg-query -W -f '\${Status}' ashmem-dkms | grep -q 'install ok installed'"
	check "dkms status is empty" equals "$(dkms status 2>&1)" ""
	for r in /lib/modules/*; do
		r=${r##*/}
		check "no ashmem.ko left for $r" no_ko "$r"
		check "modinfo -k $r ashmem fails" sh -c "! modinfo -k '$r' ashmem"
	done
	check "the udev rule is gone" test ! -e /lib/udev/rules.d/60-ashmem-dkms.rules
	check "the modules-load.d entry is gone" test ! -e /usr/lib/modules-load.d/ashmem.conf
	check "/usr/src/ashmem-$ver is gone" test ! -e "/usr/src/ashmem-$ver"
	endgroup
	;;
removed)
	label=$arg
	group "removed-$label"
	check "the system is running, no failed unit" system_running
	check "lsmod does not list ashmem" sh -c "! lsmod | grep '^ashmem '"
	check "no /dev/ashmem" test ! -e /dev/ashmem
	check "systemd-modules-load.service succeeded" modules_load_ok
	check "modprobe finds no ashmem" sh -c "! modprobe -n ashmem"
	endgroup
	;;
*)
	echo "usage: ${0##*/} install VER | newkernel VER | check LABEL | remove VER | removed LABEL" >&2
	exit 2
	;;
esac

echo "@@KLOG-BEGIN@@"
journalctl -k -b --no-pager -o cat
echo "@@KLOG-END@@"
exit 0
