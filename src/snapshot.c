// SPDX-License-Identifier: GPL-2.0
/* Immutable, reference-counted copies of the flow table. */
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

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

static double total_byte_rate(const struct flow *f)
{
	return (double)f->byte_rate[FLOW_DIR_ORIG] + f->byte_rate[FLOW_DIR_REPLY];
}

static int by_rate_then_id(const void *a, const void *b)
{
	const struct flow *x = a, *y = b;
	double rx = total_byte_rate(x), ry = total_byte_rate(y);

	if (rx != ry)
		return rx < ry ? 1 : -1;
	if (x->ct_id != y->ct_id)
		return x->ct_id < y->ct_id ? -1 : 1;
	/* ids can be missing (0): fall back to the key for a stable order */
	return memcmp(&x->key, &y->key, sizeof(x->key));
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
		qsort(c.rows, c.n, sizeof(*c.rows), by_rate_then_id);
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
