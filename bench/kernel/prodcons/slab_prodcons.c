// SPDX-License-Identifier: GPL-2.0-only
/*
 * slab_prodcons - the kernel half of the producer/consumer benchmark:
 * objects allocated on one CPU and freed on another, first in first out.
 *
 * A producer kthread bound to CPU 0 kmallocs objects and passes them
 * through a ring to a consumer kthread bound to CPU 1, which kfrees them in
 * the order they were made.  Two patterns:
 *
 *   fifo   a steady stream through a ring of `ring` slots (default 128):
 *          the producer waits only when the ring is full, the consumer
 *          only when it is empty;
 *   burst  the producer allocates `burst` objects (default 1000), hands
 *          them over at once and waits until the consumer has freed them
 *          all before the next burst.
 *
 * For each pattern and size the module runs `pairs` alloc+free pairs once
 * to warm up, once counting page-allocator calls, and `reps` times timed
 * (the counting run is not timed, so the counting costs no time).  Page
 * calls are counted on the kmem tracepoints mm_page_alloc (successful
 * allocations) and mm_page_free (every freed block, whatever its order),
 * on every CPU, so they include the few calls the rest of the idle guest
 * makes meanwhile; their pages (2^order each) are counted too.  A waiting
 * side spins with cpu_relax(), which under QEMU's round-robin TCG
 * (thread=single) also hands the host thread to the other vCPU, and lets
 * the scheduler in: the kernel is not preemptible.
 *
 * Results are printed as one line per run, parsed by
 * bench/kernel/prodcons_table.py:
 *
 *   slab_prodcons: alloc=slub pattern=fifo size=64 run=count pairs=20000
 *                  page_allocs=3 page_frees=2 pages=5
 *   slab_prodcons: alloc=slub pattern=fifo size=64 run=time rep=0
 *                  pairs=20000 ns=4123456
 *
 * (each on one line) *
 * and "slab_prodcons: done, N errors" last.  Everything happens while the
 * module loads; loading fails if anything failed, so it can be unloaded
 * at once.  On SLOBA the count line also carries locks=N: the node-lock
 * acquisitions of the size's kmalloc cache during the counted run (its
 * sloba_cache_get_info() counters, which see every user of that cache;
 * an idle guest adds next to nothing).
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/vmalloc.h>

#ifdef CONFIG_SLOBA
/* mm/slab.h: struct slab and SLOBA's struct kmem_cache and counters */
#include <linux/mm.h>
#include <../mm/slab.h>
#endif

#ifndef CONFIG_TRACEPOINTS
/* It counts page calls on tracepoints: see bench/kernel/prodcons.config. */
#error "slab_prodcons needs a kernel with CONFIG_TRACEPOINTS"
#endif

#define PRODUCER_CPU	0
#define CONSUMER_CPU	1
#define MAX_SIZES	16

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

static unsigned int sizes[MAX_SIZES] = {
	8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096
};

static int nr_sizes = 10;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "kmalloc sizes, 1...8192 (default 8,16,...,4096)");

static unsigned long pairs = 20000;
module_param(pairs, ulong, 0444);
MODULE_PARM_DESC(pairs, "alloc+free pairs per run (default 20000)");

static unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "timed runs per pattern and size (default 5)");

static unsigned int ring = 128;
module_param(ring, uint, 0444);
MODULE_PARM_DESC(ring, "fifo ring slots, a power of two (default 128)");

static unsigned int burst = 1000;
module_param(burst, uint, 0444);
MODULE_PARM_DESC(burst, "objects per burst (default 1000)");

static char *patterns = "fifo,burst";
module_param(patterns, charp, 0444);
MODULE_PARM_DESC(patterns, "patterns to run: fifo, burst (default both)");

enum pattern { FIFO, BURST };

/*
 * The ring between the two CPUs.  Each index is written by one side only
 * and sits on its own cache line.  The producer fills a slot, then
 * publishes it by a release store of head; the consumer reads head with
 * an acquire load before the slot, frees the object, then gives the slot
 * back by a release store of tail, which the producer reads with an
 * acquire load before filling the slot again.
 */
struct run {
	void **slot;
	unsigned long mask;		/* slots - 1 */
	unsigned long capacity;		/* objects in flight at most */
	unsigned long pairs;
	unsigned int size;
	enum pattern pattern;
	bool go;
	struct completion ready;
	bool failed;
	u64 t_start, t_end;
	struct completion done;
	unsigned long head ____cacheline_aligned;	/* producer's */
	unsigned long tail ____cacheline_aligned;	/* consumer's */
};

static u8 sink;

/*
 * Waiting or not, each side lets the scheduler in now and then: the kernel
 * is not preemptible, and module loading waits on one of these CPUs.
 */
static inline void relax(void)
{
	cpu_relax();
	cond_resched();
}

