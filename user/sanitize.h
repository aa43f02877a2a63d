/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sanitize.h - what AddressSanitizer and Valgrind's memcheck need from
 * libsloba, so that they see sloba's objects as they see malloc's.
 *
 * SLOBA_ASAN is set when the compiler instruments for ASan; SLOBA_VALGRIND
 * by the build (-DSLOBA_VALGRIND, the "vg" variant).  Either makes
 * SLOBA_SANITIZE, and then:
 *
 *   - the core's object entry points (sloba_cache_alloc, sloba_kmalloc,
 *     sloba_kfree, ...) are renamed sloba_core_* when the core itself is
 *     compiled (SLOBA_CORE_UNIT, set by user/user.mk), and sanitize.c
 *     provides the public names: it unpoisons an object after the core's
 *     allocation returns it and poisons it before handing it back to the
 *     core's free (see sanitize.c);
 *   - the core's accesses to the link inside a free object are exempt
 *     (SLOBA_NO_SANITIZE for ASan) or bracketed (plat_link_open/close make
 *     the word accessible to memcheck for that moment);
 *   - the page allocator tells the sanitizer when a slab's pages start and
 *     stop being a slab (san_slab_new/san_slab_gone), and empties the
 *     quarantine before it counts pages (san_flush), so statistics and
 *     sloba_trim() see freed objects as free.
 *
 * Without a sanitizer all of this compiles to nothing: the optimised build
 * is the same code as before.
 */
#ifndef SLOBA_SANITIZE_H
#define SLOBA_SANITIZE_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLOBA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOBA_ASAN 1
#endif
#endif

#if defined(SLOBA_ASAN) || defined(SLOBA_VALGRIND)
#define SLOBA_SANITIZE 1
#endif

#ifdef SLOBA_ASAN
#define SLOBA_NO_SANITIZE	__attribute__((no_sanitize_address))
#else
#define SLOBA_NO_SANITIZE
#endif

#ifdef SLOBA_VALGRIND
#include <valgrind/memcheck.h>
#define plat_link_open(link) \
	((void)VALGRIND_MAKE_MEM_DEFINED(link, sizeof(void *)))
#define plat_link_close(link) \
	((void)VALGRIND_MAKE_MEM_NOACCESS(link, sizeof(void *)))
#else
#define plat_link_open(link)	((void)(link))
#define plat_link_close(link)	((void)(link))
#endif

#ifdef SLOBA_SANITIZE
#ifdef SLOBA_CORE_UNIT
#define sloba_cache_alloc	sloba_core_cache_alloc
#define sloba_cache_free	sloba_core_cache_free
#define sloba_cache_alloc_bulk	sloba_core_cache_alloc_bulk
#define sloba_cache_free_bulk	sloba_core_cache_free_bulk
#define sloba_cache_shrink	sloba_core_cache_shrink
#define sloba_cache_shutdown	sloba_core_cache_shutdown
#define sloba_cache_get_info	sloba_core_cache_get_info
#define sloba_kmalloc		sloba_core_kmalloc
#define sloba_krealloc		sloba_core_krealloc
#define sloba_kfree		sloba_core_kfree
#define sloba_ksize		sloba_core_ksize
#endif
void san_slab_new(void *addr, size_t bytes);
void san_slab_gone(void *addr, size_t bytes);
void san_flush(void);
#else
static inline void san_slab_new(void *addr, size_t bytes)
{
	(void)addr;
	(void)bytes;
}

static inline void san_slab_gone(void *addr, size_t bytes)
{
	(void)addr;
	(void)bytes;
}

static inline void san_flush(void)
{
}
#endif

#endif /* SLOBA_SANITIZE_H */
