#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds a Linux 6.1 test kernel for one slab allocator, out of tree.
#
#  1. Unpacks Debian's pristine /usr/src/linux-source-6.1.tar.xz (installing
#     linux-source-6.1 if needed) once into $SLOBA_CACHE/src/linux-6.1-<key>,
#     where <key> hashes the tarball and the patch series kernel/patches/*.patch
#     (applied in name order with `git apply`; a patch that does not apply is
#     fatal).  A changed series gives a fresh tree.
#  2. Copies the files named in kernel/overlay.list into that tree.
#  3. Configures $SLOBA_CACHE/build/<name>-<key> as `make tinyconfig` plus
#     kernel/configs/base.config, the machine's fragment (x86_64.config or
#     arm64.config), the allocator's fragment and any --config fragments,
#     and fails if any option a fragment asks for did not survive
#     (merge_config.sh only warns about unmet dependencies).
#     With --seed-from DIR, a new build folder starts as a copy of DIR, a
#     finished build of the same tree and machine, so make rebuilds only
#     what the configuration changes (Kbuild tracks which files read which
#     options): a kernel a few options away from one already built.
#  4. Runs make (vmlinux, the boot image, modules, gdb scripts) and prints
#     the path of the boot image (x86_64: bzImage, arm64: Image; with
#     --print-dir, the build folder, which is ready for
#     `make -C DIR M=/path/to/module`, with ARCH and CROSS_COMPILE for arm64).
#
# --arch arm64 (or ARCH=arm64 in the environment) cross-builds with
# Debian's clang and LLVM binutils (LLVM=1), installed when missing: clang
# targets arm64 as it is, while Debian 12's gcc-aarch64-linux-gnu conflicts
# with gcc-multilib, which the ashmem suites need for -m32 (installing one
# removes the other, breaking the other's builds).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}
tarball=/usr/src/linux-source-6.1.tar.xz
# Bump when the way trees or configs are made changes, to drop old ones.
recipe=2
# How many build folders and source trees the cache keeps (least recently
# used go first; one in use is never deleted).
keep_builds=${SLOBA_KEEP_BUILDS:-12} keep_trees=${SLOBA_KEEP_TREES:-4}

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--arch x86_64|arm64] [--alloc NAME] [--config FRAGMENT]...
                [--print-dir | --print-src] [--jobs N] [--quiet] [--seed-from DIR]
  --arch ARCH       x86_64 (default, or \$ARCH) or arm64 (clang, LLVM=1)
  --alloc NAME      slab allocator: a fragment kernel/configs/NAME.config
                    (now: $(cd "$here/configs" && ls ./*.config | sed 's|^\./||; s|\.config$||' |
		    grep -v -x -e base -e debug -e x86_64 -e arm64 | tr '\n' ' '); default slub)
  --config FILE     extra fragment, a path or a name in kernel/configs/
                    (e.g. debug.config); may be repeated, merged in order
  --print-dir       print the build folder instead of the bzImage path
  --print-src       only prepare the patched source tree and print its path
  --jobs N          parallel make jobs (default: number of CPUs)
  --quiet           keep make's output in <build>/build.log, show it on failure
  --seed-from DIR   a new build folder starts as a copy of DIR (a finished
                    build of the same tree and arch: --print-dir of it)
Environment: SLOBA_CACHE (default ~/.cache/sloba), SLOBA_KEEP_BUILDS (12)
and SLOBA_KEEP_TREES (4): how many build folders and trees the cache keeps.
EOF
	exit 2
}

say() { echo "build.sh: $*" >&2; }
fail() { say "error: $*"; exit 1; }

alloc=slub print=bzimage jobs=$(nproc) quiet=0 arch=${ARCH:-x86_64} seed=''
frags=()
while [ $# -gt 0 ]; do
	case $1 in
	--alloc) [ $# -ge 2 ] || usage; alloc=$2; shift 2 ;;
	--arch) [ $# -ge 2 ] || usage; arch=$2; shift 2 ;;
	--config) [ $# -ge 2 ] || usage; frags+=("$2"); shift 2 ;;
	--jobs | -j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--print-dir) print=dir; shift ;;
	--print-src) print=src; shift ;;
	--quiet | -q) quiet=1; shift ;;
	--seed-from) [ $# -ge 2 ] || usage; seed=$2; shift 2 ;;
	*) usage ;;
	esac
done
case "$jobs" in '' | *[!0-9]*) usage ;; esac
case "$alloc" in '' | */* | base | debug | x86_64 | arm64) usage ;; esac
case "$arch" in
x86 | x86_64 | amd64) arch=x86_64 cross= image=arch/x86/boot/bzImage ;;
arm64 | aarch64) arch=arm64 image=arch/arm64/boot/Image cross=LLVM=1 ;;
*) say "unknown arch '$arch'"; usage ;;
esac

