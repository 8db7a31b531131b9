// SPDX-License-Identifier: GPL-2.0
/*
 * Filter expressions (filter_expr.h), the parser: a recursive descent
 * over the tokens of filter_expr_lex.c that builds a tree in one array
 * for filter_expr_eval.c.
 *
 *   expr    = and { ("or" | "||") and }
 *   and     = unary { ["and" | "&&"] unary }	(adjacent terms: and)
 *   unary   = ("not" | "!") unary | "(" expr ")" | term
 *   term    = ["src" | "dst"] ["net" | "host"] ADDRESS[/LEN]
 *           | ["src" | "dst"] ("port" | "country" | "asn" | "name") value
 *           | "host" | "net" ADDRESS[/LEN]
 *           | "proto" NAME | "state" NAME | "family" 4|6
 *           | NUMFIELD [OP] VALUE | NUMFIELD VALUE-VALUE
 *           | STRFIELD [= | !=] TEXT
 *           | WORD | "QUOTED WORDS"	(quick text search)
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "filter_expr_internal.h"
#include "filter_text.h"
#include "names.h"
#include "util.h"

/* --- nodes ------------------------------------------------------------ */

static int new_node(struct parser *p, enum node_type type)
{
	struct filter_expr *e = p->e;
	struct node *nd;

	if (p->ret)
		return -1;
	if (e->n == MAX_NODES) {
		tok_error(p, "expression too long (more than %d terms)",
			  MAX_NODES / 2);
		return -1;
	}
	if (grow_array((void **)&e->nodes, &e->cap, e->n + 1, sizeof(*e->nodes),
		       16)) {
		p->ret = -ENOMEM;
		return -1;
	}
	nd = &e->nodes[e->n];
	memset(nd, 0, sizeof(*nd));
	nd->type = (uint8_t)type;
	return (int)e->n++;
}

static int new_op(struct parser *p, enum node_type type, int a, int b)
{
	int i;

	if (a < 0 || (type != N_NOT && b < 0))
		return -1;
	i = new_node(p, type);
	if (i < 0)
		return -1;
	p->e->nodes[i].a = (uint16_t)a;
	p->e->nodes[i].b = (uint16_t)(b < 0 ? 0 : b);
	return i;
}

/* --- terms ------------------------------------------------------------ */

static int num_node(struct parser *p, enum field f, enum side side,
		    double lo, bool lo_open, double hi, bool hi_open)
{
	int i = new_node(p, N_NUM);

	if (i < 0)
		return -1;
	p->e->nodes[i].field = (uint8_t)f;
	p->e->nodes[i].side = (uint8_t)side;
	p->e->nodes[i].v.num.lo = lo;
	p->e->nodes[i].v.num.hi = hi;
	p->e->nodes[i].flag = lo_open;
	p->e->nodes[i].flag2 = hi_open;
	return i;
}

/* "field = port" for each port a service name stands for, or'ed */
static int ports_node(struct parser *p, enum field f, enum side side,
		      const uint16_t *ports, size_t n)
{
	int r = -1;

	for (size_t k = 0; k < n; k++) {
		int t = num_node(p, f, side, ports[k], false, ports[k], false);

		r = k ? new_op(p, N_OR, r, t) : t;
	}
	return r;
}

static int numeric_term(struct parser *p, const struct field_def *fd,
			enum side side)
{
	uint16_t ports[MAX_SVC_PORTS];
	size_t nports = 0, vlen;
	const char *why = NULL, *dash;
	bool has_op = false;
	enum cmp op = C_EQ;
	double a, b;
	int r;

