// SPDX-License-Identifier: GPL-2.0-only
/*
 * SLOBA: a slab allocator that keeps its state in two places.
 *
 * Slabs.  A slab is one page (2^order pages for objects that do not fit a
 * page well) cut into equal objects of kmem_cache::size bytes.  Objects are
 * handed out from the slab's end downward, so a slab that was never filled
 * needs no set-up: slab::carved counts the objects cut so far.  A freed
 * object goes on the slab's LIFO freelist, threaded through the free objects
 * themselves: the link lives in the object's first word, or just past the
 * object when the object must stay intact while free (a constructor, a
 * SLAB_TYPESAFE_BY_RCU cache, poisoning).  The slab's header -- the
 * freelist head and its counters -- lives in the page descriptor, not in the
 * page, so the whole page holds objects and a 2048-byte class fits twice.
 *
 * Each cache keeps its slabs on three lists: partial (some objects free),
 * full, and empty.  A slab whose last object comes back goes back to the
 * page allocator, except for a few kept on the empty list
 * (kmem_cache::max_empty) so that a workload crossing a page boundary back
 * and forth does not hit the page allocator every time;
 * sloba_cache_shrink() releases those.  Slabs of a SLAB_TYPESAFE_BY_RCU
 * cache are released only after an RCU grace period, while their objects
 * are reused at once, as that flag promises.
 *
 * CPU freelists.  In front of the slabs every CPU (every thread, in
 * userspace) has, per cache, a short LIFO of free objects (struct
 * sloba_cpu).  Allocation pops from it, free pushes onto it, whatever slab
 * the object came from: that is the whole fast path, with no lock and no
 * atomic instruction.  When the list is empty, a batch (cpu_batch) is taken
 * from the slabs under the cache lock, a slab's free objects spliced in as
 * they are linked and never-used objects linked in one pass (a cache with no
 * free object first gets new slabs for the batch: up to SLOBA_REFILL_SLABS,
 * the platform's trade between speed and footprint); when it is over its
 * limit, a batch is given back, each run of objects from one slab in one
 * piece.  An object freed on another CPU than the one that allocated it
 * simply joins the freeing CPU's list.
 *
 * kmalloc.  28 size classes (8..4096 bytes, see sloba_kmalloc_sizes) are
 * ordinary caches; bigger requests go straight to the page allocator.
 * kfree() and ksize() find an object's cache through its page descriptor,
 * so kfree() also takes objects from kmem_cache_alloc().
 *
 * Locking.
 *   plat_cpu_get()/plat_cpu_put()  pin this CPU's struct sloba_cpu (the
 *                                  kernel disables interrupts)
 *     kmem_cache::lock             the cache's lists and counters, and
 *                                  every slab's freelist, inuse, carved
 * The page allocator is never called with kmem_cache::lock held: new slabs
 * are allocated after dropping it (and, in the kernel, with interrupts back
 * on when the gfp mask allows sleeping), and empty slabs are collected on a
 * private list and released after unlocking.
 *
 * Debugging.  A cache created with SLAB_CONSISTENCY_CHECKS, SLAB_POISON,
 * SLAB_RED_ZONE or SLAB_STORE_USER -- or every cache, when the platform says
 * so (plat_debug_all) -- has no CPU freelists: every free is checked under
 * the lock (the pointer starts an object of this cache, the object is not
 * already free), and free objects without a constructor are filled with
 * POISON_FREE and checked for writes when they are handed out again.  An
 * immediate double free is caught in every cache, because the object is
 * then the head of the CPU freelist.
 */
#include "sloba.h"
#include "sloba_plat_inline.h"

#define SLOBA_POISON_FREE	0x6b

/* ---------------------------------------------------------------------
 * Object and slab helpers
 */

static inline void *get_fp(const struct kmem_cache *s, const void *obj)
{
	return *(void **)((char *)obj + s->offset);
}

static inline void set_fp(const struct kmem_cache *s, void *obj, void *next)
{
	*(void **)((char *)obj + s->offset) = next;
}

static inline size_t slab_bytes(const struct slab *slab)
{
	return (size_t)PAGE_SIZE << slab->order;
}

/*
 * The index (counted from the slab's end) of the object that starts at p,
 * or -1 if p does not start an object that was ever handed out.
 */
