// SPDX-License-Identifier: GPL-2.0-only
/*
 * malloc_workloads.c - synthetic allocation workloads of the kinds
 * allocator papers use, calling plain malloc()/free(), so that
 * bench/run-malloc-bench.py can measure any allocator through LD_PRELOAD:
 *
 *   xthreads   4 threads, each allocating small objects that the next
 *              thread frees (cross-thread frees, as in "xmalloc-test")
 *   prodcons   a producer thread allocates messages of mixed sizes, a
 *              consumer reads and frees them, through a bounded queue
 *   churn      one thread keeps 20,000 live objects of random sizes
 *              (8 B to 2 KiB, small ones most likely) and replaces them
 *              at random (size-class churn, as in "cfrac"/"espresso")
 *   large      64 KiB to 8 MiB buffers, written, kept a while, freed
 *
 * Usage: malloc_workloads NAME [SCALE]; prints a checksum so the work
 * cannot be optimised away, and exits non-zero if a check fails.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long scale = 1;

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A size from 8 bytes to max, small ones far more likely. */
static size_t small_size(uint64_t *s, size_t max)
{
	uint64_t r = next_rand(s);
	size_t limit = (size_t)8 << (r % 9);	/* 8 .. 2048 */

	limit = limit < max ? limit : max;
	return 8 + (r >> 8) % limit;
}

/* ------------------------------------------------------------------
 * Queues between threads: a ring of pointers under a mutex.
 */
#define RING 4096

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	void *slot[RING];
	unsigned int head, n;
	int done;
};

static void ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->more, NULL);
	pthread_cond_init(&r->room, NULL);
}

/* Put up to n pointers; blocks while full. */
static void ring_put(struct ring *r, void **p, unsigned int n)
{
	unsigned int i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < n; i++) {
		while (r->n == RING)
			pthread_cond_wait(&r->room, &r->lock);
		r->slot[(r->head + r->n++) % RING] = p[i];
	}
	pthread_cond_signal(&r->more);
	pthread_mutex_unlock(&r->lock);
}

/* Take up to max pointers; 0 when the ring is closed and empty. */
static unsigned int ring_take(struct ring *r, void **p, unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&r->lock);
	while (!r->n && !r->done)
		pthread_cond_wait(&r->more, &r->lock);
	while (r->n && n < max) {
		p[n++] = r->slot[r->head];
		r->head = (r->head + 1) % RING;
		r->n--;
	}
	pthread_cond_signal(&r->room);
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void ring_close(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->done = 1;
	pthread_cond_broadcast(&r->more);
	pthread_mutex_unlock(&r->lock);
}

/* ------------------------------------------------------------------
 * xthreads: thread i allocates, thread i + 1 frees
 */
#define XTHREADS 4

struct xthread {
	struct ring in;		/* what the previous thread allocated */
	struct xthread *next;
	uint64_t seed, sum;
	pthread_t tid;
};

static void *xthread_main(void *arg)
{
	struct xthread *t = arg;
	unsigned long rounds = 8000 * scale, i;
	void *batch[64];
	unsigned int j, n;

	for (i = 0; i < rounds; i++) {
		for (j = 0; j < 64; j++) {
			size_t size = small_size(&t->seed, 512);
			unsigned char *p = malloc(size);

			p[0] = (unsigned char)size;
			p[size - 1] = 1;
			batch[j] = p;
		}
		ring_put(&t->next->in, batch, 64);
		n = ring_take(&t->in, batch, 64);
		for (j = 0; j < n; j++) {
			t->sum += ((unsigned char *)batch[j])[0];
			free(batch[j]);
		}
	}
	return NULL;
}

static int xthreads(void)
{
	static struct xthread t[XTHREADS];
	void *left[64];
	uint64_t sum = 0;
	unsigned int i, n;

	for (i = 0; i < XTHREADS; i++) {
		ring_init(&t[i].in);
		t[i].next = &t[(i + 1) % XTHREADS];
		t[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1);
	}
	for (i = 0; i < XTHREADS; i++)
		pthread_create(&t[i].tid, NULL, xthread_main, &t[i]);
	for (i = 0; i < XTHREADS; i++)
		pthread_join(t[i].tid, NULL);
	for (i = 0; i < XTHREADS; i++) {
		ring_close(&t[i].in);
		while ((n = ring_take(&t[i].in, left, 64)))
			while (n--)
				free(left[n]);
		sum += t[i].sum;
	}
	printf("xthreads %llu\n", (unsigned long long)sum);
	return 0;
}

