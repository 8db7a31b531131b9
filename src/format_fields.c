// SPDX-License-Identifier: GPL-2.0
/*
 * The flow fields the batch formats share (and the view's age): apart
 * from format.c, so that the formats depend on this file and format.c on
 * them, never back.
 */
#include "format_internal.h"

#include <math.h>
#include <string.h>

double flow_age(const struct flow *f, double now)
{
	uint64_t start = f->start_ns ? f->start_ns : f->first_seen_ns;
	double age;

	if (!start || !isfinite(now))
		return 0;
	/* split to keep nanoseconds: a double holds ~16 digits */
	age = (now - (double)(start / 1000000000ull)) -
	      (double)(start % 1000000000ull) / 1e9;
	return age > 0 ? age : 0;
}

void flow_addrs(const struct flow *f, struct flow_addrs *a)
{
	const struct flow_key *k = &f->key, *r = &f->reply;

	a->src = format_addr(k->family, k->src, a->b[0], sizeof(a->b[0]));
	a->dst = format_addr(k->family, k->dst, a->b[1], sizeof(a->b[1]));
	if (r->family == k->family && !memcmp(r->src, k->dst, sizeof(r->src)))
		a->rsrc = a->dst;
	else
		a->rsrc = format_addr(r->family, r->src, a->b[2], sizeof(a->b[2]));
	if (r->family == k->family && !memcmp(r->dst, k->src, sizeof(r->dst)))
		a->rdst = a->src;
	else
		a->rdst = format_addr(r->family, r->dst, a->b[3], sizeof(a->b[3]));
}

/*
 * Where the totals begin: "start" (the flow's start: the kernel's
 * counters, or a flow the backend saw from its first packet), else the
 * UNIX time the backend began counting (since), null if unknown.
 */
void counted_from(struct wbuf *w, const struct flow *f, double since,
			 bool json)
{
	if (f->whole_life)
		wb_puts(w, json ? "\"start\"" : "start");
	else if (since > 0)
		wb_double(w, since, DEC_TIME);
	else if (json)
		wb_puts(w, "null");
}

const char *acct_name(enum acct_kind kind)
{
	const char *s = acct_kind_name(kind);

	return s ? s : "unknown";
}
