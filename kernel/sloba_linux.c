// SPDX-License-Identifier: GPL-2.0-only
/*
 * sloba_linux.c - SLOBA inside Linux: the kernel's half of the platform
 * contract (pages, per-cpu freelists, CPU hotplug, reports) and every entry
 * point mm/slab_common.c and <linux/slab.h> expect from a slab allocator.
 *
 * The allocator itself is mm/sloba.c, the same file that libsloba builds
 * in userspace.  This file adds what only the kernel has: tracepoints,
 * kmemleak hooks, gfp_allowed_mask and might_alloc(), vmstat accounting of
 * slab pages (the Slab: line of /proc/meminfo), /proc/slabinfo, a
 * shrinker, and boot-time set-up.  Large kmalloc() requests (over 4096 bytes) are whole
 * compound pages, accounted as unreclaimable slab like slab_common's
 * kmalloc_large(), so kfree() can take those too.
 *
 * Boot parameter: sloba_debug makes every cache a debug cache (every free
 * checked, free objects poisoned, no per-cpu caching).
 */
#include <linux/cpuhotplug.h>
#include <linux/debug_locks.h>
#include <linux/debugobjects.h>
#include <linux/kfence.h>
#include <linux/kmemleak.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/swap.h>
#include <trace/events/kmem.h>

#include "internal.h"
#include "slab.h"
#include "sloba.h"
#include "sloba_def.h"
#include "sloba_plat_inline.h"

bool sloba_debug_all __ro_after_init;

static int __init setup_sloba_debug(char *str)
{
	sloba_debug_all = true;
	return 1;
}
__setup("sloba_debug", setup_sloba_debug);

/* ---------------------------------------------------------------------
 * The platform contract
 */

/*
 * The page allocator sees only how hard to try and where, as under SLUB:
 * zone, accounting (__GFP_ACCOUNT charges objects, not the slab's pages)
 * and zeroing bits of the object's request stay out, and bits no slab may
 * ask for are reported once and dropped (kmalloc_fix_flags()).
 */
