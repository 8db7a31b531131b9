// SPDX-License-Identifier: GPL-2.0
/*
 * Groups kept from one snapshot to the next (group_live.c) against the
 * pass over every flow, interval after interval of a churned table:
 * flows come, go, move (up, and now and then down), some intervals are
 * skipped, the same snapshot comes twice, the key and the protocols
 * change. Every row must be the same, in the same order, with the same
 * first flow, sums and rates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "filter.h"
#include "filter_expr.h"
#include "flowtab.h"
#include "group.h"
#include "group_live.h"
#include "group_out.h"
#include "snapshot.h"
#include "ui_view.h"

static uint32_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)(*x >> 16);
}

/* a flow from one of a few hundred clients to a few servers and ports */
static struct flow_key key_of(uint64_t *x, uint32_t serial)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP,
					  IPPROTO_ICMP, IPPROTO_GRE };
	static const uint16_t ports[] = { 53, 80, 443, 9, 5001 };
	struct flow_key k;
	uint32_t r = rnd(x);

	memset(&k, 0, sizeof(k));
	k.proto = protos[r % 4 == 3 ? (r >> 8) % 4 : r % 2];
	k.sport = htons((uint16_t)serial);
	k.dport = htons(ports[(r >> 4) % 5]);
	k.zone = (uint16_t)(serial >> 16);
	if (r % 5 == 0) {
		k.family = AF_INET6;
		k.src[0] = htonl(0x20010db8);
		k.src[1] = htonl((r >> 12) % 9);
		k.src[3] = htonl((r >> 16) % 40 + 1);
		k.dst[0] = htonl(0x20010db8);
		k.dst[3] = htonl(0xff00 + (r >> 20) % 3);
		if (k.proto == IPPROTO_ICMP)
			k.proto = IPPROTO_ICMPV6;
	} else {
		k.family = AF_INET;
		k.src[0] = htonl(0x0a000000 | (r >> 10) % 300);
		k.dst[0] = htonl(0xcb007100 | (r >> 20) % 4);
	}
	return k;
}

struct world {
	bool unique;		/* every flow from a source of its own */
	struct flowtab *tab;
	struct snapshot_pool pool;
	struct rate_list rates;
	struct flow_key *keys;	/* the flows in the table */
	size_t n, cap;
	uint32_t serial;
	uint64_t x;
	uint64_t seq;
};

static void add_flow(struct world *w)
{
	struct flow_key k = key_of(&w->x, w->serial++);
	struct flow_rec *e;
	bool created;

	if (w->unique) {
		k.family = AF_INET;
		k.src[0] = htonl(0x0a000000 | w->serial);
		memset(&k.src[1], 0, 3 * sizeof(k.src[1]));
		memset(&k.dst[1], 0, 3 * sizeof(k.dst[1]));
		k.dst[0] = htonl(0xcb007101);
	}

	assert_true(w->n < w->cap);
	e = flowtab_upsert(w->tab, &k, &created);
	assert_non_null(e);
	assert_true(created);
	e->counters_valid = 1;
	e->total.bytes[0] = rnd(&w->x) % 100000;
	e->total.bytes[1] = rnd(&w->x) % 1000;
	e->total.packets[0] = rnd(&w->x) % 100;
	e->total.packets[1] = rnd(&w->x) % 10;
	w->keys[w->n++] = k;
}

