/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_info.h - what SLOBA tells about one cache: the fields of
 * /proc/slabinfo version 2.1, and event counters in the manner of
 * SLUB_STATS.  Kept alone, without dependencies, because the userspace
 * library installs it next to its public header.
 */
#ifndef SLOBA_INFO_H
#define SLOBA_INFO_H

/*
 * Events since the cache was created, summed over CPUs (threads) and
 * nodes.  "Main" is a CPU's list of free objects, the "spare" its second
 * list, the "barn" the per-node pool of whole lists that CPUs trade without
 * a lock (see core/sloba.c).
 */
struct sloba_cache_stats {
	unsigned long alloc_fast;	/* popped from main (0 in kernels
					 * built without CONFIG_SLOBA_STATS) */
	unsigned long alloc_slow;	/* main was empty (or no CPU lists) */
	unsigned long free_fast;	/* pushed on main (as alloc_fast) */
	unsigned long free_slow;	/* main was full (or no CPU lists) */
	unsigned long refill_spare;	/* main refilled from the spare */
	unsigned long refill_barn;	/* ... with a list from the barn */
	unsigned long refill_slabs;	/* ... from the slabs (node lock) */
	unsigned long flush_spare;	/* a full main became the spare */
	unsigned long flush_barn;	/* the spare went to the barn */
	unsigned long flush_slabs;	/* objects went back to their slabs
					 * (node lock): spares, drains */
	unsigned long lock_acquisitions; /* of the node locks */
	unsigned long remote_frees;	/* objects given back to a slab of
					 * another node than the freeing CPU's */
	unsigned long slabs_allocated;	/* calls to the page allocator */
	unsigned long slabs_freed;	/* ... to give a slab back */
};

struct sloba_cache_info {
	const char *name;
	unsigned long active_objs;	/* handed out of slabs (objects resting
					 * on CPU freelists count, as in SLAB) */
	unsigned long num_objs;		/* room in all slabs */
	unsigned int objsize;		/* stride, metadata included */
	unsigned int objperslab;
	unsigned int pagesperslab;
	unsigned long active_slabs;	/* slabs holding at least one object */
	unsigned long num_slabs;
	unsigned int limit;		/* objects a CPU keeps (0: none) */
	unsigned int batchcount;	/* objects moved per refill or flush */
	unsigned int barn_max;		/* chains of batchcount objects a
					 * node's barn holds at most */
	unsigned int barn_limit;	/* ...and may hold now (the largest
					 * over nodes; grows from barn_min
					 * for producers and consumers) */
	unsigned long free_cached;	/* free objects on CPU lists (counted
					 * where they can be read) and in
					 * barns: active but reclaimable */
	struct sloba_cache_stats stats;
};

#endif /* SLOBA_INFO_H */
