/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rows of a field table (columns.h) in the batch formats, for every kind
 * of row: JSON objects, CSV header and cells, the aligned text table.
 */
#ifndef FLOWTOP_FORMAT_FIELDS_H
#define FLOWTOP_FORMAT_FIELDS_H

#include "columns.h"
#include "wbuf.h"

/*
 * A group's key or name as JSON: keys we formatted, names the enrichment
 * already sanitized (printable UTF-8): quotes and backslashes are all
 * that can need escaping, control bytes are escaped anyway.
 */
void fields_json_name(struct wbuf *w, const char *s);

/* numbers, inline in every row writer */
static inline __attribute__((always_inline))
void fields_u64(struct wbuf *w, uint64_t v)
{
	wb_commit(w, put_u64(wb_room(w, 20), v));
}

static inline __attribute__((always_inline))
void fields_double(struct wbuf *w, double v, int dec)
{
	if (dec > 6)	/* put_double's most (no value has more) */
		dec = 6;
	wb_commit(w, put_double(wb_room(w, DOUBLE_MAX), v, dec));
}

/* one value as JSON (absent: null) */
static inline __attribute__((always_inline))
void fields_json_value(struct wbuf *w, struct fval v)
{
	size_t n;
	char *p;

	switch (v.type) {
	case FV_U64:
		fields_u64(w, v.u);
		break;
	case FV_DOUBLE:
		fields_double(w, v.d, v.dec);
		break;
	case FV_STR:
		wb_json_string(w, v.s);
		break;
	case FV_PLAIN:
		/* nothing to escape (addresses, our own names) */
		n = strlen(v.s);
		p = wb_room(w, n + 2);
		*p++ = '"';
		memcpy(p, v.s, n);
		p += n;
		*p++ = '"';
		wb_commit(w, p);
		break;
	case FV_NAME:
		fields_json_name(w, v.s);
		break;
	case FV_BOOL:
		if (v.u)
			wb_put(w, "true", 4);
		else
			wb_put(w, "false", 5);
		break;
	default:
		wb_put(w, "null", 4);
		break;
	}
}

/* the same, not inline */
void fval_json(struct wbuf *w, struct fval v);

/*
 * The row writers below take fields 0, 1, ... up to FIELDS_MAX, each in
 * code of its own (the preprocessor unrolls): called with a kind's table
 * (const, its initializer in sight) and a constant n, the compiler reads
 * the table while it compiles, calls each field's reader directly,
 * inlines it and drops the switch over its (constant) type: a row costs
 * what hand-written code for it would.
 */
#define FIELDS_MAX 64
#define FIELDS_UNROLL(M) \
	M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
	M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15) \
	M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) \
	M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31) \
	M(32) M(33) M(34) M(35) M(36) M(37) M(38) M(39) \
	M(40) M(41) M(42) M(43) M(44) M(45) M(46) M(47) \
	M(48) M(49) M(50) M(51) M(52) M(53) M(54) M(55) \
	M(56) M(57) M(58) M(59) M(60) M(61) M(62) M(63)

/* one field of fields_json; *first: no ", " before the key */
static inline __attribute__((always_inline))
void fields_json_one(struct wbuf *w, const struct field *fd, struct fval v,
		     bool *first)
{
	char *p;

	if (v.type == FV_ABSENT)
		return;
	if (*first) {
		wb_put(w, fd->jkey + 2, fd->jlen - 2u);
		*first = false;
	} else {
		/* a copy of fixed size: a few moves, where one of the key's
		 * length is a call or a slow "rep movs" */
		p = wb_room(w, FIELD_JKEY_MAX);
		memcpy(p, fd->jkey, FIELD_JKEY_MAX);
		wb_commit(w, p + fd->jlen);
	}
	fields_json_value(w, v);
}

/* fields[0..n) (n <= FIELDS_MAX) of one row (ctx) as a JSON object; absent ones left out */
static inline __attribute__((always_inline))
void fields_json(struct wbuf *w, const struct field *fields, size_t n,
		 void *ctx)
{
	bool first = true;

	wb_char(w, '{');
#define FIELDS_JSON_ONE(i) \
	if ((i) < n) fields_json_one(w, &fields[i], fields[i].value(ctx), &first);
	FIELDS_UNROLL(FIELDS_JSON_ONE)
#undef FIELDS_JSON_ONE
	wb_char(w, '}');
}

/* fields[0..n)'s names, each after a comma */
void fields_csv_header(struct wbuf *w, const struct field *fields, size_t n);

/* one field of fields_csv */
static inline __attribute__((always_inline))
void fields_csv_one(struct wbuf *w, struct fval v)
{
	wb_char(w, ',');
	switch (v.type) {
	case FV_U64:
		fields_u64(w, v.u);
		break;
	case FV_DOUBLE:
		fields_double(w, v.d, v.dec);
		break;
	case FV_STR:
	case FV_PLAIN:
	case FV_NAME:
		wb_csv_field(w, v.s);
		break;
	case FV_BOOL:
		wb_char(w, v.u ? '1' : '0');
		break;
	default:
		break;
	}
}

/* fields[0..n) (n <= FIELDS_MAX) of one row (ctx), each after a comma */
static inline __attribute__((always_inline))
void fields_csv(struct wbuf *w, const struct field *fields, size_t n,
		void *ctx)
{
#define FIELDS_CSV_ONE(i) \
	if ((i) < n) fields_csv_one(w, fields[i].value(ctx));
	FIELDS_UNROLL(FIELDS_CSV_ONE)
#undef FIELDS_CSV_ONE
}

/* a text cell of packets/s, a slash, bytes/s: SI units (units.c) */
size_t text_rate_cell(char *cell, double pps, double bps);

#define TEXT_COLS_MAX 16

/*
 * A text table: the text cells of the first ncols fields of a layout
 * (columns.h; no gaps) for rows [0, nrows), row(arg, i) giving row i's
 * context. Every column as wide as its widest cell (title included), two
 * blanks between columns, no trailing blanks. The rows are formatted
 * twice (widths, then lines).
 */
struct text_table {
	const struct column_table *layout;
	int ncols;		/* <= layout->n, <= TEXT_COLS_MAX */
	size_t nrows;
	const void *(*row)(void *arg, size_t i);
	void *arg;
};

void text_table(struct wbuf *w, const struct text_table *t);

#endif