/* one interval of the collector: flows go, come and move */
static void churn(struct world *w)
{
	size_t gone = w->n / 20 + rnd(&w->x) % 8, moved = w->n / 5;

	for (size_t i = 0; i < gone && w->n; i++) {
		size_t j = rnd(&w->x) % w->n;

		flowtab_remove(w->tab, flowtab_lookup(w->tab, &w->keys[j]));
		w->keys[j] = w->keys[--w->n];
	}
	for (size_t i = 0; i < moved && w->n; i++) {
		struct flow_rec *e = flowtab_lookup(w->tab,
						    &w->keys[rnd(&w->x) % w->n]);
		struct flow_rates fr = { 0 };
		uint32_t r = rnd(&w->x);

		assert_non_null(e);
		flowtab_touch(w->tab, e);
		if (r % 11 == 0) {
			/* a base put right (kcount): a counter goes down */
			e->total.bytes[0] /= 2;
		} else {
			e->total.bytes[0] += r % 5000;
			e->total.packets[0] += r % 7;
			e->total.bytes[1] += r % 300;
		}
		/* most that move have rates, some not, some rates are 0 */
		if (r % 4) {
			fr.byte_rate[0] = (float)(r % 4000) / 3;
			fr.byte_rate[1] = (float)(r % 17);
			fr.pkt_rate[0] = (float)(r % 5);
			if (r % 13 == 0)
				memset(&fr, 0, sizeof(fr));
			assert_int_equal(rate_list_add(&w->rates,
						       flowtab_index(w->tab, e),
						       &fr), 0);
		}
	}
	for (size_t i = 0, c = w->n / 20 + rnd(&w->x) % 8; i < c; i++)
		add_flow(w);
}

static struct snapshot *next_snap(struct world *w)
{
	struct snapshot_meta m = { .interval = 1, .time = 1.7e9 };
	struct snapshot *s;

	m.seq = ++w->seq;
	m.time += (double)w->seq;
	s = snapshot_pool_build(&w->pool, w->tab, &m, false, &w->rates);
	assert_non_null(s);
	rate_list_clear(&w->rates);
	return s;
}

/* the filter of the checks below (its text, compiled), or none */
static const char *cur_ftext;
static struct filter_expr *cur_fx;

static void set_filter(const char *text)
{
	struct filter_error err;

	filter_expr_free(cur_fx);
	cur_fx = NULL;
	cur_ftext = text;
	if (text) {
		assert_int_equal(filter_expr_compile(text, NULL, &cur_fx, &err),
				 0);
		assert_true(filter_expr_fixed(cur_fx));
	}
}

/*
 * the view's protocols and the filter, flow by flow, as view_build's
 * general loop takes them
 */
static void view_rows_filtered(struct snapshot *s, struct group_agg *a,
			       unsigned int protos, uint32_t *idx,
			       size_t *nidx, double rate[FLOW_DIR_COUNT])
{
	for (size_t i = 0; i < s->n; i++) {
		struct flow buf;
		const struct flow *f;

		if (!(snapshot_rec(s, i)->sel_bit & protos))
			continue;
		f = snapshot_flow(s, i, &buf);
		if (!filter_expr_match(cur_fx, f, NULL, 0))
			continue;
		assert_int_equal(group_agg_add(a, f, NULL, (uint32_t)i), 0);
		idx[(*nidx)++] = (uint32_t)i;
		rate[0] += f->byte_rate[0];
		rate[1] += f->byte_rate[1];
	}
}

/* the pass over every flow: group_view_rows (the view's protocols) */
static void reference(struct snapshot *s, const struct group_spec *spec,
		      unsigned int protos, enum sort_key k, bool rev,
		      struct group_row **rows, size_t *n, uint32_t **idx,
		      size_t *nidx, double rate[FLOW_DIR_COUNT])
{
	struct group_agg *a = group_agg_new(spec);
	struct group_result r;

	assert_non_null(a);
	*nidx = 0;
	rate[0] = rate[1] = 0;
	if (protos == GROUP_LIVE_EVERY) {
		struct flow_match m = { .match = flow_match_fixed, .ctx = cur_fx };

		/* batch: every flow, through group_snapshot without live */
		assert_int_equal(group_snapshot(s, a, NULL, NULL,
						cur_fx ? &m : NULL, k, rev,
						&r), 0);
		*rows = r.rows;
		*n = r.n;
		*idx = NULL;
		*nidx = r.flows_matched;
	} else {
		*idx = malloc((s->n + 1) * sizeof(**idx));
		assert_non_null(*idx);
		if (cur_fx)
			view_rows_filtered(s, a, protos, *idx, nidx, rate);
		else
			assert_int_equal(group_view_rows(s, 0, a, protos, *idx,
							 nidx, rate), 0);
		assert_int_equal(group_agg_finish(a, k, rev, rows, n), 0);
	}
	group_agg_free(a);
}

