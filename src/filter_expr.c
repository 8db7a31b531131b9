// SPDX-License-Identifier: GPL-2.0
/*
 * Filter expressions (filter_expr.h): a tokenizer, a recursive descent
 * parser that builds a tree in one array, and an evaluator with a third
 * answer, "the enrichment decides", so that callers look up names and
 * processes only for the flows the other terms leave open.
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
#include <fnmatch.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "filter_expr.h"
#include "filter_text.h"
#include "format.h"
#include "sanitize.h"
#include "services.h"

#include "util.h"

#define MAX_NODES 1024		/* bounds the evaluator's recursion too */
#define MAX_SVC_PORTS 16	/* ports one service name may stand for */
#define WORD_MAX 256

enum node_type {
	N_AND,
	N_OR,
	N_NOT,
	N_NET,		/* an address of the given side in a prefix */
	N_NUM,		/* a numeric field in an interval */
	N_PROTO,	/* protocol in a set */
	N_STATE,	/* conntrack state in a set */
	N_FAMILY,
	N_STR,		/* an enrichment text field */
	N_TEXT,		/* bare word: the quick text search */
};

enum side { SIDE_ANY, SIDE_SRC, SIDE_DST };

enum field {
	F_NONE,
	F_PORT, F_SPORT, F_DPORT,
	F_BYTES, F_OBYTES, F_RBYTES,
	F_PKTS, F_OPKTS, F_RPKTS,
	F_RATE, F_ORATE, F_RRATE,
	F_PPS, F_OPPS, F_RPPS,
	F_AGE, F_ZONE, F_MARK, F_ID,
	F_PID, F_ASN,
	F_PROCESS, F_USER, F_COUNTRY, F_NAME,
};

/* How a field's values are written. */
enum value_kind {
	V_INT,		/* whole number, decimal or 0x hex */
	V_PORT,		/* 0-65535 or a service name */
	V_ASN,		/* whole number, "AS" prefix allowed */
	V_SIZE,		/* number with k/M/G/T (1000) or Ki/Mi/... (1024) */
	V_RATE,		/* a size per second */
	V_TIME,		/* seconds, or ms/s/m/h/d */
	V_TEXT,		/* a name or a glob pattern */
};

struct field_def {
	const char *name;
	enum field field;
	enum value_kind kind;
	double max;		/* largest value for V_INT / V_PORT / V_ASN */
	unsigned int needs;	/* FILTER_NEEDS_* */
};

#define NF FILTER_NEEDS_FLOW
#define NI FILTER_NEEDS_INFO

static const struct field_def fields[] = {
	{ "port", F_PORT, V_PORT, 65535, NF },
	{ "sport", F_SPORT, V_PORT, 65535, NF },
	{ "dport", F_DPORT, V_PORT, 65535, NF },
	{ "bytes", F_BYTES, V_SIZE, 0, 0 },
	{ "orig_bytes", F_OBYTES, V_SIZE, 0, 0 },
	{ "reply_bytes", F_RBYTES, V_SIZE, 0, 0 },
	{ "packets", F_PKTS, V_SIZE, 0, 0 },
	{ "pkts", F_PKTS, V_SIZE, 0, 0 },
	{ "orig_packets", F_OPKTS, V_SIZE, 0, 0 },
	{ "reply_packets", F_RPKTS, V_SIZE, 0, 0 },
	{ "rate", F_RATE, V_RATE, 0, 0 },
	{ "orig_rate", F_ORATE, V_RATE, 0, 0 },
	{ "reply_rate", F_RRATE, V_RATE, 0, 0 },
	{ "pps", F_PPS, V_RATE, 0, 0 },
	{ "orig_pps", F_OPPS, V_RATE, 0, 0 },
	{ "reply_pps", F_RPPS, V_RATE, 0, 0 },
	{ "age", F_AGE, V_TIME, 0, NF },
	{ "zone", F_ZONE, V_INT, 65535, NF },
	{ "mark", F_MARK, V_INT, 4294967295.0, NF },
	{ "id", F_ID, V_INT, 4294967295.0, NF },
	{ "pid", F_PID, V_INT, 2147483647.0, NI },
	{ "asn", F_ASN, V_ASN, 4294967295.0, NI },
	{ "process", F_PROCESS, V_TEXT, 0, NI },
	{ "user", F_USER, V_TEXT, 0, NI },
	{ "country", F_COUNTRY, V_TEXT, 0, NI },
	{ "name", F_NAME, V_TEXT, 0, NI },
};

