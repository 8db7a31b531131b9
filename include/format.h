/* SPDX-License-Identifier: GPL-2.0 */
/* Turning flows and snapshots into text, JSON and CSV. Pure, unit tested. */
#ifndef FLOWTOP_FORMAT_H
#define FLOWTOP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "enrich.h"
#include "snapshot.h"

/* "tcp", "udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "gre", or the number. */
const char *proto_name(uint8_t proto, char *buf, size_t len);

/* Conntrack state name ("ESTABLISHED", …) or NULL if the protocol has none. */
const char *flow_state_name(uint8_t proto, uint8_t state);

/* Numeric address of family from a flow_key address field. */
const char *format_addr(uint8_t family, const uint32_t addr[4], char *buf,
			size_t len);

/* Flow age in seconds at time now (realtime seconds), >= 0. */
double flow_age(const struct flow *f, double now);

/*
 * Prints one snapshot. first says whether this is the first snapshot of
 * the run (CSV prints its header row only then). enrich, when not NULL,
 * adds who and where to every flow (process, host names, GeoIP, service
 * names: what its caches hold now; JSON null / empty CSV field when not
 * known); NULL prints the flows alone. Returns 0 or -errno.
 */
int format_snapshot(FILE *out, const struct snapshot *snap,
		    enum output_format fmt, bool first, struct enrich *enrich);

/*
 * Writes s as a JSON string literal, quotes included (RFC 8259 escapes;
 * bytes that are not UTF-8 become U+FFFD). 0 or -errno.
 */
int format_json_string(FILE *out, const char *s);

/* Writes s as one CSV field, quoted as RFC 4180 says when needed. 0 or -errno. */
int format_csv_field(FILE *out, const char *s);

/*
 * Blanks that pad a text cell of len bytes to a column of width. The text
 * table formats its rows twice (widths first, then lines) and a name or
 * process may arrive from the lookup threads in between: a row can come
 * out longer than its column the second time. It then sticks out; never
 * width - len wrapped around to an endless run of blanks.
 */
static inline size_t text_pad(size_t width, size_t len)
{
	return len < width ? width - len : 0;
}

#endif
