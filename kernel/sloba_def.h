/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_def.h - how an address maps to an object in a SLOBA slab, for the
 * generic parts of mm/ that ask every allocator (what slub_def.h and
 * slab_def.h provide for SLUB and SLAB): KASAN reports (nearest_obj()),
 * memory cgroup accounting (obj_to_index(), objs_per_slab(), indexing the
 * slab's obj_cgroup vector).  Included by mm/slab.h once struct kmem_cache
 * is complete.
 *
 * SLOBA cuts objects from the slab's end downward, so object i (counting
 * from 0) holds the bytes [end - (i + 1) * size, end - i * size), and the
 * bytes before the lowest object are slack.  A KFENCE object sits alone in its own page
 * with slab->objects == 1 and index 0.
 */
#ifndef MM_SLOBA_DEF_H
#define MM_SLOBA_DEF_H

#include <linux/kfence.h>
#include <linux/kasan.h>

static inline void *sloba_slab_end(const struct slab *slab)
{
	return (char *)slab_address(slab) + slab_size(slab);
}

/* The object holding address x, or the lowest object for the slack. */
static inline void *nearest_obj(struct kmem_cache *cache,
				const struct slab *slab, void *x)
{
	char *end = sloba_slab_end(slab);
	char *lowest = end - (size_t)slab->objects * cache->size;
	char *p = kasan_reset_tag(x);

	if (p < lowest)
		return lowest;
	return end - ((unsigned int)(end - p - 1) / cache->size + 1) *
		     cache->size;
}

/*
 * The index of the object holding obj (an interior pointer included).  A
 * slab is far smaller than 4 GiB: a 32-bit division, not a 64-bit one,
 * on every charge and uncharge of an accounted object.
 */
static inline unsigned int obj_to_index(const struct kmem_cache *cache,
					const struct slab *slab,
					void *obj)
{
	char *end = sloba_slab_end(slab);

	if (is_kfence_address(obj))
		return 0;
	return (unsigned int)(end - 1 - (char *)kasan_reset_tag(obj)) /
	       cache->size;
}

static inline unsigned int objs_per_slab(const struct kmem_cache *cache,
					 const struct slab *slab)
{
	return slab->objects;
}

#endif /* MM_SLOBA_DEF_H */
