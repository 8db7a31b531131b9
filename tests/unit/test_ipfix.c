// SPDX-License-Identifier: GPL-2.0
/*
 * IPFIX export: the meter's record and delta logic, the tuple → field
 * mapping (NAT, ICMP), and the encoder's messages read back by an
 * independent parser (header, sequence numbers, templates, values).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipfix.h"
#include "snap_of_flows.h"

#define MAXREC 64

struct sink {
	struct ipfix_record r[MAXREC];
	size_t n;
};

static int collect(const struct ipfix_record *r, void *arg)
{
	struct sink *s = arg;

	assert_true(s->n < MAXREC);
	s->r[s->n++] = *r;
	return 0;
}

static struct flow_key v4key(const char *src, uint16_t sport, const char *dst,
			     uint16_t dport, uint8_t proto)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.proto = proto;
	inet_pton(AF_INET, src, &k.src[0]);
	inet_pton(AF_INET, dst, &k.dst[0]);
	k.sport = htons(sport);
	k.dport = htons(dport);
	return k;
}

/* the reply tuple of k without NAT */
static struct flow_key turn(const struct flow_key *k)
{
	struct flow_key r = *k;

	memcpy(r.src, k->dst, sizeof(r.src));
	memcpy(r.dst, k->src, sizeof(r.dst));
	r.sport = k->dport;
	r.dport = k->sport;
	return r;
}

static void set_total(struct flow *f, uint64_t op, uint64_t ob, uint64_t rp,
		      uint64_t rb)
{
	f->counters_valid = true;
	f->total.packets[FLOW_DIR_ORIG] = op;
	f->total.bytes[FLOW_DIR_ORIG] = ob;
	f->total.packets[FLOW_DIR_REPLY] = rp;
	f->total.bytes[FLOW_DIR_REPLY] = rb;
}

static void run(struct ipfix_meter *m, struct flow *flows, size_t n,
		double t, struct sink *out)
{
	struct snapshot_meta meta = { .seq = 1, .time = t };
	struct snapshot *s = snapshot_of_flows(flows, n, &meta);

	assert_non_null(s);
	ipfix_meter_process(m, s, collect, out);
	snapshot_put(s);
}

#define T0 1700000000.0

static void test_active_timeout_deltas_add_up(void **state)
{
	struct ipfix_meter *m = ipfix_meter_new(10);
	struct flow f;
	struct sink out = { .n = 0 };
	uint64_t sum[4] = { 0 };

	(void)state;
	memset(&f, 0, sizeof(f));
	f.key = v4key("192.0.2.1", 40000, "192.0.2.2", 80, IPPROTO_TCP);
	f.reply = turn(&f.key);
	f.ct_id = 7;
	f.start_ns = (uint64_t)(T0 - 2) * 1000000000ull;
	/* 35 s of traffic, one snapshot a second */
	for (int i = 1; i <= 35; i++) {
		set_total(&f, i * 3, i * 300, i, i * 50);
		run(m, &f, 1, T0 + i, &out);
	}
	/* timeouts at t+10, t+20, t+30 (deadline from first sight at t+1) */
	assert_int_equal(out.n, 3);
	assert_int_equal(out.r[0].end_reason, IPFIX_END_ACTIVE);
	/* the first record starts at the flow's start, each next one
	 * where the previous one ended */
	assert_int_equal(out.r[0].start_ms, (uint64_t)(T0 - 2) * 1000);
	assert_int_equal(out.r[1].start_ms, out.r[0].end_ms);
	assert_int_equal(out.r[2].start_ms, out.r[1].end_ms);
	f.destroyed = true;
	set_total(&f, 36 * 3, 36 * 300, 36, 36 * 50);
	run(m, &f, 1, T0 + 36, &out);
	assert_int_equal(out.n, 4);
	assert_int_equal(out.r[3].end_reason, IPFIX_END_EOF);
	for (size_t i = 0; i < out.n; i++) {
		sum[0] += out.r[i].packets;
		sum[1] += out.r[i].octets;
		sum[2] += out.r[i].rev_packets;
		sum[3] += out.r[i].rev_octets;
	}
	assert_int_equal(sum[0], 108);
	assert_int_equal(sum[1], 10800);
	assert_int_equal(sum[2], 36);
	assert_int_equal(sum[3], 1800);
	/* forgotten after the end record: nothing more, ever */
	run(m, NULL, 0, T0 + 37, &out);
	assert_int_equal(out.n, 4);
	ipfix_meter_flush(m, (uint64_t)(T0 + 38) * 1000, IPFIX_END_FORCED,
			  collect, &out);
	assert_int_equal(out.n, 4);
	ipfix_meter_free(m);
}

