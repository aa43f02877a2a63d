/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libsloba.h - the SLOBA slab allocator for applications.
 *
 * The same allocator core that runs inside the Linux kernel, with the
 * kernel's API under a sloba_ prefix: object caches (sloba_cache_*), a
 * general-purpose allocator (sloba_kmalloc & co.) and per-cache statistics.
 * Every call is thread-safe; an object may be freed by another thread than
 * the one that allocated it.  See README.md for an example.
 */
#ifndef LIBSLOBA_H
#define LIBSLOBA_H

#include <stddef.h>
#include "sloba_info.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation flags (the kernel's gfp_t). */
typedef unsigned int sloba_gfp_t;
#define SLOBA_GFP_ZERO		0x100u	/* return zeroed memory */
#define SLOBA_GFP_NOWARN	0x200u	/* no report when memory runs out */
#define SLOBA_GFP_NOWAIT	0x400u	/* documents "may not block"; SLOBA's
					 * userspace paths never sleep */
#define SLOBA_GFP_KERNEL	0u
#define SLOBA_GFP_MEMALLOC	0x800u	/* may use memory reserves (see
					 * sloba_test_reserves()) */

/* Cache creation flags (the kernel's SLAB_* flags of the same names). */
#define SLOBA_CONSISTENCY_CHECKS 0x00000100u /* check every free */
#define SLOBA_RED_ZONE		0x00000400u	/* implies checks */
#define SLOBA_POISON		0x00000800u	/* poison free objects */
#define SLOBA_HWCACHE_ALIGN	0x00002000u	/* align to cache lines */
#define SLOBA_STORE_USER	0x00010000u	/* implies checks */
#define SLOBA_PANIC		0x00040000u	/* abort() if creation fails */
#define SLOBA_TYPESAFE_BY_RCU	0x00080000u	/* pages freed after a grace
						 * period (liburcu) */
#define SLOBA_DEBUG		(SLOBA_CONSISTENCY_CHECKS | SLOBA_POISON)

/* What sloba_kmalloc(0) returns: not NULL, but not to be dereferenced. */
#define SLOBA_ZERO_SIZE_PTR	((void *)16)
/* Largest sloba_kmalloc() request: the page allocator's largest block. */
#define SLOBA_KMALLOC_MAX_SIZE	((size_t)4 << 20)

struct kmem_cache;
typedef struct kmem_cache sloba_cache_t;

/*
 * Object caches.  sloba_cache_create() returns NULL and sets errno (EINVAL
 * for a bad size, alignment or flag, ENOMEM) after reporting why.
 * sloba_cache_destroy() returns 0, or -EBUSY when objects are still
 * allocated: each is reported and the cache stays usable.
 */
sloba_cache_t *sloba_cache_create(const char *name, size_t size, size_t align,
				  unsigned int flags, void (*ctor)(void *));
int sloba_cache_destroy(sloba_cache_t *cache);
void *sloba_cache_alloc(sloba_cache_t *cache, sloba_gfp_t gfp);
void *sloba_cache_zalloc(sloba_cache_t *cache, sloba_gfp_t gfp);
void sloba_cache_free(sloba_cache_t *cache, void *obj);
/* All nr objects (returns nr) or none (returns 0). */
int sloba_cache_alloc_bulk(sloba_cache_t *cache, sloba_gfp_t gfp, size_t nr,
			   void **objs);
/* cache may be NULL: then each object is freed as by sloba_kfree(). */
void sloba_cache_free_bulk(sloba_cache_t *cache, size_t nr, void **objs);
/* Releases the empty slabs; returns 0 when the cache holds none at all. */
int sloba_cache_shrink(sloba_cache_t *cache);
/* Shrink every cache, the kmalloc classes included. */
void sloba_shrink_all(void);
const char *sloba_cache_name(const sloba_cache_t *cache);
/* slabinfo's fields and the event counters (see sloba_info.h). */
void sloba_cache_get_info(sloba_cache_t *cache, struct sloba_cache_info *info);
/* The cache sloba_kmalloc() serves size bytes from (NULL above 4096). */
sloba_cache_t *sloba_kmalloc_cache(size_t size);

/* General-purpose allocation. */
void *sloba_kmalloc(size_t size, sloba_gfp_t gfp);
void *sloba_kzalloc(size_t size, sloba_gfp_t gfp);
void *sloba_kmalloc_array(size_t n, size_t size, sloba_gfp_t gfp);
void *sloba_kcalloc(size_t n, size_t size, sloba_gfp_t gfp);
void *sloba_krealloc(const void *p, size_t new_size, sloba_gfp_t gfp);
void sloba_kfree(const void *p);
/* The usable size of an object: at least what was asked for. */
size_t sloba_ksize(const void *p);
/* The size a request of size bytes is rounded up to. */
size_t sloba_kmalloc_size_roundup(size_t size);

/* Every cache, kmalloc classes first, in the format of /proc/slabinfo. */
void sloba_slabinfo(int fd);

/* The page allocator underneath. */
struct sloba_page_stats {
	size_t arena_pages;	/* pages the arena has handed to the buddy
				 * allocator so far */
	size_t free_pages;	/* of those, free */
	size_t slab_pages;	/* in slabs */
	size_t large_pages;	/* in large kmalloc allocations */
	size_t resident_free_pages; /* free but maybe still resident */
	unsigned long purges;	/* times free memory went back to the OS */
};
void sloba_page_stats(struct sloba_page_stats *stats);
/* Give every free page back to the operating system now. */
void sloba_trim(void);

/*
 * Reports of misuse (double free, foreign pointer, leaked objects at
 * destroy, bad arguments) go to a handler; the default one prints
 * "sloba: <message>" on stderr.  cache is NULL when none is involved.
 */
typedef void (*sloba_report_fn)(const char *cache, const char *message,
				void *arg);
void sloba_set_report_handler(sloba_report_fn fn, void *arg);
unsigned long sloba_report_count(void);

/* Testing aids: make every n-th page allocation fail (0: never); make
 * slabs of 2^order pages or more fail, as fragmented memory does (0: never). */
void sloba_fail_page_alloc_every(unsigned long n);
void sloba_fail_slab_order(unsigned int order);
/*
 * Testing aid: with on, memory is "low": new slabs come from the reserves,
 * to SLOBA_GFP_MEMALLOC callers only, as the kernel's page allocator gives
 * pfmemalloc pages.  Returns 0, or -ENOSYS in builds without the emulation
 * (only the sanitizer test build has it).
 */
int sloba_test_reserves(int on);

#ifdef __cplusplus
}
#endif

#endif /* LIBSLOBA_H */
