#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the UML kernel of `make bench-kernel` for one slab allocator and
# prints the path of its `linux` binary.
#
# The benchmark (bench/kernel/slab_bench.c) is built into the kernel, so it
# needs a tree whose mm/Makefile names it.  The shared tree that
# kernel/build.sh --print-src prepares must stay as every other build
# expects it, so this script keeps a tree of its own beside the cache:
#
#   $SLOBA_CACHE/bench-kernel/tree-<shared tree name>
#
# a copy of the shared tree made of hard links (seconds, almost no disk),
# in which every file that differs from the shared tree is a file of its
# own, never a link: the files of kernel/overlay.list (copied from this
# checkout), mm/slab_bench.c, and mm/Makefile with one line added.  Files
# are replaced, never written in place, so the shared tree is never
# changed through a link.
#
# The kernel is built out of tree in $SLOBA_CACHE/bench-kernel/uml-<alloc>-<key>
# (key: the tree and the config fragments), configured as
# `make ARCH=um tinyconfig` plus bench/kernel/uml.config plus
# kernel/configs/<alloc>.config (merge_config.sh, as kernel/build.sh does
# for x86-64); it fails if an option the fragments set did not survive.  Older
# trees and build folders of this script are removed when not in use.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}
cache=$SLOBA_CACHE/bench-kernel

usage() {
	cat >&2 <<EOF
usage: ${0##*/} --alloc NAME [--jobs N] [--quiet]
  --alloc NAME  sloba, slub, slab or slob (kernel/configs/NAME.config)
  --jobs N      parallel make jobs (default: number of CPUs)
  --quiet       keep make's output in <build>/build.log, show it on failure
EOF
	exit 2
}

say() { echo "uml-kernel: $*" >&2; }
fail() { say "error: $*"; exit 1; }

alloc='' jobs=$(nproc) quiet=0
while [ $# -gt 0 ]; do
	case $1 in
	--alloc) [ $# -ge 2 ] || usage; alloc=$2; shift 2 ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	*) usage ;;
	esac
done
case "$alloc" in sloba | slub | slab | slob) ;; *) usage ;; esac
case "$jobs" in '' | *[!0-9]*) usage ;; esac

shared=$("$repo/kernel/build.sh" --print-src) || fail "could not prepare the shared tree"
mkdir -p "$cache"
tree=$cache/tree-$(basename "$shared")

# put FILE DEST: DEST (in our tree) becomes a file of its own with FILE's
# content; left alone when it already is one with that content.
put() {
	if [ -f "$2" ] && [ "$(stat -c %h "$2")" = 1 ] && cmp -s "$1" "$2"; then
		return
	fi
	mkdir -p "$(dirname "$2")"
	cp "$1" "$2.new"
	mv -f "$2.new" "$2"
}

# --- the tree ----------------------------------------------------------
exec 8> "$cache/.tree.lock"
flock 8
if [ ! -f "$tree/.bench-ready" ]; then
	say "linking $tree to $shared"
	rm -rf "$tree.tmp"
	cp -al "$shared" "$tree.tmp"
	rm -f "$tree.tmp/.sloba-ready"
	touch "$tree.tmp/.bench-ready"
	mv "$tree.tmp" "$tree"
fi
touch "$tree/.bench-ready"
while read -r from to rest; do
	case "$from" in '' | '#'*) continue ;; esac
	[ -n "$to" ] && [ -z "$rest" ] || fail "overlay.list: bad line '$from $to $rest'"
	put "$repo/$from" "$tree/$to"
done < "$repo/kernel/overlay.list"
put "$here/slab_bench.c" "$tree/mm/slab_bench.c"
makefile=$(mktemp)
trap 'rm -f "$makefile"' EXIT
{
	cat "$shared/mm/Makefile"
	echo "obj-y += slab_bench.o"
} > "$makefile"
put "$makefile" "$tree/mm/Makefile"
# Trees of older shared trees go (not the one in use: it is locked shared).
for old in "$cache"/tree-*; do
	[ -d "$old" ] && [ "$old" != "$tree" ] || continue
	(flock -n -x 6 && rm -rf "$old") 6< "$old/.bench-ready" || true
done
exec 7< "$tree/.bench-ready"
flock -s 7
flock -u 8

# --- configuration -------------------------------------------------------
frags=("$here/uml.config" "$repo/kernel/configs/$alloc.config")
key=$({
	basename "$tree"
	for f in "${frags[@]}"; do
		echo "fragment $(basename "$f")"
		cat "$f"
	done
} | sha256sum | cut -c1-12)
obj=$cache/uml-$alloc-$key
mkdir -p "$obj"
exec 9> "$obj.lock"
flock 9
log=$obj/build.log
kmake=(make -C "$tree" O="$obj" ARCH=um -j"$jobs")

run() {
	if [ "$quiet" = 1 ]; then
		"$@" >> "$log" 2>&1 || { tail -n 40 "$log" >&2; return 1; }
	else
		"$@" 2>&1 | tee -a "$log" >&2
		return "${PIPESTATUS[0]}"
	fi
}

# Each option the fragments set (the last one wins) must be in .config.
check_config() {
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=.*/\1 &/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 &/p' "${frags[@]}" |
		awk '{ s = $1; sub(/^[^ ]* /, ""); want[s] = $0 }
		END { for (s in want) print s "\t" want[s] }' |
		while IFS=$'\t' read -r sym want; do
			have=$(grep -E "^(# )?${sym}[= ]" "$obj/.config" || true)
			case "$want" in
			'# '*) [ -z "$have" ] || [ "$have" = "$want" ] ||
				echo "  wanted '$want', got '$have'" ;;
			*) [ "$have" = "$want" ] ||
				echo "  wanted '$want', got '${have:-<absent: unmet dependency>}'" ;;
			esac
		done
}

if [ ! -f "$obj/.bench-config-ok" ]; then
	say "configuring $obj (tinyconfig + ${frags[*]##*/})"
	: > "$log"
	run "${kmake[@]}" tinyconfig || fail "make tinyconfig failed (log: $log)"
	run env -C "$obj" ARCH=um "$tree/scripts/kconfig/merge_config.sh" -m \
		.config "${frags[@]}" || fail "merge_config.sh failed (log: $log)"
	run "${kmake[@]}" olddefconfig || fail "make olddefconfig failed (log: $log)"
	bad=$(check_config)
	[ -z "$bad" ] || { say "options the fragments ask for are not in $obj/.config:"; echo "$bad" >&2; exit 1; }
	touch "$obj/.bench-config-ok"
fi

start=$(date +%s)
say "building $alloc in $obj (-j$jobs)"
run "${kmake[@]}" linux || fail "UML build failed (log: $log)"
say "built in $(($(date +%s) - start))s"
touch "$obj/.bench-config-ok"
[ -x "$obj/linux" ] || fail "no $obj/linux after the build"
flock -u 9

# Older build folders of this allocator go, unless another run holds one.
for old in "$cache"/uml-"$alloc"-*; do
	[ -d "$old" ] && [ "$old" != "$obj" ] || continue
	(flock -n 5 && rm -rf "$old" "$old.lock") 5> "$old.lock" || true
done
echo "$obj/linux"
