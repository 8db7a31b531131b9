// SPDX-License-Identifier: GPL-2.0
/*
 * Filter expressions, the evaluation: a compiled tree over a flow, with a
 * third answer, "the enrichment decides", so that callers look up names
 * and processes only for the flows the other terms leave open.
 */
#include <fnmatch.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "filter_expr_internal.h"
#include "filter_text.h"
#include "format.h"

#define UNKNOWN (-1)

static inline bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

static inline __attribute__((always_inline)) bool
in_net(const struct node *nd, uint8_t family, const uint32_t *a)
{
	if (family != nd->v.net.family)
		return false;
	if (family == AF_INET)
		return (a[0] & nd->v.net.mask[0]) == nd->v.net.addr[0];
	for (int w = 0; w < 4; w++)
		if ((a[w] & nd->v.net.mask[w]) != nd->v.net.addr[w])
			return false;
	return true;
}

/*
 * The original tuple and the reply tuple turned around: under NAT the
 * reply's destination is the source after SNAT, its source the
 * destination after DNAT. Without NAT they are the same addresses again.
 */
static inline __attribute__((always_inline)) bool
net_match(const struct node *nd, const struct flow *f)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	bool src = nd->side != SIDE_DST, dst = nd->side != SIDE_SRC;

	if ((src && in_net(nd, k->family, k->src)) ||
	    (dst && in_net(nd, k->family, k->dst)))
		return true;
	return (src && in_net(nd, r->family, r->dst)) ||
	       (dst && in_net(nd, r->family, r->src));
}

static inline __attribute__((always_inline)) bool
in_range(const struct node *nd, double x)
{
	return (nd->flag ? x > nd->v.num.lo : x >= nd->v.num.lo) &&
	       (nd->flag2 ? x < nd->v.num.hi : x <= nd->v.num.hi);
}

static inline __attribute__((always_inline)) bool
port_match(const struct node *nd, const struct flow *f)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	bool s = nd->field != F_DPORT, d = nd->field != F_SPORT;

	if (!has_ports(k->proto))
		return false;
	if ((s && in_range(nd, ntohs(k->sport))) ||
	    (d && in_range(nd, ntohs(k->dport))))
		return true;
	if (!r->family)
		return false;	/* a flow made without its reply tuple */
	return (s && in_range(nd, ntohs(r->dport))) ||
	       (d && in_range(nd, ntohs(r->sport)));
}

static inline __attribute__((always_inline)) int
num_match(const struct node *nd, const struct flow *f,
	  const struct flow_info *info, bool pending, double now)
{
	const struct flow_counters *c = &f->total;

	switch (nd->field) {
	case F_PORT:
	case F_SPORT:
	case F_DPORT:
		return port_match(nd, f);
	case F_BYTES:
		return in_range(nd, (double)c->bytes[0] + (double)c->bytes[1]);
	case F_OBYTES:
		return in_range(nd, (double)c->bytes[FLOW_DIR_ORIG]);
	case F_RBYTES:
		return in_range(nd, (double)c->bytes[FLOW_DIR_REPLY]);
	case F_PKTS:
		return in_range(nd, (double)c->packets[0] + (double)c->packets[1]);
	case F_OPKTS:
		return in_range(nd, (double)c->packets[FLOW_DIR_ORIG]);
	case F_RPKTS:
		return in_range(nd, (double)c->packets[FLOW_DIR_REPLY]);
	case F_RATE:
		return in_range(nd, (double)f->byte_rate[0] + f->byte_rate[1]);
	case F_ORATE:
		return in_range(nd, f->byte_rate[FLOW_DIR_ORIG]);
	case F_RRATE:
		return in_range(nd, f->byte_rate[FLOW_DIR_REPLY]);
	case F_PPS:
		return in_range(nd, (double)f->pkt_rate[0] + f->pkt_rate[1]);
	case F_OPPS:
		return in_range(nd, f->pkt_rate[FLOW_DIR_ORIG]);
	case F_RPPS:
		return in_range(nd, f->pkt_rate[FLOW_DIR_REPLY]);
	case F_AGE:
		return in_range(nd, flow_age(f, now));
	case F_ZONE:
		return in_range(nd, f->key.zone);
	case F_MARK:
		return in_range(nd, f->mark);
	case F_ID:
		return in_range(nd, f->ct_id);
	case F_PID:
		if (pending)
			return UNKNOWN;
		return info && info->proc.pid > 0 && in_range(nd, info->proc.pid);
	case F_ASN:
		if (pending)
			return UNKNOWN;
		if (!info)
			return 0;
		return (nd->side != SIDE_DST && info->src.geo.asn &&
			in_range(nd, info->src.geo.asn)) ||
		       (nd->side != SIDE_SRC && info->dst.geo.asn &&
			in_range(nd, info->dst.geo.asn));
	default:
		return 0;
	}
}

static bool str_is(const struct node *nd, const char *s)
{
	if (!s || !*s)
		return false;
	if (nd->flag)
		return fnmatch(nd->v.pat, s, FNM_CASEFOLD) == 0;
	return !strcasecmp(nd->v.pat, s);
}

