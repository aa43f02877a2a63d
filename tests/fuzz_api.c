// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_api.c - a differential fuzzer (libFuzzer) for libsloba's API.
 *
 * Each input is a program: its first bytes choose up to four object caches
 * (size, alignment, constructor, SLAB_TYPESAFE_BY_RCU, HWCACHE_ALIGN), the
 * rest is a list of operations on 64 slots -- kmalloc, kzalloc, kcalloc,
 * krealloc, kfree, cache alloc/zalloc/free, bulk alloc and free, shrink,
 * trim, ksize, and a second thread that frees some slots and allocates
 * and frees on its own.  A reference model (slots with the size asked for
 * and the byte each object was filled with) predicts what must hold: every
 * object's bytes are what was written into it until it is freed, zeroing
 * calls return zeros, constructed objects come back built, ksize covers the
 * request, alignment is honoured, no two live objects overlap, bulk calls
 * fill every slot, and at the end of the input every object freed and every
 * cache destroyed leave no report and no cache busy.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined against the "fuzz"
 * variant of libsloba, whose objects ASan sees (user/sanitize.c): a stray
 * write or a use after free inside the allocator is caught too.  At exit it
 * prints how many operations it ran ("fuzz_api: N operations").
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libsloba.h"

#define SLOTS		64
#define NCACHES		4
#define CTOR_BYTE	0xc7
#define NO_COVERAGE	__attribute__((no_sanitize("coverage")))

struct slot {
	unsigned char *p;
	size_t size;		/* bytes asked for */
	int cache;		/* -1: kmalloc */
	unsigned char fill;
};

struct model {
	sloba_cache_t *cache[NCACHES];
	size_t size[NCACHES];
	size_t align[NCACHES];
	int ctor[NCACHES];
	struct slot slot[SLOTS];
};

static unsigned long long operations;

static void ctor(void *p)
{
	/* Every cache's object is at least 8 bytes; the ctor builds 8. */
	memset(p, CTOR_BYTE, 8);
}

static void die(const char *what, const void *p)
{
	fprintf(stderr, "fuzz_api: %s (%p)\n", what, p);
	abort();
}

/* A tiny reader over the input. */
struct input {
	const uint8_t *d;
	size_t n, at;
};

static unsigned int take(struct input *in)
{
	return in->at < in->n ? in->d[in->at++] : 0;
}

static size_t take_size(struct input *in)
{
	unsigned int k = take(in);

	switch (k >> 6) {
	case 0:
		return k & 63;				/* 0..63 */
	case 1:
		return 64 + (k & 63) * 16 + take(in);	/* to ~1.3 KiB */
	case 2:
		return 1 + ((k & 63) << 8 | take(in));	/* to 16 KiB */
	default:
		return (size_t)(1 + (k & 15)) << (12 + (k >> 4 & 1)); /* pages */
	}
}

/*
 * Whether @n bytes at @p all hold @v: ASan checks the reads, but coverage
 * is not traced here (it would be most of the fuzzer's time).
 */
