#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boots a kernel in QEMU (TCG, serial console, no graphics) on the busybox
# initramfs of guest/mkinitramfs.sh plus a small per-run archive holding the
# command to run, modules to load and extra folders.  Works with any x86_64
# bzImage that has initramfs+gzip, devtmpfs and the 8250 serial console,
# including Debian's own kernels, and with arm64 Images (recognised by their
# header) on qemu-system-aarch64's virt board, PL011 console, with Debian's
# arm64 busybox (guest/busybox-arm64.sh).
#
# With --cmd the guest runs the command, the console is streamed to stdout
# (and --log), and the kernel log is then checked with guest/check-log.sh.
# Without --cmd it boots to an interactive shell on this terminal.
#
# Exit status:
#   the guest command's own status, when the kernel log is clean;
#   120  the kernel log shows problems (WARN, BUG, oops, KASAN, lockdep,
#        leaks, ...; see check-log.sh), whatever the command returned;
#   124  the guest did not power off within --timeout seconds;
#   125  the guest powered off without reporting a status (it crashed,
#        could not load a --module, or QEMU failed);
#   2    bad usage (before anything was booted).
#
# Kernel command line: "console=ttyS0 panic=-1" always, so a panic ends QEMU
# at once (-no-reboot) instead of hanging; with --cmd also "oops=panic", so
# an oops ends the run in seconds rather than at the timeout; with --gdb
# also "nokaslr" so symbols match.  --append adds to these.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=guest/common.sh
. "$here/common.sh"

usage() {
	cat >&2 <<EOF
usage: ${0##*/} --kernel BZIMAGE [options] [-- QEMU_ARGS...]
  --kernel FILE       kernel image (bzImage / vmlinuz) to boot
  --initrd FILE       base initramfs (default: built by mkinitramfs.sh and
                      cached in \$SLOBA_CACHE/guest)
  --extra DIR[:DEST]  copy a host folder (or file) into the guest at DEST
                      (default /root/<name>); may be repeated
  --module 'KO [ARGS]' load this module (with parameters) before the
                      command; may be repeated, loaded in order
  --cmd 'COMMAND'     run this shell command, report its status, power off
  --mem SIZE          guest memory (default 512M)
  --smp N             guest CPUs (default 2)
  --accel SPEC        QEMU accelerator (default tcg; e.g. tcg,thread=single
                      runs every vCPU in turn on one host thread)
  --append 'ARGS'     extra kernel command line arguments
  --timeout SEC       kill the guest after SEC seconds (0: never; default
                      300 with --cmd or without a terminal, else 0)
  --log FILE          also write the console log to FILE
  --ignore REGEX      log lines the checker should not count; repeatable
  --gdb               start halted with a gdb server on :1234 (-s -S)
  --oops-ok           with --cmd, do not panic on an oops (for tests that
                      provoke oopses on purpose and read the log)
Exit status: the command's; 120 kernel log problems; 124 timeout;
125 no status reported (crash); 2 usage.
EOF
	exit 2
}

kernel='' initrd='' cmd='' mem=512M smp=2 accel=tcg append='' timeout='' log='' gdb=0
oops_panic=1
extras=() modules=() ignores=() qemu_extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel | --initrd | --extra | --module | --cmd | --mem | --smp | \
	--accel | --append | --timeout | --log | --ignore)
		[ $# -ge 2 ] || usage
		case $1 in
		--kernel) kernel=$2 ;;
		--initrd) initrd=$2 ;;
		--extra) extras+=("$2") ;;
		--module) modules+=("$2") ;;
		--cmd) cmd=$2 ;;
		--mem) mem=$2 ;;
		--smp) smp=$2 ;;
		--accel) accel=$2 ;;
		--append) append="$append $2" ;;
		--timeout) timeout=$2 ;;
		--log) log=$2 ;;
		--ignore) ignores+=(-i "$2") ;;
		esac
		shift 2
		;;
	--gdb) gdb=1; shift ;;
	--oops-ok) oops_panic=0; shift ;;
	--) shift; qemu_extra=("$@"); break ;;
	*) usage ;;
	esac
done
[ -n "$kernel" ] || usage
[ -r "$kernel" ] || die "cannot read kernel image $kernel"
case "$smp" in '' | *[!0-9]*) usage ;; esac
interactive=1
[ -z "$cmd" ] || interactive=0
if [ -z "$timeout" ]; then
	if [ "$interactive" = 1 ] && [ -t 0 ]; then timeout=0; else timeout=300; fi
fi
case "$timeout" in '' | *[!0-9]*) usage ;; esac
# An arm64 Image says so at byte 56 ("ARM\x64"); anything else is x86_64.
arch=x86_64
[ "$(od -An -c -j 56 -N 4 "$kernel" | tr -d ' ')" != 'ARMd' ] || arch=arm64
if [ $arch = arm64 ]; then
	qemu_bin=qemu-system-aarch64 console=ttyAMA0 pkg=qemu-system-arm
else
	qemu_bin=qemu-system-x86_64 console=ttyS0 pkg=qemu-system-x86
fi
command -v $qemu_bin > /dev/null ||
	die "$qemu_bin missing (apt-get install $pkg)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The base image: given, or built once per version of the guest scripts.
