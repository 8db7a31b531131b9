// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack entry → flow fields, and how one conntrack message changes the
 * flow table. The key built here must be byte-identical to the one the BPF
 * program builds from the kernel's struct nf_conntrack_tuple (flow_key.h):
 * addresses and ports stay in network byte order exactly as the kernel
 * holds them, IPv4 in src[0]/dst[0] with the rest zero, and for ICMP the
 * echo id in sport and the raw {type, code} bytes in dport.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_parse.h"
#include "filter.h"
#include "kcount.h"
#include "names.h"

#include "util.h"

/*
 * The ICMP type the kernel puts in the reply tuple (icmp_invert_tuple and
 * icmpv6_invert_tuple): only these request/reply pairs get a conntrack of
 * their own. Used when a message's reply tuple carries no ICMP fields.
 */
static int icmp_reply_type(uint8_t proto, uint8_t type)
{
	static const uint8_t v4[][2] = {
		{ 8, 0 }, { 0, 8 }, { 13, 14 }, { 14, 13 },
		{ 15, 16 }, { 16, 15 }, { 17, 18 }, { 18, 17 },
	};
	static const uint8_t v6[][2] = {
		{ 128, 129 }, { 129, 128 }, { 139, 140 }, { 140, 139 },
	};
	const uint8_t (*map)[2] = proto == IPPROTO_ICMP ? v4 : v6;
	size_t n = proto == IPPROTO_ICMP ? sizeof(v4) / sizeof(v4[0])
					 : sizeof(v6) / sizeof(v6[0]);

	for (size_t i = 0; i < n; i++)
		if (map[i][0] == type)
			return map[i][1];
	return -1;
}

static void set_icmp(struct flow_key *k, uint16_t id_be, uint8_t type, uint8_t code)
{
	uint8_t *b = (uint8_t *)&k->dport;

	k->sport = id_be;
	b[0] = type;
	b[1] = code;
}

int ct_msg_kind(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EINVAL;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return -ENOMSG;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case IPCTNL_MSG_CT_DELETE:
		return CT_MSG_DESTROY;
	case IPCTNL_MSG_CT_GET:
		/* dump lines carry the request's type on recent kernels */
		return CT_MSG_DUMP;
	case IPCTNL_MSG_CT_NEW:
		if (nlh->nlmsg_flags & NLM_F_MULTI)
			return CT_MSG_DUMP;
		if (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL))
			return CT_MSG_NEW;
		return CT_MSG_UPDATE;
	}
	return -ENOMSG;
}

size_t ct_nlmsg_span(const void *buf, size_t len)
{
	size_t off = 0;

	if (len > INT_MAX)
		len = INT_MAX;	/* libmnl counts in int */
	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh =
			(const struct nlmsghdr *)((const char *)buf + off);

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - off)
			break;
		/* the last message may lack its padding */
		if (NLMSG_ALIGN(nlh->nlmsg_len) >= len - off)
			return len;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return off;
}

/*
 * A ctnetlink message is read here by our own walk of its attributes, not
 * with libnetfilter_conntrack's nfct_payload_parse: version 1.0.9 calls
 * exit() ("ctnetlink kernel ABI is broken") on any attribute of an
 * unexpected size, so one malformed message would end flowtop without its
 * cleanup (found by fuzzing). Here such a message is refused (-EINVAL) and
 * the next one read. Nor with libmnl's callbacks: at 40k events/s its
 * calls per attribute (about 30 per message, each through the PLT) took a
 * fifth of the collector thread (bench/README.md). The walk is libmnl's
 * (mnl_attr_ok, mnl_attr_next), within the message's nlmsg_len. Only the
 * attributes flowtop shows are taken, each with its size checked; values
 * keep the byte order the library's getters give.
 */
struct nl_tuple {
	const struct nlattr *src4, *dst4, *src6, *dst6;
	const struct nlattr *num, *sport, *dport, *zone;
	const struct nlattr *icmp_id, *icmp_type, *icmp_code;
};

