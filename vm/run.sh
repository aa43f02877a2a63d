#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boots a VM disk image of vm/mkimage.sh in QEMU (TCG, serial console) and,
# with --cmd, runs one command in it.
#
# The host talks to the guest through a small read-only "control disk" (ext2,
# label SLOBACTL) made for each run with mkfs.ext2 -d, no mounting:
#   grub.cfg  read by the image's GRUB (/etc/grub.d/42_sloba-ctl): which
#             entry to boot (--release, --entry), no menu wait, and extra
#             kernel arguments (--append) in $sloba_append;
#   cmd       the command; root's login on the serial console runs it
#             (vm/guest/sloba-login) once systemd has started everything,
#             prints "@@GUEST-EXIT <status>@@" and powers off;
#   files given with --ctl-add, readable in the guest under /run/sloba-ctl.
# With --kernel the image's GRUB is bypassed (QEMU loads that kernel and
# initrd): vm/mkimage.sh boots this way once to install GRUB.  With --pmem
# both disks are NVDIMMs and QEMU loads --release's kernel, initrd and
# GRUB command line itself (below).  The guest has no network unless --net
# gives it QEMU's user-mode one.
#
# The disk image is opened with snapshot=on unless --persist: nothing a run
# does reaches the image, so every boot starts from the same disk.
#
# Exit status, as guest/boot.sh's:
#   the command's status, when the console log is clean;
#   120  the console shows kernel problems (guest/check-log.sh);
#   124  no power-off within --timeout seconds;
#   125  the guest ended without reporting a status (crash, QEMU failure);
#   126  the guest booted another kernel than --release asked for;
#   2    bad usage.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}

usage() {
	cat >&2 <<EOF
usage: ${0##*/} --image DISK [options] [-- QEMU_ARGS...]
  --image FILE        disk image (raw or qcow2) made by vm/mkimage.sh
  --release REL       boot GRUB's entry for kernel release REL (uname -r),
                      e.g. 6.1.192-sloba; the run fails (126) if another
                      kernel booted
  --entry TITLE       boot the GRUB entry with this title
  --kernel FILE       bypass GRUB: boot this kernel (with --initrd) directly
  --initrd FILE       initrd for --kernel
  --cmd 'COMMAND'     run COMMAND after boot, print its status, power off
  --ctl-add SRC[:DEST] copy a file or folder onto the control disk (the
                      guest sees it under /run/sloba-ctl/DEST); repeatable
  --append 'ARGS'     extra kernel arguments
  --net               a virtio NIC on QEMU's user-mode network: the guest
                      reaches what the host reaches (e.g. its apt mirror)
                      through NAT once it brings the link up (DHCP; DNS
                      server 10.0.2.3); default: no network
  --mem SIZE          guest memory (default 2G)
  --smp N             guest CPUs (default 2; 1 with --icount)
  --icount            -icount shift=0: the guest's clock counts executed
                      instructions (deterministic timing); a fixed random
                      seed, the clock starting at 2030-01-01; with --pmem
                      an idle guest's clock skips to its next timer
  --timeout SEC       kill the guest after SEC seconds (0: never; default 900
                      with --cmd or without a terminal)
  --log FILE          also write the console to FILE
  --ignore REGEX      console lines guest/check-log.sh should not count
  --persist           write to the image (default: snapshot=on)
  --pmem              the disks as NVDIMMs (persistent memory), not virtio:
                      the guest reads memory, so a boot never waits for the
                      host (with --icount, boots repeat); QEMU loads
                      --release's kernel and initrd with its GRUB entry's
                      command line; a qcow2 image is converted once to a raw
                      copy beside it
  --quiet             do not stream the console to stdout
EOF
	exit 2
}
die() { echo "vm/run.sh: $*" >&2; exit 2; }

image='' release='' entry='' kernel='' initrd='' cmd='' append='' mem=2G smp=''
icount=0 timeout='' log='' persist=0 quiet=0 net=0 pmem=0
ctladds=() ignores=() qemu_extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--image | --release | --entry | --kernel | --initrd | --cmd | --ctl-add | \
	--append | --mem | --smp | --timeout | --log | --ignore)
		[ $# -ge 2 ] || usage
		case $1 in
		--image) image=$2 ;;
		--release) release=$2 ;;
		--entry) entry=$2 ;;
		--kernel) kernel=$2 ;;
		--initrd) initrd=$2 ;;
		--cmd) cmd=$2 ;;
		--ctl-add) ctladds+=("$2") ;;
		--append) append="$append $2" ;;
		--mem) mem=$2 ;;
		--smp) smp=$2 ;;
		--timeout) timeout=$2 ;;
		--log) log=$2 ;;
		--ignore) ignores+=(-i "$2") ;;
		esac
		shift 2
		;;
	--icount) icount=1; shift ;;
	--net) net=1; shift ;;
	--persist) persist=1; shift ;;
	--pmem) pmem=1; shift ;;
	--quiet) quiet=1; shift ;;
	--) shift; qemu_extra=("$@"); break ;;
	*) usage ;;
	esac
