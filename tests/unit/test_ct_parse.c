// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack entry → flow key/fields, netlink message parsing, and how
 * messages change the flow table (selection, reuse, stale events, ghosts).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_parse.h"
#include "filter.h"
#include "flowtab.h"
#include "kcount.h"

#include "util.h"

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void ip6(const char *s, void *out)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static struct nf_conntrack *ct4(uint8_t proto, const char *src, const char *dst,
				uint16_t sport, uint16_t dport)
{
	struct nf_conntrack *ct = nfct_new();

	assert_non_null(ct);
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, proto);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, ip4(src));
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, ip4(dst));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, ip4(dst));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, ip4(src));
	if (proto != IPPROTO_ICMP) {
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(sport));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(sport));
	}
	return ct;
}

static struct nf_conntrack *ct6(uint8_t proto, const char *src, const char *dst,
				uint16_t sport, uint16_t dport)
{
	struct nf_conntrack *ct = nfct_new();
	uint8_t s[16], d[16];

	assert_non_null(ct);
	ip6(src, s);
	ip6(dst, d);
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, AF_INET6);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET6);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, proto);
	nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, s);
	nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, d);
	nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, d);
	nfct_set_attr(ct, ATTR_REPL_IPV6_DST, s);
	if (proto != IPPROTO_ICMPV6) {
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(sport));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(sport));
	}
	return ct;
}

/* The key as the kernel's struct nf_conntrack_tuple lays it out. */
static struct flow_key key4(uint8_t proto, const char *src, const char *dst,
			    uint16_t sport, uint16_t dport, uint16_t zone)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.src[0] = ip4(src);
	k.dst[0] = ip4(dst);
	k.sport = htons(sport);
	k.dport = htons(dport);
	k.zone = zone;
	k.family = AF_INET;
	k.proto = proto;
	return k;
}

static void set_icmp_key(struct flow_key *k, uint16_t id, uint8_t type,
			 uint8_t code)
{
	uint8_t *b = (uint8_t *)&k->dport;

	k->sport = htons(id);
	b[0] = type;
	b[1] = code;
}

static void assert_key(const struct flow_key *got, const struct flow_key *want)
{
	assert_memory_equal(got, want, sizeof(*want));
}

/* ---- netlink messages ---- */

static struct nlmsghdr *msg_header(char *buf, uint8_t type, uint16_t flags,
				   uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = flags;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	return nlh;
}

/*
 * ct as the kernel would send it (an event), read by the parser flowtop
 * uses: libnetfilter_conntrack builds the message, and the id, which its
 * builder leaves out, is added the way the kernel puts it.
 */
static int parse(const struct nf_conntrack *ct, struct ct_entry *e)
{
	static char buf[8192] __attribute__((aligned(4)));
	uint8_t family = nfct_attr_is_set(ct, ATTR_ORIG_L3PROTO) ?
			 nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) : AF_UNSPEC;
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = msg_header(buf, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL,
			 family);
	assert_int_equal(nfct_nlmsg_build(nlh, ct), 0);
	if (nfct_attr_is_set(ct, ATTR_ID))
		mnl_attr_put_u32(nlh, CTA_ID, htonl(nfct_get_attr_u32(ct, ATTR_ID)));
	return ct_entry_from_nlmsg(nlh, e);
}

/*
 * A message written attribute by attribute, for what libnetfilter_conntrack
 * would not build: a flow 192.0.2.1:1 -> 192.0.2.2:2 of proto in family
 * (whatever the family, IPv4 addresses), with parts left out.
 */
enum { RAW_NO_REPLY = 1, RAW_NO_PORTS = 2, RAW_ICMP_TYPE_ONLY = 4 };

static void raw_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t proto,
		      unsigned int omit, bool reply)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, ip4(reply ? "192.0.2.2" : "192.0.2.1"));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, ip4(reply ? "192.0.2.1" : "192.0.2.2"));
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, 8);
		if (!(omit & RAW_ICMP_TYPE_ONLY)) {
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, 0);
			mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(1));
		}
	} else if (!(omit & RAW_NO_PORTS)) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(reply ? 2 : 1));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(reply ? 1 : 2));
	}
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

static int parse_raw(uint8_t family, uint8_t proto, unsigned int omit,
		     struct ct_entry *e)
{
	static char buf[8192] __attribute__((aligned(4)));
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = msg_header(buf, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL,
			 family);
	raw_tuple(nlh, CTA_TUPLE_ORIG, proto, omit, false);
	if (!(omit & RAW_NO_REPLY))
		raw_tuple(nlh, CTA_TUPLE_REPLY, proto, omit, true);
	return ct_entry_from_nlmsg(nlh, e);
}

static void test_tcp_v4(void **state)
{
	struct nf_conntrack *ct = ct4(IPPROTO_TCP, "192.0.2.1", "198.51.100.7", 40000, 443);
	struct flow_key want = key4(IPPROTO_TCP, "192.0.2.1", "198.51.100.7", 40000, 443, 0);
	struct flow_key rwant = key4(IPPROTO_TCP, "198.51.100.7", "192.0.2.1", 443, 40000, 0);
	const uint8_t *raw;
	struct ct_entry e;

	(void)state;
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, 3);	/* ESTABLISHED */
	nfct_set_attr_u32(ct, ATTR_ID, 0xdeadbeef);
	nfct_set_attr_u32(ct, ATTR_MARK, 42);

	assert_int_equal(parse(ct, &e), 0);
	assert_key(&e.key, &want);
	assert_key(&e.reply, &rwant);
	/* network byte order, as the BPF side reads the kernel's tuple */
	raw = (const uint8_t *)&e.key;
	assert_int_equal(raw[0], 192);
	assert_int_equal(raw[3], 1);
	assert_int_equal(raw[32], 40000 >> 8);
	assert_int_equal(raw[33], 40000 & 0xff);
	assert_int_equal(raw[38], AF_INET);
	assert_int_equal(raw[39], IPPROTO_TCP);
	assert_int_equal(e.state, 3);
	assert_true(e.has_state);
	assert_int_equal(e.ct_id, 0xdeadbeef);
	assert_int_equal(e.mark, 42);
	assert_true(e.has_mark);
	nfct_destroy(ct);
}

static void test_udp_v6(void **state)
{
	struct nf_conntrack *ct = ct6(IPPROTO_UDP, "2001:db8::1", "2001:db8:1::53", 5353, 53);
	struct flow_key want;
	struct ct_entry e;

	(void)state;
	memset(&want, 0, sizeof(want));
	ip6("2001:db8::1", want.src);
	ip6("2001:db8:1::53", want.dst);
	want.sport = htons(5353);
	want.dport = htons(53);
	want.family = AF_INET6;
	want.proto = IPPROTO_UDP;

	assert_int_equal(parse(ct, &e), 0);
	assert_key(&e.key, &want);
	assert_int_equal(((const uint8_t *)e.key.src)[0], 0x20);
	assert_int_equal(((const uint8_t *)e.key.src)[15], 0x01);
	assert_int_equal(e.state, FLOW_STATE_NONE);
	assert_false(e.has_state);
	nfct_destroy(ct);
}

static void test_udplite_v4(void **state)
{
	struct nf_conntrack *ct = ct4(IPPROTO_UDPLITE, "192.0.2.1", "192.0.2.2", 1, 2);
	struct ct_entry e;

	(void)state;
	assert_int_equal(parse(ct, &e), 0);
	assert_int_equal(e.key.proto, IPPROTO_UDPLITE);
	assert_int_equal(ntohs(e.key.dport), 2);
	nfct_destroy(ct);
}

