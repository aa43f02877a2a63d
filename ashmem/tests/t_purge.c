// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_purge.c - ASHMEM_PURGE_ALL_CACHES and what a purge does to a region.
 *
 * Needs CAP_SYS_ADMIN (checked by dropping it in children two ways),
 * returns the number of pages it purged, purged pages read back as zeros
 * through mappings and read(), PIN reports WAS_PURGED once, and pinned
 * pages keep their data.
 */
#include "tap.h"
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
	free(buf);
	return done();
}
