// SPDX-License-Identifier: GPL-2.0
/*
 * acct: backend and counter layout names (what --acct and --counter-map
 * accept), and, as root, the two counter layouts' bookkeeping with the
 * netfilter program loaded in a private network namespace (no packets
 * reach it; acct_set stands in for the program): what a read reports,
 * forgetting, slot reuse after quarantine, orphan reclaim, a full map,
 * and who owns an entry when a tuple is reused (the lru shares a read
 * sums, when a destroyed connection's key may go). Without root or BPF the
 * layout tests are skipped.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "acct.h"
#include "flowtab.h"
/* the owner rules and the layouts' fds: internal, tested here */
#include "../../src/acct_internal.h"

static void test_names_round_trip(void **state)
{
	static const enum acct_kind kinds[] = {
		ACCT_AUTO, ACCT_NETFILTER, ACCT_FENTRY, ACCT_KPROBE,
		ACCT_CONNTRACK,
	};
	static const char *const names[] = {
		"auto", "netfilter", "fentry", "kprobe", "conntrack",
	};
	enum acct_layout l;
	enum acct_kind k;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_string_equal(acct_kind_name(kinds[i]), names[i]);
		k = (enum acct_kind)-1;
		assert_int_equal(acct_kind_parse(names[i], &k), 0);
		assert_int_equal(k, kinds[i]);
	}
	assert_string_equal(acct_layout_name(ACCT_LAYOUT_SLOTS), "slots");
	assert_string_equal(acct_layout_name(ACCT_LAYOUT_LRU), "lru");
	assert_int_equal(acct_layout_parse("lru", &l), 0);
	assert_int_equal(l, ACCT_LAYOUT_LRU);
	assert_int_equal(acct_layout_parse("slots", &l), 0);
	assert_int_equal(l, ACCT_LAYOUT_SLOTS);
}

static void test_parse_rejects(void **state)
{
	enum acct_layout l = ACCT_LAYOUT_LRU;
	enum acct_kind k = ACCT_KPROBE;

	(void)state;
	assert_int_equal(acct_kind_parse("", &k), -EINVAL);
	assert_int_equal(acct_kind_parse("Netfilter", &k), -EINVAL);
	assert_int_equal(acct_kind_parse("netfilter ", &k), -EINVAL);
	assert_int_equal(acct_kind_parse("bpf", &k), -EINVAL);
	assert_int_equal(acct_kind_parse(NULL, &k), -EINVAL);
	assert_int_equal(k, ACCT_KPROBE);	/* untouched on error */
	assert_string_equal(acct_kind_name((enum acct_kind)42), "unknown");

	assert_int_equal(acct_layout_parse("", &l), -EINVAL);
	assert_int_equal(acct_layout_parse("LRU", &l), -EINVAL);
	assert_int_equal(acct_layout_parse("slot", &l), -EINVAL);
	assert_int_equal(acct_layout_parse("slots ", &l), -EINVAL);
	assert_int_equal(acct_layout_parse(NULL, &l), -EINVAL);
	assert_int_equal(l, ACCT_LAYOUT_LRU);
	assert_string_equal(acct_layout_name((enum acct_layout)7), "unknown");
}

static void test_conntrack_needs_no_bpf(void **state)
{
	struct acct_opts o = { .kind = ACCT_CONNTRACK };
	struct acct *a = NULL;
	struct acct_stats st;
	struct flow_key key;
	char err[256];

	(void)state;
	/* the conntrack backend opens without BPF (and without root) */
	assert_int_equal(acct_open(&a, &o, err, sizeof(err)), 0);
	assert_non_null(a);
	assert_int_equal(acct_kind_of(a), ACCT_CONNTRACK);
	assert_int_equal(acct_map_fd(a), -1);
	memset(&key, 0, sizeof(key));
	assert_int_equal(acct_forget(a, &key), 0);
	assert_int_equal(acct_forget_now(a, &key), 0);
	assert_int_equal(acct_read(a, NULL, NULL), 0);
	assert_int_equal(acct_set(a, &key, NULL, 1), -EINVAL);
	struct flow_end end;
	assert_int_equal(acct_expires(a, &key, &end), -EOPNOTSUPP);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.evictions, 0);
	acct_close(a);
}

static void test_bpf_backend_needs_room(void **state)
{
	struct acct_opts o = { .kind = ACCT_NETFILTER, .max_flows = 0 };
	struct acct *a = (struct acct *)&a;
	char err[256] = "";

	(void)state;
	assert_int_equal(acct_open(&a, &o, err, sizeof(err)), -EINVAL);
	assert_null(a);
	assert_non_null(strstr(err, "netfilter accounting"));

	o.max_flows = 10;
	o.layout = (enum acct_layout)9;
	a = (struct acct *)&a;
	assert_int_equal(acct_open(&a, &o, err, sizeof(err)), -EINVAL);
	assert_null(a);
	assert_non_null(strstr(err, "layout"));
}

/* ---- owners (pure) ---------------------------------------------------- */

#define P1	0xffff888001000000ull	/* two nf_conn addresses */
#define P2	0xffff888002000000ull
#define S1	1764000000000000000ull	/* two conntrack starts */
#define S2	1764000000500000000ull

static struct flow_lru_value share(uint64_t ct, uint64_t stamp,
				   uint64_t since, uint64_t pkts)
{
	struct flow_lru_value v;

	memset(&v, 0, sizeof(v));
	v.owner.ct = ct;
	v.owner.stamp = stamp;
	v.since = since;
	v.c.packets[0] = pkts;
	v.c.bytes[0] = pkts * 100;
	v.c.packets[1] = pkts;
	v.c.bytes[1] = pkts * 10;
	return v;
}

/* packets[0] of acct_lru_sum over two shares, and the owner it picked */
static uint64_t sum2(struct flow_lru_value a, struct flow_lru_value b,
		     struct flow_owner *o)
{
	struct flow_lru_value v[2] = { a, b };
	struct flow_counters sum;

	acct_lru_sum(v, 2, &sum, o);
	assert_int_equal(sum.bytes[0], sum.packets[0] * 100);
	assert_int_equal(sum.packets[1], sum.packets[0]);
	return sum.packets[0];
}

static void test_lru_sum_newest_owner(void **state)
{
	struct flow_owner o;

	(void)state;
	/* no owner anywhere (acct_set's values): every share */
	assert_int_equal(sum2(share(0, 0, 0, 3), share(0, 0, 0, 4), &o), 7);
	assert_int_equal(o.ct, 0);
	/* one connection, the other CPU never used */
	assert_int_equal(sum2(share(P1, S1, 10, 3), share(0, 0, 0, 0), &o), 3);
	assert_int_equal(o.ct, P1);
	assert_int_equal(o.stamp, S1);
	/* one connection: first packet unconfirmed on CPU 0, the rest
	 * after its start on CPU 1 */
	assert_int_equal(sum2(share(P1, 0, 10, 1), share(P1, S1, 20, 5), &o), 6);
	assert_int_equal(o.stamp, S1);
	/* ... confirmed before the start was seen: still one connection */
	assert_int_equal(sum2(share(P1, 1, 10, 1), share(P1, S1, 20, 5), &o), 6);
	assert_int_equal(sum2(share(P1, 0, 10, 1), share(P1, 1, 20, 5), &o), 6);
	/* a new connection in another object: only its shares */
	assert_int_equal(sum2(share(P1, S1, 10, 9), share(P2, 0, 20, 2), &o), 2);
	assert_int_equal(o.ct, P2);
	assert_int_equal(sum2(share(P2, S2, 30, 2), share(P1, S1, 10, 9), &o), 2);
	/* the same object reused (a flush, then the same tuple at once):
	 * the old start, taken before the new connection was unconfirmed,
	 * is the old connection */
	assert_int_equal(sum2(share(P1, S1, 10, 9), share(P1, 0, 20, 2), &o), 2);
	assert_int_equal(o.stamp, 0);
	assert_int_equal(sum2(share(P1, S2, 30, 2), share(P1, S1, 10, 9), &o), 2);
	/* without timestamps: confirmed, then unconfirmed = reused */
	assert_int_equal(sum2(share(P1, 1, 10, 9), share(P1, 0, 20, 2), &o), 2);
	/* ... and unconfirmed twice: the older one is another connection's
	 * first packet (an unconfirmed connection has only had one) */
	assert_int_equal(sum2(share(P1, 0, 10, 9), share(P1, 0, 20, 2), &o), 2);
	assert_int_equal(sum2(share(P1, 0, 20, 2), share(P1, 0, 10, 9), &o), 2);
	/* a tie in time: the larger stamp, then the larger address */
	assert_int_equal(sum2(share(P1, S1, 10, 9), share(P1, S2, 10, 2), &o), 2);
	assert_int_equal(sum2(share(P2, S1, 10, 9), share(P1, S1, 10, 2), &o), 9);
}

