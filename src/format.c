// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots as text, JSON and CSV: the entry point. The formats are
 * format_json.c, format_csv.c and format_text.c (its columns a table, as
 * the view's), on the flow fields of format_fields.c, all written through
 * the fast buffer of wbuf.c. Every number written is finite: JSON has no
 * NaN.
 */
#include "format_internal.h"

#include <errno.h>

/* ------------------------------------------------------ single fields */

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

	if (!out || !snap || (snap->n && !snap->order))
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
