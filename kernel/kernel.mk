# SPDX-License-Identifier: GPL-2.0-only
#
# Kernel integration: build a 6.1 test kernel per slab allocator, boot it in
# QEMU, debug it with gdb, and run the kernel test suites.  See
# kernel/README.md.
#
#   make kernel [ARCH=arm64] [ALLOC=sloba] [CONFIGS='debug.config ...']
#   make run    [ARCH=arm64] [ALLOC=sloba] [CONFIGS=...] [EXTRA=dir] [CMD='command']
#   make gdb    [ALLOC=sloba] [CONFIGS=...] [CMD='command']     (x86_64)
#   make test-kernel [TEST_KERNEL_ALLOCS='sloba slub ...']
#   make test-kernel-arm64                the guest suites on arm64 (SLOBA)
#   make test-kernel-debug [DEBUG_ALLOC=slub]
#                          the guest suites, kasan_test, kfence_test, memcg,
#                          FAILSLAB and LKDTM on a debug.config kernel
#   make kunit  [KUNIT='sloba ...']
#   make checkpatch
#   make patches           SLOBA as a `git am` series for pristine 6.1 in
#                          $(BUILD)/patches (kernel/mkpatches.sh)

ALLOC ?= sloba
CONFIGS ?=
EXTRA ?=
CMD ?=
KUNIT ?=
# The debug kernel's allocator; SLOBA's runs with sloba_debug (every cache
# checked and poisoned, as slub_debug would).  Both boot with two NUMA
# nodes (numa=fake=2: debug.config has NUMA_EMU), so per-node paths run.
DEBUG_ALLOC ?= sloba
DEBUG_APPEND ?= $(if $(filter sloba,$(DEBUG_ALLOC)),sloba_debug) numa=fake=2
# The allocators `make test-kernel` (and so `make test`) runs the QEMU
# suites on.  Each costs a clean kernel build (~5 min on 2 cores) in CI.
TEST_KERNEL_ALLOCS ?= sloba

KERNEL_BUILD_ARGS = $(if $(ARCH),--arch $(ARCH)) --alloc $(ALLOC) \
	$(foreach c,$(CONFIGS),--config $(c))

TEST_TARGETS += test-kernel test-kernel-arm64 test-kernel-debug
APT_PACKAGES += build-essential flex bison bc libelf-dev libssl-dev dwarves \
	cpio kmod perl python3 git xz-utils linux-source-6.1 \
	busybox-static fakeroot qemu-system-x86 gdb util-linux coreutils procps \
	clang lld llvm qemu-system-arm

.PHONY: kernel run gdb test-kernel test-kernel-arm64 test-kernel-debug kunit \
	checkpatch patches

kernel: deps
	@kernel/build.sh $(KERNEL_BUILD_ARGS)

# CMD and EXTRA are taken unexpanded ($(value ...)), so a command like
# CMD='echo $(uname -r)' reaches the guest as typed; the recipe quotes them.
shell_quote = '$(subst ','\'',$(1))'
RUN_CMD = $(call shell_quote,$(value CMD))
RUN_EXTRA = $(call shell_quote,$(value EXTRA))

run: deps
	@bz=$$(kernel/build.sh $(KERNEL_BUILD_ARGS)) || exit 1; \
	set -- --kernel "$$bz"; \
	[ -z $(RUN_EXTRA) ] || set -- "$$@" --extra $(RUN_EXTRA); \
	[ -z $(RUN_CMD) ] || set -- "$$@" --cmd $(RUN_CMD); \
	exec guest/boot.sh "$$@"

gdb: deps
	@set -- $(KERNEL_BUILD_ARGS); \
	[ -z $(RUN_CMD) ] || set -- "$$@" --cmd $(RUN_CMD); \
	exec kernel/gdb.sh "$$@"

# Every suite runs even when an earlier one failed; each records its own
# counts as test-kernel-<suite>-<alloc>.  The generated series is checked
# after the kernels are built: it must give the very tree they came from.
test-kernel: deps
	@status=0; \
	kernel/checkpatch.sh --record test-kernel-checkpatch || status=1; \
	for a in $(TEST_KERNEL_ALLOCS); do \
		kernel/test-kernel.sh --alloc $$a || status=1; \
	done; \
	kernel/mkpatches.sh --record test-kernel-patches || status=1; \
	kernel/kunit.sh --record test-kernel-kunit $(KUNIT) || status=1; \
	exit $$status

# The guest suites on arm64 (cross-built, qemu-system-aarch64 -M virt).
test-kernel-arm64: deps
	@kernel/test-kernel.sh --arch arm64 --alloc sloba --record test-kernel-arm64

# The guest suites plus the sanitizer and distribution suites on a
# debug.config kernel (KASAN, KFENCE, lockdep, PROVE_RCU, DEBUG_VM, ...).
test-kernel-debug: deps
	@kernel/test-kernel.sh --alloc $(DEBUG_ALLOC) --config debug.config \
		--record test-kernel-debug \
		$(if $(DEBUG_APPEND),--append '$(DEBUG_APPEND)')

kunit: deps
	@kernel/kunit.sh $(KUNIT)

checkpatch: deps
	@kernel/checkpatch.sh

patches: deps
	@kernel/mkpatches.sh -o $(BUILD)/patches
