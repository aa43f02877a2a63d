#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# build-deb.sh OUTDIR - `make deb-ashmem`: the ashmem-dkms Debian package.
#
# Lays out OUTDIR/ashmem-<version> (module/, include/ and debian/ from
# ashmem/, plus the two debian/ files that cannot carry a licence line:
# changelog and source/format), runs dpkg-buildpackage -b there and prints
# the path of OUTDIR/ashmem-dkms_<version>_all.deb.  The version is
# dkms.conf's PACKAGE_VERSION; the changelog date is that of the last
# commit touching ashmem/ (so two builds of one tree agree), or now.  The
# maintainer is DEBFULLNAME <DEBEMAIL> as dch has it, else the git
# identity of the tree, else a placeholder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=${1:?usage: build-deb.sh OUTDIR}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/module/dkms.conf")
[ -n "$ver" ] || { echo "build-deb.sh: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
date=$(git -C "$top" log -1 --format=%cD -- . 2>/dev/null || true)
[ -n "$date" ] || date=$(date -R)

name=${DEBFULLNAME:-$(git -C "$top" config user.name 2>/dev/null || true)}
mail=${DEBEMAIL:-$(git -C "$top" config user.email 2>/dev/null || true)}
maint="${name:-sloba developers} <${mail:-sloba@example.org}>"

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/ashmem-$ver
rm -rf "$src" "$out"/ashmem-dkms_* "$out"/ashmem_*
mkdir -p "$src/include/linux"
cp -r "$top/module" "$top/debian" "$src/"
cp "$top/include/linux/ashmem.h" "$src/include/linux/"
sed -i "s|^Maintainer: .*|Maintainer: $maint|" "$src/debian/control"
mkdir -p "$src/debian/source"
echo "3.0 (native)" > "$src/debian/source/format"
cat > "$src/debian/changelog" <<CHANGES
ashmem ($ver) unstable; urgency=medium

  * ashmem.ko $ver for DKMS, from the sloba tree.

 -- $maint  $date
CHANGES

(cd "$src" && ASHMEM_VERSION=$ver dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1 || {
	echo "build-deb.sh: dpkg-buildpackage failed:" >&2
	tail -n 30 "$out/build.log" >&2
	exit 1
}
deb=$out/ashmem-dkms_${ver}_all.deb
[ -f "$deb" ] || { echo "build-deb.sh: no $deb" >&2; exit 1; }
echo "$deb"
