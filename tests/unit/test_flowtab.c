// SPDX-License-Identifier: GPL-2.0
/* Flow table, rate math and snapshots. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "flowtab.h"
#include "snapshot.h"

#include "../../src/flowtab_internal.h"

static struct flow_key udp4_key(uint32_t src, uint16_t sport)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.proto = IPPROTO_UDP;
	k.src[0] = htonl(src);
	k.dst[0] = htonl(0xc6336407);	/* 198.51.100.7 */
	k.sport = htons(sport);
	k.dport = htons(53);
	return k;
}

static void test_key_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct flow_key), FLOW_KEY_SIZE);
	assert_int_equal(sizeof(struct flow_counters), 32);
	assert_int_equal(offsetof(struct flow_key, sport), 32);
	assert_int_equal(offsetof(struct flow_key, family), 38);
}

static void test_upsert_lookup_remove(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	struct flow_key a = udp4_key(0xc0000201, 40000);
	struct flow_key b = udp4_key(0xc0000201, 40001);
	struct flow_rec *f, *g;
	bool created;

	(void)state;
	assert_non_null(tab);
	f = flowtab_upsert(tab, &a, &created);
	assert_non_null(f);
	assert_true(created);
	assert_int_equal(f->state, FLOW_STATE_NONE);
	assert_ptr_equal(flowtab_upsert(tab, &a, &created), f);
	assert_false(created);
	assert_null(flowtab_lookup(tab, &b));
	g = flowtab_upsert(tab, &b, &created);
	assert_true(created);
	assert_int_equal(flowtab_count(tab), 2);
	/* zone is part of the key: same tuple in another zone is another flow */
	b.zone = 7;
	assert_null(flowtab_lookup(tab, &b));
	b.zone = 0;
	flowtab_remove(tab, f);
	assert_null(flowtab_lookup(tab, &a));
	assert_ptr_equal(flowtab_lookup(tab, &b), g);
	assert_int_equal(flowtab_count(tab), 1);
	flowtab_free(tab);
}

/* Many keys force several doublings; every key must stay reachable. */
static void test_grow_keeps_everything(void **state)
{
	enum { N = 50000 };
	struct flowtab *tab = flowtab_new(16);
	bool created;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k = udp4_key(0xc0000200 + (i >> 16), i & 0xffff);
		struct flow_rec *f = flowtab_upsert(tab, &k, &created);

		assert_non_null(f);
		assert_true(created);
		f->ct_id = i;
	}
	assert_int_equal(flowtab_count(tab), N);
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k = udp4_key(0xc0000200 + (i >> 16), i & 0xffff);
		struct flow_rec *f = flowtab_lookup(tab, &k);

		assert_non_null(f);
		assert_int_equal(f->ct_id, i);
	}
	flowtab_free(tab);
}

/*
 * The index grows (and sheds its tombstones) a few flows per change, not
 * all at once: while its successor is built, every flow is found, removed
 * and renewed flows are not, and no insert moves more than a few flows.
 */
static void test_grow_moves_a_few_at_a_time(void **state)
{
	enum { N = 60000 };
	static struct flow_rec *rec[N];
	struct flowtab *tab = flowtab_new(16);
	uint32_t grows = 0, moves_seen = 0, i, j;
	bool created;

	(void)state;
	for (i = 0; i < N; i++) {
		struct flow_key k = udp4_key(0xc0000200 + (i >> 16), i & 0xffff);
		uint32_t pos = tab->move_pos;
		size_t size = tab->nbuckets;
		bool moving = tab->next != NULL;

		rec[i] = flowtab_upsert(tab, &k, &created);
		assert_true(rec[i] && created);
		rec[i]->ct_id = i;
		if (moving && tab->next) {
			/* a step: a few indices, never the whole table */
			assert_true(tab->move_pos - pos <= 8);
			moves_seen++;
		}
		grows += tab->nbuckets > size;
		if (!tab->next || i % 7)
			continue;
		/* mid-move: remove one older flow and renew another */
		j = (i * 2654435761u) % i;
		if (rec[j] && j % 3 == 0) {
			struct flow_key kj = rec[j]->key;

			flowtab_remove(tab, rec[j]);
			rec[j] = NULL;
			assert_null(flowtab_lookup(tab, &kj));
		} else if (rec[j]) {
			rec[j] = flowtab_renew(tab, rec[j]);
			assert_non_null(rec[j]);
			rec[j]->ct_id = j;
		}
		for (uint32_t t = 0; t <= i; t += 97) {
			struct flow_key kt = udp4_key(0xc0000200 + (t >> 16),
						      t & 0xffff);
			struct flow_rec *f = flowtab_lookup(tab, &kt);

			if (rec[t])
				assert_ptr_equal(f, rec[t]);
			else
				assert_null(f);
		}
	}
	assert_true(grows >= 6);	/* the least index, doubled to 131072 */
	assert_true(moves_seen > 1000);
	for (i = 0; i < N; i++) {
		struct flow_key k = udp4_key(0xc0000200 + (i >> 16), i & 0xffff);
		struct flow_rec *f = flowtab_lookup(tab, &k);

		if (!rec[i]) {
			assert_null(f);
			continue;
		}
		assert_ptr_equal(f, rec[i]);
		assert_int_equal(f->ct_id, i);
	}
	flowtab_free(tab);
}

static void test_sweep_and_reap(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	bool created;

	(void)state;
	for (uint16_t p = 1; p <= 10; p++) {
		struct flow_key k = udp4_key(0xc0000201, p);
		struct flow_rec *f = flowtab_upsert(tab, &k, &created);

		f->destroyed = p == 3;
	}
	/* dump 4 listed the even ports, dump 5 the odd ones */
	for (uint16_t p = 2; p <= 10; p += 2) {
		struct flow_key k = udp4_key(0xc0000201, p);

		flowtab_set_seen(tab, flowtab_lookup(tab, &k), 4);
	}
	for (uint16_t p = 1; p <= 10; p++) {
		struct flow_key k = udp4_key(0xc0000201, p);

		assert_int_equal(flowtab_seen(tab, flowtab_lookup(tab, &k), 4),
				 p % 2 == 0);
	}
	for (uint16_t p = 1; p <= 10; p += 2) {
		struct flow_key k = udp4_key(0xc0000201, p);

		flowtab_set_seen(tab, flowtab_lookup(tab, &k), 5);
	}
	for (uint16_t p = 1; p <= 10; p++) {
		struct flow_key k = udp4_key(0xc0000201, p);
		struct flow_rec *f = flowtab_lookup(tab, &k);

		/* a dump's marks are its own */
		assert_int_equal(flowtab_seen(tab, f, 5), p % 2 == 1);
		assert_false(flowtab_seen(tab, f, 4));
	}
	assert_int_equal(flowtab_sweep(tab, 5), 5);
	assert_int_equal(flowtab_count(tab), 5);
	for (uint16_t p = 1; p <= 10; p++) {
		struct flow_key k = udp4_key(0xc0000201, p);

		if (p % 2)
			assert_non_null(flowtab_lookup(tab, &k));
		else
			assert_null(flowtab_lookup(tab, &k));
	}
	assert_int_equal(flowtab_reap_destroyed(tab), 1);
	assert_int_equal(flowtab_count(tab), 4);
	flowtab_free(tab);
}

