/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_plat.h - the Linux side of SLOBA's platform contract
 * (sloba_platform.h), first half: the types struct kmem_cache is made of.
 * The kernel already has every kernel-style name the core uses; struct
 * slab is the SLOBA variant in mm/slab.h.  mm/slab.h includes sloba.h,
 * which includes this, so nothing here may include mm/slab.h.
 */
#ifndef MM_SLOBA_PLAT_H
#define MM_SLOBA_PLAT_H

#include <linux/gfp.h>
#include <linux/kasan.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stackdepot.h>
#include <linux/string.h>

typedef spinlock_t sloba_lock_t;

/* SLAB_STORE_USER: a stack in the stack depot, the task, the time. */
struct sloba_track {
	depot_stack_handle_t handle;
	int cpu;
	int pid;
	unsigned long when;
};

/* Boot parameter sloba_debug: every cache is a debug cache. */
extern bool sloba_debug_all;

/* kmem_cache::cpu: the cache's per-cpu lists. */
typedef struct sloba_cpu __percpu *sloba_cpu_ref_t;

#define SLOBA_CACHELINE_ALIGNED	____cacheline_aligned_in_smp
#define plat_xchg(p, v)		xchg(p, v)
#define plat_cmpxchg(p, o, n)	cmpxchg(p, o, n)

#define SLOBA_MAX_ORDER		(MAX_ORDER - 1)
/*
 * One new slab per refill: a cache touched once on each CPU then holds one
 * slab there, not a batch's worth (the kernel's many small caches make
 * that the footprint that counts).
 */
#define SLOBA_REFILL_SLABS	1
/*
 * A node's barn holds 64 KiB of free objects per cache (at least two
 * chains), growing up to 1 MiB (at most 16 chains: the slots are part of
 * every cache) only while CPUs pass objects to each other faster than
 * 64 KiB carries them; the reaper shrinks it back and gives back what
 * nobody takes, the shrinker at once.  CPU lists keep the core's sizes.
 */
#define SLOBA_BARN_MIN_BYTES	(64U << 10)
#define SLOBA_BARN_BYTES	(1U << 20)
#define SLOBA_BARN_SLOTS	16
#define SLOBA_CHAIN_BYTES	0

/* kmalloc: the kernel's types of memory and its DMA-safe alignment. */
#define SLOBA_KMALLOC_TYPES	NR_KMALLOC_TYPES
#define SLOBA_KMALLOC_MINALIGN	ARCH_KMALLOC_MINALIGN

/* SLOBA does not poison free objects for KASAN: nothing to exempt. */
#define SLOBA_NO_SANITIZE
#define plat_link_open(link)	do { } while (0)
#define plat_link_close(link)	do { } while (0)

/* What mm/kasan/ keeps in every cache: where its per-object metadata is. */
#ifdef CONFIG_KASAN
#define SLOBA_PLAT_CACHE_FIELDS	struct kasan_cache kasan_info;
#else
#define SLOBA_PLAT_CACHE_FIELDS
#endif

#endif /* MM_SLOBA_PLAT_H */
