// SPDX-License-Identifier: GPL-2.0
/* Sort keys, radix sort and process rows of the view. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "sort.h"

static struct flow mk(uint32_t id, uint8_t proto, uint32_t dst, uint16_t dport,
		      uint64_t bytes, float rate)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.ct_id = id;
	f.key.family = AF_INET;
	f.key.proto = proto;
	f.key.src[0] = htonl(0xc0000201);	/* 192.0.2.1 */
	f.key.dst[0] = htonl(dst);
	f.key.sport = htons(40000);
	f.key.dport = htons(dport);
	f.reply = f.key;
	f.reply.src[0] = f.key.dst[0];
	f.reply.dst[0] = htonl(0xc6336401);	/* 198.51.100.1: SNAT */
	f.reply.sport = f.key.dport;
	f.reply.dport = f.key.sport;
	f.total.bytes[0] = bytes;
	f.total.packets[0] = bytes / 100;
	f.byte_rate[0] = rate;
	f.state = FLOW_STATE_NONE;
	return f;
}

/* order of ct ids after sorting flows by k */
static void sorted_ids(struct flow *fl, size_t n, enum sort_key k, bool rev,
		       uint32_t *out)
{
	struct sort_item *it = calloc(n, sizeof(*it)), *tmp = calloc(n, sizeof(*tmp));

	for (size_t i = 0; i < n; i++)
		sort_item_fill(&it[i], k, rev, &fl[i], NULL, (uint32_t)i);
	sort_items(it, tmp, n);
	for (size_t i = 0; i < n; i++)
		out[i] = fl[sort_item_row(&it[i])].ct_id;
	free(it);
	free(tmp);
}

static void test_sort_keys(void **state)
{
	struct flow fl[4] = {
		mk(10, IPPROTO_UDP, 0xcb007102, 53, 500, 10.5f),
		mk(11, IPPROTO_TCP, 0xcb007101, 443, 9000, 10.25f),
		mk(12, IPPROTO_UDP, 0xc6336402, 5001, 100, 2000.0f),
		mk(13, IPPROTO_TCP, 0xcb007101, 80, 9000, 0.0f),
	};
	uint32_t ids[4];

	(void)state;
	sorted_ids(fl, 4, SORT_RATE, false, ids);
	assert_int_equal(ids[0], 12);
	assert_int_equal(ids[1], 10);	/* 10.5 above 10.25: fractions count */
	assert_int_equal(ids[2], 11);
	assert_int_equal(ids[3], 13);
	sorted_ids(fl, 4, SORT_RATE, true, ids);
	assert_int_equal(ids[0], 13);
	assert_int_equal(ids[3], 12);

	/* equal bytes: the rows' order (here by ct id) breaks the tie, in
	 * both directions */
	sorted_ids(fl, 4, SORT_BYTES, false, ids);
	assert_int_equal(ids[0], 11);
	assert_int_equal(ids[1], 13);
	assert_int_equal(ids[2], 10);
	assert_int_equal(ids[3], 12);
	sorted_ids(fl, 4, SORT_BYTES, true, ids);
	assert_int_equal(ids[0], 12);
	assert_int_equal(ids[1], 10);
	assert_int_equal(ids[2], 11);
	assert_int_equal(ids[3], 13);

	/* destination: address, then port */
	sorted_ids(fl, 4, SORT_DEST, false, ids);
	assert_int_equal(ids[0], 12);	/* 198.51.100.2 */
	assert_int_equal(ids[1], 13);	/* 203.0.113.1:80 */
	assert_int_equal(ids[2], 11);	/* 203.0.113.1:443 */
	assert_int_equal(ids[3], 10);	/* 203.0.113.2 */

	sorted_ids(fl, 4, SORT_PORT, false, ids);
	assert_int_equal(ids[0], 10);
	assert_int_equal(ids[1], 13);
	assert_int_equal(ids[2], 11);
	assert_int_equal(ids[3], 12);

	sorted_ids(fl, 4, SORT_PROTO, false, ids);	/* tcp (6) before udp (17) */
	assert_int_equal(ids[0], 11);
	assert_int_equal(ids[1], 13);
	assert_int_equal(ids[2], 10);
	assert_int_equal(ids[3], 12);
}

