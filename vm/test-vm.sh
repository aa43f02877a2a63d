#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make test-vm`: the SLOBA kernel built from Debian's configuration,
# installed in the Debian VM with dpkg -i, booted by the VM's GRUB, and
# checked there (vm/test-guest.sh is the guest half).  Two boots:
#
#   main     kunit.enable=1 (Debian's config has init_on_alloc=1 by default):
#            systemd reached multi-user.target with no failed unit;
#            SLOBA's KUnit suite (built in, run at boot); test_meminit;
#            kernel/testmod/slabtest.ko (built here against the same build
#            folder); the stress-ng battery with --verify for
#            VM_STRESS_SECONDS (default 60); SUnreclaim after drop_caches
#            back near its level before the battery; the kernel's journal
#            free of WARN, BUG, oops, lockdep, KASAN and hung-task lines;
#   meminit  init_on_alloc=0 init_on_free=1: test_meminit again.
#
# Each check is recorded with scripts/record-result as test-vm-<check>;
# logs go to $BUILD/vm/.  --alloc tests another allocator's VM kernel
# (no KUnit suite but SLOBA's); --alloc stock runs the boot, journal,
# stress and leak checks on Debian's own kernel in the same image, the
# baseline for them (no test module, KUnit or test_meminit there).

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BUILD=${BUILD:-$repo/build}
export BUILD

alloc=sloba secs=${VM_STRESS_SECONDS:-60}
while [ $# -gt 0 ]; do
	case $1 in
	--alloc) [ $# -ge 2 ] || { echo "usage: ${0##*/} [--alloc NAME] [--stress SECONDS]" >&2; exit 2; }; alloc=$2; shift 2 ;;
	--stress) [ $# -ge 2 ] || exit 2; secs=$2; shift 2 ;;
	*) echo "usage: ${0##*/} [--alloc NAME] [--stress SECONDS]" >&2; exit 2 ;;
	esac
done
case "$secs" in '' | *[!0-9]*) echo "test-vm: --stress wants seconds" >&2; exit 2 ;; esac

out=$BUILD/vm
mkdir -p "$out"
status=0
say() { echo "test-vm: $*"; }
record() {	# record CHECK PASSED FAILED
	say "$1 ($alloc): $2 passed, $3 failed"
	"$repo/scripts/record-result" "test-vm-$1-$alloc" "$2" "$3"
	[ "$3" -eq 0 ] || status=1
}

t0=$(date +%s)
if [ "$alloc" = stock ]; then
	image=$("$here/mkimage.sh") || { record build 0 1; exit 1; }
	rel=$(sort -V "${image%.img}.releases" | tail -n 1)
	log=$out/main-stock.log
	"$here/run.sh" --image "$image" --release "$rel" --quiet --log "$log" \
		--timeout 3600 --append "panic=-1 oops=panic" \
		--ctl-add "$here/test-guest.sh:test-guest.sh" \
		--cmd "bash /run/sloba-ctl/test-guest.sh stock $secs"
	tr -d '\r' < "$log" | sed -n '/@@KLOG-BEGIN@@/,/@@KLOG-END@@/p' > "$out/main-stock.klog"
	for c in boot stress leak; do
		line=$(tr -d '\r' < "$log" | grep -E "^test-vm: $c (ok|FAIL)" | tail -n 1)
		echo "  ${line:-test-vm: $c: no result}"
		if grep -q "^test-vm: $c ok" <<< "$line"; then record $c 1 0; else record $c 0 1; fi
	done
	if [ -s "$out/main-stock.klog" ] && "$repo/guest/check-log.sh" "$out/main-stock.klog"; then
		record journal 1 0
	else
		record journal 0 1
	fi
	exit $status
fi
say "building the $alloc kernel packages and the VM image (cold: 25 minutes or more)"
if ! debs=$("$here/kernel.sh" --alloc "$alloc" --quiet) ||
	! obj=$("$here/kernel.sh" --alloc "$alloc" --quiet --print-dir)/obj ||
	! image=$("$here/vm.sh" --alloc "$alloc" --print-image); then
	record build 0 1
	exit 1
fi
rel=$(basename "$(grep /linux-image- <<< "$debs")" | sed 's/^linux-image-\([^_]*\)_.*/\1/')
say "kernel $rel and image ready in $(($(date +%s) - t0)) s: $image"

