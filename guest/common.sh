# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers shared by the guest scripts (sourced, not run): copying host files
# into an image tree together with the shared libraries they need, and
# packing a tree into a gzip-compressed newc cpio archive owned by root.

# Cache for built images and downloaded kernels; never required to exist.
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

# is_dynamic_elf FILE: true for an ELF file with a program interpreter.
is_dynamic_elf() {
	[ -f "$1" ] && [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] &&
		LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
}

# copy_libs ROOT FILE: copy the loader and the shared libraries that FILE
# needs into ROOT at their host paths (no-op for static files and scripts).
copy_libs() {
	local root=$1 file=$2 lib
	is_dynamic_elf "$file" || return 0
	for lib in $(ldd "$file" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# copy_in ROOT SRC DEST: copy a file or folder SRC to DEST inside ROOT,
# then the shared libraries of every dynamic ELF file that came with it.
copy_in() {
	local root=$1 src=$2 dest=$3 f
	[ -e "$src" ] || die "no such file or folder: $src"
	case "$dest" in /*) ;; *) die "destination must be absolute: $dest" ;; esac
	mkdir -p "$root$(dirname "$dest")"
	cp -a -L "$src" "$root$dest"
	while IFS= read -r f; do
		copy_libs "$root" "$f"
	done < <(find "$root$dest" -type f -perm -u+x)
}

# pack_cpio ROOT OUT: write ROOT as a gzip-compressed newc archive to OUT.
# The archive is reproducible (every file dated 1970, inodes numbered in
# order, no name or time in the gzip header): the same tree packs to the same
# bytes, so that two boots under -icount unpack it with the same instructions
# (a per-boot date in the run archive moved the kernel's clock by 1-15 us
# before /init and sent SLOB's first fit down another path).
pack_cpio() {
	local root=$1 out=$2
	find "$root" -mindepth 1 -exec touch -h -d @0 {} + || return 1
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n > "$out.tmp" &&
		mv "$out.tmp" "$out"
}