static void same_rows(const struct group_row *a, size_t na,
		      const struct group_row *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_true(group_key_eq(&a[i].key, &b[i].key));
		assert_int_equal(a[i].flows, b[i].flows);
		assert_int_equal(a[i].rep, b[i].rep);
		assert_memory_equal(&a[i].total, &b[i].total,
				    sizeof(a[i].total));
		/* the same sums in the same order: the same doubles */
		for (int d = 0; d < FLOW_DIR_COUNT; d++) {
			assert_true(a[i].pkt_rate[d] == b[i].pkt_rate[d]);
			assert_true(a[i].byte_rate[d] == b[i].byte_rate[d]);
		}
	}
}

/* live's grouping of s against the reference */
static void check(struct group_live *live, struct snapshot *s,
		  const struct group_spec *spec, unsigned int protos,
		  enum sort_key k, bool rev)
{
	struct group_row *want;
	struct group_result got;
	uint32_t *idx;
	size_t n, nidx, members = 0;
	double rate[FLOW_DIR_COUNT], lrate[FLOW_DIR_COUNT];

	struct flow_match m = { .match = flow_match_fixed, .ctx = cur_fx,
				.fixed = cur_ftext };

	reference(s, spec, protos, k, rev, &want, &n, &idx, &nidx, rate);
	assert_int_equal(group_live_snapshot(live, s, spec, protos,
					     cur_fx ? &m : NULL, k, rev, &got,
					     lrate), 0);
	same_rows(got.rows, got.n, want, n);
	assert_int_equal(got.flows_matched, nidx);
	for (size_t i = 0; i < s->n; i++) {
		if (!group_live_member(live, snapshot_idx(s, i)))
			continue;
		/* the same rows as the view's pass picks */
		if (idx)
			assert_int_equal(idx[members], i);
		members++;
	}
	assert_int_equal(members, nidx);
	if (idx) {
		assert_true(lrate[0] == rate[0] && lrate[1] == rate[1]);
		free(idx);
	}
	free(want);
	group_result_free(&got);
}

/* the view's groups tab (its own kept groups) against the reference */
static void check_view(struct snapshot *s, const struct group_spec *spec,
		       unsigned int protos, enum sort_key k, bool rev)
{
	struct ui_params p = { .sort = k, .reverse = rev, .protos = protos,
			       .groups = true, .gspec = *spec };
	struct group_row *want;
	struct view *v;
	uint32_t *idx;
	size_t n, nidx;
	double rate[FLOW_DIR_COUNT];

	if (cur_ftext)
		snprintf(p.filter, sizeof(p.filter), "%s", cur_ftext);
	reference(s, spec, protos, k, rev, &want, &n, &idx, &nidx, rate);
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	assert_non_null(v);
	same_rows(v->groups, v->ngroups, want, n);
	assert_int_equal(v->n, nidx);
	assert_memory_equal(v->idx, idx, nidx * sizeof(*idx));
	assert_true(v->rate[0] == rate[0] && v->rate[1] == rate[1]);
	view_put(v);
	free(idx);
	free(want);
}

static void world_init(struct world *w, size_t flows, uint64_t seed,
		       bool unique)
{
	memset(w, 0, sizeof(*w));
	w->unique = unique;
	w->tab = flowtab_new(flows * 2);
	assert_non_null(w->tab);
	w->cap = flows * 4;
	w->keys = malloc(w->cap * sizeof(*w->keys));
	assert_non_null(w->keys);
	w->x = seed;
	for (size_t i = 0; i < flows; i++)
		add_flow(w);
}

