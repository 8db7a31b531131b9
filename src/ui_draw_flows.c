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
#include "format.h"
#include "ui_internal.h"

/* "http", "8080" or ICMP "type 8/0" for the destination port. */
const char *ui_port_text(char *buf, size_t len, const struct flow_key *k,
			     const char *service)
{
	if (ui_is_icmp(k->proto))
		snprintf(buf, len, "%u/%u", ui_icmp_byte(k, 0), ui_icmp_byte(k, 1));
	else if (service && *service)
		snprintf(buf, len, "%s", service);
	else
		snprintf(buf, len, "%u", ntohs(k->dport));
	return buf;
}

/* --- flows tab ------------------------------------------------------- */

struct flow_cols {
	int dest;	/* the one flexible column */
	int dest_at;	/* its display column */
};

static const struct column_table flow_table;

static struct flow_cols flow_layout(void)
{
	struct flow_cols c;
	int before, after;

	/* the destination takes what the fixed columns leave, within bounds */
	columns_fixed(&flow_table, &before, &after);
	c.dest = COLS - before - after - 1;
	if (c.dest < 22)
		c.dest = 22;
	if (c.dest > 46)
		c.dest = 46;
	c.dest_at = before;
	return c;
}

#define DEST_TEXT_MAX (256 + 8 + ENDPOINT_STRLEN)
/* widest the destination column grows to fit a NAT'd row's two ends */
#define DEST_NAT_MAX 64

/*
 * The destination cell: the name (or address) and, for a DNAT'd flow, the
 * address and port it really goes to ("→ 192.0.2.2:22").
 */
static void dest_text(const struct ui *u, char *buf, size_t len,
		      const struct flow *f, const struct flow_info *info)
{
	char addr[INET6_ADDRSTRLEN], ep[ENDPOINT_STRLEN];
	const char *name = info->dst.host;

	if (!name[0])
		name = format_addr(f->key.family, f->key.dst, addr, sizeof(addr));
	if (flow_nat_endpoint(f, FLOW_NAT_DST, ep, sizeof(ep)))
		snprintf(buf, len, "%s %s %s", name ? name : "?",
			 u->utf8 ? "\xe2\x86\x92" : "->", ep);
	else
		snprintf(buf, len, "%s", name ? name : "?");
}

/* First column: x destroyed (shown once more), o offloaded (flowtable). */
static const char *row_mark(const struct flow *f)
{
	return f->destroyed ? "x" : f->offloaded ? "o" : " ";
}

/*
 * A byte total; ">" in front when it counts only since flowtop began
 * counting (a flow older than flowtop, without kernel counters).
 */
static const char *total_text(char *buf, size_t len, const struct flow *f,
			      uint64_t bytes)
{
	char num[32];

	fmt_bytes(num, sizeof(num), bytes);
	snprintf(buf, len, "%s%s", f->whole_life ? "" : ">", num);
	return buf;
}

/* --- the flows tab's columns ----------------------------------------- */

/* What a flow row's cells read. */
struct flow_cell {
	const struct ui *u;
	const struct flow *f;
	const struct flow_info *info;
	double now;
};

#define FLOW_CELL(ctx) ((const struct flow_cell *)(ctx))

static const char *cell_mark(char *buf, size_t len, const void *ctx)
{
	(void)buf;
	(void)len;
	return row_mark(FLOW_CELL(ctx)->f);
}

static const char *cell_process(char *buf, size_t len, const void *ctx)
{
	const struct proc_info *p = &FLOW_CELL(ctx)->info->proc;

	(void)buf;
	(void)len;
	return p->pid > 0 ? p->comm : "-";
}

static const char *cell_pid(char *buf, size_t len, const void *ctx)
{
	const struct proc_info *p = &FLOW_CELL(ctx)->info->proc;

	if (p->pid <= 0)
		return "-";
	snprintf(buf, len, "%d", (int)p->pid);
	return buf;
}

static const char *cell_proto(char *buf, size_t len, const void *ctx)
{
	return proto_name(FLOW_CELL(ctx)->f->key.proto, buf, len);
}

