/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_platform.h - the contract between the SLOBA core and a platform.
 *
 * The core (sloba.c) is the same file in the Linux kernel, in UML for
 * KUnit, and in the userspace library.  Everything it needs from the world
 * around it is listed here and nowhere else.  A platform provides two
 * headers, found through the include path, and links in the out-of-line
 * functions declared at the end of this file:
 *
 * "sloba_plat.h", included here, before struct kmem_cache exists:
 *   size_t, uintptr_t, bool, NULL, gfp_t, slab_flags_t, struct list_head
 *   and the kernel's list_* helpers, struct rcu_head, call_rcu(),
 *   rcu_barrier(), likely(), unlikely(), __always_inline, noinline, ALIGN(),
 *   DIV_ROUND_UP(), ARRAY_SIZE(), min(), max(), min_t(), max_t(), clamp(),
 *   container_of(), memset(), memcpy(),
 *   snprintf(), __printf(), PAGE_SIZE, PAGE_SHIFT, ZERO_SIZE_PTR,
 *   ZERO_OR_NULL_PTR(), __GFP_ZERO, __GFP_NOWARN, the SLAB_* creation
 *   flags (HWCACHE_ALIGN, TYPESAFE_BY_RCU, POISON, RED_ZONE, STORE_USER,
 *   CONSISTENCY_CHECKS), EINVAL, ENOMEM, EBUSY, and
 *
 *   sloba_lock_t      a lock usable with interrupts off (kernel: spinlock)
 *   sloba_cpu_ref_t   what kmem_cache::cpu holds to find a CPU's state
 *   SLOBA_MAX_ORDER   the largest order the page allocator hands out
 *   SLOBA_REFILL_SLABS  how many new slabs a dry cache may take at once
 *                     to refill a CPU's batch (1 puts footprint first)
 *   SLOBA_PLAT_CACHE_FIELDS  member declarations appended to struct
 *                     kmem_cache for the platform's own use (may be
 *                     empty; the kernel keeps KASAN's kasan_info there)
 *
 *   struct slab       the descriptor of a slab's first page (may still be
 *                     incomplete here), with at least
 *     struct list_head slab_list;      on one of the cache's lists
 *     struct rcu_head rcu_head;        may share memory with slab_list
 *     struct kmem_cache *slab_cache;
 *     void *freelist;                  LIFO of free objects
 *     unsigned int inuse, carved, objects; (16 bits are enough)
 *     unsigned int order;              the slab's pages: 2^order
 *
 * "sloba_plat_inline.h", included by the core after sloba.h, so its
 * helpers may use struct kmem_cache and must complete struct slab:
 *   plat_lock_init(l), plat_lock(l, &flags), plat_unlock(l, flags)
 *   struct sloba_cpu *plat_cpu_get(s, &flags)
 *       this CPU's (thread's) state for cache s, pinned until
 *       plat_cpu_put(s, flags): the kernel disables interrupts.
 *   struct slab *plat_virt_to_slab(p)
 *       the slab holding address p, or NULL when p is not in a slab page
 *       (NULL and ZERO_SIZE_PTR included).
 *   void *plat_slab_addr(slab)   address of the slab's first byte
 *   bool plat_want_init_on_alloc(gfp, s), plat_want_init_on_free(s)
 *       zero objects on allocation / on free (init_on_alloc=, init_on_free=
 *       in the kernel; __GFP_ZERO is part of the first).
 *   bool plat_debug_all(void)    treat every cache as a debug cache
 *   plat_cache_layout(s, &size)  called by sloba_cache_setup() once the
 *       object and its free link are placed in size bytes: the platform
 *       may append per-object metadata by growing size (and set flags in
 *       s->flags); the core then aligns size and keeps ksize() at the
 *       object's usable bytes (the kernel's kasan_cache_create()).
 *   bool plat_want_construct(s)  objects of s need building the first
 *       time they leave a new slab; if so the core calls
 *   plat_obj_construct(s, obj)   once per such object, before it is
 *       handed out or cached: runs s->ctor, with whatever the platform
 *       does around it (KASAN unpoisons the object for the ctor and sets
 *       up its metadata).
 *   plat_rcu_enter(head)         first thing in an RCU callback (userspace
 *                                uses it to inform ThreadSanitizer)
 */
#ifndef SLOBA_PLATFORM_H
#define SLOBA_PLATFORM_H

#include "sloba_plat.h"

struct kmem_cache;
struct sloba_cpu;

/*
 * Pages.  plat_slab_alloc() returns the descriptor of 2^order fresh pages
 * that plat_virt_to_slab() maps to it, or NULL (without reporting: the
 * core decides); with may_fail, a smaller order will be tried next, so the
 * page allocator need not try hard nor warn.  The core initialises every
 * field of the descriptor it names above.
 */
struct slab *plat_slab_alloc(struct kmem_cache *s, gfp_t gfp,
			     unsigned int order, bool may_fail);
void plat_slab_free(struct kmem_cache *s, struct slab *slab);

/* Allocations too big for a size class, straight from the pages. */
void *plat_large_alloc(size_t size, gfp_t gfp);
void plat_large_free(const void *p);
/* The usable size of a large allocation, 0 if p does not start one. */
size_t plat_large_size(const void *p);

/*
 * Per-CPU (or per-thread) state.  plat_cache_cpu_init() sets up
 * kmem_cache::cpu with every CPU's state empty; plat_cache_cpu_release()
 * frees it after the core drained everything.  plat_cpu_activate() is
 * called on a CPU whose limit is 0 in a cache that wants caching: return
 * true to allow it (userspace registers the thread so its objects go back
 * when it exits).
 */
int plat_cache_cpu_init(struct kmem_cache *s);
void plat_cache_cpu_release(struct kmem_cache *s);
bool plat_cpu_activate(struct kmem_cache *s, struct sloba_cpu *c);

/*
 * Call sloba_cpu_drain(s, c) for CPU states of s.  all == true (cache
 * shutdown): every CPU or thread, the caller guaranteeing that nobody uses
 * the cache any more.  all == false (shrink): at least the caller's own;
 * the kernel does every CPU.
 */
void plat_drain_cpus(struct kmem_cache *s, bool all);

/*
 * A misuse or corruption found by the core (s is NULL when unknown): the
 * kernel WARNs.  plat_report_leak() lists what a dying cache still holds,
 * one line each: the kernel prints it (its caller WARNs once).
 */
__printf(2, 3) void plat_report(struct kmem_cache *s, const char *fmt, ...);
__printf(2, 3) void plat_report_leak(struct kmem_cache *s, const char *fmt,
				     ...);

#endif /* SLOBA_PLATFORM_H */
