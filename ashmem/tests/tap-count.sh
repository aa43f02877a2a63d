#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# tap-count.sh LOG NAME - counts one group's TAP output in a guest log.
#
# Prints "PASSED FAILED" for the block between @@TAP-BEGIN NAME@@ and
# @@TAP-END NAME status@@ (see guest-run.sh): each "ok" line passes, each
# "not ok" fails, and one more failure is added when the block is missing,
# the program exited non-zero without a "not ok", or the plan "1..N" does
# not match the number of results (it crashed or printed garbage).
log=$1 name=$2
tr -d '\r' < "$log" | awk -v name="$name" '
	$0 == "@@TAP-BEGIN " name "@@" { inside = 1; seen = 1; next }
	inside && index($0, "@@TAP-END " name " ") == 1 {
		split($0, f, " "); rc = f[3] + 0; sub(/@@/, "", rc); inside = 0; ended = 1; next }
	inside && /^ok [0-9]+/ { pass++ }
	inside && /^not ok [0-9]+/ { fail++ }
	inside && /^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; hasplan = 1 }
	END {
		extra = 0
		if (!seen || !ended) extra = 1
		else if (rc != 0 && fail == 0) extra = 1
		else if (!hasplan || plan != pass + fail) extra = 1
		printf "%d %d\n", pass, fail + extra
	}'
