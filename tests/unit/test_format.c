// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for format.c: names, addresses, ages, and the three batch
 * outputs. JSON is parsed back with a small strict parser below (RFC 8259
 * grammar; no JSON library is a build dependency), so an invalid document
 * fails here rather than in a user's jq.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "format.h"
#include "snap_of_flows.h"

#include "util.h"

/* ------------------------------------------------------------ JSON parser */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	double num;
	bool b;
	char *str;		/* J_STR: decoded, UTF-8 */
	size_t n;		/* J_ARR / J_OBJ members */
	struct jv *items;
	char **keys;		/* J_OBJ */
};

struct jp {
	const char *s;
	bool bad;
};

static void jp_ws(struct jp *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static void jp_fail(struct jp *p)
{
	p->bad = true;
}

static void jv_free(struct jv *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

static void put_utf8(char **o, unsigned cp)
{
	if (cp < 0x80) {
		*(*o)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*o)++ = (char)(0xc0 | cp >> 6);
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*o)++ = (char)(0xe0 | cp >> 12);
		*(*o)++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	}
}

static char *jp_string(struct jp *p)
{
	char *out, *o;

	if (*p->s != '"') {
		jp_fail(p);
		return NULL;
	}
	p->s++;
	out = o = malloc(strlen(p->s) * 3 + 1);
	assert_non_null(out);
	for (;;) {
		unsigned char c = (unsigned char)*p->s;

		if (c == '"') {
			p->s++;
			break;
		}
		if (c < 0x20) {	/* raw control characters are not JSON */
			jp_fail(p);
			break;
		}
		if (c != '\\') {
			*o++ = (char)c;
			p->s++;
			continue;
		}
		p->s++;
		switch (*p->s++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp = 0;

			for (int i = 0; i < 4; i++) {
				char h = *p->s++;

				cp <<= 4;
				if (h >= '0' && h <= '9')
					cp |= (unsigned)(h - '0');
				else if (h >= 'a' && h <= 'f')
					cp |= (unsigned)(h - 'a' + 10);
				else if (h >= 'A' && h <= 'F')
					cp |= (unsigned)(h - 'A' + 10);
				else
					jp_fail(p);
			}
			put_utf8(&o, cp);
			break;
		}
		default:
			jp_fail(p);
		}
		if (p->bad)
			break;
	}
	*o = '\0';
	return out;
}

/* Length of the number at s per RFC 8259, or 0 if there is none:
 * -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static size_t number_len(const char *s0)
{
	const char *s = s0;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return (size_t)(s - s0);
}

static void jp_number(struct jp *p, struct jv *v)
{
	size_t n = number_len(p->s);

	if (!n) {
		jp_fail(p);
		return;
	}
	v->t = J_NUM;
	v->num = strtod(p->s, NULL);
	p->s += n;
}

static void jp_value(struct jp *p, struct jv *v)
{
	memset(v, 0, sizeof(*v));
	jp_ws(p);
	if (*p->s == '{' || *p->s == '[') {
		bool obj = *p->s == '{';
		char close = obj ? '}' : ']';

		v->t = obj ? J_OBJ : J_ARR;
		p->s++;
		jp_ws(p);
		if (*p->s == close) {
			p->s++;
			return;
		}
		for (;;) {
			v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
			assert_non_null(v->items);
			if (obj) {
				v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
				assert_non_null(v->keys);
				jp_ws(p);
				v->keys[v->n] = jp_string(p);
				jp_ws(p);
				if (p->bad || *p->s != ':') {
					free(v->keys[v->n]);
					jp_fail(p);
					return;
				}
				p->s++;
			}
			jp_value(p, &v->items[v->n]);
			v->n++;
			if (p->bad)
				return;
			jp_ws(p);
			if (*p->s == ',') {
				p->s++;
				continue;
			}
			if (*p->s == close) {
				p->s++;
				return;
			}
			jp_fail(p);
			return;
		}
	}
	if (*p->s == '"') {
		v->t = J_STR;
		v->str = jp_string(p);
		return;
	}
	if (!strncmp(p->s, "null", 4)) {
		v->t = J_NULL;
		p->s += 4;
		return;
	}
	if (!strncmp(p->s, "true", 4) || !strncmp(p->s, "false", 5)) {
		v->t = J_BOOL;
		v->b = *p->s == 't';
		p->s += v->b ? 4 : 5;
		return;
	}
	jp_number(p, v);
}

/* Parses exactly one JSON text from s (whitespace around allowed). */
static bool json_parse(const char *s, struct jv *v)
{
	struct jp p = { .s = s };

	jp_value(&p, v);
	jp_ws(&p);
	if (p.bad || *p.s) {
		jv_free(v);
		return false;
	}
	return true;
}

