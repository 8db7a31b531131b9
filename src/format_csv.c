// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots as CSV: a header row once, then one row per flow: the
 * snapshot's time, then the fields of flow_fields.h (the enriched ones
 * with enrichment), as JSON has them.
 */
#include "format_internal.h"

#include "format_fields.h"

void format_csv(struct wbuf *w, const struct snapshot *snap, bool first,
		       struct enrich *enrich, const struct format_sel *sel)
{
	size_t nf = enrich ? FF_NAMED : FF_PLAIN;
	struct flow_fctx c = { .now = snap->meta.time,
			       .since = snap->meta.counting_since };
	char time[DOUBLE_MAX];
	size_t time_len;
	struct flow_info fi;
	struct flow buf;

	if (first) {
		wb_puts(w, "time");
		fields_csv_header(w, flow_fields, nf);
		wb_char(w, '\n');
	}
	time_len = (size_t)(put_double(time, snap->meta.time, DEC_TIME) - time);
	for (size_t i = 0; i < sel_n(snap, sel); i++) {
		c.f = sel_flow(snap, sel, i, &buf);
		if (enrich) {
			enrich_flow(enrich, c.f, &fi);
			c.fi = &fi;
		}
		wb_put(w, time, time_len);
		flow_csv_row(w, &c);
		wb_char(w, '\n');
	}
}