static gfp_t slab_page_gfp(struct kmem_cache *s, gfp_t gfp,
			   unsigned int order, bool may_fail)
{
	if (unlikely(gfp & GFP_SLAB_BUG_MASK))
		gfp = kmalloc_fix_flags(gfp);
	gfp &= GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK;
	if (may_fail)		/* a smaller order comes next */
		gfp = (gfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		gfp |= __GFP_RECLAIMABLE;
	if (s->flags & SLAB_CACHE_DMA)
		gfp |= GFP_DMA;
	if (s->flags & SLAB_CACHE_DMA32)
		gfp |= GFP_DMA32;
	if (order)
		gfp |= __GFP_COMP;
	return gfp;
}

struct slab *plat_slab_alloc(struct kmem_cache *s, gfp_t gfp,
			     unsigned int order, bool may_fail)
{
	struct folio *folio;

	folio = (struct folio *)alloc_pages(slab_page_gfp(s, gfp, order,
							  may_fail), order);
	if (!folio)
		return NULL;
	__folio_set_slab(folio);
	if (page_is_pfmemalloc(folio_page(folio, 0)))
		slab_set_pfmemalloc(folio_slab(folio));
	kasan_poison_slab(folio_slab(folio));
	mod_node_page_state(folio_pgdat(folio), cache_vmstat_idx(s),
			    PAGE_SIZE << order);
	return folio_slab(folio);
}

void plat_slab_free(struct kmem_cache *s, struct slab *slab)
{
	struct folio *folio = slab_folio(slab);
	unsigned int order = folio_order(folio);

	if (memcg_kmem_enabled())
		memcg_free_slab_cgroups(slab);
	__slab_clear_pfmemalloc(slab);
	folio->mapping = NULL;		/* slab_cache lived there */
	__folio_clear_slab(folio);
	mod_node_page_state(folio_pgdat(folio), cache_vmstat_idx(s),
			    -(PAGE_SIZE << order));
	if (current->reclaim_state)
		current->reclaim_state->reclaimed_slab += 1 << order;
	__free_pages(folio_page(folio, 0), order);
}

void *plat_large_alloc(size_t size, gfp_t gfp)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (unlikely(order > SLOBA_MAX_ORDER)) {
		WARN_ON_ONCE(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	page = alloc_pages(gfp | __GFP_COMP, order);
	if (!page)
		return NULL;
	mod_lruvec_page_state(page, NR_SLAB_UNRECLAIMABLE_B, PAGE_SIZE << order);
	return page_address(page);
}

size_t plat_large_size(const void *p)
{
	struct folio *folio;

	if (!virt_addr_valid(p))
		return 0;
	folio = virt_to_folio(p);
	if (folio_test_slab(folio) || p != folio_address(folio))
		return 0;
	return folio_size(folio);
}

void plat_large_free(const void *p)
{
	struct folio *folio = virt_to_folio(p);
	unsigned int order = folio_order(folio);

	mod_lruvec_page_state(folio_page(folio, 0), NR_SLAB_UNRECLAIMABLE_B,
			      -(PAGE_SIZE << order));
	__free_pages(folio_page(folio, 0), order);
}

int plat_cache_cpu_init(struct kmem_cache *s)
{
	unsigned int limit = (s->sflags & SLOBA_F_DEBUG) ? 0 : s->cpu_limit;
	int cpu;

	s->cpu = alloc_percpu(struct sloba_cpu);
	if (!s->cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		per_cpu_ptr(s->cpu, cpu)->limit = limit;
	return 0;
}

void plat_cache_cpu_release(struct kmem_cache *s)
{
	free_percpu(s->cpu);
	s->cpu = NULL;
}

/* Every CPU's limit is set up front, so there is nothing to allow here. */
bool plat_cpu_activate(struct kmem_cache *s, struct sloba_cpu *c)
{
	return false;
}

static void drain_this_cpu(void *info)
{
	struct kmem_cache *s = info;

	sloba_cpu_drain(s, this_cpu_ptr(s->cpu));
}

void plat_drain_cpus(struct kmem_cache *s, bool all)
{
	on_each_cpu(drain_this_cpu, s, 1);
}

void plat_report(struct kmem_cache *s, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	WARN(1, "SLOBA: %pV\n", &vaf);
	va_end(args);
}

void plat_report_leak(struct kmem_cache *s, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("SLOBA: %pV\n", &vaf);
	va_end(args);
}

/* A CPU that went away leaves its freelists to the slabs. */
static int sloba_cpu_dead(unsigned int cpu)
{
	struct kmem_cache *s;

	mutex_lock(&slab_mutex);
	list_for_each_entry(s, &slab_caches, list)
		sloba_cpu_drain(s, per_cpu_ptr(s->cpu, cpu));
	mutex_unlock(&slab_mutex);
	return 0;
}

/*
 * Memory pressure and drop_caches reach what SLOBA holds without a user:
 * objects resting on CPU freelists (which pin their slabs) and the few empty
 * slabs each cache keeps.  A scan gives all of it back, every cache at once,
 * at most ten times a second.
 */
static unsigned long sloba_last_reclaim;

static unsigned long sloba_shrink_count(struct shrinker *shrink,
					struct shrink_control *sc)
{
	unsigned long count = 0;
	struct kmem_cache *s;
	int cpu;

	if (!mutex_trylock(&slab_mutex))
		return 0;
	list_for_each_entry(s, &slab_caches, list) {
		count += READ_ONCE(s->nr_empty) << s->order;
		for_each_possible_cpu(cpu)
			if (READ_ONCE(per_cpu_ptr(s->cpu, cpu)->count))
				count++;
	}
	mutex_unlock(&slab_mutex);
	return count;
}

static unsigned long sloba_shrink_scan(struct shrinker *shrink,
				       struct shrink_control *sc)
{
	unsigned long freed = 0;
	struct kmem_cache *s;

	if (time_before(jiffies, READ_ONCE(sloba_last_reclaim) + HZ / 10) ||
	    !mutex_trylock(&slab_mutex))
		return SHRINK_STOP;
	list_for_each_entry(s, &slab_caches, list)
		freed += sloba_cache_reclaim(s);
	WRITE_ONCE(sloba_last_reclaim, jiffies);
	mutex_unlock(&slab_mutex);
	return freed;
}

static struct shrinker sloba_shrinker = {
	.count_objects = sloba_shrink_count,
	.scan_objects = sloba_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

/* ---------------------------------------------------------------------
 * Cache life cycle, called by mm/slab_common.c
 */

int __kmem_cache_create(struct kmem_cache *s, slab_flags_t flags)
{
	s->flags = flags;
	s->sflags = 0;
	return sloba_cache_setup(s);
}

/*
 * kmem_cache_create() of a cache an existing one can serve: same stride
 * to within a pointer, compatible alignment and accounting flags, no ctor
 * and no usercopy region.  mm/slab_common.c's find_mergeable() chooses it,
 * as for SLAB and SLUB, so fewer caches hold fewer part-used slabs and
 * per-cpu objects.  A cache whose free link sits past the object (debug,
 * RCU, ctor) never merges: the new user's object could cover the link.
 */
struct kmem_cache *__kmem_cache_alias(const char *name, unsigned int size,
				      unsigned int align, slab_flags_t flags,
				      void (*ctor)(void *))
{
	struct kmem_cache *s = find_mergeable(size, align, flags, name, ctor);

	if (!s || s->offset || (s->sflags & SLOBA_F_DEBUG))
		return NULL;
	s->refcount++;
	s->object_size = max(s->object_size, size);
	return s;
}

/* No object is out (KASAN asks before emptying its quarantine). */
bool __kmem_cache_empty(struct kmem_cache *s)
{
	return !READ_ONCE(s->nr_inuse);
}

int __kmem_cache_shutdown(struct kmem_cache *s)
{
	return sloba_cache_shutdown(s);
}

void __kmem_cache_release(struct kmem_cache *s)
{
	plat_cache_cpu_release(s);
}

int __kmem_cache_shrink(struct kmem_cache *s)
{
	return sloba_cache_shrink(s);
}

/* ---------------------------------------------------------------------
 * Objects: the kernel's hooks around the core's calls
 *
 * Allocation: slab_pre_alloc_hook() (might_alloc, FAILSLAB's
 * should_failslab(), the memory cgroup charge and, for
 * kmem_cache_alloc_lru(), the cgroup's list_lru), then KFENCE's sample or
 * the core, then slab_post_alloc_hook() (KASAN unpoisons, kmemleak, the
 * object's obj_cgroup).  The core has already zeroed the object when
 * init_on_alloc or __GFP_ZERO asks for it, and KFENCE zeroes its own.
 *
 * Free: the obj_cgroup is uncharged, kmemleak forgets the object, lockdep
 * and debugobjects check that nothing live is freed with it, KASAN poisons
 * it and may keep it in its quarantine (which gives it back through
 * ___cache_free()), KFENCE takes back its own; the rest goes to the core.
 */

static __always_inline void *slab_alloc(struct kmem_cache *s,
					struct list_lru *lru, gfp_t gfp,
					size_t orig_size, int node,
					unsigned long caller)
{
	struct obj_cgroup *objcg = NULL;
	void *obj;

	s = slab_pre_alloc_hook(s, lru, &objcg, 1, gfp);
	if (unlikely(!s))
		return NULL;
	gfp &= gfp_allowed_mask;
	obj = kfence_alloc(s, orig_size, gfp);
	if (likely(!obj))
		obj = sloba_cache_alloc(s, gfp);
	slab_post_alloc_hook(s, objcg, gfp, 1, &obj, false);
	return obj;
}

/* The checks of a free; true when KASAN keeps the object for now. */
static __always_inline bool slab_free_hook(struct kmem_cache *s, void *obj)
{
	kmemleak_free_recursive(obj, s->flags);
	debug_check_no_locks_freed(obj, s->object_size);
	if (!(s->flags & SLAB_DEBUG_OBJECTS))
		debug_check_no_obj_freed(obj, s->object_size);
	return kasan_slab_free(s, obj, slab_want_init_on_free(s));
}

/* @slab may be NULL when the caller did not need it: found here then. */
static __always_inline void slab_free(struct kmem_cache *s,
				      struct slab *slab, void *obj)
{
	if (memcg_kmem_enabled())
		memcg_slab_free_hook(s, slab ?: virt_to_slab(obj), &obj, 1);
	if (slab_free_hook(s, obj))
		return;
	if (kfence_free(obj))
		return;
	sloba_cache_free(s, obj);
}

/* KASAN's quarantine gives an object back: straight to the core. */
void ___cache_free(struct kmem_cache *s, void *obj, unsigned long addr)
{
	sloba_cache_free(s, obj);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	void *ret = slab_alloc(s, NULL, gfp, s->object_size, NUMA_NO_NODE,
			       _RET_IP_);

	trace_kmem_cache_alloc(_RET_IP_, ret, s, gfp, NUMA_NO_NODE);
	return ret;
}
EXPORT_SYMBOL(kmem_cache_alloc);

void *kmem_cache_alloc_lru(struct kmem_cache *s, struct list_lru *lru,
			   gfp_t gfp)
{
	void *ret = slab_alloc(s, lru, gfp, s->object_size, NUMA_NO_NODE,
			       _RET_IP_);

	trace_kmem_cache_alloc(_RET_IP_, ret, s, gfp, NUMA_NO_NODE);
	return ret;
}
EXPORT_SYMBOL(kmem_cache_alloc_lru);

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *ret = slab_alloc(s, NULL, gfp, s->object_size, node, _RET_IP_);

	trace_kmem_cache_alloc(_RET_IP_, ret, s, gfp, node);
	return ret;
}
EXPORT_SYMBOL(kmem_cache_alloc_node);

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	trace_kmem_cache_free(_RET_IP_, obj, s);
	if (unlikely(!obj))
		return;
	slab_free(s, NULL, obj);
}
EXPORT_SYMBOL(kmem_cache_free);

/*
 * All @nr objects or none.  KFENCE may sample the first (it hands out at
 * most one object per sample interval, so one try is enough).
 */
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr,
			  void **p)
{
	struct obj_cgroup *objcg = NULL;
	size_t i, first = 0;

	if (unlikely(!nr))
		return 0;
	s = slab_pre_alloc_hook(s, NULL, &objcg, nr, gfp);
	if (unlikely(!s))
		return 0;
	gfp &= gfp_allowed_mask;
	p[0] = kfence_alloc(s, s->object_size, gfp);
	if (p[0])
		first = 1;
	if (unlikely(nr > first &&
		     !sloba_cache_alloc_bulk(s, gfp, nr - first, p + first))) {
		/* The core gave everything back: uncharge all of it. */
		if (first && kfence_free(p[0]))
			p[0] = NULL;
		for (i = 0; i < nr; i++)
			p[i] = NULL;
		slab_post_alloc_hook(s, objcg, gfp, nr, p, false);
		return 0;
	}
	slab_post_alloc_hook(s, objcg, gfp, nr, p, false);
	return nr;
}
EXPORT_SYMBOL(kmem_cache_alloc_bulk);

void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (s)
			kmem_cache_free(s, p[i]);
		else
			kfree(p[i]);
	}
}
EXPORT_SYMBOL(kmem_cache_free_bulk);

