#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# In-guest checks of what a distribution kernel expects from its slab
# allocator (runs inside the guest, busybox sh), one group per argument:
#
#   memcg     a process in a cgroup with a small memory.max creates files,
#             directories and pipes until its own limit stops it; the rest
#             of the guest goes on; memory.stat shows slab, slab_reclaimable
#             and slab_unreclaimable; after its files are deleted and the
#             cgroup removed, the parent's slab charge is back to where it was
#   failslab  /proc/self/make-it-fail + debugfs failslab make slab
#             allocations of one task fail (mkdir fails), and only while on
#   lkdtm     LKDTM's slab and usercopy crash types through debugfs, each
#             one must be caught (a KASAN, KFENCE or usercopy report, an
#             oops or a WARN, and no "lkdtm: FAIL"); needs lkdtm.ko loaded,
#             kasan_multi_shot and no oops=panic
#   kmemleak  kernel objects of files, directories, pipes and processes
#             come and go, then two kmemleak scans find no unreferenced
#             object (booted with kmemleak=on; the allocator's KUnit suite,
#             run at boot, adds kmalloc(0) and the rest of the slab API)
#
# Every check is counted; the last line is "distro: N passed, M failed" and
# the exit status is 1 on any failure.

pass=0 fail=0
check() {
	# check NAME COMMAND...: run COMMAND, count and report the outcome.
	name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "distro: ok   $name"
	else
		fail=$((fail + 1))
		echo "distro: FAIL $name"
	fi
}

# stat_of FILE KEY: the value of KEY in a "key value" file such as memory.stat
stat_of() {
	awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print -1 }' "$1"
}

memcg() {
	cg=/sys/fs/cgroup
	mkdir -p $cg
	mountpoint -q $cg || mount -t cgroup2 none $cg
	check "cgroup v2 has the memory controller" grep -qw memory $cg/cgroup.controllers
	echo +memory > $cg/cgroup.subtree_control
	mkdir $cg/p
	echo +memory > $cg/p/cgroup.subtree_control
	mkdir $cg/p/t
	check "memory.stat has slab fields" \
		grep -q -E '^slab_reclaimable ' $cg/p/t/memory.stat
	check "memory.stat has slab_unreclaimable" \
		grep -q -E '^slab_unreclaimable ' $cg/p/t/memory.stat
	check "memory.stat has slab" grep -q -E '^slab ' $cg/p/t/memory.stat
	base=$(stat_of $cg/p/memory.stat slab)
	echo 8M > $cg/p/t/memory.max
	mkdir -p /tmp/cg
	# The hog: files (inode + dentry), directories and pipes, all
	# accounted kernel memory, until the cgroup's limit stops it.
	(
		# 0: the writer itself, this subshell ($$ is the parent shell)
		echo 0 > $cg/p/t/cgroup.procs || exit 3
		i=0
		while [ $i -lt 400000 ]; do
			: > /tmp/cg/f$i || exit 2
			if [ $((i % 64)) = 0 ]; then
				mkdir /tmp/cg/d$i || exit 2
			fi
			if [ $((i % 512)) = 0 ]; then
				# a pipe kept open by two sleeping children
				sleep 1000 < /dev/null | sleep 1000 &
				echo "distro: hog at $i files" > /dev/console
			fi
			i=$((i + 1))
		done
		exit 0
	) > /tmp/cg-hog.log 2>&1
	hog=$?
	peak=$(stat_of $cg/p/t/memory.stat slab)
	echo "distro: memcg hog ended with status $hog, cgroup slab $peak bytes," \
		"files $(ls /tmp/cg | wc -l), events: $(tr '\n' ' ' < $cg/p/t/memory.events)"
	check "the hog was stopped before creating all its files" [ "$hog" != 0 ]
	check "the cgroup hit its limit (memory.events max)" \
		[ "$(stat_of $cg/p/t/memory.events max)" -gt 0 ]
	check "slab charged to the cgroup (> 4 MiB)" [ "$peak" -gt 4194304 ]
	check "memory.current within memory.max" \
		[ "$(cat $cg/p/t/memory.current)" -le $((8 * 1048576)) ]
	# The rest of the guest is unaffected.
	mkdir -p /tmp/outside
	i=0
	while [ $i -lt 2000 ] && : > /tmp/outside/f$i; do i=$((i + 1)); done
	check "2000 files outside the cgroup" [ "$i" = 2000 ]
	rm -rf /tmp/outside
	# Free everything, remove the cgroup: the charges go with it.
	for p in $(cat $cg/p/t/cgroup.procs); do kill -9 "$p" 2> /dev/null; done
	sleep 1
	rm -rf /tmp/cg
	after=$(stat_of $cg/p/t/memory.stat slab)
	echo "distro: cgroup slab $after bytes after deleting the files"
	check "slab charge dropped after deleting the files" \
		[ "$after" -lt $((peak / 8)) ]
	check "empty cgroup removed" rmdir $cg/p/t
	final=$(stat_of $cg/p/memory.stat slab)
	echo "distro: parent slab $base bytes before, $final after removal"
	check "parent's slab charge back within 256 KiB of before" \
		[ "$final" -le $((base + 262144)) ]
	check "parent cgroup removed" rmdir $cg/p
}

