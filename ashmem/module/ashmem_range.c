// SPDX-License-Identifier: GPL-2.0-only
/*
 * ashmem_range.c - pinning and unpinning page ranges of an ashmem area.
 *
 * Every page of an area is pinned unless an ashmem_range covers it.  The
 * area keeps its ranges in a red-black tree by first page; they never
 * overlap, so they are sorted by last page too, and finding where a
 * request starts costs O(log n) however many ranges the area has.  UNPIN
 * adds a range, merging it with every range it overlaps; PIN removes pages
 * from ranges, which can shrink a range, delete it, or split it in two.
 * Each call touches only the ranges it changes (and each of those was made
 * by an earlier call).
 *
 * The LRU.  Ranges that may hold memory the shrinker could free sit on
 * ashmem_lru, oldest unpin first, one list per NUMA node and memory cgroup
 * (a list_lru: the range is allocated in the caller's cgroup and joins that
 * cgroup's list, so reclaim inside a cgroup purges that cgroup's ranges).
 * A range counts @lru_pages of its pages in ashmem_lru_pages and is on the
 * LRU exactly when that is not zero:
 *
 *   - a new range counts the pages the UNPIN named, plus the counted pages
 *     of the ranges it swallowed that lie outside them (a purged range
 *     counts none: its pages are holes);
 *   - the shrinker takes a range off the LRU and counts nothing for it;
 *   - an UNPIN inside an existing range counts the pages it names again
 *     (the caller may have written to them), putting a purged range back
 *     on the LRU;
 *   - PIN trims a range's count to its new extent; when it splits a range,
 *     the head keeps what fits of the count and its place on the LRU, and
 *     the tail takes the rest and joins the LRU as its youngest (a
 *     list_lru cannot insert in the middle).
 *
 * @purged, the answer PIN gives, is separate: a range remembers whether
 * any page of it may have been purged since it was unpinned, and a merged
 * range keeps the flag of everything it swallowed.
 *
 * Callers hold ashmem_mutex; nothing here allocates: a caller that may
 * need a new range passes one allocated beforehand (ashmem_range_prealloc())
 * and frees it if it was not used.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include "compat.h"
#include "ashmem_internal.h"

static struct kmem_cache *ashmem_range_cachep;

/* Ranges the shrinker may purge, and the pages they count. */
struct list_lru ashmem_lru;
unsigned long ashmem_lru_pages;

static size_t range_pages(const struct ashmem_range *range)
{
	return range->pgend - range->pgstart + 1;
}

/*
 * Set how many pages @range counts, joining or leaving the LRU as that
 * becomes non-zero or zero; a range that stays on it keeps its place.
 */
static void lru_count(struct ashmem_range *range, size_t pages)
{
	size_t old = range->lru_pages;

	if (pages == old)
		return;
	WRITE_ONCE(ashmem_lru_pages, ashmem_lru_pages - old + pages);
	range->lru_pages = pages;
	if (!old)
		ashmem_list_lru_add(&ashmem_lru, &range->lru);
	else if (!pages)
		ashmem_list_lru_del(&ashmem_lru, &range->lru);
}

/*
 * The shrinker has taken @range off the LRU (list_lru_isolate()) to purge
 * it: it counts nothing now, and PIN will report it.
 */
void ashmem_range_purged(struct ashmem_range *range)
{
	WRITE_ONCE(ashmem_lru_pages, ashmem_lru_pages - range->lru_pages);
	range->lru_pages = 0;
	range->purged = ASHMEM_WAS_PURGED;
}

/* Change a range's extent; its count shrinks with it. */
static void range_resize(struct ashmem_range *range, size_t pgstart,
			 size_t pgend)
{
	range->pgstart = pgstart;
	range->pgend = pgend;
	lru_count(range, min(range->lru_pages, range_pages(range)));
}

static void range_insert(struct ashmem_area *asma, struct ashmem_range *new)
{
	struct rb_node **link = &asma->unpinned.rb_node, *parent = NULL;

	while (*link) {
		struct ashmem_range *r = rb_entry(*link, struct ashmem_range,
						  node);

		parent = *link;
		link = new->pgstart < r->pgstart ? &parent->rb_left :
			&parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &asma->unpinned);
	asma->nr_ranges++;
}

static void range_del(struct ashmem_area *asma, struct ashmem_range *range)
{
	lru_count(range, 0);
	rb_erase(&range->node, &asma->unpinned);
	asma->nr_ranges--;
	ashmem_range_free(range);
}

/* The first range whose last page is @pg or later, or NULL. */
static struct ashmem_range *range_from(struct ashmem_area *asma, size_t pg)
{
	struct rb_node *n = asma->unpinned.rb_node;
	struct ashmem_range *found = NULL;

