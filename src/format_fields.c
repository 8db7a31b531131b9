// SPDX-License-Identifier: GPL-2.0
/*
 * What the batch formats share: a flow's age, and the writers of a field
 * table's rows (format_fields.h) that the flow formats and the group
 * output both use. Apart from format.c, so that the formats depend on
 * this file and format.c on them, never back.
 */
#include "format_internal.h"

#include <math.h>
#include <string.h>

#include "format_fields.h"
#include "units.h"

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

const char *acct_name(enum acct_kind kind)
{
	const char *s = acct_kind_name(kind);

	return s ? s : "unknown";
}

/* ------------------------------------------------------ JSON, CSV */

void fields_json_name(struct wbuf *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	wb_put(w, "\"", 1);
	for (const char *p = s; *p; ) {
		size_t run = strcspn(p, "\"\\\x01\x02\x03\x04\x05\x06\x07"
				     "\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
				     "\x11\x12\x13\x14\x15\x16\x17\x18\x19"
				     "\x1a\x1b\x1c\x1d\x1e\x1f\x7f");
		unsigned char c;

		wb_put(w, p, run);
		p += run;
		if (!*p)
			break;
		c = (unsigned char)*p++;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			wb_put(w, e, 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			wb_put(w, e, 6);
		}
	}
	wb_put(w, "\"", 1);
}

void fval_json(struct wbuf *w, struct fval v)
{
	fields_json_value(w, v);
}

void fields_csv_header(struct wbuf *w, const struct field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		wb_char(w, ',');
		wb_puts(w, fields[i].name);
	}
}

/* ------------------------------------------------------ text table */

size_t text_rate_cell(char *cell, double pps, double bps)
{
	char *p = units_put(cell, pps, false);

	*p++ = '/';
	return (size_t)(units_put(p, bps, false) - cell);
}

/*
 * What a table's lines need of its columns, read once: the writes into
 * the buffer (char stores may alias anything) would reload them from the
 * table for every cell.
 */
struct text_cols {
	int n;
	bool left[TEXT_COLS_MAX];
	size_t (*put[TEXT_COLS_MAX])(char *cell, const void *ctx);
	char cell[TEXT_COLS_MAX][TEXT_CELL_MAX];
	size_t len[TEXT_COLS_MAX];
};

static void text_cells(struct text_cols *tc, const void *ctx)
{
	for (int c = 0; c < tc->n; c++)
		tc->len[c] = tc->put[c](tc->cell[c], ctx);
}

static void text_line(struct wbuf *w, const struct text_cols *tc,
		      const char *const cell[], const size_t len[],
		      const size_t width[])
{
	int n = tc->n;

	for (int c = 0; c < n; c++) {
		size_t pad = text_pad(width[c], len[c]);
		bool left = tc->left[c];

		if (c)
			wb_put(w, "  ", 2);
		if (!left)
			wb_spaces(w, pad);
		wb_put(w, cell[c], len[c]);
		/* no trailing blanks after the last column */
		if (left && c != n - 1)
			wb_spaces(w, pad);
	}
	wb_char(w, '\n');
}

void text_table(struct wbuf *w, const struct text_table *t)
{
	size_t width[TEXT_COLS_MAX], hlen[TEXT_COLS_MAX];
	const char *head[TEXT_COLS_MAX], *cell[TEXT_COLS_MAX];
	struct text_cols tc;

	tc.n = t->ncols;
	for (int c = 0; c < tc.n; c++) {
		const struct text_col *col =
			&t->layout->fields[t->layout->ids[c]].text;

		tc.left[c] = !col->right;
		tc.put[c] = col->put;
		head[c] = col->title;
		width[c] = hlen[c] = strlen(head[c]);
		cell[c] = tc.cell[c];
	}
	/*
	 * Widths need every row first. Formatting twice costs less than
	 * keeping every row's text around: a table is for reading, not for
	 * a million flows.
	 */
	for (size_t i = 0; i < t->nrows; i++) {
		text_cells(&tc, t->row(t->arg, i));
		for (int c = 0; c < tc.n; c++)
			if (tc.len[c] > width[c])
				width[c] = tc.len[c];
	}
	text_line(w, &tc, head, hlen, width);
	for (size_t i = 0; i < t->nrows; i++) {
		text_cells(&tc, t->row(t->arg, i));
		text_line(w, &tc, cell, tc.len, width);
	}
}
