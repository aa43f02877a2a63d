# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel benchmarks of bench/kernel/ (see bench/kernel/README.md):
#
#   make bench-kernel [BENCH_KERNEL_ARGS='--boots 5 --reps 10 --allocs ...']
#       slab micro-benchmark built into UML kernels (SLOBA, SLUB, SLAB, SLOB),
#       native speed, one CPU -> $(BUILD)/bench/kernel.json and kernel.txt
#   make bench-prodcons-kernel [BENCH_PRODCONS_KERNEL_ARGS='--boots 1 --parallel -- pairs=...']
#       producer/consumer across two CPUs, a module on x86-64 QEMU guests
#       -> platform "kernel" records of $(BUILD)/bench/prodcons.json
#
# bench-kernel is part of `make bench`.  bench-prodcons-kernel is not: its four
# x86-64 kernels (with tracepoints) take 25-40 minutes to build from a
# cold cache on this machine, more than `make bench` allows.

BENCH_KERNEL_ARGS ?=
BENCH_PRODCONS_KERNEL_ARGS ?=

APT_PACKAGES += build-essential flex bison bc libelf-dev libssl-dev cpio kmod \
	python3 xz-utils linux-source-6.1 qemu-system-x86 busybox-static
BENCH_TARGETS += bench-kernel

.PHONY: bench-kernel bench-prodcons-kernel
bench-kernel: deps
	@bench/kernel/run-uml-bench.sh $(BENCH_KERNEL_ARGS)

bench-prodcons-kernel: deps
	@bench/kernel/run-prodcons.sh $(BENCH_PRODCONS_KERNEL_ARGS)
