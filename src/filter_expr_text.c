// SPDX-License-Identifier: GPL-2.0
/* The quick text search of filter expressions (filter_text.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter_text.h"
#include "names.h"

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
 * which at a million flows is most of what the quick search costs: each
 * part becomes the set of the 256 octets it fits, once per word, and a
 * flow's address is then tried with a bit test per octet.
 */
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

/* whether part j of n parts (l bytes at w) fits the octet o's decimal */
static bool part_fits(const char *w, size_t l, int j, int n, unsigned int o)
{
	char s[3];
	size_t sl = octet_text(o, s);

	if (l > sl)
		return false;
	if (n == 1) {
		for (size_t at = 0; at + l <= sl; at++)
			if (!memcmp(s + at, w, l))
				return true;
		return false;
	}
	if (j == 0)
		return !memcmp(s + sl - l, w, l);	/* ends the octet */
	if (j == n - 1)
		return !memcmp(s, w, l);		/* begins it */
	return l == sl && !memcmp(s, w, l);		/* is it */
}

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
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	vw->nparts = (int8_t)n;
	p = w;
	for (int j = 0; j < n; j++) {
		size_t len = strcspn(p, ".");

		for (unsigned int o = 0; o < 256; o++)
			if (part_fits(p, len, j, n, o))
				vw->fits[o] |= (uint8_t)(1u << j);
		p += len + 1;
	}
	/* at octet i: part j on octet i + j */
	for (int i = 0; i + n <= 4; i++)
		for (int j = 0; j < n; j++)
			vw->need[i] |= (uint16_t)(1u << (4 * (i + j) + j));
}

/* Whether the dotted-quad text of a (network order) holds vw. */
static inline bool v4_text_has(const struct v4_word *vw, const uint32_t *a)
{
	const uint8_t *b = (const uint8_t *)a;
	unsigned int fit = vw->fits[b[0]] | vw->fits[b[1]] << 4 |
			   vw->fits[b[2]] << 8 | (unsigned int)vw->fits[b[3]] << 12;

	for (int i = 0; i + vw->nparts <= 4; i++)
		if ((fit & vw->need[i]) == vw->need[i])
			return true;
	return false;
}

static bool has(const char *field, const char *word);

/* the protocols whose name, as the rows write it, holds word */
static void protos_of(const char *word, uint64_t set[4])
{
	char num[16];

	for (unsigned int pr = 0; pr < 256; pr++)
		if (has(proto_name((uint8_t)pr, num, sizeof(num)), word))
			set[pr / 64] |= 1ull << (pr % 64);
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
		protos_of(tf->word[i], tf->protos[i]);
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

static inline bool proto_in(const uint64_t set[4], uint8_t proto)
{
	return (set[proto / 64] >> (proto % 64)) & 1;
}

/*
 * The addresses texts_addrs() would write, unwritten, for a word of
 * digits and dots on an IPv4 flow. A translated address is tried only
 * where it differs from the original one, as texts_addrs() writes it
 * only for a NAT'd side: where it does not differ, it holds the word
 * exactly when the original does, so the ports flow_nat() also looks at
 * change nothing here.
 */
static inline bool v4_flow_has(const struct v4_word *vw, const struct flow *f)
{
	const struct flow_key *k = &f->key, *r = &f->reply;

	if (vw->nparts < 0)
		return false;
	if (v4_text_has(vw, k->src) || v4_text_has(vw, k->dst))
		return true;
	if (!r->family)
		return false;	/* no reply tuple: no translated ends */
	return (r->dst[0] != k->src[0] && v4_text_has(vw, r->dst)) ||
	       (r->src[0] != k->dst[0] && v4_text_has(vw, r->src));
}

static inline bool word_match(const struct text_filter *tf, int wi,
		       const struct flow *f, const struct flow_info *info,
		       struct flow_texts *t)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	const char *w = tf->word[wi];
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
	if (proto_in(tf->protos[wi], k->proto))
		return true;
	if (k->family == AF_INET) {
		/* a dotted quad holds digits and dots only: other words
		 * are in no IPv4 address */
		if (tf->v4[wi].nparts && v4_flow_has(&tf->v4[wi], f))
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

