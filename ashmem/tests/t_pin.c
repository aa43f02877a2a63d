// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_pin.c - PIN, UNPIN and GET_PIN_STATUS against a model.
 *
 * The driver shows its unpinned ranges in /proc/self/fdinfo ("unpinned:
 * first last purged lru-pages"); this program keeps a model of what they
 * must be (the semantics in ashmem_range.c: UNPIN merges every range it
 * overlaps, PIN trims, deletes or splits; a range counts the pages that
 * may hold memory, none once purged) and compares after every step: each
 * overlap case by hand, then a long seeded random script with purges.
 * Also: return values, pin status, misaligned and overflowing arguments,
 * and an area with tens of thousands of ranges: calls on it cost about
 * what they cost on an area with one (no walk over every range), fdinfo
 * lists a bounded number of them and says how many there are.
 */
#include "tap.h"
#include <time.h>

#define MAXR 1024

struct range { unsigned long first, last, lru; unsigned int purged; };

static unsigned long len(const struct range *r)
{
	return r->last - r->first + 1;
}

static unsigned long min_ul(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

struct model { int n; struct range r[MAXR]; };

static void m_del(struct model *m, int i)
{
	memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof(m->r[0]));
	m->n--;
}

static void m_ins(struct model *m, int i, struct range r)
{
	memmove(&m->r[i + 1], &m->r[i], (m->n - i) * sizeof(m->r[0]));
	m->r[i] = r;
	m->n++;
}

static int overlaps(const struct range *r, unsigned long s, unsigned long e)
{
	return r->first <= e && r->last >= s;
}

static int m_unpin(struct model *m, unsigned long s, unsigned long e)
{
	unsigned long span = e - s + 1, pages = span, outside;
	unsigned int purged = 0;
	int i = 0;
	struct range nr;

	while (i < m->n) {
		struct range *r = &m->r[i];

		if (r->first > e)
			break;
		if (!overlaps(r, s, e)) {
			i++;
			continue;
		}
		if (r->first <= s && r->last >= e) {
			r->lru = min_ul(len(r), r->lru + span);
			return 0;
		}
		outside = (r->first < s ? s - r->first : 0) +
			  (r->last > e ? r->last - e : 0);
		pages += min_ul(r->lru, outside);
		s = s < r->first ? s : r->first;
		e = e > r->last ? e : r->last;
		purged |= r->purged;
		m_del(m, i);
	}
	nr.first = s;
	nr.last = e;
	nr.purged = purged;
	nr.lru = pages;
	m_ins(m, i, nr);
	return 0;
}

static int m_pin(struct model *m, unsigned long s, unsigned long e)
{
	int ret = 0, i = 0;

	while (i < m->n) {
		struct range *r = &m->r[i];

		if (r->first > e)
			break;
		if (!overlaps(r, s, e)) {
			i++;
			continue;
		}
		ret |= r->purged;
		if (r->first >= s && r->last <= e) {
			m_del(m, i);
			continue;
		}
		if (r->first >= s) {
			r->first = e + 1;
			r->lru = min_ul(r->lru, len(r));
		} else if (r->last <= e) {
			r->last = s - 1;
			r->lru = min_ul(r->lru, len(r));
		} else {
			struct range tail = *r;

			tail.first = e + 1;
			r->last = s - 1;
			r->lru = min_ul(r->lru, len(r));
			tail.lru = min_ul(tail.lru - r->lru, len(&tail));
			m_ins(m, i + 1, tail);
			break;
		}
		i++;
	}
	return ret;
}

static int m_status(struct model *m, unsigned long s, unsigned long e)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (overlaps(&m->r[i], s, e))
			return ASHMEM_IS_UNPINNED;
	return ASHMEM_IS_PINNED;
}

static void m_purge(struct model *m)
{
	int i;

	for (i = 0; i < m->n; i++) {
		m->r[i].purged = 1;
		m->r[i].lru = 0;
	}
}

/* Read the driver's ranges from fdinfo. */
static int k_ranges(int fd, struct model *k)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	k->n = 0;
	while (fgets(line, sizeof(line), f)) {
		struct range r;

		if (sscanf(line, "unpinned: %lu %lu %u %lu", &r.first, &r.last,
			   &r.purged, &r.lru) == 4 && k->n < MAXR)
			k->r[k->n++] = r;
	}
	fclose(f);
	return 0;
}

static char mismatch[512];