	fx_next(p);
	if (p->tok.type == T_CMP) {
		has_op = true;
		op = p->tok.cmp;
		fx_next(p);
	}
	if (p->tok.type != T_WORD) {
		tok_error(p, "'%s' needs a value, e.g. %s", fd->name,
			  fd->kind == V_PORT ? "port 443, port 1024-65535, port ssh" :
			  fd->kind == V_SIZE ? "bytes > 1M" :
			  fd->kind == V_RATE ? "rate > 100k" :
			  fd->kind == V_TIME ? "age < 5s" : "mark 0x10");
		return -1;
	}
	vlen = strlen(p->tok.text);
	if (fx_parse_value(p, fd, p->tok.text, vlen, &a, ports, &nports, &why)) {
		if (nports) {
			if (has_op && op != C_EQ && op != C_NE) {
				if (nports > 1) {
					tok_error(p, "service name stands for %zu ports: "
						  "compare with a number", nports);
					return -1;
				}
				a = ports[0];
				nports = 0;
			}
		}
		b = a;
	} else if (!has_op && fd->kind != V_TEXT &&
		   (dash = strchr(p->tok.text + 1, '-'))) {
		/* a range "LO-HI", both ends included */
		size_t l1 = (size_t)(dash - p->tok.text);
		const char *why2 = NULL;

		if (!fx_parse_value(p, fd, p->tok.text, l1, &a, NULL, NULL, &why2) ||
		    !fx_parse_value(p, fd, dash + 1, vlen - l1 - 1, &b, NULL, NULL,
				    &why2)) {
			tok_error(p, "%s: not a value or range for '%s'", why2,
				  fd->name);
			return -1;
		}
		if (a > b) {
			tok_error(p, "range goes down: write the smaller end first");
			return -1;
		}
		has_op = true;
		op = C_EQ;	/* the interval [a, b] */
	} else {
		tok_error(p, "%s for '%s'", why, fd->name);
		return -1;
	}
	fx_next(p);
	if (nports) {
		r = ports_node(p, fd->field, side, ports, nports);
	} else {
		switch (op) {
		case C_EQ:
		case C_NE:
			r = num_node(p, fd->field, side, a, false, b, false);
			break;
		case C_LT:
			r = num_node(p, fd->field, side, -INFINITY, false, a, true);
			break;
		case C_LE:
			r = num_node(p, fd->field, side, -INFINITY, false, a, false);
			break;
		case C_GT:
			r = num_node(p, fd->field, side, a, true, INFINITY, false);
			break;
		case C_GE:
		default:
			r = num_node(p, fd->field, side, a, false, INFINITY, false);
			break;
		}
	}
	/* "port != 80": not (port = 80), whichever of its ports */
	if (op == C_NE)
		r = new_op(p, N_NOT, r, -1);
	p->e->needs |= fd->needs;
	return r;
}

static int text_term(struct parser *p, const struct field_def *fd,
		     enum side side)
{
	bool neg = false;
	int i;

	fx_next(p);
	if (p->tok.type == T_CMP) {
		if (p->tok.cmp != C_EQ && p->tok.cmp != C_NE) {
			tok_error(p, "'%s' is a name: compare with = or !=",
				  fd->name);
			return -1;
		}
		neg = p->tok.cmp == C_NE;
		fx_next(p);
	}
	if (p->tok.type != T_WORD || !p->tok.text[0]) {
		tok_error(p, "'%s' needs a name, e.g. %s", fd->name,
			  fd->field == F_PROCESS ? "process sshd" :
			  fd->field == F_USER ? "user www-data" :
			  fd->field == F_COUNTRY ? "country DE" :
			  "name example.com");
		return -1;
	}
	i = new_node(p, N_STR);
	if (i < 0)
		return -1;
	p->e->nodes[i].field = (uint8_t)fd->field;
	p->e->nodes[i].side = (uint8_t)side;
	p->e->nodes[i].flag = strpbrk(p->tok.text, "*?[") != NULL;
	p->e->nodes[i].v.pat = strdup(p->tok.text);
	if (!p->e->nodes[i].v.pat) {
		p->ret = -ENOMEM;
		return -1;
	}
	fx_next(p);
	p->e->needs |= fd->needs;
	return neg ? new_op(p, N_NOT, i, -1) : i;
}

static void mask_of(uint8_t family, unsigned int plen, uint32_t mask[4])
{
	unsigned int words = family == AF_INET ? 1 : 4;

	memset(mask, 0, 4 * sizeof(*mask));
	for (unsigned int w = 0; w < words; w++) {
		unsigned int bits = plen > 32 * w ? plen - 32 * w : 0;

		if (bits > 32)
			bits = 32;
		mask[w] = htonl(bits ? (uint32_t)(0xffffffffull << (32 - bits)) : 0);
	}
}

