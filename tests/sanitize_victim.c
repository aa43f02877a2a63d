// SPDX-License-Identifier: GPL-2.0-only
/*
 * sanitize_victim.c - one misuse of a sloba object per run, for
 * tests/test_sanitize.sh to check that ASan and Valgrind report it, with
 * sloba's call stacks: `sanitize_victim MODE` where MODE is
 *   clean           a workload with no misuse (no report may appear)
 *   uaf             read a kmalloc object after kfree
 *   cache-uaf       write an object cache's object after free
 *   overflow        write one byte past a kmalloc(100) object
 *   cache-overflow  read past an object of a cache
 *   large-overflow  write past a large (page block) kmalloc
 *   double-free     kfree the same object twice
 * Each misuse happens in a function of its own name (victim_uaf, ...), so
 * the checker can find it in the reported stacks.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libsloba.h"

/* Keep the compiler from proving the misuse away. */
static void *volatile sink;

static __attribute__((noinline)) char *victim_alloc(size_t n)
{
	char *p = sloba_kmalloc(n, 0);

	memset(p, 1, n);
	return p;
}

static __attribute__((noinline)) void victim_release(void *p)
{
	sloba_kfree(p);
}

static __attribute__((noinline)) int victim_uaf(void)
{
	char *p = victim_alloc(100);

	victim_release(p);
	sink = p;
	return ((volatile char *)sink)[10];
}

static __attribute__((noinline)) int victim_cache_uaf(void)
{
	sloba_cache_t *s = sloba_cache_create("victim", 72, 0, 0, NULL);
	char *p = sloba_cache_alloc(s, 0);

	sloba_cache_free(s, p);
	sink = p;
	((volatile char *)sink)[8] = 1;
	return 0;
}

static __attribute__((noinline)) int victim_overflow(void)
{
	char *p = victim_alloc(100);	/* in the 112-byte class */

	sink = p;
	((volatile char *)sink)[100] = 1;
	return 0;
}

static __attribute__((noinline)) int victim_cache_overflow(void)
{
	sloba_cache_t *s = sloba_cache_create("victim", 40, 0,
					      SLOBA_HWCACHE_ALIGN, NULL);
	char *p = sloba_cache_alloc(s, 0);	/* stride 64 */

	sink = p;
	return ((volatile char *)sink)[41];
}

static __attribute__((noinline)) int victim_large_overflow(void)
{
	char *p = victim_alloc(5000);	/* an 8 KiB page block */

	sink = p;
	((volatile char *)sink)[5000] = 1;
	return 0;
}

static __attribute__((noinline)) int victim_double_free(void)
{
	char *p = victim_alloc(100);

	victim_release(p);
	victim_release(p);
	return sloba_report_count() == 1 ? 0 : 1;
}

static void ctor(void *p)
{
	memset(p, 7, 40);
}

static void *clean_thread(void *arg)
{
	void *p[300];
	size_t i;

	(void)arg;
	for (i = 0; i < 300; i++) {
		p[i] = sloba_kmalloc(1 + i * 37 % 9000, i % 2 ? SLOBA_GFP_ZERO : 0);
		memset(p[i], 3, 1 + i * 37 % 9000);
	}
	for (i = 0; i < 300; i++)
		sloba_kfree(p[i]);
	return NULL;
}

/* Everything a correct program does: nothing may be reported. */
static int clean(void)
{
	sloba_cache_t *a = sloba_cache_create("clean-ctor", 40, 0, 0, ctor);
	sloba_cache_t *b = sloba_cache_create("clean", 24, 0, SLOBA_HWCACHE_ALIGN, NULL);
	void *bulk[50], *p[2000];
	pthread_t t[2];
	unsigned char *r;
	size_t i, n;
	int bad = 0;

	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, clean_thread, NULL);
	for (i = 0; i < 2000; i++) {
		n = 1 + i * 13 % 5000;
		p[i] = sloba_kmalloc(n, 0);
		memset(p[i], (int)i, n);
	}
	for (i = 0; i < 2000; i += 2)
		sloba_kfree(p[i]);
	for (i = 0; i < 2000; i += 2) {
		p[i] = sloba_kzalloc(1 + i % 300, 0);
		bad |= ((char *)p[i])[i % 300] != 0;
	}
	for (i = 0; i < 2000; i++)
		sloba_kfree(p[i]);
	for (i = 0; i < 500; i++) {
		char *o = sloba_cache_alloc(a, 0);

		bad |= o[39] != 7;
		sloba_cache_free(a, o);
		o = sloba_cache_alloc(b, SLOBA_GFP_ZERO);
		bad |= o[23] != 0;
		sloba_cache_free(b, o);
	}
	if (sloba_cache_alloc_bulk(b, 0, 50, bulk) != 50)
		bad = 1;
	for (i = 0; i < 50; i++)
		memset(bulk[i], 9, 24);
	sloba_cache_free_bulk(b, 50, bulk);
	r = sloba_kmalloc(10, 0);
	memcpy(r, "0123456789", 10);
	for (n = 20; n < 20000; n = n * 3 / 2) {
		r = sloba_krealloc(r, n, 0);
		bad |= memcmp(r, "0123456789", 10) != 0;
		memset(r + 10, 5, n - 10);
	}
	memset(r, 0, sloba_ksize(r));
	sloba_kfree(r);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	bad |= sloba_cache_destroy(a) != 0;
	bad |= sloba_cache_destroy(b) != 0;
	sloba_shrink_all();
	sloba_trim();
	bad |= sloba_report_count() != 0;
	puts(bad ? "clean: wrong results" : "clean: ok");
	return bad;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} modes[] = {
		{ "clean", clean },
		{ "uaf", victim_uaf },
		{ "cache-uaf", victim_cache_uaf },
		{ "overflow", victim_overflow },
		{ "cache-overflow", victim_cache_overflow },
		{ "large-overflow", victim_large_overflow },
		{ "double-free", victim_double_free },
	};
	size_t i;

	for (i = 0; argc == 2 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].fn();
	fprintf(stderr, "usage: %s clean|uaf|cache-uaf|overflow|cache-overflow|large-overflow|double-free\n",
		argv[0]);
	return 2;
}