failslab() {
	d=/sys/kernel/debug/failslab
	check "debugfs failslab exists" [ -d $d ]
	[ -d $d ] || return
	echo N > $d/ignore-gfp-wait
	echo Y > $d/task-filter
	echo 0 > $d/verbose
	echo -1 > $d/times
	echo 1 > $d/interval
	echo 100 > $d/probability
	sh -c 'echo 1 > /proc/self/make-it-fail && mkdir /tmp/failslab-x' \
		> /tmp/failslab.log 2>&1
	rc=$?
	cat /tmp/failslab.log
	echo 0 > $d/probability
	check "mkdir fails while failslab hits the task" [ "$rc" != 0 ] && [ ! -d /tmp/failslab-x ]
	check "mkdir works again" mkdir /tmp/failslab-y
	rmdir /tmp/failslab-y 2> /dev/null
}

lkdtm() {
	d=/sys/kernel/debug/provoke-crash/DIRECT
	check "lkdtm's debugfs entry" [ -w $d ]
	[ -w $d ] || return
	for t in SLAB_LINEAR_OVERFLOW READ_AFTER_FREE WRITE_AFTER_FREE \
		SLAB_FREE_DOUBLE SLAB_FREE_CROSS SLAB_FREE_PAGE SLAB_INIT_ON_ALLOC \
		USERCOPY_SLAB_SIZE_TO USERCOPY_SLAB_SIZE_FROM \
		USERCOPY_SLAB_WHITELIST_TO USERCOPY_SLAB_WHITELIST_FROM; do
		n=$(dmesg | wc -l)
		sh -c "echo $t > $d" > /dev/null 2>&1
		sleep 1
		new=$(dmesg | tail -n +$((n + 1)))
		# Caught: a detector reported it.  (lkdtm's own "FAIL: Memory
		# was not poisoned" after a KASAN report only says the object
		# sits unpoisoned in KASAN's quarantine, as under SLUB.)
		if [ $t = SLAB_INIT_ON_ALLOC ]; then
			# Not a crash: lkdtm checks the memory came back zeroed.
			echo "$new" | grep -q 'Memory appears initialized' && caught=yes || caught=no
		elif echo "$new" | grep -q -E 'BUG: KASAN|KFENCE: |usercopy: Kernel memory|SLOBA: |WARNING:|kernel BUG|Oops'; then
			caught=yes
		else
			caught=no
		fi
		echo "distro: lkdtm $t caught: $caught"
		check "lkdtm $t is caught" [ $caught = yes ]
	done
}

kmemleak() {
	k=/sys/kernel/debug/kmemleak
	check "kmemleak is on" [ -w $k ]
	[ -w $k ] || return
	mkdir -p /tmp/kml
	i=0
	while [ $i -lt 1000 ]; do
		echo $i > /tmp/kml/f$i
		[ $((i % 50)) != 0 ] || { mkdir /tmp/kml/d$i; echo $i | cat > /dev/null; }
		i=$((i + 1))
	done
	rm -rf /tmp/kml
	# An object is reported when two scans found nothing pointing to it
	# and it is older than 5 s (kmemleak's minimum age).
	check "first kmemleak scan" sh -c "echo scan > $k"
	sleep 6
	check "second kmemleak scan" sh -c "echo scan > $k"
	n=$(grep -c '^unreferenced object' $k)
	echo "distro: kmemleak: $n suspected leaks"
	head -n 100 $k
	check "kmemleak finds no leak" [ "$n" = 0 ]
}

for group in "$@"; do
	case $group in
	memcg) memcg ;;
	failslab) failslab ;;
	lkdtm) lkdtm ;;
	kmemleak) kmemleak ;;
	*) echo "usage: distro-checks.sh memcg|failslab|lkdtm|kmemleak..." >&2; exit 2 ;;
	esac
done
echo "distro: $pass passed, $fail failed"
[ "$fail" = 0 ]
