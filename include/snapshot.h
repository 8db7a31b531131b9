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
#include <stdbool.h>
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
	/* CLOCK_REALTIME seconds since when the backend counts: the start
	 * of the totals of flows without whole_life */
	double counting_since;
	uint64_t offloaded;	/* offloaded flows at the last read */
	uint64_t offloaded_uncounted;	/* of those, without kernel counters */
	uint64_t refresh_dumps;	/* full dumps to find silent ends, cumulative */
	uint64_t gets;		/* conntrack GET requests sent, cumulative */
	uint64_t silent_ends;	/* flows found at start seen gone by a GET */
	double silent_ms;	/* time spent on those GETs, cumulative */
};

/*
 * A flow as of a snapshot: what changes during its life. The rest (tuples,
 * id, start) is read from the flow table by index: those fields never
 * change while the index is in use, and the table reuses an index only
 * once every snapshot that could refer to it is gone.
 */
struct flow_row {
	uint32_t idx;		/* the flow's index in the table */
	uint8_t state;
	uint8_t flags;		/* FLOW_ROW_* */
	uint8_t sel_bit;	/* the flow's sel_bit: protocol toggles */
	uint8_t pad;
	float pkt_rate[FLOW_DIR_COUNT];
	float byte_rate[FLOW_DIR_COUNT];
	struct flow_counters total;
};

#define FLOW_ROW_DESTROYED		0x01
#define FLOW_ROW_COUNTERS_VALID		0x02
#define FLOW_ROW_COUNTS_FROM_ZERO	0x04
#define FLOW_ROW_EVENTS_SEEN		0x08
#define FLOW_ROW_OFFLOADED		0x10
#define FLOW_ROW_WHOLE_LIFE		0x20

struct snapshot {
	struct snapshot_meta meta;
	size_t n;		/* flows_total: rows */
	struct flow_row *rows;	/* of tab (snapshot_build) */
	size_t cap;		/* rows allocated (the pool reuses them) */
	struct flowtab *tab;	/* holds a reference */
	atomic_int refs;
};

/*
 * The rates one counter read found, by table index, for the snapshot built
 * after it: flows not listed had no traffic (rate 0). Only the flows that
 * moved take room, not the whole table.
 */
struct rate_list {
	struct rate_entry {
		uint32_t idx;		/* the flow's index in the table */
		struct flow_rates r;
	} *v;
	size_t n, cap;
};

/* Adds idx's rates; -ENOMEM. */
int rate_list_add(struct rate_list *l, uint32_t idx,
		  const struct flow_rates *r);
/* Empties l (keeps its memory for the next read). */
void rate_list_clear(struct rate_list *l);
void rate_list_free(struct rate_list *l);

/*
 * Row i as a whole flow, assembled in buf (returned): the row's counters
 * and the table's fixed fields. Call it while holding a reference.
 */
const struct flow *snapshot_flow(const struct snapshot *s, size_t i,
				 struct flow *buf);

/*
 * Rows of every live flow of tab (destroyed ones included: their final
 * counters belong to this interval), with the rates of rates (NULL: none;
 * its entries are put in index order). Sorted by total byte rate, highest
 * first, then by conntrack id, when sorted is set; else in table order.
 * NULL when out of memory. Takes a reference to tab.
 */
struct snapshot *snapshot_build(struct flowtab *tab,
				const struct snapshot_meta *meta, bool sorted,
				struct rate_list *rates);

/*
 * The collector's snapshots: the pool holds a reference to each one it
 * built until no one else does, then keeps its row array for the next
 * build (no fresh pages to fault in every interval) and tells the flow
 * table which indices no snapshot can see any more.
 */
struct snapshot_pool {
	struct snapshot **held;
	size_t n, cap;
	struct flow_row *spare;
	size_t spare_cap;
};

/*
 * Like snapshot_build, reusing a retired row array; the pool keeps a
 * reference, the caller gets one. Sets tab's epoch to meta->seq.
 */
struct snapshot *snapshot_pool_build(struct snapshot_pool *p,
				     struct flowtab *tab,
				     const struct snapshot_meta *meta,
				     bool sorted, struct rate_list *rates);
/*
 * Retires the snapshots only the pool still holds and lets tab reuse the
 * indices that none of the others can refer to.
 */
void snapshot_pool_collect(struct snapshot_pool *p, struct flowtab *tab);
/* Drops every reference of the pool (readers keep theirs). */
void snapshot_pool_clear(struct snapshot_pool *p);

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
