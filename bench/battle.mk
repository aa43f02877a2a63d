# SPDX-License-Identifier: GPL-2.0-only
#
# The allocator battle: SLOBA against SLAB, SLUB and SLOB, each booted in
# QEMU on the same workloads, measured in one run, reported as ratios.
# See bench/battle/battle.py (the host side) and bench/battle/battle.c (the
# guest side).
#
#   make battle [BATTLE_ROUNDS=5] [BATTLE_ALLOCS='sloba slub slab slob']
#               [BATTLE_REPS=5] [BATTLE_SCALE=1] [BATTLE_ARGS='--smp 2 ...']
#   make battle BATTLE_ROUNDS=1          a quick run (~1.5 min with kernels cached)
#   make battle-report                   the table again, from the last run
#
# Output: $(BUILD)/bench/battle.json (one record per measurement and boot),
# the table on stdout and in $(BUILD)/bench/battle.txt, console logs in
# $(BUILD)/bench/battle/logs/.  A full run (20 boots) takes 5-6 min with
# the four kernels cached on a quiet host (~10 min while other builds share
# it), plus 4-9 min per kernel that is not cached (~35-45 min from a clean
# cache): more than the 25 minutes `make bench` allows, so battle is not in
# BENCH_TARGETS (nor in TEST_TARGETS: it measures, it does not test).

BATTLE_ROUNDS ?= 5
BATTLE_ALLOCS ?= sloba slub slab slob
BATTLE_REPS ?= 5
BATTLE_SCALE ?= 1
BATTLE_ARGS ?=
BATTLE_CC ?= gcc
BATTLE_CFLAGS := -static -O2 -Wall -Wextra -Werror
BATTLE_BIN := $(BUILD)/bench/battle/bin

APT_PACKAGES += gcc libc6-dev python3 qemu-system-x86 busybox-static

$(BATTLE_BIN)/battle: bench/battle/battle.c
	@mkdir -p $(dir $@)
	$(BATTLE_CC) $(BATTLE_CFLAGS) $< -o $@

# No C library at all: see the file's top comment.
$(BATTLE_BIN)/battle-true: bench/battle/battle-true.c
	@mkdir -p $(dir $@)
	$(BATTLE_CC) $(BATTLE_CFLAGS) -nostdlib -fno-stack-protector \
		-fno-asynchronous-unwind-tables $< -o $@

.PHONY: battle battle-bin battle-report
battle-bin: $(BATTLE_BIN)/battle $(BATTLE_BIN)/battle-true

battle: deps battle-bin
	@bench/battle/battle.py --rounds '$(BATTLE_ROUNDS)' \
		--allocs '$(BATTLE_ALLOCS)' --reps '$(BATTLE_REPS)' \
		--scale '$(BATTLE_SCALE)' --bin '$(BATTLE_BIN)' $(BATTLE_ARGS)

battle-report:
	@bench/battle/report.py $(BUILD)/bench/battle.json
