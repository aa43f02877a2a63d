// SPDX-License-Identifier: GPL-2.0-only
/*
 * slabtest - allocator-neutral checks of the slab API, as a KUnit suite in
 * an out-of-tree module.
 *
 * Whatever allocator the kernel was built with (SLAB, SLUB, SLOB, SLOBA),
 * the kmem_cache and kmalloc families promise the same things, and this
 * module checks those promises from the outside:
 *
 *  - a constructor has run on every object handed out, and objects freed in
 *    their constructed state come back that way;
 *  - a SLAB_TYPESAFE_BY_RCU object keeps its contents across a free inside
 *    an RCU read-side critical section;
 *  - SLAB_HWCACHE_ALIGN objects of an odd size are aligned as documented
 *    and do not overlap;
 *  - objects allocated on one CPU may be freed on any other, one batch at a
 *    time and concurrently from every online CPU;
 *  - kmalloc() of every size from 1 to 8192 gives memory that is aligned,
 *    at least as large as asked (ksize()), and fully writable, and
 *    kzalloc() memory is zeroed;
 *  - the bulk calls allocate distinct objects and free them again.
 *
 * Every test destroys the caches it created, so an allocator that loses
 * track of an object shows it when the caches are destroyed (SLUB and SLAB
 * then log "Slab cache still has objects").  For that the caches must not
 * be merged into existing ones: those without a constructor or RCU are
 * made with a usercopy region (new_cache()), which merging respects.
 *
 * Results come out as KUnit's KTAP lines on module load; the module can be
 * unloaded right after.
 */

#include <kunit/test.h>
#include <linux/cache.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#define CTOR_OBJ_SIZE	200
#define CTOR_MAGIC	0x5ab1c7a5u
#define CTOR_FILL	0x3c
#define NR_CTOR_OBJS	256

#define RCU_OBJ_SIZE	96
#define NR_RCU_ROUNDS	64
#define NR_RCU_OBJS	1024

#define ODD_SIZE	61
#define NR_ODD_OBJS	300

#define XCPU_OBJ_SIZE	128
#define NR_XCPU_OBJS	512
#define NR_XCPU_ROUNDS	20000

#define KMALLOC_MAX_TESTED	8192
#define NR_BULK		64

/*
 * A cache of its own: a cache with a usercopy region is never merged with
 * another, so destroying it really checks that every object came back.
 */
static struct kmem_cache *new_cache(const char *name, unsigned int size,
				    slab_flags_t flags)
{
	return kmem_cache_create_usercopy(name, size, 0, flags, 0, size, NULL);
}

/* ---------------------------------------------------------------- ctor */

struct ctor_obj {
	u32 magic;
	u8 fill[CTOR_OBJ_SIZE - sizeof(u32)];
};

static void ctor_obj_init(void *p)
{
	struct ctor_obj *obj = p;

	obj->magic = CTOR_MAGIC;
	memset(obj->fill, CTOR_FILL, sizeof(obj->fill));
}

static bool ctor_obj_constructed(const struct ctor_obj *obj)
{
	return obj->magic == CTOR_MAGIC &&
	       !memchr_inv(obj->fill, CTOR_FILL, sizeof(obj->fill));
}