static int producer(void *arg)
{
	struct run *r = arg;
	unsigned long i, head = 0, until = 0;

	complete(&r->ready);
	while (!READ_ONCE(r->go))
		relax();
	r->t_start = ktime_get_ns();
	for (i = 0; i < r->pairs; i++) {
		u8 *p;

		if (r->pattern == FIFO) {
			/* Acquire: the consumer is done with the slot. */
			while (head - smp_load_acquire(&r->tail) >= r->capacity)
				relax();
		} else if (i == until) {
			/* The last burst must be gone before the next. */
			while (smp_load_acquire(&r->tail) != head) /* acquire */
				relax();
			until = min(i + r->capacity, r->pairs);
		}
		if (!(i & 255))
			cond_resched();
		p = kmalloc(r->size, GFP_KERNEL);
		if (!p) {
			/* The consumer frees what it was given, and stops. */
			smp_store_release(&r->head, head); /* release the slots */
			WRITE_ONCE(r->failed, true);
			break;
		}
		p[0] = (u8)i;
		r->slot[head & r->mask] = p;
		head++;
		if (r->pattern == FIFO || head == until)
			smp_store_release(&r->head, head); /* slots filled */
	}
	kthread_complete_and_exit(&r->done, 0);
}

static int consumer(void *arg)
{
	struct run *r = arg;
	unsigned long tail = 0, head = 0;

	complete(&r->ready);
	while (tail < r->pairs) {
		u8 *p;

		while (tail == head) {
			/* Acquire: the slots up to head are filled. */
			head = smp_load_acquire(&r->head);
			if (tail != head)
				break;
			if (READ_ONCE(r->failed))
				goto out;
			relax();
		}
		if (!(tail & 255))
			cond_resched();
		p = r->slot[tail & r->mask];
		WRITE_ONCE(sink, p[0]);
		kfree(p);
		/* Release: the slot was read before it is given back. */
		smp_store_release(&r->tail, ++tail);
	}
	r->t_end = ktime_get_ns();
out:
	/* What the producer published but nobody freed (after a failure). */
	head = smp_load_acquire(&r->head); /* acquire the published slots */
	while (tail != head)
		kfree(r->slot[tail++ & r->mask]);
	kthread_complete_and_exit(&r->done, 0);
}

/* ------------------------------------------------- page-allocator calls */

static DEFINE_PER_CPU(unsigned long, page_allocs);
static DEFINE_PER_CPU(unsigned long, page_frees);
static DEFINE_PER_CPU(unsigned long, pages_moved);
static struct tracepoint *tp_alloc, *tp_free;

static void probe_alloc(void *data, struct page *page, unsigned int order,
			gfp_t gfp, int migratetype)
{
	if (!page)
		return;
	this_cpu_inc(page_allocs);
	this_cpu_add(pages_moved, 1UL << order);
}

static void probe_free(void *data, struct page *page, unsigned int order)
{
	this_cpu_inc(page_frees);
	this_cpu_add(pages_moved, 1UL << order);
}

static void find_tracepoint(struct tracepoint *tp, void *unused)
{
	if (!strcmp(tp->name, "mm_page_alloc"))
		tp_alloc = tp;
	else if (!strcmp(tp->name, "mm_page_free"))
		tp_free = tp;
}

static unsigned long sum_percpu(unsigned long __percpu *v)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += *per_cpu_ptr(v, cpu);
	return n;
}

static void reset_counts(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		*per_cpu_ptr(&page_allocs, cpu) = 0;
		*per_cpu_ptr(&page_frees, cpu) = 0;
		*per_cpu_ptr(&pages_moved, cpu) = 0;
	}
}

static int count_start(void)
{
	int err;

	reset_counts();
	err = tracepoint_probe_register(tp_alloc, probe_alloc, NULL);
	if (err)
		return err;
	err = tracepoint_probe_register(tp_free, probe_free, NULL);
	if (err)
		tracepoint_probe_unregister(tp_alloc, probe_alloc, NULL);
	return err;
}

static void count_stop(void)
{
	tracepoint_probe_unregister(tp_free, probe_free, NULL);
	tracepoint_probe_unregister(tp_alloc, probe_alloc, NULL);
	tracepoint_synchronize_unregister();
}

/* ---------------------------------------------------------------- runs */

static struct task_struct *start_bound(int (*fn)(void *), struct run *r,
				       int cpu, const char *name)
{
	struct task_struct *t = kthread_create(fn, r, "%s/%d", name, cpu);

	if (!IS_ERR(t)) {
		kthread_bind(t, cpu);
		wake_up_process(t);
	}
	return t;
}

/* One run of @r->pairs pairs; false if an allocation failed. */
static bool run_once(struct run *r)
{
	struct task_struct *p, *c;

	r->head = 0;
	r->tail = 0;
	r->go = false;
	r->failed = false;
	init_completion(&r->ready);
	init_completion(&r->done);

	c = start_bound(consumer, r, CONSUMER_CPU, "prodcons_c");
	if (IS_ERR(c))
		return false;
	p = start_bound(producer, r, PRODUCER_CPU, "prodcons_p");
	if (IS_ERR(p)) {
		WRITE_ONCE(r->failed, true);
		wait_for_completion(&r->done);
		return false;
	}
	wait_for_completion(&r->ready);
	wait_for_completion(&r->ready);
	WRITE_ONCE(r->go, true);
	wait_for_completion(&r->done);
	wait_for_completion(&r->done);
	return !r->failed;
}

