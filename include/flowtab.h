/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow table: every flow conntrack reported and the selection accepts,
 * keyed by original tuple + zone. Only the collector thread touches it.
 * Pure data structure and rate math: no system calls, unit tested.
 */
#ifndef FLOWTOP_FLOWTAB_H
#define FLOWTOP_FLOWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow_key.h"

#define FLOW_STATE_NONE 0xff	/* protocol without a state machine */

/*
 * A flow as the rest of flowtop sees it: snapshot_flow fills one in from
 * the table's record and a snapshot row, tests and benchmarks make their
 * own.
 */
struct flow {
	struct flow_key key;	/* original tuple + zone */
	struct flow_key reply;	/* reply tuple; differs from key under NAT */
	uint32_t ct_id;		/* conntrack's id of this connection */
	uint32_t mark;
	uint8_t state;		/* TCP/SCTP/DCCP conntrack state or FLOW_STATE_NONE */
	bool destroyed : 1;	/* DESTROY seen; kept until its final counters are read */
	bool counters_valid : 1;	/* total below has been read from the backend */
	bool counts_from_zero : 1;	/* the backend's counts for it began at 0 while
				 * flowtop watched (BPF map, or flow created by an
				 * event): the first reading is a real delta */
	bool events_seen : 1;	/* an event named it: conntrack reports its end.
				 * Connections made while nobody listened carry
				 * no event extension (nf_conntrack_events=2,
				 * Linux >= 5.19) and end silently. */
	bool offloaded : 1;	/* flowtable offload: counters are the kernel's */
	bool whole_life : 1;	/* total since the flow began; else since
				 * flowtop began counting (snapshot meta) */
	uint8_t sel_bit;	/* sel_proto_bit of the key (filter.h): what
				 * protocol toggles test */
	uint64_t start_ns;	/* CLOCK_REALTIME ns from conntrack's timestamp, 0 if unknown */
	uint64_t first_seen_ns;	/* CLOCK_REALTIME ns when flowtop first saw it */
	struct flow_counters total;	/* cumulative, as last read */
	float pkt_rate[FLOW_DIR_COUNT];	/* per second over the last interval */
	float byte_rate[FLOW_DIR_COUNT];
	uint32_t idx;		/* its index in the table */
};

/*
 * A flow's rates over the last interval: a counter read lists the flows
 * that moved (struct rate_list, snapshot.h) and the snapshot built after
 * it keeps them, for those flows only (snapshot_rates); the others had
 * none.
 */
struct flow_rates {
	float pkt_rate[FLOW_DIR_COUNT];	/* per second */
	float byte_rate[FLOW_DIR_COUNT];
};

/*
 * The table's record of a flow: struct flow's fields less what most flows
 * do not need, 96 bytes. Kept apart: the reply tuple, which is the key
 * turned around for all but NAT'd flows (flowtab_reply), and the mark,
 * both in a store by index whose chunks exist only where a flow needs
 * one (flowtab_mark); the rates, which only the flows that moved have and
 * each snapshot keeps for its own rows (snapshot_rates); the dump
 * generation that last listed the flow, a bit per index
 * (flowtab_set_seen); the hash chain, which the table's open-addressed
 * index replaces. One time instead of two. The records live in an array
 * that never moves, so a snapshot refers to a flow's fixed fields (key,
 * reply, id, start) by index instead of copying them (see flowtab_reclaim),
 * and reads the fields that change (state, flags, total) as of its own
 * generation (flowtab_read): the record holds the newest version, and the
 * collector keeps the version a snapshot still held may show, for the
 * flows it changed since, in undo entries (flowtab_touch). So the
 * snapshots need no copy of the table: a snapshot is the list of its flows'
 * indices (and its rates), and what an interval costs follows the flows
 * that changed.
 *
 * 96 bytes start on a cache line or in the middle of one: the key and the
 * words of a row (wgen, state, flags) are in the first 64 bytes, total in
 * the last 32; a record takes two lines either way.
 */
