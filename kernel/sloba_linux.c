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
#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/debugfs.h>
#include <linux/debugobjects.h>
#include <linux/kfence.h>
#include <kunit/test.h>
#include <linux/kmemleak.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/swap.h>
#include <linux/workqueue.h>
#include <trace/events/kmem.h>

#include "internal.h"
#include "slab.h"
#include "sloba.h"
#include "sloba_def.h"
#include "sloba_plat_inline.h"
#include "sloba_fast.h"

bool sloba_debug_all __ro_after_init;

static int __init setup_sloba_debug(char *str)
{
	sloba_debug_all = true;
	stack_depot_want_early_init();	/* SLAB_STORE_USER for every cache */
	return 1;
}
__setup("sloba_debug", setup_sloba_debug);

/* ---------------------------------------------------------------------
 * The platform contract
 */

/*
 * A KUnit test that provokes reports on purpose counts them in its
 * "sloba_reports" resource instead of WARNing (as SLUB's "slab_errors").
 */
static bool sloba_kunit_report(void)
{
#if IS_ENABLED(CONFIG_KUNIT)
	struct kunit_resource *resource;

	if (likely(!current->kunit_test))
		return false;
	resource = kunit_find_named_resource(current->kunit_test,
					     "sloba_reports");
	if (!resource)
		return false;
	(*(int *)resource->data)++;
	kunit_put_resource(resource);
	return true;
#else
	return false;
#endif
}

/*
 * GFP_SLAB_BUG_MASK bits (a zone no slab may come from, bits beyond the
 * gfp range) are dropped with slab_common's report and stack dump, as
 * under SLAB and SLUB, when they reach the page allocator: for a new slab
 * and for a large kmalloc.  A KUnit test that passes them on purpose
 * counts the report instead.
 */
static gfp_t sloba_fix_flags(gfp_t gfp)
{
	if (!sloba_kunit_report())
		return kmalloc_fix_flags(gfp);
	pr_info("SLOBA (expected by the test): unexpected gfp %#x dropped\n",
		(__force unsigned int)(gfp & GFP_SLAB_BUG_MASK));
	return gfp & ~GFP_SLAB_BUG_MASK;
}

/*
 * The page allocator sees only how hard to try and where, as under SLUB:
 * zone, mobility, accounting (__GFP_ACCOUNT charges objects, not the
 * slab's pages) and zeroing come from the cache, not from the object's
 * request (a GFP_DMA caller does not put a DMA page into a normal cache),
 * and bits no slab may ask for are reported and dropped
 * (sloba_fix_flags()).
 */
static gfp_t slab_page_gfp(struct kmem_cache *s, gfp_t gfp,
			   unsigned int order, bool may_fail)
{
	if (unlikely(gfp & GFP_SLAB_BUG_MASK))
		gfp = sloba_fix_flags(gfp);
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
			     unsigned int order, bool may_fail, int nid)
{
	struct folio *folio;

	folio = (struct folio *)alloc_pages_node(nid, slab_page_gfp(s, gfp, order,
								  may_fail),
						 order);
	if (!folio)
		return NULL;
	__folio_set_slab(folio);
	/* Reserve pages are kept apart only while they are guarded. */
	if (sk_memalloc_socks() && page_is_pfmemalloc(folio_page(folio, 0)))
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
	/* random_start shares its word with the page's _mapcount */
	page_mapcount_reset(folio_page(folio, 0));
	mod_node_page_state(folio_pgdat(folio), cache_vmstat_idx(s),
			    -(PAGE_SIZE << order));
	if (current->reclaim_state)
		current->reclaim_state->reclaimed_slab += 1 << order;
	__free_pages(folio_page(folio, 0), order);
}

