// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_tier.c - the per-thread tier in front of the slabs: main, the spare
 * and the barn (core/sloba.c's top comment), seen through the counters.
 * Where objects go is structural, not a matter of timing, so the tests
 * check exact counts: a thread trades with its spare and the barn without
 * taking a lock, a barn stays within its bound, every call is counted, and
 * a producer and a consumer on two threads pass objects through the barn
 * without going to the slabs.  Also run under ThreadSanitizer.
 */
#include <pthread.h>
#include <stdlib.h>
#include "testutil.h"

enum { SIZE = 64 };

static sloba_cache_t *new_cache(const char *name)
{
	sloba_cache_t *s = sloba_cache_create(name, SIZE, 0, 0, NULL);

	assert_non_null(s);
	return s;
}

static void alloc_n(sloba_cache_t *s, void **p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = sloba_cache_alloc(s, 0);
		assert_non_null(p[i]);
		memset(p[i], (int)i, SIZE);
	}
}

/* Free p[from..to), checking each still holds what alloc_n() wrote. */
static void free_range(sloba_cache_t *s, void **p, unsigned int from,
		       unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++) {
		assert_int_equal(((unsigned char *)p[i])[SIZE - 1], (unsigned char)i);
		sloba_cache_free(s, p[i]);
	}
}

/*
 * Main, then the spare, then the barn take what a thread frees beyond its
 * main list, and give it back in the same order, all without a lock.
 */
static void test_spare_and_barn_without_locks(void **state)
{
	sloba_cache_t *s = new_cache("tier-spare");
	struct sloba_cache_info a, b;
	unsigned int batch, k;
	void **p, **q;

	(void)state;
	batch = cache_info(s).batchcount;
	assert_true(batch > 1);
	p = calloc(3 * batch, sizeof(*p));
	q = calloc(3 * batch, sizeof(*q));
	assert_true(p && q);

	/* Three batches' worth; k more objects rest on main. */
	alloc_n(s, p, 3 * batch);
	a = cache_info(s);
	k = (unsigned int)a.free_cached;
	assert_true(k < batch);
	assert_int_equal(a.stats.flush_spare, 0);
	/* Freeing fills main, then makes it the spare, then... */
	free_range(s, p, 0, batch - k);
	assert_int_equal(cache_info(s).stats.flush_spare, 0);
	free_range(s, p, batch - k, 2 * batch - k);
	assert_int_equal(cache_info(s).stats.flush_spare, 1);
	/* ...sends the spare to the barn. */
	free_range(s, p, 2 * batch - k, 3 * batch - k);
	a = cache_info(s);
	assert_int_equal(a.stats.flush_spare, 2);
	assert_int_equal(a.stats.flush_barn, 1);
	assert_int_equal(a.stats.flush_slabs, 0);
	assert_int_equal(a.free_cached, 3 * batch);

	/* Allocating takes main, then the spare, then the barn's chain. */
	alloc_n(s, q, 3 * batch);
	b = cache_info(s);
	assert_int_equal(b.stats.refill_spare - a.stats.refill_spare, 1);
	assert_int_equal(b.stats.refill_barn - a.stats.refill_barn, 1);
	assert_int_equal(b.stats.refill_slabs, a.stats.refill_slabs);
	assert_int_equal(b.stats.lock_acquisitions, a.stats.lock_acquisitions);
	free_range(s, q, 0, 3 * batch);
	b = cache_info(s);
	assert_int_equal(b.stats.lock_acquisitions, a.stats.lock_acquisitions);
	assert_int_equal(b.stats.slabs_allocated, a.stats.slabs_allocated);
	free_range(s, p, 3 * batch - k, 3 * batch);

	assert_int_equal(sloba_cache_shrink(s), 0);
	assert_int_equal(cache_info(s).num_slabs, 0);
	assert_int_equal(sloba_cache_destroy(s), 0);
	free(p);
	free(q);
}