/* ---------------------------------------------------------------------
 * kmalloc
 */

/* Whole pages for requests above the largest size class. */
static void *large_alloc(size_t size, gfp_t gfp)
{
	void *ret;

	gfp &= gfp_allowed_mask;
	might_alloc(gfp);
	if (unlikely(gfp & GFP_SLAB_BUG_MASK))
		gfp = kmalloc_fix_flags(gfp);
	ret = plat_large_alloc(size, gfp);
	ret = kasan_kmalloc_large(ret, size, gfp);
	kmemleak_alloc(ret, size, 1, gfp);
	return ret;
}

static void large_free(struct folio *folio, const void *p)
{
	/* 6.1 warns too: no kmalloc is a single page outside a slab. */
	if (WARN_ON_ONCE(!folio_test_large(folio)))
		pr_warn_once("SLOBA: kfree(%p) of a page that is not a slab\n",
			     p);
	if (WARN_ON_ONCE(p != folio_address(folio)))
		return;
	kmemleak_free(p);
	kasan_kfree_large((void *)p);
	plat_large_free(p);
}

static __always_inline void *do_kmalloc(size_t size, gfp_t gfp, int node,
					unsigned long caller)
{
	struct kmem_cache *s;
	void *ret;

	if (unlikely(size > SLOBA_KMALLOC_MAX_CACHE_SIZE)) {
		ret = large_alloc(size, gfp);
		trace_kmalloc(caller, ret, size, PAGE_SIZE << get_order(size),
			      gfp, node);
		return ret;
	}
	/* ZERO_SIZE_PTR is no allocation: no hook may see it. */
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	s = sloba_kmalloc_cache(size);
	ret = slab_alloc(s, NULL, gfp, size, node, caller);
	ret = kasan_kmalloc(s, ret, size, gfp);
	trace_kmalloc(caller, ret, size, s->size, gfp, node);
	return ret;
}

