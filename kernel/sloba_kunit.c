// SPDX-License-Identifier: GPL-2.0-only
/*
 * sloba_kunit.c - KUnit tests of SLOBA through the kernel's own slab API:
 * cache life cycle, every kmalloc size class, constructors, bulk calls,
 * SLAB_TYPESAFE_BY_RCU pages outliving a grace period, kfree_rcu() of
 * cache objects, krealloc, objects freed on another CPU or in interrupt
 * context, and shrink giving pages back.  Runs in UML (kernel/kunit.sh)
 * and in the x86_64 guest.
 */
#include <kunit/test.h>
#include <linux/debugobjects.h>
#include <linux/delay.h>
#include <linux/kasan.h>
#include <linux/kfence.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "slab.h"

static struct sloba_cache_info info_of(struct kmem_cache *s)
{
	struct sloba_cache_info info;

	sloba_cache_get_info(s, &info);
	return info;
}

/*
 * A cache of this test's own: a usercopy region keeps kmem_cache_create()
 * from merging it into another cache of the same size, whose objects would
 * then show up in the counts the tests check.
 */
static struct kmem_cache *own_cache(const char *name, unsigned int size,
				    slab_flags_t flags)
{
	return kmem_cache_create_usercopy(name, size, 0, flags, 0, size, NULL);
}

static void sloba_test_cache_lifecycle(struct kunit *test)
{
	struct kmem_cache *s;
	struct sloba_cache_info info;
	void *p[50];
	int i;

	s = own_cache("sloba-kunit-life", 100, 0);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		memset(p[i], i, 100);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_EXPECT_EQ(test, ((u8 *)p[i])[99], (u8)i);
	kmem_cache_shrink(s);
	info = info_of(s);
	KUNIT_EXPECT_EQ(test, info.active_objs, ARRAY_SIZE(p));
	KUNIT_EXPECT_EQ(test, info.objperslab, PAGE_SIZE / info.objsize);
	KUNIT_EXPECT_EQ(test, info.num_slabs,
			DIV_ROUND_UP(ARRAY_SIZE(p), info.objperslab));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
}

/*
 * An address as a plain number the compiler knows nothing about: kmalloc()
 * is declared __assume_aligned(ARCH_KMALLOC_MINALIGN), so without this GCC
 * folds alignment checks (and comparisons with ZERO_SIZE_PTR) of what it
 * returns to constants and the test checks nothing.
 */
static unsigned long laundered(const void *p)
{
	unsigned long a = (unsigned long)p;

	OPTIMIZER_HIDE_VAR(a);
	return a;
}

/* Every request size up to two pages: alignment, ksize, roundup. */
static void sloba_test_kmalloc_sizes(struct kunit *test)
{
	size_t size;
	void *zero;

	for (size = 1; size <= 2 * PAGE_SIZE; size++) {
		u8 *p = kmalloc(size, GFP_KERNEL);
		size_t ks;

		KUNIT_ASSERT_NOT_NULL(test, p);
		ks = ksize(p);
		KUNIT_EXPECT_GE(test, ks, size);
		KUNIT_EXPECT_EQ(test, ks, kmalloc_size_roundup(size));
		if (is_power_of_2(size))
			KUNIT_EXPECT_TRUE(test, IS_ALIGNED(laundered(p),
							   min_t(size_t, size, PAGE_SIZE)));
		memset(p, 0xa5, ks);
		kfree(p);
		cond_resched();	/* slow with KASAN and kmemleak under TCG */
	}
	zero = kmalloc(0, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, laundered(zero), laundered(ZERO_SIZE_PTR));
	KUNIT_EXPECT_EQ(test, ksize(ZERO_SIZE_PTR), 0);
}

/*
 * kmalloc() memory may be handed to a device: every size class is aligned
 * to ARCH_KMALLOC_MINALIGN, which is ARCH_DMA_MINALIGN where DMA is not
 * coherent (128 bytes on arm64), so no two buffers share a cache line.
 * Each size is tried on many objects, since one may be aligned by chance.
 */
static void sloba_test_kmalloc_minalign(struct kunit *test)
{
	unsigned int misaligned = 0, first_bad = 0;
	size_t size;
	void *p[16];
	int i;

	for (size = 1; size <= 2 * PAGE_SIZE; size++) {
		for (i = 0; i < ARRAY_SIZE(p); i++) {
			p[i] = kmalloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i]);
			if (!IS_ALIGNED(laundered(p[i]), ARCH_KMALLOC_MINALIGN) &&
			    !misaligned++)
				first_bad = size;
		}
		for (i = 0; i < ARRAY_SIZE(p); i++)
			kfree(p[i]);
		cond_resched();
	}
	KUNIT_EXPECT_EQ_MSG(test, misaligned, 0,
			    "kmalloc objects not aligned to ARCH_KMALLOC_MINALIGN %u, first at size %u",
			    (unsigned int)ARCH_KMALLOC_MINALIGN, first_bad);
}