static void test_counter_delta(void **state)
{
	(void)state;
	assert_int_equal(counter_delta(10, 25), 15);
	assert_int_equal(counter_delta(25, 25), 0);
	/* a counter that went down restarted: all of it is new */
	assert_int_equal(counter_delta(1000, 40), 40);
	/* near the top of the range the difference is still exact */
	assert_true(counter_delta(UINT64_MAX - 5, UINT64_MAX) == 5);
}

static struct flow_counters counters(uint64_t op, uint64_t ob, uint64_t rp,
				     uint64_t rb)
{
	struct flow_counters c = {
		.packets = { op, rp },
		.bytes = { ob, rb },
	};
	return c;
}

static void test_rates(void **state)
{
	struct flow_rec f;
	struct flow_counters c;
	struct flow_rates r;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.counts_from_zero = true;
	c = counters(10, 1280, 5, 640);
	assert_true(flow_counters_update(&f, &c, 2.0, &r));
	assert_true(f.counters_valid);
	assert_float_equal(r.pkt_rate[FLOW_DIR_ORIG], 5.0, 1e-6);
	assert_float_equal(r.byte_rate[FLOW_DIR_ORIG], 640.0, 1e-6);
	assert_float_equal(r.pkt_rate[FLOW_DIR_REPLY], 2.5, 1e-6);
	assert_float_equal(r.byte_rate[FLOW_DIR_REPLY], 320.0, 1e-6);

	c = counters(20, 2560, 5, 640);
	assert_true(flow_counters_update(&f, &c, 0.5, &r));
	assert_float_equal(r.pkt_rate[FLOW_DIR_ORIG], 20.0, 1e-6);
	assert_float_equal(r.byte_rate[FLOW_DIR_REPLY], 0.0, 1e-6);
	assert_true(f.total.bytes[FLOW_DIR_ORIG] == 2560);

	/* reset: the map entry was evicted and counting began again */
	c = counters(3, 300, 1, 100);
	assert_true(flow_counters_update(&f, &c, 1.0, &r));
	assert_float_equal(r.pkt_rate[FLOW_DIR_ORIG], 3.0, 1e-6);
	assert_float_equal(r.byte_rate[FLOW_DIR_REPLY], 100.0, 1e-6);

	/* no interval (baseline read): counters taken, no rate */
	c = counters(4, 400, 1, 100);
	assert_false(flow_counters_update(&f, &c, 0, &r));
	assert_float_equal(r.pkt_rate[FLOW_DIR_ORIG], 0.0, 1e-6);
	assert_true(f.total.packets[FLOW_DIR_ORIG] == 4);

	/* the same reading again: nothing moved */
	assert_false(flow_counters_update(&f, &c, 1.0, &r));
	assert_float_equal(r.byte_rate[FLOW_DIR_ORIG], 0.0, 1e-6);
}

/* Kernel counters of a flow older than flowtop: first reading is history. */
static void test_first_reading_without_baseline(void **state)
{
	struct flow_rec f;
	struct flow_counters c = counters(1000000, 1 << 30, 0, 0);
	struct flow_rates r;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_false(flow_counters_update(&f, &c, 1.0, &r));
	assert_float_equal(r.pkt_rate[FLOW_DIR_ORIG], 0.0, 1e-6);
	c.packets[0] += 7;
	assert_true(flow_counters_update(&f, &c, 1.0, &r));
	assert_float_equal(r.pkt_rate[FLOW_DIR_ORIG], 7.0, 1e-6);
}

static void test_snapshot_sorted_and_refcounted(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	struct snapshot_meta m = { .seq = 1, .interval = 1.0 };
	struct snapshot_slot slot = SNAPSHOT_SLOT_INIT;
	struct snapshot *s, *r;
	struct rate_list rl = { 0 };
	struct flow buf;
	bool created;

	(void)state;
	for (uint16_t p = 1; p <= 5; p++) {
		struct flow_key k = udp4_key(0xc0000201, p);
		struct flow_rec *f = flowtab_upsert(tab, &k, &created);
		struct flow_rates fr = { 0 };

		f->ct_id = 100 - p;
		fr.byte_rate[FLOW_DIR_ORIG] = p == 3 ? 500 : 0;
		fr.byte_rate[FLOW_DIR_REPLY] = p == 4 ? 100 : 0;
		if (p == 3 || p == 4)
			assert_int_equal(rate_list_add(&rl, flowtab_index(tab, f),
						       &fr), 0);
	}
	s = snapshot_build(tab, &m, true, &rl);
	assert_non_null(s);
	assert_int_equal(s->n, 5);
	assert_int_equal(ntohs(snapshot_flow(s, 0, &buf)->key.sport), 3);
	assert_int_equal(ntohs(snapshot_flow(s, 1, &buf)->key.sport), 4);
	/* equal rates: by id, ascending */
	assert_int_equal(snapshot_flow(s, 2, &buf)->ct_id, 95);
	assert_int_equal(snapshot_flow(s, 4, &buf)->ct_id, 99);
	assert_true(snapshot_flow(s, 0, &buf)->byte_rate[FLOW_DIR_ORIG] == 500);
	assert_true(snapshot_flow(s, 1, &buf)->byte_rate[FLOW_DIR_REPLY] == 100);
	assert_true(snapshot_flow(s, 2, &buf)->byte_rate[FLOW_DIR_ORIG] == 0);
	rate_list_free(&rl);

	snapshot_publish(&slot, s);
	r = snapshot_acquire(&slot);
	assert_ptr_equal(r, s);
	/* publishing a newer one leaves the reader's copy intact */
	snapshot_publish(&slot, snapshot_build(tab, &m, true, NULL));
	assert_int_equal(r->n, 5);
	/* the snapshot outlives the table's owner: it holds its own reference */
	flowtab_free(tab);
	assert_int_equal(ntohs(snapshot_flow(r, 0, &buf)->key.sport), 3);
	snapshot_put(r);
	snapshot_publish(&slot, NULL);
	assert_null(snapshot_acquire(&slot));
}

