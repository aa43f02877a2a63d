#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The whole chain behind `make vm`: the kernel packages of each --alloc
# (vm/kernel.sh), the base image (vm/mkimage.sh), the packages installed in
# it (vm/install.sh), then a boot of the first allocator's kernel through
# the image's GRUB (vm/run.sh, which gets every other option).  Each step is
# cached, so a second call only boots.  With --print-image it prints the
# image (with every --alloc's kernel installed) and boots nothing.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--alloc NAME]... [--stock] [--print-image] [vm/run.sh options]
  --alloc NAME    sloba (default), slub, slab, slob; repeat to install several
                  (the first boots)
  --stock         boot Debian's stock kernel instead (GRUB's entry for it)
  --print-image   print the image path, do not boot
  --jobs N        make jobs for kernel builds
Other options go to vm/run.sh (--cmd, --append, --mem, --icount, ...).
EOF
	exit 2
}

allocs=() stock=0 print=0 jobs=() rest=()
while [ $# -gt 0 ]; do
	case $1 in
	--alloc) [ $# -ge 2 ] || usage; allocs+=("$2"); shift 2 ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=(--jobs "$2"); shift 2 ;;
	--stock) stock=1; shift ;;
	--print-image) print=1; shift ;;
	-h | --help) usage ;;
	*) rest+=("$1"); shift ;;
	esac
done
[ ${#allocs[@]} -gt 0 ] || allocs=(sloba)

debs=()
for a in "${allocs[@]}"; do
	case $a in sloba | slub | slab | slob) ;; *) usage ;; esac
	pkgs=$("$here/kernel.sh" --alloc "$a" --quiet "${jobs[@]+"${jobs[@]}"}") || exit 1
	debs+=("$(grep '/linux-image-' <<< "$pkgs")")
done
base=$("$here/mkimage.sh") || exit 1
image=$("$here/install.sh" --base "$base" "${debs[@]}") || exit 1
if [ "$print" = 1 ]; then
	echo "$image"
	exit 0
fi
if [ "$stock" = 1 ]; then
	# Debian's own kernel: the one vm/mkimage.sh noted (the newest when
	# --include added more).
	rel=$(sort -V "${base%.img}.releases" | tail -n 1)
	exec "$here/run.sh" --image "$image" --release "$rel" "${rest[@]+"${rest[@]}"}"
fi
rel=$(basename "${debs[0]}" | sed 's/^linux-image-\([^_]*\)_.*/\1/')
exec "$here/run.sh" --image "$image" --release "$rel" "${rest[@]+"${rest[@]}"}"
