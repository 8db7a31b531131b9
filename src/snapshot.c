// SPDX-License-Identifier: GPL-2.0
/* Immutable, reference-counted views of the flow table: index lists. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "sort.h"
#include "util.h"

const struct flow *snapshot_flow(const struct snapshot *s, size_t i,
				 struct flow *buf)
{
	const struct flow_rec *e;
	uint32_t idx;

	/* a pass over the rows in order finds the records it reads next
	 * on their way */
	snapshot_prefetch(s, i + SNAPSHOT_AHEAD);
	idx = s->order[i];
	e = &s->recs[idx];
	/* field by field: the collector keeps writing the entry's others */
	buf->key = e->key;
	flowtab_reply_rec(s->tab, e, &buf->reply);
	buf->ct_id = e->ct_id;
	buf->mark = __atomic_load_n(&e->mark, __ATOMIC_RELAXED);
	buf->start_ns = flow_rec_start(e);
	buf->first_seen_ns = e->since_ns;
	buf->sel_bit = e->sel_bit;
	buf->idx = idx;
	/* the versioned fields straight into buf (no flow_vals between) */
	FLOWTAB_READ_INTO(s->tab, e, idx, s->gen, buf, FLOW_VALS_SET);
	return buf;
}

/*
 * Orders the rows by total byte rate, highest first, then by conntrack
 * id: a linear radix sort of small keys. Returns -ENOMEM (rows left as
 * they are) if the keys don't fit. Runs on the collector thread, before
 * the snapshot is published: the records are read as they are.
 */
static int sort_rows(struct snapshot *s)
{
	size_t n = s->n;
	struct sort_item *items = malloc(2 * n * sizeof(*items));
	uint32_t *sorted = (uint32_t *)(items + n);
	struct flow rates = { 0 };

	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct flow_rec *e = flowtab_entry(s->tab, s->order[i]);

		/* the key needs the rates alone, not the whole flow */
		memcpy(rates.pkt_rate, e->rates.pkt_rate, sizeof(rates.pkt_rate));
		memcpy(rates.byte_rate, e->rates.byte_rate,
		       sizeof(rates.byte_rate));
		sort_item_fill(&items[i], SORT_RATE, false, &rates, NULL,
			       (uint32_t)i);
		/* below the rate: the conntrack id, then the row */
		items[i].lo = (uint64_t)e->ct_id << 32 | (uint32_t)i;
	}
	sort_items(items, items + n, n);
	/* the second half was the sort's room: now the sorted indices */
	for (size_t i = 0; i < n; i++)
		sorted[i] = s->order[sort_item_row(&items[i])];
	memcpy(s->order, sorted, n * sizeof(*sorted));
	free(items);
	return 0;
}

/* --- rates of a read ---------------------------------------------------- */

int rate_list_add(struct rate_list *l, uint32_t idx,
		  const struct flow_rates *r)
{
	if (grow_array((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v), 4096))
		return -ENOMEM;
	l->v[l->n].idx = idx;
	l->v[l->n].r = *r;
	l->n++;
	return 0;
}

void rate_list_clear(struct rate_list *l)
{
	l->n = 0;
}

void rate_list_free(struct rate_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* --- building ------------------------------------------------------------ */

/*
 * Gives the flows of rates their rates (the others had none: the table
 * clears the previous snapshot's) and lists the live flows of tab in
 * s->order (room for flowtab_count of them), in table order.
 */
static void fill(struct snapshot *s, struct flowtab *tab,
		 const struct rate_list *rates)
{
	flowtab_rates_begin(tab);
	for (size_t k = 0; rates && k < rates->n; k++) {
		struct flow_rec *f = flowtab_rec(tab, rates->v[k].idx);

		/* out of memory: the flow shows no rate this time */
		if (f->in_use)
			(void)flowtab_set_rates(tab, f, &rates->v[k].r);
	}
	s->n = flowtab_list(tab, s->order);
}

/* order: room for flowtab_count(tab) indices, or NULL to allocate them */
static struct snapshot *build(struct flowtab *tab,
			      const struct snapshot_meta *meta, bool sorted,
			      const struct rate_list *rates, uint32_t *order)
{
	size_t n = flowtab_count(tab);
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (!order && n && !(order = malloc(n * sizeof(*order)))) {
		free(s);
		return NULL;
	}
	s->order = order;
	s->tab = flowtab_get(tab);
	s->recs = flowtab_entry(tab, 0);
	s->gen = flowtab_gen(tab);
	fill(s, tab, rates);
	/* unsorted is still a valid snapshot: only the order suffers */
	if (sorted && s->n)
		sort_rows(s);
	/* what changes from here on keeps this generation's version */
	flowtab_publish(tab);
	s->meta = *meta;
	atomic_init(&s->refs, 1);
	return s;
}

struct snapshot *snapshot_build(struct flowtab *tab,
				const struct snapshot_meta *meta, bool sorted,
				struct rate_list *rates)
{
	return build(tab, meta, sorted, rates, NULL);
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
	free(s->order);
	flowtab_free(s->tab);
	free(s);
}

/* --- the collector's pool ----------------------------------------------- */

struct snapshot *snapshot_pool_build(struct snapshot_pool *p,
				     struct flowtab *tab,
				     const struct snapshot_meta *meta,
				     bool sorted, struct rate_list *rates)
{
	size_t n = flowtab_count(tab);
	uint32_t *order = NULL;
	struct snapshot *s;

	if (grow_array((void **)&p->held, &p->cap, p->n + 1, sizeof(*p->held), 8))
		return NULL;
	/* a spare far too big is given back rather than kept for ever */
	if (p->spare && (p->spare_cap < n || p->spare_cap > 2 * n + 4096)) {
		free(p->spare);
		p->spare = NULL;
	}
	if (p->spare) {
		order = p->spare;
		p->spare = NULL;
	} else if (n) {
		/* a little headroom: the table grows between intervals */
		p->spare_cap = n + n / 16 + 64;
		order = malloc(p->spare_cap * sizeof(*order));
		if (!order)
			return NULL;
	}
	s = build(tab, meta, sorted, rates, order);
	if (!s) {
		free(order);
		return NULL;
	}
	/* the capacity travels with the array: kept when it comes back */
	s->cap = order ? p->spare_cap : 0;
	p->held[p->n++] = snapshot_get(s);
	return s;
}

void snapshot_pool_collect(struct snapshot_pool *p, struct flowtab *tab)
{
	uint64_t min_live = UINT64_MAX;
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct snapshot *s = p->held[i];

		/* only the pool's reference left: nobody can take another
		 * (it is no longer published), so this is final */
		if (atomic_load(&s->refs) == 1) {
			if (s->order && !p->spare) {
				p->spare = s->order;
				p->spare_cap = s->cap;
				s->order = NULL;
			}
			snapshot_put(s);
			continue;
		}
		if (s->gen < min_live)
			min_live = s->gen;
		p->held[k++] = s;
	}
	p->n = k;
	flowtab_reclaim(tab, min_live);
}

void snapshot_pool_clear(struct snapshot_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		snapshot_put(p->held[i]);
	free(p->held);
	free(p->spare);
	memset(p, 0, sizeof(*p));
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
