/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector thread: the only writer of the flow table. It applies
 * conntrack events as they come, reads the counters once per interval and
 * publishes a snapshot, then signals wake_fd (an eventfd) for the reader.
 */
#ifndef FLOWTOP_COLLECTOR_H
#define FLOWTOP_COLLECTOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "acct.h"
#include "config.h"
#include "ct.h"
#include "flowtab.h"
#include "deadline.h"
#include "snapshot.h"

struct collector {
	/* set by the caller before collector_start */
	const struct config *cfg;
	struct ct_source *ct;
	struct acct *acct;
	struct flowtab *tab;
	/*
	 * Optional consumer that must see every snapshot, not just the
	 * latest (exporters): called in the collector thread right after
	 * publishing, with a reference the callee owns and must put. It
	 * must not block: queue the snapshot and return.
	 */
	void (*on_snapshot)(struct snapshot *s, void *arg);
	void *on_snapshot_arg;
	/* rows in table order: the reader sorts them itself (the UI) */
	bool unsorted;
	/*
	 * A first snapshot as soon as the first dump and the baseline read
	 * are in, without rates (they need an interval): the view shows the
	 * table one interval sooner. Batch output and exporters start with
	 * the first interval's snapshot.
	 */
	bool early_first;
	/* bytes of the event socket's receive buffer (0: no coalescing) */
	size_t event_buffer;
	/* CLOCK_REALTIME ns since when the backend counts (its attach) */
	uint64_t counting_since_ns;
	/*
	 * Called once, in the collector thread, when the first offloaded
	 * flow is seen (main turns nf_conntrack_acct on). May be NULL.
	 */
	void (*on_first_offload)(void *arg);
	void *on_first_offload_arg;

	/* results */
	struct snapshot_slot slot;
	int wake_fd;		/* eventfd: +1 per published snapshot */
	atomic_int error;	/* negative errno once the thread failed */
	char errmsg[160];	/* what failed, when it was the start (set
				 * before error) */

	/* internals */
	int stop_fd;
	pthread_t thread;
	bool running;
	uint64_t seq;
	struct snapshot_pool pool;
	struct rate_list rates;	/* the last read's rates, for the snapshot */
	uint64_t baseline_ns;	/* CLOCK_REALTIME of the baseline counter read */
	uint64_t last_read_mono_ns;
	uint64_t next_tick_mono_ns;	/* when the next read and snapshot are due */
	bool in_dump;		/* a tick between chunks of a dump (ct_yield) */
	double last_read_ms;
	size_t silent_flows;	/* flows that will not report their end */
	uint64_t next_refresh_mono_ns;
	/* when to ask the kernel about each silent flow (see collector.c) */
	struct deadline_heap silent_dl;
	uint32_t *due;		/* scratch: the indices asked about */
	size_t due_cap;
	uint64_t silent_ends;	/* silent flows found gone by a GET */
	uint64_t silent_rearms;	/* deadlines moved on without a GET */
	uint64_t silent_ns;	/* time spent asking about them (GETs) */
	uint64_t early_drops;	/* the kernel's early_drop count at the last look */
	bool early_drops_known;
	uint64_t coalesce_ns;	/* pause after reading events, see collector.c */
	/* the kernel's counters to settle after the next read (kcount.h) */
	struct settle_list {
		struct settle_entry {
			uint32_t idx;
			uint32_t final;		/* from a DESTROY */
			struct flow_counters k;
		} *v;
		size_t n, cap;
	} settle;
	struct idx_list {
		uint32_t *v;
		size_t n, cap;
	} offl;			/* offloaded flows (indices), see collector.c */
	bool offload_seen;
	/* acct_kernel_counters(acct), asked once at the start */
	bool kernel_counters;
	int list_err;		/* -ENOMEM: a list above could not grow */
	uint64_t offloaded_now;	/* at the last read: offloaded flows ... */
	uint64_t offloaded_uncounted;	/* ... and those without kernel counters */
	struct flow_key *get_keys;	/* scratch for ct_get_entries */
	size_t get_cap;
};

/*
 * Starts the thread, which begins with the first dump and the baseline
 * counter read (failures there: error and errmsg, as for later ones). 0 or
 * a negative errno with a reason in err.
 */
int collector_start(struct collector *c, char *err, size_t errlen);

/* Stops and joins the thread; frees the published snapshot. Idempotent. */
void collector_stop(struct collector *c);

/*
 * When the tick after one that ran between two chunks of a resync dump
 * (ct_yield) is due, that one having been due at due and run from start
 * to end: an interval after due (after start if it began late), so that
 * a slow read does not put every later snapshot off by its own length;
 * but not sooner than a quarter interval after end, so that the dump
 * still advances between ticks. Pure; unit tested.
 */
static inline uint64_t collector_due_after_dump_tick(uint64_t due,
						     uint64_t start,
						     uint64_t end,
						     uint64_t interval_ns)
{
	uint64_t next = due + interval_ns;

	if (next <= start)
		next = start + interval_ns;
	if (next < end + interval_ns / 4)
		next = end + interval_ns / 4;
	return next;
}

#endif