/* Every allocation and free is counted once, fast or slow. */
static void test_every_call_counted(void **state)
{
	sloba_cache_t *s = new_cache("tier-count");
	unsigned long allocs = 0, frees = 0;
	struct sloba_cache_info info;
	void *p[500];
	unsigned int i, n = 0;

	(void)state;
	srand(7);
	for (i = 0; i < 20000; i++) {
		if (n < 500 && (n == 0 || rand() % 3)) {
			p[n] = sloba_cache_alloc(s, 0);
			assert_non_null(p[n]);
			n++;
			allocs++;
		} else {
			unsigned int k = (unsigned int)rand() % n;

			sloba_cache_free(s, p[k]);
			p[k] = p[--n];
			frees++;
		}
	}
	info = cache_info(s);
	assert_int_equal(info.stats.alloc_fast + info.stats.alloc_slow, allocs);
	assert_int_equal(info.stats.free_fast + info.stats.free_slow, frees);
	assert_true(info.stats.alloc_fast > info.stats.alloc_slow);
	assert_int_equal(info.active_objs - info.free_cached, n);
	while (n)
		sloba_cache_free(s, p[--n]);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/* sharedavail counts the objects resting in the barn, as SLAB's arrays. */
static void test_slabinfo_sharedavail(void **state)
{
	sloba_cache_t *s = new_cache("tier-sharedavail");
	unsigned int batch, shared, avail, i;
	char buf[65536], *line;
	void **p;

	(void)state;
	assert_non_null(s);
	batch = cache_info(s).batchcount;
	p = calloc(3 * batch, sizeof(*p));
	assert_non_null(p);
	/*
	 * Freed, three batches fill main, then the spare, then send the
	 * spare to the barn (once or twice: what main held before counts).
	 */
	for (i = 0; i < 3 * batch; i++)
		assert_non_null(p[i] = sloba_cache_alloc(s, 0));
	for (i = 0; i < 3 * batch; i++)
		sloba_cache_free(s, p[i]);
	assert_true(cache_info(s).stats.flush_barn >= 1);
	assert_int_equal(cache_info(s).stats.refill_barn, 0);
	slabinfo_text(buf, sizeof(buf));
	line = strstr(buf, "\ntier-sharedavail ");
	assert_non_null(line);
	assert_int_equal(sscanf(line + 1, "%*s %*u %*u %*u %*u %*u : tunables"
				" %*u %*u %u : slabdata %*u %*u %u", &shared,
				&avail), 2);
	assert_int_equal(shared, cache_info(s).barn_limit);
	assert_int_equal(avail, batch * cache_info(s).stats.flush_barn);
	free(p);
	assert_int_equal(sloba_cache_destroy(s), 0);
}

/* However much a thread frees, the barn keeps at most its bound. */
static void test_barn_bounded(void **state)
{
	sloba_cache_t *s = new_cache("tier-bound");
	struct sloba_cache_info info;
	unsigned int batch, n;
	void **p;

	(void)state;
	info = cache_info(s);
	batch = info.batchcount;
	n = (info.barn_max + 10) * batch;
	p = calloc(n, sizeof(*p));
	assert_non_null(p);
	alloc_n(s, p, n);
	free_range(s, p, 0, n);
	info = cache_info(s);
	assert_true(info.stats.flush_slabs > 0);
	assert_true(info.free_cached <= (unsigned long)(info.barn_max + 2) * batch);
	assert_int_equal(info.active_objs, info.free_cached);
	assert_int_equal(sloba_cache_shrink(s), 0);
	assert_int_equal(cache_info(s).active_objs, 0);
	assert_int_equal(sloba_cache_destroy(s), 0);
	free(p);
}

/*
 * One thread allocates, another frees, through a ring: the objects go
 * around through the barn, so the node lock and the page allocator are
 * only visited while the first objects are made.
 */
enum { RING = 256, PAIRS = 200000 };

static struct {
	_Alignas(64) unsigned long head;
	_Alignas(64) unsigned long tail;
	_Alignas(64) void *slot[RING];
	sloba_cache_t *cache;
	unsigned long errors;
} ring;

static void *producer(void *arg)
{
	unsigned long i, tail = 0;

	(void)arg;
	for (i = 0; i < PAIRS; i++) {
		unsigned long *p = sloba_cache_alloc(ring.cache, 0);

		if (!p) {
			ring.errors++;
			break;
		}
		p[0] = i;
		while (tail - __atomic_load_n(&ring.head, __ATOMIC_ACQUIRE) == RING)
			sched_yield();
		ring.slot[tail % RING] = p;
		__atomic_store_n(&ring.tail, ++tail, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned long i, head = 0;

	(void)arg;
	for (i = 0; i < PAIRS; i++) {
		unsigned long *p;

		while (__atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE) == head)
			sched_yield();
		p = ring.slot[head % RING];
		if (p[0] != i)
			ring.errors++;
		sloba_cache_free(ring.cache, p);
		__atomic_store_n(&ring.head, ++head, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_producer_consumer_through_barn(void **state)
{
	struct sloba_cache_info info;
	pthread_t t[2];

	(void)state;
	ring.cache = new_cache("tier-prodcons");
	assert_int_equal(pthread_create(&t[0], NULL, consumer, NULL), 0);
	assert_int_equal(pthread_create(&t[1], NULL, producer, NULL), 0);
	pthread_join(t[1], NULL);
	pthread_join(t[0], NULL);
	assert_int_equal(ring.errors, 0);
	info = cache_info(ring.cache);
	/* The bounds: 20 lock trips and 1 page call per 1000 pairs. */
	assert_true(info.stats.lock_acquisitions * 1000 / PAIRS <= 20);
	assert_true((info.stats.slabs_allocated + info.stats.slabs_freed) *
		    1000 / PAIRS <= 1);
	assert_true(info.stats.refill_barn > PAIRS / info.batchcount / 2);
	assert_int_equal(info.stats.alloc_fast + info.stats.alloc_slow, PAIRS);
	assert_int_equal(sloba_cache_destroy(ring.cache), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spare_and_barn_without_locks),
		cmocka_unit_test(test_every_call_counted),
		cmocka_unit_test(test_barn_bounded),
		cmocka_unit_test(test_slabinfo_sharedavail),
		cmocka_unit_test(test_producer_consumer_through_barn),
	};

	return cmocka_run_group_tests_name("tier", tests, NULL, NULL);
}
