// SPDX-License-Identifier: GPL-2.0-only
/*
 * malloc.c - libsloba as the C library's malloc: the drop-in that
 * libsloba-malloc.so (LD_PRELOAD) and libsloba-malloc.a (static linking)
 * are built from.
 *
 * Where a request goes:
 *   up to 4096 bytes   a kmalloc size class.  Requests over 8 bytes take the
 *                      first class whose stride is a multiple of 16, so that
 *                      every object is 16-aligned as glibc promises (and as
 *                      compilers assume); malloc_class[] maps sizes to them.
 *   up to 32 KiB       one of the drop-in's own caches ("malloc-4608" ...,
 *                      mid_sizes[]), four per doubling and one just above
 *                      4 and 8 KiB: a page block would round 4.1 KiB (a
 *                      database page and its header, as sqlite's) up to
 *                      8 KiB
 *   up to 4 MiB        a block of the page allocator (naturally aligned)
 *   beyond             its own mmap, with a header page in front
 *                      (struct huge) on a list, so free() can tell it from
 *                      a stray pointer without touching unmapped memory.
 *                      A few freed mappings (HUGE_CACHE, at most
 *                      HUGE_CACHE_BYTES) are kept, pages and all, for the
 *                      next request of about their size: a program that
 *                      cycles big buffers then faults its pages in once,
 *                      not on every round.
 * memalign and friends take the first class whose stride is a multiple of
 * the alignment (every object of such a class is aligned, the slab's end
 * being page-aligned), else a block at least as large as the alignment,
 * else an over-sized mapping.
 *
 * Working from the first call.  The first malloc() of the process may come
 * before any constructor, from the dynamic linker, from dlsym() or from
 * liburcu: it sets everything up itself.  Should setting up call malloc()
 * again on the same thread, that call is served from a small static
 * bootstrap buffer whose blocks are never reused.  Reports (a bad free)
 * go through the report handler, which formats on the stack and does not
 * allocate.
 *
 * Left out: the obsolete hooks (__malloc_hook & co., gone from glibc 2.34),
 * malloc_get_state/malloc_set_state, mcheck/mtrace; mallopt() accepts
 * nothing and returns 0.
 */
#define _GNU_SOURCE		/* mremap */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "sloba.h"
#include "sloba_plat_inline.h"
#include "fork.h"

#define MALLOC_ALIGN		16
#define LARGE_MAX		((size_t)PAGE_SIZE << SLOBA_MAX_ORDER)

/* malloc_class[(n + 7) / 8]: the class for a request of n bytes. */
static struct kmem_cache *malloc_class[SLOBA_KMALLOC_MAX_CACHE_SIZE / 8 + 1];

/* Between the kmalloc classes and the page blocks (all 16-aligned). */
#define MID_MAX		(32 * 1024)
static const unsigned int mid_sizes[] = {
	4608, 5120, 6144, 7168, 8192, 9216, 10240, 12288, 14336, 16384,
	20480, 24576, 28672, 32768
};
static struct kmem_cache *mid_cache[ARRAY_SIZE(mid_sizes)];

static struct kmem_cache *mid_class(size_t size)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mid_sizes); i++)
		if (size <= mid_sizes[i])
			return mid_cache[i];
	return NULL;
}

/* ---------------------------------------------------------------------
 * Set-up, and the bootstrap buffer for calls made during it
 */

static __thread bool in_setup __attribute__((tls_model("initial-exec")));
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

#define BOOT_BYTES	(64 * 1024)
static char boot_buf[BOOT_BYTES] __attribute__((aligned(PAGE_SIZE)));
static size_t boot_used;	/* bump pointer, atomically advanced */

static bool is_boot(const void *p)
{
	return (const char *)p >= boot_buf && (const char *)p < boot_buf + BOOT_BYTES;
}

