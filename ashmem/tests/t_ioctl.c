// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_ioctl.c - the ashmem device's ioctls, mmap, read and llseek.
 *
 * Defaults after open, every ioctl's success and error paths, size and name
 * fixed once mapped, the protection mask (only shrinks; bounds mmap and
 * mprotect), mapping bounds, read/lseek (before mapping, with holes), fstat,
 * fork sharing, many regions, file ids, /proc names.  Built twice: 64-bit
 * and -m32 (static), the latter going through the driver's compat ioctl.
 */
#include "tap.h"
#include <sys/personality.h>
#include <sys/stat.h>

#ifndef SEEK_DATA
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif

/* an address no test maps; volatile so the compiler cannot see it */
static void *volatile bad_buffer = (void *)16;

static char *map(int fd, size_t len, int prot, int flags, off_t off)
{
	return mmap(NULL, len, prot, flags, fd, off);
}

static int map_errno(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = map(fd, len, prot, flags, off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		return 0;
	}
	return -errno;
}

static void test_abi(void)
{
	ok(sizeof(struct ashmem_pin) == 8, "struct ashmem_pin is 8 bytes");
	ok(ASHMEM_SET_NAME == 0x41007701, "SET_NAME number");
	ok(ASHMEM_GET_NAME == 0x81007702, "GET_NAME number");
	ok(ASHMEM_GET_SIZE == 0x7704 && ASHMEM_GET_PROT_MASK == 0x7706 &&
	   ASHMEM_GET_PIN_STATUS == 0x7709 && ASHMEM_PURGE_ALL_CACHES == 0x770a,
	   "_IO numbers");
	ok(ASHMEM_PIN == 0x40087707 && ASHMEM_UNPIN == 0x40087708,
	   "PIN/UNPIN numbers");
	if (sizeof(long) == 8)
		ok(ASHMEM_SET_SIZE == 0x40087703 &&
		   ASHMEM_SET_PROT_MASK == 0x40087705 &&
		   ASHMEM_GET_FILE_ID == 0x8008770b, "64-bit numbers");
	else
		ok(ASHMEM_SET_SIZE == COMPAT_ASHMEM_SET_SIZE &&
		   ASHMEM_SET_PROT_MASK == COMPAT_ASHMEM_SET_PROT_MASK &&
		   ASHMEM_GET_FILE_ID == COMPAT_ASHMEM_GET_FILE_ID,
		   "32-bit process uses the compat numbers");
}

static void test_defaults(void)
{
	char name[ASHMEM_NAME_LEN];
	int fd = region(NULL, 0);

	ok(xioctl(fd, ASHMEM_GET_SIZE, 0) == 0, "default size is 0");
	ok(xioctl(fd, ASHMEM_GET_PROT_MASK, 0) ==
	   (PROT_READ | PROT_WRITE | PROT_EXEC), "default prot mask is RWX");
	memset(name, 'x', sizeof(name));
	ok(xioctl(fd, ASHMEM_GET_NAME, (unsigned long)name) == 0 &&
	   !strcmp(name, ASHMEM_NAME_DEF), "default name is \"%s\"",
	   ASHMEM_NAME_DEF);
	ok(pin_cmd(fd, ASHMEM_GET_PIN_STATUS, 0, 0) == -EINVAL,
	   "GET_PIN_STATUS before mmap: EINVAL");
	ok(pin_cmd(fd, ASHMEM_PIN, 0, 0) == -EINVAL, "PIN before mmap: EINVAL");
	ok(pin_cmd(fd, ASHMEM_UNPIN, 0, 0) == -EINVAL,
	   "UNPIN before mmap: EINVAL");
	ok(map_errno(fd, page_size(), PROT_READ, MAP_SHARED, 0) == -EINVAL,
	   "mmap with size 0: EINVAL");
	{
		unsigned long id = 12345;

		ok(xioctl(fd, ASHMEM_SET_SIZE, page_size()) == 0 &&
		   xioctl(fd, ASHMEM_GET_FILE_ID, (unsigned long)&id) == -EINVAL &&
		   id == 12345, "GET_FILE_ID before the first mmap: EINVAL");
	}
	close(fd);
}

