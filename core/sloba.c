// SPDX-License-Identifier: GPL-2.0-only
/*
 * SLOBA: page-sized slabs behind per-CPU lists of free objects that CPUs
 * trade whole, without a lock.
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
 * Each cache has, per NUMA node (struct sloba_node), three lists of slabs:
 * partial (some objects free), full, and empty.  A slab whose last object
 * comes back goes back to the page allocator, except for a few kept on the
 * empty list (kmem_cache::max_empty) so that a workload crossing a page
 * boundary back and forth does not hit the page allocator every time.
 * Slabs of a SLAB_TYPESAFE_BY_RCU cache are released only after an RCU
 * grace period, while their objects are reused at once, as that flag
 * promises.
 *
 * CPU lists.  In front of the slabs every CPU (every thread, in userspace)
 * has, per cache, a LIFO of free objects, "main", of at most cpu_batch
 * objects (struct sloba_cpu).  Allocation pops from it, free pushes onto
 * it, whatever slab or CPU the object came from: that is the whole fast
 * path, with no lock and no atomic instruction, and an object freed on
 * another CPU than the one that allocated it costs exactly a local free.
 * It lives in sloba_fast.h, so that a platform's entry points inline it.
 * Behind main each CPU keeps a "spare", a chain of exactly cpu_batch
 * objects, and behind the CPUs each node keeps a "barn" of such chains:
 *
 *   main full  -> it becomes the spare; the old spare goes to the barn
 *                 (one compare-and-exchange), or, if the barn is full,
 *                 back to its slabs (the node lock);
 *   main empty -> the spare becomes main; or a chain comes from the barn
 *                 (one exchange); or, if the barn is empty, cpu_batch
 *                 objects come from the slabs (the node lock).
 *
 * A chain moves between a CPU and the barn as one pointer: nothing is
 * walked and no lock is taken, so a producer on one CPU and a consumer on
 * another pass objects to each other in whole chains, and the slabs and the
 * page allocator see nothing of it.  Only the barn's misses and overflows
 * reach the slabs, a chain at a time under the node's lock.  What is left
 * on the flush side is the spare, the colder of a CPU's two lists.
 *
 * Why this design.  Three were tried against the producer/consumer
 * benchmark (bench/prodcons.c: one thread allocates, another frees, per 1000
 * pairs): the earlier SLOBA (CPU freelists, every refill and flush a batch
 * walked under one cache lock), the same lists with a spare and a barn
 * under a node lock (SLUB's sheaves and barn, SLAB's array caches and shared
 * array), and this lock-free barn.  With chains of cpu_batch objects, a
 * locked barn costs 2000 / cpu_batch lock acquisitions per 1000 pairs (33
 * at 256 bytes, 167 at 4 KiB): meeting 20 would have meant chains of 100
 * objects, 400 KiB per CPU at 4 KiB.  Per-CPU slab ownership with lock-free
 * remote frees (SLUB up to 6.19) keeps the slab freelists as the unit of
 * exchange, but a slab of one 4 KiB object changes state on every remote
 * free, which takes the list lock and the page allocator every time.
 * Exchanging whole chains keeps what makes SLOBA SLOBA -- page-sized slabs
 * cut from the end, the header in the page descriptor, LIFO lists, a
 * footprint of a few objects per CPU -- and the numbers are in README.md.
 *
 * kmalloc.  28 size classes (8..4096 bytes, see sloba_kmalloc_sizes) are
 * ordinary caches; bigger requests go straight to the page allocator.
 * kfree() and ksize() find an object's cache through its page descriptor,
 * so kfree() also takes objects from kmem_cache_alloc().
 *
 * Locking, outermost first:
 *   plat_cpu_get()/plat_cpu_put()  pin this CPU's struct sloba_cpu (the
 *                                  kernel disables interrupts)
 *     sloba_node::lock             the node's lists and counters, and
 *                                  every slab's freelist, inuse, carved
 *   sloba_node::barn[]             atomic: never under a lock
 * The page allocator is never called with a node lock held: new slabs are
 * allocated after dropping it (and, in the kernel, with interrupts back on
 * when the gfp mask allows sleeping), and empty slabs are collected on a
 * private list and released after unlocking.  Only one node lock is held
 * at a time.
 *
 * Footprint.  A CPU holds at most 2 * cpu_batch free objects per cache and
 * a node's barn barn_min chains, up to barn_max while CPUs pass objects to
 * each other faster than barn_min carries them (platform budgets
 * SLOBA_BARN_MIN_BYTES and SLOBA_BARN_BYTES).
 * The kernel's reaper gives back the lists of CPUs that stopped using a
 * cache and the barn chains nobody took (sloba_cpu_reap, sloba_cache_reap);
 * its shrinker releases all of it under memory pressure; userspace gives a
 * thread's lists back when the thread exits.
 *
 * Debugging.  A cache created with SLAB_CONSISTENCY_CHECKS, SLAB_POISON,
 * SLAB_RED_ZONE or SLAB_STORE_USER -- or every cache but self-test ones
 * (SLAB_NO_USER_FLAGS), when the platform says so (plat_debug_all) -- has
 * no CPU lists: every free is checked under the node lock (the pointer
 * starts an object of this cache, the object is not already free), and
 * free objects without a constructor are filled with POISON_FREE and
 * checked for writes when they are handed out again.  An immediate double
 * free is caught in every cache, because the object is then the head of
 * main.
 */
#include "sloba.h"
#include "sloba_plat_inline.h"
#include "sloba_fast.h"

#define SLOBA_POISON_FREE	0x6b

/* ---------------------------------------------------------------------
 * Object and slab helpers
 */

static inline size_t slab_bytes(const struct slab *slab)
{
	return (size_t)PAGE_SIZE << slab->order;
}

static inline struct sloba_node *slab_node(struct kmem_cache *s,
					   const struct slab *slab)
{
	return &s->node[plat_slab_nid(slab)];
}

static inline struct sloba_node *local_node(struct kmem_cache *s)
{
	return &s->node[plat_local_nid()];
}

static void node_lock(struct sloba_node *n, unsigned long *flags)
{
	plat_lock(&n->lock, flags);
	n->lock_acquisitions++;
}

#define node_unlock(n, flags)	plat_unlock(&(n)->lock, flags)

#define for_each_sloba_node(s, n) \
	for ((n) = (s)->node; (n) < (s)->node + plat_nr_nodes(); (n)++)

/*
 * Is @slab carved in the cache's random order (SLAB_FREELIST_RANDOM)?  It
 * is when the cache had a sequence when the slab was made and the slab has
 * the sequence's length (a slab of the preferred order).
 */
#define SLOBA_IN_ORDER	(~0U)

static inline bool slab_random(const struct slab *slab)
{
	return slab->random_start != SLOBA_IN_ORDER;
}

/*
 * Object i of a slab ends where object i - 1 starts, the first at the
 * slab's end.  The k-th object carved is object k, or, in a random slab,
 * the one the cache's sequence names at the slab's own starting point.
 */
