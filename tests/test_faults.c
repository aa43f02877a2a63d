// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_faults.c - the page allocator fails every N-th call, for many N:
 * callers get NULL, the objects they did get are intact, and once
 * everything is freed every page is back.  And when multi-page slabs cannot
 * be had, caches fall back to single pages.
 */
#include <errno.h>
#include <stdlib.h>
#include "testutil.h"

enum { OPS = 6000 };

struct held {
	void *p;
	size_t size;
	unsigned char tag;
	int kind;		/* 0 kmalloc, 1 cache, 2 cache with ctor */
};

static void ctor(void *p)
{
	memset(p, 0xc7, 40);
}

static void check_and_free(struct held *h, sloba_cache_t *plain,
			   sloba_cache_t *built)
{
	unsigned char *b = h->p;
	size_t k;

	for (k = 0; k < h->size; k++)
		if (b[k] != h->tag)
			fail_msg("object %p byte %zu changed", h->p, k);
	if (h->kind == 1)
		sloba_cache_free(plain, h->p);
	else if (h->kind == 2)
		sloba_cache_free(built, h->p);
	else
		sloba_kfree(h->p);
	h->p = NULL;
}

static void run_with_failures(unsigned long every)
{
	static struct held held[OPS];
	sloba_cache_t *plain = sloba_cache_create("fault-plain", 96, 0, 0, NULL);
	sloba_cache_t *built = sloba_cache_create("fault-ctor", 40, 0, 0, ctor);
	size_t before, i, nulls = 0;
	unsigned int seed = (unsigned int)every;

	assert_non_null(plain);
	assert_non_null(built);
	before = pages_in_use();
	sloba_fail_page_alloc_every(every);
	for (i = 0; i < OPS; i++) {
		struct held *h = &held[i];
		int r = rand_r(&seed);

		h->kind = r % 3;
		h->tag = (unsigned char)(i | 1);
		if (h->kind == 0) {
			/* Mostly small, sometimes large. */
			h->size = (r >> 4) % 8 ? 1 + (r >> 8) % 2048 :
						  2049 + (r >> 8) % 20000;
			h->p = sloba_kmalloc(h->size, SLOBA_GFP_NOWARN);
		} else if (h->kind == 1) {
			h->size = 96;
			h->p = sloba_cache_alloc(plain, SLOBA_GFP_NOWARN);
		} else {
			h->size = 40;
			h->p = sloba_cache_alloc(built, SLOBA_GFP_NOWARN);
		}
		if (!h->p) {
			nulls++;
			continue;
		}
		memset(h->p, h->tag, h->size);
		/* Free a random earlier object now and then. */
		if (i && r % 4 == 0) {
			struct held *old = &held[(size_t)(r >> 3) % i];

			if (old->p)
				check_and_free(old, plain, built);
		}
	}
	sloba_fail_page_alloc_every(0);
	if (every <= 8)
		assert_true(nulls > 0);
	for (i = 0; i < OPS; i++)
		if (held[i].p)
			check_and_free(&held[i], plain, built);
	assert_int_equal(sloba_cache_destroy(plain), 0);
	assert_int_equal(sloba_cache_destroy(built), 0);
	sloba_shrink_all();
	assert_true(pages_in_use() <= before);
}

static void test_fail_every_n(void **state)
{
	unsigned long n;

	(void)state;
	for (n = 1; n <= 64; n++)
		run_with_failures(n);
	for (n = 97; n <= 1000; n += 101)
		run_with_failures(n);
	sloba_shrink_all();
	assert_int_equal(pages_in_use(), 0);
}

