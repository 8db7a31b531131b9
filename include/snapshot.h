/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Immutable snapshots of the flow table. The collector builds one per
 * interval and publishes it with an atomic pointer swap; readers (batch
 * printer, UI) take a reference and never block the collector.
 */
#ifndef FLOWTOP_SNAPSHOT_H
#define FLOWTOP_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "acct.h"
#include "flowtab.h"

struct snapshot_meta {
	double time;		/* CLOCK_REALTIME seconds when taken */
	double interval;	/* seconds the rates cover */
	enum acct_kind acct;	/* backend in use */
	uint64_t lost_events;	/* cumulative, since start */
	uint64_t resyncs;
	uint64_t evictions;
	uint64_t events;	/* conntrack events handled, cumulative */
	uint64_t new_flows;	/* cumulative */
	uint64_t destroyed_flows;
	double map_read_ms;	/* duration of the last counter read */
	uint64_t seq;		/* 1 for the first snapshot, then +1 */
};

struct snapshot {
	struct snapshot_meta meta;
	size_t n;		/* flows_total: rows in flows[] */
	struct flow *flows;	/* copies; hnext is meaningless here */
	atomic_int refs;
};

/*
 * Copies every live flow of tab (destroyed ones included: their final
 * counters belong to this interval), sorted by total byte rate, highest
 * first, then by conntrack id. NULL when out of memory.
 */
struct snapshot *snapshot_build(const struct flowtab *tab,
				const struct snapshot_meta *meta);

struct snapshot *snapshot_get(struct snapshot *s);	/* +1 reference */
void snapshot_put(struct snapshot *s);			/* -1, frees at 0 */

/*
 * Publication point shared by one writer and any number of readers. The
 * lock covers only the pointer swap and the reference count change (a few
 * instructions), never building, printing or drawing.
 */
struct snapshot_slot {
	pthread_mutex_t lock;
	struct snapshot *cur;
};

#define SNAPSHOT_SLOT_INIT { PTHREAD_MUTEX_INITIALIZER, NULL }

/* Publishes s (takes the caller's reference), dropping the old one. */
void snapshot_publish(struct snapshot_slot *slot, struct snapshot *s);

/* Returns a new reference to the latest snapshot, or NULL. */
struct snapshot *snapshot_acquire(struct snapshot_slot *slot);

#endif
