#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Profiles a command in the Debian VM with perf, on one or more
# allocators' kernels, and compares them symbol by symbol.
#
# The host's own perf (package linux-perf, installed here if missing) is
# copied onto the control disk with the shared libraries it needs beyond
# glibc (the guest is the same Debian release, so glibc matches).  In the
# guest, `perf record -a -e cpu-clock -F FREQ` samples the whole system
# while COMMAND runs, and `perf report --sort sym` counts the samples of
# each function, kernel and user.
#
# By default the VM runs under -icount (one CPU): the guest's clock counts
# executed instructions, so cpu-clock samples are taken every FREQ-th of a
# second of *instructions*, and a function's samples are its share of the
# instructions executed -- repeatable between boots (the disks are NVDIMMs,
# vm/run.sh --pmem) and independent of the host's load.  --wall samples wall time instead (two CPUs).  One caveat of
# any timer-based profile: a timer interrupt that comes while interrupts
# are disabled is taken when they are enabled again, so the work of an
# interrupts-off section is charged to the function that ends it (for
# SLOBA, the slow paths that refill or flush a CPU's lists, for SLUB and
# SLAB the unlock_irqrestore that ends theirs).
#
# Output: for each allocator, build/vm/perf-<alloc>.txt (perf report's
# table) and the top of it; with two or more allocators, a table of the
# symbols whose sample counts differ most between the first and the others.
#
# usage: vm/perf.sh [--alloc NAME]... [--freq HZ] [--top N] [--wall]
#                   [--ctl-add SRC:DEST]... [--timeout SEC] COMMAND

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BUILD=${BUILD:-$repo/build}

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [options] COMMAND
  --alloc NAME       sloba (default), slub, slab, slob; repeat to compare
  --freq HZ          samples per second of guest time (default 20000)
  --top N            symbols to show (default 30)
  --wall             sample wall-clock time on two CPUs, not instructions
  --ctl-add SRC:DEST a file or folder the command needs, under
                     /run/sloba-ctl/DEST in the guest (repeatable)
  --timeout SEC      per boot (default 1800)
COMMAND runs in the guest with bash, as root, from /dev/shm.
EOF
	exit 2
}
say() { echo "vm/perf.sh: $*" >&2; }
fail() { say "error: $*"; exit 1; }

allocs=() freq=20000 top=30 wall=0 timeout=1800 ctladds=() totals=()
while [ $# -gt 0 ]; do
	case $1 in
	--alloc) [ $# -ge 2 ] || usage; allocs+=("$2"); shift 2 ;;
	--freq) [ $# -ge 2 ] || usage; freq=$2; shift 2 ;;
	--top) [ $# -ge 2 ] || usage; top=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--ctl-add) [ $# -ge 2 ] || usage; ctladds+=(--ctl-add "$2"); shift 2 ;;
	--wall) wall=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
if [ $# -ne 1 ] || [ -z "$1" ]; then usage; fi
cmd=$1
for n in "$freq" "$top" "$timeout"; do
	case "$n" in '' | *[!0-9]* | 0) usage ;; esac
done
[ ${#allocs[@]} -gt 0 ] || allocs=(sloba)
for a in "${allocs[@]}"; do
	case $a in sloba | slub | slab | slob) ;; *) usage ;; esac
done

command -v perf > /dev/null || "$repo/scripts/install-deps" linux-perf >&2
perf=$(command -v perf) || fail "no perf after installing linux-perf"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$BUILD/vm
mkdir -p "$out"