static void test_forget_decide(void **state)
{
	struct acct_forget_ent e = { .start = S1 };
	struct flow_owner o = { .ct = P1, .stamp = S1 };

	(void)state;
	/* still the destroyed connection's: goes */
	assert_int_equal(acct_forget_decide(&e, true, &o), ACCT_FORGET_DELETE);
	/* no entry, or one without owner (acct_set): goes */
	assert_int_equal(acct_forget_decide(&e, false, &o), ACCT_FORGET_DELETE);
	o.ct = 0;
	assert_int_equal(acct_forget_decide(&e, true, &o), ACCT_FORGET_DELETE);
	/* a newer connection with its own start owns it: stays */
	o.ct = P1;
	o.stamp = S2;
	assert_int_equal(acct_forget_decide(&e, true, &o), ACCT_FORGET_KEEP);
	o.ct = P2;
	assert_int_equal(acct_forget_decide(&e, true, &o), ACCT_FORGET_KEEP);
	/* unconfirmed or without start: once more at the next read, then it
	 * goes (its NEW event would have cancelled the forget) */
	for (o.stamp = 0; o.stamp <= 1; o.stamp++) {
		e.deferred = false;
		assert_int_equal(acct_forget_decide(&e, true, &o),
				 ACCT_FORGET_DEFER);
		e.deferred = true;
		assert_int_equal(acct_forget_decide(&e, true, &o),
				 ACCT_FORGET_DELETE);
	}
	/* start unknown (no timestamps): goes, whoever owns it */
	e.start = 0;
	e.deferred = false;
	o.stamp = S2;
	assert_int_equal(acct_forget_decide(&e, true, &o), ACCT_FORGET_DELETE);
}

static struct flow_key fq_key(uint32_t i)
{
	struct flow_key k = { .family = AF_INET, .proto = IPPROTO_UDP };

	k.src[0] = htonl(0xc0000200 | (i & 0xff));
	k.dst[0] = htonl(0xcb007100);
	k.sport = htons((uint16_t)(1024 + i / 256));
	k.dport = htons(53);
	return k;
}

/* How often key i is in the queue, by a plain scan. */
static size_t fq_count(const struct acct *a, uint32_t i)
{
	struct flow_key k = fq_key(i);
	size_t n = 0;

	for (size_t j = a->forget.head; j < a->forget.n; j++)
		n += !memcmp(&a->forget.v[j].key, &k, sizeof(k));
	return n;
}

/*
 * The forget queue's index: a NEW cancels every queued forget of its
 * tuple and no other, across growth, and after a read kept some entries
 * (moved to the front); a key queued again after a cancel stays.
 */
static void test_forget_queue_index(void **state)
{
	struct acct *a = calloc(1, sizeof(*a));
	const uint32_t n = 5000;
	struct flow_key k;

	(void)state;
	assert_non_null(a);
	for (uint32_t i = 0; i < n; i++) {
		k = fq_key(i);
		assert_int_equal(acct_forget_queue(a, &k, i), 0);
		if (i % 7 == 0)
			assert_int_equal(acct_forget_queue(a, &k, i + 1), 0);
	}
	for (uint32_t i = 0; i < n; i += 3) {
		k = fq_key(i);
		acct_unqueue_forget(a, &k);
	}
	k = fq_key(n + 1);
	acct_unqueue_forget(a, &k);	/* never queued: nothing goes */
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(fq_count(a, i),
				 i % 3 == 0 ? 0 : i % 7 == 0 ? 2 : 1);
	/* a read looks at every entry and keeps those of odd starts */
	for (size_t j = a->forget.head; j < a->forget.n; j++)
		a->forget.v[j].keep = a->forget.v[j].start % 2;
	acct_forget_done(a, a->forget.n);
	for (uint32_t i = 1; i < n; i += 2) {
		k = fq_key(i);
		acct_unqueue_forget(a, &k);
	}
	k = fq_key(2);
	assert_int_equal(acct_forget_queue(a, &k, 2), 0);
	k = fq_key(3);
	acct_unqueue_forget(a, &k);
	assert_int_equal(acct_forget_queue(a, &k, 3), 0);
	for (uint32_t i = 0; i < n; i++) {
		/* kept: odd start (i odd, or i + 1 for i % 7 == 0); then
		 * cancelled if i is odd; 2 and 3 queued again */
		size_t want = i % 3 && i % 2 == 0 && i % 7 == 0;

		if (i == 2 || i == 3)
			want = 1;
		assert_int_equal(fq_count(a, i), want);
	}
	acct_forgetvec_free(&a->forget);
	free(a);
}

/*
 * A read that looks at the oldest part of a long queue (a budget of it)
 * moves only what it looked at: the entries it keeps stay first, in their
 * order, the others leave, and every entry after the part looked at keeps
 * its place (before, the whole queue was moved up and its index rebuilt:
 * work that followed the queue, not the read). The index still finds
 * every entry, and the room left behind is used again.
 */
static void test_forget_queue_done_in_part(void **state)
{
	struct acct *a = calloc(1, sizeof(*a));
	struct acct_forgetvec *fv;
	const uint32_t n = 20000, part = 3000;
	struct flow_key k;
	size_t end;

	(void)state;
	assert_non_null(a);
	fv = &a->forget;
	for (uint32_t i = 0; i < n; i++) {
		k = fq_key(i);
		assert_int_equal(acct_forget_queue(a, &k, i), 0);
	}
	/* the oldest 3000 looked at: those of starts divisible by 5 kept */
	end = fv->head + part;
	for (size_t j = fv->head; j < end; j++)
		fv->v[j].keep = fv->v[j].start % 5 == 0;
	acct_forget_done(a, end);
	assert_int_equal(acct_forget_queued(fv), n - part + part / 5);
	/* the rest where it was, unmoved; the kept ones just before, in
	 * order */
	for (size_t j = end; j < fv->n; j++)
		assert_int_equal(fv->v[j].start, j);
	assert_int_equal(fv->head, end - part / 5);
	for (size_t j = fv->head; j < end; j++) {
		assert_int_equal(fv->v[j].start, (j - fv->head) * 5);
		assert_false(fv->v[j].keep);
	}
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(fq_count(a, i), i >= part || i % 5 == 0);
	/* the index finds them all: a NEW cancels a kept one, one looked
	 * at and dropped (nothing), and one not looked at */
	k = fq_key(10);
	acct_unqueue_forget(a, &k);
	k = fq_key(11);
	acct_unqueue_forget(a, &k);
	k = fq_key(n - 7);
	acct_unqueue_forget(a, &k);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(fq_count(a, i),
				 (i >= part || i % 5 == 0) && i != 10 &&
				 i != n - 7);
	/* the rest looked at in parts, nothing kept: the queue empties and
	 * its room is taken again from the start */
	while (acct_forget_queued(fv)) {
		end = fv->head + part < fv->n ? fv->head + part : fv->n;
		acct_forget_done(a, end);
	}
	assert_int_equal(fv->head, 0);
	assert_int_equal(fv->n, 0);
	k = fq_key(5);
	assert_int_equal(acct_forget_queue(a, &k, 5), 0);
	assert_int_equal(fq_count(a, 5), 1);
	acct_forgetvec_free(fv);
	free(a);
}

/* ---- layouts, as root ------------------------------------------------- */

#define NKEYS 4096

struct seen {
	struct flow_counters sum[NKEYS];
	unsigned int times[NKEYS];
	unsigned int reported;
	unsigned int bad;	/* keys not made by make_key */
	bool answer;		/* what fn says: "known"? */
};

static void make_key(struct flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->family = 10;
	k->proto = 6;
	k->src[0] = htobe32(0x20010db8);
	k->src[3] = htobe32(i);
	k->dst[0] = htobe32(0x20010db8);
	k->dst[3] = htobe32(0xffff);
	k->sport = htobe16(40000);
	k->dport = htobe16(443);
}

/* Is key make_key's for some i below n? Its i in *i. */
static bool made_key(const struct flow_key *key, uint32_t n, uint32_t *i)
{
	struct flow_key want;

	*i = be32toh(key->src[3]);
	make_key(&want, *i);
	return *i < n && !memcmp(&want, key, sizeof(want));
}

static bool record(const struct flow_key *key, const struct flow_counters *sum,
		   void *arg)
{
	struct seen *s = arg;
	uint32_t i;

	if (!made_key(key, NKEYS, &i)) {
		s->bad++;
		return false;
	}
	s->sum[i] = *sum;
	s->times[i]++;
	s->reported++;
	return s->answer;
}

