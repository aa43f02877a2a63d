#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# count-insns.sh INSN_COUNT_BINARY
#
# Runs bench/insn_count.c under callgrind and prints the instructions per
# alloc+free pair of SLOBA's fast path (the loop's own cost subtracted).
# Instruction counts do not depend on machine load, unlike timings.
set -eu
[ $# -eq 1 ] || { echo "usage: count-insns.sh INSN_COUNT_BINARY" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out" "$out".ann' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
	--toggle-collect=loop_empty --toggle-collect=loop_cache \
	--toggle-collect=loop_kmalloc "$1" >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$out" > "$out.ann"
ir() { awk -v f="$1" '$0 ~ (f " ") || $0 ~ (f "$") { gsub(",", "", $1); print $1; exit }' "$out.ann"; }
n=100000
empty=$(ir loop_empty) cache=$(ir loop_cache) kmalloc=$(ir loop_kmalloc)
per() { echo $(( $(ir "$1") / n )); }
echo "instructions per call, inside the allocator (ret included):"
echo "  sloba_cache_alloc $(per sloba_cache_alloc), sloba_cache_free $(per sloba_cache_free)," \
     "sloba_kmalloc $(per sloba_kmalloc), sloba_kfree $(per sloba_kfree)"
echo "instructions per alloc+free pair, with the caller's calls and arguments:"
echo "  kmem_cache_alloc + kmem_cache_free: $(( (cache - empty) / n ))"
echo "  kmalloc(64) + kfree:                $(( (kmalloc - empty) / n ))"