static void test_name(void)
{
	char name[ASHMEM_NAME_LEN], longname[400];
	int fd = region(NULL, 0);

	ok(xioctl(fd, ASHMEM_SET_NAME, (unsigned long)"my region") == 0,
	   "SET_NAME");
	ok(xioctl(fd, ASHMEM_GET_NAME, (unsigned long)name) == 0 &&
	   !strcmp(name, "my region"), "GET_NAME returns it");
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ok(xioctl(fd, ASHMEM_SET_NAME, (unsigned long)longname) == 0,
	   "SET_NAME with a 399-byte name");
	ok(xioctl(fd, ASHMEM_GET_NAME, (unsigned long)name) == 0 &&
	   strlen(name) == ASHMEM_NAME_LEN - 1 && name[0] == 'n',
	   "long name cut to %d bytes", ASHMEM_NAME_LEN - 1);
	ok(xioctl(fd, ASHMEM_SET_NAME, 0) == -EFAULT, "SET_NAME(NULL): EFAULT");
	ok(xioctl(fd, ASHMEM_SET_NAME, 1) == -EFAULT,
	   "SET_NAME(bad pointer): EFAULT");
	ok(xioctl(fd, ASHMEM_GET_NAME, 0) == -EFAULT, "GET_NAME(NULL): EFAULT");
	close(fd);
}

