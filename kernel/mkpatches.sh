#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Writes SLOBA as a self-contained `git am` series for pristine Linux 6.1,
# derived from what kernel/build.sh builds (the in-repo series
# kernel/patches/*.patch plus the files kernel/overlay.list copies in):
#
#   0001  mm: add the SLOBA allocator core and its Linux platform
#         (the overlay files, new files only: nothing builds them yet)
#   0002… the in-repo series in order (the first wires SLOBA into Kconfig
#         and mm/Makefile, so from there on CONFIG_SLOBA=y builds)
#
# into OUT (default $BUILD/patches), with a cover letter.  With --check it
# also tests the series: `git am` onto a fresh unpacked tarball, the result
# identical to kernel/build.sh's tree, checkpatch.pl clean (no errors) on
# every patch, and, with CONFIG_SLOBA=y, mm/ builds after every patch that
# can select it (--record SUITE records the counts).  The whole kernel of
# the last step is kernel/build.sh's, which test-kernel.sh builds and boots.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BUILD=${BUILD:-$repo/build}
tarball=/usr/src/linux-source-6.1.tar.xz

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [-o OUT] [--check] [--record SUITE] [--jobs N]
  -o OUT          where the series goes (default \$BUILD/patches)
  --check         apply it to a fresh tree, compare, checkpatch and build
  --record SUITE  record the check's counts with scripts/record-result
  --jobs N        make jobs for the build check (default: number of CPUs)
EOF
	exit 2
}