/* Above the size classes whole pages: never less than asked for. */
static void sloba_test_size_roundup_large(struct kunit *test)
{
	static const size_t sizes[] = { 4097, 40000, SZ_1M + 1, SZ_4M,
					SZ_4M + 1, SZ_8M + 3, SZ_1G };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_GE(test, kmalloc_size_roundup(sizes[i]), sizes[i]);
		KUNIT_EXPECT_TRUE(test, is_power_of_2(kmalloc_size_roundup(sizes[i])));
	}
	KUNIT_EXPECT_EQ(test, kmalloc_size_roundup(0), 0);
	KUNIT_EXPECT_EQ(test, kmalloc_size_roundup(SIZE_MAX), SIZE_MAX);
}

static void sloba_test_kzalloc(struct kunit *test)
{
	static const size_t sizes[] = { 8, 96, 2048, 3000, 4096, 40000 };
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u8 *p = kmalloc(sizes[i], GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, 0xff, sizes[i]);
		kfree(p);
		p = kzalloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		for (k = 0; k < sizes[i]; k++)
			KUNIT_ASSERT_EQ(test, p[k], 0);
		kfree(p);
	}
}

static atomic_t ctor_calls;

static void count_ctor(void *p)
{
	memset(p, 0x3c, 64);
	atomic_inc(&ctor_calls);
}

/* The constructor runs when a slot is first used, not on every alloc. */
static void sloba_test_ctor(struct kunit *test)
{
	struct kmem_cache *s;
	void *p[40];
	int i, round, after_first;

	s = kmem_cache_create("sloba-kunit-ctor", 64, 0, 0, count_ctor);
	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_set(&ctor_calls, 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < ARRAY_SIZE(p); i++) {
			p[i] = kmem_cache_alloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i]);
			KUNIT_EXPECT_EQ(test, ((u8 *)p[i])[63], 0x3c);
		}
		if (round == 0)
			after_first = atomic_read(&ctor_calls);
		for (i = 0; i < ARRAY_SIZE(p); i++)
			kmem_cache_free(s, p[i]);
		/* KASAN's quarantine holds them back; reuse is the point. */
		kasan_cache_shrink(s);
	}
	KUNIT_EXPECT_GE(test, after_first, (int)ARRAY_SIZE(p));
	KUNIT_EXPECT_LE(test, atomic_read(&ctor_calls),
			(int)info_of(s).num_objs);
	KUNIT_EXPECT_LT(test, atomic_read(&ctor_calls), 2 * (int)ARRAY_SIZE(p));
	kmem_cache_destroy(s);
}

#define NR_BULK	300

static void sloba_test_bulk(struct kunit *test)
{
	struct kmem_cache *s;
	void **p;
	int i, j;

	/* Off the stack: 300 pointers are 2.4 KB, too much for a frame. */
	p = kunit_kmalloc_array(test, NR_BULK, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = own_cache("sloba-kunit-bulk", 72, 0);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, kmem_cache_alloc_bulk(s, GFP_KERNEL,
						    NR_BULK, p),
			(int)NR_BULK);
	for (i = 0; i < NR_BULK; i++)
		memset(p[i], i, 72);
	for (i = 0; i < NR_BULK; i++)
		for (j = 0; j < 72; j++)
			KUNIT_ASSERT_EQ(test, ((u8 *)p[i])[j], (u8)i);
	kmem_cache_free_bulk(s, NR_BULK / 2, p);
	/* The rest through the NULL-cache form, as kfree_bulk() does. */
	kmem_cache_free_bulk(NULL, NR_BULK - NR_BULK / 2,
			     p + NR_BULK / 2);
	kmem_cache_shrink(s);
	KUNIT_EXPECT_EQ(test, info_of(s).active_objs, 0);
	kmem_cache_destroy(s);
}

/*
 * A SLAB_TYPESAFE_BY_RCU cache reuses objects at once, but a slab's pages
 * go back only after a grace period: if a slab page has left the cache,
 * a grace period must have passed since the objects were freed.
 */
static void sloba_test_typesafe_by_rcu(struct kunit *test)
{
	struct kmem_cache *s;
	struct folio *folio;
	unsigned long cookie;
	void *p[200], *q;
	int i;

	s = kmem_cache_create("sloba-kunit-rcu", 256, 0, SLAB_TYPESAFE_BY_RCU,
			      NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		memset(p[i], 0x77, 256);
	}
	/* Reused without waiting, contents intact while free. */
	kmem_cache_free(s, p[0]);
	KUNIT_EXPECT_EQ(test, ((u8 *)p[0])[255], 0x77);
	q = kmem_cache_alloc(s, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p[0]);

	folio = virt_to_folio(p[1]);
	cookie = get_state_synchronize_rcu();
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_shrink(s);
	KUNIT_EXPECT_EQ(test, info_of(s).num_slabs, 0);
	if (!folio_test_slab(folio) || folio_slab(folio)->slab_cache != s)
		KUNIT_EXPECT_TRUE(test, poll_state_synchronize_rcu(cookie));
	rcu_barrier();
	KUNIT_EXPECT_TRUE(test, !folio_test_slab(folio) ||
			  folio_slab(folio)->slab_cache != s);
	kmem_cache_destroy(s);
}

/* kfree_rcu() ends in kfree(), which takes kmem_cache objects too. */
struct rcu_obj {
	struct rcu_head rcu;
	char data[100];
};

