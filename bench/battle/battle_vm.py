#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""battle_vm.py - the seed's battle at its own scale (`make battle-vm`):
SLOBA, SLUB, SLAB and SLOB kernels built from Debian's own 6.1
configuration (vm/kernel.sh), installed side by side in the Debian VM
(vm/install.sh) and booted round-robin (vm/run.sh --release: each its
GRUB entry), each boot running bench/battle/vm-guest.sh:

  boot battle     systemd-analyze: kernel, initrd, userspace, total
  dentry battle   du over the unpacked linux-source-6.1 tree on the VM's
                  ext4 disk, cold (after drop_caches) and warm; find;
                  du and find after drop_caches over the same tree's
                  metadata in memory (vm/mkmeta.sh: no disk wait, so
                  deterministic under -icount)
  memory          Slab: at boot, after the walks, after drop_caches
  the battle      bench/battle/battle's phases (dentry, fork, pipe,
                  syscalls, mem) inside the VM

The kernel reads the image as an NVDIMM (--disk pmem, vm/run.sh --pmem,
which also has QEMU load the GRUB entry's kernel, initrd and command line):
every read is a memory copy the guest executes, so under -icount boots of
one kernel execute the same instructions, where virtio requests complete
on the host's time (--disk virtio, through GRUB) and boots of one kernel
differed by 2-7% in some phases.

"stock" in --allocs adds Debian's own kernel (SLUB, Debian's full module
set) as a fifth contestant (its initramfs lacks the NVDIMM drivers: use
--disk virtio).  --clock as in battle.py: icount (default,
-icount shift=0: instructions executed, deterministic) or wall.  The guest
has one CPU by default, like battle.py's.  Records go to
$BUILD/bench/battle-vm.json (battle-vm-wall.json), the table to .txt and
the charts to -time.png and -memory.png beside it; console logs to
$BUILD/bench/battle-vm/logs/.  --keep reuses the records already in that
file (same clock) and builds and boots only the allocators it lacks
(copy a JSON of bench/battle/results/ there to extend it): a kernel that
finished building later joins an earlier run without booting the others
again (the icount clock makes boots of different hours comparable).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import charts  # noqa: E402
import report  # noqa: E402

ALLOCATORS = ("sloba", "slub", "slab", "slob", "stock")
RECORD = re.compile(r"@@BATTLE (\{.*\})")
# The in-VM battle's workload at --scale 1 (battle.py's, minus -i).
GUEST_SIZES = {"-n": 20000, "-f": 300, "-g": 4, "-d": 10, "-l": 100,
               "-c": 10000, "-w": 3, "-u": 3}


def say(msg):
    print("battle-vm: " + msg, flush=True)


