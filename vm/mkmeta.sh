#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The battle's cold walk from memory: the unpacked linux-source-6.1 tree
# (the same tree as the VM's /srv/linux) as an ext4 filesystem with only
# its metadata, cached once as $SLOBA_CACHE/vm/linux-meta-<key>.tar and its
# path printed.
#
# Why: `du` over /srv/linux after drop_caches waits on the virtual disk,
# and under -icount an idle guest's clock follows the host's, so that
# phase spreads 3-4% between boots whatever the allocator.  The same walk
# over this image, copied into tmpfs in the guest and mounted through a
# loop device, reads every block from memory: no idle wait, the same
# instructions each boot.  `du` and `find` see the same tree (names, sizes
# and block counts come from inodes and directories; data blocks are holes).
#
#  1. unpack the tarball into a scratch folder;
#  2. mkfs.ext4 -d it into a sparse file (no mount, no loop device);
#  3. e2image -r keeps superblocks, bitmaps, inode tables, directories and
#     extent blocks, and leaves every data block a hole;
#  4. tar -S packs the sparse image (1.9 GB long, 43 MB of data).
#
# In the guest: tar -xf it into /dev/shm, mount -o ro,loop (vm-guest.sh).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}
# Bump when the steps below change.
recipe=1
tarball=/usr/src/linux-source-6.1.tar.xz

say() { echo "${0##*/}: $*" >&2; }
fail() { say "$*"; exit 1; }

[ $# -eq 0 ] || { echo "usage: ${0##*/}   (prints the path of the metadata image's tar)" >&2; exit 2; }
command -v mkfs.ext4 > /dev/null && command -v e2image > /dev/null ||
	"$here/../scripts/install-deps" e2fsprogs >&2
[ -r "$tarball" ] || "$here/../scripts/install-deps" linux-source-6.1 >&2
[ -r "$tarball" ] || fail "$tarball missing (package linux-source-6.1)"

key=$({ echo "recipe $recipe"; stat -c '%s %Y' "$tarball"; } |
	sha256sum | cut -c1-12)
dir=$SLOBA_CACHE/vm
out=$dir/linux-meta-$key.tar
[ -s "$out" ] && { echo "$out"; exit 0; }

mkdir -p "$dir"
work=$(mktemp -d "$dir/linux-meta.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "unpacking $(basename "$tarball")"
mkdir "$work/tree"
tar -xf "$tarball" -C "$work/tree" --strip-components=1
kb=$(du -sk "$work/tree" | cut -f1)
say "mkfs.ext4 -d over $((kb / 1024)) MB"
# Room for the tree plus a quarter, as the image's own root has.
mkfs.ext4 -q -F -L linux-meta -E root_owner=0:0 -d "$work/tree" \
	"$work/full.img" $((kb * 5 / 4 + 65536))k >&2
rm -rf "$work/tree"
e2image -r "$work/full.img" "$work/linux-meta.img"
rm -f "$work/full.img"
tar -cSf "$work/out.tar" -C "$work" linux-meta.img
mv "$work/out.tar" "$out"
say "$out: $(du -k "$out" | cut -f1) kB"
echo "$out"
