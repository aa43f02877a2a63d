/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat.h - every kernel-version difference the ashmem module absorbs.
 *
 * ashmem left the kernel in 5.18; this module is built out of tree against
 * whatever kernel a distribution ships (tested: Debian's 6.1 and 6.12).  All
 * #if LINUX_VERSION_CODE checks live here and nowhere else, each wrapped in
 * a small helper, so the driver itself reads as if written for one kernel.
 *
 *   - 5.18: kmem_cache_alloc_lru() (per-cgroup LRU lists made on demand):
 *           the oldest kernel the module builds for.
 *   - 6.0:  register_shrinker() takes a printf-style name.
 *   - 6.3:  vma->vm_flags became read-only outside mm; use vm_flags_clear().
 *           ->setattr takes a struct mnt_idmap, not a user_namespace.
 *   - 6.7:  shrinkers are allocated by the core (shrinker_alloc() and
 *           shrinker_register()/shrinker_free()); register_shrinker() is gone.
 *   - 6.8:  list_lru_add()/list_lru_del() take the node and cgroup; the
 *           old behaviour (both from the object) is list_lru_{add,del}_obj().
 *
 * Only exported symbols are used; see README.md for the list.
 */
#ifndef _ASHMEM_COMPAT_H
#define _ASHMEM_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/list_lru.h>
#include <linux/shrinker.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 18, 0)
#error "ashmem needs Linux 5.18 or later (kmem_cache_alloc_lru)"
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

/* The parameters of an inode's ->setattr. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define ASHMEM_SETATTR_ARGS \
	struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr
#else
#define ASHMEM_SETATTR_ARGS \
	struct user_namespace *userns, struct dentry *dentry, struct iattr *attr
#endif

/* Add @item to / remove it from the LRU of its own node and memory cgroup. */
static inline bool ashmem_list_lru_add(struct list_lru *lru,
				       struct list_head *item)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return list_lru_add_obj(lru, item);
#else
	return list_lru_add(lru, item);
#endif
}

static inline bool ashmem_list_lru_del(struct list_lru *lru,
				       struct list_head *item)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return list_lru_del_obj(lru, item);
#else
	return list_lru_del(lru, item);
#endif
}

#ifdef ASHMEM_COMPAT_SHRINKER	/* defined by the one file that owns it */
/*
 * One shrinker per module, aware of NUMA nodes and memory cgroups, with
 * @lru as its per-node, per-cgroup LRU.  ashmem_shrinker_create() sets both
 * up (the LRU needs the shrinker's id, which registration assigns before
 * 6.7); ashmem_shrinker_destroy() unregisters the shrinker, waits for
 * running callbacks, and frees the LRU.
 */
typedef unsigned long (*ashmem_shrink_fn)(struct shrinker *,
					  struct shrink_control *);

#define ASHMEM_SHRINKER_FLAGS	(SHRINKER_NUMA_AWARE | SHRINKER_MEMCG_AWARE)

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static struct shrinker *ashmem_shrinker;

static inline int ashmem_shrinker_create(ashmem_shrink_fn count,
					 ashmem_shrink_fn scan, int seeks,
					 const char *name, struct list_lru *lru)
{
	int ret;

	ashmem_shrinker = shrinker_alloc(ASHMEM_SHRINKER_FLAGS, "%s", name);
	if (!ashmem_shrinker)
		return -ENOMEM;
	ret = list_lru_init_memcg(lru, ashmem_shrinker);
	if (ret) {
		shrinker_free(ashmem_shrinker);
		return ret;
	}
	ashmem_shrinker->count_objects = count;
	ashmem_shrinker->scan_objects = scan;
	ashmem_shrinker->seeks = seeks;
	shrinker_register(ashmem_shrinker);
	return 0;
}

static inline void ashmem_shrinker_destroy(struct list_lru *lru)
{
	shrinker_free(ashmem_shrinker);
	list_lru_destroy(lru);
}
#else
/*
 * The shrinker is registered before the LRU can be initialised, so the
 * callbacks go through wrappers that do nothing until it is.
 */
static struct shrinker ashmem_shrinker_static;
static ashmem_shrink_fn ashmem_count_fn, ashmem_scan_fn;
static bool ashmem_lru_ready;

/* acquire: pairs with the release that publishes the initialised LRU */
static unsigned long ashmem_compat_count(struct shrinker *s,
					 struct shrink_control *sc)
{
	return smp_load_acquire(&ashmem_lru_ready) ? ashmem_count_fn(s, sc) : 0;
}

/* acquire: as above */
static unsigned long ashmem_compat_scan(struct shrinker *s,
					struct shrink_control *sc)
{
	return smp_load_acquire(&ashmem_lru_ready) ? ashmem_scan_fn(s, sc) :
		SHRINK_STOP;
}

static inline int ashmem_shrinker_create(ashmem_shrink_fn count,
					 ashmem_shrink_fn scan, int seeks,
					 const char *name, struct list_lru *lru)
{
	int ret;

	ashmem_count_fn = count;
	ashmem_scan_fn = scan;
	ashmem_shrinker_static.count_objects = ashmem_compat_count;
	ashmem_shrinker_static.scan_objects = ashmem_compat_scan;
	ashmem_shrinker_static.seeks = seeks;
	ashmem_shrinker_static.flags = ASHMEM_SHRINKER_FLAGS;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 0, 0)
	ret = register_shrinker(&ashmem_shrinker_static, "%s", name);
#else
	ret = register_shrinker(&ashmem_shrinker_static);
#endif
	if (ret)
		return ret;
	ret = list_lru_init_memcg(lru, &ashmem_shrinker_static);
	if (ret) {
		unregister_shrinker(&ashmem_shrinker_static);
		return ret;
	}
	/* release: the LRU is initialised before the callbacks see it */
	smp_store_release(&ashmem_lru_ready, true);
	return 0;
}

static inline void ashmem_shrinker_destroy(struct list_lru *lru)
{
	unregister_shrinker(&ashmem_shrinker_static);
	list_lru_destroy(lru);
}
#endif
#endif /* ASHMEM_COMPAT_SHRINKER */

#endif /* _ASHMEM_COMPAT_H */
