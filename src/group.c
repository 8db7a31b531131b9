// SPDX-License-Identifier: GPL-2.0
/* Group keys, the aggregation hash table and the order of group rows. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "format.h"
#include "group.h"
#include "hugemem.h"
#include "sanitize.h"

#include "group_internal.h"

static const char *const kind_names[GROUP_KIND_COUNT] = {
	[GROUP_NONE] = "none",
	[GROUP_SRC] = "src",
	[GROUP_DST] = "dst",
	[GROUP_HOST] = "host",
	[GROUP_NET] = "net",
	[GROUP_COUNTRY] = "country",
	[GROUP_ASN] = "asn",
	[GROUP_PROCESS] = "process",
	[GROUP_PROTO] = "proto",
	[GROUP_PORT] = "port",
};

/* "net/N" or "net6/N" at s (len bytes): 0 or -EINVAL */
static int parse_prefix(const char *s, size_t len, struct group_spec *out,
			bool *v4, bool *v6)
{
	bool six = len > 5 && !strncmp(s, "net6/", 5);
	size_t skip = six ? 5 : 4, i;
	unsigned long v = 0;

	if (!six && (len <= 4 || strncmp(s, "net/", 4)))
		return -EINVAL;
	if (len - skip > 3)
		return -EINVAL;
	for (i = skip; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > (six ? 128u : 32u) || (six ? *v6 : *v4))
		return -EINVAL;
	if (six) {
		out->v6_prefix = (uint8_t)v;
		*v6 = true;
	} else {
		out->v4_prefix = (uint8_t)v;
		*v4 = true;
	}
	return 0;
}

int group_spec_parse(const char *s, struct group_spec *out, char *err,
		     size_t errlen)
{
	struct group_spec g = {
		.kind = GROUP_NONE,
		.v4_prefix = GROUP_V4_PREFIX_DEFAULT,
		.v6_prefix = GROUP_V6_PREFIX_DEFAULT,
	};
	bool v4 = false, v6 = false;
	const char *p = s ? s : "";

	if (!*p)
		goto bad_empty;
	for (int k = GROUP_SRC; k < GROUP_KIND_COUNT; k++)
		if (k != GROUP_NET && !strcmp(p, kind_names[k])) {
			g.kind = (enum group_kind)k;
			*out = g;
			return 0;
		}
	/* net/N, net6/N, or both, separated by a comma */
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (parse_prefix(p, len, &g, &v4, &v6)) {
			char part[80], shown[80];

			/* the message may reach a terminal: no raw bytes */
			snprintf(part, sizeof(part), "%.*s",
				 (int)(len > 64 ? 64 : len), p);
			sanitize_str(shown, sizeof(shown), part);
			snprintf(err, errlen, "invalid group key '%s': use src, "
				 "dst, host, net/0-32, net6/0-128 (or both: "
				 "net/N,net6/M), country, asn, process, proto "
				 "or port", shown);
			return -EINVAL;
		}
		p += len;
		if (*p == ',' && !*++p)
			goto bad_empty;
	}
	g.kind = GROUP_NET;
	*out = g;
	return 0;
bad_empty:
	snprintf(err, errlen, "empty group key: use src, dst, host, net/N, "
		 "net6/N, country, asn, process, proto or port");
	return -EINVAL;
}

const char *group_spec_name(const struct group_spec *s, char *buf, size_t len)
{
	if (s->kind == GROUP_NET)
		snprintf(buf, len, "net/%u,net6/%u", s->v4_prefix, s->v6_prefix);
	else
		snprintf(buf, len, "%s", (unsigned int)s->kind < GROUP_KIND_COUNT ?
			 kind_names[s->kind] : "?");
	return buf;
}

void group_spec_next(struct group_spec *s)
{
	int k = (int)s->kind + 1;

	if (k >= GROUP_KIND_COUNT)
		k = GROUP_SRC;
	s->kind = (enum group_kind)k;
	if (!s->v4_prefix && !s->v6_prefix) {
		s->v4_prefix = GROUP_V4_PREFIX_DEFAULT;
		s->v6_prefix = GROUP_V6_PREFIX_DEFAULT;
	}
}

