#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""report.py BATTLE_JSON [--baseline ALLOC] [--allocs 'A B ...']

The table of the allocator battle: for every phase (one measurement,
lower-is-better but for the small profile's MemFree and MemAvailable, whose
records say "better": "higher") the median over the boots of each allocator (of each
boot's value: see use_median_of_reps() for which of its in-guest
repetitions), its ratio to
the baseline (SLUB), the best allocator and the challenger's (SLOBA's)
ratio to the best, and the run-to-run spread; then per group the geometric
mean of the ratios to the baseline, and the verdict line "SLOBA wins N of M
phases".  battle.py calls render() at the end of a run; run this to print
the table again from a saved battle.json.  Records of the hardened profile
(they carry "kernel") get render_hardened(): the battle of the hardened
kernels, of the plain ones, and what each hardening option costs.

Ratios are paired: for each round (every allocator boots once per round,
back to back) value / baseline's value, then the median over the rounds.
On a host shared with other work the load drifts over minutes, and
comparing boots a minute apart cancels most of it, which medians over the
whole run cannot.  A win is the lowest paired ratio; a clear win, beating
every other allocator in every round.  spread is the largest, over the
allocators, of (max - min) / median across boots; below the table, each
allocator's largest spread and its phases over SPREAD_GOAL (2%: under the
icount clock, boots of one kernel should agree that closely).
"""
import json
import math
import statistics
import sys

GROUPS = ("walk", "vmboot", "dentry", "fork", "pipe", "syscall", "boot",
          "mem", "vmmem", "small")
# Groups of memory phases (the others are times).
MEMORY_GROUPS = ("mem", "vmmem", "small")
GROUP_TITLE = {
    "dentry": "dentry battle (/sys,/proc walks after drop_caches; a file tree on tmpfs)",
    "fork": "fork + execve + wait",
    "pipe": "pipe messaging (hackbench -p)",
    "syscall": "slab-heavy system calls",
    "boot": "boot",
    "mem": "memory (Slab: of /proc/meminfo; slabinfo pages)",
    "walk": "dentry battle on ext4 (du, find over linux-source-6.1; cold: "
            "after drop_caches, from the disk or, _mem, from memory)",
    "vmboot": "boot battle (systemd-analyze: kernel, initrd, userspace)",
    "vmmem": "memory of the Debian system (Slab: of /proc/meminfo)",
    "small": "small-memory profile (/proc/meminfo; MemFree and MemAvailable:"
             " higher is better)",
}
CHALLENGER = "sloba"
# Boots of one kernel should agree within this under the icount clock.
SPREAD_GOAL = 0.02


def use_median_of_reps(records):
    """Under the icount clock, make each record's value the median of its
    in-guest repetitions, keeping the best one as "best".

    Under the wall clock everything else on the host only ever adds time,
    so the best repetition is the one nearest the allocator's own cost, and
    value stays the best.  Under icount the host adds nothing: each
    repetition is the exact count of instructions the guest executed, and
    what varies between repetitions is the guest itself (where the timer
    tick falls, and so in which order hackbench's 80 tasks run).  The best
    repetition is then the luckiest order, an extreme that one boot hits
    and the next misses (SLUB's pipe.hackbench, best of each boot: 60.35,
    62.01, 60.36 ms; medians 62.11, 62.13, 62.11), and the median is the
    typical cost.  Records that already carry "best" (kept
    from an earlier run) are left alone, and so are those that say
    "stat": "best" (pipe.hackbench, whose repetitions fall on distinct
    scheduling levels: see phase_pipe() in battle.c); their value is the
    lowest repetition."""
    for r in records:
        reps = r.get("reps") or []
        if r.get("stat") == "best" and reps:
            r["value"] = min(reps)
        elif len(reps) > 1 and "best" not in r:
            r["best"] = r["value"]
            r["value"] = round(statistics.median(reps), 3)


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return "%.0f" % v
    if abs(v) >= 100:
        return "%.1f" % v
    return "%.2f" % v


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def summarize(records, allocs):
    """{phase: {"unit", "group", "runs": {alloc: {run: value}}, "med": {...}}}"""
    phases = {}
    for r in records:
        p = phases.setdefault(r["phase"], {
            "unit": r["unit"], "group": r.get("group", r["phase"].split(".")[0]),
            "runs": {}})
        p["runs"].setdefault(r["allocator"], {})[r["run"]] = r["value"]
    for r in records:
        if r.get("better") == "higher":
            phases[r["phase"]]["higher"] = True
    for p in phases.values():
        p["med"] = {a: statistics.median(v.values())
                    for a, v in p["runs"].items() if a in allocs}
    return phases


def better(p, x, y):
    """x is a better value than y for phase p."""
    return x > y if p.get("higher") else x < y


def lower_is_better(p, ratio):
    """A ratio to the baseline turned lower-is-better (for the means)."""
    return 1 / ratio if p.get("higher") and ratio else ratio


def paired(p, a, b):
    """Median over the rounds holding both of value(a) / value(b), or None."""
    ra, rb = p["runs"].get(a, {}), p["runs"].get(b, {})
    q = [ra[k] / rb[k] for k in ra if k in rb and rb[k]]
    return statistics.median(q) if q else None


def always_better(p, a, b):
    """a beat b in every round they shared (and they shared more than one)."""
    ra, rb = p["runs"].get(a, {}), p["runs"].get(b, {})
    common = [k for k in ra if k in rb]
    return len(common) > 1 and all(better(p, ra[k], rb[k]) for k in common)


def spread_of(values):
    """(max - min) / median of one allocator's boots (0 for a zero median)."""
    values = list(values)
    med = statistics.median(values)
    return (max(values) - min(values)) / med if med else 0


def render(records, allocs, baseline="slub"):
    allocs = [a for a in allocs if any(r["allocator"] == a for r in records)]
    if baseline not in allocs:
        baseline = allocs[0]
    phases = summarize(records, allocs)
    order = sorted(phases, key=lambda ph: (
        GROUPS.index(phases[ph]["group"]) if phases[ph]["group"] in GROUPS
        else len(GROUPS), list(phases).index(ph)))
    runs = {a: len({r["run"] for r in records if r["allocator"] == a})
            for a in allocs}
    out = []
    w = 17
    # use_median_of_reps() marks the records whose value became a median.
    stat = ("median repetition" if any("best" in r for r in records)
            else "best repetition")
    if stat.startswith("median") and any(r.get("stat") == "best"
                                         for r in records):
        stat += " (hackbench: its lowest)"
    out.append("allocator battle: median over boots (%s) of each boot's "
               "%s; in brackets the ratio to %s, paired:"
               % (", ".join("%s %d" % (a, runs[a]) for a in allocs), stat,
                  baseline.upper()))
    out.append("the median over rounds of value / %s's value in the same "
               "round, which cancels slow changes in host load; lower is "
               "better everywhere" % baseline.upper())
    head = "%-18s %-6s" % ("phase", "unit") + "".join(
        "%*s" % (w, a) for a in allocs) + "  %-6s %10s %7s" % (
        "best", CHALLENGER + "/best", "spread")
    out.append(head)
    out.append("-" * len(head))

    wins = clear = total = vs_base = 0
    worst = {}      # allocator: [(spread, phase)]
    group_ratios = {}
    cur = None
    for ph in order:
        p = phases[ph]
        med = p["med"]
        if p["group"] != cur:
            cur = p["group"]
            out.append("  " + GROUP_TITLE.get(cur, cur))
        ratio = {a: paired(p, a, baseline) for a in med}
        cells = []
        for a in allocs:
            v = med.get(a)
            if v is None:
                cells.append("%*s" % (w, "-"))
                continue
            r = ratio.get(a)
            cells.append("%*s" % (w, fmt(v) + (" (%.2f)" % r if r else "")))
            if r:
                group_ratios.setdefault(cur, {}).setdefault(a, []).append(
                    lower_is_better(p, r))
        # The best: best paired ratio (falling back to the median).
        pick = max if p.get("higher") else min
        ranked = [a for a in med if ratio.get(a)]
        best = (pick(ranked, key=ratio.get) if ranked else
                pick(med, key=med.get) if med else None)
        spreads = {a: spread_of(v.values()) for a, v in p["runs"].items()
                   if a in allocs and len(v) > 1}
        spread = max(spreads.values(), default=0)
        for a, sp in spreads.items():
            worst.setdefault(a, []).append((sp, ph))
        chal = med.get(CHALLENGER)
        mark = ""
        vs_best = None
        if chal is not None and best:
            vs_best = paired(p, CHALLENGER, best)
        if chal is not None and len(med) > 1:
            total += 1
            others = [a for a in med if a != CHALLENGER]
            if best == CHALLENGER:
                wins += 1
                if all(always_better(p, CHALLENGER, a) for a in others):
                    clear += 1
                    mark = " clear"
            elif best and always_better(p, best, CHALLENGER):
                mark = " lost"
            r = ratio.get(CHALLENGER)
            if r is not None and better(p, r, 1):
                vs_base += 1
        out.append("%-18s %-6s" % (ph, p["unit"]) + "".join(cells) +
                   "  %-6s %10s %7s%s" % (
                       best or "-",
                       "%.2f" % vs_best if vs_best else "-",
                       "%.0f%%" % (100 * spread) if spreads else "-", mark))
    out.append("(best: best paired ratio; spread: largest (max - min) / "
               "median over one allocator's boots;")
    out.append(" clear: SLOBA better than every other allocator in every "
               "round; lost: the best beat SLOBA in every round)")

    if worst:
        out.append("")
        out.append("largest spread between boots, per allocator (phases "
                   "over %.0f%%):" % (100 * SPREAD_GOAL))
        for a in allocs:
            if a not in worst:
                continue
            sp, ph = max(worst[a])
            over = sorted((x for x in worst[a] if x[0] > SPREAD_GOAL),
                          reverse=True)
            out.append("  %-6s %5.1f%% (%s)%s" % (
                a, 100 * sp, ph, "; over: " + ", ".join(
                    "%s %.1f%%" % (q, 100 * x) for x, q in over)
                if over else ""))

    # Within one boot: the repetitions of a phase (the guest's own
    # variation, which the median of the repetitions smooths over).
    inboot = {}     # allocator: {phase: [spread of each boot's reps]}
    for r in records:
        reps = r.get("reps") or []
        if r["allocator"] in allocs and len(reps) > 1:
            inboot.setdefault(r["allocator"], {}).setdefault(
                r["phase"], []).append(spread_of(reps))
    if inboot:
        out.append("largest spread between the repetitions in one boot "
                   "(median over boots), per allocator:")
        for a in allocs:
            if a in inboot:
                sp, ph = max((statistics.median(v), q)
                             for q, v in inboot[a].items())
                out.append("  %-6s %5.1f%% (%s)" % (a, 100 * sp, ph))

    loads = [r["host_load"] for r in records
             if r.get("phase") == "boot.host" and "host_load" in r]
    if loads:
        out.append("host: other processes kept %.0f%% of the host's CPUs "
                   "busy during a boot (median; from %.0f%% to %.0f%%)"
                   % (100 * statistics.median(loads), 100 * min(loads),
                      100 * max(loads)))

    out.append("")
    out.append("geometric mean of the paired ratios to %s, per group:"
               % baseline.upper())
    out.append("%-18s %-6s" % ("group", "") + "".join(
        "%*s" % (w, a) for a in allocs))
    overall = {}
    for g in GROUPS:
        if g not in group_ratios:
            continue
        row = []
        kind = "memory" if g in MEMORY_GROUPS else "time"
        for a in allocs:
            gm = geomean(group_ratios[g].get(a, []))
            row.append("%*s" % (w, "%.3f" % gm if gm else "-"))
            overall.setdefault(kind, {}).setdefault(a, []).extend(
                group_ratios[g].get(a, []))
        out.append("%-18s %-6s" % (g, "") + "".join(row))
    for kind in ("time", "memory"):
        if kind in overall:
            out.append("%-18s %-6s" % ("all " + kind, "") + "".join(
                "%*s" % (w, "%.3f" % geomean(overall[kind][a])
                         if geomean(overall[kind].get(a, [])) else "-")
                for a in allocs))
    if any(p.get("higher") for p in phases.values()):
        out.append("(MemFree and MemAvailable enter the means as %s's value "
                   "/ the allocator's: lower is better there too)"
                   % baseline.upper())
    out.append("")
    if CHALLENGER in allocs and total:
        t = geomean(overall.get("time", {}).get(CHALLENGER, []))
        m = geomean(overall.get("memory", {}).get(CHALLENGER, []))
        out.append(
            "verdict: SLOBA wins %d of %d phases (%d clear); against %s it is "
            "better in %d of %d; time %s, memory %s of %s's (geometric means)"
            % (wins, total, clear, baseline.upper(), vs_base, total,
               "%.2fx" % t if t else "-", "%.2fx" % m if m else "-",
               baseline.upper()))
    return "\n".join(out) + "\n"


def render_hardened(records, allocs, baseline="slub"):
    """The hardened profile (battle.py --profile hardened; records carry
    "kernel": plain, hardened or no-<option>): the battle of the fully
    hardened kernels, the same of the plain ones, then per option its cost
    to each allocator: the hardened kernel against the hardened kernel
    without that option (and, for all of them, against the plain kernel),
    as the geometric mean over the time phases, and over the memory phases,
    of the paired per-round ratios; and the challenger's ratio to the
    baseline on the kernel without the option."""
    out = []
    for kernel, title in (("hardened", "the hardened kernels (%s)"
                           % "kernel/configs/hardened.config"),
                          ("plain", "the plain kernels, same run")):
        recs = [r for r in records if r.get("kernel") == kernel]
        if recs:
            out.append("== " + title)
            out.append(render(recs, allocs, baseline))
    # One pseudo-allocator per (allocator, kernel) for paired().
    relabeled = [dict(r, allocator="%s/%s" % (r["allocator"], r["kernel"]))
                 for r in records if "kernel" in r]
    labels = list(dict.fromkeys(r["allocator"] for r in relabeled))
    phases = summarize(relabeled, labels)
    kernels = [k for k in dict.fromkeys(r["kernel"] for r in records
                                        if "kernel" in r) if k != "plain"]
    allocs = [a for a in allocs if "%s/plain" % a in labels]

    def cost(kernel, a, b_kernel, b):
        """(time, memory) geometric means of value(a/kernel) /
        value(b/b_kernel), paired per round."""
        t, m = [], []
        for p in phases.values():
            r = paired(p, "%s/%s" % (a, kernel), "%s/%s" % (b, b_kernel))
            if r:
                (m if p["group"] in MEMORY_GROUPS else t).append(
                    lower_is_better(p, r))
        return geomean(t), geomean(m)

    out.append("== what each option costs: the hardened kernel against the "
               "hardened kernel without it (all: against the plain kernel)")
    out.append("(geometric means over the time phases and over the memory "
               "phases of the paired per-round ratios; 1.00 = free; the "
               "last columns: the kernel of that row, challenger against "
               "baseline)")
    w = 12
    head = "%-20s" % "option" + "".join(
        "%*s%*s" % (w, a + " time", w, a + " mem") for a in allocs)
    vs = CHALLENGER in allocs and baseline in allocs and CHALLENGER != baseline
    if vs:
        head += "%*s%*s" % (w + 4, "%s/%s time" % (CHALLENGER, baseline),
                            w + 4, "%s/%s mem" % (CHALLENGER, baseline))
    out.append(head)
    out.append("-" * len(head))
    for k in ["plain"] + kernels:
        row = "%-20s" % ("all (hardened)" if k == "hardened" else
                         k[3:] if k.startswith("no-") else k)
        for a in allocs:
            if k == "plain":
                t, m = 1.0, 1.0
            elif k == "hardened":
                t, m = cost("hardened", a, "plain", a)
            else:			# what no-X saves, as X's cost
                t, m = cost("hardened", a, k, a)
            row += "%*s%*s" % (w, "%.3f" % t if t else "-",
                               w, "%.3f" % m if m else "-")
        if vs:
            t, m = cost(k, CHALLENGER, k, baseline)
            row += "%*s%*s" % (w + 4, "%.3f" % t if t else "-",
                               w + 4, "%.3f" % m if m else "-")
        out.append(row)
    return "\n".join(out) + "\n"


def main(argv):
    args = argv[1:]
    baseline, allocs, path = "slub", None, None
    while args:
        a = args.pop(0)
        if a == "--baseline" and args:
            baseline = args.pop(0)
        elif a == "--allocs" and args:
            allocs = args.pop(0).replace(",", " ").split()
        elif not a.startswith("-") and path is None:
            path = a
        else:
            sys.exit(__doc__)
    if path is None:
        sys.exit(__doc__)
    with open(path) as f:
        records = json.load(f)
    if allocs is None:
        allocs = list(dict.fromkeys(r["allocator"] for r in records))
        allocs.sort(key=lambda a: (a != CHALLENGER, a != baseline))
    if any("kernel" in r for r in records):
        sys.stdout.write(render_hardened(records, allocs, baseline))
    else:
        sys.stdout.write(render(records, allocs, baseline))


if __name__ == "__main__":
    main(sys.argv)
