#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# run-prodcons.sh PRODCONS_BINARY OUT_JSON [prodcons options...]
#
# The producer/consumer benchmark (bench/prodcons.c) once per allocator, in
# this one invocation so the times compare like with like: libsloba, glibc
# malloc, and jemalloc, mimalloc and tcmalloc through LD_PRELOAD.  Its
# records replace the "user" ones in OUT_JSON, which the kernel's
# producer/consumer benchmark shares (platform "kernel"), and a table shows
# libsloba's node-lock acquisitions, barn trades and page-allocator calls
# per 1000 pairs, and each allocator's ns per pair.
set -eu
[ $# -ge 2 ] || { echo "usage: run-prodcons.sh PRODCONS_BINARY OUT_JSON [options]" >&2; exit 2; }
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
	echo "prodcons: $a" >&2
	if [ -n "${preload[$a]:-}" ]; then
		[ -f "${preload[$a]}" ] || { echo "prodcons: ${preload[$a]} missing (apt-get install the -dev package)" >&2; exit 1; }
		LD_PRELOAD=${preload[$a]} "$bin" --allocator "$a" "$@" >> "$lines"
	else
		"$bin" --allocator "$a" "$@" >> "$lines"
	fi
done
python3 "$(dirname "$0")/prodcons_table.py" "$lines" "$out" user
