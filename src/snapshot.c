// SPDX-License-Identifier: GPL-2.0
/* Immutable, reference-counted views of the flow table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "sort.h"
#include "util.h"

_Static_assert(sizeof(struct flow_row) == 56, "flow_row grew");

static uint8_t row_flags(const struct flow_rec *f)
{
	return (f->destroyed ? FLOW_ROW_DESTROYED : 0) |
	       (f->counters_valid ? FLOW_ROW_COUNTERS_VALID : 0) |
	       (f->counts_from_zero ? FLOW_ROW_COUNTS_FROM_ZERO : 0) |
	       (f->events_seen ? FLOW_ROW_EVENTS_SEEN : 0) |
	       (f->offloaded ? FLOW_ROW_OFFLOADED : 0) |
	       (f->whole_life ? FLOW_ROW_WHOLE_LIFE : 0);
}

const struct flow *snapshot_flow(const struct snapshot *s, size_t i,
				 struct flow *buf)
{
	const struct flow_row *r;
	const struct flow_rec *e;

	r = &s->rows[i];
	e = flowtab_entry(s->tab, r->idx);
	/* field by field: the collector keeps writing the entry's others */
	buf->key = e->key;
	flowtab_reply(s->tab, e, &buf->reply);
	buf->ct_id = e->ct_id;
	buf->mark = __atomic_load_n(&e->mark, __ATOMIC_RELAXED);
	buf->start_ns = flow_rec_start(e);
	buf->first_seen_ns = e->since_ns;
	buf->state = r->state;
	buf->destroyed = r->flags & FLOW_ROW_DESTROYED;
	buf->counters_valid = r->flags & FLOW_ROW_COUNTERS_VALID;
	buf->counts_from_zero = r->flags & FLOW_ROW_COUNTS_FROM_ZERO;
	buf->events_seen = r->flags & FLOW_ROW_EVENTS_SEEN;
	buf->offloaded = r->flags & FLOW_ROW_OFFLOADED;
	buf->whole_life = r->flags & FLOW_ROW_WHOLE_LIFE;
	buf->sel_bit = r->sel_bit;
	buf->total = r->total;
	memcpy(buf->pkt_rate, r->pkt_rate, sizeof(buf->pkt_rate));
	memcpy(buf->byte_rate, r->byte_rate, sizeof(buf->byte_rate));
	buf->idx = r->idx;
	return buf;
}

#define MOVED UINT32_MAX

/*
 * Orders rows by total byte rate, highest first, then by conntrack id: a
 * linear radix sort of small keys, then the rows are moved into place by
 * following the permutation's cycles, so no second copy of the rows is
 * needed. Returns -ENOMEM (rows left as they are) if the keys don't fit.
 * order[] (over the items' memory) lists the rows' numbers in sorted
 * order; the moves mark its entries done.
 */
static int sort_rows(const struct snapshot *s, struct flow_row *rows, size_t n)
{
	struct sort_item *items = malloc(2 * n * sizeof(*items));
	uint32_t *order = (uint32_t *)items;
	struct flow buf;

	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct flow *f = snapshot_flow(s, i, &buf);

		sort_item_fill(&items[i], SORT_RATE, false, f, NULL,
			       (uint32_t)i);
		/* below the rate: the conntrack id, then the row */
		items[i].lo = (uint64_t)f->ct_id << 32 | (uint32_t)i;
	}
	sort_items(items, items + n, n);
	for (size_t i = 0; i < n; i++)
		order[i] = sort_item_row(&items[i]);
	/* destination k takes the row that was at order[k] */
	for (size_t i = 0; i < n; i++) {
		struct flow_row tmp;
		size_t k = i;

		if (order[i] == MOVED || order[i] == i)
			continue;
		tmp = rows[i];
		for (;;) {
			size_t src = order[k];

			order[k] = MOVED;
			if (src == i) {
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

static int by_idx(const void *a, const void *b)
{
	uint32_t x = ((const struct rate_entry *)a)->idx;
	uint32_t y = ((const struct rate_entry *)b)->idx;

	return x < y ? -1 : x > y;
}

/* --- building ------------------------------------------------------------ */

/*
 * Fills s->rows (room for flowtab_count rows) from tab, in table order,
 * taking the rates from rates (sorted here, to be walked alongside).
 */
static void fill_rows(struct snapshot *s, const struct flowtab *tab,
		      struct rate_list *rates)
{
	static const struct flow_rates none;
	uint32_t span = flowtab_span(tab);
	size_t n = 0, k = 0, nr = rates ? rates->n : 0;

	/* a read reports each key once: no index is listed twice */
	if (nr > 1)
		qsort(rates->v, nr, sizeof(*rates->v), by_idx);

	for (uint32_t i = 0; i < span; i++) {
		const struct flow_rec *f = flowtab_entry(tab, i);
		const struct flow_rates *fr = &none;
		struct flow_row *r;

		if (!f->in_use)
			continue;
		while (k < nr && rates->v[k].idx < i)
			k++;
		if (k < nr && rates->v[k].idx == i)
			fr = &rates->v[k].r;
		r = &s->rows[n++];
		r->idx = i;
		r->state = f->state;
		r->flags = row_flags(f);
		r->sel_bit = f->sel_bit;
		r->pad = 0;
		memcpy(r->pkt_rate, fr->pkt_rate, sizeof(r->pkt_rate));
		memcpy(r->byte_rate, fr->byte_rate, sizeof(r->byte_rate));
		r->total = f->total;
	}
	s->n = n;
}

/* rows: room for flowtab_count(tab) rows, or NULL to allocate them */
static struct snapshot *build(struct flowtab *tab,
			      const struct snapshot_meta *meta, bool sorted,
			      struct rate_list *rates, struct flow_row *rows)
{
	size_t n = flowtab_count(tab);
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (!rows && n && !(rows = malloc(n * sizeof(*rows)))) {
		free(s);
		return NULL;
	}
	s->rows = rows;
	s->tab = flowtab_get(tab);
	fill_rows(s, tab, rates);
	/* unsorted is still a valid snapshot: only the order suffers */
	if (sorted && s->n)
		sort_rows(s, s->rows, s->n);
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
	free(s->rows);
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
	struct flow_row *rows = NULL;
	struct snapshot *s;

	if (grow_array((void **)&p->held, &p->cap, p->n + 1, sizeof(*p->held), 8))
		return NULL;
	/* a spare far too big is given back rather than kept for ever */
	if (p->spare && (p->spare_cap < n || p->spare_cap > 2 * n + 4096)) {
		free(p->spare);
		p->spare = NULL;
	}
	if (p->spare) {
		rows = p->spare;
		p->spare = NULL;
	} else if (n) {
		/* a little headroom: the table grows between intervals */
		p->spare_cap = n + n / 16 + 64;
		rows = malloc(p->spare_cap * sizeof(*rows));
		if (!rows)
			return NULL;
	}
	s = build(tab, meta, sorted, rates, rows);
	if (!s) {
		free(rows);
		return NULL;
	}
	/* the capacity travels with the rows: kept when they come back */
	s->cap = rows ? p->spare_cap : 0;
	p->held[p->n++] = snapshot_get(s);
	flowtab_set_epoch(tab, meta->seq);
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
			if (s->rows && !p->spare) {
				p->spare = s->rows;
				p->spare_cap = s->cap;
				s->rows = NULL;
			}
			snapshot_put(s);
			continue;
		}
		if (s->meta.seq < min_live)
			min_live = s->meta.seq;
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