struct nl_ct {
	struct nl_tuple t[2];			/* FLOW_DIR_ORIG, FLOW_DIR_REPLY */
	const struct nlattr *zone, *id, *mark, *state, *start, *status;
	const struct nlattr *timeout;
	struct nl_counts {
		const struct nlattr *packets, *bytes;		/* u64 */
		const struct nlattr *packets32, *bytes32;	/* old ones */
	} counts[2];				/* FLOW_DIR_* */
	uint8_t state_of;			/* CTA_PROTOINFO_* of state */
};

/* The attributes in len bytes at base, one after the other. */
struct attr_walk {
	const unsigned char *base;
	size_t off, len;
};

/* The next whole attribute, or NULL at the end (or at a broken one). */
static inline const struct nlattr *attr_next(struct attr_walk *w)
{
	const struct nlattr *a;

	if (w->off > w->len || w->len - w->off < NLA_HDRLEN)
		return NULL;
	a = (const struct nlattr *)(w->base + w->off);
	if (a->nla_len < NLA_HDRLEN || a->nla_len > w->len - w->off)
		return NULL;
	w->off += NLA_ALIGN(a->nla_len);
	return a;
}

static inline uint16_t attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* The attributes nested in a; false if a is not a nest (1-3 bytes). */
static inline bool nested(const struct nlattr *a, struct attr_walk *w)
{
	size_t len = attr_len(a);

	w->base = (const unsigned char *)a + NLA_HDRLEN;
	w->off = 0;
	w->len = len;
	return len == 0 || len >= NLA_HDRLEN;
}

/* Keeps a at *slot if its payload is len bytes; else the message is bad. */
static inline int keep(const struct nlattr *a, size_t len,
		       const struct nlattr **slot)
{
	if (attr_len(a) != len)
		return -1;
	*slot = a;
	return 0;
}

/* An attribute of a nest that is kept: its type, size and place. */
struct attr_rule {
	uint16_t type;
	uint16_t len;
	size_t off;		/* of its const struct nlattr * in the base */
};

#define RULE(type, len, st, field) { type, len, offsetof(st, field) }

static const struct attr_rule ip_rules[] = {
	RULE(CTA_IP_V4_SRC, 4, struct nl_tuple, src4),
	RULE(CTA_IP_V4_DST, 4, struct nl_tuple, dst4),
	RULE(CTA_IP_V6_SRC, 16, struct nl_tuple, src6),
	RULE(CTA_IP_V6_DST, 16, struct nl_tuple, dst6),
};

static const struct attr_rule proto_rules[] = {
	RULE(CTA_PROTO_NUM, 1, struct nl_tuple, num),
	RULE(CTA_PROTO_SRC_PORT, 2, struct nl_tuple, sport),
	RULE(CTA_PROTO_DST_PORT, 2, struct nl_tuple, dport),
	RULE(CTA_PROTO_ICMP_ID, 2, struct nl_tuple, icmp_id),
	RULE(CTA_PROTO_ICMPV6_ID, 2, struct nl_tuple, icmp_id),
	RULE(CTA_PROTO_ICMP_TYPE, 1, struct nl_tuple, icmp_type),
	RULE(CTA_PROTO_ICMPV6_TYPE, 1, struct nl_tuple, icmp_type),
	RULE(CTA_PROTO_ICMP_CODE, 1, struct nl_tuple, icmp_code),
	RULE(CTA_PROTO_ICMPV6_CODE, 1, struct nl_tuple, icmp_code),
};

static const struct attr_rule counters_rules[] = {
	RULE(CTA_COUNTERS_PACKETS, 8, struct nl_counts, packets),
	RULE(CTA_COUNTERS_BYTES, 8, struct nl_counts, bytes),
	RULE(CTA_COUNTERS32_PACKETS, 4, struct nl_counts, packets32),
	RULE(CTA_COUNTERS32_BYTES, 4, struct nl_counts, bytes32),
};

static const struct attr_rule timestamp_rules[] = {
	RULE(CTA_TIMESTAMP_START, 8, struct nl_ct, start),
};

