/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ashmem_internal.h - the types and the lock shared by the ashmem files.
 *
 * ashmem_main.c    the misc device: open/release, ioctls, mmap, read, llseek
 * ashmem_backing.c the shmem file behind a mapped area and the operations
 *                  its file and inode get instead of shmem's
 * ashmem_range.c   pin/unpin: each area's tree of unpinned ranges and the
 *                  per-cgroup LRU of ranges that may be purged
 * ashmem_shrink.c  purging: the shrinker and ASHMEM_PURGE_ALL_CACHES
 *
 * Locking.  One global mutex, ashmem_mutex, protects every field of every
 * area (name, size, prot_mask, file, the range tree, pin_waiters) and
 * every range, and the LRU with its page count.  The LRU (a list_lru) has
 * spinlocks of its own inside, taken under ashmem_mutex.  Rules that keep
 * it deadlock-free:
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
 *     freed under a running punch.  While a PIN waits (@pin_waiters), the
 *     shrinker starts no new punch on that area, so the wait is bounded.
 *   - The punch takes the backing inode's i_rwsem inside reclaim; see
 *     ashmem_backing.c for why nothing holds it and allocates.
 */
#ifndef _ASHMEM_INTERNAL_H
#define _ASHMEM_INTERNAL_H

#include <linux/list.h>
#include <linux/list_lru.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/wait.h>
#include <linux/atomic.h>
#include <linux/ashmem.h>

#define ASHMEM_NAME_PREFIX	"dev/ashmem/"
#define ASHMEM_NAME_PREFIX_LEN	(sizeof(ASHMEM_NAME_PREFIX) - 1)
#define ASHMEM_FULL_NAME_LEN	(ASHMEM_NAME_LEN + ASHMEM_NAME_PREFIX_LEN)

/* The protections a mask may contain. */
#define ASHMEM_PROT_ALL		(PROT_READ | PROT_WRITE | PROT_EXEC)

/* fdinfo lists at most this many ranges (it always shows their count). */
#define ASHMEM_FDINFO_RANGES	1024

struct file;
struct kiocb;
struct iov_iter;
struct vm_area_struct;

/**
 * struct ashmem_area - one open of /dev/ashmem
 * @name:	"dev/ashmem/" followed by the user's name; fixed once mapped
 * @unpinned:	unpinned ranges by first page, never overlapping
 * @nr_ranges:	how many ranges @unpinned holds
 * @file:	backing shmem file, created by the first mmap, then fixed
 * @size:	size in bytes; fixed once mapped
 * @prot_mask:	PROT_* bits mappings may have; can only shrink
 * @pin_waiters: PINs (and the release) waiting for @purging to drop
 * @purging:	punches in flight on @file (not under ashmem_mutex)
 *
 * Lives from open() to release(); mappings hold the backing file, not this.
 */
struct ashmem_area {
	char name[ASHMEM_FULL_NAME_LEN];
	struct rb_root unpinned;
	unsigned long nr_ranges;
	struct file *file;
	size_t size;
	unsigned long prot_mask;
	unsigned int pin_waiters;
	atomic_t purging;
};

/**
 * struct ashmem_range - an unpinned page range of an area
 * @lru:	link in ashmem_lru while @lru_pages is not zero, else empty
 * @node:	link in the area's @unpinned tree
 * @asma:	the area
 * @pgstart:	first page
 * @pgend:	last page (inclusive)
 * @lru_pages:	pages of the range that may hold memory, counted in
 *		ashmem_lru_pages; 0 once the shrinker purged it, until an
 *		UNPIN covers some of it again
 * @purged:	ASHMEM_WAS_PURGED if any of its pages may have been purged
 *
 * Lives from UNPIN to the PIN that covers it (or release).  Allocated in
 * the caller's memory cgroup, whose LRU it then sits on.
 */
struct ashmem_range {
	struct list_head lru;
	struct rb_node node;
	struct ashmem_area *asma;
	size_t pgstart;
	size_t pgend;
	size_t lru_pages;
	unsigned int purged;
};

extern struct mutex ashmem_mutex;
extern wait_queue_head_t ashmem_purge_wait;
extern struct list_lru ashmem_lru;
extern unsigned long ashmem_lru_pages;

/* ashmem_backing.c */
int ashmem_backing_init(void);
struct file *ashmem_backing_create(const char *name, size_t size,
				   unsigned long vm_flags);
int ashmem_backing_map(struct file *backing, struct vm_area_struct *vma);
ssize_t ashmem_backing_read(struct file *backing, struct kiocb *iocb,
			    struct iov_iter *iter);
loff_t ashmem_backing_seek_data(struct file *backing, loff_t offset,
				int whence);
void ashmem_backing_punch(struct file *backing, loff_t start, loff_t len);
unsigned long ashmem_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags);

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
struct ashmem_range *ashmem_range_first(struct ashmem_area *asma);
struct ashmem_range *ashmem_range_next(struct ashmem_range *range);
void ashmem_range_purged(struct ashmem_range *range);

/* ashmem_shrink.c */
int ashmem_shrink_init(void);
void ashmem_shrink_exit(void);
unsigned long ashmem_purge_all(void);
int ashmem_wait_for_purges(struct ashmem_area *asma, bool interruptible);

#endif /* _ASHMEM_INTERNAL_H */
