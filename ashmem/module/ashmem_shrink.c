// SPDX-License-Identifier: GPL-2.0-only
/*
 * ashmem_shrink.c - purging unpinned ranges: the shrinker and PURGE_ALL.
 *
 * Under memory pressure the VM asks the shrinker, per NUMA node and per
 * memory cgroup, how many pages ashmem could free there, then to free
 * some.  A purge takes the oldest range off that node's and cgroup's LRU
 * list, marks it purged and punches a hole over it in the backing shmem
 * file, which frees the pages and zaps every mapping of them, so they read
 * back as zeros.  A cgroup that reaches its memory.max reclaims from its
 * own list, so its unpinned ranges go before anything is OOM-killed.
 *
 * One range at a time: under ashmem_mutex a walk of the list takes the
 * first range whose area no PIN is waiting on, the mutex is dropped and
 * the hole punched (see ashmem_internal.h): the area's @purging count tells
 * PIN and release to wait, and ashmem_purge_wait wakes them.  In reclaim
 * the shrinker only trylocks the mutex and gives up without __GFP_FS
 * (punching is filesystem work); the punch itself runs under
 * memalloc_nofs, so it cannot recurse into shrinkers.
 */
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/math64.h>
#define ASHMEM_COMPAT_SHRINKER
#include "compat.h"
#include "ashmem_internal.h"

DECLARE_WAIT_QUEUE_HEAD(ashmem_purge_wait);

/**
 * ashmem_wait_for_purges - wait until @asma has no punch in flight
 * @asma:	the area; ashmem_mutex is held, and dropped while waiting
 * @interruptible: PIN's wait ends with -ERESTARTSYS on a signal; release
 *		must wait
 *
 * While it waits, the shrinker starts no new punch on @asma, so the wait is
 * for the punches already running, not for every range of the area.
 */
int ashmem_wait_for_purges(struct ashmem_area *asma, bool interruptible)
{
	int ret = 0;

	while (atomic_read(&asma->purging) && !ret) {
		asma->pin_waiters++;
		mutex_unlock(&ashmem_mutex);
		if (interruptible)
			ret = wait_event_interruptible(ashmem_purge_wait,
					!atomic_read(&asma->purging));
		else
			wait_event(ashmem_purge_wait,
				   !atomic_read(&asma->purging));
		mutex_lock(&ashmem_mutex);
		asma->pin_waiters--;
	}
	return ret;
}

/*
 * A list_lru walk that takes one range: the first whose area no PIN is
 * waiting on.  Taking it ends the walk (@nr is the walk's budget).
 */
struct ashmem_take {
	struct ashmem_range *range;
	unsigned long nr;
};

static enum lru_status ashmem_take_one(struct list_head *item,
				       struct list_lru_one *list,
				       spinlock_t *lock, void *arg)
{
	struct ashmem_range *range = container_of(item, struct ashmem_range,
						  lru);
	struct ashmem_take *take = arg;

	if (range->asma->pin_waiters)
		return LRU_SKIP;
	list_lru_isolate(list, item);
	take->range = range;
	take->nr = 0;
	return LRU_REMOVED;
}

/* Where to take ranges from: one node and cgroup (reclaim), or all. */
struct ashmem_purge_from {
	int nid;
	struct mem_cgroup *memcg;
	bool all;
};

static struct ashmem_range *ashmem_take(const struct ashmem_purge_from *from)
{
	struct ashmem_take take = { .nr = ULONG_MAX };
	int nid;

	if (!from->all) {
		list_lru_walk_one(&ashmem_lru, from->nid, from->memcg,
				  ashmem_take_one, &take, &take.nr);
		return take.range;
	}
	for_each_node_state(nid, N_NORMAL_MEMORY) {
		list_lru_walk_node(&ashmem_lru, nid, ashmem_take_one, &take,
				   &take.nr);
		if (take.range)
			break;
	}
	return take.range;
}

