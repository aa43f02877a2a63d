// SPDX-License-Identifier: GPL-2.0-only
/*
 * ashmem_shrink.c - purging unpinned ranges: the shrinker and PURGE_ALL.
 *
 * Under memory pressure the VM asks the shrinker how many pages ashmem
 * could free (the pages of ranges on the LRU) and then to free some.  A
 * purge takes the oldest range off the LRU, marks it purged and punches a
 * hole over it in the backing shmem file, which frees the pages and zaps
 * every mapping of them, so they read back as zeros.
 *
 * The hole is punched with ashmem_mutex dropped (see ashmem_internal.h):
 * the area's @purging count tells PIN and release to wait, and
 * ashmem_purge_wait wakes them.  In reclaim the shrinker only trylocks the
 * mutex, gives up without __GFP_FS (punching is filesystem work), and
 * punches under memalloc_nofs so the punch cannot recurse into shrinkers.
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/sched/mm.h>
#define ASHMEM_COMPAT_SHRINKER
#include "compat.h"
#include "ashmem_internal.h"

DECLARE_WAIT_QUEUE_HEAD(ashmem_purge_wait);

/* Wait, with ashmem_mutex held, until @asma has no punch in flight. */
void ashmem_wait_for_purges(struct ashmem_area *asma)
{
	while (atomic_read(&asma->purging)) {
		mutex_unlock(&ashmem_mutex);
		wait_event(ashmem_purge_wait, !atomic_read(&asma->purging));
		mutex_lock(&ashmem_mutex);
	}
}

/**
 * ashmem_purge - purge the oldest unpinned ranges
 * @nr_pages:	stop once at least this many pages were purged
 * @may_sleep:	wait for ashmem_mutex (PURGE_ALL_CACHES) instead of trying
 *		it (reclaim)
 *
 * Returns the number of pages purged, or SHRINK_STOP if the mutex was
 * busy before anything was purged.
 */
unsigned long ashmem_purge(unsigned long nr_pages, bool may_sleep)
{
	unsigned long freed = 0;
	unsigned int nofs;

	if (may_sleep)
		mutex_lock(&ashmem_mutex);
	else if (!mutex_trylock(&ashmem_mutex))
		return SHRINK_STOP;

	while (freed < nr_pages && !list_empty(&ashmem_lru)) {
		struct ashmem_range *range;
		struct ashmem_area *asma;
		struct file *file;
		loff_t start, len;

		range = list_first_entry(&ashmem_lru, struct ashmem_range, lru);
		asma = range->asma;
		file = asma->file;
		start = (loff_t)range->pgstart << PAGE_SHIFT;
		len = (loff_t)(range->pgend - range->pgstart + 1) << PAGE_SHIFT;
		freed += range->pgend - range->pgstart + 1;
		range->purged = ASHMEM_WAS_PURGED;
		ashmem_lru_del(range);
		atomic_inc(&asma->purging);
		mutex_unlock(&ashmem_mutex);

		/*
		 * @range may be freed or changed now, but not @asma nor its
		 * file: release waits for @purging to drop to zero.  Call
		 * shmem directly: vfs_fallocate() would add freeze
		 * protection and notification, neither of which applies
		 * to an internal file.
		 */
		nofs = memalloc_nofs_save();
		file->f_op->fallocate(file,
				      FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      start, len);
		memalloc_nofs_restore(nofs);

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

static unsigned long ashmem_shrink_count(struct shrinker *shrink,
					 struct shrink_control *sc)
{
	/* a racy read is fine: the VM only wants an estimate */
	return READ_ONCE(ashmem_lru_pages);
}

static unsigned long ashmem_shrink_scan(struct shrinker *shrink,
					struct shrink_control *sc)
{
	unsigned long freed;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	freed = ashmem_purge(sc->nr_to_scan, false);
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
				      DEFAULT_SEEKS * 4, "android-ashmem");
}

void ashmem_shrink_exit(void)
{
	ashmem_shrinker_destroy();
}
