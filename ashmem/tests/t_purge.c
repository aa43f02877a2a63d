// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_purge.c - ASHMEM_PURGE_ALL_CACHES and what a purge does to a region.
 *
 * Needs CAP_SYS_ADMIN (checked by dropping it in children two ways),
 * returns the number of pages it purged, purged pages read back as zeros
 * through mappings and read(), PIN reports WAS_PURGED once, and pinned
 * pages keep their data.
 *
 * What a purged range counts afterwards (fdinfo's fourth field, and what a
 * purge then returns): nothing until an UNPIN names its pages again, which
 * puts it back on the LRU, and a merge counts only the pages that may
 * still hold memory.  And a PIN waiting for a purge in flight on its
 * region stops further purges of that region: it waits for one punch, not
 * for all of them.
 */
#include "tap.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#define PAGES 8

static int purge_fd;

static int child_setuid(void *arg)
{
	(void)arg;
	if (setuid(65534) < 0)
		return 3;
	return xioctl(purge_fd, ASHMEM_PURGE_ALL_CACHES, 0) == -EPERM ? 0 : 1;
}

static int child_capset(void *arg)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	(void)arg;
	if (syscall(SYS_capget, &h, d) < 0)
		return 3;
	d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d) < 0)
		return 4;
	if (getuid() != 0)
		return 5;
	return xioctl(purge_fd, ASHMEM_PURGE_ALL_CACHES, 0) == -EPERM ? 0 : 1;
}

static int all(const char *p, size_t n, char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* The "unpinned:" lines of @fd's fdinfo, as "first-last/purged/count ". */
static const char *ranges(int fd)
{
	static char out[512];
	char path[64], line[256];
	unsigned long a, b, c;
	unsigned int pu;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "unpinned: %lu %lu %u %lu", &a, &b, &pu, &c) == 4 &&
		    n < sizeof(out) - 64)
			n += snprintf(out + n, sizeof(out) - n, "%lu-%lu/%u/%lu ",
				      a, b, pu, c);
	if (f)
		fclose(f);
	return out;
}

static void test_lru_counts(void)
{
	long pg = page_size();
	int fd = region("counts", 16 * pg);
	char *p = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		bail("mmap counts");
	memset(p, 'c', 16 * pg);
	pin_cmd(fd, ASHMEM_UNPIN, 0, 4 * pg);
	ok(!strcmp(ranges(fd), "0-3/0/4 "), "an unpinned range counts its pages");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 4 &&
	   !strcmp(ranges(fd), "0-3/1/0 "), "purged, it counts none");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 0,
	   "so the next purge finds nothing");
	/* the owner writes into unpinned, purged pages, and unpins them again */
	memset(p + pg, 'w', pg);
	ok(pin_cmd(fd, ASHMEM_UNPIN, pg, pg) == 0 &&
	   !strcmp(ranges(fd), "0-3/1/1 "),
	   "UNPIN inside a purged range counts its pages again");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 1 && p[pg] == 0,
	   "and a purge frees them again");
	ok(pin_cmd(fd, ASHMEM_UNPIN, 2 * pg, 4 * pg) == 0 &&
	   !strcmp(ranges(fd), "0-5/1/4 "),
	   "merging with a purged range counts only the new pages (2-5)");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 4,
	   "and the purge returns those 4, not the 6 of the range");
	pin_cmd(fd, ASHMEM_PIN, 0, 0);
	pin_cmd(fd, ASHMEM_UNPIN, 8 * pg, 8 * pg);
	ok(pin_cmd(fd, ASHMEM_PIN, 10 * pg, pg) == ASHMEM_NOT_PURGED &&
	   !strcmp(ranges(fd), "8-9/0/2 11-15/0/5 "),
	   "PIN splitting a range: each piece counts its own pages");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 7,
	   "both pieces are on the LRU");
	munmap(p, 16 * pg);
	close(fd);
}

/*
 * PIN behind a purge: NR ranges of one region are purged one by one by a
 * thread's PURGE_ALL_CACHES; once the first is being punched, PIN asks for
 * the whole region.  It must wait for the punches already running only:
 * the ranges still unpurged when it started waiting keep their data.
 */
#define NR	32
#define RPAGES	256

struct purger { int fd; };

static void *purge_thread(void *arg)
{
	struct purger *pu = arg;

	ioctl(pu->fd, ASHMEM_PURGE_ALL_CACHES, 0);
	return NULL;
}

static int purged_count(int fd)
{
	char path[64], line[256];
	unsigned long a, b;
	unsigned int pu;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "unpinned: %lu %lu %u", &a, &b, &pu) == 3 && pu)
			n++;
	if (f)
		fclose(f);
	return n;
}

