// SPDX-License-Identifier: GPL-2.0-only
/*
 * threads.c - per-thread freelists, the userspace stand-in for the kernel's
 * per-CPU data.
 *
 * Every thread has a static TLS array of SLOBA_TLS_SLOTS struct sloba_cpu,
 * and every cache owns one slot number in it.  Because static TLS sits at
 * the same offset from the thread pointer in every thread, a cache stores
 * that offset (kmem_cache::cpu) and the fast path reaches its slot with a
 * single thread-pointer-relative access: no call, no bound check.  A cache
 * created when every slot is taken shares the last slot, whose limit stays
 * 0: it works, straight on its slabs, without caching.
 *
 * A thread's slots are born with limit 0, which sends its first allocation
 * or free of each cache to the core's slow path; there the core asks
 * plat_cpu_activate() before caching, and the thread is registered: put on
 * the registry (so cache shutdown can drain it) and given a pthread key
 * whose destructor gives every cached object back when the thread exits.
 * After that the thread works direct (limit 0, no caching) so frees from
 * later destructors still land safely.
 *
 * registry_lock protects the registry and slot ownership.  It nests outside
 * kmem_cache::lock (draining takes that while holding this one).
 */
#include "sloba.h"
#include "sloba_plat_inline.h"

__thread struct sloba_cpu sloba_tls_slots[SLOBA_TLS_SLOTS]
	__attribute__((tls_model("initial-exec")));
/* The last slot serves every cache that got none: its limit stays 0. */
#define DIRECT_SLOT	(SLOBA_TLS_SLOTS - 1)

/* THREAD_SETUP: registering (pthread_setspecific may allocate). */
enum thread_state { THREAD_NEW, THREAD_SETUP, THREAD_LIVE, THREAD_EXITING };

struct sloba_thread {
	struct list_head node;		/* on the registry while LIVE */
	struct sloba_cpu *slots;	/* this thread's sloba_tls_slots */
	enum thread_state state;
};

static __thread struct sloba_thread self
	__attribute__((tls_model("initial-exec")));

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(registry);
static struct kmem_cache *slot_owner[DIRECT_SLOT];
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/*
 * This thread's slot array.  The empty asm hides the address's origin, or
 * the compiler folds "slot - thread pointer" into a form of TLS access
 * that the linker cannot relax.
 */
static struct sloba_cpu *own_slots(void)
{
	struct sloba_cpu *p = sloba_tls_slots;

	__asm__("" : "+r"(p));
	return p;
}

/* Thread-pointer offset of slot @i: the same in every thread. */
static sloba_cpu_ref_t slot_offset(int i)
{
	return (char *)&own_slots()[i] - (char *)__builtin_thread_pointer();
}

/* The slot number behind a cache's offset, or -1 for the shared slot. */
static int slot_index(const struct kmem_cache *s)
{
	int i = (int)((s->cpu - slot_offset(0)) /
		      (sloba_cpu_ref_t)sizeof(struct sloba_cpu));

	return i == DIRECT_SLOT ? -1 : i;
}

/* Give back every object the exiting thread holds, and stop caching. */
static void thread_exit(void *arg)
{
	int i;

	(void)arg;
	pthread_mutex_lock(&registry_lock);
	self.state = THREAD_EXITING;
	for (i = 0; i < DIRECT_SLOT; i++) {
		struct sloba_cpu *c = &own_slots()[i];

		if (slot_owner[i])
			sloba_cpu_retire(slot_owner[i], c);
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
	if (c == &own_slots()[DIRECT_SLOT] || self.state == THREAD_EXITING ||
	    self.state == THREAD_SETUP)
		return false;
	if (self.state == THREAD_NEW) {
		self.state = THREAD_SETUP;
		pthread_once(&key_once, make_exit_key);
		if (pthread_setspecific(exit_key, &self)) {
			self.state = THREAD_NEW;
			return false;
		}
		pthread_mutex_lock(&registry_lock);
		self.slots = own_slots();
		list_add(&self.node, &registry);
		self.state = THREAD_LIVE;
		pthread_mutex_unlock(&registry_lock);
	}
	return true;
}

int plat_cache_cpu_init(struct kmem_cache *s)
{
	int i;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < DIRECT_SLOT && slot_owner[i]; i++)
		;
	if (i < DIRECT_SLOT)
		slot_owner[i] = s;
	s->cpu = slot_offset(i);
	pthread_mutex_unlock(&registry_lock);
	return 0;
}

void plat_cache_cpu_release(struct kmem_cache *s)
{
	struct sloba_thread *t;
	int i = slot_index(s);

	if (i < 0)
		return;
	pthread_mutex_lock(&registry_lock);
	list_for_each_entry(t, &registry, node)
		memset(&t->slots[i], 0, sizeof(t->slots[i]));
	/* This thread's slot too, if it never registered. */
	if (self.state == THREAD_NEW)
		memset(&own_slots()[i], 0, sizeof(struct sloba_cpu));
	slot_owner[i] = NULL;
	pthread_mutex_unlock(&registry_lock);
}

void plat_drain_cpus(struct kmem_cache *s, bool all)
{
	struct sloba_thread *t;
	unsigned long flags;
	int i = slot_index(s);

	if (i < 0)
		return;
	if (!all) {
		sloba_cpu_drain(s, plat_cpu_get(s, &flags));
		return;
	}
	pthread_mutex_lock(&registry_lock);
	list_for_each_entry(t, &registry, node)
		sloba_cpu_drain(s, &t->slots[i]);
	pthread_mutex_unlock(&registry_lock);
}

void plat_visit_cpu_lists(struct kmem_cache *s, sloba_cpu_visit_t *fn,
			  void *arg)
{
	struct sloba_thread *t;
	int i = slot_index(s);

	if (i < 0)
		return;
	pthread_mutex_lock(&registry_lock);
	list_for_each_entry(t, &registry, node)
		fn(s, &t->slots[i], arg);
	pthread_mutex_unlock(&registry_lock);
}

/*
 * fork() (fork.c): the registry is locked around it.  In the child only
 * the forking thread is left; the others leave the registry, and the
 * objects on their freelists stay allocated for good (a thread stopped in
 * the middle of its lock-free fast path may have left its list half
 * written, so walking it is not safe).
 */
void sloba_threads_fork_prepare(void)
{
	pthread_mutex_lock(&registry_lock);
}

void sloba_threads_fork_parent(void)
{
	pthread_mutex_unlock(&registry_lock);
}

void sloba_threads_fork_child(void)
{
	struct sloba_thread *t, *next;

	list_for_each_entry_safe(t, next, &registry, node)
		if (t != &self)
			list_del(&t->node);
	pthread_mutex_unlock(&registry_lock);
}
