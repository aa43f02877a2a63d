#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest half of `make battle-vm`, run in the Debian VM right after boot
# (vm/run.sh's control disk holds it, with the battle programs in battle/).
# Prints one "@@BATTLE {json}" line per measurement, as battle.c does:
#
#   vmboot.kernel, .userspace, .total   systemd-analyze's numbers (ms)
#   vmmem.slab_boot     Slab: of /proc/meminfo at the first command
#   walk.du_cold        du -s over the unpacked linux-source-6.1 tree
#                       (/srv/linux on the ext4 root) after drop_caches,
#                       reading the virtual disk.  Under the icount clock
#                       its value is du's CPU time (user + system), the
#                       instructions it executed: while it waits for the
#                       disk the guest idles, and an idle guest's clock
#                       follows the host's, whose disk and load set the
#                       wait (wall times of one kernel spread 11-19%).  The
#                       wall times are in the record's "wall".  Under the
#                       wall clock the value is the wall time.
#   walk.du_warm        the same right after (dentries and inodes cached)
#   walk.find_warm      find -type f over the tree, cached
#   walk.du_cold_mem    du -s after drop_caches over the same tree on an
#                       ext4 image holding only its metadata (vm/mkmeta.sh),
#                       in tmpfs through a loop device: every read from
#                       memory, so no idle wait (with linux-meta.tar on the
#                       control disk)
#   walk.find_cold_mem  find -type f right after drop_caches, there too
#   vmmem.slab_walks    Slab: after the walks
#   vmmem.slab_dropped  Slab: after sync; echo 3 > drop_caches
# then the battle's own phases (dentry, fork, pipe, syscalls, mem), its
# tmpfs tree in /dev/shm.
#
# usage: vm-guest.sh icount|wall REPS [battle options...]

clock=${1:-} reps=${2:-}
case "$clock:$reps" in
icount:[1-9]* | wall:[1-9]*) shift 2 ;;
*)
	echo "usage: vm-guest.sh icount|wall REPS [battle options...]" >&2
	exit 2
	;;
esac
ctl=/run/sloba-ctl
tree=/srv/linux

record() {	# record [-x ',"key": json'] PHASE UNIT VALUE [REP...]
	local extra='' phase unit value reps
	if [ "$1" = -x ]; then extra=$2; shift 2; fi
	phase=$1 unit=$2 value=$3
	shift 3
	reps=$(IFS=,; echo "$*")
	echo "@@BATTLE {\"phase\": \"$phase\", \"unit\": \"$unit\", \"value\": $value, \"reps\": [${reps:-$value}]$extra}"
}
slab() { sed -n 's/^Slab: *\([0-9]*\) kB$/\1/p' /proc/meminfo; }
now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
# CPU time of this shell's finished children: cpu_mark NAME saves bash's
# `times` run in this shell (in a $(...) subshell it would see that
# subshell's children); cpu_between A B prints the children's user + system
# time from mark A to mark B in ms.  Read it after the measured command:
# every process started in between (a reader too) counts.
cpu_mark() { times > "/run/vm-guest.times.$1"; }
cpu_between() {
	awk 'FNR == 2 { gsub(/[ms]/, " "); t = ($1 * 60 + $2 + $3 * 60 + $4) * 1000
		if (NR == FNR) a = t; else b = t }
	END { printf "%.3f", b - a }' "/run/vm-guest.times.$1" "/run/vm-guest.times.$2"
}

record vmmem.slab_boot kB "$(slab)"

# The numbers systemd-analyze prints ("Startup finished in ... (kernel) +
# ... (initrd) + ... (userspace)"), from the manager's own timestamps (µs
# since boot): kernel until the initrd's systemd or, with Debian's
# initramfs-tools (no systemd inside), until the root's systemd started, so
# there the initrd's time is part of "kernel" and vmboot.initrd is absent.
prop() { systemctl show -p "$1" --value; }
initrd=$(prop InitRDTimestampMonotonic)
user=$(prop UserspaceTimestampMonotonic)
finish=$(prop FinishTimestampMonotonic)
[ "${finish:-0}" -gt 0 ] || { echo "battle-vm: systemd has not finished starting" >&2; exit 1; }
usec() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
if [ "${initrd:-0}" -gt 0 ]; then
	record vmboot.kernel ms "$(usec "$initrd")"
	record vmboot.initrd ms "$(usec $((user - initrd)))"
else
	record vmboot.kernel ms "$(usec "$user")"
fi
record vmboot.userspace ms "$(usec $((finish - user)))"
record vmboot.total ms "$(usec "$finish")"
echo "battle-vm: $(systemd-analyze time | head -n 1)"

[ -d "$tree" ] || { echo "battle-vm: $tree missing (image built with --no-source?)" >&2; exit 1; }
cold=() cold_cpu=() warm=() find=()
for _ in $(seq "$reps"); do
	drop
	t0=$(now); cpu_mark 0
	du -s "$tree" > /dev/null || exit 1
	cpu_mark 1; t1=$(now)
	du -s "$tree" > /dev/null || exit 1; t2=$(now)
	n=$(find "$tree" -type f | wc -l); t3=$(now)
	cold+=("$(ms "$t0" "$t1")") warm+=("$(ms "$t1" "$t2")") find+=("$(ms "$t2" "$t3")")
	cold_cpu+=("$(cpu_between 0 1)")
done
echo "battle-vm: $n files in $tree"
if [ "$clock" = icount ]; then
	record -x ", \"wall\": [$(IFS=,; echo "${cold[*]}")]" \
		walk.du_cold ms "$(best "${cold_cpu[@]}")" "${cold_cpu[@]}"
else
	record walk.du_cold ms "$(best "${cold[@]}")" "${cold[@]}"
fi
record walk.du_warm ms "$(best "${warm[@]}")" "${warm[@]}"
record walk.find_warm ms "$(best "${find[@]}")" "${find[@]}"

meta=/mnt/linux-meta
if [ -r "$ctl/linux-meta.tar" ]; then
	tar -xf "$ctl/linux-meta.tar" -C /dev/shm &&
		mkdir -p "$meta" &&
		mount -o ro,loop /dev/shm/linux-meta.img "$meta" || exit 1
	cold=() find=()
	for _ in $(seq "$reps"); do
		drop
		t0=$(now); du -s "$meta" > /dev/null || exit 1; t1=$(now)
		drop
		t2=$(now); m=$(find "$meta" -type f | wc -l); t3=$(now)
		cold+=("$(ms "$t0" "$t1")") find+=("$(ms "$t2" "$t3")")
	done
	[ "$m" = "$n" ] || echo "battle-vm: $meta holds $m files, $tree $n" >&2
	record walk.du_cold_mem ms "$(best "${cold[@]}")" "${cold[@]}"
	record walk.find_cold_mem ms "$(best "${find[@]}")" "${find[@]}"
	# Every inode of the tree cached again, as after the disk's walks.
	du -s "$meta" > /dev/null
fi
record vmmem.slab_walks kB "$(slab)"
if mountpoint -q "$meta"; then
	umount "$meta" && rm -f /dev/shm/linux-meta.img || exit 1
fi
drop
sleep 1
record vmmem.slab_dropped kB "$(slab)"

"$ctl/battle/battle" -k "$reps" -t /dev/shm/battle-tree -x "$ctl/battle/battle-true" \
	"$@" dentry fork pipe syscalls mem
