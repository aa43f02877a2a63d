# SPDX-License-Identifier: GPL-2.0-only
# gdb commands for a kernel that QEMU started halted (guest/boot.sh --gdb):
# connect to QEMU's gdb server, stop in the slab allocator's bring-up and
# hand over.  kernel/gdb.sh loads vmlinux (and the kernel's lx-* helper
# commands when vmlinux-gdb.py loads) before running this file.
set pagination off
set confirm off
set print pretty on
target remote :1234
# A hardware breakpoint holds even before the kernel's page tables are set.
hbreak kmem_cache_init
continue
echo \n=== stopped in kmem_cache_init: "bt", "next", "p *kmem_cache", "lx-dmesg", "continue" ===\n
