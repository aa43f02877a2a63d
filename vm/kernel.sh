#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the VM's kernel for one slab allocator as Debian packages, from
# Debian's own 6.1 configuration:
#
#  1. the patched 6.1 tree that kernel/build.sh --print-src prepares (Debian's
#     linux-source-6.1 plus kernel/patches and the overlay files);
#  2. .config = Debian's config.amd64_none_amd64 (package linux-config-6.1)
#     + vm/config/vm.config + kernel/configs/<alloc>.config, olddefconfig,
#     then `make localmodconfig` with vm/config/modules.list as its LSMOD:
#     only the modules the VM loads are built;
#  3. prints (and keeps in <out>/turned-off.txt) what Kconfig turned off
#     because of the allocator: the options that Debian's config with SLUB
#     has and the same config with <alloc> lacks, found by building both
#     configurations, so a `depends on !SLOBA` dropped from the patch series
#     shows up (or disappears) without any change here;
#  4. `make bindeb-pkg LOCALVERSION=-<alloc>`: linux-image-6.1.N-<alloc> and
#     linux-headers-6.1.N-<alloc>, installable with dpkg -i like any kernel
#     package.
#
# Output folder: $SLOBA_CACHE/vm/kernel/<alloc>-<key> (key: the source tree,
# Debian's config, the fragments, the module list), build folder obj/ in it;
# the .deb files land beside obj/.  A stamp over the overlay files' content
# makes a second call with nothing changed return at once.  Prints the
# paths of the image and headers packages, one a line.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}
debconfig=/usr/src/linux-config-6.1/config.amd64_none_amd64.xz
# Bump when the recipe below changes, to force new folders.
recipe=1

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--alloc NAME] [--jobs N] [--quiet] [--print-dir | --config-only]
  --alloc NAME   sloba (default), slub, slab or slob (kernel/configs/NAME.config)
  --config-only  configure, print what the allocator turned off, build nothing
  --jobs N       parallel make jobs (default: number of CPUs)
  --quiet        keep make's output in <out>/build.log, show its tail on failure
  --print-dir    print the output folder instead of the package paths
Environment: SLOBA_CACHE (default ~/.cache/sloba).
EOF
	exit 2
}

say() { echo "vm/kernel.sh: $*" >&2; }
fail() { say "error: $*"; exit 1; }

alloc=sloba jobs=$(nproc) quiet=0 print=debs
while [ $# -gt 0 ]; do
	case $1 in
	--alloc) [ $# -ge 2 ] || usage; alloc=$2; shift 2 ;;
	--jobs | -j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--quiet | -q) quiet=1; shift ;;
	--print-dir) print=dir; shift ;;
	--config-only) print=config; shift ;;
	*) usage ;;
	esac
done
case "$jobs" in '' | *[!0-9]*) usage ;; esac
case "$alloc" in sloba | slub | slab | slob) ;; *) usage ;; esac
frag=$repo/kernel/configs/$alloc.config
vmfrag=$here/config/vm.config
modlist=$here/config/modules.list

if [ ! -r "$debconfig" ]; then
	say "$debconfig missing, installing linux-config-6.1"
	"$repo/scripts/install-deps" linux-config-6.1 >&2
	[ -r "$debconfig" ] || fail "linux-config-6.1 did not provide $debconfig"
fi

src=$("$repo/kernel/build.sh" --print-src) || fail "kernel/build.sh --print-src failed"
hash() { sha256sum | cut -c1-12; }
key=$({
	echo "recipe $recipe"
	basename "$src"
	sha256sum < "$debconfig"
	cat "$vmfrag" "$frag" "$modlist"
} | hash)
out=$SLOBA_CACHE/vm/kernel/$alloc-$key
obj=$out/obj
log=$out/build.log
mkdir -p "$obj"
exec 9> "$out/.lock"
flock 9

kmake=(make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs")
run() {
	if [ "$quiet" = 1 ]; then
		"$@" >> "$log" 2>&1 || { tail -n 40 "$log" >&2; return 1; }
	else
		"$@" 2>&1 | tee -a "$log" >&2
		return "${PIPESTATUS[0]}"
	fi
}

# options CONFIG: "SYMBOL=value" for every option set to y or m.
options() { sed -n 's/^CONFIG_\([A-Za-z0-9_]*\)=\([ym]\)$/\1=\2/p' "$1" | sort; }

# verify CONFIG FRAGMENT...: every option the fragments set must be there.
verify() {
	local config=$1 sym want have
	shift
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=.*/\1 &/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 &/p' "$@" |
		while read -r sym want; do
			have=$(grep -E "^(# )?${sym}[= ]" "$config" || true)
			case "$want" in
			'#'*) [ -z "$have" ] || [ "$have" = "$want" ] ||
				echo "  wanted '$want', got '$have'" ;;
			*) [ "$have" = "$want" ] ||
				echo "  wanted '$want', got '${have:-<absent: unmet dependency>}'" ;;
			esac
		done
}

