/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ashmem_internal.h - the types and the lock shared by the ashmem files.
 *
 * ashmem_main.c   the misc device: open/release, ioctls, mmap, read, llseek
 * ashmem_range.c  pin/unpin: the per-area list of unpinned ranges and the
 *                 global LRU of ranges that may be purged
 * ashmem_shrink.c purging: the shrinker and ASHMEM_PURGE_ALL_CACHES
 *
 * Locking.  One global mutex, ashmem_mutex, protects every field of every
 * area (name, size, prot_mask, file, unpinned list) and every range, and
 * the LRU with its page count.  Rules that keep it deadlock-free:
 *
 *   - Nothing allocates memory while holding ashmem_mutex: the range a
 *     pin/unpin may need is allocated before the lock is taken, and the
 *     backing shmem file is created unlocked.  An allocation could enter
 *     reclaim and so our own shrinker.
 *   - Nothing touches user memory while holding it (copy_{to,from}_user
 *     can fault and take mmap_lock, and ->mmap runs under mmap_lock and
 *     takes ashmem_mutex).
 *   - Holes are punched without it: the shrinker takes a range off the LRU
 *     and marks it purged under the lock, counts the purge in the area's
 *     @purging, drops the lock and punches.  PIN and release wait on
 *     ashmem_purge_wait until the area has no purge in flight, so a range
 *     is never being punched after PIN has returned, and an area is never
 *     freed under a running punch.
 */
#ifndef _ASHMEM_INTERNAL_H
#define _ASHMEM_INTERNAL_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/atomic.h>
#include <linux/ashmem.h>

#define ASHMEM_NAME_PREFIX	"dev/ashmem/"
#define ASHMEM_NAME_PREFIX_LEN	(sizeof(ASHMEM_NAME_PREFIX) - 1)
#define ASHMEM_FULL_NAME_LEN	(ASHMEM_NAME_LEN + ASHMEM_NAME_PREFIX_LEN)

/* The protections a mask may contain. */
#define ASHMEM_PROT_ALL		(PROT_READ | PROT_WRITE | PROT_EXEC)

/**
 * struct ashmem_area - one open of /dev/ashmem
 * @name:	"dev/ashmem/" followed by the user's name; fixed once mapped
 * @unpinned:	unpinned ranges, sorted by page, never overlapping
 * @file:	backing shmem file, created by the first mmap, then fixed
 * @size:	size in bytes; fixed once mapped
 * @prot_mask:	PROT_* bits mappings may have; can only shrink
 * @id:		value of ASHMEM_GET_FILE_ID, unique while the module lives
 * @purging:	punches in flight on @file (not under ashmem_mutex)
 *
 * Lives from open() to release(); mappings hold the backing file, not this.
 */
struct ashmem_area {
	char name[ASHMEM_FULL_NAME_LEN];
	struct list_head unpinned;
	struct file *file;
	size_t size;
	unsigned long prot_mask;
	u64 id;
	atomic_t purging;
};

/**
 * struct ashmem_range - an unpinned page range of an area
 * @lru:	link in ashmem_lru while the range may be purged; empty once
 *		the shrinker has taken it
 * @unpinned:	link in the area's sorted @unpinned list
 * @asma:	the area
 * @pgstart:	first page
 * @pgend:	last page (inclusive)
 * @purged:	ASHMEM_WAS_PURGED if any of its pages may have been purged
 *
 * Lives from UNPIN to the PIN that covers it (or release).
 */
struct ashmem_range {
	struct list_head lru;
	struct list_head unpinned;
	struct ashmem_area *asma;
	size_t pgstart;
	size_t pgend;
	unsigned int purged;
};

extern struct mutex ashmem_mutex;
extern wait_queue_head_t ashmem_purge_wait;
extern struct list_head ashmem_lru;
extern unsigned long ashmem_lru_pages;

/* ashmem_range.c */
int ashmem_range_init(void);
void ashmem_range_exit(void);
struct ashmem_range *ashmem_range_prealloc(void);
void ashmem_range_free(struct ashmem_range *range);
int ashmem_pin(struct ashmem_area *asma, size_t pgstart, size_t pgend,
	       struct ashmem_range **prealloc);
int ashmem_unpin(struct ashmem_area *asma, size_t pgstart, size_t pgend,
		 struct ashmem_range **prealloc);
int ashmem_pin_status(struct ashmem_area *asma, size_t pgstart,
		      size_t pgend);
void ashmem_range_release_all(struct ashmem_area *asma);
void ashmem_lru_del(struct ashmem_range *range);

/* ashmem_shrink.c */
int ashmem_shrink_init(void);
void ashmem_shrink_exit(void);
unsigned long ashmem_purge(unsigned long nr_pages, bool may_sleep);
void ashmem_wait_for_purges(struct ashmem_area *asma);

#endif /* _ASHMEM_INTERNAL_H */
