#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# test.sh - the ashmem suite behind `make test-ashmem` (run from the top).
#
#  1. libashmem's API tests on the host, memfd backend   -> lib-host
#  2. ashmem.ko built against Debian's 6.1 and 6.12 headers -> build;
#     the ashmem-dkms package built and inspected       -> deb;
#     its source built by dkms for both kernels         -> dkms
#  3. per kernel, Debian's own cloud-amd64 image booted in QEMU (TCG):
#     a 512M guest running the functional groups and a 256M guest for
#     the memory-pressure group                -> <group>-<series>
#  4. a KASAN + lockdep + DEBUG_VM + THP 6.1 built by kernel/build.sh
#     (debug.config + kernel-ashmem.config), the module built against it,
#     and the stress, fuzz, regression, backing-file, memcg and rmmod
#     groups                                   -> <group>-debug
# Every group is recorded with scripts/record-result test-ashmem-<name>;
# a guest whose kernel log shows a WARN/BUG/oops/splat, that times out or
# crashes is a failure of kernel-log-<series>, and its groups that did not
# report count as failed.  Exit status: 0 only if nothing failed.
set -u
top=$(pwd)
here=$top/ashmem/scripts
BUILD=${BUILD:-$top/build}
export BUILD
out=$BUILD/ashmem
t=$out/t
logs=$out/logs
mkdir -p "$logs"
failed=0

record() {	# record NAME PASSED FAILED
	echo "test-ashmem: $1: $2 passed, $3 failed"
	scripts/record-result "test-ashmem-$1" "$2" "$3"
	[ "$3" = 0 ] || failed=1
}

# boot_groups NAME KIMAGE KO MEM TIMEOUT GROUP... : boot once, count groups
boot_groups() {
	local name=$1 kimage=$2 ko=$3 mem=$4 timeout=$5 rc g gname counts
	shift 5
	echo "test-ashmem: booting $name ($mem, groups: ${*%%:*})"
	guest/boot.sh --kernel "$kimage" --module "$ko" --mem "$mem" --smp 2 \
		--extra "$t:/root/t" --extra "$top/ashmem/tests/guest-run.sh:/root/guest-run.sh" \
		--timeout "$timeout" --log "$logs/$name.log" \
		--cmd "sh /root/guest-run.sh $(printf "'%s' " "$@")" \
		> "$logs/$name.out" 2>&1
	rc=$?
	grep -E '^(not ok|Bail out)|^guest-run:|^boot\.sh:|check-log|^  [0-9]+: ' \
		"$logs/$name.out" | head -n 60
	case $rc in
	0 | 1) record "kernel-log-$name" 1 0 ;;
	*) echo "test-ashmem: $name: boot.sh exit $rc (120 kernel log, 124 timeout, 125 crash)"
	   record "kernel-log-$name" 0 1 ;;
	esac
	for g in "$@"; do
		gname=${g%%:*}
		counts=$(ashmem/tests/tap-count.sh "$logs/$name.log" "$gname")
		# shellcheck disable=SC2086
		record "$gname-$name" $counts
	done
}

# 1. host: libashmem on memfd
LIBASHMEM_BACKEND=memfd "$t/t_lib" > "$logs/lib-host.tap" 2>&1
rc=$?
{ echo "@@TAP-BEGIN lib@@"; cat "$logs/lib-host.tap"; echo "@@TAP-END lib $rc@@"; } \
	> "$logs/lib-host.log"
grep '^not ok' "$logs/lib-host.tap"
# shellcheck disable=SC2046
record lib-host $(ashmem/tests/tap-count.sh "$logs/lib-host.log" lib)

