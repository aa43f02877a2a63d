#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""prodcons_table.py LINES OUT_JSON PLATFORM

Merges producer/consumer records (one JSON object per line: platform,
allocator, pattern, size, ns_per_pair, locks_per_1000, page_calls_per_1000,
...) into the JSON list at OUT_JSON, replacing the records of PLATFORM
("user" or "kernel") and keeping the other platform's, and prints a table
for PLATFORM: SLOBA's counts per 1000 pairs, then every allocator's ns per
pair with its ratio to the fastest of the others.
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    lines, out, platform = sys.argv[1:]
    new = [json.loads(l) for l in open(lines) if l.strip()]
    old = []
    if os.path.exists(out):
        with open(out) as f:
            old = [r for r in json.load(f) if r.get("platform") != platform]
    with open(out, "w") as f:
        json.dump(old + new, f, indent=1)
        f.write("\n")

    allocs = list(dict.fromkeys(r["allocator"] for r in new))
    rows = list(dict.fromkeys((r["pattern"], r["size"]) for r in new))
    cell = {(r["pattern"], r["size"], r["allocator"]): r for r in new}
    others = [a for a in allocs if a != "sloba"]
    print("producer/consumer (%s): per 1000 pairs for sloba; ns per pair "
          "(ratio to the best other allocator)" % platform)
    print("%-6s %5s %6s %6s %6s " % ("patt", "size", "locks", "barn", "pages")
          + " ".join("%15s" % a for a in allocs))
    for pattern, size in rows:
        s = cell.get((pattern, size, "sloba"), {})
        best = min((cell[(pattern, size, a)]["ns_per_pair"] for a in others
                    if (pattern, size, a) in cell), default=None)
        fmt = lambda v: "%6.2f" % v if isinstance(v, (int, float)) else "%6s" % "-"
        cols = []
        for a in allocs:
            r = cell.get((pattern, size, a))
            if not r:
                cols.append("%15s" % "-")
            elif best:
                cols.append("%15s" % ("%.1f (%.2fx)" % (r["ns_per_pair"],
                                                         r["ns_per_pair"] / best)))
            else:
                cols.append("%15s" % ("%.1f" % r["ns_per_pair"]))
        print("%-6s %5d %s %s %s " % (pattern, size, fmt(s.get("locks_per_1000")),
                                      fmt(s.get("barn_per_1000")),
                                      fmt(s.get("page_calls_per_1000")))
              + " ".join(cols))
    print("written to", out)


if __name__ == "__main__":
    main()