static inline char *carve_addr(const struct kmem_cache *s,
			       const struct slab *slab, unsigned int k)
{
	unsigned int i = k;

	if (slab_random(slab))
		i = s->random_seq[(slab->random_start + k) % slab->objects];
	return (char *)plat_slab_addr(slab) + slab_bytes(slab) -
	       (size_t)(i + 1) * s->size;
}

/*
 * The index (counted from the slab's end) of the object that starts at p,
 * or -1 if p does not start an object (in a slab carved in order: one that
 * was ever handed out).
 */
static long obj_index(const struct kmem_cache *s, const struct slab *slab,
		      const void *p)
{
	const char *end = (const char *)plat_slab_addr(slab) + slab_bytes(slab);
	size_t dist, limit;

	if ((const char *)p >= end)
		return -1;
	dist = end - (const char *)p;
	limit = slab_random(slab) ? slab->objects : slab->carved;
	if (dist % s->size || dist / s->size > limit)
		return -1;
	return (long)(dist / s->size) - 1;
}

/* ---------------------------------------------------------------------
 * Slab lists: everything here runs with the node's lock held
 */

/*
 * Memory reserves.  A slab whose pages came from the page allocator's
 * emergency reserves while they are being guarded (the kernel: swap over
 * the network is set up, sk_memalloc_socks()) is a reserve slab: it lives
 * on the node's pfmemalloc list, its objects go one at a time to callers
 * entitled to the reserves and never onto a CPU list, they come straight
 * back when freed, and the slab goes back as soon as it is empty.  Without
 * this a reserve page, once cut up, would feed anyone.
 */
static inline bool slab_reserve(const struct slab *slab)
{
	return plat_slab_pfmemalloc(slab);
}

/* The list @slab belongs on: @list, or the reserve list. */
static inline struct list_head *slab_home(struct sloba_node *n,
					  struct slab *slab,
					  struct list_head *list)
{
	return slab_reserve(slab) ? &n->pfmemalloc : list;
}

/* A slab just lost its last object: keep it, or queue it on @to_free. */
static void slab_now_empty(struct kmem_cache *s, struct sloba_node *n,
			   struct slab *slab, struct list_head *to_free)
{
	if (n->nr_empty < s->max_empty && !slab_reserve(slab)) {
		list_move(&slab->slab_list, &n->empty);
		WRITE_ONCE(n->nr_empty, n->nr_empty + 1);
	} else {
		list_move(&slab->slab_list, to_free);
		WRITE_ONCE(n->nr_slabs, n->nr_slabs - 1);
		n->nr_objs -= slab->objects;
		n->slabs_freed++;
	}
}

/*
 * Put @nr objects, linked from @head to @tail, back on their slab's
 * freelist (the caller counts nr_inuse).
 */
static void slab_put_objs(struct kmem_cache *s, struct sloba_node *n,
			  struct slab *slab, void *head, void *tail,
			  unsigned int nr, struct list_head *to_free)
{
	set_fp(s, tail, slab->freelist);
	slab->freelist = head;
	if (slab->inuse == slab->objects)
		list_move(&slab->slab_list, slab_home(n, slab, &n->partial));
	slab->inuse -= nr;
	if (!slab->inuse)
		slab_now_empty(s, n, slab, to_free);
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
static void slab_take(struct kmem_cache *s, struct sloba_node *n,
		      struct slab *slab, unsigned int want,
		      struct chain *used, struct chain *fresh)
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
	 * Then objects never handed out, cut from the slab's end downward
	 * (or in the cache's random order), linked in that order and hung
	 * in front of @fresh.
	 */
	if (have < want && slab->carved < slab->objects) {
		unsigned int nr = min_t(unsigned int, want - have,
					 slab->objects - slab->carved);
		unsigned int i, k = slab->carved;
		char *p = carve_addr(s, slab, k), *next;

		first = p;
		for (i = 1; i < nr; i++, p = next) {
			next = carve_addr(s, slab, k + i);
			set_fp(s, p, next);
		}
		set_fp(s, p, f.head);
		if (!f.head)
			f.tail = p;
		f.head = first;
		f.n += nr;
		slab->carved += nr;
		have += nr;
	}
	slab->inuse += have - used->n - fresh->n;
	n->nr_inuse += have - used->n - fresh->n;
	*used = u;
	*fresh = f;
	list_move(&slab->slab_list,
		  slab_home(n, slab, slab->inuse == slab->objects ?
			    &n->full : &n->partial));
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
static struct slab *new_slab(struct kmem_cache *s, gfp_t gfp, int nid)
{
	unsigned int order = s->order;
	struct slab *slab;

	slab = plat_slab_alloc(s, gfp, order, s->min_order < order, nid);
	if (!slab && s->min_order < order) {
		order = s->min_order;
		slab = plat_slab_alloc(s, gfp, order, false, nid);
	}
	if (!slab)
		return NULL;
	slab->slab_cache = s;
	slab->freelist = NULL;
	slab->inuse = 0;
	slab->carved = 0;
	slab->order = order;
	slab->objects = (unsigned int)(slab_bytes(slab) / s->size);
	slab->random_start = SLOBA_IN_ORDER;
	if (s->random_seq && order == s->order)
		slab->random_start = plat_random() % slab->objects;
	return slab;
}

/* ---------------------------------------------------------------------
 * Debug checks (SLOBA_F_DEBUG caches; node lock held)
 */

/*
 * SLAB_POISON: free objects are filled with POISON_FREE, unless something
 * else owns their contents.
 */
static bool poisoned(struct kmem_cache *s)
{
	return (s->sflags & SLOBA_F_POISON) && !s->ctor &&
	       !(s->flags & SLAB_TYPESAFE_BY_RCU) &&
	       !plat_want_init_on_free(s);
}

/*
 * SLAB_RED_ZONE: the bytes from the object's end to its link are a red
 * zone, RED_ACTIVE while the object is allocated and RED_INACTIVE while it
 * is free, so a write past the object is found when it is freed (or, if
 * it happened while free, when it is handed out again) and reported
 * instead of corrupting the link.
 */
#define SLOBA_RED_ACTIVE	0xcc
#define SLOBA_RED_INACTIVE	0xbb

static bool check_red(struct kmem_cache *s, void *obj, unsigned char want)
{
	unsigned char *b = (unsigned char *)obj + s->object_size;
	unsigned int i, len = s->offset - s->object_size;

	for (i = 0; i < len; i++) {
		if (b[i] != want) {
			plat_report(s, "object %p in cache %s: red zone overwritten (byte %u past the object: 0x%02x, %s)",
				    obj, s->name, i, b[i],
				    want == SLOBA_RED_ACTIVE ? "while allocated" :
							       "while free");
			plat_print_object(s, obj);
			return false;
		}
	}
	return true;
}

static void set_red(struct kmem_cache *s, void *obj, unsigned char value)
{
	memset((char *)obj + s->object_size, value,
	       s->offset - s->object_size);
}

/* SLAB_STORE_USER: who allocated and who freed each object. */
static inline struct sloba_track *obj_track(struct kmem_cache *s, void *obj,
					    bool alloc)
{
	return (struct sloba_track *)((char *)obj + s->offset +
				      sizeof(void *)) + !alloc;
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
			plat_print_object(s, obj);
			return false;
		}
	}
	return true;
}

