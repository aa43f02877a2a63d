#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# dkms-tree.sh DIR - lay out a self-contained module source tree in DIR:
# the module sources, Kbuild, dkms.conf and include/linux/ashmem.h.  This is
# both what `dkms add` wants under /usr/src/ashmem-<version> and the tree
# build-module.sh builds in (out of the source checkout).
set -eu
dir=${1:?usage: dkms-tree.sh DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/include/linux"
cp "$top"/module/*.c "$top"/module/*.h "$top"/module/Kbuild \
	"$top"/module/Makefile "$top"/module/dkms.conf "$dir/"
cp "$top/include/linux/ashmem.h" "$dir/include/linux/"
