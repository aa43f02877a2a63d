// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_pressure.c - real memory pressure purges unpinned ranges, oldest first.
 *
 * Meant for a small guest (256 MiB, no swap).  Fills NREG one-MiB regions
 * and one pinned region, unpins the regions in order 0..NREG-1, then
 * allocates anonymous memory in steps until reclaim (kswapd or direct)
 * has run the shrinker.  The set of purged regions (read from fdinfo) must
 * always be a prefix of the unpin order: checked after every step and,
 * since reclaim may purge many regions in one episode, by a thread that
 * samples all regions continuously, newest first (so a purge running
 * oldest-first while it reads can never look out of order).  At the end some must
 * have been purged, the pinned region must be intact, and each unpinned
 * region must either still hold its data (PIN: NOT_PURGED) or read as
 * zeros (PIN: WAS_PURGED).
 */
#include "tap.h"
#include <pthread.h>

#define NREG	48
#define REG	(1UL << 20)
#define PINNED	(16UL << 20)
#define STEP	(1UL << 20)

static int purged_flag(int fd)
{
	char path[64], line[256];
	unsigned long a, b;
	unsigned int pu;
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "unpinned: %lu %lu %u", &a, &b, &pu) == 3)
			ret = (int)pu;
	if (f)
		fclose(f);
	return ret;
}

static int fds[NREG];
static volatile int sampling = 1;
static long samples, partial, disorder;

/* Snapshot newest to oldest: once region j is seen purged, every older
 * region must be purged when read afterwards. */
static void *sampler(void *arg)
{
	(void)arg;
	while (sampling) {
		int i, seen_purged = 0, n = 0;

		for (i = NREG - 1; i >= 0; i--) {
			int f = purged_flag(fds[i]);

			if (f == 1) {
				seen_purged = 1;
				n++;
			} else if (seen_purged) {
				disorder++;
			}
		}
		samples++;
		if (n > 0 && n < NREG)
			partial++;
	}
	return NULL;
}

static long mem_available_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
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
	static char *maps[NREG];
	pthread_t thread;
	char *pinned, *chunks[1024];
	int i, pinfd, nchunks = 0, npurged = 0, prefix = 1, consistent = 1;
	int fdsum;

	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(300);
	pinfd = region("pinned", PINNED);
	pinned = mmap(NULL, PINNED, PROT_READ | PROT_WRITE, MAP_SHARED, pinfd, 0);
	if (pinned == MAP_FAILED)
		bail("mmap pinned");
	memset(pinned, 'P', PINNED);
	for (i = 0; i < NREG; i++) {
		fds[i] = region("pressure", REG);
		maps[i] = mmap(NULL, REG, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fds[i], 0);
		if (maps[i] == MAP_FAILED)
			bail("mmap region");
		memset(maps[i], 'a' + i % 26, REG);
	}
	for (i = 0; i < NREG; i++)
		if (pin_cmd(fds[i], ASHMEM_UNPIN, 0, 0) != 0)
			bail("unpin");
	diag("MemAvailable %ld kB before allocating", mem_available_kb());
	pthread_create(&thread, NULL, sampler, NULL);

	while (nchunks < 1024) {
		int n = 0, seen_unpurged = 0;

		chunks[nchunks] = mmap(NULL, STEP, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunks[nchunks] == MAP_FAILED)
			break;
		memset(chunks[nchunks], 1, STEP);
		nchunks++;
		for (i = 0; i < NREG; i++) {
			int f = purged_flag(fds[i]);

			if (f == 1) {
				n++;
				if (seen_unpurged)
					prefix = 0;
			} else {
				seen_unpurged = 1;
			}
		}
		if (n != npurged)
			diag("after %d MiB: %d regions purged", nchunks, n);
		npurged = n;
		if (npurged >= NREG / 2)
			break;
		if (mem_available_kb() < 12 * 1024 && npurged == NREG)
			break;
	}
	sampling = 0;
	pthread_join(thread, NULL);
	diag("sampler: %ld snapshots, %ld with some but not all regions purged",
	     samples, partial);
	diag("allocated %d MiB, %d of %d regions purged, MemAvailable %ld kB",
	     nchunks * (int)(STEP >> 20), npurged, NREG, mem_available_kb());
	ok(npurged > 0, "memory pressure purged unpinned regions (%d)", npurged);
	ok(prefix && !disorder,
	   "purged regions were always the oldest unpinned ones (%ld snapshots)",
	   samples);
	while (nchunks > 0)
		munmap(chunks[--nchunks], STEP);
	ok(all(pinned, PINNED, 'P'), "the pinned region survived intact");
	fdsum = 0;
	for (i = 0; i < NREG; i++) {
		int r = pin_cmd(fds[i], ASHMEM_PIN, 0, 0);

		if (r == ASHMEM_WAS_PURGED) {
			fdsum++;
			if (!all(maps[i], REG, 0))
				consistent = 0;
		} else if (r != ASHMEM_NOT_PURGED ||
			   !all(maps[i], REG, 'a' + i % 26)) {
			consistent = 0;
		}
	}
	ok(consistent, "each region reads as zeros if purged, else keeps its data");
	ok(fdsum >= npurged, "PIN reports WAS_PURGED for every purged region (%d)",
	   fdsum);
	return done();
}