static void sloba_test_kfree_rcu(struct kunit *test)
{
	struct kmem_cache *s;
	struct rcu_obj *o[64];
	unsigned long deadline;
	int i;

	s = own_cache("sloba-kunit-kfree-rcu", sizeof(struct rcu_obj), 0);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < ARRAY_SIZE(o); i++) {
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o[i]);
	}
	for (i = 0; i < ARRAY_SIZE(o); i++)
		kfree_rcu(o[i], rcu);
	/* kfree_rcu() batches its frees: wait until they all came back. */
	deadline = jiffies + 30 * HZ;
	do {
		rcu_barrier();
		kmem_cache_shrink(s);
		if (!info_of(s).active_objs)
			break;
		msleep(50);
	} while (time_before(jiffies, deadline));
	KUNIT_EXPECT_EQ(test, info_of(s).active_objs, 0);
	KUNIT_EXPECT_EQ(test, info_of(s).num_slabs, 0);
	kmem_cache_destroy(s);
}

static void sloba_test_krealloc(struct kunit *test)
{
	static const size_t steps[] = { 1, 8, 9, 100, 1000, 2048, 2049, 5000,
					70000, 300 };
	u8 *p = NULL, *q;
	size_t i, k, have = 0;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		q = krealloc(p, steps[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_EXPECT_GE(test, ksize(q), steps[i]);
		for (k = 0; k < min(have, steps[i]); k++)
			KUNIT_ASSERT_EQ(test, q[k], (u8)(k * 7));
		for (k = 0; k < steps[i]; k++)
			q[k] = (u8)(k * 7);
		have = steps[i];
		p = q;
	}
	q = krealloc(p, 10, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);	/* shrinking stays in place */
	kfree(q);
}

/* Objects allocated on one CPU (or context) and freed on another. */
struct cross {
	struct work_struct work;
	struct kmem_cache *s;
	void *obj[64];
	int bad;
};

static void free_elsewhere(struct work_struct *work)
{
	struct cross *x = container_of(work, struct cross, work);
	int i;

	for (i = 0; i < ARRAY_SIZE(x->obj); i++) {
		if (((u8 *)x->obj[i])[0] != (u8)i)
			x->bad++;
		kmem_cache_free(x->s, x->obj[i]);
	}
}

static void sloba_test_cross_cpu_free(struct kunit *test)
{
	struct cross *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	int i, cpu, other;

	KUNIT_ASSERT_NOT_NULL(test, x);
	x->s = own_cache("sloba-kunit-cross", 128, 0);
	KUNIT_ASSERT_NOT_NULL(test, x->s);
	for (i = 0; i < ARRAY_SIZE(x->obj); i++) {
		x->obj[i] = kmem_cache_alloc(x->s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, x->obj[i]);
		memset(x->obj[i], i, 128);
	}
	/* Another CPU if there is one, else a worker on this one. */
	cpu = get_cpu();
	other = cpumask_any_but(cpu_online_mask, cpu);
	put_cpu();
	if (other >= nr_cpu_ids)
		other = cpu;
	INIT_WORK_ONSTACK(&x->work, free_elsewhere);
	schedule_work_on(other, &x->work);
	flush_work(&x->work);
	destroy_work_on_stack(&x->work);
	KUNIT_EXPECT_EQ(test, x->bad, 0);
	kmem_cache_shrink(x->s);
	KUNIT_EXPECT_EQ(test, info_of(x->s).active_objs, 0);
	kmem_cache_destroy(x->s);
}

/* Allocation and free from a hard interrupt (an hrtimer callback). */
struct irq_round {
	struct hrtimer timer;
	struct kmem_cache *s;
	int rounds, failures;
};

static enum hrtimer_restart alloc_in_irq(struct hrtimer *timer)
{
	struct irq_round *r = container_of(timer, struct irq_round, timer);
	void *a = kmalloc(200, GFP_ATOMIC);
	void *b = kmem_cache_alloc(r->s, GFP_ATOMIC);

	if (!a || !b)
		r->failures++;
	kfree(a);
	if (b)
		kmem_cache_free(r->s, b);
	if (++r->rounds == 100)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, ns_to_ktime(100 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void sloba_test_irq_context(struct kunit *test)
{
	struct irq_round *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->s = own_cache("sloba-kunit-irq", 48, 0);
	KUNIT_ASSERT_NOT_NULL(test, r->s);
	hrtimer_init(&r->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	r->timer.function = alloc_in_irq;
	hrtimer_start(&r->timer, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	/* Meanwhile the same caches from process context. */
	for (i = 0; i < 2000 && READ_ONCE(r->rounds) < 100; i++) {
		void *p = kmem_cache_alloc(r->s, GFP_KERNEL);

		kfree(kmalloc(200, GFP_KERNEL));
		kmem_cache_free(r->s, p);
		usleep_range(50, 100);
	}
	while (hrtimer_active(&r->timer))
		usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, r->rounds, 100);
	KUNIT_EXPECT_EQ(test, r->failures, 0);
	kmem_cache_destroy(r->s);
}

/* Empty slabs go back to the page allocator on shrink. */
static void sloba_test_shrink(struct kunit *test)
{
	struct kmem_cache *s;
	void **p;
	int i, n = 2000;

	p = kunit_kmalloc_array(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = own_cache("sloba-kunit-shrink", 512, 0);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_EXPECT_GE(test, info_of(s).num_slabs, (unsigned long)n / 8);
	/* One live object pins one slab; the rest go. */
	for (i = 1; i < n; i++)
		kmem_cache_free(s, p[i]);
	KUNIT_EXPECT_EQ(test, kmem_cache_shrink(s), 1);
	KUNIT_EXPECT_EQ(test, info_of(s).num_slabs, 1);
	kmem_cache_free(s, p[0]);
	KUNIT_EXPECT_EQ(test, kmem_cache_shrink(s), 0);
	KUNIT_EXPECT_EQ(test, info_of(s).num_slabs, 0);
	kmem_cache_destroy(s);
}

/*
 * drop_slab() until the @nr caches hold no slab, at most 5 times: the
 * shrinker only trylocks slab_mutex (reclaim may come from under it), so
 * a drop that meets the reaper holding it skips SLOBA (seen once in six
 * runs on the debug kernel).
 */
static void drop_until_empty(struct kmem_cache **s, int nr)
{
	int k, tries;

	for (tries = 0; tries < 5; tries++) {
		msleep(200);	/* past the shrinker's rate limit */
		drop_slab();
		for (k = 0; k < nr && !info_of(s[k]).num_slabs; k++)
			;
		if (k == nr)
			return;
	}
}

/* drop_caches (and memory pressure) take back idle freelists and slabs. */
static void sloba_test_drop_slab(struct kunit *test)
{
	struct kmem_cache *s;
	void *p[100];
	int i;

	s = own_cache("sloba-kunit-drop", 256, 0);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmem_cache_free(s, p[i]);
	/* Out of KASAN's quarantine (if any) onto this CPU's freelist. */
	kasan_cache_shrink(s);
	/* The objects rest on this CPU's freelist and pin their slabs. */
	KUNIT_EXPECT_GT(test, info_of(s).num_slabs, 0);
	drop_until_empty(&s, 1);
	KUNIT_EXPECT_EQ(test, info_of(s).num_slabs, 0);
	KUNIT_EXPECT_EQ(test, info_of(s).active_objs, 0);
	kmem_cache_destroy(s);
}

/* Allocate @nr objects of @s into @p, free them all, empty KASAN's quarantine. */
static void fill_and_free(struct kunit *test, struct kmem_cache *s, void **p,
			  int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < nr; i++)
		kmem_cache_free(s, p[i]);
	kasan_cache_shrink(s);
	KUNIT_EXPECT_GT(test, info_of(s).num_slabs, 0);
}

/*
 * The shrinker gives back a batch (1,024 objects) at a time and goes on
 * from the cache where the last batch stopped: one drop_slab() still
 * reaches every idle object of two caches that each hold several batches,
 * and of a third cache destroyed between two drops.
 */
static void sloba_test_drop_slab_batches(struct kunit *test)
{
	enum { NR = 3000 };
	struct kmem_cache *s[3];
	void **p;
	int k;

	p = kvmalloc_array(NR, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s[0] = own_cache("sloba-kunit-batch-a", 64, 0);
	s[1] = own_cache("sloba-kunit-batch-b", 96, 0);
	s[2] = own_cache("sloba-kunit-batch-c", 128, 0);
	for (k = 0; k < 3; k++) {
		KUNIT_ASSERT_NOT_NULL(test, s[k]);
		fill_and_free(test, s[k], p, NR);
	}
	drop_until_empty(s, 3);
	for (k = 0; k < 3; k++) {
		KUNIT_EXPECT_EQ(test, info_of(s[k]).num_slabs, 0);
		KUNIT_EXPECT_EQ(test, info_of(s[k]).active_objs, 0);
	}
	kmem_cache_destroy(s[2]);
	/* Refill a, so that the next drop's batches pass where c was. */
	fill_and_free(test, s[0], p, NR);
	drop_until_empty(s, 1);
	KUNIT_EXPECT_EQ(test, info_of(s[0]).num_slabs, 0);
	kvfree(p);
	kmem_cache_destroy(s[1]);
	kmem_cache_destroy(s[0]);
}

/*
 * Reclaim closes the barns until the reaper's next pass: what is freed
 * right after it (the RCU-deferred frees of pruned dentries and inodes)
 * goes back to the slabs, and a CPU keeps at most one main list of it, no
 * spare and no barn chain.  The cache's reclaim is called as the shrinker
 * calls it (a whole drop_slab() takes seconds on the debug kernel, long
 * enough for the reaper to reopen the barn); a reaper pass before the
 * check makes the round start over.  (An RCU cache: KASAN's quarantine
 * skips those.)
 */
static void sloba_test_reclaim_closes_barn(struct kunit *test)
{
	struct sloba_cache_info info;
	struct kmem_cache *s;
	unsigned int i, nr;
	bool closed = false;
	int tries;
	void **p;

	s = own_cache("sloba-kunit-closed", 256,
		      SLAB_NO_USER_FLAGS | SLAB_TYPESAFE_BY_RCU);
	KUNIT_ASSERT_NOT_NULL(test, s);
	info = info_of(s);
	/* Enough for main, a spare and two barn chains. */
	nr = 4 * info.batchcount;
	p = kunit_kcalloc(test, nr, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (tries = 0; tries < 5 && !closed; tries++) {
		for (i = 0; i < nr; i++) {
			p[i] = kmem_cache_alloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i]);
		}
		sloba_cache_reclaim(s, ULONG_MAX);
		migrate_disable();
		closed = info_of(s).barn_limit == 0;
		for (i = 0; i < nr; i++)
			kmem_cache_free(s, p[i]);
		info = info_of(s);
		migrate_enable();
		closed = closed && info.barn_limit == 0;
	}
	KUNIT_EXPECT_TRUE(test, closed);
	KUNIT_EXPECT_LE(test, info.free_cached, (unsigned long)info.batchcount);
	/* The reaper's next pass reopens it; kmem_cache_shrink() too. */
	kmem_cache_shrink(s);
	KUNIT_EXPECT_GT(test, info_of(s).barn_limit, 0U);
	kmem_cache_destroy(s);
}

/*
 * Caches that one cache can serve share it, as under SLAB and SLUB (unless
 * the kernel runs with slab_nomerge); a ctor, RCU or usercopy cache keeps
 * its own.  The shared cache lives until its last user destroys it.
 */
static void sloba_test_merge(struct kunit *test)
{
	struct kmem_cache *a, *b, *ctor, *rcu, *copy;
	bool merge;
	void *p;

	a = kmem_cache_create("sloba-kunit-merge-a", 200, 0, 0, NULL);
	b = kmem_cache_create("sloba-kunit-merge-b", 196, 0, 0, NULL);
	ctor = kmem_cache_create("sloba-kunit-merge-ctor", 200, 0, 0,
				 count_ctor);
	rcu = kmem_cache_create("sloba-kunit-merge-rcu", 200, 0,
				SLAB_TYPESAFE_BY_RCU, NULL);
	copy = own_cache("sloba-kunit-merge-copy", 200, 0);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, ctor);
	KUNIT_ASSERT_NOT_NULL(test, rcu);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	/*
	 * Merged unless merging is off (slab_nomerge, or KASAN's metadata)
	 * or a is a debug cache (sloba_debug): its free link sits past the
	 * object, where b's larger object could cover it.
	 */
	merge = !slab_unmergeable(a) && !(a->sflags & SLOBA_F_DEBUG);
	KUNIT_EXPECT_EQ(test, a == b, merge);
	if (IS_ENABLED(CONFIG_SLAB_MERGE_DEFAULT) && !sloba_debug_all &&
	    !IS_ENABLED(CONFIG_KASAN_GENERIC))
		KUNIT_EXPECT_TRUE(test, merge);
	KUNIT_EXPECT_PTR_NE(test, ctor, a);
	KUNIT_EXPECT_PTR_NE(test, rcu, a);
	KUNIT_EXPECT_PTR_NE(test, copy, a);
	KUNIT_EXPECT_GE(test, a->object_size, 200U);
	KUNIT_EXPECT_GE(test, b->size, 200U);

	kmem_cache_destroy(a);
	/* b still works when a's creator is gone, merged or not. */
	p = kmem_cache_alloc(b, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x5a, 196);
	KUNIT_EXPECT_GE(test, ksize(p), (size_t)196);
	kmem_cache_free(b, p);
	kmem_cache_destroy(b);
	kmem_cache_destroy(ctor);
	kmem_cache_destroy(rcu);
	kmem_cache_destroy(copy);
}

/*
 * Reports SLOBA makes while a test runs are counted here instead of
 * WARNing (sloba_linux.c); a test that expects none finds the count 0.
 */
static struct kunit_resource reports_resource;
static int sloba_reports;

static int sloba_test_init(struct kunit *test)
{
	sloba_reports = 0;
	kunit_add_named_resource(test, NULL, NULL, &reports_resource,
				 "sloba_reports", &sloba_reports);
	return 0;
}

static void sloba_test_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, sloba_reports, 0, "unexpected SLOBA reports");
}

/* A byte written past an object is caught in its red zone when freed. */
static void sloba_test_red_zone(struct kunit *test)
{
	struct kmem_cache *s = own_cache("sloba-kunit-redzone", 100,
					 SLAB_RED_ZONE);
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, s);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, ksize(p), (size_t)100);
	kasan_disable_current();	/* the bug is on purpose */
	OPTIMIZER_HIDE_VAR(p);
	p[100] = 0x42;
	kasan_enable_current();
	kmem_cache_free(s, p);
	/* KASAN's quarantine may hold it: shrinking hands it back */
	kmem_cache_shrink(s);
	KUNIT_EXPECT_EQ(test, sloba_reports, 1);
	KUNIT_EXPECT_EQ(test, info_of(s).active_objs, 0UL);
	sloba_reports = 0;
	kmem_cache_destroy(s);
}