bool group_needs_info(const struct group_spec *s)
{
	return s->kind == GROUP_COUNTRY || s->kind == GROUP_ASN ||
	       s->kind == GROUP_PROCESS;
}

static bool has_ports(uint8_t proto)
{
	return proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6;
}

/* addr masked to its first bits bits (network byte order words) */
static void mask_addr(uint32_t out[4], const uint32_t in[4], unsigned bits,
		      unsigned words)
{
	for (unsigned i = 0; i < 4; i++) {
		unsigned lo = i * 32;

		if (i >= words || bits <= lo)
			out[i] = 0;
		else if (bits >= lo + 32)
			out[i] = in[i];
		else
			out[i] = in[i] & htonl(~0u << (32 - (bits - lo)));
	}
}

static void net_masks_of(const struct group_spec *s, struct net_masks *nm)
{
	static const uint32_t ones[4] = { ~0u, ~0u, ~0u, ~0u };

	mask_addr(nm->v4, ones, s->v4_prefix, 1);
	mask_addr(nm->v6, ones, s->v6_prefix, 4);
}

/*
 * A multiply-xorshift mix of a key's three words: the address's two as
 * they are in memory, the third from the fields (on a little-endian
 * machine that too is the key's bytes). A flow's key is hashed from the
 * values it is built from, in registers: loading words just written
 * field by field would wait on store forwarding.
 */
static inline uint32_t key_hash_of(uint64_t w0, uint64_t w1, uint32_t num,
				   uint8_t family, uint8_t proto, uint8_t cc0,
				   uint8_t cc1)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	h ^= w0;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 32;
	h ^= w1;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 32;
	h ^= num | (uint64_t)family << 32 | (uint64_t)proto << 40 |
	     (uint64_t)cc0 << 48 | (uint64_t)cc1 << 56;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h >> 32);
}

/*
 * group_key_from, inlined where flows are added one by one, built in
 * registers and stored field by field: returns the key's hash.
 */
static inline __attribute__((always_inline)) uint32_t
key_from(const struct group_spec *s, const struct net_masks *nm,
	 const struct flow_key *k, const struct flow_info *info,
	 struct group_key *out)
{
	uint64_t w[2] = { 0, 0 };
	uint32_t num = 0, m[4];
	uint8_t family = 0, proto = 0, cc0 = 0, cc1 = 0;

	switch (s->kind) {
	case GROUP_SRC:
	case GROUP_HOST:
		family = k->family;
		memcpy(w, k->src, sizeof(w));
		break;
	case GROUP_DST:
		family = k->family;
		memcpy(w, k->dst, sizeof(w));
		break;
	case GROUP_NET: {
		/* the masks worked out once, not per flow: no branch here */
		const uint32_t *mk = k->family == AF_INET6 ? nm->v6 : nm->v4;

		family = k->family;
		num = k->family == AF_INET6 ? s->v6_prefix : s->v4_prefix;
		for (int i = 0; i < 4; i++)
			m[i] = k->src[i] & mk[i];
		memcpy(w, m, sizeof(w));
		break;
	}
	case GROUP_COUNTRY:
		if (info) {
			cc0 = (uint8_t)info->dst.geo.country_code[0];
			cc1 = cc0 ? (uint8_t)info->dst.geo.country_code[1] : 0;
		}
		break;
	case GROUP_ASN:
		num = info ? info->dst.geo.asn : 0;
		break;
	case GROUP_PROCESS:
		num = info && info->proc.pid > 0 ? (uint32_t)info->proc.pid : 0;
		break;
	case GROUP_PROTO:
		proto = k->proto;
		break;
	case GROUP_PORT:
		proto = k->proto;
		if (has_ports(k->proto))
			num = ntohs(k->dport);
		break;
	default:
		break;
	}
	memcpy(out->addr, w, sizeof(w));
	out->num = num;
	out->family = family;
	out->proto = proto;
	out->cc[0] = (char)cc0;
	out->cc[1] = (char)cc1;
	return key_hash_of(w[0], w[1], num, family, proto, cc0, cc1);
}