static const struct jv *jget(const struct jv *o, const char *key)
{
	if (o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return &o->items[i];
	return NULL;
}

static double jnum(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	assert_non_null(v);
	assert_int_equal(v->t, J_NUM);
	return v->num;
}

static const char *jstr(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	assert_non_null(v);
	if (v->t == J_NULL)
		return NULL;
	assert_int_equal(v->t, J_STR);
	return v->str;
}

static void assert_keys(const struct jv *o, const char *const *keys, size_t n)
{
	assert_int_equal(o->t, J_OBJ);
	assert_int_equal(o->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(o->keys[i], keys[i]);
}

/* ------------------------------------------------------------ fixtures */

static void set_v4(uint32_t a[4], const char *s)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static void set_v6(uint32_t a[4], const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static void set_key(struct flow_key *k, int family, uint8_t proto,
		    const char *src, const char *dst, uint16_t sport,
		    uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)family;
	k->proto = proto;
	if (family == AF_INET) {
		set_v4(k->src, src);
		set_v4(k->dst, dst);
	} else {
		set_v6(k->src, src);
		set_v6(k->dst, dst);
	}
	k->sport = htons(sport);
	k->dport = htons(dport);
}

/* the reply tuple of a flow without NAT: the original one mirrored */
static void mirror(struct flow *f)
{
	f->reply = f->key;
	memcpy(f->reply.src, f->key.dst, sizeof(f->reply.src));
	memcpy(f->reply.dst, f->key.src, sizeof(f->reply.dst));
	f->reply.sport = f->key.dport;
	f->reply.dport = f->key.sport;
}

#define T0 1764000000.5
#define SEC 1000000000ull

/* The UDP flow of the example in cli.md. */
static void udp_example(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	set_key(&f->key, AF_INET, IPPROTO_UDP, "192.0.2.1", "198.51.100.7",
		40000, 53);
	mirror(f);
	f->ct_id = 123;
	f->state = FLOW_STATE_NONE;
	f->start_ns = 1763999988ull * SEC;	/* 12.5 s before T0 */
	f->total.packets[FLOW_DIR_ORIG] = 10;
	f->total.bytes[FLOW_DIR_ORIG] = 1280;
	f->total.packets[FLOW_DIR_REPLY] = 10;
	f->total.bytes[FLOW_DIR_REPLY] = 1280;
	f->pkt_rate[0] = f->pkt_rate[1] = 1.0f;
	f->byte_rate[0] = f->byte_rate[1] = 128.0f;
}

/* ICMP echo request 8/0 id 0x1234; its reply tuple is echo reply 0/0 */
static void icmp_echo(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	set_key(&f->key, AF_INET, IPPROTO_ICMP, "192.0.2.1", "192.0.2.2", 0, 0);
	mirror(f);
	f->key.sport = htons(0x1234);
	((uint8_t *)&f->key.dport)[0] = 8;
	((uint8_t *)&f->key.dport)[1] = 0;
	f->reply.sport = htons(0x1234);
	((uint8_t *)&f->reply.dport)[0] = 0;
	((uint8_t *)&f->reply.dport)[1] = 0;
	f->ct_id = 77;
	f->state = FLOW_STATE_NONE;
	f->first_seen_ns = 1763999999ull * SEC;
	f->total.packets[0] = f->total.packets[1] = 3;
	f->total.bytes[0] = f->total.bytes[1] = 252;
}

static void tcp6_established(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	set_key(&f->key, AF_INET6, IPPROTO_TCP, "2001:db8::1", "2001:db8:1::2",
		51000, 443);
	mirror(f);
	f->ct_id = 4000000000u;
	f->state = 3;	/* TCP_CONNTRACK_ESTABLISHED */
	f->mark = 0x42;
	f->key.zone = f->reply.zone = 7;
	f->start_ns = 1763990000ull * SEC;
	f->total.packets[0] = 1000;
	f->total.bytes[0] = 1500000;
	f->total.packets[1] = 500;
	f->total.bytes[1] = 26000;
	f->pkt_rate[0] = 100.0f;
	f->byte_rate[0] = 150000.0f;
	f->pkt_rate[1] = 50.0f;
	f->byte_rate[1] = 2600.0f;
}

/* 10.0.0.5:33000 → 198.51.100.7:80 masqueraded to 203.0.113.1:61000 */
static void tcp_snat(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	set_key(&f->key, AF_INET, IPPROTO_TCP, "192.0.2.5", "198.51.100.7",
		33000, 80);
	set_key(&f->reply, AF_INET, IPPROTO_TCP, "198.51.100.7", "203.0.113.1",
		80, 61000);
	f->ct_id = 9;
	f->state = 1;	/* SYN_SENT */
	f->first_seen_ns = 1764000000ull * SEC;
}

/* A snapshot of flows; the one of the call before is put. */
static struct snapshot *make_snap(struct flow *flows, size_t n)
{
	static struct snapshot *s;
	struct snapshot_meta m = {
		.time = T0, .interval = 1.0, .acct = ACCT_NETFILTER,
		.events = 1234, .new_flows = 10, .destroyed_flows = 7,
		.refresh_dumps = 1, .gets = 12, .silent_ends = 5,
		.silent_rearms = 3, .silent_ms = 2.5, .map_read_ms = 0.4, .seq = 1,
		.counting_since = T0 - 100,
	};

	snapshot_put(s);
	s = snapshot_of_flows(flows, n, &m);
	assert_non_null(s);
	return s;
}

/* Runs format_snapshot into memory; returns the text (caller frees). */
static char *render_enriched(const struct snapshot *s, enum output_format fmt,
			     bool first, struct enrich *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(format_snapshot(f, s, fmt, first, e), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static char *render(const struct snapshot *s, enum output_format fmt,
		    bool first)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(format_snapshot(f, s, fmt, first, NULL), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

/* ------------------------------------------------------------ tests */

static void test_proto_name(void **state)
{
	char buf[8];

	(void)state;
	assert_string_equal(proto_name(IPPROTO_TCP, buf, sizeof(buf)), "tcp");
	assert_string_equal(proto_name(IPPROTO_UDP, buf, sizeof(buf)), "udp");
	assert_string_equal(proto_name(IPPROTO_UDPLITE, buf, sizeof(buf)), "udplite");
	assert_string_equal(proto_name(IPPROTO_ICMP, buf, sizeof(buf)), "icmp");
	assert_string_equal(proto_name(IPPROTO_ICMPV6, buf, sizeof(buf)), "icmpv6");
	assert_string_equal(proto_name(IPPROTO_SCTP, buf, sizeof(buf)), "sctp");
	assert_string_equal(proto_name(IPPROTO_DCCP, buf, sizeof(buf)), "dccp");
	assert_string_equal(proto_name(IPPROTO_GRE, buf, sizeof(buf)), "gre");
	assert_string_equal(proto_name(253, buf, sizeof(buf)), "253");
	assert_string_equal(proto_name(0, buf, sizeof(buf)), "0");
	/* numbers land in the caller's buffer */
	assert_ptr_equal(proto_name(99, buf, sizeof(buf)), buf);
}

static void test_state_name(void **state)
{
	static const char *const tcp[] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};

	(void)state;
	for (unsigned i = 0; i < 10; i++)
		assert_string_equal(flow_state_name(IPPROTO_TCP, (uint8_t)i), tcp[i]);
	/* TCP_CONNTRACK_MAX and the internal values after it are not states */
	for (unsigned i = 10; i < 256; i++)
		assert_null(flow_state_name(IPPROTO_TCP, (uint8_t)i));

	assert_string_equal(flow_state_name(IPPROTO_SCTP, 0), "NONE");
	assert_string_equal(flow_state_name(IPPROTO_SCTP, 1), "CLOSED");
	assert_string_equal(flow_state_name(IPPROTO_SCTP, 2), "COOKIE_WAIT");
	assert_string_equal(flow_state_name(IPPROTO_SCTP, 3), "COOKIE_ECHOED");
	assert_string_equal(flow_state_name(IPPROTO_SCTP, 4), "ESTABLISHED");
	assert_string_equal(flow_state_name(IPPROTO_SCTP, 5), "SHUTDOWN_SENT");
	assert_string_equal(flow_state_name(IPPROTO_SCTP, 6), "SHUTDOWN_RECD");
	assert_string_equal(flow_state_name(IPPROTO_SCTP, 7), "SHUTDOWN_ACK_SENT");
	assert_string_equal(flow_state_name(IPPROTO_SCTP, 8), "HEARTBEAT_SENT");
	assert_null(flow_state_name(IPPROTO_SCTP, 10));

	assert_string_equal(flow_state_name(IPPROTO_DCCP, 1), "REQUEST");
	assert_string_equal(flow_state_name(IPPROTO_DCCP, 4), "OPEN");
	assert_string_equal(flow_state_name(IPPROTO_DCCP, 7), "TIMEWAIT");
	assert_null(flow_state_name(IPPROTO_DCCP, 10));

	assert_null(flow_state_name(IPPROTO_TCP, FLOW_STATE_NONE));
	assert_null(flow_state_name(IPPROTO_SCTP, FLOW_STATE_NONE));
	assert_null(flow_state_name(IPPROTO_UDP, 1));
	assert_null(flow_state_name(IPPROTO_UDPLITE, 0));
	assert_null(flow_state_name(IPPROTO_ICMP, 0));
	assert_null(flow_state_name(IPPROTO_ICMPV6, 3));
	assert_null(flow_state_name(IPPROTO_GRE, 0));
}

static void test_format_addr(void **state)
{
	uint32_t a[4];
	char buf[INET6_ADDRSTRLEN], ref[INET6_ADDRSTRLEN];

	(void)state;
	set_v4(a, "192.0.2.1");
	assert_string_equal(format_addr(AF_INET, a, buf, sizeof(buf)), "192.0.2.1");
	set_v4(a, "0.0.0.0");
	assert_string_equal(format_addr(AF_INET, a, buf, sizeof(buf)), "0.0.0.0");
	set_v4(a, "255.255.255.255");
	assert_string_equal(format_addr(AF_INET, a, buf, sizeof(buf)),
			    "255.255.255.255");

	/* same text as inet_ntop for a spread of IPv4 addresses */
	uint32_t x = 2463534242u;

	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		a[0] = x;
		assert_non_null(inet_ntop(AF_INET, a, ref, sizeof(ref)));
		assert_string_equal(format_addr(AF_INET, a, buf, sizeof(buf)), ref);
	}

	/*
	 * Same for IPv6: random groups, most of them zero so that runs of
	 * every length and position occur, plus the IPv4-mapped and
	 * -compatible forms glibc prints with a dotted tail.
	 */
	for (int i = 0; i < 200000; i++) {
		uint16_t g[8];

		for (int j = 0; j < 8; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			g[j] = (x & 7) < 5 ? 0 : (uint16_t)(x >> 8);
			if ((x & 0xf00) == 0x100)
				g[j] = (uint16_t)((x >> 16) & 0xf);	/* short groups */
		}
		if (i % 10 == 1)
			g[5] = 0xffff;
		memcpy(a, g, sizeof(g));
		assert_non_null(inet_ntop(AF_INET6, a, ref, sizeof(ref)));
		assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)), ref);
	}
	memset(a, 0, 16);
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)), "::");

	set_v6(a, "2001:db8::1");
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)), "2001:db8::1");
	set_v6(a, "::192.0.2.1");
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)), "::192.0.2.1");
	set_v6(a, "1:0:0:2:0:0:0:3");
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)), "1:0:0:2::3");
	set_v6(a, "1:0:0:2:3:0:0:4");
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)), "1::2:3:0:0:4");
	set_v6(a, "2001:db8::");
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)), "2001:db8::");
	set_v6(a, "::1");
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)), "::1");
	set_v6(a, "::ffff:192.0.2.1");
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)),
			    "::ffff:192.0.2.1");
	set_v6(a, "2001:db8:0:1:1:1:1:1");
	assert_string_equal(format_addr(AF_INET6, a, buf, sizeof(buf)),
			    "2001:db8:0:1:1:1:1:1");

	/* refusals: unknown family, buffer too small */
	assert_null(format_addr(0, a, buf, sizeof(buf)));
	set_v6(a, "2001:db8:1:2:3:4:5:6");
	assert_null(format_addr(AF_INET6, a, buf, 8));
	set_v4(a, "192.0.2.1");
	assert_null(format_addr(AF_INET, a, buf, 4));
}

