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
			snprintf(err, errlen, "invalid group key '%.*s' in '%s': "
				 "use src, dst, host, net/0-32, net6/0-128, "
				 "country, asn, process, proto or port",
				 (int)(len > 64 ? 64 : len), p, s);
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

void group_key_of(const struct group_spec *s, const struct flow *f,
		  const struct flow_info *info, struct group_key *out)
{
	group_key_from(s, &f->key, info, out);
}

void group_key_from(const struct group_spec *s, const struct flow_key *k,
		    const struct flow_info *info, struct group_key *out)
{
	memset(out, 0, sizeof(*out));
	switch (s->kind) {
	case GROUP_SRC:
	case GROUP_HOST:
		out->family = k->family;
		memcpy(out->addr, k->src, sizeof(out->addr));
		break;
	case GROUP_DST:
		out->family = k->family;
		memcpy(out->addr, k->dst, sizeof(out->addr));
		break;
	case GROUP_NET:
		out->family = k->family;
		if (k->family == AF_INET6) {
			out->num = s->v6_prefix;
			mask_addr(out->addr, k->src, s->v6_prefix, 4);
		} else {
			out->num = s->v4_prefix;
			mask_addr(out->addr, k->src, s->v4_prefix, 1);
		}
		break;
	case GROUP_COUNTRY:
		if (info) {
			out->cc[0] = info->dst.geo.country_code[0];
			out->cc[1] = out->cc[0] ? info->dst.geo.country_code[1] : 0;
		}
		break;
	case GROUP_ASN:
		out->num = info ? info->dst.geo.asn : 0;
		break;
	case GROUP_PROCESS:
		out->num = info && info->proc.pid > 0 ? (uint32_t)info->proc.pid : 0;
		break;
	case GROUP_PROTO:
		out->proto = k->proto;
		break;
	case GROUP_PORT:
		out->proto = k->proto;
		if (has_ports(k->proto))
			out->num = ntohs(k->dport);
		break;
	default:
		break;
	}
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

/*
 * Slots hold the row index + 1 (0: empty) and the key's hash, so that a
 * probe compares keys only when the hashes agree.
 */
struct group_slot {
	uint32_t hash;
	uint32_t row;
};

struct group_agg {
	struct group_spec spec;
	struct group_row *rows;
	size_t n, cap;
	struct group_slot *slots;
	size_t nslots;		/* power of two, at most half full */
};

#define AGG_FIRST_SLOTS 1024

struct group_agg *group_agg_new(const struct group_spec *s)
{
	struct group_agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->spec = *s;
	return a;
}

void group_agg_free(struct group_agg *a)
{
	if (!a)
		return;
	free(a->rows);
	free(a->slots);
	free(a);
}

size_t group_agg_count(const struct group_agg *a)
{
	return a->n;
}

/* a 64-bit multiply-xorshift mix of the key's six words */
static uint32_t key_hash(const struct group_key *k)
{
	uint64_t w[3], h = 0x9e3779b97f4a7c15ull;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 3; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h >> 32);
}

_Static_assert(sizeof(struct group_key) == 24, "group_key: 3 words, no padding");

static int agg_grow(struct group_agg *a)
{
	size_t nslots = a->nslots ? a->nslots * 2 : AGG_FIRST_SLOTS;
	size_t mask = nslots - 1;
	struct group_slot *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < a->nslots; i++) {
		struct group_slot s = a->slots[i];
		size_t h;

		if (!s.row)
			continue;
		h = s.hash & mask;
		while (slots[h].row)
			h = (h + 1) & mask;
		slots[h] = s;
	}
	free(a->slots);
	a->slots = slots;
	a->nslots = nslots;
	return 0;
}

int group_agg_add_key(struct group_agg *a, const struct group_key *k,
		      const struct flow_counters *total,
		      const float pkt_rate[FLOW_DIR_COUNT],
		      const float byte_rate[FLOW_DIR_COUNT], uint32_t row)
{
	uint32_t hash = key_hash(k);
	struct group_row *r;
	size_t mask, h;

	if ((a->n + 1) * 2 > a->nslots && agg_grow(a))
		return -ENOMEM;
	mask = a->nslots - 1;
	h = hash & mask;
	for (;;) {
		struct group_slot *s = &a->slots[h];

		if (!s->row)
			break;
		if (s->hash == hash && group_key_eq(&a->rows[s->row - 1].key, k)) {
			r = &a->rows[s->row - 1];
			goto add;
		}
		h = (h + 1) & mask;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		struct group_row *nr = realloc(a->rows, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		a->rows = nr;
		a->cap = cap;
	}
	r = &a->rows[a->n++];
	memset(r, 0, sizeof(*r));
	r->key = *k;
	r->rep = row;
	a->slots[h].hash = hash;
	a->slots[h].row = (uint32_t)a->n;
add:
	r->flows++;
	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		r->total.packets[d] += total->packets[d];
		r->total.bytes[d] += total->bytes[d];
		r->pkt_rate[d] += pkt_rate[d];
		r->byte_rate[d] += byte_rate[d];
	}
	return 0;
}

int group_agg_add(struct group_agg *a, const struct flow *f,
		  const struct flow_info *info, uint32_t row)
{
	struct group_key k;

	group_key_of(&a->spec, f, info, &k);
	return group_agg_add_key(a, &k, &f->total, f->pkt_rate, f->byte_rate,
				 row);
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

static bool natural_desc(enum sort_key k)
{
	return k == SORT_RATE || k == SORT_BYTES || k == SORT_PACKETS;
}

/* rows reordered by the sorted items' row numbers (tmp: room for n rows) */
static void permute(struct group_row *rows, struct group_row *tmp,
		    const struct sort_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = rows[sort_item_row(&items[i])];
	memcpy(rows, tmp, n * sizeof(*rows));
}

int group_agg_finish(struct group_agg *a, enum sort_key k, bool reverse,
		     struct group_row **rows, size_t *n)
{
	size_t cnt = a->n;

	if (cnt > 1 && natural_desc(k)) {
		struct sort_item *items = malloc(2 * cnt * sizeof(*items));
		struct group_row *tmp = malloc(cnt * sizeof(*tmp));

		if (!items || !tmp) {
			free(items);
			free(tmp);
			return -ENOMEM;
		}
		for (size_t i = 0; i < cnt; i++) {
			const struct group_row *r = &a->rows[i];
			uint64_t hi;
			uint32_t sec = 0;

			if (k == SORT_RATE) {
				hi = rate_key(r->byte_rate[0] + r->byte_rate[1]);
				sec = (uint32_t)(rate_key(r->pkt_rate[0] +
							  r->pkt_rate[1]) >> 4);
			} else if (k == SORT_BYTES) {
				hi = r->total.bytes[0] + r->total.bytes[1];
			} else {
				hi = r->total.packets[0] + r->total.packets[1];
			}
			/* most first unless reversed */
			if (!reverse) {
				hi = ~hi;
				sec = ~sec;
			}
			items[i].hi = hi;
			items[i].lo = (uint64_t)sec << 32 | (uint32_t)i;
		}
		sort_items(items, items + cnt, cnt);
		permute(a->rows, tmp, items, cnt);
		free(items);
		free(tmp);
	} else if (cnt > 1) {
		cmp_kind = a->spec.kind;
		cmp_rev = reverse;
		qsort(a->rows, cnt, sizeof(*a->rows), row_cmp);
	}
	*rows = a->rows;
	*n = cnt;
	a->rows = NULL;
	a->n = a->cap = 0;
	if (a->slots)
		memset(a->slots, 0, a->nslots * sizeof(*a->slots));
	return 0;
}