/* Each bootstrap block is preceded by its size, in a 16-byte header. */
static void *boot_alloc(size_t size, size_t align)
{
	size_t need, start, old;

	if (align < MALLOC_ALIGN)
		align = MALLOC_ALIGN;
	if (size > BOOT_BYTES || align > PAGE_SIZE)
		return NULL;
	old = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
	do {
		start = ALIGN(old + MALLOC_ALIGN, align);
		need = start + ALIGN(size, MALLOC_ALIGN);
		if (need > BOOT_BYTES)
			return NULL;
	} while (!__atomic_compare_exchange_n(&boot_used, &old, need, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	*(size_t *)(boot_buf + start - MALLOC_ALIGN) = size;
	return boot_buf + start;
}

static size_t boot_size(const void *p)
{
	return *(const size_t *)((const char *)p - MALLOC_ALIGN);
}

static void setup(void)
{
	unsigned int i, c = 0;

	sloba_user_init();
	for (i = 0; i < ARRAY_SIZE(malloc_class); i++) {
		while (sloba_kmalloc_class[c] < i * 8 ||
		       (i > 1 && sloba_kmalloc_class[c] % MALLOC_ALIGN))
			c++;
		malloc_class[i] = sloba_kmalloc_caches[0][c];
	}
	for (i = 0; i < ARRAY_SIZE(mid_sizes); i++) {
		static char names[ARRAY_SIZE(mid_sizes)][16];

		snprintf(names[i], sizeof(names[i]), "malloc-%u", mid_sizes[i]);
		/* NULL (no cache) leaves those sizes to the page blocks. */
		mid_cache[i] = sloba_cache_create(names[i], mid_sizes[i],
						  MALLOC_ALIGN, 0, NULL);
	}
}

/* False while this thread is inside the set-up (use the bootstrap buffer). */
static bool ensure_setup(void)
{
	if (in_setup)
		return false;
	in_setup = true;
	pthread_once(&setup_once, setup);
	in_setup = false;
	return true;
}

/* ---------------------------------------------------------------------
 * Huge allocations: one mapping each
 */

#define HUGE_MAGIC	0x5105bacafe5105baUL

struct huge {
	struct list_head node;		/* on huge_list */
	unsigned long magic;
	char *map;			/* the whole mapping */
	size_t map_len;
	size_t size;			/* usable bytes from the pointer */
	size_t align;			/* what the pointer had to be aligned to */
};

static pthread_mutex_t huge_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(huge_list);

/* Freed mappings kept for reuse, newest first (under huge_lock). */
#define HUGE_CACHE		4
#define HUGE_CACHE_BYTES	((size_t)64 << 20)
static LIST_HEAD(huge_cache);
static unsigned int huge_cached;
static size_t huge_cached_bytes;

/* The header sits right before the (page-aligned) pointer. */
static struct huge *huge_hdr(const void *p)
{
	return (struct huge *)((char *)p - sizeof(struct huge));
}

/* A kept mapping that fits @usable bytes without wasting half, or NULL. */
static struct huge *huge_reuse(size_t usable)
{
	struct huge *h, *found = NULL;

	pthread_mutex_lock(&huge_lock);
	list_for_each_entry(h, &huge_cache, node) {
		if (h->size >= usable && h->size / 2 < usable) {
			found = h;
			list_del(&h->node);
			huge_cached--;
			huge_cached_bytes -= h->map_len;
			h->magic = HUGE_MAGIC;
			list_add(&h->node, &huge_list);
			break;
		}
	}
	pthread_mutex_unlock(&huge_lock);
	return found;
}

static void *huge_alloc(size_t size, size_t align)
{
	size_t len, usable;
	struct huge *h;
	char *map, *p;

	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if (size > PTRDIFF_MAX - align - PAGE_SIZE)
		return NULL;
	usable = ALIGN(size, PAGE_SIZE);
	if (align == PAGE_SIZE) {
		h = huge_reuse(usable);
		if (h)
			return h->map + PAGE_SIZE;
	}
	len = usable + PAGE_SIZE + (align - PAGE_SIZE);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	p = (char *)ALIGN((uintptr_t)map + PAGE_SIZE, align);
	/* Give back what the alignment left over on either side. */
	if (p - PAGE_SIZE > map)
		munmap(map, (size_t)(p - PAGE_SIZE - map));
	if (map + len > p + usable)
		munmap(p + usable, (size_t)(map + len - (p + usable)));
	h = huge_hdr(p);
	h->magic = HUGE_MAGIC;
	h->map = p - PAGE_SIZE;
	h->map_len = usable + PAGE_SIZE;
	h->size = usable;
	h->align = align;
	pthread_mutex_lock(&huge_lock);
	list_add(&h->node, &huge_list);
	pthread_mutex_unlock(&huge_lock);
	return p;
}

/* The header of a huge allocation starting at p, or NULL. */
static struct huge *huge_find(const void *p)
{
	struct huge *h, *found = NULL;

	if ((uintptr_t)p & (PAGE_SIZE - 1))
		return NULL;
	pthread_mutex_lock(&huge_lock);
	list_for_each_entry(h, &huge_list, node) {
		if (h == huge_hdr(p)) {
			found = h;
			break;
		}
	}
	pthread_mutex_unlock(&huge_lock);
	return found && found->magic == HUGE_MAGIC ? found : NULL;
}

void sloba_malloc_fork_lock(bool lock)
{
	if (lock)
		pthread_mutex_lock(&huge_lock);
	else
		pthread_mutex_unlock(&huge_lock);
}

/* Keep the mapping for reuse, unmapping the oldest kept beyond the cap. */
static void huge_free(struct huge *h)
{
	struct huge *old = NULL;

	pthread_mutex_lock(&huge_lock);
	list_del(&h->node);
	h->magic = 0;
	if (h->align == PAGE_SIZE && h->map_len <= HUGE_CACHE_BYTES) {
		list_add(&h->node, &huge_cache);
		huge_cached++;
		huge_cached_bytes += h->map_len;
		h = NULL;
		if (huge_cached > HUGE_CACHE ||
		    huge_cached_bytes > HUGE_CACHE_BYTES) {
			old = list_entry(huge_cache.prev, struct huge, node);
			list_del(&old->node);
			huge_cached--;
			huge_cached_bytes -= old->map_len;
		}
	}
	pthread_mutex_unlock(&huge_lock);
	if (h)
		munmap(h->map, h->map_len);
	if (old)
		munmap(old->map, old->map_len);
}

/* malloc_trim(): the kept mappings go back too. */
static void huge_trim(void)
{
	struct huge *h;

	for (;;) {
		pthread_mutex_lock(&huge_lock);
		h = list_first_entry_or_null(&huge_cache, struct huge, node);
		if (h) {
			list_del(&h->node);
			huge_cached--;
			huge_cached_bytes -= h->map_len;
		}
		pthread_mutex_unlock(&huge_lock);
		if (!h)
			return;
		munmap(h->map, h->map_len);
	}
}

/* Grow or shrink in place or by moving the pages (mremap), no copy. */
static void *huge_resize(struct huge *h, size_t size)
{
	size_t usable = ALIGN(size, PAGE_SIZE);
	char *map;

	pthread_mutex_lock(&huge_lock);
	map = mremap(h->map, h->map_len, usable + PAGE_SIZE, MREMAP_MAYMOVE);
	if (map == MAP_FAILED) {
		pthread_mutex_unlock(&huge_lock);
		return NULL;
	}
	h = (struct huge *)(map + PAGE_SIZE - sizeof(struct huge));
	/* The list links moved with the page: mend the neighbours. */
	h->node.prev->next = &h->node;
	h->node.next->prev = &h->node;
	h->map = map;
	h->map_len = usable + PAGE_SIZE;
	h->size = usable;
	pthread_mutex_unlock(&huge_lock);
	return map + PAGE_SIZE;
}

/* ---------------------------------------------------------------------
 * The allocation paths
 */

static void *nomem(void)
{
	errno = ENOMEM;
	return NULL;
}

/* Anything but a small request of a set-up process. */
static noinline void *malloc_slow(size_t size, gfp_t gfp)
{
	void *p;

	if (!ensure_setup()) {
		p = boot_alloc(size, 0);
		return p ? p : nomem();	/* boot_buf is zeroed and never reused */
	}
	if (!size)
		size = 1;
	if (size <= SLOBA_KMALLOC_MAX_CACHE_SIZE)
		p = sloba_cache_alloc(malloc_class[(size + 7) >> 3], gfp);
	else if (size <= MID_MAX && mid_class(size))
		p = sloba_cache_alloc(mid_class(size), gfp);
	else if (size <= LARGE_MAX)
		p = sloba_kmalloc(size, gfp | SLOBA_GFP_NOWARN);
	else
		p = NULL;
	/* Beyond the page allocator's blocks, or when its arena is full. */
	if (!p && size > SLOBA_KMALLOC_MAX_CACHE_SIZE)
		p = huge_alloc(size, 0);	/* fresh pages are zero */
	return p ? p : nomem();
}

void *malloc(size_t size)
{
	if (likely(size - 1 < SLOBA_KMALLOC_MAX_CACHE_SIZE)) {
		struct kmem_cache *s = malloc_class[(size + 7) >> 3];

		if (likely(s)) {
			void *p = sloba_cache_alloc(s, 0);

			return likely(p) ? p : nomem();
		}
	}
	return malloc_slow(size, 0);
}

static void bad_free(const void *p)
{
	plat_report(NULL, "free(%p): not an address this allocator handed out",
		    p);
}

static noinline void free_slow(void *p)
{
	struct huge *h;

	if (!p || is_boot(p))
		return;
	if (plat_large_size(p)) {
		sloba_kfree(p);
		return;
	}
	h = huge_find(p);
	if (h)
		huge_free(h);
	else
		bad_free(p);
}

void free(void *p)
{
	struct slab *slab = plat_virt_to_slab(p);

	if (likely(slab))
		sloba_cache_free(slab->slab_cache, p);
	else
		free_slow(p);
}

void cfree(void *p)
{
	free(p);
}

void *calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes))
		return nomem();
	if (likely(bytes - 1 < SLOBA_KMALLOC_MAX_CACHE_SIZE)) {
		struct kmem_cache *s = malloc_class[(bytes + 7) >> 3];

		if (likely(s)) {
			p = sloba_cache_alloc(s, SLOBA_GFP_ZERO);
			return likely(p) ? p : nomem();
		}
	}
	p = malloc_slow(bytes, 0);
	/* Huge mappings and the bootstrap buffer come zeroed. */
	if (p && bytes <= LARGE_MAX && !is_boot(p))
		memset(p, 0, bytes);
	return p;
}