void group_key_from(const struct group_spec *s, const struct flow_key *k,
		    const struct flow_info *info, struct group_key *out)
{
	struct net_masks nm;

	net_masks_of(s, &nm);
	(void)key_from(s, &nm, k, info, out);
}

void group_key_of(const struct group_spec *s, const struct flow *f,
		  const struct flow_info *info, struct group_key *out)
{
	group_key_from(s, &f->key, info, out);
}

const char *group_key_text(const struct group_spec *s,
			   const struct group_key *k, char *buf, size_t len)
{
	char a[64], pn[16];

	switch (s->kind) {
	case GROUP_SRC:
	case GROUP_DST:
	case GROUP_HOST:
		snprintf(buf, len, "%s", format_addr(k->family, k->addr, a,
						     sizeof(a)));
		break;
	case GROUP_NET:
		snprintf(buf, len, "%s/%u", format_addr(k->family, k->addr, a,
							sizeof(a)), k->num);
		break;
	case GROUP_COUNTRY:
		if (k->cc[0])
			snprintf(buf, len, "%c%c", k->cc[0], k->cc[1]);
		else
			snprintf(buf, len, "?");
		break;
	case GROUP_ASN:
		if (k->num)
			snprintf(buf, len, "AS%u", k->num);
		else
			snprintf(buf, len, "?");
		break;
	case GROUP_PROCESS:
		if (k->num)
			snprintf(buf, len, "%u", k->num);
		else
			snprintf(buf, len, "?");
		break;
	case GROUP_PROTO:
		snprintf(buf, len, "%s", proto_name(k->proto, pn, sizeof(pn)));
		break;
	case GROUP_PORT:
		if (has_ports(k->proto))
			snprintf(buf, len, "%s/%u",
				 proto_name(k->proto, pn, sizeof(pn)), k->num);
		else
			snprintf(buf, len, "%s", proto_name(k->proto, pn, sizeof(pn)));
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}

/* --- aggregation ------------------------------------------------------ */

#define AGG_FIRST_SLOTS 1024

/*
 * Zeroed memory for the slots and rows. Big tables are read at random
 * places, a flow at a time: on 4 KiB pages nearly every access would also
 * miss the TLB (a two-level walk in a virtual machine), so from 256 KiB
 * on they are asked for as huge pages.
 */
#define AGG_HUGE_FROM (256u << 10)

static void *agg_mem(size_t bytes, bool *mapped)
{
	*mapped = bytes >= AGG_HUGE_FROM;
	return *mapped ? huge_map(bytes) : calloc(1, bytes);
}

static void agg_mem_free(void *p, size_t bytes, bool mapped)
{
	if (mapped)
		huge_unmap(p, bytes);
	else
		free(p);
}

struct group_agg *group_agg_new(const struct group_spec *s)
{
	struct group_agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->spec = *s;
	net_masks_of(s, &a->masks);
	return a;
}

void group_agg_reset(struct group_agg *a, const struct group_spec *s)
{
	a->spec = *s;
	net_masks_of(s, &a->masks);
	a->n = 0;
	a->npending = 0;
	if (a->slots)
		memset(a->slots, 0, a->nslots * sizeof(*a->slots));
}

const struct group_spec *group_agg_spec(const struct group_agg *a)
{
	return &a->spec;
}

void group_agg_free(struct group_agg *a)
{
	if (!a)
		return;
	agg_mem_free(a->rows, a->cap * sizeof(*a->rows), a->rows_mapped);
	agg_mem_free(a->rates, a->cap * sizeof(*a->rates), a->rates_mapped);
	agg_mem_free(a->slots, a->nslots * sizeof(*a->slots), a->slots_mapped);
	free(a);
}

/* Room for want groups: slots at most half full, rows allocated. */
static int agg_reserve(struct group_agg *a, size_t want)
{
	if (want * 2 > a->nslots) {
		size_t nslots = a->nslots ? a->nslots : AGG_FIRST_SLOTS, mask;
		struct group_slot *slots;
		bool mapped;

		while (want * 2 > nslots)
			nslots *= 2;
		mask = nslots - 1;
		slots = agg_mem(nslots * sizeof(*slots), &mapped);
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < a->nslots; i++) {
			struct group_slot sl = a->slots[i];
			size_t h;

			if (!sl.row)
				continue;
			h = sl.hash & mask;
			while (slots[h].row)
				h = (h + 1) & mask;
			slots[h] = sl;
		}
		agg_mem_free(a->slots, a->nslots * sizeof(*a->slots),
			     a->slots_mapped);
		a->slots = slots;
		a->nslots = nslots;
		a->slots_mapped = mapped;
	}
	if (want > a->cap) {
		size_t cap = a->cap ? a->cap : 256;
		struct agg_row *nr;
		struct agg_rates *nt;
		bool mapped, tmapped;

		while (want > cap)
			cap *= 2;
		nr = agg_mem(cap * sizeof(*nr), &mapped);
		nt = agg_mem(cap * sizeof(*nt), &tmapped);
		if (!nr || !nt) {
			agg_mem_free(nr, cap * sizeof(*nr), mapped);
			agg_mem_free(nt, cap * sizeof(*nt), tmapped);
			return -ENOMEM;
		}
		if (a->n) {
			memcpy(nr, a->rows, a->n * sizeof(*nr));
			memcpy(nt, a->rates, a->n * sizeof(*nt));
		}
		agg_mem_free(a->rows, a->cap * sizeof(*a->rows), a->rows_mapped);
		agg_mem_free(a->rates, a->cap * sizeof(*a->rates),
			     a->rates_mapped);
		a->rows = nr;
		a->rates = nt;
		a->cap = cap;
		a->rows_mapped = mapped;
		a->rates_mapped = tmapped;
	}
	return 0;
}

