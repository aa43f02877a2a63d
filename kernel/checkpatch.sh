#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs the 6.1 tree's scripts/checkpatch.pl over the kernel patch series
# (kernel/patches/*.patch, checked against the tree), the test module's
# sources, the kernel benchmarks of bench/kernel/, and every file
# kernel/overlay.list copies into the tree (the allocator core and its
# kernel platform; as files, --no-tree).  Warnings are shown; any error
# fails.  With --record SUITE the per-file outcome is recorded
# with scripts/record-result.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

record=
case ${1:-} in
--record) [ $# -eq 2 ] || { echo "usage: ${0##*/} [--record SUITE]" >&2; exit 2; }; record=$2 ;;
'') ;;
*) echo "usage: ${0##*/} [--record SUITE]" >&2; exit 2 ;;
esac

src=$("$here/build.sh" --print-src) || exit 1
pass=0 fail=0

# check FILE checkpatch-options...: one file, counted by its error total.
check() {
	local f=$1 out errors
	shift
	out=$(cd "$src" && perl scripts/checkpatch.pl --no-color --show-types "$@" "$f" 2>&1)
	errors=$(sed -n 's/^total: \([0-9]*\) errors.*/\1/p' <<< "$out" | tail -n 1)
	if [ -z "$errors" ]; then
		echo "checkpatch: could not check ${f#"$repo"/}:"
		echo "$out"
		fail=$((fail + 1))
	elif [ "$errors" -gt 0 ]; then
		echo "$out"
		echo "checkpatch: FAIL ${f#"$repo"/}"
		fail=$((fail + 1))
	else
		grep -E '^(WARNING|CHECK)' <<< "$out" -A3
		echo "checkpatch: ok   ${f#"$repo"/} ($(grep '^total:' <<< "$out"))"
		pass=$((pass + 1))
	fi
}

for p in "$here"/patches/*.patch; do
	[ -e "$p" ] && check "$p"
done
# The module, the kernel benchmarks' sources (bench/kernel/), and every
# file the overlay copies into the kernel tree.
files=("$here"/testmod/*.c "$here"/testmod/*.h "$repo"/bench/kernel/*.c
	"$repo"/bench/kernel/*/*.c)
while read -r from _; do
	case $from in '' | '#'*) continue ;; esac
	files+=("$repo/$from")
done < "$here/overlay.list"
for c in "${files[@]}"; do
	[ -e "$c" ] && check "$c" --no-tree --file
done

echo "checkpatch: $pass passed, $fail failed"
[ -z "$record" ] || "$repo/scripts/record-result" "$record" "$pass" "$fail"
[ "$fail" -eq 0 ]
