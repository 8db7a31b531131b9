/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow table's insides, shared by flowtab.c (the table) and
 * flowtab_versions.c (what snapshots read as of their generation). Not for
 * other modules: they use flowtab.h.
 */
#ifndef FLOWTOP_FLOWTAB_INTERNAL_H
#define FLOWTOP_FLOWTAB_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtab.h"

/*
 * Flows live in one array, addressed by a 32-bit index; the hash index
 * and the free lists hold indices. The array is reserved (address space
 * only) for the most flows the table may ever hold and never moves, which
 * is what lets snapshots point into it; pages are backed as indices are
 * first used. Asked for as huge pages: lookups land at random places in
 * tens of megabytes, where 4 KiB pages miss the TLB nearly every time.
 */
#define FLOWTAB_MAX_FLOWS	(1u << 26)	/* 64M flows (less 2: see SLOT_) */
#define FLOWTAB_MIN_FLOWS	(1u << 16)	/* the least reservation tried */

_Static_assert(sizeof(struct flow_rec) == 96, "flow_rec grew");
_Static_assert(offsetof(struct flow_rec, wgen) + 4 <= 64 &&
	       offsetof(struct flow_rec, state) < 64 &&
	       offsetof(struct flow_rec, total) == 64,
	       "the key and a row's words in the first 64 bytes, total after");

/*
 * The hash index: open addressing, linear probing, one 32-bit slot per
 * place: the flow's index in the low SLOT_IDX_BITS, the top bits of its
 * key's hash above them (a tag: most slots of a probe are passed without
 * reading their record). A removed flow leaves a tombstone, which lookups
 * pass and insertions reuse; the index is rebuilt when tombstones and
 * flows fill SLOT_CLEAN_NUM / SLOT_CLEAN_DEN of it, twice the size when
 * the flows alone pass SLOT_GROW_NUM / SLOT_GROW_DEN: a successor built a
 * few flows per change (flowtab.c), finished at once only if tombstones
 * and flows reach SLOT_FULL_NUM / SLOT_FULL_DEN meanwhile.
 */
#define SLOT_IDX_BITS	26
#define SLOT_IDX_MASK	((1u << SLOT_IDX_BITS) - 1)
#define SLOT_EMPTY	UINT32_MAX
#define SLOT_TOMB	(UINT32_MAX - 1)
#define SLOT_FULL_NUM	7
#define SLOT_FULL_DEN	8
#define SLOT_GROW_NUM	5
#define SLOT_GROW_DEN	8
/* the tombstones' rebuild (at the same size) begins here, so that it is
 * done before SLOT_FULL */
#define SLOT_CLEAN_NUM	3
#define SLOT_CLEAN_DEN	4

/* an index never in use, so that no slot reads as EMPTY or TOMB */
_Static_assert(FLOWTAB_MAX_FLOWS <= (1u << SLOT_IDX_BITS),
	       "slot indices hold every flow's index");

/*
 * An older version of a record's versioned fields, kept while a snapshot
 * that shows it is held. Entries are made and dropped in the same order
 * (by generation), so they live in a ring of chunks that never move:
 * other threads follow a record's chain of them (newest first) by number.
 */
struct undo_ent {
	uint32_t wgen;		/* generation these values were written in */
	uint32_t next;		/* the next older version + 1, 0: none */
	uint32_t idx;		/* the record's index */
	uint8_t state;
	uint8_t flags;		/* UNDO_* */
	uint16_t pad;
	struct flow_counters total;
};

_Static_assert(sizeof(struct undo_ent) == 48, "undo_ent grew");

#define UNDO_DESTROYED		0x01
#define UNDO_COUNTERS_VALID	0x02
#define UNDO_COUNTS_FROM_ZERO	0x04
#define UNDO_EVENTS_SEEN	0x08
#define UNDO_OFFLOADED		0x10
#define UNDO_WHOLE_LIFE		0x20

#define UNDO_SHIFT	12
#define UNDO_CHUNK	(1u << UNDO_SHIFT)	/* entries per chunk: 192 KiB */
#define UNDO_SLOTS	16384u	/* chunks at most: 64M entries held */

