#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# fetch-kernel.sh SERIES
#
# Makes Debian's stock cloud-amd64 kernel of SERIES (6.1 or 6.12) available
# without installing it: resolves the newest version apt knows, downloads the
# unsigned image, the headers, their -common package and the matching kbuild
# package with `apt-get download`, and unpacks them with `dpkg-deb -x` into
# one root under the cache, where the headers' relative symlinks resolve.
#
# Prints three lines, ready for eval:
#   KVER=<uname -r of that kernel>
#   KIMAGE=<path of its vmlinuz>
#   KBUILD=<headers directory for make -C ... M=...>
set -eu
series=${1:?usage: fetch-kernel.sh 6.1|6.12}
cache=${SLOBA_CACHE:-$HOME/.cache/sloba}/debian-kernels
mkdir -p "$cache/debs"

case $series in
6.1)	pat='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
6.12)	pat='^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
*)	echo "fetch-kernel.sh: unknown series $series" >&2; exit 2 ;;
esac

resolve() {
	apt-cache search --names-only "$pat" 2>/dev/null | cut -d' ' -f1 |
		sed 's/^linux-image-//; s/-unsigned$//' | sort -V | tail -n 1
}

kver=$(resolve)
if [ -z "$kver" ]; then
	apt-get update -qq >&2 || true
	kver=$(resolve)
fi
[ -n "$kver" ] || { echo "fetch-kernel.sh: no $series cloud-amd64 kernel in apt" >&2; exit 1; }

root=$cache/root-$kver
if [ ! -f "$root/.complete" ]; then
	base=${kver%-cloud-amd64}		# 6.1.0-56 or 6.12.117+deb12
	case $series in
	6.1)	kbuild=linux-kbuild-6.1 ;;
	6.12)	kbuild=linux-kbuild-$base ;;
	esac
	pkgs="linux-image-$kver-unsigned linux-headers-$kver linux-headers-$base-common $kbuild"
	cd "$cache/debs"
	# apt-get download drops privileges to _apt when it can write the
	# directory; as root in a root-owned cache it warns but works.
	if ! apt-get download $pkgs >&2 2>&1; then
		apt-get update -qq >&2
		apt-get download $pkgs >&2
	fi
	rm -rf "$root.tmp"
	mkdir -p "$root.tmp"
	for p in $pkgs; do
		deb=$(ls -t "$p"_*.deb | head -n 1)
		dpkg-deb -x "$deb" "$root.tmp"
	done
	# the headers' Makefile includes the -common tree by absolute path
	sed -i "s|^include /usr/src/|include $root/usr/src/|" \
		"$root.tmp/usr/src/linux-headers-$kver/Makefile"
	rm -rf "$root"
	mv "$root.tmp" "$root"
	touch "$root/.complete"
fi

echo "KVER=$kver"
echo "KIMAGE=$root/boot/vmlinuz-$kver"
echo "KBUILD=$root/usr/src/linux-headers-$kver"
