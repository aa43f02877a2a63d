// SPDX-License-Identifier: GPL-2.0-only
/*
 * threads.c - per-thread freelists, the userspace stand-in for the kernel's
 * per-CPU data.
 *
 * Every cache owns one slot number (kmem_cache::cpu); every thread has a
 * table of struct sloba_cpu indexed by slot.  The first SLOBA_TLS_FAST
 * slots are a static TLS array, so the fast path reaches its slot without a
 * call; higher slots live in a per-thread array that grows on demand.
 *
 * A thread's slots are born with limit 0, which sends its first allocation
 * or free of each cache to the core's slow path; there the core asks
 * plat_cpu_activate() before caching, and the thread is registered: put on
 * the registry (so cache shutdown can drain it) and given a pthread key
 * whose destructor gives every cached object back when the thread exits.
 * After that the thread works "direct" (limit 0, no caching) so frees from
 * later destructors still land safely.
 *
 * registry_lock protects the registry, slot ownership and the growth of
 * the per-thread arrays.  It nests outside kmem_cache::lock (draining takes
 * it while holding this one).
 */
#include <sys/mman.h>
#include "sloba.h"

#define SLOBA_MAX_SLOTS	4096

__thread struct sloba_cpu sloba_tls_fast[SLOBA_TLS_FAST]
	__attribute__((tls_model("initial-exec")));

enum thread_state { THREAD_NEW, THREAD_LIVE, THREAD_EXITING };

struct sloba_thread {
	struct list_head node;		/* on the registry while LIVE */
	struct sloba_cpu *fast;		/* this thread's sloba_tls_fast */
	struct sloba_cpu *more;		/* slots SLOBA_TLS_FAST and up */
	unsigned int nmore;
	enum thread_state state;
};

static __thread struct sloba_thread self;
/* Handed out when a slot cannot be had: never caches (limit stays 0). */
static __thread struct sloba_cpu direct_slot;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(registry);
static struct kmem_cache *slot_owner[SLOBA_MAX_SLOTS];
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* Slot @i of a registered thread, NULL if that thread has none yet. */
static struct sloba_cpu *thread_slot(struct sloba_thread *t, unsigned int i)
{
	if (i < SLOBA_TLS_FAST)
		return t->fast ? &t->fast[i] : NULL;
	if (i - SLOBA_TLS_FAST < t->nmore)
		return &t->more[i - SLOBA_TLS_FAST];
	return NULL;
}

/* The calling thread's slot @index, for index >= SLOBA_TLS_FAST. */
struct sloba_cpu *sloba_tls_slot(unsigned int index)
{
	struct sloba_cpu *c, *old;
	unsigned int n, need, old_n;

	c = thread_slot(&self, index);
	if (c)
		return c;
	if (self.state == THREAD_EXITING || index >= SLOBA_MAX_SLOTS)
		return &direct_slot;
	need = index - SLOBA_TLS_FAST + 1;
	n = self.nmore ? self.nmore * 2 : 64;
	while (n < need)
		n *= 2;
	c = mmap(NULL, n * sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return &direct_slot;
	pthread_mutex_lock(&registry_lock);
	old = self.more;
	old_n = self.nmore;
	if (old)
		memcpy(c, old, old_n * sizeof(*c));
	self.more = c;
	self.nmore = n;
	pthread_mutex_unlock(&registry_lock);
	if (old)
		munmap(old, old_n * sizeof(*c));
	return &self.more[index - SLOBA_TLS_FAST];
}

/* Give back every object the exiting thread holds, and stop caching. */
static void thread_exit(void *arg)
{
	unsigned int i, n = SLOBA_TLS_FAST + self.nmore;

	(void)arg;
	pthread_mutex_lock(&registry_lock);
	self.state = THREAD_EXITING;
	for (i = 0; i < n; i++) {
		struct sloba_cpu *c = thread_slot(&self, i);

		if (c->freelist)
			sloba_cpu_drain(slot_owner[i], c);
		c->limit = 0;
	}
	list_del(&self.node);
	pthread_mutex_unlock(&registry_lock);
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, thread_exit);
}

bool plat_cpu_activate(struct kmem_cache *s, struct sloba_cpu *c)
{
	(void)s;
	if (c == &direct_slot || self.state == THREAD_EXITING)
		return false;
	if (self.state == THREAD_NEW) {
		pthread_once(&key_once, make_exit_key);
		if (pthread_setspecific(exit_key, &self))
			return false;
		pthread_mutex_lock(&registry_lock);
		self.fast = sloba_tls_fast;
		list_add(&self.node, &registry);
		self.state = THREAD_LIVE;
		pthread_mutex_unlock(&registry_lock);
	}
	return true;
}

int plat_cache_cpu_init(struct kmem_cache *s)
{
	unsigned int i;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < SLOBA_MAX_SLOTS && slot_owner[i]; i++)
		;
	if (i < SLOBA_MAX_SLOTS)
		slot_owner[i] = s;
	pthread_mutex_unlock(&registry_lock);
	if (i == SLOBA_MAX_SLOTS)
		return -ENOMEM;
	s->cpu = i;
	return 0;
}

void plat_cache_cpu_release(struct kmem_cache *s)
{
	struct sloba_thread *t;
	struct sloba_cpu *c;

	pthread_mutex_lock(&registry_lock);
	list_for_each_entry(t, &registry, node) {
		c = thread_slot(t, s->cpu);
		if (c)
			memset(c, 0, sizeof(*c));
	}
	/* This thread's slot too, if it never registered. */
	if (self.state == THREAD_NEW) {
		c = s->cpu < SLOBA_TLS_FAST ? &sloba_tls_fast[s->cpu] :
					      thread_slot(&self, s->cpu);
		if (c)
			memset(c, 0, sizeof(*c));
	}
	slot_owner[s->cpu] = NULL;
	pthread_mutex_unlock(&registry_lock);
}

void plat_drain_cpus(struct kmem_cache *s, bool all)
{
	struct sloba_thread *t;
	struct sloba_cpu *c;
	unsigned long flags;

	if (!all) {
		sloba_cpu_drain(s, plat_cpu_get(s, &flags));
		return;
	}
	pthread_mutex_lock(&registry_lock);
	list_for_each_entry(t, &registry, node) {
		c = thread_slot(t, s->cpu);
		if (c && c->freelist)
			sloba_cpu_drain(s, c);
	}
	pthread_mutex_unlock(&registry_lock);
}
