/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sloba_info.h - what SLOBA tells about one cache: the fields of
 * /proc/slabinfo version 2.1.  Kept alone, without dependencies, because
 * the userspace library installs it next to its public header.
 */
#ifndef SLOBA_INFO_H
#define SLOBA_INFO_H

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
	unsigned int limit;		/* CPU freelist limit (0: none) */
	unsigned int batchcount;	/* objects moved per refill or flush */
};

#endif /* SLOBA_INFO_H */