struct flow_rec {
	struct flow_key key;	/* table key */
	uint32_t ct_id;
	uint32_t undo;		/* see wgen */
	uint64_t since_ns;	/* CLOCK_REALTIME ns: conntrack's start if
				 * known, else when flowtop first saw it (the
				 * start, when known, is the better answer to
				 * every question first_seen_ns answers) */
	uint8_t state;
	bool destroyed : 1;	/* as in struct flow */
	bool counters_valid : 1;
	bool counts_from_zero : 1;
	bool events_seen : 1;
	bool in_use : 1;	/* table internals: the index holds a flow */
	bool offloaded : 1;	/* IPS_OFFLOAD or IPS_HW_OFFLOAD seen: its
				 * packets bypass the hooks (flowtable) */
	bool whole_life : 1;	/* total counts since the flow began (else
				 * since flowtop began counting it) */
	bool final : 1;		/* DESTROY brought the kernel's counters: they
				 * are its final total (kcount.h) */
	uint8_t sel_bit;	/* set by the table */
	uint8_t start_known;	/* since_ns is conntrack's start (own byte:
				 * snapshots read it while the bits above
				 * change) */
	/*
	 * Versions (flowtab_touch): the table generation the versioned
	 * fields (state, the flags destroyed to whole_life, total) were
	 * written in, and (undo above) the newest older version kept for
	 * the snapshots that still show one (undo entry + 1, 0: none).
	 */
	uint32_t wgen;
	struct flow_counters total;	/* cumulative, as last read */
};

/* f's conntrack start (CLOCK_REALTIME ns), 0 if not known. */
static inline uint64_t flow_rec_start(const struct flow_rec *f)
{
	return f->start_known ? f->since_ns : 0;
}

/* Records conntrack's start for f (0: not given, nothing to do). */
static inline void flow_rec_set_start(struct flow_rec *f, uint64_t start_ns)
{
	if (!start_ns || (f->start_known && f->since_ns == start_ns))
		return;
	f->since_ns = start_ns;
	f->start_known = 1;
}

#define FLOWTAB_NONE UINT32_MAX	/* no index */

struct flowtab;

struct flowtab *flowtab_new(size_t expected_flows);
/* Drops the caller's reference; snapshots hold their own (flowtab_get). */
void flowtab_free(struct flowtab *tab);
struct flowtab *flowtab_get(struct flowtab *tab);

/*
 * The flow at index idx (struct flow.idx). Snapshots read the fields that
 * do not change while the index is in use (key, reply, ct_id; since_ns and
 * start_known, which change once, when the start becomes known; the mark,
 * flowtab_mark) from any thread: flows never move, and an index
 * is reused only after flowtab_reclaim says so.
 */
const struct flow_rec *flowtab_entry(const struct flowtab *tab, uint32_t idx);

/* The same, for the collector, which may change it (if in_use). */
struct flow_rec *flowtab_rec(struct flowtab *tab, uint32_t idx);

/* f's index (its place in the array). */
uint32_t flowtab_index(const struct flowtab *tab, const struct flow_rec *f);

/*
 * f's reply tuple, into out. Any thread, like the fields above: a NAT
 * entry is given back only when f's index is reclaimed.
 */
void flowtab_reply(const struct flowtab *tab, const struct flow_rec *f,
		   struct flow_key *out);

/* key turned around: the reply tuple of a flow without NAT */
static inline void flow_key_mirror(const struct flow_key *key,
				   struct flow_key *out)
{
	/* field by field: a copy of the whole first would be written twice */
	memcpy(out->src, key->dst, sizeof(out->src));
	memcpy(out->dst, key->src, sizeof(out->dst));
	out->sport = key->dport;
	out->dport = key->sport;
	out->zone = key->zone;
	out->family = key->family;
	out->proto = key->proto;
}

_Static_assert(sizeof(struct flow_key) == 2 * 16 + 3 * 2 + 2,
	       "flow_key_mirror writes every field of a flow_key");

