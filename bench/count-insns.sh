#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# count-insns.sh SLOBA_BINARY MALLOC_BINARY
#
# Runs bench/insn_count.c under callgrind, once against libsloba and once
# per malloc (glibc, and jemalloc, mimalloc, tcmalloc through LD_PRELOAD),
# and prints instructions per alloc+free pair, the loop's own cost
# subtracted.  Instruction counts do not depend on machine load, unlike
# timings, so these ratios are repeatable.
set -eu
[ $# -eq 2 ] || { echo "usage: count-insns.sh SLOBA_BINARY MALLOC_BINARY" >&2; exit 2; }
libdir=/usr/lib/$(gcc -print-multiarch)
n=100000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# count NAME BINARY [PRELOAD]: prints "pair batch [cache]" per pair.
count() {
	local out=$tmp/$1
	env ${3:+LD_PRELOAD=$3} valgrind --tool=callgrind --callgrind-out-file="$out" \
		--collect-atstart=no --toggle-collect=loop_empty \
		--toggle-collect=loop_pair --toggle-collect=loop_batch \
		--toggle-collect=loop_cache "$2" >/dev/null 2>&1
	callgrind_annotate --inclusive=yes "$out" > "$out.ann"
	ir() { awk -v f="$1" '$0 ~ (f " ") || $0 ~ (f "$") { gsub(",", "", $1); print $1; exit }' "$out.ann"; }
	local empty pair batch cache
	empty=$(ir loop_empty) pair=$(ir loop_pair) batch=$(ir loop_batch)
	cache=$(ir loop_cache)
	# loop_batch runs twice, and once more before counting starts.
	printf '%-10s %8d %12d %10s\n' "$1" $(( (pair - empty) / n )) \
		$(( batch / (2 * n) )) "${cache:+$(( (cache - empty) / n ))}"
}

echo "instructions per alloc+free of 64 bytes (callgrind):"
printf '%-10s %8s %12s %10s\n' allocator pair batch-1000 cache-pair
count sloba "$1"
count glibc "$2"
count jemalloc "$2" "$libdir/libjemalloc.so.2"
count mimalloc "$2" "$libdir/libmimalloc.so.2"
count tcmalloc "$2" "$libdir/libtcmalloc_minimal.so.4"