/* The attributes of nest that rules name, kept in base; -1 if malformed. */
static int parse_nest(const struct nlattr *nest, const struct attr_rule *rules,
		      size_t n, void *base)
{
	struct attr_walk w;
	const struct nlattr *a;

	if (!nested(nest, &w))
		return -1;
	while ((a = attr_next(&w))) {
		uint16_t type = attr_type(a);

		for (size_t i = 0; i < n; i++) {
			if (rules[i].type != type)
				continue;
			if (keep(a, rules[i].len, (const struct nlattr **)
				 ((char *)base + rules[i].off)))
				return -1;
			break;
		}
	}
	return 0;
}

#define PARSE_NEST(nest, rules, base) \
	parse_nest(nest, rules, sizeof(rules) / sizeof(rules[0]), base)

static int parse_tuple(const struct nlattr *nest, struct nl_tuple *t)
{
	struct attr_walk w;
	const struct nlattr *a;
	int ret = 0;

	if (!nested(nest, &w))
		return -1;
	while (!ret && (a = attr_next(&w))) {
		switch (attr_type(a)) {
		case CTA_TUPLE_IP: ret = PARSE_NEST(a, ip_rules, t); break;
		case CTA_TUPLE_PROTO: ret = PARSE_NEST(a, proto_rules, t); break;
		case CTA_TUPLE_ZONE: ret = keep(a, 2, &t->zone); break;
		}
	}
	return ret;
}

/* CTA_PROTOINFO_{TCP,SCTP,DCCP} → their state: attribute 1 of each */
static int parse_pinfo(const struct nlattr *nest, struct nl_ct *m)
{
	struct attr_walk w, pw;
	const struct nlattr *a, *p;
	int ret = 0;

	if (!nested(nest, &w))
		return -1;
	while (!ret && (a = attr_next(&w))) {
		uint16_t type = attr_type(a);

		if (type != CTA_PROTOINFO_TCP && type != CTA_PROTOINFO_SCTP &&
		    type != CTA_PROTOINFO_DCCP)
			continue;
		if (!nested(a, &pw))
			return -1;
		m->state = NULL;
		m->state_of = (uint8_t)type;
		while (!ret && (p = attr_next(&pw)))
			if (attr_type(p) == CTA_PROTOINFO_TCP_STATE)
				ret = keep(p, 1, &m->state);
	}
	return ret;
}

/* The message's attributes (after its nfgenmsg) into m; -1 if malformed. */
static int parse_ct(const struct nlmsghdr *nlh, struct nl_ct *m)
{
	struct attr_walk w = {
		.base = (const unsigned char *)nlh,
		.off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)),
		.len = nlh->nlmsg_len,
	};
	const struct nlattr *a;
	int ret = 0;

	while (!ret && (a = attr_next(&w))) {
		uint16_t type = attr_type(a);

		switch (type) {
		case CTA_TUPLE_ORIG:
			ret = parse_tuple(a, &m->t[FLOW_DIR_ORIG]);
			break;
		case CTA_TUPLE_REPLY:
			ret = parse_tuple(a, &m->t[FLOW_DIR_REPLY]);
			break;
		case CTA_PROTOINFO:
			ret = parse_pinfo(a, m);
			break;
		case CTA_COUNTERS_ORIG:
		case CTA_COUNTERS_REPLY:
			ret = PARSE_NEST(a, counters_rules,
					 &m->counts[type == CTA_COUNTERS_ORIG ?
						    FLOW_DIR_ORIG : FLOW_DIR_REPLY]);
			break;
		case CTA_TIMESTAMP:
			ret = PARSE_NEST(a, timestamp_rules, m);
			break;
		case CTA_ZONE: ret = keep(a, 2, &m->zone); break;
		case CTA_STATUS: ret = keep(a, 4, &m->status); break;
		case CTA_TIMEOUT: ret = keep(a, 4, &m->timeout); break;
		case CTA_ID: ret = keep(a, 4, &m->id); break;
		case CTA_MARK: ret = keep(a, 4, &m->mark); break;
		}
	}
	return ret;
}