size_t malloc_usable_size(void *p)
{
	struct slab *slab = plat_virt_to_slab(p);
	struct huge *h;
	size_t n;

	if (likely(slab))
		return slab->slab_cache->usable;
	if (!p)
		return 0;
	if (is_boot(p))
		return boot_size(p);
	n = plat_large_size(p);
	if (n)
		return n;
	h = huge_find(p);
	return h ? h->size : 0;
}

/* Whether an object of @old usable bytes is a fine home for @size bytes. */
static bool fits(size_t old, size_t size)
{
	if (size > old)
		return false;
	if (old <= SLOBA_KMALLOC_MAX_CACHE_SIZE)
		return size > SLOBA_KMALLOC_MAX_CACHE_SIZE / 2 ||
		       malloc_class[(size + 7) >> 3]->usable == old;
	return size > old / 2;	/* a mid class or a block: unless it halves */
}

void *realloc(void *p, size_t size)
{
	size_t old;
	struct huge *h = NULL;
	void *q;

	if (!p)
		return malloc(size);
	if (!size) {
		free(p);
		return NULL;
	}
	old = malloc_usable_size(p);
	if (!is_boot(p) && fits(old, size))
		return p;
	if (!old) {
		bad_free(p);
		return nomem();
	}
	if (old > LARGE_MAX && size > LARGE_MAX && !is_boot(p)) {
		h = huge_find(p);
		if (h && h->align == PAGE_SIZE) {
			q = huge_resize(h, size);
			return q ? q : nomem();
		}
	}
	q = malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, min(old, size));
	free(p);
	return q;
}

