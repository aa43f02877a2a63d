#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""run-malloc-bench.py SLOBA_SO WORKLOADS_BIN OUT_JSON [--reps N] [--only W,...]

`make bench-malloc`: wall time and maximum RSS of allocation-heavy
workloads under glibc's malloc, jemalloc, mimalloc, tcmalloc and sloba
(libsloba-malloc.so), each allocator through LD_PRELOAD, all in one run.
Repetitions are interleaved -- every allocator runs a workload before any
runs it again, in an order rotated each repetition -- so that a noisy
neighbour slows all of them alike.

Workloads: Debian's programs (Python, git, gcc, sqlite3, perl, and
redis-server under redis-benchmark on 127.0.0.1, its RSS measured) and the
synthetic ones of bench/malloc_workloads.c (cross-thread frees, producer/
consumer, size-class churn, large buffers).  Every run's output is checked
against the first allocator's, so a wrong answer is not a fast one.

Writes OUT_JSON: a list of records {workload, allocator, rep, seconds,
max_rss_kb}; prints per workload the median time and RSS of each
allocator with its ratio to mimalloc (time) and glibc (RSS), and the
geometric means of those ratios.
"""
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ALLOCATORS = ["glibc", "jemalloc", "mimalloc", "tcmalloc", "sloba"]
TIME_BASE, RSS_BASE = "mimalloc", "glibc"


def libdir():
    arch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True,
                          text=True, check=True).stdout.strip()
    return "/usr/lib/" + arch


def preloads(sloba_so):
    d = libdir()
    p = {"glibc": None,
         "jemalloc": d + "/libjemalloc.so.2",
         "mimalloc": d + "/libmimalloc.so.2",
         "tcmalloc": d + "/libtcmalloc_minimal.so.4",
         "sloba": os.path.realpath(sloba_so)}
    for a, so in p.items():
        if so and not os.path.exists(so):
            sys.exit("bench-malloc: %s missing for %s" % (so, a))
    return p


def env_for(so):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if so:
        env["LD_PRELOAD"] = so
    return env


def timed(cmd, so, cwd=None, stdin=None):
    """Run cmd under the allocator; return (seconds, max_rss_kb, stdout)."""
    with tempfile.NamedTemporaryFile("r") as tf:
        t0 = time.monotonic()
        r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd,
                           env=env_for(so), cwd=cwd, input=stdin,
                           capture_output=True, text=True)
        secs = time.monotonic() - t0
        rss = int(tf.read().strip().splitlines()[-1] or 0)
    if r.returncode != 0 or "cannot be preloaded" in r.stderr:
        raise RuntimeError("%s failed (%d): %s" % (cmd[0], r.returncode,
                                                   r.stderr[-2000:]))
    return secs, rss, r.stdout


PYTHON = r"""
import json, re, collections
data = [{"id": i, "name": "item%d" % i, "tags": ["t%d" % (i % 17), "x" * (i % 50)],
         "vals": list(range(i % 40))} for i in range(50000)]
s = json.dumps(data)
back = json.loads(s)
idx = collections.defaultdict(list)
for d in back:
    idx[d["tags"][0]].append(d["name"])
words = re.findall(r"item\d+", s)
print(len(s), len(idx), len(words), sum(len(v) for v in idx.values()))
"""

PERL = r"""
my %h; my @a;
for my $i (1 .. 400000) { $h{"k" . ($i * 7 % 100000)} .= chr(65 + $i % 26); }
for my $k (sort keys %h) { push @a, scalar reverse $h{$k}; }
my $j = join(",", @a); my @m = ($j =~ /(AB+)/g);
print scalar(keys %h), " ", length($j), " ", scalar(@m), "\n";
"""

SQL = """
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER, s TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000)
INSERT INTO t SELECT x, printf('key-%d', x * 7 % 5000), x * x % 9973,
                     substr(hex(randomblob(40)), 1, x % 60) FROM c;
