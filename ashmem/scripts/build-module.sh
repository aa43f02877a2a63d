#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# build-module.sh SERIES|KDIR [OUTDIR]
#
# Builds ashmem.ko against Debian's newest SERIES (6.1, 6.12) cloud-amd64
# headers (fetched by fetch-kernel.sh), or against the kernel build tree
# KDIR when a directory is given.  Prints "KO=<path>", plus the KVER,
# KIMAGE and KBUILD lines of fetch-kernel.sh for a series.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
what=${1:?usage: build-module.sh SERIES|KDIR [OUTDIR]}
out=${2:-${BUILD:-$here/../../build}/ashmem/module-$(basename "$what")}
if [ -d "$what" ]; then
	KBUILD=$what
else
	vars=$("$here/fetch-kernel.sh" "$what")
	eval "$vars"
	echo "$vars"
fi
rm -rf "$out"
"$here/dkms-tree.sh" "$out"
make -C "$KBUILD" M="$out" modules >&2
[ -f "$out/ashmem.ko" ]
echo "KO=$out/ashmem.ko"
