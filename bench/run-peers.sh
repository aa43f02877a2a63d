#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# run-peers.sh TAG BINARY LINES_FILE [options...]
#
# Runs a userspace benchmark once per allocator, all in this one invocation
# so the times compare like with like: libsloba (linked into BINARY),
# glibc malloc, and jemalloc, mimalloc and tcmalloc through LD_PRELOAD
# (Debian's packages).  Each run is `BINARY --allocator NAME options...`;
# its output is appended to LINES_FILE.  TAG prefixes the progress lines.
# Shared by run-user-bench.sh and run-prodcons.sh.
set -eu
[ $# -ge 3 ] || { echo "usage: run-peers.sh TAG BINARY LINES_FILE [options]" >&2; exit 2; }
tag=$1 bin=$2 lines=$3; shift 3
libdir=/usr/lib/$(gcc -print-multiarch)
declare -A preload=(
	[jemalloc]=$libdir/libjemalloc.so.2
	[mimalloc]=$libdir/libmimalloc.so.2
	[tcmalloc]=$libdir/libtcmalloc_minimal.so.4
)
for a in sloba glibc jemalloc mimalloc tcmalloc; do
	echo "$tag: $a" >&2
	if [ -n "${preload[$a]:-}" ]; then
		[ -f "${preload[$a]}" ] || { echo "$tag: ${preload[$a]} missing (apt-get install the -dev package)" >&2; exit 1; }
		LD_PRELOAD=${preload[$a]} "$bin" --allocator "$a" "$@" >> "$lines"
	else
		"$bin" --allocator "$a" "$@" >> "$lines"
	fi
done
