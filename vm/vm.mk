# SPDX-License-Identifier: GPL-2.0-only
#
# A real Debian 12 system on SLOBA (vm/README.md): Debian's own 6.1
# configuration with the slab allocator switched, packaged with
# `make bindeb-pkg`, installed in a Debian VM image with dpkg -i and booted
# by the image's GRUB.
#
#   make vm [ALLOC=sloba] [CMD='command'] [VM_ARGS='--mem 4G ...']
#   make vm-kernel [ALLOC=sloba]    the .deb packages (paths printed)
#   make vm-image                   the base image (path printed)
#   make test-vm [VM_STRESS_SECONDS=60]
#   make vm-perf CMD='command' [ALLOCS='sloba slub'] [VM_PERF_ARGS='--top 40']
#                                   perf in the VM, per allocator (vm/perf.sh);
#                                   the battle's programs in /run/sloba-ctl/battle
#
# Not in TEST_TARGETS: from a cold cache test-vm builds Debian's
# configuration (15 min on 2 idle cores) and the image, which together
# does not fit `make test`'s 60 minutes; see vm/README.md for its cost.

VM_ARGS ?=
VM_STRESS_SECONDS ?= 60
APT_PACKAGES += mmdebstrap linux-config-6.1 linux-source-6.1 qemu-system-x86 \
	qemu-utils e2fsprogs fdisk dpkg-dev fakeroot rsync kmod cpio bc flex bison \
	libelf-dev libssl-dev xz-utils python3

vm_quote = '$(subst ','\'',$(1))'
VM_CMD = $(call vm_quote,$(value CMD))

.PHONY: vm vm-kernel vm-image test-vm vm-perf

vm: deps
	@set -- --alloc $(or $(ALLOC),sloba) $(VM_ARGS); \
	[ -z $(VM_CMD) ] || set -- "$$@" --cmd $(VM_CMD); \
	exec vm/vm.sh "$$@"

vm-kernel: deps
	@vm/kernel.sh --alloc $(or $(ALLOC),sloba)

vm-image: deps
	@vm/mkimage.sh

test-vm: deps
	@VM_STRESS_SECONDS=$(VM_STRESS_SECONDS) vm/test-vm.sh

VM_PERF_ARGS ?=
vm-perf: deps battle-bin
	@[ -n $(VM_CMD) ] || { echo "make vm-perf: CMD='command' is required" >&2; exit 2; }; \
	exec vm/perf.sh $(foreach a,$(or $(ALLOCS),$(ALLOC),sloba),--alloc $(a)) \
		--ctl-add '$(BATTLE_BIN):battle' $(VM_PERF_ARGS) $(VM_CMD)