static void test_icmp(void **state)
{
	struct nf_conntrack *ct = ct4(IPPROTO_ICMP, "192.0.2.1", "203.0.113.9", 0, 0);
	struct ct_entry e;
	const uint8_t *d, *rd;

	(void)state;
	nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, 8);
	nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
	nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(0x1234));
	assert_int_equal(parse(ct, &e), 0);
	d = (const uint8_t *)&e.key.dport;
	rd = (const uint8_t *)&e.reply.dport;
	assert_int_equal(e.key.sport, htons(0x1234));
	assert_int_equal(d[0], 8);	/* type */
	assert_int_equal(d[1], 0);	/* code */
	assert_int_equal(rd[0], 0);	/* echo reply, as the kernel inverts it */
	assert_int_equal(e.reply.sport, htons(0x1234));
	assert_int_equal(e.key.src[0], ip4("192.0.2.1"));
	assert_int_equal(e.reply.src[0], ip4("203.0.113.9"));
	assert_int_equal(e.state, FLOW_STATE_NONE);
	nfct_destroy(ct);

	/* the ICMP fields are required (complete, the same message parses) */
	assert_int_equal(parse_raw(AF_INET, IPPROTO_ICMP, RAW_ICMP_TYPE_ONLY, &e),
			 -EINVAL);
	assert_int_equal(parse_raw(AF_INET, IPPROTO_ICMP, 0, &e), 0);
}

static void test_icmpv6(void **state)
{
	struct nf_conntrack *ct = ct6(IPPROTO_ICMPV6, "2001:db8::1", "2001:db8::2", 0, 0);
	struct ct_entry e;

	(void)state;
	nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, 128);
	nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
	nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(77));
	assert_int_equal(parse(ct, &e), 0);
	assert_int_equal(e.key.family, AF_INET6);
	assert_int_equal(e.key.proto, IPPROTO_ICMPV6);
	assert_int_equal(e.key.sport, htons(77));
	assert_int_equal(((const uint8_t *)&e.key.dport)[0], 128);
	assert_int_equal(((const uint8_t *)&e.reply.dport)[0], 129);
	assert_true(ct_entry_selected(&e, SEL_IPV6 | SEL_ICMP));
	assert_false(ct_entry_selected(&e, SEL_IPV4 | SEL_ICMP));
	nfct_destroy(ct);
}

static void test_sctp_and_dccp_state(void **state)
{
	struct nf_conntrack *ct = ct4(IPPROTO_SCTP, "192.0.2.1", "192.0.2.2", 5000, 6000);
	struct ct_entry e;

	(void)state;
	nfct_set_attr_u8(ct, ATTR_SCTP_STATE, 3);	/* COOKIE_ECHOED */
	assert_int_equal(parse(ct, &e), 0);
	assert_int_equal(e.key.proto, IPPROTO_SCTP);
	assert_int_equal(e.state, 3);
	assert_true(e.has_state);
	nfct_destroy(ct);

	ct = ct4(IPPROTO_DCCP, "192.0.2.1", "192.0.2.2", 5000, 6000);
	nfct_set_attr_u8(ct, ATTR_DCCP_STATE, 4);
	assert_int_equal(parse(ct, &e), 0);
	assert_int_equal(e.state, 4);
	nfct_destroy(ct);
}

static void test_nat_reply(void **state)
{
	/* SNAT 192.0.2.10:40000 → 203.0.113.1:61000 towards 198.51.100.7:80 */
	struct nf_conntrack *ct = ct4(IPPROTO_TCP, "192.0.2.10", "198.51.100.7", 40000, 80);
	struct flow_key rwant = key4(IPPROTO_TCP, "198.51.100.7", "203.0.113.1", 80, 61000, 0);
	struct ct_entry e;

	(void)state;
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, ip4("203.0.113.1"));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(61000));
	assert_int_equal(parse(ct, &e), 0);
	assert_key(&e.reply, &rwant);
	assert_int_equal(e.key.src[0], ip4("192.0.2.10"));
	assert_int_equal(e.key.sport, htons(40000));
	nfct_destroy(ct);
}

static void test_zone(void **state)
{
	struct nf_conntrack *ct = ct4(IPPROTO_UDP, "192.0.2.1", "192.0.2.2", 1, 2);
	struct ct_entry e;

	(void)state;
	nfct_set_attr_u16(ct, ATTR_ZONE, 7);
	assert_int_equal(parse(ct, &e), 0);
	assert_int_equal(e.key.zone, 7);
	assert_int_equal(e.reply.zone, 7);
	nfct_destroy(ct);

	/* a zone for the original direction only is still the connection's */
	ct = ct4(IPPROTO_UDP, "192.0.2.1", "192.0.2.2", 1, 2);
	nfct_set_attr_u16(ct, ATTR_ORIG_ZONE, 9);
	assert_int_equal(parse(ct, &e), 0);
	assert_int_equal(e.key.zone, 9);
	nfct_destroy(ct);
}

static void test_missing_and_odd(void **state)
{
	struct nf_conntrack *ct;
	struct ct_entry e;

	(void)state;
	/* optional attributes absent: defaults, not errors */
	ct = ct4(IPPROTO_TCP, "192.0.2.1", "192.0.2.2", 1, 2);
	assert_int_equal(parse(ct, &e), 0);
	assert_int_equal(e.ct_id, 0);
	assert_false(e.has_mark);
	assert_false(e.has_state);
	assert_int_equal(e.state, FLOW_STATE_NONE);
	assert_true(e.start_ns == 0);
	assert_false(e.has_counters);
	assert_int_equal(e.key.zone, 0);
	nfct_destroy(ct);

	/* the whole message parses: what follows is each part missing */
	assert_int_equal(parse_raw(AF_INET, IPPROTO_UDP, 0, &e), 0);
	assert_int_equal(e.key.sport, htons(1));
	assert_int_equal(e.reply.sport, htons(2));

	/* no reply tuple */
	assert_int_equal(parse_raw(AF_INET, IPPROTO_UDP, RAW_NO_REPLY, &e),
			 -EINVAL);

	/* nothing at all */
	{
		static char buf[256] __attribute__((aligned(4)));

		assert_int_equal(ct_entry_from_nlmsg(msg_header(buf,
			IPCTNL_MSG_CT_NEW, NLM_F_CREATE, AF_INET), &e), -EINVAL);
	}

	/* ports missing for a port protocol */
	assert_int_equal(parse_raw(AF_INET, IPPROTO_TCP, RAW_NO_PORTS, &e),
			 -EINVAL);

	/* a family flowtop does not know */
	assert_int_equal(parse_raw(7 /* AF_BRIDGE */, IPPROTO_UDP, 0, &e),
			 -EAFNOSUPPORT);

	/* protocols without ports or echo ids (GRE), and ICMP over IPv6 */
	assert_int_equal(parse_raw(AF_INET, 47, RAW_NO_PORTS, &e),
			 -EPROTONOSUPPORT);
	assert_int_equal(parse_raw(AF_INET6, IPPROTO_ICMP, 0, &e),
			 -EPROTONOSUPPORT);
}