/*
 * Records f's reply tuple (collector only). -ENOMEM when it needs a NAT
 * entry and there is no memory for one (f keeps its old reply then).
 */
int flowtab_set_reply(struct flowtab *tab, struct flow_rec *f,
		      const struct flow_key *reply);

/*
 * What the store by index holds for a flow (flowtab_mark, flowtab_nat):
 * chunks of 1 << FLOW_EXT_SHIFT entries, made (zeroed) for the first flow
 * in them that needs one. flowtab_ext_chunks gives the array of the
 * chunks' pointers, which never moves; other threads load a pointer with
 * acquire (the chunk's release), then the mark relaxed and nat acquire
 * (the NAT entry's release): flow_ext_of.
 */
struct flow_ext {
	uint32_t mark;
	uint32_t nat;		/* 0 if the reply tuple mirrors the key, else
				 * its place in the NAT store + 1 */
};

#define FLOW_EXT_SHIFT 12

struct flow_ext *const *flowtab_ext_chunks(const struct flowtab *tab);

/* idx's entry, NULL when its chunk was never needed (all 0 then) */
static inline const struct flow_ext *flow_ext_of(struct flow_ext *const *chunks,
						 uint32_t idx)
{
	const struct flow_ext *c = __atomic_load_n(&chunks[idx >> FLOW_EXT_SHIFT],
						   __ATOMIC_ACQUIRE);

	return c ? &c[idx & ((1u << FLOW_EXT_SHIFT) - 1)] : NULL;
}

/* The NAT store's entry nat (flowtab_nat, not 0) into out. */
void flowtab_nat_reply(const struct flowtab *tab, uint32_t nat,
		       struct flow_key *out);

/* f's place in the NAT store + 1; 0: its reply tuple mirrors the key. */
uint32_t flowtab_nat(const struct flowtab *tab, const struct flow_rec *f);

/*
 * f's conntrack mark: any thread, like the fixed fields (a relaxed
 * atomic load: it may change while a snapshot shows the flow).
 */
uint32_t flowtab_mark(const struct flowtab *tab, const struct flow_rec *f);

/*
 * Stores f's conntrack mark (collector only). -ENOMEM when a mark other
 * than 0 needs a chunk of the store and there is no memory for one (f
 * keeps its old mark then).
 */
int flowtab_set_mark(struct flowtab *tab, struct flow_rec *f, uint32_t mark);

/*
 * Dump generations (collector only): flowtab_set_seen records that the
 * dump of generation gen listed f; flowtab_seen tells whether it did. A
 * bit per index, for the dump being made: marking a flow for another
 * generation forgets the marks of the previous one (a dump's ghosts are
 * looked for before the next dump begins). A new flow is not marked.
 */
void flowtab_set_seen(struct flowtab *tab, const struct flow_rec *f,
		      uint32_t gen);
bool flowtab_seen(const struct flowtab *tab, const struct flow_rec *f,
		  uint32_t gen);

/*
 * Index reuse. A removed flow's index waits in limbo, tagged with the
 * epoch (the generation of the latest snapshot built: the snapshots that
 * may refer to it); flowtab_reclaim makes the indices of tags below
 * min_live_seq (the generation of the oldest snapshot still held) reusable,
 * and drops the undo entries only older snapshots could read. Until then
 * they are not handed out, so a snapshot never sees another flow's key
 * under an index it took.
 */
void flowtab_set_epoch(struct flowtab *tab, uint64_t seq);
void flowtab_reclaim(struct flowtab *tab, uint64_t min_live_seq);
/* Highest index in use + 1: the range snapshot_build scans. */
uint32_t flowtab_span(const struct flowtab *tab);

/*
 * The indices in use, in order, into out (room for flowtab_count):
 * returns how many. Reads a bit per index, not the records. ranks, if not
 * NULL (room for flowtab_span / 64 + 1), gets what flowtab_row needs.
 */
size_t flowtab_list(const struct flowtab *tab, uint32_t *out,
		    uint32_t *ranks);