# perf and the libraries glibc does not provide.
mkdir -p "$work/perf/lib"
cp "$perf" "$work/perf/perf"
ldd "$perf" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
	{ grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' || true; } |
	while read -r lib; do cp -L "$lib" "$work/perf/lib/"; done

# The guest's half: record, then report with every line tagged.
cat > "$work/perf-run.sh" <<'EOF'
ctl=/run/sloba-ctl
perf() { LD_LIBRARY_PATH=$ctl/perf/lib "$ctl/perf/perf" "$@"; }
echo -1 > /proc/sys/kernel/perf_event_paranoid
echo 0 > /proc/sys/kernel/kptr_restrict
cd /dev/shm || exit 1
perf record -q -a -e cpu-clock -F "$(cat $ctl/freq)" -o /dev/shm/perf.data \
	-- bash "$ctl/command"
status=$?
perf report -i /dev/shm/perf.data --stdio -n --no-children --sort sym \
	2> /dev/null | grep -v -e '^#' -e '^$' | sed 's/^/@@PERF /'
exit $status
EOF
printf '%s\n' "$cmd" > "$work/command"
echo "$freq" > "$work/freq"

# Every allocator's kernel in one image; each boot picks its GRUB entry.
vmargs=()
for a in "${allocs[@]}"; do vmargs+=(--alloc "$a"); done
image=$("$here/vm.sh" "${vmargs[@]}" --print-image) || fail "no VM image"
# Under icount from NVDIMMs (vm/run.sh --pmem): no read waits for the host,
# so two boots of one kernel execute the same instructions.
clock=(--icount --pmem)
[ "$wall" = 0 ] || clock=()

for a in "${allocs[@]}"; do
	deb=$("$here/kernel.sh" --alloc "$a" --quiet | grep '/linux-image-') ||
		fail "no kernel package for $a"
	rel=$(basename "$deb" | sed 's/^linux-image-\([^_]*\)_.*/\1/')
	log=$out/perf-$a.log
	say "$a: booting $rel, profiling: $cmd"
	st=0
	"$here/run.sh" --image "$image" --release "$rel" "${clock[@]}" --quiet \
		--timeout "$timeout" --log "$log" \
		--ctl-add "$work/perf:perf" --ctl-add "$work/perf-run.sh:perf-run.sh" \
		--ctl-add "$work/command:command" --ctl-add "$work/freq:freq" \
		"${ctladds[@]+"${ctladds[@]}"}" \
		--cmd 'bash /run/sloba-ctl/perf-run.sh' || st=$?
	tr -d '\r' < "$log" | sed -n 's/^@@PERF //p' > "$out/perf-$a.txt"
	[ -s "$out/perf-$a.txt" ] || fail "$a: no profile (run.sh status $st; console: $log)"
	[ "$st" = 0 ] || say "$a: the command or the boot ended with status $st (console: $log)"
	total=$(awk '{ n += $2 } END { print n + 0 }' "$out/perf-$a.txt")
	totals+=("$total")
	echo "== $a ($rel): $total samples$([ "$wall" = 1 ] || echo ", 1 per $((1000000000 / freq)) instructions"); top $top"
	head -n "$top" "$out/perf-$a.txt"
done

[ ${#allocs[@]} -gt 1 ] || exit 0
# Symbol by symbol, against the first allocator: the sum over the others
# of |samples - first's samples|, largest first.
files=()
for a in "${allocs[@]}"; do files+=("$out/perf-$a.txt"); done
echo "== samples per symbol; the $top largest differences from ${allocs[0]}"
printf '%-44s' symbol
printf ' %9s' "${allocs[@]}"
echo
awk '
	FNR == 1 { f++ }
	{ n[$NF, f] += $2; seen[$NF] = 1; tot[f] += $2 }
	END {
		for (s in seen) {
			d = 0
			line = sprintf("%-44s", s)
			for (i = 1; i <= f; i++) {
				x = n[s, i] - n[s, 1]
				d += x < 0 ? -x : x
				line = line sprintf(" %9d", n[s, i])
			}
			print d "\t" line
		}
	}' "${files[@]}" | sort -t "$(printf '\t')" -k1,1 -rn > "$work/diff"
# (head on a file: in a pipe it would stop sort early, and pipefail fail)
head -n "$top" "$work/diff" | cut -f2-
printf '%-44s' '(all samples)'
printf ' %9d' "${totals[@]}"
echo