static void test_size_and_fixed(void)
{
	long pg = page_size();
	char name[ASHMEM_NAME_LEN];
	int fd = region("fixed", 0);
	char *p;

	ok(xioctl(fd, ASHMEM_SET_SIZE, 3 * pg) == 0, "SET_SIZE");
	ok(xioctl(fd, ASHMEM_GET_SIZE, 0) == 3 * pg, "GET_SIZE returns it");
	ok(xioctl(fd, ASHMEM_SET_SIZE, 5 * pg + 1) == 0,
	   "SET_SIZE again before mmap");
	if (sizeof(long) == 8)
		ok(xioctl(fd, ASHMEM_SET_SIZE, ULONG_MAX) == -EINVAL,
		   "SET_SIZE beyond the largest file: EINVAL");
	ok(xioctl(fd, ASHMEM_GET_SIZE, 0) == 5 * pg + 1, "size unchanged");
	ok(xioctl(fd, ASHMEM_SET_SIZE, 3UL << 30) == 0 &&
	   xioctl(fd, ASHMEM_GET_SIZE, 0) == -EOVERFLOW,
	   "GET_SIZE above INT_MAX: EOVERFLOW (the ioctl returns an int)");
	ok(xioctl(fd, ASHMEM_SET_SIZE, 5 * pg + 1) == 0, "SET_SIZE back");
	ok(map_errno(fd, 7 * pg, PROT_READ, MAP_SHARED, 0) == -EINVAL,
	   "mmap longer than the page-aligned size: EINVAL");
	p = map(fd, 6 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ok(p != MAP_FAILED, "mmap of the page-aligned size (6 pages)");
	if (p != MAP_FAILED) {
		p[6 * pg - 1] = 1;
		ok(p[6 * pg - 1] == 1, "last page of an unaligned size is usable");
		munmap(p, 6 * pg);
	}
	ok(xioctl(fd, ASHMEM_SET_SIZE, pg) == -EINVAL,
	   "SET_SIZE after mmap: EINVAL");
	ok(xioctl(fd, ASHMEM_GET_SIZE, 0) == 5 * pg + 1,
	   "size fixed once mapped");
	ok(xioctl(fd, ASHMEM_SET_NAME, (unsigned long)"other") == -EINVAL,
	   "SET_NAME after mmap: EINVAL");
	ok(xioctl(fd, ASHMEM_GET_NAME, (unsigned long)name) == 0 &&
	   !strcmp(name, "fixed"), "name fixed once mapped");
	ok(map_errno(fd, pg, PROT_READ, MAP_SHARED, 6 * pg) == -EINVAL,
	   "mmap at an offset past the size: EINVAL");
	ok(map_errno(fd, 2 * pg, PROT_READ, MAP_SHARED, 5 * pg) == -EINVAL,
	   "mmap running past the size: EINVAL");
	ok(map_errno(fd, pg, PROT_READ, MAP_SHARED, 5 * pg) == 0,
	   "mmap of the last page by offset");
	close(fd);
}

static void test_prot_mask(void)
{
	long pg = page_size();
	int fd = region("prot", pg);
	char *p;

	ok(xioctl(fd, ASHMEM_SET_PROT_MASK, PROT_READ | PROT_WRITE) == 0,
	   "SET_PROT_MASK(RW)");
	ok(xioctl(fd, ASHMEM_GET_PROT_MASK, 0) == (PROT_READ | PROT_WRITE),
	   "GET_PROT_MASK returns RW");
	ok(xioctl(fd, ASHMEM_SET_PROT_MASK, PROT_READ | PROT_WRITE | PROT_EXEC)
	   == -EINVAL, "adding PROT_EXEC back: EINVAL");
	ok(xioctl(fd, ASHMEM_SET_PROT_MASK, 0x10) == -EINVAL,
	   "unknown prot bit: EINVAL");
	ok(map_errno(fd, pg, PROT_READ | PROT_EXEC, MAP_SHARED, 0) == -EPERM,
	   "mmap with PROT_EXEC outside the mask: EPERM");
	p = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ok(p != MAP_FAILED, "mmap RW inside the mask");
	if (p != MAP_FAILED) {
		strcpy(p, "hello");
		ok(mprotect(p, pg, PROT_READ | PROT_EXEC) < 0 && errno == EACCES,
		   "mprotect adding PROT_EXEC: EACCES");
	}
	ok(xioctl(fd, ASHMEM_SET_PROT_MASK, PROT_READ) == 0,
	   "SET_PROT_MASK(R) after mapping");
	ok(map_errno(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0) == -EPERM,
	   "mmap RW after the mask lost PROT_WRITE: EPERM");
	{
		char *r = map(fd, pg, PROT_READ, MAP_SHARED, 0);

		ok(r != MAP_FAILED && !strcmp(r, "hello"),
		   "mmap R sees the data");
		if (r != MAP_FAILED) {
			ok(mprotect(r, pg, PROT_READ | PROT_WRITE) < 0 &&
			   errno == EACCES, "mprotect adding PROT_WRITE: EACCES");
			ok(mprotect(r, pg, PROT_NONE) == 0 &&
			   mprotect(r, pg, PROT_READ) == 0,
			   "mprotect within the mask works");
			munmap(r, pg);
		}
	}
	ok(map_errno(fd, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0) == -EPERM,
	   "private RW mapping outside the mask: EPERM");
	ok(xioctl(fd, ASHMEM_SET_PROT_MASK, 0) == 0, "SET_PROT_MASK(0)");
	ok(map_errno(fd, pg, PROT_READ, MAP_SHARED, 0) == -EPERM,
	   "mmap R with an empty mask: EPERM");
	{
		char *n = map(fd, pg, PROT_NONE, MAP_SHARED, 0);

		ok(n != MAP_FAILED, "mmap PROT_NONE with an empty mask");
		if (n != MAP_FAILED) {
			ok(mprotect(n, pg, PROT_READ) < 0 && errno == EACCES,
			   "mprotect(PROT_READ) with an empty mask: EACCES");
			munmap(n, pg);
		}
	}
	if (p != MAP_FAILED)
		munmap(p, pg);
	close(fd);

	fd = open("/dev/ashmem", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bail("open O_RDONLY");
	ok(xioctl(fd, ASHMEM_SET_SIZE, pg) == 0, "read-only open: SET_SIZE");
	ok(map_errno(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0) == -EACCES,
	   "read-only open: shared RW mmap is EACCES");
	p = map(fd, pg, PROT_READ, MAP_SHARED, 0);
	ok(p != MAP_FAILED, "read-only open: shared R mmap works");
	if (p != MAP_FAILED) {
		/* a read fault of a shmem mapping puts a page in the file */
		ok(p[0] == 0 && lseek(fd, 0, SEEK_DATA) == 0,
		   "read-only open: MAP_SHARED maps the backing file (not anonymous memory)");
		ok(pin_cmd(fd, ASHMEM_UNPIN, 0, 0) == 0 &&
		   xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) == 1,
		   "read-only open: its page can be unpinned and purged");
		munmap(p, pg);
	}
	close(fd);
}

/*
 * READ_IMPLIES_EXEC: SET_PROT_MASK(PROT_READ) keeps PROT_EXEC while the
 * mask has it (as the old driver), and asking for the mask a region
 * already has never fails.  mmap(PROT_READ) of a mask without PROT_EXEC
 * stays refused: the kernel adds PROT_EXEC before the driver sees it.
 */
static int child_rie(void *arg)
{
	int rw = ((int *)arg)[0], r = ((int *)arg)[1];

	if (personality(READ_IMPLIES_EXEC) < 0)
		return 10;
	if (xioctl(rw, ASHMEM_SET_PROT_MASK, PROT_READ) != 0)
		return 1;
	if (xioctl(rw, ASHMEM_GET_PROT_MASK, 0) != (PROT_READ | PROT_EXEC))
		return 2;
	if (xioctl(r, ASHMEM_SET_PROT_MASK, PROT_READ) != 0)
		return 3;
	if (xioctl(r, ASHMEM_GET_PROT_MASK, 0) != PROT_READ)
		return 4;
	if (map_errno(r, page_size(), PROT_READ, MAP_SHARED, 0) != -EPERM)
		return 5;
	if (map_errno(rw, page_size(), PROT_READ, MAP_SHARED, 0) != 0)
		return 6;
	return 0;
}

static void test_read_implies_exec(void)
{
	int fds[2] = { region("rie-rw", page_size()), region("rie-r", page_size()) };
	int rc;

	ok(xioctl(fds[1], ASHMEM_SET_PROT_MASK, PROT_READ) == 0,
	   "mask R set without READ_IMPLIES_EXEC");
	rc = in_child(child_rie, fds);
	ok(rc == 0, "READ_IMPLIES_EXEC: SET_PROT_MASK(R) keeps X while the mask has it, "
	   "is a no-op on a mask R, mmap R of it stays EPERM (child status %d)", rc);
	close(fds[0]);
	close(fds[1]);
}

static void test_read_lseek(void)
{
	long pg = page_size();
	char buf[64], *big;
	int fd, i;
	char *p;

	fd = region("rd", 0);
	ok(read(fd, buf, sizeof(buf)) == 0, "read with size 0 and no mapping: 0");
	ok(lseek(fd, 0, SEEK_SET) < 0 && errno == EINVAL,
	   "lseek with size 0: EINVAL");
	ok(xioctl(fd, ASHMEM_SET_SIZE, 4 * pg) == 0, "set size");
	ok(read(fd, buf, sizeof(buf)) < 0 && errno == EBADF,
	   "read before the first mmap: EBADF");
	ok(lseek(fd, 0, SEEK_SET) < 0 && errno == EBADF,
	   "lseek before the first mmap: EBADF");
	p = map(fd, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (p == MAP_FAILED)
		bail("mmap");
	strcpy(p + 2 * pg, "page two");
	ok(read(fd, buf, sizeof(buf)) == sizeof(buf) && buf[0] == 0,
	   "read of a hole returns zeros");
	ok(lseek(fd, 0, SEEK_CUR) == (off_t)sizeof(buf),
	   "read advanced the position");
	ok(lseek(fd, 2 * pg, SEEK_SET) == 2 * pg &&
	   read(fd, buf, 9) == 9 && !strcmp(buf, "page two"),
	   "SEEK_SET then read sees the mapped data");
	ok(pread(fd, buf, 4, 2 * pg + 5) == 4 && !memcmp(buf, "two", 4),
	   "pread");
	ok(lseek(fd, 0, SEEK_END) == 4 * pg, "SEEK_END is the size");
	ok(read(fd, buf, sizeof(buf)) == 0, "read at the end: 0");
	ok(lseek(fd, -pg, SEEK_CUR) == 3 * pg, "SEEK_CUR backwards");
	ok(lseek(fd, -1, SEEK_SET) < 0 && errno == EINVAL,
	   "negative SEEK_SET: EINVAL");
	ok(lseek(fd, 0, SEEK_DATA) == 2 * pg, "SEEK_DATA finds the written page");
	ok(lseek(fd, 2 * pg, SEEK_HOLE) == 3 * pg,
	   "SEEK_HOLE finds the hole after it");
	ok(lseek(fd, 3 * pg, SEEK_DATA) < 0 && errno == ENXIO,
	   "SEEK_DATA past the last data: ENXIO");
	big = malloc(4 * pg);
	for (i = 0; i < 4 * pg; i++)
		p[i] = (char)(i * 7);
	lseek(fd, 0, SEEK_SET);
	ok(big && read(fd, big, 4 * pg) == 4 * pg && !memcmp(big, p, 4 * pg),
	   "read of the whole region matches the mapping");
	lseek(fd, 0, SEEK_SET);
	ok(read(fd, bad_buffer, 16) < 0 && errno == EFAULT,
	   "read into a bad buffer: EFAULT");
	free(big);
	munmap(p, 4 * pg);
	close(fd);
}

static void test_stat_and_proc(void)
{
	long pg = page_size();
	char path[128], line[512];
	struct stat st;
	int fd = region("proc-name", 2 * pg), found = 0;
	char *p;
	FILE *f;

	ok(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_size == 0,
	   "fstat: a character device, st_size 0 (the size is GET_SIZE)");
	p = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (p == MAP_FAILED)
		bail("mmap");
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strtoul(line, NULL, 16) == (unsigned long)p &&
		    strstr(line, "/dev/ashmem/proc-name"))
			found = 1;
	if (f)
		fclose(f);
	ok(found, "/proc/self/maps names the mapping /dev/ashmem/proc-name");
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)p, (unsigned long)p + 2 * pg);
	ok(stat(path, &st) == 0 && st.st_size == 2 * pg,
	   "the backing file's st_size is the region size");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	found = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "name:\tproc-name\n"))
			found |= 1;
		if (strtoul(line + 5, NULL, 10) == (unsigned long)(2 * pg) &&
		    !strncmp(line, "size:", 5))
			found |= 2;
	}
	if (f)
		fclose(f);
	ok(found == 3, "fdinfo shows name and size");
	munmap(p, 2 * pg);
	close(fd);

	/* a name cannot forge fdinfo lines */
	fd = region("evil\nunpinned:\t0 0 1\\", 2 * pg);
	p = map(fd, 2 * pg, PROT_READ, MAP_SHARED, 0);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	found = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unpinned:", 9))
			found |= 4;
		if (!strcmp(line, "name:\tevil\\012unpinned:\t0 0 1\\134\n"))
			found |= 1;
		if (!strcmp(line, "unpinned_ranges:\t0\n"))
			found |= 2;
	}
	if (f)
		fclose(f);
	ok(found == 3, "fdinfo escapes a name's newline and backslash (no forged line)");
	if (p != MAP_FAILED)
		munmap(p, 2 * pg);
	close(fd);
}

