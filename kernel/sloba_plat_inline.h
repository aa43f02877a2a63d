/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_plat_inline.h - the Linux side of SLOBA's platform contract, second
 * half: the helpers of the core's fast and slow paths.
 *
 * A CPU's freelists are used with interrupts off, which also keeps the task
 * on the CPU; each cache's lock is a spinlock taken with interrupts off.
 * Slabs are folios with PG_slab set, so any address finds its slab through
 * its struct page, as in SLUB.
 */
#ifndef MM_SLOBA_PLAT_INLINE_H
#define MM_SLOBA_PLAT_INLINE_H

#include <linux/irqflags.h>
#include <linux/random.h>
#include <linux/swab.h>
#include <net/sock.h>
#include "slab.h"

#define plat_lock_init(l)		spin_lock_init(l)
#define plat_lock(l, flags)		spin_lock_irqsave(l, *(flags))
#define plat_unlock(l, flags)		spin_unlock_irqrestore(l, flags)

static __always_inline struct sloba_cpu *plat_cpu_get(struct kmem_cache *s,
						      unsigned long *flags)
{
	local_irq_save(*flags);
	return this_cpu_ptr(s->cpu);
}

static __always_inline void plat_cpu_put(struct kmem_cache *s,
					 unsigned long flags)
{
	local_irq_restore(flags);
}

static __always_inline struct slab *plat_virt_to_slab(const void *p)
{
	struct folio *folio;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return NULL;
	folio = virt_to_folio(p);
	return folio_test_slab(folio) ? folio_slab(folio) : NULL;
}

#define plat_slab_addr(slab)		slab_address(slab)
#define plat_want_init_on_alloc(gfp, s)	slab_want_init_on_alloc(gfp, s)
#define plat_want_init_on_free(s)	slab_want_init_on_free(s)

#define plat_debug_all()		(sloba_debug_all)
#define plat_stats_enabled()		IS_ENABLED(CONFIG_SLOBA_STATS)
#define plat_freelist_hardened()	IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED)
#define plat_random()			get_random_u32()

#define plat_kmalloc_gfp_type(gfp)	((unsigned int)kmalloc_type(gfp))

#define plat_pfmemalloc_active()	sk_memalloc_socks()
#define plat_slab_pfmemalloc(slab)	slab_test_pfmemalloc(slab)
#define plat_pfmemalloc_allowed(gfp)	gfp_pfmemalloc_allowed(gfp)

#define plat_nr_nodes()			((unsigned int)nr_node_ids)
#define plat_local_nid()		numa_mem_id()
#define plat_slab_nid(slab)		slab_nid(slab)
#define plat_rcu_enter(head)		((void)(head))

/*
 * KASAN appends its per-object metadata (allocation and free stacks) and a
 * red zone to the layout, and initialises the metadata of every new object;
 * a constructor runs on an unpoisoned object, which is poisoned again
 * until it is allocated.
 */
#define plat_cache_layout(s, size)	kasan_cache_create(s, size, &(s)->flags)
#define plat_want_construct(s)		((s)->ctor || ((s)->flags & SLAB_KASAN))

static inline void plat_obj_construct(struct kmem_cache *s, void *obj)
{
	obj = kasan_init_slab_obj(s, obj);
	if (s->ctor) {
		kasan_unpoison_object_data(s, obj);
		s->ctor(obj);
		kasan_poison_object_data(s, obj);
	}
}

#endif /* MM_SLOBA_PLAT_INLINE_H */
