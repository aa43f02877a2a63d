// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_stress.c SECONDS - everything at once, for a bounded time.
 *
 * Two processes, each with four threads, share a set of regions (created
 * before the fork, so both processes use the same areas) and create and
 * close their own.  Threads pin, unpin, query, map, unmap, read, seek,
 * purge and close at random.  Every call must succeed or fail with an
 * errno that call may return; each thread also owns one region whose
 * pinned pages it checks after every purge it sees (a pinned page must
 * never lose its data).  Meant for the KASAN + lockdep kernel: the real
 * verdict is a clean kernel log.
 */
#include "tap.h"
#include <pthread.h>
#include <time.h>

#define SHARED	8
#define THREADS	4
#define PAGES	16

static int shared[SHARED];
static volatile int stop;
static long pg;

struct worker {
	int id;
	unsigned long long rng;
	long ops, bad, corrupt;
	char why[160];
};

static unsigned long rnd(struct worker *w, unsigned long n)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (unsigned long)(w->rng % n);
}

static void expect(struct worker *w, int cond, const char *what, int err)
{
	if (cond)
		return;
	if (!w->bad)
		snprintf(w->why, sizeof(w->why), "%s: errno %d", what, err);
	w->bad++;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	int own = region("own", PAGES * pg), i;
	char *mine = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			  own, 0);

	if (mine == MAP_FAILED)
		bail("mmap own");
	memset(mine, 'm', PAGES * pg);
	while (!stop) {
		int fd = shared[rnd(w, SHARED)];
		unsigned long a = rnd(w, PAGES), len = 1 + rnd(w, PAGES - a);
		int r, e;
		char buf[256];
		void *p;

		w->ops++;
		switch (rnd(w, 12)) {
		case 0:
		case 1:
			r = pin_cmd(fd, ASHMEM_UNPIN, a * pg, len * pg);
			expect(w, r == 0, "UNPIN", -r);
			break;
		case 2:
		case 3:
			r = pin_cmd(fd, ASHMEM_PIN, a * pg, len * pg);
			expect(w, r == 0 || r == 1, "PIN", -r);
			break;
		case 4:
			r = pin_cmd(fd, ASHMEM_GET_PIN_STATUS, a * pg, len * pg);
			expect(w, r == 0 || r == 1, "GET_PIN_STATUS", -r);
			break;
		case 5:
			p = mmap(NULL, len * pg, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, a * pg);
			e = errno;
			expect(w, p != MAP_FAILED, "mmap", e);
			if (p != MAP_FAILED) {
				((volatile char *)p)[0] = 1;
				munmap(p, len * pg);
			}
			break;
		case 6:
			r = (int)pread(fd, buf, sizeof(buf), a * pg);
			expect(w, r == (int)sizeof(buf), "pread", errno);
			r = (int)lseek(fd, a * pg, rnd(w, 2) ? SEEK_DATA : SEEK_HOLE);
			expect(w, r >= 0 || errno == ENXIO, "lseek", errno);
			break;
		case 7:
			r = (int)xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0);
			expect(w, r >= 0, "PURGE_ALL_CACHES", -r);
			break;
		case 8: {
			/* a short-lived region of our own */
			int t = region("temp", (1 + rnd(w, 8)) * pg);
			char *q = mmap(NULL, pg, PROT_READ | PROT_WRITE,
				       MAP_SHARED, t, 0);

			expect(w, q != MAP_FAILED, "mmap temp", errno);
			if (q != MAP_FAILED) {
				q[0] = 1;
				pin_cmd(t, ASHMEM_UNPIN, 0, 0);
				if (rnd(w, 2))
					munmap(q, pg);	/* else: close mapped */
			}
			close(t);
			break;
		}
		case 9:
			/* own region: unpin a range, pin it back, check the rest */
			r = pin_cmd(own, ASHMEM_UNPIN, a * pg, len * pg);
			expect(w, r == 0, "UNPIN own", -r);
			r = pin_cmd(own, ASHMEM_PIN, a * pg, len * pg);
			expect(w, r == 0 || r == 1, "PIN own", -r);
			if (r == 1)
				memset(mine + a * pg, 'm', len * pg);
			for (i = 0; i < PAGES; i++)
				if (mine[i * pg] != 'm' || mine[i * pg + pg - 1] != 'm')
					w->corrupt++;
			break;
		case 10:
			r = (int)xioctl(fd, ASHMEM_GET_NAME, (unsigned long)buf);
			expect(w, r == 0, "GET_NAME", -r);
			r = (int)xioctl(fd, ASHMEM_SET_SIZE, pg);
			expect(w, r == -EINVAL, "SET_SIZE on mapped", -r);
			break;
		default:
			r = (int)xioctl(fd, ASHMEM_GET_SIZE, 0);
			expect(w, r == PAGES * pg, "GET_SIZE", -r);
			break;
		}
	}
	munmap(mine, PAGES * pg);
	close(own);
	return NULL;
}

static int run_process(int secs, int pidx)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	long ops = 0, bad = 0, corrupt = 0;
	int i;

	memset(w, 0, sizeof(w));
	for (i = 0; i < THREADS; i++) {
		w[i].id = i;
		w[i].rng = 0x9E3779B97F4A7C15ULL * (i + 1 + pidx * THREADS);
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	sleep(secs);
	stop = 1;
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ops += w[i].ops;
		bad += w[i].bad;
		corrupt += w[i].corrupt;
		if (w[i].bad)
			diag("process %d thread %d: %s", pidx, i, w[i].why);
	}
	ok(bad == 0, "process %d: %ld operations, every result as expected (%ld unexpected)",
	   pidx, ops, bad);
	ok(corrupt == 0, "process %d: pinned pages never lost data (%ld bad checks)",
	   pidx, corrupt);
	return bad || corrupt;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10, i, status;
	pid_t child;
	char *p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = page_size();
	alarm(secs + 120);
	for (i = 0; i < SHARED; i++) {
		shared[i] = region("shared", PAGES * pg);
		p = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			 shared[i], 0);
		if (p == MAP_FAILED)
			bail("mmap shared");
		memset(p, 's', PAGES * pg);
	}
	fflush(stdout);
	child = fork();
	if (child < 0)
		bail("fork");
	if (!child) {
		/* the child reports through its own TAP lines */
		exit(run_process(secs, 1));
	}
	run_process(secs, 0);
	ok(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	   WEXITSTATUS(status) == 0, "the second process finished cleanly");
	for (i = 0; i < SHARED; i++)
		close(shared[i]);
	/* TAP numbering: the child printed 2 lines too, renumber by count */
	tap_n += 2;
	return done();
}
