/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Field tables, in the spirit of htop's Process_fields[] and ss's
 * columns[]: each kind of row (flows, processes, groups) lists its fields
 * once, and every front end reads them from that list. A field carries
 * its JSON key and CSV column name and how to read its value for them,
 * the sort key that orders rows by it, and how the batch text table and
 * the view show it (title, width, alignment, the cell). The JSON objects
 * and CSV rows are the named fields in table order; the text table and
 * the view are layouts: lists of field ids picked from the table.
 *
 * Kinds: flow_fields.h (flows), group_out.h (groups), the processes tab
 * (ui_draw_procs.c, shown only there).
 */
#ifndef FLOWTOP_COLUMNS_H
#define FLOWTOP_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COL_NO_SORT (-1)

/*
 * How the view shows a field. ctx is the kind's row context; cell writes
 * its text into buf and returns it (or a constant string). A NULL title:
 * the field has no view column.
 */
struct column {
	const char *title;
	int width;	/* display columns, blank after included; 0: flexible */
	bool right;	/* right-aligned (numbers) */
	const char *(*cell)(char *buf, size_t len, const void *ctx);
};

/* Room of a text cell: a host name (the longest address cell is "[" v6 "]:" port). */
#define TEXT_CELL_MAX 256

/*
 * How the batch text table shows a field. A text cell is measured in
 * bytes (the table sizes every column to its widest cell) and its writer
 * returns the length, which spares a strlen per cell at a quarter of a
 * million rows; cell holds TEXT_CELL_MAX bytes. NULL title: not in the
 * text table.
 */
struct text_col {
	const char *title;
	bool right;
	size_t (*put)(char *cell, const void *ctx);
};

/*
 * A field's value for JSON and CSV, as its reader gives it; the format
 * writes it: absent leaves a JSON key out (the ports of an ICMP flow),
 * null is JSON null; both are an empty CSV cell.
 */
enum fval_type {
	FV_ABSENT,
	FV_NULL,
	FV_U64,
	FV_DOUBLE,	/* dec decimals */
	FV_STR,		/* text from outside: escaped (RFC 8259, RFC 4180) */
	FV_PLAIN,	/* text with nothing to escape for JSON (addresses) */
	FV_NAME,	/* a group's key or name: JSON escapes quotes,
			 * backslashes and control bytes only */
	FV_BOOL,	/* JSON true/false, CSV 1/0 */
};

struct fval {
	uint8_t type;	/* enum fval_type */
	uint8_t dec;
	union {
		uint64_t u;
		double d;
		const char *s;	/* never NULL for FV_STR/FV_PLAIN/FV_NAME */
	};
};

#define FV_ABSENT_V ((struct fval){ .type = FV_ABSENT })
#define FV_NULL_V ((struct fval){ .type = FV_NULL })
#define FV_U64_V(v) ((struct fval){ .type = FV_U64, .u = (v) })
#define FV_DOUBLE_V(v, d_) ((struct fval){ .type = FV_DOUBLE, .dec = (d_), .d = (v) })
#define FV_BOOL_V(v) ((struct fval){ .type = FV_BOOL, .u = (v) })

/* a string, null when NULL (or, with opt, when empty) */
static inline struct fval fv_str(const char *s, uint8_t type, bool opt)
{
	if (!s || (opt && !*s))
		return FV_NULL_V;
	return (struct fval){ .type = type, .s = s };
}

/* room for a JSON key, separator and padding included */
#define FIELD_JKEY_MAX 32

struct field {
	const char *name;	/* JSON key and CSV column; NULL: shown only */
	/* ", \"name\": ", zero-padded: written with a copy of fixed size */
	char jkey[FIELD_JKEY_MAX];
	uint8_t jlen;
	bool enrich;		/* JSON/CSV have it only with enrichment */
	int sort;		/* the kind's sort key ordering by it, or COL_NO_SORT */
	/* the value for JSON and CSV; ctx is the kind's row context */
	struct fval (*value)(void *ctx);
	struct text_col text;
	struct column view;
};

/* .name and its JSON key, the separator before it included */
#define FIELD_NAME(n) \
	.name = n, .jkey = ", \"" n "\": ", .jlen = sizeof(", \"" n "\": ") - 1

/*
 * A view layout: field ids of a kind's table, left to right; a blank gap
 * of n columns is COL_GAP(n).
 */
#define COL_GAP(n) (-(n))

struct column_table {
	const struct field *fields;
	const int8_t *ids;
	size_t n;
};

#define COLUMN_TABLE(fields_, ids_) \
	{ (fields_), (ids_), sizeof(ids_) / sizeof((ids_)[0]) }

/* The view column i of t (a gap: a blank column without cell). */
struct column columns_col(const struct column_table *t, size_t i);

/* The sort key of column i of t, or COL_NO_SORT. */
int columns_sort(const struct column_table *t, size_t i);

/* Width of the fixed columns before (before) and after the flexible one. */
void columns_fixed(const struct column_table *t, int *before, int *after);

/* The title line: titles cut and padded to their widths (flex: the flexible column's). */
void columns_title(const struct column_table *t, int flex, char *line,
		   size_t cap);

/* One row: every cell of ctx, cut and padded to its column. */
void columns_row(const struct column_table *t, int flex, const void *ctx,
		 char *line, size_t cap);

/*
 * Display column where column i starts and its width, for marking the
 * sorted column's title. -1 when i is out of range.
 */
int columns_at(const struct column_table *t, int flex, size_t i, int *width);

/*
 * The processes tab's layout (ui_draw_procs.c, which holds their fields:
 * shown there only, they have no JSON/CSV names or text cells).
 */
extern const struct column_table proc_view_layout;
extern const size_t proc_fields_n;	/* fields in its table */

#endif
