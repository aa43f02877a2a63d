// SPDX-License-Identifier: GPL-2.0-only
/*
 * ashmem_range.c - pinning and unpinning page ranges of an ashmem area.
 *
 * Every page of an area is pinned unless an ashmem_range covers it.  The
 * area keeps its ranges in a list sorted by page, never overlapping; UNPIN
 * adds a range, merging it with every range it overlaps, and PIN removes
 * pages from ranges, which can shrink a range, delete it, or split it in
 * two.  Ranges the shrinker may still purge also sit on one global LRU,
 * oldest unpin first.
 *
 * A range remembers in @purged whether any page of it may have been
 * purged; PIN returns that to the user.  A range created by merging keeps
 * the flag of everything it swallowed but goes back on the LRU, because it
 * may hold live pages again (the old driver left such ranges off the LRU,
 * so their new pages could never be reclaimed).  A piece split off by PIN
 * keeps the flag and the LRU age of the range it came from.
 *
 * Callers hold ashmem_mutex; nothing here allocates: a caller that may
 * need a new range passes one allocated beforehand (ashmem_range_prealloc())
 * and frees it if it was not used.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include "ashmem_internal.h"

static struct kmem_cache *ashmem_range_cachep;

/* Ranges the shrinker may purge, oldest first, and their page count. */
LIST_HEAD(ashmem_lru);
unsigned long ashmem_lru_pages;

static size_t range_pages(const struct ashmem_range *range)
{
	return range->pgend - range->pgstart + 1;
}

static bool range_on_lru(const struct ashmem_range *range)
{
	return !list_empty(&range->lru);
}

static void lru_add_tail(struct ashmem_range *range)
{
	list_add_tail(&range->lru, &ashmem_lru);
	ashmem_lru_pages += range_pages(range);
}

void ashmem_lru_del(struct ashmem_range *range)
{
	if (!range_on_lru(range))
		return;
	list_del_init(&range->lru);
	ashmem_lru_pages -= range_pages(range);
}

/* Change a range's extent, keeping the LRU page count right. */
static void range_resize(struct ashmem_range *range, size_t pgstart,
			 size_t pgend)
{
	if (range_on_lru(range))
		ashmem_lru_pages -= range_pages(range);
	range->pgstart = pgstart;
	range->pgend = pgend;
	if (range_on_lru(range))
		ashmem_lru_pages += range_pages(range);
}

static void range_del(struct ashmem_range *range)
{
	ashmem_lru_del(range);
	list_del(&range->unpinned);
	ashmem_range_free(range);
}

static bool range_overlaps(const struct ashmem_range *range, size_t pgstart,
			   size_t pgend)
{
	return range->pgstart <= pgend && range->pgend >= pgstart;
}

struct ashmem_range *ashmem_range_prealloc(void)
{
	return kmem_cache_zalloc(ashmem_range_cachep, GFP_KERNEL);
}

void ashmem_range_free(struct ashmem_range *range)
{
	if (range)
		kmem_cache_free(ashmem_range_cachep, range);
}

static struct ashmem_range *take_prealloc(struct ashmem_range **prealloc)
{
	struct ashmem_range *range = *prealloc;

	*prealloc = NULL;
	INIT_LIST_HEAD(&range->lru);
	INIT_LIST_HEAD(&range->unpinned);
	return range;
}

/**
 * ashmem_pin - pin pages [pgstart, pgend] of @asma
 * @asma: the area
 * @pgstart: first page
 * @pgend: last page (inclusive)
 * @prealloc: a free range, consumed (set to NULL) if a range had to be split
 *
 * Returns ASHMEM_WAS_PURGED if any range it touched may have been purged,
 * else ASHMEM_NOT_PURGED.  The caller has waited for purges in flight.
 */
int ashmem_pin(struct ashmem_area *asma, size_t pgstart, size_t pgend,
	       struct ashmem_range **prealloc)
{
	struct ashmem_range *range, *next, *tail;
	int ret = ASHMEM_NOT_PURGED;

