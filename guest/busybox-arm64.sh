#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Prints the path of a static arm64 busybox for the arm64 guest's initramfs:
# Debian's busybox-static for arm64, fetched once with `apt-get download`
# (adding arm64 as a foreign dpkg architecture when it is not one yet) and
# unpacked into $SLOBA_CACHE/guest/.  Nothing is installed on the host.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=guest/common.sh
. "$here/common.sh"

out=$SLOBA_CACHE/guest/busybox-arm64
if [ ! -x "$out" ]; then
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		echo "busybox-arm64.sh: adding arm64 as a dpkg architecture" >&2
		$SUDO dpkg --add-architecture arm64
		$SUDO apt-get update -qq >&2
	fi
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	chmod 777 "$work"
	(cd "$work" && apt-get download -qq busybox-static:arm64 >&2) ||
		{ $SUDO apt-get update -qq >&2 &&
			(cd "$work" && apt-get download -qq busybox-static:arm64 >&2); } ||
		die "could not download busybox-static:arm64"
	dpkg-deb -x "$work"/busybox-static_*_arm64.deb "$work/root"
	mkdir -p "$(dirname "$out")"
	cp "$work/root/bin/busybox" "$out.tmp"
	mv "$out.tmp" "$out"
fi
echo "$out"
