// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_regress.c - one test per bug the upstream driver had and fixed.
 *
 *  1. SET_SIZE raced mmap (CVE-2017-13216): the size changed after the
 *     backing file was sized, so mappings ran past it (SIGBUS).
 *  2. mmap length (and offset) unchecked against the region size.
 *  3. The backing file could be re-mmapped around the prot checks, by
 *     remap_file_pages() or /proc/<pid>/map_files (CVE-2020-0009); the
 *     fix's other half overrides get_unmapped_area, whose shmem version
 *     BUGs on a file whose f_op is not shmem's (CONFIG_DEBUG_VM with
 *     transparent huge pages; reached by mremap(MREMAP_MAYMOVE) and by
 *     mmap of the map_files file, 2 MiB or more).
 *  4. Private mappings took SIGBUS (vm_ops left to the dummy ones).
 *  5. Deadlocks: user copies and allocations under the global mutex
 *     against mmap_lock, and hole punching under it; plus the rule that
 *     a PIN never returns while its pages are still being punched.
 *  6. GET_NAME copied a whole, partly uninitialised stack buffer out.
 *  7. PIN/UNPIN checked the backing file without the lock.
 * Runs that could hang are bounded by alarm(): a hang fails the group.
 */
#include "tap.h"
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static long pg;

/* 1 */
struct race { int fd; volatile int stop; };

static void *size_flipper(void *arg)
{
	struct race *r = arg;
	unsigned long n = 0;

	while (!r->stop)
		ioctl(r->fd, ASHMEM_SET_SIZE, (++n & 1 ? 1 : 64) * pg);
	return NULL;
}

static int touch_all(void *arg)
{
	int fd = *(int *)arg;
	long size = ioctl(fd, ASHMEM_GET_SIZE, 0);
	size_t len = (size + pg - 1) / pg * pg;
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				fd, 0);
	size_t i;

	if (p == MAP_FAILED)
		return 2;
	for (i = 0; i < len; i += pg)
		p[i] = 1;
	return 0;
}

static void test_set_size_race(void)
{
	int i, bad = 0, fixed = 1;

	for (i = 0; i < 100 && !bad; i++) {
		struct race r = { .fd = region("race", pg) };
		pthread_t t;
		void *p;
		long size;

		pthread_create(&t, NULL, size_flipper, &r);
		while ((p = mmap(NULL, pg, PROT_READ, MAP_SHARED, r.fd, 0)) ==
		       MAP_FAILED)
			;
		r.stop = 1;
		pthread_join(t, NULL);
		size = ioctl(r.fd, ASHMEM_GET_SIZE, 0);
		if (lseek(r.fd, 0, SEEK_END) != size)
			bad = 1;
		if (xioctl(r.fd, ASHMEM_SET_SIZE, 2 * pg) != -EINVAL)
			fixed = 0;
		if (in_child(touch_all, &r.fd) != 0)
			bad = 1;
		munmap(p, pg);
		close(r.fd);
	}
	ok(!bad, "SET_SIZE racing the first mmap: backing file matches the size, no SIGBUS");
	ok(fixed, "SET_SIZE after the race was won by mmap: EINVAL");
}

/* 2 */
static void test_mmap_bounds(void)
{
	int fd = region("bounds", pg);

	ok(mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	   errno == EINVAL, "mmap longer than the size: EINVAL");
	ok(mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, pg) == MAP_FAILED &&
	   errno == EINVAL, "mmap at an offset at the end: EINVAL");
	ok(mmap(NULL, 1UL << 30, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	   errno == EINVAL, "mmap of 1 GiB over a 1-page region: EINVAL");
	close(fd);
}

/* 3 */
static void test_remap_bypass(void)
{
	int fd = region("remap", 2 * pg), mf;
	char path[128], *p, *q;
	long r;

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		bail("mmap remap");
	strcpy(p, "secret");
	strcpy(p + pg, "secret");
	munmap(p, 2 * pg);
	ok(xioctl(fd, ASHMEM_SET_PROT_MASK, PROT_READ) == 0, "mask is now R");
	p = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		bail("mmap R");
	/* re-mmap the first page onto file page 1 through vma->vm_file */
	r = syscall(SYS_remap_file_pages, p, pg, 0, 1, 0);
	ok(r < 0 && errno == EPERM,
	   "remap_file_pages() of the mapping is refused: EPERM");
	/* the refused remap may have unmapped its page, never made it RW */
	ok(mprotect(p, pg, PROT_READ | PROT_WRITE) < 0 &&
	   (errno == EACCES || errno == ENOMEM),
	   "the remapped page cannot become writable");
	ok(mprotect(p + pg, pg, PROT_READ | PROT_WRITE) < 0 && errno == EACCES,
	   "the rest of the mapping still refuses PROT_WRITE: EACCES");
	mf = map_files_path(p + pg, path, sizeof(path)) ? open(path, O_RDWR) : -1;
	ok(mf >= 0, "open the backing file through map_files");
	if (mf >= 0) {
		q = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, mf, 0);
		ok(q == MAP_FAILED && errno == EPERM,
		   "mmap of the backing file opened through map_files: EPERM");
		close(mf);
	}
	ok(!strcmp(p + pg, "secret"), "the region is unchanged");
	munmap(p, 2 * pg);
	close(fd);
}

