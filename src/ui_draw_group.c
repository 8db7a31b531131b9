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

/* What a group row's cells read: the row and the names of its first flow. */
struct group_cell {
	const struct ui *u;
	const struct group_row *r;
	const struct group_spec *spec;
	struct flow_info info;
	const char *name, *cc;
};

#define GROUP_CELL(ctx) ((const struct group_cell *)(ctx))

static const char *gcell_key(char *buf, size_t len, const void *ctx)
{
	const struct group_cell *c = ctx;

	return group_key_text(c->spec, &c->r->key, buf, len);
}

static const char *gcell_name(char *buf, size_t len, const void *ctx)
{
	const struct group_cell *c = ctx;

	if (c->spec->kind == GROUP_PROCESS && *c->name)
		snprintf(buf, len, "%s (%s)", c->name, c->info.proc.user);
	else
		snprintf(buf, len, "%s", *c->name ? c->name : "-");
	return buf;
}

static const char *gcell_cc(char *buf, size_t len, const void *ctx)
{
	const char *cc = GROUP_CELL(ctx)->cc;

	(void)buf;
	(void)len;
	return *cc ? cc : "-";
}

static const char *gcell_flows(char *buf, size_t len, const void *ctx)
{
	snprintf(buf, len, "%u", GROUP_CELL(ctx)->r->flows);
	return buf;
}

/* packets exact: they are what one compares with other counters */
static const char *gcell_pkts(char *buf, size_t len, const void *ctx, int dir)
{
	snprintf(buf, len, "%llu",
		 (unsigned long long)GROUP_CELL(ctx)->r->total.packets[dir]);
	return buf;
}

static const char *gcell_bytes(char *buf, size_t len, const void *ctx, int dir)
{
	return fmt_bytes(buf, len, GROUP_CELL(ctx)->r->total.bytes[dir]);
}

static const char *gcell_rate(char *buf, size_t len, const void *ctx, int dir)
{
	const struct group_cell *c = ctx;

	return fmt_rate(buf, len, c->r->byte_rate[dir], c->u->bits);
}

static const char *gcell_out_pkts(char *buf, size_t len, const void *ctx)
{
	return gcell_pkts(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *gcell_out(char *buf, size_t len, const void *ctx)
{
	return gcell_bytes(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *gcell_out_rate(char *buf, size_t len, const void *ctx)
{
	return gcell_rate(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *gcell_in_pkts(char *buf, size_t len, const void *ctx)
{
	return gcell_pkts(buf, len, ctx, FLOW_DIR_REPLY);
}

static const char *gcell_in(char *buf, size_t len, const void *ctx)
{
	return gcell_bytes(buf, len, ctx, FLOW_DIR_REPLY);
}

static const char *gcell_in_rate(char *buf, size_t len, const void *ctx)
{
	return gcell_rate(buf, len, ctx, FLOW_DIR_REPLY);
}

/*
 * The groups tab, left to right; GROUP as wide as the longest key on
 * screen. Groups sort by rate, bytes or packets; the other keys order
 * them by the group key.
 */
static const struct column group_cols[] = {
	{ "", 1, false, COL_NO_SORT, NULL },
	{ "GROUP", 0, false, COL_NO_SORT, gcell_key },
	{ "NAME", 23, false, COL_NO_SORT, gcell_name },
	{ "CC", 3, false, COL_NO_SORT, gcell_cc },
	{ "FLOWS", 7, true, COL_NO_SORT, gcell_flows },
	{ "OUT PKTS", 10, true, SORT_PACKETS, gcell_out_pkts },
	{ "OUT", 8, true, SORT_BYTES, gcell_out },
	{ "OUT/s", 10, true, SORT_RATE, gcell_out_rate },
	{ "IN PKTS", 10, true, SORT_PACKETS, gcell_in_pkts },
	{ "IN", 8, true, SORT_BYTES, gcell_in },
	{ "IN/s", 10, true, SORT_RATE, gcell_in_rate },
};

static const struct column_table group_table = COLUMN_TABLE(group_cols);

static void group_line(const struct ui *u, char *line, size_t cap,
		       const struct group_row *r, int keyw)
{
	struct group_cell c = { .u = u, .r = r, .spec = &u->v->params.gspec };
	struct flow buf;

	memset(&c.info, 0, sizeof(c.info));
	if (r->rep < u->v->snap->n)
		ui_get_info(u, snapshot_flow(u->v->snap, r->rep, &buf), &c.info);
	group_row_names(c.spec, &c.info, &c.name, &c.cc);
	columns_row(&group_table, keyw, &c, line, cap);
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
	columns_title(&group_table, keyw, line, sizeof(line));
	skip = ui_clamp_hscroll(u, line);
	ui_put_line(u, y, line, skip, ROLE_TITLE, true);
	ui_mark_sorted(u, y++, &group_table, keyw, skip, u->p.sort);
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
