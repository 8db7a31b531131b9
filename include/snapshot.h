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
	/* taken in the middle of a resync dump (ct_yield): flows not listed
	 * again yet are as they were, ended ones among them */
	bool resyncing;
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
	uint64_t silent_rearms;	/* their deadlines moved on from the BPF
				 * program's record of their end, no GET */
	double silent_ms;	/* time spent on those GETs, cumulative */
};

/*
 * A snapshot lists its flows by table index; what changes during a flow's
 * life (state, flags, totals) is read from the table as of the snapshot's
 * generation (flowtab_read), the rest (tuples, id, start) from the
 * record: those fields never change while the index is in use, and the
 * table reuses an index, and drops the versions a snapshot shows, only
 * once every snapshot that could refer to them is gone. The rates are the
 * snapshot's own, for the rows that moved only: a bit per row says which,
 * and their rates follow in row order (snapshot_rates). So a snapshot
 * costs 4 bytes a flow, a bit and a half, and 16 bytes a flow that moved.
 */
struct snapshot {
	struct snapshot_meta meta;
	size_t n;		/* flows_total: rows */
	uint32_t *order;	/* row i is the flow at index order[i] of tab */
	size_t cap;		/* order's room (the pool reuses it) */
	uint64_t gen;		/* the table's generation it shows */
	struct flowtab *tab;	/* holds a reference */
	const struct flow_rec *recs;	/* tab's records (index 0): the
					 * array never moves */
	struct flow_ext *const *ext;	/* tab's mark and NAT store
					 * (flowtab_ext_chunks) */
	/* rates: NULL when no row moved; else a bit per row (moved), per
	 * word of 64 rows the moved rows before it, the rates in row order
	 * (one allocation, rate_mem) */
	const uint64_t *moved;
	const uint32_t *moved_before;
	const struct flow_rates *rates;
	size_t nrates;
	void *rate_mem;
	/* rows in table order (ascending index), not sorted by rate */
	bool table_order;
	/* flowtab_changes_end and _lost as of the build: what changed
	 * between two snapshots (group_live.h) */
	uint64_t changes_end;
	size_t changes_lost;
	atomic_int refs;
};

/* Row i's table index (a table snapshot's). */
static inline uint32_t snapshot_idx(const struct snapshot *s, size_t i)
{
	return s->order[i];
}

/* Row i's record (a table snapshot's): its fixed fields, see above. */
static inline const struct flow_rec *snapshot_rec(const struct snapshot *s,
						  size_t i)
{
	return &s->recs[s->order[i]];
}

/*
 * Rows a pass in row order fetches ahead of the one it reads
 * (snapshot_flow, snapshot_vals): the records of a snapshot in table
 * order are in sequence, those of one sorted by rate scattered.
 */
#define SNAPSHOT_AHEAD 16

/*
 * Fetches the record at table index idx (a table snapshot's; both of the
 * cache lines it spans) ahead of its use. Always inlined: GCC finds a
 * function that only prefetches free of effects and drops the calls to it.
 */
static inline __attribute__((always_inline)) void
snapshot_prefetch_rec(const struct snapshot *s, uint32_t idx)
{
	const char *r = (const char *)&s->recs[idx];

	__builtin_prefetch(r);
	__builtin_prefetch(r + sizeof(struct flow_rec) - 1);
}

/* The same for row i's record, if any. */
static inline __attribute__((always_inline)) void
snapshot_prefetch(const struct snapshot *s, size_t i)
{
	if (i < s->n)
		snapshot_prefetch_rec(s, s->order[i]);
}

/* Row i's rates, NULL if it had none (did not move). */
static inline const struct flow_rates *snapshot_rates(const struct snapshot *s,
						      size_t i)
{
	uint64_t w, below;

	if (!s->moved)
		return NULL;
	w = s->moved[i / 64];
	if (!(w >> (i % 64) & 1))
		return NULL;
	below = w & ((1ull << (i % 64)) - 1);
	return &s->rates[s->moved_before[i / 64] +
			 (size_t)__builtin_popcountll(below)];
}

/* Row i's rates into pkt and byte (FLOW_DIR_COUNT each): 0 if none. */
static inline void snapshot_rates_into(const struct snapshot *s, size_t i,
				       float *pkt, float *byte)
{
	const struct flow_rates *r = snapshot_rates(s, i);

	if (r) {
		memcpy(pkt, r->pkt_rate, sizeof(r->pkt_rate));
		memcpy(byte, r->byte_rate, sizeof(r->byte_rate));
	} else {
		memset(pkt, 0, sizeof(r->pkt_rate));
		memset(byte, 0, sizeof(r->byte_rate));
	}
}

/*
 * Row i's versioned fields and rates (a table snapshot's), from any
 * thread; the record of row i + SNAPSHOT_AHEAD is fetched meanwhile.
 */
static inline void snapshot_vals(const struct snapshot *s, size_t i,
				 struct flow_vals *v)
{
	uint32_t idx = s->order[i];

	snapshot_prefetch(s, i + SNAPSHOT_AHEAD);
	flowtab_read_rec(s->tab, &s->recs[idx], idx, s->gen, v);
	snapshot_rates_into(s, i, v->rates.pkt_rate, v->rates.byte_rate);
}

/*
 * The rates one counter read found, by table index, for the snapshot built
 * after it (which keeps them for its rows): flows not listed had no
 * traffic (rate 0). Only the flows that moved take room, not the whole
 * table.
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
 * counters belong to this interval), with the rates of rates (NULL: none):
 * the table's current generation, which this ends (flowtab_publish).
 * Sorted by total byte rate, highest first, then by conntrack id, when
 * sorted is set; else in table order. NULL when out of memory. Takes a
 * reference to tab.
 */
struct snapshot *snapshot_build(struct flowtab *tab,
				const struct snapshot_meta *meta, bool sorted,
				struct rate_list *rates);

/*
 * The collector's snapshots: the pool holds a reference to each one it
 * built until no one else does, then keeps its index array for the next
 * build and tells the flow table which indices and versions no snapshot
 * can see any more.
 */
struct snapshot_pool {
	struct snapshot **held;
	size_t n, cap;
	uint32_t *spare;
	size_t spare_cap;
};

/*
 * Like snapshot_build, reusing a retired index array; the pool keeps a
 * reference, the caller gets one.
 */
struct snapshot *snapshot_pool_build(struct snapshot_pool *p,
				     struct flowtab *tab,
				     const struct snapshot_meta *meta,
				     bool sorted, struct rate_list *rates);
/*
 * Retires the snapshots only the pool still holds and lets tab reuse the
 * indices, and drop the versions, that none of the others can refer to.
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