static void test_sort_age_and_info(void **state)
{
	struct flow fl[3] = {
		mk(1, IPPROTO_TCP, 1, 1, 0, 0),
		mk(2, IPPROTO_TCP, 1, 1, 0, 0),
		mk(3, IPPROTO_TCP, 1, 1, 0, 0),
	};
	struct flow_info info[3];
	struct sort_item it[3], tmp[3];

	(void)state;
	fl[0].start_ns = 3000;
	fl[1].start_ns = 1000;
	fl[2].start_ns = 0;
	fl[2].first_seen_ns = 2000;
	for (int i = 0; i < 3; i++)
		sort_item_fill(&it[i], SORT_AGE, false, &fl[i], NULL, (uint32_t)i);
	sort_items(it, tmp, 3);
	assert_int_equal(sort_item_row(&it[0]), 1);	/* oldest first */
	assert_int_equal(sort_item_row(&it[1]), 2);
	assert_int_equal(sort_item_row(&it[2]), 0);

	memset(info, 0, sizeof(info));
	strcpy(info[0].proc.comm, "sshd");
	strcpy(info[1].proc.comm, "Curl");
	/* info[2]: no process: last */
	for (int i = 0; i < 3; i++)
		sort_item_fill(&it[i], SORT_PROCESS, false, &fl[i], &info[i],
			       (uint32_t)i);
	sort_items(it, tmp, 3);
	assert_int_equal(sort_item_row(&it[0]), 1);
	assert_int_equal(sort_item_row(&it[1]), 0);
	assert_int_equal(sort_item_row(&it[2]), 2);
	assert_true(sort_key_needs_info(SORT_COUNTRY));
	assert_false(sort_key_needs_info(SORT_RATE));
	assert_string_equal(sort_key_name(SORT_DEST), "destination");
}

/* o/O walk the one list of keys, round both ends; --sort reads the same list */
static void test_sort_key_cycle(void **state)
{
	enum sort_key k = SORT_RATE;
	bool rev;

	(void)state;
	assert_int_equal(sort_key_next(SORT_RATE, 1), SORT_BYTES);
	assert_int_equal(sort_key_next(SORT_RATE, -1), SORT_COUNTRY);
	assert_int_equal(sort_key_next(SORT_COUNTRY, 1), SORT_RATE);
	for (int i = 0; i < SORT_KEY_COUNT; i++)
		k = sort_key_next(k, 1);
	assert_int_equal(k, SORT_RATE);
	assert_int_equal(proc_sort_next(PSORT_NAME, 1), PSORT_RATE);
	assert_int_equal(proc_sort_next(PSORT_RATE, -1), PSORT_NAME);
	/* every name parses back to its key; aliases too */
	for (int i = 0; i < SORT_KEY_COUNT; i++) {
		assert_int_equal(sort_key_parse(sort_key_name((enum sort_key)i),
						&k, &rev), 0);
		assert_int_equal(k, i);
		assert_false(rev);
	}
	assert_int_equal(sort_key_parse("pkts", &k, &rev), 0);
	assert_int_equal(k, SORT_PACKETS);
	assert_int_equal(sort_key_parse("dst", &k, &rev), 0);
	assert_int_equal(k, SORT_DEST);
	/* signs: '-' largest first, '+' smallest first, whatever the key */
	assert_int_equal(sort_key_parse("-age", &k, &rev), 0);
	assert_false(rev);
	assert_int_equal(sort_key_parse("+bytes", &k, &rev), 0);
	assert_true(rev);
	assert_int_equal(sort_key_parse("-port", &k, &rev), 0);
	assert_true(rev);
	assert_int_equal(sort_key_parse("nope", &k, &rev), -EINVAL);
	assert_true(sort_key_desc(SORT_RATE));
	assert_false(sort_key_desc(SORT_AGE));
}

static void test_radix_large_random(void **state)
{
	size_t n = 100000;
	struct sort_item *it = malloc(n * sizeof(*it)), *tmp = malloc(n * sizeof(*tmp));

	(void)state;
	srandom(7);
	for (size_t i = 0; i < n; i++) {
		it[i].hi = (uint64_t)random() << 20 ^ (uint64_t)random();
		it[i].lo = (uint64_t)(random() % 5) << 32 | i;
	}
	sort_items(it, tmp, n);
	for (size_t i = 1; i < n; i++) {
		/* by hi, then lo: equal keys keep their rows' order */
		assert_true(it[i - 1].hi < it[i].hi ||
			    (it[i - 1].hi == it[i].hi && it[i - 1].lo < it[i].lo));
	}
	free(it);
	free(tmp);
}