static void test_nlmsg_roundtrip(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nf_conntrack *ct = ct6(IPPROTO_TCP, "2001:db8::1", "2001:db8::2", 1234, 22);
	struct nlmsghdr *nlh;
	struct ct_entry a, b;

	(void)state;
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, 1);
	nfct_set_attr_u32(ct, ATTR_ID, 99);
	nfct_set_attr_u32(ct, ATTR_MARK, 5);
	nlh = msg_header(buf, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, AF_INET6);
	assert_int_equal(nfct_nlmsg_build(nlh, ct), 0);

	assert_int_equal(ct_msg_kind(nlh), CT_MSG_NEW);
	assert_int_equal(parse(ct, &a), 0);
	/* the library's setters store no id, timestamp or counters for
	 * nfct_nlmsg_build: add them as the kernel sends them */
	mnl_attr_put_u32(nlh, CTA_ID, htonl(99));
	{
		struct nlattr *ts = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);

		mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START,
				 htobe64(1764000000123456789ull));
		mnl_attr_nest_end(nlh, ts);
		ts = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(10));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(1280));
		mnl_attr_nest_end(nlh, ts);
		ts = mnl_attr_nest_start(nlh, CTA_COUNTERS_REPLY);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(7));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(9000));
		mnl_attr_nest_end(nlh, ts);
	}
	assert_false(a.has_counters);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &b), 0);
	assert_true(b.start_ns == 1764000000123456789ull);
	assert_true(b.has_counters);
	assert_int_equal(b.counters.packets[FLOW_DIR_ORIG], 10);
	assert_int_equal(b.counters.bytes[FLOW_DIR_ORIG], 1280);
	assert_int_equal(b.counters.packets[FLOW_DIR_REPLY], 7);
	assert_int_equal(b.counters.bytes[FLOW_DIR_REPLY], 9000);
	assert_key(&b.key, &a.key);
	assert_key(&b.reply, &a.reply);
	assert_int_equal(b.state, 1);
	assert_int_equal(b.ct_id, 99);
	assert_int_equal(b.mark, 5);

	/* cut short: header without payload, and a length beyond nothing */
	nlh->nlmsg_len = NLMSG_HDRLEN;
	assert_int_equal(ct_msg_kind(nlh), -EINVAL);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &b), -EINVAL);
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(struct nfgenmsg);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &b), -EINVAL);
	nfct_destroy(ct);
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const char *src,
		      const char *dst, uint8_t proto, uint8_t itype, uint16_t id)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, ip4(src));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, ip4(dst));
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(id));
	mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, itype);
	mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, 0);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

static void test_nlmsg_icmp_nat(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ct_entry e;

	(void)state;
	/* masquerade rewrote the echo id: only the raw reply tuple says so */
	nlh = msg_header(buf, IPCTNL_MSG_CT_DELETE, 0, AF_INET);
	put_tuple(nlh, CTA_TUPLE_ORIG, "192.0.2.10", "198.51.100.7", IPPROTO_ICMP, 8, 100);
	put_tuple(nlh, CTA_TUPLE_REPLY, "198.51.100.7", "203.0.113.1", IPPROTO_ICMP, 0, 2000);
	mnl_attr_put_u32(nlh, CTA_ID, htonl(12345));
	mnl_attr_put_u16(nlh, CTA_ZONE, htons(3));

	assert_int_equal(ct_msg_kind(nlh), CT_MSG_DESTROY);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &e), 0);
	assert_int_equal(e.key.sport, htons(100));
	assert_int_equal(((const uint8_t *)&e.key.dport)[0], 8);
	assert_int_equal(e.reply.sport, htons(2000));
	assert_int_equal(((const uint8_t *)&e.reply.dport)[0], 0);
	assert_int_equal(e.reply.dst[0], ip4("203.0.113.1"));
	assert_int_equal(e.ct_id, 12345);
	assert_int_equal(e.key.zone, 3);

	/* a malformed nested attribute is refused, not read past */
	nlh = msg_header(buf, IPCTNL_MSG_CT_NEW, 0, AF_INET);
	put_tuple(nlh, CTA_TUPLE_ORIG, "192.0.2.10", "198.51.100.7", IPPROTO_ICMP, 8, 100);
	{
		struct nlattr *bad = mnl_nlmsg_get_payload_tail(nlh);

		bad->nla_type = CTA_TUPLE_REPLY | NLA_F_NESTED;
		bad->nla_len = 200;	/* claims more than the message holds */
		nlh->nlmsg_len += 4;
	}
	assert_int_equal(ct_entry_from_nlmsg(nlh, &e), -EINVAL);
}

static void test_msg_kind(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	(void)state;
	nlh = msg_header(buf, IPCTNL_MSG_CT_NEW, 0, AF_INET);
	assert_int_equal(ct_msg_kind(nlh), CT_MSG_UPDATE);
	nlh = msg_header(buf, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, AF_INET);
	assert_int_equal(ct_msg_kind(nlh), CT_MSG_NEW);
	nlh = msg_header(buf, IPCTNL_MSG_CT_NEW, NLM_F_MULTI, AF_INET);
	assert_int_equal(ct_msg_kind(nlh), CT_MSG_DUMP);
	nlh = msg_header(buf, IPCTNL_MSG_CT_GET, NLM_F_MULTI, AF_INET);
	assert_int_equal(ct_msg_kind(nlh), CT_MSG_DUMP);
	nlh = msg_header(buf, IPCTNL_MSG_CT_DELETE, 0, AF_INET);
	assert_int_equal(ct_msg_kind(nlh), CT_MSG_DESTROY);
	nlh = msg_header(buf, IPCTNL_MSG_CT_GET_STATS, 0, AF_INET);
	assert_int_equal(ct_msg_kind(nlh), -ENOMSG);
	nlh = msg_header(buf, IPCTNL_MSG_CT_NEW, 0, AF_INET);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_CT_NEW;
	assert_int_equal(ct_msg_kind(nlh), -ENOMSG);
}

/* ---- applying messages to the table ---- */

struct hooks_seen {
	int destroyed, reused, kernel, offloaded, silent;
	uint32_t timeout_s;		/* the last silent_timeout heard of */
	struct flow_rec *last;
	bool kfinal;			/* the last kernel counters heard of */
	struct flow_counters k;
};

static void on_kernel(struct flow_rec *f, bool destroy,
		      const struct flow_counters *k, void *arg)
{
	struct hooks_seen *h = arg;

	h->kernel++;
	h->last = f;
	h->kfinal = destroy;
	h->k = *k;
}

static void on_offloaded(struct flow_rec *f, void *arg)
{
	struct hooks_seen *h = arg;

	h->offloaded++;
	h->last = f;
}

static void on_silent(struct flow_rec *f, uint32_t timeout_s, void *arg)
{
	struct hooks_seen *h = arg;

	h->silent++;
	h->timeout_s = timeout_s;
	h->last = f;
}

static void on_destroyed(struct flow_rec *f, void *arg)
{
	struct hooks_seen *h = arg;

	h->destroyed++;
	h->last = f;
}

static void on_reused(struct flow_rec *f, void *arg)
{
	struct hooks_seen *h = arg;

	h->reused++;
	h->last = f;
}

struct fixture {
	struct flowtab *tab;
	struct ct_stats st;
	struct hooks_seen seen;
	struct ct_hooks hooks;
	struct ct_apply_ctx ctx;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->tab = flowtab_new(16);
	fx->hooks.destroyed = on_destroyed;
	fx->hooks.reused = on_reused;
	fx->hooks.kernel_counters = on_kernel;
	fx->hooks.offloaded = on_offloaded;
	fx->hooks.silent_timeout = on_silent;
	fx->hooks.arg = &fx->seen;
	fx->ctx.tab = fx->tab;
	fx->ctx.sel = sel_complete(SEL_TCP | SEL_UDP);
	fx->ctx.hooks = &fx->hooks;
	fx->ctx.stats = &fx->st;
	fx->ctx.now_ns = 1000;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	flowtab_free(fx->tab);
	free(fx);
	return 0;
}

