// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_threads.c - several threads at once: objects allocated on one
 * thread and freed on another, threads that exit with objects cached, many
 * short-lived threads, and at the end every page back.  Also run under
 * ThreadSanitizer.
 */
#include <pthread.h>
#include <stdlib.h>
#include "testutil.h"

enum { THREADS = 4, ROUNDS = 20000, BOX = 256 };

/* A mailbox that passes objects between threads. */
struct mailbox {
	pthread_mutex_t lock;
	void *obj[BOX];
	size_t size[BOX];
	unsigned int n;
};

static struct mailbox box = { .lock = PTHREAD_MUTEX_INITIALIZER };
static sloba_cache_t *shared_cache;

static bool box_put(void *p, size_t size)
{
	bool ok;

	pthread_mutex_lock(&box.lock);
	ok = box.n < BOX;
	if (ok) {
		box.obj[box.n] = p;
		box.size[box.n++] = size;
	}
	pthread_mutex_unlock(&box.lock);
	return ok;
}

static void *box_take(size_t *size)
{
	void *p = NULL;

	pthread_mutex_lock(&box.lock);
	if (box.n) {
		p = box.obj[--box.n];
		*size = box.size[box.n];
	}
	pthread_mutex_unlock(&box.lock);
	return p;
}

/*
 * cmocka's assertions may only fail on the main thread: the others count
 * their problems here and the main thread asserts the count is zero.
 */
static unsigned long thread_errors;

static void thread_error(const char *what, const void *p)
{
	fprintf(stderr, "# thread check failed: %s (%p)\n", what, p);
	__atomic_add_fetch(&thread_errors, 1, __ATOMIC_RELAXED);
}

/* Every byte of an object holds its size's low byte. */
static void fill(void *p, size_t size)
{
	memset(p, (int)(size & 0xff), size);
}

static void check(const void *p, size_t size)
{
	const unsigned char *b = p;
	size_t k;

	for (k = 0; k < size; k++) {
		if (b[k] != (size & 0xff)) {
			thread_error("object corrupted", p);
			return;
		}
	}
}

static void release(void *p, size_t size)
{
	check(p, size);
	if (size == 150)
		sloba_cache_free(shared_cache, p);
	else
		sloba_kfree(p);
}

static void *stress_thread(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	void *local[64];
	size_t local_size[64];
	int i, n = 0;

	for (i = 0; i < ROUNDS; i++) {
		int r = rand_r(&seed);
		size_t size = r % 5 == 0 ? 150 : 1 + (size_t)(r >> 3) % 3000;
		void *p = size == 150 ? sloba_cache_alloc(shared_cache, 0) :
					sloba_kmalloc(size, 0);

		if (!p) {
			thread_error("allocation failed", NULL);
			continue;
		}
		fill(p, size);
		if (r % 2 == 0 && box_put(p, size))
			continue;		/* another thread frees it */
		if (n < 64) {
			local[n] = p;
			local_size[n++] = size;
		} else {
			release(p, size);
		}
		if (r % 3 == 0 && n) {
			n--;
			release(local[n], local_size[n]);
		}
		p = box_take(&size);
		if (p)
			release(p, size);
	}
	while (n--)
		release(local[n], local_size[n]);
	return NULL;
}

static void test_cross_thread_stress(void **state)
{
	pthread_t t[THREADS];
	size_t size;
	void *p;
	int i;

	(void)state;
	shared_cache = sloba_cache_create("shared", 150, 0, 0, NULL);
	assert_non_null(shared_cache);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, stress_thread,
						(void *)(uintptr_t)(i + 1)), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	while ((p = box_take(&size)))
		release(p, size);
	assert_int_equal(thread_errors, 0);
	sloba_cache_shrink(shared_cache);
	/* Every thread exited, so its cached objects went back. */
	assert_int_equal(cache_info(shared_cache).active_objs, 0);
	capture_reports();
	assert_int_equal(sloba_cache_destroy(shared_cache), 0);
	assert_int_equal(reports.count, 0);
	print_reports();
}

static sloba_cache_t *exit_cache;

static void *alloc_free_exit(void *arg)
{
	void *p[100];
	int i;

	(void)arg;
	for (i = 0; i < 100; i++)
		if (!(p[i] = sloba_cache_alloc(exit_cache, 0)))
			thread_error("allocation failed", NULL);
	for (i = 0; i < 100; i++)
		sloba_cache_free(exit_cache, p[i]);
	return NULL;
}