/*
 * Whether the flow had traffic in the interval: only then rates to add.
 * A rate is not 0 when its bits but the sign are not all 0 (NaN too, as
 * with !=): the four at once, without a floating compare each.
 */
static inline bool rates_moved(const float pkt[FLOW_DIR_COUNT],
			       const float byte[FLOW_DIR_COUNT])
{
	uint64_t a, b;

	_Static_assert(FLOW_DIR_COUNT == 2, "two rates in a word");
	memcpy(&a, pkt, sizeof(a));
	memcpy(&b, byte, sizeof(b));
	return ((a | b) & 0x7fffffff7fffffffull) != 0;
}

/*
 * The group of key (hash h): found, or made with no flow and rep as its
 * first flow's row. Its number; room reserved.
 */
static inline uint32_t agg_find(struct group_agg *a,
				const struct group_key *key, uint32_t hash,
				uint32_t rep)
{
	size_t mask = a->nslots - 1, h = hash & mask;
	struct agg_row *r;

	for (;;) {
		struct group_slot *sl = &a->slots[h];

		if (!sl->row) {
			memset(&a->rates[a->n], 0, sizeof(a->rates[a->n]));
			r = &a->rows[a->n++];
			memset(r, 0, sizeof(*r));
			r->key = *key;
			r->rep = rep;
			sl->hash = hash;
			sl->row = (uint32_t)a->n;
			return (uint32_t)(a->n - 1);
		}
		if (sl->hash == hash &&
		    group_key_eq(&a->rows[sl->row - 1].key, key))
			return sl->row - 1;
		h = (h + 1) & mask;
	}
}

/* one flow into its group; room reserved */
static void agg_account(struct group_agg *a, const struct pending *p)
{
	uint32_t g = agg_find(a, &p->key, p->hash, p->row);
	struct agg_row *r = &a->rows[g];

	if (a->gid_out)
		a->gid_out[p->row] = g;
	r->flows++;
	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		r->total.packets[d] += p->total.packets[d];
		r->total.bytes[d] += p->total.bytes[d];
	}
	if (p->moved) {
		struct agg_rates *t = &a->rates[g];

		for (int d = 0; d < FLOW_DIR_COUNT; d++) {
			t->pkt[d] += p->pkt_rate[d];
			t->byte[d] += p->byte_rate[d];
		}
	}
}

int group_agg_place(struct group_agg *a, const struct flow_key *k,
		    uint32_t rep, uint32_t *g)
{
	struct group_key key;
	uint32_t h = key_from(&a->spec, &a->masks, k, NULL, &key);

	if (agg_reserve(a, a->n + 1))
		return -ENOMEM;
	*g = agg_find(a, &key, h, rep);
	return 0;
}