static int same(int fd, struct model *m)
{
	static struct model k;
	int i;

	if (k_ranges(fd, &k) < 0) {
		snprintf(mismatch, sizeof(mismatch), "cannot read fdinfo");
		return 0;
	}
	if (k.n != m->n) {
		snprintf(mismatch, sizeof(mismatch), "%d ranges, model has %d",
			 k.n, m->n);
		return 0;
	}
	for (i = 0; i < k.n; i++)
		if (k.r[i].first != m->r[i].first || k.r[i].last != m->r[i].last ||
		    k.r[i].purged != m->r[i].purged || k.r[i].lru != m->r[i].lru) {
			snprintf(mismatch, sizeof(mismatch),
				 "range %d is %lu-%lu/%u/%lu, model %lu-%lu/%u/%lu", i,
				 k.r[i].first, k.r[i].last, k.r[i].purged, k.r[i].lru,
				 m->r[i].first, m->r[i].last, m->r[i].purged,
				 m->r[i].lru);
			return 0;
		}
	return 1;
}

static int fd;
static struct model model;

/* Do an op on both; return 1 if the driver agrees with the model. */
static int step(unsigned long cmd, unsigned long first, unsigned long last)
{
	long pg = page_size();
	int want, got;

	got = pin_cmd(fd, cmd, first * pg, (last - first + 1) * pg);
	if (cmd == ASHMEM_PIN)
		want = m_pin(&model, first, last);
	else if (cmd == ASHMEM_UNPIN)
		want = m_unpin(&model, first, last);
	else
		want = m_status(&model, first, last);
	if (got != want) {
		snprintf(mismatch, sizeof(mismatch),
			 "cmd %lx %lu-%lu returned %d, model %d", cmd, first,
			 last, got, want);
		return 0;
	}
	return same(fd, &model);
}

#define PIN(a, b)	step(ASHMEM_PIN, a, b)
#define UNPIN(a, b)	step(ASHMEM_UNPIN, a, b)

static void reset(void)
{
	pin_cmd(fd, ASHMEM_PIN, 0, 0);
	model.n = 0;
}

static void check(int cond, const char *what)
{
	ok(cond, "%s%s%s", what, cond ? "" : ": ", cond ? "" : mismatch);
}

static void overlap_cases(void)
{
	long pg = page_size();

	reset();
	check(UNPIN(4, 7), "unpin into nothing: one range");
	check(UNPIN(10, 11) && UNPIN(0, 1), "disjoint unpins stay sorted");
	check(UNPIN(8, 9) && model.n == 4, "touching ranges are not merged");
	reset();
	check(UNPIN(4, 7) && UNPIN(2, 5), "unpin over a range's head merges");
	check(UNPIN(6, 9) && model.n == 1 && model.r[0].first == 2 &&
	      model.r[0].last == 9, "unpin over a range's tail merges");
	check(UNPIN(3, 8) && model.n == 1, "unpin inside a range changes nothing");
	check(UNPIN(1, 10) && model.r[0].first == 1 && model.r[0].last == 10,
	      "unpin covering a range replaces it");
	check(UNPIN(12, 12) && UNPIN(14, 15) && UNPIN(10, 14) && model.n == 1 &&
	      model.r[0].last == 15, "unpin spanning three ranges merges all");
	reset();
	check(UNPIN(2, 3), "unpin before a purge");
	ok(xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) >= 2, "purge frees its pages");
	m_purge(&model);
	check(same(fd, &model), "purged range flagged");
	check(UNPIN(3, 6) && model.r[0].purged == 1,
	      "merging with a purged range keeps the purged flag");
	check(PIN(6, 6) && model.n == 1, "pin of a purged range's tail");
	ok(pin_cmd(fd, ASHMEM_PIN, 6 * pg, pg) == ASHMEM_NOT_PURGED,
	   "pinning it again: NOT_PURGED");
	reset();
	check(UNPIN(2, 9), "unpin 2-9");
	check(PIN(2, 9) && model.n == 0, "pin covering a range deletes it");
	check(UNPIN(2, 9) && PIN(0, 3) && model.r[0].first == 4,
	      "pin over a range's head trims it");
	check(PIN(8, 12) && model.r[0].last == 7, "pin over a range's tail trims it");
	check(PIN(5, 5) && model.n == 2, "pin inside a range splits it");
	check(UNPIN(9, 10) && UNPIN(12, 14) && PIN(7, 13) && model.n == 3,
	      "pin spanning several ranges");
	check(step(ASHMEM_PIN, 0, 1), "pin of pinned pages");
	ok(pin_cmd(fd, ASHMEM_PIN, 0, pg) == ASHMEM_NOT_PURGED,
	   "pin of pinned pages returns NOT_PURGED");
	check(UNPIN(0, 15) && model.n == 1, "unpin everything");
	ok(pin_cmd(fd, ASHMEM_PIN, 8 * pg, 0) == ASHMEM_NOT_PURGED &&
	   (m_pin(&model, 8, 15), same(fd, &model)), "pin with len 0: to the end");
	ok(pin_cmd(fd, ASHMEM_UNPIN, 0, 0) == 0 &&
	   (m_unpin(&model, 0, 15), same(fd, &model)),
	   "unpin with len 0 at offset 0: the whole region");
}

