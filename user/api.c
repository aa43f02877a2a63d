// SPDX-License-Identifier: GPL-2.0-only
/*
 * api.c - libsloba's public face: start-up, cache creation and
 * destruction, the kmalloc helpers that are only arithmetic around the
 * core, slabinfo, and the reporting of misuse.  This is what the kernel's
 * mm/slab_common.c does for the kernel build.
 */
#include <execinfo.h>
#include <sys/syscall.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "sloba.h"
#include "sloba_plat_inline.h"
#include "fork.h"

void sloba_pages_init(void);

#define SLOBA_CACHE_LINE 64

bool sloba_user_debug_all;

/*
 * A struct kmem_cache with room for its one node.  The cache of caches and
 * the kmalloc classes are static, so that a program that has freed
 * everything holds no slab at all.
 */
union cache_storage {
	struct kmem_cache s;
	char bytes[SLOBA_CACHE_SIZE(1)];
} SLOBA_CACHELINE_ALIGNED;
static union cache_storage cache_cache_storage;
static union cache_storage kmalloc_storage[SLOBA_NR_KMALLOC];
#define cache_cache (cache_cache_storage.s)

struct kmem_cache *plat_kmalloc_cache_struct(unsigned int t, unsigned int i)
{
	(void)t;
	return &kmalloc_storage[i].s;
}

/* There is one type of memory: the normal kmalloc caches are all. */
bool plat_kmalloc_type(unsigned int t, const char **prefix,
		       slab_flags_t *flags)
{
	*prefix = "kmalloc-";
	*flags = 0;
	return t == 0;
}
static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(caches);
/*
 * Every cache on the list.  Not list_for_each_entry(): it would make a
 * struct kmem_cache pointer of the list head itself, which is not aligned
 * as one (UBSan says so).
 */
#define for_each_cache(s, pos) \
	for ((pos) = caches.next; \
	     (pos) != &caches && ((s) = list_entry(pos, struct kmem_cache, list)); \
	     (pos) = (pos)->next)
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void do_init(void)
{
	const char *debug = getenv("SLOBA_DEBUG");
	unsigned int i;

	sloba_user_debug_all = debug && *debug && strcmp(debug, "0");
	sloba_pages_init();
	cache_cache.name = "kmem_cache";
	cache_cache.object_size = SLOBA_CACHE_SIZE(1);
	cache_cache.align = SLOBA_CACHE_LINE;
	cache_cache.refcount = 1;
	if (sloba_cache_setup(&cache_cache) || sloba_init()) {
		plat_report(NULL, "cannot set up the kmalloc caches");
		abort();
	}
	for (i = 0; i < sloba_kmalloc_nr; i++) {
		sloba_user_random_seq(sloba_kmalloc_caches[0][i], true);
		list_add_tail(&sloba_kmalloc_caches[0][i]->list, &caches);
	}
	sloba_user_random_seq(&cache_cache, true);
	list_add_tail(&cache_cache.list, &caches);
}

void sloba_user_init(void)
{
	pthread_once(&init_once, do_init);
}

/*
 * pthread_atfork() allocates, so it is called here rather than from
 * do_init(), which may run inside the process's first malloc().
 */
__attribute__((constructor(101))) static void sloba_constructor(void)
{
	sloba_user_init();
	sloba_fork_register();
}

/* ---------------------------------------------------------------------
 * Reports
 */

/* write(2), not stdio: a report must not allocate (it may come from malloc). */
static void default_report(const char *cache, const char *message, void *arg)
{
	char line[300];
	int n;

	(void)cache;
	(void)arg;
	n = snprintf(line, sizeof(line), "sloba: %s\n", message);
	if (n > 0 && write(2, line, min((size_t)n, sizeof(line) - 1)) < 0)
		return;
}

static struct {
	sloba_report_fn fn;
	void *arg;
	unsigned long count;
} report = { default_report, NULL, 0 };

void sloba_set_report_handler(sloba_report_fn fn, void *arg)
{
	__atomic_store_n(&report.arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&report.fn, fn ? fn : default_report, __ATOMIC_RELEASE);
}

unsigned long sloba_report_count(void)
{
	return __atomic_load_n(&report.count, __ATOMIC_RELAXED);
}

