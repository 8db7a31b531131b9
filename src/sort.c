// SPDX-License-Identifier: GPL-2.0
/* Sort keys, radix sort, text filter and process rows for the view. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter.h"
#include "names.h"
#include "sort.h"

/*
 * The sort keys, in the order o/O cycles through them: the one list of
 * their names, aliases and directions (the view's column tables say which
 * columns each key sorts, ui_cols.c).
 */
static const struct sort_key_def {
	const char *name;
	const char *alias;	/* also taken by --sort, or NULL */
	/* natural order shows the largest value first (rates, totals; age:
	 * the oldest flow) */
	bool largest_first;
	/* the item key runs descending for that (age's key is the start
	 * time, which runs ascending for oldest first) */
	bool desc;
	bool needs_info;	/* reads the flow's enrichment */
} sort_keys[SORT_KEY_COUNT] = {
	[SORT_RATE] = { "rate", NULL, true, true, false },
	[SORT_BYTES] = { "bytes", NULL, true, true, false },
	[SORT_PACKETS] = { "packets", "pkts", true, true, false },
	[SORT_AGE] = { "age", NULL, true, false, false },
	[SORT_PROTO] = { "proto", NULL, false, false, false },
	[SORT_STATE] = { "state", NULL, false, false, false },
	[SORT_DEST] = { "destination", "dst", false, false, false },
	[SORT_PORT] = { "port", NULL, false, false, false },
	[SORT_PROCESS] = { "process", NULL, false, false, true },
	[SORT_COUNTRY] = { "country", NULL, false, false, true },
};

const char *sort_key_name(enum sort_key k)
{
	return (unsigned int)k < SORT_KEY_COUNT ? sort_keys[k].name : "?";
}

enum sort_key sort_key_next(enum sort_key k, int dir)
{
	int n = SORT_KEY_COUNT;

	return (enum sort_key)((((int)k + dir) % n + n) % n);
}

int sort_key_parse(const char *s, enum sort_key *k, bool *reverse)
{
	char sign = 0;

	if (!s)
		return -EINVAL;
	if (*s == '-' || *s == '+')
		sign = *s++;
	for (int i = 0; i < SORT_KEY_COUNT; i++) {
		const struct sort_key_def *d = &sort_keys[i];

		if (strcasecmp(s, d->name) &&
		    !(d->alias && !strcasecmp(s, d->alias)))
			continue;
		*k = (enum sort_key)i;
		*reverse = sign == '-' ? !d->largest_first :
			   sign == '+' ? d->largest_first : false;
		return 0;
	}
	return -EINVAL;
}

bool sort_key_needs_info(enum sort_key k)
{
	return (unsigned int)k < SORT_KEY_COUNT && sort_keys[k].needs_info;
}

bool sort_key_desc(enum sort_key k)
{
	return (unsigned int)k < SORT_KEY_COUNT && sort_keys[k].desc;
}

/* A rate as an integer that keeps its order (1/16 byte resolution). */
static uint64_t rate_key(double r)
{
	if (!(r > 0))
		return 0;
	if (r > 1e15)
		return (uint64_t)1e15 * 16;
	return (uint64_t)(r * 16.0);
}

/* First 8 bytes of s, lower case, as a big-endian number; "" sorts last. */
static uint64_t text_key(const char *s)
{
	uint64_t v = 0;
	int i;

	if (!s || !*s)
		return UINT64_MAX;
	for (i = 0; i < 8 && s[i]; i++)
		v |= (uint64_t)(unsigned char)tolower((unsigned char)s[i]) << (56 - 8 * i);
	return v;
}

static uint64_t be64_of(const uint32_t *words)
{
	return (uint64_t)ntohl(words[0]) << 32 | ntohl(words[1]);
}