void *plat_large_alloc(size_t size, gfp_t gfp, int nid)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (unlikely(order > SLOBA_MAX_ORDER)) {
		WARN_ON_ONCE(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	page = alloc_pages_node(nid, gfp | __GFP_COMP, order);
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
	unsigned int limit = (s->sflags & SLOBA_F_DEBUG) ? 0 : s->cpu_batch;
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

void plat_visit_cpu_lists(struct kmem_cache *s, sloba_cpu_visit_t *fn,
			  void *arg)
{
	int cpu;

	for_each_possible_cpu(cpu)
		fn(s, per_cpu_ptr(s->cpu, cpu), arg);
}

/* Does @cpu hold free objects of @s on its lists? */
static bool cpu_holds(struct kmem_cache *s, int cpu)
{
	struct sloba_cpu *c = per_cpu_ptr(s->cpu, cpu);

	return READ_ONCE(c->count) || READ_ONCE(c->spare);
}

static void drain_this_cpu(void *info)
{
	struct kmem_cache *s = info;

	sloba_cpu_drain(s, this_cpu_ptr(s->cpu));
}

/*
 * Shrink and shutdown: an IPI to each CPU that holds objects of @s (as
 * SLUB's flush_all does for CPUs with a CPU slab), none to the others.
 */
void plat_drain_cpus(struct kmem_cache *s, bool all)
{
	cpumask_var_t mask;
	int cpu;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		on_each_cpu(drain_this_cpu, s, 1);
		return;
	}
	/* A CPU that goes offline meanwhile is drained by sloba_cpu_dead(). */
	for_each_online_cpu(cpu)
		if (cpu_holds(s, cpu))
			cpumask_set_cpu(cpu, mask);
	on_each_cpu_mask(mask, drain_this_cpu, s, 1);
	free_cpumask_var(mask);
}

struct kmem_cache *plat_kmalloc_cache_struct(unsigned int t, unsigned int i)
{
	return kmem_cache_zalloc(kmem_cache, GFP_NOWAIT);
}

/* The names and flags of slab_common's kmalloc types. */
bool plat_kmalloc_type(unsigned int t, const char **prefix,
		       slab_flags_t *flags)
{
	switch (t) {
	case KMALLOC_NORMAL:
		*prefix = "kmalloc-";
		*flags = 0;
		return true;
	case KMALLOC_RECLAIM:
		*prefix = "kmalloc-rcl-";
		*flags = SLAB_RECLAIM_ACCOUNT;
		return true;
#ifdef CONFIG_MEMCG_KMEM
	case KMALLOC_CGROUP:
		if (mem_cgroup_kmem_disabled())
			return false;
		*prefix = "kmalloc-cg-";
		*flags = SLAB_ACCOUNT;
		return true;
#endif
#ifdef CONFIG_ZONE_DMA
	case KMALLOC_DMA:
		*prefix = "dma-kmalloc-";
		*flags = SLAB_CACHE_DMA;
		return true;
#endif
	}
	return false;
}

void plat_report(struct kmem_cache *s, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (sloba_kunit_report())
		pr_info("SLOBA (expected by the test): %pV\n", &vaf);
	else
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

/* SLAB_STORE_USER: the stack without SLOBA's own frames, the task, now. */
void plat_set_track(struct kmem_cache *s, struct sloba_track *t)
{
	unsigned long entries[16];
	unsigned int nr;

	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 3);
	t->handle = stack_depot_save(entries, nr, GFP_NOWAIT);
	t->cpu = raw_smp_processor_id();
	t->pid = current->pid;
	t->when = jiffies;
}

static void print_track(const char *what, const struct sloba_track *t)
{
	if (!t->when)
		return;
	pr_err("%s by task %d on cpu %d %lu jiffies ago:\n", what, t->pid,
	       t->cpu, jiffies - t->when);
	if (t->handle)
		stack_depot_print(t->handle);
}

/* After a report on an object of a debug cache: its tracks and bytes. */
void plat_print_object(struct kmem_cache *s, void *obj)
{
	/* KASAN may have poisoned it already (a report from its quarantine) */
	kasan_disable_current();
	if (s->sflags & SLOBA_F_TRACK) {
		const struct sloba_track *t = (void *)((char *)obj + s->offset +
						       sizeof(void *));

		print_track("Allocated", t);
		print_track("Last freed", t + 1);
	}
	print_hex_dump(KERN_ERR, "Object ", DUMP_PREFIX_ADDRESS, 16, 1, obj,
		       min_t(unsigned int, s->offset, 256), false);
	kasan_enable_current();
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
 * The shrinker: memory pressure and drop_caches reach what SLOBA holds
 * without a user.  Its unit is the free object: count_objects() returns
 * how many rest in barns, in kept empty slabs and on CPU lists, and
 * scan_objects() gives back up to nr_to_scan of them, in that order (the
 * first two without disturbing any CPU), and returns how many it gave.
 * The shrinker core calls scan once per batch; each call goes on from the
 * cache where the last one stopped, so a drop_caches visits every cache
 * about once rather than once per batch.  CPU lists are drained by one
 * work item on each CPU that holds anything, for every cache at once,
 * only when a whole round of the caches fell short and the caller may
 * sleep.  A call that finds nothing at all says SHRINK_STOP, which ends
 * the shrinker core's batches for this pass.
 */
static unsigned long sloba_shrink_count(struct shrinker *shrink,
					struct shrink_control *sc)
{
	unsigned long count = 0;
	struct kmem_cache *s;
	int cpu;

	if (!mutex_trylock(&slab_mutex))
		return 0;
	list_for_each_entry(s, &slab_caches, list)
		count += sloba_cache_reclaimable(s);
	/* CPUs outside: one walk of the online mask, not one per cache. */
	for_each_online_cpu(cpu) {
		list_for_each_entry(s, &slab_caches, list) {
			struct sloba_cpu *c = per_cpu_ptr(s->cpu, cpu);

			count += READ_ONCE(c->count);
			if (READ_ONCE(c->spare))
				count += s->cpu_batch;
		}
	}
	mutex_unlock(&slab_mutex);
	return count;
}

static DEFINE_PER_CPU(struct work_struct, sloba_drain_work);
static atomic_long_t sloba_drained;
/* Reclaim waits for its work items: they need a rescuer, as SLUB's do. */
static struct workqueue_struct *sloba_wq;

/*
 * Give back this CPU's lists of every cache; returns how many objects.
 * Called with the CPU pinned, while the shrinker holds slab_mutex.
 */
static unsigned long drain_cpu_lists_here(void)
{
	unsigned long flags, objs = 0;
	struct kmem_cache *s;

	list_for_each_entry(s, &slab_caches, list) {
		struct sloba_cpu *c;

		local_irq_save(flags);
		c = this_cpu_ptr(s->cpu);
		objs += c->count + (c->spare ? s->cpu_batch : 0);
		sloba_cpu_drain(s, c);
		local_irq_restore(flags);
	}
	return objs;
}

/* Runs on its CPU, while the shrinker holds slab_mutex for it. */
static void sloba_drain_cpu_work(struct work_struct *work)
{
	atomic_long_add(drain_cpu_lists_here(), &sloba_drained);
}

/*
 * Every CPU's lists, each drained on its CPU: this one's here, the others'
 * by a work item on theirs (a CPU with nothing in any list is skipped).
 */
static unsigned long sloba_drain_cpu_lists(void)
{
	unsigned long here;
	struct kmem_cache *s;
	cpumask_var_t mask;
	int cpu, this;

	if (!sloba_wq || !zalloc_cpumask_var(&mask, GFP_NOWAIT))
		return 0;
	atomic_long_set(&sloba_drained, 0);
	/*
	 * No cpus_read_lock(): it nests outside slab_mutex.  A CPU that goes
	 * offline runs its item elsewhere, which then drains its own lists.
	 */
	this = get_cpu();
	for_each_online_cpu(cpu) {
		if (cpu == this)
			continue;
		list_for_each_entry(s, &slab_caches, list) {
			if (cpu_holds(s, cpu)) {
				cpumask_set_cpu(cpu, mask);
				queue_work_on(cpu, sloba_wq,
					      per_cpu_ptr(&sloba_drain_work, cpu));
				break;
			}
		}
	}
	here = drain_cpu_lists_here();
	put_cpu();
	for_each_cpu(cpu, mask)
		flush_work(per_cpu_ptr(&sloba_drain_work, cpu));
	free_cpumask_var(mask);
	return here + atomic_long_read(&sloba_drained);
}

/*
 * Where the last scan stopped: a cache's list entry, or slab_caches itself.
 * Only read and moved under slab_mutex; a cache leaving the list moves it
 * on (sloba_shrink_forget()).
 */
static struct list_head *sloba_shrink_pos = &slab_caches;

static void sloba_shrink_forget(struct kmem_cache *s)
{
	lockdep_assert_held(&slab_mutex);
	if (sloba_shrink_pos == &s->list)
		sloba_shrink_pos = s->list.next;
}

/* One round of the caches from where the last stopped, up to @nr objects. */
static unsigned long sloba_reclaim_round(unsigned long nr)
{
	struct list_head *start = sloba_shrink_pos, *pos = start;
	unsigned long freed = 0;

	do {
		if (pos != &slab_caches) {
			freed += sloba_cache_reclaim(list_entry(pos,
						struct kmem_cache, list),
						nr - freed);
			/* Stay on this cache: it may hold more. */
			if (freed >= nr)
				break;
		}
		pos = pos->next;
	} while (pos != start);
	sloba_shrink_pos = pos;
	return freed;
}

static unsigned long sloba_shrink_scan(struct shrinker *shrink,
				       struct shrink_control *sc)
{
	unsigned long freed;

	if (!mutex_trylock(&slab_mutex))
		return SHRINK_STOP;
	freed = sloba_reclaim_round(sc->nr_to_scan);
	if (freed < sc->nr_to_scan && gfpflags_allow_blocking(sc->gfp_mask))
		freed += sloba_drain_cpu_lists();
	mutex_unlock(&slab_mutex);
	return freed ? freed : SHRINK_STOP;
}

static struct shrinker sloba_shrinker = {
	.count_objects = sloba_shrink_count,
	.scan_objects = sloba_shrink_scan,
	.seeks = DEFAULT_SEEKS,
	.batch = 1024,
};

/*
 * The reaper, as SLAB's cache_reap: every two seconds each CPU gives back
 * its lists of the caches it has stopped using, and the first online CPU
 * the barn chains nobody took, on every node.  One CPU only: a barn
 * shrinks after a whole pass in which nobody used it, and a second reaper
 * a moment behind the first would see the mark the first had just cleared
 * (with numa=fake, each of two CPUs is the first of its node).
 */
#define SLOBA_REAP_INTERVAL	(2 * HZ)
static DEFINE_PER_CPU(struct delayed_work, sloba_reap_work);

static void sloba_reap(struct work_struct *work)
{
	bool barn_reaper = smp_processor_id() == cpumask_first(cpu_online_mask);
	unsigned long flags;
	struct kmem_cache *s;

	if (mutex_trylock(&slab_mutex)) {
		list_for_each_entry(s, &slab_caches, list) {
			local_irq_save(flags);
			sloba_cpu_reap(s, this_cpu_ptr(s->cpu));
			local_irq_restore(flags);
			if (barn_reaper)
				sloba_cache_reap(s);
			cond_resched();
		}
		mutex_unlock(&slab_mutex);
	}
	schedule_delayed_work_on(smp_processor_id(), to_delayed_work(work),
				 round_jiffies_relative(SLOBA_REAP_INTERVAL));
}

static int sloba_cpu_online(unsigned int cpu)
{
	struct delayed_work *reap = per_cpu_ptr(&sloba_reap_work, cpu);

	INIT_DEFERRABLE_WORK(reap, sloba_reap);
	schedule_delayed_work_on(cpu, reap,
				 SLOBA_REAP_INTERVAL + cpu * HZ / 16);
	return 0;
}

static int sloba_cpu_offline(unsigned int cpu)
{
	cancel_delayed_work_sync(per_cpu_ptr(&sloba_reap_work, cpu));
	return 0;
}

#ifdef CONFIG_SLOBA_STATS
/* /sys/kernel/debug/sloba/<cache>: the counters of struct sloba_cache_stats. */
static struct dentry *sloba_debugfs;

static int sloba_stats_show(struct seq_file *m, void *unused)
{
	struct kmem_cache *s = m->private;
	struct sloba_cache_info info;
	const struct sloba_cache_stats *st = &info.stats;

	sloba_cache_get_info(s, &info);
#define SHOW(field)	seq_printf(m, "%-18s %lu\n", #field, st->field)
	SHOW(alloc_fast);
	SHOW(alloc_slow);
	SHOW(free_fast);
	SHOW(free_slow);
	SHOW(refill_spare);
	SHOW(refill_barn);
	SHOW(refill_slabs);
	SHOW(flush_spare);
	SHOW(flush_barn);
	SHOW(flush_slabs);
	SHOW(lock_acquisitions);
	SHOW(remote_frees);
	SHOW(slabs_allocated);
	SHOW(slabs_freed);
#undef SHOW
	seq_printf(m, "%-18s %lu\n", "free_cached", info.free_cached);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sloba_stats);

static void sloba_debugfs_add(struct kmem_cache *s)
{
	if (sloba_debugfs)
		debugfs_create_file(s->name, 0400, sloba_debugfs, s,
				    &sloba_stats_fops);
}

static void sloba_debugfs_remove(struct kmem_cache *s)
{
	if (sloba_debugfs)
		debugfs_lookup_and_remove(s->name, sloba_debugfs);
}

static void __init sloba_debugfs_init(void)
{
	struct kmem_cache *s;

	sloba_debugfs = debugfs_create_dir("sloba", NULL);
	mutex_lock(&slab_mutex);
	list_for_each_entry(s, &slab_caches, list)
		sloba_debugfs_add(s);
	mutex_unlock(&slab_mutex);
}
#else
static inline void sloba_debugfs_add(struct kmem_cache *s) {}
static inline void sloba_debugfs_remove(struct kmem_cache *s) {}
static inline void sloba_debugfs_init(void) {}
#endif

/* ---------------------------------------------------------------------
 * Cache life cycle, called by mm/slab_common.c
 */

int __kmem_cache_create(struct kmem_cache *s, slab_flags_t flags)
{
	int err;

	s->flags = flags;
	s->sflags = 0;
	err = sloba_cache_setup(s);
	if (err)
		return err;
	if ((s->sflags & SLOBA_F_TRACK) && slab_state >= UP)
		stack_depot_init();
	/* SLAB_FREELIST_RANDOM: boot caches get theirs in kmem_cache_init(). */
	if (slab_state >= UP)
		cache_random_seq_create(s, s->objects, GFP_KERNEL);
	sloba_debugfs_add(s);
	return 0;
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
	struct sloba_node *n;

	for (n = s->node; n < s->node + nr_node_ids; n++)
		if (READ_ONCE(n->nr_inuse))
			return false;
	return true;
}

/* Under slab_mutex; on success slab_common takes @s off slab_caches. */
int __kmem_cache_shutdown(struct kmem_cache *s)
{
	sloba_shrink_forget(s);
	return sloba_cache_shutdown(s);
}

void __kmem_cache_release(struct kmem_cache *s)
{
	sloba_debugfs_remove(s);
	cache_random_seq_destroy(s);
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

/*
 * An object from KFENCE.  Under init_on_free KFENCE zeroes what the slot's
 * previous object covered, but the next object may lie elsewhere in the
 * page, over bytes that were canaries: zero it here, so init_on_free's
 * promise (objects come out zeroed) holds for sampled objects too.
 */
static __always_inline void *sloba_kfence_alloc(struct kmem_cache *s,
						 size_t size, gfp_t gfp)
{
	void *obj = kfence_alloc(s, size, gfp);

	if (unlikely(obj) && slab_want_init_on_free(s) &&
	    !slab_want_init_on_alloc(gfp, s))
		memset(obj, 0, size);
	return obj;
}

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
	obj = sloba_kfence_alloc(s, orig_size, gfp);
	/* The core's fast path, inline for a constant NUMA_NO_NODE. */
	if (likely(!obj))
		obj = node == NUMA_NO_NODE ? sloba_fast_alloc(s, gfp) :
		      sloba_cache_alloc_node(s, gfp, node);
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
	sloba_fast_free(s, obj);
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
	if (unlikely(!obj))
		return;
	/*
	 * With SLAB_FREELIST_HARDENED, as under SLUB: an object freed to
	 * another cache than its own is reported and goes to its own, and a
	 * pointer outside any slab is reported and left alone.
	 */
	s = cache_from_obj(s, obj);
	if (unlikely(!s))
		return;
	trace_kmem_cache_free(_RET_IP_, obj, s);
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
	p[0] = sloba_kfence_alloc(s, s->object_size, gfp);
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
static void *large_alloc(size_t size, gfp_t gfp, int node)
{
	void *ret;

	gfp &= gfp_allowed_mask;
	might_alloc(gfp);
	if (unlikely(gfp & GFP_SLAB_BUG_MASK))
		gfp = sloba_fix_flags(gfp);
	ret = plat_large_alloc(size, gfp, node);
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
	/*
	 * Not where the allocation starts: KASAN reports an invalid free, as
	 * under SLUB; without it, a WARN.  The pages are kept either way.
	 */
	if (unlikely(p != folio_address(folio))) {
		if (kasan_enabled())
			kasan_kfree_large((void *)p);
		else
			WARN_ON_ONCE(1);
		return;
	}
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
		ret = large_alloc(size, gfp, node);
		trace_kmalloc(caller, ret, size, PAGE_SIZE << get_order(size),
			      gfp, node);
		return ret;
	}
	/* ZERO_SIZE_PTR is no allocation: no hook may see it. */
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	s = sloba_kmalloc_cache_gfp(size, gfp);
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

/* For test and benchmark modules: slabinfo's numbers and the counters. */
EXPORT_SYMBOL_GPL(sloba_cache_get_info);

#ifdef CONFIG_PRINTK
/* The first entries of a track's stack, for kmem_dump_obj(). */
static void track_stack(const struct sloba_track *t, void **stack)
{
	unsigned long *entries;
	unsigned int i, nr = 0;

	if (t->handle)
		nr = stack_depot_fetch(t->handle, &entries);
	for (i = 0; i < KS_ADDRS_COUNT && i < nr; i++)
		stack[i] = (void *)entries[i];
}

void __kmem_obj_info(struct kmem_obj_info *kpp, void *object,
		     struct slab *slab)
{
	void *objp = nearest_obj(slab->slab_cache, slab, object);

	kpp->kp_ptr = object;
	kpp->kp_slab = slab;
	kpp->kp_slab_cache = slab->slab_cache;
	kpp->kp_objp = objp;
	kpp->kp_data_offset = (char *)kasan_reset_tag(object) - (char *)objp;
	/* SLAB_STORE_USER: who allocated and last freed the object. */
	if (slab->slab_cache->sflags & SLOBA_F_TRACK) {
		const struct sloba_track *t = (void *)((char *)objp +
			slab->slab_cache->offset + sizeof(void *));

		track_stack(t, kpp->kp_stack);
		track_stack(t + 1, kpp->kp_free_stack);
	}
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
	/* As SLAB's shared arrays: chains the barns may hold, and hold. */
	sinfo->shared = info.barn_limit;
	sinfo->shared_avail = sloba_cache_barn_objects(s);
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

void __init kmem_cache_init(void)
{
	size_t size = SLOBA_CACHE_SIZE(nr_node_ids);
	struct kmem_cache *s;
	unsigned int t, i;

	/*
	 * The cache of caches comes first, straight from the page allocator
	 * and never freed; every other struct kmem_cache, the kmalloc
	 * classes' included, is one of its objects, sized for the nodes
	 * there are and aligned to a cache line.
	 */
	s = (void *)__get_free_pages(GFP_NOWAIT | __GFP_ZERO, get_order(size));
	if (!s)
		panic("SLOBA: no memory for the kmem_cache cache\n");
	/*
	 * kmemleak scans only memory it knows: what this cache points to (its
	 * random carving order) would look leaked otherwise.
	 */
	kmemleak_alloc(s, size, 1, GFP_NOWAIT);
	s->name = "kmem_cache";
	s->object_size = size;
	s->align = __alignof__(struct kmem_cache);
	if (__kmem_cache_create(s, SLAB_HWCACHE_ALIGN | SLAB_PANIC))
		panic("SLOBA: cannot set up the kmem_cache cache\n");
	s->refcount = -1;
	list_add(&s->list, &slab_caches);
	kmem_cache = s;

	if (sloba_init())
		panic("SLOBA: cannot set up the kmalloc caches\n");
	for (t = 0; t < SLOBA_KMALLOC_TYPES; t++) {
		for (i = 0; i < sloba_kmalloc_nr; i++) {
			s = sloba_kmalloc_caches[t][i];
			if (s->flags & SLAB_KMALLOC)
				continue;	/* a type that shares these */
			s->flags |= SLAB_KMALLOC;
			kasan_cache_create_kmalloc(s);
			list_add_tail(&s->list, &slab_caches);
		}
	}

	cpuhp_setup_state_nocalls(CPUHP_SLUB_DEAD, "sloba:dead", NULL,
				  sloba_cpu_dead);
	slab_state = UP;
	/* kmalloc works now: random carving orders for the boot caches. */
	list_for_each_entry(s, &slab_caches, list)
		cache_random_seq_create(s, s->objects, GFP_NOWAIT);
	pr_info("SLOBA: %u kmalloc classes of %u to %u bytes, %u CPUs, %u nodes\n",
		sloba_kmalloc_nr, sloba_kmalloc_class[0],
		SLOBA_KMALLOC_MAX_CACHE_SIZE, num_possible_cpus(), nr_node_ids);
}

void __init kmem_cache_init_late(void)
{
	int cpu;

	slab_state = FULL;
	for_each_possible_cpu(cpu)
		INIT_WORK(per_cpu_ptr(&sloba_drain_work, cpu),
			  sloba_drain_cpu_work);
	sloba_wq = alloc_workqueue("sloba_flushwq", WQ_MEM_RECLAIM, 0);
	if (!sloba_wq || register_shrinker(&sloba_shrinker, "sloba"))
		pr_warn("SLOBA: no shrinker, idle memory returns only on kmem_cache_shrink()\n");
}

/* Once workqueues and debugfs are up: the reaper on every CPU, the stats. */
static int __init sloba_late_init(void)
{
	int ret;

	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "mm/sloba:online",
				sloba_cpu_online, sloba_cpu_offline);
	if (ret < 0)
		pr_warn("SLOBA: no reaper: idle lists return only under memory pressure\n");
	sloba_debugfs_init();
	return 0;
}
device_initcall(sloba_late_init);
