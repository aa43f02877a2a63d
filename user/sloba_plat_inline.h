/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_plat_inline.h - the userspace side of the platform contract, second
 * half: the inline helpers of the core's fast and slow paths.  They need
 * struct kmem_cache, so the core includes this after sloba.h.
 */
#ifndef SLOBA_PLAT_INLINE_H
#define SLOBA_PLAT_INLINE_H

#include "sloba.h"

/*
 * Cache locks are held for a batch of list operations: spin a little
 * before sleeping (glibc's adaptive mutex), as the kernel's spinlock would.
 */
static inline void plat_lock_init(sloba_lock_t *l)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(l, &attr);
	pthread_mutexattr_destroy(&attr);
}
#define plat_lock(l, flags)	((void)(flags), pthread_mutex_lock(l))
#define plat_unlock(l, flags)	((void)(flags), pthread_mutex_unlock(l))

/* Also right for NULL and ZERO_SIZE_PTR: they are below the arena. */
static inline struct slab *plat_virt_to_slab(const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)sloba_arena.base;

	if (unlikely(off >= sloba_arena.bytes))
		return NULL;
	return sloba_arena.desc[off >> PAGE_SHIFT].head;
}

static inline void *plat_slab_addr(const struct slab *slab)
{
	return sloba_arena.base + ((size_t)(slab - sloba_arena.desc) << PAGE_SHIFT);
}

/*
 * Per-thread freelists (threads.c): a static TLS array, one slot per cache,
 * reached from the thread pointer in one access.
 */
#define SLOBA_TLS_SLOTS		256
extern __thread struct sloba_cpu sloba_tls_slots[SLOBA_TLS_SLOTS]
	__attribute__((tls_model("initial-exec")));
static __always_inline struct sloba_cpu *plat_cpu_get(struct kmem_cache *s,
							unsigned long *flags)
{
	*flags = 0;
	return (struct sloba_cpu *)((char *)__builtin_thread_pointer() + s->cpu);
}

#define plat_cpu_put(s, flags)	((void)(s), (void)(flags))

#define plat_want_init_on_alloc(gfp, s)	((gfp) & __GFP_ZERO)
#define plat_want_init_on_free(s)	((void)(s), false)

extern bool sloba_user_debug_all;
#define plat_debug_all()	(sloba_user_debug_all)

/* libsloba always counts, fast paths included. */
#define plat_stats_enabled()	true

/*
 * The kernel's freelist hardening and random slab layouts, only in the
 * build that tests them (SLOBA_HARDENED=1, harden.c).
 */
#ifndef SLOBA_HARDENED
#define SLOBA_HARDENED			0
#endif
#define plat_freelist_hardened()	(SLOBA_HARDENED != 0)
unsigned int sloba_user_random(void);
#define plat_random()			sloba_user_random()
#define swab(x)				__builtin_bswap64(x)
void sloba_user_random_seq(struct kmem_cache *s, bool boot);
void sloba_user_random_seq_free(struct kmem_cache *s);

/*
 * Memory reserves, emulated in the test build (SLOBA_RESERVES=1, harden.c)
 * so the core's handling of reserve slabs is tested; elsewhere there are
 * none.
 */
#ifndef SLOBA_RESERVES
#define SLOBA_RESERVES			0
#endif
extern bool sloba_user_reserves;
#define plat_pfmemalloc_active() \
	(SLOBA_RESERVES && __atomic_load_n(&sloba_user_reserves, __ATOMIC_RELAXED))
#define plat_slab_pfmemalloc(slab)	((slab)->pfmemalloc != 0)
#define plat_pfmemalloc_allowed(gfp)	(((gfp) & SLOBA_GFP_MEMALLOC) != 0)

#define plat_kmalloc_gfp_type(gfp)	((void)(gfp), 0U)

/* One node. */
#define plat_nr_nodes()		1U
#define plat_local_nid()	0
#define plat_slab_nid(slab)	((void)(slab), 0)
/* No per-object metadata of its own; new objects only need their ctor. */
#define plat_cache_layout(s, size)	((void)(s), (void)(size))
#define plat_want_construct(s)		((s)->ctor != NULL)
#define plat_obj_construct(s, obj)	((s)->ctor(obj))

#endif /* SLOBA_PLAT_INLINE_H */
