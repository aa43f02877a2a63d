/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba.h - the types the SLOBA core shares with every platform.
 *
 * struct kmem_cache, struct sloba_node and struct sloba_cpu are defined
 * here, once, for the kernel, UML and userspace builds.  The page
 * descriptor (struct slab) is defined by each platform, because in the
 * kernel it has to overlay struct page; sloba_platform.h lists the fields
 * the core needs from it.
 *
 * Invariants are stated next to the fields; "[node]" means the field is
 * protected by sloba_node::lock, "[cpu]" that only the owning CPU (kernel,
 * with interrupts off) or thread (userspace) touches it, "[atomic]" that it
 * is read and written only with atomic operations, "[const]" that it is set
 * when the cache is created and never changes.
 */
#ifndef SLOBA_CORE_H
#define SLOBA_CORE_H

/*
 * One CPU's (or thread's) free objects of one cache: the "main" LIFO that
 * the fast paths pop and push, and a "spare" chain of exactly
 * kmem_cache::cpu_batch objects.  Objects are linked through the word at
 * kmem_cache::offset, like the slab freelists; chains end in NULL.
 * Defined before the platform header, whose fast-path helpers use it.
 */
struct sloba_cpu {
	void *freelist;		/* [cpu] main: LIFO of free objects */
	unsigned int count;	/* [cpu] objects on main, <= limit */
	unsigned int limit;	/* [cpu] main's capacity, cpu_batch; 0: every
				 * alloc and free goes to the slabs (debug
				 * caches, a thread that is exiting, not set
				 * up yet) */
	void *spare;		/* [cpu] cpu_batch objects, or NULL */
	/*
	 * [cpu] Statistics (struct sloba_cache_stats).  alloc_fast is
	 * counted only when plat_stats_enabled(); frees on the fast path
	 * are not counted but derived: main's count is what slow_in and fast
	 * frees put on it minus what slow_out and allocations took off.
	 */
	unsigned long alloc_fast;
	unsigned long alloc_slow, free_slow;
	unsigned long refill_spare, refill_barn;
	unsigned long flush_spare, flush_barn;
	unsigned long slow_in;	/* objects slow paths put on main */
	unsigned long slow_out;	/* objects slow paths took off main */
	unsigned long reap_mark; /* [cpu] alloc_slow + free_slow when the
				 * reaper last looked */
};

#include "sloba_platform.h"
#include "sloba_info.h"

/*
 * What one NUMA node holds of a cache: the slabs of its pages and the
 * barn, a pool of full chains that CPUs trade without a lock.  The kernel
 * has one per node; userspace has one.
 */
struct sloba_node {
	/*
	 * The barn: up to kmem_cache::barn_max chains of cpu_batch objects
	 * each.  A CPU whose main and spare are full puts its spare in an
	 * empty slot with one compare-and-exchange; a CPU whose main and
	 * spare are empty takes a chain with one exchange.  A chain is
	 * published or taken whole, so no count and no lock is needed.
	 */
	void *barn[SLOBA_BARN_SLOTS];	/* [atomic] a chain, or NULL */
	unsigned int barn_used;		/* [atomic] a chain was put or taken
					 * since the reaper's last pass (set
					 * only when clear: the line stays
					 * shared between CPUs) */
	unsigned int barn_held;		/* [atomic] a chain was put since
					 * reclaim last emptied the barn: 0
					 * lets reclaim and its count skip the
					 * slots (set only when clear) */

	sloba_lock_t lock;		/* the lists, counters and slabs below */
	/* (in the hole after a kernel spinlock) */
	unsigned short barn_limit;	/* [atomic] barn slots puts may use
					 * now: barn_min..barn_max, or 0
					 * after reclaim (barn_put) */
	unsigned short barn_overflow;	/* [atomic] a put found the barn full
					 * since the last take that missed */
	struct list_head partial;	/* [node] 0 < inuse < objects */
	struct list_head full;		/* [node] inuse == objects */
	struct list_head empty;		/* [node] inuse == 0, kept for reuse */
	struct list_head pfmemalloc;	/* [node] reserve slabs (see
					 * slab_reserve() in sloba.c) */
	unsigned long nr_slabs;		/* [node] slabs on the lists
					 * (written with WRITE_ONCE: read
					 * without the lock) */
	unsigned long nr_objs;		/* [node] room in them, in objects */
	unsigned long nr_empty;		/* [node] slabs on the empty list
					 * (as nr_slabs) */
	unsigned long nr_inuse;		/* [node] sum of slab::inuse: objects
					 * handed out of slabs, including those
					 * resting on CPU lists and in the barn
					 * (as SLAB counts its array caches) */
	/* [node] statistics (struct sloba_cache_stats) */
	unsigned long lock_acquisitions;
	unsigned long alloc_direct;	/* one object for a CPU without lists,
					 * or from another node */
	unsigned long free_direct;	/* one object from such a CPU */
	unsigned long refill_slabs, flush_slabs;
	unsigned long slabs_allocated, slabs_freed;
	unsigned long remote_frees;
} SLOBA_CACHELINE_ALIGNED;

