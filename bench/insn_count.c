// SPDX-License-Identifier: GPL-2.0-only
/*
 * insn_count.c - counts the instructions of SLOBA's fast path under
 * callgrind: N alloc+free pairs of a cache object and of a 64-byte
 * kmalloc, after a warm-up, each loop in its own function so callgrind can
 * count it alone (bench/count-insns.sh runs it and divides by N).  An empty
 * loop of the same shape is counted too, to subtract the loop's own cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include "libsloba.h"

#define N 100000

__attribute__((noinline)) void loop_empty(void **slot)
{
	for (int i = 0; i < N; i++) {
		*slot = slot;
		__asm__ volatile("" : : "r"(*slot) : "memory");
	}
}

__attribute__((noinline)) void loop_cache(sloba_cache_t *s, void **slot)
{
	for (int i = 0; i < N; i++) {
		*slot = sloba_cache_alloc(s, 0);
		__asm__ volatile("" : : "r"(*slot) : "memory");
		sloba_cache_free(s, *slot);
	}
}

__attribute__((noinline)) void loop_kmalloc(void **slot)
{
	for (int i = 0; i < N; i++) {
		*slot = sloba_kmalloc(64, 0);
		__asm__ volatile("" : : "r"(*slot) : "memory");
		sloba_kfree(*slot);
	}
}

int main(void)
{
	sloba_cache_t *s = sloba_cache_create("insn", 64, 0, 0, NULL);
	void *slot;

	if (!s)
		return 1;
	/* Warm up: the per-thread freelists get set up and filled. */
	sloba_cache_free(s, sloba_cache_alloc(s, 0));
	sloba_kfree(sloba_kmalloc(64, 0));
	loop_empty(&slot);
	loop_cache(s, &slot);
	loop_kmalloc(&slot);
	printf("%d pairs per loop\n", N);
	return sloba_cache_destroy(s);
}
