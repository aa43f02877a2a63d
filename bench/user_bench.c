// SPDX-License-Identifier: GPL-2.0-only
/*
 * user_bench.c - the userspace micro-benchmark: alloc+free pairs and
 * alloc-N-then-free-N, for kmalloc sizes and for object caches, on 1 and 2
 * threads.
 *
 * One allocator per process: "sloba" calls libsloba; any other name calls
 * malloc()/free(), which is glibc's or, with LD_PRELOAD, jemalloc's,
 * mimalloc's or tcmalloc's (bench/run-user-bench.sh runs them all in one go
 * and compares).  Calls go through function pointers so no compiler can
 * fold a malloc/free pair away; every allocator pays the same indirection.
 * Each result is the best of several timed runs, in ns per operation (one
 * alloc plus one free), printed as one JSON object per line.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libsloba.h"

struct ops {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
};

static void *m_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void m_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void *k_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return sloba_kmalloc(size, 0);
}

static void k_free(void *ctx, void *p)
{
	(void)ctx;
	sloba_kfree(p);
}

static void *c_alloc(void *ctx, size_t size)
{
	(void)size;
	return sloba_cache_alloc(ctx, 0);
}

static void c_free(void *ctx, void *p)
{
	sloba_cache_free(ctx, p);
}

static const struct ops malloc_ops = { m_alloc, m_free };
static const struct ops kmalloc_ops = { k_alloc, k_free };
static const struct ops cache_ops = { c_alloc, c_free };

enum { BATCH = 1000 };

struct job {
	const struct ops *ops;
	void *ctx;
	size_t size;
	int batch;		/* 0: pairs, else alloc-N-then-free-N */
	long ops_count;
	double seconds;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned char sink;

static void *run_job(void *arg)
{
	struct job *j = arg;
	void *held[BATCH];
	long i, k;
	double t0 = now();

	if (!j->batch) {
		for (i = 0; i < j->ops_count; i++) {
			unsigned char *p = j->ops->alloc(j->ctx, j->size);

			p[0] = (unsigned char)i;
			j->ops->free(j->ctx, p);
		}
	} else {
		for (i = 0; i < j->ops_count; i += BATCH) {
			for (k = 0; k < BATCH; k++) {
				unsigned char *p = j->ops->alloc(j->ctx, j->size);

				p[0] = (unsigned char)k;
				held[k] = p;
			}
			for (k = 0; k < BATCH; k++) {
				sink = *(unsigned char *)held[k];
				j->ops->free(j->ctx, held[k]);
			}
		}
	}
	j->seconds = now() - t0;
	return NULL;
}

/* ns per alloc+free on @threads threads at once, best of @reps runs. */
static double measure(const struct ops *ops, void *ctx, size_t size,
		      int batch, int threads, long count, int reps)
{
	struct job jobs[2];
	pthread_t tid[2];
	double best = 1e30;
	int r, t;

	/* Rep -1 warms caches, predictors and the CPU clock up, untimed. */
	for (r = -1; r < reps; r++) {
		double worst = 0;

		for (t = 0; t < threads; t++) {
			jobs[t] = (struct job){ ops, ctx, size, batch, count, 0 };
			if (pthread_create(&tid[t], NULL, run_job, &jobs[t])) {
				perror("pthread_create");
				exit(1);
			}
		}
		for (t = 0; t < threads; t++) {
			pthread_join(tid[t], NULL);
			if (jobs[t].seconds > worst)
				worst = jobs[t].seconds;
		}
		if (r >= 0 && worst < best)
			best = worst;
	}
	return best * 1e9 / count;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s --allocator NAME [--quick] [--bench B] [--size N] [--threads T]\n"
		"  NAME is sloba (libsloba) or a label for whatever malloc()\n"
		"  this process has (glibc, or one given with LD_PRELOAD).\n"
		"  --bench, --size and --threads run only the matching cases\n"
		"  (benches: kmalloc_pair kmalloc_batch cache_pair cache_batch).\n"
		"  Prints one JSON record per line.\n", argv0);
	exit(2);
}

static const char *only_bench;
static size_t only_size;
static int only_threads;

static bool wanted(const char *bench, size_t size, int threads)
{
	return (!only_bench || !strcmp(only_bench, bench)) &&
	       (!only_size || only_size == size) &&
	       (!only_threads || only_threads == threads);
}

static void emit(const char *bench, const char *alloc, size_t size,
		 int threads, double ns)
{
	printf("{\"bench\": \"%s\", \"allocator\": \"%s\", \"size\": %zu, "
	       "\"threads\": %d, \"ns_per_op\": %.3f}\n",
	       bench, alloc, size, threads, ns);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 8, 16, 32, 48, 64, 96, 128, 192, 256,
					384, 512, 768, 1024, 2048, 4096 };
	static const size_t obj_sizes[] = { 32, 128, 512 };
	static const struct option longopts[] = {
		{ "allocator", required_argument, NULL, 'a' },
		{ "quick", no_argument, NULL, 'q' },
		{ "bench", required_argument, NULL, 'b' },
		{ "size", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	long count = 2000000;
	int reps = 5, opt, threads, batch;
	size_t i;
	bool sloba;

	while ((opt = getopt_long(argc, argv, "a:qb:s:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			only_bench = optarg;
			break;
		case 's':
			only_size = strtoul(optarg, NULL, 10);
			break;
		case 't':
			only_threads = atoi(optarg);
			if (only_threads < 1 || only_threads > 2)
				usage(argv[0]);
			break;
		case 'a':
			name = optarg;
			break;
		case 'q':
			count = 200000;
			reps = 2;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!name || optind != argc)
		usage(argv[0]);
	sloba = !strcmp(name, "sloba");

	for (threads = 1; threads <= 2; threads++) {
		for (batch = 0; batch <= 1; batch++) {
			const char *bench = batch ? "kmalloc_batch" : "kmalloc_pair";

			for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
				if (wanted(bench, sizes[i], threads))
					emit(bench, name, sizes[i], threads,
					     measure(sloba ? &kmalloc_ops : &malloc_ops,
						     NULL, sizes[i], batch,
						     threads, count, reps));
		}
		for (batch = 0; batch <= 1; batch++) {
			const char *bench = batch ? "cache_batch" : "cache_pair";

			for (i = 0; i < sizeof(obj_sizes) / sizeof(obj_sizes[0]); i++) {
				sloba_cache_t *c = NULL;

				if (!wanted(bench, obj_sizes[i], threads))
					continue;
				if (sloba)
					c = sloba_cache_create("bench", obj_sizes[i],
							       0, 0, NULL);
				emit(bench, name, obj_sizes[i], threads,
				     measure(sloba ? &cache_ops : &malloc_ops, c,
					     obj_sizes[i], batch, threads,
					     count, reps));
				if (c)
					sloba_cache_destroy(c);
			}
		}
	}
	return 0;
}
