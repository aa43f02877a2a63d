// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_ashmem.c - ashmem pin/unpin and purge against memfd + fallocate.
 *
 * Two questions an application asks when choosing between them:
 *  - What does giving memory back and taking it again cost?  ashmem:
 *    UNPIN + PIN of a 64 KiB range that stays resident.  memfd: the only
 *    way to give memory back is fallocate(PUNCH_HOLE), and taking it again
 *    means faulting the 16 pages back in.  Reported in round trips/s.
 *  - How fast is memory actually released?  ashmem: PURGE_ALL_CACHES of
 *    a 64 MiB unpinned region; memfd: one PUNCH_HOLE over 64 MiB.  MiB/s.
 * Prints one JSON object on a line starting with "BENCH-JSON ".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/ashmem.h>
#include <linux/falloc.h>

#define RT_BYTES	(64UL << 10)
#define PURGE_BYTES	(64UL << 20)
#define PURGE_REPS	5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int ashmem_region(size_t size, char **map)
{
	int fd = open("/dev/ashmem", O_RDWR);

	if (fd < 0 || ioctl(fd, ASHMEM_SET_SIZE, size) < 0)
		die("ashmem");
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED)
		die("mmap ashmem");
	return fd;
}

static int memfd_region(size_t size, char **map)
{
	int fd = memfd_create("bench", 0);

	if (fd < 0 || ftruncate(fd, size) < 0)
		die("memfd");
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED)
		die("mmap memfd");
	return fd;
}

static void touch(char *p, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i += 4096)
		p[i] = c;
}

static double rt_ashmem(double secs)
{
	struct ashmem_pin pin = { 0, RT_BYTES };
	char *p;
	int fd = ashmem_region(RT_BYTES, &p);
	double t0 = now(), t;
	long n = 0;

	touch(p, RT_BYTES, 1);
	do {
		for (int i = 0; i < 256; i++) {
			if (ioctl(fd, ASHMEM_UNPIN, &pin) < 0 ||
			    ioctl(fd, ASHMEM_PIN, &pin) < 0)
				die("pin/unpin");
			touch(p, RT_BYTES, 2);	/* use the memory, as the app would */
		}
		n += 256;
		t = now() - t0;
	} while (t < secs);
	munmap(p, RT_BYTES);
	close(fd);
	return n / t;
}

static double rt_memfd(double secs)
{
	char *p;
	int fd = memfd_region(RT_BYTES, &p);
	double t0 = now(), t;
	long n = 0;

	touch(p, RT_BYTES, 1);
	do {
		for (int i = 0; i < 256; i++) {
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      0, RT_BYTES) < 0)
				die("fallocate");
			touch(p, RT_BYTES, 2);	/* fault it back in */
		}
		n += 256;
		t = now() - t0;
	} while (t < secs);
	munmap(p, RT_BYTES);
	close(fd);
	return n / t;
}

static double purge_ashmem(void)
{
	struct ashmem_pin pin = { 0, 0 };
	double total = 0;
	char *p;
	int fd = ashmem_region(PURGE_BYTES, &p);

	for (int r = 0; r < PURGE_REPS; r++) {
		double t0;

		touch(p, PURGE_BYTES, 3);
		if (ioctl(fd, ASHMEM_UNPIN, &pin) < 0)
			die("unpin");
		t0 = now();
		if (ioctl(fd, ASHMEM_PURGE_ALL_CACHES) < 0)
			die("purge");
		total += now() - t0;
		if (ioctl(fd, ASHMEM_PIN, &pin) < 0)
			die("pin");
	}
	munmap(p, PURGE_BYTES);
	close(fd);
	return PURGE_REPS * (PURGE_BYTES >> 20) / total;
}

static double purge_memfd(void)
{
	double total = 0;
	char *p;
	int fd = memfd_region(PURGE_BYTES, &p);

	for (int r = 0; r < PURGE_REPS; r++) {
		double t0;

		touch(p, PURGE_BYTES, 3);
		t0 = now();
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			      PURGE_BYTES) < 0)
			die("fallocate");
		total += now() - t0;
	}
	munmap(p, PURGE_BYTES);
	close(fd);
	return PURGE_REPS * (PURGE_BYTES >> 20) / total;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	double ra = rt_ashmem(secs), rm = rt_memfd(secs);
	double pa = purge_ashmem(), pm = purge_memfd();

	printf("BENCH-JSON {\"roundtrip_bytes\": %lu, \"purge_bytes\": %lu, "
	       "\"pin_unpin_roundtrips_per_s\": {\"ashmem\": %.1f, \"memfd_fallocate\": %.1f}, "
	       "\"purge_mib_per_s\": {\"ashmem\": %.1f, \"memfd_fallocate\": %.1f}}\n",
	       RT_BYTES, PURGE_BYTES, ra, rm, pa, pm);
	return 0;
}
