/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flows' field table (columns.h): every field a flow row has in JSON
 * and CSV, in their order, then the ones only shown. The batch formats
 * (format_json.c, format_csv.c, format_text.c) and the view's flows tab
 * (ui_draw_flows.c) read it.
 */
#ifndef FLOWTOP_FLOW_FIELDS_H
#define FLOWTOP_FLOW_FIELDS_H

#include <netinet/in.h>

#include "columns.h"
#include "enrich.h"
#include "flowtab.h"

enum flow_field {
	FF_ID,
	FF_FAMILY,
	FF_PROTO,
	FF_STATE,
	FF_SRC,
	FF_DST,
	FF_SPORT,
	FF_DPORT,
	FF_ICMP_TYPE,
	FF_ICMP_CODE,
	FF_ICMP_ID,
	FF_REPLY_SRC,
	FF_REPLY_DST,
	FF_REPLY_SPORT,
	FF_REPLY_DPORT,
	FF_REPLY_ICMP_TYPE,
	FF_REPLY_ICMP_CODE,
	FF_REPLY_ICMP_ID,
	FF_ZONE,
	FF_MARK,
	FF_AGE,
	FF_ORIG_PACKETS,
	FF_ORIG_BYTES,
	FF_REPLY_PACKETS,
	FF_REPLY_BYTES,
	FF_ORIG_PACKET_RATE,
	FF_ORIG_BYTE_RATE,
	FF_REPLY_PACKET_RATE,
	FF_REPLY_BYTE_RATE,
	FF_COUNTED_FROM,
	FF_OFFLOADED,
	/* with enrichment only */
	FF_PID,
	FF_PROCESS,
	FF_USER,
	FF_SRC_HOST,
	FF_DST_HOST,
	FF_SRC_COUNTRY,
	FF_SRC_COUNTRY_NAME,
	FF_SRC_CITY,
	FF_SRC_ASN,
	FF_SRC_AS_ORG,
	FF_DST_COUNTRY,
	FF_DST_COUNTRY_NAME,
	FF_DST_CITY,
	FF_DST_ASN,
	FF_DST_AS_ORG,
	FF_SPORT_SERVICE,
	FF_DPORT_SERVICE,
	/* shown only */
	FF_ROW_MARK,	/* the view's first column: x destroyed, o offloaded */
	FF_COUNT,
};

/* JSON and CSV: fields [0, FF_PLAIN), and [FF_PLAIN, FF_NAMED) enriched */
#define FF_PLAIN FF_PID
#define FF_NAMED FF_ROW_MARK

extern const struct field flow_fields[FF_COUNT];

/*
 * The layouts: the batch text table (its first FLOW_TEXT_PLAIN columns
 * without enrichment, format_text.c) and the view's flows tab
 * (ui_draw_flows.c).
 */
extern const struct column_table flow_text_layout, flow_view_layout;
#define FLOW_TEXT_PLAIN 11

/*
 * The four addresses of a flow as text. Without NAT the reply tuple is the
 * original one mirrored, so its strings are copied rather than formatted
 * again (inet_ntop of IPv6 is the costliest step of a row).
 */
struct flow_addrs {
	const char *src, *dst, *rsrc, *rdst;	/* NULL: unknown family */
	char b[4][INET6_ADDRSTRLEN];
};

void flow_addrs(const struct flow *f, struct flow_addrs *a);

/* What the flows' fields read of a row. */
struct flow_fctx {
	const struct flow *f;
	const struct flow_info *fi;	/* NULL: without enrichment */
	double now;		/* the snapshot's time: ages */
	double since;		/* meta.counting_since: where totals begin */
	unsigned int nat;	/* flow_nat(f): the text table's cells */
	bool utf8;		/* the view's: an arrow in NAT'd destinations */
	bool bits;		/* the view's: rates in bits per second */
	struct flow_addrs a;	/* JSON, CSV: flow_addrs(f) */
	char num[8];		/* a number a value is written to */
};

struct wbuf;

/*
 * Row c->f as a JSON object, or as CSV cells each after a comma: the
 * named fields, the enriched ones when c->fi is set.
 */
void flow_json_row(struct wbuf *w, struct flow_fctx *c);
void flow_csv_row(struct wbuf *w, struct flow_fctx *c);

/*
 * The view's destination: the name (or address) and, for a DNAT'd flow,
 * the address and port it really goes to ("→ 192.0.2.2:22").
 */
void flow_dest_text(char *buf, size_t len, const struct flow *f,
		    const struct flow_info *info, bool utf8);

/* "http", "8080" or ICMP "8/0" for the destination port. */
const char *flow_port_text(char *buf, size_t len, const struct flow_key *k,
			   const char *service);

#endif