static NO_COVERAGE bool all_bytes(const unsigned char *p, size_t n,
				  unsigned char v)
{
	uint64_t word = 0x0101010101010101ULL * v, w;
	size_t i = 0;

	for (; i < n && ((uintptr_t)(p + i) & 7); i++)
		if (p[i] != v)
			return false;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w != word)
			return false;
	}
	for (; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void check_contents(const struct slot *s)
{
	if (s->p && !all_bytes(s->p, s->size, s->fill))
		die("object contents changed", s->p);
}

/* A new object must not overlap a live one, and must be aligned. */
static NO_COVERAGE void check_new(struct model *m, int idx,
				  const unsigned char *p,
		      size_t size, size_t align)
{
	int i;

	if ((uintptr_t)p % align)
		die("misaligned object", p);
	for (i = 0; i < SLOTS; i++) {
		const struct slot *o = &m->slot[i];

		if (i == idx || !o->p || o->p == (void *)SLOBA_ZERO_SIZE_PTR)
			continue;
		if (p < o->p + (o->size ? o->size : 1) &&
		    o->p < p + (size ? size : 1))
			die("objects overlap", p);
	}
}

static void release(struct model *m, struct slot *s)
{
	if (!s->p)
		return;
	check_contents(s);
	if (s->cache < 0)
		sloba_kfree(s->p);
	else
		sloba_cache_free(m->cache[s->cache], s->p);
	s->p = NULL;
}

static void fill(struct slot *s, unsigned char v)
{
	s->fill = v;
	if (s->p != (void *)SLOBA_ZERO_SIZE_PTR)
		memset(s->p, v, s->size);
}

static void kmalloc_into(struct model *m, int idx, size_t size, int how,
			 unsigned char v)
{
	struct slot *s = &m->slot[idx];
	unsigned char *p;

	release(m, s);
	if (how == 0)
		p = sloba_kmalloc(size, 0);
	else if (how == 1)
		p = sloba_kzalloc(size, 0);
	else
		p = sloba_kcalloc(size ? 1 + size % 7 : 0, size / 7 + 1, 0);
	if (how == 2)
		size = size ? (1 + size % 7) * (size / 7 + 1) : 0;
	if (!p)
		die("kmalloc failed", NULL);
	if (!size && p != (void *)SLOBA_ZERO_SIZE_PTR)
		die("kmalloc(0) is not ZERO_SIZE_PTR", p);
	if (size) {
		check_new(m, idx, p, size, size >= 8 ? 8 : 1);
		if (how && !all_bytes(p, size, 0))
			die("zeroing allocation is not zero", p);
	}
	*s = (struct slot){ p, size, -1, 0 };
	fill(s, v);
}

static void cache_into(struct model *m, int idx, int c, bool zero,
		       unsigned char v)
{
	struct slot *s = &m->slot[idx];
	unsigned char *p;

	release(m, s);
	zero = zero && !m->ctor[c];	/* zeroing would unbuild the object */
	p = zero ? sloba_cache_zalloc(m->cache[c], 0) :
		   sloba_cache_alloc(m->cache[c], 0);
	if (!p)
		die("cache alloc failed", NULL);
	check_new(m, idx, p, m->size[c], m->align[c]);
	if (zero && !all_bytes(p, m->size[c], 0))
		die("zalloc is not zero", p);
	if (!zero && m->ctor[c] && !all_bytes(p, 8, CTOR_BYTE))
		die("constructed object not built", p);
	*s = (struct slot){ p, m->size[c], c, 0 };
	/* A constructed object goes back built, so keep its first 8 bytes. */
	fill(s, m->ctor[c] ? CTOR_BYTE : v);
}

static void krealloc_slot(struct model *m, int idx, size_t size,
			  unsigned char v)
{
	struct slot *s = &m->slot[idx];
	unsigned char *p;
	size_t keep;

	if (!s->p || s->cache >= 0) {
		kmalloc_into(m, idx, size, 0, v);
		return;
	}
	check_contents(s);
	p = sloba_krealloc(s->p, size, 0);
	if (!p)
		die("krealloc failed", NULL);
	if (!size) {
		if (p != (void *)SLOBA_ZERO_SIZE_PTR)
			die("krealloc(p, 0) is not ZERO_SIZE_PTR", p);
		s->p = NULL;
		return;
	}
	keep = s->size < size ? s->size : size;
	s->p = NULL;		/* the old object is gone; check the new one */
	check_new(m, idx, p, size, 1);
	*s = (struct slot){ p, keep, -1, s->fill };
	check_contents(s);
	s->size = size;
	fill(s, v);
}

/* A second thread: frees the slots it was given, churns on its own. */
struct helper {
	struct model *m;
	int first, count;
	size_t size;
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	void *own[16];
	int i;

	for (i = 0; i < h->count; i++)
		release(h->m, &h->m->slot[(h->first + i) % SLOTS]);
	for (i = 0; i < 16; i++) {
		own[i] = sloba_kmalloc(h->size + (size_t)i, 0);
		if (!own[i])
			die("helper kmalloc failed", NULL);
		memset(own[i], i, h->size + (size_t)i);
	}
	for (i = 0; i < 16; i++)
		sloba_kfree(own[i]);
	return NULL;
}

static void bulk(struct model *m, int c, int first, int count,
		 unsigned char v)
{
	void *objs[SLOTS];
	int i;

	for (i = 0; i < count; i++)
		release(m, &m->slot[(first + i) % SLOTS]);
	if (sloba_cache_alloc_bulk(m->cache[c], 0, (size_t)count, objs) != count)
		die("bulk allocation failed", NULL);
	for (i = 0; i < count; i++) {
		int idx = (first + i) % SLOTS;

		check_new(m, idx, objs[i], m->size[c], m->align[c]);
		m->slot[idx] = (struct slot){ objs[i], m->size[c], c, 0 };
		fill(&m->slot[idx], m->ctor[c] ? CTOR_BYTE : v);
	}
}

static void free_bulk(struct model *m, int c, int first, int count)
{
	void *objs[SLOTS];
	int i, n = 0;

	for (i = 0; i < count; i++) {
		struct slot *s = &m->slot[(first + i) % SLOTS];

		if (s->p && s->cache == c) {
			check_contents(s);
			objs[n++] = s->p;
			s->p = NULL;
		}
	}
	/* With no cache named, the objects are freed as by kfree. */
	sloba_cache_free_bulk(count & 1 ? NULL : m->cache[c], (size_t)n, objs);
}

static void setup_caches(struct model *m, struct input *in)
{
	int c;

	for (c = 0; c < NCACHES; c++) {
		unsigned int k = take(in), a = take(in);
		unsigned int flags = 0;

		m->size[c] = 8 + (take_size(in) % 3000);
		m->align[c] = a & 1 ? (size_t)8 << (a >> 1 & 7) : 8;
		if (m->align[c] > 4096)
			m->align[c] = 4096;
		m->ctor[c] = k & 1;
		if (k & 2)
			flags |= SLOBA_HWCACHE_ALIGN;
		if ((k & 0x1c) == 0x1c)
			flags |= SLOBA_TYPESAFE_BY_RCU;	/* rare: slow to destroy */
		m->cache[c] = sloba_cache_create("fuzz", m->size[c],
						 a & 1 ? m->align[c] : 0, flags,
						 m->ctor[c] ? ctor : NULL);
		if (!m->cache[c])
			die("cache creation failed", NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct input in = { data, size, 0 };
	unsigned long reports = sloba_report_count();
	int c, i;

	memset(&m, 0, sizeof(m));
	setup_caches(&m, &in);
	while (in.at < in.n) {
		unsigned int op = take(&in), idx = take(&in) % SLOTS;
		unsigned char v = (unsigned char)take(&in);

		operations++;
		c = (int)(op >> 4) % NCACHES;
		switch (op & 15) {
		case 0: case 1: case 2:
			kmalloc_into(&m, (int)idx, take_size(&in), (int)(op & 15), v);
			break;
		case 3: case 4:
			cache_into(&m, (int)idx, c, (op & 15) == 4, v);
			break;
		case 5: case 6:
			release(&m, &m.slot[idx]);
			break;
		case 7:
			krealloc_slot(&m, (int)idx, take_size(&in), v);
			break;
		case 8:
			bulk(&m, c, (int)idx, 1 + v % 16, (unsigned char)take(&in));
			break;
		case 9:
			free_bulk(&m, c, (int)idx, 1 + v % 32);
			break;
		case 10:	/* the costly calls, seldom */
			if (v % 8 == 0)
				sloba_cache_shrink(m.cache[c]);
			else if (v == 1)
				sloba_shrink_all();
			break;
		case 11:
			if (v == 0)
				sloba_trim();
			break;
		case 12:
			if (v % 16)
				break;
			{
				struct helper h = { &m, (int)idx, v / 16 % 8,
						    take_size(&in) % 5000 };
				pthread_t t;

				if (pthread_create(&t, NULL, helper_main, &h))
					die("pthread_create failed", NULL);
				pthread_join(t, NULL);
			}
			break;
		default:	/* ksize() covers the request (and opens it all) */
			if (m.slot[idx].p && m.slot[idx].size &&
			    sloba_ksize(m.slot[idx].p) < m.slot[idx].size)
				die("ksize below the request", m.slot[idx].p);
			check_contents(&m.slot[idx]);
			break;
		}
	}
	for (i = 0; i < SLOTS; i++)
		release(&m, &m.slot[i]);
	for (c = 0; c < NCACHES; c++)
		if (sloba_cache_destroy(m.cache[c]))
			die("a cache was still busy at the end", m.cache[c]);
	if (sloba_report_count() != reports)
		die("the allocator reported misuse", NULL);
	return 0;
}

__attribute__((destructor)) static void count(void)
{
	fprintf(stderr, "fuzz_api: %llu operations\n", operations);
}
