/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Column tables, in the spirit of htop's Process_fields[] and ss's
 * columns[]: each kind of row (flows, processes, groups) lists its columns
 * once — title, width, alignment, the sort key that orders by it, and how
 * to render a cell — and the view's title line, its rows and the layout
 * arithmetic (where the flexible column starts, how wide it may grow) are
 * all read from that list.
 */
#ifndef FLOWTOP_COLUMNS_H
#define FLOWTOP_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#define COL_NO_SORT (-1)

/*
 * One column. ctx is the kind's row (struct flow_cell, proc_cell, ...);
 * cell writes its text into buf and returns it (or a constant string).
 * A NULL cell is a blank spacer.
 */
struct column {
	const char *title;
	int width;	/* display columns, blank after included; 0: flexible */
	bool right;	/* right-aligned (numbers) */
	int sort;	/* the enum sort_key / proc_sort it sorts by, or COL_NO_SORT */
	const char *(*cell)(char *buf, size_t len, const void *ctx);
};

struct column_table {
	const struct column *cols;
	size_t n;
};

#define COLUMN_TABLE(a) { (a), sizeof(a) / sizeof((a)[0]) }

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

#endif