/* Many rows in shuffled order: sorted, and every row still there once. */
static void test_snapshot_sort_permutation(void **state)
{
	enum { N = 5000 };
	struct flowtab *tab = flowtab_new(0);
	struct snapshot_meta m = { .seq = 1 };
	struct snapshot *s;
	unsigned char seen[N] = { 0 };
	static float want[N];
	struct rate_list rl = { 0 };
	uint32_t x = 12345;
	bool created;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k = udp4_key(0xc0000200 + (i >> 16), i & 0xffff);

		x = x * 1103515245 + 12345;
		flowtab_upsert(tab, &k, &created)->ct_id = i;
		want[i] = (float)((x >> 16) % 50);
	}
	/* listed backwards, as a read in slot order lists them: any order */
	for (uint32_t i = N; i-- > 0;) {
		struct flow_key k = udp4_key(0xc0000200 + (i >> 16), i & 0xffff);
		struct flow_rates fr = { .byte_rate = { want[i], 0 } };

		if (want[i] > 0)
			assert_int_equal(rate_list_add(&rl, flowtab_index(tab,
					 flowtab_lookup(tab, &k)), &fr), 0);
	}
	s = snapshot_build(tab, &m, true, &rl);
	rate_list_free(&rl);
	assert_non_null(s);
	assert_int_equal(s->n, N);
	for (size_t i = 0; i < N; i++) {
		struct flow fb, pb;
		const struct flow *f = snapshot_flow(s, i, &fb);

		assert_true(f->ct_id < N);
		assert_int_equal(seen[f->ct_id], 0);
		seen[f->ct_id] = 1;
		/* the row moved whole: its key still matches its id */
		assert_int_equal(ntohs(f->key.sport), f->ct_id & 0xffff);
		/* and it has its own rate, from the list */
		assert_true(f->byte_rate[0] == want[f->ct_id]);
		if (i) {
			const struct flow *p = snapshot_flow(s, i - 1, &pb);

			assert_true(p->byte_rate[0] >= f->byte_rate[0]);
			if (p->byte_rate[0] == f->byte_rate[0])
				assert_true(p->ct_id < f->ct_id);
		}
	}
	snapshot_put(s);
	flowtab_free(tab);
}

/*
 * A removed flow's index is not handed out again while a snapshot that may
 * show it is held: the snapshot keeps reading the old flow's key under it.
 */
static void test_index_reused_only_after_snapshots(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	struct snapshot_pool pool = { 0 };
	struct snapshot_meta m = { .seq = 1 };
	struct flow_key a = udp4_key(0xc0000201, 1000);
	struct flow_key b = udp4_key(0xc0000201, 2000);
	struct snapshot *s;
	struct flow_rec *f, *g;
	struct flow buf;
	uint32_t old_idx;
	bool created;

	(void)state;
	f = flowtab_upsert(tab, &a, &created);
	f->ct_id = 7;
	old_idx = flowtab_index(tab, f);
	s = snapshot_pool_build(&pool, tab, &m, false, NULL);
	assert_non_null(s);
	flowtab_remove(tab, f);
	/* s is held: the index stays out of use */
	snapshot_pool_collect(&pool, tab);
	g = flowtab_upsert(tab, &b, &created);
	assert_true(flowtab_index(tab, g) != old_idx);
	assert_int_equal(ntohs(snapshot_flow(s, 0, &buf)->key.sport), 1000);
	assert_int_equal(snapshot_flow(s, 0, &buf)->ct_id, 7);
	flowtab_remove(tab, g);
	/* released: both indices come back, the warmest first */
	snapshot_put(s);
	snapshot_pool_collect(&pool, tab);
	assert_int_equal(pool.n, 0);
	assert_non_null(pool.spare);	/* rows kept for the next build */
	f = flowtab_upsert(tab, &a, &created);
	g = flowtab_upsert(tab, &b, &created);
	assert_true(flowtab_index(tab, f) == old_idx ||
		    flowtab_index(tab, g) == old_idx);
	assert_true(flowtab_index(tab, f) < 2 && flowtab_index(tab, g) < 2);
	assert_int_equal(flowtab_span(tab), 2);
	m.seq = 2;
	s = snapshot_pool_build(&pool, tab, &m, false, NULL);
	assert_int_equal(s->n, 2);
	assert_null(pool.spare);	/* taken by this build */
	snapshot_put(s);
	snapshot_pool_clear(&pool);
	flowtab_free(tab);
}

/* A new connection on a tuple gets a fresh entry; the old one is kept. */
static void test_renew_keeps_old_connection(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	struct snapshot_meta m = { .seq = 1 };
	struct flow_key a = udp4_key(0xc0000201, 1000);
	struct flow_rec *f, *n;
	struct snapshot *s;
	struct flow buf;
	bool created;

	(void)state;
	f = flowtab_upsert(tab, &a, &created);
	f->ct_id = 1;
	for (uint16_t p = 1; p < 40; p++) {	/* share the chain with others */
		struct flow_key k = udp4_key(0xc0000202, p);

		flowtab_upsert(tab, &k, &created)->ct_id = 100 + p;
	}
	s = snapshot_build(tab, &m, false, NULL);
	flowtab_set_epoch(tab, 1);
	n = flowtab_renew(tab, flowtab_lookup(tab, &a));
	assert_non_null(n);
	assert_int_equal(n->ct_id, 0);
	n->ct_id = 2;
	assert_ptr_equal(flowtab_lookup(tab, &a), n);
	assert_int_equal(flowtab_count(tab), 40);
	for (size_t i = 0; i < s->n; i++) {
		const struct flow *r = snapshot_flow(s, i, &buf);

		if (!memcmp(&r->key, &a, sizeof(a)))
			assert_int_equal(r->ct_id, 1);
	}
	for (uint16_t p = 1; p < 40; p++) {
		struct flow_key k = udp4_key(0xc0000202, p);

		assert_int_equal(flowtab_lookup(tab, &k)->ct_id, 100 + p);
	}
	snapshot_put(s);
	flowtab_free(tab);
}