# slabtest.ko, built against the same build folder in a scratch copy.
mod=$out/testmod-$alloc
rm -rf "$mod"
cp -r "$repo/kernel/testmod" "$mod"
if make -s -C "$obj" M="$mod" modules > "$out/testmod-$alloc.build.log" 2>&1 &&
	[ -f "$mod/slabtest.ko" ]; then
	record build 3 0
else
	cat "$out/testmod-$alloc.build.log"
	record build 2 1
fi

# boot NAME APPEND CMD: one boot; its console in $out/NAME-$alloc.log.
boot() {
	local log=$out/$1-$alloc.log rc
	say "boot '$1' ($2)"
	"$here/run.sh" --image "$image" --release "$rel" --quiet --log "$log" \
		--timeout 3600 --append "$2 panic=-1 oops=panic" \
		--ctl-add "$here/test-guest.sh:test-guest.sh" \
		--ctl-add "$mod/slabtest.ko:slabtest.ko" --cmd "$3"
	rc=$?
	[ "$rc" = 0 ] || { echo "--- last lines of $log ---"; tail -n 30 "$log"; echo ---; }
	return $rc
}
# klog LOG: the kernel journal the guest printed; check LOG NAME: its
# "test-vm: NAME ok|FAIL" line, shown, as 0 or 1.
klog() { tr -d '\r' < "$1" | sed -n '/@@KLOG-BEGIN@@/,/@@KLOG-END@@/p'; }
check() {
	local line
	line=$(tr -d '\r' < "$1" | grep -E "^test-vm: $2 (ok|FAIL)" | tail -n 1)
	echo "  ${line:-test-vm: $2: no result}"
	grep -q "^test-vm: $2 ok" <<< "$line"
}
# ktap NAME TEXT: sets pass/fail from KUnit suite NAME's KTAP lines.
ktap() {
	local name=$1 text=$2 plan
	plan=$(awk -v s="$name" '$0 ~ "# Subtest: " s "$" { getline; sub(/^ */, ""); if ($1 ~ /^1\.\./) print substr($1, 4) }' <<< "$text" | tail -n 1)
	pass=$(grep -c -E "^ *ok [0-9]+ (- )?${name}_[a-z0-9_]+\$" <<< "$text")
	fail=$(grep -c -E "^ *not ok [0-9]+ (- )?${name}_|^ *ok [0-9]+ (- )?${name}_.*# SKIP" <<< "$text")
	grep -E "^ *not ok [0-9]+ (- )?${name}_|(EXPECTATION|ASSERTION) FAILED" <<< "$text" | sed 's/^/  /'
	if [ -z "$plan" ] || [ $((pass + fail)) -lt "$plan" ]; then
		say "KUnit suite $name did not report every case (plan ${plan:-none}, seen $((pass + fail)))"
		fail=$((fail + 1))
	fi
}

# --- boot 1 --------------------------------------------------------------------
boot main kunit.enable=1 "bash /run/sloba-ctl/test-guest.sh main $secs"
rc=$?
log=$out/main-$alloc.log
text=$(klog "$log")
if check "$log" boot; then record boot 1 0; else record boot 0 1; fi
# The journal: check-log over the kernel's messages as the journal kept them.
klogfile=$out/main-$alloc.klog
printf '%s\n' "$text" > "$klogfile"
if [ -z "$text" ]; then
	say "journal: the guest printed no kernel journal"
	record journal 0 1
elif "$repo/guest/check-log.sh" "$klogfile"; then
	record journal 1 0
else
	record journal 0 1
fi
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { say "main boot: vm/run.sh status $rc"; record vm-run 0 1; }
if [ "$alloc" = sloba ]; then
	ktap sloba "$text"
	record kunit "$pass" "$fail"
fi
ktap slabtest "$text"
check "$log" testmod-load && pass=$((pass + 1)) || fail=$((fail + 1))
record testmod "$pass" "$fail"
p=0 f=0
check "$log" meminit && p=$((p + 1)) || f=$((f + 1))
for c in stress leak; do
	if check "$log" $c; then record $c 1 0; else record $c 0 1; fi
done

# --- boot 2 --------------------------------------------------------------------
boot meminit "init_on_alloc=0 init_on_free=1" "bash /run/sloba-ctl/test-guest.sh meminit"
rc=$?
check "$out/meminit-$alloc.log" meminit && p=$((p + 1)) || f=$((f + 1))
[ "$rc" = 0 ] || f=$((f + 1))
record meminit "$p" "$f"

say "done in $(($(date +%s) - t0)) s"
exit $status
