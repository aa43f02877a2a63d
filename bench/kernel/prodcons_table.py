#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""prodcons_table.py [--vcpus round-robin|parallel] OUT_JSON LOG...

Reads the console logs of `make bench-prodcons-kernel` (the "slab_prodcons: ..."
lines of bench/kernel/prodcons/slab_prodcons.c) and writes one record per
allocator, pattern and size into OUT_JSON, a JSON list shared with the
userspace producer/consumer benchmark: records whose "platform" is
"kernel" are replaced, all others are kept.  Each record:

  platform "kernel", allocator, pattern, size, pairs,
  ns_per_pair          the best (minimum) of the timed runs of every boot,
                       as bench/user_bench.c reports the best of its runs
  ns_median            their median
  page_calls_per_1000  mm_page_alloc + mm_page_free tracepoint hits per
                       1000 pairs, in the counting run (mean over boots)
  pages_per_1000       the pages those calls moved (2^order each)
  locks_per_1000       shared-lock acquisitions per 1000 pairs, from a
                       "locks=N" on the count line; null when the module
                       does not print one (today always: SLOBA does not
                       count them yet, the others have no such counter)
  vcpus                how QEMU ran the two vCPUs: "round-robin" (in
                       turn on one host thread) or "parallel"
  ratio                ns_per_pair over the best of SLUB and SLAB

and prints a table, one row per pattern and size, one column per
allocator: ns per pair (ratio), page calls per 1000 pairs, and lock
acquisitions per 1000 pairs where known.
"""
import json
import os
import re
import statistics
import sys

COUNT = re.compile(r"slab_prodcons: alloc=(\w+) pattern=(\w+) size=(\d+) "
                   r"run=count pairs=(\d+) page_allocs=(\d+) "
                   r"page_frees=(\d+) pages=(\d+)(?: locks=(\d+))?")
TIME = re.compile(r"slab_prodcons: alloc=(\w+) pattern=(\w+) size=(\d+) "
                  r"run=time rep=\d+ pairs=(\d+) ns=(\d+)")
ORDER = ["sloba", "slub", "slab", "slob"]
PEERS = ["slub", "slab"]


def parse(logs):
    counts, times = {}, {}
    for log in logs:
        with open(log, errors="replace") as f:
            for line in f:
                m = COUNT.search(line)
                if m:
                    key = (m.group(1), m.group(2), int(m.group(3)))
                    pairs = int(m.group(4))
                    calls = int(m.group(5)) + int(m.group(6))
                    locks = m.group(8)
                    counts.setdefault(key, []).append(
                        (calls * 1000 / pairs, int(m.group(7)) * 1000 / pairs,
                         pairs,
                         int(locks) * 1000 / pairs if locks else None))
                    continue
                m = TIME.search(line)
                if m:
                    key = (m.group(1), m.group(2), int(m.group(3)))
                    times.setdefault(key, []).append(
                        int(m.group(5)) / int(m.group(4)))
    return counts, times


def main():
    args = sys.argv[1:]
    vcpus = "round-robin"
    if len(args) >= 2 and args[0] == "--vcpus":
        vcpus = args[1]
        args = args[2:]
    if len(args) < 2 or vcpus not in ("round-robin", "parallel"):
        sys.exit(__doc__)
    out, logs = args[0], args[1:]
    counts, times = parse(logs)
    if not times or set(counts) != set(times):
        sys.exit("prodcons_table.py: missing or incomplete slab_prodcons "
                 "lines in the logs")

    recs = []
    for key in sorted(times, key=lambda k: (
            ORDER.index(k[0]) if k[0] in ORDER else 9, k[1], k[2])):
        alloc, pattern, size = key
        c = counts[key]
        recs.append({
            "platform": "kernel", "allocator": alloc, "pattern": pattern,
            "size": size, "pairs": c[0][2],
            "ns_per_pair": round(min(times[key]), 2),
            "ns_median": round(statistics.median(times[key]), 2),
            "runs": len(times[key]),
            "page_calls_per_1000": round(statistics.mean(x[0] for x in c), 2),
            "pages_per_1000": round(statistics.mean(x[1] for x in c), 2),
            "locks_per_1000": (round(statistics.mean(x[3] for x in c), 2)
                               if all(x[3] is not None for x in c)
                               else None),
            "vcpus": vcpus,
        })
    row = lambda r: (r["pattern"], r["size"])
    for r in recs:
        best = min((p["ns_per_pair"] for p in recs
                    if row(p) == row(r) and p["allocator"] in PEERS),
                   default=None)
        r["ratio"] = round(r["ns_per_pair"] / best, 3) if best else None

    old = []
    if os.path.exists(out):
        try:
            with open(out) as f:
                old = json.load(f)
        except ValueError:
            sys.exit("prodcons_table.py: %s is not JSON; not overwriting it"
                     % out)
        if not isinstance(old, list):
            sys.exit("prodcons_table.py: %s is not a JSON list" % out)
    kept = [r for r in old if r.get("platform") != "kernel"]
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(kept + recs, f, indent=1)
        f.write("\n")
    os.replace(tmp, out)

    allocs = [a for a in ORDER if any(r["allocator"] == a for r in recs)]
    allocs += sorted({r["allocator"] for r in recs} - set(allocs))
    cell = {(row(r), r["allocator"]): r for r in recs}
    print("kernel producer/consumer, CPU 0 allocates, CPU 1 frees; "
          "ns per pair (%s vCPUs; ratio to the best of SLUB and SLAB) "
          "| page-allocator calls per 1000 pairs [| shared-lock "
          "acquisitions per 1000 pairs, L]" % vcpus)
    print("%-6s %5s " % ("", "size") + " ".join("%24s" % a for a in allocs))
    rows = sorted({row(r) for r in recs},
                  key=lambda k: (["fifo", "burst"].index(k[0])
                                 if k[0] in ("fifo", "burst") else 9, k[1]))
    for k in rows:
        cols = []
        for a in allocs:
            r = cell.get((k, a))
            if not r:
                cols.append("%24s" % "-")
                continue
            rt = "(%.2fx)" % r["ratio"] if r["ratio"] else ""
            locks = ("" if r["locks_per_1000"] is None
                     else " | %.0fL" % r["locks_per_1000"])
            cols.append("%24s" % ("%.0f %s | %.1f%s" % (
                r["ns_per_pair"], rt, r["page_calls_per_1000"], locks)))
        print("%-6s %5d " % k + " ".join(cols))
    print("%d kernel records written to %s (%d other records kept)"
          % (len(recs), out, len(kept)))


if __name__ == "__main__":
    main()