/*
 * A snapshot shows the flows as of its own generation: what the collector
 * changes after it was built (state, flags, totals, rates) shows in the
 * next snapshot only, and the versions kept for the older one go when it
 * is released.
 */
static void test_snapshot_keeps_its_version(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	struct snapshot_pool pool = { 0 };
	struct snapshot_meta m = { .seq = 1, .interval = 1.0 };
	struct flow_key a = udp4_key(0xc0000201, 1000);
	struct flow_key b = udp4_key(0xc0000201, 2000);
	struct rate_list rl = { 0 };
	struct flow_rates fr = { .byte_rate = { 500, 0 } };
	struct snapshot *s1, *s2, *s3;
	struct flow_rec *fa, *fb;
	const struct flow *f;
	struct flow buf;
	bool created;

	(void)state;
	fa = flowtab_upsert(tab, &a, &created);
	fb = flowtab_upsert(tab, &b, &created);
	fa->ct_id = 1;
	fb->ct_id = 2;
	fa->state = 3;
	fa->total.bytes[0] = 1000;
	fa->counters_valid = true;
	assert_int_equal(rate_list_add(&rl, flowtab_index(tab, fa), &fr), 0);
	s1 = snapshot_pool_build(&pool, tab, &m, true, &rl);
	assert_non_null(s1);
	assert_int_equal(flowtab_undo_count(tab), 0);

	/* the next interval: a moves on, b ends */
	flowtab_touch(tab, fa);
	fa->state = 4;
	fa->total.bytes[0] = 1700;
	flowtab_touch(tab, fa);		/* twice in a generation: one version */
	fa->total.bytes[1] = 9;
	flowtab_touch(tab, fb);
	fb->destroyed = true;
	assert_int_equal(flowtab_undo_count(tab), 2);
	f = snapshot_flow(s1, 0, &buf);
	assert_int_equal(f->ct_id, 1);
	assert_int_equal(f->state, 3);
	assert_true(f->total.bytes[0] == 1000 && f->total.bytes[1] == 0);
	assert_true(f->byte_rate[0] == 500);
	assert_false(snapshot_flow(s1, 1, &buf)->destroyed);

	rate_list_clear(&rl);
	fr.byte_rate[0] = 700;
	assert_int_equal(rate_list_add(&rl, flowtab_index(tab, fa), &fr), 0);
	m.seq = 2;
	s2 = snapshot_pool_build(&pool, tab, &m, true, &rl);
	assert_non_null(s2);
	f = snapshot_flow(s2, 0, &buf);
	assert_int_equal(f->state, 4);
	assert_true(f->total.bytes[0] == 1700 && f->total.bytes[1] == 9);
	assert_true(f->byte_rate[0] == 700);
	assert_true(snapshot_flow(s2, 1, &buf)->destroyed);
	/* s1 unchanged, rates included */
	f = snapshot_flow(s1, 0, &buf);
	assert_true(f->total.bytes[0] == 1000 && f->byte_rate[0] == 500);

	/* a third generation: no reading for a, so no rate; b is reaped */
	flowtab_remove(tab, fb);
	m.seq = 3;
	s3 = snapshot_pool_build(&pool, tab, &m, true, NULL);
	assert_int_equal(s3->n, 1);
	f = snapshot_flow(s3, 0, &buf);
	assert_true(f->total.bytes[0] == 1700 && f->byte_rate[0] == 0);
	assert_true(snapshot_flow(s2, 0, &buf)->byte_rate[0] == 700);
	assert_true(snapshot_flow(s1, 0, &buf)->byte_rate[0] == 500);
	assert_true(snapshot_flow(s2, 1, &buf)->destroyed);

	/* released: the versions only they could show go (a's rates are
	 * each snapshot's own: the table kept nothing for them) */
	snapshot_put(s1);
	snapshot_pool_collect(&pool, tab);
	assert_int_equal(flowtab_undo_count(tab), 0);
	snapshot_put(s2);
	snapshot_pool_collect(&pool, tab);
	assert_int_equal(flowtab_undo_count(tab), 0);
	assert_true(snapshot_flow(s3, 0, &buf)->total.bytes[0] == 1700);
	snapshot_put(s3);
	snapshot_pool_clear(&pool);
	rate_list_free(&rl);
	flowtab_free(tab);
}

/* two versions' fields equal (a flow_vals has padding: not memcmp) */
static void assert_vals_equal(const struct flow_vals *a, const struct flow_vals *b)
{
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->destroyed, b->destroyed);
	assert_int_equal(a->counters_valid, b->counters_valid);
	assert_int_equal(a->counts_from_zero, b->counts_from_zero);
	assert_int_equal(a->events_seen, b->events_seen);
	assert_int_equal(a->offloaded, b->offloaded);
	assert_int_equal(a->whole_life, b->whole_life);
	assert_memory_equal(&a->total, &b->total, sizeof(a->total));
	assert_memory_equal(&a->rates, &b->rates, sizeof(a->rates));
}

/* f's versioned fields, as snapshot_flow gave them, equal v's */
static void assert_flow_has_vals(const struct flow *f, const struct flow_vals *v)
{
	struct flow_vals got = {
		.state = f->state, .destroyed = f->destroyed,
		.counters_valid = f->counters_valid,
		.counts_from_zero = f->counts_from_zero,
		.events_seen = f->events_seen, .offloaded = f->offloaded,
		.whole_life = f->whole_life, .total = f->total,
	};

	memcpy(got.rates.pkt_rate, f->pkt_rate, sizeof(f->pkt_rate));
	memcpy(got.rates.byte_rate, f->byte_rate, sizeof(f->byte_rate));
	assert_vals_equal(&got, v);
}

/*
 * The reads of whole passes (snapshot_vals, snapshot_flow: the record
 * read in place when it was not written since the snapshot) give a held
 * snapshot its own version of every versioned field, flag by flag, while
 * the collector rewrites the record in the next generations, and the
 * newer snapshot the new one; a flow not written since is read in place.
 */
/* a table of two flows and its snapshots, for the reads' tests */
struct two_flows {
	struct flowtab *tab;
	struct snapshot_pool pool;
	uint64_t seq;
	struct flow_rec *fa, *fb;
};

static void two_flows_new(struct two_flows *t)
{
	struct flow_key a = udp4_key(0xc0000201, 1000);
	struct flow_key b = udp4_key(0xc0000201, 2000);
	bool created;

	memset(t, 0, sizeof(*t));
	t->tab = flowtab_new(0);
	assert_non_null(t->tab);
	t->fa = flowtab_upsert(t->tab, &a, &created);
	t->fb = flowtab_upsert(t->tab, &b, &created);
	assert_true(t->fa && t->fb);
}

