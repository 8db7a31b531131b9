// SPDX-License-Identifier: GPL-2.0
/*
 * Grouping: key specs, key extraction (prefix masking for IPv4 and IPv6,
 * the service side's port), group totals equal to the sums of their flows,
 * the order of group rows, the filter hook, the view's groups and the
 * JSON/CSV output.
 */
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

#include "filter.h"
#include "group.h"
#include "group_out.h"
#include "snap_of_flows.h"
#include "ui_view.h"

static struct group_spec spec_of(const char *s)
{
	struct group_spec g;
	char err[200];

	assert_int_equal(group_spec_parse(s, &g, err, sizeof(err)), 0);
	return g;
}

static struct flow mk4(uint32_t src, uint32_t dst, uint8_t proto,
		       uint16_t sport, uint16_t dport)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.key.family = AF_INET;
	f.key.proto = proto;
	f.key.src[0] = htonl(src);
	f.key.dst[0] = htonl(dst);
	f.key.sport = htons(sport);
	f.key.dport = htons(dport);
	f.reply = f.key;
	f.reply.src[0] = f.key.dst[0];
	f.reply.dst[0] = f.key.src[0];
	f.reply.sport = f.key.dport;
	f.reply.dport = f.key.sport;
	f.state = FLOW_STATE_NONE;
	return f;
}

static struct flow mk6(const char *src, const char *dst, uint16_t dport)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.key.family = AF_INET6;
	f.key.proto = IPPROTO_TCP;
	assert_int_equal(inet_pton(AF_INET6, src, f.key.src), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, f.key.dst), 1);
	f.key.sport = htons(40000);
	f.key.dport = htons(dport);
	f.state = FLOW_STATE_NONE;
	return f;
}

static const char *key_text(const char *spec, const struct flow *f,
			    const struct flow_info *info, char *buf, size_t len)
{
	struct group_spec g = spec_of(spec);
	struct group_key k;

	group_key_of(&g, f, info, &k);
	return group_key_text(&g, &k, buf, len);
}

static void test_spec_parse(void **state)
{
	static const char *const bad[] = {
		"", "foo", "net", "net/", "net/33", "net6/129", "net/24,",
		",net/24", "net/24,net/16", "net6/48,net6/64", "net/2x",
		"net/0024", "net /24", "SRC", "src,dst", "net/24,src",
		"net6/", "net/-1",
	};
	struct group_spec g;
	char err[200], buf[64];

	(void)state;
	g = spec_of("src");
	assert_int_equal(g.kind, GROUP_SRC);
	assert_int_equal(spec_of("host").kind, GROUP_HOST);
	assert_int_equal(spec_of("port").kind, GROUP_PORT);
	g = spec_of("net/16");
	assert_int_equal(g.kind, GROUP_NET);
	assert_int_equal(g.v4_prefix, 16);
	assert_int_equal(g.v6_prefix, GROUP_V6_PREFIX_DEFAULT);
	g = spec_of("net6/48");
	assert_int_equal(g.v4_prefix, GROUP_V4_PREFIX_DEFAULT);
	assert_int_equal(g.v6_prefix, 48);
	g = spec_of("net6/56,net/0");
	assert_int_equal(g.v4_prefix, 0);
	assert_int_equal(g.v6_prefix, 56);
	assert_string_equal(group_spec_name(&g, buf, sizeof(buf)),
			    "net/0,net6/56");
	g = spec_of("asn");
	assert_string_equal(group_spec_name(&g, buf, sizeof(buf)), "asn");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(group_spec_parse(bad[i], &g, err, sizeof(err)),
				 -EINVAL);
		assert_true(err[0] != '\0');
	}
	/* the message names the bad part */
	group_spec_parse("net/16,net6/200", &g, err, sizeof(err));
	assert_non_null(strstr(err, "'net6/200'"));
	group_spec_parse(NULL, &g, err, sizeof(err));
	assert_non_null(strstr(err, "empty"));
	/* the view's cycle visits every kind and comes back */
	g = spec_of("src");
	for (int i = 0; i < GROUP_KIND_COUNT - 1; i++)
		group_spec_next(&g);
	assert_int_equal(g.kind, GROUP_SRC);
}

static void test_prefix_v4(void **state)
{
	struct flow f = mk4(0xc6336cc8, 0xcb007101, IPPROTO_TCP, 40000, 443);
	char buf[80];

	(void)state;
	/* 198.51.108.200 */
	assert_string_equal(key_text("net/24", &f, NULL, buf, sizeof(buf)),
			    "198.51.108.0/24");
	assert_string_equal(key_text("net/20", &f, NULL, buf, sizeof(buf)),
			    "198.51.96.0/20");
	assert_string_equal(key_text("net/32", &f, NULL, buf, sizeof(buf)),
			    "198.51.108.200/32");
	assert_string_equal(key_text("net/0", &f, NULL, buf, sizeof(buf)),
			    "0.0.0.0/0");
	assert_string_equal(key_text("net/1", &f, NULL, buf, sizeof(buf)),
			    "128.0.0.0/1");
	/* an IPv6 prefix leaves IPv4 flows to the IPv4 one (default /24) */
	assert_string_equal(key_text("net6/48", &f, NULL, buf, sizeof(buf)),
			    "198.51.108.0/24");
}