static void test_idle_flow_gets_no_timeout_record(void **state)
{
	struct ipfix_meter *m = ipfix_meter_new(5);
	struct flow f;
	struct sink out = { .n = 0 };

	(void)state;
	memset(&f, 0, sizeof(f));
	f.key = v4key("192.0.2.1", 5000, "192.0.2.2", 53, IPPROTO_UDP);
	f.reply = turn(&f.key);
	set_total(&f, 1, 60, 1, 90);
	for (int i = 0; i < 20; i++)
		run(m, &f, 1, T0 + i, &out);
	/* one record for the traffic, none for the idle periods after */
	assert_int_equal(out.n, 1);
	assert_int_equal(out.r[0].octets, 60);
	assert_int_equal(out.r[0].rev_octets, 90);
	ipfix_meter_flush(m, (uint64_t)(T0 + 30) * 1000, IPFIX_END_FORCED,
			  collect, &out);
	assert_int_equal(out.n, 1);	/* nothing left to tell */
	ipfix_meter_free(m);
}

static void test_short_flows_one_record_each(void **state)
{
	struct ipfix_meter *m = ipfix_meter_new(60);
	struct flow f[3];
	struct sink out = { .n = 0 };
	struct ipfix_meter_stats st;

	(void)state;
	memset(f, 0, sizeof(f));
	for (int i = 0; i < 3; i++) {
		f[i].key = v4key("192.0.2.1", 1000 + i, "192.0.2.2", 7,
				 IPPROTO_UDP);
		f[i].reply = turn(&f[i].key);
		f[i].ct_id = 100 + i;
		set_total(&f[i], i + 1, 100 * (i + 1), 0, 0);
	}
	run(m, f, 3, T0, &out);
	assert_int_equal(out.n, 0);
	f[1].destroyed = true;
	set_total(&f[1], 5, 500, 1, 10);
	run(m, f, 3, T0 + 1, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.r[0].sport, 1001);
	assert_int_equal(out.r[0].packets, 5);
	assert_int_equal(out.r[0].octets, 500);
	assert_int_equal(out.r[0].rev_octets, 10);
	/* f[1] is not in the next snapshot: it must not end twice */
	f[1] = f[2];
	run(m, f, 2, T0 + 2, &out);
	assert_int_equal(out.n, 1);
	/* f[0] vanishes without a DESTROY (lost event): its last reading */
	run(m, &f[1], 1, T0 + 3, &out);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.r[1].end_reason, IPFIX_END_LACK);
	assert_int_equal(out.r[1].sport, 1000);
	assert_int_equal(out.r[1].octets, 100);
	assert_int_equal(out.r[1].end_ms, (uint64_t)(T0 + 2) * 1000);
	/* shutdown: the live one, with everything it counted */
	ipfix_meter_flush(m, (uint64_t)(T0 + 4) * 1000, IPFIX_END_FORCED,
			  collect, &out);
	assert_int_equal(out.n, 3);
	assert_int_equal(out.r[2].end_reason, IPFIX_END_FORCED);
	assert_int_equal(out.r[2].octets, 300);
	ipfix_meter_get_stats(m, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.ended, 1);
	assert_int_equal(st.vanished, 1);
	assert_int_equal(st.forced, 1);
	assert_int_equal(st.tracked, 0);
	ipfix_meter_free(m);
}

