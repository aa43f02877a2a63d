// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_lib.c - libashmem's libcutils API, on whichever backend
 * LIBASHMEM_BACKEND selects (the suite runs it with "ashmem" and with
 * "memfd"; on the host only memfd exists).  The same assertions hold on
 * both, except where a backend is documented to differ.
 */
#include "tap.h"
#include <sys/stat.h>
#include "libashmem.h"

static int child_reads(void *arg)
{
	return strcmp((char *)arg, "shared with child") ? 1 : 0;
}

int main(void)
{
	const char *want = getenv("LIBASHMEM_BACKEND");
	long pg = page_size();
	int fd, fd2, devnull, memfd;
	char *p, *q;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!want)
		want = "";
	diag("backend %s", ashmem_backend());
	ok(!strcmp(ashmem_backend(), want), "backend is %s as requested", want);

	fd = ashmem_create_region("lib-test", 4 * pg);
	ok(fd >= 0, "ashmem_create_region");
	if (fd < 0)
		return done();
	ok(ashmem_valid(fd) == 1, "ashmem_valid on the region");
	devnull = open("/dev/null", O_RDWR);
	ok(ashmem_valid(devnull) == 0, "ashmem_valid(/dev/null) is 0");
	ok(ashmem_valid(-1) == 0, "ashmem_valid(-1) is 0");
	ok(ashmem_get_size_region(fd) == 4 * pg, "ashmem_get_size_region");
	{
		struct stat st;
		int is_chr = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);

		ok(is_chr == !strcmp(want, "ashmem"),
		   "the fd is %s", is_chr ? "the ashmem device" : "a memfd");
	}

	p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED, "mmap RW");
	if (p == MAP_FAILED)
		return done();
	strcpy(p, "shared with child");
	q = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	ok(q != MAP_FAILED && !strcmp(q, "shared with child"),
	   "a second mapping sees the data");
	ok(in_child(child_reads, p) == 0, "a child sees the data");

	ok(ashmem_unpin_region(fd, 0, 0) == 0, "unpin the whole region");
	ok(ashmem_pin_region(fd, 0, 0) == ASHMEM_NOT_PURGED,
	   "pin it again: NOT_PURGED (no pressure, no purge)");
	ok(ashmem_unpin_region(fd, pg, pg) == 0, "unpin one page");
	ok(ashmem_pin_region(fd, pg, pg) == ASHMEM_NOT_PURGED, "pin that page");
	ok(ashmem_pin_region(fd, 1, pg) == -1 && errno == EINVAL,
	   "misaligned pin: EINVAL");
	ok(ashmem_unpin_region(fd, 4 * pg, pg) == -1 && errno == EINVAL,
	   "unpin past the end: EINVAL");
	ok(ashmem_pin_region(devnull, 0, 0) == -1 && errno == EBADF,
	   "pin of a non-region: EBADF");
	ok(ashmem_get_size_region(devnull) == -1 && errno == EBADF,
	   "size of a non-region: EBADF");

	ok(ashmem_set_prot_region(fd, PROT_READ) == 0, "set prot to PROT_READ");
	ok(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	   MAP_FAILED && errno == EPERM, "then a new RW mapping: EPERM");
	q = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	ok(q != MAP_FAILED && !strcmp(q, "shared with child"),
	   "a new R mapping works");
	ok(ashmem_set_prot_region(fd, PROT_READ | PROT_WRITE) == -1 &&
	   errno == EINVAL, "adding PROT_WRITE back: EINVAL");
	ok(ashmem_set_prot_region(devnull, PROT_READ) == -1 && errno == EBADF,
	   "set prot of a non-region: EBADF");

	fd2 = ashmem_create_region(NULL, pg);
	ok(fd2 >= 0 && ashmem_get_size_region(fd2) == pg,
	   "a region without a name");
	memfd = -1;
	if (!strcmp(want, "memfd")) {
		ok(ftruncate(fd2, 2 * pg) < 0 && errno == EPERM,
		   "memfd backend: the size is sealed");
	} else {
		memfd = memfd_create("x", MFD_ALLOW_SEALING);
		ok(memfd >= 0 && ftruncate(memfd, pg) == 0 &&
		   ashmem_valid(memfd) == 1 && ashmem_get_size_region(memfd) == pg,
		   "ashmem backend: a memfd from elsewhere is still a valid region");
	}
	close(fd2);
	if (memfd >= 0)
		close(memfd);
	close(devnull);
	close(fd);
	return done();
}
