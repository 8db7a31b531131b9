// SPDX-License-Identifier: GPL-2.0
/*
 * Shared vocabulary (names.h): names of protocols, states and backends,
 * addresses and endpoints as text. The bottom of the module graph: the
 * collector, filters, sort, formats and view all use it, it uses none.
 */
#include "names.h"

#include "flowtab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"	/* IPPROTO_UDPLITE where libc lacks it */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:	return "tcp";
	case IPPROTO_UDP:	return "udp";
	case IPPROTO_UDPLITE:	return "udplite";
	case IPPROTO_ICMP:	return "icmp";
	case IPPROTO_ICMPV6:	return "icmpv6";
	case IPPROTO_SCTP:	return "sctp";
	case IPPROTO_DCCP:	return "dccp";
	case IPPROTO_GRE:	return "gre";
	}
	if (!buf || !len)
		return NULL;
	snprintf(buf, len, "%u", proto);
	return buf;
}

/*
 * Indexed by the kernel's enum values (checked against vmlinux.h of 6.18
 * and the uapi headers). TCP value 9 was LISTEN, unused since 2.6.x; the
 * kernel reuses it as SYN_SENT2 (simultaneous open). Values past the
 * tables (IGNORE, RETRANS, ... for TCP) are internal, never a ct state.
 */
static const char *const tcp_states[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

static const char *const sctp_states[] = {
	"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
	"SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT",
	"HEARTBEAT_SENT", "HEARTBEAT_ACKED",
};

/* enum ct_dccp_states (DCCP conntrack was removed from Linux in 6.16) */
static const char *const dccp_states[] = {
	"NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ",
	"CLOSING", "TIMEWAIT", "IGNORE", "INVALID",
};

const char *flow_state_name(uint8_t proto, uint8_t state)
{
	const char *const *tab;
	size_t n;

	switch (proto) {
	case IPPROTO_TCP:
		tab = tcp_states;
		n = ARRAY_SIZE(tcp_states);
		break;
	case IPPROTO_SCTP:
		tab = sctp_states;
		n = ARRAY_SIZE(sctp_states);
		break;
	case IPPROTO_DCCP:
		tab = dccp_states;
		n = ARRAY_SIZE(dccp_states);
		break;
	default:
		return NULL;
	}
	if (state == FLOW_STATE_NONE || state >= n)
		return NULL;
	return tab[state];
}

bool proto_has_ports(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	}
	return false;
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* ------------------------------------------------------ backends */

static const char *const kind_names[] = {
	[ACCT_AUTO] = "auto",
	[ACCT_NETFILTER] = "netfilter",
	[ACCT_FENTRY] = "fentry",
	[ACCT_KPROBE] = "kprobe",
	[ACCT_CONNTRACK] = "conntrack",
};

const char *acct_kind_name(enum acct_kind kind)
{
	if ((unsigned int)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

int acct_kind_parse(const char *name, enum acct_kind *kind)
{
	unsigned int i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (!strcmp(name, kind_names[i])) {
			*kind = (enum acct_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const layout_names[] = {
	[ACCT_LAYOUT_SLOTS] = "slots",
	[ACCT_LAYOUT_LRU] = "lru",
};

const char *acct_layout_name(enum acct_layout layout)
{
	if ((unsigned int)layout >= sizeof(layout_names) / sizeof(layout_names[0]))
		return "unknown";
	return layout_names[layout];
}

int acct_layout_parse(const char *name, enum acct_layout *layout)
{
	unsigned int i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < sizeof(layout_names) / sizeof(layout_names[0]); i++) {
		if (!strcmp(name, layout_names[i])) {
			*layout = (enum acct_layout)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ------------------------------------------------------ addresses */

/*
 * inet_ntop(AF_INET) and (AF_INET6) produce the text below; theirs goes
 * through sprintf and costs several times more, which shows at a quarter
 * of a million flows per snapshot. The unit test compares the two.
 */
static char *put_ipv4(char *p, const uint32_t *addr)
{
	const uint8_t *b = (const uint8_t *)addr;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	return p;
}

static char *put_hex16(char *p, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	int shift = 12;

	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = hex[(v >> shift) & 15];
	return p;
}

/*
 * RFC 5952 text as glibc writes it: the longest run of two or more zero
 * groups (the first of equal runs) becomes "::"; ::a.b.c.d and
 * ::ffff:a.b.c.d keep their IPv4 tail.
 */
static char *put_ipv6(char *p, const uint32_t *addr)
{
	const uint8_t *b = (const uint8_t *)addr;
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
		if (w[i]) {
			cur = -1;
			continue;
		}
		if (cur < 0) {
			cur = i;
			cur_len = 0;
		}
		if (++cur_len > best_len) {
			best = cur;
			best_len = cur_len;
		}
	}
	if (best_len < 2)
		best = -1;

	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return put_ipv4(p, &addr[3]);
		p = put_hex16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

const char *format_addr(uint8_t family, const uint32_t addr[4], char *buf,
			size_t len)
{
	if (family == AF_INET && len >= INET_ADDRSTRLEN) {
		*put_ipv4(buf, addr) = '\0';
		return buf;
	}
	if (family == AF_INET6 && len >= INET6_ADDRSTRLEN) {
		*put_ipv6(buf, addr) = '\0';
		return buf;
	}
	/* unknown family, short buffer: inet_ntop says which (errno) */
	return inet_ntop(family, addr, buf, (socklen_t)len);
}

unsigned int flow_nat(const struct flow *f)
{
	const struct flow_key *o = &f->key, *r = &f->reply;
	bool ports = !is_icmp(o->proto);
	unsigned int nat = 0;

	if (!r->family)
		return 0;
	if (memcmp(r->dst, o->src, sizeof(o->src)) ||
	    (ports && r->dport != o->sport))
		nat |= FLOW_NAT_SRC;
	if (memcmp(r->src, o->dst, sizeof(o->dst)) ||
	    (ports && r->sport != o->dport))
		nat |= FLOW_NAT_DST;
	return nat;
}

const char *format_endpoint(const struct flow_key *k, bool dst, char *buf,
			    size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const char *s = format_addr(k->family, dst ? k->dst : k->src, a,
				    sizeof(a));

	if (!s)
		s = "?";
	if (is_icmp(k->proto))
		snprintf(buf, len, "%s", s);
	else if (k->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", s, ntohs(dst ? k->dport : k->sport));
	else
		snprintf(buf, len, "%s:%u", s, ntohs(dst ? k->dport : k->sport));
	return buf;
}

const char *flow_nat_endpoint(const struct flow *f, unsigned int side,
			      char *buf, size_t len)
{
	if (!(flow_nat(f) & side) || (side != FLOW_NAT_SRC &&
				      side != FLOW_NAT_DST))
		return NULL;
	/* the reply goes back to the new source and comes from the new
	 * destination */
	return format_endpoint(&f->reply, side == FLOW_NAT_SRC, buf, len);
}
