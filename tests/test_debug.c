// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_debug.c - misuse is caught and reported, naming the cache, and
 * leaves the allocator intact: double frees, foreign and interior
 * pointers, a free into the wrong cache, writes after free, and destroying
 * a cache that still has objects.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "testutil.h"

/* After a rejected free the cache must still hand out distinct objects. */
static void assert_cache_sane(sloba_cache_t *s, size_t size)
{
	enum { N = 300 };
	void *p[N];
	int i, j;

	for (i = 0; i < N; i++) {
		p[i] = sloba_cache_alloc(s, 0);
		assert_non_null(p[i]);
		memset(p[i], i & 0xff, size);
		for (j = 0; j < i; j++)
			assert_ptr_not_equal(p[i], p[j]);
	}
	for (i = 0; i < N; i++)
		sloba_cache_free(s, p[i]);
}

/* An immediate double free is caught even without debugging. */
static void test_double_free_fast(void **state)
{
	sloba_cache_t *s = sloba_cache_create("df-fast", 32, 0, 0, NULL);
	void *p = sloba_cache_alloc(s, 0);

	(void)state;
	capture_reports();
	sloba_cache_free(s, p);
	sloba_cache_free(s, p);
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, "double free"));
	assert_string_equal(reports.cache, "df-fast");
	assert_cache_sane(s, 32);
	print_reports();
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void test_double_free_debug(void **state)
{
	sloba_cache_t *s = sloba_cache_create("df-debug", 48, 0, SLOBA_DEBUG, NULL);
	void *a = sloba_cache_alloc(s, 0), *b = sloba_cache_alloc(s, 0);

	(void)state;
	capture_reports();
	sloba_cache_free(s, a);
	sloba_cache_free(s, b);
	sloba_cache_free(s, a);		/* not the latest free: still caught */
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, "double free"));
	assert_non_null(strstr(reports.message, "df-debug"));
	assert_cache_sane(s, 48);
	assert_int_equal(reports.count, 1);
	print_reports();
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void test_double_kfree_debug(void **state)
{
	sloba_cache_t *s = sloba_cache_create("dkf-debug", 64, 0, SLOBA_DEBUG, NULL);
	void *a = sloba_cache_alloc(s, 0), *b = sloba_cache_alloc(s, 0);

	(void)state;
	capture_reports();
	sloba_kfree(a);
	sloba_kfree(b);
	sloba_kfree(a);
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, "double free"));
	assert_string_equal(reports.cache, "dkf-debug");
	print_reports();
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void test_foreign_pointers(void **state)
{
	int on_stack;
	void *from_libc = malloc(64);
	void *large = sloba_kmalloc(10000, 0);

	(void)state;
	capture_reports();
	sloba_kfree(&on_stack);
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, "not an address"));
	sloba_kfree(from_libc);
	assert_int_equal(reports.count, 2);
	sloba_kfree((char *)large + 4096);	/* inside a large allocation */
	assert_int_equal(reports.count, 3);
	assert_int_equal(sloba_ksize(&on_stack), 0);
	print_reports();
	sloba_kfree(large);
	free(from_libc);
}

static void test_wrong_cache_and_interior(void **state)
{
	sloba_cache_t *s = sloba_cache_create("wc-debug", 100, 0, SLOBA_DEBUG, NULL);
	sloba_cache_t *t = sloba_cache_create("wc-other", 100, 0, 0, NULL);
	char *mine = sloba_cache_alloc(s, 0);
	void *theirs = sloba_cache_alloc(t, 0);

	(void)state;
	capture_reports();
	sloba_cache_free(s, theirs);
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, "not an object of cache wc-debug"));
	sloba_cache_free(s, mine + 8);
	assert_int_equal(reports.count, 2);
	assert_non_null(strstr(reports.message, "does not start an object"));
	print_reports();
	sloba_cache_free(s, mine);
	sloba_cache_free(t, theirs);
	assert_int_equal(sloba_cache_destroy(s), 0);
	assert_int_equal(sloba_cache_destroy(t), 0);
}