/* the next snapshot, in table order (a first), with rates rl */
static struct snapshot *two_flows_snap(struct two_flows *t,
				       struct rate_list *rl)
{
	struct snapshot_meta m = { .seq = ++t->seq, .interval = 1.0 };
	struct snapshot *s = snapshot_pool_build(&t->pool, t->tab, &m, false,
						 rl);

	assert_non_null(s);
	assert_int_equal(s->n, 2);
	assert_ptr_equal(snapshot_rec(s, 0), t->fa);
	return s;
}

static void test_pass_reads_keep_version(void **state)
{
	struct two_flows t;
	struct rate_list rl = { 0 };
	struct flow_rates fr = { .pkt_rate = { 3, 4 }, .byte_rate = { 500, 600 } };
	struct flow_vals old, v, nb;
	struct snapshot *s1, *s2, *s3;
	struct flow_rec *fa, *fb;
	struct flow buf;

	(void)state;
	two_flows_new(&t);
	fa = t.fa;
	fb = t.fb;
	fa->state = 3;
	fa->counters_valid = true;
	fa->whole_life = true;
	fa->total = (struct flow_counters){ { 1, 2 }, { 1000, 2000 } };
	fb->state = 7;
	fb->events_seen = true;
	fb->total.bytes[0] = 42;
	assert_int_equal(rate_list_add(&rl, flowtab_index(t.tab, fa), &fr), 0);
	s1 = two_flows_snap(&t, &rl);
	snapshot_vals(s1, 0, &old);
	assert_int_equal(old.state, 3);
	assert_true(old.counters_valid && old.whole_life && !old.destroyed &&
		    !old.counts_from_zero && !old.events_seen && !old.offloaded);
	assert_true(old.total.bytes[1] == 2000 && old.total.packets[0] == 1);
	assert_true(old.rates.byte_rate[1] == 600 && old.rates.pkt_rate[0] == 3);
	assert_flow_has_vals(snapshot_flow(s1, 0, &buf), &old);
	snapshot_vals(s1, 1, &nb);
	assert_true(nb.state == 7 && nb.events_seen && nb.total.bytes[0] == 42);

	/* every field of a rewritten while s1 is held: wgen moves first,
	 * so s1 reads the version kept, not the record */
	flowtab_touch(t.tab, fa);
	snapshot_vals(s1, 0, &v);
	assert_vals_equal(&v, &old);
	fa->state = 9;
	fa->destroyed = true;
	fa->counters_valid = false;
	fa->counts_from_zero = true;
	fa->events_seen = true;
	fa->offloaded = true;
	fa->whole_life = false;
	fa->total = (struct flow_counters){ { 5, 6 }, { 7000, 8000 } };
	snapshot_vals(s1, 0, &v);
	assert_vals_equal(&v, &old);
	assert_flow_has_vals(snapshot_flow(s1, 0, &buf), &old);
	/* b untouched: read in place, the same as before */
	snapshot_vals(s1, 1, &v);
	assert_vals_equal(&v, &nb);
	assert_flow_has_vals(snapshot_flow(s1, 1, &buf), &nb);

	s2 = two_flows_snap(&t, NULL);
	snapshot_vals(s2, 0, &v);
	assert_true(v.state == 9 && v.destroyed && !v.counters_valid &&
		    v.counts_from_zero && v.events_seen && v.offloaded &&
		    !v.whole_life);
	assert_true(v.total.bytes[1] == 8000 && v.total.packets[0] == 5);
	/* no reading for a in s2's interval: its rates went back to 0 */
	assert_true(v.rates.byte_rate[0] == 0 && v.rates.pkt_rate[1] == 0);
	assert_flow_has_vals(snapshot_flow(s2, 0, &buf), &v);
	assert_flow_has_vals(snapshot_flow(s1, 0, &buf), &old);

	/* a third generation rewrites a again: s1 and s2 each keep theirs */
	flowtab_touch(t.tab, fa);
	fa->state = 11;
	fa->total.bytes[0] = 1;
	snapshot_vals(s2, 0, &nb);
	assert_vals_equal(&nb, &v);
	snapshot_vals(s1, 0, &nb);
	assert_vals_equal(&nb, &old);
	s3 = two_flows_snap(&t, NULL);
	snapshot_vals(s3, 0, &nb);
	assert_true(nb.state == 11 && nb.total.bytes[0] == 1);
	assert_flow_has_vals(snapshot_flow(s3, 0, &buf), &nb);

	snapshot_put(s1);
	snapshot_put(s2);
	snapshot_put(s3);
	snapshot_pool_clear(&t.pool);
	rate_list_free(&rl);
	flowtab_free(t.tab);
}

/*
 * Readers on another thread while the collector writes: every row of every
 * snapshot they take is the flow as of that snapshot's generation, whole
 * (never half one version, half the next), while versions come and go.
 * Flow i changes in generation g when (i + g) % 3 == 0: all its counters
 * become g, its rate g too, its state g % 200.
 */
enum { VER_FLOWS = 3000, VER_GENS = 400 };

struct ver_reader {
	struct snapshot_slot *slot;
	atomic_int done;
	size_t checked, bad;
};

static uint64_t ver_expect(uint32_t ct_id, uint64_t gen)
{
	for (uint64_t g = gen; g > 0; g--)
		if ((ct_id + g) % 3 == 0)
			return g;
	return 0;
}

static void *ver_read(void *arg)
{
	struct ver_reader *r = arg;

	while (!atomic_load(&r->done)) {
		struct snapshot *s = snapshot_acquire(r->slot);
		struct flow buf;

		if (!s)
			continue;
		for (size_t i = 0; i < s->n; i++) {
			const struct flow *f = snapshot_flow(s, i, &buf);
			uint64_t want = ver_expect(f->ct_id, s->gen);
			float rate = (f->ct_id + s->gen) % 3 == 0 ? (float)s->gen : 0;
			struct flow_vals v;

			r->checked++;
			if (f->total.packets[0] != want || f->total.packets[1] != want ||
			    f->total.bytes[0] != want || f->total.bytes[1] != want ||
			    f->state != want % 200 || f->byte_rate[0] != rate)
				r->bad++;
			/* the counters-only read of a pass, the same */
			snapshot_vals(s, i, &v);
			if (v.total.packets[0] != want || v.total.packets[1] != want ||
			    v.total.bytes[0] != want || v.total.bytes[1] != want ||
			    v.state != want % 200 || v.rates.byte_rate[0] != rate)
				r->bad++;
		}
		snapshot_put(s);
	}
	return NULL;
}