/* a host name: the name itself, or a name under it ("example.com") */
static bool host_is(const struct node *nd, const char *host)
{
	size_t hl, pl;

	if (!*host)
		return false;
	if (nd->flag || str_is(nd, host))
		return str_is(nd, host);
	hl = strlen(host);
	pl = strlen(nd->v.pat);
	if (nd->v.pat[0] == '.')
		return hl > pl && !strcasecmp(host + hl - pl, nd->v.pat);
	return hl > pl && host[hl - pl - 1] == '.' &&
	       !strcasecmp(host + hl - pl, nd->v.pat);
}

static bool country_is(const struct node *nd, const struct geo_info *g)
{
	return str_is(nd, g->country_code) || str_is(nd, g->country);
}

static __attribute__((noinline)) int
str_match(const struct node *nd, const struct flow_info *info,
		     bool pending)
{
	bool s = nd->side != SIDE_DST, d = nd->side != SIDE_SRC;

	if (pending)
		return UNKNOWN;
	if (!info)
		return 0;
	switch (nd->field) {
	case F_PROCESS:
		return info->proc.pid > 0 && str_is(nd, info->proc.comm);
	case F_USER:
		return info->proc.pid > 0 && str_is(nd, info->proc.user);
	case F_COUNTRY:
		return (s && country_is(nd, &info->src.geo)) ||
		       (d && country_is(nd, &info->dst.geo));
	case F_NAME:
		return (s && host_is(nd, info->src.host)) ||
		       (d && host_is(nd, info->dst.host));
	default:
		return 0;
	}
}

static int eval(const struct filter_expr *e, const struct node *nd,
		const struct flow *f, const struct flow_info *info,
		bool pending, double now);

/* a bare word; out of line, as str_match: what leaf inlines stays small */
static __attribute__((noinline)) int
text_match(const struct node *nd, const struct flow *f,
	   const struct flow_info *info, bool pending)
{
	/* the flow's own fields may settle it before any lookup */
	if (pending)
		return text_filter_match(nd->v.tf, f, NULL) ? 1 : UNKNOWN;
	return text_filter_match(nd->v.tf, f, info);
}

/*
 * A term (a leaf of the tree). Inlined where the tree is walked, as are
 * the tests it makes: at a million flows a call per term and per test
 * cost more than the tests.
 */
static inline __attribute__((always_inline)) int
leaf(const struct node *nd, const struct flow *f,
     const struct flow_info *info, bool pending, double now)
{
	uint8_t pr;

	switch (nd->type) {
	case N_NET:
		return net_match(nd, f);
	case N_NUM:
		return num_match(nd, f, info, pending, now);
	case N_PROTO:
		pr = f->key.proto;
		return (nd->v.protos[pr / 32] >> (pr % 32)) & 1;
	case N_STATE:
		if (f->state >= 32)
			return 0;
		switch (f->key.proto) {
		case IPPROTO_TCP:
			return (nd->v.states[0] >> f->state) & 1;
		case IPPROTO_SCTP:
			return (nd->v.states[1] >> f->state) & 1;
		case IPPROTO_DCCP:
			return (nd->v.states[2] >> f->state) & 1;
		default:
			return 0;
		}
	case N_FAMILY:
		return f->key.family == nd->v.family;
	case N_STR:
		return str_match(nd, info, pending);
	case N_TEXT:
		return text_match(nd, f, info, pending);
	default:
		return 0;
	}
}

/* node i: a term inline, and, or, not through eval */
static inline __attribute__((always_inline)) int
node_eval(const struct filter_expr *e, uint16_t i, const struct flow *f,
	  const struct flow_info *info, bool pending, double now)
{
	const struct node *nd = &e->nodes[i];

	if (nd->type == N_AND || nd->type == N_OR || nd->type == N_NOT)
		return eval(e, nd, f, info, pending, now);
	return leaf(nd, f, info, pending, now);
}

/* and, or, not */
static int eval(const struct filter_expr *e, const struct node *nd,
		const struct flow *f, const struct flow_info *info,
		bool pending, double now)
{
	int a, b;

	switch (nd->type) {
	case N_AND:
		a = node_eval(e, nd->a, f, info, pending, now);
		if (!a)
			return 0;
		b = node_eval(e, nd->b, f, info, pending, now);
		if (!b)
			return 0;
		return a == UNKNOWN || b == UNKNOWN ? UNKNOWN : 1;
	case N_OR:
		a = node_eval(e, nd->a, f, info, pending, now);
		if (a == 1)
			return 1;
		b = node_eval(e, nd->b, f, info, pending, now);
		if (b == 1)
			return 1;
		return a == UNKNOWN || b == UNKNOWN ? UNKNOWN : 0;
	case N_NOT:
		a = node_eval(e, nd->a, f, info, pending, now);
		return a == UNKNOWN ? UNKNOWN : !a;
	default:
		return 0;	/* the terms: node_eval */
	}
}

bool filter_expr_match(const struct filter_expr *e, const struct flow *f,
		       const struct flow_info *info, double now)
{
	if (!e)
		return true;
	return node_eval(e, e->root, f, info, false, now) == 1;
}

int filter_expr_prematch(const struct filter_expr *e, const struct flow *f,
			 double now)
{
	if (!e)
		return 1;
	if (!(e->needs & FILTER_NEEDS_INFO))
		return node_eval(e, e->root, f, NULL, false, now);
	return node_eval(e, e->root, f, NULL, true, now);
}
