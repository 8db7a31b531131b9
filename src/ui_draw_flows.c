// SPDX-License-Identifier: GPL-2.0
/*
 * The flows tab: one row per flow on screen (only those), from the flows'
 * column table; NAT'd rows widen the destination column; -s adds a
 * source row under each.
 */
#include <arpa/inet.h>
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "columns.h"
#include "flow_fields.h"
#include "format.h"
#include "ui_internal.h"

/* "http", "8080" or ICMP "type 8/0" for the destination port. */
const char *ui_port_text(char *buf, size_t len, const struct flow_key *k,
			     const char *service)
{
	return flow_port_text(buf, len, k, service);
}

/* --- flows tab ------------------------------------------------------- */

struct flow_cols {
	int dest;	/* the one flexible column */
	int dest_at;	/* its display column */
};


static struct flow_cols flow_layout(void)
{
	struct flow_cols c;
	int before, after;

	/* the destination takes what the fixed columns leave, within bounds */
	columns_fixed(&flow_view_layout, &before, &after);
	c.dest = COLS - before - after - 1;
	if (c.dest < 22)
		c.dest = 22;
	if (c.dest > 46)
		c.dest = 46;
	c.dest_at = before;
	return c;
}

/* widest the destination column grows to fit a NAT'd row's two ends */
#define DEST_NAT_MAX 64

/* The flows tab, left to right; DESTINATION takes the width left over. */
static const int8_t flow_view[] = {
	FF_ROW_MARK, FF_PROCESS, FF_PID, COL_GAP(1), FF_PROTO, FF_STATE,
	FF_AGE, COL_GAP(1), FF_DST, FF_DPORT, FF_DST_COUNTRY, FF_ORIG_BYTES,
	FF_ORIG_BYTE_RATE, FF_REPLY_BYTES, FF_REPLY_BYTE_RATE,
};

const struct column_table flow_view_layout = COLUMN_TABLE(flow_fields,
							  flow_view);

static void flow_row(const struct ui *u, char *line, size_t cap,
		     const struct flow *f, const struct flow_info *info,
		     const struct flow_cols *c, double now)
{
	struct flow_fctx cell = { .f = f, .fi = info, .now = now,
				  .utf8 = u->utf8, .bits = u->bits };

	columns_row(&flow_view_layout, c->dest + 1, &cell, line, cap);
}

/*
 * The -s row's text: where the flow comes from and, for a SNAT'd or
 * masqueraded flow, the address and port the world sees
 * ("via 198.51.100.1:34906").
 */
static void src_text(char *buf, size_t len, const struct flow *f,
		     const struct flow_info *info)
{
	char addr[INET6_ADDRSTRLEN], ep[ENDPOINT_STRLEN];
	const struct flow_key *k = &f->key;
	const char *name = info->src.host;
	int n;

	if (!name[0])
		name = format_addr(k->family, k->src, addr, sizeof(addr));
	if (!name)
		name = "?";
	if (ui_is_icmp(k->proto))
		n = snprintf(buf, len, "%s", name);
	else
		n = snprintf(buf, len, "%s port %u", name, ntohs(k->sport));
	if (n > 0 && (size_t)n < len &&
	    flow_nat_endpoint(f, FLOW_NAT_SRC, ep, sizeof(ep)))
		snprintf(buf + n, len - (size_t)n, " via %s", ep);
}

/* The -s row: where the flow comes from, under the destination column. */
static void src_row(char *line, size_t cap, const struct flow *f,
		    const struct flow_info *info, const struct flow_cols *c)
{
	char text[400];
	size_t pos = 0;

	line[0] = '\0';
	ustr_put(line, cap, &pos, "", c->dest_at - 5, false);
	ustr_put(line, cap, &pos, "from", 5, false);
	src_text(text, sizeof(text), f, info);
	ustr_put(line, cap, &pos, text, c->dest + 13, false);
	ustr_put(line, cap, &pos, info->src.geo.country_code[0] ?
		 info->src.geo.country_code : "-", 3, false);
}

/*
 * Widens the destination column for the NAT'd rows on screen, so that
 * both ends of a translation show (up to DEST_NAT_MAX columns; the row
 * may then be wider than the terminal: Left/Right scroll). Only rows on
 * screen are measured, and only NAT'd ones need their names.
 */
static void fit_nat_rows(const struct ui *u, struct flow_cols *c, long vis)
{
	char text[400];
	struct flow_info info;
	struct flow buf;
	int want = c->dest;

	for (long i = u->top; i < u->top + vis && i < (long)u->v->n; i++) {
		const struct flow *f = snapshot_flow(u->v->snap, u->v->idx[i],
						     &buf);
		unsigned int nat = flow_nat(f);
		int w;

		if (!nat)
			continue;
		ui_get_info(u, f, &info);
		if (nat & FLOW_NAT_DST) {
			flow_dest_text(text, sizeof(text), f, &info, u->utf8);
			w = ustr_cols(text);
			if (w > want)
				want = w;
		}
		if ((nat & FLOW_NAT_SRC) && u->show_src) {
			/* the source text spans the port column too */
			src_text(text, sizeof(text), f, &info);
			w = ustr_cols(text) - 12;
			if (w > want)
				want = w;
		}
	}
	if (want > DEST_NAT_MAX)
		want = DEST_NAT_MAX;
	if (want > c->dest)
		c->dest = want;
}

void ui_draw_flows(struct ui *u)
{
	char line[LINE_MAX_BYTES];
	struct flow_cols c = flow_layout();
	int y = UI_HEADER_ROWS, bottom = LINES - 1, skip;
	struct flow_info info;
	struct flow buf;
	long vis = ui_visible_flows(u);

	if (u->v)
		fit_nat_rows(u, &c, vis);
	columns_title(&flow_view_layout, c.dest + 1, line, sizeof(line));
	skip = ui_clamp_hscroll(u, line);
	ui_put_line(u, y, line, skip, ROLE_TITLE, true);
	ui_mark_sorted(u, y++, &flow_view_layout, c.dest + 1, skip, u->p.sort);
	if (!u->v)
		return;
	if (!u->v->n) {
		ui_put_line(u, y, u->v->snap->n ? "  no flow matches the filter "
			 "and toggles (Esc clears the filter)" :
			 "  no flows yet", 0, ROLE_DIM, false);
		return;
	}
	for (long i = u->top; i < u->top + vis && y < bottom; i++) {
		const struct flow *f;
		enum ui_role role;

		if (i >= (long)u->v->n)
			break;
		f = snapshot_flow(u->v->snap, u->v->idx[i], &buf);
		ui_get_info(u, f, &info);
		role = i == u->cursor ? ROLE_CURSOR :
		       f->destroyed ? ROLE_GONE : ROLE_NORMAL;
		flow_row(u, line, sizeof(line), f, &info, &c,
			 u->v->snap->meta.time);
		ui_put_line(u, y++, line, skip, role, i == u->cursor);
		if (u->show_src && y < bottom) {
			src_row(line, sizeof(line), f, &info, &c);
			ui_put_line(u, y++, line, skip, role, i == u->cursor);
		}
	}
}
