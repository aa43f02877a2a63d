// SPDX-License-Identifier: GPL-2.0-only
/*
 * fork.c - fork() in a multi-threaded program that allocates.
 *
 * fork() copies one thread; any lock another thread held at that moment
 * stays held for good in the child, whose first allocation then hangs.  So
 * before fork() every lock of libsloba is taken, in its nesting order, and
 * released afterwards on both sides; the child also forgets the threads it
 * did not inherit (threads.c, pages.c say what becomes of their objects
 * and pages).
 *
 * liburcu's call_rcu worker frees slabs of SLAB_TYPESAFE_BY_RCU caches
 * through the page allocator, so it is paused first
 * (urcu_memb_call_rcu_before_fork), before any of our locks is taken, and
 * resumed (parent) or re-created (child) after they are released.  A
 * program that calls liburcu's fork hooks itself must not also rely on
 * these: liburcu's are not meant to be nested.
 *
 * Lock order (outermost first), as everywhere in libsloba:
 *   caches_lock (api.c) > registry_lock (threads.c) > sloba_node::lock
 *   > pcp_registry.lock > pcp::lock > buddy.lock (pages.c);
 *   malloc.c's huge_lock and sanitize.c's san.lock (sanitizer builds) are
 *   leaves, nothing is taken under them, so they come last.
 */
#include <pthread.h>
#include <urcu/urcu-memb.h>
#include "fork.h"

static void prepare(void)
{
	urcu_memb_call_rcu_before_fork();
	sloba_caches_fork_prepare();
	sloba_threads_fork_prepare();
	sloba_caches_fork_lock_all(true);
	sloba_pages_fork_prepare();
	if (sloba_malloc_fork_lock)
		sloba_malloc_fork_lock(true);
	if (sloba_sanitize_fork_lock)
		sloba_sanitize_fork_lock(true);
}

static void parent(void)
{
	if (sloba_sanitize_fork_lock)
		sloba_sanitize_fork_lock(false);
	if (sloba_malloc_fork_lock)
		sloba_malloc_fork_lock(false);
	sloba_pages_fork_parent();
	sloba_caches_fork_lock_all(false);
	sloba_threads_fork_parent();
	sloba_caches_fork_release();
	urcu_memb_call_rcu_after_fork_parent();
}

static void child(void)
{
	if (sloba_sanitize_fork_lock)
		sloba_sanitize_fork_lock(false);
	if (sloba_malloc_fork_lock)
		sloba_malloc_fork_lock(false);
	sloba_pages_fork_child();
	sloba_caches_fork_lock_all(false);
	sloba_threads_fork_child();
	sloba_caches_fork_release();
	urcu_memb_call_rcu_after_fork_child();
}

void sloba_fork_register(void)
{
	pthread_atfork(prepare, parent, child);
}