static const char *cell_state(char *buf, size_t len, const void *ctx)
{
	const struct flow *f = FLOW_CELL(ctx)->f;
	const char *state = flow_state_name(f->key.proto, f->state);

	(void)buf;
	(void)len;
	return state ? state : "-";
}

static const char *cell_age(char *buf, size_t len, const void *ctx)
{
	const struct flow_cell *c = ctx;

	return fmt_age(buf, len, flow_age(c->f, c->now));
}

static const char *cell_dest(char *buf, size_t len, const void *ctx)
{
	const struct flow_cell *c = ctx;

	dest_text(c->u, buf, len, c->f, c->info);
	return buf;
}

static const char *cell_port(char *buf, size_t len, const void *ctx)
{
	const struct flow_cell *c = ctx;

	return ui_port_text(buf, len, &c->f->key, c->info->dst.service);
}

static const char *cell_cc(char *buf, size_t len, const void *ctx)
{
	const char *cc = FLOW_CELL(ctx)->info->dst.geo.country_code;

	(void)buf;
	(void)len;
	return cc[0] ? cc : "-";
}

static const char *cell_total(char *buf, size_t len, const void *ctx, int dir)
{
	const struct flow *f = FLOW_CELL(ctx)->f;

	return total_text(buf, len, f, f->total.bytes[dir]);
}

static const char *cell_rate(char *buf, size_t len, const void *ctx, int dir)
{
	const struct flow_cell *c = ctx;

	return fmt_rate(buf, len, c->f->byte_rate[dir], c->u->bits);
}

static const char *cell_out(char *buf, size_t len, const void *ctx)
{
	return cell_total(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *cell_out_rate(char *buf, size_t len, const void *ctx)
{
	return cell_rate(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *cell_in(char *buf, size_t len, const void *ctx)
{
	return cell_total(buf, len, ctx, FLOW_DIR_REPLY);
}

static const char *cell_in_rate(char *buf, size_t len, const void *ctx)
{
	return cell_rate(buf, len, ctx, FLOW_DIR_REPLY);
}

/* The flows tab, left to right; DESTINATION takes the width left over. */
static const struct column flow_cols[] = {
	{ "", 2, false, COL_NO_SORT, cell_mark },
	{ "PROCESS", 13, false, SORT_PROCESS, cell_process },
	{ "PID", 7, true, COL_NO_SORT, cell_pid },
	{ "", 1, false, COL_NO_SORT, NULL },
	{ "PROTO", 8, false, SORT_PROTO, cell_proto },
	{ "STATE", 12, false, SORT_STATE, cell_state },
	{ "AGE", 7, true, SORT_AGE, cell_age },
	{ "", 1, false, COL_NO_SORT, NULL },
	{ "DESTINATION", 0, false, SORT_DEST, cell_dest },
	{ "PORT", 12, false, SORT_PORT, cell_port },
	{ "CC", 3, false, SORT_COUNTRY, cell_cc },
	{ "OUT", 7, true, SORT_BYTES, cell_out },
	{ "OUT/s", 10, true, SORT_RATE, cell_out_rate },
	{ "IN", 8, true, SORT_BYTES, cell_in },
	{ "IN/s", 10, true, SORT_RATE, cell_in_rate },
};

static const struct column_table flow_table = COLUMN_TABLE(flow_cols);

static void flow_row(const struct ui *u, char *line, size_t cap,
		     const struct flow *f, const struct flow_info *info,
		     const struct flow_cols *c, double now)
{
	struct flow_cell cell = { .u = u, .f = f, .info = info, .now = now };

	columns_row(&flow_table, c->dest + 1, &cell, line, cap);
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
			dest_text(u, text, sizeof(text), f, &info);
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
	columns_title(&flow_table, c.dest + 1, line, sizeof(line));
	skip = ui_clamp_hscroll(u, line);
	ui_put_line(u, y, line, skip, ROLE_TITLE, true);
	ui_mark_sorted(u, y++, &flow_table, c.dest + 1, skip, u->p.sort);
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