/* With every page allocation failing, nothing can be had, and nothing breaks. */
static void test_all_fail(void **state)
{
	sloba_cache_t *s = sloba_cache_create("fault-all", 4000, 0, 0, NULL);
	void *p;

	(void)state;
	sloba_shrink_all();
	sloba_fail_page_alloc_every(1);
	assert_null(sloba_cache_alloc(s, SLOBA_GFP_NOWARN));
	assert_null(sloba_kmalloc(100000, SLOBA_GFP_NOWARN));
	sloba_fail_page_alloc_every(0);
	p = sloba_cache_alloc(s, 0);
	assert_non_null(p);
	sloba_cache_free(s, p);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/*
 * When memory is too fragmented for a multi-page slab, a cache falls back
 * to slabs of the smallest order that holds an object, and keeps working.
 */
static void test_fragmented_fallback(void **state)
{
	enum { N = 200, SIZE = 3000 };	/* 5 per 4-page slab, 1 per page */
	sloba_cache_t *s = sloba_cache_create("fragmented", SIZE, 0, 0, NULL);
	struct sloba_cache_info info;
	unsigned char *p[N];
	int i, k;

	(void)state;
	assert_non_null(s);
	assert_true(cache_info(s).pagesperslab > 1);
	sloba_fail_slab_order(1);	/* no two contiguous pages for slabs */
	for (i = 0; i < N; i++) {
		p[i] = sloba_cache_alloc(s, 0);
		assert_non_null(p[i]);
		memset(p[i], i, SIZE);
	}
	sloba_fail_slab_order(0);
	sloba_cache_shrink(s);
	info = cache_info(s);
	assert_int_equal(info.active_objs, N);
	assert_int_equal(info.num_objs, N);	/* one object per 1-page slab */
	assert_int_equal(info.num_slabs, N);
	for (i = 0; i < N; i++) {
		for (k = 0; k < SIZE; k += 500)
			assert_int_equal(p[i][k], (unsigned char)i);
		assert_true(sloba_ksize(p[i]) >= SIZE);
	}
	/* Mixed slab sizes from now on, and all of them go back. */
	for (i = 0; i < N; i += 2)
		sloba_cache_free(s, p[i]);
	for (i = 0; i < N; i += 2)
		p[i] = sloba_cache_alloc(s, 0);
	for (i = 0; i < N; i++)
		sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_shrink(s), 0);
	assert_int_equal(cache_info(s).num_objs, 0);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/*
 * Memory reserves (the kernel's pfmemalloc pages), emulated in the
 * sanitizer build: when memory is low, a slab made of reserve pages serves
 * callers entitled to the reserves, one object at a time, and nobody else,
 * even while it has free objects; its objects come straight back, and the
 * slab goes as soon as it is empty.
 */
static void test_reserves(void **state)
{
	sloba_cache_t *s = sloba_cache_create("reserves", 64, 0, 0, NULL);
	struct sloba_cache_info before, after;
	void *p, *q;

	(void)state;
	if (sloba_test_reserves(1) == -ENOSYS) {
		/* No emulation in this build: nothing is ever a reserve. */
		assert_non_null(p = sloba_cache_alloc(s, SLOBA_GFP_MEMALLOC));
		sloba_cache_free(s, p);
		assert_int_equal(sloba_cache_destroy(s), 0);
		return;
	}
	before = cache_info(s);
	assert_null(sloba_cache_alloc(s, SLOBA_GFP_NOWARN));
	p = sloba_cache_alloc(s, SLOBA_GFP_MEMALLOC);
	q = sloba_cache_alloc(s, SLOBA_GFP_MEMALLOC);
	assert_non_null(p);
	assert_non_null(q);
	after = cache_info(s);
	/* One reserve slab, shared by the two, and nothing on CPU lists. */
	assert_int_equal(after.stats.slabs_allocated - before.stats.slabs_allocated, 1);
	assert_int_equal(after.active_objs, 2);
	assert_int_equal(after.free_cached, 0);
	/* It has 62 free objects, none for a caller without the right. */
	assert_null(sloba_cache_alloc(s, SLOBA_GFP_NOWARN));
	sloba_cache_free(s, p);
	sloba_cache_free(s, q);
	after = cache_info(s);
	assert_int_equal(after.active_objs, 0);
	assert_int_equal(after.num_slabs, 0);
	assert_int_equal(sloba_test_reserves(0), 0);
	p = sloba_cache_alloc(s, 0);
	assert_non_null(p);
	sloba_cache_free(s, p);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_every_n),
		cmocka_unit_test(test_all_fail),
		cmocka_unit_test(test_fragmented_fallback),
		cmocka_unit_test(test_reserves),
	};

	return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