done
[ -n "$image" ] || usage
[ -r "$image" ] || die "cannot read disk image $image"
# Under -icount QEMU 7.2's x86 guests hang bringing up a second CPU
# ("x86: Booting SMP configuration"): one CPU there.
[ -n "$smp" ] || smp=$((icount ? 1 : 2))
case "$smp" in '' | *[!0-9]*) usage ;; esac
[ "$icount" = 0 ] || [ "$smp" = 1 ] ||
	die "--icount needs --smp 1: QEMU's x86 guest hangs bringing up a second CPU under -icount"
[ -z "$release" ] || [ -z "$entry" ] || die "--release and --entry exclude each other"
[ -z "$kernel" ] || [ -r "$kernel" ] || die "cannot read kernel $kernel"
[ -z "$kernel" ] || [ -n "$initrd" ] || die "--kernel needs --initrd"
[ "$pmem" = 0 ] || [ "$persist" = 0 ] || die "--pmem and --persist exclude each other"
[ "$pmem" = 0 ] || [ -n "$release" ] || die "--pmem needs --release"
[ "$pmem" = 0 ] || [ -z "$kernel" ] || die "--pmem boots --release's own kernel, not --kernel"
interactive=1
[ -z "$cmd" ] || interactive=0
if [ -z "$timeout" ]; then
	if [ "$interactive" = 1 ] && [ -t 0 ]; then timeout=0; else timeout=900; fi
fi
case "$timeout" in '' | *[!0-9]*) usage ;; esac
command -v qemu-system-x86_64 > /dev/null || die "qemu-system-x86_64 missing"
command -v mkfs.ext2 > /dev/null || die "mkfs.ext2 missing (e2fsprogs)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Kernel arguments every boot gets: a panic reboots, which -no-reboot turns
# into QEMU exiting (no hung guest until the timeout); no check that the
# timer interrupt arrives within a few loops at boot, which a TCG guest on a
# loaded host fails ("IO-APIC + timer doesn't work!", a panic; KVM guests
# skip that check by themselves); and 15 minutes instead of systemd's 90 s
# for devices to show up: on a loaded host udev's coldplug of a TCG guest
# took longer, dev-ttyS0.device timed out, and without its serial getty the
# guest never logged in.
always="panic=-1 no_timer_check systemd.default_device_timeout_sec=900"

# --- the control disk --------------------------------------------------------
ctl=$work/ctl
mkdir -p "$ctl"
[ -n "$entry" ] || [ -z "$release" ] || entry="Debian GNU/Linux, with Linux $release"
{
	if [ -n "$entry" ]; then
		printf 'set default="%s"\n' "${entry//\"/\\\"}"
	fi
	[ "$interactive" = 1 ] || echo 'set timeout=0'
	printf 'set sloba_append="%s"\nexport sloba_append\n' "$always${append}"
} > "$ctl/grub.cfg"
[ -z "$cmd" ] || printf '%s\n' "$cmd" > "$ctl/cmd"
for a in "${ctladds[@]+"${ctladds[@]}"}"; do
	srcp=$a dest=
	case "$a" in *:*) srcp=${a%%:*} dest=${a#*:} ;; esac
	[ -e "$srcp" ] || die "--ctl-add: no such file or folder: $srcp"
	[ -n "$dest" ] || dest=$(basename "$srcp")
	mkdir -p "$ctl/$(dirname "$dest")"
	cp -a -L "$srcp" "$ctl/$dest"
done
kb=$(du -sk "$ctl" | cut -f1)
# The same files make the same disk: a fixed UUID, directory hash seed and
# file system time, files dated 1970 (only their inodes' change times are
# the host's, which nothing reads during boot).  A random UUID changed the
# names of the device units systemd makes at every boot, and with them the
# work its hash tables did.
find "$ctl" -exec touch -h -d @0 {} +
E2FSPROGS_FAKE_TIME=1893456000 mkfs.ext2 -q -F -L SLOBACTL \
	-U 51ba0c71-c7d1-4000-8000-000000000001 \
	-E hash_seed=51ba0c71-c7d1-4000-8000-000000000002 \
	-d "$ctl" "$work/ctl.img" $((kb * 5 / 4 + 2048))k > /dev/null ||
	die "mkfs.ext2 of the control disk failed"

# --- QEMU ----------------------------------------------------------------------
fmt=raw
case "$image" in *.qcow2) fmt=qcow2 ;; esac

