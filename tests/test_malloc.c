// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_malloc.c - the drop-in malloc (user/malloc.c), linked in statically
 * from libsloba-malloc.a so that this program's malloc() is sloba's: every
 * entry point, every alignment, the size boundaries between classes, page
 * blocks and mappings, realloc across them, and the failures (ENOMEM for
 * sizes that cannot be had, EINVAL for bad alignments).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"

#define LARGE_MAX	((size_t)4 << 20)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Sizes through a volatile, so the compiler does not warn about them. */
static volatile size_t huge_size;

static size_t hide(size_t n)
{
	huge_size = n;
	return huge_size;
}

static void fill(unsigned char *p, size_t n, unsigned char v)
{
	memset(p, v, n);
}

static void assert_filled(const unsigned char *p, size_t n, unsigned char v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			fail_msg("byte %zu is %#x, not %#x", i, p[i], v);
}

/* malloc() is this library's: its objects are sloba's. */
static void test_malloc_is_sloba(void **state)
{
	void *p = malloc(100);

	(void)state;
	assert_non_null(p);
	assert_int_equal(sloba_ksize(p), 112);	/* the 16-aligned class */
	assert_int_equal(malloc_usable_size(p), 112);
	free(p);
}

/* Every size up to a few pages: 16-aligned, usable, writable, distinct. */
static void test_sizes_and_alignment(void **state)
{
	static void *p[9000];
	size_t n;

	(void)state;
	for (n = 0; n < 9000; n++) {
		p[n] = malloc(n);
		assert_non_null(p[n]);
		if (n > 8)
			assert_aligned(p[n], 16);
		else
			assert_aligned(p[n], 8);
		assert_true(malloc_usable_size(p[n]) >= n);
		fill(p[n], n, (unsigned char)n);
	}
	for (n = 0; n < 9000; n++) {
		assert_filled(p[n], n, (unsigned char)n);
		free(p[n]);
	}
	free(NULL);
}

static void test_malloc_zero_is_unique(void **state)
{
	void *a = malloc(0), *b = malloc(0);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	free(a);
	free(b);
}

static void test_calloc_zeroes(void **state)
{
	size_t sizes[] = { 1, 24, 4000, 5000, 100000, LARGE_MAX, LARGE_MAX + 1,
			   3 * LARGE_MAX };
	size_t i, k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		/* Dirty the memory first, so a calloc that reuses it must zero. */
		unsigned char *d = malloc(sizes[i]), *z;

		assert_non_null(d);
		fill(d, sizes[i], 0xa5);
		free(d);
		z = calloc(1, sizes[i]);
		assert_non_null(z);
		for (k = 0; k < sizes[i]; k++)
			if (z[k])
				fail_msg("calloc(%zu) byte %zu not zero", sizes[i], k);
		free(z);
	}
}

static void test_calloc_overflow(void **state)
{
	(void)state;
	errno = 0;
	assert_null(calloc(hide(SIZE_MAX / 2), 3));
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(calloc(hide((size_t)1 << 33), (size_t)1 << 31));
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(reallocarray(NULL, hide(SIZE_MAX / 4), 8));
	assert_int_equal(errno, ENOMEM);
}

static void test_huge_sizes_fail(void **state)
{
	size_t sizes[] = { SIZE_MAX, SIZE_MAX - 4096, SIZE_MAX / 2,
			   (size_t)1 << 62, (size_t)1 << 50 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		errno = 0;
		assert_null(malloc(hide(sizes[i])));
		assert_int_equal(errno, ENOMEM);
		errno = 0;
		assert_null(memalign(1 << 20, hide(sizes[i])));
		assert_int_equal(errno, ENOMEM);
		errno = 0;
		assert_null(realloc(NULL, hide(sizes[i])));
		assert_int_equal(errno, ENOMEM);
	}
	/* A failed realloc leaves the old block alone. */
	{
		char *p = malloc(10), *volatile same = p;

		strcpy(p, "kept");
		assert_null(realloc(same, hide(SIZE_MAX - 100)));
		assert_string_equal(p, "kept");
		free(p);
	}
}

/* Large (page blocks) and huge (own mappings) allocations. */
static void test_large_and_huge(void **state)
{
	size_t sizes[] = { 4097, 8192, 65536 + 1, LARGE_MAX - 1, LARGE_MAX,
			   LARGE_MAX + 1, 10 * LARGE_MAX + 123 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *p = malloc(sizes[i]);

		assert_non_null(p);
		assert_aligned(p, sizes[i] <= 32768 ? 16 : 4096);
		assert_true(malloc_usable_size(p) >= sizes[i]);
		p[0] = 1;
		p[sizes[i] - 1] = 2;
		free(p);
	}
}

