// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_early.c - the drop-in malloc from the first call of a process:
 * malloc, calloc and realloc from a .preinit_array function (before any
 * constructor, libsloba's included), a failing dlsym() (dlerror allocates
 * its message), a thread (the dynamic linker allocates its TLS),
 * liburcu's call_rcu (which allocates its worker's state and runs a
 * thread), and a bad free, which is reported (by write(2), not stdio)
 * and ignored.
 *
 * Built twice: linked with libsloba-malloc.a, and plain, to be run with
 * LD_PRELOAD=libsloba-malloc.so (user/user.mk does both); in both, the
 * blocks must be sloba's (sloba_ksize, found with dlsym, knows them).
 * Speaks TAP.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

static char *early;
static int early_ok;

static void before_constructors(int argc, char **argv, char **envp)
{
	char *p = malloc(100), *z = calloc(10, 10);
	int i;

	(void)argc;
	(void)argv;
	(void)envp;
	early_ok = p && z;
	for (i = 0; z && i < 100; i++)
		early_ok &= z[i] == 0;
	if (p)
		strcpy(p, "early");
	early = realloc(p, 5000);
	early_ok &= early && !strcmp(early, "early");
	free(z);
}

__attribute__((section(".preinit_array"), used))
static void (*const preinit)(int, char **, char **) = before_constructors;

static int n;

static void check(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n, what);
}

/* sloba_ksize() from whichever libsloba this process has. */
static size_t sloba_size(const void *p)
{
	size_t (*ksize)(const void *) =
		(size_t (*)(const void *))dlsym(RTLD_DEFAULT, "sloba_ksize");

	return ksize ? ksize(p) : 0;
}

static void *thread_main(void *arg)
{
	char *p = malloc(300);

	free(arg);
	return p;
}

struct node {
	struct rcu_head rcu;
	int value;
};

static int freed_by_rcu;

static void free_node(struct rcu_head *head)
{
	free(caa_container_of(head, struct node, rcu));
	__atomic_store_n(&freed_by_rcu, 1, __ATOMIC_RELAXED);
}

int main(void)
{
	pthread_t t;
	struct node *node;
	void *from_thread = NULL;
	size_t reports_before;
	unsigned long (*count)(void) =
		(unsigned long (*)(void))dlsym(RTLD_DEFAULT, "sloba_report_count");
	static char not_heap[32];
	void *volatile stray = not_heap + 8;

	printf("1..6\n");
	check(early_ok && sloba_size(early) >= 5000,
	      "malloc, calloc and realloc before constructors, from sloba");
	free(early);

	check(!dlsym(RTLD_NEXT, "no_such_symbol_anywhere") && dlerror(),
	      "a failing dlsym allocates its error message");

	check(!pthread_create(&t, NULL, thread_main, malloc(50)) &&
	      !pthread_join(t, &from_thread) && sloba_size(from_thread) >= 300,
	      "a thread's TLS and its blocks");
	free(from_thread);

	node = malloc(sizeof(*node));
	node->value = 1;
	urcu_memb_call_rcu(&node->rcu, free_node);
	urcu_memb_barrier();
	check(__atomic_load_n(&freed_by_rcu, __ATOMIC_RELAXED),
	      "liburcu allocates and frees through sloba (call_rcu)");

	reports_before = count ? count() : 0;
	free(stray);
	check(count && count() == reports_before + 1,
	      "free of a stray pointer is reported and ignored");

	check(malloc_trim(0) == 1, "malloc_trim");
	return 0;
}
