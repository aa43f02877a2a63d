#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench.sh - `make bench-ashmem`: builds the module for Debian's newest
# 6.12 cloud kernel, boots it in QEMU (TCG) and runs bench_ashmem there
# (round trips and purge throughput against memfd, PIN latency under
# memory-cgroup reclaim against no reclaim).
# Writes $BUILD/bench/ashmem.json and prints a table with ratios.  Under
# TCG absolute numbers are slow and noisy; the ratios, measured in one
# run, are the result.
set -eu
top=$(pwd)
BUILD=${BUILD:-$top/build}
export BUILD
out=$BUILD/ashmem
mkdir -p "$BUILD/bench" "$out/logs"
vars=$(ashmem/scripts/build-module.sh 6.12 "$out/module-6.12" 2> "$out/logs/bench-build.log")
eval "$vars"
guest/boot.sh --kernel "$KIMAGE" --module "$KO" --mem 512M --smp 2 \
	--extra "$out/t:/root/t" --timeout 600 --log "$out/logs/bench.log" \
	--cmd "/root/t/bench_ashmem ${ASHMEM_BENCH_SECS:-2}" > "$out/logs/bench.out" 2>&1 || {
	echo "bench-ashmem: guest run failed, see $out/logs/bench.out" >&2
	tail -n 20 "$out/logs/bench.out" >&2
	exit 1
}
json=$(tr -d '\r' < "$out/logs/bench.log" | sed -n 's/^BENCH-JSON //p' | tail -n 1)
[ -n "$json" ] || { echo "bench-ashmem: no result in the guest log" >&2; exit 1; }
printf '{"kernel": "%s", "machine": "QEMU TCG, 2 vCPUs", "results": %s}\n' \
	"$KVER" "$json" > "$BUILD/bench/ashmem.json"
python3 - "$BUILD/bench/ashmem.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"]
rt, pu = r["pin_unpin_roundtrips_per_s"], r["purge_mib_per_s"]
print("ashmem benchmark on %s (%s)" % (d["kernel"], d["machine"]))
print("%-44s %14s %16s %8s" % ("", "ashmem", "memfd+fallocate", "ratio"))
print("%-44s %14.0f %16.0f %7.2fx" % (
    "give back + take again 64 KiB (round trips/s)",
    rt["ashmem"], rt["memfd_fallocate"], rt["ashmem"] / rt["memfd_fallocate"]))
print("%-44s %14.0f %16.0f %7.2fx" % (
    "release 64 MiB (MiB/s)", pu["ashmem"], pu["memfd_fallocate"],
    pu["ashmem"] / pu["memfd_fallocate"]))
lat = r["pin_latency_us"]
print()
print("PIN of a 1 MiB region unpinned as %d ranges, %d times (microseconds)"
      % (lat["ranges"], lat["pins"]))
print("%-44s %10s %10s %10s %8s" % ("", "p50", "p99", "max", "purged"))
for k, label in (("idle", "no reclaim"),
                 ("reclaim", "memcg reclaim running the shrinker")):
    v = lat[k]
    print("%-44s %10.1f %10.1f %10.1f %8d" % (label, v["p50"], v["p99"],
                                             v["max"], v["was_purged"]))
i, b = lat["idle"], lat["reclaim"]
print("%-44s %9.2fx %9.2fx %9.2fx" % ("ratio (reclaim / idle)", b["p50"] / i["p50"],
                                      b["p99"] / i["p99"], b["max"] / i["max"]))
o = r["pin_behind_purge_us"]
print("%-44s %10.1f %10.1f %10.1f %8.2f" % (
    "PIN of 8 MiB / %d ranges while it is purged" % o["ranges"],
    o["p50"], o["p99"], o["max"], o["ranges_lost_per_pin"]))
print("  (last column: ranges lost per PIN; the PIN waits for the punch in flight only)")
print("written to %s" % sys.argv[1])
PY