static void slabtest_ctor(struct kunit *test)
{
	struct ctor_obj **objs;
	struct kmem_cache *c;
	int round, i, bad = 0;

	objs = kunit_kcalloc(test, NR_CTOR_OBJS, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	c = kmem_cache_create("slabtest_ctor", sizeof(struct ctor_obj), 0, 0,
			      ctor_obj_init);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_GE(test, (size_t)kmem_cache_size(c),
			sizeof(struct ctor_obj));

	/*
	 * The second round gets objects back from the first one; they were
	 * used, then restored to the constructed state before being freed.
	 */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < NR_CTOR_OBJS; i++) {
			objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
			if (!objs[i])
				break;
			if (!ctor_obj_constructed(objs[i]))
				bad++;
			objs[i]->magic = i;
			memset(objs[i]->fill, i, sizeof(objs[i]->fill));
		}
		KUNIT_EXPECT_EQ_MSG(test, i, NR_CTOR_OBJS,
				    "allocation failed in round %d", round);
		while (--i >= 0) {
			ctor_obj_init(objs[i]);
			kmem_cache_free(c, objs[i]);
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects without constructor state");
	kmem_cache_destroy(c);
}

/* -------------------------------------------------- SLAB_TYPESAFE_BY_RCU */

static void slabtest_typesafe_by_rcu(struct kunit *test)
{
	u8 pattern[RCU_OBJ_SIZE];
	struct kmem_cache *c;
	void **objs;
	int round, i, changed = 0, n;

	objs = kunit_kcalloc(test, NR_RCU_OBJS, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	c = kmem_cache_create("slabtest_rcu", RCU_OBJ_SIZE, 0,
			      SLAB_TYPESAFE_BY_RCU, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);

	/*
	 * A reader that found the object before it was freed may still read
	 * it until the grace period ends: the allocator must not reuse the
	 * memory for anything but an object of this cache, nor scribble on
	 * the object while nobody allocated it again.
	 */
	for (round = 0; round < NR_RCU_ROUNDS; round++) {
		void *p = kmem_cache_alloc(c, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		for (i = 0; i < RCU_OBJ_SIZE; i++)
			pattern[i] = round * 7 + i;
		memcpy(p, pattern, RCU_OBJ_SIZE);
		rcu_read_lock();
		kmem_cache_free(c, p);
		if (memcmp(p, pattern, RCU_OBJ_SIZE))
			changed++;
		rcu_read_unlock();
	}
	KUNIT_EXPECT_EQ_MSG(test, changed, 0,
			    "objects changed inside the RCU read section");

	/* Fill many slabs, free them all, then let the grace periods pass. */
	for (n = 0; n < NR_RCU_OBJS; n++) {
		objs[n] = kmem_cache_alloc(c, GFP_KERNEL);
		if (!objs[n])
			break;
		memset(objs[n], n, RCU_OBJ_SIZE);
	}
	KUNIT_EXPECT_EQ(test, n, NR_RCU_OBJS);
	while (--n >= 0)
		kmem_cache_free(c, objs[n]);
	rcu_barrier();
	kmem_cache_destroy(c);
}

/* ------------------------------------------------- SLAB_HWCACHE_ALIGN */

static void slabtest_hwcache_align(struct kunit *test)
{
	unsigned int align = cache_line_size();
	struct kmem_cache *c;
	int i, n, misaligned = 0, overlapped = 0;
	u8 **objs;

	/* As documented for SLAB_HWCACHE_ALIGN: small objects may share. */
	while (align / 2 >= ODD_SIZE)
		align /= 2;

	objs = kunit_kcalloc(test, NR_ODD_OBJS, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	c = new_cache("slabtest_odd", ODD_SIZE, SLAB_HWCACHE_ALIGN);
	KUNIT_ASSERT_NOT_NULL(test, c);

	for (n = 0; n < NR_ODD_OBJS; n++) {
		objs[n] = kmem_cache_alloc(c, GFP_KERNEL);
		if (!objs[n])
			break;
		if (!IS_ALIGNED((unsigned long)objs[n], align))
			misaligned++;
		memset(objs[n], n, ODD_SIZE);
	}
	KUNIT_EXPECT_EQ(test, n, NR_ODD_OBJS);
	for (i = 0; i < n; i++)
		if (memchr_inv(objs[i], (u8)i, ODD_SIZE))
			overlapped++;
	KUNIT_EXPECT_EQ_MSG(test, misaligned, 0,
			    "objects not aligned to %u bytes", align);
	KUNIT_EXPECT_EQ_MSG(test, overlapped, 0, "objects overlap");
	while (--n >= 0)
		kmem_cache_free(c, objs[n]);
	kmem_cache_destroy(c);
}

/* ---------------------------------------------------- cross-CPU frees */

struct xcpu_obj {
	struct llist_node node;
	int owner;	/* CPU that allocated it */
	int seq;
	u8 fill[XCPU_OBJ_SIZE - sizeof(struct llist_node) - 2 * sizeof(int)];
};

/* One per possible CPU: what the work item on that CPU did. */
struct xcpu_slot {
	struct work_struct work;
	struct kmem_cache *cache;
	int cpu;		/* CPU this work item must run on */
	int peer;		/* CPU whose objects it frees */
	int ran_on;		/* CPU it really ran on */
	struct xcpu_obj *objs[NR_XCPU_OBJS];
	void *kmallocs[NR_XCPU_OBJS];
	int allocated, bad, freed;
	struct llist_head inbox; /* objects other CPUs sent here to free */
	struct xcpu_slot *slots;
};

static void xcpu_stamp(struct xcpu_obj *obj, int cpu, int seq)
{
	obj->owner = cpu;
	obj->seq = seq;
	memset(obj->fill, (u8)(cpu + seq), sizeof(obj->fill));
}

static bool xcpu_intact(const struct xcpu_obj *obj, int cpu, int seq)
{
	return obj->owner == cpu && obj->seq == seq &&
	       !memchr_inv(obj->fill, (u8)(cpu + seq), sizeof(obj->fill));
}

static size_t xcpu_kmalloc_size(int i)
{
	return 8 + (i * 37) % 1024;
}

static void xcpu_alloc_fn(struct work_struct *work)
{
	struct xcpu_slot *s = container_of(work, struct xcpu_slot, work);
	int i;

	s->ran_on = raw_smp_processor_id();
	for (i = 0; i < NR_XCPU_OBJS; i++) {
		s->objs[i] = kmem_cache_alloc(s->cache, GFP_KERNEL);
		s->kmallocs[i] = kmalloc(xcpu_kmalloc_size(i), GFP_KERNEL);
		if (!s->objs[i] || !s->kmallocs[i])
			break;
		xcpu_stamp(s->objs[i], s->cpu, i);
		memset(s->kmallocs[i], (u8)i, xcpu_kmalloc_size(i));
	}
	s->allocated = i;
}

/* Frees what the peer CPU allocated, after checking it is intact. */
static void xcpu_free_fn(struct work_struct *work)
{
	struct xcpu_slot *s = container_of(work, struct xcpu_slot, work);
	struct xcpu_slot *p = &s->slots[s->peer];
	int i;

	s->ran_on = raw_smp_processor_id();
	for (i = 0; i < NR_XCPU_OBJS; i++) {
		if (p->objs[i]) {
			if (!xcpu_intact(p->objs[i], p->cpu, i))
				s->bad++;
			kmem_cache_free(s->cache, p->objs[i]);
			p->objs[i] = NULL;
			s->freed++;
		}
		if (p->kmallocs[i]) {
			if (memchr_inv(p->kmallocs[i], (u8)i,
				       xcpu_kmalloc_size(i)))
				s->bad++;
			kfree(p->kmallocs[i]);
			p->kmallocs[i] = NULL;
		}
	}
}

static int xcpu_free_inbox(struct xcpu_slot *s)
{
	struct llist_node *list = llist_del_all(&s->inbox);
	struct xcpu_obj *obj, *tmp;
	int n = 0;

	llist_for_each_entry_safe(obj, tmp, list, node) {
		if (!xcpu_intact(obj, obj->owner, obj->seq))
			s->bad++;
		kmem_cache_free(s->cache, obj);
		n++;
	}
	return n;
}

/*
 * Every CPU at once: allocate, post the object to the next CPU's inbox,
 * free whatever arrived in its own inbox.
 */
static void xcpu_pingpong_fn(struct work_struct *work)
{
	struct xcpu_slot *s = container_of(work, struct xcpu_slot, work);
	struct xcpu_slot *next = &s->slots[s->peer];
	int i;

	s->ran_on = raw_smp_processor_id();
	for (i = 0; i < NR_XCPU_ROUNDS; i++) {
		struct xcpu_obj *obj = kmem_cache_alloc(s->cache, GFP_KERNEL);

		if (!obj)
			break;
		xcpu_stamp(obj, s->cpu, i);
		llist_add(&obj->node, &next->inbox);
		s->allocated++;
		if (i % 16 == 15)
			s->freed += xcpu_free_inbox(s);
		if (i % 1024 == 1023)
			cond_resched();
	}
}

static int next_online_cpu(int cpu)
{
	int next = cpumask_next(cpu, cpu_online_mask);

	return next < nr_cpu_ids ? next : cpumask_first(cpu_online_mask);
}

/* Runs fn on every online CPU at once and waits for all of them. */
static void xcpu_run(struct workqueue_struct *wq, struct xcpu_slot *slots,
		     work_func_t fn)
{
	int cpu;

	for_each_online_cpu(cpu) {
		INIT_WORK(&slots[cpu].work, fn);
		slots[cpu].ran_on = -1;
		queue_work_on(cpu, wq, &slots[cpu].work);
	}
	for_each_online_cpu(cpu)
		flush_work(&slots[cpu].work);
}

static int xcpu_wrong_cpu(struct xcpu_slot *slots)
{
	int cpu, n = 0;

	for_each_online_cpu(cpu)
		if (slots[cpu].ran_on != cpu)
			n++;
	return n;
}

static void slabtest_cross_cpu(struct kunit *test)
{
	struct workqueue_struct *wq;
	struct xcpu_slot *slots;
	struct kmem_cache *c;
	int cpu, allocated = 0, freed = 0, bad = 0;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs at least two online CPUs");

	slots = kunit_kcalloc(test, nr_cpu_ids, sizeof(*slots), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, slots);
	wq = alloc_workqueue("slabtest", 0, 0);
	KUNIT_ASSERT_NOT_NULL(test, wq);
	c = new_cache("slabtest_xcpu", sizeof(struct xcpu_obj), 0);
	if (!c)
		destroy_workqueue(wq);
	KUNIT_ASSERT_NOT_NULL(test, c);

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		slots[cpu].cache = c;
		slots[cpu].cpu = cpu;
		slots[cpu].peer = next_online_cpu(cpu);
		slots[cpu].slots = slots;
		init_llist_head(&slots[cpu].inbox);
	}

	/* Phase 1: each CPU allocates a batch, its neighbour frees it. */
	xcpu_run(wq, slots, xcpu_alloc_fn);
	KUNIT_EXPECT_EQ_MSG(test, xcpu_wrong_cpu(slots), 0,
			    "allocating work ran on the wrong CPU");
	xcpu_run(wq, slots, xcpu_free_fn);
	KUNIT_EXPECT_EQ_MSG(test, xcpu_wrong_cpu(slots), 0,
			    "freeing work ran on the wrong CPU");
	for_each_online_cpu(cpu) {
		allocated += slots[cpu].allocated;
		freed += slots[cpu].freed;
		bad += slots[cpu].bad;
		KUNIT_EXPECT_EQ_MSG(test, slots[cpu].allocated, NR_XCPU_OBJS,
				    "CPU %d could not allocate its batch", cpu);
		slots[cpu].allocated = 0;
		slots[cpu].freed = 0;
		slots[cpu].bad = 0;
	}
	KUNIT_EXPECT_EQ(test, freed, allocated);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects corrupted between CPUs");

	/* Phase 2: all CPUs allocate and free each other's objects at once. */
	xcpu_run(wq, slots, xcpu_pingpong_fn);
	allocated = 0;
	freed = 0;
	bad = 0;
	for_each_online_cpu(cpu) {
		freed += xcpu_free_inbox(&slots[cpu]);
		allocated += slots[cpu].allocated;
		freed += slots[cpu].freed;
		bad += slots[cpu].bad;
	}
	cpus_read_unlock();
	KUNIT_EXPECT_EQ(test, allocated,
			NR_XCPU_ROUNDS * (int)num_online_cpus());
	KUNIT_EXPECT_EQ(test, freed, allocated);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects corrupted in flight");

	destroy_workqueue(wq);
	kmem_cache_destroy(c);
}

/* ------------------------------------------------------------ kmalloc */

static void slabtest_kmalloc_sizes(struct kunit *test)
{
	size_t size, first_bad = 0, ks;
	unsigned long addr;
	int failed = 0, unzeroed = 0;
	u8 *p;

	for (size = 1; size <= KMALLOC_MAX_TESTED; size++) {
		bool ok = true;

		p = kmalloc(size, GFP_KERNEL);
		if (!p) {
			failed++;
			first_bad = first_bad ?: size;
			continue;
		}
		ks = ksize(p);
		/*
		 * At least what was asked, and not more than twice that (or
		 * the smallest class: 64 bytes, or ARCH_KMALLOC_MINALIGN).
		 */
		if (ks < size || ks > max3(2 * size, (size_t)64,
					   (size_t)ARCH_KMALLOC_MINALIGN))
			ok = false;
		/*
		 * kmalloc() is declared __assume_aligned(ARCH_KMALLOC_MINALIGN):
		 * the address must be hidden from the compiler, or it folds
		 * the alignment checks away.
		 */
		addr = (unsigned long)p;
		OPTIMIZER_HIDE_VAR(addr);
		if (!IS_ALIGNED(addr, ARCH_KMALLOC_MINALIGN))
			ok = false;
		/* Power-of-two sizes are naturally aligned. */
		if (is_power_of_2(size) && !IS_ALIGNED(addr, size))
			ok = false;
		/* All of ksize() is the caller's to use. */
		memset(p, 0xa5, ks);
		if (memchr_inv(p, 0xa5, ks))
			ok = false;
		kfree(p);
		if (!ok) {
			failed++;
			first_bad = first_bad ?: size;
		}

		/* Memory just dirtied and freed must come back zeroed. */
		if (size % 61 == 0 || is_power_of_2(size)) {
			p = kzalloc(size, GFP_KERNEL);
			if (!p || memchr_inv(p, 0, size))
				unzeroed++;
			kfree(p);
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, failed, 0,
			    "%d sizes failed, the first is %zu", failed,
			    first_bad);
	KUNIT_EXPECT_EQ_MSG(test, unzeroed, 0, "kzalloc() memory not zeroed");
}

/* --------------------------------------------------------------- bulk */

static int cmp_ptr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void slabtest_bulk(struct kunit *test)
{
	void **objs, **sorted;
	struct kmem_cache *c;
	int i, n, round, dups = 0, bad = 0;
	const size_t size = 72;

	objs = kunit_kcalloc(test, NR_BULK, sizeof(*objs), GFP_KERNEL);
	sorted = kunit_kcalloc(test, NR_BULK, sizeof(*sorted), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, sorted);
	c = new_cache("slabtest_bulk", size, 0);
	KUNIT_ASSERT_NOT_NULL(test, c);

	for (round = 0; round < 8; round++) {
		n = kmem_cache_alloc_bulk(c, GFP_KERNEL, NR_BULK, objs);
		KUNIT_EXPECT_EQ(test, n, NR_BULK);
		if (n != NR_BULK)
			break;
		for (i = 0; i < n; i++)
			memset(objs[i], i, size);
		for (i = 0; i < n; i++)
			if (memchr_inv(objs[i], i, size))
				bad++;
		memcpy(sorted, objs, n * sizeof(*objs));
		sort(sorted, n, sizeof(*sorted), cmp_ptr, NULL);
		for (i = 1; i < n; i++)
			if (sorted[i] == sorted[i - 1])
				dups++;
		kmem_cache_free_bulk(c, n, objs);
	}
	KUNIT_EXPECT_EQ_MSG(test, dups, 0, "bulk allocation returned duplicates");
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "bulk objects overlap");
	kmem_cache_destroy(c);

	/* kfree_bulk() of kmalloc() memory of mixed sizes. */
	for (i = 0; i < NR_BULK; i++) {
		objs[i] = kmalloc(16 << (i % 8), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		memset(objs[i], i, 16 << (i % 8));
	}
	kfree_bulk(NR_BULK, objs);
}

static struct kunit_case slabtest_cases[] = {
	KUNIT_CASE(slabtest_ctor),
	KUNIT_CASE(slabtest_typesafe_by_rcu),
	KUNIT_CASE(slabtest_hwcache_align),
	KUNIT_CASE(slabtest_cross_cpu),
	KUNIT_CASE(slabtest_kmalloc_sizes),
	KUNIT_CASE(slabtest_bulk),
	{}
};

static struct kunit_suite slabtest_suite = {
	.name = "slabtest",
	.test_cases = slabtest_cases,
};

kunit_test_suite(slabtest_suite);

MODULE_DESCRIPTION("Allocator-neutral checks of the slab API");
MODULE_LICENSE("GPL");
