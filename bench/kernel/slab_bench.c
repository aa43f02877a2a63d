// SPDX-License-Identifier: GPL-2.0-only
/*
 * slab_bench.c - an in-kernel slab micro-benchmark, built into a UML
 * kernel for `make bench-kernel` (bench/kernel/run-uml-bench.sh copies it
 * into the tree as mm/slab_bench.c).  It uses only the slab API, so the
 * same file builds against SLOBA, SLUB, SLAB and SLOB.
 *
 * At late_initcall it times, for kmalloc of constant sizes 8...4096 and for
 * three kmem_caches of its own (32, 128 and 512 bytes, unmergeable):
 *
 *   pair   alloc then free at once, again and again;
 *   batch  10,000 allocations, then the 10,000 frees in allocation order.
 *
 * Each allocation writes the object's first byte and each batch free reads
 * it first, as bench/user_bench.c does.  Every case runs 2 x 10,000 pairs
 * untimed to warm up, then `reps` times `pairs` pairs (fewer, down to
 * 10,000, when that would take more than 20 ms); each timed run prints one
 * line:
 *
 *   slab_bench: alloc=slub bench=kmalloc_pair size=64 rep=0 pairs=200000
 *               ps_per_pair=13250 wall_ps_per_pair=13302   (one line)
 *
 * (ps_per_pair: picoseconds of CPU time per alloc+free, see cpu_ns();
 * wall_ps_per_pair: the same in wall-clock time).  The host script takes
 * the minimum and the median over every run of every boot.  The last line
 * is "slab_bench: done, N errors"; then the kernel powers off, so one
 * boot is one run.  Parameters (kernel command line): slab_bench.reps=N,
 * slab_bench.pairs=N (per timed run, rounded up to whole batches).
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>
#include <linux/slab.h>

#ifdef CONFIG_UML
/*
 * UML is a process on the host, sharing the host's CPUs with whatever else
 * runs there: wall-clock time counts the moments the host gave the CPU to
 * someone else.  So each run is timed with the host's clock of the CPU
 * time this (UML's only) host thread has used, straight from the host C
 * library, as arch/um/os-Linux does (64-bit UML keeps the host's calling
 * convention).  Wall-clock time is printed too.
 */
struct host_timespec {
	long tv_sec;
	long tv_nsec;
};

int clock_gettime(int clock, struct host_timespec *ts);

#define HOST_CLOCK_THREAD_CPUTIME_ID	3