static void vals(struct flow_counters *v, uint64_t base)
{
	v->packets[0] = base;
	v->packets[1] = base + 1;
	v->bytes[0] = base * 100;
	v->bytes[1] = base * 100 + 7;
}

/* keys[i] = make_key's key i, v[i] = vals(i + add), for i < n */
static void keys_and_vals(struct flow_key *keys, struct flow_counters *v,
			  uint32_t n, uint32_t add)
{
	for (uint32_t i = 0; i < n; i++) {
		make_key(&keys[i], i);
		vals(&v[i], i + add);
	}
}

/* the layout test's acct, closed by the teardown even after a failure
 * (an attached program left behind would block the next one's hooks) */
static struct acct *cur;

static int close_cur(void **state)
{
	(void)state;
	acct_close(cur);
	cur = NULL;
	return 0;
}

/* 1 when the test must be skipped (no root, no BPF here) */
static int open_layout(struct acct **a, enum acct_layout layout,
		       uint32_t max_flows)
{
	struct acct_opts o = { .kind = ACCT_NETFILTER, .layout = layout,
			       .max_flows = max_flows };
	char err[512];
	int rc;

	rc = acct_open(a, &o, err, sizeof(err));
	/*
	 * Not root, or a kernel without BTF or netfilter programs: nothing
	 * to test here, said once per test. A verifier rejection (-EACCES)
	 * is a bug in our program and fails like any other error.
	 */
	if ((rc == -EPERM && geteuid() != 0) || rc == -ENOTSUP) {
		print_message("skipped: %s\n", err);
		return 1;
	}
	if (rc)
		fail_msg("acct_open: %s", err);
	cur = *a;
	assert_int_equal(acct_layout_of(*a), layout);
	return 0;
}

static int read_into(struct acct *a, struct seen *s, bool answer)
{
	memset(s, 0, sizeof(*s));
	s->answer = answer;
	return acct_read(a, record, s);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* the prefetch hook's and fn's view of one read (test_slots_read_hint) */
struct hint_check {
	struct acct *a;
	uint64_t fresh_hashes;	/* stage 0 given the key's hash */
	uint64_t hooked, bad;
};

static uint64_t hint_pre(const struct flow_key *key, int stage,
			 uint64_t hint, void *arg)
{
	struct hint_check *h = arg;

	if (stage)
		return hint;
	h->hooked++;
	if (hint && hint != flow_key_hash(key))
		h->bad++;
	h->fresh_hashes += hint != 0;
	/* what fn must get back: the key's own, told apart from the hash */
	return flow_key_hash(key) ^ 0x5a5a;
}

static bool hint_fn(const struct flow_key *key,
		    const struct flow_counters *sum, void *arg)
{
	struct hint_check *h = arg;

	(void)sum;
	if (acct_read_hint(h->a) != (flow_key_hash(key) ^ 0x5a5a))
		h->bad++;
	return true;
}

/*
 * acct_read_prefetched: stage 0 gets the hash of a key read for the first
 * time (the read has it already), and fn gets back what stage 0 returned
 * for its key (acct_read_hint); none outside a read.
 */
static void test_slots_read_hint(void **state)
{
	struct flow_key keys[300];
	struct flow_counters v[300];
	struct hint_check h = { 0 };
	struct acct *a;
	uint32_t i;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1000))
		skip();
	keys_and_vals(keys, v, 300, 1);
	assert_int_equal(acct_set(a, keys, v, 300), 0);
	h.a = a;
	assert_int_equal(acct_read_prefetched(a, hint_fn, hint_pre, &h), 0);
	assert_int_equal(h.bad, 0);
	assert_int_equal(h.hooked, 300);
	assert_int_equal(h.fresh_hashes, 300);
	assert_int_equal(acct_read_hint(a), 0);
	/* moved again: known slots, no hash at hand */
	for (i = 0; i < 300; i++)
		vals(&v[i], i + 7);
	assert_int_equal(acct_set(a, keys, v, 300), 0);
	memset(&h, 0, sizeof(h));
	h.a = a;
	assert_int_equal(acct_read_prefetched(a, hint_fn, hint_pre, &h), 0);
	assert_int_equal(h.bad, 0);
	assert_int_equal(h.hooked, 300);
	assert_int_equal(h.fresh_hashes, 0);
	(void)a;	/* closed by close_cur */
}

static void test_slots_reports_changes(void **state)
{
	static struct seen s;
	struct flow_key keys[100];
	struct flow_counters v[100];
	struct acct_stats st;
	struct acct *a;
	uint32_t i;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1000))
		skip();
	assert_int_equal(acct_map_fd(a), -1);
	keys_and_vals(keys, v, 100, 1);
	assert_int_equal(acct_set(a, keys, v, 100), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.reported, 100);
	for (i = 0; i < 100; i++)
		assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 100);
	assert_int_equal(st.reported, 100);

	/* nothing moved: at most the rotating re-check share is reported */
	assert_int_equal(read_into(a, &s, true), 0);
	assert_true(s.reported <= (100 + ACCT_RECHECK_DIV - 1) / ACCT_RECHECK_DIV);
	for (i = 0; i < 100; i++)
		if (s.times[i])
			assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));

	/* keys 10..19 move: each is reported, with its new counters */
	for (i = 10; i < 20; i++)
		vals(&v[i], 1000 + i);
	assert_int_equal(acct_set(a, keys + 10, v + 10, 10), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_true(s.reported >= 10 && s.reported <= 12);
	for (i = 10; i < 20; i++) {
		assert_int_equal(s.times[i], 1);
		assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
	}
	(void)a;	/* closed by close_cur */
}

static void test_slots_forget_and_reuse(void **state)
{
	static struct seen s;
	static struct flow_key keys[NKEYS];
	static struct flow_counters v[NKEYS];
	struct acct_stats st;
	struct flow_counters one;
	struct acct *a;
	uint32_t i, round, base;

	(void)state;
	/* 1 flow + the minimum headroom: 1025 slots */
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1))
		skip();
	for (i = 0; i < NKEYS; i++) {
		make_key(&keys[i], i);
		vals(&v[i], i + 5);
	}
	/*
	 * 4 × 800 flows come and go through 1025 slots: only possible if
	 * forgotten slots come back after their quarantine.
	 */
	for (round = 0; round < 4; round++) {
		base = round * 800;
		assert_int_equal(acct_set(a, keys + base, v + base, 800), 0);
		assert_int_equal(read_into(a, &s, true), 0);
		assert_int_equal(s.reported, 800);
		for (i = base; i < base + 800; i++)
			assert_int_equal(acct_forget(a, &keys[i]), 0);
		assert_int_equal(read_into(a, &s, true), 0);
		acct_get_stats(a, &st);
		assert_int_equal(st.entries, 0);
		/* quarantine: a later read, and some time */
		sleep_ms(250);
		assert_int_equal(read_into(a, &s, true), 0);
		assert_int_equal(s.reported, 0);
	}
	/* more than the slots at once: refused */
	assert_int_equal(acct_set(a, keys, v, 1025), 0);
	assert_int_equal(acct_set(a, keys + 1025, v + 1025, 1), -ENOSPC);

	/* a reused tuple counts from zero in a new slot */
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(acct_forget_now(a, &keys[3]), 0);
	acct_get_stats(a, &st);
	vals(&one, 1);
	sleep_ms(250);
	/* its slot comes back only after a read after the next one */
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(acct_set(a, &keys[3], &one, 1), -ENOSPC);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(acct_set(a, &keys[3], &one, 1), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.times[3], 1);
	assert_memory_equal(&s.sum[3], &one, sizeof(one));
	(void)a;	/* closed by close_cur */
}

/*
 * slots: the key -> slot index is sized for the slots in it, not for
 * every slot the arrays have (1.3M here: 16 MiB of entries before, all
 * resident), grows as they come, and finds every key after growing and
 * after deletions (forgets find their slots through it).
 */