static void status_cases(void)
{
	long pg = page_size();

	reset();
	ok(pin_cmd(fd, ASHMEM_GET_PIN_STATUS, 0, 0) == ASHMEM_IS_PINNED,
	   "status of a pinned region: IS_PINNED");
	UNPIN(5, 5);
	ok(pin_cmd(fd, ASHMEM_GET_PIN_STATUS, 0, 0) == ASHMEM_IS_UNPINNED,
	   "status over one unpinned page: IS_UNPINNED");
	ok(pin_cmd(fd, ASHMEM_GET_PIN_STATUS, 6 * pg, 2 * pg) ==
	   ASHMEM_IS_PINNED, "status next to it: IS_PINNED");
	ok(pin_cmd(fd, ASHMEM_GET_PIN_STATUS, 4 * pg, 2 * pg) ==
	   ASHMEM_IS_UNPINNED, "status partly over it: IS_UNPINNED");
	check(same(fd, &model), "status changes nothing");
}

static void argument_cases(void)
{
	long pg = page_size();
	int small;

	reset();
	ok(pin_cmd(fd, ASHMEM_PIN, 1, pg) == -EINVAL, "misaligned offset: EINVAL");
	ok(pin_cmd(fd, ASHMEM_UNPIN, 0, pg + 1) == -EINVAL,
	   "misaligned length: EINVAL");
	ok(pin_cmd(fd, ASHMEM_GET_PIN_STATUS, pg / 2, 0) == -EINVAL,
	   "misaligned status query: EINVAL");
	ok(pin_cmd(fd, ASHMEM_UNPIN, 15 * pg, 2 * pg) == -EINVAL,
	   "range past the end: EINVAL");
	ok(pin_cmd(fd, ASHMEM_UNPIN, 0xfffff000u & ~(pg - 1), 2 * pg) == -EINVAL,
	   "offset + len wrapping 32 bits: EINVAL");
	ok(pin_cmd(fd, ASHMEM_PIN, pg, 0xffffffffu & ~(pg - 1)) == -EINVAL,
	   "len near 4 GiB: EINVAL");
	ok(pin_cmd(fd, ASHMEM_UNPIN, 16 * pg, 0) == -EINVAL,
	   "len 0 at the end: EINVAL (empty range)");
	ok(pin_cmd(fd, ASHMEM_UNPIN, 20 * pg, 0) == -EINVAL,
	   "len 0 past the end: EINVAL");
	ok(xioctl(fd, ASHMEM_PIN, 0) == -EFAULT, "PIN(NULL): EFAULT");
	ok(xioctl(fd, ASHMEM_UNPIN, 8) == -EFAULT, "UNPIN(bad pointer): EFAULT");
	check(same(fd, &model), "failed calls change nothing");

	small = region("small", 2 * pg + 1);
	if (mmap(NULL, pg, PROT_READ, MAP_SHARED, small, 0) == MAP_FAILED)
		bail("mmap small");
	ok(pin_cmd(small, ASHMEM_UNPIN, 2 * pg, pg) == 0,
	   "the last page of an unaligned size can be unpinned");
	ok(pin_cmd(small, ASHMEM_UNPIN, 3 * pg, pg) == -EINVAL,
	   "but not the page after it");
	close(small);
}

static unsigned long long rng = 0x2545F4914F6CDD1DULL;

static unsigned long rnd(unsigned long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned long)(rng % n);
}