	list_for_each_entry_safe(range, next, &asma->unpinned, unpinned) {
		if (range->pgstart > pgend)
			break;		/* sorted: nothing further overlaps */
		if (!range_overlaps(range, pgstart, pgend))
			continue;

		ret |= range->purged;

		if (range->pgstart >= pgstart && range->pgend <= pgend) {
			/* the pin covers the whole range */
			range_del(range);
		} else if (range->pgstart >= pgstart) {
			/* the pin covers the range's head */
			range_resize(range, pgend + 1, range->pgend);
		} else if (range->pgend <= pgend) {
			/* the pin covers the range's tail */
			range_resize(range, range->pgstart, pgstart - 1);
		} else {
			/* the pin is strictly inside: split the range */
			tail = take_prealloc(prealloc);
			tail->asma = asma;
			tail->purged = range->purged;
			tail->pgstart = pgend + 1;
			tail->pgend = range->pgend;
			list_add(&tail->unpinned, &range->unpinned);
			range_resize(range, range->pgstart, pgstart - 1);
			if (range_on_lru(range)) {
				/* same age as the piece it came from */
				list_add(&tail->lru, &range->lru);
				ashmem_lru_pages += range_pages(tail);
			}
			break;
		}
	}
	return ret;
}

/**
 * ashmem_unpin - unpin pages [pgstart, pgend] of @asma
 * @asma: the area
 * @pgstart: first page
 * @pgend: last page (inclusive)
 * @prealloc: a free range, consumed (set to NULL) if a range was added
 *
 * Returns 0.
 */
int ashmem_unpin(struct ashmem_area *asma, size_t pgstart, size_t pgend,
		 struct ashmem_range **prealloc)
{
	struct ashmem_range *range, *next, *added;
	struct list_head *pos = &asma->unpinned;
	unsigned int purged = ASHMEM_NOT_PURGED;

	list_for_each_entry_safe(range, next, &asma->unpinned, unpinned) {
		if (range->pgstart > pgend) {
			pos = &range->unpinned;	/* insert before this one */
			break;
		}
		if (!range_overlaps(range, pgstart, pgend))
			continue;
		/* already unpinned as a whole: nothing changes */
		if (range->pgstart <= pgstart && range->pgend >= pgend)
			return 0;
		/* overlap: swallow the old range */
		pgstart = min(pgstart, range->pgstart);
		pgend = max(pgend, range->pgend);
		purged |= range->purged;
		range_del(range);
	}

	added = take_prealloc(prealloc);
	added->asma = asma;
	added->pgstart = pgstart;
	added->pgend = pgend;
	added->purged = purged;
	list_add_tail(&added->unpinned, pos);
	lru_add_tail(added);
	return 0;
}

/*
 * ashmem_pin_status - ASHMEM_IS_UNPINNED if any page of [pgstart, pgend] is
 * unpinned, else ASHMEM_IS_PINNED.
 */
int ashmem_pin_status(struct ashmem_area *asma, size_t pgstart, size_t pgend)
{
	struct ashmem_range *range;

	list_for_each_entry(range, &asma->unpinned, unpinned) {
		if (range->pgstart > pgend)
			break;
		if (range_overlaps(range, pgstart, pgend))
			return ASHMEM_IS_UNPINNED;
	}
	return ASHMEM_IS_PINNED;
}

/* Drop every range of an area that is going away. */
void ashmem_range_release_all(struct ashmem_area *asma)
{
	struct ashmem_range *range, *next;

	list_for_each_entry_safe(range, next, &asma->unpinned, unpinned)
		range_del(range);
}

int ashmem_range_init(void)
{
	ashmem_range_cachep = kmem_cache_create("ashmem_range_cache",
						sizeof(struct ashmem_range),
						0, 0, NULL);
	return ashmem_range_cachep ? 0 : -ENOMEM;
}

void ashmem_range_exit(void)
{
	kmem_cache_destroy(ashmem_range_cachep);
}
