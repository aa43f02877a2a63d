// SPDX-License-Identifier: GPL-2.0-only
/*
 * sanitize.c - sloba's objects made visible to AddressSanitizer and to
 * Valgrind's memcheck.  Built only into the sanitizer variants of libsloba
 * (see sanitize.h): there the core's object entry points are renamed
 * sloba_core_*, and the public ones below wrap them.
 *
 * Allocation: the core returns an object; then the requested bytes are
 * made accessible and the rest of the stride (or of the page block, for a
 * large kmalloc) becomes a red zone.  __GFP_ZERO is done here, after
 * that, not by the core (which would write into poisoned memory).
 *
 * Free: the pointer must start a live object (an interior pointer or a
 * double free is reported through the report handler, with the stacks
 * that allocated and freed it, and the object is left alone); the whole
 * object is poisoned *before* the core gets it back -- once the core has
 * it, another thread may already own it -- and it waits in a quarantine
 * of QUARANTINE recent frees before the core may reuse it, so a late
 * access finds it poisoned.  (Objects of caches with a constructor skip
 * the quarantine: reusing built objects is what a constructor is for, and
 * they stay poisoned until reused.)  Statistics, shrink, trim and cache
 * destruction empty the quarantine first.
 *
 * ASan: shadow bytes are written with ASan's own heap values (0xfa for a
 * red zone, 0xfd for freed memory; the shadow is found through
 * __asan_get_shadow_mapping), so ASan names what it finds
 * heap-buffer-overflow or heap-use-after-free.  ASan cannot describe
 * memory it did not allocate, so a report callback adds sloba's
 * description: the object, its cache, and the stacks that allocated and
 * freed it, recorded here by a frame-pointer walk (the ASan build keeps
 * frame pointers) in a table indexed by address.
 *
 * Valgrind: VALGRIND_MALLOCLIKE_BLOCK / VALGRIND_FREELIKE_BLOCK, so
 * memcheck tracks each object as a heap block with its own stacks; red
 * zones are VALGRIND_MAKE_MEM_NOACCESS; a second free shows up as an
 * error count that went up (VALGRIND_COUNT_ERRORS) around the FREELIKE.
 *
 * Debug caches (SLOBA_DEBUG & co.) check and poison their objects
 * themselves, with memset, and SLAB_TYPESAFE_BY_RCU caches promise that a
 * freed object stays readable: both bypass all this.
 *
 * One mutex (san.lock) protects the quarantine and the stack table.  It is
 * a leaf: objects leave the quarantine for the core after it is dropped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "sloba.h"
#include "sloba_plat_inline.h"

#ifdef SLOBA_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

void *sloba_core_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void sloba_core_cache_free(struct kmem_cache *s, void *obj);
int sloba_core_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr,
				void **p);
void sloba_core_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p);
int sloba_core_cache_shrink(struct kmem_cache *s);
int sloba_core_cache_shutdown(struct kmem_cache *s);
void sloba_core_cache_get_info(struct kmem_cache *s,
			       struct sloba_cache_info *info);
void *sloba_core_kmalloc(size_t size, gfp_t gfp);
void *sloba_core_krealloc(const void *p, size_t new_size, gfp_t gfp);
void sloba_core_kfree(const void *p);
size_t sloba_core_ksize(const void *p);

/* The fuzzer's coverage has nothing to learn from the shadow loops. */
#ifdef __clang__
#define NO_COVERAGE	__attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define QUARANTINE	512
#define STACK_DEPTH	6
#define RECORDS		(1 << 16)

/* Who allocated and who freed an object, as far as the table remembers. */
struct record {
	const void *obj;
	size_t size;			/* requested */
	uintptr_t alloc[STACK_DEPTH];
	uintptr_t free[STACK_DEPTH];
};

/* A freed object waiting to go back to the core (s NULL: a page block). */
struct parked {
	struct kmem_cache *s;
	void *obj;
};

static struct {
	pthread_mutex_t lock;
	struct parked q[QUARANTINE];
	unsigned int head, n;
	struct record rec[RECORDS];
} san = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct record *record_of(const void *obj)
{
	uint64_t h = ((uintptr_t)obj >> 3) * 0x9e3779b97f4a7c15ULL;

	return &san.rec[h >> (64 - 16)];
}

/* ---------------------------------------------------------------------
 * Call stacks (ASan build: frame pointers are kept)
 */

static noinline NO_COVERAGE SLOBA_NO_SANITIZE void take_stack(uintptr_t *pcs)
{
	int i = 0;
#ifdef SLOBA_ASAN
	uintptr_t *fp = __builtin_frame_address(0);

	/* Start at our caller's caller: alloced() or freeing() say nothing. */
	if (fp)
		fp = (uintptr_t *)fp[0];
	while (i < STACK_DEPTH && fp) {
		uintptr_t *next = (uintptr_t *)fp[0];

		pcs[i++] = fp[1];
		/* Frames grow up the stack; stop at anything else. */
		if (next <= fp || (uintptr_t)next - (uintptr_t)fp > (1 << 20) ||
		    ((uintptr_t)next & 7))
			break;
		fp = next;
	}
#endif
	while (i < STACK_DEPTH)
		pcs[i++] = 0;
}

