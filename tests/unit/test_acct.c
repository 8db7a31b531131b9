// SPDX-License-Identifier: GPL-2.0
/*
 * acct: backend and counter layout names (what --acct and --counter-map
 * accept), and, as root, the two counter layouts' bookkeeping with the
 * netfilter program loaded in a private network namespace (no packets
 * reach it; acct_set stands in for the program): what a read reports,
 * forgetting, slot reuse after quarantine, orphan reclaim, a full map.
 * Without root or BPF the layout tests are skipped.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "acct.h"

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

static bool record(const struct flow_key *key, const struct flow_counters *sum,
		   void *arg)
{
	struct seen *s = arg;
	uint32_t i = be32toh(key->src[3]);
	struct flow_key want;

	make_key(&want, i);
	if (i >= NKEYS || memcmp(&want, key, sizeof(want))) {
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

/* 1 when the test must be skipped (no root, no BPF) */
static int open_layout(struct acct **a, enum acct_layout layout,
		       uint32_t max_flows)
{
	struct acct_opts o = { .kind = ACCT_NETFILTER, .layout = layout,
			       .max_flows = max_flows };
	char err[512];
	int rc;

	rc = acct_open(a, &o, err, sizeof(err));
	if (rc == -EPERM || rc == -ENOTSUP || rc == -EACCES)
		return 1;
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
	for (i = 0; i < 100; i++) {
		make_key(&keys[i], i);
		vals(&v[i], i + 1);
	}
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

/* The layout tests load BPF programs: in a namespace of their own. */
static int setup_netns(void **state)
{
	(void)state;
	if (geteuid() == 0 && unshare(CLONE_NEWNET))
		return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_conntrack_needs_no_bpf),
		cmocka_unit_test(test_bpf_backend_needs_room),
		cmocka_unit_test_teardown(test_slots_reports_changes, close_cur),
		cmocka_unit_test_teardown(test_slots_forget_and_reuse, close_cur),
		cmocka_unit_test_teardown(test_slots_orphans, close_cur),
		cmocka_unit_test_teardown(test_lru_reports_every_key, close_cur),
	};

	return cmocka_run_group_tests(tests, setup_netns, NULL);
}