static void world_free(struct world *w)
{
	snapshot_pool_clear(&w->pool);
	rate_list_free(&w->rates);
	flowtab_free(w->tab);
	free(w->keys);
}

static struct group_spec spec_of(const char *key)
{
	struct group_spec spec;
	char err[100];

	assert_int_equal(group_spec_parse(key, &spec, err, sizeof(err)), 0);
	return spec;
}

/* the next interval: churn, then its snapshot in place of *s */
static void next_interval(struct world *w, struct snapshot **s)
{
	snapshot_put(*s);
	snapshot_pool_collect(&w->pool, w->tab);
	churn(w);
	*s = next_snap(w);
}

static void run(const char *key, unsigned int protos, uint64_t seed)
{
	struct group_spec spec = spec_of(key);
	struct group_live *live = group_live_new();
	struct group_live_stats st;
	struct snapshot *s = NULL;
	struct world w;

	assert_non_null(live);
	world_init(&w, 3000, seed, false);
	for (int t = 0; t < 60; t++) {
		enum sort_key k = t % 3 == 0 ? SORT_BYTES :
				  t % 3 == 1 ? SORT_RATE : SORT_PACKETS;
		bool rev = t % 7 == 3;

		next_interval(&w, &s);
		if (t % 9 == 4)
			next_interval(&w, &s);	/* one never grouped */
		check(live, s, &spec, protos, k, rev);
		if (protos != GROUP_LIVE_EVERY)
			check_view(s, &spec, protos, k, rev);
		if (t % 5 == 2)
			/* the same snapshot again, another order */
			check(live, s, &spec, protos, SORT_DEST, !rev);
	}
	group_live_stats(live, &st);
	/* followed the changes nearly every time: the first, and a fresh
	 * pass when empty groups pile up, are the only full ones */
	assert_true(st.steps >= 50);
	assert_true(st.full >= 1 && st.full <= 5);
	snapshot_put(s);
	group_live_free(live);
	world_free(&w);
}

/*
 * Sources that come and go for good: the groups left without a flow
 * pile up until a fresh pass drops them (more than 4096 of them, and
 * more than the groups with flows).
 */
static void test_empty_groups_dropped(void **state)
{
	struct group_spec spec = spec_of("src");
	struct group_live *live = group_live_new();
	struct group_live_stats st;
	struct snapshot *s = NULL;
	struct world w;

	(void)state;
	assert_non_null(live);
	world_init(&w, 2000, 99, true);
	for (int t = 0; t < 70; t++) {
		/* a tenth of the flows replaced per interval */
		for (int i = 0; i < 200; i++) {
			size_t j = rnd(&w.x) % w.n;

			flowtab_remove(w.tab, flowtab_lookup(w.tab, &w.keys[j]));
			w.keys[j] = w.keys[--w.n];
			add_flow(&w);
		}
		next_interval(&w, &s);
		check(live, s, &spec, GROUP_LIVE_EVERY, SORT_RATE, false);
	}
	group_live_stats(live, &st);
	/* 4096 empty groups after about 20 intervals: one fresh pass or
	 * more besides the first, most snapshots still steps */
	assert_true(st.full >= 2);
	assert_true(st.steps >= 60);
	snapshot_put(s);
	group_live_free(live);
	world_free(&w);
}

static void test_src_batch(void **state)
{
	(void)state;
	run("src", GROUP_LIVE_EVERY, 0x9e3779b97f4a7c15ull);
}

static void test_net_view_protos(void **state)
{
	(void)state;
	run("net/24,net6/48", SEL_PROTOS, 0x1234567ull);
	run("port", SEL_TCP | SEL_ICMP, 0xfeedfaceull);
}

/*
 * A filter on what flows keep for life: asked once per flow that comes,
 * the same groups as the filter asked of every flow every time.
 */
