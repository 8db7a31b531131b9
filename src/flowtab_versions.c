// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table's versions: a snapshot reads the fields that change in a
 * flow's life as of its own generation. The record holds the newest
 * version; the collector keeps the one a held snapshot may still show in
 * an undo entry the first time it changes a flow in an interval
 * (flowtab_touch); readers (flowtab_read) never wait for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "hugemem.h"
#include "util.h"

#include "flowtab_internal.h"

static inline struct undo_ent *undo_at(const struct flowtab *tab, uint32_t id)
{
	uint32_t n = id - 1;

	return &tab->undo_chunks[n >> UNDO_SHIFT][n & (UNDO_CHUNK - 1)];
}

/* The number (+ 1) of the entry at position pos. */
static inline uint32_t undo_id(uint64_t pos)
{
	return (uint32_t)(((pos >> UNDO_SHIFT) % UNDO_SLOTS) << UNDO_SHIFT |
			  (pos & (UNDO_CHUNK - 1))) + 1;
}

/* A new entry made in generation gen: its number, 0 when out of memory. */
static uint32_t undo_new(struct flowtab *tab, uint64_t gen)
{
	uint64_t pos = tab->undo_tail;
	uint32_t slot = (uint32_t)((pos >> UNDO_SHIFT) % UNDO_SLOTS);

	if (pos - tab->undo_head >= (uint64_t)UNDO_SLOTS * UNDO_CHUNK)
		return 0;
	if (!tab->nmarks || tab->marks[tab->nmarks - 1].gen != gen) {
		if (grow_array((void **)&tab->marks, &tab->marks_cap,
			       tab->nmarks + 1, sizeof(*tab->marks), 16))
			return 0;
		tab->marks[tab->nmarks++] =
			(struct undo_mark){ .gen = gen, .start = pos };
	}
	if (!tab->undo_chunks) {
		tab->undo_chunks = calloc(UNDO_SLOTS, sizeof(*tab->undo_chunks));
		if (!tab->undo_chunks)
			return 0;
	}
	if (!tab->undo_chunks[slot]) {
		struct undo_ent *c = tab->undo_spare;

		tab->undo_spare = NULL;
		if (!c && !(c = malloc(UNDO_CHUNK * sizeof(*c))))
			return 0;
		/* published to readers with the first entry (release) */
		tab->undo_chunks[slot] = c;
	}
	tab->undo_tail++;
	return undo_id(pos);
}

/* Drops the entry at the head: it is the oldest of its record's chain. */
static void undo_drop_head(struct flowtab *tab)
{
	uint64_t pos = tab->undo_head;
	uint32_t id = undo_id(pos), slot = (id - 1) >> UNDO_SHIFT;
	const struct undo_ent *e = undo_at(tab, id);
	uint32_t *pp = &at(tab, e->idx)->undo;

	/* unlinked from the newer version pointing at it */
	while (*pp && *pp != id)
		pp = &undo_at(tab, *pp)->next;
	if (*pp)
		__atomic_store_n(pp, 0, __ATOMIC_RELEASE);
	tab->undo_head++;
	/* the last entry of its chunk: the chunk goes (one is kept) */
	if (!(tab->undo_head & (UNDO_CHUNK - 1))) {
		if (!tab->undo_spare)
			tab->undo_spare = tab->undo_chunks[slot];
		else
			free(tab->undo_chunks[slot]);
		tab->undo_chunks[slot] = NULL;
	}
}

/*
 * Drops the entries made in generations up to min_live: they keep
 * versions for snapshots older than those, and none is held.
 */
void flowtab_undo_collect(struct flowtab *tab, uint64_t min_live)
{
	size_t k = 0;

	while (k < tab->nmarks && tab->marks[k].gen <= min_live) {
		uint64_t end = k + 1 < tab->nmarks ? tab->marks[k + 1].start
						   : tab->undo_tail;

		while (tab->undo_head < end)
			undo_drop_head(tab);
		k++;
	}
	if (k) {
		memmove(tab->marks, tab->marks + k,
			(tab->nmarks - k) * sizeof(*tab->marks));
		tab->nmarks -= k;
	}
}

size_t flowtab_undo_count(const struct flowtab *tab)
{
	return (size_t)(tab->undo_tail - tab->undo_head);
}

uint64_t flowtab_changes_end(const struct flowtab *tab)
{
	return tab->undo_tail;
}

size_t flowtab_changes_lost(const struct flowtab *tab)
{
	return tab->undo_lost;
}

uint32_t flowtab_changed(const struct flowtab *tab, uint64_t pos)
{
	/* the chunk was published before the snapshot naming pos was */
	return undo_at(tab, undo_id(pos))->idx;
}

uint64_t flowtab_gen(const struct flowtab *tab)
{
	return tab->epoch + 1;
}

uint64_t flowtab_publish(struct flowtab *tab)
{
	return ++tab->epoch;
}

void flowtab_touch(struct flowtab *tab, struct flow_rec *f)
{
	uint32_t w = (uint32_t)(tab->epoch + 1), id;

	if (f->wgen >= w)
		return;
	id = undo_new(tab, w);
	if (id) {
		struct undo_ent *e = undo_at(tab, id);

		e->wgen = f->wgen;
		e->next = f->undo;
		e->idx = index_of(tab, f);
		e->state = f->state;
		e->flags = (f->destroyed ? UNDO_DESTROYED : 0) |
			   (f->counters_valid ? UNDO_COUNTERS_VALID : 0) |
			   (f->counts_from_zero ? UNDO_COUNTS_FROM_ZERO : 0) |
			   (f->events_seen ? UNDO_EVENTS_SEEN : 0) |
			   (f->offloaded ? UNDO_OFFLOADED : 0) |
			   (f->whole_life ? UNDO_WHOLE_LIFE : 0);
		e->pad = 0;
		e->total = f->total;
		__atomic_store_n(&f->undo, id, __ATOMIC_RELEASE);
	} else {
		/* readers of older snapshots see the new values */
		tab->undo_lost++;
	}
	__atomic_store_n(&f->wgen, w, __ATOMIC_RELEASE);
	/* the changes that follow are not seen before the new wgen */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void flowtab_read_kept(const struct flowtab *tab, uint32_t idx, uint32_t gen,
		       struct flow_vals *out)
{
	const struct flow_rec *f = at(tab, idx);
	uint32_t u = __atomic_load_n(&f->undo, __ATOMIC_ACQUIRE);

	while (u) {
		const struct undo_ent *e = undo_at(tab, u);

		if (e->wgen <= gen) {
			out->state = e->state;
			out->destroyed = e->flags & UNDO_DESTROYED;
			out->counters_valid = e->flags & UNDO_COUNTERS_VALID;
			out->counts_from_zero = e->flags & UNDO_COUNTS_FROM_ZERO;
			out->events_seen = e->flags & UNDO_EVENTS_SEEN;
			out->offloaded = e->flags & UNDO_OFFLOADED;
			out->whole_life = e->flags & UNDO_WHOLE_LIFE;
			out->total = e->total;
			return;
		}
		u = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
	}
	/* the version was not kept (out of memory): the newest */
	flow_rec_vals(f, out);
}

void flowtab_read(const struct flowtab *tab, uint32_t idx, uint64_t gen,
		  struct flow_vals *out)
{
	FLOWTAB_READ_INTO(tab, at(tab, idx), idx, gen, out, FLOW_VALS_COPY);
	memset(&out->rates, 0, sizeof(out->rates));
}

/* --- the table ------------------------------------------------------------ */
