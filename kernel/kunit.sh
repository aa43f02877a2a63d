#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs KUnit suites in User Mode Linux with the kernel's own kunit.py, on
# the same patched 6.1 tree that kernel/build.sh prepares, built out of tree
# in $SLOBA_CACHE/kunit/<name>-<tree key>.  Each NAME is a kunitconfig,
# kernel/kunit/NAME.kunitconfig (or a path); with none given, all of them.
# Prints and optionally records (scripts/record-result) the counts: a case
# that passed counts as passed; failed, crashed or missing results count as
# failed; skipped cases are reported but not counted.
#
# UML runs the in-kernel tests at native speed; its userspace does not run
# on these hosts, which KUnit does not need.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
SLOBA_CACHE=${SLOBA_CACHE:-${HOME:-/tmp}/.cache/sloba}
BUILD=${BUILD:-$repo/build}
export BUILD

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [--record SUITE] [--jobs N] [--timeout SEC] [NAME|FILE]...
  NAME           kernel/kunit/NAME.kunitconfig (default: all there:
                 $(cd "$here/kunit" && ls ./*.kunitconfig 2> /dev/null | sed 's|^\./||; s|\.kunitconfig$||' | tr '\n' ' '))
  --record SUITE record the total with scripts/record-result SUITE P F
  --jobs N       parallel make jobs (default: number of CPUs)
  --timeout SEC  for each test run (default 300)
EOF
	exit 2
}

record='' jobs=$(nproc) timeout=300
names=()
while [ $# -gt 0 ]; do
	case $1 in
	--record) [ $# -ge 2 ] || usage; record=$2; shift 2 ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	-*) usage ;;
	*) names+=("$1"); shift ;;
	esac
done
if [ ${#names[@]} -eq 0 ]; then
	for f in "$here"/kunit/*.kunitconfig; do
		[ -e "$f" ] && names+=("$f")
	done
fi
[ ${#names[@]} -gt 0 ] || { echo "kunit.sh: no kunitconfig to run" >&2; usage; }

pass=0 fail=0 skip=0
finish() {
	echo "kunit: $pass passed, $fail failed, $skip skipped"
	[ -z "$record" ] || "$repo/scripts/record-result" "$record" "$pass" "$fail"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit
}

if ! src=$("$here/build.sh" --print-src); then
	echo "kunit: could not prepare the source tree" >&2
	fail=1
	finish
fi

for n in "${names[@]}"; do
	if [ -f "$n" ]; then
		cfg=$(realpath "$n")
	elif [ -f "$here/kunit/$n.kunitconfig" ]; then
		cfg=$here/kunit/$n.kunitconfig
	else
		echo "kunit: no kunitconfig '$n'" >&2
		fail=$((fail + 1))
		continue
	fi
	name=$(basename "$cfg" .kunitconfig)
	bdir=$SLOBA_CACHE/kunit/$name-${src##*-}
	mkdir -p "$bdir" "$BUILD/kernel"
	json=$bdir/results.json
	log=$BUILD/kernel/kunit-$name.log
	rm -f "$json"
	echo "kunit: $name (UML, build in $bdir)"
	t0=$(date +%s)
	(cd "$src" && timeout -k 10 $((timeout + 1800)) python3 tools/testing/kunit/kunit.py run \
		--arch=um --build_dir="$bdir" --kunitconfig="$cfg" \
		--jobs="$jobs" --timeout="$timeout" --json="$json") > "$log" 2>&1
	rc=$?
	grep -E '^\[[0-9:]+\] ' "$log" | grep -v -E '^\[[0-9:]+\] *$' | tail -n 40
	echo "kunit: $name took $(($(date +%s) - t0))s (kunit.py status $rc, log $log)"
	# Count the leaf cases of the KernelCI-style JSON that kunit.py wrote.
	counts=$(python3 - "$json" <<'EOF'
import json, sys
n = {"PASS": 0, "FAIL": 0, "SKIP": 0}
def walk(g):
    for c in g.get("test_cases", []):
        s = c.get("status", "FAIL")
        n[s if s in n else "FAIL"] += 1
    for sg in g.get("sub_groups", []):
        walk(sg)
try:
    walk(json.load(open(sys.argv[1])))
except (OSError, ValueError):
    sys.exit(1)
print(n["PASS"], n["FAIL"], n["SKIP"])
EOF
	)
	if [ -z "$counts" ]; then
		echo "kunit: $name: no results (see $log)"
		fail=$((fail + 1))
		continue
	fi
	read -r p f s <<< "$counts"
	echo "kunit: $name: $p passed, $f failed, $s skipped"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	# kunit.py failing with every case passed means something else broke.
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		fail=$((fail + 1))
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		echo "kunit: $name ran no test"
		fail=$((fail + 1))
	fi
done
finish