static void test_fixed_filter(void **state)
{
	(void)state;
	set_filter("dport 443 or src 10.0.0.0/25 or (family 6 and not proto udp)");
	run("src", GROUP_LIVE_EVERY, 0xabcdefull);
	run("net/24,net6/64", SEL_TCP | SEL_UDP, 0x5151ull);
	set_filter("not port 53 and dst 203.0.113.0/30");
	run("port", SEL_PROTOS, 0x77ull);
	set_filter(NULL);
}

/* another filter: the groups are made afresh, then follow again */
static void test_filter_change(void **state)
{
	struct group_spec src = spec_of("src");
	struct group_live *live = group_live_new();
	struct group_live_stats st;
	struct snapshot *s = NULL;
	struct world w;
	static const char *const filters[] = {
		NULL, "dport 443", "dport 443", "dport 80 or dport 443",
		"dport 80 or dport 443", NULL, NULL,
	};

	(void)state;
	world_init(&w, 2000, 21, false);
	for (size_t t = 0; t < sizeof(filters) / sizeof(filters[0]); t++) {
		set_filter(filters[t]);
		next_interval(&w, &s);
		check(live, s, &src, GROUP_LIVE_EVERY, SORT_BYTES, false);
	}
	group_live_stats(live, &st);
	/* afresh: the first, and each of the three changes */
	assert_int_equal(st.full, 4);
	assert_int_equal(st.steps, 3);
	set_filter(NULL);
	snapshot_put(s);
	group_live_free(live);
	world_free(&w);
}

static void test_dst_host_proto(void **state)
{
	(void)state;
	run("dst", SEL_UDP, 77);
	run("host", GROUP_LIVE_EVERY, 78);
	run("proto", SEL_PROTOS, 79);
}

/*
 * What makes the next snapshot a fresh pass: another key or protocols,
 * and a snapshot sorted by rate (refused: rows out of table order).
 */
static void test_fresh_when_needed(void **state)
{
	struct group_spec src = spec_of("src"), dst = spec_of("dst");
	struct group_live *live = group_live_new();
	struct group_live_stats st;
	struct group_result r;
	struct snapshot *s = NULL;
	struct world w;

	(void)state;
	world_init(&w, 2000, 5, false);
	next_interval(&w, &s);
	check(live, s, &src, SEL_PROTOS, SORT_BYTES, false);
	next_interval(&w, &s);
	check(live, s, &dst, SEL_PROTOS, SORT_BYTES, false);
	next_interval(&w, &s);
	check(live, s, &dst, SEL_TCP, SORT_BYTES, false);
	next_interval(&w, &s);
	check(live, s, &dst, SEL_TCP, SORT_BYTES, false);
	group_live_stats(live, &st);
	assert_int_equal(st.full, 3);
	assert_int_equal(st.steps, 1);
	snapshot_put(s);
	churn(&w);
	s = snapshot_pool_build(&w.pool, w.tab,
				&(struct snapshot_meta){ .seq = 99 }, true,
				&w.rates);
	assert_non_null(s);
	assert_false(s->table_order);
	assert_int_equal(group_live_snapshot(live, s, &dst, SEL_TCP, NULL,
					     SORT_BYTES, false, &r, NULL),
			 -EINVAL);
	/* a filter not known to keep its answers is not for kept groups */
	snapshot_put(s);
	s = next_snap(&w);
	set_filter("dport 80 or dport 443");
	check(live, s, &dst, SEL_TCP, SORT_BYTES, false);
	assert_int_equal(group_live_snapshot(live, s, &dst, SEL_TCP,
					     &(struct flow_match){
						.match = flow_match_fixed,
						.ctx = cur_fx },
					     SORT_BYTES, false, &r, NULL),
			 -EINVAL);
	set_filter(NULL);
	snapshot_put(s);
	group_live_free(live);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_src_batch),
		cmocka_unit_test(test_net_view_protos),
		cmocka_unit_test(test_dst_host_proto),
		cmocka_unit_test(test_fixed_filter),
		cmocka_unit_test(test_filter_change),
		cmocka_unit_test(test_fresh_when_needed),
		cmocka_unit_test(test_empty_groups_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