void sort_item_fill(struct sort_item *it, enum sort_key k, bool reverse,
		    const struct flow *f, const struct flow_info *info,
		    uint32_t row)
{
	const struct flow_key *key = &f->key;
	uint64_t hi = 0;
	uint32_t sec = 0;	/* secondary key, same direction as hi */
	uint64_t start;

	switch (k) {
	case SORT_RATE:
		hi = rate_key((double)f->byte_rate[0] + f->byte_rate[1]);
		sec = (uint32_t)(rate_key((double)f->pkt_rate[0] + f->pkt_rate[1]) >> 4);
		break;
	case SORT_BYTES:
		hi = f->total.bytes[0] + f->total.bytes[1];
		break;
	case SORT_PACKETS:
		hi = f->total.packets[0] + f->total.packets[1];
		break;
	case SORT_AGE:
		start = f->start_ns ? f->start_ns : f->first_seen_ns;
		/* unknown start (0) is "youngest": after every known one */
		hi = start ? start : UINT64_MAX;
		break;
	case SORT_PROTO:
		hi = (uint64_t)key->proto << 8 | key->family;
		sec = f->state;
		break;
	case SORT_STATE:
		hi = f->state;
		sec = key->proto;
		break;
	case SORT_DEST:
		/* IPv4 (below 2^32) before IPv6 in practice */
		if (key->family == AF_INET) {
			hi = ntohl(key->dst[0]);
			sec = (uint32_t)ntohs(key->dport) << 16;
		} else {
			hi = be64_of(key->dst);
			sec = (uint32_t)ntohs(key->dport) << 16 |
			      (ntohl(key->dst[3]) & 0xffff);
		}
		break;
	case SORT_PORT:
		hi = ntohs(key->dport);
		sec = key->proto;
		break;
	case SORT_PROCESS:
		hi = text_key(info ? info->proc.comm : NULL);
		sec = info ? (uint32_t)info->proc.pid : 0;
		break;
	case SORT_COUNTRY:
		hi = text_key(info ? info->dst.geo.country_code : NULL);
		break;
	default:
		break;
	}
	if (sort_key_desc(k) != reverse) {
		hi = ~hi;
		sec = ~sec;
	}
	it->hi = hi;
	it->lo = (uint64_t)sec << 32 | row;
}

/* lo's low bytes, the row number: the input's own order */
#define SORT_ROW_BYTES 4

static inline unsigned int byte_at(const struct sort_item *it, unsigned int pos)
{
	/* positions 0-7: lo, least significant first (0-3: the row); 8-15: hi */
	return pos < 8 ? (unsigned int)(it->lo >> (8 * pos)) & 0xff
		       : (unsigned int)(it->hi >> (8 * (pos - 8))) & 0xff;
}

void sort_items(struct sort_item *items, struct sort_item *tmp, size_t n)
{
	static _Thread_local size_t count[16][256];
	struct sort_item *src = items, *dst = tmp, *t;
	unsigned int pos, b;
	size_t i;

	if (n < 2)
		return;
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		for (pos = SORT_ROW_BYTES; pos < 16; pos++)
			count[pos][byte_at(&items[i], pos)]++;
	/* the row bytes: already in order, and the passes are stable */
	for (pos = SORT_ROW_BYTES; pos < 16; pos++) {
		size_t sum = 0, c;

		/* every key has the same byte here: nothing to do */
		if (count[pos][byte_at(&items[0], pos)] == n)
			continue;
		for (b = 0; b < 256; b++) {
			c = count[pos][b];
			count[pos][b] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[pos][byte_at(&src[i], pos)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != items)
		memcpy(items, src, n * sizeof(*items));
}

/* a's key below b's (rows aside) */
static bool key_below(const struct sort_item *a, const struct sort_item *b)
{
	return a->hi != b->hi ? a->hi < b->hi : a->lo >> 32 < b->lo >> 32;
}

void sort_rows_with_common(struct sort_item *items, struct sort_item *tmp,
			   size_t n, const struct sort_item *common,
			   uint32_t *out, size_t nc)
{
	size_t lo = 0, hi = n, i;

	sort_items(items, tmp, n);
	/* the block goes after every item whose key is below common's */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_below(&items[mid], common))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(out + lo, out, nc * sizeof(*out));
	for (i = 0; i < lo; i++)
		out[i] = sort_item_row(&items[i]);
	for (i = lo; i < n; i++)
		out[nc + i] = sort_item_row(&items[i]);
}

/* --- text filter ------------------------------------------------------- */

static bool is_number(const char *w, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*w))
		return false;
	errno = 0;
	*v = strtoul(w, &end, 10);
	return !*end && !errno;
}

/*
 * A word of digits and dots lies in the text of an IPv4 address only with
 * its dots on the address's dots: its first part ends an octet's decimal,
 * the parts between equal octets, the last begins one (a word without a
 * dot lies inside one octet). So the address need not be written out,
 * which at a million flows is most of what the quick search costs.
 */
