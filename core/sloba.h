/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba.h - the types the SLOBA core shares with every platform.
 *
 * struct kmem_cache and struct sloba_cpu are defined here, once, for the
 * kernel, UML and userspace builds.  The page descriptor (struct slab) is
 * defined by each platform, because in the kernel it has to overlay struct
 * page; sloba_platform.h lists the fields the core needs from it.
 *
 * Invariants are stated next to the fields; "[lock]" means the field is
 * protected by kmem_cache::lock, "[cpu]" that only the owning CPU (kernel,
 * with interrupts off) or thread (userspace) touches it, "[const]" that it
 * is set when the cache is created and never changes.
 */
#ifndef SLOBA_CORE_H
#define SLOBA_CORE_H

/*
 * One CPU's (or thread's) stack of free objects of one cache.  Objects are
 * linked through the word at kmem_cache::offset, like the slab freelists.
 * Defined before the platform header, whose fast-path helpers use it.
 */
struct sloba_cpu {
	void *freelist;		/* [cpu] LIFO of free objects, NULL if empty */
	unsigned int count;	/* [cpu] objects on freelist */
	unsigned int limit;	/* [cpu] flush above this; 0: every alloc and
				 * free goes to the slabs (debug caches, a
				 * thread that is exiting, not set up yet) */
};

#include "sloba_platform.h"
#include "sloba_info.h"

struct kmem_cache {
	/* Fields shared with the kernel's mm/slab_common.c. */
	unsigned int object_size;	/* [const] size the user asked for */
	unsigned int size;		/* [const] stride between objects */
	unsigned int align;		/* [const] every object is aligned so */
	slab_flags_t flags;		/* [const] SLAB_* creation flags */
	unsigned int useroffset;	/* [const] usercopy region offset */
	unsigned int usersize;		/* [const] usercopy region size */
	const char *name;		/* [const] shown in slabinfo */
	int refcount;			/* owned by the platform's cache list */
	void (*ctor)(void *);		/* [const] run once per object built */
	struct list_head list;		/* the platform's list of all caches */

	/* SLOBA's own state. */
	sloba_cpu_ref_t cpu;		/* [const] how to find this CPU's
					 * struct sloba_cpu (platform) */
	unsigned int offset;		/* [const] where a free object keeps its
					 * link: 0, or past the object when the
					 * object must survive being free (ctor,
					 * TYPESAFE_BY_RCU, poisoning) */
	unsigned int usable;		/* [const] what ksize() reports */
	unsigned int objects;		/* [const] objects per slab of order */
	unsigned int order;		/* [const] a slab is 2^order pages... */
	unsigned int min_order;		/* [const] ...or 2^min_order, the least
					 * that holds one object, when memory
					 * is too fragmented for order */
	unsigned int cpu_limit;		/* [const] sloba_cpu::limit when caching */
	unsigned int cpu_batch;		/* [const] objects moved per refill/flush */
	unsigned int max_empty;		/* [const] empty slabs kept for reuse */
	unsigned int sflags;		/* [const] SLOBA_F_* below */

	sloba_lock_t lock;		/* protects the lists, the counters and
					 * every slab's freelist/inuse/carved */
	struct list_head partial;	/* [lock] 0 < inuse < objects */
	struct list_head full;		/* [lock] inuse == objects */
	struct list_head empty;		/* [lock] inuse == 0, kept for reuse */
	unsigned long nr_slabs;		/* [lock] slabs on the three lists */
	unsigned long nr_objs;		/* [lock] room in them, in objects */
	unsigned long nr_empty;		/* [lock] slabs on the empty list */
	unsigned long nr_inuse;		/* [lock] sum of slab::inuse: objects
					 * handed out of slabs, including those
					 * resting on CPU freelists (as SLAB
					 * counts its array caches) */
	unsigned long nr_rcu_pending;	/* [lock] slabs waiting for a grace
					 * period before going back */

	/* The platform's own per-cache fields (sloba_platform.h). */
	SLOBA_PLAT_CACHE_FIELDS
};

/* sflags: SLOBA's derived per-cache behaviour. */
#define SLOBA_F_DEBUG		0x1	/* check every free, poison free
					 * objects; never cache on CPUs */
#define SLOBA_F_KMALLOC		0x2	/* one of the kmalloc size classes */
#define SLOBA_F_RCU		0x4	/* free slabs after a grace period */

/*
 * kmalloc size classes.  Up to 64 bytes they step by 8 (the seed's
 * 8-byte-aligned bins), then four classes per doubling up to 512 (no more
 * than 25% rounding loss), then the sizes that cut a 4 KiB page into 7, 6,
 * 5, 4, 3 and 2 equal objects, so those pages waste almost nothing, then
 * 2728 (three in two pages) and a whole page.  A 4 KiB class, unlike the
 * page allocator, keeps freed pages on the per-CPU freelists: /proc and
 * sysfs reads, uevents and IPC messages allocate just over half a page all
 * the time.  Larger requests go straight to the page allocator.  Every
 * power-of-two class is naturally aligned, as the kernel promises for
 * kmalloc.
 */
#define SLOBA_KMALLOC_MAX_CACHE_SIZE	4096
#define SLOBA_NR_KMALLOC		28

extern struct kmem_cache sloba_kmalloc_caches[SLOBA_NR_KMALLOC];
extern const unsigned int sloba_kmalloc_sizes[SLOBA_NR_KMALLOC];

/* Set-up and tear-down; the platform owns the memory of the struct. */
void sloba_init(void);
int sloba_cache_setup(struct kmem_cache *s);
int sloba_cache_shutdown(struct kmem_cache *s);
int sloba_cache_shrink(struct kmem_cache *s);
unsigned long sloba_cache_reclaim(struct kmem_cache *s);
void sloba_cache_get_info(struct kmem_cache *s, struct sloba_cache_info *info);
void sloba_cpu_drain(struct kmem_cache *s, struct sloba_cpu *c);

/* Objects. */
void *sloba_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void sloba_cache_free(struct kmem_cache *s, void *obj);
int sloba_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr,
			   void **p);
void sloba_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p);

/* kmalloc. */
struct kmem_cache *sloba_kmalloc_cache(size_t size);
size_t sloba_kmalloc_size_roundup(size_t size);
void *sloba_kmalloc(size_t size, gfp_t gfp);
void *sloba_krealloc(const void *p, size_t new_size, gfp_t gfp);
void sloba_kfree(const void *p);
size_t sloba_ksize(const void *p);
struct kmem_cache *sloba_obj_cache(const void *p);
void *sloba_object_start(const void *p);

#endif /* SLOBA_CORE_H */