static void test_flow_age(void **state)
{
	struct flow f;

	(void)state;
	memset(&f, 0, sizeof(f));
	/* nothing known: 0, not 56 years */
	assert_true(flow_age(&f, T0) == 0.0);

	/* no conntrack timestamp: from when flowtop first saw it */
	f.first_seen_ns = 1763999990ull * SEC + 250000000ull;
	assert_true(fabs(flow_age(&f, T0) - 10.25) < 1e-6);

	/* the conntrack timestamp wins when present */
	f.start_ns = 1763999900ull * SEC;
	assert_true(fabs(flow_age(&f, T0) - 100.5) < 1e-6);

	/* clocks disagreeing by a little never give a negative age */
	f.start_ns = 1764000001ull * SEC;
	assert_true(flow_age(&f, T0) == 0.0);
	assert_true(flow_age(&f, NAN) == 0.0);
}

static void test_json_udp_exact(void **state)
{
	struct flow f;
	char *out;

	(void)state;
	udp_example(&f);
	out = render(make_snap(&f, 1), OUTPUT_JSON, true);
	assert_string_equal(out,
		"{\"time\": 1764000000.5, \"interval\": 1.0, \"acct\": \"netfilter\", "
		"\"flows_total\": 1, \"lost_events\": 0, \"resyncs\": 0, \"resyncing\": false, "
		"\"evictions\": 0, \"events\": 1234, \"new_flows\": 10, \"destroyed_flows\": 7, "
		"\"refresh_dumps\": 1, \"gets\": 12, \"silent_ends\": 5, \"silent_rearms\": 3, \"silent_ms\": 2.5, \"map_read_ms\": 0.4, "
		"\"flows\": [{\"id\": 123, \"family\": \"ipv4\", \"proto\": \"udp\", \"state\": null, "
		"\"src\": \"192.0.2.1\", \"dst\": \"198.51.100.7\", \"sport\": 40000, \"dport\": 53, "
		"\"reply_src\": \"198.51.100.7\", \"reply_dst\": \"192.0.2.1\", "
		"\"reply_sport\": 53, \"reply_dport\": 40000, "
		"\"zone\": 0, \"mark\": 0, \"age\": 12.5, "
		"\"orig_packets\": 10, \"orig_bytes\": 1280, \"reply_packets\": 10, \"reply_bytes\": 1280, "
		"\"orig_packet_rate\": 1.0, \"orig_byte_rate\": 128.0, "
		"\"reply_packet_rate\": 1.0, \"reply_byte_rate\": 128.0, "
		"\"counted_from\": 1763999900.5, \"offloaded\": false}]}\n");
	free(out);
}

