// SPDX-License-Identifier: GPL-2.0-only
/*
 * insn_count.c - counts the instructions of an allocator's paths under
 * callgrind (bench/count-insns.sh runs it and divides): N alloc+free pairs
 * of a 64-byte object, and N objects allocated 1000 at a time then freed.
 * Built twice: against libsloba (object cache and kmalloc), and with
 * -DUSE_MALLOC against whatever malloc() the process has, so mimalloc and
 * the others can be counted the same way through LD_PRELOAD.  An empty
 * loop of the same shape measures the loop's own cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include "libsloba.h"

#define N 100000
#define BATCH 1000

#ifdef USE_MALLOC
#define ALLOC64()	malloc(64)
#define FREE(p)		free(p)
#else
#define ALLOC64()	sloba_kmalloc(64, 0)
#define FREE(p)		sloba_kfree(p)
#endif

__attribute__((noinline)) void loop_empty(void **slot)
{
	for (int i = 0; i < N; i++) {
		*slot = slot;
		__asm__ volatile("" : : "r"(*slot) : "memory");
	}
}

__attribute__((noinline)) void loop_pair(void **slot)
{
	for (int i = 0; i < N; i++) {
		*slot = ALLOC64();
		__asm__ volatile("" : : "r"(*slot) : "memory");
		FREE(*slot);
	}
}

__attribute__((noinline)) void loop_batch(void **slots)
{
	for (int r = 0; r < N / BATCH; r++) {
		for (int i = 0; i < BATCH; i++)
			slots[i] = ALLOC64();
		__asm__ volatile("" : : "r"(slots) : "memory");
		for (int i = 0; i < BATCH; i++)
			FREE(slots[i]);
	}
}

#ifndef USE_MALLOC
__attribute__((noinline)) void loop_cache(sloba_cache_t *s, void **slot)
{
	for (int i = 0; i < N; i++) {
		*slot = sloba_cache_alloc(s, 0);
		__asm__ volatile("" : : "r"(*slot) : "memory");
		sloba_cache_free(s, *slot);
	}
}
#endif

int main(void)
{
	static void *slots[BATCH];
	void *slot;

	/* Warm up: per-thread state set up, first pages in place. */
	loop_batch(slots);
	loop_empty(&slot);
	loop_pair(&slot);
	loop_batch(slots);
#ifndef USE_MALLOC
	{
		sloba_cache_t *s = sloba_cache_create("insn", 64, 0, 0, NULL);

		if (!s)
			return 1;
		sloba_cache_free(s, sloba_cache_alloc(s, 0));
		loop_cache(s, &slot);
		if (sloba_cache_destroy(s))
			return 1;
	}
#endif
	printf("%d pairs per loop\n", N);
	return 0;
}