/*
 * A debug cache finds a double free that is not the latest free.  The
 * cache is SLAB_TYPESAFE_BY_RCU, whose objects KASAN leaves to the
 * allocator (they may be read after free for a grace period), so the
 * check is SLOBA's own with KASAN too.
 */
static void sloba_test_double_free_debug(struct kunit *test)
{
	struct kmem_cache *s = own_cache("sloba-kunit-df", 64,
					 SLAB_CONSISTENCY_CHECKS |
					 SLAB_STORE_USER |
					 SLAB_TYPESAFE_BY_RCU);
	void *a, *b;

	KUNIT_ASSERT_NOT_NULL(test, s);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a && b);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_free(s, a);
	KUNIT_EXPECT_EQ(test, sloba_reports, 1);
	KUNIT_EXPECT_EQ(test, info_of(s).active_objs, 0UL);
	sloba_reports = 0;
	kmem_cache_destroy(s);
}

static void expect_cache_name(struct kunit *test, const void *p,
			      const char *dma, const char *rcl, size_t size)
{
	char name[32];

	/* the class of the size: 64 here, 128 where kmalloc's minimum is */
	snprintf(name, sizeof(name), "%skmalloc-%s%zu", dma, rcl,
		 kmalloc_size_roundup(size));
	KUNIT_EXPECT_STREQ(test, virt_to_slab(p)->slab_cache->name, name);
}