struct kmem_cache {
	/*
	 * Read by every fast path: first, on a line of their own (the
	 * platform aligns struct kmem_cache to a cache line).
	 */
	sloba_cpu_ref_t cpu;		/* [const] how to find this CPU's
					 * struct sloba_cpu (platform) */
	unsigned int offset;		/* [const] where a free object keeps its
					 * link: 0, or past the object when the
					 * object must survive being free (ctor,
					 * TYPESAFE_BY_RCU, poisoning) */
	unsigned int object_size;	/* [const] size the user asked for */
	unsigned int size;		/* [const] stride between objects */
	unsigned int usable;		/* [const] what ksize() reports */
	slab_flags_t flags;		/* [const] SLAB_* creation flags */
	unsigned int sflags;		/* [const] SLOBA_F_* below */
	unsigned int cpu_batch;		/* [const] main's capacity, and the
					 * size of spares and barn chains */
	unsigned int barn_min;		/* [const] barn slots a node starts
					 * with and shrinks back to */
	unsigned int barn_max;		/* [const] barn slots it may grow to */
	void (*ctor)(void *);		/* [const] run once per object built */
	unsigned long random;		/* [const] freelist hardening's secret */

	/* Fields shared with the kernel's mm/slab_common.c. */
	unsigned int align;		/* [const] every object is aligned so */
	unsigned int useroffset;	/* [const] usercopy region offset */
	unsigned int usersize;		/* [const] usercopy region size */
	const char *name;		/* [const] shown in slabinfo */
	int refcount;			/* owned by the platform's cache list */
	struct list_head list;		/* the platform's list of all caches */
	unsigned int *random_seq;	/* SLAB_FREELIST_RANDOM: a shuffle of
					 * 0..objects - 1, the order new slabs
					 * are carved in (NULL: in order); set
					 * by the platform */

	/* Slab geometry. */
	unsigned int objects;		/* [const] objects per slab of order */
	unsigned int order;		/* [const] a slab is 2^order pages... */
	unsigned int min_order;		/* [const] ...or 2^min_order, the least
					 * that holds one object, when memory
					 * is too fragmented for order */
	unsigned int max_empty;		/* [const] empty slabs kept per node */
	struct sloba_cache_stats gone;	/* [node 0] counters of CPU lists
					 * that went away (userspace threads
					 * that exited) */

	SLOBA_PLAT_CACHE_FIELDS		/* what only the platform needs */

	/* One per node, plat_nr_nodes() of them. */
	struct sloba_node node[];
};

/* sflags: SLOBA's derived per-cache behaviour. */
#define SLOBA_F_DEBUG		0x1	/* check every free, poison free
					 * objects; never cache on CPUs */
#define SLOBA_F_KMALLOC		0x2	/* one of the kmalloc size classes */
#define SLOBA_F_RCU		0x4	/* free slabs after a grace period */
#define SLOBA_F_POISON		0x8	/* debug: poison free objects */
#define SLOBA_F_RED		0x10	/* debug: a red zone past the object */
#define SLOBA_F_TRACK		0x20	/* debug: who allocated and freed */

/* The size of a struct kmem_cache with its nodes. */
#define SLOBA_CACHE_SIZE(nodes) \
	(sizeof(struct kmem_cache) + (size_t)(nodes) * sizeof(struct sloba_node))

/*
 * kmalloc size classes (before rounding to the platform's minimum
 * alignment).  Up to 64 bytes they step by 8 (the seed's
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

extern const unsigned int sloba_kmalloc_sizes[SLOBA_NR_KMALLOC];
/* The classes in use (sizes rounded up to SLOBA_KMALLOC_MINALIGN). */
extern unsigned int sloba_kmalloc_nr;
extern unsigned int sloba_kmalloc_class[SLOBA_NR_KMALLOC];
/* Per type: type 0 is normal memory; other types may alias it. */
extern struct kmem_cache *
sloba_kmalloc_caches[SLOBA_KMALLOC_TYPES][SLOBA_NR_KMALLOC];

/* Set-up and tear-down; the platform owns the memory of the struct. */
int sloba_init(void);
int sloba_cache_setup(struct kmem_cache *s);
int sloba_cache_shutdown(struct kmem_cache *s);
int sloba_cache_shrink(struct kmem_cache *s);
unsigned long sloba_cache_reclaimable(struct kmem_cache *s);
unsigned long sloba_cache_reclaim(struct kmem_cache *s, unsigned long nr);
void sloba_cache_reap(struct kmem_cache *s);
void sloba_cache_get_info(struct kmem_cache *s, struct sloba_cache_info *info);
unsigned long sloba_cache_barn_objects(struct kmem_cache *s);
void sloba_cpu_drain(struct kmem_cache *s, struct sloba_cpu *c);
void sloba_cpu_retire(struct kmem_cache *s, struct sloba_cpu *c);
bool sloba_cpu_reap(struct kmem_cache *s, struct sloba_cpu *c);

/* Objects. */
void *sloba_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *sloba_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int nid);
void sloba_cache_free(struct kmem_cache *s, void *obj);
int sloba_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr,
			   void **p);
void sloba_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p);

/* kmalloc. */
struct kmem_cache *sloba_kmalloc_cache(size_t size);
struct kmem_cache *sloba_kmalloc_cache_gfp(size_t size, gfp_t gfp);
size_t sloba_kmalloc_size_roundup(size_t size);
void *sloba_kmalloc(size_t size, gfp_t gfp);
void *sloba_kmalloc_node(size_t size, gfp_t gfp, int nid);
void *sloba_krealloc(const void *p, size_t new_size, gfp_t gfp);
void sloba_kfree(const void *p);
size_t sloba_ksize(const void *p);
struct kmem_cache *sloba_obj_cache(const void *p);
void *sloba_object_start(const void *p);

#endif /* SLOBA_CORE_H */