static struct ct_entry entry(uint8_t proto, uint16_t sport, uint32_t id)
{
	struct nf_conntrack *ct = ct4(proto, "192.0.2.1", "198.51.100.7", sport, 53);
	struct ct_entry e;

	nfct_set_attr_u32(ct, ATTR_ID, id);
	if (proto == IPPROTO_ICMP) {
		nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, 8);
		nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
		nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(sport));
	}
	assert_int_equal(parse(ct, &e), 0);
	nfct_destroy(ct);
	return e;
}

static void test_apply_selection(void **state)
{
	struct fixture *fx = *state;
	struct ct_entry icmp = entry(IPPROTO_ICMP, 1, 1);
	struct ct_entry udp = entry(IPPROTO_UDP, 1000, 2);

	/* outside the selection: never added, from events or dumps */
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_NEW, &icmp), 0);
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DUMP, &icmp), 0);
	assert_int_equal(flowtab_count(fx->tab), 0);
	assert_int_equal(fx->st.events, 1);

	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_NEW, &udp), 1);
	assert_int_equal(flowtab_count(fx->tab), 1);

	/* the same selection, IPv6 only: the IPv4 flow is not shown */
	fx->ctx.sel = sel_complete(SEL_IPV6 | SEL_UDP);
	udp = entry(IPPROTO_UDP, 1001, 3);
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_NEW, &udp), 0);
	assert_int_equal(flowtab_count(fx->tab), 1);
}

static void test_apply_lifecycle(void **state)
{
	struct fixture *fx = *state;
	struct ct_entry e = entry(IPPROTO_TCP, 40000, 77);
	struct flow_key reply;
	struct flow_rec *f;

	e.state = 1;
	e.has_state = true;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_NEW, &e), 1);
	f = flowtab_lookup(fx->tab, &e.key);
	assert_non_null(f);
	assert_int_equal(f->ct_id, 77);
	assert_int_equal(f->state, 1);
	assert_true(f->since_ns == 1000 && !flow_rec_start(f));
	assert_true(f->counts_from_zero);
	flowtab_reply(fx->tab, f, &reply);
	assert_memory_equal(&reply, &e.reply, sizeof(e.reply));
	assert_int_equal(fx->st.new_flows, 1);

	/* UPDATE without protocol info or mark keeps both */
	assert_int_equal(flowtab_set_mark(fx->tab, f, 9), 0);
	e.has_state = false;
	e.state = FLOW_STATE_NONE;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_UPDATE, &e), 1);
	assert_int_equal(f->state, 1);
	assert_int_equal(flowtab_mark(fx->tab, f), 9);
	e.has_state = true;
	e.state = 3;
	e.has_mark = true;
	e.mark = 0;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_UPDATE, &e), 1);
	assert_int_equal(f->state, 3);
	assert_int_equal(flowtab_mark(fx->tab, f), 0);

	/* DESTROY of an older connection on this tuple: not ours */
	e.ct_id = 76;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DESTROY, &e), 0);
	assert_false(f->destroyed);

	/* DESTROY: marked, hook called once, kept until reaped */
	e.ct_id = 77;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DESTROY, &e), 1);
	assert_true(f->destroyed);
	assert_int_equal(fx->seen.destroyed, 1);
	assert_ptr_equal(fx->seen.last, f);
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DESTROY, &e), 0);
	assert_int_equal(fx->seen.destroyed, 1);
	assert_int_equal(fx->st.destroyed_flows, 1);
	assert_int_equal(flowtab_count(fx->tab), 1);

	/* a late UPDATE with the same id predates the DESTROY: ignored */
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_UPDATE, &e), 0);
	assert_true(f->destroyed);

	/* DESTROY for a flow never seen: nothing to do */
	e = entry(IPPROTO_TCP, 40001, 5);
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DESTROY, &e), 0);
	assert_int_equal(flowtab_count(fx->tab), 1);
	assert_int_equal(fx->st.events, 8);
}

static void test_apply_reuse(void **state)
{
	struct fixture *fx = *state;
	struct ct_entry e = entry(IPPROTO_UDP, 40000, 10);
	struct flow_rec *f, *old;

	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_NEW, &e), 1);
	f = old = flowtab_lookup(fx->tab, &e.key);
	f->total.packets[0] = 50;
	f->total.bytes[0] = 5000;
	f->counters_valid = true;
	flow_rec_set_start(f, 123);

	/* a new connection (different id) on the same tuple, NEW lost */
	e.ct_id = 11;
	fx->ctx.now_ns = 2000;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_UPDATE, &e), 1);
	assert_int_equal(fx->seen.reused, 1);
	/* a fresh entry: snapshots showing the old connection keep it */
	f = flowtab_lookup(fx->tab, &e.key);
	assert_ptr_not_equal(f, old);
	assert_int_equal(old->ct_id, 10);
	assert_true(flow_rec_start(old) == 123);
	assert_int_equal(flowtab_count(fx->tab), 1);
	assert_int_equal(f->ct_id, 11);
	assert_false(f->counters_valid);
	assert_false(f->counts_from_zero);	/* not known to start at zero */
	assert_true(f->total.packets[0] == 0 && f->total.bytes[0] == 0);
	assert_true(flow_rec_start(f) == 0);
	assert_true(f->since_ns == 2000);

	/* destroyed, then NEW under the same id (the kernel may reuse it) */
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DESTROY, &e), 1);
	f->total.packets[1] = 3;
	f->counters_valid = true;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_NEW, &e), 1);
	assert_int_equal(fx->seen.reused, 2);
	f = flowtab_lookup(fx->tab, &e.key);
	assert_false(f->destroyed);
	assert_false(f->counters_valid);
	assert_true(f->counts_from_zero);
	assert_true(f->total.packets[1] == 0);
	assert_int_equal(flowtab_count(fx->tab), 1);
	assert_int_equal(fx->st.new_flows, 3);
}

static void test_dump_and_ghosts(void **state)
{
	struct fixture *fx = *state;
	struct ct_entry a = entry(IPPROTO_UDP, 1, 1), b = entry(IPPROTO_UDP, 2, 2);
	struct ct_entry c = entry(IPPROTO_UDP, 3, 3);
	struct flow_rec *fa, *fb, *fc;

	/* generation 1 lists a, b and c */
	fx->ctx.gen = 1;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DUMP, &a), 1);
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DUMP, &b), 1);
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DUMP, &c), 1);
	assert_int_equal(ct_drop_ghosts(&fx->ctx), 0);
	assert_int_equal(fx->st.events, 0);	/* dump lines are not events */
	fa = flowtab_lookup(fx->tab, &a.key);
	fb = flowtab_lookup(fx->tab, &b.key);
	fc = flowtab_lookup(fx->tab, &c.key);
	assert_true(flowtab_seen(fx->tab, fa, 1));
	assert_false(fa->counts_from_zero);	/* its counters predate us */
	/* only a dump knows them: they may end without an event */
	assert_false(fa->events_seen);
	assert_false(fb->events_seen);
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_UPDATE, &b), 1);
	assert_true(fb->events_seen);
	assert_false(fa->events_seen);

	/* c got its DESTROY and waits for the reaper */
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DESTROY, &c), 1);
	assert_int_equal(fx->seen.destroyed, 1);

	/* generation 2 lists only a: b lost its DESTROY (a ghost) */
	fx->ctx.gen = 2;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DUMP, &a), 1);
	assert_int_equal(ct_drop_ghosts(&fx->ctx), 1);
	assert_true(fb->destroyed);
	assert_int_equal(fx->seen.destroyed, 2);	/* b, as its lost DESTROY */
	assert_true(fc->destroyed);	/* already destroyed: left as it was */
	assert_false(fa->destroyed);
	assert_int_equal(flowtab_reap_destroyed(fx->tab), 2);
	assert_int_equal(flowtab_count(fx->tab), 1);

	/* a dump listing a tuple marked destroyed: a new connection */
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DESTROY, &a), 1);
	fx->ctx.gen = 3;
	assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DUMP, &a), 1);
	fa = flowtab_lookup(fx->tab, &a.key);
	assert_false(fa->destroyed);
	assert_int_equal(fx->seen.reused, 1);
}