/* where the entries made in one generation begin */
struct undo_mark {
	uint64_t gen;
	uint64_t start;		/* position of its first entry */
};

struct limbo_entry {
	uint64_t tag;		/* epoch when removed */
	uint32_t idx;
};

struct flowtab {
	atomic_int refs;
	uint32_t *buckets;	/* the hash index's slots (SLOT_*) */
	size_t nbuckets;	/* power of two */
	size_t ntombs;		/* slots holding SLOT_TOMB */
	/*
	 * The index's successor while it is built a few flows at a time
	 * (flowtab.c, move_step): it holds the flows of indices below
	 * move_pos; lookups use buckets until it takes over. NULL: none.
	 */
	uint32_t *next;
	size_t next_n, next_tombs;
	uint32_t move_pos;
	size_t count;
	uint32_t span;		/* indices handed out so far: [0, span) */
	/* a bit per index in use: what a snapshot lists, without reading
	 * a cache line of every record */
	uint64_t *live;
	size_t live_cap;	/* words */
	/* a bit per index: listed by the dump of generation seen_gen */
	uint64_t *seen;
	size_t seen_cap;	/* words */
	uint32_t seen_gen;
	uint32_t *free_idx;	/* reusable indices (a stack: reuse the warm ones) */
	size_t nfree, free_cap;
	struct limbo_entry *limbo;	/* removed, maybe still in a snapshot;
					 * tags never decrease, oldest first */
	size_t limbo_head, limbo_len, limbo_cap;
	uint64_t epoch;
	struct flow_rec *flows;	/* reserved for max_flows */
	size_t reserved;	/* records the reservation holds */
	uint32_t max_flows;
	/*
	 * The NAT store: reply tuples that are not the key turned around, in
	 * chunks that never move (other threads read them by flow). An entry
	 * goes back to nat_free when its flow's index is reclaimed.
	 */
	struct flow_key **nat_chunks;	/* NAT_CHUNK entries each */
	uint32_t nat_span;	/* entries handed out so far */
	uint32_t *nat_free;
	size_t nat_nfree, nat_free_cap;
	/* the kernel-counter store: KERN_CHUNK entries each, by index */
	struct flow_kern **kern_chunks;
	/* marks and NAT entries' numbers, EXT_CHUNK entries each, by index:
	 * a chunk is made (zeroed) for the first flow in it that needs one;
	 * other threads read them (acquire: the chunk's release) */
	struct flow_ext **ext_chunks;
	/*
	 * Undo entries, by position (counted from the first ever made):
	 * [undo_head, undo_tail) are held, in chunk undo_chunks[(position >>
	 * UNDO_SHIFT) % UNDO_SLOTS]; marks say which generation made them.
	 */
	struct undo_ent **undo_chunks;
	struct undo_ent *undo_spare;	/* one emptied chunk, for the next */
	uint64_t undo_head, undo_tail;
	struct undo_mark *marks;
	size_t nmarks, marks_cap;
	size_t undo_lost;	/* versions not kept: out of memory */
	/* destroyed since the last end of an interval (flowtab_set_destroyed);
	 * ended_lost: one could not be listed, the next end looks at all */
	uint32_t *ended;
	size_t nended, ended_cap;
	bool ended_lost;
	size_t silent;		/* flows in use that no event named */
};

#define KERN_CHUNK_SHIFT 12
#define KERN_CHUNK	(1u << KERN_CHUNK_SHIFT)

#define NAT_CHUNK_SHIFT	12
#define NAT_CHUNK	(1u << NAT_CHUNK_SHIFT)

#define EXT_CHUNK_SHIFT	FLOW_EXT_SHIFT
#define EXT_CHUNK	(1u << EXT_CHUNK_SHIFT)

#define FLOWTAB_MIN_BUCKETS 1024

static inline struct flow_rec *at(const struct flowtab *tab, uint32_t idx)
{
	return &tab->flows[idx];
}

static inline uint32_t index_of(const struct flowtab *tab,
				const struct flow_rec *f)
{
	return (uint32_t)(f - tab->flows);
}

/* Drops the undo entries no snapshot of min_live or later can show. */
void flowtab_undo_collect(struct flowtab *tab, uint64_t min_live);

#endif