static long obj_index(const struct kmem_cache *s, const struct slab *slab,
		      const void *p)
{
	const char *end = (const char *)plat_slab_addr(slab) + slab_bytes(slab);
	size_t dist;

	if ((const char *)p >= end)
		return -1;
	dist = end - (const char *)p;
	if (dist % s->size || dist / s->size > slab->carved)
		return -1;
	return (long)(dist / s->size) - 1;
}

/* ---------------------------------------------------------------------
 * Slab lists: everything here runs with s->lock held
 */

/* A slab just lost its last object: keep it, or queue it on @to_free. */
static void slab_now_empty(struct kmem_cache *s, struct slab *slab,
			   struct list_head *to_free)
{
	if (s->nr_empty < s->max_empty) {
		list_move(&slab->slab_list, &s->empty);
		s->nr_empty++;
	} else {
		list_move(&slab->slab_list, to_free);
		s->nr_slabs--;
		s->nr_objs -= slab->objects;
	}
}

/*
 * Put @nr objects, linked from @head to @tail, back on their slab's freelist
 * (the caller counts nr_inuse).
 */
static void slab_put_objs(struct kmem_cache *s, struct slab *slab,
			  void *head, void *tail, unsigned int nr,
			  struct list_head *to_free)
{
	set_fp(s, tail, slab->freelist);
	slab->freelist = head;
	if (slab->inuse == slab->objects)
		list_move(&slab->slab_list, &s->partial);
	slab->inuse -= nr;
	if (!slab->inuse)
		slab_now_empty(s, slab, to_free);
}

/*
 * A chain of objects linked through s->offset, grown by hanging pieces in
 * front of it.  It keeps its tail, so one chain can be hung behind another
 * without walking it.
 */
struct chain {
	void *head;
	void *tail;
	unsigned int n;
};

/*
 * Take objects from @slab until @used and @fresh hold @want between them.
 * Freed objects come first (they are already built, and likely cache-hot),
 * then newly carved ones, which go on @fresh because their constructor has
 * yet to run.
 */
static void slab_take(struct kmem_cache *s, struct slab *slab,
		      unsigned int want, struct chain *used,
		      struct chain *fresh)
{
	/* Local copies: the links written below cannot alias them. */
	struct chain u = *used, f = *fresh;
	unsigned int have = u.n + f.n;
	void *obj = slab->freelist, *first = obj, *last = NULL;

	/* A prefix of the slab's freelist, hung in front of @used as it is. */
	while (have < want && obj) {
		last = obj;
		obj = get_fp(s, obj);
		u.n++;
		have++;
	}
	if (last) {
		set_fp(s, last, u.head);
		if (!u.head)
			u.tail = last;
		u.head = first;
		slab->freelist = obj;
	}
	/*
	 * Then objects never handed out, cut from the slab's end downward:
	 * object i ends where object i - 1 starts.  They are linked in that
	 * order and hung in front of @fresh.
	 */
	if (have < want && slab->carved < slab->objects) {
		unsigned int nr = min_t(unsigned int, want - have,
					 slab->objects - slab->carved);
		char *p = (char *)plat_slab_addr(slab) + slab_bytes(slab) -
			  (size_t)(slab->carved + 1) * s->size;
		unsigned int i;

		first = p;
		for (i = 1; i < nr; i++, p -= s->size)
			set_fp(s, p, p - s->size);
		set_fp(s, p, f.head);
		if (!f.head)
			f.tail = p;
		f.head = first;
		f.n += nr;
		slab->carved += nr;
		have += nr;
	}
	slab->inuse += have - used->n - fresh->n;
	s->nr_inuse += have - used->n - fresh->n;
	*used = u;
	*fresh = f;
	if (slab->inuse == slab->objects)
		list_move(&slab->slab_list, &s->full);
	else
		list_move(&slab->slab_list, &s->partial);
}

/* ---------------------------------------------------------------------
 * Slab allocation and release (no lock held)
 */

static void rcu_free_slab(struct rcu_head *head)
{
	struct slab *slab = container_of(head, struct slab, rcu_head);

	plat_rcu_enter(head);
	plat_slab_free(slab->slab_cache, slab);
}

static void free_slabs(struct kmem_cache *s, struct list_head *to_free)
{
	struct slab *slab, *next;

	list_for_each_entry_safe(slab, next, to_free, slab_list) {
		list_del(&slab->slab_list);
		if (s->sflags & SLOBA_F_RCU)
			call_rcu(&slab->rcu_head, rcu_free_slab);
		else
			plat_slab_free(s, slab);
	}
}