static void test_versions_under_concurrent_reads(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	struct snapshot_pool pool = { 0 };
	struct snapshot_slot slot = SNAPSHOT_SLOT_INIT;
	struct ver_reader r = { .slot = &slot };
	struct snapshot_meta m = { .interval = 1.0 };
	struct rate_list rl = { 0 };
	struct flow_rec *f[VER_FLOWS];
	pthread_t th;
	bool created;

	(void)state;
	for (uint32_t i = 0; i < VER_FLOWS; i++) {
		struct flow_key k = udp4_key(0xc0000200 + (i >> 16), (uint16_t)i);

		f[i] = flowtab_upsert(tab, &k, &created);
		f[i]->ct_id = i;
		f[i]->state = 0;
	}
	atomic_init(&r.done, 0);
	assert_int_equal(pthread_create(&th, NULL, ver_read, &r), 0);
	for (uint64_t g = 1; g <= VER_GENS; g++) {
		assert_int_equal(flowtab_gen(tab), g);
		rate_list_clear(&rl);
		for (uint32_t i = 0; i < VER_FLOWS; i++) {
			struct flow_rates fr = { .byte_rate = { (float)g, 0 } };

			if ((i + g) % 3)
				continue;
			flowtab_touch(tab, f[i]);
			f[i]->state = (uint8_t)(g % 200);
			f[i]->total.packets[0] = g;
			f[i]->total.packets[1] = g;
			f[i]->total.bytes[0] = g;
			f[i]->total.bytes[1] = g;
			assert_int_equal(rate_list_add(&rl, i, &fr), 0);
		}
		m.seq = g;
		snapshot_publish(&slot, snapshot_pool_build(&pool, tab, &m,
							    g & 1, &rl));
		snapshot_pool_collect(&pool, tab);
	}
	atomic_store(&r.done, 1);
	pthread_join(th, NULL);
	assert_true(r.checked > 0);
	assert_int_equal(r.bad, 0);
	snapshot_publish(&slot, NULL);
	snapshot_pool_collect(&pool, tab);
	/* nothing held: no version kept */
	assert_int_equal(flowtab_undo_count(tab), 0);
	snapshot_pool_clear(&pool);
	rate_list_free(&rl);
	flowtab_free(tab);
}

/* End of an interval: destroyed flows go, silent ones count. */
static void test_end_interval(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	struct flow_key k[4];
	struct flow_rec *f[4];
	size_t silent = 99;
	bool created;

	(void)state;
	for (int i = 0; i < 4; i++) {
		k[i] = udp4_key(0xc0000201, (uint16_t)(100 + i));
		f[i] = flowtab_upsert(tab, &k[i], &created);
		f[i]->total.bytes[0] = 1000;
	}
	flowtab_set_destroyed(tab, f[0]);
	flowtab_set_destroyed(tab, f[0]);	/* once is what counts */
	flowtab_set_events_seen(tab, f[1]);
	assert_int_equal(flowtab_end_interval(tab, &silent), 1);
	assert_int_equal(silent, 2);	/* f[2], f[3]: no event named them */
	assert_null(flowtab_lookup(tab, &k[0]));
	for (int i = 1; i < 4; i++) {
		assert_ptr_equal(flowtab_lookup(tab, &k[i]), f[i]);
		assert_true(f[i]->total.bytes[0] == 1000);	/* totals stay */
	}
	/* nothing ended since: nothing goes */
	assert_int_equal(flowtab_end_interval(tab, &silent), 0);
	assert_int_equal(silent, 2);
	/* a silent flow that ends, one removed by a sweep, one renewed (the
	 * new connection silent until an event names it) */
	flowtab_set_destroyed(tab, f[2]);
	flowtab_remove(tab, f[3]);
	assert_non_null(flowtab_renew(tab, f[1]));
	assert_int_equal(flowtab_end_interval(tab, &silent), 1);
	assert_int_equal(silent, 1);
	assert_int_equal(flowtab_count(tab), 1);
	flowtab_free(tab);
}

/*
 * Reply tuples: a mirror of the key takes no NAT entry; a NAT'd one does,
 * keeps it while a snapshot can show the flow, and gives it back with the
 * index.
 */
static void test_nat_reply_store(void **state)
{
	struct flowtab *tab = flowtab_new(0);
	struct snapshot_pool pool = { 0 };
	struct snapshot_meta m = { .seq = 1 };
	struct flow_key a = udp4_key(0xc0000201, 1000);
	struct flow_key b = udp4_key(0xc0000201, 2000);
	struct flow_key c = udp4_key(0xc0000201, 3000);
	struct flow_key mirror, nat_b, nat_c, got;
	struct flow_rec *fa, *fb, *fc;
	struct snapshot *s;
	struct flow buf;
	uint32_t b_nat;
	bool created;

	(void)state;
	fa = flowtab_upsert(tab, &a, &created);
	/* the kernel's reply of an un-NAT'd flow: the original turned round */
	mirror = a;
	memcpy(mirror.src, a.dst, sizeof(mirror.src));
	memcpy(mirror.dst, a.src, sizeof(mirror.dst));
	mirror.sport = a.dport;
	mirror.dport = a.sport;
	assert_int_equal(flowtab_set_reply(tab, fa, &mirror), 0);
	assert_int_equal(flowtab_nat(tab, fa), 0);
	flowtab_reply(tab, fa, &got);
	assert_memory_equal(&got, &mirror, sizeof(got));

	/* masqueraded: the reply goes to the router's address and port */
	fb = flowtab_upsert(tab, &b, &created);
	nat_b = b;
	memcpy(nat_b.src, b.dst, sizeof(nat_b.src));
	nat_b.dst[0] = htonl(0xcb007101);	/* 203.0.113.1 */
	nat_b.sport = b.dport;
	nat_b.dport = htons(61000);
	assert_int_equal(flowtab_set_reply(tab, fb, &nat_b), 0);
	assert_int_not_equal(flowtab_nat(tab, fb), 0);
	b_nat = flowtab_nat(tab, fb);
	flowtab_reply(tab, fb, &got);
	assert_memory_equal(&got, &nat_b, sizeof(got));

	s = snapshot_pool_build(&pool, tab, &m, false, NULL);
	assert_non_null(s);
	for (size_t i = 0; i < s->n; i++) {
		const struct flow *f = snapshot_flow(s, i, &buf);

		assert_memory_equal(&f->reply,
				    f->key.sport == b.sport ? &nat_b : &mirror,
				    sizeof(f->reply));
	}
	/* gone from the table, still in s: its entry is not handed out */
	flowtab_remove(tab, fb);
	snapshot_pool_collect(&pool, tab);
	fc = flowtab_upsert(tab, &c, &created);
	nat_c = nat_b;
	nat_c.dport = htons(61001);
	assert_int_equal(flowtab_set_reply(tab, fc, &nat_c), 0);
	assert_int_not_equal(flowtab_nat(tab, fc), b_nat);
	for (size_t i = 0; i < s->n; i++) {
		const struct flow *f = snapshot_flow(s, i, &buf);

		if (f->key.sport == b.sport)
			assert_memory_equal(&f->reply, &nat_b, sizeof(nat_b));
	}
	/* s released: b's index and NAT entry come back for the next flow */
	snapshot_put(s);
	m.seq = 2;
	s = snapshot_pool_build(&pool, tab, &m, false, NULL);
	snapshot_put(s);
	snapshot_pool_collect(&pool, tab);
	fb = flowtab_upsert(tab, &b, &created);
	assert_int_equal(flowtab_nat(tab, fb), 0);
	assert_int_equal(flowtab_set_reply(tab, fb, &nat_b), 0);
	assert_int_equal(flowtab_nat(tab, fb), b_nat);
	flowtab_reply(tab, fc, &got);
	assert_memory_equal(&got, &nat_c, sizeof(got));
	snapshot_pool_clear(&pool);
	flowtab_free(tab);
}