static const char *const snap_keys[] = {
	"time", "interval", "acct", "flows_total", "lost_events", "resyncs",
	"resyncing", "evictions", "events", "new_flows", "destroyed_flows", "refresh_dumps",
	"gets", "silent_ends", "silent_rearms", "silent_ms", "map_read_ms",
	"flows",
};

static const char *const port_keys[] = {
	"id", "family", "proto", "state", "src", "dst", "sport", "dport",
	"reply_src", "reply_dst", "reply_sport", "reply_dport", "zone", "mark",
	"age", "orig_packets", "orig_bytes", "reply_packets", "reply_bytes",
	"orig_packet_rate", "orig_byte_rate", "reply_packet_rate",
	"reply_byte_rate", "counted_from", "offloaded",
};

static const char *const icmp_keys[] = {
	"id", "family", "proto", "state", "src", "dst", "icmp_type",
	"icmp_code", "icmp_id", "reply_src", "reply_dst", "reply_icmp_type",
	"reply_icmp_code", "reply_icmp_id", "zone", "mark", "age",
	"orig_packets", "orig_bytes", "reply_packets", "reply_bytes",
	"orig_packet_rate", "orig_byte_rate", "reply_packet_rate",
	"reply_byte_rate", "counted_from", "offloaded",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_json_parsed(void **state)
{
	struct flow f[4];
	struct snapshot *s;
	struct jv doc;
	const struct jv *flows, *x;
	char *out;

	(void)state;
	udp_example(&f[0]);
	icmp_echo(&f[1]);
	tcp6_established(&f[2]);
	tcp_snat(&f[3]);
	s = make_snap(f, 4);
	s->meta.lost_events = 5;
	s->meta.resyncs = 2;
	s->meta.resyncing = true;
	s->meta.evictions = 18446744073709551615ull;
	s->meta.acct = ACCT_CONNTRACK;
	out = render(s, OUTPUT_JSON, false);

	/* one line per snapshot */
	assert_non_null(strchr(out, '\n'));
	assert_true(strchr(out, '\n') == out + strlen(out) - 1);
	assert_true(json_parse(out, &doc));
	assert_keys(&doc, snap_keys, N(snap_keys));
	assert_string_equal(jstr(&doc, "acct"), "conntrack");
	assert_true(jnum(&doc, "flows_total") == 4);
	assert_true(jnum(&doc, "lost_events") == 5);
	assert_true(jnum(&doc, "resyncs") == 2);
	assert_int_equal(jget(&doc, "resyncing")->t, J_BOOL);
	assert_true(jget(&doc, "resyncing")->b);
	/* integers are printed exactly, even past 2^53 */
	assert_non_null(strstr(out, "\"evictions\": 18446744073709551615,"));

	flows = jget(&doc, "flows");
	assert_non_null(flows);
	assert_int_equal(flows->t, J_ARR);
	assert_int_equal(flows->n, 4);

	/* ICMP: type/code/id instead of ports, reply is the echo reply */
	x = &flows->items[1];
	assert_keys(x, icmp_keys, N(icmp_keys));
	assert_string_equal(jstr(x, "proto"), "icmp");
	assert_null(jstr(x, "state"));
	assert_true(jnum(x, "icmp_type") == 8);
	assert_true(jnum(x, "icmp_code") == 0);
	assert_true(jnum(x, "icmp_id") == 0x1234);
	assert_true(jnum(x, "reply_icmp_type") == 0);
	assert_true(jnum(x, "reply_icmp_id") == 0x1234);
	assert_true(jnum(x, "age") == 1.5);	/* first_seen fallback */

	/* TCP over IPv6 with state, zone, mark, counters, rates */
	x = &flows->items[2];
	assert_keys(x, port_keys, N(port_keys));
	assert_true(jnum(x, "id") == 4000000000.0);
	assert_string_equal(jstr(x, "family"), "ipv6");
	assert_string_equal(jstr(x, "proto"), "tcp");
	assert_string_equal(jstr(x, "state"), "ESTABLISHED");
	assert_string_equal(jstr(x, "src"), "2001:db8::1");
	assert_string_equal(jstr(x, "dst"), "2001:db8:1::2");
	assert_string_equal(jstr(x, "reply_src"), "2001:db8:1::2");
	assert_string_equal(jstr(x, "reply_dst"), "2001:db8::1");
	assert_true(jnum(x, "sport") == 51000);
	assert_true(jnum(x, "dport") == 443);
	assert_true(jnum(x, "reply_sport") == 443);
	assert_true(jnum(x, "reply_dport") == 51000);
	assert_true(jnum(x, "zone") == 7);
	assert_true(jnum(x, "mark") == 0x42);
	assert_true(jnum(x, "age") == 10000.5);
	assert_true(jnum(x, "orig_bytes") == 1500000);
	assert_true(jnum(x, "reply_packets") == 500);
	assert_true(jnum(x, "orig_byte_rate") == 150000.0);
	assert_true(jnum(x, "reply_byte_rate") == 2600.0);

	/* NAT: the reply tuple is the translated one, not the mirror */
	x = &flows->items[3];
	assert_keys(x, port_keys, N(port_keys));
	assert_string_equal(jstr(x, "state"), "SYN_SENT");
	assert_string_equal(jstr(x, "src"), "192.0.2.5");
	assert_string_equal(jstr(x, "dst"), "198.51.100.7");
	assert_string_equal(jstr(x, "reply_src"), "198.51.100.7");
	assert_string_equal(jstr(x, "reply_dst"), "203.0.113.1");
	assert_true(jnum(x, "sport") == 33000);
	assert_true(jnum(x, "reply_sport") == 80);
	assert_true(jnum(x, "reply_dport") == 61000);
	assert_true(jnum(x, "age") == 0.5);

	jv_free(&doc);
	free(out);
}

static void test_json_no_nan(void **state)
{
	struct flow f[2];
	struct snapshot *s;
	struct jv doc;
	const struct jv *x;
	char *out;

	(void)state;
	udp_example(&f[0]);
	udp_example(&f[1]);
	/* what a zero-length interval would make of rates */
	f[0].pkt_rate[0] = NAN;
	f[0].byte_rate[0] = INFINITY;
	f[0].pkt_rate[1] = -INFINITY;
	f[0].byte_rate[1] = -0.0f;
	f[1].pkt_rate[0] = 0.0004f;	/* rounds to 0 */
	f[1].byte_rate[0] = 3.4e38f;	/* float max: still a JSON number */
	s = make_snap(f, 2);
	s->meta.interval = 0;
	s->meta.map_read_ms = NAN;
	s->meta.time = INFINITY;
	out = render(s, OUTPUT_JSON, true);

	assert_null(strstr(out, "nan"));
	assert_null(strstr(out, "inf"));
	assert_null(strstr(out, "-0.0"));
	assert_true(json_parse(out, &doc));
	assert_true(jnum(&doc, "interval") == 0);
	assert_true(jnum(&doc, "map_read_ms") == 0);
	x = &jget(&doc, "flows")->items[0];
	assert_true(jnum(x, "orig_packet_rate") == 0);
	assert_true(jnum(x, "orig_byte_rate") == 0);
	assert_true(jnum(x, "reply_packet_rate") == 0);
	assert_true(jnum(x, "reply_byte_rate") == 0);
	x = &jget(&doc, "flows")->items[1];
	assert_true(jnum(x, "orig_packet_rate") == 0);
	assert_true(fabs(jnum(x, "orig_byte_rate") - 3.4e38) < 1e32);
	jv_free(&doc);
	free(out);
}

static void test_json_empty_and_numbers(void **state)
{
	struct snapshot *s;
	struct flow f;
	char *out;

	(void)state;
	s = make_snap(NULL, 0);
	s->meta.interval = 0.25;
	s->meta.time = 1764000000.123456;
	out = render(s, OUTPUT_JSON, true);
	assert_non_null(strstr(out, "{\"time\": 1764000000.123456, \"interval\": 0.25,"));
	assert_non_null(strstr(out, "\"flows_total\": 0,"));
	assert_non_null(strstr(out, "\"flows\": []}\n"));
	free(out);

	/* rates keep three decimals and drop trailing zeros */
	udp_example(&f);
	f.pkt_rate[0] = 0.5f;
	f.byte_rate[0] = 1234567.25f;
	f.pkt_rate[1] = 2.0f / 3.0f;
	f.byte_rate[1] = 10.0f;
	out = render(make_snap(&f, 1), OUTPUT_JSON, true);
	assert_non_null(strstr(out, "\"orig_packet_rate\": 0.5, "));
	assert_non_null(strstr(out, "\"orig_byte_rate\": 1234567.25, "));
	assert_non_null(strstr(out, "\"reply_packet_rate\": 0.667, "));
	assert_non_null(strstr(out, "\"reply_byte_rate\": 10.0, "));
	free(out);
}

/* Writes s with fn into memory; returns the text (caller frees). */
static char *render_str(int (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, s), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_json_string_escape(void **state)
{
	static const char *const cases[] = {
		"plain", "", "quote\" back\\slash", "tab\tnl\ncr\r",
		"\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac",
	};
	struct jv v;
	char *out;

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		out = render_str(format_json_string, cases[i]);
		assert_true(json_parse(out, &v));
		assert_int_equal(v.t, J_STR);
		assert_string_equal(v.str, cases[i]);
		jv_free(&v);
		free(out);
	}
	out = render_str(format_json_string, "a\"b\\c\x01");
	assert_string_equal(out, "\"a\\\"b\\\\c\\u0001\"");
	free(out);

	/* bytes that are not UTF-8 would make the whole document invalid */
	out = render_str(format_json_string, "bad\xff\xc3(\xed\xa0\x80!");
	assert_string_equal(out, "\"bad\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd!\"");
	free(out);
}

static void test_csv(void **state)
{
	static const char header[] =
		"time,id,family,proto,state,src,dst,sport,dport,"
		"icmp_type,icmp_code,icmp_id,reply_src,reply_dst,"
		"reply_sport,reply_dport,reply_icmp_type,reply_icmp_code,"
		"reply_icmp_id,zone,mark,age,orig_packets,orig_bytes,"
		"reply_packets,reply_bytes,orig_packet_rate,orig_byte_rate,"
		"reply_packet_rate,reply_byte_rate,counted_from,offloaded\n";
	struct flow f[3];
	char *out, *line, *save;
	int lines = 0;

	(void)state;
	udp_example(&f[0]);
	icmp_echo(&f[1]);
	tcp6_established(&f[2]);
	f[1].offloaded = true;
	f[2].whole_life = true;

	out = render(make_snap(f, 3), OUTPUT_CSV, true);
	assert_memory_equal(out, header, sizeof(header) - 1);
	assert_string_equal(out + sizeof(header) - 1,
		"1764000000.5,123,ipv4,udp,,192.0.2.1,198.51.100.7,40000,53,,,,"
		"198.51.100.7,192.0.2.1,53,40000,,,,0,0,12.5,10,1280,10,1280,"
		"1.0,128.0,1.0,128.0,1763999900.5,0\n"
		"1764000000.5,77,ipv4,icmp,,192.0.2.1,192.0.2.2,,,8,0,4660,"
		"192.0.2.2,192.0.2.1,,,0,0,4660,0,0,1.5,3,252,3,252,"
		"0.0,0.0,0.0,0.0,1763999900.5,1\n"
		"1764000000.5,4000000000,ipv6,tcp,ESTABLISHED,2001:db8::1,2001:db8:1::2,51000,443,,,,"
		"2001:db8:1::2,2001:db8::1,443,51000,,,,7,66,10000.5,1000,1500000,500,26000,"
		"100.0,150000.0,50.0,2600.0,start,0\n");

	/* every row has as many cells as the header */
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), lines++) {
		int commas = 0;

		for (char *c = line; *c; c++)
			commas += *c == ',';
		assert_int_equal(commas, 31);
	}
	assert_int_equal(lines, 4);
	free(out);

	/* the header comes once per run only */
	out = render(make_snap(f, 1), OUTPUT_CSV, false);
	assert_true(strncmp(out, "time,", 5) != 0);
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
	free(out);
	out = render(make_snap(f, 0), OUTPUT_CSV, true);
	assert_string_equal(out, header);
	free(out);

	/* RFC 4180 quoting */
	out = render_str(format_csv_field, "plain value");
	assert_string_equal(out, "plain value");
	free(out);
	out = render_str(format_csv_field, "a,b");
	assert_string_equal(out, "\"a,b\"");
	free(out);
	out = render_str(format_csv_field, "say \"hi\"");
	assert_string_equal(out, "\"say \"\"hi\"\"\"");
	free(out);
	out = render_str(format_csv_field, "two\nlines\r");
	assert_string_equal(out, "\"two\nlines\r\"");
	free(out);
	out = render_str(format_csv_field, "\"");
	assert_string_equal(out, "\"\"\"\"");
	free(out);
}