/*
 * A debug cache's object goes back to its slab: check its red zone, mark
 * it free, note who freed it, poison it.
 */
static void debug_free(struct kmem_cache *s, void *obj)
{
	if (s->sflags & SLOBA_F_RED) {
		check_red(s, obj, SLOBA_RED_ACTIVE);
		set_red(s, obj, SLOBA_RED_INACTIVE);
	}
	if (s->sflags & SLOBA_F_TRACK)
		plat_set_track(s, obj_track(s, obj, false));
	if (poisoned(s))
		memset(obj, SLOBA_POISON_FREE, s->object_size);
}

/* A poisoned object is about to be handed out: was it written while free? */
static SLOBA_NO_SANITIZE void debug_check_poison(struct kmem_cache *s,
						  void *obj)
{
	const unsigned char *b = obj;
	unsigned int i;

	for (i = 0; i < s->object_size; i++) {
		if (b[i] != SLOBA_POISON_FREE) {
			plat_report(s, "object %p in cache %s was written after free (offset %u: 0x%02x)",
				    obj, s->name, i, b[i]);
			plat_print_object(s, obj);
			memset(obj, SLOBA_POISON_FREE, s->object_size);
			return;
		}
	}
}

/*
 * A debug cache hands @obj out: if it was free before (@used), check that
 * nothing wrote to it or past it meanwhile; mark it allocated, note who
 * took it.
 */
static void debug_alloc(struct kmem_cache *s, void *obj, bool used)
{
	if (used && poisoned(s))
		debug_check_poison(s, obj);
	if (s->sflags & SLOBA_F_RED) {
		if (used)
			check_red(s, obj, SLOBA_RED_INACTIVE);
		set_red(s, obj, SLOBA_RED_ACTIVE);
	}
	if (s->sflags & SLOBA_F_TRACK) {
		plat_set_track(s, obj_track(s, obj, true));
		if (!used)	/* never freed: no free track yet */
			memset(obj_track(s, obj, false), 0,
			       sizeof(struct sloba_track));
	}
}

/* ---------------------------------------------------------------------
 * The barn: whole chains of cpu_batch objects, traded without a lock
 */

/*
 * How big a barn is.  It starts at barn_min slots, enough for CPUs that
 * free what they allocated.  When objects flow from one CPU to another,
 * the consumer's chains find the barn full and go to the slabs, and then
 * the producer finds it empty and takes them back from the slabs: a barn
 * that one CPU overflowed and another then found dry was too small for
 * that flow, and grows by a slot, up to barn_max.  Storms of frees and
 * allocations on one CPU (drop_caches, a process exiting, a batch) do not
 * grow it.  The reaper shrinks it by a slot per idle pass.  The shrinker
 * closes it (no slot), so that what is freed right after reclaim -- the
 * RCU-deferred frees of the dentries and inodes it pruned -- goes back to
 * the slabs instead of filling the barn again (and a CPU whose main fills
 * meanwhile flushes it rather than keep it as a spare); the reaper's next
 * pass reopens it at barn_min.  The updates are racy on purpose: a lost one
 * only delays a step.
 */

/*
 * Who put or took: a hash of the address of the CPU's list, never 0 (the
 * kernel's per-CPU copies sit a power of two apart; collisions only make
 * the barn grow a little later).
 */
static inline unsigned short barn_tag(struct sloba_cpu *c)
{
	return (unsigned short)(((uint64_t)(uintptr_t)c *
				 0x9e3779b97f4a7c15ULL) >> 48) | 1;
}

/* Tell the reaper that @n's barn is in use (a write only once per pass). */
static inline void barn_mark_used(struct sloba_node *n)
{
	if (!READ_ONCE(n->barn_used))
		WRITE_ONCE(n->barn_used, 1);
}

/* Take a chain from @n's barn for @c, or NULL when it has none. */
static void *barn_take(struct kmem_cache *s, struct sloba_node *n,
		       struct sloba_cpu *c)
{
	unsigned short overflow;
	unsigned int i, limit;
	void *chain;

	/* Slots past the limit may still hold chains from before a shrink. */
	for (i = 0; i < s->barn_max; i++) {
		if (!READ_ONCE(n->barn[i]))
			continue;
		chain = plat_xchg(&n->barn[i], NULL);
		if (chain) {
			barn_mark_used(n);
			return chain;
		}
	}
	overflow = READ_ONCE(n->barn_overflow);
	if (overflow && overflow != barn_tag(c)) {
		WRITE_ONCE(n->barn_overflow, 0);
		limit = READ_ONCE(n->barn_limit);
		if (limit < s->barn_max)
			WRITE_ONCE(n->barn_limit, limit + 1);
	}
	return NULL;
}

