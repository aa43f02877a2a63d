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
 *   CONSISTENCY_CHECKS), EINVAL, ENOMEM, EBUSY, NUMA_NO_NODE,
 *   READ_ONCE(), WRITE_ONCE() (for fields other CPUs read or write
 *   without a lock), and
 *
 *   struct sloba_track  what SLAB_STORE_USER records of an allocation or
 *                     a free (a stack, a task, a time...)
 *   sloba_lock_t      a lock usable with interrupts off (kernel: spinlock)
 *   sloba_cpu_ref_t   what kmem_cache::cpu holds to find a CPU's state
 *   plat_xchg(p, v), plat_cmpxchg(p, old, new)
 *                     atomic exchange and compare-and-exchange of a
 *                     pointer, each a full barrier (the barn)
 *   SLOBA_CACHELINE_ALIGNED  aligns a structure to a cache line
 *   SLOBA_PLAT_CACHE_FIELDS  members the platform adds to struct
 *                     kmem_cache (may be empty)
 *   SLOBA_MAX_ORDER   the largest order the page allocator hands out
 *   SLOBA_REFILL_SLABS  how many new slabs a dry cache may take at once
 *                     to refill a CPU's batch (1 puts footprint first)
 *   SLOBA_BARN_BYTES  how much a node's barn may hold per cache, in bytes
 *                     of free objects (it holds at least two chains)...
 *   SLOBA_BARN_SLOTS  ...and at most this many chains
 *   SLOBA_BARN_MIN_BYTES  how much it holds until CPUs passing objects to
 *                     each other show that it is too small (at most
 *                     SLOBA_BARN_BYTES; equal to it: a fixed budget)
 *   SLOBA_CHAIN_BYTES how many bytes of objects a CPU's main list may hold
 *                     beyond the core's own table (0: the table)
 *   SLOBA_KMALLOC_MINALIGN  every kmalloc object is aligned so (the
 *                     kernel's ARCH_KMALLOC_MINALIGN); class sizes are
 *                     rounded up to it
 *   SLOBA_KMALLOC_TYPES  sets of kmalloc caches (1: one set)
 *   SLOBA_NO_SANITIZE a function attribute: the core reads and writes
 *                     inside free objects (the freelist link, the poison
 *                     check of debug caches), which a sanitizer that
 *                     poisons free objects must not report (userspace
 *                     ASan: no_sanitize_address; the kernel: empty, as it
 *                     builds the core without KASAN instrumentation)
 *   plat_link_open(link), plat_link_close(link)
 *                     bracket each such access to the link word of a free
 *                     object (Valgrind: make it accessible, then not;
 *                     elsewhere: nothing)
 *
 *   struct slab       the descriptor of a slab's first page (may still be
 *                     incomplete here), with at least
 *     struct list_head slab_list;      on one of the cache's lists
 *     struct rcu_head rcu_head;        may share memory with slab_list
 *     struct kmem_cache *slab_cache;
 *     void *freelist;                  LIFO of free objects
 *     unsigned int inuse, carved, objects; (16 bits are enough)
 *     unsigned int order;              the slab's pages: 2^order
 *     unsigned int random_start;       where a randomized slab starts in
 *                                      the cache's random_seq
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
 *   bool plat_stats_enabled(void) count fast-path events too (a constant)
 *   bool plat_freelist_hardened(void) store links obfuscated (a constant)
 *   unsigned int plat_random(void) a random number (for hardening and for
 *                                random slab layouts)
 *   swab(x)                      x's bytes in reverse order
 *   unsigned int plat_nr_nodes(void)  NUMA nodes: struct kmem_cache ends
 *                                with this many struct sloba_node
 *   int plat_local_nid(void)     this CPU's node (memory-wise nearest)
 *   int plat_slab_nid(slab)      the node a slab's pages are on
 *   bool plat_pfmemalloc_active(void)  are memory reserves guarded (the
 *                                kernel's sk_memalloc_socks())?  Then
 *   bool plat_slab_pfmemalloc(slab)  marks a slab made of reserve pages
 *                                (plat_slab_alloc sets the mark only then)
 *   bool plat_pfmemalloc_allowed(gfp)  may this caller use the reserves?
 *   unsigned int plat_kmalloc_gfp_type(gfp)  which set of kmalloc caches
 *                                serves @gfp (0: normal)
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
 * page allocator need not try hard nor warn.  The pages come from node
 * @nid if it has any to give (NUMA_NO_NODE: anywhere).  The core initialises every
 * field of the descriptor it names above.
 */
struct slab *plat_slab_alloc(struct kmem_cache *s, gfp_t gfp,
			     unsigned int order, bool may_fail, int nid);
void plat_slab_free(struct kmem_cache *s, struct slab *slab);

/* Allocations too big for a size class, straight from the pages. */
void *plat_large_alloc(size_t size, gfp_t gfp, int nid);
void plat_large_free(const void *p);
/* The usable size of a large allocation, 0 if p does not start one. */
size_t plat_large_size(const void *p);

/*
 * kmalloc type @t (0 < t < SLOBA_KMALLOC_TYPES): false if it shares the
 * normal caches, else true with the prefix of its caches' names and their
 * creation flags.  Type 0 is "kmalloc-" with no flags.
 */
bool plat_kmalloc_type(unsigned int t, const char **prefix,
		       slab_flags_t *flags);

/*
 * Zeroed memory for the struct kmem_cache of kmalloc type @t, class @i,
 * with its plat_nr_nodes() nodes (SLOBA_CACHE_SIZE()), cache-line
 * aligned; NULL if there is none.  Called by sloba_init(), once each.
 */
struct kmem_cache *plat_kmalloc_cache_struct(unsigned int t, unsigned int i);

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

typedef void sloba_cpu_visit_t(struct kmem_cache *s, struct sloba_cpu *c,
			  void *arg);

/*
 * Call @fn(s, c, arg) for every CPU state of @s there is (or every one that
 * is in use), while its owner may be using it: @fn only reads, with
 * READ_ONCE().  Statistics use it.
 */
void plat_visit_cpu_lists(struct kmem_cache *s, sloba_cpu_visit_t *fn,
			  void *arg);

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
/*
 * After a report about object @obj of a debug cache: say what is known of
 * it (its tracks, its bytes), or nothing.
 */
void plat_print_object(struct kmem_cache *s, void *obj);
/* SLAB_STORE_USER: fill @t for an allocation or free happening now. */
void plat_set_track(struct kmem_cache *s, struct sloba_track *t);
__printf(2, 3) void plat_report_leak(struct kmem_cache *s, const char *fmt,
				     ...);

#endif /* SLOBA_PLATFORM_H */
