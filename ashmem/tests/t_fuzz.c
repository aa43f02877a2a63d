// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_fuzz.c ITERATIONS SEED - random ioctls and file operations.
 *
 * A fixed number of random calls, reproducible from the seed, on a pool
 * of regions in every state (fresh, sized, named, mapped, with a reduced
 * mask): ioctls with real and random command numbers (type 0x77 and
 * others), random argument values and pointers (valid, NULL, unmapped,
 * kernel addresses, the last bytes of a page), mmap/mprotect/munmap,
 * read, lseek, close and reopen.  Each call must return success or one of
 * the errnos the driver documents; nothing may crash.  The KASAN/lockdep
 * kernel log is the other half of the verdict.
 */
#include "tap.h"

#define POOL	8
#define MAPS	16

static unsigned long long rng;
static long pg;
static char *edge;	/* a page followed by an unmapped page */

static unsigned long rnd(unsigned long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (unsigned long)(rng % n) : (unsigned long)rng;
}

static unsigned long rnd_pointer(void *good)
{
	switch (rnd(6)) {
	case 0: return 0;
	case 1: return (unsigned long)good;
	case 2: return (unsigned long)(edge + pg - 1 - rnd(8));
	case 3: return (unsigned long)(edge + pg);	/* unmapped */
	case 4: return 0xffff888000000000UL + rnd(1UL << 20);
	default: return rnd(0);
	}
}

static unsigned long rnd_value(void)
{
	static const unsigned long interesting[] = {
		0, 1, 4095, 4096, 4097, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000UL, ~0UL, ~0UL - 4095, 1UL << 40,
	};

	if (rnd(3))
		return interesting[rnd(sizeof(interesting) / sizeof(interesting[0]))];
	return rnd(0) >> rnd(64);
}

static const unsigned long cmds[] = {
	ASHMEM_SET_NAME, ASHMEM_GET_NAME, ASHMEM_SET_SIZE, ASHMEM_GET_SIZE,
	ASHMEM_SET_PROT_MASK, ASHMEM_GET_PROT_MASK, ASHMEM_PIN, ASHMEM_UNPIN,
	ASHMEM_GET_PIN_STATUS, ASHMEM_PURGE_ALL_CACHES, ASHMEM_GET_FILE_ID,
	COMPAT_ASHMEM_SET_SIZE, COMPAT_ASHMEM_SET_PROT_MASK,
};

static int allowed(int e)
{
	switch (e) {
	case EINVAL: case EFAULT: case EPERM: case ENOTTY: case EBADF:
	case EACCES: case ENOMEM: case ENXIO: case EOVERFLOW:
		return 1;
	}
	return 0;
}

struct map { char *p; size_t len; int writable; };

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 10000;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	static struct map maps[MAPS];
	int pool[POOL], i, bad = 0, chunk;
	char good[512];
	long it, done_ok = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = page_size();
	rng = 0x9E3779B97F4A7C15ULL ^ seed;
	edge = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (edge == MAP_FAILED)
		bail("mmap edge");
	munmap(edge + pg, pg);
	for (i = 0; i < POOL; i++)
		pool[i] = region(NULL, 0);
	diag("%ld iterations, seed %lu", iters, seed);
	chunk = iters >= 10 ? iters / 10 : 1;

	for (it = 1; it <= iters; it++) {
		int slot = (int)rnd(POOL), fd = pool[slot], m = (int)rnd(MAPS);
		unsigned long cmd, arg;
		const char *what = "";
		long r = 0;
		int e = 0;

		memset(good, 'g', sizeof(good) - 1);
		good[sizeof(good) - 1] = 0;
		switch (rnd(10)) {
		case 0: case 1: case 2: case 3:
			cmd = cmds[rnd(sizeof(cmds) / sizeof(cmds[0]))];
			if (cmd == ASHMEM_PURGE_ALL_CACHES && rnd(4))
				cmd = ASHMEM_GET_SIZE;	/* purges are expensive */
			if (cmd == ASHMEM_SET_SIZE || cmd == COMPAT_ASHMEM_SET_SIZE)
				arg = rnd(2) ? (1 + rnd(16)) * pg : rnd_value();
			else if (cmd == ASHMEM_SET_PROT_MASK ||
				 cmd == COMPAT_ASHMEM_SET_PROT_MASK)
				arg = rnd(4) ? rnd(8) : rnd_value();
			else if (cmd == ASHMEM_PIN || cmd == ASHMEM_UNPIN ||
				 cmd == ASHMEM_GET_PIN_STATUS) {
				struct ashmem_pin *p = (struct ashmem_pin *)good;

				p->offset = rnd(2) ? rnd(16) * pg : (unsigned)rnd_value();
				p->len = rnd(2) ? rnd(16) * pg : (unsigned)rnd_value();
				arg = rnd(8) ? (unsigned long)good : rnd_pointer(good);
			} else
				arg = rnd_pointer(good);
			r = ioctl(fd, cmd, arg);
			e = errno;
			what = "ioctl";
			break;
		case 4:
			cmd = _IOC(rnd(4), rnd(3) ? __ASHMEMIOC : rnd(256),
				   rnd(3) ? rnd(16) : rnd(256), rnd(2) ? rnd(16) : rnd(1 << 14));
			r = ioctl(fd, cmd, rnd_pointer(good));
			e = errno;
			what = "random ioctl";
			break;
		case 5: case 6: {
			size_t len = (1 + rnd(16)) * pg;
			int prot = (int)rnd(8);
			void *p;

			if (maps[m].p)
				munmap(maps[m].p, maps[m].len);
			maps[m].p = NULL;
			p = mmap(NULL, len, prot, rnd(4) ? MAP_SHARED : MAP_PRIVATE,
				 fd, rnd(4) ? 0 : rnd(16) * pg);
			e = errno;
			r = p == MAP_FAILED ? -1 : 0;
			if (p != MAP_FAILED) {
				maps[m].p = p;
				maps[m].len = len;
				maps[m].writable = !!(prot & PROT_WRITE);
				/* touch: never SIGBUS inside a mapping we got */
				if (prot & PROT_READ)
					(void)*(volatile char *)p;
				if (maps[m].writable)
					((volatile char *)p)[len - 1] = 1;
			}
			what = "mmap";
			break;
		}
		case 7:
			if (maps[m].p) {
				r = mprotect(maps[m].p, maps[m].len, (int)rnd(8));
				e = errno;
				what = "mprotect";
			}
			break;
		case 8:
			if (rnd(2)) {
				r = read(fd, good, rnd(sizeof(good)));
			} else {
				r = lseek(fd, (off_t)rnd_value() - (off_t)rnd(2), (int)rnd(5));
			}
			e = errno;
			what = "read/lseek";
			break;
		default:
			if (!rnd(4)) {
				close(fd);
				pool[slot] = region(NULL, 0);
			}
			break;
		}
		if (r < 0 && !allowed(e)) {
			if (!bad)
				diag("iteration %ld: %s failed with errno %d", it, what, e);
			bad++;
		} else {
			done_ok++;
		}
		if (it % chunk == 0) {
			ok(bad == 0, "iterations up to %ld: every error is a documented errno",
			   it);
			bad = 0;
		}
	}
	for (i = 0; i < MAPS; i++)
		if (maps[i].p)
			munmap(maps[i].p, maps[i].len);
	for (i = 0; i < POOL; i++)
		ok(close(pool[i]) == 0, "region %d closes", i);
	diag("%ld calls", done_ok);
	return done();
}