void *__kmalloc(size_t size, gfp_t gfp)
{
	return do_kmalloc(size, gfp, NUMA_NO_NODE, _RET_IP_);
}
EXPORT_SYMBOL(__kmalloc);

void *__kmalloc_node(size_t size, gfp_t gfp, int node)
{
	return do_kmalloc(size, gfp, node, _RET_IP_);
}
EXPORT_SYMBOL(__kmalloc_node);

void *__kmalloc_node_track_caller(size_t size, gfp_t gfp, int node,
				  unsigned long caller)
{
	return do_kmalloc(size, gfp, node, caller);
}
EXPORT_SYMBOL(__kmalloc_node_track_caller);

void kfree(const void *p)
{
	struct folio *folio;

	trace_kfree(_RET_IP_, p);
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	folio = virt_to_folio(p);
	if (unlikely(!folio_test_slab(folio))) {
		large_free(folio, p);
		return;
	}
	slab_free(folio_slab(folio)->slab_cache, folio_slab(folio), (void *)p);
}
EXPORT_SYMBOL(kfree);

size_t __ksize(const void *p)
{
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	if (unlikely(is_kfence_address(p)))
		return kfence_ksize(p);
	return sloba_ksize(p);
}

/* What ksize() will report; whole pages above the largest class. */
size_t kmalloc_size_roundup(size_t size)
{
	if (unlikely(size == SIZE_MAX))
		return SIZE_MAX;
	if (size > SLOBA_KMALLOC_MAX_CACHE_SIZE)
		return PAGE_SIZE << get_order(size);
	return sloba_kmalloc_size_roundup(size);
}
EXPORT_SYMBOL(kmalloc_size_roundup);