struct node {
	uint8_t type;		/* enum node_type */
	uint8_t field;		/* enum field */
	uint8_t side;		/* enum side */
	bool flag;		/* N_NUM: lo open; N_STR: glob pattern */
	bool flag2;		/* N_NUM: hi open */
	uint16_t a, b;		/* children */
	union {
		struct {
			double lo, hi;
		} num;
		struct {
			uint8_t family;
			uint32_t addr[4];	/* network order, masked */
			uint32_t mask[4];
		} net;
		uint32_t protos[8];	/* bitmap of 256 protocol numbers */
		uint32_t states[3];	/* TCP, SCTP, DCCP state bitmaps */
		uint8_t family;
		char *pat;		/* N_STR */
		struct text_filter *tf;	/* N_TEXT */
	} v;
};

struct filter_expr {
	struct node *nodes;
	size_t n, cap;
	uint16_t root;
	unsigned int needs;
};

/* --- tokens ----------------------------------------------------------- */

enum tok_type { T_END, T_WORD, T_LPAREN, T_RPAREN, T_NOT, T_AND, T_OR, T_CMP };

enum cmp { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

struct token {
	enum tok_type type;
	size_t pos;		/* 0-based byte offset in the text */
	size_t len;		/* bytes of the text it spans */
	bool quoted;
	enum cmp cmp;
	char text[WORD_MAX];	/* T_WORD: the word, quotes removed */
};

struct parser {
	const char *text;
	size_t len, pos;	/* pos: where the next token starts */
	struct token tok, prev;
	struct filter_expr *e;
	struct filter_error *err;
	const struct services *svc;
	int depth;
	int ret;		/* first error */
};

static void set_error(struct parser *p, size_t pos, const char *word,
		      size_t wlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void set_error(struct parser *p, size_t pos, const char *word,
		      size_t wlen, const char *fmt, ...)
{
	struct filter_error *err = p->err;
	va_list ap;

	if (p->ret)
		return;		/* the first error is the one to fix */
	p->ret = -EINVAL;
	if (!err)
		return;
	err->pos = pos + 1;
	err->word[0] = '\0';
	/* the word goes to a terminal: printable, and cut to fit */
	if (word && wlen) {
		char tmp[sizeof(err->word)];
		size_t n = wlen < sizeof(tmp) - 1 ? wlen : sizeof(tmp) - 1;

		memcpy(tmp, word, n);
		tmp[n] = '\0';
		sanitize_str(err->word, sizeof(err->word), tmp);
	}
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* an error about the current token */
#define tok_error(p, ...) \
	set_error((p), (p)->tok.pos, (p)->text + (p)->tok.pos, (p)->tok.len, \
		  __VA_ARGS__)

static bool special(char c)
{
	return c == '(' || c == ')' || c == '!' || c == '<' || c == '>' ||
	       c == '=' || c == '&' || c == '|' || c == '"' || c == '\'';
}

static void next(struct parser *p)
{
	const char *s = p->text;
	struct token *t = &p->tok;
	size_t i;

	p->prev = *t;
	while (p->pos < p->len && isspace((unsigned char)s[p->pos]))
		p->pos++;
	i = p->pos;
	memset(t, 0, offsetof(struct token, text));
	t->text[0] = '\0';
	t->pos = i;
	if (p->ret || i >= p->len) {
		t->type = T_END;
		t->len = 0;
		return;
	}
	t->len = 1;
	switch (s[i]) {
	case '(':
		t->type = T_LPAREN;
		break;
	case ')':
		t->type = T_RPAREN;
		break;
	case '!':
		if (s[i + 1] == '=') {
			t->type = T_CMP;
			t->cmp = C_NE;
			t->len = 2;
		} else {
			t->type = T_NOT;
		}
		break;
	case '&':
	case '|':
		if (s[i + 1] != s[i]) {
			set_error(p, i, s + i, 1, "unknown operator: use '%c%c' or '%s'",
				  s[i], s[i], s[i] == '&' ? "and" : "or");
			t->type = T_END;
			return;
		}
		t->type = s[i] == '&' ? T_AND : T_OR;
		t->len = 2;
		break;
	case '<':
	case '>':
		t->type = T_CMP;
		if (s[i + 1] == '=') {
			t->cmp = s[i] == '<' ? C_LE : C_GE;
			t->len = 2;
		} else {
			t->cmp = s[i] == '<' ? C_LT : C_GT;
		}
		break;
	case '=':
		t->type = T_CMP;
		t->cmp = C_EQ;
		if (s[i + 1] == '=')
			t->len = 2;
		break;
	case '"':
	case '\'': {
		const char *end = memchr(s + i + 1, s[i], p->len - i - 1);
		size_t n;

		if (!end) {
			set_error(p, i, s + i, p->len - i,
				  "the quote is not closed");
			t->type = T_END;
			return;
		}
		n = (size_t)(end - (s + i + 1));
		t->len = n + 2;
		if (n >= WORD_MAX) {
			set_error(p, i, s + i, t->len,
				  "quoted text longer than %d bytes", WORD_MAX - 1);
			t->type = T_END;
			return;
		}
		memcpy(t->text, s + i + 1, n);
		t->text[n] = '\0';
		t->type = T_WORD;
		t->quoted = true;
		break;
	}
	default: {
		size_t n = 0;

		while (i + n < p->len && !isspace((unsigned char)s[i + n]) &&
		       !special(s[i + n]))
			n++;
		t->len = n;
		if (n >= WORD_MAX) {
			set_error(p, i, s + i, n, "word longer than %d bytes",
				  WORD_MAX - 1);
			t->type = T_END;
			return;
		}
		memcpy(t->text, s + i, n);
		t->text[n] = '\0';
		t->type = T_WORD;
		if (!strcasecmp(t->text, "and"))
			t->type = T_AND;
		else if (!strcasecmp(t->text, "or"))
			t->type = T_OR;
		else if (!strcasecmp(t->text, "not"))
			t->type = T_NOT;
		break;
	}
	}
	p->pos = i + t->len;
}

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

static const struct field_def *find_field(const char *w)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcasecmp(fields[i].name, w))
			return &fields[i];
	return NULL;
}

static const struct field_def *field_def_of(enum field f)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].field == f)
			return &fields[i];
	return NULL;
}