static void test_slots_index_follows_use(void **state)
{
	static struct seen s;
	static struct flow_key keys[NKEYS];
	static struct flow_counters v[NKEYS];
	struct acct_stats st;
	struct acct *a;
	uint32_t i;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1u << 20))
		skip();
	for (i = 0; i < NKEYS; i++) {
		make_key(&keys[i], i);
		vals(&v[i], i + 3);
	}
	assert_int_equal(acct_set(a, keys, v, 100), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.reported, 100);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 100);
	assert_int_equal(st.index_bytes, ACCT_INDEX_MIN * sizeof(uint32_t));

	/* 4096 slots: past 4/5 of the least index, which doubles once */
	assert_int_equal(acct_set(a, keys + 100, v + 100, NKEYS - 100), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.bad, 0);
	for (i = 100; i < NKEYS; i++)
		assert_int_equal(s.times[i], 1);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, NKEYS);
	assert_int_equal(st.index_bytes, 2 * ACCT_INDEX_MIN * sizeof(uint32_t));

	/* three quarters forgotten: each found in the grown index */
	for (i = 0; i < 3 * NKEYS / 4; i++)
		assert_int_equal(acct_forget(a, &keys[i]), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, NKEYS / 4);

	/* the rest are still found after the deletions' shifts: they move,
	 * are reported with their counters, and can be forgotten at once */
	for (i = 3 * NKEYS / 4; i < NKEYS; i++)
		vals(&v[i], 100000 + i);
	assert_int_equal(acct_set(a, keys + 3 * NKEYS / 4, v + 3 * NKEYS / 4,
				  NKEYS / 4), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.bad, 0);
	for (i = 3 * NKEYS / 4; i < NKEYS; i++) {
		assert_int_equal(s.times[i], 1);
		assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
	}
	for (i = 3 * NKEYS / 4; i < NKEYS; i++)
		assert_int_equal(acct_forget_now(a, &keys[i]), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 0);

	/*
	 * Churn: of 3000 keys, the odd ones stay and the even ones come and
	 * go, 8 times. Deletions leave tombstones (places lookups pass)
	 * between live entries, cleared by rebuilds at the same size: the
	 * index does not grow, and every key is found to be reported and to
	 * be forgotten.
	 */
	for (uint32_t round = 0; round < 8; round++) {
		uint32_t from = 0, step = round ? 2 : 1;

		for (i = from; i < 3000; i += step)
			vals(&v[i], 200000 + round * 4096 + i);
		for (i = from; i < 3000; i += step)
			assert_int_equal(acct_set(a, keys + i, v + i, 1), 0);
		assert_int_equal(read_into(a, &s, true), 0);
		assert_int_equal(s.bad, 0);
		for (i = from; i < 3000; i += step) {
			assert_int_equal(s.times[i], 1);
			assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
		}
		acct_get_stats(a, &st);
		assert_int_equal(st.entries, 3000);
		assert_int_equal(st.index_bytes,
				 2 * ACCT_INDEX_MIN * sizeof(uint32_t));
		for (i = 0; i < 3000; i += 2)
			assert_int_equal(acct_forget(a, &keys[i]), 0);
		assert_int_equal(read_into(a, &s, true), 0);
		acct_get_stats(a, &st);
		assert_int_equal(st.entries, 1500);
	}
	/* the odd ones, found after it all */
	for (i = 1; i < 3000; i += 2)
		assert_int_equal(acct_forget_now(a, &keys[i]), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 0);
	(void)a;	/* closed by close_cur */
}

/* ---- larger tables: the index grown a share per read, forgets by shares,
 * slot_keys' window ------------------------------------------------------ */

/* keys of the tests below (make_key's 0 to GKEYS - 1) */
#define GKEYS 120000u

struct big_seen {
	struct flow_counters sum[GKEYS];
	unsigned int times[GKEYS];
	unsigned int reported, bad;
};

static bool big_record(const struct flow_key *key,
		       const struct flow_counters *sum, void *arg)
{
	struct big_seen *s = arg;
	uint32_t i;

	if (!made_key(key, GKEYS, &i)) {
		s->bad++;
		return false;
	}
	s->sum[i] = *sum;
	s->times[i]++;
	s->reported++;
	return true;
}

static int big_read(struct acct *a, struct big_seen *s)
{
	memset(s, 0, sizeof(*s));
	return acct_read(a, big_record, s);
}

/*
 * The index as lookups see it: every entry reachable from its key's home
 * (no empty place between), with its key's tag, each key once, and
 * exactly the keys whose want[i] is set. Keys read by lookup.
 */
static void check_index(struct acct *a, const bool *want)
{
	struct acct_slots *sl = &a->sl;
	uint32_t m = sl->index_mask, n = 0, bits = sl->index_bits;
	uint32_t lowmask = (uint32_t)(((uint64_t)1 << bits) - 1);
	static unsigned char found[GKEYS];

	memset(found, 0, sizeof(found));
	for (uint32_t p = 0; p <= m; p++) {
		uint32_t e = sl->index[p], slot, i, h32;
		struct flow_key k;
		uint64_t h;

		if (!e || (e & lowmask) == lowmask)
			continue;	/* empty, tombstone */
		slot = (e & lowmask) - 1;
		assert_int_equal(bpf_map_lookup_elem(sl->keys_fd, &slot, &k), 0);
		assert_true(made_key(&k, GKEYS, &i));
		assert_true(want[i]);
		assert_int_equal(found[i], 0);
		found[i] = 1;
		h = flow_key_hash(&k);
		h32 = (uint32_t)(((h >> 32) << bits) & 0xffffffffu);
		assert_int_equal(e & ~lowmask, h32);
		for (uint32_t q = (uint32_t)h & m; q != p; q = (q + 1) & m)
			assert_int_not_equal(sl->index[q], 0);
		n++;
	}
	assert_int_equal(n, sl->live);
	for (uint32_t i = 0; i < GKEYS; i++)
		assert_int_equal(found[i], want[i]);
}

/*
 * slots: past 3/5 of its size, the key -> slot index gets a successor
 * twice as large, filled a share per read (GROW_MIN entries, or 4 times
 * what the read added) instead of in one rebuild at 4/5, which read the
 * key of every slot (2.7 s in one read at 1.7M slots under load). Keys
 * forgotten and added meanwhile, on either side of where the filling is,
 * are in the new index once it takes over; every count stays exact.
 */
static void test_slots_index_grows_by_shares(void **state)
{
	static struct big_seen s;
	static struct flow_key keys[GKEYS];
	static struct flow_counters v[GKEYS];
	static bool want[GKEYS];
	struct acct_slots *sl;
	struct acct_stats st;
	struct acct *a;
	uint64_t moved;
	uint32_t i, reads;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1u << 17))
		skip();
	sl = &a->sl;
	keys_and_vals(keys, v, GKEYS, 5);
	/* 78000 keys: the index doubles (at once, within the read) up to
	 * 131072 entries, which they fill below 3/5 */
	assert_int_equal(acct_set(a, keys, v, 78000), 0);
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(s.reported, 78000);
	acct_get_stats(a, &st);
	assert_int_equal(st.index_bytes, 131072 * sizeof(uint32_t));
	assert_null(sl->grow);

	/* 1000 more: past 3/5; the successor gets this read's share only */
	assert_int_equal(acct_set(a, keys + 78000, v + 78000, 1000), 0);
	assert_int_equal(big_read(a, &s), 0);
	for (i = 78000; i < 79000; i++)
		assert_int_equal(s.times[i], 1);
	assert_non_null(sl->grow);
	assert_int_equal(sl->grow_mask + 1, 262144);
	assert_int_equal(sl->grow_live, 16384);
	acct_get_stats(a, &st);
	assert_int_equal(st.index_bytes, 131072 * sizeof(uint32_t));
	for (i = 0; i < 79000; i++)
		want[i] = true;
	check_index(a, want);

	/* forgotten: 100 keys the successor has (slots 0-99), 100 it has
	 * not reached (slots 70000-70099) */
	for (i = 0; i < 100; i++) {
		assert_int_equal(acct_forget(a, &keys[i]), 0);
		assert_int_equal(acct_forget(a, &keys[70000 + i]), 0);
		want[i] = want[70000 + i] = false;
	}
	moved = sl->grow_moved;
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(sl->grow_moved - moved, 16384);
	assert_int_equal(sl->grow_live, 2 * 16384 - 100);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 79000 - 200);
	check_index(a, want);

	/* their slots back after the quarantine, taken by 200 new keys: in
	 * the successor at once for those below where it is */
	sleep_ms(250);
	assert_int_equal(big_read(a, &s), 0);
	assert_non_null(sl->grow);
	assert_true(sl->grow_pos > 100 && sl->grow_pos < 70000);
	for (i = 79000; i < 79200; i++)
		vals(&v[i], 3 * i);
	assert_int_equal(acct_set(a, keys + 79000, v + 79000, 200), 0);
	moved = sl->grow_moved;
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(s.bad, 0);
	for (i = 79000; i < 79200; i++) {
		assert_int_equal(s.times[i], 1);
		assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
		want[i] = true;
	}
	assert_true(sl->grow_moved - moved <= 16384);
	check_index(a, want);

	/* the rest, a share per read, until the successor takes over */
	for (reads = 0; sl->grow && reads < 10; reads++) {
		moved = sl->grow_moved;
		assert_int_equal(big_read(a, &s), 0);
		assert_true(sl->grow_moved - moved <= 16384);
	}
	assert_null(sl->grow);
	assert_true(reads >= 1);
	acct_get_stats(a, &st);
	assert_int_equal(st.index_bytes, 262144 * sizeof(uint32_t));
	assert_int_equal(st.entries, 79000);
	check_index(a, want);

	/* and every count still its own: new values for all, each reported
	 * once with them */
	for (i = 0; i < 79200; i++)
		vals(&v[i], 7 * i + 1);
	for (i = 0; i < 79200; i++)
		if (want[i])
			assert_int_equal(acct_set(a, &keys[i], &v[i], 1), 0);
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(s.bad, 0);
	for (i = 0; i < 79200; i++) {
		assert_int_equal(s.times[i], want[i]);
		if (want[i])
			assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
	}
	(void)a;	/* closed by close_cur */
}

