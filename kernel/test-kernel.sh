#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel test suites for one slab allocator: builds the kernel and the
# out-of-tree test module, then boots QEMU once per suite and records each
# suite's pass/fail counts with scripts/record-result as
# <prefix>-<suite>-<variant> (prefix test-kernel unless --record says
# otherwise: make test needs each of its targets to record under its name):
#
#   build     the kernel and the test module build
#   meminit   lib/test_meminit.ko, booted with init_on_alloc=1 and again
#             with init_on_free=1 (with --append sloba_debug, a third time
#             with init_on_free=1 and without sloba_debug)
#   workload  guest/workload.sh (20,000 files on tmpfs, du, fork/exec,
#             /proc/slabinfo, Slab in /proc/meminfo)
#   testmod   kernel/testmod/slabtest.ko, a KUnit suite: load, check, unload
#   kunit     (sloba) mm/sloba_kunit.c, built in, run at boot with
#             kunit.enable=1 on the 2-CPU guest
#   gdb       kernel/gdb.sh --batch: gdb stops the booting kernel in
#             kmem_cache_init (make gdb works)
#
# and, on a kernel that has them (debug.config), the kernel's own sanitizer
# suites and the distribution features:
#   kasan     mm/kasan/kasan_test.ko (KUnit suite kasan)
#   kfence    mm/kfence/kfence_test.ko (KUnit suite kfence)
#   distro    guest/distro-checks.sh memcg failslab: memory cgroup limits
#             on kernel memory, FAILSLAB
#   lkdtm     guest/distro-checks.sh lkdtm: LKDTM's slab and usercopy
#             crash types, each caught
#   kmemleak  guest/distro-checks.sh kmemleak, booted with kmemleak=on and
#             the allocator's KUnit suite: two scans find no leak
# Their boots provoke reports on purpose, so their logs are not held
# against them; their own counts are.
#
# (The UML KUnit suites are kernel/kunit.sh, separate: they do not depend on
# the allocator chosen here.)
# Every boot's console log also goes through guest/check-log.sh: a WARN,
# BUG, oops, sanitizer report or leak counts as one more failure of the
# suite that booted it.  Logs are kept in $BUILD/kernel/.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BUILD=${BUILD:-$repo/build}
export BUILD

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--arch ARCH] [--alloc NAME] [--config FRAGMENT]... [--suite SUITE]...
                [--append ARGS] [--timeout SEC] [--record PREFIX]
  --arch ARCH    x86_64 (default) or arm64 (cross-built, qemu-system-aarch64
                 -M virt; no gdb suite); suites are recorded as ...-arm64-<alloc>
  --alloc NAME   allocator fragment kernel/configs/NAME.config (default slub)
  --config FILE  extra config fragment for kernel/build.sh (e.g. debug.config);
                 the suites are then recorded as ...-<alloc>+<fragment>
  --suite SUITE  meminit, workload, testmod, kunit, gdb, kasan, kfence,
                 distro, lkdtm or kmemleak (default: all the kernel has; kunit, the
                 allocator's built-in KUnit suite, for sloba)
  --append ARGS  kernel command line arguments for every boot (e.g.
                 sloba_debug); the suites are recorded as ...+<ARGS>
  --timeout SEC  per boot (default 300, 900 with a debug fragment)
  --record PREFIX  record the suites as PREFIX-<suite>-<variant>
                 (default test-kernel)
  --obj DIR      test this already built folder (configured with the same
                 --arch/--alloc/--config) instead of running build.sh
EOF
	exit 2
}

alloc=slub timeout=300 append='' arch=x86_64 prebuilt='' timeout_set=0
prefix=test-kernel
suites=() configs=()
while [ $# -gt 0 ]; do
	case $1 in
	--alloc) [ $# -ge 2 ] || usage; alloc=$2; shift 2 ;;
	--arch) [ $# -ge 2 ] || usage; arch=$2; shift 2 ;;
	--config) [ $# -ge 2 ] || usage; configs+=(--config "$2"); shift 2 ;;
	--suite) [ $# -ge 2 ] || usage; suites+=("$2"); shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; timeout_set=1; shift 2 ;;
	--append) [ $# -ge 2 ] || usage; append="$append $2"; shift 2 ;;
	--obj) [ $# -ge 2 ] || usage; prebuilt=$2; shift 2 ;;
	--record) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
	*) usage ;;
	esac