/*
 * A slab of the cache's preferred order, or, when the page allocator cannot
 * find that many contiguous pages, of the smallest order that holds one
 * object: fragmented memory makes slabs less dense, not allocations fail.
 */
static struct slab *new_slab(struct kmem_cache *s, gfp_t gfp)
{
	unsigned int order = s->order;
	struct slab *slab;

	slab = plat_slab_alloc(s, gfp, order, s->min_order < order);
	if (!slab && s->min_order < order) {
		order = s->min_order;
		slab = plat_slab_alloc(s, gfp, order, false);
	}
	if (!slab)
		return NULL;
	slab->slab_cache = s;
	slab->freelist = NULL;
	slab->inuse = 0;
	slab->carved = 0;
	slab->order = order;
	slab->objects = (unsigned int)(slab_bytes(slab) / s->size);
	return slab;
}

/* ---------------------------------------------------------------------
 * Debug checks (SLOBA_F_DEBUG caches; s->lock held)
 */

/* Free objects are poisoned unless something else owns their contents. */
static bool poisoned(struct kmem_cache *s)
{
	return (s->sflags & SLOBA_F_DEBUG) && !s->ctor &&
	       !(s->flags & SLAB_TYPESAFE_BY_RCU) &&
	       !plat_want_init_on_free(s);
}

/* Is @obj, freed into @s, really a busy object of @s?  Reports if not. */
static bool debug_check_free(struct kmem_cache *s, struct slab *slab,
			     void *obj)
{
	void *p;

	if (!slab || slab->slab_cache != s) {
		plat_report(s, "free of %p, which is not an object of cache %s",
			    obj, s->name);
		return false;
	}
	if (obj_index(s, slab, obj) < 0) {
		plat_report(s, "free of %p, which does not start an object of cache %s",
			    obj, s->name);
		return false;
	}
	for (p = slab->freelist; p; p = get_fp(s, p)) {
		if (p == obj) {
			plat_report(s, "double free of %p in cache %s",
				    obj, s->name);
			return false;
		}
	}
	return true;
}

/* A poisoned object is about to be handed out: was it written while free? */
static void debug_check_poison(struct kmem_cache *s, void *obj)
{
	const unsigned char *b = obj;
	unsigned int i;

	for (i = 0; i < s->object_size; i++) {
		if (b[i] != SLOBA_POISON_FREE) {
			plat_report(s, "object %p in cache %s was written after free (offset %u: 0x%02x)",
				    obj, s->name, i, b[i]);
			memset(obj, SLOBA_POISON_FREE, s->object_size);
			return;
		}
	}
}

/* ---------------------------------------------------------------------
 * The slow paths
 */

/* Objects handed out for the first time: the platform builds them. */
static void run_ctors(struct kmem_cache *s, void *fresh)
{
	for (; fresh; fresh = get_fp(s, fresh))
		plat_obj_construct(s, fresh);
}

/*
 * The cache has no free object: allocate slabs for @want objects (at most
 * SLOBA_REFILL_SLABS of them, the platform's say) and put them on the
 * empty list, where they count as empty for shrink and shutdown even if an
 * interrupt refilled this CPU's freelist meanwhile and they stay unused.
 * Called with the CPU pinned; drops the pin while the page allocator
 * works.  Returns false when not even one slab could be had.
 */
static bool grow(struct kmem_cache *s, unsigned int want, gfp_t gfp,
		 struct sloba_cpu **cp, unsigned long *flags)
{
	unsigned int n = 0, nr = DIV_ROUND_UP(want, s->objects);
	unsigned long lflags, objs = 0;
	struct slab *slab;
	LIST_HEAD(slabs);

	nr = clamp(nr, 1U, (unsigned int)SLOBA_REFILL_SLABS);
	plat_cpu_put(s, *flags);
	while (n < nr && (slab = new_slab(s, gfp))) {
		list_add(&slab->slab_list, &slabs);
		objs += slab->objects;
		n++;
	}
	*cp = plat_cpu_get(s, flags);
	if (!n)
		return false;
	plat_lock(&s->lock, &lflags);
	list_splice_init(&slabs, &s->empty);
	s->nr_empty += n;
	s->nr_slabs += n;
	s->nr_objs += objs;
	plat_unlock(&s->lock, lflags);
	return true;
}

/*
 * This CPU's freelist is empty, or the CPU does not cache this cache:
 * return one object and put up to cpu_batch - 1 more on @c, taken from as
 * many slabs as it takes.  Called and returns with the CPU pinned; *@cp
 * and *@flags may change, because the pin is dropped while a new slab is
 * allocated.
 */