# 1b. host: the uapi header from C, C++ and -m32; the install tree
hp=0 hf=0
check() {	# check WHAT COMMAND...
	local what=$1; shift
	if "$@" > "$logs/host-check.log" 2>&1; then hp=$((hp + 1)); else
		hf=$((hf + 1)); echo "test-ashmem: host check failed: $what"; cat "$logs/host-check.log"; fi
}
hdr=$out/hdrtest
mkdir -p "$hdr"
cat > "$hdr/h.c" <<'SRC'
#include <linux/ashmem.h>
#include <libashmem.h>
#ifdef __cplusplus
#define SA static_assert
#else
#define SA _Static_assert
#endif
SA(sizeof(struct ashmem_pin) == 8, "layout");
SA(ASHMEM_PIN == 0x40087707, "number");
int main(void) { return ashmem_valid(-1); }
SRC
cp "$hdr/h.c" "$hdr/h.cc"
check "gcc C" gcc -Wall -Wextra -Werror -std=c11 -Iashmem/include -Iashmem/lib "$hdr/h.c" "$out/lib/libashmem.a" -o "$hdr/c"
check "clang C" clang -Wall -Wextra -Werror -Iashmem/include -Iashmem/lib -c "$hdr/h.c" -o "$hdr/c.o"
check "g++ C++" g++ -Wall -Wextra -Werror -Iashmem/include -Iashmem/lib "$hdr/h.cc" "$out/lib/libashmem.a" -o "$hdr/cc"
check "clang++ C++" clang++ -Wall -Wextra -Werror -Iashmem/include -Iashmem/lib -c "$hdr/h.cc" -o "$hdr/cc.o"
check "gcc -m32 C" gcc -m32 -Wall -Wextra -Werror -Iashmem/include -Iashmem/lib -c "$hdr/h.c" -o "$hdr/c32.o"
check "C++ program runs" "$hdr/cc"
rm -rf "$hdr/inst"
check "make install-ashmem" make --no-print-directory install-ashmem DESTDIR="$hdr/inst" PREFIX=/usr
check "installed files" test -f "$hdr/inst/usr/include/linux/ashmem.h" -a -f "$hdr/inst/usr/include/libashmem.h" \
	-a -f "$hdr/inst/usr/lib/libashmem.a" -a -f "$hdr/inst/usr/lib/libashmem.so.1" -a -f "$hdr/inst/usr/lib/pkgconfig/libashmem.pc"