static int cmp_item(const void *pa, const void *pb)
{
	const struct sort_item *a = pa, *b = pb;

	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/*
 * Keys on both sides of the packing limit (primary and secondary widths
 * summing to 64 bits, packed into one word, and to 65, sorted bytewise)
 * come out as a reference sort gives them, each item unchanged: the
 * packed sort puts the primary key back. Complemented keys (leading ones
 * alike in every key) are as narrow as the bits that differ.
 */
static void test_radix_key_widths(void **state)
{
	const unsigned int widths[][2] = {
		{ 32, 32 }, { 33, 32 }, { 64, 0 }, { 63, 1 }, { 1, 32 },
		{ 0, 0 }, { 40, 24 }, { 41, 24 },
	};
	size_t n = 5000;
	struct sort_item *it = malloc(n * sizeof(*it));
	struct sort_item *tmp = malloc(n * sizeof(*tmp));
	struct sort_item *ref = malloc(n * sizeof(*ref));

	(void)state;
	assert_non_null(it);
	assert_non_null(tmp);
	assert_non_null(ref);
	srandom(13);
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		unsigned int hb = widths[w][0], sb = widths[w][1];
		uint64_t hmask = hb == 64 ? UINT64_MAX : (1ull << hb) - 1;
		uint64_t smask = (1ull << sb) - 1;

		for (size_t i = 0; i < n; i++) {
			uint64_t r = (uint64_t)random() << 33 ^
				     (uint64_t)random() << 11 ^ (uint64_t)random();

			/* few distinct keys now and then: ties to keep stable */
			if (i % 3 == 0)
				r %= 7;
			it[i].hi = r & hmask;
			/* the widest keys reach their top bit */
			if (i == n / 2)
				it[i].hi = hmask;
			it[i].lo = ((uint64_t)random() & smask) << 32 | i;
			if (i == n / 3)
				it[i].lo = smask << 32 | i;
			/* every other round complemented, as largest-first
			 * keys are: the same width in the bits that differ */
			if (w % 2) {
				it[i].hi = ~it[i].hi;
				it[i].lo ^= (uint64_t)UINT32_MAX << 32;
			}
		}
		memcpy(ref, it, n * sizeof(*it));
		qsort(ref, n, sizeof(*ref), cmp_item);
		sort_items(it, tmp, n);
		assert_memory_equal(it, ref, n * sizeof(*it));
	}
	free(it);
	free(tmp);
	free(ref);
}

/*
 * Rows sharing the common key, left out of the sort and put in as a block,
 * end up exactly where sorting them all would put them: wherever the
 * common key falls (first, between the others, last).
 */
static void test_sort_with_common_block(void **state)
{
	size_t n = 20000;
	struct sort_item *all = malloc(n * sizeof(*all));
	struct sort_item *tmp = malloc(n * sizeof(*tmp));
	struct sort_item *others = malloc(n * sizeof(*others));
	uint32_t *out = malloc(n * sizeof(*out));
	const uint64_t commons[] = { 0, 50, UINT64_MAX };

	(void)state;
	assert_non_null(all);
	assert_non_null(tmp);
	assert_non_null(others);
	assert_non_null(out);
	srandom(11);
	for (size_t c = 0; c < sizeof(commons) / sizeof(commons[0]); c++) {
		struct sort_item common = { .hi = commons[c], .lo = 3ull << 32 };
		size_t m = 0, nc = 0;

		for (size_t i = 0; i < n; i++) {
			/* most rows quiet; the others on both sides of it, some
			 * with the common hi and another secondary key */
			if (random() % 10 < 7) {
				all[i].hi = common.hi;
				all[i].lo = (3ull << 32) | i;
			} else {
				all[i].hi = (uint64_t)(random() % 101);
				all[i].lo = ((uint64_t)(random() % 5) << 32) | i;
				if (c == 2 && random() % 4 == 0)
					all[i].hi = UINT64_MAX;
			}
			if (sort_item_same_key(&all[i], &common))
				out[nc++] = (uint32_t)i;
			else
				others[m++] = all[i];
		}
		assert_true(nc > n / 2 && m > n / 5);
		sort_rows_with_common(others, tmp, m, &common, out, nc);
		sort_items(all, tmp, n);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i], sort_item_row(&all[i]));
	}
	free(all);
	free(tmp);
	free(others);
	free(out);
}

