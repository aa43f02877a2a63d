/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_fast.h - the object fast paths, inline: a free object's link, and
 * popping or pushing an object on this CPU's main list.
 *
 * Kept in a header so that a platform's entry points can have them inlined
 * (the kernel's kmem_cache_alloc() and kfree() then make no call into the
 * core for the common case, as SLUB's inline slab_alloc_node() makes none);
 * core/sloba.c uses the same functions.  They are free of calls and stack
 * frames: anything unusual (an empty or full main, zeroing, a suspected
 * double free) goes to one of the out-of-line slow paths declared here,
 * which start over.
 *
 * Include after sloba.h and the platform's sloba_plat_inline.h.
 */
#ifndef SLOBA_FAST_H
#define SLOBA_FAST_H

/*
 * A free object's link.  With freelist hardening (the kernel's
 * SLAB_FREELIST_HARDENED) it is stored mixed with a per-cache secret and
 * the byte-swapped address it is stored at, as SLUB does, so a leaked or
 * overwritten link does not give or take a plain pointer.
 */
static inline void *fp_mix(const struct kmem_cache *s, void *ptr,
			   const void *where)
{
	if (!plat_freelist_hardened())
		return ptr;
	return (void *)((uintptr_t)ptr ^ s->random ^
			(uintptr_t)swab((uintptr_t)where));
}

/*
 * Sanitizers see free objects as poisoned, so these are the core's only
 * ways in to the link (SLOBA_NO_SANITIZE, and the platform's bracket
 * plat_link_open/plat_link_close around the access).
 */
static inline SLOBA_NO_SANITIZE void *get_fp(const struct kmem_cache *s,
					     const void *obj)
{
	void **link = (void **)((char *)obj + s->offset);
	void *next;

	plat_link_open(link);
	next = *link;
	plat_link_close(link);
	return fp_mix(s, next, link);
}

static inline SLOBA_NO_SANITIZE void set_fp(const struct kmem_cache *s,
					    void *obj, void *next)
{
	void **link = (void **)((char *)obj + s->offset);

	plat_link_open(link);
	*link = fp_mix(s, next, link);
	plat_link_close(link);
}

/*
 * Zero the link word itself: a NULL stored through set_fp() is not zero
 * with freelist hardening, and init_on_free promises an object of zeros.
 */
static inline SLOBA_NO_SANITIZE void clear_fp(const struct kmem_cache *s,
					      void *obj)
{
	void **link = (void **)((char *)obj + s->offset);

	plat_link_open(link);
	*link = NULL;
	plat_link_close(link);
}

/* core/sloba.c: what the fast paths leave to a call. */
void *sloba_alloc_slow(struct kmem_cache *s, gfp_t gfp);
void *sloba_obj_init_slow(struct kmem_cache *s, void *obj, gfp_t gfp);
void sloba_free_slow(struct kmem_cache *s, void *obj);

/*
 * Zero a new object for init_on_alloc or __GFP_ZERO, or, under
 * init_on_free, the link that dirtied a zeroed one.
 */
static __always_inline void sloba_obj_init(struct kmem_cache *s, void *obj,
					   gfp_t gfp)
{
	if (plat_want_init_on_alloc(gfp, s))
		memset(obj, 0, s->object_size);
	else if (plat_want_init_on_free(s) && s->offset == 0)
		clear_fp(s, obj);
}

/* Pop main's head; the slow path when main is empty or zeroing is due. */
static __always_inline void *sloba_fast_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct sloba_cpu *c;
	unsigned long flags;
	void *obj;

	c = plat_cpu_get(s, &flags);
	obj = c->freelist;
	if (unlikely(!obj)) {
		plat_cpu_put(s, flags);
		return sloba_alloc_slow(s, gfp);
	}
	c->freelist = get_fp(s, obj);
	c->count--;
	if (plat_stats_enabled())
		c->alloc_fast++;
	plat_cpu_put(s, flags);
	if (unlikely(plat_want_init_on_alloc(gfp, s) ||
		     plat_want_init_on_free(s)))
		return sloba_obj_init_slow(s, obj, gfp);
	return obj;
}

/*
 * Push @obj (not NULL) on main; the slow path when main is full, @obj is
 * main's head (a double free), init_on_free is on or reserves are guarded.
 */
static __always_inline void sloba_fast_free(struct kmem_cache *s, void *obj)
{
	struct sloba_cpu *c;
	unsigned long flags;
	void *head;

	c = plat_cpu_get(s, &flags);
	head = c->freelist;
	if (likely(c->count < c->limit && obj != head &&
		   !plat_want_init_on_free(s) && !plat_pfmemalloc_active())) {
		set_fp(s, obj, head);
		c->freelist = obj;
		c->count++;
		plat_cpu_put(s, flags);
		return;
	}
	plat_cpu_put(s, flags);
	sloba_free_slow(s, obj);
}

#endif /* SLOBA_FAST_H */
