#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""kernel_table.py OUT_JSON LOG...

Reads the console logs of `make bench-kernel`'s UML boots (the
"slab_bench: alloc=... bench=... size=... rep=... ps_per_pair=..." lines of
bench/kernel/slab_bench.c), and for every allocator, bench and size takes
the minimum and the median over all timed runs of all boots.  Writes them
as one JSON list to OUT_JSON, one record per allocator, bench and size:

  allocator, bench, size,
  ns_min, ns_median           ns of UML's CPU time per alloc+free pair
  wall_ns_min, wall_ns_median the same in wall-clock time
  runs, boots                 timed runs and boots they come from
  pairs                       pairs per timed run (the fewest, if slow
                              runs were shortened)
  ratio_min, ratio_median     to the best of SLUB and SLAB in that row

and prints a table: one row per bench and size, one column per allocator,
"min / median (ratio of the minimum)" in ns per alloc+free pair.
"""
import json
import re
import statistics
import sys

LINE = re.compile(r"slab_bench: alloc=(\w+) bench=(\w+) size=(\d+) rep=(\d+) "
                  r"pairs=(\d+) ps_per_pair=(\d+) wall_ps_per_pair=(\d+)")
ORDER = ["sloba", "slub", "slab", "slob"]
PEERS = ["slub", "slab"]


def parse(logs):
    """{(allocator, bench, size): [(ns, wall ns, pairs), ...]} and boots
    per allocator."""
    runs, boots = {}, {}
    for log in logs:
        seen = set()
        with open(log, errors="replace") as f:
            for line in f:
                m = LINE.search(line)
                if not m:
                    continue
                alloc, bench, size = m.group(1), m.group(2), int(m.group(3))
                runs.setdefault((alloc, bench, size), []).append(
                    (int(m.group(6)) / 1000.0, int(m.group(7)) / 1000.0,
                     int(m.group(5))))
                seen.add(alloc)
        for a in seen:
            boots[a] = boots.get(a, 0) + 1
    return runs, boots


def ratio(value, best):
    return round(value / best, 3) if best else None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, logs = sys.argv[1], sys.argv[2:]
    runs, boots = parse(logs)
    if not runs:
        sys.exit("kernel_table.py: no slab_bench lines in the logs")

    recs = []
    for (alloc, bench, size), samples in runs.items():
        ns = [s[0] for s in samples]
        wall = [s[1] for s in samples]
        recs.append({"allocator": alloc, "bench": bench, "size": size,
                     "ns_min": round(min(ns), 3),
                     "ns_median": round(statistics.median(ns), 3),
                     "wall_ns_min": round(min(wall), 3),
                     "wall_ns_median": round(statistics.median(wall), 3),
                     "runs": len(ns), "boots": boots[alloc],
                     "pairs": min(s[2] for s in samples)})
    rowkey = lambda r: (r["bench"], r["size"])
    for r in recs:
        peers = [p for p in recs if rowkey(p) == rowkey(r)
                 and p["allocator"] in PEERS]
        r["ratio_min"] = ratio(r["ns_min"],
                               min((p["ns_min"] for p in peers), default=0))
        r["ratio_median"] = ratio(r["ns_median"],
                                  min((p["ns_median"] for p in peers),
                                      default=0))
    allocs = sorted({r["allocator"] for r in recs},
                    key=lambda a: (ORDER.index(a) if a in ORDER else 9, a))
    benches = ["kmalloc_pair", "kmalloc_batch", "cache_pair", "cache_batch"]
    recs.sort(key=lambda r: (benches.index(r["bench"])
                             if r["bench"] in benches else 9,
                             r["size"], allocs.index(r["allocator"])))
    with open(out, "w") as f:
        json.dump(recs, f, indent=1)
        f.write("\n")

    cell = {(rowkey(r), r["allocator"]): r for r in recs}
    print("ns of CPU time per alloc+free pair in UML, min / median over %s "
          "(ratio of the min to the best of SLUB and SLAB; lower is better)"
          % ", ".join("%s %d runs in %d boots"
                      % (a, max(r["runs"] for r in recs
                                if r["allocator"] == a), boots[a])
                      for a in allocs))
    print("%-14s %5s " % ("bench", "size")
          + " ".join("%22s" % a for a in allocs))
    for k in dict.fromkeys(rowkey(r) for r in recs):
        cols = []
        for a in allocs:
            r = cell.get((k, a))
            if not r:
                cols.append("%22s" % "-")
                continue
            rt = "(%.2fx)" % r["ratio_min"] if r["ratio_min"] else ""
            cols.append("%22s" % ("%.1f / %.1f %s"
                                  % (r["ns_min"], r["ns_median"], rt)))
        print("%-14s %5d " % k + " ".join(cols))
    print("written to", out)


if __name__ == "__main__":
    main()