/* byte offset of the n-th (0-based) column of a two-space separated table */
static const char *next_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? nl + 1 : NULL;
}

static void test_text(void **state)
{
	struct flow f[4];
	struct snapshot *s;
	char *out;
	const char *l, *hdr;
	size_t width = 0;
	int rows = 0;

	(void)state;
	udp_example(&f[0]);
	icmp_echo(&f[1]);
	tcp6_established(&f[2]);
	tcp_snat(&f[3]);
	f[3].total.bytes[0] = 123456789012ull;
	f[3].byte_rate[0] = 3.4e6f;
	f[3].pkt_rate[0] = 1234.0f;
	s = make_snap(f, 4);
	s->meta.lost_events = 3;
	s->meta.resyncs = 1;
	s->meta.resyncing = true;
	s->meta.evictions = 2;

	setenv("TZ", "UTC", 1);
	tzset();
	out = render(s, OUTPUT_TEXT, true);

	/* summary line */
	assert_true(strncmp(out, "2025-11-24 16:00:00.500 +0000  interval 1.0s  "
				 "acct netfilter  flows 4  lost events 3  "
				 "resyncs 1 (resyncing)  evictions 2\n",
			    strlen("2025-11-24 16:00:00.500 +0000  interval 1.0s  "
				   "acct netfilter  flows 4  lost events 3  "
				   "resyncs 1 (resyncing)  evictions 2\n")) == 0);

	hdr = next_line(out);
	assert_true(strncmp(hdr, "PROTO  STATE", 12) == 0);

	/*
	 * Aligned: the last column is right-aligned, so every table line
	 * has the same length, and each column starts where its header
	 * does.
	 */
	const char *src_col = strstr(hdr, "SOURCE");
	const char *dst_col = strstr(hdr, "DESTINATION");

	assert_non_null(src_col);
	assert_non_null(dst_col);
	for (l = hdr; l && *l; l = next_line(l), rows++) {
		size_t len = (size_t)(strchr(l, '\n') - l);

		if (!width)
			width = len;
		assert_int_equal(len, width);
		if (l == hdr)
			continue;
		/* the source cell starts in the SOURCE column */
		assert_true(l[src_col - hdr] != ' ');
		assert_true(l[src_col - hdr - 1] == ' ');
		assert_true(l[dst_col - hdr] != ' ');
		assert_true(l[dst_col - hdr - 1] == ' ');
	}
	assert_int_equal(rows, 5);

	/* IPv6 endpoints in [addr]:port form, ICMP without ports */
	assert_non_null(strstr(out, "[2001:db8::1]:51000"));
	assert_non_null(strstr(out, "[2001:db8:1::2]:443"));
	assert_non_null(strstr(out, "192.0.2.1:40000"));
	assert_non_null(strstr(out, " 192.0.2.2 "));
	assert_non_null(strstr(out, "ESTABLISHED"));
	assert_non_null(strstr(out, "SYN_SENT"));
	/* counters exact, rates in human units */
	assert_non_null(strstr(out, " 123456789012 "));
	assert_non_null(strstr(out, "1.2k/3.4M"));
	assert_non_null(strstr(out, "100/150.0k"));
	assert_non_null(strstr(out, "1.0/128"));
	/* ages: seconds, then minutes+seconds, hours+minutes, days */
	assert_non_null(strstr(out, " 12.5s "));
	assert_non_null(strstr(out, " 2h46m "));
	free(out);

	/* later snapshots are set apart by a blank line */
	out = render(s, OUTPUT_TEXT, false);
	assert_true(out[0] == '\n');
	free(out);

	/* an empty snapshot still has its summary and header */
	out = render(make_snap(NULL, 0), OUTPUT_TEXT, true);
	assert_non_null(strstr(out, "flows 0 "));
	assert_non_null(strstr(out, "\nPROTO  STATE  SOURCE  DESTINATION  AGE  ORIG PKTS"));
	free(out);
}

