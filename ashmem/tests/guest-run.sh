#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# guest-run.sh GROUP... - runs inside the test guest (busybox sh).
#
# Each GROUP is "name:command...": the command runs with its TAP output
# kept in a file, which is then printed between markers so the host can
# count it (scripts/tap-count.sh):
#   @@TAP-BEGIN name@@ ... TAP ... @@TAP-END name <exit status>@@
# The guest's exit status is non-zero if any group failed.
status=0
[ -e /dev/ashmem ] || echo "guest-run: /dev/ashmem is missing"
for g in "$@"; do
	name=${g%%:*}
	cmd=${g#*:}
	start=$(date +%s)
	sh -c "$cmd" > "/tmp/$name.tap" 2>&1
	rc=$?
	echo "@@TAP-BEGIN $name@@"
	cat "/tmp/$name.tap"
	echo "@@TAP-END $name $rc@@"
	echo "guest-run: $name exited $rc after $(($(date +%s) - start))s"
	[ "$rc" = 0 ] || status=1
done
exit $status
