// SPDX-License-Identifier: GPL-2.0-only
/*
 * pages.c - the page allocator under userspace SLOBA: a buddy system over
 * one reserved stretch of virtual memory (the arena), the way the kernel's
 * slab allocators sit on the kernel's buddy allocator.
 *
 * The arena is reserved once (64 GiB by default, SLOBA_ARENA_GIB to
 * change; MAP_NORESERVE, so untouched pages cost nothing) and handed to the
 * buddy allocator lazily, 4 MiB (the largest block, order SLOBA_MAX_ORDER)
 * at a time.  A page-descriptor array with one struct slab per page,
 * reserved the same way, lets any address find its page in O(1)
 * (plat_virt_to_slab).  Free blocks are coalesced with their buddies; when
 * more than a few MiB of free memory may still be resident, the largest
 * free blocks go back to the operating system with madvise(MADV_DONTNEED).
 *
 * Small blocks (orders below PCP_ORDERS: every slab of the kmalloc classes,
 * and large allocations up to 16 KiB) also pass through per-thread lists,
 * as the kernel's per-CPU page lists: a thread allocates from and frees to
 * its own list, and moves PCP_BATCH_PAGES at a time between it and the
 * buddy lists, so a cache that grows and shrinks by whole slabs does not
 * take the buddy lock for every slab.  A thread holds at most
 * PCP_HIGH_PAGES per order there; they go back when it exits, and when any
 * thread calls sloba_trim().  They count as free (and maybe resident) in
 * sloba_page_stats().
 *
 * Locks, outermost first:
 *   pcp_registry.lock  the list of every thread's struct pcp
 *   pcp::lock          one thread's lists: a spinlock only its owner takes,
 *                      but for sloba_trim() and fork() (so never contended
 *                      in the normal course)
 *   buddy.lock         the free lists and the descriptors of free blocks
 *                      (adaptive: it spins a little before sleeping)
 * Descriptors of blocks on a per-thread list belong to that thread's lock,
 * those of allocated blocks to whoever allocated them (the core, under its
 * cache lock, for slabs).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "sloba.h"
#include "sloba_plat_inline.h"

struct sloba_arena sloba_arena;
int sloba_rcu_token;

static struct {
	pthread_mutex_t lock;
	struct list_head free[SLOBA_MAX_ORDER + 1];
	size_t npages;		/* pages the arena can hold */
	size_t top;		/* pages handed to the buddy lists so far */
	size_t nr_free;
	size_t nr_dirty;	/* free pages that may still be resident */
	size_t nr_slab;
	size_t nr_large;
	size_t retain;		/* resident free pages kept before purging */
	unsigned long purges;
	unsigned long fail_every;	/* atomic, as the two below */
	unsigned long calls;
	unsigned int fail_order;	/* slabs of this order and up fail */
} buddy = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A thread's own free blocks, by order (see the top of this file). */
#define PCP_ORDERS		3
#define PCP_BATCH_PAGES		16U
#define PCP_HIGH_PAGES		32U

/* PCP_SETUP: registering, when a nested call must not use the lists. */
enum pcp_state { PCP_NEW, PCP_SETUP, PCP_LIVE, PCP_OFF };

struct pcp {
	struct list_head list[PCP_ORDERS];
	unsigned int count[PCP_ORDERS];	/* [lock] blocks on each list */
	enum pcp_state state;		/* the owner's only */
	int lock;			/* 1 while held */
	struct list_head node;		/* on pcp_registry while LIVE */
};

static __thread struct pcp pcp;
static pthread_key_t pcp_key;
static pthread_once_t pcp_once = PTHREAD_ONCE_INIT;

static struct {
	pthread_mutex_t lock;
	struct list_head list;
} pcp_registry = {
	PTHREAD_MUTEX_INITIALIZER, CDS_LIST_HEAD_INIT(pcp_registry.list)
};