/*
 * idx's place in what flowtab_list listed (ranks: its ranks), the table
 * unchanged since; FLOWTAB_NONE if idx is not in use.
 */
uint32_t flowtab_row(const struct flowtab *tab, const uint32_t *ranks,
		     uint32_t idx);

/*
 * Generations. A snapshot shows the table as of a generation: the one
 * being written when it was built (flowtab_publish returns it and starts
 * the next). The collector calls flowtab_touch(tab, f) before it changes
 * any of f's versioned fields (state; destroyed, counters_valid,
 * counts_from_zero, events_seen, offloaded, whole_life; total):
 * the first change in a generation keeps the old version for the
 * snapshots that may still show it. Changes to a flow created in the
 * current generation keep nothing (no snapshot lists it yet).
 */
void flowtab_touch(struct flowtab *tab, struct flow_rec *f);

/* Sets f's conntrack state (collector only), touching f if it changes. */
static inline void flowtab_set_state(struct flowtab *tab, struct flow_rec *f,
				     uint8_t state)
{
	if (f->state != state) {
		flowtab_touch(tab, f);
		f->state = state;
	}
}
/* The generation being written now. */
uint64_t flowtab_gen(const struct flowtab *tab);
/* Ends the generation being written (returns it); sets the epoch to it. */
uint64_t flowtab_publish(struct flowtab *tab);

/*
 * A flow's versioned fields as of one generation, and its rates (which
 * the snapshot keeps, not the table: snapshot_vals fills them in,
 * flowtab_read gives 0).
 */
struct flow_vals {
	uint8_t state;
	bool destroyed, counters_valid, counts_from_zero, events_seen,
	     offloaded, whole_life;
	struct flow_counters total;
	struct flow_rates rates;
};

/*
 * idx's versioned fields as of generation gen, from any thread, for as
 * long as a snapshot of generation gen that lists idx is held (the
 * collector keeps the versions such a snapshot shows, see
 * flowtab_reclaim); never waits for the collector. FLOWTAB_READ_INTO out
 * of line; out->rates 0.
 */
void flowtab_read(const struct flowtab *tab, uint32_t idx, uint64_t gen,
		  struct flow_vals *out);

/*
 * The version of idx kept for generation gen, which the record no longer
 * holds (written since gen): FLOWTAB_READ_INTO's uncommon case (out->rates
 * left as they are).
 */
void flowtab_read_kept(const struct flowtab *tab, uint32_t idx, uint32_t gen,
		       struct flow_vals *out);

/*
 * Copies of the versioned fields, from src, a record or a struct
 * flow_vals (the same field names): the state and flags into dst (a
 * struct flow_vals or a struct flow)...
 */
#define FLOW_FLAGS_COPY(dst, src)					\
	do {								\
		(dst)->state = (src)->state;				\
		(dst)->destroyed = (src)->destroyed;			\
		(dst)->counters_valid = (src)->counters_valid;		\
		(dst)->counts_from_zero = (src)->counts_from_zero;	\
		(dst)->events_seen = (src)->events_seen;		\
		(dst)->offloaded = (src)->offloaded;			\
		(dst)->whole_life = (src)->whole_life;			\
	} while (0)

/* ... all of them (flags and total) into a struct flow_vals ... */
#define FLOW_VALS_COPY(dst, src)					\
	do {								\
		FLOW_FLAGS_COPY(dst, src);				\
		(dst)->total = (src)->total;				\
	} while (0)

/* ... the counters the table keeps (total) into a struct flow ... */
#define FLOW_COUNTS_SET(f, src)						\
	do {								\
		(f)->total = (src)->total;				\
	} while (0)

/* ... and all of them into a struct flow (the rates: snapshot_rates). */
#define FLOW_VALS_SET(f, src)						\
	do {								\
		FLOW_FLAGS_COPY(f, src);				\
		FLOW_COUNTS_SET(f, src);				\
	} while (0)