static void print_stack(const char *what, const uintptr_t *pcs)
{
	char line[512];
	int i;

	if (!pcs[0])
		return;		/* Valgrind keeps its own stacks */
	dprintf(2, "sloba: %s:\n", what);
	for (i = 0; i < STACK_DEPTH && pcs[i]; i++) {
#ifdef SLOBA_ASAN
		/* Return addresses: look up the call instruction before. */
		__sanitizer_symbolize_pc((void *)(pcs[i] - 1), "%p in %f %L",
					 line, sizeof(line));
#else
		snprintf(line, sizeof(line), "%#lx", (unsigned long)pcs[i]);
#endif
		dprintf(2, "    #%d %s\n", i, line);
	}
}

/* The stacks the table holds for obj, if it still holds them. */
static void print_history(const void *obj)
{
	struct record r = *record_of(obj);

	if (r.obj != obj)
		return;
	print_stack("allocated here (sloba)", r.alloc);
	if (r.free[0])
		print_stack("freed here (sloba)", r.free);
}

/* ---------------------------------------------------------------------
 * Poisoning
 */

#ifdef SLOBA_ASAN
#define SHADOW_REDZONE	0xfa	/* ASan's heap red zone */
#define SHADOW_FREED	0xfd	/* ASan's freed heap memory */

static NO_COVERAGE SLOBA_NO_SANITIZE volatile unsigned char *shadow_of(const void *p)
{
	static size_t scale, offset;

	if (!offset)
		__asan_get_shadow_mapping(&scale, &offset);
	return (volatile unsigned char *)(((uintptr_t)p >> scale) + offset);
}

/* Set [p, p + n) to @v (both ends 8-aligned: objects and strides are). */
static NO_COVERAGE SLOBA_NO_SANITIZE void shadow_set(const void *p, size_t n,
					  unsigned char v)
{
	volatile unsigned char *sh = shadow_of(p);
	size_t i;

	for (i = 0; i < n / 8; i++)
		sh[i] = v;
}

/* @size bytes usable from @p, red zone to @p + @room. */
static NO_COVERAGE SLOBA_NO_SANITIZE void mark_live(void *p, size_t size, size_t room)
{
	volatile unsigned char *sh = shadow_of(p);
	size_t full = size / 8, i;

	for (i = 0; i < full; i++)
		sh[i] = 0;
	if (size % 8)
		sh[i++] = (unsigned char)(size % 8);
	for (; i < room / 8; i++)
		sh[i] = SHADOW_REDZONE;
}

static SLOBA_NO_SANITIZE bool is_freed(const void *p)
{
	return *shadow_of(p) == SHADOW_FREED;
}

static void mark_free(void *p, size_t room)
{
	shadow_set(p, room, SHADOW_FREED);
}
#endif

#ifdef SLOBA_VALGRIND
static void mark_live(void *p, size_t size, size_t room)
{
	if (room > size)
		VALGRIND_MAKE_MEM_NOACCESS((char *)p + size, room - size);
	VALGRIND_MALLOCLIKE_BLOCK(p, size, 0, 0);
}

static void mark_free(void *p, size_t room)
{
	(void)room;
	VALGRIND_FREELIKE_BLOCK(p, 0);
}
#endif

/* A live object now holds @size bytes instead of @old: contents stay. */
static void mark_resized(void *p, size_t old, size_t size, size_t room)
{
	struct record *r;

	pthread_mutex_lock(&san.lock);
	r = record_of(p);
	if (r->obj == p)
		r->size = size;
	pthread_mutex_unlock(&san.lock);
#ifdef SLOBA_ASAN
	(void)old;
	mark_live(p, size, room);
#else
	(void)room;
	VALGRIND_RESIZEINPLACE_BLOCK(p, old, size, 0);
#endif
}

void san_slab_new(void *addr, size_t bytes)
{
#ifdef SLOBA_ASAN
	shadow_set(addr, bytes, 0);
#else
	VALGRIND_MAKE_MEM_UNDEFINED(addr, bytes);
#endif
}

void san_slab_gone(void *addr, size_t bytes)
{
#ifdef SLOBA_ASAN
	shadow_set(addr, bytes, SHADOW_FREED);
#else
	VALGRIND_MAKE_MEM_NOACCESS(addr, bytes);
#endif
}

/* ---------------------------------------------------------------------
 * The way in and the way out
 */