# Fragment paths: base, the allocator, then the extras in order.
resolve() {
	if [ -f "$1" ]; then
		realpath "$1"
	elif [ -f "$here/configs/$1" ]; then
		echo "$here/configs/$1"
	elif [ -f "$here/configs/$1.config" ]; then
		echo "$here/configs/$1.config"
	else
		fail "no config fragment '$1' (looked in . and kernel/configs/)"
	fi
}
[ -f "$here/configs/$alloc.config" ] ||
	{ say "unknown allocator '$alloc'"; usage; }
fragfiles=("$here/configs/base.config" "$here/configs/$arch.config"
	"$here/configs/$alloc.config")
name=$alloc
[ "$arch" = x86_64 ] || name="$arch-$alloc"
for f in "${frags[@]+"${frags[@]}"}"; do
	p=$(resolve "$f")
	fragfiles+=("$p")
	n=$(basename "$p")
	name="$name+${n%.config}"
done

# --- 1. the patched source tree ------------------------------------------
if [ ! -r "$tarball" ]; then
	say "$tarball missing, installing linux-source-6.1"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends linux-source-6.1 >&2
	[ -r "$tarball" ] || fail "linux-source-6.1 did not provide $tarball"
fi
if [ -n "$cross" ] &&
	! { command -v clang && command -v ld.lld && command -v llvm-objcopy; } > /dev/null; then
	say "clang/lld/llvm missing, installing them for LLVM=1"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends clang lld llvm >&2
	command -v ld.lld > /dev/null || fail "no ld.lld"
fi

patches=()
for p in "$here"/patches/*.patch; do
	[ -e "$p" ] && patches+=("$p")
done

hash() { sha256sum | cut -c1-12; }
srckey=$({
	echo "recipe $recipe"
	stat -c '%n %s' "$tarball"
	for p in "${patches[@]+"${patches[@]}"}"; do
		echo "patch $(basename "$p")"
		cat "$p"
	done
} | hash)
src=$SLOBA_CACHE/src/linux-6.1-$srckey

mkdir -p "$SLOBA_CACHE/src" "$SLOBA_CACHE/build"
exec 8> "$SLOBA_CACHE/src/.lock"
flock 8
if [ ! -f "$src/.sloba-ready" ]; then
	say "unpacking $tarball into $src"
	tmp=$src.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xf "$tarball" -C "$tmp" --strip-components=1
	for p in "${patches[@]+"${patches[@]}"}"; do
		say "applying $(basename "$p")"
		if command -v git > /dev/null; then
			(cd "$tmp" && git apply --check -p1 "$p" && git apply -p1 "$p") ||
				{ rm -rf "$tmp"; fail "patch $(basename "$p") does not apply"; }
		else
			(cd "$tmp" && patch -p1 -s -N --dry-run < "$p" > /dev/null &&
				patch -p1 -s -N < "$p") ||
				{ rm -rf "$tmp"; fail "patch $(basename "$p") does not apply"; }
		fi
	done
	touch "$tmp/.sloba-ready"
	mv "$tmp" "$src"
fi
touch "$src/.sloba-ready"
# Held (shared) while this build uses the tree, so pruning skips it.
exec 7< "$src/.sloba-ready"
flock -s 7

# --- 2. overlay files (copied only when changed, so make sees real edits) --
overlay=$here/overlay.list
if [ -f "$overlay" ]; then
	while read -r from to rest; do
		case "$from" in '' | '#'*) continue ;; esac
		[ -n "$to" ] && [ -z "$rest" ] || fail "overlay.list: bad line '$from $to $rest'"
		[ -f "$repo/$from" ] || fail "overlay.list: no file $from"
		if ! cmp -s "$repo/$from" "$src/$to"; then
			mkdir -p "$(dirname "$src/$to")"
			cp "$repo/$from" "$src/$to"
		fi
	done < "$overlay"
fi

# by_age STAMP DIR...: the folders, most recently used (STAMP touched) first.
by_age() {
	local stamp=$1 d
	shift
	for d in "$@"; do
		[ -d "$d" ] || continue
		echo "$(stat -c %Y "$d/$stamp" 2> /dev/null || stat -c %Y "$d") $d"
	done | sort -rn | cut -d' ' -f2-
}

# Drop the least recently used trees beyond $keep_trees.
by_age .sloba-ready "$SLOBA_CACHE"/src/linux-6.1-* | grep -v '\.tmp$' |
	tail -n +$((keep_trees + 1)) | while read -r old; do
		[ "$old" != "$src" ] || continue
		(flock -n -x 6 && rm -rf "$old") 6< "$old/.sloba-ready" || true
	done
flock -u 8

if [ "$print" = src ]; then
	echo "$src"
	exit 0
fi

# --- 3. configuration ------------------------------------------------------
key=$({
	echo "$srckey"
	echo "arch $arch $cross"
	for f in "${fragfiles[@]}"; do
		echo "fragment $(basename "$f")"
		cat "$f"
	done
} | hash)
obj=$SLOBA_CACHE/build/$name-$key
mkdir -p "$obj"
exec 9> "$obj.lock"
flock 9
kmake=(make -C "$src" O="$obj" ARCH="$arch" $cross -j"$jobs")
log=$obj/build.log

run() {
	if [ "$quiet" = 1 ]; then
		"$@" >> "$log" 2>&1 || { tail -n 40 "$log" >&2; return 1; }
	else
		"$@" 2>&1 | tee -a "$log" >&2
		return "${PIPESTATUS[0]}"
	fi
}

# verify_config CONFIG FRAGMENT...: every option the fragments set (the last
# word wins, as in merge_config.sh) must be in CONFIG with that value; "is not
# set" is met by an unset or absent option.
verify_config() {
	local config=$1
	shift
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=.*/\1 &/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 &/p' "$@" |
		awk '{ sym = $1; sub(/^[^ ]* /, ""); want[sym] = $0; order[sym] = NR }
		END { for (s in want) print order[s] "\t" s "\t" want[s] }' |
		sort -n | cut -f2- |
		while IFS=$'\t' read -r sym want; do
			have=$(grep -E "^(# )?${sym}[= ]" "$config" || true)
			case "$want" in
			'# '*) [ -z "$have" ] || [ "$have" = "$want" ] ||
				echo "  wanted '$want', got '$have'" ;;
			*) [ "$have" = "$want" ] ||
				echo "  wanted '$want', got '${have:-<absent: unmet dependency>}'" ;;
			esac
		done
}

