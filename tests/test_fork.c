// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_fork.c - fork() while other threads allocate: four threads allocate
 * and free without pause (kmalloc of every size, an object cache, an RCU
 * cache whose slabs go back through liburcu's call_rcu thread) while the
 * main thread forks again and again; each child allocates and frees 1000
 * objects at once and exits.  Without fork handlers a child inherits a
 * lock some thread held and hangs (alarm() kills it, and the test fails).
 *
 * Built twice: against the libsloba API (also under ThreadSanitizer), and
 * with -DUSE_MALLOC against the drop-in malloc (libsloba-malloc.a), where
 * the threads and the child call malloc() and free().  Also checks that
 * sloba_trim() reaches page lists of threads that are still alive.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"

enum { THREADS = 4, FORKS = 60, CHILD_OBJECTS = 1000 };

static sloba_cache_t *plain, *rcu;
static int stop;

#ifdef USE_MALLOC
#define ALLOC(n)	malloc(n)
#define FREE(p)		free(p)
#else
#define ALLOC(n)	sloba_kmalloc(n, 0)
#define FREE(p)		sloba_kfree(p)
#endif

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	void *keep[32] = { NULL };

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int r = rand_r(&seed), i = r % 32;
		void *p;

		FREE(keep[i]);
		keep[i] = ALLOC(1 + (size_t)(r >> 5) % 20000);
		p = sloba_cache_alloc(r & 1 ? plain : rcu, 0);
		if (p)
			sloba_cache_free(r & 1 ? plain : rcu, p);
	}
	for (int i = 0; i < 32; i++)
		FREE(keep[i]);
	return NULL;
}

/* The child: allocate at once, from every kind of source, then exit. */
static void child(void)
{
	static void *objs[CHILD_OBJECTS];
	int i;

	alarm(10);
	for (i = 0; i < CHILD_OBJECTS; i++) {
		objs[i] = i % 3 ? ALLOC(1 + (size_t)i * 7 % 9000) :
				  sloba_cache_alloc(i % 2 ? plain : rcu, 0);
		if (!objs[i])
			_exit(2);
		memset(objs[i], 0x5a, 8);
	}
	for (i = 0; i < CHILD_OBJECTS; i++) {
		if (i % 3)
			FREE(objs[i]);
		else
			sloba_cache_free(i % 2 ? plain : rcu, objs[i]);
	}
	_exit(0);
}

static void test_fork_while_threads_allocate(void **state)
{
	pthread_t t[THREADS];
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	int i, hung = 0, failed = 0;

	(void)state;
	plain = sloba_cache_create("fork-plain", 200, 0, 0, NULL);
	rcu = sloba_cache_create("fork-rcu", 300, 0, SLOBA_TYPESAFE_BY_RCU, NULL);
	assert_non_null(plain);
	assert_non_null(rcu);
	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker,
						(void *)(uintptr_t)(i + 1)), 0);
	for (i = 0; i < FORKS; i++) {
		int status;
		pid_t pid;

		nanosleep(&pause, NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid)
			child();
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			hung++;
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	if (hung || failed)
		fail_msg("%d of %d children hung, %d failed", hung, FORKS, failed);
	assert_int_equal(sloba_cache_destroy(plain), 0);
	assert_int_equal(sloba_cache_destroy(rcu), 0);
}

/* ------------------------------------------------------------------ */

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static int park_state;	/* 1: worker has freed its pages, 2: may exit */

/* Churn whole slabs so this thread's page lists fill, then wait. */
static void *parked(void *arg)
{
	static void *objs[400];
	int i;

	(void)arg;
	for (i = 0; i < 400; i++)
		objs[i] = sloba_kmalloc(2048, 0);
	for (i = 0; i < 400; i++)
		sloba_kfree(objs[i]);
	sloba_shrink_all();
	pthread_mutex_lock(&park_lock);
	park_state = 1;
	pthread_cond_broadcast(&park_cond);
	while (park_state != 2)
		pthread_cond_wait(&park_cond, &park_lock);
	pthread_mutex_unlock(&park_lock);
	return NULL;
}

/* sloba_trim() from one thread gives back what a live thread caches. */
static void test_trim_reaches_live_threads(void **state)
{
	struct sloba_page_stats st;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, parked, NULL), 0);
	pthread_mutex_lock(&park_lock);
	while (park_state != 1)
		pthread_cond_wait(&park_cond, &park_lock);
	pthread_mutex_unlock(&park_lock);

	sloba_page_stats(&st);
	assert_true(st.resident_free_pages > 0);
	sloba_trim();
	sloba_page_stats(&st);
	assert_int_equal(st.resident_free_pages, 0);

	pthread_mutex_lock(&park_lock);
	park_state = 2;
	pthread_cond_broadcast(&park_cond);
	pthread_mutex_unlock(&park_lock);
	pthread_join(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_while_threads_allocate),
		cmocka_unit_test(test_trim_reaches_live_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