/*
 * slots: an index below GROW_SAME_SPREAD entries that tombstones, not live
 * entries, fill past 3/5 gets no successor (one would be resident beside
 * it for several reads, and begun again every few seconds of churn): it is
 * rebuilt at its size, at once, when it reaches 4/5. Counts stay exact.
 */
static void test_slots_small_index_rebuilt_at_once(void **state)
{
	static struct big_seen s;
	static struct flow_key keys[GKEYS];
	static struct flow_counters v[GKEYS];
	static bool want[GKEYS];
	struct acct_slots *sl;
	struct acct_stats st;
	struct acct *a;
	uint32_t i, c, cap = 65536, n = 36000, step = 7000;
	bool past_three_fifths = false, rebuilt = false;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1u << 17))
		skip();
	sl = &a->sl;
	keys_and_vals(keys, v, GKEYS, 3);
	/* 36000 keys: an index of 65536 entries, 0.55 full */
	assert_int_equal(acct_set(a, keys, v, n), 0);
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(sl->index_mask + 1, cap);
	for (i = 0; i < n; i++)
		want[i] = true;

	/* churn: the 6000 oldest keys end, 6000 new ones begin, leaving
	 * tombstones where the old ones were */
	for (c = 0; c < 11 && !rebuilt; c++) {
		uint32_t old = c * step, young = n + c * step;
		uint64_t moved;

		for (i = old; i < old + step; i++) {
			assert_int_equal(acct_forget(a, &keys[i]), 0);
			want[i] = false;
		}
		assert_int_equal(big_read(a, &s), 0);
		sleep_ms(250);
		assert_int_equal(big_read(a, &s), 0);
		moved = sl->grow_moved;
		assert_int_equal(acct_set(a, keys + young, v + young, step), 0);
		assert_int_equal(big_read(a, &s), 0);
		assert_int_equal(s.bad, 0);
		for (i = young; i < young + step; i++) {
			assert_int_equal(s.times[i], 1);
			assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
			want[i] = true;
		}
		if (((size_t)sl->live + sl->tombs) * 5 > (size_t)cap * 3)
			past_three_fifths = true;
		/* never a successor, never a larger index */
		assert_null(sl->grow);
		assert_int_equal(sl->index_mask + 1, cap);
		/* a rebuild moves every live entry in that read */
		if (sl->grow_moved != moved) {
			assert_true(sl->grow_moved - moved >= n - step);
			rebuilt = true;
		}
		check_index(a, want);
	}
	assert_true(past_three_fifths);
	assert_true(rebuilt);
	assert_int_equal(sl->tombs, 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.index_bytes, cap * sizeof(uint32_t));
	assert_int_equal(st.entries, n);
	(void)a;	/* closed by close_cur */
}

/*
 * The forget tests' start: a slots acct for 1 << 17 flows (163840 slots)
 * whose keys 0 to counted - 1 have counters, read once, then keys 0 to
 * queued - 1 forgotten (those from counted on never had a slot), in
 * keys[] and v[]. 1: no BPF here (the test skips).
 */
static int forgets_queued(struct acct **a, struct flow_key *keys,
			  struct flow_counters *v, uint32_t counted,
			  uint32_t queued)
{
	static struct big_seen s;
	uint32_t i;

	if (open_layout(a, ACCT_LAYOUT_SLOTS, 1u << 17))
		return 1;
	keys_and_vals(keys, v, queued, 1);
	assert_int_equal(acct_set(*a, keys, v, counted), 0);
	assert_int_equal(big_read(*a, &s), 0);
	assert_int_equal(s.reported, counted);
	for (i = 0; i < queued; i++)
		assert_int_equal(acct_forget(*a, &keys[i]), 0);
	return 0;
}

/*
 * slots: a read does at most FORGET_MIN forgets, or a sixteenth of the
 * queue (a resync can queue half a million ghosts at once: 1.7 s of CPU
 * in one read); the rest wait, oldest first, and go in the next reads.
 */
static void test_slots_forgets_by_shares(void **state)
{
	static struct big_seen s;
	static struct flow_key keys[GKEYS];
	static struct flow_counters v[GKEYS];
	struct acct_stats st;
	struct acct *a;
	uint32_t n = 70000;

	(void)state;
	if (forgets_queued(&a, keys, v, n, n))
		skip();
	/* 70000 queued: 32768 go (a sixteenth is less), then 32768, then
	 * the 4464 left */
	assert_int_equal(big_read(a, &s), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, n - 32768);
	assert_int_equal(acct_forget_queued(&a->forget), n - 32768);
	/* the oldest went first: key 0's slot is retired, the last key's not */
	assert_int_equal(a->sl.state[0], 3 /* SLOT_QUARANTINE */);
	/* a NEW on a waiting tuple still cancels its forget */
	assert_int_equal(acct_reused(a, &keys[n - 1]), 0);
	assert_int_equal(acct_forget_queued(&a->forget), n - 32768 - 1);
	assert_int_equal(big_read(a, &s), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, n - 2 * 32768);
	assert_int_equal(big_read(a, &s), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(acct_forget_queued(&a->forget), 0);
	(void)a;	/* closed by close_cur */
}

/*
 * slots: with a read deadline (acct_set_read_deadline) the forgets stop
 * when it passes, a first batch (FORGET_BATCH_MIN) done all the same, so
 * that a queue drains however late the reads are; without one, or with
 * one far off, a read does its whole share. Counts stay exact.
 */
static void test_slots_forgets_by_deadline(void **state)
{
	static struct big_seen s;
	static struct flow_key keys[GKEYS];
	static struct flow_counters v[GKEYS];
	struct acct_stats st;
	struct acct *a;
	uint32_t n = 40000, reads;
	size_t left;

	(void)state;
	if (forgets_queued(&a, keys, v, n, n))
		skip();
	/* past already: one batch */
	acct_set_read_deadline(a, 1);
	assert_int_equal(big_read(a, &s), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, n - 1024);
	assert_int_equal(acct_forget_queued(&a->forget), n - 1024);
	/* the oldest went first */
	assert_int_equal(a->sl.state[0], 3 /* SLOT_QUARANTINE */);
	assert_int_not_equal(a->sl.state[1024], 3);
	/* and a batch every read after */
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(acct_forget_queued(&a->forget), n - 2048);
	/* far off: the read's share, as without a deadline (32768) */
	acct_set_read_deadline(a, UINT64_MAX);
	assert_int_equal(big_read(a, &s), 0);
	left = acct_forget_queued(&a->forget);
	assert_int_equal(left, n - 2048 - 32768);
	/* none: the rest; a tuple taken again meanwhile keeps its slot and
	 * its new counters are reported */
	acct_set_read_deadline(a, 0);
	vals(&v[n - 1], 7);
	assert_int_equal(acct_reused(a, &keys[n - 1]), 0);
	assert_int_equal(acct_set(a, keys + n - 1, v + n - 1, 1), 0);
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(s.times[n - 1], 1);
	assert_memory_equal(&s.sum[n - 1], &v[n - 1], sizeof(v[0]));
	for (reads = 1; acct_forget_queued(&a->forget) && reads < 5; reads++)
		assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(acct_forget_queued(&a->forget), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 1);
	(void)a;	/* closed by close_cur */
}

/*
 * slots: the deadline yields to a queue longer than half the slots (the
 * forgets fall behind): a read then does its whole share.
 */
static void test_slots_forgets_deadline_yields(void **state)
{
	static struct big_seen s;
	static struct flow_key keys[GKEYS];
	static struct flow_counters v[GKEYS];
	struct acct *a;
	uint32_t n = 40000, ghosts = 50000;

	(void)state;
	/* the counted flows' forgets, then keys that never had a slot */
	if (forgets_queued(&a, keys, v, n, n + ghosts))
		skip();
	/* 163840 slots: 90000 queued is past half */
	assert_int_equal(a->sl.nslots, 163840);
	acct_set_read_deadline(a, 1);
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(acct_forget_queued(&a->forget), n + ghosts - 32768);
	/* 57232 now: below half, the deadline holds again */
	assert_int_equal(big_read(a, &s), 0);
	assert_int_equal(acct_forget_queued(&a->forget),
			 n + ghosts - 32768 - 1024);
	(void)a;	/* closed by close_cur */
}

/* what acct_read_prefetched did, in order */
struct pf_log {
	struct seen s;
	int step[NKEYS];	/* per key: 0 none, 1 stage 0, 2 stage 1, 3 fn */
	unsigned int bad_order;
	unsigned int fn_calls;
	uint32_t last_fn;	/* key of the last fn call + 1 */
};

static uint64_t pf_hook(const struct flow_key *key, int stage, uint64_t hint,
			void *arg)
{
	struct pf_log *l = arg;
	uint32_t i = be32toh(key->src[3]);

	if (i >= NKEYS || l->step[i] != stage ||
	    (stage == 1 && hint != 7000 + i))
		l->bad_order++;
	else
		l->step[i] = stage + 1;
	return 7000 + i;
}

static bool pf_fn(const struct flow_key *key, const struct flow_counters *sum,
		  void *arg)
{
	struct pf_log *l = arg;
	uint32_t i = be32toh(key->src[3]);

	if (i >= NKEYS || l->step[i] != 2 || i + 1 <= l->last_fn)
		l->bad_order++;
	else
		l->step[i] = 3;
	l->last_fn = i + 1;
	l->fn_calls++;
	return record(key, sum, &l->s);
}

/*
 * slots: acct_read_prefetched shows the caller's hook every key it
 * reports at stage 0, then at stage 1 with what stage 0 returned, before
 * fn gets it; fn gets every key, in slot order, with its counters.
 */
static void test_slots_read_prefetches(void **state)
{
	static struct pf_log l;
	static struct flow_key keys[NKEYS];
	static struct flow_counters v[NKEYS];
	struct acct *a;
	uint32_t i, n = 1000;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 4096))
		skip();
	for (i = 0; i < n; i++) {
		make_key(&keys[i], i);
		vals(&v[i], i + 11);
	}
	/* one by one: slot i holds key i, so slot order is key order */
	for (i = 0; i < n; i++)
		assert_int_equal(acct_set(a, keys + i, v + i, 1), 0);
	memset(&l, 0, sizeof(l));
	l.s.answer = true;
	assert_int_equal(acct_read_prefetched(a, pf_fn, pf_hook, &l), 0);
	assert_int_equal(l.bad_order, 0);
	assert_int_equal(l.s.bad, 0);
	assert_int_equal(l.fn_calls, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(l.step[i], 3);
		assert_memory_equal(&l.s.sum[i], &v[i], sizeof(v[i]));
	}

	/* a few moved: only they are hinted and reported */
	for (i = 500; i < 503; i++)
		vals(&v[i], 90000 + i);
	assert_int_equal(acct_set(a, keys + 500, v + 500, 3), 0);
	memset(&l, 0, sizeof(l));
	l.s.answer = true;
	assert_int_equal(acct_read_prefetched(a, pf_fn, pf_hook, &l), 0);
	assert_int_equal(l.bad_order, 0);
	for (i = 500; i < 503; i++) {
		assert_int_equal(l.step[i], 3);
		assert_memory_equal(&l.s.sum[i], &v[i], sizeof(v[i]));
	}
	(void)a;	/* closed by close_cur */
}

