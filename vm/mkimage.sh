#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the VM's Debian 12 disk image once and caches it in
# $SLOBA_CACHE/vm/base-<key>.img (a sparse raw disk, key: the recipe number
# below, the package list, the files of vm/guest/, the options and the
# host's apt sources); prints its path.
#
#  1. mmdebstrap makes a bookworm root from the host's own apt sources
#     (the active files under /etc/apt, passed as its mirrors: no mirror is
#     named here), minbase plus systemd, udev, initramfs-tools, GRUB,
#     Debian's stock kernel (linux-image-amd64) and what the tests need
#     (stress-ng, ...), and any --include packages;
#  2. configures it on the host: fstab, hostname, root logged in on the
#     serial console (password "sloba" elsewhere), vm/guest/sloba-login as
#     root's login hook, the GRUB settings and control-disk hook, timers
#     that would run at random during measurements masked, the unpacked
#     linux-source-6.1 tree in /srv/linux (the battle's `du`), --add files,
#     --suite entries in its apt sources;
#  3. writes an MBR disk with one ext4 partition made by mkfs.ext4 -d (no
#     mount, no loop device);
#  4. boots it once with the stock kernel loaded by QEMU, and runs
#     grub-install and update-grub inside: from then on the image boots
#     through its own GRUB.
#
# Later kernels go in with vm/install.sh (dpkg -i inside the VM).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}
# Bump when the steps below change (the key does not read this script, so
# that editing a comment does not cost a new image).
recipe=1

# What every image has.  stress-ng: make test-vm; procps, kmod: checks.
PACKAGES="systemd systemd-sysv udev dbus initramfs-tools grub-pc linux-image-amd64
	kmod procps e2fsprogs util-linux less stress-ng xz-utils findutils"

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--include PKG]... [--add SRC:DEST]... [--suite SUITE]... [--size SIZE] [--no-source]
  --include PKG    install this Debian package too (e.g. linux-image-6.12.*,
                   dkms); repeatable, or comma/space separated
  --add SRC:DEST   copy a host file or folder into the image at DEST
  --suite SUITE    add apt suite SUITE (e.g. bookworm-backports) to the
                   image's sources, from the mirror and with the components
                   of its bookworm entry (the image's apt fetches it; the
                   packages in the image still come from bookworm)
  --size SIZE      disk size (default 8G; sparse)
  --no-source      leave out the unpacked linux-source-6.1 tree (/srv/linux)
  --print-path     print where the image is or would be, build nothing
Prints the image path.  Environment: SLOBA_CACHE (default ~/.cache/sloba).
EOF
	exit 2
}
say() { echo "vm/mkimage.sh: $*" >&2; }
fail() { say "error: $*"; exit 1; }