static int child_write(void *arg)
{
	char *p = arg;

	if (strcmp(p, "from parent"))
		return 1;
	strcpy(p, "from child");
	return 0;
}

static void test_fork(void)
{
	long pg = page_size();
	int fd = region("fork", pg);
	char *p = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	if (p == MAP_FAILED)
		bail("mmap");
	strcpy(p, "from parent");
	ok(in_child(child_write, p) == 0, "child sees the parent's write");
	ok(!strcmp(p, "from child"), "parent sees the child's write");
	munmap(p, pg);
	close(fd);
}

static void test_private(void)
{
	long pg = page_size();
	int fd = region("private", 2 * pg);
	char *s = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	char *q;

	if (s == MAP_FAILED)
		bail("mmap");
	strcpy(s, "shared");
	q = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	ok(q != MAP_FAILED, "private mapping");
	if (q != MAP_FAILED) {
		strcpy(q + pg, "private");
		ok(s[pg] == 0, "private writes do not reach the region");
		munmap(q, 2 * pg);
	}
	munmap(s, 2 * pg);
	close(fd);
}

#define MANY 256

/* The inode number /proc/self/maps shows for the mapping at @addr. */
static unsigned long maps_inode(const void *addr)
{
	unsigned long start, ino = 0, got = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%*x %*s %*x %*x:%*x %lu", &start, &ino) == 2 &&
		    start == (unsigned long)addr)
			got = ino;
	if (f)
		fclose(f);
	return got;
}