/* The kmalloc class of a size, for tests (kfence_test) built as modules. */
EXPORT_SYMBOL_GPL(sloba_kmalloc_cache);

/* ---------------------------------------------------------------------
 * What the rest of mm asks about objects and caches
 */

#ifdef CONFIG_PRINTK
void __kmem_obj_info(struct kmem_obj_info *kpp, void *object,
		     struct slab *slab)
{
	void *objp = nearest_obj(slab->slab_cache, slab, object);

	kpp->kp_ptr = object;
	kpp->kp_slab = slab;
	kpp->kp_slab_cache = slab->slab_cache;
	kpp->kp_objp = objp;
	kpp->kp_data_offset = (char *)kasan_reset_tag(object) - (char *)objp;
}
#endif

#ifdef CONFIG_HARDENED_USERCOPY
/*
 * copy_to_user()/copy_from_user() of n bytes at ptr, inside slab: allowed
 * only within the usercopy region of the object holding ptr (the whole
 * object for kmalloc, what kmem_cache_create_usercopy() named for other
 * caches, nothing for the rest).  Objects end at the slab's end, so the
 * offset into an object is counted from there; the slack before the lowest
 * object belongs to no object.
 */
void __check_heap_object(const void *ptr, unsigned long n,
			 const struct slab *slab, bool to_user)
{
	struct kmem_cache *s = slab->slab_cache;
	const char *p = kasan_reset_tag(ptr);
	const char *end = sloba_slab_end(slab);
	unsigned long offset;

	if (is_kfence_address(p)) {
		offset = p - (const char *)kfence_object_start(p);
	} else {
		if (p < end - (size_t)slab->objects * s->size || p >= end)
			usercopy_abort("SLOBA slack outside any object", s->name,
				       to_user, 0, n);
		offset = s->size - 1 - (end - p - 1) % s->size;
	}
	if (offset >= s->useroffset &&
	    offset - s->useroffset <= s->usersize &&
	    n <= s->useroffset - offset + s->usersize)
		return;
	usercopy_abort("SLOBA object", s->name, to_user, offset, n);
}
#endif