/* What a pause sees of the walk: how often, and the ghosts marked by then. */
struct pause_seen {
	struct fixture *fx;
	size_t calls;
	size_t marked_at[8];
	int stop_at;		/* return -EINTR at this call (1-based), 0: never */
};

static int count_pause(void *arg)
{
	struct pause_seen *p = arg;

	if (p->calls < 8)
		p->marked_at[p->calls] = p->fx->seen.destroyed;
	p->calls++;
	return p->stop_at && (int)p->calls == p->stop_at ? -EINTR : 0;
}

/* Flow i of a large table: base with ports and an id of its own, in *e. */
static const struct ct_entry *nth_entry(const struct ct_entry *base,
					uint32_t i, struct ct_entry *e)
{
	*e = *base;
	e->key.sport = htons((uint16_t)(1 + i % 60000));
	e->key.dport = htons((uint16_t)(1 + i / 60000));
	e->ct_id = i + 1;
	return e;
}

/*
 * A resync's ghost walk over 3 x CT_GHOST_PAUSE + 10 flows, every other
 * one a ghost: the pause comes every CT_GHOST_PAUSE flows walked, with the
 * ghosts before it marked and none after; every ghost is marked in the
 * end. A pause that fails ends the walk with its error, the ghosts after
 * it left as they were.
 */
static void test_ghosts_pausing(void **state)
{
	struct fixture *fx = *state;
	const uint32_t n = 3 * CT_GHOST_PAUSE + 10;
	struct ct_entry base = entry(IPPROTO_UDP, 1, 1), e;
	struct pause_seen p = { .fx = fx };
	size_t ghosts = 0;

	for (int round = 0; round < 2; round++) {
		fx->ctx.gen = (uint32_t)(2 * round + 1);
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DUMP,
						  nth_entry(&base, i, &e)), 1);
		assert_int_equal(flowtab_count(fx->tab), n);
		/* the next generation lists every other flow */
		fx->ctx.gen++;
		for (uint32_t i = 0; i < n; i += 2)
			assert_int_equal(ct_apply(&fx->ctx, CT_MSG_DUMP,
						  nth_entry(&base, i, &e)), 1);
		fx->seen.destroyed = 0;
		memset(&p, 0, sizeof(p));
		p.fx = fx;
		if (round == 0) {
			assert_int_equal(ct_drop_ghosts_pausing(&fx->ctx, count_pause,
								&p, &ghosts), 0);
			assert_int_equal(ghosts, n / 2);
			assert_int_equal(fx->seen.destroyed, n / 2);
			assert_int_equal(p.calls, 3);
			/* flows are walked in the order they came: half of
			 * each CT_GHOST_PAUSE - 1 before a pause are ghosts */
			for (size_t k = 0; k < 3; k++)
				assert_int_equal(p.marked_at[k],
						 ((k + 1) * CT_GHOST_PAUSE - 1) / 2);
		} else {
			p.stop_at = 2;
			assert_int_equal(ct_drop_ghosts_pausing(&fx->ctx, count_pause,
								&p, &ghosts),
					 -EINTR);
			assert_int_equal(p.calls, 2);
			assert_int_equal(fx->seen.destroyed,
					 (2 * CT_GHOST_PAUSE - 1) / 2);
		}
		flowtab_reap_destroyed(fx->tab);
		/* what is left of this round goes before the next */
		fx->ctx.gen += 10;
		ct_drop_ghosts(&fx->ctx);
		flowtab_reap_destroyed(fx->tab);
		assert_int_equal(flowtab_count(fx->tab), 0);
	}
}

static void test_ghosts_without_hooks(void **state)
{
	struct fixture *fx = *state;
	struct ct_entry a = entry(IPPROTO_TCP, 1, 1), b = entry(IPPROTO_TCP, 2, 2);
	struct ct_entry c = entry(IPPROTO_TCP, 3, 3);

	fx->ctx.hooks = NULL;
	fx->ctx.gen = 1;
	ct_apply(&fx->ctx, CT_MSG_DUMP, &a);
	ct_apply(&fx->ctx, CT_MSG_DUMP, &b);
	ct_apply(&fx->ctx, CT_MSG_DUMP, &c);
	ct_apply(&fx->ctx, CT_MSG_DESTROY, &c);
	fx->ctx.gen = 2;
	ct_apply(&fx->ctx, CT_MSG_DUMP, &a);
	/* nobody to call: b goes at once; c stays for whoever reaps */
	assert_int_equal(ct_drop_ghosts(&fx->ctx), 1);
	assert_null(flowtab_lookup(fx->tab, &b.key));
	assert_non_null(flowtab_lookup(fx->tab, &c.key));
	assert_int_equal(flowtab_count(fx->tab), 2);
	assert_int_equal(fx->st.destroyed_flows, 2);
}

static void test_destroy_counters(void **state)
{
	struct fixture *fx = *state;
	struct ct_entry e = entry(IPPROTO_UDP, 5, 5);
	struct flow_rec *f;

	ct_apply(&fx->ctx, CT_MSG_NEW, &e);
	f = flowtab_lookup(fx->tab, &e.key);
	e.has_counters = true;
	e.counters.packets[0] = 4;
	e.counters.bytes[0] = 400;

	/* BPF backend: the final counters come from the map, not from here */
	ct_apply(&fx->ctx, CT_MSG_DESTROY, &e);
	assert_false(f->counters_valid);
	assert_true(f->total.packets[0] == 0);

	/* conntrack backend: DESTROY carries the last word */
	ct_apply(&fx->ctx, CT_MSG_NEW, &e);
	f = flowtab_lookup(fx->tab, &e.key);
	fx->ctx.counters = true;
	ct_apply(&fx->ctx, CT_MSG_DESTROY, &e);
	assert_true(f->counters_valid);
	assert_true(f->total.packets[0] == 4 && f->total.bytes[0] == 400);
}


/* ---- the kernel's counters (kcount.h) and offloaded flows ---- */

static void put_port_tuple(struct nlmsghdr *nlh, uint16_t type, const char *src,
			   const char *dst, uint8_t proto, uint16_t sport,
			   uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, ip4(src));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, ip4(dst));
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

static void put_counters(struct nlmsghdr *nlh, uint64_t op, uint64_t ob,
			 uint64_t rp, uint64_t rb)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);

	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(op));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(ob));
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_COUNTERS_REPLY);
	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(rp));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(rb));
	mnl_attr_nest_end(nlh, n);
}

/*
 * A TCP connection 192.0.2.10:40000 -> 198.51.100.7:443 as the kernel
 * reports it: kind (dump line, event or DESTROY), status bits and, with
 * counters, CTA_COUNTERS_{ORIG,REPLY}.
 */
