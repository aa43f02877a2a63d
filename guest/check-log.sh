#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scans a guest console log (or any kernel log) for signs that the kernel
# went wrong: warnings, BUGs, oopses, panics, sanitizer and lockdep reports,
# hung tasks, RCU stalls and slab caches destroyed with objects still in
# them.  Prints each offending line with its line number.
#
# Exit status: 0 clean, 1 problems found, 2 usage error or unreadable file.

set -uo pipefail

usage() {
	cat >&2 <<EOF
usage: ${0##*/} [-i IGNORE_REGEX]... [-q] LOGFILE
  -i REGEX   ignore lines matching this extended regex (e.g. a test that
             provokes a warning on purpose); may be repeated
  -q         print nothing, only set the exit status
EOF
	exit 2
}

# Extended regexes, one per kind of problem.
patterns=(
	'WARNING:'
	'BUG:'
	'kernel BUG at'
	'BUG [^ ]+ \((Not tainted|Tainted)'
	'Oops'
	'general protection fault'
	'Kernel panic'
	'Call Trace:'
	'KASAN:'
	'UBSAN:'
	'KFENCE:'
	'possible circular locking'
	'possible recursive locking'
	'inconsistent lock state'
	'suspicious RCU usage'
	'INFO: task .* blocked for more than'
	'rcu_.*detected stalls'
	'leaked'
	'kmem_cache_destroy .*: Slab cache still has objects'
	'unreferenced object 0x'
)

ignores=()
quiet=0
while getopts "i:qh" opt; do
	case $opt in
	i) ignores+=("$OPTARG") ;;
	q) quiet=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
log=$1
[ -r "$log" ] || { echo "${0##*/}: cannot read $log" >&2; exit 2; }

# Console logs carry \r and sometimes NUL bytes: treat the file as text.
# Ignore patterns apply to the line itself, not to its number.
hits=$(tr -d '\r\000' < "$log" |
	PATS=$(printf '%s\n' "${patterns[@]}") \
	IGNS=$(printf '%s\n' "${ignores[@]+"${ignores[@]}"}") \
	awk 'BEGIN { np = split(ENVIRON["PATS"], p, "\n")
		     ni = split(ENVIRON["IGNS"], ig, "\n") }
	{
		hit = 0
		for (k = 1; k <= np; k++)
			if (p[k] != "" && $0 ~ p[k]) { hit = 1; break }
		for (k = 1; hit && k <= ni; k++)
			if (ig[k] != "" && $0 ~ ig[k]) hit = 0
		if (hit) print NR ": " $0
	}')

[ -z "$hits" ] && exit 0
if [ "$quiet" = 0 ]; then
	echo "check-log: kernel problems in $log:"
	printf '%s\n' "$hits" | head -n 50 | sed 's/^/  /'
	n=$(printf '%s\n' "$hits" | wc -l)
	[ "$n" -le 50 ] || echo "  ... and $((n - 50)) more"
fi
exit 1