static void test_reused_tuple_is_a_new_flow(void **state)
{
	struct ipfix_meter *m = ipfix_meter_new(60);
	struct flow f;
	struct sink out = { .n = 0 };

	(void)state;
	memset(&f, 0, sizeof(f));
	f.key = v4key("192.0.2.1", 1234, "192.0.2.2", 80, IPPROTO_TCP);
	f.reply = turn(&f.key);
	f.ct_id = 1;
	set_total(&f, 10, 1000, 8, 800);
	run(m, &f, 1, T0, &out);
	/* same tuple, new conntrack: counts restart from zero */
	f.ct_id = 2;
	set_total(&f, 2, 120, 1, 60);
	run(m, &f, 1, T0 + 1, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.r[0].octets, 1000);
	assert_int_equal(out.r[0].rev_octets, 800);
	f.destroyed = true;
	run(m, &f, 1, T0 + 2, &out);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.r[1].octets, 120);
	assert_int_equal(out.r[1].rev_octets, 60);
	ipfix_meter_free(m);
}

static void test_skipped_snapshots_lose_nothing(void **state)
{
	struct ipfix_meter *m = ipfix_meter_new(2);
	struct flow f;
	struct sink out = { .n = 0 };
	uint64_t sum = 0;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.key = v4key("192.0.2.1", 1, "192.0.2.2", 2, IPPROTO_UDP);
	f.reply = turn(&f.key);
	/* readings 1..20, but only every third snapshot reaches the meter */
	for (int i = 1; i <= 20; i++) {
		set_total(&f, i, i * 10, 0, 0);
		if (i % 3 == 0)
			run(m, &f, 1, T0 + i, &out);
	}
	f.destroyed = true;
	set_total(&f, 21, 210, 0, 0);
	run(m, &f, 1, T0 + 21, &out);
	for (size_t i = 0; i < out.n; i++)
		sum += out.r[i].octets;
	assert_int_equal(sum, 210);
	assert_true(out.n >= 3);
	ipfix_meter_free(m);
}

static void test_counter_restart(void **state)
{
	struct ipfix_meter *m = ipfix_meter_new(1);
	struct flow f;
	struct sink out = { .n = 0 };

	(void)state;
	memset(&f, 0, sizeof(f));
	f.key = v4key("192.0.2.1", 1, "192.0.2.2", 2, IPPROTO_UDP);
	f.reply = turn(&f.key);
	set_total(&f, 10, 1000, 0, 0);
	run(m, &f, 1, T0, &out);
	run(m, &f, 1, T0 + 1, &out);
	assert_int_equal(out.n, 1);
	/* the backend lost the entry and counts again from zero */
	set_total(&f, 3, 300, 0, 0);
	run(m, &f, 1, T0 + 2, &out);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.r[1].octets, 300);
	assert_int_equal(out.r[1].packets, 3);
	ipfix_meter_free(m);
}

/*
 * The end record carries the kernel's final counters (kcount.h), which may
 * be below what went out already (BPF counted packets the kernel ignores):
 * the rest is exported, never a restart's whole total.
 */
static void test_final_below_exported(void **state)
{
	struct ipfix_meter *m = ipfix_meter_new(1);
	struct flow f;
	struct sink out = { .n = 0 };

	(void)state;
	memset(&f, 0, sizeof(f));
	f.key = v4key("192.0.2.1", 1, "192.0.2.2", 2, IPPROTO_TCP);
	f.reply = turn(&f.key);
	set_total(&f, 10, 10000, 8, 800);
	run(m, &f, 1, T0, &out);
	run(m, &f, 1, T0 + 1, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.r[0].octets, 10000);
	/* DESTROY: one retransmission fewer out, two more packets back */
	f.destroyed = true;
	set_total(&f, 9, 8600, 10, 1000);
	run(m, &f, 1, T0 + 2, &out);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.r[1].end_reason, IPFIX_END_EOF);
	assert_int_equal(out.r[1].packets, 0);
	assert_int_equal(out.r[1].octets, 0);
	assert_int_equal(out.r[1].rev_packets, 2);
	assert_int_equal(out.r[1].rev_octets, 200);
	ipfix_meter_free(m);
}