/*
 * kmalloc's types have caches of their own: reclaimable memory, and DMA
 * memory from ZONE_DMA where the kernel has one.
 */
static void sloba_test_kmalloc_types(struct kunit *test)
{
	void *p = kmalloc(64, GFP_KERNEL | __GFP_RECLAIMABLE);

	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_cache_name(test, p, "", "rcl-", 64);
	kfree(p);
	p = kmalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_cache_name(test, p, "", "", 64);
	kfree(p);
#ifdef CONFIG_ZONE_DMA
	p = kmalloc(100, GFP_KERNEL | GFP_DMA);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_cache_name(test, p, "dma-", "", 100);
	KUNIT_EXPECT_EQ(test, page_zonenum(virt_to_page(p)), ZONE_DMA);
	kfree(p);
#endif
}

/*
 * A new slab is cut from its end downward, or, with
 * SLAB_FREELIST_RANDOM, in a random order (1 in 32! to come out plain).
 */
static void sloba_test_carving_order(struct kunit *test)
{
	struct kmem_cache *s = own_cache("sloba-kunit-order", 128, 0);
	unsigned int i, n, descending = 0;
	void *p[32];

	KUNIT_ASSERT_NOT_NULL(test, s);
	/* 32 a page, or fewer when debugging or KASAN adds to each */
	n = info_of(s).objperslab;
	KUNIT_ASSERT_EQ(test, n, (unsigned int)(PAGE_SIZE << s->order) / s->size);
	KUNIT_ASSERT_GE(test, n, 2U);
	n = min_t(unsigned int, n, ARRAY_SIZE(p));
	for (i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 1; i < n; i++)
		descending += p[i] == p[i - 1] - s->size;
	if (IS_ENABLED(CONFIG_SLAB_FREELIST_RANDOM))
		KUNIT_EXPECT_LT(test, descending, n - 1);
	else
		KUNIT_EXPECT_EQ(test, descending, n - 1);
	for (i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
}

/*
 * The reaper: a CPU that stops using a cache gives its lists back within
 * two passes (two to four seconds of its being awake), without memory
 * pressure.  The cache has CPU lists under sloba_debug too
 * (SLAB_NO_USER_FLAGS), and its frees reach them under KASAN too, which
 * does not quarantine SLAB_TYPESAFE_BY_RCU objects.
 */
static void sloba_test_reaper(struct kunit *test)
{
	struct kmem_cache *s = own_cache("sloba-kunit-reap", 256,
					 SLAB_NO_USER_FLAGS |
					 SLAB_TYPESAFE_BY_RCU);
	struct sloba_cache_info info;
	void *p[20];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_FALSE(test, s->sflags & SLOBA_F_DEBUG);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmem_cache_free(s, p[i]);
	info = info_of(s);
	KUNIT_EXPECT_GT(test, info.free_cached, 0UL);
	KUNIT_EXPECT_GT(test, info.num_slabs, 0UL);
	/*
	 * Its timers are deferrable, as SLAB's: they do not wake an idle CPU,
	 * so wake up every 100 ms (up to 10 s) to give them their chance.
	 */
	for (i = 0; i < 100 && info_of(s).free_cached; i++)
		msleep(100);
	info = info_of(s);
	KUNIT_EXPECT_EQ(test, info.free_cached, 0UL);
	KUNIT_EXPECT_EQ(test, info.active_objs, 0UL);
	kmem_cache_destroy(s);
}

/*
 * The barn grows only for a flow of objects from one CPU to another: a
 * CPU that allocates and frees whole batches itself leaves it at its
 * starting size, a producer and a consumer on two CPUs grow it, and
 * kmem_cache_shrink() takes it back to its starting size.  (An RCU cache:
 * KASAN's quarantine, which would move the frees, skips those.)
 */
struct barn_flow {
	struct work_struct work;
	struct kmem_cache *s;
	void **obj;
	unsigned int nr;
};

static void barn_flow_free(struct work_struct *work)
{
	struct barn_flow *f = container_of(work, struct barn_flow, work);
	unsigned int i;

	for (i = 0; i < f->nr; i++)
		kmem_cache_free(f->s, f->obj[i]);
}

/*
 * Allocates f->nr objects, or none: false when one failed.  It runs with
 * migration disabled, where a failed KUnit assertion must not end the test.
 */
static bool barn_flow_alloc(struct barn_flow *f)
{
	unsigned int i;

	for (i = 0; i < f->nr; i++) {
		f->obj[i] = kmem_cache_alloc(f->s, GFP_KERNEL);
		if (!f->obj[i]) {
			while (i--)
				kmem_cache_free(f->s, f->obj[i]);
			return false;
		}
	}
	return true;
}

static void sloba_test_barn_growth(struct kunit *test)
{
	struct barn_flow *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct sloba_cache_info info;
	unsigned int start, round;
	bool ok = true;
	int cpu, other;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->s = own_cache("sloba-kunit-barn", 1024,
			 SLAB_NO_USER_FLAGS | SLAB_TYPESAFE_BY_RCU);
	KUNIT_ASSERT_NOT_NULL(test, f->s);
	KUNIT_ASSERT_FALSE(test, f->s->sflags & SLOBA_F_DEBUG);
	info = info_of(f->s);
	start = info.barn_limit;
	KUNIT_ASSERT_LT(test, start, info.barn_max);
	/* More than the largest barn and both CPU lists hold. */
	f->nr = (info.barn_max + 4) * info.batchcount;
	f->obj = kunit_kcalloc(test, f->nr, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->obj);

	/* Batches on one CPU: the barn overflows and runs dry, but stays. */
	migrate_disable();
	for (round = 0; ok && round < 3; round++) {
		ok = barn_flow_alloc(f);
		if (ok)
			barn_flow_free(&f->work);
	}
	migrate_enable();
	KUNIT_ASSERT_TRUE(test, ok);
	KUNIT_EXPECT_EQ(test, info_of(f->s).barn_limit, start);

	/*
	 * This CPU allocates, the other frees: the barn grows.  The test stays
	 * on its CPU for all rounds: had it moved to the other CPU between
	 * two, one CPU would have put and taken, which grows nothing.
	 */
	migrate_disable();
	cpu = smp_processor_id();
	other = cpumask_any_but(cpu_online_mask, cpu);
	if (other < nr_cpu_ids) {
		INIT_WORK_ONSTACK(&f->work, barn_flow_free);
		for (round = 0; ok && round < 4; round++) {
			ok = barn_flow_alloc(f);
			if (ok) {
				schedule_work_on(other, &f->work);
				flush_work(&f->work);
			}
		}
		destroy_work_on_stack(&f->work);
	}
	migrate_enable();
	KUNIT_ASSERT_TRUE(test, ok);
	if (other < nr_cpu_ids) {
		info = info_of(f->s);
		KUNIT_EXPECT_GT(test, info.barn_limit, start);
		KUNIT_EXPECT_LE(test, info.barn_limit, info.barn_max);
	}
	kmem_cache_shrink(f->s);
	info = info_of(f->s);
	KUNIT_EXPECT_EQ(test, info.barn_limit, start);
	KUNIT_EXPECT_EQ(test, info.active_objs, 0UL);
	kmem_cache_destroy(f->s);
	/* (kunit_skip() would hide a failure above) */
	if (other >= nr_cpu_ids && test->status == KUNIT_SUCCESS)
		kunit_skip(test, "one CPU: the cross-CPU flow was not run");
}

/*
 * The *_node calls place objects on the node asked for, and NUMA_NO_NODE
 * on the CPU's own, even when the CPU's lists hold objects of another node
 * (the second pass frees them all first).  Every online node with memory
 * is tried: the debug suites boot with numa=fake=2 to have two.  KFENCE
 * objects come from its one pool wherever asked (as under SLUB): skipped.
 */
#define NODE_OBJS	64

static void node_check(struct kunit *test, void *p, int nid)
{
	KUNIT_ASSERT_NOT_NULL(test, p);
	if (!is_kfence_address(p))
		KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(p)), nid);
}

