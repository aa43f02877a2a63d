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
mkdir -p "$(dirname "$out")"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
"$(dirname "$0")/run-peers.sh" prodcons "$bin" "$lines" "$@"
python3 "$(dirname "$0")/prodcons_table.py" "$lines" "$out" user
