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
 *  - How long does PIN take while the kernel is reclaiming?  In a memory
 *    cgroup (memory.max 48 MiB, no swap) a thread keeps refilling and
 *    unpinning 64 MiB of caches and touching anonymous memory, so reclaim
 *    runs the shrinker all the time; the measured thread unpins a 1 MiB
 *    region as 8 ranges, lets it age 1 ms and pins it back, 2000 times.
 *    PIN may wait for a punch of its own region in flight, and its own
 *    allocation may reclaim.  Latency percentiles against the same loop
 *    with no reclaim (memfd has no PIN to compare with).  And the worst
 *    case: PIN of an 8 MiB region (32 ranges) just as PURGE_ALL_CACHES has
 *    started punching it, 200 times; PIN waits for the punch in flight,
 *    and the purge leaves the rest of the region alone while it waits.
 * Prints one JSON object on a line starting with "BENCH-JSON ".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* --- PIN latency under reclaim ------------------------------------------ */

#define LAT_BYTES	(1UL << 20)
#define LAT_RANGES	8
#define LAT_ITERS	2000
#define LAT_UNPINNED_US	1000
#define CACHES		16
#define CACHE_BYTES	(4UL << 20)
#define CACHE_RANGES	16
#define ANON_BYTES	(8UL << 20)
#define CG		"/sys/fs/cgroup"
#define BENCH_CG	CG "/ashmem-bench"
#define BENCH_LIMIT	"50331648"	/* 48 MiB */

struct lat { double p50, p99, max; int purged; };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void unpin_ranges(int fd, size_t bytes, int ranges)
{
	size_t step = bytes / ranges;

	/* every other half-step: separate ranges, each its own punch */
	for (int i = 0; i < ranges; i++) {
		struct ashmem_pin pin = { i * step, step / 2 };

		if (ioctl(fd, ASHMEM_UNPIN, &pin) < 0)
			die("unpin");
	}
}

static struct lat pin_latency(void)
{
	static double t[LAT_ITERS];
	struct ashmem_pin all = { 0, 0 };
	struct lat l = { 0 };
	char *p;
	int fd = ashmem_region(LAT_BYTES, &p), r;

	for (int i = 0; i < LAT_ITERS; i++) {
		double t0;

		touch(p, LAT_BYTES, 4);
		unpin_ranges(fd, LAT_BYTES, LAT_RANGES);
		usleep(LAT_UNPINNED_US);	/* long enough to age on the LRU */
		t0 = now();
		r = ioctl(fd, ASHMEM_PIN, &all);
		t[i] = (now() - t0) * 1e6;
		if (r < 0)
			die("pin");
		l.purged += r == ASHMEM_WAS_PURGED;
	}
	qsort(t, LAT_ITERS, sizeof(t[0]), cmp_double);
	l.p50 = t[LAT_ITERS / 2];
	l.p99 = t[LAT_ITERS * 99 / 100];
	l.max = t[LAT_ITERS - 1];
	munmap(p, LAT_BYTES);
	close(fd);
	return l;
}

/* PIN while a purge of the same region is in flight. */
#define OWN_BYTES	(8UL << 20)
#define OWN_RANGES	32
#define OWN_ITERS	200

static void *purge_thread(void *arg)
{
	ioctl(*(int *)arg, ASHMEM_PURGE_ALL_CACHES);
	return NULL;
}