void get_slabinfo(struct kmem_cache *s, struct slabinfo *sinfo)
{
	struct sloba_cache_info info;

	sloba_cache_get_info(s, &info);
	sinfo->active_objs = info.active_objs;
	sinfo->num_objs = info.num_objs;
	sinfo->active_slabs = info.active_slabs;
	sinfo->num_slabs = info.num_slabs;
	sinfo->objects_per_slab = info.objperslab;
	sinfo->cache_order = ilog2(info.pagesperslab);
	sinfo->limit = info.limit;
	sinfo->batchcount = info.batchcount;
	sinfo->shared = 0;
	sinfo->shared_avail = 0;
}

void slabinfo_show_stats(struct seq_file *m, struct kmem_cache *s)
{
}

ssize_t slabinfo_write(struct file *file, const char __user *buffer,
		       size_t count, loff_t *ppos)
{
	return -EIO;
}

/* ---------------------------------------------------------------------
 * Boot
 */

static struct kmem_cache kmem_cache_boot = {
	.name = "kmem_cache",
	.object_size = sizeof(struct kmem_cache),
	.size = sizeof(struct kmem_cache),
	.align = ARCH_KMALLOC_MINALIGN,
	.usersize = 0,
};

void __init kmem_cache_init(void)
{
	unsigned int i;

	sloba_init();
	for (i = 0; i < SLOBA_NR_KMALLOC; i++) {
		struct kmem_cache *s = &sloba_kmalloc_caches[i];

		s->flags |= SLAB_KMALLOC;
		kasan_cache_create_kmalloc(s);
		list_add_tail(&s->list, &slab_caches);
	}
	if (__kmem_cache_create(&kmem_cache_boot, SLAB_HWCACHE_ALIGN | SLAB_PANIC))
		panic("SLOBA: cannot set up the kmem_cache cache\n");
	kmem_cache_boot.refcount = -1;
	list_add(&kmem_cache_boot.list, &slab_caches);
	kmem_cache = &kmem_cache_boot;

	cpuhp_setup_state_nocalls(CPUHP_SLUB_DEAD, "sloba:dead", NULL,
				  sloba_cpu_dead);
	slab_state = UP;
	pr_info("SLOBA: %u kmalloc classes of 8 to %u bytes, %u CPUs\n",
		SLOBA_NR_KMALLOC, SLOBA_KMALLOC_MAX_CACHE_SIZE,
		num_possible_cpus());
}

void __init kmem_cache_init_late(void)
{
	slab_state = FULL;
	sloba_last_reclaim = jiffies - HZ;
	if (register_shrinker(&sloba_shrinker, "sloba"))
		pr_warn("SLOBA: no shrinker, idle memory returns only on kmem_cache_shrink()\n");
}
