/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The grouping table's insides, shared by group.c (keys, the table, the
 * order of rows) and group_live.c (the table kept from one snapshot to
 * the next). Not for other modules: they use group.h.
 */
#ifndef FLOWTOP_GROUP_INTERNAL_H
#define FLOWTOP_GROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "group.h"

/* GROUP_NET's masks of an address's four words, by family */
struct net_masks {
	uint32_t v4[4];		/* the v4 prefix in the first word */
	uint32_t v6[4];
};

/*
 * Slots hold the row index + 1 (0: empty) and the key's hash, so that a
 * probe compares keys only when the hashes agree.
 */
struct group_slot {
	uint32_t hash;
	uint32_t row;
};

/*
 * Flows are accounted in blocks: the hashes of a whole block first, with
 * the slots they land on fetched ahead, then the rows those slots name,
 * then the updates. With tens of thousands of groups the slots and rows
 * are out of the caches, and a flow at a time would wait for each miss
 * in turn.
 */
#define AGG_BLOCK 256

struct pending {
	struct group_key key;
	uint32_t row;		/* the flow's, for group_row.rep */
	uint32_t hash;
	struct flow_counters total;
	float pkt_rate[FLOW_DIR_COUNT];
	float byte_rate[FLOW_DIR_COUNT];
	bool moved;		/* any rate not 0: rates to add */
};

/*
 * A group while flows are added: one cache line. Its rates live apart
 * (rates[]), touched only by the flows that moved: most flows of a big
 * table are idle.
 */
struct agg_row {
	struct group_key key;
	uint32_t flows;
	uint32_t rep;
	struct flow_counters total;
};

_Static_assert(sizeof(struct agg_row) == 64, "agg_row: one cache line");

struct agg_rates {
	double pkt[FLOW_DIR_COUNT];
	double byte[FLOW_DIR_COUNT];
};

struct group_agg {
	struct group_spec spec;
	struct net_masks masks;	/* spec's (GROUP_NET) */
	struct agg_row *rows;
	struct agg_rates *rates;
	size_t n, cap;
	struct group_slot *slots;
	size_t nslots;		/* power of two, at most half full */
	bool rows_mapped, rates_mapped, slots_mapped;	/* see agg_mem */
	struct pending block[AGG_BLOCK];
	size_t npending;
	/* when set, each flow's group number goes to gid_out[its row] (the
	 * row: the table index group_live.c gives as the flow's row) */
	uint32_t *gid_out;
};

/*
 * The group of tuple k (no enrichment): found, or made with no flow yet
 * and rep as its first flow. Its number in *g; 0 or -ENOMEM.
 */
int group_agg_place(struct group_agg *a, const struct flow_key *k,
		    uint32_t rep, uint32_t *g);

/* Accounts the flows added so far (they wait in blocks). 0 or -ENOMEM. */
int group_agg_flush(struct group_agg *a);

/*
 * The groups list[0..cnt) of a (their numbers, in the order ties keep;
 * list NULL: all a's groups in theirs) as rows sorted as group_agg_finish
 * sorts them, into a new array (*rows, the caller frees it); a is left as
 * it is. 0 or -ENOMEM.
 */
int group_agg_sorted(const struct group_agg *a, const uint32_t *list,
		     size_t cnt, enum sort_key k, bool reverse,
		     struct group_row **rows);

#endif
