// SPDX-License-Identifier: GPL-2.0
/* Immutable, reference-counted copies of the flow table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "sort.h"

struct copy_ctx {
	struct flow *rows;
	size_t n;
};

static void copy_flow(struct flow *f, void *arg)
{
	struct copy_ctx *c = arg;
	struct flow *row = &c->rows[c->n++];

	*row = *f;
	row->hnext = NULL;
}

#define MOVED UINT32_MAX

/*
 * Orders rows by total byte rate, highest first, then by conntrack id: a
 * linear radix sort of small keys, then the rows are moved into place by
 * following the permutation's cycles, so no second copy of the rows is
 * needed. Returns -ENOMEM (rows left as they are) if the keys don't fit.
 */
static int sort_rows(struct flow *rows, size_t n)
{
	struct sort_item *items = malloc(2 * n * sizeof(*items));

	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		sort_item_fill(&items[i], SORT_RATE, false, &rows[i], NULL,
			       (uint32_t)i);
	sort_items(items, items + n, n);
	/* destination k takes the row that was at items[k].idx */
	for (size_t s = 0; s < n; s++) {
		struct flow tmp;
		size_t k = s;

		if (items[s].idx == MOVED || items[s].idx == s)
			continue;
		tmp = rows[s];
		for (;;) {
			size_t src = items[k].idx;

			items[k].idx = MOVED;
			if (src == s) {
				rows[k] = tmp;
				break;
			}
			rows[k] = rows[src];
			k = src;
		}
	}
	free(items);
	return 0;
}

struct snapshot *snapshot_build(const struct flowtab *tab,
				const struct snapshot_meta *meta)
{
	size_t n = flowtab_count(tab);
	struct snapshot *s = calloc(1, sizeof(*s));
	struct copy_ctx c = { 0 };

	if (!s)
		return NULL;
	if (n) {
		c.rows = malloc(n * sizeof(*c.rows));
		if (!c.rows) {
			free(s);
			return NULL;
		}
		flowtab_foreach(tab, copy_flow, &c);
		/* unsorted is still a valid snapshot: only the order suffers */
		sort_rows(c.rows, c.n);
	}
	s->meta = *meta;
	s->flows = c.rows;
	s->n = c.n;
	atomic_init(&s->refs, 1);
	return s;
}

struct snapshot *snapshot_get(struct snapshot *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void snapshot_put(struct snapshot *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	free(s->flows);
	free(s);
}

void snapshot_publish(struct snapshot_slot *slot, struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->cur;
	slot->cur = s;
	pthread_mutex_unlock(&slot->lock);
	/* freeing a large snapshot happens outside the lock */
	snapshot_put(old);
}

struct snapshot *snapshot_acquire(struct snapshot_slot *slot)
{
	struct snapshot *s;

	pthread_mutex_lock(&slot->lock);
	s = snapshot_get(slot->cur);
	pthread_mutex_unlock(&slot->lock);
	return s;
}
