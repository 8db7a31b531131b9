/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sorting flows for the interactive view: sort keys, the radix sort over
 * precomputed keys and the process rows of the processes tab (the quick
 * text search is filter_text.h). Pure (no threads, no I/O), unit tested.
 */
#ifndef FLOWTOP_SORT_H
#define FLOWTOP_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enrich.h"
#include "flowtab.h"

enum sort_key {
	SORT_RATE = 0,	/* byte rate, both directions, highest first */
	SORT_BYTES,	/* bytes so far, both directions, most first */
	SORT_PACKETS,	/* packets so far, most first */
	SORT_AGE,	/* oldest first */
	SORT_PROTO,
	SORT_STATE,
	SORT_DEST,	/* destination address, then port */
	SORT_PORT,	/* destination port */
	SORT_PROCESS,	/* process name (needs enrichment) */
	SORT_COUNTRY,	/* destination country code (needs enrichment) */
	SORT_KEY_COUNT,
};

const char *sort_key_name(enum sort_key k);
/* The key o (dir 1) or O (dir -1) goes to from k, round the list. */
enum sort_key sort_key_next(enum sort_key k, int dir);
/*
 * A sort key as --sort takes it: a name of sort_key_name (or dst, pkts),
 * optionally after '-' (largest value first) or '+' (smallest first).
 * *reverse is the reverse flag of sort_item_fill that gives that order
 * (no sign: the key's natural order, false). 0 or -EINVAL.
 */
int sort_key_parse(const char *s, enum sort_key *k, bool *reverse);
/* whether the key needs the flow's enrichment (process, geo) */
bool sort_key_needs_info(enum sort_key k);
/* whether the key's natural order runs its sort_item key descending */
bool sort_key_desc(enum sort_key k);

/*
 * One row to sort: a key of hi, then lo's upper 32 bits; lo's lower 32
 * bits hold the row's number, which breaks ties (16 bytes a row: the view
 * sorts every flow of the snapshot, twice that while the sort runs).
 */
struct sort_item {
	uint64_t hi;
	uint64_t lo;
};

static inline uint32_t sort_item_row(const struct sort_item *it)
{
	return (uint32_t)it->lo;
}

/*
 * Fills it for flow f (row row of the snapshot) under key k. Each key has
 * its natural direction (rates, bytes, packets: most first; age: oldest
 * first; the rest ascending); reverse flips it. Ties keep the rows' order.
 * info may be NULL (no enrichment): process and country sort as unknown,
 * which comes last.
 */
void sort_item_fill(struct sort_item *it, enum sort_key k, bool reverse,
		    const struct flow *f, const struct flow_info *info,
		    uint32_t row);

/*
 * Whether f's key under k is that of a flow without traffic, known
 * without filling an item: under the rate sort, when both of its rates
 * round to the key's 0 (sort_item_fill would give it the key of every
 * quiet flow, whatever reverse). False for the other keys.
 */
bool sort_key_quiet(enum sort_key k, const struct flow *f);

/*
 * Sorts items ascending by (hi, lo), given in ascending row order (as the
 * rows are filled): an LSD radix sort, stable, so the row numbers need no
 * pass of their own, and byte positions where every key is equal are
 * skipped. tmp must hold n items. Linear in n: a 262k-row snapshot sorts
 * in a few milliseconds.
 */
void sort_items(struct sort_item *items, struct sort_item *tmp, size_t n);

/* Whether a and b have the same key (rows aside). */
static inline bool sort_item_same_key(const struct sort_item *a,
				      const struct sort_item *b)
{
	return a->hi == b->hi && a->lo >> 32 == b->lo >> 32;
}

/*
 * Sorts rows of which many share one key (common's: in a big table most
 * flows had no traffic, and their rate keys tie) without sorting those:
 * they keep the rows' order, as sort_items would leave them, and go in as
 * one block. out[0..nc) holds their rows, ascending; items[0..n) the other
 * rows (no key equal to common's), tmp room for n. Leaves in out[0..nc+n)
 * the rows in the order sort_items would give them all. Sort memory and
 * time then grow with the flows that moved, not with the table.
 */
void sort_rows_with_common(struct sort_item *items, struct sort_item *tmp,
			   size_t n, const struct sort_item *common,
			   uint32_t *out, size_t nc);

/* Whether the flow moved any traffic in the last interval ('a' key). */
bool flow_is_active(const struct flow *f);

/* Processes tab: one row per owning process. */
struct proc_row {
	int32_t pid;		/* 0: flows without a known local process */
	char comm[64];
	char user[64];
	uint32_t flows;
	uint64_t bytes[FLOW_DIR_COUNT];
	double rate[FLOW_DIR_COUNT];	/* bytes per second */
};

enum proc_sort {
	PSORT_RATE = 0,	/* highest first */
	PSORT_BYTES,	/* most first */
	PSORT_FLOWS,	/* most first */
	PSORT_PID,
	PSORT_NAME,
	PSORT_COUNT,
};

const char *proc_sort_name(enum proc_sort k);
/* The processes tab's o/O: the next key round the list. */
enum proc_sort proc_sort_next(enum proc_sort k, int dir);

/*
 * Aggregation of flows into process rows: a small open hash by PID.
 * proc_agg_add accounts one flow; proc_agg_finish sorts the rows and
 * hands them over (*rows, *n; the caller frees *rows).
 */
struct proc_agg;

struct proc_agg *proc_agg_new(void);
void proc_agg_free(struct proc_agg *a);
int proc_agg_add(struct proc_agg *a, const struct flow *f,
		 const struct proc_info *p);
int proc_agg_finish(struct proc_agg *a, enum proc_sort k, bool reverse,
		    struct proc_row **rows, size_t *n);

#endif
