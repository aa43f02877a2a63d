/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_plat.h - the userspace side of the platform contract
 * (core/sloba_platform.h), first half: kernel-style names mapped onto libc,
 * pthreads and liburcu, and the types the core's structures are made of,
 * the page descriptor among them.  The helpers of the fast path are in
 * sloba_plat_inline.h; the out-of-line half lives in pages.c (page
 * allocator) and threads.c (per-thread freelists).
 */
#ifndef SLOBA_PLAT_H
#define SLOBA_PLAT_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <urcu/urcu-memb.h>
#include <urcu/list.h>
#include "libsloba.h"
#include "sanitize.h"	/* SLOBA_NO_SANITIZE, plat_link_open/close */

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#ifndef __always_inline
#define __always_inline	inline __attribute__((always_inline))
#endif
#define noinline	__attribute__((noinline))
#define ALIGN(x, a)	(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define max_t(type, a, b) max((type)(a), (type)(b))
#define min_t(type, a, b) min((type)(a), (type)(b))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define container_of(p, type, member) caa_container_of(p, type, member)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * RCU from liburcu's memb flavour (no reader registration needed here).
 * liburcu hands callbacks to its worker thread with atomics that
 * ThreadSanitizer does not see, so under TSan call_rcu() and the callback
 * (plat_rcu_enter) tell it about that ordering themselves.
 */
#if defined(__SANITIZE_THREAD__)
#define SLOBA_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SLOBA_TSAN 1
#endif
#endif

#ifdef SLOBA_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define plat_rcu_enter(head)	__tsan_acquire(head)
#else
#define __tsan_acquire(addr)	((void)(addr))
#define __tsan_release(addr)	((void)(addr))
#define plat_rcu_enter(head)	((void)(head))
#endif

static inline void call_rcu(struct rcu_head *head,
			    void (*fn)(struct rcu_head *head))
{
	__tsan_release(head);
	urcu_memb_call_rcu(head, fn);
}

/* Every slab freed by a callback (plat_slab_free releases this token). */
extern int sloba_rcu_token;
static inline void rcu_barrier(void)
{
	urcu_memb_barrier();
	__tsan_acquire(&sloba_rcu_token);
}

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define SLOBA_MAX_ORDER	10	/* blocks of up to 4 MiB, as Linux */
/*
 * A cache that runs dry takes slabs for a whole CPU batch at once: a thread
 * allocating thousands of 2 KiB objects then takes the cache lock once per
 * batch, not once per two objects.
 */
#define SLOBA_REFILL_SLABS	8
/*
 * A barn holds up to 8 MiB of free objects per cache, in at most 64
 * chains: threads that batch thousands of objects, or pass them to each
 * other, trade whole chains through it instead of walking them back to
 * their slabs and their pages back to the page allocator.
 */
#define SLOBA_BARN_BYTES	(8U << 20)
#define SLOBA_BARN_MIN_BYTES	SLOBA_BARN_BYTES
#define SLOBA_BARN_SLOTS	64
/* A thread may keep up to 60 objects of any class up to 4 KiB, twice. */
#define SLOBA_CHAIN_BYTES	(240U << 10)

/*
 * One set of kmalloc caches, 8-byte aligned as on x86-64 Linux (the malloc
 * build may ask for more).
 */
#define SLOBA_KMALLOC_TYPES	1
#ifndef SLOBA_KMALLOC_MINALIGN
#define SLOBA_KMALLOC_MINALIGN	8
#endif

/* One node; struct kmem_cache gets nothing of the platform's own. */
#define NUMA_NO_NODE		(-1)
#define SLOBA_PLAT_CACHE_FIELDS
#define SLOBA_CACHELINE_ALIGNED	__attribute__((aligned(64)))

/*
 * Atomics, with the ordering the core expects: READ_ONCE/WRITE_ONCE are
 * relaxed atomic accesses (so ThreadSanitizer knows they are meant to
 * race), the exchanges are full barriers.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define plat_xchg(p, v)		__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
static inline void *plat_cmpxchg(void **p, void *old, void *new)
{
	__atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return old;
}

typedef unsigned int gfp_t;
typedef unsigned int slab_flags_t;
#define __GFP_ZERO		SLOBA_GFP_ZERO
#define __GFP_NOWARN		SLOBA_GFP_NOWARN
#define SLAB_CONSISTENCY_CHECKS	SLOBA_CONSISTENCY_CHECKS
#define SLAB_RED_ZONE		SLOBA_RED_ZONE
#define SLAB_POISON		SLOBA_POISON
#define SLAB_HWCACHE_ALIGN	SLOBA_HWCACHE_ALIGN
#define SLAB_STORE_USER		SLOBA_STORE_USER
#define SLAB_PANIC		SLOBA_PANIC
#define SLAB_TYPESAFE_BY_RCU	SLOBA_TYPESAFE_BY_RCU
#define SLAB_NO_USER_FLAGS	0	/* no self-test caches here */