/*
 * How far ahead of the flow accounted a flow's group row is fetched (its
 * slot, fetched when the flow was added, names it).
 */
#define AHEAD_ROW 8

static int agg_flush(struct group_agg *a)
{
	size_t np = a->npending, mask;
	struct pending *b = a->block;

	if (!np)
		return 0;
	/* every flow of the block may start a group: no growth midway, so
	 * what was fetched ahead stays where it was fetched */
	if (agg_reserve(a, a->n + np))
		return -ENOMEM;
	mask = a->nslots - 1;
	/* a pipeline: flow i+8's row (named by its slot), then flow i */
	for (size_t i = 0; i < np; i++) {
		if (i + AHEAD_ROW < np) {
			const struct pending *q = &b[i + AHEAD_ROW];
			uint32_t row = a->slots[q->hash & mask].row;

			if (row) {
				__builtin_prefetch(&a->rows[row - 1]);
				if (q->moved)
					__builtin_prefetch(&a->rates[row - 1]);
			}
		}
		agg_account(a, &b[i]);
	}
	a->npending = 0;
	return 0;
}

int group_agg_flush(struct group_agg *a)
{
	return agg_flush(a);
}

size_t group_agg_count(struct group_agg *a)
{
	/* pending flows cannot fail here: a failed flush keeps them */
	agg_flush(a);
	return a->n;
}

/*
 * The rest of the flow's block entry p (its key is in, of hash h), and
 * its slot fetched for the flush (the block's flows are accounted
 * once it is full: by then the slot is in the cache).
 */
static inline __attribute__((always_inline)) void
pending_fill(struct group_agg *a, struct pending *p, uint32_t h,
	     const struct flow_counters *total,
	     const float pkt_rate[FLOW_DIR_COUNT],
	     const float byte_rate[FLOW_DIR_COUNT], uint32_t row)
{
	p->hash = h;
	p->row = row;
	p->total = *total;
	memcpy(p->pkt_rate, pkt_rate, sizeof(p->pkt_rate));
	memcpy(p->byte_rate, byte_rate, sizeof(p->byte_rate));
	p->moved = rates_moved(pkt_rate, byte_rate);
	/* a table that may still grow at the flush: then this fetch was
	 * for nothing, the flush's probes find the new places */
	if (a->nslots)
		__builtin_prefetch(&a->slots[h & (a->nslots - 1)]);
}

/*
 * group_agg_add_tuple with a full block: flushed first. Out of line, so
 * that the common case does no more than the one flow.
 */
static __attribute__((noinline)) int
add_tuple_flushing(struct group_agg *a, const struct flow_key *k,
		   const struct flow_counters *total,
		   const float pkt_rate[FLOW_DIR_COUNT],
		   const float byte_rate[FLOW_DIR_COUNT], uint32_t row)
{
	if (agg_flush(a))
		return -ENOMEM;
	return group_agg_add_tuple(a, k, total, pkt_rate, byte_rate, row);
}

int group_agg_add_tuple(struct group_agg *a, const struct flow_key *k,
			const struct flow_counters *total,
			const float pkt_rate[FLOW_DIR_COUNT],
			const float byte_rate[FLOW_DIR_COUNT], uint32_t row)
{
	struct pending *p;

	if (__builtin_expect(a->npending == AGG_BLOCK, 0))
		return add_tuple_flushing(a, k, total, pkt_rate, byte_rate,
					  row);
	p = &a->block[a->npending++];
	pending_fill(a, p, key_from(&a->spec, &a->masks, k, NULL, &p->key), total,
		     pkt_rate, byte_rate, row);
	return 0;
}

int group_agg_add(struct group_agg *a, const struct flow *f,
		  const struct flow_info *info, uint32_t row)
{
	struct pending *p;

	if (a->npending == AGG_BLOCK && agg_flush(a))
		return -ENOMEM;
	p = &a->block[a->npending++];
	pending_fill(a, p, key_from(&a->spec, &a->masks, &f->key, info, &p->key),
		     &f->total, f->pkt_rate, f->byte_rate, row);
	return 0;
}