static void *cpu_refill(struct kmem_cache *s, struct sloba_cpu **cp,
			gfp_t gfp, unsigned long *flags)
{
	struct sloba_cpu *c = *cp;
	struct chain used, fresh;
	struct slab *slab;
	unsigned long lflags;
	unsigned int want;
	void *obj;

	if (!c->limit && !(s->sflags & SLOBA_F_DEBUG) && plat_cpu_activate(s, c))
		c->limit = s->cpu_limit;
again:
	if (c->freelist) {		/* refilled while we were away */
		obj = c->freelist;
		c->freelist = get_fp(s, obj);
		c->count--;
		return obj;
	}
	want = c->limit ? s->cpu_batch : 1;
	used = (struct chain){ NULL, NULL, 0 };
	fresh = used;
	plat_lock(&s->lock, &lflags);
	while (used.n + fresh.n < want) {
		slab = list_first_entry_or_null(&s->partial, struct slab,
						slab_list);
		if (!slab) {
			slab = list_first_entry_or_null(&s->empty, struct slab,
							slab_list);
			if (!slab)
				break;
			s->nr_empty--;
		}
		slab_take(s, slab, want, &used, &fresh);
	}
	plat_unlock(&s->lock, lflags);

	if (!used.n && !fresh.n) {
		if (!grow(s, want, gfp, cp, flags))
			return NULL;
		c = *cp;
		goto again;
	}
	if (fresh.n && plat_want_construct(s))
		run_ctors(s, fresh.head);
	/* One chain, fresh objects behind the used ones; hand out its head. */
	if (used.n)
		set_fp(s, used.tail, fresh.head);
	obj = used.n ? used.head : fresh.head;
	c->freelist = get_fp(s, obj);
	c->count = used.n + fresh.n - 1;
	if (poisoned(s) && used.n)
		debug_check_poison(s, obj);
	return obj;
}

/* Give the first @n objects on @c back to their slabs. */
static void cpu_flush(struct kmem_cache *s, struct sloba_cpu *c,
		      unsigned int n)
{
	struct list_head to_free;
	unsigned long lflags;
	void *obj;

	INIT_LIST_HEAD(&to_free);
	n = min(n, c->count);
	c->count -= n;
	obj = c->freelist;
	plat_lock(&s->lock, &lflags);
	s->nr_inuse -= n;
	while (n) {
		/* A run of objects of one slab goes back in one piece. */
		struct slab *slab = plat_virt_to_slab(obj);
		uintptr_t start = (uintptr_t)plat_slab_addr(slab);
		size_t bytes = slab_bytes(slab);
		void *head = obj, *tail;
		unsigned int nr = 0;

		do {
			tail = obj;
			obj = get_fp(s, obj);
			nr++;
		} while (--n && (uintptr_t)obj - start < bytes);
		slab_put_objs(s, slab, head, tail, nr, &to_free);
	}
	plat_unlock(&s->lock, lflags);
	c->freelist = obj;
	free_slabs(s, &to_free);
}

/* Free one object straight into its slab, checking it in debug caches. */
static void free_direct(struct kmem_cache *s, void *obj)
{
	struct list_head to_free;
	unsigned long lflags;
	struct slab *slab = plat_virt_to_slab(obj);

	INIT_LIST_HEAD(&to_free);
	plat_lock(&s->lock, &lflags);
	if (s->sflags & SLOBA_F_DEBUG) {
		if (!debug_check_free(s, slab, obj)) {
			plat_unlock(&s->lock, lflags);
			return;
		}
		if (poisoned(s))
			memset(obj, SLOBA_POISON_FREE, s->object_size);
	}
	s->nr_inuse--;
	slab_put_objs(s, slab, obj, obj, 1, &to_free);
	plat_unlock(&s->lock, lflags);
	free_slabs(s, &to_free);
}

/* Give every object on @c back to the slabs. */
void sloba_cpu_drain(struct kmem_cache *s, struct sloba_cpu *c)
{
	cpu_flush(s, c, c->count);
}

/*
 * The CPU freelist is full, does not cache, or @obj is its head (a double
 * free).  Called with the CPU pinned; unpins it.
 */
