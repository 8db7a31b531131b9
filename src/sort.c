// SPDX-License-Identifier: GPL-2.0
/* Sort keys, radix sort and process rows for the view. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
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

/* the rate sort's (hi, sec) before any reversal */
static uint64_t rate_hi(const struct flow *f)
{
	return rate_key((double)f->byte_rate[0] + f->byte_rate[1]);
}

static uint32_t rate_sec(const struct flow *f)
{
	return (uint32_t)(rate_key((double)f->pkt_rate[0] + f->pkt_rate[1]) >> 4);
}

bool sort_key_quiet(enum sort_key k, const struct flow *f)
{
	return k == SORT_RATE && !rate_hi(f) && !rate_sec(f);
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
		hi = rate_hi(f);
		sec = rate_sec(f);
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

/* digits of the packed sort: 6 passes at most over 64 bits, 2048 counts */
#define PACK_DIGIT 11
#define PACK_PASSES ((64 + PACK_DIGIT - 1) / PACK_DIGIT)

/*
 * items[0..n) by hi alone, stable, hi of at most bits bits: wide digits,
 * since a key this narrow needs few passes, each digit every item has
 * alike skipped.
 */
static void sort_packed(struct sort_item *items, struct sort_item *tmp,
			size_t n, unsigned int bits)
{
	static _Thread_local size_t count[PACK_PASSES][1u << PACK_DIGIT];
	const uint64_t mask = (1u << PACK_DIGIT) - 1;
	unsigned int passes = (bits + PACK_DIGIT - 1) / PACK_DIGIT;
	struct sort_item *src = items, *dst = tmp, *sw;

	memset(count, 0, passes * sizeof(count[0]));
	for (size_t i = 0; i < n; i++)
		for (unsigned int d = 0; d < passes; d++)
			count[d][items[i].hi >> (d * PACK_DIGIT) & mask]++;
	for (unsigned int d = 0; d < passes; d++) {
		size_t *c = count[d], sum = 0;
		unsigned int sh = d * PACK_DIGIT;

		if (c[items[0].hi >> sh & mask] == n)
			continue;
		for (size_t b = 0; b <= mask; b++) {
			size_t v = c[b];

			c[b] = sum;
			sum += v;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[src[i].hi >> sh & mask]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != items)
		memcpy(items, src, n * sizeof(*items));
}

static unsigned int bit_width(uint64_t v)
{
	return v ? 64u - (unsigned int)__builtin_clzll(v) : 0;
}

/* items[0..n) by (hi, lo's upper half), bytewise: keys of any width */
static void sort_bytewise(struct sort_item *items, struct sort_item *tmp,
			  size_t n)
{
	static _Thread_local size_t count[16][256];
	struct sort_item *src = items, *dst = tmp, *t;
	unsigned int pos, b;
	size_t i;

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

void sort_items(struct sort_item *items, struct sort_item *tmp, size_t n)
{
	uint64_t hi_or = 0, hi_and = UINT64_MAX, hi_mask;
	uint32_t sec_or = 0, sec_and = UINT32_MAX, sec_mask;
	unsigned int hb, sb;

	if (n < 2)
		return;
	/*
	 * Only the bits below the highest one that differs between two keys
	 * order them (above it every key has the same bits: the leading
	 * ones of a complemented, largest-first key, say). When those of
	 * both keys fit in 64 bits together (the usual case for rates and
	 * counts) they are packed into hi and sorted as one word, in fewer
	 * and wider passes. lo is left as it is, so hi alone is put back
	 * afterwards, its constant bits from hi_and.
	 */
	for (size_t i = 0; i < n; i++) {
		uint32_t sec = (uint32_t)(items[i].lo >> 32);

		hi_or |= items[i].hi;
		hi_and &= items[i].hi;
		sec_or |= sec;
		sec_and &= sec;
	}
	hb = bit_width(hi_or ^ hi_and);
	sb = bit_width(sec_or ^ sec_and);
	if (hb + sb > 64) {
		sort_bytewise(items, tmp, n);
		return;
	}
	hi_mask = hb == 64 ? UINT64_MAX : (1ull << hb) - 1;
	sec_mask = sb == 32 ? UINT32_MAX : (1u << sb) - 1;
	for (size_t i = 0; i < n; i++)
		items[i].hi = (items[i].hi & hi_mask) << sb |
			      ((uint32_t)(items[i].lo >> 32) & sec_mask);
	sort_packed(items, tmp, n, hb + sb);
	for (size_t i = 0; i < n; i++)
		items[i].hi = (hi_and & ~hi_mask) | items[i].hi >> sb;
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