static void test_slots_orphans(void **state)
{
	static struct seen s;
	struct flow_key keys[8];
	struct flow_counters v[8];
	struct acct_stats st;
	struct acct *a;
	uint32_t i;
	int r;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 100))
		skip();
	for (i = 0; i < 8; i++) {
		make_key(&keys[i], i);
		vals(&v[i], 9);
	}
	assert_int_equal(acct_set(a, keys, v, 8), 0);
	/* unknown keys are asked about again, unchanged, until reclaimed */
	for (r = 1; r <= ACCT_ORPHAN_READS; r++) {
		assert_int_equal(read_into(a, &s, false), 0);
		assert_int_equal(s.reported, 8);
		acct_get_stats(a, &st);
		assert_int_equal(st.reclaimed, r == ACCT_ORPHAN_READS ? 8 : 0);
	}
	assert_int_equal(st.entries, 0);
	assert_int_equal(read_into(a, &s, false), 0);
	assert_int_equal(s.reported, 0);

	/* a key unknown twice, then known, stays */
	assert_int_equal(acct_set(a, keys, v, 1), 0);
	assert_int_equal(read_into(a, &s, false), 0);
	assert_int_equal(read_into(a, &s, false), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.times[0], 1);
	for (r = 0; r < ACCT_ORPHAN_READS; r++)
		assert_int_equal(read_into(a, &s, true), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.reclaimed, 8);
	assert_int_equal(st.entries, 1);
	(void)a;	/* closed by close_cur */
}

static void test_lru_reports_every_key(void **state)
{
	static struct seen s;
	struct flow_key keys[50];
	struct flow_counters v[50];
	struct acct_stats st;
	struct acct *a;
	uint32_t i;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_LRU, 1000))
		skip();
	assert_true(acct_map_fd(a) >= 0);
	{
		struct flow_end end;

		make_key(&keys[0], 0);
		assert_int_equal(acct_expires(a, &keys[0], &end), -EOPNOTSUPP);
	}
	for (i = 0; i < 50; i++) {
		make_key(&keys[i], i);
		vals(&v[i], 3 * i + 1);
	}
	assert_int_equal(acct_set(a, keys, v, 50), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(read_into(a, &s, true), 0);
		assert_int_equal(s.bad, 0);
		assert_int_equal(s.reported, 50);
	}
	for (i = 0; i < 50; i++)
		assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
	assert_int_equal(acct_forget(a, &keys[7]), 0);
	assert_int_equal(acct_forget_now(a, &keys[8]), 0);
	assert_int_equal(read_into(a, &s, true), 0);	/* 7 still there */
	assert_int_equal(s.reported, 49);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.reported, 48);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 48);
	(void)a;	/* closed by close_cur */
}

/*
 * lru: owners written into the map as the program would. A destroyed
 * connection's key goes when it still owns the entry or its start is
 * unknown, stays when a newer connection owns it, goes one read later
 * when the owner is unconfirmed, and stays when the tuple was reused.
 */
static void test_lru_owner_forget(void **state)
{
	static struct seen s;
	struct flow_lru_value *v;
	struct flow_key keys[5];
	struct acct_stats st;
	struct acct *a;
	int ncpus = libbpf_num_possible_cpus(), fd, last;
	uint32_t i;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_LRU, 1000))
		skip();
	assert_true(ncpus > 0);
	last = ncpus - 1;
	v = calloc(ncpus, sizeof(*v));
	assert_non_null(v);
	fd = acct_map_fd(a);
	for (i = 0; i < 5; i++) {
		make_key(&keys[i], i);
		memset(v, 0, ncpus * sizeof(*v));
		switch (i) {
		case 0:
			v[0] = share(P1, S1, 10, 4);
			break;
		case 1:	/* the old connection's share left on CPU 0 */
			v[0] = share(P1, S1, 10, 9);
			v[last] = share(P2, S2, 20, 2);
			break;
		case 2:
		case 3:
			v[last] = share(P1, 0, 20, 1);
			break;
		case 4:
			v[0] = share(P2, S2, 20, 2);
			break;
		}
		assert_int_equal(bpf_map_update_elem(fd, &keys[i], v, BPF_ANY), 0);
	}
	free(v);
	assert_int_equal(acct_forget_conn(a, &keys[0], S1), 0);
	assert_int_equal(acct_forget_conn(a, &keys[1], S1), 0);
	assert_int_equal(acct_forget_conn(a, &keys[2], S1), 0);
	assert_int_equal(acct_forget_conn(a, &keys[3], S1), 0);
	assert_int_equal(acct_forget(a, &keys[4]), 0);
	assert_int_equal(acct_reused(a, &keys[3]), 0);

	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.reported, 5);
	assert_int_equal(s.sum[0].packets[0], 4);
	/* only the newest connection's share */
	assert_int_equal(s.sum[1].packets[0], 2);
	assert_int_equal(s.sum[1].bytes[0], 200);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.reported, 3);
	assert_int_equal(s.times[0] + s.times[4], 0);
	assert_int_equal(s.times[1] + s.times[2] + s.times[3], 3);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.reported, 2);
	assert_int_equal(s.times[1] + s.times[3], 2);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 2);
	(void)a;	/* closed by close_cur */
}

