#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""charts.py BATTLE_JSON [--baseline ALLOC]

The battles' charts, drawn with gnuplot next to their JSON (battle.py and
battle-vm.py call render() at the end of a run; run this to draw them again):

  PREFIX-time.png    per group of time phases, each allocator's ratio to the
                     baseline (the geometric mean over the group's phases of
                     the paired per-round ratios), with a bar from the
                     lowest to the highest round: the spread between boots;
  PREFIX-memory.png  every kB phase (Slab: at boot, peak, after the work,
                     after drop_caches; MemFree/MemAvailable in the small
                     profile): the median over boots, bars from min to max.

PREFIX is the JSON path without .json.  Lower is better in the time chart;
in the memory chart, lower for Slab: and higher for MemFree/MemAvailable.
"""
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402

TIME_UNITS = ("ms", "us/op", "us", "s")


def _geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def time_rows(records, allocs, baseline):
    """[(group, {alloc: (ratio, low, high)})] for the time groups."""
    phases = report.summarize(records, allocs)
    rows = []
    groups = []
    for p in phases.values():
        if p["unit"] in TIME_UNITS and p["group"] not in groups:
            groups.append(p["group"])
    for g in groups:
        members = [p for p in phases.values()
                   if p["group"] == g and p["unit"] in TIME_UNITS]
        cells = {}
        for a in allocs:
            # Per round: the geometric mean of the group's ratios.
            per_round = {}
            for p in members:
                ra, rb = p["runs"].get(a, {}), p["runs"].get(baseline, {})
                for k in ra:
                    if k in rb and rb[k]:
                        per_round.setdefault(k, []).append(ra[k] / rb[k])
            vals = [_geomean(v) for v in per_round.values()]
            vals = [v for v in vals if v]
            if not vals:
                continue
            ratio = _geomean([report.paired(p, a, baseline) for p in members])
            cells[a] = (ratio or 0, min(vals), max(vals))
        if cells:
            rows.append((g, cells))
    return rows


def memory_rows(records, allocs):
    """[(phase, {alloc: (median, min, max)})] for the kB phases."""
    phases = report.summarize(records, allocs)
    rows = []
    for name, p in phases.items():
        if p["unit"] != "kB":
            continue
        cells = {}
        for a in allocs:
            v = list(p["runs"].get(a, {}).values())
            if v:
                cells[a] = (p["med"][a], min(v), max(v))
        if cells:
            rows.append((name, cells))
    return rows


def _plot(rows, allocs, png, title, ylabel, hline):
    """A clustered bar chart with min-max bars, through gnuplot.  With
    hline (the ratio charts) the y axis starts a little below the lowest
    bar, so differences of a few percent stay visible."""
    ymin = 0
    if hline:
        lows = [c[1] for _, cells in rows for c in cells.values() if c[1]]
        ymin = max(0.0, math.floor(min(lows + [hline]) * 10) / 10 - 0.1)
    dat = png[:-4] + ".dat"
    with open(dat, "w") as f:
        for name, cells in rows:
            cols = []
            for a in allocs:
                v, lo, hi = cells.get(a, (0, 0, 0))
                cols += ["%.6g" % v, "%.6g" % lo, "%.6g" % hi]
            f.write('"%s" %s\n' % (name, " ".join(cols)))
    plots = ", ".join(
        "'%s' using %d:%d:%d:xtic(1) title '%s'"
        % (os.path.basename(dat), 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, a)
        for i, a in enumerate(allocs))
    script = "\n".join([
        "set terminal pngcairo size %d,480 font 'sans,10'"
        % max(800, 160 + 40 * len(rows) * len(allocs)),
        "set output '%s'" % os.path.basename(png),
        "set title '%s'" % title.replace("'", "''"),
        "set ylabel '%s'" % ylabel,
        "set style data histogram",
        "set style histogram errorbars gap 1 lw 1",
        "set style fill solid 0.8 border -1",
        "set key outside right top",
        "set termoption noenhanced",
        "set yrange [%g:*]" % ymin,
        "set grid ytics",
        "set xtics rotate by -30",
        ("set arrow from graph 0, first %g to graph 1, first %g nohead "
         "dt 2 lc rgb 'black'" % (hline, hline)) if hline else "",
        "plot " + plots, ""])
    r = subprocess.run(["gnuplot"], input=script, text=True,
                       cwd=os.path.dirname(os.path.abspath(png)),
                       stderr=subprocess.PIPE)
    if r.returncode or not os.path.exists(png):
        raise RuntimeError("gnuplot failed for %s: %s" % (png, r.stderr))
    return png


def render(records, allocs, baseline, prefix, title):
    """Writes PREFIX-time.png and PREFIX-memory.png; returns their paths."""
    allocs = [a for a in allocs if any(r["allocator"] == a for r in records)]
    if baseline not in allocs:
        baseline = allocs[0]
    out = []
    for p in (prefix + "-time.png", prefix + "-memory.png"):
        if os.path.exists(p):
            os.unlink(p)
    rows = time_rows(records, allocs, baseline)
    if rows:
        out.append(_plot(rows, allocs, prefix + "-time.png",
                         "%s: time / %s's per group (lower is better; "
                         "bars: lowest to highest round)"
                         % (title, baseline.upper()),
                         "ratio to " + baseline.upper(), 1.0))
    rows = memory_rows(records, allocs)
    if rows:
        out.append(_plot(rows, allocs, prefix + "-memory.png",
                         "%s: memory, median of boots (bars: min to max)"
                         % title, "kB", None))
    return out


def main(argv):
    args = argv[1:]
    baseline, path = "slub", None
    while args:
        a = args.pop(0)
        if a == "--baseline" and args:
            baseline = args.pop(0)
        elif not a.startswith("-") and path is None:
            path = a
        else:
            sys.exit(__doc__)
    if path is None:
        sys.exit(__doc__)
    with open(path) as f:
        records = json.load(f)
    allocs = list(dict.fromkeys(r["allocator"] for r in records))
    allocs.sort(key=lambda a: (a != report.CHALLENGER, a != baseline))
    for p in render(records, allocs, baseline, os.path.splitext(path)[0],
                    os.path.basename(os.path.splitext(path)[0])):
        print(p)


if __name__ == "__main__":
    main(sys.argv)