done
# A debug kernel (KASAN, lockdep, ...) under TCG is several times slower:
# the workload alone took over 300 s on a loaded host.
case " ${configs[*]+"${configs[*]}"} " in
*debug*) [ "$timeout_set" = 1 ] || timeout=900 ;;
esac
default_suites=0
if [ ${#suites[@]} -eq 0 ]; then
	default_suites=1
	suites=(meminit workload testmod)
	# gdb.sh drives the x86_64 guest only.
	[ "$arch" != x86_64 ] || suites+=(gdb)
	# SLOBA has a KUnit suite of its own, built into its kernel.
	[ "$alloc" != sloba ] || suites+=(kunit)
fi
for s in "${suites[@]}"; do
	case $s in meminit | workload | testmod | kunit | gdb | kasan | kfence | distro | lkdtm | kmemleak) ;;
	*) usage ;; esac
done

case $arch in
x86_64) kimage=arch/x86/boot/bzImage kmake_arch=(ARCH=x86_64) ;;
arm64) kimage=arch/arm64/boot/Image kmake_arch=(ARCH=arm64 LLVM=1) ;;
*) usage ;;
esac

# The name suites are recorded under: the allocator plus any fragments.
variant=$alloc
[ "$arch" = x86_64 ] || variant="$arch-$alloc"
for ((i = 1; i < ${#configs[@]}; i += 2)); do
	f=$(basename "${configs[i]}")
	variant="$variant+${f%.config}"
done
for a in $append; do
	variant="$variant+$a"
done

out=$BUILD/kernel
mkdir -p "$out"
status=0

say() { echo "test-kernel: $*"; }
# Wall time of the suite being run (what it costs in make test).
suite_start=$(date +%s)
record() {
	# record SUITE PASSED FAILED
	say "$1 ($variant): $2 passed, $3 failed ($(($(date +%s) - suite_start)) s)"
	"$repo/scripts/record-result" "$prefix-$1-$variant" "$2" "$3"
	[ "$3" -eq 0 ] || status=1
}

# boot LOG [boot.sh options]: boots the kernel with the console in LOG
# (shown when the boot failed); boot.sh's own messages still show.
boot() {
	local log=$1 rc
	shift
	"$repo/guest/boot.sh" --kernel "$bzimage" --timeout "$timeout" \
		--log "$log" ${append:+--append "$append"} "$@" > /dev/null
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "--- last lines of $log ---"
		tail -n 40 "$log"
		echo "---"
	fi
	return $rc
}

# ktap_counts WHAT SUITE LOG: sets pass and fail from the KTAP lines of one
# KUnit suite in a console log ("ok N case" / "not ok N case" inside the
# suite's "1..N" plan; a skipped case counts as failed, a missing one too).
ktap_counts() {
	local what=$1 name=$2 clean plan
	clean=$(tr -d '\r' < "$3" | sed 's/^\[ *[0-9.]*\] //')
	plan=$(awk -v s="$name" '$0 ~ "# Subtest: " s "$" { getline; if ($1 ~ /^1\.\./) print substr($1, 4) }' <<< "$clean" | tail -n 1)
	pass=$(grep -c -E "^ +ok [0-9]+ (- )?${name}_[a-z_]+\$" <<< "$clean")
	fail=$(grep -c -E "^ +not ok [0-9]+ (- )?${name}_|^ +ok [0-9]+ (- )?${name}_.*# SKIP" <<< "$clean")
	grep -E "^ +(not )?ok [0-9]+ (- )?${name}_|# ${name}|# [a-z_]+: (EXPECTATION|ASSERTION) FAILED" <<< "$clean" | sed 's/^/  /'
	if [ -z "$plan" ] || [ $((pass + fail)) -lt "$plan" ]; then
		say "$what: suite $name did not report every case (plan ${plan:-none})"
		fail=$((fail + 1))
	fi
}

say "building the $variant kernel"
t0=$(date +%s)
if [ -n "$prebuilt" ]; then
	obj=$(realpath "$prebuilt")
	[ -f "$obj/$kimage" ] || { say "no $kimage in $obj"; record build 0 1; exit 1; }
elif ! obj=$("$here/build.sh" --arch "$arch" --alloc "$alloc" "${configs[@]+"${configs[@]}"}" --quiet --print-dir); then
	record build 0 1
	exit 1
fi
say "kernel ready in $(($(date +%s) - t0))s: $obj"
bzimage=$obj/$kimage

# The sanitizer and distribution suites, where the kernel has what they need.
if [ "$default_suites" = 1 ]; then
	! grep -q '^CONFIG_KASAN_KUNIT_TEST=m' "$obj/.config" || suites+=(kasan)
	! grep -q '^CONFIG_KFENCE_KUNIT_TEST=m' "$obj/.config" || suites+=(kfence)
	! grep -q '^CONFIG_MEMCG_KMEM=y' "$obj/.config" || suites+=(distro)
	! grep -q '^CONFIG_LKDTM=m' "$obj/.config" || suites+=(lkdtm)
	! grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "$obj/.config" || suites+=(kmemleak)
fi

# The allocator's own suites count objects and slabs: KFENCE, when built
# in, would now and then take one of their objects (kfence_test is the
# suite for KFENCE).
no_kfence=
! grep -q '^CONFIG_KFENCE=y' "$obj/.config" || no_kfence=kfence.sample_interval=0

# guest_status LOG: the status the guest command reported, or nothing.
guest_status() {
	tr -d '\r' < "$1" | sed -n 's/.*@@GUEST-EXIT \([0-9]*\)@@.*/\1/p' | tail -n 1
}

# module_suite SUITE KO KTAP_NAME TIMEOUT [BOOT_ARGS]: load a KUnit test
# module and count its results from the suite's KTAP summary ("# NAME:
# pass:P fail:F skip:S total:T"; skipped cases, which need another
# configuration, are shown and not counted).  Only this suite runs
# (kunit.filter_glob keeps the built-in ones quiet).  It provokes reports
# on purpose, so a log with problems (boot.sh status 120) is expected; the
# module must load and every case must report.
#
# toolchain_xfail: cases that fail with this toolchain whatever the slab
# allocator, measured with SLUB on the same configuration (kernel/README.md,
# "kasan_test"): kasan_global_oob_right overflows a *global* array, whose
# red zone gcc 12 does not give KASAN (SLUB: 43 passed, this 1 failed,
# 11 skipped).  Such a failure is shown and not counted; a pass counts.
declare -A toolchain_xfail=([kasan]=kasan_global_oob_right)
module_suite() {
	local suite=$1 ko=$2 name=$3 to=$4 args=${5:-} log=$out/$1-$variant.log
	local rc st sum total skip clean
	if [ ! -f "$ko" ]; then
		say "$suite: $ko was not built"
		record "$suite" 0 1
		return
	fi
	timeout=$to boot "$log" --oops-ok \
		--append "kunit.enable=1 kunit.filter_glob=$name $args" \
		--extra "$ko:/root/$(basename "$ko")" \
		--cmd "insmod /root/$(basename "$ko"); rmmod ${name}_test 2>/dev/null; true"
	rc=$?
	st=$(guest_status "$log")
	clean=$(tr -d '\r' < "$log" | sed 's/^\[ *[0-9.]*\] //')
	grep -E "^ +not ok [0-9]+ |# SKIP" <<< "$clean" | sed 's/^ */  /'
	sum=$(sed -n "s/^# $name: pass:\([0-9]*\) fail:\([0-9]*\) skip:\([0-9]*\) total:\([0-9]*\).*/\1 \2 \3 \4/p" <<< "$clean" | tail -n 1)
	if [ -n "$sum" ]; then
		read -r pass fail skip total <<< "$sum"
		say "$suite: $pass passed, $fail failed, $skip skipped of $total"
		[ $((pass + fail + skip)) = "$total" ] || fail=$((fail + 1))
		grep -q '^CONFIG_CC_IS_GCC=y' "$obj/.config" ||
			toolchain_xfail[$name]=''
		for c in ${toolchain_xfail[$name]:-}; do
			grep -qE "^ +not ok [0-9]+ (- )?$c\$" <<< "$clean" || continue
			say "$suite: $c fails under SLUB too with gcc: not counted"
			fail=$((fail - 1))
		done
	else
		say "$suite: no KTAP summary of suite $name"
		pass=0 fail=1
	fi
	case $rc in 0 | 120) ;; *) say "$suite: boot.sh status $rc"; fail=$((fail + 1)) ;; esac
	[ -n "$st" ] || { say "$suite: the guest reported no status"; fail=$((fail + 1)); }
	record "$suite" "$pass" "$fail"
}

# The test module, built against that tree in a scratch copy so the
# source folder stays clean.
modsrc=$out/testmod-$variant
rm -rf "$modsrc"
cp -r "$here/testmod" "$modsrc"
if make -s -C "$obj" "${kmake_arch[@]}" M="$modsrc" modules > "$out/testmod-$variant.build.log" 2>&1 &&
	[ -f "$modsrc/slabtest.ko" ]; then
	record build 2 0
else
	cat "$out/testmod-$variant.build.log"
	record build 1 1
fi

for suite in "${suites[@]}"; do
	suite_start=$(date +%s)
	case $suite in
	meminit)
		# Twice: the test only makes sense with one of the two on.
		# With sloba_debug every free link lies past the object; a
		# third boot without it keeps the links inside the objects,
		# where init_on_free must still leave zeros (a hardened link
		# to NULL is not zero).
		pass=0 fail=0
		modes="init_on_alloc init_on_free"
		case " $append " in *" sloba_debug "*) modes="$modes init_on_free-nodebug" ;; esac
		for mode in $modes; do
			log=$out/meminit-$mode-$variant.log
			saved=$append
			if [ "$mode" = init_on_free-nodebug ]; then
				append=$(tr ' ' '\n' <<< "$append" | grep -v -x sloba_debug | tr '\n' ' ')
			fi
			boot "$log" --append "${mode%-nodebug}=1" \
				--extra "$obj/lib/test_meminit.ko:/root/test_meminit.ko" \
				--cmd 'insmod /root/test_meminit.ko; rmmod test_meminit 2>/dev/null; true'
			rc=$?
			append=$saved
			clean=$(tr -d '\r' < "$log")
			grep -E 'mem auto-init:|test_meminit: (all|fail)' <<< "$clean" | sed 's/^/  /'
			# The kernel must say the mode is really on.
			want="heap alloc:off, heap free:on"
			[ "${mode%-nodebug}" = init_on_free ] || want="heap alloc:on, heap free:off"
			if grep -q "mem auto-init: .*$want" <<< "$clean"; then
				pass=$((pass + 1))
			else
				say "meminit: the kernel did not report '$want'"
				fail=$((fail + 1))
			fi
			# The first result only: busybox insmod retries a module
			# whose init failed, which runs the tests a second time.
			n=$(sed -n 's/.*test_meminit: all \([0-9]*\) tests passed.*/\1/p' <<< "$clean" | head -n 1)
			line=$(sed -n 's/.*test_meminit: failures: \([0-9]* out of [0-9]*\).*/\1/p' <<< "$clean" | head -n 1)
			if [ -n "$n" ]; then
				pass=$((pass + n))
			elif [ -n "$line" ]; then
				f=${line%% *} t=${line##* }
				pass=$((pass + t - f)) fail=$((fail + f))
			else
				say "meminit ($mode): no result line from test_meminit"
				fail=$((fail + 1))
			fi
			[ "$rc" = 0 ] || { say "meminit ($mode): boot.sh status $rc"; fail=$((fail + 1)); }
		done
		record meminit "$pass" "$fail"
		;;
	workload)
		log=$out/workload-$variant.log
		slabinfo=yes
		[ "$alloc" != slob ] || slabinfo=no
		boot "$log" --extra "$repo/guest/workload.sh:/root/workload.sh" \
			--cmd "sh /root/workload.sh -s $slabinfo"
		rc=$?
		tr -d '\r' < "$log" | grep -E '^workload: ' | sed 's/^/  /'
		res=$(tr -d '\r' < "$log" | sed -n 's/^workload: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
		if [ -n "$res" ]; then
			pass=${res% *} fail=${res#* }
		else
			say "workload: no result line"
			pass=0 fail=1
		fi
		# A failed check already makes the status 1; anything else
		# (timeout, crash, kernel log problems) is one more failure.
		case $rc in 0 | 1) ;; *) say "workload: boot.sh status $rc"; fail=$((fail + 1)) ;; esac
		record workload "$pass" "$fail"
		;;
	testmod)
		log=$out/testmod-$variant.log
		if [ ! -f "$modsrc/slabtest.ko" ]; then
			record testmod 0 1
			continue
		fi
		boot "$log" --append "kunit.enable=1 $no_kfence" \
			--extra "$modsrc/slabtest.ko:/root/slabtest.ko" \
			--cmd 'insmod /root/slabtest.ko || exit 10
				lsmod | grep -q "^slabtest " || exit 11
				rmmod slabtest || exit 12
				! lsmod | grep -q "^slabtest " || exit 13'
		rc=$?
		ktap_counts testmod slabtest "$log"
		[ "$rc" = 0 ] || { say "testmod: boot.sh status $rc (10 insmod, 11 not listed, 12 rmmod, 13 still listed)"; fail=$((fail + 1)); }
		record testmod "$pass" "$fail"
		;;
	kunit)
		# The allocator's own KUnit suite, built in (sloba.config),
		# run at boot on this x86_64 SMP guest.
		log=$out/kunit-$variant.log
		name=$(sed -n 's/^CONFIG_\([A-Z]*\)_KUNIT_TEST=y$/\1/p' "$obj/.config" | tr 'A-Z' 'a-z' | head -n 1)
		if [ -z "$name" ]; then
			say "kunit: the $variant kernel has no built-in allocator KUnit suite"
			record kunit 0 1
			continue
		fi
		boot "$log" --append "kunit.enable=1 $no_kfence" --cmd true
		rc=$?
		ktap_counts kunit "$name" "$log"
		[ "$rc" = 0 ] || { say "kunit: boot.sh status $rc"; fail=$((fail + 1)); }
		record kunit "$pass" "$fail"
		;;
	kasan)
		# KFENCE off: an object KFENCE samples is not KASAN's to check.
		module_suite kasan "$obj/mm/kasan/kasan_test.ko" kasan "$timeout" \
			kfence.sample_interval=0
		;;
	kfence)
		module_suite kfence "$obj/mm/kfence/kfence_test.ko" kfence 900
		;;
	distro | lkdtm | kmemleak)
		log=$out/$suite-$variant.log
		args=(--extra "$repo/guest/distro-checks.sh:/root/distro-checks.sh")
		if [ "$suite" = distro ]; then
			args+=(--cmd "sh /root/distro-checks.sh memcg failslab")
		elif [ "$suite" = kmemleak ]; then
			# kmemleak=on: the debug kernel has it off by default.
			args+=(--append "kmemleak=on kunit.enable=1 $no_kfence"
				--cmd "sh /root/distro-checks.sh kmemleak")
		else
			# Crash types oops on purpose: no oops=panic, every
			# KASAN report, and init_on_alloc for SLAB_INIT_ON_ALLOC.
			args+=(--oops-ok --append "kasan_multi_shot init_on_alloc=1"
				--extra "$obj/drivers/misc/lkdtm/lkdtm.ko:/root/lkdtm.ko"
				--cmd "insmod /root/lkdtm.ko && sh /root/distro-checks.sh lkdtm")
		fi
		# The memcg hog fills its cgroup under KASAN: slow under TCG.
		timeout=900 boot "$log" "${args[@]}"
		rc=$?
		tr -d '\r' < "$log" | grep -E '^distro: ' | sed 's/^/  /'
		res=$(tr -d '\r' < "$log" | sed -n 's/^distro: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
		if [ -n "$res" ]; then
			pass=${res% *} fail=${res#* }
		else
			say "$suite: no result line"
			pass=0 fail=1
		fi
		# The memcg hog is stopped by the cgroup's OOM killer, whose
		# report carries a stack dump: a log whose only problems lie
		# inside such reports is clean.
		if [ "$suite" = distro ] && [ "$rc" = 120 ]; then
			tr -d '\r' < "$log" |
				awk '/invoked oom-killer:/ { skip = 1 }
				     !skip { print }
				     /Killed process [0-9]+/ { skip = 0 }' > "$log.no-oom"
			if "$repo/guest/check-log.sh" "$log.no-oom" > /dev/null; then
				say "$suite: only the expected memcg OOM report in the log"
				rc=$(guest_status "$log")
			fi
		fi
		# lkdtm's log is full of the reports it provoked.
		ok_rc="0 1"
		[ "$suite" != lkdtm ] || ok_rc="0 1 120"
		case " $ok_rc " in *" $rc "*) ;; *) say "$suite: boot.sh status $rc"; fail=$((fail + 1)) ;; esac
		record "$suite" "$pass" "$fail"
		;;
	gdb)
		if "$here/gdb.sh" --alloc "$alloc" "${configs[@]+"${configs[@]}"}" --batch > "$out/gdb-$variant.log" 2>&1; then
			record gdb 1 0
		else
			cat "$out/gdb-$variant.log"
			record gdb 0 1
		fi
		;;
	esac
done
exit $status