/* slots: the same with owners in slot_owner (looked at only when the
 * counters moved: an idle slot goes whoever owns it), and a reused tuple's
 * slot reported even when its counters equal the old connection's */
/*
 * acct_expires: what the program recorded of a slot's end and TCP state
 * (slot_expires, written here as the program would), for a key with a
 * slot; none for a key without one, a slot without a record, or a key
 * forgotten since.
 */
static void test_slots_expires(void **state)
{
	static struct seen s;
	struct flow_key keys[12];
	struct flow_counters v[12];
	struct flow_end end;
	struct acct *a;
	uint32_t i, slot;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1000))
		skip();
	keys_and_vals(keys, v, 12, 1);
	assert_int_equal(acct_set(a, keys, v, 10), 0);
	for (i = 0; i < 5; i++) {
		/* 0..3 TCP states, 4 a protocol without one */
		struct flow_end e = {
			.end = 5000 + i,
			.state = i < 4 ? (uint8_t)(i + 3) : FLOW_END_NO_STATE,
		};

		assert_int_equal(bpf_map_lookup_elem(a->sl.slot_of_fd, &keys[i],
						     &slot), 0);
		assert_int_equal(bpf_map_update_elem(a->sl.expires_fd, &slot,
						     &e, BPF_ANY), 0);
	}
	/* before the first read (the program's map) and after (the index) */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < 5; i++) {
			memset(&end, 0, sizeof(end));
			assert_int_equal(acct_expires(a, &keys[i], &end), 0);
			assert_int_equal(end.end, 5000 + i);
			assert_int_equal(end.state,
					 i < 4 ? i + 3 : FLOW_END_NO_STATE);
		}
		/* a slot without a record, a key without a slot */
		assert_int_equal(acct_expires(a, &keys[5], &end), -ENOENT);
		assert_int_equal(acct_expires(a, &keys[11], &end), -ENOENT);
		assert_int_equal(read_into(a, &s, true), 0);
	}
	assert_int_equal(acct_forget(a, &keys[2]), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(acct_expires(a, &keys[2], &end), -ENOENT);
	assert_int_equal(acct_expires(a, &keys[3], &end), 0);
	assert_int_equal(end.end, 5003);
	assert_int_equal(end.state, 6);
}

static void test_slots_owner_forget(void **state)
{
	static struct seen s;
	static struct flow_key keys[200];
	static struct flow_counters v[200];
	const uint64_t stamps[5] = { S1, S2, 0, S1, S2 };
	struct flow_owner o;
	struct acct_stats st;
	struct acct *a;
	uint32_t i, slot;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1000))
		skip();
	keys_and_vals(keys, v, 200, 1);
	assert_int_equal(acct_set(a, keys, v, 200), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(bpf_map_lookup_elem(a->sl.slot_of_fd, &keys[i],
						     &slot), 0);
		o.ct = i == 1 || i == 4 ? P2 : P1;
		o.stamp = stamps[i];
		assert_int_equal(bpf_map_update_elem(a->sl.owner_fd, &slot, &o,
						     BPF_ANY), 0);
	}
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.reported, 200);
	/* 0..3 count on (as the program would, under their owners) */
	for (i = 0; i < 4; i++)
		vals(&v[i], 500 + i);
	assert_int_equal(acct_set(a, keys, v, 4), 0);
	assert_int_equal(acct_forget_conn(a, &keys[0], S1), 0);
	assert_int_equal(acct_forget_conn(a, &keys[1], S1), 0);
	assert_int_equal(acct_forget_conn(a, &keys[2], S1), 0);
	assert_int_equal(acct_forget(a, &keys[3]), 0);
	/* another owner, but nothing moved since the last read: goes */
	assert_int_equal(acct_forget_conn(a, &keys[4], S1), 0);
	/* 150: unchanged, far from the re-check window, but reused */
	assert_int_equal(acct_reused(a, &keys[150]), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.times[150], 1);
	assert_memory_equal(&s.sum[150], &v[150], sizeof(v[150]));
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 197);	/* 0, 3 and 4 */
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.times[150], 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, 196);	/* and 2, one read later */
	assert_int_equal(bpf_map_lookup_elem(a->sl.slot_of_fd, &keys[1],
					     &slot), 0);
	assert_int_not_equal(bpf_map_lookup_elem(a->sl.slot_of_fd, &keys[2],
						 &slot), 0);
	(void)a;	/* closed by close_cur */
}

/*
 * slots: packets of a newer connection on a destroyed flow's tuple that
 * come after the read passed the slot (before the forget), or after the
 * forget decided (before the key left slot_of), are the newer one's: the
 * slot is kept, or given back (or added to the newer slot) at release.
 */
struct late {
	struct seen *s;
	struct acct *a;
	uint32_t when, slot;	/* when key `when` is reported: slot moves */
	struct flow_owner owner;
	struct flow_counters c;
};

static void program_writes(struct acct *a, uint32_t slot,
			   const struct flow_owner *o,
			   const struct flow_counters *c)
{
	assert_int_equal(bpf_map_update_elem(a->sl.owner_fd, &slot, o,
					     BPF_ANY), 0);
	a->sl.ctr[slot] = *c;
	/* and marks the slot, as the program does after its adds */
	__atomic_fetch_or(&a->sl.marks[slot / 64], 1ull << (slot % 64),
			  __ATOMIC_SEQ_CST);
}

static bool record_late(const struct flow_key *key,
			const struct flow_counters *sum, void *arg)
{
	struct late *l = arg;

	if (be32toh(key->src[3]) == l->when)
		program_writes(l->a, l->slot, &l->owner, &l->c);
	return record(key, sum, l->s);
}

static void test_slots_late_new_connection(void **state)
{
	static struct seen s;
	static struct flow_key keys[100];
	static struct flow_counters v[100];
	struct flow_owner old = { .ct = P1, .stamp = S1 };
	struct flow_owner newer = { .ct = P2, .stamp = S2 };
	struct flow_owner first = { .ct = P2, .stamp = 0 };
	struct flow_counters c5 = { { 1, 0 }, { 60, 0 } };
	struct flow_counters c6 = { { 1, 0 }, { 70, 0 } };
	struct flow_counters c7 = { { 1, 0 }, { 80, 0 } };
	struct flow_counters c7b = { { 2, 0 }, { 140, 0 } };
	struct flow_counters want7 = { { 3, 0 }, { 220, 0 } };
	struct late l = { .s = &s };
	uint32_t i, slot[100], s7b;
	struct acct *a;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, 1000))
		skip();
	keys_and_vals(keys, v, 100, 1);
	assert_int_equal(acct_set(a, keys, v, 100), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(bpf_map_lookup_elem(a->sl.slot_of_fd, &keys[i],
						     &slot[i]), 0);
	assert_true(slot[5] < slot[50]);
	for (i = 5; i <= 7; i++)
		program_writes(a, slot[i], &old, &v[i]);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.reported, 100);

	/* 5: the newer connection's first packet once the scan is at 50 */
	for (i = 5; i <= 7; i++)
		assert_int_equal(acct_forget_conn(a, &keys[i], S1), 0);
	vals(&v[50], 1000);
	assert_int_equal(acct_set(a, &keys[50], &v[50], 1), 0);
	l.a = a;
	l.when = 50;
	l.slot = slot[5];
	l.owner = newer;
	l.c = c5;
	memset(&s, 0, sizeof(s));
	s.answer = true;
	assert_int_equal(acct_read(a, record_late, &l), 0);
	assert_int_equal(s.times[5], 0);	/* moved after the scan */
	/* 6 and 7 are retired now; packets of a newer connection land in
	 * their slots before the program sees the keys gone */
	program_writes(a, slot[6], &newer, &c6);
	program_writes(a, slot[7], &first, &c7);
	/* and 7's connection goes on in a slot of its own */
	assert_int_equal(acct_set(a, &keys[7], &c7b, 1), 0);
	assert_int_equal(bpf_map_lookup_elem(a->sl.slot_of_fd, &keys[7], &s7b),
			 0);
	assert_int_not_equal(s7b, slot[7]);
	program_writes(a, s7b, &newer, &c7b);

	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.times[5], 1);	/* kept, not retired */
	assert_memory_equal(&s.sum[5], &c5, sizeof(c5));
	assert_int_equal(s.times[7], 1);
	assert_memory_equal(&s.sum[7], &c7b, sizeof(c7b));
	/* quarantine over: 6's slot back to its key, 7's counts added */
	sleep_ms(250);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(read_into(a, &s, true), 0);
	assert_int_equal(s.times[6], 1);
	assert_memory_equal(&s.sum[6], &c6, sizeof(c6));
	assert_int_equal(s.times[7], 1);
	assert_memory_equal(&s.sum[7], &want7, sizeof(want7));
	assert_int_equal(a->sl.rescued, 2);
	assert_int_equal(bpf_map_lookup_elem(a->sl.slot_of_fd, &keys[6], &i), 0);
	assert_int_equal(i, slot[6]);
	(void)a;	/* closed by close_cur */
}

