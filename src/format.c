// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots as text, JSON and CSV: the entry point, and the flow fields
 * the three formats share. The formats themselves are format_json.c,
 * format_csv.c and format_text.c (its columns a table, as the view's),
 * all written through the fast buffer of wbuf.c. Every number written is
 * finite: JSON has no NaN.
 */
#include "format_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "units.h"
#include "utf8.h"
#include "util.h"

/* ------------------------------------------------------ flow fields */

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

int format_json_string(FILE *out, const char *s)
{
	struct wbuf w = { .out = out };

	wb_json_string(&w, s);
	wb_flush(&w);
	return w.err;
}

int format_csv_field(FILE *out, const char *s)
{
	struct wbuf w = { .out = out };

	wb_csv_field(&w, s);
	wb_flush(&w);
	return w.err;
}

/* ------------------------------------------------------ entry point */

int format_snapshot(FILE *out, const struct snapshot *snap,
		    enum output_format fmt, bool first, struct enrich *enrich)
{
	return format_snapshot_sel(out, snap, fmt, first, enrich, NULL);
}

int format_snapshot_sel(FILE *out, const struct snapshot *snap,
			enum output_format fmt, bool first,
			struct enrich *enrich, const struct format_sel *sel)
{
	struct wbuf w;
	int err;

	if (!out || !snap || (snap->n && !snap->flows && !snap->rows))
		return -EINVAL;
	if (sel && ((sel->n && !sel->rows) || sel->n > snap->n))
		return -EINVAL;
	if (fmt != OUTPUT_TEXT && fmt != OUTPUT_JSON && fmt != OUTPUT_CSV)
		return -EINVAL;

	w.out = out;
	w.err = 0;
	w.len = 0;
	flockfile(out);
	switch (fmt) {
	case OUTPUT_JSON:
		format_json(&w, snap, enrich, sel);
		break;
	case OUTPUT_CSV:
		format_csv(&w, snap, first, enrich, sel);
		break;
	case OUTPUT_TEXT:
		format_text(&w, snap, first, enrich, sel);
		break;
	}
	err = wb_finish(&w);
	funlockfile(out);
	return err;
}
