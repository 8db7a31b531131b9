/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside filter expressions (filter_expr.h), shared by its modules: the
 * tree the parser builds and the evaluator walks, the tokens, the field
 * table and the parser's state.
 *
 *   filter_expr_lex.c   tokens, the field table, values with units,
 *                       error messages and typo hints
 *   filter_expr.c       the recursive descent parser: text to tree
 *   filter_expr_eval.c  the tree over a flow (and its enrichment)
 *   filter_expr_text.c  bare words: the quick text search (filter_text.h)
 */
#ifndef FLOWTOP_FILTER_EXPR_INTERNAL_H
#define FLOWTOP_FILTER_EXPR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter_expr.h"

struct services;
struct text_filter;

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

void fx_set_error(struct parser *p, size_t pos, const char *word,
		  size_t wlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* an error about the current token */
#define tok_error(p, ...) \
	fx_set_error((p), (p)->tok.pos, (p)->text + (p)->tok.pos, (p)->tok.len, \
		     __VA_ARGS__)

/* Moves to the next token (p->tok; the one before in p->prev). */
void fx_next(struct parser *p);

/* The field named w, or of number f; NULL if none. */
const struct field_def *fx_find_field(const char *w);
const struct field_def *fx_field_def(enum field f);

/* The length of the plain decimal number ("12", "1.5") at s, or 0. */
size_t fx_decimal_len(const char *s);

/*
 * One value of fd's kind from s[0..len) into *out. Service names (V_PORT)
 * may stand for several ports: they go to ports[] (*nports, room for
 * MAX_SVC_PORTS), *out is then not set. False with the reason in why.
 */
bool fx_parse_value(struct parser *p, const struct field_def *fd,
		    const char *s, size_t len, double *out,
		    uint16_t *ports, size_t *nports, const char **why);

/* The keyword a bare word is a typo of ("scr", "dprot"), or NULL. */
const char *fx_typo_of(const char *w);

#endif