/* @c puts @chain in an empty slot of @n's barn; false when it is full. */
static bool barn_put(struct sloba_node *n, struct sloba_cpu *c, void *chain)
{
	unsigned int i, limit = READ_ONCE(n->barn_limit);

	for (i = 0; i < limit; i++) {
		if (!READ_ONCE(n->barn[i]) &&
		    plat_cmpxchg(&n->barn[i], NULL, chain) == NULL) {
			barn_mark_used(n);
			/* After the slot (ordered by the cmpxchg). */
			if (!READ_ONCE(n->barn_held))
				WRITE_ONCE(n->barn_held, 1);
			return true;
		}
	}
	if (READ_ONCE(n->barn_overflow) != barn_tag(c))
		WRITE_ONCE(n->barn_overflow, barn_tag(c));
	return false;
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
 * Give the @nr objects of the chain at @obj back to their slabs, each run
 * of objects of one slab in one piece, taking the lock of each slab's node
 * in turn.  Returns what follows the last object given back.
 */
static void *flush_chain(struct kmem_cache *s, void *obj, unsigned int nr)
{
	struct sloba_node *n = NULL, *here = local_node(s);
	unsigned long lflags = 0;
	LIST_HEAD(to_free);

	while (nr) {
		struct slab *slab = plat_virt_to_slab(obj);
		struct sloba_node *sn = slab_node(s, slab);
		uintptr_t start = (uintptr_t)plat_slab_addr(slab);
		size_t bytes = slab_bytes(slab);
		void *head = obj, *tail;
		unsigned int run = 0;

		if (sn != n) {
			if (n)
				node_unlock(n, lflags);
			n = sn;
			node_lock(n, &lflags);
			n->flush_slabs++;
		}
		do {
			tail = obj;
			obj = get_fp(s, obj);
			run++;
		} while (--nr && (uintptr_t)obj - start < bytes);
		n->nr_inuse -= run;
		if (n != here)
			n->remote_frees += run;
		slab_put_objs(s, n, slab, head, tail, run, &to_free);
	}
	if (n)
		node_unlock(n, lflags);
	free_slabs(s, &to_free);
	return obj;
}

/*
 * Allocate slabs for @want objects of node @n (at most SLOBA_REFILL_SLABS
 * of them, the platform's say) onto @slabs.  Called with the CPU pinned;
 * drops the pin while the page allocator works.  Returns how many.
 */
static unsigned int grow(struct kmem_cache *s, struct sloba_node *n,
			 unsigned int want, gfp_t gfp, struct list_head *slabs,
			 struct sloba_cpu **cp, unsigned long *flags)
{
	unsigned int i, nr = DIV_ROUND_UP(want, s->objects);
	struct slab *slab;

	nr = clamp(nr, 1U, (unsigned int)SLOBA_REFILL_SLABS);
	plat_cpu_put(s, *flags);
	for (i = 0; i < nr; i++) {
		slab = new_slab(s, gfp, (int)(n - s->node));
		if (!slab)
			break;
		list_add_tail(&slab->slab_list, slabs);
	}
	*cp = plat_cpu_get(s, flags);
	return i;
}

/*
 * Hang a new slab on its node's empty list, or a reserve slab on the
 * reserve list (that node's lock held).
 */
static void add_slab(struct sloba_node *n, struct slab *slab)
{
	if (slab_reserve(slab)) {
		list_move(&slab->slab_list, &n->pfmemalloc);
	} else {
		list_move(&slab->slab_list, &n->empty);
		WRITE_ONCE(n->nr_empty, n->nr_empty + 1);
	}
	WRITE_ONCE(n->nr_slabs, n->nr_slabs + 1);
	n->nr_objs += slab->objects;
	n->slabs_allocated++;
}

/*
 * Take up to @want objects from the slabs of node @n (what its partial and
 * empty slabs have: a slab is not grown for the rest), growing it when it
 * has none: a dry node costs two trips to its lock, one to find it dry and
 * one to hang the new slabs and take from them.  New slabs go on the empty
 * list first, where they count as empty for shrink and shutdown even if an
 * interrupt refilled this CPU's list meanwhile and they stay unused.
 * Called with the CPU pinned (*@cp and *@flags may change).  Returns the
 * objects linked from their head, NULL-terminated, with their number in
 * *@got, constructors run; NULL when the page allocator failed.
 */
static void *refill_from_slabs(struct kmem_cache *s, struct sloba_node *n,
			       unsigned int want, gfp_t gfp,
			       struct sloba_cpu **cp, unsigned long *flags,
			       unsigned int *got)
{
	struct chain used = { NULL, NULL, 0 }, fresh = { NULL, NULL, 0 };
	struct slab *slab, *next;
	unsigned long lflags;
	LIST_HEAD(slabs);

	for (;;) {
		node_lock(n, &lflags);
		list_for_each_entry_safe(slab, next, &slabs, slab_list)
			if (slab_node(s, slab) == n)
				add_slab(n, slab);
		while (used.n + fresh.n < want) {
			slab = list_first_entry_or_null(&n->partial, struct slab,
							slab_list);
			if (!slab) {
				slab = list_first_entry_or_null(&n->empty,
								struct slab,
								slab_list);
				if (!slab)
					break;
				WRITE_ONCE(n->nr_empty, n->nr_empty - 1);
			}
			slab_take(s, n, slab, want, &used, &fresh);
		}
		/* The reserves: one object, for a caller entitled to them. */
		if (!used.n && !fresh.n && plat_pfmemalloc_allowed(gfp)) {
			list_for_each_entry(slab, &n->pfmemalloc, slab_list) {
				if (slab->inuse < slab->objects) {
					slab_take(s, n, slab, 1, &used, &fresh);
					break;
				}
			}
		}
		if (used.n || fresh.n) {
			n->refill_slabs++;
			if (want == 1)
				n->alloc_direct++;
		}
		node_unlock(n, lflags);
		/* The page allocator may have fallen back to another node. */
		list_for_each_entry_safe(slab, next, &slabs, slab_list) {
			struct sloba_node *other = slab_node(s, slab);

			node_lock(other, &lflags);
			add_slab(other, slab);
			node_unlock(other, lflags);
			n = other;		/* take from there */
		}
		if (used.n || fresh.n)
			break;
		if (!list_empty(&slabs))	/* fell back: take from there */
			continue;
		if (!grow(s, n, want, gfp, &slabs, cp, flags))
			return NULL;
	}
	if (fresh.n && plat_want_construct(s))
		run_ctors(s, fresh.head);
	/* One chain, fresh objects behind the used ones. */
	if (used.n)
		set_fp(s, used.tail, fresh.head);
	if (s->sflags & SLOBA_F_DEBUG)	/* one object: no CPU lists */
		debug_alloc(s, used.n ? used.head : fresh.head, used.n);
	*got = used.n + fresh.n;
	return used.n ? used.head : fresh.head;
}

/* A slow path pops the head of main, which it knows is there. */
static void *main_pop_slow(struct kmem_cache *s, struct sloba_cpu *c)
{
	void *obj = c->freelist;

	c->freelist = get_fp(s, obj);
	c->count--;
	c->slow_out++;
	return obj;
}

/*
 * Main is empty, or this CPU does not cache this cache: return one object
 * and leave main as full as the spare, the barn or the slabs make it.
 * Called and returns with the CPU pinned; *@cp and *@flags may change,
 * because the pin is dropped while a new slab is allocated.
 */
static void *cpu_refill(struct kmem_cache *s, struct sloba_cpu **cp,
			gfp_t gfp, unsigned long *flags)
{
	struct sloba_cpu *c = *cp;
	unsigned int got;
	void *chain;

	if (!c->limit && !(s->sflags & SLOBA_F_DEBUG) && plat_cpu_activate(s, c))
		c->limit = s->cpu_batch;
	if (!c->limit)
		return refill_from_slabs(s, local_node(s), 1, gfp, cp, flags,
					 &got);
	c->alloc_slow++;
	if (c->freelist)		/* an interrupt freed one meanwhile */
		return main_pop_slow(s, c);
	if (c->spare) {
		chain = c->spare;
		c->spare = NULL;
		c->refill_spare++;
		got = s->cpu_batch;
	} else {
		chain = barn_take(s, local_node(s), c);
		if (chain) {
			c->refill_barn++;
			got = s->cpu_batch;
		} else {
			chain = refill_from_slabs(s, local_node(s),
						  s->cpu_batch, gfp, cp, flags,
						  &got);
			if (!chain)
				return NULL;
			c = *cp;
			/* Main filled up while the page allocator worked? */
			if (c->freelist) {
				flush_chain(s, chain, got);
				return main_pop_slow(s, c);
			}
		}
	}
	c->freelist = get_fp(s, chain);
	c->count = got - 1;
	c->slow_in += got - 1;
	return chain;
}

/* Free one object straight into its slab, checking it in debug caches. */
static void free_direct(struct kmem_cache *s, void *obj)
{
	struct slab *slab = plat_virt_to_slab(obj);
	struct sloba_node *n;
	unsigned long lflags;
	LIST_HEAD(to_free);

	if (unlikely(!slab || slab->slab_cache != s)) {
		/* No node to lock: report what the debug check would. */
		plat_report(s, "free of %p, which is not an object of cache %s",
			    obj, s->name);
		return;
	}
	n = slab_node(s, slab);
	node_lock(n, &lflags);
	if (s->sflags & SLOBA_F_DEBUG) {
		if (!debug_check_free(s, slab, obj)) {
			node_unlock(n, lflags);
			return;
		}
		debug_free(s, obj);
	}
	n->nr_inuse--;
	n->flush_slabs++;
	n->free_direct++;
	slab_put_objs(s, n, slab, obj, obj, 1, &to_free);
	node_unlock(n, lflags);
	free_slabs(s, &to_free);
}

/* Give every object on @c, main and spare, back to the slabs. */
void sloba_cpu_drain(struct kmem_cache *s, struct sloba_cpu *c)
{
	if (c->spare) {
		flush_chain(s, c->spare, s->cpu_batch);
		c->spare = NULL;
	}
	if (c->count) {
		c->slow_out += c->count;
		flush_chain(s, c->freelist, c->count);
		c->freelist = NULL;
		c->count = 0;
	}
}

/*
 * Main is full, the CPU does not cache, or @obj is main's head (a double
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
		c->limit = s->cpu_batch;
	if (!c->limit) {
		plat_cpu_put(s, flags);
		free_direct(s, obj);
		return;
	}
	c->free_slow++;
	if (c->count >= c->limit) {
		/* Main becomes the spare; the colder old spare moves on. */
		if (c->spare) {
			if (barn_put(local_node(s), c, c->spare))
				c->flush_barn++;
			else
				flush_chain(s, c->spare, s->cpu_batch);
			c->spare = NULL;
		}
		c->slow_out += c->count;
		/* Reclaim closed the barn: keep no spare either. */
		if (!READ_ONCE(local_node(s)->barn_limit)) {
			flush_chain(s, c->freelist, c->count);
		} else {
			c->spare = c->freelist;
			c->flush_spare++;
		}
		c->freelist = NULL;
		c->count = 0;
	}
	set_fp(s, obj, c->freelist);
	c->freelist = obj;
	c->count++;
	c->slow_in++;
	plat_cpu_put(s, flags);
}