static void scripted(int ops, unsigned long pages)
{
	int pfd = fd, i, good = 1, chunk = ops / 8, purges = 0;

	fd = region("script", pages * page_size());
	if (mmap(NULL, pages * page_size(), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0) == MAP_FAILED)
		bail("mmap script");
	model.n = 0;
	for (i = 1; i <= ops; i++) {
		unsigned long a = rnd(pages), b = a + rnd(pages - a);
		unsigned long r = rnd(100);

		if (!good)
			break;
		if (r < 45)
			good = UNPIN(a, b);
		else if (r < 85)
			good = PIN(a, b);
		else if (r < 98)
			good = step(ASHMEM_GET_PIN_STATUS, a, b);
		else {
			good = xioctl(fd, ASHMEM_PURGE_ALL_CACHES, 0) >= 0;
			m_purge(&model);
			good = good && same(fd, &model);
			purges++;
		}
		if (i % chunk == 0 || !good)
			ok(good, "scripted ops %d-%d (%d ranges now)%s%s",
			   i - chunk + 1, i, model.n, good ? "" : ": ",
			   good ? "" : mismatch);
	}
	diag("%d purges in the script", purges);
	close(fd);
	fd = pfd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of three: seconds for @n status queries plus pin/unpin pairs. */
static double time_ops(int f, unsigned long page, int n)
{
	long pg = page_size();
	double best = 1e9, t;
	int trial, i;

	for (trial = 0; trial < 3; trial++) {
		t = now();
		for (i = 0; i < n; i++) {
			pin_cmd(f, ASHMEM_GET_PIN_STATUS, page * pg, pg);
			pin_cmd(f, ASHMEM_PIN, page * pg, pg);
			pin_cmd(f, ASHMEM_UNPIN, page * pg, pg);
		}
		t = now() - t;
		if (t < best)
			best = t;
	}
	return best;
}

#define MANY_RANGES 30000

static void many_ranges(void)
{
	long pg = page_size();
	unsigned long pages = 2UL * MANY_RANGES, i, count = 0;
	int big = region("many-ranges", pages * pg), one, lines = 0, made = 1;
	double tbig, tone, t;
	char path[64], line[128];
	FILE *f;

	one = region("one-range", pages * pg);
	if (mmap(NULL, pages * pg, PROT_READ, MAP_SHARED, big, 0) == MAP_FAILED ||
	    mmap(NULL, pages * pg, PROT_READ, MAP_SHARED, one, 0) == MAP_FAILED)
		bail("mmap many");
	t = now();
	for (i = 0; i < pages; i += 2)
		if (pin_cmd(big, ASHMEM_UNPIN, i * pg, pg))
			made = 0;
	diag("%d UNPINs making separate ranges: %.2f s", MANY_RANGES, now() - t);
	pin_cmd(one, ASHMEM_UNPIN, (pages - 2) * pg, pg);
	ok(made, "%d separate unpinned ranges in one area", MANY_RANGES);

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", big);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unpinned:", 9))
			lines++;
		sscanf(line, "unpinned_ranges: %lu", &count);
	}
	if (f)
		fclose(f);
	ok(count == MANY_RANGES && lines == 1024,
	   "fdinfo counts all %lu ranges and lists %d", count, lines);

	/* the last range: a list walked from the start would visit all */
	tbig = time_ops(big, pages - 2, 1000);
	tone = time_ops(one, pages - 2, 1000);
	diag("1000 x (status, pin, unpin) at the end: %.4f s with %d ranges, %.4f s with 1",
	     tbig, MANY_RANGES, tone);
	ok(tbig < 8 * tone, "calls on an area of %d ranges cost about as much as on one (%.1fx)",
	   MANY_RANGES, tbig / tone);
	ok(pin_cmd(big, ASHMEM_GET_PIN_STATUS, 0, 0) == ASHMEM_IS_UNPINNED &&
	   pin_cmd(big, ASHMEM_GET_PIN_STATUS, pg, pg) == ASHMEM_IS_PINNED,
	   "status is still right");
	t = now();
	ok(pin_cmd(big, ASHMEM_UNPIN, 0, 0) == 0 && pin_cmd(big, ASHMEM_PIN, 0, 0) ==
	   ASHMEM_NOT_PURGED && pin_cmd(big, ASHMEM_GET_PIN_STATUS, 0, 0) ==
	   ASHMEM_IS_PINNED, "one UNPIN merges them all, one PIN drops the result");
	diag("merge and pin: %.3f s", now() - t);
	for (i = 0; i < pages; i += 2)
		pin_cmd(big, ASHMEM_UNPIN, i * pg, pg);
	t = now();
	close(big);
	diag("close with %d ranges: %.3f s", MANY_RANGES, now() - t);
	close(one);
}

int main(void)
{
	long pg = page_size();

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = region("pins", 16 * pg);
	if (mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	    MAP_FAILED)
		bail("mmap");
	overlap_cases();
	status_cases();
	argument_cases();
	scripted(4000, 64);
	many_ranges();
	close(fd);
	return done();
}
