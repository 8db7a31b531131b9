/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers every module needs the same way: clocks, a growable
 * array, the fallback for a protocol number old libc headers lack.
 */
#ifndef FLOWTOP_UTIL_H
#define FLOWTOP_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* older libc headers lack it; the number is fixed by IANA */
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

/* clk (CLOCK_MONOTONIC, CLOCK_REALTIME, ...) in nanoseconds */
uint64_t clock_ns(clockid_t clk);

static inline uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* CLOCK_MONOTONIC in seconds and in milliseconds, for timeouts and rates */
double mono_s(void);
double mono_ms(void);

/*
 * Makes room for need elements of elem bytes in *p (capacity *cap
 * elements): doubles the capacity, starting at first, until it holds need.
 * 0, or -ENOMEM with *p and *cap unchanged.
 */
int grow_array(void **p, size_t *cap, size_t need, size_t elem, size_t first);

/*
 * Marks thread t as background work (SCHED_BATCH): the same share of the
 * CPU, but a wakeup of it no longer preempts the task that is running,
 * the view's thread in the middle of a key above all. For the threads
 * that build views and look up names, processes and databases. Best
 * effort: 0 or a positive errno, which callers may ignore.
 */
int thread_background(pthread_t t);

#endif