/* ---------------------------------------------------------------------
 * What the fast paths (sloba_fast.h) leave to a call
 */

noinline void *sloba_alloc_slow(struct kmem_cache *s, gfp_t gfp)
{
	struct sloba_cpu *c;
	unsigned long flags;
	void *obj;

	/* cpu_refill() first pops what an interrupt may have freed here. */
	c = plat_cpu_get(s, &flags);
	obj = cpu_refill(s, &c, gfp, &flags);
	plat_cpu_put(s, flags);
	if (likely(obj))
		sloba_obj_init(s, obj, gfp);
	return obj;	/* NULL: the page allocator has said why */
}

/* Zeroing after a fast-path pop, out of line so the fast path needs no frame. */
noinline void *sloba_obj_init_slow(struct kmem_cache *s, void *obj, gfp_t gfp)
{
	sloba_obj_init(s, obj, gfp);
	return obj;
}

noinline void sloba_free_slow(struct kmem_cache *s, void *obj)
{
	struct sloba_cpu *c;
	unsigned long flags;

	if (plat_want_init_on_free(s))
		memset(obj, 0, s->object_size);
	if (plat_pfmemalloc_active()) {
		struct slab *slab = plat_virt_to_slab(obj);

		if (slab && slab_reserve(slab)) {
			free_direct(s, obj);	/* reserves stay apart */
			return;
		}
	}
	c = plat_cpu_get(s, &flags);
	if (c->count < c->limit && obj != c->freelist) {
		set_fp(s, obj, c->freelist);
		c->freelist = obj;
		c->count++;
		c->slow_in++;
		plat_cpu_put(s, flags);
		return;
	}
	cpu_free_slow(s, c, obj, flags);
}

void *sloba_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return sloba_fast_alloc(s, gfp);
}

void sloba_cache_free(struct kmem_cache *s, void *obj)
{
	if (likely(obj))
		sloba_fast_free(s, obj);
}

/*
 * An object from another node than this CPU's: straight from that node's
 * slabs (freed, it joins the freeing CPU's list like any object, and goes
 * home with it).  Out of line, so that sloba_cache_alloc_node()'s common
 * case keeps the fast path's frameless code.
 */
static noinline void *alloc_remote(struct kmem_cache *s, gfp_t gfp, int nid)
{
	struct sloba_cpu *c;
	unsigned long flags;
	unsigned int got;
	void *obj;

	c = plat_cpu_get(s, &flags);
	obj = refill_from_slabs(s, &s->node[nid], 1, gfp, &c, &flags, &got);
	plat_cpu_put(s, flags);
	if (likely(obj))
		sloba_obj_init(s, obj, gfp);
	return obj;
}