includes=() adds=() suites=() size=8G source=1 print_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--include) [ $# -ge 2 ] || usage
		read -ra more <<< "${2//,/ }"
		includes+=("${more[@]}"); shift 2 ;;
	--add) [ $# -ge 2 ] || usage
		case "$2" in *:/*) ;; *) say "--add wants SRC:/absolute/dest"; usage ;; esac
		[ -e "${2%:*}" ] || fail "--add: no such file or folder: ${2%:*}"
		adds+=("$2"); shift 2 ;;
	--suite) [ $# -ge 2 ] || usage
		[[ "$2" =~ ^[a-z0-9][a-z0-9.+-]*$ ]] || { say "--suite wants a suite name"; usage; }
		suites+=("$2"); shift 2 ;;
	--size) [ $# -ge 2 ] || usage; size=$2; shift 2 ;;
	--no-source) source=0; shift ;;
	--print-path) print_only=1; shift ;;
	*) usage ;;
	esac
done
[[ "$size" =~ ^[0-9]+[MG]$ ]] || { say "--size wants a size like 8G"; usage; }

# The host's active apt sources (the .disabled, .save... files are not).
sources=()
[ ! -s /etc/apt/sources.list ] || sources+=(/etc/apt/sources.list)
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || fail "no apt sources in /etc/apt"
tarball=/usr/src/linux-source-6.1.tar.xz
if [ "$source" = 1 ] && [ ! -r "$tarball" ]; then
	"$repo/scripts/install-deps" linux-source-6.1 >&2
	[ -r "$tarball" ] || fail "$tarball missing"
fi

hash() { sha256sum | cut -c1-12; }
key=$({
	echo "recipe $recipe size $size source $source"
	echo $PACKAGES
	cat "$here"/guest/*
	cat "${sources[@]}"
	echo "${includes[@]+"${includes[@]}"}"
	# only when given, so that the images made without it keep their key
	[ ${#suites[@]} -eq 0 ] || echo "suites ${suites[*]}"
	for a in "${adds[@]+"${adds[@]}"}"; do
		echo "add $a"
		tar -C "$(dirname "${a%:*}")" -cf - "$(basename "${a%:*}")" | sha256sum
	done
	[ "$source" = 0 ] || stat -c '%n %s' "$tarball"
} | hash)
dir=$SLOBA_CACHE/vm
img=$dir/base-$key.img
if [ "$print_only" = 1 ]; then
	echo "$img"
	exit 0
fi
mkdir -p "$dir"
exec 9> "$img.lock"
flock 9
if [ -f "$img" ]; then
	echo "$img"
	exit 0
fi
[ "$(id -u)" = 0 ] || fail "needs root (mmdebstrap's root mode, chroot)"

work=$dir/base-$key.tmp
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
root=$work/root
start=$(date +%s)

# --- 1. the root ----------------------------------------------------------
say "mmdebstrap: bookworm from ${sources[*]}"
pkgs=$(echo $PACKAGES "${includes[@]+"${includes[@]}"}" | tr ' ' ',')
mmdebstrap --mode=root --variant=minbase --include="$pkgs" \
	--aptopt='APT::Install-Recommends "false"' \
	bookworm "$root" "${sources[@]}" > "$work/mmdebstrap.log" 2>&1 ||
	{ tail -n 30 "$work/mmdebstrap.log" >&2; fail "mmdebstrap failed"; }

# --- 2. configuration --------------------------------------------------------
uuid=$(cat /proc/sys/kernel/random/uuid)
echo "UUID=$uuid / ext4 errors=remount-ro 0 1" > "$root/etc/fstab"
echo sloba-vm > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tsloba-vm\n' > "$root/etc/hosts"
chroot "$root" sh -c 'echo root:sloba | chpasswd'
install -D -m 644 "$here/guest/autologin.conf" \
	"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf"
install -D -m 755 "$here/guest/sloba-login" "$root/usr/local/sbin/sloba-login"
echo '/usr/local/sbin/sloba-login' >> "$root/root/.bash_profile"
install -D -m 644 "$here/guest/grub-defaults.cfg" "$root/etc/default/grub.d/sloba.cfg"
install -D -m 755 "$here/guest/42_sloba-ctl" "$root/etc/grub.d/42_sloba-ctl"
# Jobs that start at random times after boot would land in measurements.
for t in apt-daily apt-daily-upgrade e2scrub_all fstrim man-db dpkg-db-backup; do
	ln -sf /dev/null "$root/etc/systemd/system/$t.timer"
done
if [ "$source" = 1 ]; then
	say "unpacking $(basename "$tarball") into /srv/linux"
	mkdir -p "$root/srv/linux"
	tar -xf "$tarball" -C "$root/srv/linux" --strip-components=1
fi
for a in "${adds[@]+"${adds[@]}"}"; do
	mkdir -p "$root$(dirname "${a##*:}")"
	cp -a "${a%:*}" "$root${a##*:}"
done
# Each --suite from the mirror that serves the image's bookworm, as apt in
# the root sees its sources (whatever form the host's files had).
for s in "${suites[@]+"${suites[@]}"}"; do
	# shellcheck disable=SC2016 # apt's $(FIELD) placeholders
	line=$(chroot "$root" apt-get indextargets --no-release-info \
		--format '$(RELEASE) $(REPO_URI) $(COMPONENT)' 'Identifier: Packages' |
		awk '$1 == "bookworm" { if (!uri) uri = $2; if ($2 == uri && !seen[$3]++) c = c " " $3 }
		     END { if (uri) print uri c }')
	[ -n "$line" ] || fail "--suite $s: no bookworm entry in the image's apt sources"
	uri=${line%% *} comps=${line#* }
	echo "deb $uri $s $comps" > "$root/etc/apt/sources.list.d/$s.list"
	say "apt suite $s: deb $uri $s $comps"
done
rm -f "$root/etc/machine-id" && touch "$root/etc/machine-id"

# --- 3. the disk ---------------------------------------------------------------
say "writing the $size disk"
truncate -s "$size" "$work/disk.img"
echo 'start=2048, type=83, bootable' | sfdisk -q "$work/disk.img"
sectors=$(sfdisk -l -o Sectors "$work/disk.img" | tail -n 1 | tr -d ' ')
mkfs.ext4 -q -F -U "$uuid" -L sloba-root -d "$root" "$work/root.img" "$((sectors / 2))k" >&2 ||
	fail "mkfs.ext4 -d failed"
dd if="$work/root.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none
rm -f "$work/root.img"

# --- 4. first boot: GRUB, from inside ------------------------------------------
kernel=$(readlink -f "$root/vmlinuz") initrd=$(readlink -f "$root/initrd.img")
say "first boot ($(basename "$kernel")): grub-install, update-grub"
"$here/run.sh" --image "$work/disk.img" --persist --quiet --log "$work/setup.log" --timeout 3600 \
	--kernel "$kernel" --initrd "$initrd" --append "root=UUID=$uuid" \
	--cmd 'set -e; grub-install /dev/vda; update-grub; sync' ||
	{ tail -n 40 "$work/setup.log" >&2; fail "the first boot failed (log above)"; }
cp "$work/setup.log" "$dir/base-$key.setup.log"
ls "$root/lib/modules" > "$dir/base-$key.releases"
mv "$work/disk.img" "$img"
say "ready in $(($(date +%s) - start)) s: $img"
echo "$img"