/*
 * Caches this file looks after: not debug caches, nor SLAB_TYPESAFE_BY_RCU
 * ones, whose freed objects may still be read by RCU readers (KASAN leaves
 * them alone too).
 */
static bool plain(const struct kmem_cache *s)
{
	return !(s->sflags & (SLOBA_F_DEBUG | SLOBA_F_RCU));
}

/* The object's room: its stride, or its page block. */
static size_t room_of(const struct kmem_cache *s, const void *p)
{
	return s ? s->size : plat_large_size(p);
}

static void *alloced(struct kmem_cache *s, void *p, size_t size, gfp_t gfp)
{
	struct record *r;

	if (!p || p == ZERO_SIZE_PTR)
		return p;
	mark_live(p, size, room_of(s, p));
	if (gfp & __GFP_ZERO)
		memset(p, 0, size);
#ifdef SLOBA_VALGRIND
	else if (s && s->ctor)
		VALGRIND_MAKE_MEM_DEFINED(p, size);	/* built by the ctor */
#endif
	pthread_mutex_lock(&san.lock);
	r = record_of(p);
	r->obj = p;
	r->size = size;
	take_stack(r->alloc);
	r->free[0] = 0;
	pthread_mutex_unlock(&san.lock);
	return p;
}

static void give_back(const struct parked *e)
{
	if (e->s)
		sloba_core_cache_free(e->s, e->obj);
	else
		sloba_core_kfree(e->obj);
}

static void report_bad_free(struct kmem_cache *s, const void *p,
			    const char *what)
{
	plat_report(s, "%s of %p in cache %s", what, p,
		    s ? s->name : "(page blocks)");
	print_history(p);
#ifdef SLOBA_ASAN
	dprintf(2, "sloba: %s here:\n", what);
	__sanitizer_print_stack_trace();
#else
	VALGRIND_PRINTF_BACKTRACE("sloba: %s here:\n", what);
#endif
}

/* @s is NULL for a large (page block) allocation. */
static void freeing(struct kmem_cache *s, void *p)
{
	struct parked e = { s, p }, old = { NULL, NULL };
	struct record *r;
	bool evict;

	if (s && sloba_object_start(p) != p) {
		report_bad_free(s, p, "free of an interior pointer");
		return;
	}
#ifdef SLOBA_ASAN
	if (is_freed(p)) {
		report_bad_free(s, p, "double free");
		return;
	}
	mark_free(p, room_of(s, p));
#else
	{
		unsigned int before = VALGRIND_COUNT_ERRORS;

		mark_free(p, room_of(s, p));
		if (VALGRIND_COUNT_ERRORS != before) {
			report_bad_free(s, p, "double free");
			return;
		}
	}
#endif
	pthread_mutex_lock(&san.lock);
	r = record_of(p);
	if (r->obj == p)
		take_stack(r->free);
	if (s && s->ctor) {
		/* Built objects are meant to be reused: no quarantine. */
		pthread_mutex_unlock(&san.lock);
		give_back(&e);
		return;
	}
	evict = san.n == QUARANTINE;
	if (evict) {
		old = san.q[san.head];
		san.q[san.head] = e;
		san.head = (san.head + 1) % QUARANTINE;
	} else {
		san.q[(san.head + san.n++) % QUARANTINE] = e;
	}
	pthread_mutex_unlock(&san.lock);
	if (evict)
		give_back(&old);
}

/*
 * Everything in the quarantine goes back to the core now, and on to the
 * slabs: had it stayed on this thread's freelists, statistics would count
 * it as in use, as they count any object a thread caches.
 */
void san_flush(void)
{
	struct parked batch[64];
	unsigned long flags;
	unsigned int i, n;

	do {
		pthread_mutex_lock(&san.lock);
		for (n = 0; n < 64 && san.n; n++, san.n--) {
			batch[n] = san.q[san.head];
			san.head = (san.head + 1) % QUARANTINE;
		}
		pthread_mutex_unlock(&san.lock);
		for (i = 0; i < n; i++)
			give_back(&batch[i]);
		for (i = 0; i < n; i++) {
			struct kmem_cache *s = batch[i].s;

			if (s && (i == 0 || s != batch[i - 1].s)) {
				sloba_cpu_drain(s, plat_cpu_get(s, &flags));
				plat_cpu_put(s, flags);
			}
		}
	} while (n);
}

/* ---------------------------------------------------------------------
 * The public entry points
 */

void *sloba_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	if (!plain(s))
		return sloba_core_cache_alloc(s, gfp);
	return alloced(s, sloba_core_cache_alloc(s, gfp & ~__GFP_ZERO),
		       s->object_size, gfp);
}

void sloba_cache_free(struct kmem_cache *s, void *obj)
{
	if (!obj)
		return;
	if (!plain(s))
		sloba_core_cache_free(s, obj);
	else
		freeing(s, obj);
}