static void cpu_free_slow(struct kmem_cache *s, struct sloba_cpu *c,
			  void *obj, unsigned long flags)
{
	if (unlikely(obj == c->freelist && obj)) {
		plat_cpu_put(s, flags);
		plat_report(s, "double free of %p in cache %s", obj, s->name);
		return;
	}
	if (!c->limit && !(s->sflags & SLOBA_F_DEBUG) && plat_cpu_activate(s, c))
		c->limit = s->cpu_limit;
	if (!c->limit) {
		plat_cpu_put(s, flags);
		free_direct(s, obj);
		return;
	}
	if (c->count >= c->limit)
		cpu_flush(s, c, s->cpu_batch);
	set_fp(s, obj, c->freelist);
	c->freelist = obj;
	c->count++;
	plat_cpu_put(s, flags);
}

/* ---------------------------------------------------------------------
 * The fast paths
 *
 * Kept free of calls and stack frames: anything unusual (an empty or full
 * CPU freelist, zeroing, a suspected double free) goes to a slow path that
 * starts over.
 */

static void obj_init(struct kmem_cache *s, void *obj, gfp_t gfp)
{
	if (plat_want_init_on_alloc(gfp, s))
		memset(obj, 0, s->object_size);
	else if (plat_want_init_on_free(s) && s->offset == 0)
		set_fp(s, obj, NULL);	/* the link dirtied a zeroed object */
}

static noinline void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfp)
{
	struct sloba_cpu *c;
	unsigned long flags;
	void *obj;

	/* cpu_refill() first pops what an interrupt may have freed here. */
	c = plat_cpu_get(s, &flags);
	obj = cpu_refill(s, &c, gfp, &flags);
	plat_cpu_put(s, flags);
	if (likely(obj))
		obj_init(s, obj, gfp);
	return obj;	/* NULL: the page allocator has said why */
}

/* Zeroing after a fast-path pop, out of line so the fast path needs no frame. */
static noinline void *obj_init_slow(struct kmem_cache *s, void *obj,
				    gfp_t gfp)
{
	obj_init(s, obj, gfp);
	return obj;
}

static __always_inline void *slab_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct sloba_cpu *c;
	unsigned long flags;
	void *obj;

	c = plat_cpu_get(s, &flags);
	obj = c->freelist;
	if (unlikely(!obj)) {
		plat_cpu_put(s, flags);
		return slab_alloc_slow(s, gfp);
	}
	c->freelist = get_fp(s, obj);
	c->count--;
	plat_cpu_put(s, flags);
	if (unlikely(plat_want_init_on_alloc(gfp, s) ||
		     plat_want_init_on_free(s)))
		return obj_init_slow(s, obj, gfp);
	return obj;
}

static noinline void slab_free_slow(struct kmem_cache *s, void *obj)
{
	struct sloba_cpu *c;
	unsigned long flags;

	if (plat_want_init_on_free(s))
		memset(obj, 0, s->object_size);
	c = plat_cpu_get(s, &flags);
	if (c->count < c->limit && obj != c->freelist) {
		set_fp(s, obj, c->freelist);
		c->freelist = obj;
		c->count++;
		plat_cpu_put(s, flags);
		return;
	}
	cpu_free_slow(s, c, obj, flags);
}

static __always_inline void slab_free(struct kmem_cache *s, void *obj)
{
	struct sloba_cpu *c;
	unsigned long flags;
	void *head;

	c = plat_cpu_get(s, &flags);
	head = c->freelist;
	if (likely(c->count < c->limit && obj != head &&
		   !plat_want_init_on_free(s))) {
		set_fp(s, obj, head);
		c->freelist = obj;
		c->count++;
		plat_cpu_put(s, flags);
		return;
	}
	plat_cpu_put(s, flags);
	slab_free_slow(s, obj);
}

void *sloba_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return slab_alloc(s, gfp);
}

void sloba_cache_free(struct kmem_cache *s, void *obj)
{
	if (likely(obj))
		slab_free(s, obj);
}

/*
 * Bulk allocation: all @nr objects, or none (returns 0 and leaves nothing
 * allocated), as the kernel's kmem_cache_alloc_bulk() promises.
 */