static void sloba_test_node_placement(struct kunit *test)
{
	struct kmem_cache *s = own_cache("sloba-kunit-node", 192,
					 SLAB_NO_USER_FLAGS);
	unsigned int n = 0, i, pass, nodes = num_node_state(N_MEMORY);
	void **p = kunit_kcalloc(test, 3 * NODE_OBJS * nodes, sizeof(void *),
				 GFP_KERNEL);
	int nid, local;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kunit_info(test, "%u node(s) with memory\n", nodes);
	for (pass = 0; pass < 2; pass++) {
		n = 0;
		migrate_disable();
		local = numa_mem_id();
		for (i = 0; i < NODE_OBJS; i++) {
			for_each_node_state(nid, N_MEMORY) {
				p[n] = kmem_cache_alloc_node(s, GFP_KERNEL, nid);
				node_check(test, p[n++], nid);
				p[n] = kmalloc_node(200, GFP_KERNEL, nid);
				node_check(test, p[n++], nid);
			}
			p[n] = kmem_cache_alloc(s, GFP_KERNEL);
			node_check(test, p[n++], local);
		}
		migrate_enable();
		/* kfree() takes cache objects too, as in 6.1's SLUB */
		for (i = 0; i < n; i++)
			kfree(p[i]);
	}
	kmem_cache_destroy(s);
}

