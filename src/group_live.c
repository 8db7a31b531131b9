// SPDX-License-Identifier: GPL-2.0
/* Groups kept from one table snapshot to the next (group_live.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "group_live.h"
#include "sort.h"

#include "group_internal.h"

#define REP_NONE UINT32_MAX	/* a group whose first flow left */

/*
 * Groups no flow is left in stay (their flows often come back) until
 * there are more of them than this and than groups with flows: then the
 * next snapshot is grouped afresh, which drops them.
 */
#define EMPTY_MAX 4096

/* table indices */
struct idx_list {
	uint32_t *v;
	size_t n, cap;
};

struct group_live {
	struct group_agg *agg;	/* the groups, kept */
	struct snapshot *prev;	/* the snapshot they are of, held */
	struct group_spec spec;
	unsigned int protos;
	const struct flow_match *m;	/* this call's filter, or NULL */
	char *filter;		/* the kept groups' filter (m->fixed), or NULL */
	/* by table index, [0, cap): its group (members only), and bits:
	 * in the groups, listed by the snapshot, done in this step (came or
	 * changed); ranks: listed indices before each word */
	uint32_t *gid;
	uint64_t *member, *listed, *fresh;
	uint32_t *ranks;
	size_t cap;
	/* groups whose first flow left: a bit each and their list */
	uint64_t *lost;
	size_t lost_cap;	/* bits */
	uint32_t *lost_list;
	size_t nlost, lost_list_cap;
	struct idx_list went, came;	/* a step's (indices, came: rows of the
					 * new snapshot), kept for the next */
	size_t members;		/* flows in the groups */
	size_t empty;		/* groups without a flow */
	bool refresh;		/* group the next snapshot afresh */
	struct group_live_stats stats;
};