int sloba_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr,
			   void **p)
{
	struct sloba_cpu *c;
	unsigned long flags;
	size_t i;

	c = plat_cpu_get(s, &flags);
	for (i = 0; i < nr; i++) {
		void *obj = c->freelist;

		if (likely(obj)) {
			c->freelist = get_fp(s, obj);
			c->count--;
		} else {
			obj = cpu_refill(s, &c, gfp, &flags);
			if (unlikely(!obj)) {
				plat_cpu_put(s, flags);
				sloba_cache_free_bulk(s, i, p);
				return 0;
			}
		}
		p[i] = obj;
	}
	plat_cpu_put(s, flags);
	if (unlikely(plat_want_init_on_alloc(gfp, s) ||
		     plat_want_init_on_free(s))) {
		for (i = 0; i < nr; i++)
			obj_init(s, p[i], gfp);
	}
	return (int)nr;
}

/* With @s NULL the objects may come from any cache (the kernel's kfree_bulk). */
void sloba_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (!s)
			sloba_kfree(p[i]);
		else
			sloba_cache_free(s, p[i]);
	}
}

/* ---------------------------------------------------------------------
 * Cache set-up, shrink and shutdown
 */

/* The smallest order whose slab wastes at most 1/8, else the best of them. */
static unsigned int calculate_order(unsigned int size)
{
	unsigned int order, best = SLOBA_MAX_ORDER + 1;
	size_t bytes, waste, best_waste = (size_t)-1;

	for (order = 0; order <= SLOBA_MAX_ORDER; order++) {
		bytes = (size_t)PAGE_SIZE << order;
		if (bytes < size)
			continue;
		waste = bytes % size;
		if (waste * 8 <= bytes)
			return order;
		/* Past the costly orders only a first fit is worth it. */
		if (order >= 3 && best <= SLOBA_MAX_ORDER)
			break;
		if (waste * 1024 / bytes < best_waste) {
			best_waste = waste * 1024 / bytes;
			best = order;
		}
	}
	return best;
}

/* How many objects a CPU keeps (as SLAB sizes its array caches). */
static unsigned int calculate_cpu_limit(unsigned int size)
{
	if (size > 128 * 1024)
		return 1;
	if (size > PAGE_SIZE)
		return 8;
	if (size > 1024)
		return 24;
	if (size > 256)
		return 54;
	return 120;
}

/*
 * Finish a cache whose name, object_size, align, flags and ctor are set
 * (the kernel's __kmem_cache_create).  Returns 0 or -EINVAL.
 */
int sloba_cache_setup(struct kmem_cache *s)
{
	unsigned int align = s->align, size;
	bool debug;

	if (!s->object_size || (align & (align - 1)) || align > PAGE_SIZE)
		return -EINVAL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	debug = plat_debug_all() ||
		(s->flags & (SLAB_CONSISTENCY_CHECKS | SLAB_POISON |
			     SLAB_RED_ZONE | SLAB_STORE_USER));

	s->sflags &= SLOBA_F_KMALLOC;
	if (debug)
		s->sflags |= SLOBA_F_DEBUG;
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		s->sflags |= SLOBA_F_RCU;

	if (s->ctor || (s->flags & SLAB_TYPESAFE_BY_RCU) || debug) {
		/* The object must survive being free: link past its end. */
		s->offset = ALIGN(s->object_size, sizeof(void *));
		size = ALIGN(s->offset + sizeof(void *), align);
		s->usable = s->offset;
	} else {
		s->offset = 0;
		size = ALIGN(max_t(unsigned int, s->object_size,
				   sizeof(void *)), align);
		s->usable = size;
	}
	/* Room for the platform's per-object metadata, past the link. */
	plat_cache_layout(s, &size);
	size = ALIGN(size, align);
	s->size = size;
	s->align = align;
	s->order = calculate_order(size);
	if (s->order > SLOBA_MAX_ORDER)
		return -EINVAL;
	for (s->min_order = 0; (PAGE_SIZE << s->min_order) < size; s->min_order++)
		;
	s->objects = (unsigned int)((PAGE_SIZE << s->order) / size);
	s->cpu_limit = calculate_cpu_limit(size);
	s->cpu_batch = (s->cpu_limit + 1) / 2;
	/*
	 * Enough empty slabs to refill two CPUs' freelists, but at most 16 KiB
	 * of empty pages per cache (and at least one slab).
	 */
	s->max_empty = clamp(2 * s->cpu_limit / s->objects + 1, 1U,
			     max(4U >> s->order, 1U));

	plat_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->partial);
	INIT_LIST_HEAD(&s->full);
	INIT_LIST_HEAD(&s->empty);
	s->nr_slabs = s->nr_empty = s->nr_inuse = s->nr_objs = 0;
	return plat_cache_cpu_init(s);
}

