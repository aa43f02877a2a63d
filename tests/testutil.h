/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * testutil.h - what every libsloba test program shares: cmocka, a report
 * handler that records what the allocator complained about, and page
 * accounting for leak checks.
 */
#ifndef SLOBA_TESTUTIL_H
#define SLOBA_TESTUTIL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "libsloba.h"

struct report_log {
	unsigned long count;
	char cache[64];
	char message[256];
};

static struct report_log reports;

static void record_report(const char *cache, const char *message, void *arg)
{
	(void)arg;
	reports.count++;
	snprintf(reports.cache, sizeof(reports.cache), "%s", cache ? cache : "");
	snprintf(reports.message, sizeof(reports.message), "%s", message);
}

/* Start recording reports instead of printing them. */
static inline void capture_reports(void)
{
	memset(&reports, 0, sizeof(reports));
	sloba_set_report_handler(record_report, NULL);
}

static inline void print_reports(void)
{
	sloba_set_report_handler(NULL, NULL);
}

/* Pages held by slabs and large allocations. */
static inline size_t pages_in_use(void)
{
	struct sloba_page_stats st;

	sloba_page_stats(&st);
	return st.slab_pages + st.large_pages;
}

static inline struct sloba_cache_info cache_info(sloba_cache_t *s)
{
	struct sloba_cache_info info;

	sloba_cache_get_info(s, &info);
	return info;
}

/* sloba_slabinfo()'s whole output, NUL-terminated, in @buf. */
static inline void slabinfo_text(char *buf, size_t size)
{
	FILE *f = tmpfile();
	size_t n;

	assert_non_null(f);
	sloba_slabinfo(fileno(f));
	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
}

#define assert_aligned(p, a) assert_int_equal((uintptr_t)(p) % (a), 0)

#endif /* SLOBA_TESTUTIL_H */