static int net_term(struct parser *p, enum side side)
{
	char buf[WORD_MAX];
	unsigned char a[16];
	uint8_t family;
	unsigned long plen;
	char *slash, *end;
	int i;

	if (p->tok.type != T_WORD || p->tok.quoted) {
		tok_error(p, "'%s' needs an address or network, e.g. "
			  "192.0.2.1, 192.0.2.0/24 or 2001:db8::/32",
			  p->prev.type == T_WORD ? p->prev.text : "src");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", p->tok.text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, a) == 1) {
		family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, a) == 1) {
		family = AF_INET6;
	} else {
		tok_error(p, "not an address or network (e.g. 192.0.2.1, "
			  "192.0.2.0/24, 2001:db8::/32)");
		return -1;
	}
	plen = family == AF_INET ? 32 : 128;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]) ||
		    (errno = 0, plen = strtoul(slash + 1, &end, 10), *end) ||
		    errno || plen > (family == AF_INET ? 32ul : 128ul) ||
		    strlen(slash + 1) > 3) {
			tok_error(p, "bad prefix length: /0 to /%d for %s",
				  family == AF_INET ? 32 : 128,
				  family == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
	}
	i = new_node(p, N_NET);
	if (i < 0)
		return -1;
	{
		struct node *nd = &p->e->nodes[i];

		nd->side = (uint8_t)side;
		nd->v.net.family = family;
		memset(nd->v.net.addr, 0, sizeof(nd->v.net.addr));
		memcpy(nd->v.net.addr, a, family == AF_INET ? 4 : 16);
		mask_of(family, (unsigned int)plen, nd->v.net.mask);
		for (int w = 0; w < 4; w++)
			nd->v.net.addr[w] &= nd->v.net.mask[w];
	}
	fx_next(p);
	p->e->needs |= FILTER_NEEDS_FLOW;
	return i;
}

static int proto_term(struct parser *p)
{
	char num[16];
	bool any = false;
	int i;

	fx_next(p);
	if (p->tok.type != T_WORD) {
		tok_error(p, "'proto' needs a protocol: tcp, udp, udplite, "
			  "dccp, sctp, icmp, icmpv6 or a number");
		return -1;
	}
	i = new_node(p, N_PROTO);
	if (i < 0)
		return -1;
	if (fx_decimal_len(p->tok.text) == strlen(p->tok.text) &&
	    !strchr(p->tok.text, '.') && strlen(p->tok.text) <= 3 &&
	    atoi(p->tok.text) < 256) {
		unsigned int pr = (unsigned int)atoi(p->tok.text);

		p->e->nodes[i].v.protos[pr / 32] |= 1u << (pr % 32);
		any = true;
	}
	/* names as the flows show them */
	for (unsigned int pr = 0; pr < 256; pr++) {
		const char *name = proto_name((uint8_t)pr, num, sizeof(num));

		if (!strcasecmp(name, p->tok.text) ||
		    (pr == IPPROTO_ICMPV6 && (!strcasecmp(p->tok.text, "icmp6") ||
					      !strcasecmp(p->tok.text, "ipv6-icmp")))) {
			p->e->nodes[i].v.protos[pr / 32] |= 1u << (pr % 32);
			any = true;
		}
	}
	if (!any) {
		tok_error(p, "unknown protocol: tcp, udp, udplite, dccp, sctp, "
			  "icmp, icmpv6 or a number 0-255");
		return -1;
	}
	fx_next(p);
	p->e->needs |= FILTER_NEEDS_FLOW;
	return i;
}

static int state_term(struct parser *p)
{
	static const uint8_t protos[3] = { IPPROTO_TCP, IPPROTO_SCTP, IPPROTO_DCCP };
	bool any = false;
	int i;

	fx_next(p);
	if (p->tok.type != T_WORD) {
		tok_error(p, "'state' needs a state name, e.g. established, "
			  "syn_sent, time_wait");
		return -1;
	}
	i = new_node(p, N_STATE);
	if (i < 0)
		return -1;
	for (int k = 0; k < 3; k++)
		for (unsigned int st = 0; st < 32; st++) {
			const char *name = flow_state_name(protos[k], (uint8_t)st);

			if (name && !strcasecmp(name, p->tok.text)) {
				p->e->nodes[i].v.states[k] |= 1u << st;
				any = true;
			}
		}
	if (!any) {
		tok_error(p, "unknown state: a TCP, SCTP or DCCP state such as "
			  "established, syn_sent, fin_wait, time_wait, close");
		return -1;
	}
	fx_next(p);
	p->e->needs |= FILTER_NEEDS_FLOW;
	return i;
}

