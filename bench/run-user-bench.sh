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
mkdir -p "$(dirname "$out")"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
"$(dirname "$0")/run-peers.sh" bench "$bin" "$lines" "$@"
python3 "$(dirname "$0")/table.py" "$lines" "$out" mimalloc