static const char *const pattern_names[] = { "fifo", "burst" };

/*
 * SLOBA's node-lock acquisitions so far in the kmalloc cache of @size, or
 * -1 where the allocator does not count them.
 */
static long lock_count(unsigned int size)
{
#ifdef CONFIG_SLOBA
	struct sloba_cache_info info;
	void *probe = kmalloc(size, GFP_KERNEL);
	struct slab *slab = probe ? virt_to_slab(probe) : NULL;

	/* no slab: a size the page allocator serves, no lock to count */
	if (slab)
		sloba_cache_get_info(slab->slab_cache, &info);
	kfree(probe);
	return slab ? (long)info.stats.lock_acquisitions : -1;
#else
	return -1;
#endif
}

static int run_pattern(struct run *r, unsigned int size)
{
	const char *name = pattern_names[r->pattern];
	char locks[32] = "";
	long locks_before, locks_after;
	unsigned int i;

	r->size = size;
	if (!run_once(r))
		goto failed;

	locks_before = lock_count(size);
	if (count_start()) {
		pr_err("slab_prodcons: error: cannot attach to the kmem tracepoints\n");
		return -EINVAL;
	}
	if (!run_once(r)) {
		count_stop();
		goto failed;
	}
	count_stop();
	locks_after = lock_count(size);
	if (locks_before >= 0 && locks_after >= locks_before)
		snprintf(locks, sizeof(locks), " locks=%ld",
			 locks_after - locks_before);
	pr_info("slab_prodcons: alloc=%s pattern=%s size=%u run=count pairs=%lu page_allocs=%lu page_frees=%lu pages=%lu%s\n",
		ALLOCATOR, name, size, r->pairs, sum_percpu(&page_allocs),
		sum_percpu(&page_frees), sum_percpu(&pages_moved), locks);

	for (i = 0; i < reps; i++) {
		if (!run_once(r))
			goto failed;
		pr_info("slab_prodcons: alloc=%s pattern=%s size=%u run=time rep=%u pairs=%lu ns=%llu\n",
			ALLOCATOR, name, size, i, r->pairs,
			r->t_end - r->t_start);
	}
	return 0;
failed:
	pr_err("slab_prodcons: error: %s size %u: allocation failed\n",
	       name, size);
	return -ENOMEM;
}

static int __init slab_prodcons_init(void)
{
	unsigned int slots = max(ring, burst);
	struct run *r;
	int p, i, err = 0, errors = 0;

	if (!cpu_online(PRODUCER_CPU) || !cpu_online(CONSUMER_CPU)) {
		pr_err("slab_prodcons: error: needs CPUs %d and %d online\n",
		       PRODUCER_CPU, CONSUMER_CPU);
		return -ENODEV;
	}
	if (!ring || !is_power_of_2(ring) || !burst || !pairs ||
	    burst > (1U << 20)) {
		pr_err("slab_prodcons: error: ring must be a power of two, burst 1...2^20, pairs > 0\n");
		return -EINVAL;
	}
	if (!strstr(patterns, "fifo") && !strstr(patterns, "burst")) {
		pr_err("slab_prodcons: error: patterns must name fifo or burst\n");
		return -EINVAL;
	}
	if (nr_sizes < 1) {
		pr_err("slab_prodcons: error: no sizes\n");
		return -EINVAL;
	}
	for (i = 0; i < nr_sizes; i++) {
		if (!sizes[i] || sizes[i] > 8192) {
			pr_err("slab_prodcons: error: size %u not in 1...8192\n",
			       sizes[i]);
			return -EINVAL;
		}
	}
	for_each_kernel_tracepoint(find_tracepoint, NULL);
	if (!tp_alloc || !tp_free) {
		pr_err("slab_prodcons: error: no mm_page_alloc/mm_page_free tracepoint\n");
		return -ENODEV;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->pairs = pairs;
	r->slot = vmalloc(array_size(roundup_pow_of_two(slots), sizeof(void *)));
	if (!r->slot) {
		kfree(r);
		return -ENOMEM;
	}

	pr_info("slab_prodcons: start alloc=%s pairs=%lu reps=%u ring=%u burst=%u cpus=%u\n",
		ALLOCATOR, pairs, reps, ring, burst, num_online_cpus());
	for (p = FIFO; p <= BURST; p++) {
		if (!strstr(patterns, pattern_names[p]))
			continue;
		r->pattern = p;
		r->capacity = p == FIFO ? ring : burst;
		r->mask = (p == FIFO ? ring : roundup_pow_of_two(burst)) - 1;
		for (i = 0; i < nr_sizes; i++) {
			err = run_pattern(r, sizes[i]);
			if (err)
				errors++;
			if (err == -EINVAL)
				goto out;
		}
	}
out:
	pr_info("slab_prodcons: done, %d errors\n", errors);
	vfree(r->slot);
	kfree(r);
	return errors ? -EIO : 0;
}

static void __exit slab_prodcons_exit(void)
{
}

module_init(slab_prodcons_init);
module_exit(slab_prodcons_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Slab producer/consumer benchmark across two CPUs");