static void vreport(struct kmem_cache *s, const char *fmt, va_list ap)
{
	sloba_report_fn fn = __atomic_load_n(&report.fn, __ATOMIC_ACQUIRE);
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	__atomic_add_fetch(&report.count, 1, __ATOMIC_RELAXED);
	fn(s ? s->name : NULL, msg, __atomic_load_n(&report.arg, __ATOMIC_RELAXED));
}

/* Userspace has one channel for both kinds of report: the handler. */
void plat_report(struct kmem_cache *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(s, fmt, ap);
	va_end(ap);
}

void plat_report_leak(struct kmem_cache *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(s, fmt, ap);
	va_end(ap);
}

/*
 * SLAB_STORE_USER.  backtrace() may allocate the first time (it loads the
 * unwinder): a call that comes back here through malloc records nothing.
 */
void plat_set_track(struct kmem_cache *s, struct sloba_track *t)
{
	static __thread bool busy;
	void *frames[7];
	int n, i;

	(void)s;
	memset(t, 0, sizeof(*t));
	t->tid = (int)syscall(SYS_gettid);
	if (busy)
		return;
	busy = true;
	n = backtrace(frames, ARRAY_SIZE(frames));
	busy = false;
	/* Skip this function and the allocator's own frames. */
	for (i = 3; i < n && i - 3 < (int)ARRAY_SIZE(t->callers); i++)
		t->callers[i - 3] = frames[i];
}

/* After an object's report: one more, with who allocated and freed it. */
void plat_print_object(struct kmem_cache *s, void *obj)
{
	const struct sloba_track *a, *f;

	if (!(s->sflags & SLOBA_F_TRACK))
		return;
	a = (const struct sloba_track *)((char *)obj + s->offset + sizeof(void *));
	f = a + 1;
	plat_report(s, "object %p: allocated by thread %d (%p %p %p), last freed by thread %d (%p %p %p)",
		    obj, a->tid, a->callers[0], a->callers[1], a->callers[2],
		    f->tid, f->callers[0], f->callers[1], f->callers[2]);
}

/* ---------------------------------------------------------------------
 * Caches
 */

#define SLOBA_KNOWN_FLAGS (SLOBA_CONSISTENCY_CHECKS | SLOBA_RED_ZONE |	\
			   SLOBA_POISON | SLOBA_HWCACHE_ALIGN |		\
			   SLOBA_STORE_USER | SLOBA_PANIC |		\
			   SLOBA_TYPESAFE_BY_RCU)