static inline bool bit_get(const uint64_t *b, uint32_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static inline void bit_set(uint64_t *b, uint32_t i)
{
	b[i / 64] |= 1ull << (i % 64);
}

static inline void bit_clear(uint64_t *b, uint32_t i)
{
	b[i / 64] &= ~(1ull << (i % 64));
}

/* *p (words 64-bit words) grown to want words, the new ones 0 */
static int bits_grow(uint64_t **p, size_t words, size_t want)
{
	uint64_t *n = realloc(*p, want * sizeof(*n));

	if (!n)
		return -ENOMEM;
	memset(n + words, 0, (want - words) * sizeof(*n));
	*p = n;
	return 0;
}

/* words 64-bit words of b to 0 (b may be NULL when words is 0) */
static void bits_zero(uint64_t *b, size_t words)
{
	if (words)
		memset(b, 0, words * sizeof(*b));
}

/* room for table indices below need */
static int index_room(struct group_live *g, size_t need)
{
	size_t cap = g->cap ? g->cap : 4096, words = g->cap / 64;
	uint32_t *gid, *ranks;

	if (need <= g->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	gid = realloc(g->gid, cap * sizeof(*gid));
	if (!gid)
		return -ENOMEM;
	g->gid = gid;
	ranks = realloc(g->ranks, cap / 64 * sizeof(*ranks));
	if (!ranks)
		return -ENOMEM;
	g->ranks = ranks;
	if (bits_grow(&g->member, words, cap / 64) ||
	    bits_grow(&g->listed, words, cap / 64) ||
	    bits_grow(&g->fresh, words, cap / 64))
		return -ENOMEM;
	/* the bitmaps that grew first are bigger than cap says: harmless */
	g->cap = cap;
	return 0;
}

/* room for groups below need in the lost bits */
static int lost_room(struct group_live *g, size_t need)
{
	size_t cap = g->lost_cap ? g->lost_cap : 4096;

	if (need <= g->lost_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (bits_grow(&g->lost, g->lost_cap / 64, cap / 64))
		return -ENOMEM;
	g->lost_cap = cap;
	return 0;
}

struct group_live *group_live_new(void)
{
	return calloc(1, sizeof(struct group_live));
}

/* lets go of the snapshot: the next one is grouped afresh */
static void forget(struct group_live *g)
{
	snapshot_put(g->prev);
	g->prev = NULL;
}

void group_live_free(struct group_live *g)
{
	if (!g)
		return;
	forget(g);
	group_agg_free(g->agg);
	free(g->gid);
	free(g->member);
	free(g->listed);
	free(g->fresh);
	free(g->ranks);
	free(g->lost);
	free(g->lost_list);
	free(g->went.v);
	free(g->came.v);
	free(g->filter);
	free(g);
}

bool group_live_fits(const struct group_spec *spec)
{
	switch (spec->kind) {
	case GROUP_SRC:
	case GROUP_DST:
	case GROUP_HOST:
	case GROUP_NET:
	case GROUP_PROTO:
	case GROUP_PORT:
		return true;
	default:
		return false;
	}
}

bool group_live_member(const struct group_live *g, uint32_t idx)
{
	return idx < g->cap && bit_get(g->member, idx);
}

void group_live_stats(const struct group_live *g, struct group_live_stats *s)
{
	*s = g->stats;
}

/* whether the flow at row i of snap (record e) goes into the groups */
static inline bool takes(const struct group_live *g, const struct snapshot *snap,
			 size_t i, const struct flow_rec *e)
{
	struct flow buf;

	if (g->protos != GROUP_LIVE_EVERY && !(e->sel_bit & g->protos))
		return false;
	/* asked once in the flow's life: its answer stays (m->fixed) */
	return !g->m || g->m->match(g->m->ctx, snapshot_flow(snap, i, &buf),
				    NULL);
}

/* the total of src (a record or a flow_vals) into c */
#define SET_TOTAL(c, src)						\
	do {								\
		(c)->total = (src)->total;				\
	} while (0)

/* idx's total as of snapshot s's generation (s lists idx, s held) */
static inline void total_of(const struct snapshot *s, uint32_t idx,
			    struct flow_counters *out)
{
	struct {
		struct flow_counters total;
	} c;

	FLOWTAB_READ_INTO(s->tab, &s->recs[idx], idx, s->gen, &c, SET_TOTAL);
	*out = c.total;
}

/*
 * t += add - sub, counter by counter: modulo 2^64, as the sums are, so
 * a counter that went down is taken off exactly too
 */
static inline void total_move(struct flow_counters *t,
			      const struct flow_counters *add,
			      const struct flow_counters *sub)
{
	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		t->packets[d] += add->packets[d] - sub->packets[d];
		t->bytes[d] += add->bytes[d] - sub->bytes[d];
	}
}

/* the highest index snap lists + 1 (its rows are in table order) */
static size_t span_of(const struct snapshot *s)
{
	return s && s->n ? (size_t)s->order[s->n - 1] + 1 : 0;
}

/* --- afresh: every flow ------------------------------------------------ */

static int live_full(struct group_live *g, const struct snapshot *snap)
{
	static const float none[FLOW_DIR_COUNT];
	struct group_agg *a = g->agg;
	int ret = 0;

	group_agg_reset(a, &g->spec);
	bits_zero(g->member, g->cap / 64);
	bits_zero(g->listed, g->cap / 64);
	bits_zero(g->fresh, g->cap / 64);
	bits_zero(g->lost, g->lost_cap / 64);
	g->nlost = 0;
	g->members = 0;
	g->empty = 0;
	/* each flow's group to gid[] (the row it is added as: its index,
	 * which makes the first flow's index each group's rep) */
	a->gid_out = g->gid;
	for (size_t i = 0; i < snap->n; i++) {
		uint32_t idx = snapshot_idx(snap, i);
		const struct flow_rec *e = &snap->recs[idx];
		struct flow_counters t;

		snapshot_prefetch(snap, i + SNAPSHOT_AHEAD);
		bit_set(g->listed, idx);
		if (!takes(g, snap, i, e))
			continue;
		bit_set(g->member, idx);
		g->members++;
		total_of(snap, idx, &t);
		/* the rates come after, from the rows that moved */
		if (group_agg_add_tuple(a, &e->key, &t, none, none, idx)) {
			ret = -ENOMEM;
			break;
		}
	}
	if (!ret)
		ret = group_agg_flush(a);
	a->gid_out = NULL;
	g->stats.full++;
	return ret;
}

/* --- a step: the flows that came, went or changed ------------------------ */

/* group gr's first flow left: to be found again (resolve_lost) */
static int lost_add(struct group_live *g, uint32_t gr)
{
	if (bit_get(g->lost, gr))
		return 0;
	if (g->nlost == g->lost_list_cap) {
		size_t cap = g->lost_list_cap ? 2 * g->lost_list_cap : 1024;
		uint32_t *l = realloc(g->lost_list, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		g->lost_list = l;
		g->lost_list_cap = cap;
	}
	bit_set(g->lost, gr);
	g->lost_list[g->nlost++] = gr;
	return 0;
}

/* idx was in prev and is gone */
static int flow_went(struct group_live *g, const struct snapshot *prev,
		     uint32_t idx)
{
	static const struct flow_counters zero;
	struct flow_counters t;
	struct agg_row *r;
	uint32_t gr;

	bit_clear(g->listed, idx);
	if (!bit_get(g->member, idx))
		return 0;
	bit_clear(g->member, idx);
	g->members--;
	gr = g->gid[idx];
	r = &g->agg->rows[gr];
	total_of(prev, idx, &t);
	total_move(&r->total, &zero, &t);
	if (!--r->flows)
		g->empty++;
	if (r->rep != idx)
		return 0;
	r->rep = REP_NONE;
	return lost_add(g, gr);
}

/* the flow at row i of snap is new */
static int flow_came(struct group_live *g, const struct snapshot *snap,
		     size_t i)
{
	static const struct flow_counters zero;
	uint32_t idx = snapshot_idx(snap, i), gr;
	const struct flow_rec *e = &snap->recs[idx];
	struct flow_counters t;
	struct agg_row *r;

	bit_set(g->listed, idx);
	if (!takes(g, snap, i, e))
		return 0;
	if (group_agg_place(g->agg, &e->key, idx, &gr))
		return -ENOMEM;
	r = &g->agg->rows[gr];
	bit_set(g->member, idx);
	bit_set(g->fresh, idx);
	g->members++;
	g->gid[idx] = gr;
	total_of(snap, idx, &t);
	total_move(&r->total, &t, &zero);
	if (!r->flows) {
		/* an empty group (a new one has its rep already) */
		if (r->rep == REP_NONE)
			g->empty--;
		r->rep = idx;
	} else if (r->rep != REP_NONE && idx < r->rep) {
		/* the flows came in table order: the smallest index is the
		 * first row; a group that lost its first waits for
		 * resolve_lost, as older flows may come before */
		r->rep = idx;
	}
	r->flows++;
	return 0;
}

/* idx, listed by prev and snap, may have changed in between */
static void flow_changed(struct group_live *g, const struct snapshot *prev,
			 const struct snapshot *snap, uint32_t idx)
{
	struct flow_counters was, now;

	/* named more than once, or came in this step: done */
	if (idx >= g->cap || !bit_get(g->member, idx) ||
	    bit_get(g->fresh, idx))
		return;
	bit_set(g->fresh, idx);
	total_of(prev, idx, &was);
	total_of(snap, idx, &now);
	total_move(&g->agg->rows[g->gid[idx]].total, &now, &was);
}

/* idx onto the end of l (room: idx_list_room) */
static inline void idx_push(struct idx_list *l, uint32_t idx)
{
	l->v[l->n++] = idx;
}

static int idx_list_room(struct idx_list *l, size_t want)
{
	uint32_t *v;

	if (want <= l->cap)
		return 0;
	v = realloc(l->v, want * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->cap = want;
	return 0;
}

/*
 * The indices in a's list and not in b's into out, the places in b's of
 * those not in a's into in (both lists ascend). Runs of the same
 * indices, most of the lists, are passed eight at a time.
 */
static void list_minus(const uint32_t *a, size_t na, const uint32_t *b,
		       size_t nb, struct idx_list *out, struct idx_list *in)
{
	size_t i = 0, j = 0;

	while (i < na && j < nb) {
		if (i + 8 <= na && j + 8 <= nb &&
		    !memcmp(a + i, b + j, 8 * sizeof(*a))) {
			i += 8;
			j += 8;
		} else if (a[i] == b[j]) {
			i++;
			j++;
		} else if (a[i] < b[j]) {
			idx_push(out, a[i++]);
		} else {
			idx_push(in, (uint32_t)j++);
		}
	}
	while (i < na)
		idx_push(out, a[i++]);
	while (j < nb)
		idx_push(in, (uint32_t)j++);
}

/* how far ahead of the flow handled its record and group are fetched */
#define AHEAD_FLOW 16
#define AHEAD_GROUP 8

static int live_step(struct group_live *g, const struct snapshot *prev,
		     const struct snapshot *snap)
{
	struct idx_list *went = &g->went, *came = &g->came;

	/* the groups made in this step lose no flow in it */
	if (lost_room(g, g->agg->n) ||
	    idx_list_room(went, prev->n) || idx_list_room(came, snap->n))
		return -ENOMEM;
	went->n = came->n = 0;
	/* both lists ascend: one merge finds what came and what went */
	list_minus(prev->order, prev->n, snap->order, snap->n, went, came);
	/* then each: scattered over the table, fetched ahead */
	for (size_t k = 0; k < went->n; k++) {
		if (k + AHEAD_FLOW < went->n) {
			uint32_t ahead = went->v[k + AHEAD_FLOW];

			__builtin_prefetch(&g->gid[ahead]);
			snapshot_prefetch_rec(prev, ahead);
		}
		if (k + AHEAD_GROUP < went->n) {
			uint32_t ahead = went->v[k + AHEAD_GROUP];

			if (bit_get(g->member, ahead))
				__builtin_prefetch(&g->agg->rows[g->gid[ahead]]);
		}
		if (flow_went(g, prev, went->v[k]))
			return -ENOMEM;
	}
	for (size_t k = 0; k < came->n; k++) {
		if (k + AHEAD_FLOW < came->n)
			snapshot_prefetch(snap, came->v[k + AHEAD_FLOW]);
		if (flow_came(g, snap, came->v[k]))
			return -ENOMEM;
	}
	for (uint64_t pos = prev->changes_end, end = snap->changes_end;
	     pos < end; pos++) {
		if (pos + AHEAD_FLOW < end) {
			uint32_t ahead = flowtab_changed(snap->tab,
							 pos + AHEAD_FLOW);

			if (ahead < g->cap) {
				__builtin_prefetch(&g->gid[ahead]);
				snapshot_prefetch_rec(snap, ahead);
			}
		}
		if (pos + AHEAD_GROUP < end) {
			uint32_t ahead = flowtab_changed(snap->tab,
							 pos + AHEAD_GROUP);

			if (ahead < g->cap && bit_get(g->member, ahead))
				__builtin_prefetch(&g->agg->rows[g->gid[ahead]]);
		}
		flow_changed(g, prev, snap, flowtab_changed(snap->tab, pos));
	}
	bits_zero(g->fresh, g->cap / 64);
	g->stats.steps++;
	return 0;
}

/*
 * The groups whose first flow left, and that still have flows, get
 * their first flow now: the smallest index among their members, found
 * in one walk over the rows that stops once all are found.
 */
static void resolve_lost(struct group_live *g, const struct snapshot *snap)
{
	struct agg_row *rows = g->agg->rows;
	size_t left = 0;

	for (size_t k = 0; k < g->nlost; k++) {
		uint32_t gr = g->lost_list[k];

		if (rows[gr].rep == REP_NONE && rows[gr].flows)
			left++;
		else
			bit_clear(g->lost, gr);
	}
	g->nlost = 0;
	for (size_t i = 0; left && i < snap->n; i++) {
		uint32_t idx = snapshot_idx(snap, i), gr;

		if (!bit_get(g->member, idx))
			continue;
		gr = g->gid[idx];
		/* (groups made in the step are past the bits: none lost) */
		if (gr >= g->lost_cap || !bit_get(g->lost, gr))
			continue;
		bit_clear(g->lost, gr);
		rows[gr].rep = idx;
		left--;
	}
}

/* --- both ---------------------------------------------------------------- */

/*
 * The groups' rates: the sums of their flows' over the interval, which
 * only the rows that moved have, added in row order (as a pass over every
 * flow adds them); rate[] the same over all the groups' flows.
 */
static void live_rates(struct group_live *g, const struct snapshot *snap,
		       double rate[FLOW_DIR_COUNT])
{
	struct group_agg *a = g->agg;
	double r0 = 0, r1 = 0;

	if (a->n)
		memset(a->rates, 0, a->n * sizeof(*a->rates));
	for (size_t w = 0; snap->moved && w < (snap->n + 63) / 64; w++) {
		uint64_t bits = snap->moved[w];
		size_t k = snap->moved_before[w];

		for (; bits; bits &= bits - 1, k++) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
			const struct flow_rates *fr = &snap->rates[k];
			uint32_t idx = snapshot_idx(snap, i);
			struct agg_rates *t;

			if (!bit_get(g->member, idx))
				continue;
			t = &a->rates[g->gid[idx]];
			for (int d = 0; d < FLOW_DIR_COUNT; d++) {
				t->pkt[d] += fr->pkt_rate[d];
				t->byte[d] += fr->byte_rate[d];
			}
			r0 += fr->byte_rate[0];
			r1 += fr->byte_rate[1];
		}
	}
	if (rate) {
		rate[0] = r0;
		rate[1] = r1;
	}
}

/* the row of snap (ranks made for it) that lists idx */
static inline uint32_t row_of(const struct group_live *g, uint32_t idx)
{
	uint64_t below = g->listed[idx / 64] & ((1ull << (idx % 64)) - 1);

	return g->ranks[idx / 64] + (uint32_t)__builtin_popcountll(below);
}

/*
 * The groups with flows, sorted; ties in the order of their first rows,
 * as a pass over every flow finds them (afresh they were made in that
 * order); reps turned into rows of snap.
 */
static int live_out(struct group_live *g, const struct snapshot *snap,
		    bool afresh, enum sort_key k, bool reverse,
		    struct group_result *out)
{
	const struct group_agg *a = g->agg;
	struct sort_item *items = NULL;
	uint32_t *list = NULL, sum = 0;
	size_t cnt = a->n, words = (span_of(snap) + 63) / 64;
	int ret;

	if (!afresh) {
		cnt = 0;
		items = malloc((2 * a->n + 1) * sizeof(*items));
		list = malloc((a->n + 1) * sizeof(*list));
		if (!items || !list) {
			free(items);
			free(list);
			return -ENOMEM;
		}
		for (size_t i = 0; i < a->n; i++) {
			if (!a->rows[i].flows)
				continue;
			items[cnt].hi = a->rows[i].rep;
			items[cnt++].lo = i;
		}
		sort_items(items, items + cnt, cnt);
		for (size_t i = 0; i < cnt; i++)
			list[i] = (uint32_t)items[i].lo;
		free(items);
	}
	ret = group_agg_sorted(a, list, cnt, k, reverse, &out->rows);
	free(list);
	if (ret)
		return ret;
	for (size_t w = 0; w < words; w++) {
		g->ranks[w] = sum;
		sum += (uint32_t)__builtin_popcountll(g->listed[w]);
	}
	for (size_t i = 0; i < cnt; i++)
		out->rows[i].rep = row_of(g, out->rows[i].rep);
	out->n = cnt;
	out->flows_matched = g->members;
	return 0;
}

static bool same_spec(const struct group_spec *a, const struct group_spec *b)
{
	return a->kind == b->kind && a->v4_prefix == b->v4_prefix &&
	       a->v6_prefix == b->v6_prefix;
}

/* whether the kept groups are of the flows m takes */
static bool same_filter(const struct group_live *g, const struct flow_match *m)
{
	if (!m)
		return !g->filter;
	return g->filter && m->fixed && !strcmp(g->filter, m->fixed);
}

/* whether the kept groups are those the call asks for, none to drop */
static bool same_groups(const struct group_live *g,
			const struct group_spec *spec, unsigned int protos,
			const struct flow_match *m)
{
	return !g->refresh && same_spec(&g->spec, spec) &&
	       g->protos == protos && same_filter(g, m);
}

/* whether the groups of prev can be moved on to snap */
static bool can_step(const struct group_live *g, const struct snapshot *snap,
		     const struct group_spec *spec, unsigned int protos,
		     const struct flow_match *m)
{
	const struct snapshot *prev = g->prev;

	return prev && same_groups(g, spec, protos, m) &&
	       prev->tab == snap->tab && prev->table_order &&
	       snap->table_order && snap->gen > prev->gen &&
	       prev->changes_lost == snap->changes_lost &&
	       snap->changes_end >= prev->changes_end &&
	       /* most flows changed: a pass over all of them is cheaper */
	       snap->changes_end - prev->changes_end <= snap->n / 2;
}

int group_live_snapshot(struct group_live *g, struct snapshot *snap,
			const struct group_spec *spec, unsigned int protos,
			const struct flow_match *m, enum sort_key k,
			bool reverse, struct group_result *out,
			double rate[FLOW_DIR_COUNT])
{
	size_t need = span_of(snap), pspan = span_of(g->prev);
	bool step = can_step(g, snap, spec, protos, m);
	/* the same snapshot again (the view, after a key): only the order */
	bool again = g->prev == snap && same_groups(g, spec, protos, m);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!g->agg && !(g->agg = group_agg_new(spec)))
		return -ENOMEM;
	if (!snap->table_order || (m && !m->fixed)) {
		forget(g);
		return -EINVAL;
	}
	ret = index_room(g, need > pspan ? need : pspan);
	if (ret)
		goto fail;
	if (!same_filter(g, m)) {
		free(g->filter);
		g->filter = NULL;
		if (m && !(g->filter = strdup(m->fixed))) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	g->spec = *spec;
	g->protos = protos;
	g->m = m;
	if (!again) {
		ret = step ? live_step(g, g->prev, snap) : live_full(g, snap);
		if (ret)
			goto fail;
	}
	if (g->nlost)
		resolve_lost(g, snap);
	live_rates(g, snap, rate);
	ret = live_out(g, snap, !step && !again, k, reverse, out);
	if (ret)
		goto fail;
	g->refresh = g->empty > EMPTY_MAX && g->empty > g->agg->n - g->empty;
	g->m = NULL;	/* the caller's, for this call only */
	if (g->prev != snap) {
		forget(g);
		g->prev = snapshot_get(snap);
	}
	return 0;
fail:
	g->m = NULL;
	forget(g);
	return ret;
}