/* f's versioned fields as they are in the record (the newest version). */
static inline void flow_rec_vals(const struct flow_rec *f,
				 struct flow_vals *v)
{
	FLOW_VALS_COPY(v, f);
}

/*
 * The read of a flow's versioned fields, the one place it is written:
 * the record rec (= flowtab_entry(tab, idx)) as of generation gen into
 * dst, with SET(dst, src) copying them from src, the record or a struct
 * flow_vals (the same names: FLOW_VALS_COPY, or a copy into a struct
 * flow). A sequence lock: the collector moves wgen past gen
 * (flowtab_touch) before it writes anything a copy could see, so a record
 * not written since gen (most of them) is copied in place and the copy
 * kept if wgen is still what it was; a record written since takes the
 * version kept for gen (flowtab_read_kept). Inline where it is used: no
 * call and no intermediate copy in passes over every flow.
 */
#define FLOWTAB_READ_INTO(tab, rec, idx, gen, dst, SET)			\
	do {								\
		const struct flow_rec *r_ = (rec);			\
		uint32_t g_ = (uint32_t)(gen);				\
									\
		for (;;) {						\
			uint32_t w_ = __atomic_load_n(&r_->wgen,	\
						      __ATOMIC_ACQUIRE); \
									\
			if (__builtin_expect(w_ > g_, 0)) {		\
				struct flow_vals v_;			\
									\
				flowtab_read_kept((tab), (idx), g_, &v_); \
				SET((dst), &v_);			\
				break;					\
			}						\
			SET((dst), r_);					\
			__atomic_thread_fence(__ATOMIC_ACQUIRE);	\
			if (__builtin_expect(__atomic_load_n(&r_->wgen,	\
					     __ATOMIC_RELAXED) == w_, 1)) \
				break;					\
		}							\
	} while (0)

/* flowtab_read of the record f = flowtab_entry(tab, idx), inline
 * (out->rates left as they are) */
static inline void flowtab_read_rec(const struct flowtab *tab,
				    const struct flow_rec *f, uint32_t idx,
				    uint64_t gen, struct flow_vals *out)
{
	FLOWTAB_READ_INTO(tab, f, idx, gen, out, FLOW_VALS_COPY);
}

/* Undo entries held now (versions kept for older snapshots). */
size_t flowtab_undo_count(const struct flowtab *tab);

/*
 * The flows changed since a snapshot, from the undo entries: the first
 * change of a flow in a generation makes one, naming the flow, and they
 * are made in order. flowtab_changes_end (collector) is the position
 * after the last one made so far; a snapshot keeps it as of its build.
 * The entries from snapshot a's position to a later snapshot b's name
 * every flow listed by both whose versioned fields differ between them
 * (some more than once; flows created after a are not named), as long as
 * flowtab_changes_lost did not move meanwhile (an entry could not be
 * made: out of memory).
 */
uint64_t flowtab_changes_end(const struct flowtab *tab);
size_t flowtab_changes_lost(const struct flowtab *tab);

/*
 * The index of the flow named at position pos, from any thread, while
 * a snapshot whose position is at or before pos is held (its entries
 * are kept for it) and pos is before a published snapshot's position.
 */
uint32_t flowtab_changed(const struct flowtab *tab, uint64_t pos);

/*
 * What the kernel's own counters (CTA_COUNTERS) are to a flow that keeps
 * them for its whole life: a flow older than flowtop (its base) or an
 * offloaded one (enum kcount_kind, kcount.h). Kept beside the records, in
 * chunks by index allocated on first use: most flows never need one, and
 * the record stays small. A new flow at an index starts without one.
 * Collector thread only.
 */
struct flow_kern {
	struct flow_counters c;
	uint32_t kind;		/* 0: none */
	uint32_t pad;
};

/* f's entry, or NULL when f has none. */
struct flow_kern *flowtab_kern(struct flowtab *tab, const struct flow_rec *f);