static void test_pin_stops_purging(void)
{
	long pg = page_size();
	size_t len = (size_t)2 * NR * RPAGES * pg;
	int fd = region("pin-vs-purge", len), i, before, after = 0, r;
	struct purger pu = { fd };
	pthread_t t;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		bail("mmap pin-vs-purge");
	memset(p, 'd', len);
	/* NR separate ranges: every other block of RPAGES pages */
	for (i = 0; i < NR; i++)
		pin_cmd(fd, ASHMEM_UNPIN, 2 * i * RPAGES * pg, RPAGES * pg);
	pthread_create(&t, NULL, purge_thread, &pu);
	while ((before = purged_count(fd)) == 0)
		;
	r = pin_cmd(fd, ASHMEM_PIN, 0, 0);
	for (i = 0; i < NR; i++)
		if (p[2 * i * RPAGES * pg] == 0)
			after++;
	pthread_join(t, NULL);
	diag("%d of %d ranges purged when PIN started, %d when it returned",
	     before, NR, after);
	ok(r == ASHMEM_WAS_PURGED && after >= before,
	   "PIN behind a purge returns WAS_PURGED");
	ok(after <= before + 4,
	   "PIN waited for the punch in flight, not for the whole region (%d more purged)",
	   after - before);
	ok(after < NR, "the rest of the region kept its data");
	munmap(p, len);
	close(fd);
}

int main(void)
{
	long pg = page_size();
	char *p, *buf = malloc(pg);
	int fd, i, intact = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* start from an empty LRU so the counts below are exact */
	xioctl(region(NULL, pg), ASHMEM_PURGE_ALL_CACHES, 0);

	purge_fd = region("purge", PAGES * pg);
	ok(in_child(child_setuid, NULL) == 0,
	   "PURGE_ALL_CACHES as uid 65534: EPERM");
	ok(in_child(child_capset, NULL) == 0,
	   "PURGE_ALL_CACHES as root without CAP_SYS_ADMIN: EPERM");
	ok(xioctl(purge_fd, ASHMEM_PURGE_ALL_CACHES, 0) == 0,
	   "PURGE_ALL_CACHES with nothing unpinned returns 0");

	fd = purge_fd;
	p = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		bail("mmap");
	for (i = 0; i < PAGES; i++)
		memset(p + i * pg, 'a' + i, pg);
	ok(pin_cmd(fd, ASHMEM_UNPIN, 2 * pg, 3 * pg) == 0, "unpin pages 2-4");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 3,
	   "PURGE_ALL_CACHES returns the 3 pages it purged");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 0,
	   "a second purge finds nothing");
	/* first, before a read fault allocates them again */
	ok(lseek(fd, 2 * pg, SEEK_DATA) == 5 * pg,
	   "the purged range is a hole (SEEK_DATA skips it)");
	for (i = 0; i < PAGES; i++)
		if (i < 2 || i > 4)
			intact &= all(p + i * pg, pg, 'a' + i);
	ok(intact, "pinned pages keep their data");
	ok(all(p + 2 * pg, 3 * pg, 0), "purged pages read back as zeros via mmap");
	ok(pread(fd, buf, pg, 3 * pg) == pg && all(buf, pg, 0),
	   "purged pages read back as zeros via read()");
	ok(pin_cmd(fd, ASHMEM_GET_PIN_STATUS, 2 * pg, pg) == ASHMEM_IS_UNPINNED,
	   "purged pages are still unpinned");
	ok(pin_cmd(fd, ASHMEM_PIN, 3 * pg, pg) == ASHMEM_WAS_PURGED,
	   "PIN of a purged page: WAS_PURGED");
	ok(pin_cmd(fd, ASHMEM_PIN, 3 * pg, pg) == ASHMEM_NOT_PURGED,
	   "PIN again: NOT_PURGED");
	ok(pin_cmd(fd, ASHMEM_PIN, 0, 0) == ASHMEM_WAS_PURGED,
	   "PIN of the rest: WAS_PURGED");
	memset(p + 2 * pg, 'z', pg);
	ok(p[2 * pg] == 'z', "a purged page is writable again after PIN");

	ok(pin_cmd(fd, ASHMEM_UNPIN, 6 * pg, pg) == 0 &&
	   pin_cmd(fd, ASHMEM_PIN, 6 * pg, pg) == ASHMEM_NOT_PURGED &&
	   xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 0 &&
	   all(p + 6 * pg, pg, 'g'),
	   "unpin then pin before a purge: data kept, nothing purged");

	{
		int a = region("a", 4 * pg), b = region("b", 2 * pg);
		char *pa = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
		char *pb = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);

		if (pa == MAP_FAILED || pb == MAP_FAILED)
			bail("mmap a/b");
		memset(pa, 1, 4 * pg);
		memset(pb, 2, 2 * pg);
		pin_cmd(a, ASHMEM_UNPIN, 0, 0);
		pin_cmd(b, ASHMEM_UNPIN, 0, pg);
		ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 5,
		   "one purge covers every region (4 + 1 pages)");
		ok(all(pa, 4 * pg, 0) && all(pb, pg, 0) && all(pb + pg, pg, 2),
		   "each region lost exactly its unpinned pages");
		pin_cmd(b, ASHMEM_UNPIN, pg, pg);
		close(b);
		ok(xioctl(a, ASHMEM_PURGE_ALL_CACHES, 0) == 0,
		   "closing a region drops its unpinned ranges");
		close(a);
	}
	{
		/* a region nobody mapped yet has nothing to purge or pin */
		int c = region("unmapped", 4 * pg);

		ok(pin_cmd(c, ASHMEM_UNPIN, 0, 0) == -EINVAL,
		   "UNPIN before the first mmap: EINVAL");
		close(c);
	}
	test_lru_counts();
	test_pin_stops_purging();
	free(buf);
	return done();
}
