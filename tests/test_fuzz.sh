#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# test_fuzz.sh [FUZZER] - runs the libFuzzer harness tests/fuzz_api.c for
# FUZZ_SECONDS (default 60) and reports, in TAP, whether it ended without
# a finding and how many operations it ran.  The corpus starts as four
# random 16 KiB inputs (long programs: thousands of operations each), which
# libFuzzer then mutates.  FUZZ_ARGS adds libFuzzer options (-runs=N, ...).
# The allocator's own report of misuse, a wrong byte, a leak of a cache or
# any ASan/UBSan finding makes the run fail.
set -u
fuzzer=${1:-$SLOBA_FUZZER}
secs=${FUZZ_SECONDS:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..1"
mkdir "$tmp/corpus"
for i in 1 2 3 4; do
	head -c 16384 /dev/urandom > "$tmp/corpus/seed$i"
done
ASAN_OPTIONS=abort_on_error=0:detect_leaks=0 \
	"$fuzzer" -max_total_time="$secs" -max_len=16384 -len_control=0 \
	-print_final_stats=1 -artifact_prefix="$tmp/" ${FUZZ_ARGS:-} \
	"$tmp/corpus" > "$tmp/log" 2>&1 &
start=$SECONDS
wait $!
rc=$?
took=$((SECONDS - start))
ops=$(sed -n 's/^fuzz_api: \([0-9]*\) operations$/\1/p' "$tmp/log" | tail -1)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log" | tail -1)
if [ "$rc" -eq 0 ] && [ -n "$ops" ] && [ "$ops" -gt 0 ]; then
	echo "ok 1 - fuzz_api: $runs inputs, $ops operations in ${took} s, no finding"
else
	echo "not ok 1 - fuzz_api exited with status $rc"
	grep -v '^#' "$tmp/log" | tail -60 | sed 's/^/# /'
	for f in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-*; do
		[ -f "$f" ] && echo "# input: $(od -An -tx1 -v "$f" | tr -d '\n' | head -c 600)"
	done
fi
[ "$rc" -eq 0 ]
