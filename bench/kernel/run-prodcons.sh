#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make bench-prodcons-kernel`: the kernel producer/consumer benchmark
# (bench/kernel/prodcons/slab_prodcons.c) on a two-CPU x86-64 guest, for
# several allocators in one run.  For each allocator: builds the kernel
# with kernel/build.sh --config bench/kernel/prodcons.config (tracepoints
# on; cached like every kernel/build.sh folder) and the module against it,
# boots it in QEMU (guest/boot.sh --smp 2) with the module loaded by the
# guest command, and keeps the console log.  By default QEMU runs the two
# vCPUs in turn on one host thread (-accel tcg,thread=single), so a run's
# time is the work of both CPUs, whoever else shares the host's cores;
# --parallel gives each vCPU its own host thread (QEMU's default), which
# lets them contend for real but makes times depend on how the host
# schedules the two threads.  (-icount, which would clock the guest by
# instructions, hangs QEMU 7.2 while a 2-CPU x86-64 guest brings up its
# second CPU.)
# prodcons_table.py then puts the records with platform "kernel" into
# $BUILD/bench/prodcons.json (records of other platforms stay) and prints a
# table, also written to $BUILD/bench/prodcons-kernel.txt.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--allocs 'sloba slub slab slob'] [--boots N] [--parallel]
                  [--timeout SEC] [-- MODULE_PARAMS...]
  --allocs LIST  allocators to compare (default: all four)
  --boots N      boots per allocator (default 2)
  --parallel     each vCPU on its own host thread (default: in turn on one)
  --timeout SEC  per boot (default 900)
  MODULE_PARAMS  for slab_prodcons.ko, e.g. pairs=20000 reps=1
                 sizes=64,4096 patterns=fifo ring=128 burst=1000
EOF
	exit 2
}

allocs='sloba slub slab slob' boots=2 parallel=0 timeout=900
params=()
while [ $# -gt 0 ]; do
	case $1 in
	--allocs) [ $# -ge 2 ] || usage; allocs=$2; shift 2 ;;
	--boots) [ $# -ge 2 ] || usage; boots=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--parallel) parallel=1; shift ;;
	--) shift; params=("$@"); break ;;
	*) usage ;;
	esac
done
for n in "$boots" "$timeout"; do
	case "$n" in '' | *[!0-9]* | 0) usage ;; esac
done
[ -n "$allocs" ] || usage
for a in $allocs; do
	case $a in sloba | slub | slab | slob) ;; *) usage ;; esac
done
for p in "${params[@]+"${params[@]}"}"; do
	case $p in *[!A-Za-z0-9_=,]* | *=) echo "run-prodcons: bad module parameter '$p'" >&2; usage ;; esac
done

out=$BUILD/bench
work=$out/prodcons-kernel
rm -rf "$work"
mkdir -p "$work"

vcpus=round-robin accel=tcg,thread=single
[ "$parallel" = 0 ] || { vcpus=parallel; accel=tcg; }

declare -A bzimage
t0=$(date +%s)
for a in $allocs; do
	echo "bench-prodcons-kernel: building the $a kernel and module"
	obj=$("$repo/kernel/build.sh" --alloc "$a" --config "$here/prodcons.config" \
		--quiet --print-dir) || { echo "bench-prodcons-kernel: the $a kernel did not build" >&2; exit 1; }
	mod=$work/module-$a
	cp -r "$here/prodcons" "$mod"
	make -s -C "$obj" M="$mod" modules > "$work/module-$a.log" 2>&1 &&
		[ -f "$mod/slab_prodcons.ko" ] ||
		{ cat "$work/module-$a.log"; echo "bench-prodcons-kernel: the module did not build for $a" >&2; exit 1; }
	bzimage[$a]=$obj/arch/x86/boot/bzImage
done
echo "bench-prodcons-kernel: kernels ready in $(($(date +%s) - t0))s"

t0=$(date +%s)
status=0
for ((b = 1; b <= boots; b++)); do
	for a in $allocs; do
		log=$work/$a-$b.log
		tb=$(date +%s)
		"$repo/guest/boot.sh" --kernel "${bzimage[$a]}" --smp 2 --mem 512M --accel "$accel" \
			--timeout "$timeout" --log "$log" \
			--extra "$work/module-$a/slab_prodcons.ko:/root/slab_prodcons.ko" \
			--cmd "insmod /root/slab_prodcons.ko ${params[*]+"${params[*]}"} && rmmod slab_prodcons" \
			> /dev/null 2> "$work/$a-$b.boot"
		rc=$?
		printf 'bench-prodcons-kernel: boot %d %-5s %4ds' "$b" "$a" $(($(date +%s) - tb))
		if [ "$rc" = 0 ] && grep -q "slab_prodcons: done, 0 errors" "$log"; then
			echo
		else
			echo " FAILED (boot.sh status $rc, log $log):"
			cat "$work/$a-$b.boot"
			tr -d '\r' < "$log" | grep -E 'slab_prodcons: (error|start|done)|insmod' | head -n 20
			status=1
		fi
	done
done
echo "bench-prodcons-kernel: $boots boot(s) of each in $(($(date +%s) - t0))s"
[ "$status" = 0 ] || exit 1

python3 "$here/prodcons_table.py" --vcpus "$vcpus" "$out/prodcons.json" "$work"/*.log |
	tee "$out/prodcons-kernel.txt"
exit "${PIPESTATUS[0]}"