/* --- order ------------------------------------------------------------- */

/* A rate as an integer that keeps its order (1/16 resolution), as sort.c. */
static uint64_t rate_key(double r)
{
	if (!(r > 0))
		return 0;
	if (r > 1e15)
		return (uint64_t)1e15 * 16;
	return (uint64_t)(r * 16.0);
}

static int cmp_u32(uint32_t x, uint32_t y)
{
	return x < y ? -1 : x > y;
}

/* unknown (all zero) keys sort last */
static int key_cmp(const struct group_key *a, const struct group_key *b,
		   enum group_kind kind)
{
	int c;

	switch (kind) {
	case GROUP_SRC:
	case GROUP_DST:
	case GROUP_HOST:
	case GROUP_NET:
		if (a->family != b->family)
			return a->family == AF_INET ? -1 :
			       b->family == AF_INET ? 1 : cmp_u32(a->family, b->family);
		for (int i = 0; i < 4; i++) {
			c = cmp_u32(ntohl(a->addr[i]), ntohl(b->addr[i]));
			if (c)
				return c;
		}
		return cmp_u32(a->num, b->num);
	case GROUP_COUNTRY:
		if (!a->cc[0] != !b->cc[0])
			return !a->cc[0] ? 1 : -1;
		c = memcmp(a->cc, b->cc, 2);
		return c < 0 ? -1 : c > 0;
	case GROUP_ASN:
	case GROUP_PROCESS:
		if (!a->num != !b->num)
			return !a->num ? 1 : -1;
		return cmp_u32(a->num, b->num);
	case GROUP_PROTO:
	case GROUP_PORT:
		c = cmp_u32(a->proto, b->proto);
		return c ? c : cmp_u32(a->num, b->num);
	default:
		return 0;
	}
}

static _Thread_local enum group_kind cmp_kind;
static _Thread_local bool cmp_rev;

static int row_cmp(const void *pa, const void *pb)
{
	const struct group_row *a = pa, *b = pb;
	int c = key_cmp(&a->key, &b->key, cmp_kind);

	return cmp_rev ? -c : c;
}

/* the whole row i of a, rates included */
static void agg_out(const struct group_agg *a, size_t i, struct group_row *o)
{
	const struct agg_row *r = &a->rows[i];
	const struct agg_rates *t = &a->rates[i];

	o->key = r->key;
	o->flows = r->flows;
	o->rep = r->rep;
	o->total = r->total;
	memcpy(o->pkt_rate, t->pkt, sizeof(o->pkt_rate));
	memcpy(o->byte_rate, t->byte, sizeof(o->byte_rate));
}

/* how far ahead of the copy the groups' rows are fetched, in sorted order */
#define AHEAD_OUT 8

/* the group at place i of list (NULL: the i-th group) */
static inline uint32_t listed_group(const uint32_t *list, uint32_t i)
{
	return list ? list[i] : i;
}

/*
 * The rows out in the order of items[0..n) (their places in list): each
 * group's row and rates are fetched a few groups ahead, as in sorted
 * order they are scattered over the table.
 */
static void agg_out_sorted(const struct group_agg *a, const uint32_t *list,
			   const struct sort_item *items, size_t n,
			   struct group_row *out)
{
	for (size_t i = 0; i < n; i++) {
		if (i + AHEAD_OUT < n) {
			uint32_t r = listed_group(list,
					sort_item_row(&items[i + AHEAD_OUT]));

			__builtin_prefetch(&a->rows[r]);
			__builtin_prefetch(&a->rates[r]);
		}
		agg_out(a, listed_group(list, sort_item_row(&items[i])),
			&out[i]);
	}
}

/*
 * The groups without a key, in the order they came: their items were
 * stored from the end of the scratch space backwards, so items[n - 1]
 * is the first.
 */
static void agg_out_none(const struct group_agg *a, const uint32_t *list,
			 const struct sort_item *items, size_t n,
			 struct group_row *out)
{
	for (size_t i = 0; i < n; i++)
		agg_out(a, listed_group(list, sort_item_row(&items[n - 1 - i])),
			&out[i]);
}