/* 192.0.2.9:40000 → 198.51.100.1:8022, DNAT'd to 192.0.2.2:22 */
static void tcp_dnat(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	set_key(&f->key, AF_INET, IPPROTO_TCP, "192.0.2.9", "198.51.100.1",
		40000, 8022);
	set_key(&f->reply, AF_INET, IPPROTO_TCP, "192.0.2.2", "192.0.2.9",
		22, 40000);
	f->ct_id = 10;
	f->state = 3;
	f->first_seen_ns = 1764000000ull * SEC;
}

static void test_flow_nat(void **state)
{
	struct flow f;
	char buf[ENDPOINT_STRLEN];

	(void)state;
	udp_example(&f);
	assert_int_equal(flow_nat(&f), 0);
	assert_null(flow_nat_endpoint(&f, FLOW_NAT_SRC, buf, sizeof(buf)));
	assert_null(flow_nat_endpoint(&f, FLOW_NAT_DST, buf, sizeof(buf)));
	assert_string_equal(format_endpoint(&f.key, false, buf, sizeof(buf)),
			    "192.0.2.1:40000");
	assert_string_equal(format_endpoint(&f.key, true, buf, sizeof(buf)),
			    "198.51.100.7:53");

	tcp_snat(&f);
	assert_int_equal(flow_nat(&f), FLOW_NAT_SRC);
	assert_string_equal(flow_nat_endpoint(&f, FLOW_NAT_SRC, buf, sizeof(buf)),
			    "203.0.113.1:61000");
	assert_null(flow_nat_endpoint(&f, FLOW_NAT_DST, buf, sizeof(buf)));

	tcp_dnat(&f);
	assert_int_equal(flow_nat(&f), FLOW_NAT_DST);
	assert_string_equal(flow_nat_endpoint(&f, FLOW_NAT_DST, buf, sizeof(buf)),
			    "192.0.2.2:22");
	/* a port alone counts: REDIRECT to another port of the same address */
	set_key(&f.reply, AF_INET, IPPROTO_TCP, "198.51.100.1", "192.0.2.9",
		22, 40000);
	assert_int_equal(flow_nat(&f), FLOW_NAT_DST);
	assert_string_equal(flow_nat_endpoint(&f, FLOW_NAT_DST, buf, sizeof(buf)),
			    "198.51.100.1:22");
	/* both ends translated */
	set_key(&f.reply, AF_INET, IPPROTO_TCP, "192.0.2.2", "203.0.113.1",
		22, 1024);
	assert_int_equal(flow_nat(&f), FLOW_NAT_SRC | FLOW_NAT_DST);
	/* an unknown reply tuple says nothing */
	memset(&f.reply, 0, sizeof(f.reply));
	assert_int_equal(flow_nat(&f), 0);

	/* IPv6 ends in brackets */
	tcp6_established(&f);
	assert_int_equal(flow_nat(&f), 0);
	set_v6(f.reply.dst, "2001:db8:ffff::1");
	assert_int_equal(flow_nat(&f), FLOW_NAT_SRC);
	assert_string_equal(flow_nat_endpoint(&f, FLOW_NAT_SRC, buf, sizeof(buf)),
			    "[2001:db8:ffff::1]:51000");

	/* ICMP: the reply's type differs and ids are no ports; addresses only */
	icmp_echo(&f);
	assert_int_equal(flow_nat(&f), 0);
	set_v4(f.reply.dst, "198.51.100.1");
	assert_int_equal(flow_nat(&f), FLOW_NAT_SRC);
	assert_string_equal(flow_nat_endpoint(&f, FLOW_NAT_SRC, buf, sizeof(buf)),
			    "198.51.100.1");
}

