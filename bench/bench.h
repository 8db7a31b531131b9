/* SPDX-License-Identifier: GPL-2.0 */
/* What the benches share: CPU time, medians, a hash for synthetic tables. */
#ifndef FLOWTOP_BENCH_H
#define FLOWTOP_BENCH_H

#include <stdint.h>
#include <time.h>

/*
 * CPU milliseconds of this thread: the cost asked about is CPU per
 * interval, and on a shared machine wall time would mostly measure the
 * neighbours.
 */
static inline double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* qsort of doubles, ascending */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* a 32-bit mix (lowbias32): spreads i over the synthetic table */
static inline uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

#endif
