#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest half of `make test-vm` (vm/test-vm.sh copies it onto the control
# disk).  Runs in the booted Debian system as root and prints what the host
# counts:
#   "test-vm: <check> ok|FAIL <details>" for the checks made here, and the
#   kernel's journal between @@KLOG-BEGIN@@ and @@KLOG-END@@, in which the
#   host finds the KUnit results and looks for WARN, BUG, oops, lockdep,
#   KASAN and hung-task lines.
#
# usage: test-guest.sh main STRESS_SECONDS   (everything)
#        test-guest.sh stock STRESS_SECONDS  (no test_meminit, no slabtest.ko)
#        test-guest.sh meminit               (test_meminit only)

ctl=/run/sloba-ctl
fails=0
say() { echo "test-vm: $*"; }
result() {	# result CHECK OK? DETAILS
	if [ "$2" = 0 ]; then say "$1 ok $3"; else say "$1 FAIL $3"; fails=$((fails + 1)); fi
}
sunreclaim() { sed -n 's/^SUnreclaim: *\([0-9]*\) kB$/\1/p' /proc/meminfo; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; sleep 2; }

# test_meminit: installed with the kernel package; its result is in the
# kernel log ("all N tests passed" or "failures: F out of N").
meminit() {
	local out mode
	mode=$(dmesg | grep -o 'mem auto-init: .*' | head -n 1)
	dmesg -c > /dev/null
	modprobe test_meminit
	rmmod test_meminit 2> /dev/null
	out=$(dmesg | grep -E 'test_meminit: (all [0-9]+ tests passed|failures:)' | tail -n 1)
	grep -q 'test_meminit: all [0-9]* tests passed' <<< "$out"
	result meminit $? "(${mode:-no 'mem auto-init' line}): ${out:-no result line}"
}

state=$(systemctl is-system-running)
failed=$(systemctl --failed --no-legend --plain | awk '{ print $1 }' | tr '\n' ' ')
[ "$state" = running ] && [ -z "$failed" ]
result boot $? "(system $state; failed units: ${failed:-none}; $(systemctl show -p ActiveState --value multi-user.target) multi-user.target)"

case ${1:-} in
meminit)
	meminit
	;;
main | stock)
	secs=${2:-60}
	if [ "$1" = main ]; then
		meminit
		# slabtest.ko: a KUnit suite run at load time (kunit.enable=1).
		if insmod "$ctl/slabtest.ko"; then
			rmmod slabtest
			result testmod-load $? "(insmod, rmmod)"
		else
			result testmod-load 1 "(insmod failed)"
		fi
	fi

	# stress-ng: the named slab-heavy stressors, one instance each, all
	# at once, checking their results (--verify); then SUnreclaim must
	# come back near where it started.
	drop
	before=$(sunreclaim)
	# (stress-ng 0.15 names the signalfd stressor "sigfd".)
	stressors="dentry dir inode-flags msg mq epoll eventfd timerfd sigfd
		fork clone sock udp tmpfs memfd userfaultfd io-uring vm mmap"
	args=()
	for s in $stressors; do args+=(--"$s" 1); done
	cd /root || exit 1
	out=$(stress-ng "${args[@]}" --vm-bytes 64M --mmap-bytes 64M \
		--timeout "${secs}s" --verify --metrics-brief 2>&1)
	rc=$?
	echo "$out" | sed 's/^/  /'
	# Every stressor must have run to the end (its metrics line) and
	# none reported an error or a failed verification; stress-ng exits 0
	# only then (2: a stressor failed, 3: one lacked resources, ...).
	n=0 ran=0 missing=
	for s in $stressors; do
		n=$((n + 1))
		if grep -q -E "metrc: \[[0-9]+\] $s +[0-9]" <<< "$out"; then
			ran=$((ran + 1))
		else
			missing="$missing $s"
		fi
	done
	errors=$(grep -c -E 'stress-ng: (fail|error):|aborted early|verif.* fail' <<< "$out")
	[ "$rc" = 0 ] && [ "$ran" = "$n" ] && [ "$errors" = 0 ]
	result stress $? "(exit $rc; $ran of $n stressors ran ${secs}s with --verify${missing:+, missing:$missing}; $errors error lines)"

	drop
	after=$(sunreclaim)
	# "Near": within 10% of the start or 2 MiB, whichever is more.
	slack=$((before / 10))
	[ "$slack" -ge 2048 ] || slack=2048
	[ "$after" -le $((before + slack)) ]
	result leak $? "(SUnreclaim after drop_caches: ${before} kB before the stressors, ${after} kB after; allowed +${slack} kB)"
	;;
esac

echo "@@KLOG-BEGIN@@"
journalctl -k -b --no-pager -o cat
echo "@@KLOG-END@@"
exit $((fails > 0))
