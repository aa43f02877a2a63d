#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# run-user-bench.sh BENCH_BINARY OUT_JSON [--quick]
#
# Runs the userspace micro-benchmark once per allocator, all in this one
# invocation so the ratios compare like with like: libsloba, glibc malloc,
# and jemalloc, mimalloc and tcmalloc through LD_PRELOAD (Debian's
# packages).  Writes every record as one JSON list and prints a table of
# ns per alloc+free with each allocator's ratio to mimalloc.
set -eu
[ $# -ge 2 ] || { echo "usage: run-user-bench.sh BENCH_BINARY OUT_JSON [--quick]" >&2; exit 2; }
bin=$1 out=$2; shift 2
libdir=/usr/lib/$(gcc -print-multiarch)
declare -A preload=(
	[jemalloc]=$libdir/libjemalloc.so.2
	[mimalloc]=$libdir/libmimalloc.so.2
	[tcmalloc]=$libdir/libtcmalloc_minimal.so.4
)
mkdir -p "$(dirname "$out")"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
for a in sloba glibc jemalloc mimalloc tcmalloc; do
	echo "bench: $a" >&2
	if [ -n "${preload[$a]:-}" ]; then
		[ -f "${preload[$a]}" ] || { echo "bench: ${preload[$a]} missing (apt-get install the -dev package)" >&2; exit 1; }
		LD_PRELOAD=${preload[$a]} "$bin" --allocator "$a" "$@" >> "$lines"
	else
		"$bin" --allocator "$a" "$@" >> "$lines"
	fi
done
python3 "$(dirname "$0")/table.py" "$lines" "$out" mimalloc