static struct nlmsghdr *tcp_msg(char *buf, enum ct_msg kind, uint32_t status,
				bool counters, uint64_t op, uint64_t ob,
				uint64_t rp, uint64_t rb)
{
	static const struct { uint8_t type; uint16_t flags; } k[] = {
		[CT_MSG_DUMP] = { IPCTNL_MSG_CT_NEW, NLM_F_MULTI },
		[CT_MSG_NEW] = { IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL },
		[CT_MSG_UPDATE] = { IPCTNL_MSG_CT_NEW, 0 },
		[CT_MSG_DESTROY] = { IPCTNL_MSG_CT_DELETE, 0 },
	};
	struct nlmsghdr *nlh = msg_header(buf, k[kind].type, k[kind].flags,
					  AF_INET);

	put_port_tuple(nlh, CTA_TUPLE_ORIG, "192.0.2.10", "198.51.100.7",
		       IPPROTO_TCP, 40000, 443);
	put_port_tuple(nlh, CTA_TUPLE_REPLY, "198.51.100.7", "203.0.113.1",
		       IPPROTO_TCP, 443, 61000);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(status));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(777));
	if (counters)
		put_counters(nlh, op, ob, rp, rb);
	return nlh;
}

static struct flow_rec *tcp_flow(struct fixture *fx)
{
	struct flow_key k = key4(IPPROTO_TCP, "192.0.2.10", "198.51.100.7",
				 40000, 443, 0);
	struct flow_rec *f = flowtab_lookup(fx->tab, &k);

	assert_non_null(f);
	return f;
}

static void apply_msg(struct fixture *fx, const struct nlmsghdr *nlh)
{
	struct ct_entry e;
	int kind = ct_msg_kind(nlh);

	assert_true(kind >= 0);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &e), 0);
	assert_true(ct_apply(&fx->ctx, kind, &e) >= 0);
}

static void set_ctr(struct flow_counters *c, uint64_t op, uint64_t ob,
		    uint64_t rp, uint64_t rb)
{
	c->packets[0] = op;
	c->bytes[0] = ob;
	c->packets[1] = rp;
	c->bytes[1] = rb;
}

static void assert_total(const struct flow_rec *f, uint64_t op, uint64_t ob,
			 uint64_t rp, uint64_t rb)
{
	assert_true(f->counters_valid);
	assert_int_equal(f->total.packets[0], op);
	assert_int_equal(f->total.bytes[0], ob);
	assert_int_equal(f->total.packets[1], rp);
	assert_int_equal(f->total.bytes[1], rb);
}

/* What the collector does with one BPF reading (collector.c). */
static bool bpf_reading(struct fixture *fx, struct flow_rec *f,
			uint64_t op, uint64_t ob, uint64_t rp, uint64_t rb,
			struct flow_rates *r)
{
	struct flow_counters b, now;

	set_ctr(&b, op, ob, rp, rb);
	if (!kcount_bpf(fx->tab, f, &b, &now))
		return false;
	if (!f->counters_valid)
		f->counts_from_zero = true;
	flow_counters_update(f, &now, 1.0, r);
	return true;
}

/* What the collector does after a read with what the hook heard. */
static int settle(struct fixture *fx, struct flow_rec *f, double interval_s,
		  struct flow_rates *r)
{
	return kcount_settle(fx->tab, f, fx->seen.kfinal, &fx->seen.k,
			     interval_s, r);
}

static void test_status_parsed(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ct_entry e;

	(void)state;
	nlh = tcp_msg(buf, CT_MSG_UPDATE, IPS_CONFIRMED | IPS_SEEN_REPLY |
		      IPS_ASSURED | IPS_OFFLOAD, false, 0, 0, 0, 0);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &e), 0);
	assert_true(e.has_status);
	assert_true(e.status & IPS_OFFLOAD);
	assert_false(e.status & IPS_HW_OFFLOAD);
	assert_false(e.has_counters);

	nlh = tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED | IPS_HW_OFFLOAD, true,
		      1, 2, 3, 4);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &e), 0);
	assert_int_equal(e.status, IPS_CONFIRMED | IPS_HW_OFFLOAD);
	assert_true(e.has_counters);

	/* a status of the wrong size makes the message malformed */
	nlh = tcp_msg(buf, CT_MSG_UPDATE, 0, false, 0, 0, 0, 0);
	mnl_attr_put_u16(nlh, CTA_STATUS, 1);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &e), -EINVAL);
}

/*
 * A dump line's CTA_TIMEOUT reaches the silent_timeout hook while no event
 * named the flow; once one did, its end comes as an event and the hook
 * stays quiet.
 */
static void test_silent_timeout(void **state)
{
	struct fixture *fx = *state;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ct_entry e;

	nlh = tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED, false, 0, 0, 0, 0);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(431999));
	assert_int_equal(ct_entry_from_nlmsg(nlh, &e), 0);
	assert_true(e.has_timeout);
	assert_int_equal(e.timeout_s, 431999);
	assert_true(ct_apply(&fx->ctx, CT_MSG_DUMP, &e) > 0);
	assert_int_equal(fx->seen.silent, 1);
	assert_int_equal(fx->seen.timeout_s, 431999);
	assert_ptr_equal(fx->seen.last, tcp_flow(fx));

	/* no timeout in the line: nothing to go by */
	apply_msg(fx, tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED, false, 0, 0, 0, 0));
	assert_int_equal(fx->seen.silent, 1);

	apply_msg(fx, tcp_msg(buf, CT_MSG_UPDATE, IPS_CONFIRMED, false, 0, 0, 0, 0));
	assert_true(ct_apply(&fx->ctx, CT_MSG_DUMP, &e) > 0);
	assert_int_equal(fx->seen.silent, 1);

	/* of the wrong size: a malformed message */
	nlh = tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED, false, 0, 0, 0, 0);
	mnl_attr_put_u16(nlh, CTA_TIMEOUT, 5);
	assert_int_equal(ct_entry_from_nlmsg(nlh, &e), -EINVAL);
}

/*
 * A flow older than the BPF program: the dump's counters become its base,
 * taken against the BPF count at the next read, so nothing counts twice.
 */
static void test_dump_base(void **state)
{
	struct fixture *fx = *state;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct flow_rates r;
	struct flow_rec *f;

	/* kernel: 100 packets / 150000 bytes out, 60 / 4000 back */
	apply_msg(fx, tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED, true,
			      100, 150000, 60, 4000));
	f = tcp_flow(fx);
	assert_int_equal(fx->seen.kernel, 1);
	assert_false(f->whole_life);
	/* BPF saw 3 of those packets (attached before the dump) */
	assert_true(bpf_reading(fx, f, 3, 4500, 2, 200, &r));
	assert_true(r.pkt_rate[0] == 3 && r.byte_rate[0] == 4500);
	/* after the read: base K - B, total K - B + B = K, not K + B; the
	 * jump to the base is no traffic */
	assert_int_equal(settle(fx, f, 1.0, &r), 0);
	assert_true(r.pkt_rate[0] == 0 && r.byte_rate[0] == 0);
	assert_total(f, 100, 150000, 60, 4000);
	assert_true(f->whole_life);
	/* later packets add on top */
	assert_true(bpf_reading(fx, f, 5, 7500, 3, 300, &r));
	assert_total(f, 102, 153000, 61, 4100);
	assert_true(r.pkt_rate[0] == 2 && r.byte_rate[1] == 100);
	/* a later dump does not move the base */
	apply_msg(fx, tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED, true,
			      500, 1, 500, 1));
	assert_int_equal(fx->seen.kernel, 1);
	assert_true(bpf_reading(fx, f, 6, 9000, 3, 300, &r));
	assert_total(f, 103, 154500, 61, 4100);
}