static u64 cpu_ns(void)
{
	struct host_timespec ts;

	if (clock_gettime(HOST_CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

#define CLOCK_NAME "host-thread-cpu"
#else
static u64 cpu_ns(void)
{
	return ktime_get_ns();
}

#define CLOCK_NAME "ktime"
#endif

#define BATCH		10000
#define RUN_NS		(20 * NSEC_PER_MSEC)
#define NR_CACHES	3

#if defined(CONFIG_SLOBA)
#define ALLOCATOR "sloba"
#elif defined(CONFIG_SLUB)
#define ALLOCATOR "slub"
#elif defined(CONFIG_SLAB)
#define ALLOCATOR "slab"
#elif defined(CONFIG_SLOB)
#define ALLOCATOR "slob"
#else
#define ALLOCATOR "unknown"
#endif

static unsigned int reps = 10;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "timed runs per case");

static unsigned long pairs = 50000;
module_param(pairs, ulong, 0444);
MODULE_PARM_DESC(pairs, "alloc+free pairs per timed run");

static void *held[BATCH];
static u8 sink;
static unsigned int errors;

/* One case: a name, a size, and how to run @n pairs of it. */
struct bench_case {
	const char *bench;
	unsigned int size;
	bool (*run)(struct kmem_cache *s, unsigned long n);
	struct kmem_cache *cache;
};

/*
 * kmalloc with a constant size, as nearly every caller in the kernel does:
 * one pair and one batch function per size, so the compiler sees the
 * constant and each allocator's kmalloc() takes its constant-size path.
 */
#define KMALLOC_BENCH(sz)						\
static bool kmalloc_pair_##sz(struct kmem_cache *s, unsigned long n)	\
{									\
	unsigned long i;						\
									\
	for (i = 0; i < n; i++) {					\
		u8 *p = kmalloc(sz, GFP_KERNEL);			\
									\
		if (!p)							\
			return false;					\
		p[0] = (u8)i;						\
		kfree(p);						\
	}								\
	return true;							\
}									\
									\
static bool kmalloc_batch_##sz(struct kmem_cache *s, unsigned long n)	\
{									\
	unsigned long i, k;						\
	bool ok = true;							\
									\
	for (i = 0; i < n; i += BATCH) {				\
		for (k = 0; k < BATCH; k++) {				\
			u8 *p = kmalloc(sz, GFP_KERNEL);		\
									\
			held[k] = p;					\
			if (p)						\
				p[0] = (u8)k;				\
			else						\
				ok = false;				\
		}							\
		for (k = 0; k < BATCH; k++) {				\
			if (held[k])					\
				WRITE_ONCE(sink, *(u8 *)held[k]);	\
			kfree(held[k]);					\
		}							\
	}								\
	return ok;							\
}

KMALLOC_BENCH(8)
KMALLOC_BENCH(16)
KMALLOC_BENCH(32)
KMALLOC_BENCH(48)
KMALLOC_BENCH(64)
KMALLOC_BENCH(96)
KMALLOC_BENCH(128)
KMALLOC_BENCH(192)
KMALLOC_BENCH(256)
KMALLOC_BENCH(384)
KMALLOC_BENCH(512)
KMALLOC_BENCH(768)
KMALLOC_BENCH(1024)
KMALLOC_BENCH(2048)
KMALLOC_BENCH(4096)

static bool cache_pair(struct kmem_cache *s, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

		if (!p)
			return false;
		p[0] = (u8)i;
		kmem_cache_free(s, p);
	}
	return true;
}

static bool cache_batch(struct kmem_cache *s, unsigned long n)
{
	unsigned long i, k;
	bool ok = true;

	for (i = 0; i < n; i += BATCH) {
		for (k = 0; k < BATCH; k++) {
			u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

			held[k] = p;
			if (p)
				p[0] = (u8)k;
			else
				ok = false;
		}
		for (k = 0; k < BATCH; k++) {
			if (!held[k])
				continue;
			WRITE_ONCE(sink, *(u8 *)held[k]);
			kmem_cache_free(s, held[k]);
		}
	}
	return ok;
}

#define KMALLOC_PAIR(sz)	{ "kmalloc_pair", sz, kmalloc_pair_##sz }
#define KMALLOC_BATCH(sz)	{ "kmalloc_batch", sz, kmalloc_batch_##sz }

static struct bench_case kmalloc_cases[] = {
	KMALLOC_PAIR(8), KMALLOC_PAIR(16), KMALLOC_PAIR(32), KMALLOC_PAIR(48),
	KMALLOC_PAIR(64), KMALLOC_PAIR(96), KMALLOC_PAIR(128),
	KMALLOC_PAIR(192), KMALLOC_PAIR(256), KMALLOC_PAIR(384),
	KMALLOC_PAIR(512), KMALLOC_PAIR(768), KMALLOC_PAIR(1024),
	KMALLOC_PAIR(2048), KMALLOC_PAIR(4096),
	KMALLOC_BATCH(8), KMALLOC_BATCH(16), KMALLOC_BATCH(32),
	KMALLOC_BATCH(48), KMALLOC_BATCH(64), KMALLOC_BATCH(96),
	KMALLOC_BATCH(128), KMALLOC_BATCH(192), KMALLOC_BATCH(256),
	KMALLOC_BATCH(384), KMALLOC_BATCH(512), KMALLOC_BATCH(768),
	KMALLOC_BATCH(1024), KMALLOC_BATCH(2048), KMALLOC_BATCH(4096),
};

static const unsigned int cache_sizes[NR_CACHES] = { 32, 128, 512 };

/* Runs one case: a warm-up, then @reps timed runs of up to @n pairs each. */
static void run_case(const struct bench_case *c, unsigned long n)
{
	unsigned long limit;
	unsigned int r;
	u64 t0, t1;

	/*
	 * Two batches warm up: the first may fault memory in on the host,
	 * the second says how fast the case is.  A case so slow that a run
	 * would take more than RUN_NS (SLOB's batches take microseconds per
	 * pair) runs fewer pairs, down to one batch, so a boot stays short.
	 */
	t0 = 0;
	t1 = 0;
	for (r = 0; r < 2; r++) {
		t0 = cpu_ns();
		if (!c->run(c->cache, BATCH)) {
			pr_err("slab_bench: error: %s size %u: allocation failed\n",
			       c->bench, c->size);
			errors++;
			return;
		}
		t1 = cpu_ns();
	}
	limit = div64_u64((u64)RUN_NS * BATCH, max(t1 - t0, 1ULL));
	if (limit < n)
		n = max_t(unsigned long, rounddown(limit, BATCH), BATCH);

	for (r = 0; r < reps; r++) {
		u64 w0, w1;
		bool ok;

		w0 = ktime_get_ns();
		t0 = cpu_ns();
		ok = c->run(c->cache, n);
		t1 = cpu_ns();
		w1 = ktime_get_ns();
		if (!ok) {
			pr_err("slab_bench: error: %s size %u: allocation failed\n",
			       c->bench, c->size);
			errors++;
			return;
		}
		pr_info("slab_bench: alloc=%s bench=%s size=%u rep=%u pairs=%lu ps_per_pair=%llu wall_ps_per_pair=%llu\n",
			ALLOCATOR, c->bench, c->size, r, n,
			div64_u64((t1 - t0) * 1000, n),
			div64_u64((w1 - w0) * 1000, n));
	}
}

/*
 * A cache of its own: the usercopy region keeps it from being merged into
 * a kmalloc cache, so it is the cache being measured.  The slab API keeps
 * its own copy of the name.
 */
static struct kmem_cache *new_cache(unsigned int size)
{
	char name[24];

	snprintf(name, sizeof(name), "slab_bench_%u", size);
	return kmem_cache_create_usercopy(name, size, 0, 0, 0, size, NULL);
}

static int __init slab_bench_init(void)
{
	unsigned long n = roundup(max(pairs, 1UL), BATCH);
	struct kmem_cache *caches[NR_CACHES] = { };
	unsigned int i;

	pr_info("slab_bench: start alloc=%s reps=%u pairs=%lu clock=%s\n",
		ALLOCATOR, reps, n, CLOCK_NAME);
	for (i = 0; i < ARRAY_SIZE(kmalloc_cases); i++)
		run_case(&kmalloc_cases[i], n);

	for (i = 0; i < NR_CACHES; i++) {
		struct bench_case pair = { "cache_pair", cache_sizes[i], cache_pair };
		struct bench_case batch = { "cache_batch", cache_sizes[i], cache_batch };

		caches[i] = new_cache(cache_sizes[i]);
		if (!caches[i]) {
			pr_err("slab_bench: error: cannot create a %u-byte cache\n",
			       cache_sizes[i]);
			errors++;
			continue;
		}
		pair.cache = caches[i];
		batch.cache = caches[i];
		run_case(&pair, n);
		run_case(&batch, n);
		kmem_cache_destroy(caches[i]);
	}

	pr_info("slab_bench: done, %u errors\n", errors);
	kernel_power_off();
	return 0;
}
late_initcall(slab_bench_init);