static void v4_word_parse(struct v4_word *vw, const char *w)
{
	const char *p = w;
	int n = 0;

	memset(vw, 0, sizeof(*vw));
	if (!*w || w[strspn(w, "0123456789.")])
		return;
	for (;;) {
		size_t len = strcspn(p, ".");

		if (n == 4 || len > 3) {
			vw->nparts = -1;	/* 4 dots, or 4 digits in a row */
			return;
		}
		vw->len[n] = (uint8_t)len;
		memcpy(vw->part[n], p, len);
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	vw->nparts = (int8_t)n;
}

static size_t octet_text(unsigned int o, char s[3])
{
	if (o >= 100) {
		s[0] = (char)('0' + o / 100);
		s[1] = (char)('0' + o / 10 % 10);
		s[2] = (char)('0' + o % 10);
		return 3;
	}
	if (o >= 10) {
		s[0] = (char)('0' + o / 10);
		s[1] = (char)('0' + o % 10);
		return 2;
	}
	s[0] = (char)('0' + o);
	return 1;
}

/* n bytes equal: a call to memcmp costs more than these 1-3 bytes */
static inline bool same(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Whether the dotted-quad text of a (network order) holds vw. */
static bool v4_text_has(const struct v4_word *vw, const uint32_t *a)
{
	const uint8_t *b = (const uint8_t *)a;
	int n = vw->nparts;

	if (n <= 0)
		return false;
	for (int i = 0; i + n <= 4; i++) {
		int j;

		for (j = 0; j < n; j++) {
			char s[3];
			size_t sl = octet_text(b[i + j], s), l = vw->len[j];
			const char *w = vw->part[j];

			if (n == 1) {
				bool in = false;

				for (size_t at = 0; !in && at + l <= sl; at++)
					in = same(s + at, w, l);
				if (!in)
					break;
			} else if (j == 0) {
				if (l > sl || !same(s + sl - l, w, l))
					break;
			} else if (j == n - 1) {
				if (l > sl || !same(s, w, l))
					break;
			} else if (l != sl || !same(s, w, l)) {
				break;
			}
		}
		if (j == n)
			return true;
	}
	return false;
}

void text_filter_parse(struct text_filter *tf, const char *s)
{
	memset(tf, 0, sizeof(*tf));
	while (s && *s) {
		size_t len = 0;
		char *w;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (tf->nwords == TEXT_FILTER_WORDS)
			break;
		w = tf->word[tf->nwords++];
		while (*s && !isspace((unsigned char)*s)) {
			if (len < TEXT_FILTER_WORD_MAX - 1)
				w[len++] = (char)tolower((unsigned char)*s);
			s++;
		}
		w[len] = '\0';
	}
	for (int i = 0; i < tf->nwords; i++) {
		unsigned long v;

		tf->num[i] = is_number(tf->word[i], &v) && v <= LONG_MAX ?
			     (long)v : -1;
		tf->colon[i] = strchr(tf->word[i], ':') != NULL;
		/* addresses are written with hex digits, dots, colons and,
		 * for IPv4 in IPv6, more digits and dots: nothing else */
		tf->not_addr[i] = tf->word[i][strspn(tf->word[i],
						     "0123456789abcdef.:")] != '\0';
		v4_word_parse(&tf->v4[i], tf->word[i]);
	}
}

/*
 * Whether word (lower case) occurs in field, ignoring case. The fields
 * are short (an address, a name): a plain scan beats strcasestr, whose
 * set-up per call cost more than the search itself at a million flows.
 */
/* ASCII case folding: the locale's tolower() is a call per byte */
static inline unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool has(const char *field, const char *word)
{
	unsigned char w0 = (unsigned char)word[0];

	if (!field || !*field)
		return false;
	if (!w0)
		return true;
	for (const char *p = field; *p; p++) {
		size_t i;

		/* digits, dots, colons (addresses): libc's vector search */
		if (w0 < 'a' || w0 > 'z') {
			p = strchr(p, w0);
			if (!p)
				return false;
		} else if (lower((unsigned char)*p) != w0) {
			continue;
		}
		for (i = 1; word[i]; i++)
			if (lower((unsigned char)p[i]) != (unsigned char)word[i])
				break;
		if (!word[i])
			return true;
	}
	return false;
}

static bool has_ports(uint8_t proto)
{
	return proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6;
}

static bool endpoint_match(const struct endpoint_info *e, const char *w)
{
	return has(e->host, w) || has(e->service, w) ||
	       has(e->geo.country_code, w) || has(e->geo.country, w) ||
	       has(e->geo.city, w) || has(e->geo.as_org, w);
}

/*
 * A flow's addresses as text, formatted once per flow and only when a
 * word needs them: the original ends, then the translated ones of a NAT'd
 * flow ("addr:port" forms only for words with a colon).
 */
struct flow_texts {
	bool addrs_done, eps_done;
	int naddrs, neps;
	char addr[4][INET6_ADDRSTRLEN];
	char ep[4][ENDPOINT_STRLEN];
};

static void add_addr(struct flow_texts *t, uint8_t family, const uint32_t *a)
{
	char *buf = t->addr[t->naddrs++];

	/* an unknown family formats as nothing, never as stale bytes */
	if (!format_addr(family, a, buf, INET6_ADDRSTRLEN))
		buf[0] = '\0';
}

static void texts_addrs(const struct flow *f, struct flow_texts *t)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	unsigned int nat = flow_nat(f);

	t->addrs_done = true;
	add_addr(t, k->family, k->src);
	add_addr(t, k->family, k->dst);
	/* without NAT the reply's addresses are these two again */
	if (nat & FLOW_NAT_SRC)
		add_addr(t, r->family, r->dst);
	if (nat & FLOW_NAT_DST)
		add_addr(t, r->family, r->src);
}

static void texts_eps(const struct flow *f, struct flow_texts *t)
{
	unsigned int nat = flow_nat(f);

	t->eps_done = true;
	format_endpoint(&f->key, false, t->ep[t->neps++], ENDPOINT_STRLEN);
	format_endpoint(&f->key, true, t->ep[t->neps++], ENDPOINT_STRLEN);
	if (nat & FLOW_NAT_SRC)
		flow_nat_endpoint(f, FLOW_NAT_SRC, t->ep[t->neps++],
				  ENDPOINT_STRLEN);
	if (nat & FLOW_NAT_DST)
		flow_nat_endpoint(f, FLOW_NAT_DST, t->ep[t->neps++],
				  ENDPOINT_STRLEN);
}

static bool word_match(const struct text_filter *tf, int wi,
		       const struct flow *f, const struct flow_info *info,
		       struct flow_texts *t)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	const char *w = tf->word[wi];
	char num[16];
	unsigned long v;
	int i;

	if (tf->num[wi] >= 0) {
		v = (unsigned long)tf->num[wi];
		/* the reply's ports: the translated ones of a NAT'd flow */
		if (has_ports(k->proto) &&
		    (v == ntohs(k->sport) || v == ntohs(k->dport) ||
		     v == ntohs(r->sport) || v == ntohs(r->dport)))
			return true;
		if (info && info->proc.pid > 0 && v == (unsigned long)info->proc.pid)
			return true;
	}
	if (has(proto_name(k->proto, num, sizeof(num)), w))
		return true;
	if (tf->v4[wi].nparts && k->family == AF_INET) {
		unsigned int nat;

		/* the addresses texts_addrs() would write, unwritten */
		if (v4_text_has(&tf->v4[wi], k->src) ||
		    v4_text_has(&tf->v4[wi], k->dst))
			return true;
		nat = flow_nat(f);
		if (((nat & FLOW_NAT_SRC) && v4_text_has(&tf->v4[wi], r->dst)) ||
		    ((nat & FLOW_NAT_DST) && v4_text_has(&tf->v4[wi], r->src)))
			return true;
	} else if (!tf->not_addr[wi]) {
		if (!t->addrs_done)
			texts_addrs(f, t);
		for (i = 0; i < t->naddrs; i++)
			if (has(t->addr[i], w))
				return true;
	}
	/* "192.0.2.2:22", "[2001:db8::2]:22": an end as the rows show it */
	if (tf->colon[wi]) {
		if (!t->eps_done)
			texts_eps(f, t);
		for (i = 0; i < t->neps; i++)
			if (has(t->ep[i], w))
				return true;
	}
	if (!info)
		return false;
	return endpoint_match(&info->src, w) || endpoint_match(&info->dst, w) ||
	       has(info->proc.comm, w) || has(info->proc.user, w);
}