if [ ! -f "$out/.config-ok" ]; then
	: > "$log"
	say "configuring $obj from Debian's $(basename "$debconfig") for $alloc"
	# The reference: Debian's config with SLUB (as Debian ships it),
	# with vm.config, before the module list shrinks it.
	xz -dc "$debconfig" > "$obj/.config"
	run env -C "$obj" ARCH=x86_64 "$src/scripts/kconfig/merge_config.sh" -m \
		.config "$vmfrag" "$repo/kernel/configs/slub.config" ||
		fail "merge_config.sh failed"
	run "${kmake[@]}" olddefconfig || fail "olddefconfig failed"
	cp "$obj/.config" "$out/config.debian-slub"
	# The same with this allocator.
	xz -dc "$debconfig" > "$obj/.config"
	run env -C "$obj" ARCH=x86_64 "$src/scripts/kconfig/merge_config.sh" -m \
		.config "$vmfrag" "$frag" || fail "merge_config.sh failed"
	run "${kmake[@]}" olddefconfig || fail "olddefconfig failed"
	cp "$obj/.config" "$out/config.debian-$alloc"
	# What the allocator switch turned off (SLUB itself aside).
	comm -23 <(options "$out/config.debian-slub") <(options "$out/config.debian-$alloc") |
		grep -v -x 'SLUB=y' > "$out/turned-off.txt" || true
	# Only the modules the VM loads.
	grep -v -e '^#' -e '^[[:space:]]*$' "$modlist" > "$out/lsmod"
	run "${kmake[@]}" LSMOD="$out/lsmod" localmodconfig ||
		fail "make localmodconfig failed"
	bad=$(verify "$obj/.config" "$vmfrag" "$frag")
	if [ -n "$bad" ]; then
		say "error: options vm.config or $(basename "$frag") ask for are not in $obj/.config:"
		echo "$bad" >&2
		exit 1
	fi
	touch "$out/.config-ok"
fi

n=$(wc -l < "$out/turned-off.txt")
if [ "$alloc" = slub ]; then
	:
elif [ "$n" = 0 ]; then
	say "Kconfig turned off no option of Debian's config because of $alloc"
else
	say "Kconfig turned off $n option(s) of Debian's config because of $alloc (Debian's, with SLUB, has them):"
	sed 's/^/  /' "$out/turned-off.txt" >&2
fi
[ "$print" != config ] || exit 0

# The stamp: everything that reaches the build.  The overlay's mm/sloba*
# files are compiled only with CONFIG_SLOBA: a SLOBA change does not
# repackage the other allocators' kernels.
stamp=$({
	echo "$key"
	while read -r from to _; do
		case "$from" in '' | '#'*) continue ;; esac
		[ "$alloc" = sloba ] || case "$to" in mm/sloba*) continue ;; esac
		sha256sum "$repo/$from" | cut -d' ' -f1
	done < "$repo/kernel/overlay.list"
} | hash)
kver=$(make -s -C "$src" kernelversion)
release=$kver-$alloc
debs=("$out/linux-image-${release}_${kver}-1_amd64.deb"
	"$out/linux-headers-${release}_${kver}-1_amd64.deb")
if [ "$(cat "$out/.built" 2> /dev/null)" != "$stamp" ] ||
	[ ! -f "${debs[0]}" ] || [ ! -f "${debs[1]}" ]; then
	start=$(date +%s)
	say "building $release packages in $obj (-j$jobs; a clean build of Debian's config takes long)"
	rm -f "$out/.built"
	run "${kmake[@]}" LOCALVERSION="-$alloc" KDEB_PKGVERSION="$kver-1" \
		bindeb-pkg || fail "make bindeb-pkg failed (log: $log)"
	for d in "${debs[@]}"; do
		[ -f "$d" ] || fail "make bindeb-pkg made no $d"
	done
	echo "$stamp" > "$out/.built"
	say "built in $(($(date +%s) - start)) s"
fi

case $print in
dir) echo "$out" ;;
*) printf '%s\n' "${debs[@]}" ;;
esac
