// SPDX-License-Identifier: GPL-2.0
/* Lines of a view layout (columns.h), cut and padded to display columns. */
#include "columns.h"

#include "ui_text.h"

/* room for the longest cell: a host name and a NAT'd end behind it */
#define CELL_TEXT_MAX 512

struct column columns_col(const struct column_table *t, size_t i)
{
	int id = t->ids[i];

	if (id < 0)
		return (struct column){ "", -id, false, NULL };
	return t->fields[id].view;
}

int columns_sort(const struct column_table *t, size_t i)
{
	int id = t->ids[i];

	return id < 0 ? COL_NO_SORT : t->fields[id].sort;
}

static int col_width(const struct column *c, int flex)
{
	return c->width ? c->width : flex;
}

void columns_fixed(const struct column_table *t, int *before, int *after)
{
	bool seen = false;

	*before = *after = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct column c = columns_col(t, i);

		if (!c.width)
			seen = true;
		else if (seen)
			*after += c.width;
		else
			*before += c.width;
	}
}

void columns_title(const struct column_table *t, int flex, char *line,
		   size_t cap)
{
	size_t pos = 0;

	if (!cap)
		return;
	line[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		struct column c = columns_col(t, i);

		ustr_put(line, cap, &pos, c.title, col_width(&c, flex), c.right);
	}
}

void columns_row(const struct column_table *t, int flex, const void *ctx,
		 char *line, size_t cap)
{
	char buf[CELL_TEXT_MAX];
	size_t pos = 0;

	if (!cap)
		return;
	line[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		struct column c = columns_col(t, i);
		const char *s = c.cell ? c.cell(buf, sizeof(buf), ctx) : "";

		ustr_put(line, cap, &pos, s, col_width(&c, flex), c.right);
	}
}

int columns_at(const struct column_table *t, int flex, size_t i, int *width)
{
	int at = 0;

	if (i >= t->n)
		return -1;
	for (size_t j = 0; j < i; j++) {
		struct column c = columns_col(t, j);

		at += col_width(&c, flex);
	}
	struct column c = columns_col(t, i);

	*width = col_width(&c, flex);
	return at;
}
