/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When to look at a flow again: one deadline (whole seconds on a clock
 * of the caller's choice, never 0) per flow index, and a min-heap that
 * hands out the indices whose deadline passed, so a check touches only
 * those, never every flow. For flows found at start, which end without
 * an event (see flowtab.h, events_seen). Pure data structure, unit tested.
 */
#ifndef FLOWTOP_DEADLINE_H
#define FLOWTOP_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct deadline_ent {
	uint32_t sec;
	uint32_t idx;
};

struct deadline_heap {
	struct deadline_ent *h;	/* min-heap by sec; may hold stale entries */
	size_t n, cap;
	uint32_t *at;		/* at[idx]: the deadline of idx, 0: none */
	uint8_t *touched;	/* touched[idx]: deadline_touch since set */
	size_t at_cap;
	size_t live;		/* indices with a deadline */
};

/*
 * Sets (or moves) idx's deadline to sec (> 0), untouched. A moved deadline leaves
 * its old heap entry behind, skipped when it comes up; the heap is
 * compacted when such entries outnumber the live ones. 0 or -ENOMEM
 * (idx keeps its old deadline then), -EINVAL for sec 0.
 */
int deadline_set(struct deadline_heap *d, uint32_t idx, uint32_t sec);

/*
 * Notes that something happened to idx since its deadline was set (a
 * packet that may have moved its real end); nothing if it has no
 * deadline. True when this is the first such note since then.
 */
bool deadline_touch(struct deadline_heap *d, uint32_t idx);

/* Forgets idx's deadline (nothing to do if it has none). */
void deadline_clear(struct deadline_heap *d, uint32_t idx);

/* idx's deadline, 0 if none. */
uint32_t deadline_of(const struct deadline_heap *d, uint32_t idx);

/*
 * Takes the earliest deadline at or before now: true with its index in
 * *idx (whose deadline is then cleared) and whether it was touched in
 * *touched, false when none is due.
 */
bool deadline_pop_due(struct deadline_heap *d, uint32_t now, uint32_t *idx,
		      bool *touched);

/* How many indices have a deadline. */
static inline size_t deadline_count(const struct deadline_heap *d)
{
	return d->live;
}

void deadline_free(struct deadline_heap *d);

#endif