static void test_write_after_free(void **state)
{
	sloba_cache_t *s = sloba_cache_create("uaf-debug", 64, 0, SLOBA_POISON, NULL);
	unsigned char *p = sloba_cache_alloc(s, 0), *q;

	(void)state;
	capture_reports();
	sloba_cache_free(s, p);
	p[10] = 1;			/* the bug */
	q = sloba_cache_alloc(s, 0);	/* LIFO: the same object comes back */
	assert_ptr_equal(q, p);
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, "written after free"));
	assert_non_null(strstr(reports.message, "offset 10"));
	assert_string_equal(reports.cache, "uaf-debug");
	print_reports();
	sloba_cache_free(s, q);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/*
 * SLOBA_RED_ZONE: a write just past an object lands in its red zone, not
 * on the free link, and is reported when the object is freed; the free
 * still happens and the cache stays sane.
 */
static void test_red_zone(void **state)
{
	sloba_cache_t *s = sloba_cache_create("rz-debug", 100, 0,
					      SLOBA_RED_ZONE, NULL);
	unsigned char *p = sloba_cache_alloc(s, 0);

	(void)state;
	assert_int_equal(sloba_ksize(p), 100);
	capture_reports();
	p[100] = 0x42;			/* one byte too far */
	sloba_cache_free(s, p);
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, "red zone overwritten"));
	assert_non_null(strstr(reports.message, "byte 0 past the object"));
	assert_non_null(strstr(reports.message, "while allocated"));
	assert_string_equal(reports.cache, "rz-debug");
	assert_int_equal(cache_info(s).active_objs, 0);
	assert_cache_sane(s, 100);
	assert_int_equal(reports.count, 1);
	print_reports();
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/* SLOBA_STORE_USER: a report about an object says who had it. */
static void test_store_user(void **state)
{
	sloba_cache_t *s = sloba_cache_create("su-debug", 64, 0,
					      SLOBA_STORE_USER | SLOBA_POISON,
					      NULL);
	unsigned char *p = sloba_cache_alloc(s, 0), *q;
	char tid[32];

	(void)state;
	snprintf(tid, sizeof(tid), "thread %ld", (long)syscall(SYS_gettid));
	capture_reports();
	sloba_cache_free(s, p);
	p[3] = 1;			/* the bug */
	q = sloba_cache_alloc(s, 0);
	assert_ptr_equal(q, p);
	/* The poison report, then who allocated and freed the object. */
	assert_int_equal(reports.count, 2);
	assert_non_null(strstr(reports.message, "allocated by thread"));
	assert_non_null(strstr(reports.message, "last freed by"));
	assert_non_null(strstr(reports.message, tid));
	print_reports();
	sloba_cache_free(s, q);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void test_destroy_with_live_objects(void **state)
{
	sloba_cache_t *s = sloba_cache_create("leaky", 128, 0, 0, NULL);
	void *p[5];
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		p[i] = sloba_cache_alloc(s, 0);
	sloba_cache_free(s, p[2]);
	capture_reports();
	assert_int_equal(sloba_cache_destroy(s), -EBUSY);
	/* A summary line and one line per leaked object, each naming the cache. */
	assert_int_equal(reports.count, 5);
	assert_string_equal(reports.cache, "leaky");
	assert_non_null(strstr(reports.message, "leaked"));
	print_reports();
	/* The cache survived: the objects are still good and can go back. */
	memset(p[0], 0x11, 128);
	for (i = 0; i < 5; i++)
		if (i != 2)
			sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/* A big leak is listed up to a point, then counted. */
static void test_destroy_with_many_live_objects(void **state)
{
	sloba_cache_t *s = sloba_cache_create("very-leaky", 32, 0, 0, NULL);
	void *p[100];
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		p[i] = sloba_cache_alloc(s, 0);
	capture_reports();
	assert_int_equal(sloba_cache_destroy(s), -EBUSY);
	assert_int_equal(reports.count, 1 + 16 + 1);
	assert_non_null(strstr(reports.message, "and 84 more objects leaked"));
	print_reports();
	for (i = 0; i < 100; i++)
		sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_double_free_fast),
		cmocka_unit_test(test_double_free_debug),
		cmocka_unit_test(test_double_kfree_debug),
		cmocka_unit_test(test_foreign_pointers),
		cmocka_unit_test(test_wrong_cache_and_interior),
		cmocka_unit_test(test_write_after_free),
		cmocka_unit_test(test_red_zone),
		cmocka_unit_test(test_store_user),
		cmocka_unit_test(test_destroy_with_live_objects),
		cmocka_unit_test(test_destroy_with_many_live_objects),
	};

	return cmocka_run_group_tests_name("debug", tests, NULL, NULL);
}