/* As the kernel: cache-line alignment shrinks for small objects. */
static unsigned int cache_alignment(unsigned int flags, unsigned int align,
				    unsigned int size)
{
	if (flags & SLOBA_HWCACHE_ALIGN) {
		unsigned int ralign = SLOBA_CACHE_LINE;

		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	return ALIGN(max(align, (unsigned int)sizeof(void *)),
		     (unsigned int)sizeof(void *));
}

static sloba_cache_t *create_failed(const char *name, unsigned int flags,
				    int err, const char *why)
{
	plat_report(NULL, "sloba_cache_create(%s): %s", name ? name : "(null)",
		    why);
	if (flags & SLOBA_PANIC)
		abort();
	errno = err;
	return NULL;
}

sloba_cache_t *sloba_cache_create(const char *name, size_t size, size_t align,
				  unsigned int flags, void (*ctor)(void *))
{
	struct kmem_cache *s;
	size_t len;
	char *copy;
	int err;

	sloba_user_init();
	if (!name || !*name)
		return create_failed(name, flags, EINVAL, "a cache needs a name");
	if (flags & ~SLOBA_KNOWN_FLAGS)
		return create_failed(name, flags, EINVAL, "unknown flags");
	if (!size || size > (PAGE_SIZE << SLOBA_MAX_ORDER) / 2)
		return create_failed(name, flags, EINVAL,
				     "size must be between 1 and 2 MiB");
	if ((align & (align - 1)) || align > PAGE_SIZE)
		return create_failed(name, flags, EINVAL,
				     "align must be 0 or a power of two up to the page size");

	s = sloba_cache_alloc(&cache_cache, SLOBA_GFP_ZERO);
	len = strlen(name) + 1;
	copy = s ? sloba_kmalloc(len, 0) : NULL;
	if (!copy) {
		sloba_cache_free(&cache_cache, s);
		return create_failed(name, flags, ENOMEM, "out of memory");
	}
	memcpy(copy, name, len);
	s->name = copy;
	s->object_size = (unsigned int)size;
	s->align = cache_alignment(flags, (unsigned int)align, (unsigned int)size);
	s->flags = flags;
	s->ctor = ctor;
	s->usersize = (unsigned int)size;
	s->refcount = 1;
	err = sloba_cache_setup(s);
	if (err) {
		sloba_kfree(copy);
		sloba_cache_free(&cache_cache, s);
		return create_failed(name, flags, -err,
				     err == -ENOMEM ? "too many caches" :
				     "no slab layout fits that size and alignment");
	}
	sloba_user_random_seq(s, false);
	pthread_mutex_lock(&caches_lock);
	list_add_tail(&s->list, &caches);
	pthread_mutex_unlock(&caches_lock);
	return s;
}

int sloba_cache_destroy(sloba_cache_t *s)
{
	int err;

	if (!s)
		return 0;
	pthread_mutex_lock(&caches_lock);
	err = sloba_cache_shutdown(s);
	if (!err)
		list_del(&s->list);
	pthread_mutex_unlock(&caches_lock);
	if (err)
		return err;	/* reported; the cache stays usable */
	if (s->flags & SLOBA_TYPESAFE_BY_RCU)
		rcu_barrier();	/* every slab is back before s goes */
	plat_cache_cpu_release(s);
	sloba_user_random_seq_free(s);
	sloba_kfree(s->name);
	sloba_cache_free(&cache_cache, s);
	return 0;
}

const char *sloba_cache_name(const sloba_cache_t *s)
{
	return s->name;
}

void *sloba_cache_zalloc(sloba_cache_t *s, sloba_gfp_t gfp)
{
	return sloba_cache_alloc(s, gfp | SLOBA_GFP_ZERO);
}

void sloba_shrink_all(void)
{
	struct list_head *pos;
	struct kmem_cache *s;

	pthread_mutex_lock(&caches_lock);
	for_each_cache(s, pos)
		sloba_cache_shrink(s);
	pthread_mutex_unlock(&caches_lock);
}

/* fork() (fork.c): the list of caches, and every cache's (node's) lock. */
void sloba_caches_fork_prepare(void)
{
	pthread_mutex_lock(&caches_lock);
}

void sloba_caches_fork_lock_all(bool lock)
{
	struct list_head *pos;
	struct kmem_cache *s;

	for_each_cache(s, pos) {
		if (lock)
			pthread_mutex_lock(&s->node[0].lock);
		else
			pthread_mutex_unlock(&s->node[0].lock);
	}
}

void sloba_caches_fork_release(void)
{
	pthread_mutex_unlock(&caches_lock);
}

/* ---------------------------------------------------------------------
 * kmalloc helpers
 */

void *sloba_kzalloc(size_t size, sloba_gfp_t gfp)
{
	return sloba_kmalloc(size, gfp | SLOBA_GFP_ZERO);
}

void *sloba_kmalloc_array(size_t n, size_t size, sloba_gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return sloba_kmalloc(bytes, gfp);
}

void *sloba_kcalloc(size_t n, size_t size, sloba_gfp_t gfp)
{
	return sloba_kmalloc_array(n, size, gfp | SLOBA_GFP_ZERO);
}

/* ---------------------------------------------------------------------
 * slabinfo
 */

void sloba_slabinfo(int fd)
{
	struct sloba_cache_info info;
	struct list_head *pos;
	struct kmem_cache *s;

	dprintf(fd, "slabinfo - version: 2.1\n"
		"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
		" : tunables <limit> <batchcount> <sharedfactor>"
		" : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	pthread_mutex_lock(&caches_lock);
	for_each_cache(s, pos) {
		sloba_cache_get_info(s, &info);
		dprintf(fd, "%-17s %6lu %6lu %6u %4u %4u : tunables %4u %4u %4u : slabdata %6lu %6lu %6u\n",
			info.name, info.active_objs, info.num_objs,
			info.objsize, info.objperslab, info.pagesperslab,
			info.limit, info.batchcount, info.barn_limit,
			info.active_slabs, info.num_slabs,
			(unsigned int)sloba_cache_barn_objects(s));
	}
	pthread_mutex_unlock(&caches_lock);
}
