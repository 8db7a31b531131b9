/* SPDX-License-Identifier: GPL-2.0 */
/* What the three batch formats (format_json.c, format_csv.c, format_text.c) share. */
#ifndef FLOWTOP_FORMAT_INTERNAL_H
#define FLOWTOP_FORMAT_INTERNAL_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "flow_fields.h"
#include "format.h"
#include "wbuf.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define DEC_TIME 6
#define DEC_RATE 3

static inline bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static inline const char *family_name(uint8_t family)
{
	switch (family) {
	case AF_INET:	return "ipv4";
	case AF_INET6:	return "ipv6";
	}
	return NULL;
}

static inline uint8_t icmp_type(const struct flow_key *k)
{
	return ((const uint8_t *)&k->dport)[0];
}

static inline uint8_t icmp_code(const struct flow_key *k)
{
	return ((const uint8_t *)&k->dport)[1];
}

/* the backend's name, "unknown" when there is none */
const char *acct_name(enum acct_kind kind);

/* rows to print: sel's, or all of them */
static inline size_t sel_n(const struct snapshot *snap,
			   const struct format_sel *sel)
{
	return sel ? sel->n : snap->n;
}

static inline const struct flow *sel_flow(const struct snapshot *snap,
					  const struct format_sel *sel,
					  size_t i, struct flow *buf)
{
	return snapshot_flow(snap, sel ? sel->rows[i] : i, buf);
}

void format_json(struct wbuf *w, const struct snapshot *snap,
		 struct enrich *enrich, const struct format_sel *sel);
void format_csv(struct wbuf *w, const struct snapshot *snap, bool first,
		struct enrich *enrich, const struct format_sel *sel);
void format_text(struct wbuf *w, const struct snapshot *snap, bool first,
		 struct enrich *enrich, const struct format_sel *sel);

#endif