/* ------------------------------------------------------------------
 * prodcons: one producer, one consumer
 */
static struct ring pc_ring;

static void *producer(void *arg)
{
	uint64_t seed = 42;
	unsigned long n = 1500000 * scale, i;
	void *batch[32];
	unsigned int j = 0;

	(void)arg;
	for (i = 0; i < n; i++) {
		size_t size = small_size(&seed, 4096);
		char *p = malloc(size);

		memset(p, (int)(i & 0x7f), size < 64 ? size : 64);
		*(size_t *)p = size;
		batch[j++] = p;
		if (j == 32) {
			ring_put(&pc_ring, batch, j);
			j = 0;
		}
	}
	ring_put(&pc_ring, batch, j);
	ring_close(&pc_ring);
	return NULL;
}

static int prodcons(void)
{
	pthread_t t;
	void *batch[32];
	unsigned int n;
	uint64_t sum = 0;

	ring_init(&pc_ring);
	pthread_create(&t, NULL, producer, NULL);
	while ((n = ring_take(&pc_ring, batch, 32))) {
		while (n--) {
			sum += *(size_t *)batch[n];
			free(batch[n]);
		}
	}
	pthread_join(t, NULL);
	printf("prodcons %llu\n", (unsigned long long)sum);
	return 0;
}

/* ------------------------------------------------------------------
 * churn: a working set of random sizes, replaced at random
 */
static int churn(void)
{
	enum { LIVE = 20000 };
	static unsigned char *p[LIVE];
	static size_t size[LIVE];
	unsigned long rounds = 3000000 * scale, i;
	uint64_t seed = 7, sum = 0;

	for (i = 0; i < rounds; i++) {
		size_t k = next_rand(&seed) % LIVE;

		if (p[k]) {
			if (p[k][size[k] - 1] != (unsigned char)size[k]) {
				fprintf(stderr, "churn: object corrupted\n");
				return 1;
			}
			sum += p[k][0];
			if (i % 8 == 0) {
				/* grow or shrink some in place, as programs do */
				size[k] = small_size(&seed, 2048);
				p[k] = realloc(p[k], size[k]);
				p[k][size[k] - 1] = (unsigned char)size[k];
				continue;
			}
			free(p[k]);
		}
		size[k] = small_size(&seed, 2048);
		p[k] = malloc(size[k]);
		p[k][0] = (unsigned char)i;
		p[k][size[k] - 1] = (unsigned char)size[k];
	}
	for (i = 0; i < LIVE; i++)
		free(p[i]);
	printf("churn %llu\n", (unsigned long long)sum);
	return 0;
}

/* ------------------------------------------------------------------
 * large: big buffers with a short life
 */
static int large(void)
{
	enum { KEEP = 8 };
	unsigned char *keep[KEEP] = { NULL };
	unsigned long rounds = 3000 * scale, i;
	uint64_t seed = 99, sum = 0;

	for (i = 0; i < rounds; i++) {
		size_t k = i % KEEP;
		size_t size = (size_t)64 << 10 << next_rand(&seed) % 8;

		size += next_rand(&seed) % 4096;
		free(keep[k]);
		keep[k] = malloc(size);
		/* touch a page in eight, as a program filling a buffer might */
		for (size_t off = 0; off < size; off += 8 * 4096)
			keep[k][off] = (unsigned char)i;
		sum += keep[k][0];
	}
	for (i = 0; i < KEEP; i++)
		free(keep[i]);
	printf("large %llu\n", (unsigned long long)sum);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s xthreads|prodcons|churn|large [SCALE]\n",
			argv[0]);
		return 2;
	}
	if (argc == 3)
		scale = strtoul(argv[2], NULL, 10);
	if (!scale)
		scale = 1;
	if (!strcmp(argv[1], "xthreads"))
		return xthreads();
	if (!strcmp(argv[1], "prodcons"))
		return prodcons();
	if (!strcmp(argv[1], "churn"))
		return churn();
	if (!strcmp(argv[1], "large"))
		return large();
	fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[1]);
	return 2;
}