/*
 * A thread that exits gives back what it cached: its own lists go to the
 * slabs; what stays is at most the barn's chains, shared with every thread,
 * which a shrink releases.  Its counters outlive it.
 */
static void test_thread_exit_returns_objects(void **state)
{
	struct sloba_cache_info info;
	pthread_t t;

	(void)state;
	exit_cache = sloba_cache_create("exit", 64, 0, 0, NULL);
	assert_int_equal(pthread_create(&t, NULL, alloc_free_exit, NULL), 0);
	pthread_join(t, NULL);
	info = cache_info(exit_cache);
	assert_int_equal(info.active_objs, info.free_cached);
	assert_int_equal(info.free_cached % info.batchcount, 0);
	assert_int_equal(info.stats.alloc_fast + info.stats.alloc_slow, 100);
	assert_int_equal(info.stats.free_fast + info.stats.free_slow, 100);
	sloba_cache_shrink(exit_cache);
	assert_int_equal(cache_info(exit_cache).active_objs, 0);
	assert_int_equal(sloba_cache_destroy(exit_cache), 0);
}

static void *short_lived(void *arg)
{
	void *p[50];
	int i;

	(void)arg;
	for (i = 0; i < 50; i++)
		p[i] = sloba_kmalloc(16 + (size_t)i * 40, 0);
	for (i = 0; i < 50; i++)
		sloba_kfree(p[i]);
	return NULL;
}

/*
 * Thousands of threads come and go, each exiting with objects on its
 * freelists: all of them come back, so memory does not pile up.
 */
static void test_many_short_threads(void **state)
{
	pthread_t t[2];
	size_t baseline, peak = 0;
	int i, j;

	(void)state;
	sloba_shrink_all();
	baseline = pages_in_use();
	for (i = 0; i < 1000; i++) {
		for (j = 0; j < 2; j++)
			assert_int_equal(pthread_create(&t[j], NULL, short_lived, NULL), 0);
		for (j = 0; j < 2; j++)
			pthread_join(t[j], NULL);
		if (pages_in_use() > peak)
			peak = pages_in_use();
	}
	/* Bounded while it runs: the kept empty slabs, not 1000 threads' worth. */
	fprintf(stderr, "# peak %zu pages above baseline\n", peak - baseline);
	assert_true(peak < baseline + 200);
	sloba_shrink_all();
	assert_int_equal(pages_in_use(), baseline);
}

static sloba_cache_t *handoff_cache;
static void *handoff[5000];

static void *producer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 5000; i++) {
		handoff[i] = sloba_cache_alloc(handoff_cache, 0);
		if (!handoff[i]) {
			thread_error("allocation failed", NULL);
			return NULL;
		}
		memset(handoff[i], 0x3c, 200);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 5000; i++) {
		if (((unsigned char *)handoff[i])[199] != 0x3c)
			thread_error("object corrupted", handoff[i]);
		sloba_cache_free(handoff_cache, handoff[i]);
	}
	return NULL;
}

/* All objects allocated on one thread, all freed on another. */
static void test_alloc_here_free_there(void **state)
{
	pthread_t t;

	(void)state;
	handoff_cache = sloba_cache_create("handoff", 200, 0, 0, NULL);
	assert_int_equal(pthread_create(&t, NULL, producer, NULL), 0);
	pthread_join(t, NULL);
	assert_int_equal(pthread_create(&t, NULL, consumer, NULL), 0);
	pthread_join(t, NULL);
	assert_int_equal(thread_errors, 0);
	sloba_cache_shrink(handoff_cache);
	assert_int_equal(cache_info(handoff_cache).active_objs, 0);
	assert_int_equal(cache_info(handoff_cache).num_slabs, 0);
	assert_int_equal(sloba_cache_destroy(handoff_cache), 0);
}

static void test_everything_returned(void **state)
{
	(void)state;
	sloba_shrink_all();
	assert_int_equal(pages_in_use(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cross_thread_stress),
		cmocka_unit_test(test_thread_exit_returns_objects),
		cmocka_unit_test(test_many_short_threads),
		cmocka_unit_test(test_alloc_here_free_there),
		cmocka_unit_test(test_everything_returned),
	};

	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