static void test_many_flows_table_grows(void **state)
{
	enum { N = 5000 };
	struct ipfix_meter *m = ipfix_meter_new(60);
	struct flow *f = calloc(N, sizeof(*f));
	struct ipfix_meter_stats st;
	struct sink out = { .n = 0 };

	(void)state;
	for (int i = 0; i < N; i++) {
		f[i].key = v4key("192.0.2.1", (uint16_t)(i + 1), "192.0.2.2",
				 80, IPPROTO_TCP);
		f[i].reply = turn(&f[i].key);
		f[i].ct_id = (uint32_t)i;
		set_total(&f[i], 1, 100, 0, 0);
	}
	run(m, f, N, T0, &out);
	run(m, f, N, T0 + 1, &out);
	ipfix_meter_get_stats(m, &st);
	assert_int_equal(st.tracked, N);
	assert_int_equal(out.n, 0);
	/* destroy the middle one after growth moved the entries */
	f[N / 2].destroyed = true;
	run(m, f, N, T0 + 2, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.r[0].sport, N / 2 + 1);
	ipfix_meter_get_stats(m, &st);
	assert_int_equal(st.tracked, N - 1);
	free(f);
	ipfix_meter_free(m);
}

static void test_tuples_nat_and_icmp(void **state)
{
	struct ipfix_record r;
	struct flow_key k, rep;

	(void)state;
	/* no NAT */
	k = v4key("192.0.2.10", 40000, "198.51.100.5", 443, IPPROTO_TCP);
	rep = turn(&k);
	memset(&r, 0, sizeof(r));
	ipfix_record_from_tuples(&r, &k, &rep);
	assert_int_equal(r.nat, 0);
	assert_int_equal(r.kind, IPFIX_KIND_PORTS);
	assert_int_equal(r.src4, 0xc000020a);
	assert_int_equal(r.dst4, 0xc6336405);
	assert_int_equal(r.sport, 40000);
	assert_int_equal(r.dport, 443);

	/* SNAT (masquerade): replies go to 203.0.113.1:61000 */
	inet_pton(AF_INET, "203.0.113.1", &rep.dst[0]);
	rep.dport = htons(61000);
	memset(&r, 0, sizeof(r));
	ipfix_record_from_tuples(&r, &k, &rep);
	assert_int_equal(r.nat, 1);
	assert_int_equal(r.nat_src4, 0xcb007101);
	assert_int_equal(r.nat_sport, 61000);
	assert_int_equal(r.nat_dst4, 0xc6336405);	/* unchanged side */
	assert_int_equal(r.nat_dport, 443);

	/* DNAT, port only (a redirect) */
	rep = turn(&k);
	rep.sport = htons(8443);
	memset(&r, 0, sizeof(r));
	ipfix_record_from_tuples(&r, &k, &rep);
	assert_int_equal(r.nat, 1);
	assert_int_equal(r.nat_dport, 8443);
	assert_int_equal(r.nat_src4, 0xc000020a);

	/* ICMP echo: type 8 code 0; the reply tuple has type 0: not NAT */
	k = v4key("192.0.2.1", 77, "192.0.2.2", 0, IPPROTO_ICMP);
	((uint8_t *)&k.dport)[0] = 8;
	((uint8_t *)&k.dport)[1] = 0;
	rep = turn(&k);
	rep.sport = 0;
	rep.dport = htons(77);
	memset(&r, 0, sizeof(r));
	ipfix_record_from_tuples(&r, &k, &rep);
	assert_int_equal(r.kind, IPFIX_KIND_ICMP);
	assert_int_equal(r.icmp4, 8 << 8);
	assert_int_equal(r.nat, 0);
	assert_int_equal(r.sport, 0);

	/* IPv6 with NAT66 source rewrite, ICMPv6 echo (128) */
	memset(&k, 0, sizeof(k));
	k.family = AF_INET6;
	k.proto = IPPROTO_ICMPV6;
	inet_pton(AF_INET6, "2001:db8::1", k.src);
	inet_pton(AF_INET6, "2001:db8:1::2", k.dst);
	((uint8_t *)&k.dport)[0] = 128;
	rep = turn(&k);
	inet_pton(AF_INET6, "2001:db8:ffff::1", rep.dst);
	memset(&r, 0, sizeof(r));
	ipfix_record_from_tuples(&r, &k, &rep);
	assert_int_equal(r.kind, IPFIX_KIND_ICMP);
	assert_int_equal(r.icmp6, 128 << 8);
	assert_int_equal(r.nat, 1);
	assert_memory_equal(r.nat_src6, rep.dst, 16);
	assert_memory_equal(r.nat_dst6, k.dst, 16);
	assert_memory_equal(r.src6, k.src, 16);

	/* an unknown (zero) reply tuple is not NAT */
	memset(&rep, 0, sizeof(rep));
	memset(&r, 0, sizeof(r));
	ipfix_record_from_tuples(&r, &k, &rep);
	assert_int_equal(r.nat, 0);
}