/* --- values ----------------------------------------------------------- */

/*
 * A plain decimal number at the start of s ("12", "1.5"): strtod would
 * also take "inf", "nan", hex and exponents. Its length, or 0.
 */
static size_t decimal_len(const char *s)
{
	size_t n = 0, digits = 0;
	bool dot = false;

	for (;; n++) {
		if (isdigit((unsigned char)s[n])) {
			digits++;
		} else if (s[n] == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	return digits ? n : 0;
}

struct unit {
	const char *name;
	double mult;
};

static const struct unit size_units[] = {
	{ "", 1 }, { "k", 1e3 }, { "m", 1e6 }, { "g", 1e9 }, { "t", 1e12 },
	{ "p", 1e15 }, { "ki", 1024.0 }, { "mi", 1048576.0 },
	{ "gi", 1073741824.0 }, { "ti", 1099511627776.0 },
	{ "pi", 1125899906842624.0 },
};

static const struct unit time_units[] = {
	{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "m", 60 }, { "min", 60 },
	{ "h", 3600 }, { "d", 86400 },
};

static bool find_unit(const struct unit *u, size_t n, const char *s,
		      size_t len, double *mult)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(u[i].name) == len && !strncasecmp(u[i].name, s, len)) {
			*mult = u[i].mult;
			return true;
		}
	return false;
}