/* The record's size: what the table's memory per flow follows from. */
static void test_record_size(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct flow_rec), 96);
	assert_int_equal(offsetof(struct flow_rec, total), 64);
}

/* key j of generation g (a new connection on a new address each time) */
static struct flow_key churn_key(uint32_t j, uint32_t g)
{
	return udp4_key(0xc0000200 + g, (uint16_t)(1000 + j));
}

/*
 * Flows come and go many times over: tombstones, their reuse, the hash
 * index rebuilt in place and grown. Every live flow stays reachable at its
 * own record, no flow removed is found, renewed ones take their
 * predecessor's place.
 */
static void test_hash_churn(void **state)
{
	enum { LIVE = 3000, ROUNDS = 40 };
	static struct flow_rec *rec[LIVE];
	static uint32_t gen[LIVE];
	struct flowtab *tab = flowtab_new(0);
	uint32_t x = 7;
	bool created;

	(void)state;
	assert_non_null(tab);
	for (uint32_t j = 0; j < LIVE; j++) {
		struct flow_key k = churn_key(j, 0);

		gen[j] = 0;
		rec[j] = flowtab_upsert(tab, &k, &created);
		assert_true(rec[j] && created);
		rec[j]->ct_id = j;
	}
	for (uint32_t r = 1; r <= ROUNDS; r++) {
		for (uint32_t t = 0; t < LIVE / 2; t++) {
			struct flow_key k;
			uint32_t j;

			x = x * 1103515245 + 12345;
			j = (x >> 8) % LIVE;
			k = churn_key(j, gen[j]);
			assert_ptr_equal(flowtab_lookup(tab, &k), rec[j]);
			if (t % 5 == 0) {
				/* a new connection on the same tuple */
				rec[j] = flowtab_renew(tab, rec[j]);
				assert_non_null(rec[j]);
				rec[j]->ct_id = j | r << 16;
				continue;
			}
			flowtab_remove(tab, rec[j]);
			assert_null(flowtab_lookup(tab, &k));
			k = churn_key(j, ++gen[j]);
			assert_true(gen[j] < 256);
			rec[j] = flowtab_upsert(tab, &k, &created);
			assert_true(rec[j] && created);
			rec[j]->ct_id = j | r << 16;
		}
		/* no snapshot: the indices come back for the next round */
		flowtab_reclaim(tab, 1);
		for (uint32_t j = 0; j < LIVE; j++) {
			struct flow_key k = churn_key(j, gen[j]);

			assert_ptr_equal(flowtab_lookup(tab, &k), rec[j]);
			assert_int_equal(rec[j]->ct_id & 0xffff, j);
			if (gen[j]) {
				k = churn_key(j, gen[j] - 1);
				assert_null(flowtab_lookup(tab, &k));
			}
		}
		assert_int_equal(flowtab_count(tab), LIVE);
	}
	/* the indices were reused, not taken anew */
	assert_true(flowtab_span(tab) < 2 * LIVE);
	flowtab_free(tab);
}

/* rates of flow id under reading set w (0: none), for the rows' test */
static float rows_rate(uint32_t id, int w)
{
	if (w == 1)
		return id == 14 ? 7777 : id % 7 == 0 ? (float)id + 1 : 0;
	return id % 5 == 1 ? 2 * (float)id : 0;
}

/* every row of s has the rates of reading set w, by snapshot_flow and vals */
static void rows_check(const struct snapshot *s, int w)
{
	size_t moved = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct flow buf;
		struct flow_vals v;
		const struct flow *f = snapshot_flow(s, i, &buf);
		float want = rows_rate(f->ct_id, w);

		assert_true(f->byte_rate[0] == want);
		assert_true(f->pkt_rate[1] == want / 2);
		assert_true(f->byte_rate[1] == 0 && f->pkt_rate[0] == 0);
		snapshot_vals(s, i, &v);
		assert_true(v.rates.byte_rate[0] == want);
		assert_true(v.rates.pkt_rate[1] == want / 2);
		assert_true((snapshot_rates(s, i) != NULL) == (want != 0));
		moved += want != 0;
	}
	assert_int_equal(s->nrates, moved);
}

/*
 * Rates are the snapshot's own, for the rows that moved: over several
 * words of rows, in table order and sorted, with an index listed twice
 * (the later reading counts) and one whose flow went before the snapshot
 * (no row); a held snapshot keeps its rates while newer ones get others.
 */