static int family_term(struct parser *p)
{
	const char *w;
	int i;

	fx_next(p);
	w = p->tok.text;
	if (p->tok.type != T_WORD ||
	    (strcasecmp(w, "4") && strcasecmp(w, "6") && strcasecmp(w, "ipv4") &&
	     strcasecmp(w, "ipv6") && strcasecmp(w, "inet") &&
	     strcasecmp(w, "inet6"))) {
		tok_error(p, "'family' takes 4, 6, ipv4 or ipv6");
		return -1;
	}
	i = new_node(p, N_FAMILY);
	if (i < 0)
		return -1;
	p->e->nodes[i].v.family = strchr(w, '6') ? AF_INET6 : AF_INET;
	fx_next(p);
	p->e->needs |= FILTER_NEEDS_FLOW;
	return i;
}

static int text_search(struct parser *p)
{
	int i = new_node(p, N_TEXT);
	struct text_filter *tf;

	if (i < 0)
		return -1;
	tf = malloc(sizeof(*tf));
	if (!tf) {
		p->ret = -ENOMEM;
		return -1;
	}
	text_filter_parse(tf, p->tok.text);
	p->e->nodes[i].v.tf = tf;
	fx_next(p);
	p->e->needs |= FILTER_NEEDS_FLOW | FILTER_NEEDS_INFO;
	return i;
}

static bool is_kw(const struct token *t, const char *kw)
{
	return t->type == T_WORD && !t->quoted && !strcasecmp(t->text, kw);
}

static int term(struct parser *p)
{
	const struct field_def *fd;
	enum side side;

	if (p->tok.quoted)
		return text_search(p);
	if (is_kw(&p->tok, "src") || is_kw(&p->tok, "dst")) {
		side = is_kw(&p->tok, "src") ? SIDE_SRC : SIDE_DST;
		fx_next(p);
		if (is_kw(&p->tok, "net") || is_kw(&p->tok, "host")) {
			fx_next(p);
			return net_term(p, side);
		}
		if (is_kw(&p->tok, "port"))
			return numeric_term(p, fx_field_def(side == SIDE_SRC ?
						F_SPORT : F_DPORT), SIDE_ANY);
		if (is_kw(&p->tok, "asn"))
			return numeric_term(p, fx_field_def(F_ASN), side);
		if (is_kw(&p->tok, "country") || is_kw(&p->tok, "name"))
			return text_term(p, fx_find_field(p->tok.text), side);
		return net_term(p, side);
	}
	if (is_kw(&p->tok, "host") || is_kw(&p->tok, "net")) {
		fx_next(p);
		return net_term(p, SIDE_ANY);
	}
	if (is_kw(&p->tok, "proto"))
		return proto_term(p);
	if (is_kw(&p->tok, "state"))
		return state_term(p);
	if (is_kw(&p->tok, "family"))
		return family_term(p);
	fd = fx_find_field(p->tok.text);
	if (fd)
		return fd->kind == V_TEXT ? text_term(p, fd, SIDE_ANY) :
					    numeric_term(p, fd, SIDE_ANY);
	/* "foo > 3": a comparison needs a field, and foo is none */
	{
		size_t save = p->pos;
		struct token cur = p->tok, prev = p->prev;

		fx_next(p);
		if (p->tok.type == T_CMP) {
			p->tok = cur;
			tok_error(p, "unknown field (fields: port, bytes, rate, "
				  "pps, age, zone, mark, pid, asn, ...; see "
				  "flowtop(8))");
			return -1;
		}
		p->pos = save;
		p->tok = cur;
		p->prev = prev;
	}
	if (fx_typo_of(p->tok.text)) {
		tok_error(p, "unknown word: did you mean '%s'? (to search for "
			  "the text, quote it: \"%s\")", fx_typo_of(p->tok.text),
			  p->tok.text);
		return -1;
	}
	return text_search(p);
}

static int parse_or(struct parser *p);

static int unary(struct parser *p)
{
	int r;

	switch (p->tok.type) {
	case T_NOT:
	case T_LPAREN:
		if (++p->depth > FILTER_EXPR_DEPTH) {
			tok_error(p, "nested more than %d deep", FILTER_EXPR_DEPTH);
			return -1;
		}
		if (p->tok.type == T_NOT) {
			fx_next(p);
			r = new_op(p, N_NOT, unary(p), -1);
		} else {
			struct token open = p->tok;

			fx_next(p);
			r = parse_or(p);
			if (r >= 0 && p->tok.type != T_RPAREN) {
				if (p->tok.type == T_END)
					fx_set_error(p, open.pos, "(", 1,
						     "this '(' is never closed");
				else
					tok_error(p, "expected ')' or 'and'/'or' here");
				return -1;
			}
			fx_next(p);
		}
		p->depth--;
		return r;
	case T_WORD:
		return term(p);
	case T_RPAREN:
		tok_error(p, "')' without a '(' before it");
		return -1;
	case T_AND:
	case T_OR:
		tok_error(p, "'%s' needs a term before and after it",
			  p->tok.type == T_AND ? "and" : "or");
		return -1;
	case T_CMP:
		tok_error(p, "a comparison needs a field before it, e.g. bytes > 1M");
		return -1;
	case T_END:
	default:
		if (p->prev.type == T_AND || p->prev.type == T_OR ||
		    p->prev.type == T_NOT)
			fx_set_error(p, p->prev.pos, p->text + p->prev.pos,
				     p->prev.len, "nothing after it");
		else
			tok_error(p, "the expression ends too early");
		return -1;
	}
}

