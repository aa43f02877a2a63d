/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fork.h - the fork() hooks each part of libsloba provides to fork.c,
 * which calls them in lock order around fork(): *_prepare takes a part's
 * locks, *_parent releases them, *_child releases them in the child and
 * forgets the threads that did not survive the fork.
 */
#ifndef SLOBA_FORK_H
#define SLOBA_FORK_H

#include <stdbool.h>

/* api.c: the list of caches, then (lock_all) every cache's lock. */
void sloba_caches_fork_prepare(void);
void sloba_caches_fork_lock_all(bool lock);
void sloba_caches_fork_release(void);
/* threads.c: the registry of threads. */
void sloba_threads_fork_prepare(void);
void sloba_threads_fork_parent(void);
void sloba_threads_fork_child(void);
/* pages.c: the threads' page lists and the buddy lists. */
void sloba_pages_fork_prepare(void);
void sloba_pages_fork_parent(void);
void sloba_pages_fork_child(void);
/* malloc.c, when linked in: its list of huge mappings. */
void sloba_malloc_fork_lock(bool lock) __attribute__((weak));
/* sanitize.c, in sanitizer builds: the quarantine's lock (a leaf). */
void sloba_sanitize_fork_lock(bool lock) __attribute__((weak));

/* Register the handlers with pthread_atfork() (once, from the constructor). */
void sloba_fork_register(void);

#endif /* SLOBA_FORK_H */
