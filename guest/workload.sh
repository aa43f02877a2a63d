#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest workload that leans on the slab allocator (runs inside the guest,
# busybox sh): creates and deletes 20,000 files in a tree on tmpfs, runs du
# over it, forks and execs in a loop, and reads /proc/slabinfo and the Slab
# line of /proc/meminfo.  Every step is a check that can fail; the last line
# is "workload: N passed, M failed" and the exit status is 1 on any failure.
#
# usage: workload.sh [-s yes|no] [-n FILES] [-f FORKS]
#   -s  whether /proc/slabinfo must exist (default yes; SLOB has none)

slabinfo=yes nfiles=20000 nforks=1000
while getopts "s:n:f:" opt; do
	case $opt in
	s) slabinfo=$OPTARG ;;
	n) nfiles=$OPTARG ;;
	f) nforks=$OPTARG ;;
	*) echo "usage: workload.sh [-s yes|no] [-n FILES] [-f FORKS]" >&2; exit 2 ;;
	esac
done

pass=0 fail=0
check() {
	# check NAME COMMAND...: run COMMAND, count and report the outcome.
	name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "workload: ok   $name"
	else
		fail=$((fail + 1))
		echo "workload: FAIL $name"
	fi
}

slab_kb() {
	awk '$1 == "Slab:" { print $2 }' /proc/meminfo
}

now_ms() {
	# Milliseconds since boot, from /proc/uptime.
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

dirs=20
per_dir=$((nfiles / dirs))
top=/tmp/workload

slab_boot=$(slab_kb)
echo "workload: Slab after boot: ${slab_boot} kB"
check "meminfo has a positive Slab line" test "${slab_boot:-0}" -gt 0

# 1. Create the tree: $dirs folders of $per_dir small files each.
make_tree() {
	mkdir -p "$top" || return 1
	d=0
	while [ $d -lt $dirs ]; do
		mkdir "$top/d$d" || return 1
		i=0
		while [ $i -lt $per_dir ]; do
			echo "$d.$i" > "$top/d$d/f$i" || return 1
			i=$((i + 1))
		done
		d=$((d + 1))
	done
}
t0=$(now_ms)
check "create $nfiles files on tmpfs" make_tree
echo "workload: create took $(($(now_ms) - t0)) ms"
count=$(find "$top" -type f | wc -l)
check "find sees $nfiles files (saw $count)" test "$count" -eq "$nfiles"
check "file content survives" test "$(cat "$top/d0/f0")" = "0.0"

slab_full=$(slab_kb)
echo "workload: Slab with the tree: ${slab_full} kB"
check "Slab grew with $nfiles inodes ($slab_boot -> $slab_full kB)" \
	test "$slab_full" -gt "$slab_boot"

# 2. du: each small file holds one 4 KiB tmpfs page.
du_kb=$(du -sk "$top" | awk '{ print $1 }')
check "du counts at least 4 KiB per file (${du_kb} kB)" \
	test "${du_kb:-0}" -ge $((nfiles * 4))

# 3. Delete the tree; the inodes and dentries go back to the allocator.
t0=$(now_ms)
check "delete the tree" rm -rf "$top"
echo "workload: delete took $(($(now_ms) - t0)) ms"
check "the tree is gone" test ! -e "$top"
sync
echo 3 > /proc/sys/vm/drop_caches 2> /dev/null
slab_after=$(slab_kb)
echo "workload: Slab after delete: ${slab_after} kB"
check "Slab shrank after delete ($slab_full -> $slab_after kB)" \
	test "$slab_after" -lt "$slab_full"

# 4. fork/exec loop: every child must exec and report success.
forks() {
	i=0 ok=0
	while [ $i -lt "$nforks" ]; do
		/bin/busybox true && ok=$((ok + 1))
		i=$((i + 1))
	done
	[ $ok -eq "$nforks" ]
}
t0=$(now_ms)
check "$nforks fork+exec of /bin/busybox true" forks
echo "workload: forks took $(($(now_ms) - t0)) ms"
check "pipeline through a forked cat" test "$(echo pipe-ok | cat)" = pipe-ok

# 5. /proc/slabinfo, when this allocator has it.
if [ "$slabinfo" = yes ]; then
	check "/proc/slabinfo is readable" test -r /proc/slabinfo
	check "/proc/slabinfo has the 2.1 header" \
		grep -q '^slabinfo - version: 2.1' /proc/slabinfo
	n=$(grep -c '^kmalloc-' /proc/slabinfo 2> /dev/null)
	check "/proc/slabinfo lists kmalloc caches (${n:-0})" test "${n:-0}" -ge 5
	# sharedavail (free objects in SLAB's shared arrays, in SLOBA's
	# barns) is a part of active_objs.
	check "/proc/slabinfo: sharedavail within active_objs" \
		awk '/ : slabdata / && $NF + 0 > $2 + 0 { bad++ } END { exit bad > 0 }' \
		/proc/slabinfo
	head -n 12 /proc/slabinfo 2> /dev/null
	# procps's slabtop reads it too, when the image has it.
	if command -v slabtop > /dev/null; then
		check "slabtop -o shows the caches" \
			sh -c 'slabtop -o | grep -q "Active / Total Objects"'
	fi
else
	check "/proc/slabinfo is absent as expected" test ! -e /proc/slabinfo
fi

# 6. The Slab line once more, after all of the above.
grep Slab /proc/meminfo
check "meminfo Slab still positive" test "$(slab_kb)" -gt 0

echo "workload: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