def fail(msg):
    print("battle-vm: error: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def parse_args():
    p = argparse.ArgumentParser(prog="battle_vm.py", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3,
                   help="boots per allocator, round-robin (default 3)")
    p.add_argument("--allocs", default="sloba slub slab slob",
                   help="from: %s (default: %%(default)s)"
                   % " ".join(ALLOCATORS))
    p.add_argument("--reps", type=int, default=3,
                   help="repetitions of every timing in a boot (default 3)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="the in-VM battle's workload factor (default 1)")
    p.add_argument("--clock", default="icount", choices=("icount", "wall"))
    p.add_argument("--disk", default="pmem", choices=("pmem", "virtio"),
                   help="how the kernel sees the image: pmem (default), "
                   "an NVDIMM it reads with memory copies, or virtio, a "
                   "disk whose requests complete on the host's time")
    p.add_argument("--smp", type=int, default=1, help="guest CPUs (1)")
    p.add_argument("--mem", default="2G", help="guest memory (2G)")
    p.add_argument("--timeout", type=int, default=3600,
                   help="seconds per boot (default 3600)")
    p.add_argument("--baseline", default="slub")
    p.add_argument("--bin", default=None,
                   help="folder with battle and battle-true "
                   "(default $BUILD/bench/battle/bin)")
    p.add_argument("--out", default=None)
    p.add_argument("--keep", action="store_true",
                   help="keep OUT's records (same clock); boot only the "
                   "allocators it has none of")
    a = p.parse_args()
    allocs = [x for x in re.split(r"[\s,]+", a.allocs) if x]
    if (not allocs or any(x not in ALLOCATORS for x in allocs) or
            len(set(allocs)) != len(allocs)):
        p.error("--allocs wants distinct names from: " + " ".join(ALLOCATORS))
    if not 1 <= a.rounds <= 50 or not 1 <= a.reps <= 32 or \
            not 0.05 <= a.scale <= 20 or not 1 <= a.smp <= 8:
        p.error("--rounds 1..50, --reps 1..32, --scale 0.05..20, --smp 1..8")
    if a.smp > 1 and a.clock == "icount":
        # As in battle.py: QEMU 7.2's x86 guest hangs at "Booting SMP
        # configuration" under -icount.
        p.error("--smp %d needs --clock wall: under -icount QEMU 7.2's x86 "
                "guest hangs while bringing up its second CPU" % a.smp)
    if "stock" in allocs and a.disk == "pmem":
        p.error("stock needs --disk virtio: Debian's initramfs of its own "
                "kernel has no NVDIMM drivers")
    if not re.fullmatch(r"[0-9]+[MG]", a.mem):
        p.error("--mem wants a size like 2G")
    a.allocs = allocs
    if a.baseline not in allocs:
        a.baseline = "slub" if "slub" in allocs else allocs[0]
    build = os.environ.get("BUILD", os.path.join(REPO, "build"))
    a.work = os.path.join(build, "bench", "battle-vm")
    a.out = a.out or os.path.join(
        build, "bench", "battle-vm%s.json" % ("-wall" if a.clock == "wall"
                                              else ""))
    a.bin = a.bin or os.path.join(build, "bench", "battle", "bin")
    return a


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if r.returncode:
        fail("%s failed (status %d)" % (" ".join(cmd), r.returncode))
    return r.stdout.strip().splitlines()


def prepare(a, allocs):
    """Kernel packages of @allocs, the image with all of them; {alloc:
    release}.  Allocators whose records --keep kept are neither built nor
    installed."""
    debs, releases = [], {}
    for alloc in allocs:
        if alloc == "stock":
            continue
        t0 = time.monotonic()
        say("kernel %s: vm/kernel.sh --alloc %s (Debian's config: a clean "
            "build takes 15 min or more here)" % (alloc, alloc))
        pkgs = run([os.path.join(REPO, "vm", "kernel.sh"), "--alloc", alloc,
                    "--quiet"])
        image = [d for d in pkgs if "/linux-image-" in d][0]
        debs.append(image)
        releases[alloc] = re.sub(r"^linux-image-([^_]*)_.*", r"\1",
                                 os.path.basename(image))
        say("kernel %s: %s (%.0f s)" % (alloc, releases[alloc],
                                        time.monotonic() - t0))
    base = run([os.path.join(REPO, "vm", "mkimage.sh")])[-1]
    a.meta = run([os.path.join(REPO, "vm", "mkmeta.sh")])[-1]
    if "stock" in allocs:
        with open(base[:-len(".img")] + ".releases") as f:
            releases["stock"] = sorted(f.read().split())[-1]
    image = base
    if debs:
        image = run([os.path.join(REPO, "vm", "install.sh"), "--base", base]
                    + debs)[-1]
    return image, releases


def guest_command(a):
    args = []
    for flag, n in GUEST_SIZES.items():
        v = n if flag in ("-g", "-d", "-w", "-u") else max(
            1, int(round(n * a.scale)))
        args += [flag, str(v)]
    return ("bash /run/sloba-ctl/vm-guest.sh %s %d %s; st=$?; exit $st"
            % (a.clock, a.reps, " ".join(args)))


def boot_once(a, image, release, log):
    cmd = [os.path.join(REPO, "vm", "run.sh"), "--image", image,
           "--release", release, "--quiet", "--log", log,
           "--smp", str(a.smp), "--mem", a.mem, "--timeout", str(a.timeout),
           "--append", "quiet nokaslr norandmaps",
           "--ctl-add", os.path.join(HERE, "vm-guest.sh") + ":vm-guest.sh",
           "--ctl-add", a.bin + ":battle",
           "--ctl-add", a.meta + ":linux-meta.tar",
           "--cmd", guest_command(a)]
    if a.clock == "icount":
        cmd.append("--icount")
    if a.disk == "pmem":
        cmd.append("--pmem")
    t0 = time.monotonic()
    with open(log + ".run.sh", "w") as err:
        status = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                                stderr=err).returncode
    wall = time.monotonic() - t0
    recs = []
    with open(log, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    for m in RECORD.finditer(text):
        try:
            recs.append(json.loads(m.group(1)))
        except ValueError:
            status = status or 3
    if a.clock == "icount":
        report.use_median_of_reps(recs)
    return status, recs, wall


def main():
    a = parse_args()
    for prog in ("battle", "battle-true"):
        if not os.access(os.path.join(a.bin, prog), os.X_OK):
            fail("%s/%s missing: `make battle-vm` builds it" % (a.bin, prog))
    order = a.allocs
    kept = []
    if a.keep and os.path.exists(a.out):
        with open(a.out) as f:
            kept = [r for r in json.load(f) if r.get("allocator") in order
                    and r.get("clock") == a.clock
                    and r.get("disk", "virtio") == a.disk]
        if a.clock == "icount":		# records of before the median
            report.use_median_of_reps(kept)
    done = sorted({r["allocator"] for r in kept}, key=order.index)
    if done:
        say("--keep: %d records of %s from %s" % (len(kept), " ".join(done),
                                                  a.out))
    boot = [x for x in order if x not in done]
    nboots = a.rounds * len(boot)
    start = time.monotonic()
    say("plan: %s, %d rounds, %d boots, %s clock, %s disk, %d CPU, %s; "
        "records to %s" % (" ".join(boot) or "nothing to boot", a.rounds,
                           nboots, a.clock, a.disk, a.smp, a.mem, a.out))
    if boot:
        image, releases = prepare(a, boot)
        say("image %s; kernels: %s" % (image, ", ".join(
            "%s %s" % (k, v) for k, v in releases.items())))
    logs = os.path.join(a.work, "logs")
    os.makedirs(logs, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    records, failures = kept, []
    n = max([r.get("boot", 0) for r in kept] + [0])
    first = n
    for rnd in range(1, a.rounds + 1 if boot else 1):
        k = (rnd - 1) % len(boot)
        for alloc in boot[k:] + boot[:k]:
            n += 1
            log = os.path.join(logs, "r%d-%s.log" % (rnd, alloc))
            status, recs, wall = boot_once(a, image, releases[alloc], log)
            if status or not recs:
                failures.append((rnd, alloc, status, log))
                say("[%2d/%d] round %d %-5s FAILED after %.0f s: status %d; "
                    "log %s" % (n - first, nboots, rnd, alloc, wall, status,
                                log))
                continue
            for r in recs:
                r.update(allocator=alloc, run=rnd, boot=n, clock=a.clock,
                         disk=a.disk, group=r["phase"].split(".")[0])
            records += recs
            v = {r["phase"]: r["value"] for r in recs}
            say("[%2d/%d] round %d %-5s ok in %3.0f s: boot %s ms, du cold "
                "%s ms, warm %s ms, Slab boot %s kB"
                % (n - first, nboots, rnd, alloc, wall,
                   v.get("vmboot.total", "?"),
                   v.get("walk.du_cold", "?"), v.get("walk.du_warm", "?"),
                   v.get("vmmem.slab_boot", "?")))
            with open(a.out + ".tmp", "w") as f:
                json.dump(records, f, indent=1)
                f.write("\n")
            os.replace(a.out + ".tmp", a.out)
    if not records:
        fail("no boot succeeded; logs in " + logs)
    text = report.render(records, order, a.baseline)
    text += ("\nrun: %d boots (%d failed) in %.1f min, %s clock, %s disk; "
             "records %s\n" % (nboots, len(failures),
                                (time.monotonic() - start) / 60, a.clock,
                                a.disk, a.out))
    if done:
        text += "(records of %s kept from an earlier run, --keep)\n" % (
            " ".join(done))
    print()
    print(text, end="")
    with open(os.path.splitext(a.out)[0] + ".txt", "w") as f:
        f.write(text)
    for png in charts.render(records, order, a.baseline,
                             os.path.splitext(a.out)[0],
                             "make battle-vm (%s)" % a.clock):
        print("chart: " + png)
    for rnd, alloc, status, log in failures:
        print("FAILED: round %d %s: status %d, log %s" % (rnd, alloc, status,
                                                         log))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