#define ZERO_SIZE_PTR		SLOBA_ZERO_SIZE_PTR
#define ZERO_OR_NULL_PTR(p)	((uintptr_t)(p) <= (uintptr_t)ZERO_SIZE_PTR)

/* The kernel's list API on liburcu's lists. */
#define list_head		cds_list_head
#define INIT_LIST_HEAD		CDS_INIT_LIST_HEAD
#define LIST_HEAD		CDS_LIST_HEAD
#define list_add		cds_list_add
#define list_add_tail		cds_list_add_tail
#define list_del		cds_list_del
#define list_move		cds_list_move
#define list_empty		cds_list_empty
#define list_entry		cds_list_entry
#define list_first_entry	cds_list_first_entry
#define list_for_each_entry	cds_list_for_each_entry
#define list_for_each_entry_safe cds_list_for_each_entry_safe
#define list_first_entry_or_null(h, type, member) \
	(list_empty(h) ? NULL : list_entry((h)->next, type, member))
static inline void list_splice_init(struct list_head *from,
				    struct list_head *to)
{
	if (!list_empty(from)) {
		cds_list_splice(from, to);
		INIT_LIST_HEAD(from);
	}
}

typedef pthread_mutex_t sloba_lock_t;

/* SLAB_STORE_USER: the thread and the innermost callers (api.c). */
struct sloba_track {
	void *callers[4];
	int tid;
};

/*
 * kmem_cache::cpu: where the cache's per-thread slot lies, as an offset
 * from the thread pointer (the same in every thread for static TLS).
 */
typedef long sloba_cpu_ref_t;

/*
 * The page descriptor: one per page of the arena, one cache line each.
 * Every page's descriptor names the slab the page belongs to (its first
 * page's descriptor), so an address finds its slab with one load, and for
 * a one-page slab that load and the next (slab_cache) share a line.  It is
 * NULL for free pages and large allocations.  (A separate page -> slab
 * array, as first written, lay 768 MiB past the descriptors: the same
 * address bits 0-27, and on this AMD host page 0's kfree then ran at
 * twice the cost, the two lines apparently evicting each other through the
 * L1's way predictor, which is keyed by a hash of the linear address.)
 */
enum sloba_page_kind {
	PAGE_UNUSED,		/* inside a block, or not handed out */
	PAGE_FREE,		/* first page of a block on a buddy list */
	PAGE_CACHED,		/* ... of a block on a thread's own list */
	PAGE_SLAB,
	PAGE_LARGE,
};

struct slab {
	struct slab *head;		/* slab of this page, or NULL */
	union {
		struct list_head slab_list;	/* cache list or buddy list */
		struct rcu_head rcu_head;	/* waiting for a grace period */
	};
	struct kmem_cache *slab_cache;
	void *freelist;
	unsigned int inuse;
	unsigned int carved;
	unsigned int objects;
	unsigned int random_start;	/* never used: no random layout */
	unsigned char kind;		/* enum sloba_page_kind */
	unsigned char order;		/* block order, first page only */
	unsigned char dirty;		/* free block may still be resident */
	unsigned char pfmemalloc;	/* a reserve slab (harden.c) */
	unsigned char pad[4];		/* to one cache line: the array starts
					 * page-aligned (not an alignment
					 * attribute, which lists' on-stack
					 * heads could not honour) */
};
_Static_assert(sizeof(struct slab) == 64, "one page descriptor per line");

/* The arena: set once at start-up, read without locks afterwards. */
struct sloba_arena {
	char *base;
	size_t bytes;
	struct slab *desc;
};
extern struct sloba_arena sloba_arena;

/* Set up the arena, the kmalloc caches and the thread tables, once. */
void sloba_user_init(void);

#endif /* SLOBA_PLAT_H */