static void test_snapshot_rates_rows(void **state)
{
	enum { N = 300 };
	struct flowtab *tab = flowtab_new(0);
	struct snapshot_pool pool = { 0 };
	struct snapshot_meta m = { .seq = 1, .interval = 1.0 };
	struct rate_list rl = { 0 };
	struct flow_rec *f[N];
	struct snapshot *s1, *s2, *s3;
	bool created;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k = udp4_key(0xc0000201, (uint16_t)(1000 + i));

		f[i] = flowtab_upsert(tab, &k, &created);
		f[i]->ct_id = i;
	}
	for (uint32_t i = 0; i < N; i++) {
		float r = i % 7 == 0 ? (float)i + 1 : 0;
		struct flow_rates fr = { .pkt_rate = { 0, r / 2 },
					 .byte_rate = { r, 0 } };

		if (r != 0 || i == 5)
			assert_int_equal(rate_list_add(&rl, flowtab_index(tab, f[i]),
						       &fr), 0);
	}
	/* 14 read again: the later reading counts */
	{
		struct flow_rates fr = { .pkt_rate = { 0, 7777.0f / 2 },
					 .byte_rate = { 7777, 0 } };

		assert_int_equal(rate_list_add(&rl, flowtab_index(tab, f[14]),
					       &fr), 0);
	}
	/* 5 goes before the snapshot: its reading has no row */
	flowtab_remove(tab, f[5]);
	s1 = snapshot_pool_build(&pool, tab, &m, false, &rl);
	assert_non_null(s1);
	assert_int_equal(s1->n, N - 1);
	rows_check(s1, 1);

	/* the next interval: others moved; sorted this time */
	rate_list_clear(&rl);
	for (uint32_t i = 0; i < N; i++) {
		float r = i % 5 == 1 ? 2 * (float)i : 0;
		struct flow_rates fr = { .pkt_rate = { 0, r / 2 },
					 .byte_rate = { r, 0 } };

		if (r != 0 && i != 5)
			assert_int_equal(rate_list_add(&rl, flowtab_index(tab, f[i]),
						       &fr), 0);
	}
	m.seq = 2;
	s2 = snapshot_pool_build(&pool, tab, &m, true, &rl);
	assert_non_null(s2);
	rows_check(s2, 2);
	for (size_t i = 1; i < s2->n; i++) {
		struct flow a, b;

		assert_true(snapshot_flow(s2, i - 1, &a)->byte_rate[0] >=
			    snapshot_flow(s2, i, &b)->byte_rate[0]);
	}
	/* s1 keeps its own */
	rows_check(s1, 1);
	/* no reading: no rates at all */
	m.seq = 3;
	s3 = snapshot_pool_build(&pool, tab, &m, false, NULL);
	assert_non_null(s3);
	assert_null(s3->moved);
	for (size_t i = 0; i < s3->n; i++) {
		struct flow buf;

		assert_true(snapshot_flow(s3, i, &buf)->byte_rate[0] == 0);
	}
	rows_check(s1, 1);
	rows_check(s2, 2);
	snapshot_put(s1);
	snapshot_put(s2);
	snapshot_put(s3);
	snapshot_pool_clear(&pool);
	rate_list_free(&rl);
	flowtab_free(tab);
}

/*
 * Marks live beside the records, by index: 0 where none was set, read
 * through a snapshot as the flow's, kept while a snapshot may show the
 * flow; a new flow on a reused index starts with neither its
 * predecessor's mark nor its dump mark.
 */
static void test_mark_store(void **state)
{
	struct two_flows t;
	struct snapshot_meta m = { .seq = 100 };
	struct flow_key c = udp4_key(0xc0000201, 3000);
	struct flow_rec *fa, *fb, *fc;
	struct snapshot *s;
	struct flow buf;
	uint32_t old;
	bool created;

	(void)state;
	two_flows_new(&t);
	fa = t.fa;
	fb = t.fb;
	assert_int_equal(flowtab_mark(t.tab, fa), 0);
	assert_int_equal(flowtab_set_mark(t.tab, fa, 0), 0);
	assert_int_equal(flowtab_mark(t.tab, fa), 0);
	assert_int_equal(flowtab_set_mark(t.tab, fa, 0x42), 0);
	assert_int_equal(flowtab_mark(t.tab, fa), 0x42);
	assert_int_equal(flowtab_mark(t.tab, fb), 0);
	assert_int_equal(flowtab_set_mark(t.tab, fb, 7), 0);
	flowtab_set_seen(t.tab, fa, 3);
	s = two_flows_snap(&t, NULL);
	assert_int_equal(snapshot_flow(s, 0, &buf)->mark, 0x42);
	assert_int_equal(snapshot_flow(s, 1, &buf)->mark, 7);
	old = flowtab_index(t.tab, fa);
	flowtab_remove(t.tab, fa);
	snapshot_pool_collect(&t.pool, t.tab);
	/* still in s: its mark with it */
	assert_int_equal(snapshot_flow(s, 0, &buf)->mark, 0x42);
	snapshot_put(s);
	snapshot_put(snapshot_pool_build(&t.pool, t.tab, &m, false, NULL));
	snapshot_pool_collect(&t.pool, t.tab);
	fc = flowtab_upsert(t.tab, &c, &created);
	assert_int_equal(flowtab_index(t.tab, fc), old);
	assert_int_equal(flowtab_mark(t.tab, fc), 0);
	assert_false(flowtab_seen(t.tab, fc, 3));
	assert_int_equal(flowtab_mark(t.tab, fb), 7);
	snapshot_pool_clear(&t.pool);
	flowtab_free(t.tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_layout),
		cmocka_unit_test(test_upsert_lookup_remove),
		cmocka_unit_test(test_grow_keeps_everything),
		cmocka_unit_test(test_grow_moves_a_few_at_a_time),
		cmocka_unit_test(test_sweep_and_reap),
		cmocka_unit_test(test_counter_delta),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_first_reading_without_baseline),
		cmocka_unit_test(test_snapshot_sorted_and_refcounted),
		cmocka_unit_test(test_snapshot_sort_permutation),
		cmocka_unit_test(test_index_reused_only_after_snapshots),
		cmocka_unit_test(test_renew_keeps_old_connection),
		cmocka_unit_test(test_snapshot_keeps_its_version),
		cmocka_unit_test(test_pass_reads_keep_version),
		cmocka_unit_test(test_versions_under_concurrent_reads),
		cmocka_unit_test(test_end_interval),
		cmocka_unit_test(test_nat_reply_store),
		cmocka_unit_test(test_record_size),
		cmocka_unit_test(test_hash_churn),
		cmocka_unit_test(test_snapshot_rates_rows),
		cmocka_unit_test(test_mark_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