/* The text table shows the translated side beside the original one. */
static void test_text_nat(void **state)
{
	struct flow f[4];
	char *out;
	const char *l, *hdr, *src_col, *dst_col;
	size_t width = 0;

	(void)state;
	tcp_snat(&f[0]);
	tcp_dnat(&f[1]);
	udp_example(&f[2]);
	tcp_dnat(&f[3]);
	/* DNAT and SNAT at once */
	set_key(&f[3].reply, AF_INET, IPPROTO_TCP, "192.0.2.2", "203.0.113.1",
		22, 1024);
	f[3].key.sport = htons(40001);
	out = render(make_snap(f, 4), OUTPUT_TEXT, true);
	assert_non_null(strstr(out, "192.0.2.5:33000 via 203.0.113.1:61000 "));
	assert_non_null(strstr(out, "198.51.100.1:8022 -> 192.0.2.2:22 "));
	assert_non_null(strstr(out, "192.0.2.9:40001 via 203.0.113.1:1024 "));
	/* without NAT nothing is added */
	assert_null(strstr(out, "198.51.100.7:53 ->"));
	assert_null(strstr(out, "192.0.2.1:40000 via"));
	/* the SNAT'd flow's destination and the DNAT'd flow's source alone */
	assert_null(strstr(out, "198.51.100.7:80 ->"));
	assert_null(strstr(out, "192.0.2.9:40000 via"));

	/* still aligned: the wider cells widen their columns */
	hdr = next_line(out);
	src_col = strstr(hdr, "SOURCE");
	dst_col = strstr(hdr, "DESTINATION");
	for (l = hdr; l && *l; l = next_line(l)) {
		size_t len = (size_t)(strchr(l, '\n') - l);

		if (!width)
			width = len;
		assert_int_equal(len, width);
		if (l == hdr)
			continue;
		assert_true(l[src_col - hdr] != ' ');
		assert_true(l[dst_col - hdr] != ' ');
		assert_true(l[dst_col - hdr - 1] == ' ');
	}
	free(out);

	/* CSV and JSON carry the reply tuple as it is */
	out = render(make_snap(f, 2), OUTPUT_CSV, true);
	assert_non_null(strstr(out, ",192.0.2.9,198.51.100.1,40000,8022,"));
	assert_non_null(strstr(out, ",192.0.2.2,192.0.2.9,22,40000,"));
	assert_non_null(strstr(out, ",198.51.100.7,203.0.113.1,80,61000,"));
	free(out);
}