	while (n) {
		struct ashmem_range *r = rb_entry(n, struct ashmem_range, node);

		if (r->pgend >= pg) {
			found = r;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

struct ashmem_range *ashmem_range_first(struct ashmem_area *asma)
{
	struct rb_node *n = rb_first(&asma->unpinned);

	return n ? rb_entry(n, struct ashmem_range, node) : NULL;
}

struct ashmem_range *ashmem_range_next(struct ashmem_range *range)
{
	struct rb_node *n = rb_next(&range->node);

	return n ? rb_entry(n, struct ashmem_range, node) : NULL;
}

/* Charged to the caller's memory cgroup, with room on its LRU. */
struct ashmem_range *ashmem_range_prealloc(void)
{
	return kmem_cache_alloc_lru(ashmem_range_cachep, &ashmem_lru,
				    GFP_KERNEL);
}

void ashmem_range_free(struct ashmem_range *range)
{
	if (range)
		kmem_cache_free(ashmem_range_cachep, range);
}

static struct ashmem_range *take_prealloc(struct ashmem_range **prealloc,
					  struct ashmem_area *asma,
					  size_t pgstart, size_t pgend,
					  unsigned int purged)
{
	struct ashmem_range *range = *prealloc;

	*prealloc = NULL;
	INIT_LIST_HEAD(&range->lru);
	range->asma = asma;
	range->pgstart = pgstart;
	range->pgend = pgend;
	range->lru_pages = 0;
	range->purged = purged;
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
	size_t pages;

	for (range = range_from(asma, pgstart);
	     range && range->pgstart <= pgend; range = next) {
		next = ashmem_range_next(range);
		ret |= range->purged;

		if (range->pgstart >= pgstart && range->pgend <= pgend) {
			/* the pin covers the whole range */
			range_del(asma, range);
		} else if (range->pgstart >= pgstart) {
			/* the pin covers the range's head */
			range_resize(range, pgend + 1, range->pgend);
		} else if (range->pgend <= pgend) {
			/* the pin covers the range's tail */
			range_resize(range, range->pgstart, pgstart - 1);
		} else {
			/* the pin is strictly inside: split the range */
			pages = range->lru_pages;
			tail = take_prealloc(prealloc, asma, pgend + 1,
					     range->pgend, range->purged);
			range_resize(range, range->pgstart, pgstart - 1);
			range_insert(asma, tail);
			lru_count(tail, min(pages - range->lru_pages,
					    range_pages(tail)));
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
	unsigned int purged = ASHMEM_NOT_PURGED;
	size_t span = pgend - pgstart + 1, pages = span, outside;

	for (range = range_from(asma, pgstart);
	     range && range->pgstart <= pgend; range = next) {
		next = ashmem_range_next(range);
		if (range->pgstart <= pgstart && range->pgend >= pgend) {
			/* inside an unpinned range: its pages count again */
			lru_count(range, min(range_pages(range),
					     range->lru_pages + span));
			return 0;
		}
		/* overlap: swallow the old range */
		outside = (range->pgstart < pgstart ?
			   pgstart - range->pgstart : 0) +
			  (range->pgend > pgend ? range->pgend - pgend : 0);
		pages += min(range->lru_pages, outside);
		pgstart = min(pgstart, range->pgstart);
		pgend = max(pgend, range->pgend);
		purged |= range->purged;
		range_del(asma, range);
	}

	added = take_prealloc(prealloc, asma, pgstart, pgend, purged);
	range_insert(asma, added);
	lru_count(added, pages);
	return 0;
}

/*
 * ashmem_pin_status - ASHMEM_IS_UNPINNED if any page of [pgstart, pgend] is
 * unpinned, else ASHMEM_IS_PINNED.
 */
int ashmem_pin_status(struct ashmem_area *asma, size_t pgstart, size_t pgend)
{
	struct ashmem_range *range = range_from(asma, pgstart);

	return range && range->pgstart <= pgend ? ASHMEM_IS_UNPINNED :
		ASHMEM_IS_PINNED;
}

/*
 * Drop every range of an area that is going away.  An area can hold
 * hundreds of thousands; the mutex is let go between batches.
 */
void ashmem_range_release_all(struct ashmem_area *asma)
{
	struct ashmem_range *range;
	unsigned int batch = 0;

	while ((range = ashmem_range_first(asma))) {
		range_del(asma, range);
		if (++batch % 1024 == 0) {
			mutex_unlock(&ashmem_mutex);
			cond_resched();
			mutex_lock(&ashmem_mutex);
		}
	}
}

int ashmem_range_init(void)
{
	ashmem_range_cachep = kmem_cache_create("ashmem_range_cache",
						sizeof(struct ashmem_range),
						0, SLAB_ACCOUNT, NULL);
	return ashmem_range_cachep ? 0 : -ENOMEM;
}

void ashmem_range_exit(void)
{
	kmem_cache_destroy(ashmem_range_cachep);
}