/* Payloads of the sizes keep() checked; memcpy: no alignment assumed. */
static inline uint8_t get_u8(const struct nlattr *a)
{
	return *((const uint8_t *)a + NLA_HDRLEN);
}

static inline uint16_t get_u16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
}

static inline uint32_t get_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
}

static inline uint64_t get_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
}

/* One direction's addresses and ports (or ICMP fields) into k. */
static int tuple_to_key(const struct nl_tuple *t, uint8_t family,
			uint8_t proto, struct flow_key *k)
{
	if (family == AF_INET) {
		if (!t->src4 || !t->dst4)
			return -EINVAL;
		k->src[0] = get_u32(t->src4);
		k->dst[0] = get_u32(t->dst4);
	} else {
		if (!t->src6 || !t->dst6)
			return -EINVAL;
		memcpy(k->src, (const char *)t->src6 + NLA_HDRLEN, sizeof(k->src));
		memcpy(k->dst, (const char *)t->dst6 + NLA_HDRLEN, sizeof(k->dst));
	}
	if (proto_has_ports(proto)) {
		if (!t->sport || !t->dport)
			return -EINVAL;
		k->sport = get_u16(t->sport);
		k->dport = get_u16(t->dport);
	}
	return 0;
}

static bool icmp_complete(const struct nl_tuple *t)
{
	return t->icmp_type && t->icmp_code && t->icmp_id;
}

int ct_entry_from_nlmsg(const struct nlmsghdr *nlh, struct ct_entry *e)
{
	const struct nfgenmsg *nfg;
	struct nl_ct m = { 0 };
	const struct nl_tuple *o = &m.t[FLOW_DIR_ORIG], *r = &m.t[FLOW_DIR_REPLY];
	uint8_t family, proto;

	memset(e, 0, sizeof(*e));
	e->state = FLOW_STATE_NONE;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EINVAL;
	nfg = (const struct nfgenmsg *)((const char *)nlh + NLMSG_HDRLEN);
	if (parse_ct(nlh, &m) < 0 || !o->num)
		return -EINVAL;
	family = nfg->nfgen_family;
	proto = get_u8(o->num);
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!proto_has_ports(proto) &&
	    !(family == AF_INET && proto == IPPROTO_ICMP) &&
	    !(family == AF_INET6 && proto == IPPROTO_ICMPV6))
		return -EPROTONOSUPPORT;

	e->key.family = e->reply.family = family;
	e->key.proto = e->reply.proto = proto;
	/* the zone (nf_ct_zone(ct)->id) is in exactly one place: CTA_ZONE
	 * when it applies to both directions, else inside the tuple of the
	 * direction it applies to */
	if (m.zone || o->zone || r->zone)
		e->key.zone = ntohs(get_u16(m.zone ? m.zone :
						     o->zone ? o->zone : r->zone));
	e->reply.zone = e->key.zone;
	if (tuple_to_key(o, family, proto, &e->key) ||
	    tuple_to_key(r, family, proto, &e->reply))
		return -EINVAL;
	if (!proto_has_ports(proto)) {
		uint8_t type;
		int rtype;

		if (!icmp_complete(o))
			return -EINVAL;
		type = get_u8(o->icmp_type);
		set_icmp(&e->key, get_u16(o->icmp_id), type,
			 get_u8(o->icmp_code));
		if (icmp_complete(r)) {
			set_icmp(&e->reply, get_u16(r->icmp_id),
				 get_u8(r->icmp_type),
				 get_u8(r->icmp_code));
		} else {
			rtype = icmp_reply_type(proto, type);
			set_icmp(&e->reply, get_u16(o->icmp_id),
				 rtype < 0 ? type : (uint8_t)rtype,
				 get_u8(o->icmp_code));
		}
	}

	if (m.id)
		e->ct_id = ntohl(get_u32(m.id));
	if (m.mark) {
		e->mark = ntohl(get_u32(m.mark));
		e->has_mark = true;
	}
	if (m.state &&
	    ((proto == IPPROTO_TCP && m.state_of == CTA_PROTOINFO_TCP) ||
	     (proto == IPPROTO_SCTP && m.state_of == CTA_PROTOINFO_SCTP) ||
	     (proto == IPPROTO_DCCP && m.state_of == CTA_PROTOINFO_DCCP))) {
		e->state = get_u8(m.state);
		e->has_state = true;
	}
	if (m.start)
		e->start_ns = be64toh(get_u64(m.start));
	if (m.status) {
		e->status = ntohl(get_u32(m.status));
		e->has_status = true;
	}
	if (m.timeout) {
		e->timeout_s = ntohl(get_u32(m.timeout));
		e->has_timeout = true;
	}
	for (int dir = 0; dir < 2; dir++) {
		const struct nl_counts *c = &m.counts[dir];
		__u64 *v[2] = { &e->counters.packets[dir], &e->counters.bytes[dir] };
		const struct nlattr *a64[2] = { c->packets, c->bytes };
		const struct nlattr *a32[2] = { c->packets32, c->bytes32 };

		for (int i = 0; i < 2; i++) {
			if (a64[i])
				*v[i] = be64toh(get_u64(a64[i]));
			else if (a32[i])
				*v[i] = ntohl(get_u32(a32[i]));
			else
				continue;
			e->has_counters = true;
		}
	}
	return 0;
}

