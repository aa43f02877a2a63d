#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# test_sanitize.sh ASAN_VICTIM VG_VICTIM - ASan and Valgrind see sloba's
# objects: tests/sanitize_victim.c, built against the ASan and the Valgrind
# variant of libsloba, commits one misuse per run; each must be reported
# with the right kind and with the stacks that allocated and freed the
# object, and a clean workload must be reported by neither.  Speaks TAP.
set -u
asan=${1:-$SLOBA_ASAN_VICTIM} vg=${2:-$SLOBA_VG_VICTIM}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

# expect DESCRIPTION WANT_RC(0|fail) OUTPUT_FILE RC PATTERN...: every
# extended-regex PATTERN must be found in OUTPUT_FILE, in order of lines.
expect() {
	local what=$1 want=$2 out=$3 rc=$4 ok=1 p line=0 at
	shift 4
	if [ "$want" = 0 ] && [ "$rc" -ne 0 ]; then ok=0; fi
	if [ "$want" = fail ] && [ "$rc" -eq 0 ]; then ok=0; fi
	for p in "$@"; do
		at=$(tail -n +$((line + 1)) "$out" | grep -n -E -m1 -- "$p" | cut -d: -f1)
		if [ -z "$at" ]; then
			echo "# missing (after line $line): $p"
			ok=0
			break
		fi
		line=$((line + at))
	done
	n=$((n + 1))
	if [ $ok = 1 ]; then
		echo "ok $n - $what"
	else
		failed=$((failed + 1))
		echo "not ok $n - $what (exit status $rc)"
		head -40 "$out" | sed 's/^/# /'
	fi
}

run_asan() {
	ASAN_OPTIONS=abort_on_error=0:detect_leaks=0 "$asan" "$1" > "$tmp/$1.asan" 2>&1
}

run_vg() {
	valgrind -q --error-exitcode=9 "$vg" "$1" > "$tmp/$1.vg" 2>&1
}

echo "1..14"

run_asan clean; rc=$?
grep -q 'ERROR: AddressSanitizer\|runtime error\|^sloba:' "$tmp/clean.asan" && rc=99
expect "ASan: a correct workload is not reported" 0 "$tmp/clean.asan" $rc '^clean: ok'
run_asan uaf; expect "ASan: use after kfree is a heap-use-after-free, with sloba's stacks" fail \
	"$tmp/uaf.asan" $? 'ERROR: AddressSanitizer: heap-use-after-free' \
	'READ of size 1' 'in victim_uaf' '10 bytes into object .* of cache kmalloc-112' \
	'allocated here \(sloba\)' 'in sloba_kmalloc' 'in victim_alloc' \
	'freed here \(sloba\)' 'in sloba_kfree' 'in victim_release'
run_asan cache-uaf; expect "ASan: write after sloba_cache_free is a heap-use-after-free" fail \
	"$tmp/cache-uaf.asan" $? 'ERROR: AddressSanitizer: heap-use-after-free' \
	'WRITE of size 1' 'in victim_cache_uaf' 'of cache victim' \
	'freed here \(sloba\)' 'in sloba_cache_free'
run_asan overflow; expect "ASan: a write past kmalloc(100) is a heap-buffer-overflow" fail \
	"$tmp/overflow.asan" $? 'ERROR: AddressSanitizer: heap-buffer-overflow' \
	'WRITE of size 1' 'in victim_overflow' '100 bytes into object' \
	'allocated here \(sloba\)' 'in victim_alloc'
run_asan cache-overflow; expect "ASan: a read past a cache object is a heap-buffer-overflow" fail \
	"$tmp/cache-overflow.asan" $? 'ERROR: AddressSanitizer: heap-buffer-overflow' \
	'READ of size 1' 'in victim_cache_overflow' '41 bytes into object .* of cache victim'
run_asan large-overflow; expect "ASan: a write past a large kmalloc is a heap-buffer-overflow" fail \
	"$tmp/large-overflow.asan" $? 'ERROR: AddressSanitizer: heap-buffer-overflow' \
	'in victim_large_overflow'
run_asan double-free; expect "ASan build: a double free is reported with both stacks" 0 \
	"$tmp/double-free.asan" $? '^sloba: double free of .* in cache kmalloc-112' \
	'allocated here \(sloba\)' 'in victim_alloc' 'freed here \(sloba\)' \
	'in victim_release' 'double free here' 'in victim_double_free'

run_vg clean; expect "Valgrind: a correct workload is not reported" 0 "$tmp/clean.vg" $? \
	'^clean: ok'
run_vg uaf; expect "Valgrind: use after kfree, with the free's stack" fail "$tmp/uaf.vg" $? \
	'Invalid read of size 1' 'victim_uaf' \
	'is 10 bytes inside a block of size 100 free.d' 'sloba_kfree' 'victim_release' \
	'Block was alloc.d at' 'sloba_kmalloc' 'victim_alloc'
run_vg cache-uaf; expect "Valgrind: write after sloba_cache_free" fail "$tmp/cache-uaf.vg" $? \
	'Invalid write of size 1' 'victim_cache_uaf' \
	'is 8 bytes inside a block of size 72 free.d' 'sloba_cache_free'
run_vg overflow; expect "Valgrind: a write past kmalloc(100)" fail "$tmp/overflow.vg" $? \
	'Invalid write of size 1' 'victim_overflow' \
	'is 0 bytes after a block of size 100 alloc.d' 'sloba_kmalloc' 'victim_alloc'
run_vg cache-overflow; expect "Valgrind: a read past a cache object" fail \
	"$tmp/cache-overflow.vg" $? 'Invalid read of size 1' 'victim_cache_overflow' \
	'is 1 bytes after a block of size 40 alloc.d'
run_vg large-overflow; expect "Valgrind: a write past a large kmalloc" fail \
	"$tmp/large-overflow.vg" $? 'Invalid write of size 1' 'victim_large_overflow' \
	'is 0 bytes after a block of size 5,000 alloc.d'
run_vg double-free; expect "Valgrind: a double free is an invalid free" fail \
	"$tmp/double-free.vg" $? 'Invalid free\(\)' 'victim_release' \
	'inside a block of size 100 free.d' '^sloba: double free of'
exit $((failed > 0))
