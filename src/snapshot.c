// SPDX-License-Identifier: GPL-2.0
/*
 * Immutable, reference-counted views of the flow table: index lists, and
 * the rates of the rows that moved.
 */
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
	const struct flow_ext *x;
	uint32_t idx, nat;

	/* a pass over the rows in order finds the records it reads next
	 * on their way */
	snapshot_prefetch(s, i + SNAPSHOT_AHEAD);
	idx = s->order[i];
	e = &s->recs[idx];
	/* field by field: the collector keeps writing the entry's others */
	buf->key = e->key;
	/* the mark and the NAT entry's number: most flows have neither */
	x = flow_ext_of(s->ext, idx);
	nat = x ? __atomic_load_n(&x->nat, __ATOMIC_ACQUIRE) : 0;
	buf->mark = x ? __atomic_load_n(&x->mark, __ATOMIC_RELAXED) : 0;
	if (nat)
		flowtab_nat_reply(s->tab, nat, &buf->reply);
	else
		flow_key_mirror(&e->key, &buf->reply);
	buf->ct_id = e->ct_id;
	buf->start_ns = flow_rec_start(e);
	buf->first_seen_ns = e->since_ns;
	buf->sel_bit = e->sel_bit;
	buf->idx = idx;
	/* the versioned fields straight into buf (no flow_vals between) */
	FLOWTAB_READ_INTO(s->tab, e, idx, s->gen, buf, FLOW_VALS_SET);
	snapshot_rates_into(s, i, buf->pkt_rate, buf->byte_rate);
	return buf;
}

/* --- rates ---------------------------------------------------------------- */

/*
 * Room for the rates of n rows, nrates of which moved: the bits zeroed.
 * -ENOMEM.
 */
static int rates_alloc(struct snapshot *s, size_t n, size_t nrates)
{
	size_t words = (n + 63) / 64;
	char *m = malloc(words * (sizeof(uint64_t) + sizeof(uint32_t)) +
			 nrates * sizeof(struct flow_rates));
	uint64_t *moved = (uint64_t *)m;

	if (!m)
		return -ENOMEM;
	memset(moved, 0, words * sizeof(*moved));
	s->rate_mem = m;
	s->moved = moved;
	s->moved_before = (uint32_t *)(moved + words);
	s->rates = (struct flow_rates *)(s->moved_before + words);
	s->nrates = nrates;
	return 0;
}

/* moved_before from the bits */
static void rates_count(struct snapshot *s)
{
	uint32_t *before = (uint32_t *)s->moved_before;
	uint32_t k = 0;

	for (size_t w = 0; w * 64 < s->n; w++) {
		before[w] = k;
		k += (uint32_t)__builtin_popcountll(s->moved[w]);
	}
}

static void rates_drop(struct snapshot *s)
{
	free(s->rate_mem);
	s->rate_mem = NULL;
	s->moved = NULL;
	s->moved_before = NULL;
	s->rates = NULL;
	s->nrates = 0;
}

/*
 * The rates of rates for the rows of s, listed in table order with ranks
 * (flowtab_list): rows of flows no longer in use take none. Out of
 * memory: no row has rates.
 */
static void rates_fill(struct snapshot *s, const struct flowtab *tab,
		       const uint32_t *ranks, const struct rate_list *rates)
{
	uint64_t *moved;
	struct flow_rates *r;
	size_t nrows = 0;

	if (!rates || !rates->n || !s->n ||
	    rates_alloc(s, s->n, rates->n))
		return;
	moved = (uint64_t *)s->moved;
	/* the rows that moved (an index listed twice: once, last wins) */
	for (size_t k = 0; k < rates->n; k++) {
		uint32_t row = flowtab_row(tab, ranks, rates->v[k].idx);

		if (row == FLOWTAB_NONE || moved[row / 64] >> (row % 64) & 1)
			continue;
		moved[row / 64] |= 1ull << (row % 64);
		nrows++;
	}
	rates_count(s);
	s->nrates = nrows;
	/* then their rates, each to its row's place */
	r = (struct flow_rates *)s->rates;
	for (size_t k = 0; k < rates->n; k++) {
		uint32_t row = flowtab_row(tab, ranks, rates->v[k].idx);

		if (row != FLOWTAB_NONE)
			r[snapshot_rates(s, row) - s->rates] = rates->v[k].r;
	}
	if (!nrows)
		rates_drop(s);
}

/*
 * Orders the rows by total byte rate, highest first, then by conntrack
 * id: a linear radix sort of small keys; the rates follow their rows.
 * Returns -ENOMEM (rows left as they are) if the keys don't fit. Runs on
 * the collector thread, before the snapshot is published: the records
 * are read as they are.
 */
static int sort_rows(struct snapshot *s)
{
	size_t n = s->n;
	struct sort_item *items = malloc(2 * n * sizeof(*items));
	uint32_t *sorted = (uint32_t *)(items + n);
	struct snapshot old;
	struct flow rates = { 0 };

	if (!items)
		return -ENOMEM;
	/* the rates by the old rows, while the new ones are made */
	memcpy(&old, s, sizeof(old));
	if (old.moved && rates_alloc(s, n, old.nrates)) {
		free(items);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct flow_rec *e = flowtab_entry(s->tab, s->order[i]);

		/* the key needs the rates alone, not the whole flow */
		snapshot_rates_into(&old, i, rates.pkt_rate, rates.byte_rate);
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
	if (old.moved) {
		uint64_t *moved = (uint64_t *)s->moved;
		struct flow_rates *r = (struct flow_rates *)s->rates;
		size_t k = 0;

		/* the rows that moved, in their new order */
		for (size_t i = 0; i < n; i++) {
			const struct flow_rates *o =
				snapshot_rates(&old, sort_item_row(&items[i]));

			if (o) {
				moved[i / 64] |= 1ull << (i % 64);
				r[k++] = *o;
			}
		}
		rates_count(s);
		free(old.rate_mem);
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

/* --- building ------------------------------------------------------------ */

/*
 * Lists the live flows of tab in s->order (room for flowtab_count of
 * them), in table order, and gives the rows of the flows of rates their
 * rates (the others had none). Out of memory for the rates: no row has
 * any this time.
 */
static void fill(struct snapshot *s, struct flowtab *tab,
		 const struct rate_list *rates)
{
	uint32_t *ranks = NULL;

	if (rates && rates->n)
		ranks = malloc((flowtab_span(tab) / 64 + 1) * sizeof(*ranks));
	s->n = flowtab_list(tab, s->order, ranks);
	if (ranks)
		rates_fill(s, tab, ranks, rates);
	free(ranks);
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
	s->ext = flowtab_ext_chunks(tab);
	s->gen = flowtab_gen(tab);
	fill(s, tab, rates);
	/* unsorted is still a valid snapshot: only the order suffers */
	s->table_order = !(sorted && s->n && !sort_rows(s));
	s->changes_end = flowtab_changes_end(tab);
	s->changes_lost = flowtab_changes_lost(tab);
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
	free(s->rate_mem);
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