static void pcp_lock(struct pcp *p)
{
	while (__atomic_exchange_n(&p->lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void pcp_unlock(struct pcp *p)
{
	__atomic_store_n(&p->lock, 0, __ATOMIC_RELEASE);
}

#define BLOCK_PAGES(order)	((size_t)1 << (order))
#define ARENA_DEFAULT_GIB	64
#define RETAIN_DEFAULT_MIB	8

static size_t env_size(const char *name, size_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	n = strtoull(v, &end, 10);
	if (*end || !n) {
		fprintf(stderr, "sloba: ignoring %s=%s (want a positive number)\n",
			name, v);
		return def;
	}
	return (size_t)n;
}

/*
 * Under memcheck a 64 GiB reservation takes minutes to set up: the
 * Valgrind build asks for 1 GiB when it runs there.
 */
static size_t arena_default_gib(void)
{
#ifdef SLOBA_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return 1;
#endif
	return ARENA_DEFAULT_GIB;
}

/* Reserve the arena and its descriptors; called once from sloba_user_init. */
void sloba_pages_init(void)
{
	size_t max_block = PAGE_SIZE << SLOBA_MAX_ORDER;
	size_t bytes = env_size("SLOBA_ARENA_GIB", arena_default_gib()) << 30;
	size_t desc_bytes;
	struct slab *desc;
	char *raw;
	int i;

	plat_lock_init(&buddy.lock);	/* adaptive, as the cache locks */
	for (i = 0; i <= SLOBA_MAX_ORDER; i++)
		INIT_LIST_HEAD(&buddy.free[i]);
	buddy.retain = env_size("SLOBA_RETAIN_MIB", RETAIN_DEFAULT_MIB) << 8;

	/*
	 * Over-reserve so the arena starts on a 4 MiB boundary.  Where the
	 * address space is tight (valgrind, 32-bit, ulimit -v), settle for
	 * less, down to 256 MiB.
	 */
	for (;;) {
		raw = mmap(NULL, bytes + max_block, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (raw != MAP_FAILED)
			break;
		if (bytes <= (size_t)256 << 20) {
			fprintf(stderr, "sloba: cannot reserve an arena\n");
			return;
		}
		bytes /= 2;
	}
	buddy.npages = bytes >> PAGE_SHIFT;
	desc_bytes = buddy.npages * sizeof(struct slab);
	desc = mmap(NULL, desc_bytes, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (desc == MAP_FAILED) {
		fprintf(stderr, "sloba: cannot reserve the page descriptors\n");
		munmap(raw, bytes + max_block);
		buddy.npages = 0;
		return;
	}
	sloba_arena.desc = desc;
	sloba_arena.base = (char *)ALIGN((uintptr_t)raw, max_block);
	sloba_arena.bytes = bytes;
}

static inline size_t page_index(const struct slab *d)
{
	return (size_t)(d - sloba_arena.desc);
}

static void *page_address(const struct slab *d)
{
	return sloba_arena.base + (page_index(d) << PAGE_SHIFT);
}

/*
 * A block's kind changes under the lock, except on the way to or from a
 * thread's own list, while merging blocks read their buddy's kind: relaxed
 * atomics keep those reads defined (what they see is never PAGE_FREE).
 */
static inline enum sloba_page_kind page_kind(const struct slab *d)
{
	return __atomic_load_n(&d->kind, __ATOMIC_RELAXED);
}

static inline void set_page_kind(struct slab *d, enum sloba_page_kind kind)
{
	__atomic_store_n(&d->kind, (unsigned char)kind, __ATOMIC_RELAXED);
}

static void free_list_add(struct slab *d, unsigned int order, bool dirty)
{
	set_page_kind(d, PAGE_FREE);
	d->order = (unsigned char)order;
	d->dirty = dirty;
	list_add(&d->slab_list, &buddy.free[order]);
	buddy.nr_free += BLOCK_PAGES(order);
	if (dirty)
		buddy.nr_dirty += BLOCK_PAGES(order);
}

static void free_list_del(struct slab *d)
{
	list_del(&d->slab_list);
	buddy.nr_free -= BLOCK_PAGES(d->order);
	if (d->dirty)
		buddy.nr_dirty -= BLOCK_PAGES(d->order);
	set_page_kind(d, PAGE_UNUSED);
}

/*
 * Free pages on threads' own lists: neither on the buddy lists nor in use
 * (under the lock; the two counters read may lag, which only skews this).
 */
static size_t pages_cached_locked(void)
{
	size_t used = __atomic_load_n(&buddy.nr_slab, __ATOMIC_RELAXED) +
		      __atomic_load_n(&buddy.nr_large, __ATOMIC_RELAXED);

	return buddy.top > used + buddy.nr_free ?
	       buddy.top - used - buddy.nr_free : 0;
}

/*
 * When more than @keep free pages may be resident (threads' own lists
 * count as resident), give memory back until at most half of it is left.
 */
static void purge_locked(size_t keep)
{
	int order;
	size_t cached = pages_cached_locked();

	keep = keep > cached ? keep - cached : 0;
	if (buddy.nr_dirty <= keep)
		return;
	buddy.purges++;
	for (order = SLOBA_MAX_ORDER; order >= 0; order--) {
		struct slab *d;

		list_for_each_entry(d, &buddy.free[order], slab_list) {
			if (!d->dirty)
				continue;
			madvise(page_address(d), PAGE_SIZE << order,
				MADV_DONTNEED);
			d->dirty = 0;
			buddy.nr_dirty -= BLOCK_PAGES(order);
			if (buddy.nr_dirty <= keep / 2)
				return;
		}
	}
}

/* Take a free block of 2^order pages off the buddy lists, or NULL. */
static struct slab *buddy_alloc_locked(unsigned int order)
{
	struct slab *d = NULL;
	unsigned int o;
	bool dirty;

	for (o = order; o <= SLOBA_MAX_ORDER; o++) {
		d = list_first_entry_or_null(&buddy.free[o], struct slab,
					     slab_list);
		if (d)
			break;
	}
	if (!d) {
		if (buddy.top + BLOCK_PAGES(SLOBA_MAX_ORDER) > buddy.npages)
			return NULL;
		o = SLOBA_MAX_ORDER;
		d = &sloba_arena.desc[buddy.top];
		buddy.top += BLOCK_PAGES(o);
		free_list_add(d, o, false);
	}
	dirty = d->dirty;
	free_list_del(d);
	/* Split: keep the lower half, free the upper halves. */
	while (o > order) {
		o--;
		free_list_add(d + BLOCK_PAGES(o), o, dirty);
	}
	d->order = (unsigned char)order;
	return d;
}

/* Put a block back on the buddy lists, merged with its free buddies. */
static void buddy_free_locked(struct slab *d)
{
	unsigned int order = d->order;
	size_t idx = page_index(d);

	set_page_kind(d, PAGE_UNUSED);
	while (order < SLOBA_MAX_ORDER) {
		size_t bidx = idx ^ BLOCK_PAGES(order);
		struct slab *b = &sloba_arena.desc[bidx];

		if (bidx >= buddy.top || page_kind(b) != PAGE_FREE ||
		    b->order != order)
			break;
		free_list_del(b);
		idx &= ~BLOCK_PAGES(order);
		order++;
	}
	free_list_add(&sloba_arena.desc[idx], order, true);
}

/* Send up to @n blocks of @order from this thread's list to the buddy. */
static void pcp_drain_locked(struct pcp *p, unsigned int order,
			     unsigned int n)
{
	while (n-- && p->count[order]) {
		struct slab *d = list_entry(p->list[order].prev, struct slab,
					    slab_list);

		list_del(&d->slab_list);
		p->count[order]--;
		buddy_free_locked(d);
	}
}

/* Everything on a thread's lists goes back to the buddy. */
static void pcp_drain_all_locked(struct pcp *p)
{
	unsigned int o;

	for (o = 0; o < PCP_ORDERS; o++)
		pcp_drain_locked(p, o, p->count[o]);
}

/* Thread exit: the thread's lists go back. */
static void pcp_exit(void *arg)
{
	struct pcp *p = arg;

	pthread_mutex_lock(&pcp_registry.lock);
	list_del(&p->node);
	pthread_mutex_unlock(&pcp_registry.lock);
	pcp_lock(p);
	pthread_mutex_lock(&buddy.lock);
	pcp_drain_all_locked(p);
	pthread_mutex_unlock(&buddy.lock);
	p->state = PCP_OFF;	/* later frees (other exit hooks) go direct */
	pcp_unlock(p);
}

static void make_pcp_key(void)
{
	if (pthread_key_create(&pcp_key, pcp_exit))
		pcp_key = (pthread_key_t)-1;
}

/* May this thread keep blocks of @order?  Sets its lists up once. */
static bool pcp_usable(unsigned int order)
{
	unsigned int o;

	if (order >= PCP_ORDERS || pcp.state == PCP_OFF)
		return false;
	if (likely(pcp.state == PCP_LIVE))
		return true;
	if (pcp.state == PCP_SETUP)
		return false;	/* pthread_setspecific() itself allocates */
	pcp.state = PCP_SETUP;
	pthread_once(&pcp_once, make_pcp_key);
	if (pcp_key == (pthread_key_t)-1 || pthread_setspecific(pcp_key, &pcp)) {
		pcp.state = PCP_OFF;
		return false;
	}
	for (o = 0; o < PCP_ORDERS; o++)
		INIT_LIST_HEAD(&pcp.list[o]);
	pthread_mutex_lock(&pcp_registry.lock);
	list_add(&pcp.node, &pcp_registry.list);
	pthread_mutex_unlock(&pcp_registry.lock);
	pcp.state = PCP_LIVE;
	return true;
}

/*
 * Take a block of 2^order pages and mark it @kind: from this thread's list,
 * which an empty list first refills with a batch, or from the buddy lists.
 */
static struct slab *block_alloc(unsigned int order, enum sloba_page_kind kind)
{
	struct slab *d = NULL;
	unsigned int n;

	if (order > SLOBA_MAX_ORDER)
		return NULL;
	if (pcp_usable(order)) {
		struct list_head *l = &pcp.list[order];

		pcp_lock(&pcp);
		if (!pcp.count[order]) {
			pthread_mutex_lock(&buddy.lock);
			for (n = PCP_BATCH_PAGES >> order; n; n--) {
				d = buddy_alloc_locked(order);
				if (!d)
					break;
				set_page_kind(d, PAGE_CACHED);
				list_add_tail(&d->slab_list, l);
				pcp.count[order]++;
			}
			pthread_mutex_unlock(&buddy.lock);
		}
		d = list_first_entry_or_null(l, struct slab, slab_list);
		if (d) {
			list_del(&d->slab_list);
			pcp.count[order]--;
		}
		pcp_unlock(&pcp);
	} else {
		pthread_mutex_lock(&buddy.lock);
		d = buddy_alloc_locked(order);
		pthread_mutex_unlock(&buddy.lock);
	}
	if (d)
		set_page_kind(d, kind);
	return d;
}

/* Free a block: onto this thread's list, sending a batch on when full. */
static void block_free(struct slab *d)
{
	unsigned int order = d->order;

	if (pcp_usable(order)) {
		pcp_lock(&pcp);
		set_page_kind(d, PAGE_CACHED);
		list_add(&d->slab_list, &pcp.list[order]);
		if (++pcp.count[order] <= PCP_HIGH_PAGES >> order) {
			pcp_unlock(&pcp);
			return;
		}
		pthread_mutex_lock(&buddy.lock);
		pcp_drain_locked(&pcp, order, PCP_BATCH_PAGES >> order);
		pcp_unlock(&pcp);
	} else {
		pthread_mutex_lock(&buddy.lock);
		buddy_free_locked(d);
	}
	purge_locked(buddy.retain);
	pthread_mutex_unlock(&buddy.lock);
}

/* Does the fault injection of sloba_fail_page_alloc_every() fail this call? */
static bool injected_failure(void)
{
	unsigned long every = __atomic_load_n(&buddy.fail_every,
					      __ATOMIC_RELAXED);

	return every && __atomic_add_fetch(&buddy.calls, 1,
					   __ATOMIC_RELAXED) % every == 0;
}

/* One node: @nid is always right. */
struct slab *plat_slab_alloc(struct kmem_cache *s, gfp_t gfp,
			     unsigned int order, bool may_fail, int nid)
{
	size_t i, n = BLOCK_PAGES(order);
	unsigned int fail;
	struct slab *d;

	(void)s;
	(void)may_fail;
	(void)nid;
	fail = __atomic_load_n(&buddy.fail_order, __ATOMIC_RELAXED);
	if ((fail && order >= fail) || injected_failure())
		return NULL;
	/* Emulated low memory: the reserves, for those entitled only. */
	if (plat_pfmemalloc_active() && !plat_pfmemalloc_allowed(gfp))
		return NULL;
	d = block_alloc(order, PAGE_SLAB);
	if (!d)
		return NULL;
	d->pfmemalloc = plat_pfmemalloc_active();
	san_slab_new(page_address(d), PAGE_SIZE << order);
	for (i = 0; i < n; i++)
		d[i].head = d;
	__atomic_add_fetch(&buddy.nr_slab, n, __ATOMIC_RELAXED);
	return d;
}

void plat_slab_free(struct kmem_cache *s, struct slab *slab)
{
	size_t i, n = BLOCK_PAGES(slab->order);

	(void)s;
	for (i = 0; i < n; i++)
		slab[i].head = NULL;
	slab->slab_cache = NULL;
	slab->pfmemalloc = 0;
	san_slab_gone(page_address(slab), PAGE_SIZE << slab->order);
	__atomic_sub_fetch(&buddy.nr_slab, n, __ATOMIC_RELAXED);
	block_free(slab);
	__tsan_release(&sloba_rcu_token);	/* for rcu_barrier() */
}

void *plat_large_alloc(size_t size, gfp_t gfp, int nid)
{
	unsigned int order = 0;
	struct slab *d;
	void *p;

	(void)nid;
	while ((PAGE_SIZE << order) < size && order <= SLOBA_MAX_ORDER)
		order++;
	if (injected_failure())
		return NULL;
	d = block_alloc(order, PAGE_LARGE);
	if (!d)
		return NULL;
	__atomic_add_fetch(&buddy.nr_large, BLOCK_PAGES(order),
			   __ATOMIC_RELAXED);
	p = page_address(d);
	if (gfp & __GFP_ZERO)
		memset(p, 0, PAGE_SIZE << order);
	return p;
}

static struct slab *large_desc(const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)sloba_arena.base;
	struct slab *d;

	if (off >= sloba_arena.bytes || (off & (PAGE_SIZE - 1)))
		return NULL;
	d = &sloba_arena.desc[off >> PAGE_SHIFT];
	return page_kind(d) == PAGE_LARGE ? d : NULL;
}

size_t plat_large_size(const void *p)
{
	struct slab *d = large_desc(p);

	return d ? PAGE_SIZE << d->order : 0;
}

void plat_large_free(const void *p)
{
	struct slab *d = large_desc(p);

	__atomic_sub_fetch(&buddy.nr_large, BLOCK_PAGES(d->order),
			   __ATOMIC_RELAXED);
	block_free(d);
}

/* Pages on threads' own lists count as free and as resident. */
void sloba_page_stats(struct sloba_page_stats *st)
{
	size_t cached;

	san_flush();	/* quarantined objects count as free */
	pthread_mutex_lock(&buddy.lock);
	cached = pages_cached_locked();
	st->arena_pages = buddy.top;
	st->free_pages = buddy.nr_free + cached;
	st->resident_free_pages = buddy.nr_dirty + cached;
	st->purges = buddy.purges;
	pthread_mutex_unlock(&buddy.lock);
	st->slab_pages = __atomic_load_n(&buddy.nr_slab, __ATOMIC_RELAXED);
	st->large_pages = __atomic_load_n(&buddy.nr_large, __ATOMIC_RELAXED);
}

/* Every thread's own blocks go back, then every free page to the system. */
void sloba_trim(void)
{
	struct pcp *p;

	san_flush();
	pthread_mutex_lock(&pcp_registry.lock);
	list_for_each_entry(p, &pcp_registry.list, node) {
		pcp_lock(p);
		pthread_mutex_lock(&buddy.lock);
		pcp_drain_all_locked(p);
		pthread_mutex_unlock(&buddy.lock);
		pcp_unlock(p);
	}
	pthread_mutex_unlock(&pcp_registry.lock);
	pthread_mutex_lock(&buddy.lock);
	purge_locked(0);
	pthread_mutex_unlock(&buddy.lock);
}

/*
 * fork(): every lock of the page allocator is taken before, so the child
 * finds the lists whole.  In the child only the forking thread lives on:
 * the other threads' page lists go back to the buddy lists.
 */
void sloba_pages_fork_prepare(void)
{
	struct pcp *p;

	pthread_mutex_lock(&pcp_registry.lock);
	list_for_each_entry(p, &pcp_registry.list, node)
		pcp_lock(p);
	pthread_mutex_lock(&buddy.lock);
}

void sloba_pages_fork_parent(void)
{
	struct pcp *p;

	pthread_mutex_unlock(&buddy.lock);
	list_for_each_entry(p, &pcp_registry.list, node)
		pcp_unlock(p);
	pthread_mutex_unlock(&pcp_registry.lock);
}

void sloba_pages_fork_child(void)
{
	struct pcp *p, *next;

	list_for_each_entry_safe(p, next, &pcp_registry.list, node) {
		if (p != &pcp) {
			pcp_drain_all_locked(p);
			list_del(&p->node);
		}
		pcp_unlock(p);
	}
	pthread_mutex_unlock(&buddy.lock);
	pthread_mutex_unlock(&pcp_registry.lock);
}

void sloba_fail_slab_order(unsigned int order)
{
	__atomic_store_n(&buddy.fail_order, order, __ATOMIC_RELAXED);
}

void sloba_fail_page_alloc_every(unsigned long n)
{
	__atomic_store_n(&buddy.fail_every, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&buddy.calls, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&buddy.fail_every, n, __ATOMIC_RELAXED);
}
