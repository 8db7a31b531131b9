// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots as a text table: a summary line, then aligned columns: a
 * layout of flow_fields.h's fields.
 */
#include "format_internal.h"

#include <time.h>

#include "format_fields.h"

/* The text table, left to right: the enriched fields with enrichment. */
static const int8_t text_ids[] = {
	FF_PROTO, FF_STATE, FF_SRC, FF_DST, FF_AGE, FF_ORIG_PACKETS,
	FF_ORIG_BYTES, FF_REPLY_PACKETS, FF_REPLY_BYTES, FF_ORIG_BYTE_RATE,
	FF_REPLY_BYTE_RATE,
	/* enriched */
	FF_PROCESS, FF_DPORT_SERVICE, FF_DST_HOST, FF_DST_COUNTRY,
};

const struct column_table flow_text_layout = COLUMN_TABLE(flow_fields,
							   text_ids);

struct text_rows {
	const struct snapshot *snap;
	const struct format_sel *sel;
	struct enrich *enrich;
	struct flow buf;
	struct flow_info fi;
	struct flow_fctx c;
};

static const void *text_row(void *arg, size_t i)
{
	struct text_rows *r = arg;

	r->c.f = sel_flow(r->snap, r->sel, i, &r->buf);
	r->c.nat = flow_nat(r->c.f);
	if (r->enrich) {
		enrich_flow(r->enrich, r->c.f, &r->fi);
		r->c.fi = &r->fi;
	}
	return &r->c;
}

static void text_summary(struct wbuf *w, const struct snapshot *snap,
			 const struct format_sel *sel)
{
	const struct snapshot_meta *m = &snap->meta;
	char tbuf[64];
	/* time_t conversion of a wild value would be undefined: 0 instead */
	double t = isfinite(m->time) && m->time > 0 && m->time < 1e12 ? m->time : 0;
	time_t sec = (time_t)t;
	long ms = (long)((t - (double)sec) * 1000);
	struct tm tm;

	if (ms > 999)
		ms = 999;
	if (localtime_r(&sec, &tm) &&
	    strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm)) {
		wb_puts(w, tbuf);
		snprintf(tbuf, sizeof(tbuf), ".%03ld", ms);
		wb_puts(w, tbuf);
		if (strftime(tbuf, sizeof(tbuf), " %z", &tm))
			wb_puts(w, tbuf);
	} else {
		wb_double(w, t, DEC_TIME);
	}
	wb_puts(w, "  interval ");
	wb_double(w, m->interval, DEC_TIME);
	wb_puts(w, "s  acct ");
	wb_puts(w, acct_name(m->acct));
	wb_puts(w, "  flows ");
	wb_u64(w, snap->n);
	if (sel) {
		wb_puts(w, "  matched ");
		wb_u64(w, sel->matched);
	}
	wb_puts(w, "  lost events ");
	wb_u64(w, m->lost_events);
	wb_puts(w, "  resyncs ");
	wb_u64(w, m->resyncs);
	if (m->resyncing)
		wb_puts(w, " (resyncing)");
	wb_puts(w, "  evictions ");
	wb_u64(w, m->evictions);
	wb_char(w, '\n');
}

void format_text(struct wbuf *w, const struct snapshot *snap, bool first,
			struct enrich *enrich, const struct format_sel *sel)
{
	struct text_rows rows = { .snap = snap, .sel = sel, .enrich = enrich,
				  .c = { .now = snap->meta.time } };
	struct text_table t = {
		.layout = &flow_text_layout,
		.ncols = enrich ? (int)flow_text_layout.n : FLOW_TEXT_PLAIN,
		.nrows = sel_n(snap, sel), .row = text_row, .arg = &rows,
	};

	if (!first)
		wb_char(w, '\n');
	text_summary(w, snap, sel);
	text_table(w, &t);
}
