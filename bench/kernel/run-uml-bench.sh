#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make bench-kernel`: the in-kernel slab micro-benchmark
# (bench/kernel/slab_bench.c) in UML, at native speed on one CPU, for
# several allocators in one run.  Builds each allocator's UML kernel
# (bench/kernel/uml-kernel.sh; cached), then boots them in rounds, one boot
# of each allocator per round, so a change in the machine's load touches
# every allocator alike.  Each boot runs every case and powers off.
# kernel_table.py turns the console logs into $BUILD/bench/kernel.json and a
# table (also in $BUILD/bench/kernel.txt).  Fails if a kernel does not
# build, a boot does not finish, or the benchmark reports an error.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--allocs 'sloba slub slab slob'] [--boots N] [--reps N]
                  [--pairs N] [--mem SIZE] [--timeout SEC]
  --allocs LIST  allocators to compare (default: all four)
  --boots N      boots per allocator (default 5)
  --reps N       timed runs of each case per boot (default 10)
  --pairs N      alloc+free pairs per timed run (default 50000)
  --mem SIZE     UML memory (default 256M)
  --timeout SEC  per boot (default 300)
EOF
	exit 2
}

allocs='sloba slub slab slob' boots=5 reps=10 pairs=50000 mem=256M timeout=300
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case $1 in
	--allocs) allocs=$2 ;;
	--boots) boots=$2 ;;
	--reps) reps=$2 ;;
	--pairs) pairs=$2 ;;
	--mem) mem=$2 ;;
	--timeout) timeout=$2 ;;
	*) usage ;;
	esac
	shift 2
done
for n in "$boots" "$reps" "$pairs" "$timeout"; do
	case "$n" in '' | *[!0-9]* | 0) usage ;; esac
done
for a in $allocs; do
	case $a in sloba | slub | slab | slob) ;; *) usage ;; esac
done
[ -n "$allocs" ] || usage

out=$BUILD/bench
logs=$out/kernel-logs
rm -rf "$logs"
mkdir -p "$logs"

declare -A linux
t0=$(date +%s)
for a in $allocs; do
	echo "bench-kernel: building the $a UML kernel"
	linux[$a]=$("$here/uml-kernel.sh" --alloc "$a" --quiet) || {
		echo "bench-kernel: the $a UML kernel did not build" >&2
		exit 1
	}
done
echo "bench-kernel: kernels ready in $(($(date +%s) - t0))s"

t0=$(date +%s)
status=0
for ((b = 1; b <= boots; b++)); do
	for a in $allocs; do
		log=$logs/$a-$b.log
		tb=$(date +%s%N)
		# UML makes its memory a file in $TMPDIR; stdin must not be a
		# terminal it would take over.
		timeout -k 10 "$timeout" "${linux[$a]}" mem="$mem" console=tty \
			slab_bench.reps="$reps" slab_bench.pairs="$pairs" \
			< /dev/null > "$log" 2>&1
		rc=$?
		tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
		ms=$((($(date +%s%N) - tb) / 1000000))
		printf 'bench-kernel: round %d %-5s %3d.%02ds' "$b" "$a" \
			$((ms / 1000)) $((ms % 1000 / 10))
		if grep -q "slab_bench: done, 0 errors" "$log" &&
			grep -q "slab_bench: start alloc=$a " "$log"; then
			echo
		else
			echo " FAILED (exit $rc, log $log):"
			grep -E 'slab_bench: (error|start|done)|Kernel panic|BUG|WARNING' "$log" | head -n 20
			status=1
		fi
	done
done
echo "bench-kernel: $boots boots of each in $(($(date +%s) - t0))s"
[ "$status" = 0 ] || exit 1

python3 "$here/kernel_table.py" "$out/kernel.json" "$logs"/*.log |
	tee "$out/kernel.txt"
exit "${PIPESTATUS[0]}"