/* The counters see the slow paths and the node lock in every kernel. */
static void sloba_test_counters(struct kunit *test)
{
	struct kmem_cache *s = own_cache("sloba-kunit-stats", 64, 0);
	struct sloba_cache_info info;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, s);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmem_cache_free(s, p);
	info = info_of(s);
	KUNIT_EXPECT_EQ(test, info.stats.alloc_slow, 1UL);
	KUNIT_EXPECT_EQ(test, info.stats.refill_slabs, 1UL);
	KUNIT_EXPECT_EQ(test, info.stats.slabs_allocated, 1UL);
	KUNIT_EXPECT_GE(test, info.stats.lock_acquisitions, 1UL);
	if (IS_ENABLED(CONFIG_SLOBA_STATS))
		KUNIT_EXPECT_EQ(test, info.stats.free_fast, 1UL);
	kmem_cache_shrink(s);
	info = info_of(s);
	KUNIT_EXPECT_EQ(test, info.stats.slabs_freed, 1UL);
	kmem_cache_destroy(s);
}

/*
 * Bits no slab may ask for (GFP_SLAB_BUG_MASK) are reported and dropped
 * where they would reach the page allocator, as under SLAB and SLUB: for
 * a new slab and for a kmalloc above the size classes.
 */
static void sloba_test_gfp_bug_mask(struct kunit *test)
{
	struct kmem_cache *s = own_cache("sloba-kunit-gfp", 128, 0);
	size_t large = KMALLOC_MAX_CACHE_SIZE + 1;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, s);
	p = kmem_cache_alloc(s, GFP_KERNEL | __GFP_HIGHMEM);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, sloba_reports, 1);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	/* Not a constant: slab.h's inline kmalloc_large() is not SLOBA's. */
	OPTIMIZER_HIDE_VAR(large);
	p = kmalloc(large, GFP_KERNEL | __GFP_HIGHMEM);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, sloba_reports, 2);
	kfree(p);
	sloba_reports = 0;
}