/* ---- encoder: a minimal independent IPFIX reader ------------------------ */

#define MAXT 32
#define MAXF 32

struct tmpl {
	uint16_t id, n;
	uint16_t ie[MAXF], len[MAXF];
	uint32_t pen[MAXF];
};

struct parsed {
	struct tmpl t[MAXT];
	size_t nt;
	size_t records;
	size_t messages;
	size_t bad_seq;
	uint32_t domain;
	/* sums and one sample of decoded values */
	uint64_t octets, rev_octets, packets, rev_packets;
	uint32_t nat_src4;
	uint16_t nat_sport;
	uint8_t end_reason;
	bool saw_reverse_pen;
};

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static struct tmpl *find_tmpl(struct parsed *ps, uint16_t id)
{
	for (size_t i = 0; i < ps->nt; i++)
		if (ps->t[i].id == id)
			return &ps->t[i];
	return NULL;
}

static void parse_data(struct parsed *ps, const struct tmpl *t,
		       const uint8_t *p, const uint8_t *end)
{
	size_t rl = 0;

	for (size_t i = 0; i < t->n; i++)
		rl += t->len[i];
	while (p + rl <= end) {
		for (size_t i = 0; i < t->n; i++) {
			uint64_t v = be(p, t->len[i]);

			if (t->pen[i] == 29305 && t->ie[i] == 1)
				ps->rev_octets += v;
			else if (t->pen[i] == 29305 && t->ie[i] == 2)
				ps->rev_packets += v;
			else if (!t->pen[i] && t->ie[i] == 1)
				ps->octets += v;
			else if (!t->pen[i] && t->ie[i] == 2)
				ps->packets += v;
			else if (!t->pen[i] && t->ie[i] == 225)
				ps->nat_src4 = (uint32_t)v;
			else if (!t->pen[i] && t->ie[i] == 227)
				ps->nat_sport = (uint16_t)v;
			else if (!t->pen[i] && t->ie[i] == 136)
				ps->end_reason = (uint8_t)v;
			p += t->len[i];
		}
		ps->records++;
	}
}

static void parse_file(const char *path, struct parsed *ps)
{
	FILE *f = fopen(path, "rb");
	uint8_t msg[65536];

	assert_non_null(f);
	memset(ps, 0, sizeof(*ps));
	while (fread(msg, 1, 16, f) == 16) {
		size_t len = be(msg + 2, 2);
		uint32_t seq = (uint32_t)be(msg + 8, 4);
		const uint8_t *p = msg + 16, *end = msg + len;

		assert_int_equal(be(msg, 2), 10);
		assert_true(len >= 16);
		assert_int_equal(fread(msg + 16, 1, len - 16, f), len - 16);
		/* RFC 7011: data records sent before this message, per domain */
		if (seq != ps->records)
			ps->bad_seq++;
		ps->domain = (uint32_t)be(msg + 12, 4);
		ps->messages++;
		while (p + 4 <= end) {
			uint16_t sid = (uint16_t)be(p, 2), slen = (uint16_t)be(p + 2, 2);
			const uint8_t *q = p + 4, *send = p + slen;

			assert_true(slen >= 4 && send <= end);
			if (sid == 2) {
				while (q + 4 <= send) {
					struct tmpl *t = &ps->t[ps->nt];

					assert_true(ps->nt < MAXT);
					t->id = (uint16_t)be(q, 2);
					t->n = (uint16_t)be(q + 2, 2);
					q += 4;
					for (size_t i = 0; i < t->n; i++) {
						uint16_t ie = (uint16_t)be(q, 2);

						t->len[i] = (uint16_t)be(q + 2, 2);
						q += 4;
						t->pen[i] = 0;
						if (ie & 0x8000) {
							t->pen[i] = (uint32_t)be(q, 4);
							q += 4;
							ps->saw_reverse_pen |=
								t->pen[i] == 29305;
						}
						t->ie[i] = ie & 0x7fff;
					}
					if (!find_tmpl(ps, t->id) ||
					    find_tmpl(ps, t->id) == t)
						ps->nt++;
				}
			} else if (sid >= 256) {
				struct tmpl *t = find_tmpl(ps, sid);

				assert_non_null(t);	/* template before data */
				parse_data(ps, t, q, send);
			}
			p = send;
		}
	}
	fclose(f);
}

