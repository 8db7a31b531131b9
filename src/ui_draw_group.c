// SPDX-License-Identifier: GPL-2.0
/*
 * The groups tab: one row per group of the view's flows (built, summed
 * and sorted by the view builder); only the rows on screen are drawn, their
 * names read from the enrichment caches through each group's first flow.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "columns.h"
#include "group_out.h"
#include "ui_internal.h"

#define GLINE_MAX 2048

/* the key column: as wide as the longest key on screen (an IPv6 address
 * takes 39 columns, most keys far fewer) */
#define GKEY_MIN 16
#define GKEY_MAX 46

/*
 * The groups tab, left to right (group_out.h's fields); GROUP as wide as
 * the longest key on screen. Groups sort by rate, bytes or packets; the
 * other keys order them by the group key.
 */
static const int8_t group_view[] = {
	COL_GAP(1), GF_KEY, GF_NAME, GF_COUNTRY, GF_FLOWS, GF_ORIG_PACKETS,
	GF_ORIG_BYTES, GF_ORIG_BYTE_RATE, GF_REPLY_PACKETS, GF_REPLY_BYTES,
	GF_REPLY_BYTE_RATE,
};

const struct column_table group_view_layout = COLUMN_TABLE(group_fields,
							   group_view);

static void group_line(const struct ui *u, char *line, size_t cap,
		       const struct group_row *r, int keyw)
{
	struct group_fctx c = { .spec = &u->v->params.gspec, .r = r,
				.bits = u->bits };
	struct flow_info info;
	struct flow buf;
	char key[80];

	memset(&info, 0, sizeof(info));
	if (r->rep < u->v->snap->n)
		ui_get_info(u, snapshot_flow(u->v->snap, r->rep, &buf), &info);
	c.info = &info;
	c.key = group_key_text(c.spec, &r->key, key, sizeof(key));
	group_row_names(c.spec, &info, &c.name, &c.cc);
	columns_row(&group_view_layout, keyw, &c, line, cap);
}

void ui_draw_groups(struct ui *u)
{
	char line[GLINE_MAX];
	int y = UI_HEADER_ROWS, bottom = LINES - 1, skip;
	long vis = ui_list_rows() > 0 ? ui_list_rows() : 1;
	int keyw = GKEY_MIN;

	if (u->v && u->v->params.groups) {
		for (long i = u->gtop; i < u->gtop + vis &&
		     i < (long)u->v->ngroups; i++) {
			char key[80];
			int w = (int)strlen(group_key_text(&u->v->params.gspec,
							   &u->v->groups[i].key,
							   key, sizeof(key))) + 2;

			if (w > keyw)
				keyw = w < GKEY_MAX ? w : GKEY_MAX;
		}
	}
	columns_title(&group_view_layout, keyw, line, sizeof(line));
	skip = ui_clamp_hscroll(u, line);
	ui_put_line(u, y, line, skip, ROLE_TITLE, true);
	ui_mark_sorted(u, y++, &group_view_layout, keyw, skip, u->p.sort);
	/* a view built before the tab was asked for has no groups yet */
	if (!u->v || !u->v->params.groups) {
		ui_put_line(u, y, "  grouping flows...", 0, ROLE_DIM, false);
		return;
	}
	if (!u->v->ngroups) {
		ui_put_line(u, y, u->v->snap->n ? "  no flow matches the filter "
			    "and toggles (Esc clears the filter)" :
			    "  no flows yet", 0, ROLE_DIM, false);
		return;
	}
	for (long i = u->gtop; i < u->gtop + vis && y < bottom; i++) {
		if (i >= (long)u->v->ngroups)
			break;
		group_line(u, line, sizeof(line), &u->v->groups[i], keyw);
		ui_put_line(u, y++, line, skip,
			    i == u->gcursor ? ROLE_CURSOR : ROLE_NORMAL,
			    i == u->gcursor);
	}
}
