// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_api.c - every libsloba call with its edge cases: cache creation and
 * its errors, every kmalloc size class, zeroing, constructors, alignment,
 * bulk calls, krealloc, statistics and slabinfo, shrink, and at the end a
 * check that destroying every cache gives every page back.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"

static void test_create_destroy(void **state)
{
	sloba_cache_t *s = sloba_cache_create("test-basic", 40, 0, 0, NULL);
	struct sloba_cache_info info;
	void *a, *b;

	(void)state;
	assert_non_null(s);
	assert_string_equal(sloba_cache_name(s), "test-basic");
	a = sloba_cache_alloc(s, 0);
	b = sloba_cache_alloc(s, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	memset(a, 0xaa, 40);
	memset(b, 0xbb, 40);
	assert_int_equal(((unsigned char *)a)[39], 0xaa);
	sloba_cache_shrink(s);	/* this thread's cached objects back */
	info = cache_info(s);
	assert_string_equal(info.name, "test-basic");
	assert_int_equal(info.active_objs, 2);
	assert_true(info.objsize >= 40);	/* more with SLOBA_DEBUG */
	assert_int_equal(info.objperslab, 4096 / info.objsize);
	assert_int_equal(info.pagesperslab, 1);
	assert_int_equal(info.num_slabs, 1);
	assert_int_equal(info.active_slabs, 1);
	sloba_cache_free(s, a);
	sloba_cache_free(s, b);
	sloba_cache_free(s, NULL);
	assert_int_equal(sloba_cache_destroy(s), 0);
	assert_int_equal(sloba_cache_destroy(NULL), 0);
}

static void expect_create_error(const char *name, size_t size, size_t align,
				unsigned int flags, const char *why)
{
	capture_reports();
	errno = 0;
	assert_null(sloba_cache_create(name, size, align, flags, NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(reports.count, 1);
	assert_non_null(strstr(reports.message, why));
	if (name)
		assert_non_null(strstr(reports.message, name));
	print_reports();
}

static void test_create_errors(void **state)
{
	(void)state;
	expect_create_error("bad-align", 32, 3, 0, "power of two");
	expect_create_error("bad-align2", 32, 8192, 0, "power of two");
	expect_create_error("zero-size", 0, 0, 0, "size");
	expect_create_error("huge", (size_t)64 << 20, 0, 0, "size");
	expect_create_error("bad-flags", 32, 0, 0x80000000u, "unknown flags");
	expect_create_error(NULL, 32, 0, 0, "name");
	expect_create_error("", 32, 0, 0, "name");
}

static void test_kmalloc_zero_and_null(void **state)
{
	void *p = sloba_kmalloc(0, 0);

	(void)state;
	assert_ptr_equal(p, SLOBA_ZERO_SIZE_PTR);
	assert_int_equal(sloba_ksize(p), 0);
	sloba_kfree(p);
	sloba_kfree(NULL);
	assert_int_equal(sloba_ksize(NULL), 0);
	assert_int_equal(sloba_kmalloc_size_roundup(0), 0);
}

/* Every request size up to two pages: alignment, ksize, no overlap. */
static void test_kmalloc_every_size(void **state)
{
	enum { MAXSZ = 8192, PER = 3 };
	static void *objs[MAXSZ + 1][PER];
	size_t size, i, j, k;

	(void)state;
	for (size = 1; size <= MAXSZ; size++) {
		for (i = 0; i < PER; i++) {
			void *p = sloba_kmalloc(size, 0);
			size_t ks;

			assert_non_null(p);
			ks = sloba_ksize(p);
			assert_true(ks >= size);
			assert_int_equal(ks, sloba_kmalloc_size_roundup(size));
			assert_aligned(p, 8);
			/* Power-of-two classes are naturally aligned. */
			if ((ks & (ks - 1)) == 0)
				assert_aligned(p, ks < 4096 ? ks : 4096);
			memset(p, (int)(size * PER + i) & 0xff, ks);
			objs[size][i] = p;
		}
	}
	for (size = 1; size <= MAXSZ; size++) {
		for (i = 0; i < PER; i++) {
			unsigned char *p = objs[size][i];
			size_t ks = sloba_ksize(p);
			unsigned char want = (size * PER + i) & 0xff;

			for (k = 0; k < ks; k++)
				if (p[k] != want)
					fail_msg("size %zu object %zu byte %zu overwritten",
						 size, i, k);
		}
	}
	for (size = 1; size <= MAXSZ; size++)
		for (j = 0; j < PER; j++)
			sloba_kfree(objs[size][j]);
}

static void test_kmalloc_largest(void **state)
{
	void *p;

	(void)state;
	p = sloba_kmalloc(SLOBA_KMALLOC_MAX_SIZE, 0);
	assert_non_null(p);
	assert_int_equal(sloba_ksize(p), SLOBA_KMALLOC_MAX_SIZE);
	memset(p, 1, SLOBA_KMALLOC_MAX_SIZE);
	sloba_kfree(p);
	assert_null(sloba_kmalloc(SLOBA_KMALLOC_MAX_SIZE + 1, SLOBA_GFP_NOWARN));
	assert_null(sloba_kmalloc((size_t)-1, SLOBA_GFP_NOWARN));
}

static void test_zeroing(void **state)
{
	size_t sizes[] = { 8, 100, 2048, 3000, 70000 };
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = sloba_kmalloc(sizes[i], 0);

		memset(p, 0xff, sloba_ksize(p));
		sloba_kfree(p);
		p = sloba_kzalloc(sizes[i], 0);
		assert_non_null(p);
		for (k = 0; k < sizes[i]; k++)
			assert_int_equal(p[k], 0);
		sloba_kfree(p);
	}
}

static void test_kcalloc_array(void **state)
{
	unsigned int *p;
	size_t i;

	(void)state;
	assert_null(sloba_kmalloc_array((size_t)1 << 62, 8, 0));
	assert_null(sloba_kcalloc(SIZE_MAX / 2, 3, 0));
	p = sloba_kcalloc(100, sizeof(*p), 0);
	assert_non_null(p);
	for (i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	sloba_kfree(p);
	p = sloba_kmalloc_array(10, 4, 0);
	assert_non_null(p);
	assert_true(sloba_ksize(p) >= 40);
	sloba_kfree(p);
}

static unsigned long ctor_calls;

struct ctor_obj {
	unsigned long magic;
	unsigned long uses;
	char pad[48];
};

static void obj_ctor(void *p)
{
	struct ctor_obj *o = p;

	o->magic = 0x5106a;
	o->uses = 0;
	ctor_calls++;
}

/* The constructor runs once per object built, not per allocation. */
static void test_ctor_once(void **state)
{
	enum { N = 100 };	/* few enough that no slab is ever released */
	sloba_cache_t *s = sloba_cache_create("test-ctor", sizeof(struct ctor_obj),
					      0, 0, obj_ctor);
	struct ctor_obj *o[N], *again;
	int i, round;

	(void)state;
	assert_non_null(s);
	ctor_calls = 0;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < N; i++) {
			o[i] = sloba_cache_alloc(s, 0);
			assert_non_null(o[i]);
			assert_int_equal(o[i]->magic, 0x5106a);
			o[i]->uses++;
		}
		if (round == 0) {
			/* Objects are built as slabs are carved, a batch ahead. */
			assert_true(ctor_calls >= N);
			assert_true(ctor_calls <= N + cache_info(s).batchcount);
		}
		for (i = 0; i < N; i++)
			sloba_cache_free(s, o[i]);
	}
	/* Reused objects are not built again: only slots never used before. */
	assert_true(ctor_calls <= cache_info(s).num_objs);
	assert_true(ctor_calls < 2 * N);

	/* A freed object keeps the state its user left in it. */
	o[0] = sloba_cache_alloc(s, 0);
	o[0]->uses = 42;
	sloba_cache_free(s, o[0]);
	again = sloba_cache_alloc(s, 0);
	assert_ptr_equal(again, o[0]);
	assert_int_equal(again->uses, 42);
	assert_int_equal(again->magic, 0x5106a);
	sloba_cache_free(s, again);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void check_alignment(const char *name, size_t size, size_t align,
			    unsigned int flags, size_t want)
{
	sloba_cache_t *s = sloba_cache_create(name, size, align, flags, NULL);
	void *p[300];
	int i;

	assert_non_null(s);
	for (i = 0; i < 300; i++) {
		p[i] = sloba_cache_alloc(s, 0);
		assert_non_null(p[i]);
		assert_aligned(p[i], want);
		assert_true(sloba_ksize(p[i]) >= size);
		memset(p[i], 0x5a, sloba_ksize(p[i]));
	}
	for (i = 0; i < 300; i++)
		sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void test_alignment(void **state)
{
	(void)state;
	check_alignment("align-none", 13, 0, 0, 8);
	check_alignment("align-16", 24, 16, 0, 16);
	check_alignment("align-128", 200, 128, 0, 128);
	check_alignment("align-page", 100, 4096, 0, 4096);
	check_alignment("hwcache-100", 100, 0, SLOBA_HWCACHE_ALIGN, 64);
	check_alignment("hwcache-20", 20, 0, SLOBA_HWCACHE_ALIGN, 32);
	check_alignment("hwcache-9", 9, 0, SLOBA_HWCACHE_ALIGN, 16);
	check_alignment("big-odd", 5000, 0, 0, 8);
	check_alignment("big-odd-64", 3000, 64, SLOBA_HWCACHE_ALIGN, 64);
}

static void test_bulk(void **state)
{
	enum { N = 1000 };
	sloba_cache_t *s = sloba_cache_create("test-bulk", 72, 0, 0, NULL);
	void *p[N];
	int i, j;

	(void)state;
	assert_int_equal(sloba_cache_alloc_bulk(s, 0, N, p), N);
	for (i = 0; i < N; i++) {
		assert_non_null(p[i]);
		memset(p[i], i & 0xff, 72);
	}
	for (i = 0; i < N; i++)
		for (j = 0; j < 72; j++)
			assert_int_equal(((unsigned char *)p[i])[j], i & 0xff);
	sloba_cache_shrink(s);
	assert_int_equal(cache_info(s).active_objs, N);
	sloba_cache_free_bulk(s, N, p);
	/* Zeroed bulk, then freed through the NULL-cache form (kfree_bulk). */
	assert_int_equal(sloba_cache_alloc_bulk(s, SLOBA_GFP_ZERO, 10, p), 10);
	for (i = 0; i < 10; i++)
		for (j = 0; j < 72; j++)
			assert_int_equal(((unsigned char *)p[i])[j], 0);
	sloba_cache_free_bulk(NULL, 10, p);
	assert_int_equal(sloba_cache_alloc_bulk(s, 0, 0, p), 0);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/*
 * A bulk allocation that runs out of pages half-way leaves nothing behind.
 * 256-byte objects: 16 per page, so N needs 125 fresh pages.  A dry cache
 * takes up to four pages at once for a 60-object batch and goes on with
 * what it got when one of them fails, so whether a bulk allocation fails
 * depends on where the injected failures fall: try every period from 2 to
 * 64, and ask that each run either succeeds in full or leaves nothing, and
 * that some fail.
 */
static void test_bulk_fails_partway(void **state)
{
	enum { N = 2000 };
	sloba_cache_t *s = sloba_cache_create("test-bulk-fail", 256, 0, 0, NULL);
	static void *p[N];
	unsigned long every;
	size_t before;
	int got, failed = 0;

	(void)state;
	before = pages_in_use();
	for (every = 2; every <= 64; every++) {
		sloba_fail_page_alloc_every(every);
		got = sloba_cache_alloc_bulk(s, SLOBA_GFP_NOWARN, N, p);
		sloba_fail_page_alloc_every(0);
		if (got) {
			assert_int_equal(got, N);
			sloba_cache_free_bulk(s, N, p);
		} else {
			failed++;
		}
		sloba_cache_shrink(s);
		assert_int_equal(cache_info(s).active_objs, 0);
		assert_int_equal(cache_info(s).num_slabs, 0);
		assert_int_equal(pages_in_use(), before);
	}
	assert_true(failed > 10);
	/* And the cache still works. */
	assert_int_equal(sloba_cache_alloc_bulk(s, 0, N, p), N);
	sloba_cache_free_bulk(s, N, p);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void test_krealloc(void **state)
{
	size_t steps[] = { 1, 7, 8, 9, 100, 1000, 2048, 2049, 5000, 100000, 300 };
	unsigned char *p = NULL, *q;
	size_t i, k, have = 0;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		q = sloba_krealloc(p, steps[i], 0);
		assert_non_null(q);
		assert_true(sloba_ksize(q) >= steps[i]);
		for (k = 0; k < have && k < steps[i]; k++)
			assert_int_equal(q[k], (unsigned char)(k * 7));
		for (k = 0; k < steps[i]; k++)
			q[k] = (unsigned char)(k * 7);
		have = steps[i];
		p = q;
	}
	/* Shrinking within ksize stays in place. */
	q = sloba_krealloc(p, 10, 0);
	assert_ptr_equal(q, p);
	p = sloba_krealloc(q, 0, 0);
	assert_ptr_equal(p, SLOBA_ZERO_SIZE_PTR);
	p = sloba_krealloc(p, 16, 0);
	assert_non_null(p);
	assert_ptr_not_equal(p, SLOBA_ZERO_SIZE_PTR);
	sloba_kfree(p);
}

static void test_kfree_cache_object(void **state)
{
	sloba_cache_t *s = sloba_cache_create("test-kfree", 100, 0, 0, NULL);
	void *p = sloba_cache_alloc(s, 0);

	(void)state;
	assert_true(sloba_ksize(p) >= 100);
	sloba_kfree(p);
	sloba_cache_shrink(s);
	assert_int_equal(cache_info(s).active_objs, 0);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/* Statistics follow allocation, and shrink gives empty slabs back. */
static void test_stats_and_shrink(void **state)
{
	enum { N = 1000 };
	sloba_cache_t *s = sloba_cache_create("test-stats", 200, 0, 0, NULL);
	struct sloba_cache_info info;
	void *p[N];
	size_t before = pages_in_use();
	int i;

	(void)state;
	for (i = 0; i < N; i++)
		p[i] = sloba_cache_alloc(s, 0);
	sloba_cache_shrink(s);	/* objects cached on this thread count as active */
	info = cache_info(s);
	assert_int_equal(info.active_objs, N);
	assert_true(info.objsize >= 200);
	assert_int_equal(info.objperslab, 4096 / info.objsize);
	assert_int_equal(info.num_slabs,
			 (N + info.objperslab - 1) / info.objperslab);
	assert_int_equal(info.num_objs, info.num_slabs * info.objperslab);
	if (getenv("SLOBA_DEBUG")) {
		assert_int_equal(info.limit, 0);	/* debug: no caching */
	} else {
		assert_true(info.limit > 0);
		assert_true(info.batchcount > 0 &&
			    info.batchcount <= info.limit);
	}
	assert_int_equal(pages_in_use(), before + info.num_slabs);
	for (i = 0; i < N; i++)
		sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_shrink(s), 0);
	info = cache_info(s);
	assert_int_equal(info.active_objs, 0);
	assert_int_equal(info.num_slabs, 0);
	assert_int_equal(pages_in_use(), before);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/* A live object keeps only its own slab: the others go back. */
static void test_partial_reuse(void **state)
{
	enum { N = 4000 };
	sloba_cache_t *s = sloba_cache_create("test-partial", 64, 0, 0, NULL);
	static void *p[N];
	int i, per;

	(void)state;
	for (i = 0; i < N; i++)
		p[i] = sloba_cache_alloc(s, 0);
	for (i = 1; i < N; i++)
		sloba_cache_free(s, p[i]);
	sloba_cache_shrink(s);
	assert_int_equal(cache_info(s).num_slabs, 1);
	/* Objects freed into that slab are handed out again. */
	per = cache_info(s).objperslab;
	for (i = 1; i < per; i++)
		p[i] = sloba_cache_alloc(s, 0);
	assert_int_equal(cache_info(s).num_slabs, 1);
	for (i = 0; i < per; i++)
		sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/*
 * A new slab is cut from its end downward, or, in the build with the
 * kernel's hardening (SLOBA_HARDENED, the sanitizer build), in a random
 * order of the cache's: the chance that a random order of 64 objects comes
 * out as the plain one is 1 in 64!.
 */
#ifndef SLOBA_HARDENED
#define SLOBA_HARDENED 0
#endif
static void test_carving_order(void **state)
{
	sloba_cache_t *s = sloba_cache_create("test-order", 64, 0, 0, NULL);
	unsigned int i, n, size, descending = 0, other_page = 0;
	void *p[64];

	(void)state;
	n = cache_info(s).objperslab;	/* 64, fewer with SLOBA_DEBUG=1 */
	size = cache_info(s).objsize;
	assert_true(n >= 16 && n <= 64);
	for (i = 0; i < n; i++)
		p[i] = sloba_cache_alloc(s, 0);
	for (i = 1; i < n; i++) {
		descending += (char *)p[i] == (char *)p[i - 1] - size;
		other_page += ((uintptr_t)p[i] ^ (uintptr_t)p[0]) >= 4096;
	}
	assert_int_equal(other_page, 0);
	if (SLOBA_HARDENED)
		assert_true(descending < n - 1);
	else
		assert_int_equal(descending, n - 1);
	for (i = 0; i < n; i++)
		sloba_cache_free(s, p[i]);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

static void test_slabinfo(void **state)
{
	sloba_cache_t *s = sloba_cache_create("test-slabinfo", 48, 0, 0, NULL);
	void *p = sloba_cache_alloc(s, 0);
	char buf[65536], *line;

	(void)state;
	sloba_cache_shrink(s);
	slabinfo_text(buf, sizeof(buf));
	assert_memory_equal(buf, "slabinfo - version: 2.1\n", 24);
	assert_non_null(strstr(buf, "\nkmalloc-8 "));
	assert_non_null(strstr(buf, "\nkmalloc-2048 "));
	line = strstr(buf, "\ntest-slabinfo ");
	assert_non_null(line);
	{
		char name[64];
		unsigned long active, num, as, ns;
		unsigned int size, per, pages, lim, batch, shared, avail;
		int got = sscanf(line + 1,
				 "%63s %lu %lu %u %u %u : tunables %u %u %u : slabdata %lu %lu %u",
				 name, &active, &num, &size, &per, &pages, &lim,
				 &batch, &shared, &as, &ns, &avail);

		assert_int_equal(got, 12);
		assert_int_equal(active, 1);
		assert_true(size >= 48);
		assert_int_equal(per, 4096 / size);
		assert_int_equal(num, per);
		assert_int_equal(pages, 1);
		assert_int_equal(ns, 1);
		/* With CPU lists (not under SLOBA_DEBUG=all) a barn too. */
		if (cache_info(s).limit) {
			assert_int_equal(lim, 2 * batch);
			assert_true(shared >= 2);
		} else {
			assert_int_equal(lim, 0);
		}
		assert_int_equal(avail, 0);	/* nothing in the barn yet */
	}
	sloba_cache_free(s, p);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/* More caches than the static per-thread slots. */
static void test_many_caches(void **state)
{
	enum { N = 150 };
	sloba_cache_t *s[N];
	void *p[N];
	char name[32];
	int i;

	(void)state;
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "many-%d", i);
		s[i] = sloba_cache_create(name, 16 + (size_t)i * 8, 0, 0, NULL);
		assert_non_null(s[i]);
		p[i] = sloba_cache_alloc(s[i], 0);
		assert_non_null(p[i]);
		memset(p[i], i, 16 + (size_t)i * 8);
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(((unsigned char *)p[i])[15], i);
		sloba_cache_free(s[i], p[i]);
		assert_int_equal(sloba_cache_destroy(s[i]), 0);
	}
}

static size_t rss_pages(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return resident;
}

/* Free memory beyond a few MiB goes back to the system by itself. */
static void test_pages_return_to_os(void **state)
{
	enum { N = 48, MIB = 1 << 20 };
	struct sloba_page_stats before, after;
	size_t rss0, rss1, page = (size_t)sysconf(_SC_PAGESIZE);
	void *p[N];
	int i;

	(void)state;
	sloba_page_stats(&before);
	rss0 = rss_pages();
	for (i = 0; i < N; i++) {
		p[i] = sloba_kmalloc(MIB, 0);
		assert_non_null(p[i]);
		memset(p[i], 0x5a, MIB);
	}
	rss1 = rss_pages();
	assert_true(rss1 >= rss0 + (size_t)40 * MIB / page);
	for (i = 0; i < N; i++)
		sloba_kfree(p[i]);
	sloba_page_stats(&after);
	assert_true(after.purges > before.purges);
	/* At most the default allowance (8 MiB) stays resident. */
	assert_true(after.resident_free_pages <= (size_t)8 * MIB / 4096);
	assert_true(rss_pages() <= rss1 - (size_t)30 * MIB / page);
}

/* Last: with every cache gone and the kmalloc classes shrunk, no page is held. */
static void test_everything_returned(void **state)
{
	struct sloba_page_stats st;

	(void)state;
	sloba_shrink_all();
	sloba_page_stats(&st);
	if (st.slab_pages)
		sloba_slabinfo(2);
	assert_int_equal(st.slab_pages, 0);
	assert_int_equal(st.large_pages, 0);
	assert_int_equal(st.free_pages, st.arena_pages);
	sloba_trim();
	sloba_page_stats(&st);
	assert_int_equal(st.resident_free_pages, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_destroy),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_kmalloc_zero_and_null),
		cmocka_unit_test(test_kmalloc_every_size),
		cmocka_unit_test(test_kmalloc_largest),
		cmocka_unit_test(test_zeroing),
		cmocka_unit_test(test_kcalloc_array),
		cmocka_unit_test(test_ctor_once),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_bulk_fails_partway),
		cmocka_unit_test(test_krealloc),
		cmocka_unit_test(test_kfree_cache_object),
		cmocka_unit_test(test_stats_and_shrink),
		cmocka_unit_test(test_partial_reuse),
		cmocka_unit_test(test_carving_order),
		cmocka_unit_test(test_slabinfo),
		cmocka_unit_test(test_many_caches),
		cmocka_unit_test(test_pages_return_to_os),
		cmocka_unit_test(test_everything_returned),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