static void test_encoder_messages(void **state)
{
	char path[] = "/tmp/ft-ipfix-test.XXXXXX";
	char err[256];
	struct ipfix_encoder *e;
	struct ipfix_encoder_stats st;
	struct ipfix_record r;
	struct flow_key k, rep;
	struct parsed ps;
	int fd = mkstemp(path);
	enum { N = 1000 };

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ipfix_encoder_open_file(&e, path, 4242, err,
						 sizeof(err)), 0);
	for (int i = 0; i < N; i++) {
		memset(&r, 0, sizeof(r));
		k = v4key("192.0.2.1", (uint16_t)(1024 + i), "198.51.100.7",
			  53, i % 2 ? IPPROTO_UDP : IPPROTO_TCP);
		rep = turn(&k);
		if (i % 10 == 0) {	/* some NAT'd */
			inet_pton(AF_INET, "203.0.113.9", &rep.dst[0]);
			rep.dport = htons(30000);
		}
		ipfix_record_from_tuples(&r, &k, &rep);
		r.start_ms = 1700000000000ull;
		r.end_ms = r.start_ms + 1000;
		r.octets = 100;
		r.packets = 2;
		r.rev_octets = 40;
		r.rev_packets = 1;
		r.end_reason = IPFIX_END_EOF;
		assert_int_equal(ipfix_encoder_add(e, &r), 0);
		if (i == N / 2)	/* a template refresh in the middle */
			assert_int_equal(ipfix_encoder_templates(e), 0);
	}
	assert_int_equal(ipfix_encoder_flush(e), 0);
	ipfix_encoder_get_stats(e, &st);
	assert_int_equal(st.records, N);
	assert_int_equal(st.lost, 0);
	ipfix_encoder_close(e);

	parse_file(path, &ps);
	unlink(path);
	assert_int_equal(ps.records, N);
	assert_int_equal(ps.bad_seq, 0);
	assert_int_equal(ps.domain, 4242);
	assert_true(ps.messages > 1);
	assert_true(ps.saw_reverse_pen);
	/* 4 templates in use here, but all 12 are announced */
	assert_int_equal(ps.nt, 12);
	assert_int_equal(ps.octets, 100 * N);
	assert_int_equal(ps.packets, 2 * N);
	assert_int_equal(ps.rev_octets, 40 * N);
	assert_int_equal(ps.rev_packets, N);
	assert_int_equal(ps.nat_src4, 0xcb007109);
	assert_int_equal(ps.nat_sport, 30000);
	assert_int_equal(ps.end_reason, IPFIX_END_EOF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_timeout_deltas_add_up),
		cmocka_unit_test(test_idle_flow_gets_no_timeout_record),
		cmocka_unit_test(test_short_flows_one_record_each),
		cmocka_unit_test(test_reused_tuple_is_a_new_flow),
		cmocka_unit_test(test_skipped_snapshots_lose_nothing),
		cmocka_unit_test(test_counter_restart),
		cmocka_unit_test(test_final_below_exported),
		cmocka_unit_test(test_many_flows_table_grows),
		cmocka_unit_test(test_tuples_nat_and_icmp),
		cmocka_unit_test(test_encoder_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