static void test_active(void **state)
{
	struct flow f = mk(1, IPPROTO_UDP, 1, 1, 100, 0);

	(void)state;
	assert_false(flow_is_active(&f));
	f.pkt_rate[1] = 0.5f;
	assert_true(flow_is_active(&f));
}

static void test_proc_agg(void **state)
{
	struct proc_agg *a = proc_agg_new();
	struct proc_info p1 = { .pid = 100, .comm = "nginx", .user = "www" };
	struct proc_info p2 = { .pid = 200, .comm = "curl", .user = "root" };
	struct flow f = mk(1, IPPROTO_TCP, 1, 80, 1000, 50);
	struct proc_row *rows;
	size_t n;

	(void)state;
	assert_non_null(a);
	for (int i = 0; i < 3; i++)
		assert_int_equal(proc_agg_add(a, &f, &p1), 0);
	assert_int_equal(proc_agg_add(a, &f, &p2), 0);
	assert_int_equal(proc_agg_add(a, &f, NULL), 0);	/* unknown: pid 0 */
	/* many pids: the hash grows */
	for (int i = 0; i < 500; i++) {
		struct proc_info p = { .pid = 1000 + i, .comm = "w" };

		assert_int_equal(proc_agg_add(a, &f, &p), 0);
	}
	assert_int_equal(proc_agg_finish(a, PSORT_FLOWS, false, &rows, &n), 0);
	assert_int_equal(n, 503);
	assert_int_equal(rows[0].pid, 100);
	assert_int_equal(rows[0].flows, 3);
	assert_int_equal(rows[0].bytes[0], 3000);
	assert_true(rows[0].rate[0] == 150.0);
	assert_string_equal(rows[0].user, "www");
	free(rows);

	assert_int_equal(proc_agg_add(a, &f, &p2), 0);
	assert_int_equal(proc_agg_add(a, &f, &p1), 0);
	assert_int_equal(proc_agg_add(a, &f, NULL), 0);
	assert_int_equal(proc_agg_finish(a, PSORT_NAME, false, &rows, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].comm, "curl");
	assert_string_equal(rows[1].comm, "nginx");
	assert_int_equal(rows[2].pid, 0);
	free(rows);
	assert_int_equal(proc_agg_add(a, &f, &p2), 0);
	assert_int_equal(proc_agg_add(a, &f, &p1), 0);
	assert_int_equal(proc_agg_finish(a, PSORT_PID, true, &rows, &n), 0);
	assert_int_equal(rows[0].pid, 200);
	free(rows);
	proc_agg_free(a);
}

/*
 * sort_key_quiet says, without an item, what filling one and comparing it
 * with a quiet flow's would: for rates of every size around the key's
 * rounding, both directions and every key.
 */
static void test_sort_key_quiet(void **state)
{
	static const float rates[] = { 0.0f, -1.0f, 1e-3f, 0.06f, 0.0625f,
				       1.0f, 16.0f, 1e6f };
	static const struct flow no_traffic;

	(void)state;
	for (int k = 0; k < SORT_KEY_COUNT; k++) {
		for (size_t b = 0; b < sizeof(rates) / sizeof(rates[0]); b++) {
			for (size_t q = 0; q < sizeof(rates) / sizeof(rates[0]); q++) {
				struct flow f = mk(7, IPPROTO_UDP, 0xc6336407, 9,
						   0, 0.0f);

				f.byte_rate[0] = rates[b];
				f.pkt_rate[1] = rates[q];
				for (int rev = 0; rev < 2; rev++) {
					struct sort_item a, c;

					sort_item_fill(&a, (enum sort_key)k, rev, &f,
						       NULL, 0);
					sort_item_fill(&c, (enum sort_key)k, rev,
						       &no_traffic, NULL, 0);
					if (sort_key_quiet((enum sort_key)k, &f))
						assert_true(sort_item_same_key(&a, &c));
					else if (k == SORT_RATE)
						assert_false(sort_item_same_key(&a, &c));
				}
			}
		}
	}
	/* the keys other than the rate's are never known quiet */
	assert_false(sort_key_quiet(SORT_BYTES, &no_traffic));
	assert_true(sort_key_quiet(SORT_RATE, &no_traffic));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_keys),
		cmocka_unit_test(test_sort_key_quiet),
		cmocka_unit_test(test_sort_age_and_info),
		cmocka_unit_test(test_sort_key_cycle),
		cmocka_unit_test(test_radix_large_random),
		cmocka_unit_test(test_radix_key_widths),
		cmocka_unit_test(test_sort_with_common_block),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_proc_agg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
