// SPDX-License-Identifier: GPL-2.0-only
/*
 * prodcons.c - the producer/consumer benchmark: one thread allocates,
 * another frees what it allocated, so every object crosses threads.
 *
 *   fifo   objects pass one at a time through a ring of 1024 slots, first
 *          in, first out;
 *   burst  the producer allocates 1000 objects, then hands them over at
 *          once; the consumer frees them all, and so on.
 *
 * One allocator per process, as bench/user_bench.c: "sloba" calls
 * libsloba's kmalloc, any other name calls malloc() (glibc's, or one given
 * with LD_PRELOAD).  For sloba the kmalloc cache's counters give, per 1000
 * pairs, the node-lock acquisitions, the barn trades and the page-allocator
 * calls (slabs allocated and freed); the other allocators report null
 * there.  Time is ns per pair, best of the repetitions.  One JSON record
 * per line on stdout.
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libsloba.h"

#define RING	1024		/* slots, a power of two */
#define BURST	1000

struct ring {
	_Alignas(64) unsigned long head;	/* next to pop (consumer) */
	_Alignas(64) unsigned long tail;	/* next to push (producer) */
	_Alignas(64) void *slot[RING];
};

struct run {
	struct ring ring;
	bool sloba, burst;
	size_t size;
	long count;
	unsigned long errors;
};

static void *do_alloc(struct run *r)
{
	return r->sloba ? sloba_kmalloc(r->size, 0) : malloc(r->size);
}

static void do_free(struct run *r, void *p)
{
	if (r->sloba)
		sloba_kfree(p);
	else
		free(p);
}

/* Wait politely: the two threads may share a core with others. */
static void wait_a_little(unsigned int *spins)
{
	if (++*spins < 64)
		__builtin_ia32_pause();
	else
		sched_yield();
}

static void *producer(void *arg)
{
	struct run *r = arg;
	struct ring *q = &r->ring;
	unsigned long tail = 0;
	long i;

	for (i = 0; i < r->count; ) {
		unsigned long room, n, k;
		unsigned int spins = 0;

		/* fifo: one at a time; burst: 1000 once there is room. */
		n = r->burst ? BURST : 1;
		if (n > (unsigned long)(r->count - i))
			n = r->count - i;
		for (;;) {
			room = RING - (tail - __atomic_load_n(&q->head,
							      __ATOMIC_ACQUIRE));
			if (room >= n)
				break;
			wait_a_little(&spins);
		}
		for (k = 0; k < n; k++) {
			unsigned long *p = do_alloc(r);

			if (!p) {
				r->errors++;
				return NULL;
			}
			p[0] = (unsigned long)i + k;
			q->slot[(tail + k) & (RING - 1)] = p;
		}
		tail += n;
		i += n;
		__atomic_store_n(&q->tail, tail, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	struct ring *q = &r->ring;
	unsigned long head = 0, tail;
	long i = 0;

	while (i < r->count) {
		unsigned int spins = 0;

		while ((tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE)) == head)
			wait_a_little(&spins);
		for (; head != tail; head++, i++) {
			unsigned long *p = q->slot[head & (RING - 1)];

			if (p[0] != (unsigned long)i)
				r->errors++;
			do_free(r, p);
		}
		__atomic_store_n(&q->head, head, __ATOMIC_RELEASE);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double run_once(struct run *r)
{
	pthread_t p, c;
	double t0 = now();

	memset(&r->ring, 0, sizeof(r->ring));
	if (pthread_create(&c, NULL, consumer, r) ||
	    pthread_create(&p, NULL, producer, r)) {
		perror("pthread_create");
		exit(1);
	}
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	return now() - t0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s --allocator NAME [--pattern fifo|burst] [--size N] [--count N] [--reps N]\n"
		"  NAME is sloba (libsloba) or a label for whatever malloc() this\n"
		"  process has (glibc, or one given with LD_PRELOAD).  Without\n"
		"  --pattern or --size, every pattern and size runs.\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 8, 64, 256, 512, 1024, 2048, 2728, 4096 };
	static const char *const patterns[] = { "fifo", "burst" };
	static const struct option longopts[] = {
		{ "allocator", required_argument, NULL, 'a' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *only_pattern = NULL;
	long count = 400000, reps = 3, v;
	size_t only_size = 0, i, k;
	static struct run r;
	int opt;

	while ((opt = getopt_long(argc, argv, "a:p:s:n:r:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			name = optarg;
			break;
		case 'p':
			if (strcmp(optarg, "fifo") && strcmp(optarg, "burst"))
				usage(argv[0]);
			only_pattern = optarg;
			break;
		case 's':
			v = atol(optarg);
			if (v < 1 || v > 4096)
				usage(argv[0]);
			only_size = (size_t)v;
			break;
		case 'n':
			count = atol(optarg);
			if (count < BURST)
				usage(argv[0]);
			break;
		case 'r':
			reps = atol(optarg);
			if (reps < 1)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!name || optind != argc)
		usage(argv[0]);
	r.sloba = !strcmp(name, "sloba");

	for (k = 0; k < 2; k++) {
		if (only_pattern && strcmp(only_pattern, patterns[k]))
			continue;
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct sloba_cache_info before, after;
			sloba_cache_t *cache = NULL;
			double best = 1e30, t;
			long rep;

			if (only_size && only_size != sizes[i])
				continue;
			r.burst = k == 1;
			r.size = sizes[i];
			r.count = count;
			r.errors = 0;
			run_once(&r);	/* warm-up, untimed */
			if (r.sloba) {
				cache = sloba_kmalloc_cache(sizes[i]);
				sloba_cache_get_info(cache, &before);
			}
			for (rep = 0; rep < reps; rep++) {
				t = run_once(&r);
				if (t < best)
					best = t;
			}
			if (r.errors) {
				fprintf(stderr, "prodcons: %lu objects lost or corrupted\n",
					r.errors);
				return 1;
			}
			printf("{\"platform\": \"user\", \"allocator\": \"%s\", "
			       "\"pattern\": \"%s\", \"size\": %zu, "
			       "\"ns_per_pair\": %.2f", name, patterns[k],
			       sizes[i], best * 1e9 / count);
			if (cache) {
				const struct sloba_cache_stats *a = &after.stats,
							       *b = &before.stats;
				double per = 1000.0 / ((double)count * reps);

				sloba_cache_get_info(cache, &after);
				printf(", \"locks_per_1000\": %.2f, "
				       "\"page_calls_per_1000\": %.2f, "
				       "\"barn_per_1000\": %.2f",
				       (a->lock_acquisitions - b->lock_acquisitions) * per,
				       (a->slabs_allocated - b->slabs_allocated +
					a->slabs_freed - b->slabs_freed) * per,
				       (a->refill_barn - b->refill_barn +
					a->flush_barn - b->flush_barn) * per);
			} else {
				printf(", \"locks_per_1000\": null, "
				       "\"page_calls_per_1000\": null, "
				       "\"barn_per_1000\": null");
			}
			printf("}\n");
			fflush(stdout);
		}
	}
	return 0;
}