/*
 * One value of kind k from s[0..len) into *out. Service names (V_PORT)
 * may stand for several ports: they go to ports[] (*nports), *out is then
 * not set. Returns false with the reason in why.
 */
static bool parse_value(struct parser *p, const struct field_def *fd,
			const char *s, size_t len, double *out,
			uint16_t *ports, size_t *nports, const char **why)
{
	char buf[WORD_MAX];
	size_t n;
	double v, mult = 1;
	char *end;

	if (nports)
		*nports = 0;
	if (!len) {
		*why = "a value is missing";
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	s = buf;
	switch (fd->kind) {
	case V_ASN:
		if (!strncasecmp(s, "as", 2))
			s += 2;
		/* fall through */
	case V_INT:
	case V_PORT:
		if (fd->kind != V_ASN && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
		    isxdigit((unsigned char)s[2])) {
			for (n = 2; isxdigit((unsigned char)s[n]); n++)
				;
			if (s[n] || n > 18) {
				*why = n > 18 ? "number too large" : "not a number";
				return false;
			}
			v = (double)strtoull(s, &end, 16);
		} else {
			n = decimal_len(s);
			if (n && !s[n] && !strchr(s, '.')) {
				v = n > 20 ? INFINITY : strtod(s, &end);
			} else if (fd->kind == V_PORT && p->svc && ports &&
				   (*nports = services_ports(p->svc, buf, ports,
							     MAX_SVC_PORTS))) {
				return true;
			} else {
				*why = fd->kind == V_PORT ?
				       "not a port number or a known service name" :
				       fd->kind == V_ASN ?
				       "not an AS number (e.g. 64496 or AS64496)" :
				       "not a whole number";
				return false;
			}
		}
		if (v > fd->max) {
			*why = fd->kind == V_PORT ? "port numbers go up to 65535" :
			       "number too large";
			return false;
		}
		*out = v;
		return true;
	case V_SIZE:
	case V_RATE:
	case V_TIME:
		n = decimal_len(s);
		if (!n || n > 40) {
			*why = n ? "number too long" : "not a number";
			return false;
		}
		v = strtod(s, &end);
		s += n;
		len = strlen(s);
		if (fd->kind == V_RATE && len >= 2 && !strcmp(s + len - 2, "/s"))
			len -= 2;
		if (fd->kind != V_TIME && len && (s[len - 1] == 'b' || s[len - 1] == 'B') &&
		    fd->field != F_PKTS && fd->field != F_OPKTS &&
		    fd->field != F_RPKTS && fd->field != F_PPS &&
		    fd->field != F_OPPS && fd->field != F_RPPS)
			len--;	/* "1MB", "10kB/s": bytes */
		if (fd->kind == V_TIME ?
		    !find_unit(time_units, sizeof(time_units) / sizeof(time_units[0]),
			       s, len, &mult) :
		    !find_unit(size_units, sizeof(size_units) / sizeof(size_units[0]),
			       s, len, &mult)) {
			*why = fd->kind == V_TIME ?
			       "unknown time unit (ms, s, m, h or d)" :
			       "unknown unit (k, M, G, T, P or Ki, Mi, Gi, Ti, Pi)";
			return false;
		}
		v *= mult;
		if (!isfinite(v) || v > 1.8446744073709552e19) {
			*why = "number too large";
			return false;
		}
		*out = v;
		return true;
	case V_TEXT:
		break;
	}
	*why = "not a value";
	return false;
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

	next(p);
	if (p->tok.type == T_CMP) {
		has_op = true;
		op = p->tok.cmp;
		next(p);
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
	if (parse_value(p, fd, p->tok.text, vlen, &a, ports, &nports, &why)) {
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

		if (!parse_value(p, fd, p->tok.text, l1, &a, NULL, NULL, &why2) ||
		    !parse_value(p, fd, dash + 1, vlen - l1 - 1, &b, NULL, NULL,
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
	next(p);
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

	next(p);
	if (p->tok.type == T_CMP) {
		if (p->tok.cmp != C_EQ && p->tok.cmp != C_NE) {
			tok_error(p, "'%s' is a name: compare with = or !=",
				  fd->name);
			return -1;
		}
		neg = p->tok.cmp == C_NE;
		next(p);
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
	next(p);
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
	next(p);
	p->e->needs |= FILTER_NEEDS_FLOW;
	return i;
}

static int proto_term(struct parser *p)
{
	char num[16];
	bool any = false;
	int i;

	next(p);
	if (p->tok.type != T_WORD) {
		tok_error(p, "'proto' needs a protocol: tcp, udp, udplite, "
			  "dccp, sctp, icmp, icmpv6 or a number");
		return -1;
	}
	i = new_node(p, N_PROTO);
	if (i < 0)
		return -1;
	if (decimal_len(p->tok.text) == strlen(p->tok.text) &&
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
	next(p);
	p->e->needs |= FILTER_NEEDS_FLOW;
	return i;
}

static int state_term(struct parser *p)
{
	static const uint8_t protos[3] = { IPPROTO_TCP, IPPROTO_SCTP, IPPROTO_DCCP };
	bool any = false;
	int i;

	next(p);
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
	next(p);
	p->e->needs |= FILTER_NEEDS_FLOW;
	return i;
}

static int family_term(struct parser *p)
{
	const char *w;
	int i;

	next(p);
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
	next(p);
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
	next(p);
	p->e->needs |= FILTER_NEEDS_FLOW | FILTER_NEEDS_INFO;
	return i;
}

/* a and b differ by at most one edit (a letter changed, added, dropped
 * or two swapped) */
static bool one_edit(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	if (la < lb) {
		const char *t = a;

		a = b;
		b = t;
		la = lb;
		lb = strlen(b);
	}
	if (la - lb > 1)
		return false;
	while (i < lb && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i]))
		i++;
	if (la == lb) {
		if (i + 1 >= la)
			return true;
		if (!strcasecmp(a + i + 1, b + i + 1))
			return true;
		/* swapped */
		return tolower((unsigned char)a[i]) == tolower((unsigned char)b[i + 1]) &&
		       tolower((unsigned char)a[i + 1]) == tolower((unsigned char)b[i]) &&
		       !strcasecmp(a + i + 2, b + i + 2);
	}
	return !strcasecmp(a + i + 1, b + i);
}

/*
 * The keyword a bare word is a typo of ("scr", "dprot", "bytess"), or
 * NULL. Such a word would silently turn into a text search that matches
 * nothing; an error that names it helps more.
 */
static const char *typo_of(const char *w)
{
	static const char *const kws[] = {
		"src", "dst", "host", "net", "proto", "state", "family",
	};
	size_t n = strlen(w);

	if (n < 3)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isalpha((unsigned char)w[i]) && w[i] != '_')
			return NULL;
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (one_edit(w, kws[i]))
			return kws[i];
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (one_edit(w, fields[i].name))
			return fields[i].name;
	return NULL;
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
		next(p);
		if (is_kw(&p->tok, "net") || is_kw(&p->tok, "host")) {
			next(p);
			return net_term(p, side);
		}
		if (is_kw(&p->tok, "port"))
			return numeric_term(p, field_def_of(side == SIDE_SRC ?
						F_SPORT : F_DPORT), SIDE_ANY);
		if (is_kw(&p->tok, "asn"))
			return numeric_term(p, field_def_of(F_ASN), side);
		if (is_kw(&p->tok, "country") || is_kw(&p->tok, "name"))
			return text_term(p, find_field(p->tok.text), side);
		return net_term(p, side);
	}
	if (is_kw(&p->tok, "host") || is_kw(&p->tok, "net")) {
		next(p);
		return net_term(p, SIDE_ANY);
	}
	if (is_kw(&p->tok, "proto"))
		return proto_term(p);
	if (is_kw(&p->tok, "state"))
		return state_term(p);
	if (is_kw(&p->tok, "family"))
		return family_term(p);
	fd = find_field(p->tok.text);
	if (fd)
		return fd->kind == V_TEXT ? text_term(p, fd, SIDE_ANY) :
					    numeric_term(p, fd, SIDE_ANY);
	/* "foo > 3": a comparison needs a field, and foo is none */
	{
		size_t save = p->pos;
		struct token cur = p->tok, prev = p->prev;

		next(p);
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
	if (typo_of(p->tok.text)) {
		tok_error(p, "unknown word: did you mean '%s'? (to search for "
			  "the text, quote it: \"%s\")", typo_of(p->tok.text),
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
			next(p);
			r = new_op(p, N_NOT, unary(p), -1);
		} else {
			struct token open = p->tok;

			next(p);
			r = parse_or(p);
			if (r >= 0 && p->tok.type != T_RPAREN) {
				if (p->tok.type == T_END)
					set_error(p, open.pos, "(", 1,
						  "this '(' is never closed");
				else
					tok_error(p, "expected ')' or 'and'/'or' here");
				return -1;
			}
			next(p);
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
			set_error(p, p->prev.pos, p->text + p->prev.pos,
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
			next(p);
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
		next(p);
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
		set_error(&p, FILTER_EXPR_MAX, NULL, 0,
			  "expression longer than %d bytes", FILTER_EXPR_MAX);
		return -EINVAL;
	}
	next(&p);
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

/* --- evaluation --------------------------------------------------------- */

#define UNKNOWN (-1)

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

static bool in_net(const struct node *nd, uint8_t family, const uint32_t *a)
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
static bool net_match(const struct node *nd, const struct flow *f)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	bool src = nd->side != SIDE_DST, dst = nd->side != SIDE_SRC;

	if ((src && in_net(nd, k->family, k->src)) ||
	    (dst && in_net(nd, k->family, k->dst)))
		return true;
	return (src && in_net(nd, r->family, r->dst)) ||
	       (dst && in_net(nd, r->family, r->src));
}

static inline bool in_range(const struct node *nd, double x)
{
	return (nd->flag ? x > nd->v.num.lo : x >= nd->v.num.lo) &&
	       (nd->flag2 ? x < nd->v.num.hi : x <= nd->v.num.hi);
}

static bool port_match(const struct node *nd, const struct flow *f)
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

static int num_match(const struct node *nd, const struct flow *f,
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

static int str_match(const struct node *nd, const struct flow_info *info,
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

static int eval(const struct filter_expr *e, uint16_t i, const struct flow *f,
		const struct flow_info *info, bool pending, double now)
{
	const struct node *nd = &e->nodes[i];
	uint8_t pr;
	int a, b;

	switch (nd->type) {
	case N_AND:
		a = eval(e, nd->a, f, info, pending, now);
		if (!a)
			return 0;
		b = eval(e, nd->b, f, info, pending, now);
		if (!b)
			return 0;
		return a == UNKNOWN || b == UNKNOWN ? UNKNOWN : 1;
	case N_OR:
		a = eval(e, nd->a, f, info, pending, now);
		if (a == 1)
			return 1;
		b = eval(e, nd->b, f, info, pending, now);
		if (b == 1)
			return 1;
		return a == UNKNOWN || b == UNKNOWN ? UNKNOWN : 0;
	case N_NOT:
		a = eval(e, nd->a, f, info, pending, now);
		return a == UNKNOWN ? UNKNOWN : !a;
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
		/* the flow's own fields may settle it before any lookup */
		if (pending)
			return text_filter_match(nd->v.tf, f, NULL) ? 1 : UNKNOWN;
		return text_filter_match(nd->v.tf, f, info);
	default:
		return 0;
	}
}

bool filter_expr_match(const struct filter_expr *e, const struct flow *f,
		       const struct flow_info *info, double now)
{
	if (!e)
		return true;
	return eval(e, e->root, f, info, false, now) == 1;
}

int filter_expr_prematch(const struct filter_expr *e, const struct flow *f,
			 double now)
{
	if (!e)
		return 1;
	if (!(e->needs & FILTER_NEEDS_INFO))
		return eval(e, e->root, f, NULL, false, now);
	return eval(e, e->root, f, NULL, true, now);
}