static void test_prefix_v6(void **state)
{
	struct flow f = mk6("2001:db8:abcd:12ff:1:2:3:4", "2001:db8::1", 443);
	char buf[80];

	(void)state;
	assert_string_equal(key_text("net6/48", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd::/48");
	assert_string_equal(key_text("net6/56", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd:1200::/56");
	assert_string_equal(key_text("net6/50", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd::/50");
	assert_string_equal(key_text("net6/52", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd:1000::/52");
	/* the default /64 when only an IPv4 prefix is given */
	assert_string_equal(key_text("net/16", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd:12ff::/64");
	assert_string_equal(key_text("net6/96", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd:12ff:1:2::/96");
	assert_string_equal(key_text("net6/127", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd:12ff:1:2:3:4/127");
	assert_string_equal(key_text("net6/128", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd:12ff:1:2:3:4/128");
	assert_string_equal(key_text("net6/0", &f, NULL, buf, sizeof(buf)),
			    "::/0");
	assert_string_equal(key_text("src", &f, NULL, buf, sizeof(buf)),
			    "2001:db8:abcd:12ff:1:2:3:4");
	assert_string_equal(key_text("dst", &f, NULL, buf, sizeof(buf)),
			    "2001:db8::1");
}

static void test_port_and_proto(void **state)
{
	struct flow f = mk4(0xc0000201, 0xcb007101, IPPROTO_UDP, 53, 5353);
	struct flow icmp = mk4(0xc0000201, 0xcb007101, IPPROTO_ICMP, 7, 0x0008);
	struct group_spec g = spec_of("port");
	struct group_key a, b;
	char buf[80];

	(void)state;
	/* the service side: the original destination port, even when the
	 * source port is the well-known one */
	assert_string_equal(key_text("port", &f, NULL, buf, sizeof(buf)),
			    "udp/5353");
	/* the reply tuple plays no part (NAT'd flows group by what the
	 * client asked for) */
	f.reply.sport = htons(9999);
	assert_string_equal(key_text("port", &f, NULL, buf, sizeof(buf)),
			    "udp/5353");
	assert_string_equal(key_text("port", &icmp, NULL, buf, sizeof(buf)),
			    "icmp");
	assert_string_equal(key_text("proto", &f, NULL, buf, sizeof(buf)),
			    "udp");
	/* the same port over TCP is another service */
	group_key_of(&g, &f, NULL, &a);
	f.key.proto = IPPROTO_TCP;
	group_key_of(&g, &f, NULL, &b);
	assert_false(group_key_eq(&a, &b));
	/* proto: both families together */
	g = spec_of("proto");
	f = mk4(1, 2, IPPROTO_TCP, 1, 2);
	group_key_of(&g, &f, NULL, &a);
	f = mk6("2001:db8::1", "2001:db8::2", 80);
	group_key_of(&g, &f, NULL, &b);
	assert_true(group_key_eq(&a, &b));
}

static void test_endpoints_and_info(void **state)
{
	struct flow f = mk4(0xc0000201, 0xcb007109, IPPROTO_TCP, 40000, 443);
	struct flow_info info;
	char buf[80];

	(void)state;
	assert_string_equal(key_text("src", &f, NULL, buf, sizeof(buf)),
			    "192.0.2.1");
	/* host: the client, the original direction's source */
	assert_string_equal(key_text("host", &f, NULL, buf, sizeof(buf)),
			    "192.0.2.1");
	assert_string_equal(key_text("dst", &f, NULL, buf, sizeof(buf)),
			    "203.0.113.9");
	/* without enrichment: unknown */
	assert_string_equal(key_text("country", &f, NULL, buf, sizeof(buf)), "?");
	assert_string_equal(key_text("asn", &f, NULL, buf, sizeof(buf)), "?");
	assert_string_equal(key_text("process", &f, NULL, buf, sizeof(buf)), "?");
	memset(&info, 0, sizeof(info));
	strcpy(info.dst.geo.country_code, "NL");
	strcpy(info.src.geo.country_code, "DE");
	info.dst.geo.asn = 64496;
	info.proc.pid = 4242;
	assert_string_equal(key_text("country", &f, &info, buf, sizeof(buf)),
			    "NL");
	assert_string_equal(key_text("asn", &f, &info, buf, sizeof(buf)),
			    "AS64496");
	assert_string_equal(key_text("process", &f, &info, buf, sizeof(buf)),
			    "4242");
}

/* --- totals --------------------------------------------------------- */

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* row i of s as a whole flow (four at a time: one expression may compare two) */
static const struct flow *row_of(const struct snapshot *s, size_t i)
{
	static struct flow buf[4];
	static unsigned int next;

	return snapshot_flow(s, i, &buf[next++ % 4]);
}

static struct snapshot *mk_snap(size_t n, uint32_t seed)
{
	struct snapshot_meta m = { .seq = 1, .time = 1700000000.25,
				   .interval = 1 };
	struct flow *flows = calloc(n, sizeof(*flows));
	struct snapshot *s;
	uint32_t x = seed;

	assert_non_null(flows);
	for (size_t i = 0; i < n; i++) {
		struct flow *f = &flows[i];

		if (i % 5 == 0) {
			char a[64];

			snprintf(a, sizeof(a), "2001:db8:%x::%x", rnd(&x) % 300,
				 rnd(&x) % 7 + 1);
			*f = mk6(a, "2001:db8:ffff::1", 80 + rnd(&x) % 3);
		} else {
			*f = mk4(0x0a000000 | (rnd(&x) % 3000),
				 0xcb007100 | (rnd(&x) % 50),
				 rnd(&x) % 2 ? IPPROTO_TCP : IPPROTO_UDP,
				 (uint16_t)(1024 + i), (uint16_t)(rnd(&x) % 20));
		}
		f->ct_id = (uint32_t)(i + 1);
		/* counters near 2^40 too: sums must stay exact */
		f->total.packets[0] = rnd(&x) % 1000;
		f->total.packets[1] = rnd(&x) % 1000;
		f->total.bytes[0] = (uint64_t)rnd(&x) << (i % 9);
		f->total.bytes[1] = rnd(&x) % 100000;
		if (i % 4 == 0) {
			f->byte_rate[0] = (float)(rnd(&x) % 10000);
			f->pkt_rate[1] = (float)(rnd(&x) % 100);
		}
	}
	s = snapshot_of_flows(flows, n, &m);
	assert_non_null(s);
	free(flows);
	return s;
}

/* each group's sums against a brute-force pass over every flow */
static void check_sums(const struct snapshot *s, const char *spec,
		       bool (*keep)(const struct flow *f))
{
	struct group_spec g = spec_of(spec);
	struct group_agg *a = group_agg_new(&g);
	struct group_row *rows;
	size_t n, flows = 0, kept = 0;

	for (size_t i = 0; i < s->n; i++)
		if (!keep || keep(row_of(s, i))) {
			assert_int_equal(group_agg_add(a, row_of(s, i), NULL,
						       (uint32_t)i), 0);
			kept++;
		}
	assert_int_equal(group_agg_finish(a, SORT_RATE, false, &rows, &n), 0);
	assert_true(n > 0);
	for (size_t r = 0; r < n; r++) {
		struct flow_counters sum = { { 0 }, { 0 } };
		double rate[2] = { 0, 0 }, prate[2] = { 0, 0 };
		uint32_t cnt = 0;

		for (size_t i = 0; i < s->n; i++) {
			const struct flow *f = row_of(s, i);
			struct group_key k;

			if (keep && !keep(f))
				continue;
			group_key_of(&g, f, NULL, &k);
			if (!group_key_eq(&k, &rows[r].key))
				continue;
			if (!cnt)	/* rep: the first flow of the group */
				assert_int_equal(rows[r].rep, i);
			cnt++;
			for (int d = 0; d < 2; d++) {
				sum.packets[d] += f->total.packets[d];
				sum.bytes[d] += f->total.bytes[d];
				rate[d] += f->byte_rate[d];
				prate[d] += f->pkt_rate[d];
			}
		}
		assert_int_equal(rows[r].flows, cnt);
		assert_memory_equal(&rows[r].total, &sum, sizeof(sum));
		for (int d = 0; d < 2; d++) {
			assert_true(rows[r].byte_rate[d] == rate[d]);
			assert_true(rows[r].pkt_rate[d] == prate[d]);
		}
		flows += cnt;
	}
	assert_int_equal(flows, kept);
	free(rows);
	group_agg_free(a);
}

/* rows (of snapshot s, grouped by g) against the sums of their flows */
static void check_rows_are_sums(const struct snapshot *s,
				const struct group_spec *g,
				const struct group_row *rows, size_t n)
{
	size_t flows = 0;

	for (size_t r = 0; r < n; r++) {
		struct flow_counters sum = { { 0 }, { 0 } };
		uint32_t cnt = 0;

		for (size_t i = 0; i < s->n; i++) {
			struct flow buf;
			const struct flow *f = snapshot_flow(s, i, &buf);
			struct group_key k;

			group_key_of(g, f, NULL, &k);
			if (!group_key_eq(&k, &rows[r].key))
				continue;
			cnt++;
			for (int d = 0; d < 2; d++) {
				sum.packets[d] += f->total.packets[d];
				sum.bytes[d] += f->total.bytes[d];
			}
		}
		assert_int_equal(rows[r].flows, cnt);
		assert_memory_equal(&rows[r].total, &sum, sizeof(sum));
		flows += cnt;
	}
	assert_int_equal(flows, s->n);
}

static bool tcp_only(const struct flow *f)
{
	return f->key.proto == IPPROTO_TCP;
}

static void test_totals_are_sums(void **state)
{
	struct snapshot *s = mk_snap(6000, 2463534242u);

	(void)state;
	/* thousands of sources: the table grows several times */
	check_sums(s, "src", NULL);
	check_sums(s, "dst", NULL);
	check_sums(s, "net/24,net6/48", NULL);
	check_sums(s, "net/28,net6/64", tcp_only);
	check_sums(s, "port", NULL);
	check_sums(s, "proto", NULL);
	snapshot_put(s);
}

static uint64_t bytes_of(const struct group_row *r)
{
	return r->total.bytes[0] + r->total.bytes[1];
}

/* passes 0-5: by rate, bytes, packets, then the three reversed */
static enum sort_key pass_key(int pass, bool *rev)
{
	static const enum sort_key keys[3] = {
		SORT_RATE, SORT_BYTES, SORT_PACKETS,
	};

	*rev = pass >= 3;
	return keys[pass % 3];
}

static void test_sort_order(void **state)
{
	struct snapshot *s = mk_snap(4000, 88172645u);
	struct group_spec g = spec_of("src");
	struct group_agg *a = group_agg_new(&g);
	struct group_row *rows;
	size_t n;

	(void)state;
	for (int pass = 0; pass < 6; pass++) {
		bool rev;
		enum sort_key k = pass_key(pass, &rev);

		for (size_t i = 0; i < s->n; i++)
			assert_int_equal(group_agg_add(a, row_of(s, i), NULL,
						       (uint32_t)i), 0);
		assert_int_equal(group_agg_finish(a, k, rev, &rows, &n), 0);
		for (size_t i = 1; i < n; i++) {
			double x, y;

			if (k == SORT_RATE) {
				x = rows[i - 1].byte_rate[0] + rows[i - 1].byte_rate[1];
				y = rows[i].byte_rate[0] + rows[i].byte_rate[1];
			} else if (k == SORT_BYTES) {
				x = (double)bytes_of(&rows[i - 1]);
				y = (double)bytes_of(&rows[i]);
			} else {
				x = (double)(rows[i - 1].total.packets[0] +
					     rows[i - 1].total.packets[1]);
				y = (double)(rows[i].total.packets[0] +
					     rows[i].total.packets[1]);
			}
			/* rates compare at the sort key's 1/16 resolution */
			if (k == SORT_RATE)
				assert_true(rev ? (uint64_t)(x * 16) <= (uint64_t)(y * 16)
						: (uint64_t)(x * 16) >= (uint64_t)(y * 16));
			else
				assert_true(rev ? x <= y : x >= y);
		}
		free(rows);
	}
	/* other keys: the group key, addresses numerically, IPv4 first */
	for (size_t i = 0; i < s->n; i++)
		group_agg_add(a, row_of(s, i), NULL, (uint32_t)i);
	assert_int_equal(group_agg_finish(a, SORT_DEST, false, &rows, &n), 0);
	for (size_t i = 1; i < n; i++) {
		const struct group_key *p = &rows[i - 1].key, *q = &rows[i].key;

		if (p->family != q->family) {
			assert_int_equal(p->family, AF_INET);
			assert_int_equal(q->family, AF_INET6);
		} else {
			assert_true(memcmp(p->addr, q->addr, 16) < 0);
		}
	}
	free(rows);
	for (size_t i = 0; i < s->n; i++)
		group_agg_add(a, row_of(s, i), NULL, (uint32_t)i);
	assert_int_equal(group_agg_finish(a, SORT_DEST, true, &rows, &n), 0);
	assert_int_equal(rows[0].key.family, AF_INET6);
	assert_int_equal(rows[n - 1].key.family, AF_INET);
	free(rows);
	group_agg_free(a);

	/* unknown countries last */
	{
		struct group_spec c = spec_of("country");
		struct flow f = mk4(1, 2, IPPROTO_TCP, 1, 2);
		struct flow_info in[3];

		memset(in, 0, sizeof(in));
		strcpy(in[1].dst.geo.country_code, "SE");
		strcpy(in[2].dst.geo.country_code, "AT");
		a = group_agg_new(&c);
		for (int i = 0; i < 3; i++)
			group_agg_add(a, &f, &in[i], (uint32_t)i);
		assert_int_equal(group_agg_finish(a, SORT_COUNTRY, false, &rows,
						  &n), 0);
		assert_int_equal(n, 3);
		assert_memory_equal(rows[0].key.cc, "AT", 2);
		assert_memory_equal(rows[1].key.cc, "SE", 2);
		assert_int_equal(rows[2].key.cc[0], 0);
		free(rows);
		group_agg_free(a);
	}
	snapshot_put(s);
}

/* --- the filter hook, batch output, the view ------------------------------ */

/* the sort's key of a group row: its rate (then packet rate), bytes or
 * packets at the sort's resolution */
static uint64_t order_key(const struct group_row *r, enum sort_key k,
			  uint64_t *sec)
{
	double b = r->byte_rate[0] + r->byte_rate[1];
	double p = r->pkt_rate[0] + r->pkt_rate[1];

	*sec = 0;
	if (k == SORT_BYTES)
		return bytes_of(r);
	if (k == SORT_PACKETS)
		return r->total.packets[0] + r->total.packets[1];
	*sec = p > 0 ? (uint64_t)(p * 16.0) >> 4 : 0;
	return b > 0 ? (uint64_t)(b * 16.0) : 0;
}

/*
 * The whole order, ties included: by the key, most first (least first
 * reversed), equal keys in the order the groups first came (their first
 * flow's row). A third of the groups moved nothing and some have no
 * bytes: they all share the least key, and go last (first reversed).
 */
/*
 * wide: keys far apart (byte and packet counts to 3 * 2^48 a flow: the
 * bytes and packets passes' two keys do not fit one 64-bit key together,
 * so they take the other sort; byte rates to 2.7e11 with packet rates to
 * 6e5, which still pack).
 */
static void sort_ties_run(bool wide)
{
	struct group_spec g = spec_of("src");
	struct group_agg *a = group_agg_new(&g);
	uint32_t x = 2463534242u;
	float rscale = wide ? 9e10f : 0.5f, pscale = wide ? 3e5f : 1;
	unsigned int cshift = wide ? 48 : 0;

	for (int pass = 0; pass < 6; pass++) {
		bool rev;
		enum sort_key k = pass_key(pass, &rev);
		struct group_row *rows;
		size_t n;

		for (uint32_t i = 0; i < 3000; i++) {
			uint32_t src = 0xc0000000u | rnd(&x) % 700;
			struct flow f = mk4(src, 0xcb007101, IPPROTO_UDP, 1, 9);

			if (src % 3) {
				/* a few values only: many ties */
				f.byte_rate[0] = (float)(rnd(&x) % 4) * rscale;
				f.pkt_rate[1] = (float)(rnd(&x) % 3) * pscale;
			}
			if (src % 5) {
				f.total.bytes[0] = (uint64_t)(rnd(&x) % 4) << cshift;
				f.total.packets[1] = (uint64_t)(rnd(&x) % 3) << cshift;
			}
			assert_int_equal(group_agg_add(a, &f, NULL, i), 0);
		}
		assert_int_equal(group_agg_finish(a, k, rev, &rows, &n), 0);
		assert_true(n > 600);
		for (size_t i = 1; i < n; i++) {
			uint64_t s0, s1;
			uint64_t k0 = order_key(&rows[i - 1], k, &s0);
			uint64_t k1 = order_key(&rows[i], k, &s1);

			if (k0 == k1 && s0 == s1)
				assert_true(rows[i - 1].rep < rows[i].rep);
			else if (rev)
				assert_true(k0 < k1 || (k0 == k1 && s0 < s1));
			else
				assert_true(k0 > k1 || (k0 == k1 && s0 > s1));
		}
		free(rows);
	}
	group_agg_free(a);
}

static void test_sort_ties(void **state)
{
	(void)state;
	sort_ties_run(false);
}

static void test_sort_wide_keys(void **state)
{
	(void)state;
	sort_ties_run(true);
}

static bool even_id(void *ctx, const struct flow *f, const struct flow_info *info)
{
	(void)info;
	(*(int *)ctx)++;
	return f->ct_id % 2 == 0;
}

static void test_snapshot_hook(void **state)
{
	struct snapshot *s = mk_snap(3000, 123456789u);
	struct group_spec g = spec_of("net/16,net6/32");
	struct group_agg *a = group_agg_new(&g);
	int asked = 0;
	struct flow_match m = { .match = even_id, .ctx = &asked };
	struct group_result r;
	uint64_t bytes = 0, sum = 0;

	(void)state;
	assert_int_equal(group_snapshot(s, a, NULL, NULL, &m, SORT_BYTES, false, &r),
			 0);
	assert_int_equal(asked, 3000);
	assert_int_equal(r.flows_matched, 1500);
	for (size_t i = 0; i < s->n; i++)
		if (row_of(s, i)->ct_id % 2 == 0)
			bytes += row_of(s, i)->total.bytes[0];
	for (size_t i = 0; i < r.n; i++)
		sum += r.rows[i].total.bytes[0];
	assert_true(sum == bytes);
	/* 10.0.0.0/16 and 2001:db8::/32 */
	assert_int_equal(r.n, 2);
	group_result_free(&r);
	/* the same aggregate again, no hook: every flow */
	assert_int_equal(group_snapshot(s, a, NULL, NULL, NULL, SORT_RATE, false, &r),
			 0);
	assert_int_equal(r.flows_matched, 3000);
	group_result_free(&r);
	group_agg_free(a);
	snapshot_put(s);
}

static char *format_to_string(struct snapshot *s, const char *spec,
			      enum output_format fmt, size_t limit)
{
	struct group_spec g = spec_of(spec);
	struct group_agg *a = group_agg_new(&g);
	struct group_result r;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(group_snapshot(s, a, NULL, NULL, NULL, SORT_BYTES, false, &r),
			 0);
	assert_int_equal(group_format(out, s, &g, &r, limit, fmt, true, NULL), 0);
	fclose(out);
	group_result_free(&r);
	group_agg_free(a);
	return buf;
}

static void test_output(void **state)
{
	struct snapshot_meta m = { .seq = 1, .time = 1700000000.5,
				   .interval = 1 };
	struct flow f[3];
	struct snapshot *s;
	char *txt;

	(void)state;
	f[0] = mk4(0xc0000201, 0xcb007101, IPPROTO_UDP, 40000, 9);
	f[1] = mk4(0xc0000201, 0xcb007102, IPPROTO_UDP, 40001, 9);
	f[2] = mk4(0xc0000202, 0xcb007101, IPPROTO_UDP, 40000, 9);
	for (int i = 0; i < 3; i++) {
		f[i].total.packets[0] = 2 + i;
		f[i].total.packets[1] = 1;
		f[i].total.bytes[0] = 100 * (i + 1);
		f[i].total.bytes[1] = 10;
		f[i].byte_rate[0] = 12.5f;
	}
	s = snapshot_of_flows(f, 3, &m);
	assert_non_null(s);
	txt = format_to_string(s, "src", OUTPUT_JSON, 0);
	assert_non_null(strstr(txt, "\"flows_total\": 3, \"flows_matched\": 3, "
				    "\"group_by\": \"src\", \"groups_total\": 2, "
				    "\"groups\": [{\"key\": \"192.0.2.1\", "
				    "\"name\": null, \"country\": null, \"flows\": 2, "
				    "\"orig_packets\": 5, \"orig_bytes\": 300, "
				    "\"reply_packets\": 2, \"reply_bytes\": 20, "
				    "\"orig_packet_rate\": 0.0, "
				    "\"orig_byte_rate\": 25.0, "
				    "\"reply_packet_rate\": 0.0, "
				    "\"reply_byte_rate\": 0.0}, {\"key\": \"192.0.2.2\""));
	assert_int_equal(txt[strlen(txt) - 1], '\n');
	free(txt);
	/* --top style limit: groups_total stays the whole count */
	txt = format_to_string(s, "src", OUTPUT_JSON, 1);
	assert_non_null(strstr(txt, "\"groups_total\": 2"));
	assert_null(strstr(txt, "192.0.2.2"));
	free(txt);
	txt = format_to_string(s, "port", OUTPUT_CSV, 0);
	assert_non_null(strstr(txt, "time,group_by,key,name,country,flows,"
				    "orig_packets,orig_bytes,reply_packets,"
				    "reply_bytes,orig_packet_rate,orig_byte_rate,"
				    "reply_packet_rate,reply_byte_rate\n"
				    "1700000000.500000,port,udp/9,,,3,9,600,3,30,"
				    "0.0,37.5,0.0,0.0\n"));
	free(txt);
	txt = format_to_string(s, "net/24", OUTPUT_TEXT, 0);
	assert_non_null(strstr(txt, "KEY"));
	assert_non_null(strstr(txt, "192.0.2.0/24"));
	assert_non_null(strstr(txt, "groups 1  by net/24,net6/64"));
	free(txt);
	snapshot_put(s);
}

static void test_view_groups(void **state)
{
	struct snapshot *s = mk_snap(2000, 42u);
	struct ui_params p;
	struct view *v, *all;
	uint64_t sum = 0, want = 0;
	size_t shown, tcp = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.sort = SORT_RATE;
	p.protos = SEL_PROTOS;
	p.groups = true;
	p.gspec = spec_of("port");
	all = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	assert_non_null(all);
	assert_true(all->ngroups > 1);
	/* the groups see only what the filters let through */
	p.protos = SEL_TCP;
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	for (size_t i = 0; i < v->ngroups; i++) {
		assert_int_equal(v->groups[i].key.proto, IPPROTO_TCP);
		sum += v->groups[i].total.bytes[0];
	}
	for (size_t i = 0; i < s->n; i++)
		if (row_of(s, i)->key.proto == IPPROTO_TCP) {
			want += row_of(s, i)->total.bytes[0];
			tcp++;
		}
	assert_true(sum == want);
	/* the flow rows stay counted (the header's "flows N/M") */
	assert_int_equal(v->n, tcp);
	view_put(v);
	/* Enter on a group: the flows tab shows its flows only */
	p.protos = SEL_PROTOS;
	p.groups = false;
	p.group_filter_on = true;
	p.group_filter_spec = all->params.gspec;
	p.group_filter = all->groups[0].key;
	shown = all->groups[0].flows;
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	assert_int_equal(v->n, shown);
	assert_null(v->groups);
	for (size_t i = 0; i < v->n; i++) {
		struct group_key k;

		group_key_of(&p.group_filter_spec, row_of(s, v->idx[i]), NULL, &k);
		assert_true(group_key_eq(&k, &p.group_filter));
	}
	view_put(v);
	view_put(all);
	snapshot_put(s);
}

/*
 * Snapshots of a flow table (rows plus the table's records): the batch
 * pass and the view take the tuple from the record and the counters from
 * the row, without assembling flows; the sums must be the same.
 */
static void test_table_snapshots(void **state)
{
	struct flowtab *tab = flowtab_new(4096);
	struct snapshot_meta m = { .seq = 1, .interval = 1, .time = 100 };
	struct group_spec g = spec_of("net/24,net6/56");
	struct group_agg *a = group_agg_new(&g);
	uint32_t x = 777;

	(void)state;
	for (int sorted = 0; sorted < 2; sorted++) {
		struct rate_list rates = { 0 };
		struct snapshot *s;
		struct group_result r;
		struct ui_params p;
		struct view *v;
		uint64_t want[2] = { 0, 0 }, got[2] = { 0, 0 };
		double rate = 0, grate = 0;

		for (uint32_t i = 0; i < 3000; i++) {
			struct flow f = i % 3 ? mk4(0x0a000000 | (rnd(&x) % 4000),
						    0xcb007101, IPPROTO_TCP,
						    (uint16_t)i, 443) :
					mk6("2001:db8::1", "2001:db8::2", 80);
			struct flow_rec *e;
			bool created;

			if (!(i % 3)) {
				f.key.src[2] = htonl(rnd(&x) % 5000);
				f.key.src[1] = htonl(rnd(&x) % 7 << 8);
				f.key.sport = htons((uint16_t)i);
			}
			e = flowtab_upsert(tab, &f.key, &created);
			assert_non_null(e);
			e->total.bytes[0] = rnd(&x) % 100000;
			e->total.bytes[1] = rnd(&x) % 100000;
			e->total.packets[0] = rnd(&x) % 100;
			if (i % 7 == 0) {
				struct flow_rates fr = {
					.byte_rate = { (float)(rnd(&x) % 1000), 0 },
				};

				assert_int_equal(rate_list_add(&rates,
						 flowtab_index(tab, e), &fr), 0);
			}
		}
		s = snapshot_build(tab, &m, sorted, &rates);
		assert_non_null(s);
		assert_non_null(s->order);
		for (size_t i = 0; i < s->n; i++) {
			struct flow buf;
			const struct flow *f = snapshot_flow(s, i, &buf);

			want[0] += f->total.bytes[0];
			want[1] += f->total.bytes[1];
			rate += f->byte_rate[0];
		}
		assert_int_equal(group_snapshot(s, a, NULL, NULL, NULL, SORT_RATE,
						false, &r), 0);
		assert_int_equal(r.flows_matched, s->n);
		for (size_t i = 0; i < r.n; i++) {
			got[0] += r.rows[i].total.bytes[0];
			got[1] += r.rows[i].total.bytes[1];
			grate += r.rows[i].byte_rate[0];
		}
		assert_true(got[0] == want[0] && got[1] == want[1]);
		assert_true(grate == rate);
		check_rows_are_sums(s, &g, r.rows, r.n);

		memset(&p, 0, sizeof(p));
		p.sort = SORT_RATE;
		p.protos = SEL_PROTOS;
		p.groups = true;
		p.gspec = g;
		v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
		assert_non_null(v);
		assert_int_equal(v->ngroups, r.n);
		check_rows_are_sums(s, &g, v->groups, v->ngroups);
		view_put(v);

		/*
		 * Every record rewritten while s is held (the collector's
		 * next interval): the passes read s's versions, in place
		 * or kept, not the records' new counters.
		 */
		rate_list_clear(&rates);
		for (size_t i = 0; i < s->n; i++) {
			struct flow_rec *e = flowtab_rec(tab, snapshot_idx(s, i));
			struct flow_rates fr = { .byte_rate = { 7, 0 } };

			flowtab_touch(tab, e);
			e->total.bytes[0] += 1000003;
			e->total.bytes[1] = 0;
			assert_int_equal(rate_list_add(&rates, snapshot_idx(s, i),
						       &fr), 0);
		}
		/* and the next snapshot with other rates (its own) */
		snapshot_put(snapshot_build(tab, &m, sorted, &rates));
		group_result_free(&r);
		assert_int_equal(group_snapshot(s, a, NULL, NULL, NULL, SORT_RATE,
						false, &r), 0);
		got[0] = got[1] = 0;
		for (size_t i = 0; i < r.n; i++) {
			got[0] += r.rows[i].total.bytes[0];
			got[1] += r.rows[i].total.bytes[1];
		}
		assert_true(got[0] == want[0] && got[1] == want[1]);
		check_rows_are_sums(s, &g, r.rows, r.n);
		/* the view's grouping (tuples and counters from the records) */
		v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
		assert_non_null(v);
		assert_int_equal(v->ngroups, r.n);
		check_rows_are_sums(s, &g, v->groups, v->ngroups);
		grate = 0;
		for (size_t i = 0; i < v->ngroups; i++)
			grate += v->groups[i].byte_rate[0];
		assert_true(grate == rate);
		view_put(v);
		/* and its flows by bytes, from the counters alone */
		p.groups = false;
		p.sort = SORT_BYTES;
		v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
		assert_non_null(v);
		assert_int_equal(v->n, s->n);
		assert_true(v->rate[0] == rate);
		for (size_t i = 1; i < v->n; i++) {
			struct flow b0, b1;
			const struct flow *f0 = snapshot_flow(s, v->idx[i - 1], &b0);
			const struct flow *f1 = snapshot_flow(s, v->idx[i], &b1);

			assert_true(f0->total.bytes[0] + f0->total.bytes[1] >=
				    f1->total.bytes[0] + f1->total.bytes[1]);
		}
		view_put(v);
		group_result_free(&r);
		snapshot_put(s);
		rate_list_free(&rates);
	}
	group_agg_free(a);
	flowtab_free(tab);
}

/*
 * The view's groups tab on a table snapshot with the protocols to pick
 * rows by: once the watched flows are found the rest of the rows go
 * through group_view_rows. A filter that every flow passes keeps the view
 * in its general loop: both must give the same groups (order and
 * numbers), the same rows, the same total rate and the same samples.
 */
static void test_view_rows_loop(void **state)
{
	struct flowtab *tab = flowtab_new(8192);
	struct snapshot_meta m = { .seq = 1, .interval = 1, .time = 100 };
	struct rate_list rates = { 0 };
	struct flow_ident watch[2];
	struct ui_params p = { .sort = SORT_RATE, .protos = SEL_TCP,
			       .groups = true };
	struct snapshot *s;
	struct view *v, *ref;
	double rate[2] = { 0, 0 };
	size_t tcp = 0;
	uint32_t x = 4242;

	(void)state;
	for (uint32_t i = 0; i < 5000; i++) {
		struct flow f = mk4(0x0a000000 | (rnd(&x) % 3000), 0xcb007101,
				    i % 4 ? IPPROTO_TCP : IPPROTO_UDP,
				    (uint16_t)i, 443);
		bool created;
		struct flow_rec *e = flowtab_upsert(tab, &f.key, &created);
		struct flow_rates fr = {
			.byte_rate = { (float)(rnd(&x) % 1000) / 7,
				       (float)(rnd(&x) % 900) / 3 },
			.pkt_rate = { (float)(rnd(&x) % 10), 0 },
		};

		assert_non_null(e);
		e->ct_id = i + 1;
		e->total.bytes[0] = rnd(&x) % 100000;
		e->total.bytes[1] = rnd(&x) % 100000;
		e->total.packets[1] = rnd(&x) % 100;
		/* one flow in five moved */
		assert_int_equal(i % 5 ? 0 : rate_list_add(&rates,
				 flowtab_index(tab, e), &fr), 0);
	}
	s = snapshot_build(tab, &m, false, &rates);
	assert_non_null(s);
	assert_non_null(s->order);
	/* watched: rows 10 and 3000, the loop of its own takes the rest */
	for (int w = 0; w < 2; w++) {
		struct flow buf;
		const struct flow *f = snapshot_flow(s, w ? 3000 : 10, &buf);

		watch[w].ct_id = f->ct_id;
		watch[w].key = f->key;
		watch[w].idx = f->idx;
	}
	p.gspec = spec_of("src");
	v = view_build(s, &p, NULL, NULL, NULL, false, watch, 2);
	snprintf(p.filter, sizeof(p.filter), "bytes >= 0");
	ref = view_build(s, &p, NULL, NULL, NULL, false, watch, 2);
	assert_non_null(v);
	assert_non_null(ref);
	/* the rows: the TCP ones, in the table's order, their rate summed */
	for (size_t i = 0; i < s->n; i++) {
		struct flow buf;
		const struct flow *f = snapshot_flow(s, i, &buf);

		if (f->key.proto != IPPROTO_TCP)
			continue;
		assert_true(tcp < v->n);
		assert_int_equal(v->idx[tcp], i);
		rate[0] += f->byte_rate[0];
		rate[1] += f->byte_rate[1];
		tcp++;
	}
	assert_int_equal(v->n, tcp);
	assert_true(v->rate[0] == rate[0] && v->rate[1] == rate[1]);
	assert_true(rate[0] > 0 && rate[1] > 0);
	/* the same as the general loop's, exactly */
	assert_int_equal(ref->n, v->n);
	assert_memory_equal(ref->idx, v->idx, v->n * sizeof(*v->idx));
	assert_true(ref->rate[0] == v->rate[0] && ref->rate[1] == v->rate[1]);
	assert_true(v->ngroups > 100);
	assert_int_equal(ref->ngroups, v->ngroups);
	assert_memory_equal(ref->groups, v->groups,
			    v->ngroups * sizeof(*v->groups));
	assert_int_equal(v->nsamples, 2);
	assert_int_equal(ref->nsamples, 2);
	assert_memory_equal(ref->samples, v->samples, 2 * sizeof(*v->samples));
	for (size_t i = 0; i < v->ngroups; i++)
		assert_int_equal(v->groups[i].key.family, AF_INET);
	view_put(ref);
	view_put(v);
	snapshot_put(s);
	rate_list_free(&rates);
	flowtab_free(tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_prefix_v4),
		cmocka_unit_test(test_prefix_v6),
		cmocka_unit_test(test_port_and_proto),
		cmocka_unit_test(test_endpoints_and_info),
		cmocka_unit_test(test_totals_are_sums),
		cmocka_unit_test(test_sort_order),
		cmocka_unit_test(test_sort_ties),
		cmocka_unit_test(test_sort_wide_keys),
		cmocka_unit_test(test_snapshot_hook),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_view_groups),
		cmocka_unit_test(test_table_snapshots),
		cmocka_unit_test(test_view_rows_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