void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return nomem();
	return realloc(p, bytes);
}

/*
 * An object aligned to @align (a power of two above 16): a class whose
 * stride is a multiple of it, else a page block, else a mapping.
 */
static void *aligned_slow(size_t align, size_t size)
{
	unsigned int i;
	void *p;

	if (!ensure_setup())
		return boot_alloc(size, align);
	if (!size)
		size = 1;
	if (size <= SLOBA_KMALLOC_MAX_CACHE_SIZE && align <= PAGE_SIZE) {
		for (i = 0; i < sloba_kmalloc_nr; i++) {
			if (sloba_kmalloc_class[i] >= size &&
			    sloba_kmalloc_class[i] % align == 0)
				return sloba_cache_alloc(sloba_kmalloc_caches[0][i],
							 0);
		}
	}
	if (max(size, align) <= LARGE_MAX) {
		p = sloba_kmalloc(max(max(size, align),
				      (size_t)SLOBA_KMALLOC_MAX_CACHE_SIZE + 1),
				  SLOBA_GFP_NOWARN);
		return p;
	}
	return huge_alloc(size, align);
}

static void *aligned(size_t align, size_t size)
{
	void *p;

	if (align <= MALLOC_ALIGN)	/* the 8-byte class is only 8-aligned */
		return malloc(align > 8 && size <= 8 ? 16 : size);
	p = aligned_slow(align, size);
	return p ? p : nomem();
}