# A new folder seeded from a finished build of the same tree and machine
# (its Makefile names the tree; its boot image exists).  Kbuild records
# which options every object read, so the configuration below makes it
# rebuild just those.
if [ -n "$seed" ] && [ ! -f "$obj/.config" ] && [ "$seed" != "$obj" ]; then
	if [ -f "$seed/.sloba-config-ok" ] && [ -f "$seed/$image" ] &&
		grep -q -F "$src" "$seed/Makefile" 2> /dev/null; then
		say "seeding $obj from $seed"
		(flock -s 5 && cp -a "$seed/." "$obj/") 5< "$seed.lock" ||
			fail "could not copy $seed"
		rm -f "$obj/.sloba-config-ok" "$obj/build.log"
	else
		say "not seeding from $seed: not a finished build of $src for $arch"
	fi
fi

if [ ! -f "$obj/.sloba-config-ok" ] || [ ! -f "$obj/.config" ]; then
	say "configuring $obj (tinyconfig + ${fragfiles[*]##*/})"
	: > "$log"
	run "${kmake[@]}" tinyconfig || fail "make tinyconfig failed"
	run env -C "$obj" ARCH="$arch" $cross "$src/scripts/kconfig/merge_config.sh" -m \
		.config "${fragfiles[@]}" || fail "merge_config.sh failed"
	run "${kmake[@]}" olddefconfig || fail "make olddefconfig failed"
	bad=$(verify_config "$obj/.config" "${fragfiles[@]}")
	if [ -n "$bad" ]; then
		say "error: options the fragments ask for did not make it into $obj/.config:"
		echo "$bad" >&2
		exit 1
	fi
	touch "$obj/.sloba-config-ok"
fi

# --- 4. build -----------------------------------------------------------
start=$(date +%s)
say "building $name in $obj (-j$jobs)"
run "${kmake[@]}" all || fail "kernel build failed (log: $log)"
say "built in $(($(date +%s) - start))s"
touch "$obj/.sloba-config-ok"
flock -u 9

# Drop the least recently used build folders beyond $keep_builds (skipping
# any that another build holds).
by_age .sloba-config-ok "$SLOBA_CACHE"/build/* | tail -n +$((keep_builds + 1)) |
	while read -r old; do
		[ "$old" != "$obj" ] || continue
		(flock -n 5 && rm -rf "$old" "$old.lock") 5> "$old.lock" || true
	done

case $print in
dir) echo "$obj" ;;
*) echo "$obj/$image" ;;
esac
