#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""battle.py - the allocator battle (`make battle`): SLOBA against SLAB, SLUB
and SLOB, each booted in QEMU on the same workload, in one run.

  1. builds (or finds in the cache) one test kernel per allocator with
     kernel/build.sh and copies each bzImage aside, so a helper evicting
     the shared cache mid-run cannot change what is measured;
  2. packs the guest programs (bench/battle/battle and battle-true, built by
     bench/battle.mk) into a base initramfs with guest/mkinitramfs.sh;
  3. boots every allocator once per round with guest/boot.sh, round-robin,
     starting each round one allocator later (so none is always first
     after another's boot), and runs `battle` as the guest's command;
  4. collects one record per measurement and boot into OUT (a JSON list;
     rewritten after every boot, so an interrupted run keeps what it has)
     and prints the table of bench/battle/report.py.

Each record: phase, group, allocator, run (the round, from 1), boot (its
place in the whole run, from 1), value, unit, reps (the in-guest
repetitions; value is their median under the icount clock, with the best
in "best", and the best under the wall clock: report.use_median_of_reps()
says why), and what the
guest added (entries walked, message counts...).  Besides the guest's own measurements, the host
adds boot.host: wall time from starting boot.sh to the guest's first output
line "@@BATTLE-START@@" (QEMU start, firmware, kernel decompression and
boot, /init) -- the log file is polled every 10 ms.

The guest has one CPU by default (--smp 1).  On this 2-core host, shared
with other builds, a 2-CPU guest's two vCPU threads are descheduled at
random, and whatever waits for the other CPU (TLB-shootdown IPIs in fork,
exec and munmap, wakeups across CPUs, a spinlock holder) then waits for the
host's scheduler: measured at the same load, fork+exec spread 50-250%
between boots with 2 CPUs and 5-30% with one.  Use --smp 2 --clock wall
(BATTLE_ARGS, BATTLE_CLOCK) to take SMP effects (per-CPU caches on two
CPUs, frees on another CPU) into the battle on a quiet host.  The icount
clock cannot run them: under -icount, QEMU 7.2's x86 guest hangs at
"x86: Booting SMP configuration" (tried with shift=0 and sleep=off), so
battle.py refuses --smp above 1 with it.

Timing mode (--clock): "icount" (the default) runs QEMU with -icount
shift=0, so the guest's clock advances by one nanosecond per executed
instruction, and with sleep=off (--icount-sleep), so that while the guest
idles its clock jumps to the next timer instead of following the host's
(this guest has no disk to wait for): a phase's time is the instructions
the guest executed for it, the same whatever else the host is doing, but
blind to cache misses, TLB misses and memory stalls, which cost no virtual
time.  Every boot also gets the same inputs (SAME_INPUTS: QEMU's random
seed and the real-time clock; guest/common.sh packs the initramfs
byte-for-byte the same), so boots of one kernel execute the same
instructions and agree to the last digit: the spread between boots is 0,
and what varies is only the guest itself between repetitions in one boot
(the table's footer shows that spread too).  Before, SLOBA's, SLUB's and
SLAB's boots agreed within 0-3% per phase and SLOB's within 0-16%: a
per-boot date in the initramfs moved the clock by 1-15 us before /init,
which SLOB's first fit amplified.  "wall" is the guest's clock following the
host's: those effects count, and so does every other process on the host
(spreads of 50-110% between boots here).  boot.host (host wall time) is
only measured in wall mode.  Records go to battle.json (icount) or
battle-wall.json (wall), each with gnuplot charts beside it
(bench/battle/charts.py).

The small-memory profile (--profile small) boots each kernel with the
smallest memory the tinyconfig kernels and the battle's initramfs boot in
(--mem, default 36M: see bench/battle/README.md for how it was found), runs
the workload at --scale 0.05, and adds MemFree, MemAvailable and Slab: of
/proc/meminfo right after boot and after the workload (small.* phases;
more free memory is better).  Records: battle-small.json.

The hardened profile (--profile hardened; allocators sloba and slub unless
--allocs says otherwise) prices what distribution kernels turn on around the
slab allocator: kernel/configs/hardened.config (memory cgroups with kernel
memory accounting, SLAB_FREELIST_HARDENED, SLAB_FREELIST_RANDOM,
HARDENED_USERCOPY, INIT_ON_ALLOC_DEFAULT_ON).  Per allocator it boots the
plain kernel, the hardened one, and the hardened one without each option in
turn, so an option's cost is what removing it from a distribution kernel
saves.  Options the kernel can switch off at boot (the "off=" of their
block) are switched off so, on the hardened kernel; the others get a kernel
of their own, built from a copy of the hardened build folder
(kernel/build.sh --seed-from), so that only what the option touches is
compiled again.  The guest runs the battle inside a memory cgroup of its
own wherever the kernel has one (as systemd puts every service in one), so
kernel memory is really charged.  Records (battle-hardened.json) carry
"kernel": plain, hardened or "no-<option>"; the report is the battle of the
hardened kernels, then each option's cost (report.render_hardened).

KASLR is off (nokaslr; --kaslr keeps it): a kernel placed at a random
address each boot runs its hot paths with different cache and TLB
aliasing, in QEMU's software TLB too, and that alone moved the dentry and
mmap timings of one kernel by 10-16% between boots, against 2-4% with a
fixed layout.  The price: each kernel keeps one layout, lucky or not, for
the whole run.  Programs' address spaces are not randomized either
(norandmaps): with the guest's random numbers depending on its own timing,
each kernel got other layouts, and in the Debian VM fork+exec cost 281-293
us with random layouts against 265 us without.

The guest kernel is booted with "quiet" (the console gets only errors while
we measure, so serial output does not blur the timings); the guest prints
the whole kernel log after the battle, so guest/check-log.sh still sees
every WARN, BUG and leak report, and boot.sh fails a boot that has any.  A
failed boot is reported and its measurements are left out; the run goes on
and exits 1 at the end.
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import charts  # noqa: E402
import report  # noqa: E402

ALLOCATORS = ("sloba", "slub", "slab", "slob")
# In-guest workload at --scale 1; see `battle -h` for what each flag does.
GUEST_SIZES = {"-n": 20000, "-f": 300, "-g": 4, "-d": 10, "-l": 100,
               "-c": 10000, "-w": 3, "-u": 3}
# Rough seconds per boot at --scale 1, 5 reps, one CPU (measured 14-40 s
# on a 2-core host half busy with other builds; SLOB the slowest).
GUEST_SECONDS = 20


def say(msg):
    print("battle: " + msg, flush=True)


def fail(msg):
    print("battle: error: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def parse_args():
    p = argparse.ArgumentParser(
        prog="battle.py",
        description="SLOBA against SLAB, SLUB and SLOB in QEMU; "
        "see the top of bench/battle/battle.py.")
    p.add_argument("--rounds", default="5",
                   help="boots per allocator, round-robin (default 5)")
    p.add_argument("--allocs", default=None,
                   help="allocators, space or comma separated (default: "
                   "%s; sloba slub with --profile hardened)"
                   % " ".join(ALLOCATORS))
    p.add_argument("--reps", default="5",
                   help="in-guest repetitions of each timing, 1..32 "
                   "(default 5)")
    p.add_argument("--scale", default="1",
                   help="workload size factor, 0.05..20 (default 1)")
    p.add_argument("--baseline", default="slub",
                   help="ratios are to this allocator (default slub)")
    p.add_argument("--out", default=None,
                   help="records (default $BUILD/bench/battle.json)")
    p.add_argument("--bin", default=None,
                   help="folder holding battle and battle-true (default "
                   "$BUILD/bench/battle/bin)")
    p.add_argument("--smp", default="1",
                   help="guest CPUs (default 1: see the top of this file)")
    p.add_argument("--mem", default=None,
                   help="guest memory (default 512M; 36M with --profile "
                   "small)")
    p.add_argument("--clock", default="icount", choices=("icount", "wall"),
                   help="icount: -icount shift=0, time is instructions "
                   "executed (default); wall: the host's time")
    p.add_argument("--icount-sleep", default="off", choices=("on", "off"),
                   help="with --clock icount: off (default), an idle "
                   "guest's clock jumps to the next timer; on, it waits "
                   "at the host's pace")
    p.add_argument("--profile", default="full",
                   choices=("full", "small", "hardened"),
                   help="small: the small-memory profile; hardened: "
                   "distribution hardening, each option priced (see above)")
    p.add_argument("--kaslr", action="store_true",
                   help="leave KASLR on (default: boot with nokaslr)")
    p.add_argument("--timeout", default="600",
                   help="seconds per boot before it counts as hung "
                   "(default 600)")
    p.add_argument("--jobs", default=None,
                   help="make jobs for kernel builds (default: CPUs)")
    a = p.parse_args()

    def num(name, val, conv, lo, hi):
        try:
            v = conv(val)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi:
            p.print_usage(sys.stderr)
            print("battle.py: %s must be a number from %s to %s, not '%s'"
                  % (name, lo, hi, val), file=sys.stderr)
            sys.exit(2)
        return v

    if a.profile == "small":
        a.mem = a.mem or "36M"
        if a.scale == "1":
            a.scale = "0.05"
    a.mem = a.mem or "512M"
    a.rounds = num("--rounds", a.rounds, int, 1, 100)
    a.reps = num("--reps", a.reps, int, 1, 32)
    a.scale = num("--scale", a.scale, float, 0.05, 20)
    a.smp = num("--smp", a.smp, int, 1, 8)
    if a.smp > 1 and a.clock == "icount":
        p.print_usage(sys.stderr)
        print("battle.py: --smp %d needs --clock wall (BATTLE_CLOCK=wall): "
              "under -icount an x86 guest hangs bringing up its second CPU"
              % a.smp, file=sys.stderr)
        sys.exit(2)
    a.timeout = num("--timeout", a.timeout, int, 30, 7200)
    if a.jobs is not None:
        a.jobs = num("--jobs", a.jobs, int, 1, 256)
    if a.allocs is None:
        a.allocs = ("sloba slub" if a.profile == "hardened"
                    else " ".join(ALLOCATORS))
    allocs = [x for x in re.split(r"[\s,]+", a.allocs) if x]
    bad = [x for x in allocs if x not in ALLOCATORS]
    if not allocs or bad or len(set(allocs)) != len(allocs):
        p.print_usage(sys.stderr)
        print("battle.py: --allocs wants distinct names from: %s (got '%s')"
              % (" ".join(ALLOCATORS), a.allocs), file=sys.stderr)
        sys.exit(2)
    a.allocs = allocs
    a.append = "quiet norandmaps" if a.kaslr else "quiet nokaslr norandmaps"
    if a.baseline not in allocs:
        a.baseline = allocs[0] if "slub" not in allocs else "slub"
    if not re.fullmatch(r"[0-9]+[KMG]?", a.mem):
        p.print_usage(sys.stderr)
        print("battle.py: --mem wants a size like 512M", file=sys.stderr)
        sys.exit(2)
    build = os.environ.get("BUILD", os.path.join(REPO, "build"))
    a.work = os.path.join(build, "bench", "battle")
    name = "battle" + ("" if a.profile == "full" else "-" + a.profile) + (
        "-wall" if a.clock == "wall" else "")
    a.out = a.out or os.path.join(build, "bench", name + ".json")
    a.qemu = (["-icount", "shift=0,sleep=" + a.icount_sleep] + SAME_INPUTS
              if a.clock == "icount" else [])
    a.bin = a.bin or os.path.join(a.work, "bin")
    # The boots: (label, allocator, kernel variant, config fragment or
    # None, extra kernel arguments, label of the kernel to seed from).
    a.kernels = [(al, al, "plain", None, "", None) for al in allocs]
    if a.profile == "hardened":
        blocks = hardening_blocks()
        a.kernels = []
        for al in allocs:
            hard = al + "+hardened"
            a.kernels.append((al, al, "plain", None, "", None))
            a.kernels.append((hard, al, "hardened", (HARDENED_CONFIG, None),
                              "", al))
            for opt, (lines, off) in blocks.items():
                label = "%s+no-%s" % (al, opt)
                if off:		# the hardened kernel, option off at boot
                    a.kernels.append((label, al, "no-" + opt, None, off,
                                      None))
                else:		# a kernel of its own
                    rest = [ln for o, (ls, _) in blocks.items() if o != opt
                            for ln in ls]
                    a.kernels.append((label, al, "no-" + opt,
                                      ("hardened-no-" + opt, rest), "",
                                      hard))
    return a


HARDENED_CONFIG = os.path.join(REPO, "kernel", "configs", "hardened.config")

# Under the icount clock every boot gets the same inputs, so that boots of
# one kernel execute the same instructions: QEMU's random numbers (the
# setup_data seed the kernel's RNG starts from) from a fixed seed, and the
# real-time clock starting at a fixed date and counting virtual time.
# With the host's date and entropy, the guest's random state (address
# space layouts, hash seeds) and timestamps differed at every boot.
SAME_INPUTS = ["-seed", "1", "-rtc", "base=2030-01-01T00:00:00,clock=vm"]


def hardening_blocks():
    """{option: (its CONFIG_ lines, the kernel argument that switches it
    off at boot or "")} from hardened.config's "# hardening: NAME [off=ARG]"
    blocks, in file order."""
    blocks, cur = {}, None
    with open(HARDENED_CONFIG) as f:
        for line in f:
            m = re.match(r"# hardening: (\w+)(?: off=(\S+))?$", line.strip())
            if m:
                cur = m.group(1)
                blocks[cur] = ([], m.group(2) or "")
            elif cur and line.startswith("CONFIG_"):
                blocks[cur][0].append(line.strip())
    if not blocks:
        fail("no '# hardening: NAME' blocks in " + HARDENED_CONFIG)
    return blocks


def guest_command(a):
    args = ["/root/battle/battle", "-i", "-k", str(a.reps)]
    for flag, n in GUEST_SIZES.items():
        if flag in ("-g", "-d", "-w", "-u"):
            v = n		# shapes, not amounts: not scaled
        else:
            v = max(1, int(round(n * a.scale)))
        args += [flag, str(v)]
    # The whole kernel log goes to the console afterwards, for check-log.
    cmd = " ".join(args) + "; st=$?; "
    if a.profile == "small":
        cmd = SMALL_MEMINFO + "meminfo boot; " + cmd + "meminfo end; "
    if a.profile == "hardened":
        cmd = IN_MEMCG + cmd
    return cmd + "dmesg; exit $st"


# The hardened profile: where the kernel has memory cgroups, the battle runs
# in a cgroup of its own with the memory controller on, as every service
# does under systemd (kernel memory of the root cgroup is not charged).
MEMCG_MARK = "@@BATTLE-IN-MEMCG@@"
IN_MEMCG = (
    "cg=/sys/fs/cgroup; if mount -t cgroup2 none $cg 2>/dev/null && "
    "grep -qw memory $cg/cgroup.controllers; then "
    "echo +memory > $cg/cgroup.subtree_control && mkdir $cg/battle && "
    "echo $$ > $cg/battle/cgroup.procs && "
    "echo " + MEMCG_MARK + " || exit 9; fi; ")


# The small profile's records: MemFree, MemAvailable (more is better) and
# Slab: of /proc/meminfo, printed by busybox awk in the guest.
SMALL_MEMINFO = (
    "meminfo() { awk -v when=$1 '/^(MemFree|MemAvailable|Slab):/ { "
    "n = tolower(substr($1, 1, length($1) - 1)); "
    "printf \"@@BATTLE {\\\"phase\\\": \\\"small.%s_%s\\\", "
    "\\\"unit\\\": \\\"kB\\\", \\\"value\\\": %d, "
    "\\\"reps\\\": [%d], \\\"better\\\": \\\"%s\\\"}\\n\", "
    "n, when, $2, $2, n == \"slab\" ? \"lower\" : \"higher\" }' "
    "/proc/meminfo; }; ")


def build_kernels(a):
    """kernel/build.sh per kernel; returns {label: private bzImage copy}.
    A boot with no fragment of its own past the plain kernel uses the
    hardened kernel of its allocator; a kernel with a fragment is seeded
    from the build folder of the kernel it names (built before it: it comes
    earlier in a.kernels)."""
    kdir = os.path.join(a.work, "kernels")
    cdir = os.path.join(a.work, "configs")
    os.makedirs(kdir, exist_ok=True)
    images, dirs = {}, {}
    for label, alloc, variant, frag, _, seed in a.kernels:
        if variant != "plain" and not frag:
            images[label] = images[alloc + "+hardened"]
            continue
        t0 = time.monotonic()
        cmd = [os.path.join(REPO, "kernel", "build.sh"), "--alloc", alloc,
               "--quiet", "--print-dir"]
        if frag:
            path, lines = frag
            if lines is not None:	# hardened.config without one block
                os.makedirs(cdir, exist_ok=True)
                path = os.path.join(cdir, path + ".config")
                with open(path, "w") as f:
                    f.write("# SPDX-License-Identifier: GPL-2.0-only\n"
                            "# %s without %s (battle.py)\n"
                            % (os.path.relpath(HARDENED_CONFIG, REPO),
                               variant[3:]))
                    f.write("\n".join(lines) + "\n")
            cmd += ["--config", path]
        if seed in dirs:
            cmd += ["--seed-from", dirs[seed]]
        if a.jobs:
            cmd += ["--jobs", str(a.jobs)]
        say("kernel %s: %s (a clean build takes 4-9 min)"
            % (label, " ".join(cmd[1:])))
        r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        out = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        bz = os.path.join(out, "arch", "x86", "boot", "bzImage")
        if r.returncode or not os.path.isfile(bz):
            fail("could not build the %s kernel (kernel/build.sh status %d)"
                 % (label, r.returncode))
        dirs[label] = out
        images[label] = os.path.join(kdir, label + ".bzImage")
        shutil.copyfile(bz, images[label])
        say("kernel %s: ready in %.0f s (%s)"
            % (label, time.monotonic() - t0, bz))
    return images


def build_initrd(a):
    for prog in ("battle", "battle-true"):
        if not os.access(os.path.join(a.bin, prog), os.X_OK):
            fail("%s/%s missing: run `make battle`, which builds it"
                 % (a.bin, prog))
    out = os.path.join(a.work, "initrd.cpio.gz")
    r = subprocess.run([os.path.join(REPO, "guest", "mkinitramfs.sh"),
                        "-o", out, "-a", a.bin + ":/root/battle"],
                       stdout=subprocess.DEVNULL)
    if r.returncode:
        fail("guest/mkinitramfs.sh failed")
    return out


def cpu_busy():
    """(busy seconds of every CPU of the host, CPU seconds of our reaped
    children: boot.sh and the QEMU under it)."""
    with open("/proc/stat") as f:
        t = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    busy = (sum(t[:8]) - t[3] - t[4]) / hz	# all but idle and iowait
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, ru.ru_utime + ru.ru_stime


MARK_START = "@@BATTLE-START@@"
RECORD = re.compile(r"@@BATTLE (\{.*\})")


def boot_once(a, alloc, kernel, initrd, cmd, log, extra=""):
    """Boot (with the kernel arguments @extra besides a.append), run the
    battle; returns (status, records, wall s).  boot.host
    also carries host_load: the share of the host's CPUs that other
    processes kept busy meanwhile (the noise every timing here suffers)."""
    boot = [os.path.join(REPO, "guest", "boot.sh"), "--kernel", kernel,
            "--initrd", initrd, "--append", (a.append + " " + extra).strip(),
            "--smp", str(a.smp),
            "--mem", a.mem, "--timeout", str(a.timeout), "--log", log,
            "--cmd", cmd]
    if a.qemu:
        boot += ["--"] + a.qemu
    if os.path.exists(log):
        os.unlink(log)
    err_path = log + ".boot.sh"
    busy0, ours0 = cpu_busy()
    with open(err_path, "w") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(boot, stdout=subprocess.DEVNULL, stderr=err)
        host_ms = None
        while proc.poll() is None:
            if host_ms is None:
                try:
                    with open(log, "rb") as f:
                        if MARK_START.encode() in f.read():
                            host_ms = (time.monotonic() - t0) * 1e3
                except FileNotFoundError:
                    pass
            time.sleep(0.01)
        wall = time.monotonic() - t0
    busy1, ours1 = cpu_busy()
    load = max(0.0, (busy1 - busy0) - (ours1 - ours0)) / (
        wall * (os.cpu_count() or 1))
    status = proc.returncode
    recs = []
    with open(log, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    for m in RECORD.finditer(text):
        try:
            recs.append(json.loads(m.group(1)))
        except ValueError:
            status = status or 3	# a mangled line: do not trust the boot
    if a.clock == "icount":
        report.use_median_of_reps(recs)
    if host_ms is None and MARK_START in text:
        host_ms = wall * 1e3		# too fast to see (should not happen)
    if host_ms is not None and a.clock == "wall":
        recs.insert(0, {"phase": "boot.host", "unit": "ms",
                        "value": round(host_ms, 1), "reps": [round(host_ms, 1)],
                        "host_load": round(min(load, 1.0), 3)})
    return status, recs, wall


STATUS = {120: "kernel log shows problems (WARN/BUG/oops/leak)",
          124: "timed out", 125: "no status (crash)",
          1: "a guest system call failed", 3: "mangled output",
          4: "ran outside a memory cgroup (or in one it should not have)",
          9: "could not enter a memory cgroup"}


def main():
    a = parse_args()
    order = [k[0] for k in a.kernels]
    kernel_of = {k[0]: k for k in a.kernels}
    nboots = a.rounds * len(order)
    cmd = guest_command(a)
    start = time.monotonic()
    say("plan: %s, %d round%s, %d boot%s, %s clock, %s memory; guest: %s"
        % (" ".join(order), a.rounds, "s" * (a.rounds != 1), nboots,
           "s" * (nboots != 1), a.clock, a.mem,
           cmd.split("battle/battle")[-1].split(";")[0]))
    say("plan: ~%d min of boots%s; records to %s"
        % (max(1, round(nboots * GUEST_SECONDS * a.scale ** 0.8 / 60)),
           " after the kernels are ready (each kernel not cached: 4-9 min)",
           a.out))
    images = build_kernels(a)
    initrd = build_initrd(a)
    logs = os.path.join(a.work, "logs")
    os.makedirs(logs, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)

    records, failures, n = [], [], 0
    for rnd in range(1, a.rounds + 1):
        k = (rnd - 1) % len(order)
        for label in order[k:] + order[:k]:
            _, alloc, variant, _, extra, _ = kernel_of[label]
            n += 1
            log = os.path.join(logs, "r%d-%s.log" % (rnd, label))
            status, recs, wall = boot_once(a, label, images[label], initrd,
                                           cmd, log, extra)
            if not status and a.profile == "hardened":
                # Every kernel but the plain one has memory cgroups, and
                # must have run the battle in one.
                with open(log, "rb") as f:
                    in_memcg = MEMCG_MARK.encode() in f.read()
                if in_memcg != (variant != "plain"):
                    status = 4
            if status:
                failures.append((rnd, label, status, log))
                say("[%2d/%d] round %d %-5s FAILED after %.0f s: status %d, "
                    "%s; log %s" % (n, nboots, rnd, label, wall, status,
                                    STATUS.get(status, "?"), log))
                subprocess.run([os.path.join(REPO, "guest", "check-log.sh"),
                                log])
                continue
            for r in recs:
                r.update(allocator=alloc, run=rnd, boot=n,
                         group=r["phase"].split(".")[0])
                if a.profile == "hardened":
                    r["kernel"] = variant
            records += recs
            v = {r["phase"]: r["value"] for r in recs}
            load = ("(others' load %2.0f%%)" % (100 * recs[0].get(
                "host_load", 0)) if a.clock == "wall" else "(icount)")
            say("[%2d/%d] round %d %-5s ok in %3.0f s %s: boot %s ms, walk "
                "%s ms, fork %s us, Slab peak %s kB"
                % (n, nboots, rnd, label, wall, load,
                   v.get("boot.host", v.get("boot.init", "?")),
                   v.get("dentry.walk", "?"), v.get("fork.exec", "?"),
                   v.get("mem.slab_peak", "?")))
            with open(a.out + ".tmp", "w") as f:
                json.dump(records, f, indent=1)
                f.write("\n")
            os.replace(a.out + ".tmp", a.out)

    if not records:
        fail("no boot succeeded; logs in " + logs)
    elapsed = time.monotonic() - start
    print()
    if a.profile == "hardened":
        text = report.render_hardened(records, a.allocs, a.baseline)
        # The charts: the hardened kernels against each other.
        chart_records = [r for r in records if r["kernel"] == "hardened"]
    else:
        text = report.render(records, a.allocs, a.baseline)
        chart_records = records
    text += "\nrun: %d boots (%d failed) in %.1f min; records %s; logs %s\n" % (
        nboots, len(failures), elapsed / 60, a.out, logs)
    print(text, end="")
    with open(os.path.splitext(a.out)[0] + ".txt", "w") as f:
        f.write(text)
    try:
        for png in charts.render(chart_records, a.allocs, a.baseline,
                                 os.path.splitext(a.out)[0],
                                 "make battle (%s%s)" % (
                                     a.clock, ", small memory " + a.mem
                                     if a.profile == "small" else
                                     ", hardened kernels"
                                     if a.profile == "hardened" else "")):
            print("chart: " + png)
    except (OSError, RuntimeError) as e:
        print("battle: error: charts: %s" % e, file=sys.stderr)
        failures.append((0, "charts", 1, str(e)))
    for rnd, label, status, log in failures:
        print("FAILED: round %d %s: status %d (%s), log %s"
              % (rnd, label, status, STATUS.get(status, "?"), log))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