if [ -z "$initrd" ]; then
	# procps's slabtop (with its libraries) beside busybox, which has none.
	tools=()
	if [ $arch = arm64 ]; then
		bb=$("$here/busybox-arm64.sh") || die "no arm64 busybox"
		tools+=(-b "$bb")
	elif [ -x /usr/bin/slabtop ]; then
		tools+=(-a /usr/bin/slabtop:/usr/bin/slabtop)
	fi
	key=$( (cat "$here/init" "$here/mkinitramfs.sh" "$here/common.sh"
		echo "$arch ${tools[@]+"${tools[@]}"}") | md5sum | cut -c1-12)
	initrd=$SLOBA_CACHE/guest/base-$arch-$key.cpio.gz
	if [ ! -s "$initrd" ]; then
		"$here/mkinitramfs.sh" -o "$initrd" "${tools[@]+"${tools[@]}"}" > /dev/null ||
			die "could not build the base initramfs"
	fi
fi
[ -r "$initrd" ] || die "cannot read initramfs $initrd"

# The per-run archive, appended to the base: the kernel unpacks
# concatenated cpio archives in order, later files replacing earlier ones.
run=$work/root
mkdir -p "$run/etc" "$run/lib/modules" "$run/root"
[ -z "$cmd" ] || printf '%s\n' "$cmd" > "$run/etc/guest-cmd"
for m in "${modules[@]+"${modules[@]}"}"; do
	ko=${m%% *}
	params=
	[ "$ko" = "$m" ] || params=${m#* }
	[ -r "$ko" ] || die "cannot read module $ko"
	cp "$ko" "$run/lib/modules/"
	echo "$(basename "$ko") $params" >> "$run/etc/guest-modules"
done
for e in "${extras[@]+"${extras[@]}"}"; do
	src=$e dest=
	case "$e" in *:/*) src=${e%:*} dest=${e##*:} ;; esac
	[ -n "$dest" ] || dest=/root/$(basename "$src")
	copy_in "$run" "$src" "$dest"
done
pack_cpio "$run" "$work/run.cpio.gz" || die "could not pack the run archive"
cat "$initrd" "$work/run.cpio.gz" > "$work/initrd.cpio.gz"

cmdline="console=$console panic=-1"
# Under TCG on a loaded host the PC's IO-APIC timer check can time out
# and panic ("IO-APIC + timer doesn't work!"); the timer itself works.
[ $arch = arm64 ] || cmdline="$cmdline no_timer_check"
[ "$interactive" = 1 ] || [ "$oops_panic" = 0 ] || cmdline="$cmdline oops=panic"
[ "$gdb" = 0 ] || cmdline="$cmdline nokaslr"
cmdline="$cmdline$append"

qemu=($qemu_bin -accel "$accel" -nographic -no-reboot -nic none
	-m "$mem" -smp "$smp")
[ $arch = x86_64 ] || qemu+=(-M virt -cpu cortex-a57)
qemu+=(
	-kernel "$kernel" -initrd "$work/initrd.cpio.gz" -append "$cmdline")
[ "$gdb" = 0 ] || qemu+=(-s -S)
qemu+=("${qemu_extra[@]+"${qemu_extra[@]}"}")
to=(timeout --foreground -k 10 "$timeout")
[ "$timeout" != 0 ] || to=()

[ -n "$log" ] || log=$work/console.log
mkdir -p "$(dirname "$log")"
: > "$log" || die "cannot write $log"
[ "$gdb" = 0 ] || echo "boot.sh: waiting for gdb on :1234 (target remote :1234)" >&2

if [ "$interactive" = 1 ]; then
	# The guest shell owns this terminal (QEMU puts it in raw mode).
	"${to[@]}" "${qemu[@]}" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
else
	# QEMU writes the log; tail streams it and stops when QEMU is gone.
	"${to[@]}" "${qemu[@]}" < /dev/null > "$log" 2>&1 &
	qpid=$!
	trap 'kill "$qpid" 2> /dev/null' INT TERM
	tail -n +1 -f --pid="$qpid" "$log" &
	tpid=$!
	while :; do
		wait "$qpid"
		rc=$?
		kill -0 "$qpid" 2> /dev/null || break
	done
	wait "$tpid"
fi

if [ -n "${to[*]}" ] && [ "$rc" = 124 ]; then
	echo "boot.sh: guest timed out after ${timeout}s" >&2
	"$here/check-log.sh" "${ignores[@]+"${ignores[@]}"}" "$log" >&2
	exit 124
fi

status=
if [ "$interactive" = 0 ]; then
	status=$(tr -d '\r' < "$log" | sed -n 's/.*@@GUEST-EXIT \([0-9]*\)@@.*/\1/p' | tail -n 1)
	if [ -n "$status" ]; then
		echo "boot.sh: guest command exited with status $status" >&2
	else
		echo "boot.sh: guest ended without reporting a status (QEMU exit $rc)" >&2
	fi
fi

if ! "$here/check-log.sh" "${ignores[@]+"${ignores[@]}"}" "$log" >&2; then
	echo "boot.sh: kernel log shows problems, failing (status 120)" >&2
	exit 120
fi
if [ "$interactive" = 1 ]; then
	exit "$rc"
fi
[ -n "$status" ] || exit 125
exit "$status"
