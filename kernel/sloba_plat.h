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
#include <linux/string.h>

typedef spinlock_t sloba_lock_t;

/* Boot parameter sloba_debug: every cache is a debug cache. */
extern bool sloba_debug_all;

/* kmem_cache::cpu: the cache's per-cpu freelists. */
typedef struct sloba_cpu __percpu *sloba_cpu_ref_t;

#define SLOBA_MAX_ORDER		(MAX_ORDER - 1)
/*
 * One new slab per refill: a cache touched once on each CPU then holds one
 * slab there, not a batch's worth (the kernel's many small caches make
 * that the footprint that counts).
 */
#define SLOBA_REFILL_SLABS	1

/* What mm/kasan/ keeps in every cache: where its per-object metadata is. */
#ifdef CONFIG_KASAN
#define SLOBA_PLAT_CACHE_FIELDS	struct kasan_cache kasan_info;
#else
#define SLOBA_PLAT_CACHE_FIELDS
#endif

#endif /* MM_SLOBA_PLAT_H */