/* room for the header and the largest tuple (IPv6 addresses, ports) */
#define CT_GET_MAX 256

int ct_build_get(void *buf, size_t len, const struct flow_key *key,
		 uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *tuple, *nest;
	bool v6 = key->family == AF_INET6;

	if (len < CT_GET_MAX)
		return -ENOSPC;
	if (key->family != AF_INET && !v6)
		return -EINVAL;
	if (!proto_has_ports(key->proto) &&
	    key->proto != (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		return -EINVAL;
	memset(buf, 0, CT_GET_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = key->family;
	nfg->version = NFNETLINK_V0;

	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (v6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, key->src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, key->dst);
	} else {
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, key->src[0]);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, key->dst[0]);
	}
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, key->proto);
	if (proto_has_ports(key->proto)) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, key->sport);
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, key->dport);
	} else {
		const uint8_t *tc = (const uint8_t *)&key->dport;

		/* the key's layout for ICMP: see set_icmp */
		mnl_attr_put_u16(nlh, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID,
				 key->sport);
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_TYPE :
				CTA_PROTO_ICMP_TYPE, tc[0]);
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_CODE :
				CTA_PROTO_ICMP_CODE, tc[1]);
	}
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
	if (key->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(key->zone));
	return (int)nlh->nlmsg_len;
}

bool ct_entry_selected(const struct ct_entry *e, unsigned int sel)
{
	return sel_match(sel, e->key.family, e->key.proto);
}

/*
 * f is a fresh entry (flowtab_insert or flowtab_renew zeroed everything
 * but the key) for a new connection.
 */
static void begin_connection(struct flow_rec *f, uint64_t now_ns)
{
	f->since_ns = now_ns;
}

static bool ids_differ(uint32_t a, uint32_t b)
{
	return a && b && a != b;
}

static int note_counters(const struct ct_apply_ctx *ctx, struct flow_rec *f,
			 bool destroy, const struct flow_counters *k)
{
	const struct ct_hooks *hooks = ctx->hooks;

	if (kcount_note(ctx->tab, f, destroy) && hooks &&
	    hooks->kernel_counters)
		hooks->kernel_counters(f, destroy, k, hooks->arg);
	return 0;
}

static void note_status(const struct ct_apply_ctx *ctx, struct flow_rec *f,
			const struct ct_entry *e)
{
	const struct ct_hooks *hooks = ctx->hooks;
	bool off = ct_status_offloaded(e->status);

	if (!e->has_status || off == f->offloaded)
		return;
	flowtab_touch(ctx->tab, f);
	f->offloaded = off;
	if (off && hooks && hooks->offloaded)
		hooks->offloaded(f, hooks->arg);
}