bool text_filter_match(const struct text_filter *tf, const struct flow *f,
		       const struct flow_info *info)
{
	struct flow_texts t;
	int i;

	t.addrs_done = t.eps_done = false;
	t.naddrs = t.neps = 0;
	for (i = 0; i < tf->nwords; i++)
		if (!word_match(tf, i, f, info, &t))
			return false;
	return true;
}

bool flow_is_active(const struct flow *f)
{
	return f->pkt_rate[0] > 0 || f->pkt_rate[1] > 0 ||
	       f->byte_rate[0] > 0 || f->byte_rate[1] > 0;
}

/* --- processes ------------------------------------------------------- */

static const char *const psort_names[PSORT_COUNT] = {
	[PSORT_RATE] = "rate",
	[PSORT_BYTES] = "bytes",
	[PSORT_FLOWS] = "flows",
	[PSORT_PID] = "pid",
	[PSORT_NAME] = "name",
};

const char *proc_sort_name(enum proc_sort k)
{
	return (unsigned int)k < PSORT_COUNT ? psort_names[k] : "?";
}

enum proc_sort proc_sort_next(enum proc_sort k, int dir)
{
	int n = PSORT_COUNT;

	return (enum proc_sort)((((int)k + dir) % n + n) % n);
}

struct proc_agg {
	struct proc_row *rows;
	size_t n, cap;
	int32_t *slots;		/* open hash of row index + 1, 0 = empty */
	size_t nslots;		/* power of two */
};