/* Values no real flow has must still give sane, aligned, finite text. */
static void test_text_extremes(void **state)
{
	struct flow f[3];
	struct snapshot *s;
	char *out;
	const char *l;
	size_t width = 0;

	(void)state;
	udp_example(&f[0]);
	f[0].byte_rate[0] = 3.4e38f;
	f[0].pkt_rate[0] = NAN;
	f[0].pkt_rate[1] = -5.0f;
	f[0].byte_rate[1] = 999.96f;	/* rounds up into the next unit */
	udp_example(&f[1]);
	f[1].start_ns = 1;	/* 1970: an age in days */
	f[1].byte_rate[0] = 999949.0f;
	udp_example(&f[2]);
	f[2].key.family = f[2].reply.family = 99;	/* unknown family */
	f[2].total.bytes[0] = UINT64_MAX;

	s = make_snap(f, 3);
	out = render(s, OUTPUT_TEXT, true);
	assert_null(strstr(out, "nan"));
	assert_null(strstr(out, "inf"));
	assert_non_null(strstr(out, " 0/999999999999999E "));
	assert_non_null(strstr(out, " 0/1.0k\n"));
	assert_non_null(strstr(out, " 1.0/999.9k "));
	assert_non_null(strstr(out, " 20416d16h "));
	assert_non_null(strstr(out, " 18446744073709551615 "));
	assert_non_null(strstr(out, "\nudp    -      ?:40000  "));
	for (l = next_line(out); l && *l; l = next_line(l)) {
		size_t len = (size_t)(strchr(l, '\n') - l);

		if (!width)
			width = len;
		assert_int_equal(len, width);
	}
	free(out);

	/* a wild snapshot time: the summary falls back, JSON stays valid */
	s->meta.time = 1e300;
	out = render(s, OUTPUT_TEXT, true);
	assert_true(strncmp(out, "1970-01-01", 10) == 0);
	free(out);
	out = render(s, OUTPUT_JSON, true);
	{
		struct jv doc;

		assert_true(json_parse(out, &doc));
		assert_true(jnum(&doc, "time") == 1e300);
		assert_null(jstr(&jget(&doc, "flows")->items[2], "src"));
		assert_string_equal(jstr(&jget(&doc, "flows")->items[2], "family"), "99");
		jv_free(&doc);
	}
	free(out);
}

static void test_write_error(void **state)
{
	struct flow f;
	FILE *full;

	(void)state;
	udp_example(&f);
	/* /dev/full fails every write with ENOSPC, like a full disk */
	full = fopen("/dev/full", "w");
	if (!full)
		skip();
	assert_int_equal(format_snapshot(full, make_snap(&f, 1), OUTPUT_JSON, true,
					 NULL), -ENOSPC);
	fclose(full);

	assert_int_equal(format_snapshot(stdout, NULL, OUTPUT_JSON, true, NULL),
			 -EINVAL);
	assert_int_equal(format_snapshot(stdout, make_snap(&f, 1), 42, true, NULL),
			 -EINVAL);
}

static const char *const enrich_keys[] = {
	"pid", "process", "user", "src_host", "dst_host",
	"src_country", "src_country_name", "src_city", "src_asn", "src_as_org",
	"dst_country", "dst_country_name", "dst_city", "dst_asn", "dst_as_org",
	"sport_service", "dport_service",
};

/*
 * With an enrich handle (DNS, GeoIP and process lookups off, so only the
 * service names of a --conf-dir udp.conf are known): every enrichment key
 * is there, unknown ones are null / empty, the service comes from the file.
 */
static void test_enriched(void **state)
{
	char dir[] = "/tmp/ft-test-format.XXXXXX", path[64];
	struct enrich_config cfg = { .conf_dir = dir };
	struct enrich *e = NULL;
	struct jv doc;
	const struct jv *fl;
	struct flow f;
	char *out, *nl;
	FILE *conf;
	int commas = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/udp.conf", dir);
	conf = fopen(path, "w");
	assert_non_null(conf);
	fputs("# test\n53, test-dns\n", conf);
	fclose(conf);
	assert_int_equal(enrich_open(&e, &cfg), 0);
	udp_example(&f);

	out = render_enriched(make_snap(&f, 1), OUTPUT_JSON, true, e);
	assert_true(json_parse(out, &doc));
	fl = &jget(&doc, "flows")->items[0];
	for (size_t i = 0; i < N(enrich_keys); i++)
		assert_non_null(jget(fl, enrich_keys[i]));
	assert_int_equal(jget(fl, "pid")->t, J_NULL);
	assert_int_equal(jget(fl, "src_host")->t, J_NULL);
	assert_int_equal(jget(fl, "sport_service")->t, J_NULL);
	assert_string_equal(jstr(fl, "dport_service"), "test-dns");
	jv_free(&doc);
	free(out);

	/* CSV: 17 more columns in the header and in every row */
	out = render_enriched(make_snap(&f, 1), OUTPUT_CSV, true, e);
	assert_non_null(strstr(out, ",counted_from,offloaded,pid,process,user,src_host,"));
	nl = strchr(out, '\n');
	assert_non_null(nl);
	for (char *c = nl + 1; *c; c++)
		commas += *c == ',';
	assert_int_equal(commas, 31 + 17);
	assert_non_null(strstr(nl, ",test-dns\n"));
	free(out);

	/* text: the extra columns are there */
	out = render_enriched(make_snap(&f, 1), OUTPUT_TEXT, true, e);
	assert_non_null(strstr(out, "PROCESS"));
	assert_non_null(strstr(out, "test-dns"));
	free(out);

	enrich_close(e);
	unlink(path);
	rmdir(dir);
}

/* a row longer the second time (a name arrived meanwhile) sticks out */
static void test_text_pad(void **state)
{
	(void)state;
	assert_int_equal(text_pad(12, 5), 7);
	assert_int_equal(text_pad(5, 5), 0);
	assert_int_equal(text_pad(5, 40), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_name),
		cmocka_unit_test(test_state_name),
		cmocka_unit_test(test_format_addr),
		cmocka_unit_test(test_flow_age),
		cmocka_unit_test(test_json_udp_exact),
		cmocka_unit_test(test_json_parsed),
		cmocka_unit_test(test_json_no_nan),
		cmocka_unit_test(test_json_empty_and_numbers),
		cmocka_unit_test(test_json_string_escape),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_flow_nat),
		cmocka_unit_test(test_text_nat),
		cmocka_unit_test(test_text_extremes),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_enriched),
		cmocka_unit_test(test_text_pad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