/*
 * Give the CPU freelists back (every CPU's with @all, else at least this
 * one's) and release the empty slabs.  Returns how many pages went back to
 * the page allocator; *@left is how many slabs the cache still holds.
 */
static unsigned long release_empty(struct kmem_cache *s, bool all,
				   unsigned long *left)
{
	struct list_head to_free;
	unsigned long lflags, pages = 0;
	struct slab *slab;

	plat_drain_cpus(s, all);
	INIT_LIST_HEAD(&to_free);
	plat_lock(&s->lock, &lflags);
	list_for_each_entry(slab, &s->empty, slab_list) {
		s->nr_objs -= slab->objects;
		pages += 1UL << slab->order;
	}
	list_splice_init(&s->empty, &to_free);
	s->nr_slabs -= s->nr_empty;
	s->nr_empty = 0;
	*left = s->nr_slabs;
	plat_unlock(&s->lock, lflags);
	free_slabs(s, &to_free);
	return pages;
}

/* Returns 0 when the cache holds no slab any more. */
int sloba_cache_shrink(struct kmem_cache *s)
{
	unsigned long left;

	release_empty(s, false, &left);
	return left ? 1 : 0;
}

/* Everything a cache can give back under memory pressure, in pages. */
unsigned long sloba_cache_reclaim(struct kmem_cache *s)
{
	unsigned long left;

	return release_empty(s, true, &left);
}

/* Report up to a few objects of @slab that are still allocated. */
static unsigned int report_live(struct kmem_cache *s, struct slab *slab,
				unsigned int budget)
{
	char *end = (char *)plat_slab_addr(slab) + slab_bytes(slab);
	unsigned int i, shown = 0;
	void *p;

	for (i = 0; i < slab->carved && shown < budget; i++) {
		void *obj = end - (size_t)(i + 1) * s->size;

		for (p = slab->freelist; p && p != obj; p = get_fp(s, p))
			;
		if (!p) {
			plat_report_leak(s, "cache %s: object %p leaked",
					 s->name, obj);
			shown++;
		}
	}
	return shown;
}

/*
 * Empty the cache before it goes away.  Returns 0, or -EBUSY when objects
 * are still allocated: each is reported, and their slabs stay where they
 * are, so a late free is still safe.
 */
int sloba_cache_shutdown(struct kmem_cache *s)
{
	struct slab *slab;
	unsigned long lflags, live, left;
	unsigned int budget = 16;

	release_empty(s, true, &left);
	if (!left)
		return 0;
	plat_lock(&s->lock, &lflags);
	live = s->nr_inuse;
	plat_report_leak(s, "kmem_cache_destroy(%s): %lu objects in %lu slabs still allocated",
			 s->name, live, s->nr_slabs);
	list_for_each_entry(slab, &s->partial, slab_list)
		budget -= report_live(s, slab, budget);
	list_for_each_entry(slab, &s->full, slab_list)
		budget -= report_live(s, slab, budget);
	if (live > 16 - budget)
		plat_report_leak(s, "cache %s: and %lu more objects leaked",
				 s->name, live - (16 - budget));
	plat_unlock(&s->lock, lflags);
	return -EBUSY;
}

void sloba_cache_get_info(struct kmem_cache *s, struct sloba_cache_info *info)
{
	unsigned long lflags;

	plat_lock(&s->lock, &lflags);
	info->active_objs = s->nr_inuse;
	info->num_objs = s->nr_objs;
	info->active_slabs = s->nr_slabs - s->nr_empty;
	info->num_slabs = s->nr_slabs;
	plat_unlock(&s->lock, lflags);
	info->name = s->name;
	info->objsize = s->size;
	info->objperslab = s->objects;
	info->pagesperslab = 1U << s->order;
	info->limit = (s->sflags & SLOBA_F_DEBUG) ? 0 : s->cpu_limit;
	info->batchcount = s->cpu_batch;
}

/* ---------------------------------------------------------------------
 * kmalloc
 */

const unsigned int sloba_kmalloc_sizes[SLOBA_NR_KMALLOC] = {
	8, 16, 24, 32, 40, 48, 56, 64,
	80, 96, 112, 128, 160, 192, 224, 256,
	320, 384, 448, 512, 584, 680, 816, 1024,
	1360, 2048, 2728, 4096
};
static char kmalloc_names[SLOBA_NR_KMALLOC][16];

struct kmem_cache sloba_kmalloc_caches[SLOBA_NR_KMALLOC];