/* An object from node @nid in particular, or any (NUMA_NO_NODE). */
void *sloba_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int nid)
{
	if (nid == NUMA_NO_NODE || nid == plat_local_nid() ||
	    (unsigned int)nid >= plat_nr_nodes())
		return sloba_fast_alloc(s, gfp);
	return alloc_remote(s, gfp, nid);
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
			if (plat_stats_enabled())
				c->alloc_fast++;
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
			sloba_obj_init(s, p[i], gfp);
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
 * Cache set-up
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

/*
 * How many objects main holds, and so each spare and barn chain: a CPU
 * keeps at most twice this many (as SLAB sizes its array caches), or, if
 * the platform can spend more, up to 60 objects as long as a chain stays
 * within SLOBA_CHAIN_BYTES.
 */
static unsigned int calculate_cpu_batch(unsigned int size)
{
	unsigned int batch;

	if (size > 128 * 1024)
		batch = 1;
	else if (size > PAGE_SIZE)
		batch = 4;
	else if (size > 1024)
		batch = 12;
	else if (size > 256)
		batch = 27;
	else
		batch = 60;
	return clamp((unsigned int)(SLOBA_CHAIN_BYTES / size), batch, 60U);
}

/*
 * Finish a cache whose name, object_size, align, flags and ctor are set
 * and whose nodes are zeroed (the kernel's __kmem_cache_create).  Returns
 * 0, -EINVAL or -ENOMEM.
 */
int sloba_cache_setup(struct kmem_cache *s)
{
	unsigned int align = s->align, size, chain_bytes;
	slab_flags_t dflags;
	struct sloba_node *n;
	bool debug;

	if (!s->object_size || (align & (align - 1)) || align > PAGE_SIZE)
		return -EINVAL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	dflags = s->flags & (SLAB_CONSISTENCY_CHECKS | SLAB_POISON |
			     SLAB_RED_ZONE | SLAB_STORE_USER);
	/* SLAB_NO_USER_FLAGS: a self-test cache keeps only its own flags */
	if (plat_debug_all() && !(s->flags & SLAB_NO_USER_FLAGS))
		dflags = SLAB_CONSISTENCY_CHECKS | SLAB_POISON |
			 SLAB_RED_ZONE | SLAB_STORE_USER;
	debug = dflags != 0;

	s->sflags &= SLOBA_F_KMALLOC;
	if (debug)
		s->sflags |= SLOBA_F_DEBUG;
	if (dflags & SLAB_POISON)
		s->sflags |= SLOBA_F_POISON;
	if (dflags & SLAB_RED_ZONE)
		s->sflags |= SLOBA_F_RED;
	if (dflags & SLAB_STORE_USER)
		s->sflags |= SLOBA_F_TRACK;
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		s->sflags |= SLOBA_F_RCU;

	if (debug) {
		/*
		 * The object, a red zone of at least a word, the link, then
		 * the allocation and free tracks.
		 */
		s->offset = ALIGN(s->object_size, sizeof(void *));
		if (s->sflags & SLOBA_F_RED)
			s->offset += sizeof(void *);
		size = s->offset + sizeof(void *);
		if (s->sflags & SLOBA_F_TRACK)
			size += 2 * sizeof(struct sloba_track);
		size = ALIGN(size, align);
		s->usable = s->object_size;
	} else if (s->ctor || (s->flags & SLAB_TYPESAFE_BY_RCU)) {
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
	if (plat_freelist_hardened())
		s->random = (unsigned long)plat_random() << 16 << 16 ^
			    plat_random();
	s->order = calculate_order(size);
	if (s->order > SLOBA_MAX_ORDER)
		return -EINVAL;
	for (s->min_order = 0; (PAGE_SIZE << s->min_order) < size; s->min_order++)
		;
	s->objects = (unsigned int)((PAGE_SIZE << s->order) / size);
	s->cpu_batch = calculate_cpu_batch(size);
	/*
	 * The barn's budgets, in whole chains: at least two, for a pair of
	 * CPUs.
	 */
	chain_bytes = s->cpu_batch * size;
	s->barn_max = clamp((unsigned int)(SLOBA_BARN_BYTES / chain_bytes), 2U,
			    (unsigned int)SLOBA_BARN_SLOTS);
	s->barn_min = clamp((unsigned int)(SLOBA_BARN_MIN_BYTES / chain_bytes),
			    2U, s->barn_max);
	/*
	 * Enough empty slabs to refill a CPU's main twice, but at most 16 KiB
	 * of empty pages per node (and at least one slab).
	 */
	s->max_empty = clamp(2 * s->cpu_batch / s->objects + 1, 1U,
			     max(4U >> s->order, 1U));

	for_each_sloba_node(s, n) {
		n->barn_limit = s->barn_min;
		plat_lock_init(&n->lock);
		INIT_LIST_HEAD(&n->partial);
		INIT_LIST_HEAD(&n->full);
		INIT_LIST_HEAD(&n->empty);
		INIT_LIST_HEAD(&n->pfmemalloc);
	}
	return plat_cache_cpu_init(s);
}

/* ---------------------------------------------------------------------
 * Giving memory back: shrink, reclaim, reap, shutdown
 */

/* Flush every chain of @n's barn to the slabs; returns how many objects. */
static unsigned long barn_drain(struct kmem_cache *s, struct sloba_node *n,
				unsigned long nr)
{
	unsigned long done = 0;
	unsigned int i;
	void *chain;

	for (i = 0; i < SLOBA_BARN_SLOTS && done < nr; i++) {
		if (!READ_ONCE(n->barn[i]))
			continue;
		chain = plat_xchg(&n->barn[i], NULL);
		if (chain) {
			flush_chain(s, chain, s->cpu_batch);
			done += s->cpu_batch;
		}
	}
	return done;
}

/* Release the kept empty slabs of @n; returns how many objects they held. */
static unsigned long release_empty(struct kmem_cache *s, struct sloba_node *n)
{
	unsigned long lflags, objs = 0;
	struct slab *slab;
	LIST_HEAD(to_free);

	if (!READ_ONCE(n->nr_empty))
		return 0;
	node_lock(n, &lflags);
	list_for_each_entry(slab, &n->empty, slab_list)
		objs += slab->objects;
	n->nr_objs -= objs;
	list_splice_init(&n->empty, &to_free);
	WRITE_ONCE(n->nr_slabs, n->nr_slabs - n->nr_empty);
	n->slabs_freed += n->nr_empty;
	WRITE_ONCE(n->nr_empty, 0);
	node_unlock(n, lflags);
	free_slabs(s, &to_free);
	return objs;
}

/* How many slabs the cache holds (read without locks). */
static unsigned long cache_slabs(struct kmem_cache *s)
{
	struct sloba_node *n;
	unsigned long slabs = 0;

	for_each_sloba_node(s, n)
		slabs += READ_ONCE(n->nr_slabs);
	return slabs;
}

/*
 * Give the CPU lists back (every CPU's with @all, else at least this
 * one's), the barns and the kept empty slabs.
 */
static void release_all(struct kmem_cache *s, bool all)
{
	struct sloba_node *n;

	plat_drain_cpus(s, all);
	for_each_sloba_node(s, n) {
		WRITE_ONCE(n->barn_limit, s->barn_min);
		barn_drain(s, n, ~0UL);
		release_empty(s, n);
	}
}

/* Returns 0 when the cache holds no slab any more. */
int sloba_cache_shrink(struct kmem_cache *s)
{
	release_all(s, false);
	return cache_slabs(s) ? 1 : 0;
}

/*
 * What sloba_cache_reclaim() can give back without touching other CPUs:
 * objects in the barns and in kept empty slabs (read without locks).
 * A barn that nothing was put in since reclaim emptied it is not looked
 * at: the shrinker counts and scans every cache, most of them idle.
 */
unsigned long sloba_cache_reclaimable(struct kmem_cache *s)
{
	unsigned long objs = 0;
	struct sloba_node *n;
	unsigned int i;

	for_each_sloba_node(s, n) {
		if (READ_ONCE(n->barn_held))
			for (i = 0; i < SLOBA_BARN_SLOTS; i++)
				if (READ_ONCE(n->barn[i]))
					objs += s->cpu_batch;
		objs += READ_ONCE(n->nr_empty) * s->objects;
	}
	return objs;
}

/*
 * Under memory pressure: close the barns (see "How big a barn is"), flush
 * their chains and release kept empty slabs, up to about @nr objects' worth.
 * Returns the objects released.  CPU lists are the platform's to drain
 * (each CPU its own).
 *
 * barn_held is cleared before the slots are read, with a full barrier
 * (the exchange), and barn_put() sets it after its compare-and-exchange:
 * a chain put while this runs is either seen here or leaves barn_held set.
 */
unsigned long sloba_cache_reclaim(struct kmem_cache *s, unsigned long nr)
{
	unsigned long done = 0;
	struct sloba_node *n;

	for_each_sloba_node(s, n) {
		if (READ_ONCE(n->barn_limit))
			WRITE_ONCE(n->barn_limit, 0);
		if (done >= nr)
			continue;
		if (READ_ONCE(n->barn_held) && plat_xchg(&n->barn_held, 0)) {
			done += barn_drain(s, n, nr - done);
			/* Stopped at @nr: chains may be left. */
			if (done >= nr)
				WRITE_ONCE(n->barn_held, 1);
		}
		if (done < nr)
			done += release_empty(s, n);
	}
	return done;
}

/*
 * The periodic reaper, per CPU: a CPU that has not needed its slow paths
 * for this cache since the last pass gives its lists back.  Called with
 * the CPU pinned, on its own lists.  Returns true when it gave anything.
 */
bool sloba_cpu_reap(struct kmem_cache *s, struct sloba_cpu *c)
{
	unsigned long mark = c->alloc_slow + c->free_slow;

	if (!c->count && !c->spare)
		return false;
	if (c->reap_mark != mark) {
		c->reap_mark = mark;
		return false;
	}
	sloba_cpu_drain(s, c);
	return true;
}

/*
 * The periodic reaper, per cache: a barn that reclaim closed opens again at
 * barn_min; one that nobody used since the last pass shrinks by a slot, and
 * gives a few of its chains back to the slabs.
 */
void sloba_cache_reap(struct kmem_cache *s)
{
	struct sloba_node *n;

	for_each_sloba_node(s, n) {
		unsigned int limit = READ_ONCE(n->barn_limit);

		if (limit < s->barn_min)
			WRITE_ONCE(n->barn_limit, s->barn_min);
		if (READ_ONCE(n->barn_used)) {
			WRITE_ONCE(n->barn_used, 0);
			continue;
		}
		if (limit > s->barn_min)
			WRITE_ONCE(n->barn_limit, limit - 1);
		barn_drain(s, n, 2UL * s->cpu_batch);
	}
}

/* Report up to a few objects of @slab that are still allocated. */
static unsigned int report_live(struct kmem_cache *s, struct slab *slab,
				unsigned int budget)
{
	unsigned int k, shown = 0;
	void *p;

	for (k = 0; k < slab->carved && shown < budget; k++) {
		void *obj = carve_addr(s, slab, k);

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
	unsigned long lflags, live = 0;
	unsigned int budget = 16;
	struct sloba_node *n;
	struct slab *slab;

	release_all(s, true);
	if (!cache_slabs(s))
		return 0;
	for_each_sloba_node(s, n)
		live += READ_ONCE(n->nr_inuse);
	plat_report_leak(s, "kmem_cache_destroy(%s): %lu objects in %lu slabs still allocated",
			 s->name, live, cache_slabs(s));
	for_each_sloba_node(s, n) {
		node_lock(n, &lflags);
		list_for_each_entry(slab, &n->partial, slab_list)
			budget -= report_live(s, slab, budget);
		list_for_each_entry(slab, &n->full, slab_list)
			budget -= report_live(s, slab, budget);
		list_for_each_entry(slab, &n->pfmemalloc, slab_list)
			budget -= report_live(s, slab, budget);
		node_unlock(n, lflags);
	}
	if (live > 16 - budget)
		plat_report_leak(s, "cache %s: and %lu more objects leaked",
				 s->name, live - (16 - budget));
	return -EBUSY;
}

/* ---------------------------------------------------------------------
 * Statistics
 */

/* Add what CPU list @c counted to @st. */
static void add_cpu_stats(struct sloba_cache_stats *st,
			  const struct sloba_cpu *c)
{
	unsigned long alloc_fast = READ_ONCE(c->alloc_fast);

	st->alloc_fast += alloc_fast;
	st->alloc_slow += READ_ONCE(c->alloc_slow);
	st->free_slow += READ_ONCE(c->free_slow);
	st->refill_spare += READ_ONCE(c->refill_spare);
	st->refill_barn += READ_ONCE(c->refill_barn);
	st->flush_spare += READ_ONCE(c->flush_spare);
	st->flush_barn += READ_ONCE(c->flush_barn);
	/* What fast frees put on main: see struct sloba_cpu. */
	if (plat_stats_enabled())
		st->free_fast += READ_ONCE(c->count) + READ_ONCE(c->slow_out) +
				 alloc_fast - READ_ONCE(c->slow_in);
}

/*
 * A CPU list is going away (a thread exits): its spare goes to the barn,
 * for other threads, if there is room, the rest to the slabs, and its
 * counts into the cache's.
 */
void sloba_cpu_retire(struct kmem_cache *s, struct sloba_cpu *c)
{
	unsigned long lflags;

	if (c->spare && barn_put(local_node(s), c, c->spare)) {
		c->flush_barn++;
		c->spare = NULL;
	}
	sloba_cpu_drain(s, c);
	plat_lock(&s->node[0].lock, &lflags);
	add_cpu_stats(&s->gone, c);
	plat_unlock(&s->node[0].lock, lflags);
	memset(c, 0, sizeof(*c));
}

static void add_cpu_info(struct kmem_cache *s, struct sloba_cpu *c, void *arg)
{
	struct sloba_cache_info *info = arg;

	add_cpu_stats(&info->stats, c);
	info->free_cached += READ_ONCE(c->count);
	if (READ_ONCE(c->spare))
		info->free_cached += s->cpu_batch;
}

/*
 * The free objects waiting in the nodes' barns (slabinfo's sharedavail:
 * SLAB's shared arrays are the nearest thing it has).  Read racily.
 */
unsigned long sloba_cache_barn_objects(struct kmem_cache *s)
{
	unsigned long nr = 0;
	struct sloba_node *n;
	unsigned int i;

	for_each_sloba_node(s, n)
		for (i = 0; i < SLOBA_BARN_SLOTS; i++)
			if (READ_ONCE(n->barn[i]))
				nr += s->cpu_batch;
	return nr;
}

/*
 * What slabinfo shows, and the counters.  CPU lists are read while they
 * change: statistics need not be exact to the object.
 */
void sloba_cache_get_info(struct kmem_cache *s, struct sloba_cache_info *info)
{
	struct sloba_cache_stats *st = &info->stats;
	struct sloba_node *n;
	unsigned long lflags;

	memset(info, 0, sizeof(*info));
	plat_lock(&s->node[0].lock, &lflags);
	*st = s->gone;
	plat_unlock(&s->node[0].lock, lflags);
	plat_visit_cpu_lists(s, add_cpu_info, info);
	for_each_sloba_node(s, n) {
		plat_lock(&n->lock, &lflags);
		info->active_objs += n->nr_inuse;
		info->num_objs += n->nr_objs;
		info->active_slabs += n->nr_slabs - n->nr_empty;
		info->num_slabs += n->nr_slabs;
		st->alloc_slow += n->alloc_direct;
		st->free_slow += n->free_direct;
		st->refill_slabs += n->refill_slabs;
		st->flush_slabs += n->flush_slabs;
		st->lock_acquisitions += n->lock_acquisitions;
		st->remote_frees += n->remote_frees;
		st->slabs_allocated += n->slabs_allocated;
		st->slabs_freed += n->slabs_freed;
		plat_unlock(&n->lock, lflags);
		info->barn_limit = max_t(unsigned int, info->barn_limit,
					 READ_ONCE(n->barn_limit));
	}
	info->free_cached += sloba_cache_barn_objects(s);
	info->name = s->name;
	info->objsize = s->size;
	info->objperslab = s->objects;
	info->pagesperslab = 1U << s->order;
	info->limit = (s->sflags & SLOBA_F_DEBUG) ? 0 : 2 * s->cpu_batch;
	info->batchcount = s->cpu_batch;
	info->barn_max = s->barn_max;
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

/*
 * The classes in use: the sizes above rounded up to SLOBA_KMALLOC_MINALIGN
 * (8 on x86, 128 for DMA's sake on arm64), duplicates dropped.
 */
unsigned int sloba_kmalloc_nr;
unsigned int sloba_kmalloc_class[SLOBA_NR_KMALLOC];

/*
 * One set of classes per kmalloc type (the kernel's normal, accounted,
 * reclaimable and DMA memory; userspace has one); a type the platform does
 * not separate shares the normal caches.
 */
struct kmem_cache *sloba_kmalloc_caches[SLOBA_KMALLOC_TYPES][SLOBA_NR_KMALLOC];
static char kmalloc_names[SLOBA_KMALLOC_TYPES][SLOBA_NR_KMALLOC][24];

/*
 * The cache for a request of n bytes (1 <= n <= 4096) and type t is
 * size_cache[t][(n - 1) / 8]: kmalloc's range check has computed n - 1
 * already.
 */
static struct kmem_cache *
size_cache[SLOBA_KMALLOC_TYPES][SLOBA_KMALLOC_MAX_CACHE_SIZE / 8];
#define size_index(n)	(((n) - 1) >> 3)

static void kmalloc_classes(void)
{
	unsigned int i, size;

	for (i = 0; i < SLOBA_NR_KMALLOC; i++) {
		size = ALIGN(sloba_kmalloc_sizes[i], SLOBA_KMALLOC_MINALIGN);
		if (!sloba_kmalloc_nr ||
		    sloba_kmalloc_class[sloba_kmalloc_nr - 1] != size)
			sloba_kmalloc_class[sloba_kmalloc_nr++] = size;
	}
}

static int kmalloc_type_setup(unsigned int t)
{
	unsigned int i, c = 0, t_alias = t;
	const char *prefix;
	slab_flags_t flags;
	int err;

	if (!plat_kmalloc_type(t, &prefix, &flags))
		t_alias = 0;	/* this type shares the normal caches */
	for (i = 0; i < sloba_kmalloc_nr; i++) {
		struct kmem_cache *s;

		if (t_alias != t) {
			sloba_kmalloc_caches[t][i] = sloba_kmalloc_caches[0][i];
			continue;
		}
		s = plat_kmalloc_cache_struct(t, i);
		if (!s)
			return -ENOMEM;
		snprintf(kmalloc_names[t][i], sizeof(kmalloc_names[t][i]),
			 "%s%u", prefix, sloba_kmalloc_class[i]);
		s->name = kmalloc_names[t][i];
		s->object_size = sloba_kmalloc_class[i];
		s->flags = flags;
		/*
		 * Power-of-two classes are naturally aligned, even when
		 * debugging makes the stride longer than the object.
		 */
		s->align = s->object_size & (s->object_size - 1) ?
			   SLOBA_KMALLOC_MINALIGN : s->object_size;
		s->usersize = s->object_size;
		s->sflags = SLOBA_F_KMALLOC;
		s->refcount = 1;
		err = sloba_cache_setup(s);
		if (err)
			return err;
		sloba_kmalloc_caches[t][i] = s;
	}
	for (i = 0; i < ARRAY_SIZE(size_cache[t]); i++) {
		while (sloba_kmalloc_class[c] < (i + 1) * 8)
			c++;
		size_cache[t][i] = sloba_kmalloc_caches[t][c];
	}
	return 0;
}

/*
 * Set up the kmalloc caches.  The platform calls this once, first.
 * Returns 0 or a negative errno.
 */
int sloba_init(void)
{
	unsigned int t;
	int err;

	kmalloc_classes();
	for (t = 0; t < SLOBA_KMALLOC_TYPES; t++) {
		err = kmalloc_type_setup(t);
		if (err)
			return err;
	}
	return 0;
}

/* The normal kmalloc cache for @size bytes, NULL if none. */
struct kmem_cache *sloba_kmalloc_cache(size_t size)
{
	return sloba_kmalloc_cache_gfp(size, 0);
}

/* The kmalloc cache for @size bytes of the type @gfp asks for. */
struct kmem_cache *sloba_kmalloc_cache_gfp(size_t size, gfp_t gfp)
{
	if (!size || size > SLOBA_KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	return size_cache[plat_kmalloc_gfp_type(gfp)][size_index(size)];
}

/* What ksize() will say of a kmalloc(size); large ones are whole blocks. */
size_t sloba_kmalloc_size_roundup(size_t size)
{
	size_t block = PAGE_SIZE;

	if (!size)
		return 0;
	if (size <= SLOBA_KMALLOC_MAX_CACHE_SIZE)
		return size_cache[0][size_index(size)]->usable;
	while (block < size && block < ((size_t)PAGE_SIZE << SLOBA_MAX_ORDER))
		block <<= 1;
	return block;
}

void *sloba_kmalloc(size_t size, gfp_t gfp)
{
	if (likely(size - 1 < SLOBA_KMALLOC_MAX_CACHE_SIZE))
		return sloba_fast_alloc(size_cache[plat_kmalloc_gfp_type(gfp)]
						  [size_index(size)], gfp);
	if (!size)
		return ZERO_SIZE_PTR;
	return plat_large_alloc(size, gfp, NUMA_NO_NODE);
}

void *sloba_kmalloc_node(size_t size, gfp_t gfp, int nid)
{
	if (likely(size - 1 < SLOBA_KMALLOC_MAX_CACHE_SIZE))
		return sloba_cache_alloc_node(size_cache[plat_kmalloc_gfp_type(gfp)]
							[size_index(size)],
					      gfp, nid);
	if (!size)
		return ZERO_SIZE_PTR;
	return plat_large_alloc(size, gfp, nid);
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
		sloba_fast_free(slab->slab_cache, (void *)p);
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