int sloba_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr,
			   void **p)
{
	size_t i;

	if (!plain(s))
		return sloba_core_cache_alloc_bulk(s, gfp, nr, p);
	if (!sloba_core_cache_alloc_bulk(s, gfp & ~__GFP_ZERO, nr, p))
		return 0;
	for (i = 0; i < nr; i++)
		alloced(s, p[i], s->object_size, gfp);
	return (int)nr;
}

void sloba_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (s)
			sloba_cache_free(s, p[i]);
		else
			sloba_kfree(p[i]);
	}
}

int sloba_cache_shrink(struct kmem_cache *s)
{
	san_flush();
	return sloba_core_cache_shrink(s);
}

int sloba_cache_shutdown(struct kmem_cache *s)
{
	san_flush();
	return sloba_core_cache_shutdown(s);
}

void sloba_cache_get_info(struct kmem_cache *s, struct sloba_cache_info *info)
{
	san_flush();
	sloba_core_cache_get_info(s, info);
}

void *sloba_kmalloc(size_t size, gfp_t gfp)
{
	struct kmem_cache *s = sloba_kmalloc_cache(size);

	if (s && !plain(s))
		return sloba_core_kmalloc(size, gfp);
	return alloced(s, sloba_core_kmalloc(size, gfp & ~__GFP_ZERO), size,
		       gfp);
}

void sloba_kfree(const void *p)
{
	struct kmem_cache *s;

	if (ZERO_OR_NULL_PTR(p))
		return;
	s = sloba_obj_cache(p);
	if (s && !plain(s))
		sloba_core_kfree(p);
	else if (s || plat_large_size(p))
		freeing(s, (void *)p);
	else
		sloba_core_kfree(p);	/* not ours: the core reports it */
}

/* The bytes of @p the caller may read: what it asked for. */
static size_t requested(const void *p, size_t usable)
{
#ifdef SLOBA_ASAN
	const char *bad = __asan_region_is_poisoned((void *)p, usable);

	return bad ? (size_t)(bad - (const char *)p) : usable;
#else
	struct record *r;
	size_t n = usable;

	pthread_mutex_lock(&san.lock);
	r = record_of(p);
	if (r->obj == p && r->size < usable)
		n = r->size;
	pthread_mutex_unlock(&san.lock);
	return n;
#endif
}

/* As KASAN's ksize(): the whole usable size may be used from now on. */
size_t sloba_ksize(const void *p)
{
	struct kmem_cache *s;
	size_t n = sloba_core_ksize(p);

	if (!n)
		return 0;
	s = sloba_obj_cache(p);
	if (!s || plain(s)) {
#ifdef SLOBA_ASAN
		if (is_freed(p))
			return n;	/* let the caller's access be reported */
#endif
		mark_resized((void *)p, requested(p, n), n, n);
	}
	return n;
}

void *sloba_krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	struct kmem_cache *s = sloba_obj_cache(p);
	size_t usable, old;
	void *q;

	if (s && !plain(s))
		return sloba_core_krealloc(p, new_size, gfp);
	if (!new_size) {
		sloba_kfree(p);
		return ZERO_SIZE_PTR;
	}
	usable = ZERO_OR_NULL_PTR(p) ? 0 : sloba_core_ksize(p);
	old = usable ? requested(p, usable) : 0;
	if (usable >= new_size) {
		/* In place: the red zone moves. */
		mark_resized((void *)p, old, new_size, room_of(s, p));
		if ((gfp & __GFP_ZERO) && new_size > old)
			memset((char *)p + old, 0, new_size - old);
		return (void *)p;
	}
	q = sloba_kmalloc(new_size, gfp);
	if (q && old) {
		memcpy(q, p, old);
		sloba_kfree(p);
	}
	return q;
}

/* ---------------------------------------------------------------------
 * ASan's report, completed with what sloba knows of the address
 */

#ifdef SLOBA_ASAN
static void describe(const char *report)
{
	void *addr = __asan_get_report_address();
	struct kmem_cache *s = sloba_obj_cache(addr);
	char *obj;

	(void)report;
	if (!s)
		return;
	obj = sloba_object_start(addr);
	if (!obj)
		return;
	dprintf(2, "sloba: %p is %zu bytes into object %p of cache %s (stride %u)\n",
		addr, (size_t)((char *)addr - obj), (void *)obj, s->name,
		s->size);
	print_history(obj);
}

__attribute__((constructor)) static void san_init(void)
{
	__asan_set_error_report_callback(describe);
}
#endif

/* fork() (fork.c): the quarantine's lock, taken last. */
void sloba_sanitize_fork_lock(bool lock)
{
	if (lock)
		pthread_mutex_lock(&san.lock);
	else
		pthread_mutex_unlock(&san.lock);
}