/* realloc keeps the contents across classes, blocks and mappings. */
static void test_realloc_chain(void **state)
{
	size_t sizes[] = { 1, 7, 16, 17, 100, 512, 600, 4096, 4097, 30000,
			   LARGE_MAX, LARGE_MAX + 5, 5 * LARGE_MAX, 3 * LARGE_MAX,
			   LARGE_MAX + 1, 70000, 3000, 40, 3 };
	unsigned char *p = NULL;
	size_t i, have = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t keep = have < sizes[i] ? have : sizes[i];

		p = realloc(p, sizes[i]);
		assert_non_null(p);
		assert_filled(p, keep, 0x3c);
		fill(p, sizes[i], 0x3c);
		have = sizes[i];
	}
	assert_null(realloc(p, 0));	/* glibc: frees, returns NULL */
}

/* A shrinking realloc that halves the block moves to a smaller one. */
static void test_realloc_shrinks(void **state)
{
	char *p = malloc(3000), *q;

	(void)state;
	strcpy(p, "abc");
	q = realloc(p, 2900);
	assert_ptr_equal(q, p);		/* same class */
	q = realloc(q, 10);
	assert_string_equal(q, "abc");
	assert_true(malloc_usable_size(q) < 100);
	free(q);
}

static void test_aligned(void **state)
{
	size_t align, size;

	(void)state;
	for (align = 1; align <= ((size_t)16 << 20); align <<= 1) {
		size_t sizes[] = { 1, align / 2 + 1, align, align + 1, 5000 };

		for (size = 0; size < ARRAY_SIZE(sizes); size++) {
			void *p = NULL, *q, *r;
			size_t n = sizes[size];

			if (align >= sizeof(void *)) {
				assert_int_equal(posix_memalign(&p, align, n), 0);
				assert_aligned(p, align);
			}
			q = memalign(align, n);
			r = aligned_alloc(align, n);
			assert_non_null(q);
			assert_non_null(r);
			assert_aligned(q, align);
			assert_aligned(r, align);
			assert_true(malloc_usable_size(q) >= n);
			memset(q, 1, n);
			memset(r, 2, n);
			if (p) {
				memset(p, 3, n);
				free(p);
			}
			free(q);
			free(r);
		}
	}
}

static void test_bad_alignment(void **state)
{
	void *p = (void *)1;

	(void)state;
	assert_int_equal(posix_memalign(&p, 3, 10), EINVAL);
	assert_int_equal(posix_memalign(&p, 0, 10), EINVAL);
	assert_int_equal(posix_memalign(&p, 4, 10), EINVAL);	/* < void * */
	assert_ptr_equal(p, (void *)1);
	errno = 0;
	assert_null(aligned_alloc(hide(24), 48));
	assert_int_equal(errno, EINVAL);
	/* memalign rounds a non-power of two up, as glibc's does. */
	p = memalign(hide(48), 10);
	assert_non_null(p);
	assert_aligned(p, 64);
	free(p);
}

static void test_valloc_pvalloc(void **state)
{
	void *a = valloc(10), *b = pvalloc(10), *c = pvalloc(0);

	(void)state;
	assert_aligned(a, 4096);
	assert_aligned(b, 4096);
	assert_aligned(c, 4096);
	assert_true(malloc_usable_size(b) >= 4096);
	free(a);
	free(b);
	free(c);
}

/* A pointer this allocator never handed out is reported, not freed. */
static void test_bad_free_reported(void **state)
{
	static char not_heap[64];

	(void)state;
	void *volatile stray = not_heap + 16;

	capture_reports();
	free(stray);
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, "not an address"));
	print_reports();
}

static void test_trim_and_info(void **state)
{
	struct sloba_page_stats st;
	struct mallinfo2 mi;
	void *p[2000];
	int i;

	(void)state;
	for (i = 0; i < 2000; i++)
		p[i] = malloc(2000);
	mi = mallinfo2();
	assert_true(mi.uordblks >= 2000 * 2000);
	for (i = 0; i < 2000; i++)
		free(p[i]);
	assert_int_equal(malloc_trim(0), 1);
	sloba_page_stats(&st);
	assert_int_equal(st.resident_free_pages, 0);
	assert_int_equal(mallopt(M_ARENA_MAX, 1), 0);	/* nothing tunable */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malloc_is_sloba),
		cmocka_unit_test(test_sizes_and_alignment),
		cmocka_unit_test(test_malloc_zero_is_unique),
		cmocka_unit_test(test_calloc_zeroes),
		cmocka_unit_test(test_calloc_overflow),
		cmocka_unit_test(test_huge_sizes_fail),
		cmocka_unit_test(test_large_and_huge),
		cmocka_unit_test(test_realloc_chain),
		cmocka_unit_test(test_realloc_shrinks),
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_bad_alignment),
		cmocka_unit_test(test_valloc_pvalloc),
		cmocka_unit_test(test_bad_free_reported),
		cmocka_unit_test(test_trim_and_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