CREATE INDEX tk ON t(k);
SELECT count(*), sum(v), count(DISTINCT k) FROM t;
SELECT k, sum(v), group_concat(id) FROM t GROUP BY k ORDER BY 2 DESC LIMIT 2;
"""


class Workloads:
    """Each workload: name -> function(so) returning (seconds, rss, output)."""

    def __init__(self, workloads_bin, tmp, repo):
        self.bin = workloads_bin
        self.tmp = tmp
        self.repo = repo
        # A fixed commit: the output must not change if HEAD moves meanwhile.
        self.head = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"],
                                   capture_output=True, text=True,
                                   check=True).stdout.strip()
        self.gcc_src = os.path.join(tmp, "big.c")
        with open(self.gcc_src, "w") as f:
            # Many functions and a big initialised table: cc1 allocates a lot.
            for i in range(400):
                f.write("static int f%d(int x) { int a[8] = {%s}; "
                        "for (int i = 0; i < 8; i++) x = x * 31 + a[i] %% (i + %d); "
                        "return x; }\n" % (i, ",".join(str(i * k) for k in range(8)), i + 1))
            f.write("int main(void) { int x = 0;\n")
            for i in range(400):
                f.write(" x += f%d(x);\n" % i)
            f.write(" return x & 1; }\n")

    def names(self):
        return ["python", "git", "gcc", "sqlite3", "perl", "redis",
                "xthreads", "prodcons", "churn", "large"]

    def run(self, name, so):
        if name == "python":
            return timed(["/usr/bin/python3", "-c", PYTHON], so)
        if name == "git":
            return timed(["git", "-C", self.repo, "log", "-p", "--stat",
                          "-n", "400", "--format=%H %s", self.head], so)
        if name == "gcc":
            out = os.path.join(self.tmp, "big.o")
            s, rss, _ = timed(["gcc", "-O2", "-c", self.gcc_src, "-o", out], so)
            return s, rss, "ok"
        if name == "sqlite3":
            return timed(["sqlite3", ":memory:"], so, stdin=SQL)
        if name == "perl":
            return timed(["perl", "-e", PERL], so)
        if name == "redis":
            return self.redis(so)
        return timed([self.bin, name], so)

    def redis(self, so):
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            port = sk.getsockname()[1]
        srv = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            env=env_for(so), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(200):
                if subprocess.run(["redis-cli", "-p", str(port), "ping"],
                                  capture_output=True).returncode == 0:
                    break
                time.sleep(0.05)
            t0 = time.monotonic()
            r = subprocess.run(
                ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-q",
                 "-n", "25000", "-c", "20", "-r", "100000", "-d", "300",
                 "-t", "set,get,lpush,lpop,sadd,hset,mset"],
                capture_output=True, text=True)
            secs = time.monotonic() - t0
            dbsize = subprocess.run(["redis-cli", "-p", str(port), "dbsize"],
                                    capture_output=True, text=True).stdout.strip()
            with open("/proc/%d/status" % srv.pid) as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
            if r.returncode or r.stdout.count("requests per second") < 7:
                raise RuntimeError("redis-benchmark failed: " + r.stdout[-500:])
            return secs, rss, "dbsize>0" if int(dbsize) > 0 else "empty"
        finally:
            srv.terminate()
            srv.wait()


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    sloba_so, wbin, out = args[:3]
    reps, only = 3, None
    rest = args[3:]
    while rest:
        if rest[0] == "--reps":
            reps = int(rest[1]); rest = rest[2:]
        elif rest[0] == "--only":
            only = rest[1].split(","); rest = rest[2:]
        else:
            sys.exit(__doc__)
    pre = preloads(sloba_so)
    repo = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    tmp = tempfile.mkdtemp()
    recs, expect = [], {}
    try:
        wl = Workloads(wbin, tmp, repo)
        names = [n for n in wl.names() if not only or n in only]
        for rep in range(1, reps + 1):
            for name in names:
                k = (rep - 1) % len(ALLOCATORS)
                for alloc in ALLOCATORS[k:] + ALLOCATORS[:k]:
                    secs, rss, output = wl.run(name, pre[alloc])
                    if name in expect and output != expect[name]:
                        raise RuntimeError("%s under %s printed something else"
                                           % (name, alloc))
                    expect.setdefault(name, output)
                    recs.append({"workload": name, "allocator": alloc, "rep": rep,
                                 "seconds": round(secs, 4), "max_rss_kb": rss})
                    print("bench-malloc: rep %d %-9s %-9s %7.3f s %8d kB"
                          % (rep, name, alloc, secs, rss), file=sys.stderr)
    finally:
        shutil.rmtree(tmp)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(recs, f, indent=1)
        f.write("\n")
    table(recs)
    print("written to", out)


def table(recs):
    names = list(dict.fromkeys(r["workload"] for r in recs))
    med = {}
    for n in names:
        for a in ALLOCATORS:
            rs = [r for r in recs if r["workload"] == n and r["allocator"] == a]
            med[n, a] = (statistics.median(r["seconds"] for r in rs),
                         statistics.median(r["max_rss_kb"] for r in rs))
    print("median wall time in s (ratio to %s) and max RSS in MB (ratio to %s)"
          % (TIME_BASE, RSS_BASE))
    print("%-9s " % "workload" + " ".join("%25s" % a for a in ALLOCATORS))
    for n in names:
        bt, br = med[n, TIME_BASE][0], med[n, RSS_BASE][1]
        print("%-9s " % n + " ".join(
            "%6.2f %4.2fx %5.0f %4.2fx" % (med[n, a][0], med[n, a][0] / bt,
                                           med[n, a][1] / 1024, med[n, a][1] / br)
            for a in ALLOCATORS))
    print("%-9s " % "geomean" + " ".join(
        "%6s %4.2fx %5s %4.2fx" % ("", geomean([med[n, a][0] / med[n, TIME_BASE][0]
                                                for n in names]),
                                   "", geomean([med[n, a][1] / med[n, RSS_BASE][1]
                                                for n in names]))
        for a in ALLOCATORS))


if __name__ == "__main__":
    main()