static int purged_ranges(int fd)
{
	char path[64], line[128];
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

static struct lat pin_behind_purge(void)
{
	static double t[OWN_ITERS];
	struct ashmem_pin all = { 0, 0 };
	struct lat l = { 0 };
	pthread_t th;
	char *p;
	int fd = ashmem_region(OWN_BYTES, &p);

	for (int i = 0; i < OWN_ITERS; i++) {
		double t0;

		touch(p, OWN_BYTES, 7);
		unpin_ranges(fd, OWN_BYTES, OWN_RANGES);
		pthread_create(&th, NULL, purge_thread, &fd);
		while (!purged_ranges(fd))
			;
		t0 = now();
		if (ioctl(fd, ASHMEM_PIN, &all) < 0)
			die("pin");
		t[i] = (now() - t0) * 1e6;
		pthread_join(th, NULL);
		for (size_t off = 0; off < OWN_BYTES; off += OWN_BYTES / OWN_RANGES)
			l.purged += p[off] == 0;	/* ranges lost */
	}
	qsort(t, OWN_ITERS, sizeof(t[0]), cmp_double);
	l.p50 = t[OWN_ITERS / 2];
	l.p99 = t[OWN_ITERS * 99 / 100];
	l.max = t[OWN_ITERS - 1];
	munmap(p, OWN_BYTES);
	close(fd);
	return l;
}

static volatile int reclaim_stop;

/* Keep the cgroup over its limit with caches the shrinker can purge. */
static void *reclaimer(void *arg)
{
	static char *cache[CACHES];
	int fd[CACHES];

	(void)arg;
	for (int c = 0; c < CACHES; c++)
		fd[c] = ashmem_region(CACHE_BYTES, &cache[c]);
	while (!reclaim_stop) {
		for (int c = 0; c < CACHES && !reclaim_stop; c++) {
			struct ashmem_pin all = { 0, 0 };
			char *a;

			ioctl(fd[c], ASHMEM_PIN, &all);
			touch(cache[c], CACHE_BYTES, 5);
			unpin_ranges(fd[c], CACHE_BYTES, CACHE_RANGES);
			a = mmap(NULL, ANON_BYTES, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (a != MAP_FAILED) {
				touch(a, ANON_BYTES, 6);
				munmap(a, ANON_BYTES);
			}
		}
	}
	for (int c = 0; c < CACHES; c++) {
		munmap(cache[c], CACHE_BYTES);
		close(fd[c]);
	}
	return NULL;
}

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* Both measurements, in a child process inside the benchmark's cgroup. */
static void pin_under_reclaim(struct lat *idle, struct lat *busy)
{
	struct lat res[2];
	int pfd[2], status;
	char pid[32];
	pid_t child;

	if (access(CG "/cgroup.controllers", F_OK) &&
	    mount("none", CG, "cgroup2", 0, NULL))
		die("mount cgroup2");
	put(CG "/cgroup.subtree_control", "+memory");
	rmdir(BENCH_CG);
	if (mkdir(BENCH_CG, 0755) || put(BENCH_CG "/memory.max", BENCH_LIMIT))
		die("benchmark cgroup");
	put(BENCH_CG "/memory.swap.max", "0");
	if (pipe(pfd))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		pthread_t t;

		snprintf(pid, sizeof(pid), "%d", getpid());
		if (put(BENCH_CG "/cgroup.procs", pid))
			die("join cgroup");
		res[0] = pin_latency();
		pthread_create(&t, NULL, reclaimer, NULL);
		sleep(1);	/* let the caches fill the cgroup */
		res[1] = pin_latency();
		reclaim_stop = 1;
		pthread_join(t, NULL);
		_exit(write(pfd[1], res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], res, sizeof(res)) != sizeof(res))
		die("benchmark child");
	waitpid(child, &status, 0);
	rmdir(BENCH_CG);
	*idle = res[0];
	*busy = res[1];
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	double ra = rt_ashmem(secs), rm = rt_memfd(secs);
	double pa = purge_ashmem(), pm = purge_memfd();
	struct lat idle, busy, own;

	pin_under_reclaim(&idle, &busy);
	own = pin_behind_purge();
	printf("BENCH-JSON {\"roundtrip_bytes\": %lu, \"purge_bytes\": %lu, "
	       "\"pin_unpin_roundtrips_per_s\": {\"ashmem\": %.1f, \"memfd_fallocate\": %.1f}, "
	       "\"purge_mib_per_s\": {\"ashmem\": %.1f, \"memfd_fallocate\": %.1f}, "
	       "\"pin_latency_us\": {\"pins\": %d, \"bytes\": %lu, \"ranges\": %d, "
	       "\"idle\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f, \"was_purged\": %d}, "
	       "\"reclaim\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f, \"was_purged\": %d}}, "
	       "\"pin_behind_purge_us\": {\"pins\": %d, \"bytes\": %lu, \"ranges\": %d, "
	       "\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f, \"ranges_lost_per_pin\": %.2f}}\n",
	       RT_BYTES, PURGE_BYTES, ra, rm, pa, pm, LAT_ITERS, LAT_BYTES,
	       LAT_RANGES, idle.p50, idle.p99, idle.max, idle.purged,
	       busy.p50, busy.p99, busy.max, busy.purged, OWN_ITERS, OWN_BYTES,
	       OWN_RANGES, own.p50, own.p99, own.max,
	       (double)own.purged / OWN_ITERS);
	return 0;
}
