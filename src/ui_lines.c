// SPDX-License-Identifier: GPL-2.0
/*
 * Screen geometry and line output shared by every tab of the view (flows,
 * processes, groups, detail): how many rows the list has, one clipped and
 * padded line, the sort column's mark, a flow's enrichment as the view's
 * switches allow. Below ui.c (the thread) and the drawing modules, so
 * that neither calls back up.
 */
#include <curses.h>
#include <string.h>

#include "columns.h"
#include "ui_internal.h"

int ui_list_rows(void)
{
	int r = LINES - UI_HEADER_ROWS - 2;	/* title row, footer */

	return r > 0 ? r : 0;
}

int ui_flow_height(const struct ui *u)
{
	return u->show_src ? 2 : 1;
}

long ui_visible_flows(const struct ui *u)
{
	long n = ui_list_rows() / ui_flow_height(u);

	return n > 0 ? n : 1;
}

/* Length of s if every byte of it is printable ASCII, else -1. */
static long printable_ascii_len(const char *s)
{
	const char *p = s;

	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return -1;
	return p - s;
}

/*
 * An ASCII line as curses cells, one byte a cell. addstr decodes every
 * byte as a multibyte character and asks its width (mbrtowc, wcwidth,
 * iconv): 35-45 % of the view thread's time in a redraw, for lines that
 * are nearly always plain ASCII (addresses, numbers, ports).
 */
static void put_ascii_line(int y, const char *s, long len, int width,
			   bool fill, attr_t attr)
{
	chtype cells[LINE_MAX_BYTES];
	int n = 0;

	if (width > LINE_MAX_BYTES)
		width = LINE_MAX_BYTES;
	for (; n < len && n < width; n++)
		cells[n] = (chtype)(unsigned char)s[n] | attr;
	if (fill)
		for (; n < width; n++)
			cells[n] = (chtype)' ' | attr;
	if (n)
		mvaddchnstr(y, 0, cells, n);
}

/* One screen line: text from display column skip, padded when fill. */
void ui_put_line(const struct ui *u, int y, const char *text, int skip,
		 enum ui_role role, bool fill)
{
	char out[LINE_MAX_BYTES];
	int width = COLS, cols;
	long len;

	if (y < 0 || y >= LINES || width <= 0)
		return;
	/* the bottom-right cell cannot be written without scrolling */
	if (y == LINES - 1)
		width--;
	len = printable_ascii_len(text);
	if (len >= 0) {
		/* one column a byte: skip columns are skip bytes */
		if (skip < 0)
			skip = 0;
		if (skip > len)
			skip = (int)len;
		put_ascii_line(y, text + skip, len - skip, width, fill,
			       u->attr[role]);
		return;
	}
	ustr_slice(text, skip, width, out, sizeof(out));
	cols = ustr_cols(out);
	if (fill && cols < width) {
		size_t l = strlen(out);

		while (cols < width && l + 1 < sizeof(out)) {
			out[l++] = ' ';
			cols++;
		}
		out[l] = '\0';
	}
	attrset(u->attr[role]);
	mvaddstr(y, 0, out);
	attrset(A_NORMAL);
}

void ui_get_info(const struct ui *u, const struct flow *f,
		 struct flow_info *info)
{
	memset(info, 0, sizeof(*info));
	if (u->enrich)
		enrich_flow(u->enrich, f, info);
	if (!u->dns) {
		info->src.host[0] = '\0';
		info->dst.host[0] = '\0';
	}
	if (!u->geo) {
		memset(&info->src.geo, 0, sizeof(info->src.geo));
		memset(&info->dst.geo, 0, sizeof(info->dst.geo));
	}
}

int ui_clamp_hscroll(struct ui *u, const char *title)
{
	int maxs = ustr_cols(title) - COLS;

	if (maxs < 0)
		maxs = 0;
	if (u->hscroll > maxs)
		u->hscroll = maxs;
	return u->hscroll;
}

/*
 * Underlines the titles of the columns the sort key orders by, as htop
 * marks its sort column: the text stays the same, only its look changes.
 */
void ui_mark_sorted(const struct ui *u, int y, const struct column_table *t,
		    int flex, int skip, int key)
{
	for (size_t i = 0; i < t->n; i++) {
		int w, x;

		if (columns_sort(t, i) != key)
			continue;
		x = columns_at(t, flex, i, &w) - skip;
		w--;	/* not the blank after the title */
		if (x < 0) {
			w += x;
			x = 0;
		}
		if (w > COLS - x)
			w = COLS - x;
		if (w > 0 && y < LINES)
			mvchgat(y, x, w, (attr_t)(u->attr[ROLE_TITLE] | A_UNDERLINE),
				(short)PAIR_NUMBER(u->attr[ROLE_TITLE]), NULL);
	}
}
