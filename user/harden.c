// SPDX-License-Identifier: GPL-2.0-only
/*
 * harden.c - the kernel's slab hardening and memory reserves, for the
 * userspace build that tests them.  Built with SLOBA_HARDENED=1 (the ASan+UBSan test build), the
 * core stores free-object links obfuscated (SLAB_FREELIST_HARDENED) and
 * carves new slabs in a random order per cache (SLAB_FREELIST_RANDOM), so
 * the sanitizers and the test suites reach that code too; the library that
 * is installed and measured keeps links plain and slabs in order.
 *
 * Built with SLOBA_RESERVES=1 too, sloba_test_reserves() makes memory
 * "low": new slabs are reserve slabs (the kernel's pfmemalloc pages) and
 * go only to SLOBA_GFP_MEMALLOC callers (pages.c), so the core's keeping
 * of reserve objects apart is tested.
 *
 * The random numbers are not for cryptography: a per-thread xorshift
 * seeded from getrandom(), enough to make layouts unpredictable to a test.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include "sloba.h"
#include "sloba_plat_inline.h"

bool sloba_user_reserves;

int sloba_test_reserves(int on)
{
	if (!SLOBA_RESERVES)
		return -ENOSYS;
	__atomic_store_n(&sloba_user_reserves, on != 0, __ATOMIC_RELAXED);
	return 0;
}

static __thread unsigned int rnd_state;

unsigned int sloba_user_random(void)
{
	unsigned int x = rnd_state;

	while (!x && getrandom(&x, sizeof(x), 0) != sizeof(x))
		;
	x |= !x;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rnd_state = x;
	return x;
}

/* The kmalloc classes' sequences live here: they never go away. */
static unsigned int boot_seqs[16384];
static size_t boot_used;

/*
 * Give @s a random carving order (a Fisher-Yates shuffle of its slab's
 * object indices), from the static pool when @boot, else from mmap(): not
 * from the allocator itself, whose page counts the tests check.
 */
void sloba_user_random_seq(struct kmem_cache *s, bool boot)
{
	unsigned int i, j, t, n = s->objects, *seq;

	if (!SLOBA_HARDENED || n < 2 || s->random_seq)
		return;
	if (boot) {
		if (boot_used + n > ARRAY_SIZE(boot_seqs))
			return;		/* stays in order */
		seq = boot_seqs + boot_used;
		boot_used += n;
	} else {
		seq = mmap(NULL, n * sizeof(*seq), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (seq == MAP_FAILED)
			return;
	}
	for (i = 0; i < n; i++)
		seq[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = sloba_user_random() % (i + 1);
		t = seq[i];
		seq[i] = seq[j];
		seq[j] = t;
	}
	s->random_seq = seq;
}

void sloba_user_random_seq_free(struct kmem_cache *s)
{
	unsigned int *seq = s->random_seq;

	s->random_seq = NULL;
	if (seq && (seq < boot_seqs || seq >= boot_seqs + ARRAY_SIZE(boot_seqs)))
		munmap(seq, s->objects * sizeof(*seq));
}