#define SHMEM_THP "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HUGE (2UL << 20)

/* The [selected] word of a THP knob, or "" if there is none. */
static void thp_selected(const char *all, char *out, size_t len)
{
	const char *a = strchr(all, '['), *b = a ? strchr(a, ']') : NULL;

	snprintf(out, len, "%.*s", a && b ? (int)(b - a - 1) : 0,
		 a ? a + 1 : "");
}

/* 2 MiB-aligned, or the kernel has no transparent huge pages for shmem. */
static void test_unmapped_area(void)
{
	size_t len = 2 * HUGE;
	char old[256], was[32], path[128], *p, *q, *guard, *r;
	int fd = region("thp", len), mf, thp;

	/* shmem huge pages on, so shmem's huge-page placement really runs */
	thp = set_knob(SHMEM_THP, "always", old, sizeof(old)) == 0;
	diag("shmem huge pages %s", thp ? "on for this test" : "not available");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		bail("mmap thp");
	if (thp)
		ok(((unsigned long)p & (HUGE - 1)) == 0,
		   "with shmem huge pages, /dev/ashmem maps 2 MiB-aligned");
	strcpy(p, "first");
	strcpy(p + HUGE, "second");
	munmap(p + HUGE, HUGE);
	/* keep the mapping from growing in place, so mremap must move it */
	guard = mmap(p + HUGE, 4096, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	q = mremap(p, HUGE, len, MREMAP_MAYMOVE);
	ok(q != MAP_FAILED && q != p && !strcmp(q, "first") &&
	   !strcmp(q + HUGE, "second"),
	   "mremap(MREMAP_MAYMOVE) growing a mapping to 4 MiB moves it intact");
	if (guard != MAP_FAILED)
		munmap(guard, 4096);
	if (q == MAP_FAILED)
		q = p;
	mf = map_files_path(q, path, sizeof(path)) ? open(path, O_RDONLY) : -1;
	ok(mf >= 0, "open the 4 MiB backing file through map_files");
	if (mf >= 0) {
		r = mmap(NULL, len, PROT_READ, MAP_SHARED, mf, 0);
		ok(r == MAP_FAILED && errno == EPERM,
		   "mmap of 4 MiB of it: EPERM (no BUG in get_unmapped_area)");
		close(mf);
	}
	munmap(q, len);
	close(fd);
	if (thp) {
		thp_selected(old, was, sizeof(was));
		set_knob(SHMEM_THP, was, NULL, 0);
	}
}

/* 4 */
static int private_child(void *arg)
{
	int fd = *(int *)arg;
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	int i;

	if (p == MAP_FAILED)
		return 2;
	for (i = 0; i < 4; i++) {
		if (p[i * pg] != 0 && p[i * pg] != 'S')
			return 3;
		p[i * pg] = 'P';
	}
	return 0;
}

static void test_private_sigbus(void)
{
	int fd = region("private", 4 * pg);
	char *s = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int rc;

	if (s == MAP_FAILED)
		bail("mmap shared");
	s[0] = 'S';
	rc = in_child(private_child, &fd);
	ok(rc == 0, "private mapping: every page reads and writes (child status %d%s)",
	   rc, rc == 1000 + SIGBUS ? ", SIGBUS" : "");
	ok(s[0] == 'S' && s[pg] == 0, "private writes stay private");
	munmap(s, 4 * pg);
	close(fd);
}

/* 5a: user copies against mmap_lock */
struct lockrace { int named, mapped; char *buf; volatile int stop; long n; };

static void *name_copier(void *arg)
{
	struct lockrace *l = arg;
	char out[ASHMEM_NAME_LEN];

	while (!l->stop) {
		/* the buffer's page is punched each round, so copies fault */
		madvise(l->buf, pg, MADV_DONTNEED);
		ioctl(l->named, ASHMEM_SET_NAME, l->buf);
		madvise(l->buf, pg, MADV_DONTNEED);
		ioctl(l->named, ASHMEM_GET_NAME, l->buf);
		ioctl(l->named, ASHMEM_GET_NAME, out);
		l->n++;
	}
	return NULL;
}

static void *mapper(void *arg)
{
	struct lockrace *l = arg;

	while (!l->stop) {
		void *p = mmap(NULL, pg, PROT_READ, MAP_SHARED, l->mapped, 0);

		if (p != MAP_FAILED)
			munmap(p, pg);
	}
	return NULL;
}

static void test_copy_deadlock(void)
{
	struct lockrace l = { 0 };
	int bfd = region("buffer", pg);
	pthread_t a, b;

	l.named = region(NULL, pg);
	l.mapped = region("mapped", pg);
	/* the name buffer lives in an ashmem mapping itself */
	l.buf = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	if (l.buf == MAP_FAILED)
		bail("mmap buffer");
	strcpy(l.buf, "name in ashmem");
	alarm(120);
	pthread_create(&a, NULL, name_copier, &l);
	pthread_create(&b, NULL, mapper, &l);
	sleep(3);
	l.stop = 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	alarm(0);
	ok(l.n > 0, "SET_NAME/GET_NAME through faulting ashmem buffers vs mmap: no deadlock (%ld rounds)",
	   l.n);
	close(l.named);
	close(l.mapped);
	munmap(l.buf, pg);
	close(bfd);
}

/* 5b: purges vs pins: no page is punched after PIN said NOT_PURGED */
struct pinrace { int fd; char *p; volatile int stop; long rounds, bad; };

static void *purger(void *arg)
{
	struct pinrace *r = arg;

	while (!r->stop)
		ioctl(r->fd, ASHMEM_PURGE_ALL_CACHES, 0);
	return NULL;
}

static void test_pin_waits_for_purge(void)
{
	struct pinrace r = { 0 };
	int i, pages = 32;
	pthread_t t;

	r.fd = region("pinrace", pages * pg);
	r.p = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
	if (r.p == MAP_FAILED)
		bail("mmap pinrace");
	memset(r.p, 'x', pages * pg);
	alarm(120);
	pthread_create(&t, NULL, purger, &r);
	for (r.rounds = 0; r.rounds < 3000; r.rounds++) {
		int got;

		pin_cmd(r.fd, ASHMEM_UNPIN, 0, 0);
		got = pin_cmd(r.fd, ASHMEM_PIN, 0, 0);
		if (got == ASHMEM_WAS_PURGED)
			memset(r.p, 'x', pages * pg);
		else if (got != ASHMEM_NOT_PURGED)
			r.bad++;
		/* pinned now: nothing may zero it */
		for (i = 0; i < pages; i++)
			if (r.p[i * pg] != 'x' || r.p[i * pg + pg - 1] != 'x')
				r.bad++;
	}
	r.stop = 1;
	pthread_join(t, NULL);
	alarm(0);
	ok(r.bad == 0, "pinned pages never zeroed by a purge in flight (%ld rounds, %ld bad)",
	   r.rounds, r.bad);
	close(r.fd);
}

/* 6 */
static void test_get_name_leak(void)
{
	unsigned char buf[ASHMEM_NAME_LEN];
	int fd = region("ab", 0), clean = 1, i;

	memset(buf, 0xa5, sizeof(buf));
	ok(xioctl(fd, ASHMEM_GET_NAME, (unsigned long)buf) == 0 &&
	   !strcmp((char *)buf, "ab"), "GET_NAME");
	for (i = 3; i < ASHMEM_NAME_LEN; i++)
		if (buf[i] != 0xa5)
			clean = 0;
	ok(clean, "GET_NAME writes only the name and its NUL (no stack bytes)");
	close(fd);
	fd = region(NULL, 0);
	memset(buf, 0xa5, sizeof(buf));
	ok(xioctl(fd, ASHMEM_GET_NAME, (unsigned long)buf) == 0 &&
	   buf[sizeof(ASHMEM_NAME_DEF)] == 0xa5,
	   "GET_NAME of the default name writes only it");
	close(fd);
}

/* 7 */
struct pinmap { int fd; volatile int go; int bad; };

static void *pinner(void *arg)
{
	struct pinmap *m = arg;
	int r;

	while (!m->go)
		;
	for (int i = 0; i < 2000; i++) {
		r = pin_cmd(m->fd, i & 1 ? ASHMEM_UNPIN : ASHMEM_PIN, 0, 0);
		if (r != -EINVAL && r != 0)
			m->bad = 1;
	}
	return NULL;
}

static void test_pin_vs_first_mmap(void)
{
	int i, bad = 0;

	for (i = 0; i < 50; i++) {
		struct pinmap m = { .fd = region("pinmap", 4 * pg) };
		pthread_t t;
		void *p;

		pthread_create(&t, NULL, pinner, &m);
		m.go = 1;
		p = mmap(NULL, 4 * pg, PROT_READ, MAP_SHARED, m.fd, 0);
		pthread_join(t, NULL);
		if (p == MAP_FAILED || m.bad)
			bad = 1;
		pin_cmd(m.fd, ASHMEM_PIN, 0, 0);
		if (pin_cmd(m.fd, ASHMEM_GET_PIN_STATUS, 0, 0) != ASHMEM_IS_PINNED)
			bad = 1;
		munmap(p, 4 * pg);
		close(m.fd);
	}
	ok(!bad, "PIN/UNPIN racing the first mmap: EINVAL or success, consistent after");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = page_size();
	test_set_size_race();
	test_mmap_bounds();
	test_remap_bypass();
	test_unmapped_area();
	test_private_sigbus();
	test_copy_deadlock();
	test_pin_waits_for_purge();
	test_get_name_leak();
	test_pin_vs_first_mmap();
	return done();
}
