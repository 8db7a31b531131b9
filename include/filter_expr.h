/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Filter expressions: the one grammar of the view's '/' and of batch's
 * --filter ("dport 9 and src 192.0.2.0/24", "bytes > 1M or not proto tcp",
 * a bare word for the quick text search). A tokenizer and a recursive
 * descent parser compile the text into a small tree; the evaluator runs
 * it over a flow and, when the expression asks for it, the flow's
 * enrichment. Pure: no threads, no I/O; a compiled expression is
 * read-only, so any number of threads may match with it at once.
 * The grammar is in man/flowtop.8 (FILTER EXPRESSIONS).
 */
#ifndef FLOWTOP_FILTER_EXPR_H
#define FLOWTOP_FILTER_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "enrich.h"
#include "flowtab.h"

struct services;

/* Longest expression taken, in bytes; deepest nesting of ( and not. */
#define FILTER_EXPR_MAX 4096
#define FILTER_EXPR_DEPTH 64

/* What went wrong, and where: the word at byte pos (1-based) of the text. */
struct filter_error {
	size_t pos;		/* 1-based byte offset, 0 if none */
	char word[64];		/* the offending word, printable; "" at the end */
	char msg[160];
};

struct filter_expr;

/*
 * Compiles text. Service names (port ssh) are looked up in svc, which may
 * be NULL (then only numbers are ports). Blank text compiles to NULL, the
 * expression that matches every flow. 0, -EINVAL (syntax: err says what
 * and where) or -ENOMEM.
 */
int filter_expr_compile(const char *text, const struct services *svc,
			struct filter_expr **out, struct filter_error *err);
void filter_expr_free(struct filter_expr *e);

/* "at 12, 'foo': unknown word ..." into buf (always terminated). */
void filter_error_format(const struct filter_error *err, char *buf,
			 size_t len);

/* What an expression reads beyond the snapshot row's counters and rates. */
enum {
	FILTER_NEEDS_FLOW = 1u << 0,	/* tuple, state, zone, mark, age */
	FILTER_NEEDS_INFO = 1u << 1,	/* enrichment: process, names, GeoIP */
};

unsigned int filter_expr_needs(const struct filter_expr *e);

/*
 * Whether e's answer for a flow never changes in the flow's life: it
 * reads only what a connection keeps from its start (addresses and ports
 * of both tuples, protocol, family, zone), no state, counter, rate, age,
 * mark, id, enrichment or bare word. NULL e: true. Lets the groups that
 * follow the changes (group_live.h) ask it once per flow.
 */
bool filter_expr_fixed(const struct filter_expr *e);

/*
 * Whether f matches e (NULL e: always). now is the snapshot's time
 * (CLOCK_REALTIME seconds) for age. info may be NULL: the terms that need
 * it (process, user, pid, country, asn, name, bare words on names) then
 * see nothing known.
 */
bool filter_expr_match(const struct filter_expr *e, const struct flow *f,
		       const struct flow_info *info, double now);

/*
 * The answer without enrichment, if it does not depend on it: 1 match,
 * 0 no match, -1 the enrichment decides (look it up, then
 * filter_expr_match). Lets a caller skip the lookups for flows that the
 * other terms already settle.
 */
int filter_expr_prematch(const struct filter_expr *e, const struct flow *f,
			 double now);

#endif