int ct_apply(const struct ct_apply_ctx *ctx, enum ct_msg kind,
	     const struct ct_entry *e)
{
	const struct ct_hooks *hooks = ctx->hooks;
	struct ct_stats *st = ctx->stats;
	struct flow_rec *f;
	bool created = false, reused = false;

	if (kind != CT_MSG_DUMP)
		st->events++;
	if (!ct_entry_selected(e, ctx->sel))
		return 0;

	f = e->has_hash ? flowtab_lookup_hashed(ctx->tab, &e->key, e->key_hash)
			: flowtab_lookup(ctx->tab, &e->key);

	if (kind == CT_MSG_DESTROY) {
		/* unknown, already gone, or the end of an older connection */
		if (!f || f->destroyed || ids_differ(e->ct_id, f->ct_id))
			return 0;
		/* snapshots showing it keep what they show (flowtab.h) */
		flowtab_set_destroyed(ctx->tab, f);
		/* DESTROY carries the start (timestamps on): it tells the
		 * counter map which connection's entry may go */
		flow_rec_set_start(f, e->start_ns);
		if (ctx->counters && e->has_counters) {
			/*
			 * Conntrack backend: the flow is gone from the next
			 * dump, so DESTROY carries its last counters (no
			 * rate: the next read does not list it).
			 */
			f->total = e->counters;
			f->counters_valid = true;
			f->whole_life = true;
		} else if (e->has_counters) {
			/* BPF: the kernel's final word, see kcount.h */
			int r = note_counters(ctx, f, true, &e->counters);

			if (r < 0)
				return r;
		}
		st->destroyed_flows++;
		if (hooks && hooks->destroyed)
			hooks->destroyed(f, hooks->arg);
		return 1;
	}

	/*
	 * An UPDATE for a flow already destroyed under the same id predates its
	 * DESTROY (queued before a resync that found it gone): ignore it. A new
	 * connection on the same tuple always starts with NEW (or shows up in a
	 * dump); the kernel may give it the same id, since the id hashes the
	 * slab address and the tuple.
	 */
	if (kind == CT_MSG_UPDATE && f && f->destroyed &&
	    !ids_differ(e->ct_id, f->ct_id))
		return 0;

	if (!f) {
		f = flowtab_insert(ctx->tab, &e->key);
		if (!f)
			return -ENOMEM;
		created = true;
	} else {
		reused = f->destroyed || ids_differ(e->ct_id, f->ct_id);
		/* a fresh entry: snapshots still showing the old connection
		 * keep its tuples and id */
		if (reused && !(f = flowtab_renew(ctx->tab, f)))
			return -ENOMEM;
	}

	if (created || reused) {
		flowtab_touch(ctx->tab, f);	/* new: keeps nothing */
		begin_connection(f, ctx->now_ns);
		/* a NEW event comes as the kernel creates the connection, so
		 * every counter of it starts at zero from here on */
		f->counts_from_zero = kind == CT_MSG_NEW;
		f->whole_life = kind == CT_MSG_NEW;
		st->new_flows++;
	}

	/*
	 * Tuples, id and start are fixed for a connection, and snapshots read
	 * them from other threads: written only when they are new.
	 */
	if (flowtab_set_reply(ctx->tab, f, &e->reply))
		return -ENOMEM;
	if (e->ct_id && f->ct_id != e->ct_id)
		f->ct_id = e->ct_id;
	/* events leave out a mark that did not change; dumps always have it */
	if ((e->has_mark || kind == CT_MSG_DUMP) &&
	    flowtab_set_mark(ctx->tab, f, e->has_mark ? e->mark : 0))
		return -ENOMEM;
	if (e->has_state)
		flowtab_set_state(ctx->tab, f, e->state);
	flow_rec_set_start(f, e->start_ns);
	/*
	 * Started after the counting did: counted from its start, unless a
	 * dump line brings the kernel's counters, which then decide (kcount:
	 * the base is what BPF missed, 0 when it missed nothing). A flow
	 * first heard of in a dump is one whose NEW event was lost, and BPF
	 * may have missed packets of it: its slot let go as an orphan's, or
	 * none free when it began.
	 */
	if (e->start_ns && ctx->counting_since_ns &&
	    e->start_ns >= ctx->counting_since_ns && !f->whole_life &&
	    !(kind == CT_MSG_DUMP && e->has_counters && !ctx->counters)) {
		flowtab_touch(ctx->tab, f);
		f->whole_life = true;
	}
	note_status(ctx, f, e);
	if (kind == CT_MSG_DUMP && e->has_counters && !ctx->counters) {
		int r = note_counters(ctx, f, false, &e->counters);

		if (r < 0)
			return r;
	}

	/*
	 * Counters from a dump are left to the per-interval read
	 * (ct_read_counters → flow_counters_update): taking them here, in the
	 * middle of an interval, would cut the next rate short.
	 */
	if (kind == CT_MSG_DUMP)
		flowtab_set_seen(ctx->tab, f, ctx->gen);
	else
		flowtab_set_events_seen(ctx->tab, f);
	/* an end no event will tell: when to ask about it again */
	if (kind == CT_MSG_DUMP && !f->events_seen && e->has_timeout &&
	    hooks && hooks->silent_timeout)
		hooks->silent_timeout(f, e->timeout_s, hooks->arg);

	if (reused && hooks && hooks->reused)
		hooks->reused(f, hooks->arg);
	return 1;
}

