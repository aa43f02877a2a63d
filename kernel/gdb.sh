#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Debugs a test kernel with gdb: builds it (kernel/build.sh), boots it in
# QEMU halted with a gdb server (guest/boot.sh --gdb, console to a log file),
# and starts gdb with vmlinux's symbols, the kernel's own gdb scripts (lx-*
# commands) when they load, and kernel/kgdb.gdb, which connects and stops at
# kmem_cache_init.  Quitting gdb ends QEMU.
#
# --batch instead runs to the breakpoint, prints a backtrace and checks it
# (exit 0 when gdb stopped in kmem_cache_init called from start_kernel).

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BUILD=${BUILD:-$repo/build}

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--alloc NAME] [--config FRAGMENT]... [--cmd 'COMMAND'] [--batch]
  --alloc, --config  as for kernel/build.sh
  --cmd COMMAND      what the guest runs once booted (default: stay idle)
  --batch            no interactive gdb: run to the breakpoint, print a
                     backtrace, check it, quit
EOF
	exit 2
}

build_args=() cmd='' batch=0
while [ $# -gt 0 ]; do
	case $1 in
	--alloc | --config) [ $# -ge 2 ] || usage; build_args+=("$1" "$2"); shift 2 ;;
	--cmd) [ $# -ge 2 ] || usage; cmd=$2; shift 2 ;;
	--batch) batch=1; shift ;;
	*) usage ;;
	esac
done
[ -n "$cmd" ] || cmd='echo "guest: up, idling for gdb"; while :; do sleep 3600; done'

obj=$("$here/build.sh" "${build_args[@]+"${build_args[@]}"}" --print-dir) || exit 1
src=$(readlink -f "$obj/source")
mkdir -p "$BUILD/kernel"
log=$BUILD/kernel/gdb-console.log
timeout=0
[ "$batch" = 0 ] || timeout=300

# QEMU in its own session, so that ending it ends exactly what we started.
setsid "$repo/guest/boot.sh" --kernel "$obj/arch/x86/boot/bzImage" --gdb \
	--timeout "$timeout" --log "$log" --cmd "$cmd" > /dev/null 2>&1 < /dev/null &
qpid=$!
cleanup() {
	kill -- -"$qpid" 2> /dev/null
	wait "$qpid" 2> /dev/null
}
trap cleanup EXIT

# Wait for the gdb server to listen.
for _ in $(seq 50); do
	(exec 3<> /dev/tcp/127.0.0.1/1234) 2> /dev/null && break
	kill -0 "$qpid" 2> /dev/null || { echo "gdb.sh: QEMU did not start; see $log" >&2; exit 1; }
	sleep 0.2
done
echo "gdb.sh: guest console is in $log (tail -f it in another terminal)" >&2

gdb_args=(-q -iex "add-auto-load-safe-path $obj" -iex "add-auto-load-safe-path $src"
	"$obj/vmlinux" -x "$here/kgdb.gdb")
if [ "$batch" = 0 ]; then
	gdb "${gdb_args[@]}"
	exit
fi

out=$BUILD/kernel/gdb-batch.log
timeout -k 10 300 gdb -batch "${gdb_args[@]}" -ex 'bt' -ex 'lx-version' > "$out" 2>&1
cat "$out"
if grep -q '^#0 .*kmem_cache_init' "$out" && grep -q 'start_kernel' "$out"; then
	echo "gdb.sh: ok, stopped in kmem_cache_init called from start_kernel"
	grep -q '^Linux version' "$out" && echo "gdb.sh: the kernel's gdb scripts loaded (lx-version)"
	exit 0
fi
echo "gdb.sh: FAIL, gdb did not stop in kmem_cache_init" >&2
exit 1