static int parse_and(struct parser *p)
{
	int r = unary(p);

	while (r >= 0) {
		if (p->tok.type == T_AND)
			fx_next(p);
		else if (p->tok.type != T_WORD && p->tok.type != T_NOT &&
			 p->tok.type != T_LPAREN)
			break;
		/* two terms side by side: both must hold */
		r = new_op(p, N_AND, r, unary(p));
	}
	return r;
}

static int parse_or(struct parser *p)
{
	int r = parse_and(p);

	while (r >= 0 && p->tok.type == T_OR) {
		fx_next(p);
		r = new_op(p, N_OR, r, parse_and(p));
	}
	return r;
}

void filter_expr_free(struct filter_expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++) {
		if (e->nodes[i].type == N_STR)
			free(e->nodes[i].v.pat);
		else if (e->nodes[i].type == N_TEXT)
			free(e->nodes[i].v.tf);
	}
	free(e->nodes);
	free(e);
}

int filter_expr_compile(const char *text, const struct services *svc,
			struct filter_expr **out, struct filter_error *err)
{
	struct parser p;
	size_t len;
	int r;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (!text)
		return 0;
	len = strnlen(text, FILTER_EXPR_MAX + 1);
	memset(&p, 0, sizeof(p));
	p.text = text;
	p.len = len;
	p.err = err;
	p.svc = svc;
	if (len > FILTER_EXPR_MAX) {
		fx_set_error(&p, FILTER_EXPR_MAX, NULL, 0,
			     "expression longer than %d bytes", FILTER_EXPR_MAX);
		return -EINVAL;
	}
	fx_next(&p);
	if (p.tok.type == T_END && !p.ret)
		return 0;	/* blank: every flow */
	p.e = calloc(1, sizeof(*p.e));
	if (!p.e)
		return -ENOMEM;
	r = parse_or(&p);
	if (r >= 0 && p.tok.type != T_END)
		tok_error(&p, p.tok.type == T_RPAREN ?
			  "')' without a '(' before it" :
			  p.tok.type == T_CMP ?
			  "a comparison needs a field before it, e.g. bytes > 1M" :
			  "unexpected here");
	if (p.ret || r < 0) {
		filter_expr_free(p.e);
		if (!p.ret)
			p.ret = -EINVAL;
		return p.ret;
	}
	p.e->root = (uint16_t)r;
	*out = p.e;
	return 0;
}

void filter_error_format(const struct filter_error *err, char *buf,
			 size_t len)
{
	if (!len)
		return;
	if (!err || !err->pos)
		snprintf(buf, len, "%s", err && err->msg[0] ? err->msg :
			 "not a filter expression");
	else if (err->word[0])
		snprintf(buf, len, "at %zu, '%s': %s", err->pos, err->word,
			 err->msg);
	else
		snprintf(buf, len, "at %zu (the end): %s", err->pos, err->msg);
}

unsigned int filter_expr_needs(const struct filter_expr *e)
{
	return e ? e->needs : 0;
}

bool filter_expr_fixed(const struct filter_expr *e)
{
	for (size_t i = 0; e && i < e->n; i++) {
		const struct node *nd = &e->nodes[i];

		switch (nd->type) {
		case N_AND:
		case N_OR:
		case N_NOT:
		case N_NET:
		case N_PROTO:
		case N_FAMILY:
			break;
		case N_NUM:
			if (nd->field != F_PORT && nd->field != F_SPORT &&
			    nd->field != F_DPORT && nd->field != F_ZONE)
				return false;
			break;
		default:
			/* state, enrichment, bare words */
			return false;
		}
	}
	return true;
}
