// SPDX-License-Identifier: GPL-2.0
/*
 * The groups tab: one row per group of the view's flows (built, summed
 * and sorted by the view builder); only the rows on screen are drawn, their
 * names read from the enrichment caches through each group's first flow.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "group_out.h"
#include "ui_internal.h"

#define GLINE_MAX 2048

/* the key column: as wide as the longest key on screen (an IPv6 address
 * takes 39 columns, most keys far fewer) */
#define GKEY_MIN 16
#define GKEY_MAX 46

static void group_title(char *line, size_t cap, int keyw)
{
	size_t pos = 0;

	line[0] = '\0';
	ustr_put(line, cap, &pos, "", 1, false);
	ustr_put(line, cap, &pos, "GROUP", keyw, false);
	ustr_put(line, cap, &pos, "NAME", 23, false);
	ustr_put(line, cap, &pos, "CC", 3, false);
	ustr_put(line, cap, &pos, "FLOWS", 7, true);
	ustr_put(line, cap, &pos, "OUT PKTS", 10, true);
	ustr_put(line, cap, &pos, "OUT", 8, true);
	ustr_put(line, cap, &pos, "OUT/s", 10, true);
	ustr_put(line, cap, &pos, "IN PKTS", 10, true);
	ustr_put(line, cap, &pos, "IN", 8, true);
	ustr_put(line, cap, &pos, "IN/s", 10, true);
}

static void group_line(const struct ui *u, char *line, size_t cap,
		       const struct group_row *r, int keyw)
{
	const struct group_spec *spec = &u->v->params.gspec;
	char key[80], num[64], name[200];
	const char *nm, *cc;
	struct flow_info info;
	struct flow buf;
	size_t pos = 0;

	memset(&info, 0, sizeof(info));
	if (r->rep < u->v->snap->n)
		ui_get_info(u, snapshot_flow(u->v->snap, r->rep, &buf), &info);
	group_row_names(spec, &info, &nm, &cc);
	if (spec->kind == GROUP_PROCESS && *nm)
		snprintf(name, sizeof(name), "%s (%s)", nm, info.proc.user);
	else
		snprintf(name, sizeof(name), "%s", *nm ? nm : "-");
	line[0] = '\0';
	ustr_put(line, cap, &pos, "", 1, false);
	ustr_put(line, cap, &pos, group_key_text(spec, &r->key, key, sizeof(key)),
		 keyw, false);
	ustr_put(line, cap, &pos, name, 23, false);
	ustr_put(line, cap, &pos, *cc ? cc : "-", 3, false);
	snprintf(num, sizeof(num), "%u", r->flows);
	ustr_put(line, cap, &pos, num, 7, true);
	/* packets exact: they are what one compares with other counters */
	snprintf(num, sizeof(num), "%llu",
		 (unsigned long long)r->total.packets[FLOW_DIR_ORIG]);
	ustr_put(line, cap, &pos, num, 10, true);
	ustr_put(line, cap, &pos,
		 fmt_bytes(num, sizeof(num), r->total.bytes[FLOW_DIR_ORIG]), 8,
		 true);
	ustr_put(line, cap, &pos,
		 fmt_rate(num, sizeof(num), r->byte_rate[FLOW_DIR_ORIG], u->bits),
		 10, true);
	snprintf(num, sizeof(num), "%llu",
		 (unsigned long long)r->total.packets[FLOW_DIR_REPLY]);
	ustr_put(line, cap, &pos, num, 10, true);
	ustr_put(line, cap, &pos,
		 fmt_bytes(num, sizeof(num), r->total.bytes[FLOW_DIR_REPLY]), 8,
		 true);
	ustr_put(line, cap, &pos,
		 fmt_rate(num, sizeof(num), r->byte_rate[FLOW_DIR_REPLY], u->bits),
		 10, true);
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
	group_title(line, sizeof(line), keyw);
	skip = ui_clamp_hscroll(u, line);
	ui_put_line(u, y++, line, skip, ROLE_TITLE, true);
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
