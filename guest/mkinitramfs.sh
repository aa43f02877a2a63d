#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the base initramfs of the test guest: a static busybox with every
# applet linked, the /init of guest/init, and any extra files (-a).  It works
# with any kernel that has initramfs + gzip, devtmpfs, proc and sysfs, so
# Debian's own kernels boot it as well as ours.  guest/boot.sh appends a
# small per-run archive (command, modules, extra folders) to this one.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=guest/common.sh
. "$here/common.sh"

usage() {
	cat >&2 <<EOF
usage: ${0##*/} -o OUT.cpio.gz [-a SRC:DEST]... [-b BUSYBOX]
  -o OUT        archive to write (gzip-compressed newc cpio)
  -a SRC:DEST   also copy file or folder SRC to absolute path DEST; the
                shared libraries of dynamic executables come along
  -b BUSYBOX    busybox binary to use (default: the first static one of
                /bin/busybox, /usr/bin/busybox; install busybox-static);
                it may be of another architecture (guest/busybox-arm64.sh)
EOF
	exit 2
}

out='' busybox=''
adds=()
args=("$@")
while getopts "o:a:b:h" opt; do
	case $opt in
	o) out=$OPTARG ;;
	a) adds+=("$OPTARG") ;;
	b) busybox=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] && [ -n "$out" ] || usage

# Device nodes need root; re-run under fakeroot when we are not.
if [ "$(id -u)" != 0 ] && [ -z "${FAKEROOTKEY:-}" ]; then
	command -v fakeroot > /dev/null || die "not root and fakeroot is missing"
	exec fakeroot "$0" "${args[@]}"
fi

if [ -z "$busybox" ]; then
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && ! is_dynamic_elf "$b" && { busybox=$b; break; }
	done
fi
[ -n "$busybox" ] && [ -x "$busybox" ] ||
	die "no static busybox found (apt-get install busybox-static)"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,lib/modules,mnt}
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp "$busybox" "$root/bin/busybox"
copy_libs "$root" "$busybox"
# Link every applet at the path busybox itself names for it.  A busybox of
# another architecture (the arm64 guest's) cannot run here: the host's
# busybox of the same Debian release has the same applets.
applets=$("$busybox" --list-full 2> /dev/null) || applets=$(busybox --list-full) ||
	die "cannot list the applets of $busybox"
echo "$applets" | while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
[ -e "$root/bin/sh" ] || die "$busybox has no sh applet"

install -m 755 "$here/init" "$root/init"
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
cat > "$root/etc/profile" <<'EOF'
export PS1='guest:\w\$ '
EOF

for a in "${adds[@]+"${adds[@]}"}"; do
	case "$a" in *:/*) ;; *) die "-a wants SRC:/DEST, got '$a'" ;; esac
	copy_in "$root" "${a%:*}" "${a##*:}"
done

mkdir -p "$(dirname "$out")"
pack_cpio "$root" "$out"
echo "$out"