/* An idle old flow (no BPF reading): settled after the read, total = K. */
static void test_dump_base_idle(void **state)
{
	struct fixture *fx = *state;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct flow_rates r;
	struct flow_rec *f;

	apply_msg(fx, tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED, true,
			      54, 2002816, 36, 1880));
	f = tcp_flow(fx);
	assert_false(settle(fx, f, 1.0, &r));
	assert_total(f, 54, 2002816, 36, 1880);
	assert_true(f->whole_life);
	/* settling twice changes nothing */
	assert_false(settle(fx, f, 1.0, &r));
	assert_total(f, 54, 2002816, 36, 1880);

	/* without kernel counters (acct off) there is no base */
	flowtab_remove(fx->tab, f);
	apply_msg(fx, tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED, false,
			      0, 0, 0, 0));
	f = tcp_flow(fx);
	assert_int_equal(fx->seen.kernel, 1);
	assert_false(f->whole_life);
	assert_true(bpf_reading(fx, f, 2, 100, 1, 50, &r));
	assert_total(f, 2, 100, 1, 50);
	assert_false(f->whole_life);
}

/* the connection's start (CTA_TIMESTAMP_START), as timestamps on give it */
static void put_start(struct nlmsghdr *nlh, uint64_t start_ns)
{
	struct nlattr *ts = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);

	mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, htobe64(start_ns));
	mnl_attr_nest_end(nlh, ts);
}

/*
 * The test connection as a dump line, started at start_ns, with the
 * kernel's counters when counters is set; applied (any earlier record of
 * it removed first), its record returned.
 */
static struct flow_rec *dump_line_at(struct fixture *fx, uint64_t start_ns,
				     bool counters, uint64_t op, uint64_t ob,
				     uint64_t rp, uint64_t rb)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct flow_key k = key4(IPPROTO_TCP, "192.0.2.10", "198.51.100.7",
				 40000, 443, 0);
	struct flow_rec *old = flowtab_lookup(fx->tab, &k);
	struct nlmsghdr *nlh;

	if (old)
		flowtab_remove(fx->tab, old);
	nlh = tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED, counters, op, ob, rp, rb);
	put_start(nlh, start_ns);
	apply_msg(fx, nlh);
	return tcp_flow(fx);
}

/* A BPF reading and the read's settling after it: f's total then. */
static void read_and_settle(struct fixture *fx, struct flow_rec *f,
			    uint64_t op, uint64_t ob, uint64_t rp, uint64_t rb)
{
	struct flow_rates r;

	assert_true(bpf_reading(fx, f, op, ob, rp, rb, &r));
	assert_int_equal(settle(fx, f, 1.0, &r), 0);
	assert_true(f->whole_life);
}

/*
 * A flow that began after the counting did, first heard of in a (resync)
 * dump: its NEW event was lost, and BPF may have missed packets of it
 * (its slot let go as an orphan's, or none free). The dump's counters
 * decide: a base of what BPF missed. When BPF missed nothing the total
 * stays BPF's and no base is kept; without the kernel's counters (acct
 * off) the flow is counted from its start as before.
 */
static void test_dump_young_flow(void **state)
{
	struct fixture *fx = *state;
	uint64_t young = 7000000000ull, old = 1000000000ull;
	struct flow_rates r;
	struct flow_rec *f;

	fx->ctx.counting_since_ns = 5000000000ull;
	/* kernel: 90 / 9000 out, 30 / 3000 back; BPF's slot since 10 / 1000,
	 * 4 / 400 (the packets before went with a slot let go) */
	f = dump_line_at(fx, young, true, 90, 9000, 30, 3000);
	assert_int_equal(fx->seen.kernel, 1);
	assert_false(f->whole_life);
	read_and_settle(fx, f, 10, 1000, 4, 400);
	assert_total(f, 90, 9000, 30, 3000);
	assert_non_null(flowtab_kern(fx->tab, f));
	assert_true(bpf_reading(fx, f, 12, 1200, 4, 400, &r));
	assert_total(f, 92, 9200, 30, 3000);

	/* BPF counted all of it (and a packet more since the dump line):
	 * its count stands, no base kept */
	f = dump_line_at(fx, young, true, 20, 2000, 8, 800);
	assert_int_equal(fx->seen.kernel, 2);
	assert_false(f->whole_life);
	read_and_settle(fx, f, 21, 2100, 8, 800);
	assert_total(f, 21, 2100, 8, 800);
	assert_null(flowtab_kern(fx->tab, f));

	/* acct off: no counters in the line, counted from its start */
	f = dump_line_at(fx, young, false, 0, 0, 0, 0);
	assert_int_equal(fx->seen.kernel, 2);
	assert_true(f->whole_life);

	/* a flow older than the counting: the base as before */
	f = dump_line_at(fx, old, true, 50, 5000, 5, 500);
	assert_int_equal(fx->seen.kernel, 3);
	assert_false(f->whole_life);
}

/*
 * DESTROY's counters are the last record, whatever BPF reads afterwards
 * for the tuple: here a new connection on it, whose first packets came
 * before the DESTROY was applied (the race of issue 11).
 */
static void test_destroy_final(void **state)
{
	struct fixture *fx = *state;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct flow_rates r;
	struct flow_rec *f;

	apply_msg(fx, tcp_msg(buf, CT_MSG_NEW, IPS_CONFIRMED, false, 0, 0, 0, 0));
	f = tcp_flow(fx);
	assert_true(f->whole_life);
	assert_true(bpf_reading(fx, f, 10, 1000, 8, 800, &r));

	apply_msg(fx, tcp_msg(buf, CT_MSG_DESTROY, IPS_CONFIRMED, true,
			      12, 1200, 9, 900));
	assert_true(f->destroyed);
	assert_int_equal(fx->seen.destroyed, 1);
	assert_int_equal(fx->seen.kernel, 1);
	assert_true(kcount_is_kernel(fx->tab, f));
	/* the next read: BPF's entry now counts the new connection (higher
	 * than the old one's) - ignored for the destroyed flow */
	assert_false(bpf_reading(fx, f, 50, 50000, 40, 40000, &r));
	assert_total(f, 10, 1000, 8, 800);
	/* then the final counters, with the last interval's rate */
	assert_true(settle(fx, f, 1.0, &r));
	assert_total(f, 12, 1200, 9, 900);
	assert_true(r.pkt_rate[0] == 2 && r.byte_rate[1] == 100);
	assert_false(bpf_reading(fx, f, 60, 60000, 50, 50000, &r));
	assert_total(f, 12, 1200, 9, 900);

	/* a final total below BPF's (packets the kernel ignores) gives no
	 * negative or wrapped rate */
	flowtab_remove(fx->tab, f);
	apply_msg(fx, tcp_msg(buf, CT_MSG_NEW, IPS_CONFIRMED, false, 0, 0, 0, 0));
	f = tcp_flow(fx);
	assert_true(bpf_reading(fx, f, 10, 1000, 8, 800, &r));
	apply_msg(fx, tcp_msg(buf, CT_MSG_DESTROY, IPS_CONFIRMED, true,
			      9, 900, 8, 800));
	assert_false(settle(fx, f, 1.0, &r));
	assert_total(f, 9, 900, 8, 800);
	assert_true(r.pkt_rate[0] == 0 && r.byte_rate[0] == 0);

	/* DESTROY without counters (acct off): BPF's count stays final */
	flowtab_remove(fx->tab, f);
	apply_msg(fx, tcp_msg(buf, CT_MSG_NEW, IPS_CONFIRMED, false, 0, 0, 0, 0));
	f = tcp_flow(fx);
	assert_true(bpf_reading(fx, f, 10, 1000, 8, 800, &r));
	fx->seen.kernel = 0;
	apply_msg(fx, tcp_msg(buf, CT_MSG_DESTROY, IPS_CONFIRMED, false,
			      0, 0, 0, 0));
	assert_int_equal(fx->seen.kernel, 0);
	assert_false(kcount_is_kernel(fx->tab, f));
	assert_total(f, 10, 1000, 8, 800);
}