/**
 * ashmem_purge - purge the oldest unpinned ranges
 * @from:	which LRU lists
 * @nr_pages:	stop once at least this many pages were purged
 * @may_sleep:	wait for ashmem_mutex (PURGE_ALL_CACHES) instead of trying
 *		it (reclaim)
 *
 * Returns the number of pages purged (the pages the ranges counted), or
 * SHRINK_STOP if the mutex was busy before anything was purged.
 */
static unsigned long ashmem_purge(const struct ashmem_purge_from *from,
				  unsigned long nr_pages, bool may_sleep)
{
	unsigned long freed = 0;

	if (may_sleep)
		mutex_lock(&ashmem_mutex);
	else if (!mutex_trylock(&ashmem_mutex))
		return SHRINK_STOP;

	while (freed < nr_pages) {
		struct ashmem_range *range = ashmem_take(from);
		struct ashmem_area *asma;
		struct file *file;
		loff_t start, len;

		if (!range)
			break;
		asma = range->asma;
		file = asma->file;
		start = (loff_t)range->pgstart << PAGE_SHIFT;
		len = (loff_t)(range->pgend - range->pgstart + 1) << PAGE_SHIFT;
		freed += range->lru_pages;
		ashmem_range_purged(range);
		atomic_inc(&asma->purging);
		mutex_unlock(&ashmem_mutex);

		/*
		 * @range may be freed or changed now, but not @asma nor its
		 * file: release waits for @purging to drop to zero.
		 */
		ashmem_backing_punch(file, start, len);

		/* last touch of @asma */
		atomic_dec(&asma->purging);
		wake_up_all(&ashmem_purge_wait);

		if (may_sleep) {
			cond_resched();
			mutex_lock(&ashmem_mutex);
		} else if (!mutex_trylock(&ashmem_mutex)) {
			return freed;
		}
	}
	mutex_unlock(&ashmem_mutex);
	return freed;
}

/* ASHMEM_PURGE_ALL_CACHES: every range of every node and cgroup. */
unsigned long ashmem_purge_all(void)
{
	static const struct ashmem_purge_from all = { .all = true };

	return ashmem_purge(&all, ULONG_MAX, true);
}

/*
 * The VM counts in pages, the LRU in ranges: scale this list's ranges by
 * the average pages per range on the LRU.  A racy read is fine; the VM
 * only wants an estimate.
 */
static unsigned long ashmem_shrink_count(struct shrinker *shrink,
					 struct shrink_control *sc)
{
	unsigned long here = list_lru_shrink_count(&ashmem_lru, sc);
	unsigned long all = list_lru_count(&ashmem_lru);
	unsigned long pages = READ_ONCE(ashmem_lru_pages);

	if (!here)
		return SHRINK_EMPTY;
	if (here >= all)
		return pages;
	return div64_ul((u64)pages * here, all);
}

static unsigned long ashmem_shrink_scan(struct shrinker *shrink,
					struct shrink_control *sc)
{
	struct ashmem_purge_from from = {
		.nid = sc->nid,
		.memcg = sc->memcg,
	};
	unsigned long freed;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	freed = ashmem_purge(&from, sc->nr_to_scan, false);
	/*
	 * Nothing left (or the mutex busy): stop, rather than report zero
	 * pages scanned, which would make the VM call again at once.
	 */
	if (!freed || freed == SHRINK_STOP)
		return SHRINK_STOP;
	/* whole ranges are purged: tell the VM how many pages that was */
	sc->nr_scanned = freed;
	return freed;
}

int ashmem_shrink_init(void)
{
	/* purged pages are expensive to recreate, as the old driver said */
	return ashmem_shrinker_create(ashmem_shrink_count, ashmem_shrink_scan,
				      DEFAULT_SEEKS * 4, "android-ashmem",
				      &ashmem_lru);
}

void ashmem_shrink_exit(void)
{
	ashmem_shrinker_destroy(&ashmem_lru);
}