# --pmem: both disks as NVDIMMs (persistent memory) over their files,
# mapped copy-on-write (share=off: like snapshot=on, nothing reaches the
# file), and no virtio disk.  The guest's ACPI NFIT driver and nd_pmem (in
# the initramfs, vm/install.sh) make them block devices.  Reading them is a
# memory copy the guest's CPU executes, where a virtio request completes
# whenever the host's I/O thread gets to it: under --icount that host timing
# decided the order of a boot's parallel work.  With no disk for the
# firmware, QEMU loads the kernel and initrd of --release's GRUB entry
# itself, with that entry's command line (read from the image with
# debugfs): GRUB's own disk reads made the kernel start at a different
# moment of the machine's timers in every boot.
pmem_args=() memory=$mem
mib() {			# QEMU's SIZE (NNN[kKmMgG], no unit: MiB) in MiB, rounded up
	local n=${1%[kKmMgG]}
	case "$1" in
	*[kK]) echo $(((n + 1023) / 1024)) ;;
	*[gG]) echo $((n * 1024)) ;;
	*) echo "$n" ;;
	esac
}
file_mib() { echo $((($(stat -c %s "$1") + 1048575) / 1048576)); }
if [ "$pmem" = 1 ]; then
	raw=$image
	if [ "$fmt" = qcow2 ]; then
		raw=${image%.qcow2}.raw
		(
			flock 8
			[ "$raw" -nt "$image" ] ||
				{ qemu-img convert -O raw "$image" "$raw.tmp" && mv "$raw.tmp" "$raw"; }
		) 8> "$raw.lock" || die "qemu-img convert of $image failed"
	fi
	# The root file system: the image's first partition.
	start=$(sfdisk -d "$raw" 2> /dev/null | sed -n 's/.*start= *\([0-9]*\),.*/\1/p' | head -n 1)
	[ -n "$start" ] || die "--pmem: no partition table in $raw"
	rootfs="$raw?offset=$((start * 512))"
	for f in vmlinuz initrd.img; do
		debugfs -R "dump /boot/$f-$release $work/$f" "$rootfs" 2> /dev/null
		[ -s "$work/$f" ] || die "--pmem: no /boot/$f-$release in $image"
	done
	# GRUB's entry: "linux /boot/vmlinuz-REL ARGS", ARGS ending in $sloba_append.
	cmdline=$(debugfs -R "cat /boot/grub/grub.cfg" "$rootfs" 2> /dev/null |
		awk -v k="/boot/vmlinuz-$release" '$1 == "linux" && $2 == k {
			for (i = 3; i <= NF; i++) printf "%s ", $i; exit }')
	[ -n "$cmdline" ] || die "--pmem: no GRUB entry for $release in $image"
	cmdline=${cmdline//\$sloba_append/$always${append}}
	# NVDIMM sizes in whole 128 MiB blocks (the control disk's file grows,
	# its file system does not).
	ctl_mib=$((($(file_mib "$work/ctl.img") + 127) / 128 * 128))
	truncate -s "${ctl_mib}M" "$work/ctl.img"
	root_mib=$(file_mib "$raw")
	[ $((root_mib % 128)) = 0 ] || die "--pmem: $raw is not a whole number of 128 MiB blocks"
	mem_mib=$(mib "$mem")
	memory=${mem_mib}M,slots=2,maxmem=$((mem_mib + root_mib + ctl_mib))M
	pmem_args=(-machine "pc,nvdimm=on"
		-object "memory-backend-file,id=pmroot,mem-path=$raw,size=${root_mib}M,share=off"
		-device "nvdimm,id=nvroot,memdev=pmroot"
		-object "memory-backend-file,id=pmctl,mem-path=$work/ctl.img,size=${ctl_mib}M,share=off"
		-device "nvdimm,id=nvctl,memdev=pmctl"
		-kernel "$work/vmlinuz" -initrd "$work/initrd.img" -append "$cmdline")
fi
snap=on
[ "$persist" = 0 ] || snap=off
nic=(-nic none)
[ "$net" = 0 ] || nic=(-nic "user,model=virtio-net-pci")
qemu=(qemu-system-x86_64 -accel tcg -nographic -no-reboot -vga none "${nic[@]}"
	-m "$memory" -smp "$smp" "${pmem_args[@]+"${pmem_args[@]}"}")
[ "$pmem" = 1 ] || qemu+=(-drive "file=$image,if=virtio,format=$fmt,snapshot=$snap"
	-drive "file=$work/ctl.img,if=virtio,format=raw,readonly=on")
# Under --icount every boot also gets the same inputs (as battle.py's):
# QEMU's random numbers from a fixed seed, the real-time clock from a fixed
# date counting virtual time.  With virtio disks their timing still comes
# from the host, and while the guest idles waiting for them its clock must
# follow the host's (sleep=on: with sleep=off it jumps to the next timer,
# past the read, and two boots of one kernel differed by 50%).  With --pmem
# nothing the guest waits for comes from the host: an idle guest's clock
# jumps to its next timer (sleep=off), as battle.py's.
sleep=on
[ "$pmem" = 0 ] || sleep=off
[ "$icount" = 0 ] || qemu+=(-icount "shift=0,sleep=$sleep" -seed 1
	-rtc "base=2030-01-01T00:00:00,clock=vm")
if [ -n "$kernel" ]; then
	qemu+=(-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0,115200 $always${append}")
fi
qemu+=("${qemu_extra[@]+"${qemu_extra[@]}"}")
to=(timeout --foreground -k 10 "$timeout")
[ "$timeout" != 0 ] || to=()

[ -n "$log" ] || log=$work/console.log
mkdir -p "$(dirname "$log")"
: > "$log" || die "cannot write $log"

if [ "$interactive" = 1 ]; then
	"${to[@]}" "${qemu[@]}" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
else
	"${to[@]}" "${qemu[@]}" < /dev/null > "$log" 2>&1 &
	qpid=$!
	trap 'kill "$qpid" 2> /dev/null' INT TERM
	if [ "$quiet" = 0 ]; then
		tail -n +1 -f --pid="$qpid" "$log" &
		tpid=$!
	fi
	while :; do
		wait "$qpid"
		rc=$?
		kill -0 "$qpid" 2> /dev/null || break
	done
	[ "$quiet" = 1 ] || wait "$tpid"
fi

if [ -n "${to[*]}" ] && [ "$rc" = 124 ]; then
	echo "vm/run.sh: guest timed out after ${timeout}s" >&2
	"$repo/guest/check-log.sh" "${ignores[@]+"${ignores[@]}"}" "$log" >&2
	exit 124
fi

marker() { tr -d '\r' < "$log" | sed -n "s/.*@@$1 \\([^@]*\\)@@.*/\\1/p" | tail -n 1; }
status=
if [ "$interactive" = 0 ]; then
	status=$(marker GUEST-EXIT)
	booted=$(marker GUEST-KERNEL)
	if [ -n "$release" ] && [ -n "$booted" ] && [ "$booted" != "$release" ]; then
		echo "vm/run.sh: GRUB booted $booted, not $release" >&2
		exit 126
	fi
	if [ -n "$status" ]; then
		echo "vm/run.sh: guest command exited with status $status (kernel $booted, system $(marker GUEST-STATE))" >&2
	else
		echo "vm/run.sh: guest ended without reporting a status (QEMU exit $rc)" >&2
	fi
fi
if ! "$repo/guest/check-log.sh" "${ignores[@]+"${ignores[@]}"}" "$log" >&2; then
	echo "vm/run.sh: the console shows kernel problems, failing (status 120)" >&2
	exit 120
fi
[ "$interactive" = 0 ] || exit "$rc"
[ -n "$status" ] || exit 125
exit "$status"