check "pkg-config" env PKG_CONFIG_PATH="$hdr/inst/usr/lib/pkgconfig" pkg-config --exists libashmem
# README's C examples are whole programs: each compiles warning-free, and
# the libashmem one runs here (memfd backend)
rm -rf "$hdr/readme"
mkdir -p "$hdr/readme"
awk -v dir="$hdr/readme" '/^```c$/ { n++; f = dir "/example" n ".c"; next }
	/^```$/ { f = ""; next } f { print > f }' ashmem/README.md
for ex in "$hdr"/readme/example*.c; do
	[ -e "$ex" ] || { hf=$((hf + 1)); echo "test-ashmem: no C example in ashmem/README.md"; break; }
	check "README $(basename "$ex") compiles" gcc -Wall -Wextra -Werror -Iashmem/include -Iashmem/lib \
		"$ex" "$out/lib/libashmem.a" -o "${ex%.c}"
	if grep -q '<libashmem.h>' "$ex"; then
		check "README $(basename "$ex") runs" env LIBASHMEM_BACKEND=memfd "${ex%.c}"
	fi
done
# the module's sources pass the kernel's checkpatch.pl (no errors)
if src=$(kernel/build.sh --print-src 2> "$logs/checkpatch.log"); then
	for f in ashmem/module/*.c ashmem/module/*.h; do
		check "checkpatch $f" sh -c "cd '$src' && perl scripts/checkpatch.pl --no-tree --file \
			--no-color '$top/$f' | grep -q '^total: 0 errors'"
	done
else
	hf=$((hf + 1)); echo "test-ashmem: no kernel tree for checkpatch.pl"; cat "$logs/checkpatch.log"
fi
record host $hp $hf

# 2. modules
declare -A KOS KIMAGES
nb=0 nf=0
for s in 6.1 6.12; do
	if vars=$("$here/build-module.sh" "$s" "$out/module-$s" 2> "$logs/build-$s.log"); then
		eval "$vars"
		KOS[$s]=$KO KIMAGES[$s]=$KIMAGE
		echo "test-ashmem: built ashmem.ko for $KVER"
		nb=$((nb + 1))
	else
		echo "test-ashmem: module build for $s failed:"; tail -n 20 "$logs/build-$s.log"
		nf=$((nf + 1))
	fi
done
record build $nb $nf

# 2b. the ashmem-dkms package: built by make deb-ashmem and inspected
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' ashmem/module/dkms.conf)
dp=0 df=0
dcheck() {	# dcheck WHAT COMMAND...
	local what=$1; shift
	if "$@" > "$logs/deb-check.log" 2>&1; then dp=$((dp + 1)); else
		df=$((df + 1)); echo "test-ashmem: package check failed: $what"; cat "$logs/deb-check.log"; fi
}
pk=$out/deb-check
rm -rf "$pk"
mkdir -p "$pk"
deb=$(make --no-print-directory -s deb-ashmem 2> "$logs/deb-build.log" | tail -n 1)
dcheck "make deb-ashmem builds ashmem-dkms_${ver}_all.deb" test -f "$deb" -a "$deb" = "$out/deb/ashmem-dkms_${ver}_all.deb"
if [ -f "$deb" ]; then
	dpkg-deb -x "$deb" "$pk/root"
	dpkg-deb -e "$deb" "$pk/DEBIAN"
	field() { dpkg-deb -f "$deb" "$1"; }
	dcheck "Package, Version, Architecture" test "$(field Package) $(field Version) $(field Architecture)" = "ashmem-dkms $ver all"
	dcheck "Depends on dkms" sh -c "dpkg-deb -f '$deb' Depends | grep -q '^dkms'"
	dcheck "lintian: no errors" lintian --fail-on error "$deb"
	# what make dkms-ashmem lays out is exactly what the package ships
	"$here/dkms-tree.sh" "$pk/tree"
	dcheck "/usr/src/ashmem-$ver is dkms-tree.sh's tree" diff -r "$pk/tree" "$pk/root/usr/src/ashmem-$ver"
	dcheck "dkms.conf names ashmem $ver with AUTOINSTALL" sh -c "grep -qx 'PACKAGE_NAME=\"ashmem\"' '$pk/root/usr/src/ashmem-$ver/dkms.conf' &&
		grep -qx 'AUTOINSTALL=\"yes\"' '$pk/root/usr/src/ashmem-$ver/dkms.conf'"
	rule=$pk/root/lib/udev/rules.d/60-ashmem-dkms.rules
	dcheck "udev rule: /dev/ashmem mode 0666" sh -c "grep -v '^#' '$rule' | grep -qx 'KERNEL==\"ashmem\", SUBSYSTEM==\"misc\", MODE=\"0666\"'"
	dcheck "modules-load.d loads ashmem at boot" sh -c "grep -v '^#' '$pk/root/usr/lib/modules-load.d/ashmem.conf' | grep -qx ashmem"
	dcheck "postinst: dkms add, build, install through common.postinst" \
		sh -c "grep -q '^DKMS_NAME=ashmem\$' '$pk/DEBIAN/postinst' && grep -q '^DKMS_VERSION=$ver\$' '$pk/DEBIAN/postinst' &&
		grep -q '/usr/lib/dkms/common.postinst' '$pk/DEBIAN/postinst'"
	dcheck "prerm: dkms remove --all" grep -q 'dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all' "$pk/DEBIAN/prerm"
fi
record deb $dp $df

# 2c. dkms: `dkms build` of the package's source through its dkms.conf, in
# private dkms/source trees (nothing is installed on this machine), for
# each Debian kernel; needs the dkms package
dp=0 df=0
dk=$out/dkms
for s in 6.1 6.12; do
	rm -rf "$dk"
	mkdir -p "$dk/src" "$dk/tree"
	if [ -d "$pk/root/usr/src/ashmem-$ver" ]; then
		cp -r "$pk/root/usr/src/ashmem-$ver" "$dk/src/"
	else
		"$here/dkms-tree.sh" "$dk/src/ashmem-$ver"
	fi
	eval "$("$here/fetch-kernel.sh" "$s" 2> /dev/null)"
	if command -v dkms > /dev/null &&
	   dkms build -m ashmem -v "$ver" -k "$KVER" --kernelsourcedir "$KBUILD" \
		--dkmstree "$dk/tree" --sourcetree "$dk/src" > "$logs/dkms-$s.log" 2>&1 &&
	   [ -f "$dk/tree/ashmem/$ver/$KVER/x86_64/module/ashmem.ko" ]; then
		dp=$((dp + 1))
	else
		echo "test-ashmem: dkms build for $s failed:"; tail -n 20 "$logs/dkms-$s.log" 2> /dev/null
		df=$((df + 1))
	fi
done
record dkms $dp $df

# 3. Debian's kernels
# rmmod unloads and reloads the module: always last
groups=(
	"ioctl:/root/t/t_ioctl"
	"ioctl32:/root/t/t_ioctl32"
	"pin:/root/t/t_pin"
	"pin32:/root/t/t_pin32"
	"purge:/root/t/t_purge"
	"purge32:/root/t/t_purge32"
	"regress:/root/t/t_regress"
	"regress32:/root/t/t_regress32"
	"backing:/root/t/t_backing"
	"memcg:/root/t/t_memcg"
	"lib-ashmem:LIBASHMEM_BACKEND=ashmem /root/t/t_lib"
	"lib-memfd:LIBASHMEM_BACKEND=memfd /root/t/t_lib"
	"stress:/root/t/t_stress 20"
	"fuzz:/root/t/t_fuzz 20000 1"
	"rmmod:/root/t/t_rmmod /lib/modules/ashmem.ko"
)
for s in 6.1 6.12; do
	if [ -z "${KOS[$s]:-}" ]; then
		record "guest-$s" 0 1
		continue
	fi
	boot_groups "$s" "${KIMAGES[$s]}" "${KOS[$s]}" 512M 600 "${groups[@]}"
	boot_groups "$s-small" "${KIMAGES[$s]}" "${KOS[$s]}" 256M 600 \
		"pressure:/root/t/t_pressure"
done

# 4. the debug kernel: KASAN + lockdep
if [ -x kernel/build.sh ]; then
	# The same build as make test-kernel-debug (SLOBA + debug.config, which
	# carries what ashmem needs): CI builds one debug kernel for both.
	if kdir=$(kernel/build.sh --alloc sloba --config debug.config \
			--print-dir --quiet 2> "$logs/debug-kernel.log" | tail -n 1) &&
	   [ -f "$kdir/arch/x86/boot/bzImage" ] &&
	   vars=$("$here/build-module.sh" "$kdir" "$out/module-debug" 2>> "$logs/debug-kernel.log"); then
		eval "$vars"
		record build-debug 1 0
		boot_groups debug "$kdir/arch/x86/boot/bzImage" "$KO" 1G 1500 \
			"stress:/root/t/t_stress 60" "fuzz:/root/t/t_fuzz 20000 1" \
			"regress:/root/t/t_regress" "pin:/root/t/t_pin" "purge:/root/t/t_purge" \
			"backing:/root/t/t_backing" "memcg:/root/t/t_memcg" \
			"rmmod:/root/t/t_rmmod /lib/modules/ashmem.ko"
		# the shrinker in real reclaim, under lockdep
		boot_groups debug-small "$kdir/arch/x86/boot/bzImage" "$KO" 320M 900 \
			"pressure:/root/t/t_pressure"
	else
		echo "test-ashmem: debug kernel or module build failed:"
		tail -n 30 "$logs/debug-kernel.log"
		record build-debug 0 1
	fi
else
	echo "test-ashmem: kernel/build.sh is missing: no debug-kernel run"
	record build-debug 0 1
fi
exit $failed