/*
 * Offloaded flows: the status bits mark them (hook once), their counters
 * are the kernel's from the first kernel reading on, BPF's are ignored.
 */
static void test_offloaded(void **state)
{
	struct fixture *fx = *state;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct flow_counters k;
	struct flow_rates r;
	struct flow_rec *f;

	apply_msg(fx, tcp_msg(buf, CT_MSG_NEW, IPS_CONFIRMED, false, 0, 0, 0, 0));
	f = tcp_flow(fx);
	assert_false(f->offloaded);
	/* BPF saw the handshake */
	assert_true(bpf_reading(fx, f, 2, 120, 1, 60, &r));
	/* the flowtable took it: software offload */
	apply_msg(fx, tcp_msg(buf, CT_MSG_UPDATE, IPS_CONFIRMED | IPS_OFFLOAD,
			      false, 0, 0, 0, 0));
	assert_true(f->offloaded);
	assert_int_equal(fx->seen.offloaded, 1);
	/* said once, not at every message */
	apply_msg(fx, tcp_msg(buf, CT_MSG_UPDATE, IPS_CONFIRMED | IPS_OFFLOAD,
			      false, 0, 0, 0, 0));
	assert_int_equal(fx->seen.offloaded, 1);

	/* the kernel's counters: the total, no rate for the first jump */
	set_ctr(&k, 1000, 1500000, 500, 26000);
	assert_int_equal(kcount_kernel(fx->tab, f, &k, 1.0, &r), 0);
	assert_total(f, 1000, 1500000, 500, 26000);
	assert_true(f->whole_life);
	assert_true(kcount_is_kernel(fx->tab, f));
	/* BPF's frozen (or slow path) counts are ignored from now on */
	assert_false(bpf_reading(fx, f, 3, 180, 1, 60, &r));
	assert_total(f, 1000, 1500000, 500, 26000);
	set_ctr(&k, 1100, 1650000, 550, 28600);
	assert_int_equal(kcount_kernel(fx->tab, f, &k, 2.0, &r), 1);
	assert_total(f, 1100, 1650000, 550, 28600);
	assert_true(r.pkt_rate[0] == 50 && r.byte_rate[0] == 75000);

	/* hardware offload is offloaded too; the end of the offload clears
	 * the mark but the kernel stays the source of its totals */
	apply_msg(fx, tcp_msg(buf, CT_MSG_UPDATE, IPS_CONFIRMED, false,
			      0, 0, 0, 0));
	assert_false(f->offloaded);
	assert_true(kcount_is_kernel(fx->tab, f));
	apply_msg(fx, tcp_msg(buf, CT_MSG_UPDATE,
			      IPS_CONFIRMED | IPS_HW_OFFLOAD, false, 0, 0, 0, 0));
	assert_true(f->offloaded);
	assert_int_equal(fx->seen.offloaded, 2);

	/* its DESTROY's counters are the last word */
	apply_msg(fx, tcp_msg(buf, CT_MSG_DESTROY, IPS_CONFIRMED | IPS_HW_OFFLOAD,
			      true, 1200, 1800000, 600, 31200));
	set_ctr(&k, 1150, 1, 1, 1);
	assert_int_equal(kcount_kernel(fx->tab, f, &k, 1.0, &r), 0);
	assert_true(settle(fx, f, 1.0, &r));
	assert_total(f, 1200, 1800000, 600, 31200);

	/* an offloaded flow found by a dump: flagged, base from the dump */
	flowtab_remove(fx->tab, f);
	fx->seen.offloaded = 0;
	apply_msg(fx, tcp_msg(buf, CT_MSG_DUMP, IPS_CONFIRMED | IPS_OFFLOAD,
			      true, 7, 700, 5, 500));
	f = tcp_flow(fx);
	assert_true(f->offloaded);
	assert_int_equal(fx->seen.offloaded, 1);
	assert_false(settle(fx, f, 1.0, &r));
	assert_total(f, 7, 700, 5, 500);
}

/* The GET request for one flow: the original tuple and zone, no more. */
static void test_build_get(void **state)
{
	char buf[512];
	struct flow_key k = key4(IPPROTO_UDP, "192.0.2.10", "198.51.100.7",
				 5353, 53, 7);
	struct nf_conntrack *ct = nfct_new();
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct nfgenmsg *nfg;
	int len;

	(void)state;
	assert_int_equal(ct_build_get(buf, 100, &k, 1), -ENOSPC);
	len = ct_build_get(buf, sizeof(buf), &k, 42);
	assert_true(len > 0 && (size_t)len == nlh->nlmsg_len);
	assert_int_equal(nlh->nlmsg_type,
			 (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(nlh->nlmsg_seq, 42);
	nfg = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nfg->nfgen_family, AF_INET);
	assert_int_equal(nfct_nlmsg_parse(nlh, ct), 0);
	assert_int_equal(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC), ip4("192.0.2.10"));
	assert_int_equal(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST), ip4("198.51.100.7"));
	assert_int_equal(nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO), IPPROTO_UDP);
	assert_int_equal(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC), htons(5353));
	assert_int_equal(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST), htons(53));
	assert_int_equal(nfct_get_attr_u16(ct, ATTR_ZONE), 7);
	assert_false(nfct_attr_is_set(ct, ATTR_REPL_IPV4_SRC));
	nfct_destroy(ct);

	/* ICMPv6 echo: id, type and code from the key's layout */
	{
		struct nf_conntrack *c6 = nfct_new();
		struct flow_key k6;

		memset(&k6, 0, sizeof(k6));
		k6.family = AF_INET6;
		k6.proto = IPPROTO_ICMPV6;
		ip6("2001:db8::1", k6.src);
		ip6("2001:db8::2", k6.dst);
		set_icmp_key(&k6, 0x1234, 128, 0);
		len = ct_build_get(buf, sizeof(buf), &k6, 43);
		assert_true(len > 0);
		assert_int_equal(nfct_nlmsg_parse(nlh, c6), 0);
		assert_memory_equal(nfct_get_attr(c6, ATTR_ORIG_IPV6_DST), k6.dst, 16);
		assert_int_equal(nfct_get_attr_u8(c6, ATTR_ICMP_TYPE), 128);
		assert_int_equal(nfct_get_attr_u16(c6, ATTR_ICMP_ID), htons(0x1234));
		assert_false(nfct_attr_is_set(c6, ATTR_ZONE));
		nfct_destroy(c6);
	}
	/* a family flowtop does not show */
	k.family = AF_PACKET;
	assert_int_equal(ct_build_get(buf, sizeof(buf), &k, 44), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_v4),
		cmocka_unit_test(test_udp_v6),
		cmocka_unit_test(test_udplite_v4),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_icmpv6),
		cmocka_unit_test(test_sctp_and_dccp_state),
		cmocka_unit_test(test_nat_reply),
		cmocka_unit_test(test_zone),
		cmocka_unit_test(test_missing_and_odd),
		cmocka_unit_test(test_nlmsg_roundtrip),
		cmocka_unit_test(test_nlmsg_icmp_nat),
		cmocka_unit_test(test_msg_kind),
		cmocka_unit_test_setup_teardown(test_apply_selection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_and_ghosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ghosts_without_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ghosts_pausing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_counters, setup, teardown),
		cmocka_unit_test(test_status_parsed),
		cmocka_unit_test_setup_teardown(test_dump_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_base_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_young_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offloaded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_timeout, setup, teardown),
		cmocka_unit_test(test_build_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