/* The cache for a request of n bytes is size_cache[(n + 7) / 8]. */
static struct kmem_cache *size_cache[SLOBA_KMALLOC_MAX_CACHE_SIZE / 8 + 1];

/* Set up the kmalloc caches; the platform calls this once, first. */
void sloba_init(void)
{
	unsigned int i, c = 0;

	for (i = 0; i < ARRAY_SIZE(size_cache); i++) {
		while (sloba_kmalloc_sizes[c] < i * 8)
			c++;
		size_cache[i] = &sloba_kmalloc_caches[c];
	}
	for (i = 0; i < SLOBA_NR_KMALLOC; i++) {
		struct kmem_cache *s = &sloba_kmalloc_caches[i];

		snprintf(kmalloc_names[i], sizeof(kmalloc_names[i]),
			 "kmalloc-%u", sloba_kmalloc_sizes[i]);
		s->name = kmalloc_names[i];
		s->object_size = sloba_kmalloc_sizes[i];
		/*
		 * Keeps power-of-two classes naturally aligned even when
		 * debugging makes the stride longer than the object.
		 */
		s->align = s->object_size & (s->object_size - 1) ? 8 :
			   s->object_size;
		s->usersize = s->object_size;
		s->sflags = SLOBA_F_KMALLOC;
		s->refcount = 1;
		if (sloba_cache_setup(s))
			plat_report(s, "cannot set up %s", s->name);
	}
}

struct kmem_cache *sloba_kmalloc_cache(size_t size)
{
	if (!size || size > SLOBA_KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	return size_cache[(size + 7) >> 3];
}

/* What ksize() will say of a kmalloc(size); large ones are whole blocks. */
size_t sloba_kmalloc_size_roundup(size_t size)
{
	size_t block = PAGE_SIZE;

	if (!size)
		return 0;
	if (size <= SLOBA_KMALLOC_MAX_CACHE_SIZE)
		return size_cache[(size + 7) >> 3]->usable;
	while (block < size && block < ((size_t)PAGE_SIZE << SLOBA_MAX_ORDER))
		block <<= 1;
	return block;
}

void *sloba_kmalloc(size_t size, gfp_t gfp)
{
	if (likely(size - 1 < SLOBA_KMALLOC_MAX_CACHE_SIZE))
		return slab_alloc(size_cache[(size + 7) >> 3], gfp);
	if (!size)
		return ZERO_SIZE_PTR;
	return plat_large_alloc(size, gfp);
}

/* kfree() of something that is not in a slab. */
static noinline void kfree_not_slab(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (plat_large_size(p))
		plat_large_free(p);
	else
		plat_report(NULL, "kfree(%p): not an address this allocator handed out",
			    p);
}

void sloba_kfree(const void *p)
{
	struct slab *slab = plat_virt_to_slab(p);

	if (likely(slab))
		slab_free(slab->slab_cache, (void *)p);
	else
		kfree_not_slab(p);
}

/* The start of the slab object that holds address p, or NULL. */
void *sloba_object_start(const void *p)
{
	struct slab *slab = plat_virt_to_slab(p);
	struct kmem_cache *s;
	char *end;

	if (!slab)
		return NULL;
	s = slab->slab_cache;
	end = (char *)plat_slab_addr(slab) + slab_bytes(slab);
	if ((char *)p < end - (size_t)slab->objects * s->size)
		return NULL;	/* in the slack before the first object */
	return end - ((end - (char *)p - 1) / s->size + 1) * s->size;
}

struct kmem_cache *sloba_obj_cache(const void *p)
{
	struct slab *slab = ZERO_OR_NULL_PTR(p) ? NULL : plat_virt_to_slab(p);

	return slab ? slab->slab_cache : NULL;
}

size_t sloba_ksize(const void *p)
{
	struct slab *slab;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	slab = plat_virt_to_slab(p);
	if (slab)
		return slab->slab_cache->usable;
	return plat_large_size(p);
}

void *sloba_krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	size_t old;
	void *ret;

	if (unlikely(!new_size)) {
		sloba_kfree(p);
		return ZERO_SIZE_PTR;
	}
	old = ZERO_OR_NULL_PTR(p) ? 0 : sloba_ksize(p);
	if (old >= new_size)
		return (void *)p;
	ret = sloba_kmalloc(new_size, gfp);
	if (ret && old) {
		memcpy(ret, p, old);
		sloba_kfree(p);
	}
	return ret;
}
