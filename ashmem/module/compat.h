/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat.h - every kernel-version difference the ashmem module absorbs.
 *
 * ashmem left the kernel in 5.18; this module is built out of tree against
 * whatever kernel a distribution ships (tested: Debian's 6.1 and 6.12).  All
 * #if LINUX_VERSION_CODE checks live here and nowhere else, each wrapped in
 * a small helper, so the driver itself reads as if written for one kernel.
 *
 *   - 6.0: register_shrinker() takes a printf-style name.
 *   - 6.3: vma->vm_flags became read-only outside mm; use vm_flags_clear().
 *   - 6.7: shrinkers are allocated by the core (shrinker_alloc() and
 *          shrinker_register()/shrinker_free()); register_shrinker() is gone.
 *
 * Only exported symbols are used; see README.md for the list.
 */
#ifndef _ASHMEM_COMPAT_H
#define _ASHMEM_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/shrinker.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#error "ashmem needs Linux 5.11 or later (vma_set_file)"
#endif

/* Clear bits in vma->vm_flags from a ->mmap handler. */
static inline void ashmem_vma_clear_flags(struct vm_area_struct *vma,
					  unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

#ifdef ASHMEM_COMPAT_SHRINKER	/* defined by the one file that owns it */
/*
 * One shrinker per module.  ashmem_shrinker_create() registers it with the
 * given callbacks; ashmem_shrinker_destroy() unregisters it and waits for
 * running callbacks to finish.
 */
typedef unsigned long (*ashmem_shrink_fn)(struct shrinker *,
					  struct shrink_control *);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static struct shrinker *ashmem_shrinker;

static inline int ashmem_shrinker_create(ashmem_shrink_fn count,
					 ashmem_shrink_fn scan, int seeks,
					 const char *name)
{
	ashmem_shrinker = shrinker_alloc(0, "%s", name);
	if (!ashmem_shrinker)
		return -ENOMEM;
	ashmem_shrinker->count_objects = count;
	ashmem_shrinker->scan_objects = scan;
	ashmem_shrinker->seeks = seeks;
	shrinker_register(ashmem_shrinker);
	return 0;
}

static inline void ashmem_shrinker_destroy(void)
{
	shrinker_free(ashmem_shrinker);
}
#else
static struct shrinker ashmem_shrinker_static;

static inline int ashmem_shrinker_create(ashmem_shrink_fn count,
					 ashmem_shrink_fn scan, int seeks,
					 const char *name)
{
	ashmem_shrinker_static.count_objects = count;
	ashmem_shrinker_static.scan_objects = scan;
	ashmem_shrinker_static.seeks = seeks;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 0, 0)
	return register_shrinker(&ashmem_shrinker_static, "%s", name);
#else
	return register_shrinker(&ashmem_shrinker_static);
#endif
}

static inline void ashmem_shrinker_destroy(void)
{
	unregister_shrinker(&ashmem_shrinker_static);
}
#endif
#endif /* ASHMEM_COMPAT_SHRINKER */

#endif /* _ASHMEM_COMPAT_H */