struct proc_agg *proc_agg_new(void)
{
	return calloc(1, sizeof(struct proc_agg));
}

void proc_agg_free(struct proc_agg *a)
{
	if (!a)
		return;
	free(a->rows);
	free(a->slots);
	free(a);
}

static size_t pid_hash(int32_t pid, size_t mask)
{
	return ((uint32_t)pid * 2654435761u) & mask;
}

static int proc_agg_grow(struct proc_agg *a)
{
	size_t nslots = a->nslots ? a->nslots * 2 : 64, i, h;
	int32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < a->n; i++) {
		h = pid_hash(a->rows[i].pid, nslots - 1);
		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = (int32_t)i + 1;
	}
	free(a->slots);
	a->slots = slots;
	a->nslots = nslots;
	return 0;
}

int proc_agg_add(struct proc_agg *a, const struct flow *f,
		 const struct proc_info *p)
{
	int32_t pid = p && p->pid > 0 ? p->pid : 0;
	struct proc_row *row;
	size_t h;
	int d;

	if ((a->n + 1) * 2 > a->nslots && proc_agg_grow(a))
		return -ENOMEM;
	h = pid_hash(pid, a->nslots - 1);
	while (a->slots[h] && a->rows[a->slots[h] - 1].pid != pid)
		h = (h + 1) & (a->nslots - 1);
	if (!a->slots[h]) {
		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 32;
			struct proc_row *r = realloc(a->rows, cap * sizeof(*r));

			if (!r)
				return -ENOMEM;
			a->rows = r;
			a->cap = cap;
		}
		row = &a->rows[a->n];
		memset(row, 0, sizeof(*row));
		row->pid = pid;
		if (pid && p) {
			snprintf(row->comm, sizeof(row->comm), "%s", p->comm);
			snprintf(row->user, sizeof(row->user), "%s", p->user);
		}
		a->slots[h] = (int32_t)++a->n;
	}
	row = &a->rows[a->slots[h] - 1];
	row->flows++;
	for (d = 0; d < FLOW_DIR_COUNT; d++) {
		row->bytes[d] += f->total.bytes[d];
		row->rate[d] += f->byte_rate[d];
	}
	return 0;
}

static _Thread_local enum proc_sort psort_key;
static _Thread_local bool psort_rev;

static int cmp_num(double x, double y)
{
	return x < y ? -1 : x > y;
}

static int proc_cmp(const void *pa, const void *pb)
{
	const struct proc_row *a = pa, *b = pb;
	int c = 0;

	switch (psort_key) {
	case PSORT_RATE:
		c = -cmp_num(a->rate[0] + a->rate[1], b->rate[0] + b->rate[1]);
		break;
	case PSORT_BYTES:
		c = -cmp_num((double)(a->bytes[0] + a->bytes[1]),
			     (double)(b->bytes[0] + b->bytes[1]));
		break;
	case PSORT_FLOWS:
		c = -cmp_num(a->flows, b->flows);
		break;
	case PSORT_PID:
		c = cmp_num(a->pid, b->pid);
		break;
	case PSORT_NAME:
		/* the unknown-process row (no name) last */
		if (!*a->comm != !*b->comm)
			c = !*a->comm ? 1 : -1;
		else
			c = strcasecmp(a->comm, b->comm);
		break;
	default:
		break;
	}
	if (psort_rev)
		c = -c;
	if (!c)
		c = cmp_num(a->pid, b->pid);
	return c;
}

int proc_agg_finish(struct proc_agg *a, enum proc_sort k, bool reverse,
		    struct proc_row **rows, size_t *n)
{
	psort_key = k;
	psort_rev = reverse;
	if (a->n > 1)
		qsort(a->rows, a->n, sizeof(*a->rows), proc_cmp);
	*rows = a->rows;
	*n = a->n;
	a->rows = NULL;
	a->n = a->cap = 0;
	free(a->slots);
	a->slots = NULL;
	a->nslots = 0;
	return 0;
}