/*
 * The n groups with traffic, items[0..n) (key hi, secondary key in lo's
 * upper half, each up to hmax and smax; the row in lo's lower half), in
 * order: most first unless reversed, equal keys in the rows' order; the
 * n items after them are the sort's scratch. Most first is ascending by
 * the distance from the maximum, which keeps the keys as narrow as they
 * are (sort_items then packs both into one word when they fit).
 */
static void sort_keyed(struct sort_item *items, size_t n, uint64_t hmax,
		       uint32_t smax, bool reverse)
{
	if (!reverse) {
		for (size_t i = 0; i < n; i++) {
			struct sort_item *it = &items[i];
			uint32_t sec = smax - (uint32_t)(it->lo >> 32);

			it->hi = hmax - it->hi;
			it->lo = (uint64_t)sec << 32 | (uint32_t)it->lo;
		}
	}
	sort_items(items, items + n, n);
}

int group_agg_sorted(const struct group_agg *a, const uint32_t *list,
		     size_t cnt, enum sort_key k, bool reverse,
		     struct group_row **rows)
{
	/* the caller's rows come from malloc, whatever the table's were */
	struct group_row *out = malloc((cnt ? cnt : 1) * sizeof(*out));

	if (!out)
		return -ENOMEM;
	if (cnt > 1 && sort_key_desc(k)) {
		struct sort_item *items = malloc(2 * cnt * sizeof(*items));
		/* groups with nothing to sort by (no traffic in the
		 * interval, for rates) go last (first reversed) in the order
		 * they came, as the sort would put them */
		uint64_t hmax = 0;
		uint32_t smax = 0;
		size_t nk = 0, nn = 0;

		if (!items) {
			free(out);
			return -ENOMEM;
		}
		for (size_t i = 0; i < cnt; i++) {
			uint32_t g = listed_group(list, (uint32_t)i);
			const struct agg_row *r = &a->rows[g];
			const struct agg_rates *t = &a->rates[g];
			struct sort_item *it;
			uint64_t hi;
			uint32_t sec = 0;

			if (k == SORT_RATE) {
				hi = rate_key(t->byte[0] + t->byte[1]);
				sec = (uint32_t)(rate_key(t->pkt[0] + t->pkt[1]) >> 4);
			} else if (k == SORT_BYTES) {
				hi = r->total.bytes[0] + r->total.bytes[1];
			} else {
				hi = r->total.packets[0] + r->total.packets[1];
			}
			/* keyed ones from the front of items, the others (no
			 * traffic: both keys 0) from the back of the sort's
			 * scratch half; the keys as they are for now */
			if (!hi && !sec) {
				it = &items[2 * cnt - 1 - nn++];
			} else {
				it = &items[nk++];
				hmax = hi > hmax ? hi : hmax;
				smax = sec > smax ? sec : smax;
			}
			it->hi = hi;
			it->lo = (uint64_t)sec << 32 | (uint32_t)i;
		}
		sort_keyed(items, nk, hmax, smax, reverse);
		if (reverse) {
			agg_out_none(a, list, items + 2 * cnt - nn, nn, out);
			agg_out_sorted(a, list, items, nk, out + nn);
		} else {
			agg_out_sorted(a, list, items, nk, out);
			agg_out_none(a, list, items + 2 * cnt - nn, nn,
				     out + nk);
		}
		free(items);
	} else {
		for (size_t i = 0; i < cnt; i++)
			agg_out(a, listed_group(list, (uint32_t)i), &out[i]);
		if (cnt > 1) {
			cmp_kind = a->spec.kind;
			cmp_rev = reverse;
			qsort(out, cnt, sizeof(*out), row_cmp);
		}
	}
	*rows = out;
	return 0;
}

int group_agg_finish(struct group_agg *a, enum sort_key k, bool reverse,
		     struct group_row **rows, size_t *n)
{
	int ret;

	if (agg_flush(a))
		return -ENOMEM;
	ret = group_agg_sorted(a, NULL, a->n, k, reverse, rows);
	if (ret)
		return ret;
	*n = a->n;
	/* empty again, keeping the table's memory for another pass */
	group_agg_reset(a, &a->spec);
	return 0;
}