out=$BUILD/patches check=0 record='' jobs=$(nproc)
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--check) check=1; shift ;;
	--record) [ $# -ge 2 ] || usage; record=$2; check=1; shift 2 ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	*) usage ;;
	esac
done

say() { echo "patches: $*"; }
pass=0 fail=0
ok() { say "ok   $*"; pass=$((pass + 1)); }
bad() { say "FAIL $*"; fail=$((fail + 1)); }
finish() {
	say "$pass passed, $fail failed"
	[ -z "$record" ] || "$repo/scripts/record-result" "$record" "$pass" "$fail"
	[ "$fail" = 0 ]
	exit
}

# The tree kernel/build.sh builds (patched, overlay copied in).
src=$("$here/build.sh" --print-src) || { bad "kernel/build.sh could not prepare its tree"; finish; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git_id=(-c user.name="sloba developer" -c user.email=dev@sloba.invalid
	-c core.autocrlf=false -c commit.gpgsign=false)

# pristine DIR: the unpacked tarball as a git repository with one commit.
pristine() {
	mkdir -p "$1"
	tar -xf "$tarball" -C "$1" --strip-components=1 &&
		git -C "$1" init -q &&
		git -C "$1" add -f -A . &&
		git "${git_id[@]}" -C "$1" commit -q -m "linux-source-6.1"
}

# --- the series ------------------------------------------------------------
say "building the series in $work/gen"
pristine "$work/gen" || { bad "could not unpack $tarball"; finish; }
files=()
while read -r from to rest; do
	case $from in '' | '#'*) continue ;; esac
	mkdir -p "$work/gen/$(dirname "$to")"
	cp "$repo/$from" "$work/gen/$to"
	files+=("$to")
done < "$here/overlay.list"
git -C "$work/gen" add -f "${files[@]}"
git "${git_id[@]}" -C "$work/gen" commit -q -F - <<'EOF'
mm: add the SLOBA allocator core and its Linux platform

SLOBA is a slab allocator whose core, mm/sloba.c, is one file shared with
a userspace library and a UML build; it meets its platform through the
contract in mm/sloba_platform.h.  This adds the core with the Linux side
of that contract: mm/sloba_plat.h and mm/sloba_plat_inline.h (locks,
per-cpu freelists, page descriptors, the KASAN hooks of the layout),
mm/sloba_linux.c (pages, CPU hotplug, the shrinker, /proc/slabinfo and
every entry point slab_common.c and <linux/slab.h> expect, with the
kernel's memcg, KASAN, KFENCE, kmemleak and FAILSLAB hooks around the
core's calls), mm/sloba_def.h (the object layout seen by mm/'s generic
code) and the KUnit suite mm/sloba_kunit.c.

Nothing builds these files yet: the next patches add CONFIG_SLOBA.

Signed-off-by: sloba developer <dev@sloba.invalid>
EOF
for p in "$here"/patches/*.patch; do
	if ! git "${git_id[@]}" -C "$work/gen" am -q "$p"; then
		bad "in-repo $(basename "$p") does not apply after the core"
		finish
	fi
done
rm -rf "$out"
mkdir -p "$out"
git "${git_id[@]}" -C "$work/gen" format-patch -q --cover-letter --no-signature \
	-o "$out" HEAD~$((1 + $(ls "$here"/patches/*.patch | wc -l))) ||
	{ bad "git format-patch failed"; finish; }
cover=$(ls "$out"/0000-*.patch)
cat > "$work/blurb" <<'EOF'
SLOBA is a fourth slab allocator for Linux 6.1, beside SLAB, SLUB and
SLOB: page-sized slabs cut into equal objects from the slab's end, each
slab's freelist and counters in its struct slab, short per-cpu LIFO
freelists in front of them, 28 kmalloc size classes of 8 to 4096 bytes.
Its core (mm/sloba.c) is shared with a userspace library and meets the
kernel through a small platform contract (mm/sloba_platform.h).

Patch 1 adds the core and its Linux platform as new files, patch 2 wires
them in as CONFIG_SLOBA, patch 3 lets it coexist with MEMCG_KMEM, KASAN,
KFENCE, FAILSLAB and HARDENED_USERCOPY.  The series applies to 6.1
(Debian's linux-source-6.1) with `git am`.
EOF
sed -i -e 's/\*\*\* SUBJECT HERE \*\*\*/mm: SLOBA, a slab allocator beside SLAB, SLUB and SLOB/' \
	-e '/\*\*\* BLURB HERE \*\*\*/{
r '"$work"'/blurb
d
}' "$cover"
say "wrote $(ls "$out" | wc -l) files to $out"
[ "$check" = 1 ] || exit 0

# --- the check ---------------------------------------------------------------
series=("$out"/0*.patch)
series=("${series[@]:1}")	# without the cover letter
# A fresh tree: the pristine commit of the repository the series came from,
# checked out clean on a branch of its own (one unpacking, not two).
am=$work/gen
git -C "$am" checkout -q -f -B check "$(git -C "$am" rev-list --max-parents=0 HEAD)" &&
	git -C "$am" clean -q -f -d -x ||
	{ bad "could not check out the pristine tree"; finish; }
applied=1
for p in "${series[@]}"; do
	git "${git_id[@]}" -C "$am" am -q "$p" || { applied=0; bad "git am $(basename "$p")"; break; }
done
[ "$applied" = 0 ] || ok "git am of ${#series[@]} patches onto pristine 6.1"

if [ "$applied" = 1 ]; then
	if diff -r -q -x .git -x .sloba-ready -x __pycache__ "$am" "$src" > "$work/diff" 2>&1; then
		ok "the series gives kernel/build.sh's tree exactly"
	else
		head -n 20 "$work/diff"
		bad "the series and kernel/build.sh's tree differ"
	fi
fi

for p in "${series[@]}"; do
	res=$(cd "$am" && perl scripts/checkpatch.pl --no-color "$p" 2>&1 | sed -n 's/^total: \([0-9]*\) errors.*/\1/p')
	if [ "$res" = 0 ]; then
		ok "checkpatch $(basename "$p")"
	else
		(cd "$am" && perl scripts/checkpatch.pl --no-color "$p" | grep -A3 '^ERROR')
		bad "checkpatch $(basename "$p") (${res:-no} errors)"
	fi
done

# Every step after the one that adds CONFIG_SLOBA: mm/ (where every
# SLOBA-dependent file is) builds with it.  The whole kernel of the last
# step is the one test-kernel.sh builds: the tree is the same, checked above.
[ "$applied" = 1 ] || finish
obj=$work/obj
n=${#series[@]}
mapfile -t steps < <(git -C "$am" rev-list --reverse "HEAD~$n..HEAD")
for ((i = 1; i <= n; i++)); do
	git -C "$am" checkout -q "${steps[i - 1]}"
	grep -q '^config SLOBA$' "$am/mm/Kconfig" || {
		ok "step $i: adds files only (CONFIG_SLOBA does not exist yet)"
		continue
	}
	kmake=(make -s -C "$am" O="$obj" ARCH=x86_64 -j"$jobs")
	{
		"${kmake[@]}" tinyconfig &&
			(cd "$obj" && ARCH=x86_64 "$am/scripts/kconfig/merge_config.sh" -m .config \
				"$here/configs/base.config" "$here/configs/x86_64.config" "$here/configs/sloba.config") &&
			"${kmake[@]}" olddefconfig && grep -q '^CONFIG_SLOBA=y' "$obj/.config"
	} > "$work/step$i.log" 2>&1 || { tail -n 20 "$work/step$i.log"; bad "step $i: configure"; continue; }
	target=mm/
	t0=$(date +%s)
	if "${kmake[@]}" $target >> "$work/step$i.log" 2>&1; then
		ok "step $i: make $target with CONFIG_SLOBA=y ($(($(date +%s) - t0))s)"
	else
		grep -E 'error|Error' "$work/step$i.log" | head -n 20
		bad "step $i: make $target with CONFIG_SLOBA=y"
	fi
done
finish
