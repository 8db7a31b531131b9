/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The quick text search: the bare words of a filter expression
 * (filter_expr.h), each looked for in a flow's addresses, ends, ports,
 * protocol name and, when known, its names, process and country. Pure
 * (no threads, no I/O), unit tested.
 */
#ifndef FLOWTOP_FILTER_TEXT_H
#define FLOWTOP_FILTER_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "enrich.h"
#include "flowtab.h"

/* Typed filter: whitespace separated words, all must match (any field). */
#define TEXT_FILTER_WORDS 8
#define TEXT_FILTER_WORD_MAX 64

struct text_filter {
	int nwords;
	char word[TEXT_FILTER_WORDS][TEXT_FILTER_WORD_MAX];	/* lower case */
	/* worked out once, not per flow: the word's value if it is a
	 * number (else -1), whether it holds a colon (an "addr:port") */
	long num[TEXT_FILTER_WORDS];
	bool colon[TEXT_FILTER_WORDS];
	/* no address is written with it (a letter past f, a '-' …) */
	bool not_addr[TEXT_FILTER_WORDS];
	/* the protocol numbers whose name (proto_name) holds it */
	uint64_t protos[TEXT_FILTER_WORDS][4];
	/* a word of digits and dots, split at its dots: tried on an IPv4
	 * address without writing the address out. fits[o]: bit j set when
	 * part j fits the octet o at its place; need[i]: the bits of the
	 * four octets' fits (4 each, octet k's at 4 k) that put the word
	 * at octet i. nparts 0: not such a word; -1: such a word that no
	 * IPv4 address holds */
	struct v4_word {
		int8_t nparts;
		uint16_t need[4];
		uint8_t fits[256];
	} v4[TEXT_FILTER_WORDS];
};

/* Parses s; extra words or over-long ones are cut. Empty s: matches all. */
void text_filter_parse(struct text_filter *tf, const char *s);

/*
 * A word matches a flow when it is a case-insensitive substring of either
 * tuple's addresses (the translated ones of a NAT'd flow too), of an end
 * as "addr:port" or "[v6]:port" (words with a colon), of a host name,
 * service, process name, user or country (code or name), of the protocol
 * name, or equals a port (translated ones too) or the PID in decimal.
 * info may be NULL: only the flow's own fields are tried.
 */
bool text_filter_match(const struct text_filter *tf, const struct flow *f,
		       const struct flow_info *info);


#endif