static void test_many_and_ids(void)
{
	long pg = page_size();
	static int fds[MANY];
	static char *maps[MANY];
	static unsigned long ids[MANY];
	unsigned long id2 = 0;
	int i, j, good = 1, distinct = 1;

	for (i = 0; i < MANY; i++) {
		char name[32];

		snprintf(name, sizeof(name), "many-%d", i);
		fds[i] = region(name, pg);
		maps[i] = map(fds[i], pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		if (maps[i] == MAP_FAILED)
			bail("mmap many");
		snprintf(maps[i], 32, "region %d", i);
		if (xioctl(fds[i], ASHMEM_GET_FILE_ID, (unsigned long)&ids[i]))
			good = 0;
	}
	for (i = 0; i < MANY; i++) {
		char want[32];

		snprintf(want, sizeof(want), "region %d", i);
		if (strcmp(maps[i], want))
			good = 0;
		if (!ids[i])
			distinct = 0;
		for (j = 0; j < i; j++)
			if (ids[i] == ids[j])
				distinct = 0;
	}
	ok(good, "%d regions at once keep their own contents", MANY);
	ok(distinct, "GET_FILE_ID: %d distinct, non-zero ids", MANY);
	ok(xioctl(fds[0], ASHMEM_GET_FILE_ID, (unsigned long)&id2) == 0 &&
	   id2 == ids[0], "GET_FILE_ID is stable");
	ok(xioctl(fds[0], ASHMEM_GET_FILE_ID, 0) == -EFAULT,
	   "GET_FILE_ID(NULL): EFAULT");
	{
		char path[128];
		struct stat st;

		ok(map_files_path(maps[0], path, sizeof(path)) &&
		   stat(path, &st) == 0 && st.st_ino == ids[0],
		   "GET_FILE_ID is the backing inode's st_ino (map_files)");
		ok(maps_inode(maps[0]) == ids[0],
		   "GET_FILE_ID is the inode /proc/self/maps shows");
	}
	for (i = 0; i < MANY; i++) {
		munmap(maps[i], pg);
		close(fds[i]);
	}
}

static void test_bad_ioctls(void)
{
	int fd = region(NULL, page_size());

	ok(xioctl(fd, _IO(__ASHMEMIOC, 12), 0) == -ENOTTY,
	   "unknown ashmem ioctl 12: ENOTTY");
	ok(xioctl(fd, _IO('x', 1), 0) == -ENOTTY, "foreign ioctl: ENOTTY");
	ok(xioctl(fd, _IOW(__ASHMEMIOC, 3, char[16]), 4096) == -ENOTTY,
	   "SET_SIZE with a wrong size field: ENOTTY");
	ok(ioctl(12345, ASHMEM_GET_SIZE) < 0 && errno == EBADF,
	   "ioctl on a closed fd: EBADF");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) >= 0,
	   "PURGE_ALL_CACHES as root");
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	diag("t_ioctl, %zu-bit process", sizeof(long) * 8);
	test_abi();
	test_defaults();
	test_name();
	test_size_and_fixed();
	test_prot_mask();
	test_read_implies_exec();
	test_read_lseek();
	test_stat_and_proc();
	test_fork();
	test_private();
	test_many_and_ids();
	test_bad_ioctls();
	return done();
}
