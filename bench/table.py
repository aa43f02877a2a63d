#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""table.py LINES OUT_JSON BASELINE

Turns benchmark records (one JSON object per line, with bench, allocator,
size, threads, ns_per_op) into one JSON list at OUT_JSON, with each record's
ratio to BASELINE's time for the same bench, size and threads added as
"ratio", and prints them as a table: one row per bench/threads/size, one
column per allocator, time in ns and the ratio in brackets.
"""
import json
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    lines, out, base = sys.argv[1:]
    recs = [json.loads(l) for l in open(lines) if l.strip()]
    key = lambda r: (r["bench"], r["threads"], r["size"])
    basetime = {key(r): r["ns_per_op"] for r in recs if r["allocator"] == base}
    for r in recs:
        b = basetime.get(key(r))
        r["ratio"] = round(r["ns_per_op"] / b, 3) if b else None
    with open(out, "w") as f:
        json.dump(recs, f, indent=1)
        f.write("\n")

    allocs = list(dict.fromkeys(r["allocator"] for r in recs))
    rows = list(dict.fromkeys(key(r) for r in recs))
    cell = {(key(r), r["allocator"]): r for r in recs}
    print("ns per alloc+free (ratio to %s; lower is better)" % base)
    print("%-14s %3s %5s " % ("bench", "thr", "size")
          + " ".join("%16s" % a for a in allocs))
    for k in rows:
        cols = []
        for a in allocs:
            r = cell.get((k, a))
            cols.append("%16s" % ("%.1f (%.2fx)" % (r["ns_per_op"], r["ratio"])
                                  if r and r["ratio"] else "-"))
        print("%-14s %3d %5d " % k + " ".join(cols))
    print("written to", out)


if __name__ == "__main__":
    main()
