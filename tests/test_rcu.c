// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rcu.c - SLOBA_TYPESAFE_BY_RCU caches: objects are reused at once
 * and keep their contents while free, but their pages go back to the page
 * allocator only after an RCU grace period (checked with a liburcu reader
 * holding one open).
 */
#include <unistd.h>
#include <urcu/urcu-memb.h>
#include "testutil.h"

enum { OBJ = 200, N = 300 };

static size_t slab_pages(void)
{
	struct sloba_page_stats st;

	sloba_page_stats(&st);
	return st.slab_pages;
}

static void test_pages_wait_for_grace_period(void **state)
{
	sloba_cache_t *s = sloba_cache_create("rcu-pages", OBJ, 0,
					      SLOBA_TYPESAFE_BY_RCU, NULL);
	size_t before, full;
	void *p[N];
	int i;

	(void)state;
	assert_non_null(s);
	before = slab_pages();
	for (i = 0; i < N; i++)
		p[i] = sloba_cache_alloc(s, 0);
	full = slab_pages();
	assert_true(full > before + 10);

	urcu_memb_register_thread();
	urcu_memb_read_lock();
	for (i = 0; i < N; i++)
		sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_shrink(s), 0);	/* all slabs queued */
	usleep(200 * 1000);
	/* A reader is still inside: no page may have gone back. */
	assert_int_equal(slab_pages(), full);
	urcu_memb_read_unlock();
	urcu_memb_unregister_thread();

	urcu_memb_barrier();
	assert_int_equal(slab_pages(), before);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void test_reuse_without_waiting(void **state)
{
	sloba_cache_t *s = sloba_cache_create("rcu-reuse", OBJ, 0,
					      SLOBA_TYPESAFE_BY_RCU, NULL);
	unsigned char *p, *q;
	int k;

	(void)state;
	p = sloba_cache_alloc(s, 0);
	memset(p, 0x77, OBJ);
	sloba_cache_free(s, p);
	/* Still an object of the type: a racing reader sees it intact. */
	for (k = 0; k < OBJ; k++)
		assert_int_equal(p[k], 0x77);
	q = sloba_cache_alloc(s, 0);
	assert_ptr_equal(q, p);
	sloba_cache_free(s, q);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/* Destroy waits for the pending slabs, so every page is back after it. */
static void test_destroy_returns_pages(void **state)
{
	sloba_cache_t *s = sloba_cache_create("rcu-destroy", 1000, 0,
					      SLOBA_TYPESAFE_BY_RCU, NULL);
	size_t before = slab_pages();
	void *p[N];
	int i;

	(void)state;
	for (i = 0; i < N; i++)
		p[i] = sloba_cache_alloc(s, 0);
	for (i = 0; i < N; i++)
		sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_destroy(s), 0);
	/*
	 * Every page of the cache is back (other caches may have given some
	 * back meanwhile: the sanitizer build's quarantine frees late).
	 */
	assert_true(slab_pages() <= before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_wait_for_grace_period),
		cmocka_unit_test(test_reuse_without_waiting),
		cmocka_unit_test(test_destroy_returns_pages),
	};

	return cmocka_run_group_tests_name("rcu", tests, NULL, NULL);
}