/* f's entry (kind 0 if it had none); NULL when out of memory. */
struct flow_kern *flowtab_kern_make(struct flowtab *tab, struct flow_rec *f);

size_t flowtab_count(const struct flowtab *tab);

struct flow_rec *flowtab_lookup(const struct flowtab *tab,
				const struct flow_key *key);

/*
 * Many lookups in a row: each waits for two cache misses (the index's
 * slot, then the record) in a table of tens of megabytes.
 * flowtab_prefetch stage 0 asks for the home slot of a key whose
 * flow_key_hash is hash, stage 1 (a while later: after the other keys'
 * stage 0) for the record of the first slot whose tag matches (both of
 * its lines: the key a lookup compares, the total a change writes);
 * flowtab_lookup_hashed then finds them in cache.
 */
void flowtab_prefetch(const struct flowtab *tab, uint64_t hash, int stage);
struct flow_rec *flowtab_lookup_hashed(const struct flowtab *tab,
				       const struct flow_key *key,
				       uint64_t hash);

/*
 * Returns the flow for key, creating a zeroed one (key set, state NONE) when
 * absent; *created tells which. NULL only when out of memory.
 */
struct flow_rec *flowtab_upsert(struct flowtab *tab,
				const struct flow_key *key, bool *created);

/* flowtab_upsert for a key known to be absent (saves the lookup). */
struct flow_rec *flowtab_insert(struct flowtab *tab,
				const struct flow_key *key);

/* Unlinks f; its index goes to limbo (see flowtab_reclaim). */
void flowtab_remove(struct flowtab *tab, struct flow_rec *f);

/*
 * A new connection took f's tuple: f goes the way of flowtab_remove (older
 * snapshots keep showing the old connection) and a fresh flow with the
 * same key takes its place. NULL only when out of memory (f is kept then).
 */
struct flow_rec *flowtab_renew(struct flowtab *tab, struct flow_rec *f);

/* Calls fn for every flow; fn may not add or remove flows. */
void flowtab_foreach(const struct flowtab *tab,
		     void (*fn)(struct flow_rec *f, void *arg), void *arg);

/*
 * Removes every flow the dump of generation gen did not list
 * (flowtab_seen): the ghosts left by lost DESTROY events. Returns how
 * many were removed.
 */
size_t flowtab_sweep(struct flowtab *tab, uint32_t gen);

/* Removes flows marked destroyed; returns how many. */
size_t flowtab_reap_destroyed(struct flowtab *tab);

/*
 * Marks f destroyed (touching it first) and lists it for
 * flowtab_end_interval; nothing if it is already.
 */
void flowtab_set_destroyed(struct flowtab *tab, struct flow_rec *f);

/* Marks f as named by an event (touching it first): not silent. */
void flowtab_set_events_seen(struct flowtab *tab, struct flow_rec *f);

/*
 * After an interval's snapshot: removes the flows flowtab_set_destroyed
 * listed (shown once with their final counters) and gives the number of
 * live flows no event ever named (*silent: their end goes unreported),
 * which the table keeps as flows come and go. Work follows the flows that
 * ended, not the table. Returns how many were removed.
 */
size_t flowtab_end_interval(struct flowtab *tab, size_t *silent);

/*
 * Takes a new cumulative reading for f and puts the rates over interval_s
 * seconds in *rates; returns whether any is above zero. A reading below
 * the previous one means the counter restarted (flow re-created under the
 * same tuple, map entry evicted): the new reading then counts from zero.
 * The first reading of a flow whose counts did not start at zero (kernel
 * counters of a flow older than flowtop) gives no rate: there is no
 * baseline yet. The caller touches f first (flowtab_touch), when a
 * snapshot may show it.
 */
bool flow_counters_update(struct flow_rec *f, const struct flow_counters *now,
			  double interval_s, struct flow_rates *rates);

/* delta of one counter, treating a decrease as a restart from zero */
uint64_t counter_delta(uint64_t prev, uint64_t now);

uint64_t flow_key_hash(const struct flow_key *key);

#endif