void *memalign(size_t align, size_t size)
{
	/* glibc's memalign takes any alignment, rounded up to a power of 2 */
	if (align & (align - 1)) {
		if (align > ((size_t)1 << (sizeof(size_t) * 8 - 2)))
			return nomem();
		align = (size_t)1 << (sizeof(size_t) * 8 - __builtin_clzl(align));
	}
	return aligned(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	p = aligned(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return aligned(PAGE_SIZE, size);
}

void *pvalloc(size_t size)
{
	if (size > SIZE_MAX - PAGE_SIZE)
		return nomem();
	return aligned(PAGE_SIZE, size ? ALIGN(size, PAGE_SIZE) : PAGE_SIZE);
}

/* ---------------------------------------------------------------------
 * Statistics and tuning
 */

int malloc_trim(size_t pad)
{
	(void)pad;
	if (!ensure_setup())
		return 0;
	sloba_shrink_all();
	sloba_trim();
	huge_trim();
	return 1;
}

int mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 0;
}

struct mallinfo2 mallinfo2(void)
{
	struct mallinfo2 mi = { 0 };
	struct sloba_page_stats st;

	if (!ensure_setup())
		return mi;
	sloba_page_stats(&st);
	mi.arena = st.arena_pages * PAGE_SIZE;
	mi.uordblks = (st.slab_pages + st.large_pages) * PAGE_SIZE;
	mi.fordblks = st.free_pages * PAGE_SIZE;
	mi.keepcost = st.resident_free_pages * PAGE_SIZE;
	return mi;
}

struct mallinfo mallinfo(void)
{
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo mi = { 0 };

	mi.arena = (int)min(m2.arena, (size_t)INT32_MAX);
	mi.uordblks = (int)min(m2.uordblks, (size_t)INT32_MAX);
	mi.fordblks = (int)min(m2.fordblks, (size_t)INT32_MAX);
	mi.keepcost = (int)min(m2.keepcost, (size_t)INT32_MAX);
	return mi;
}

/* Like glibc's: a summary on stderr.  dprintf formats on the stack. */
void malloc_stats(void)
{
	struct mallinfo2 mi = mallinfo2();

	dprintf(2, "sloba: arena %zu bytes, in use %zu, free %zu (resident %zu)\n",
		mi.arena, mi.uordblks, mi.fordblks, mi.keepcost);
}

int malloc_info(int options, FILE *fp)
{
	struct mallinfo2 mi;

	if (options) {
		errno = EINVAL;
		return -1;
	}
	mi = mallinfo2();
	fprintf(fp, "<malloc version=\"sloba-1\">\n"
		"<total type=\"arena\" size=\"%zu\"/>\n"
		"<total type=\"inuse\" size=\"%zu\"/>\n"
		"<total type=\"free\" size=\"%zu\"/>\n"
		"</malloc>\n", mi.arena, mi.uordblks, mi.fordblks);
	return 0;
}

/* glibc's internal names, which a few programs and tools call directly. */
void *__libc_malloc(size_t size);
void __libc_free(void *p);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);

void *__libc_malloc(size_t size) { return malloc(size); }
void __libc_free(void *p) { free(p); }
void *__libc_calloc(size_t n, size_t size) { return calloc(n, size); }
void *__libc_realloc(void *p, size_t size) { return realloc(p, size); }
void *__libc_memalign(size_t align, size_t size) { return memalign(align, size); }
void *__libc_valloc(size_t size) { return valloc(size); }
void *__libc_pvalloc(size_t size) { return pvalloc(size); }