/* The layout tests load BPF programs: in a namespace of their own. */
static int setup_netns(void **state)
{
	(void)state;
	if (geteuid() == 0 && unshare(CLONE_NEWNET))
		return -1;
	return 0;
}

/*
 * slots: slot_keys is not kept mapped. A read reads the keys of the slots
 * it reports through a window moved along the slots (WIN_KEYS keys here
 * span several windows), and nothing of slot_keys is resident between
 * reads; forgets find their keys by lookup, released slots' keys are
 * zeroed by batch, and acct_reused marks the key's slot for the next read.
 */
#define WIN_KEYS	40000u

/* Resident kB of the mapping that holds addr (/proc/self/smaps), or -1. */
static long rss_kb_at(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && sscanf(line, "Rss: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void test_slots_keys_window(void **state)
{
	static struct big_seen s;
	static struct flow_key keys[WIN_KEYS];
	static struct flow_counters v[WIN_KEYS];
	struct acct_stats st;
	struct acct *a;
	uint64_t maps, lookups, slot_lookups, visits;
	uint32_t i;

	(void)state;
	if (open_layout(&a, ACCT_LAYOUT_SLOTS, WIN_KEYS))
		skip();
	for (i = 0; i < WIN_KEYS; i++) {
		make_key(&keys[i], i);
		vals(&v[i], 7 * i + 1);
	}
	assert_int_equal(acct_set(a, keys, v, WIN_KEYS), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(acct_read(a, big_record, &s), 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.reported, WIN_KEYS);
	for (i = 0; i < WIN_KEYS; i++) {
		assert_int_equal(s.times[i], 1);
		assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
	}
	/* 1.6 MB of keys: several windows, none left mapped */
	assert_true(a->sl.key_maps >= 3);
	assert_int_equal(a->sl.kwin_hi, a->sl.kwin_lo);
	assert_int_equal(rss_kb_at(a->sl.keys), 0);

	/* five keys moved: the read looks at those (the program marked
	 * them) and the rotating re-check's share, not at every slot */
	for (i = 100; i < 105; i++)
		vals(&v[i], 9 * i + 5);
	assert_int_equal(acct_set(a, &keys[100], &v[100], 5), 0);
	visits = a->sl.visits;
	memset(&s, 0, sizeof(s));
	assert_int_equal(acct_read(a, big_record, &s), 0);
	assert_int_equal(s.bad, 0);
	for (i = 100; i < 105; i++) {
		assert_int_equal(s.times[i], 1);
		assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
	}
	assert_true(a->sl.visits - visits <= 5 + WIN_KEYS / ACCT_RECHECK_DIV + 1);

	/* a reused key unchanged: reported again, and only that one (and
	 * what the rotating re-check adds, a share of the slots) */
	maps = a->sl.key_maps;
	lookups = a->sl.key_lookups;
	assert_int_equal(acct_reused(a, &keys[WIN_KEYS - 5]), 0);
	assert_int_equal(a->sl.key_lookups, lookups);	/* no key read */
	memset(&s, 0, sizeof(s));
	assert_int_equal(acct_read(a, big_record, &s), 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.times[WIN_KEYS - 5], 1);
	assert_memory_equal(&s.sum[WIN_KEYS - 5], &v[WIN_KEYS - 5],
			    sizeof(v[0]));
	assert_true(s.reported <= 1 + (WIN_KEYS + ACCT_RECHECK_DIV - 1) /
		    ACCT_RECHECK_DIV);
	assert_true(a->sl.key_maps > maps);
	assert_int_equal(rss_kb_at(a->sl.keys), 0);

	/*
	 * Every other key forgotten, and as many keys that never had a slot:
	 * the first found through the index, their keys compared in windows
	 * (one a part of slot_keys), not by a lookup each; the others known
	 * slotless from the index alone, the read's scan having indexed
	 * every slot (no slot_of lookup either). The first retired.
	 */
	for (i = 0; i < WIN_KEYS; i += 2) {
		struct flow_key none;

		assert_int_equal(acct_forget(a, &keys[i]), 0);
		make_key(&none, WIN_KEYS + i);
		assert_int_equal(acct_forget(a, &none), 0);
	}
	maps = a->sl.key_maps;
	lookups = a->sl.key_lookups;
	slot_lookups = a->sl.slot_lookups;
	memset(&s, 0, sizeof(s));
	assert_int_equal(acct_read(a, big_record, &s), 0);
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, WIN_KEYS / 2);
	assert_int_equal(a->sl.key_lookups, lookups);
	assert_int_equal(a->sl.slot_lookups, slot_lookups);
	/* the forgets' windows: 1.6 MB of keys, 7 parts of 256 KiB (and
	 * the scan's one for the slots the rotating re-check reports) */
	assert_true(a->sl.key_maps >= maps + 4);
	assert_true(a->sl.key_maps <= maps + 1 + 7);

	/* released (a later read, some time): their keys are zeroed, and
	 * the slots come back for new flows, reported with their keys */
	sleep_ms(250);
	memset(&s, 0, sizeof(s));
	assert_int_equal(acct_read(a, big_record, &s), 0);
	for (i = 0; i < WIN_KEYS / 2; i++) {
		struct flow_key k;
		uint32_t slot = i;

		assert_int_equal(bpf_map_lookup_elem(a->sl.keys_fd, &slot, &k), 0);
		if (k.family) {
			/* a kept key: an odd one, in its slot */
			assert_int_equal(be32toh(k.src[3]) % 2, 1);
		}
	}
	for (i = 0; i < WIN_KEYS; i += 2)
		vals(&v[i], 3 * i + 11);
	for (i = 0; i < WIN_KEYS; i += 2)
		assert_int_equal(acct_set(a, &keys[i], &v[i], 1), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(acct_read(a, big_record, &s), 0);
	assert_int_equal(s.bad, 0);
	for (i = 0; i < WIN_KEYS; i += 2) {
		assert_int_equal(s.times[i], 1);
		assert_memory_equal(&s.sum[i], &v[i], sizeof(v[i]));
	}
	acct_get_stats(a, &st);
	assert_int_equal(st.entries, WIN_KEYS);
	assert_int_equal(rss_kb_at(a->sl.keys), 0);
	(void)a;	/* closed by close_cur */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_conntrack_needs_no_bpf),
		cmocka_unit_test(test_bpf_backend_needs_room),
		cmocka_unit_test(test_lru_sum_newest_owner),
		cmocka_unit_test(test_forget_queue_index),
		cmocka_unit_test(test_forget_queue_done_in_part),
		cmocka_unit_test(test_forget_decide),
		cmocka_unit_test_teardown(test_slots_reports_changes, close_cur),
		cmocka_unit_test_teardown(test_slots_read_hint, close_cur),
		cmocka_unit_test_teardown(test_slots_forget_and_reuse, close_cur),
		cmocka_unit_test_teardown(test_slots_index_follows_use,
					  close_cur),
		cmocka_unit_test_teardown(test_slots_index_grows_by_shares,
					  close_cur),
		cmocka_unit_test_teardown(test_slots_small_index_rebuilt_at_once,
					  close_cur),
		cmocka_unit_test_teardown(test_slots_forgets_by_shares,
					  close_cur),
		cmocka_unit_test_teardown(test_slots_forgets_by_deadline,
					  close_cur),
		cmocka_unit_test_teardown(test_slots_forgets_deadline_yields,
					  close_cur),
		cmocka_unit_test_teardown(test_slots_read_prefetches,
					  close_cur),
		cmocka_unit_test_teardown(test_slots_orphans, close_cur),
		cmocka_unit_test_teardown(test_lru_reports_every_key, close_cur),
		cmocka_unit_test_teardown(test_lru_owner_forget, close_cur),
		cmocka_unit_test_teardown(test_slots_late_new_connection,
					  close_cur),
		cmocka_unit_test_teardown(test_slots_owner_forget, close_cur),
		cmocka_unit_test_teardown(test_slots_expires, close_cur),
		cmocka_unit_test_teardown(test_slots_keys_window, close_cur),
	};

	return cmocka_run_group_tests(tests, setup_netns, NULL);
}
