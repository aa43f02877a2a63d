# SPDX-License-Identifier: GPL-2.0-only
#
# The allocator battle: SLOBA against SLAB, SLUB and SLOB, each booted in
# QEMU on the same workloads, measured in one run, reported as ratios.
# See bench/battle/battle.py (the host side) and bench/battle/battle.c (the
# guest side).
#
#   make battle [BATTLE_ROUNDS=2] [BATTLE_ALLOCS='sloba slub slab slob']
#               [BATTLE_REPS=5] [BATTLE_SCALE=1] [BATTLE_CLOCK=icount|wall]
#               [BATTLE_ARGS='--smp 2 ...' (--smp: wall clock only)]
#   make battle BATTLE_ROUNDS=1          a quick run (~1.5 min with kernels cached)
#   make battle BATTLE_CLOCK=wall        the wall-clock view (battle-wall.*)
#   make battle-small                    the small-memory profile (battle-small.*)
#   make battle-hardened                 SLOBA and SLUB with distribution hardening,
#                                        each option priced (battle-hardened.*)
#   make battle-report                   the table and charts again, from the last run
#
# Output: $(BUILD)/bench/battle.json (one record per measurement and boot;
# battle-wall.json in wall-clock mode), the table on stdout and in
# $(BUILD)/bench/battle.txt, the charts battle-time.png and
# battle-memory.png beside them, console logs in $(BUILD)/bench/battle/logs/.
# BATTLE_CLOCK=icount (the default) runs QEMU with -icount shift=0,sleep=off:
# time is instructions executed, deterministic (BATTLE_ARGS='--icount-sleep
# on' lets idle time follow the host's); wall counts cache and memory
# effects and the host's load (bench/battle/README.md).  Under icount every
# boot of a kernel repeats the one before to the last digit, so two rounds
# show all there is (and that they repeat); the wall clock needs five.  A
# five-round run (20 boots) takes 5-6 min with
# the four kernels cached on a quiet host (~10 min while other builds share
# it), plus 4-9 min per kernel that is not cached (~35-45 min from a clean
# cache): more than the 25 minutes `make bench` allows, so battle is not in
# BENCH_TARGETS (nor in TEST_TARGETS: it measures, it does not test).

BATTLE_ROUNDS ?= $(if $(filter wall,$(BATTLE_CLOCK)),5,2)
BATTLE_ALLOCS ?= sloba slub slab slob
BATTLE_REPS ?= 5
BATTLE_SCALE ?= 1
BATTLE_ARGS ?=
BATTLE_CLOCK ?= icount
BATTLE_CC ?= gcc
BATTLE_CFLAGS := -static -O2 -Wall -Wextra -Werror
BATTLE_BIN := $(BUILD)/bench/battle/bin

APT_PACKAGES += gcc libc6-dev python3 qemu-system-x86 busybox-static gnuplot-nox

$(BATTLE_BIN)/battle: bench/battle/battle.c
	@mkdir -p $(dir $@)
	$(BATTLE_CC) $(BATTLE_CFLAGS) $< -o $@

# No C library at all: see the file's top comment.
$(BATTLE_BIN)/battle-true: bench/battle/battle-true.c
	@mkdir -p $(dir $@)
	$(BATTLE_CC) $(BATTLE_CFLAGS) -nostdlib -fno-stack-protector \
		-fno-asynchronous-unwind-tables $< -o $@

.PHONY: battle battle-small battle-hardened battle-bin battle-report
battle-bin: $(BATTLE_BIN)/battle $(BATTLE_BIN)/battle-true

battle: deps battle-bin
	@bench/battle/battle.py --rounds '$(BATTLE_ROUNDS)' \
		--allocs '$(BATTLE_ALLOCS)' --reps '$(BATTLE_REPS)' \
		--scale '$(BATTLE_SCALE)' --bin '$(BATTLE_BIN)' \
		--clock '$(BATTLE_CLOCK)' $(BATTLE_ARGS)

# The smallest guest the tinyconfig kernels boot in, MemFree/MemAvailable/Slab.
battle-small: deps battle-bin
	@bench/battle/battle.py --profile small --rounds '$(BATTLE_ROUNDS)' \
		--allocs '$(BATTLE_ALLOCS)' --reps '$(BATTLE_REPS)' \
		--bin '$(BATTLE_BIN)' --clock '$(BATTLE_CLOCK)' $(BATTLE_ARGS)

# kernel/configs/hardened.config (memcg, freelist hardening and random
# order, hardened usercopy, init_on_alloc) on SLOBA and SLUB: per allocator
# 7 boots a round -- the plain kernel, the hardened one, and the hardened
# one without each option (3 switched off at boot, 2 by a kernel of their
# own, built from a copy of the hardened build folder): 6 kernels to build.
BATTLE_HARDENED_ALLOCS ?= sloba slub
battle-hardened: deps battle-bin
	@bench/battle/battle.py --profile hardened --rounds '$(BATTLE_ROUNDS)' \
		--allocs '$(BATTLE_HARDENED_ALLOCS)' \
		--reps '$(BATTLE_REPS)' --scale '$(BATTLE_SCALE)' \
		--bin '$(BATTLE_BIN)' --clock '$(BATTLE_CLOCK)' $(BATTLE_ARGS)

BATTLE_JSON = $(BUILD)/bench/battle$(if $(filter wall,$(BATTLE_CLOCK)),-wall).json
battle-report:
	@bench/battle/report.py $(BATTLE_JSON)
	@bench/battle/charts.py $(BATTLE_JSON)

# The battle in the Debian VM (bench/battle/battle_vm.py): kernels from
# Debian's 6.1 configuration, one image with all of them, round-robin boots.
#   make battle-vm [BATTLE_VM_ROUNDS=3] [BATTLE_VM_ALLOCS='sloba slub slab slob']
#                  [BATTLE_CLOCK=icount|wall] [BATTLE_VM_ARGS='--reps 3 ...']
# Each kernel not cached is a build of Debian's configuration (15 min on
# 2 idle cores, longer on shared ones); the boots take ~2 min each (TCG).
# BATTLE_VM_ARGS=--keep keeps the allocators already in battle-vm.json and
# boots only the others (a kernel that finished building later).
# The kernels read the image as NVDIMMs, so icount boots repeat exactly;
# BATTLE_VM_ARGS='--disk virtio' boots them through GRUB from virtio disks.
BATTLE_VM_ROUNDS ?= 3
BATTLE_VM_ALLOCS ?= sloba slub slab slob
BATTLE_VM_ARGS ?=
.PHONY: battle-vm
battle-vm: deps battle-bin
	@bench/battle/battle_vm.py --rounds '$(BATTLE_VM_ROUNDS)' \
		--allocs '$(BATTLE_VM_ALLOCS)' --clock '$(BATTLE_CLOCK)' \
		--bin '$(BATTLE_BIN)' $(BATTLE_VM_ARGS)