#ifdef CONFIG_DEBUG_OBJECTS_FREE
/*
 * Freeing memory makes debugobjects forget the objects that lived in it
 * (debug_check_no_obj_freed()).  Probed without a report: activating an
 * object that debugobjects does not track asks its descriptor whether it
 * is a static object, which it never asks for a tracked one.
 */
static int sloba_odebug_asked;

static bool sloba_odebug_is_static(void *addr)
{
	sloba_odebug_asked++;
	return true;
}

static const struct debug_obj_descr sloba_odebug_descr = {
	.name = "sloba_kunit",
	.is_static_object = sloba_odebug_is_static,
};

static void sloba_test_debugobjects_free(struct kunit *test)
{
	/* A cache of its own: nobody else reuses the object meanwhile. */
	struct kmem_cache *s = own_cache("sloba-kunit-odebug", 64, 0);
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, s);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	sloba_odebug_asked = 0;
	debug_object_init(p, &sloba_odebug_descr);
	debug_object_activate(p, &sloba_odebug_descr);
	KUNIT_EXPECT_EQ(test, sloba_odebug_asked, 0);	/* tracked */
	/* Inactive: freeing an active object would be a report. */
	debug_object_deactivate(p, &sloba_odebug_descr);
	kmem_cache_free(s, p);
	debug_object_activate(p, &sloba_odebug_descr);
	KUNIT_EXPECT_EQ(test, sloba_odebug_asked, 1);	/* forgotten */
	debug_object_deactivate(p, &sloba_odebug_descr);
	debug_object_free(p, &sloba_odebug_descr);
	kmem_cache_destroy(s);
}
#endif

static struct kunit_case sloba_test_cases[] = {
	KUNIT_CASE(sloba_test_cache_lifecycle),
	KUNIT_CASE(sloba_test_kmalloc_sizes),
	KUNIT_CASE(sloba_test_kmalloc_minalign),
	KUNIT_CASE(sloba_test_size_roundup_large),
	KUNIT_CASE(sloba_test_kzalloc),
	KUNIT_CASE(sloba_test_ctor),
	KUNIT_CASE(sloba_test_bulk),
	KUNIT_CASE(sloba_test_typesafe_by_rcu),
	KUNIT_CASE(sloba_test_kfree_rcu),
	KUNIT_CASE(sloba_test_krealloc),
	KUNIT_CASE(sloba_test_cross_cpu_free),
	KUNIT_CASE(sloba_test_irq_context),
	KUNIT_CASE(sloba_test_shrink),
	KUNIT_CASE(sloba_test_drop_slab),
	KUNIT_CASE(sloba_test_drop_slab_batches),
	KUNIT_CASE(sloba_test_reclaim_closes_barn),
	KUNIT_CASE(sloba_test_merge),
	KUNIT_CASE(sloba_test_red_zone),
	KUNIT_CASE(sloba_test_double_free_debug),
	KUNIT_CASE(sloba_test_kmalloc_types),
	KUNIT_CASE(sloba_test_carving_order),
	KUNIT_CASE(sloba_test_reaper),
	KUNIT_CASE(sloba_test_barn_growth),
	KUNIT_CASE(sloba_test_node_placement),
	KUNIT_CASE(sloba_test_counters),
	KUNIT_CASE(sloba_test_gfp_bug_mask),
#ifdef CONFIG_DEBUG_OBJECTS_FREE
	KUNIT_CASE(sloba_test_debugobjects_free),
#endif
	{}
};

static struct kunit_suite sloba_test_suite = {
	.name = "sloba",
	.init = sloba_test_init,
	.exit = sloba_test_exit,
	.test_cases = sloba_test_cases,
};
kunit_test_suite(sloba_test_suite);

MODULE_LICENSE("GPL");