struct ghost_walk {
	const struct ct_apply_ctx *ctx;
	size_t n;
	bool mark;
	int (*pause)(void *arg);
	void *pause_arg;
	uint32_t walked;
	int err;
};

static void ghost_fn(struct flow_rec *f, void *arg)
{
	struct ghost_walk *w = arg;
	const struct ct_hooks *hooks = w->ctx->hooks;

	if (w->err)
		return;
	/*
	 * Before this flow: the pause (the collector's tick) may reap the
	 * flows that ended and were shown, ghosts marked so far and flows
	 * whose DESTROY came, this one too: a reaped flow is skipped. It
	 * adds none (events wait in the socket's stash), so the walk still
	 * meets every flow the dump may have missed.
	 */
	if (w->pause && ++w->walked % CT_GHOST_PAUSE == 0) {
		w->err = w->pause(w->pause_arg);
		if (w->err || !f->in_use)
			return;
	}
	if (flowtab_seen(w->ctx->tab, f, w->ctx->gen))
		return;
	if (f->destroyed) {
		/* its DESTROY arrived; the collector reaps it as usual */
		flowtab_set_seen(w->ctx->tab, f, w->ctx->gen);
		return;
	}
	w->n++;
	if (!w->mark)
		return;
	flowtab_set_destroyed(w->ctx->tab, f);
	flowtab_set_seen(w->ctx->tab, f, w->ctx->gen);
	w->ctx->stats->destroyed_flows++;
	hooks->destroyed(f, hooks->arg);
}

int ct_drop_ghosts_pausing(const struct ct_apply_ctx *ctx,
			   int (*pause)(void *arg), void *arg, size_t *n)
{
	struct ghost_walk w = {
		.ctx = ctx,
		.mark = ctx->hooks && ctx->hooks->destroyed,
		.pause = pause,
		.pause_arg = arg,
	};

	flowtab_foreach(ctx->tab, ghost_fn, &w);
	if (!w.mark && !w.err) {
		/* nobody reaps: remove the ghosts now (destroyed ones were
		 * spared) */
		ctx->stats->destroyed_flows += w.n;
		w.n = flowtab_sweep(ctx->tab, ctx->gen);
	}
	if (n)
		*n = w.n;
	return w.err;
}

size_t ct_drop_ghosts(const struct ct_apply_ctx *ctx)
{
	size_t n;

	ct_drop_ghosts_pausing(ctx, NULL, NULL, &n);
	return n;
}
