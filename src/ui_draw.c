// SPDX-License-Identifier: GPL-2.0
/*
 * Drawing the interactive view: header, flow rows (only those on screen),
 * processes tab, flow detail with sparklines, help and footer. Reads the
 * current view and the enrichment caches; never blocks.
 */
#include <arpa/inet.h>
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <time.h>

#include "acct.h"
#include "columns.h"
#include "filter.h"
#include "format.h"
#include "ui_internal.h"

#define LINE_MAX_BYTES 2048

void ui_draw_init(struct ui *u)
{
	static const int mono[ROLE_COUNT] = {
		[ROLE_NORMAL] = A_NORMAL,
		[ROLE_HEADER] = A_BOLD,
		[ROLE_TITLE] = A_REVERSE,
		[ROLE_CURSOR] = A_REVERSE | A_BOLD,
		[ROLE_GONE] = A_DIM,
		[ROLE_PAUSED] = A_REVERSE | A_BOLD,
		[ROLE_FOOTER] = A_REVERSE,
		[ROLE_DIM] = A_DIM,
	};

	memcpy(u->attr, mono, sizeof(mono));
	if (!u->color)
		return;
	init_pair(1, COLOR_CYAN, -1);
	init_pair(2, COLOR_BLACK, COLOR_GREEN);
	init_pair(3, COLOR_BLACK, COLOR_CYAN);
	init_pair(4, COLOR_RED, -1);
	init_pair(5, COLOR_BLACK, COLOR_YELLOW);
	init_pair(6, COLOR_BLACK, COLOR_WHITE);
	u->attr[ROLE_HEADER] = COLOR_PAIR(1) | A_BOLD;
	u->attr[ROLE_TITLE] = COLOR_PAIR(2);
	u->attr[ROLE_CURSOR] = COLOR_PAIR(3);
	u->attr[ROLE_GONE] = COLOR_PAIR(4);
	u->attr[ROLE_PAUSED] = COLOR_PAIR(5) | A_BOLD;
	u->attr[ROLE_FOOTER] = COLOR_PAIR(6);
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* ICMP type (0) and code (1) are the bytes of dport, in memory order */
static unsigned int icmp_byte(const struct flow_key *k, int i)
{
	return ((const uint8_t *)&k->dport)[i];
}

/* "http", "8080" or ICMP "type 8/0" for the destination port. */
static const char *port_text(char *buf, size_t len, const struct flow_key *k,
			     const char *service)
{
	if (is_icmp(k->proto))
		snprintf(buf, len, "%u/%u", icmp_byte(k, 0), icmp_byte(k, 1));
	else if (service && *service)
		snprintf(buf, len, "%s", service);
	else
		snprintf(buf, len, "%u", ntohs(k->dport));
	return buf;
}

/* --- header and footer ---------------------------------------------- */

/*
 * The time of the data shown, as top shows the time: it tells the user
 * (and a test) which refresh is on screen, and it stands still when paused.
 */
static const char *snapshot_clock(char *buf, size_t len, double t)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (!localtime_r(&secs, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "--:--:--");
	return buf;
}

static void draw_header(struct ui *u)
{
	char line[LINE_MAX_BYTES], a[32], b[32], c[32], d[32], ev[40], clock[16];
	char gb[80];
	const struct view *v = u->v;
	const char *sortname;
	bool rev;
	size_t pos;
	int n;

	if (!v) {
		snprintf(line, sizeof(line), "flowtop  -t %gs  waiting for the "
			 "first snapshot...", u->cfg->interval_s);
		ui_put_line(u, 0, line, 0, ROLE_HEADER, true);
		return;
	}
	n = snprintf(line, sizeof(line), "flowtop%s  %s  %gs  %s  flows %zu/%zu  "
		     "out %s  in %s",
		     u->paused ? " [PAUSED]" : "",
		     snapshot_clock(clock, sizeof(clock), v->snap->meta.time),
		     u->cfg->interval_s,
		     acct_kind_name(v->snap->meta.acct), v->n, v->snap->n,
		     fmt_rate(a, sizeof(a), v->rate[FLOW_DIR_ORIG], u->bits),
		     fmt_rate(b, sizeof(b), v->rate[FLOW_DIR_REPLY], u->bits));
	/* offloaded flows: counted by the kernel, if it keeps counters */
	if (v->snap->meta.offloaded && n > 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n,
			 "  offloaded %llu%s",
			 (unsigned long long)v->snap->meta.offloaded,
			 v->snap->meta.offloaded_uncounted ?
			 " (some without kernel counters: see ?)" : "");
	ui_put_line(u, 0, line, 0, u->paused ? ROLE_PAUSED : ROLE_HEADER, true);

	if (u->tab == TAB_PROCS && !u->detail) {
		sortname = proc_sort_name(u->p.psort);
		rev = u->p.preverse;
	} else {
		sortname = sort_key_name(u->p.sort);
		rev = u->p.reverse;
	}
	/* counts the counter map could not keep (--max-flows too small):
	 * shown once there are any, next to the other losses */
	ev[0] = '\0';
	if (v->snap->meta.evictions)
		snprintf(ev, sizeof(ev), "  evictions %llu",
			 (unsigned long long)v->snap->meta.evictions);
	pos = (size_t)snprintf(line, sizeof(line),
		"new %s/s  gone %s/s  lost %llu  resyncs %llu%s  sort %s%s  "
		"proto %c%c%c%c%c%s",
		fmt_count(c, sizeof(c), v->new_per_s),
		fmt_count(d, sizeof(d), v->gone_per_s),
		(unsigned long long)v->snap->meta.lost_events,
		(unsigned long long)v->snap->meta.resyncs, ev, sortname,
		rev ? " (rev)" : "",
		u->p.protos & SEL_TCP ? 'T' : '-',
		u->p.protos & SEL_UDP ? 'U' : '-',
		u->p.protos & SEL_DCCP ? 'D' : '-',
		u->p.protos & SEL_ICMP ? 'I' : '-',
		u->p.protos & SEL_SCTP ? 'S' : '-',
		u->p.active_only ? "  active" : "");
	if (u->p.pid_filter_on && pos < sizeof(line))
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos,
					"  pid %d", u->p.pid_filter);
	if (u->tab == TAB_GROUPS && !u->detail && pos < sizeof(line))
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos,
					"  by %s", group_spec_name(&u->p.gspec,
								   gb, sizeof(gb)));
	if (u->p.group_filter_on && pos < sizeof(line))
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos,
					"  group %s", group_key_text(
						&u->p.group_filter_spec,
						&u->p.group_filter, gb, sizeof(gb)));
	if (u->p.filter[0] && pos < sizeof(line))
		snprintf(line + pos, sizeof(line) - pos, "  filter \"%s\"",
			 u->p.filter);
	ui_put_line(u, 1, line, 0, ROLE_HEADER, true);
}

/*
 * "row 1234/262144" at the right of the footer: where the cursor is. Rows
 * of a synthetic or uniform load often look the same (one destination,
 * one age), and scrolling among them would otherwise change nothing on
 * screen: the key was answered at once, yet looked ignored until the next
 * refresh. With the position every cursor key that moves shows its effect.
 */
static void draw_position(struct ui *u)
{
	char pos[64];
	bool procs = u->tab == TAB_PROCS && !u->detail;
	bool groups = u->tab == TAB_GROUPS && !u->detail;
	long cur = procs ? u->pcursor : groups ? u->gcursor : u->cursor;
	size_t n = u->v ? (procs ? u->v->nprocs :
			   groups ? u->v->ngroups : u->v->n) : 0;
	int len, x;

	len = snprintf(pos, sizeof(pos), " %s %ld/%zu ",
		       procs ? "process" : groups ? "group" : "row",
		       n ? cur + 1 : 0, n);
	/* the bottom-right cell cannot be written without scrolling */
	x = COLS - 1 - len;
	if (len <= 0 || x < COLS / 2)
		return;
	attrset(u->attr[ROLE_FOOTER]);
	mvaddstr(LINES - 1, x, pos);
	attrset(A_NORMAL);
}

static void draw_footer(struct ui *u)
{
	char line[LINE_MAX_BYTES];
	const char *keys;

	if (u->editing && u->filter_err[0]) {
		snprintf(line, sizeof(line), "filter: %s_   %s", u->edit,
			 u->filter_err);
		ui_put_line(u, LINES - 1, line, 0, ROLE_FOOTER, true);
		return;
	}
	if (u->editing) {
		snprintf(line, sizeof(line), "filter: %s_   Enter keep  Esc clear",
			 u->edit);
		ui_put_line(u, LINES - 1, line, 0, ROLE_FOOTER, true);
		return;
	}
	if (u->filter_err[0] && !u->detail) {
		/* Enter on a wrong expression: say so until it is mended */
		snprintf(line, sizeof(line), "bad filter, not applied: %s   "
			 "/ mend  Esc clear", u->filter_err);
		ui_put_line(u, LINES - 1, line, 0, ROLE_FOOTER, true);
		return;
	}
	if (u->status[0]) {	/* a logged message (log.h), for a while */
		ui_put_line(u, LINES - 1, u->status, 0, ROLE_FOOTER, true);
		return;
	}
	if (u->detail)
		keys = "Esc back  j/k next flow  space pause  b bits  q quit  ? help";
	else if (u->tab == TAB_PROCS)
		keys = "Enter flows  o sort  r reverse  TAB groups  / filter  "
		       "q quit  ? help";
	else if (u->tab == TAB_GROUPS)
		keys = "Enter flows  G group key  o sort  r reverse  TAB flows  "
		       "/ filter  q quit  ? help";
	else
		keys = "q quit  Enter detail  / filter  o sort  r reverse  "
		       "space pause  TAB procs  ? help";
	ui_put_line(u, LINES - 1, keys, 0, ROLE_FOOTER, true);
	draw_position(u);
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

	return port_text(buf, len, &c->f->key, c->info->dst.service);
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
	if (is_icmp(k->proto))
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

static void draw_flows(struct ui *u)
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

/* --- processes tab --------------------------------------------------- */

/* What a process row's cells read. */
struct proc_cell {
	const struct ui *u;
	const struct proc_row *r;
};

#define PROC_ROW(ctx) (((const struct proc_cell *)(ctx))->r)

static const char *pcell_pid(char *buf, size_t len, const void *ctx)
{
	const struct proc_row *r = PROC_ROW(ctx);

	if (r->pid <= 0)
		return "-";
	snprintf(buf, len, "%d", (int)r->pid);
	return buf;
}

static const char *pcell_user(char *buf, size_t len, const void *ctx)
{
	const struct proc_row *r = PROC_ROW(ctx);

	(void)buf;
	(void)len;
	return r->pid > 0 ? r->user : "-";
}

static const char *pcell_comm(char *buf, size_t len, const void *ctx)
{
	const struct proc_row *r = PROC_ROW(ctx);

	(void)buf;
	(void)len;
	return r->pid > 0 ? r->comm : "(no local process)";
}

static const char *pcell_flows(char *buf, size_t len, const void *ctx)
{
	snprintf(buf, len, "%u", PROC_ROW(ctx)->flows);
	return buf;
}

static const char *pcell_bytes(char *buf, size_t len, const void *ctx, int dir)
{
	return fmt_bytes(buf, len, PROC_ROW(ctx)->bytes[dir]);
}

static const char *pcell_rate(char *buf, size_t len, const void *ctx, int dir)
{
	const struct proc_cell *c = ctx;

	return fmt_rate(buf, len, c->r->rate[dir], c->u->bits);
}

static const char *pcell_out(char *buf, size_t len, const void *ctx)
{
	return pcell_bytes(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *pcell_out_rate(char *buf, size_t len, const void *ctx)
{
	return pcell_rate(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *pcell_in(char *buf, size_t len, const void *ctx)
{
	return pcell_bytes(buf, len, ctx, FLOW_DIR_REPLY);
}

static const char *pcell_in_rate(char *buf, size_t len, const void *ctx)
{
	return pcell_rate(buf, len, ctx, FLOW_DIR_REPLY);
}

/* The processes tab, left to right. */
static const struct column proc_cols[] = {
	{ "PID", 8, true, PSORT_PID, pcell_pid },
	{ "", 1, false, COL_NO_SORT, NULL },
	{ "USER", 11, false, COL_NO_SORT, pcell_user },
	{ "PROCESS", 17, false, PSORT_NAME, pcell_comm },
	{ "FLOWS", 7, true, PSORT_FLOWS, pcell_flows },
	{ "OUT", 8, true, PSORT_BYTES, pcell_out },
	{ "OUT/s", 10, true, PSORT_RATE, pcell_out_rate },
	{ "IN", 8, true, PSORT_BYTES, pcell_in },
	{ "IN/s", 10, true, PSORT_RATE, pcell_in_rate },
};

static const struct column_table proc_table = COLUMN_TABLE(proc_cols);

static void draw_procs(struct ui *u)
{
	char line[LINE_MAX_BYTES];
	int y = UI_HEADER_ROWS, bottom = LINES - 1, skip;
	long vis = ui_list_rows() > 0 ? ui_list_rows() : 1;

	columns_title(&proc_table, 0, line, sizeof(line));
	skip = ui_clamp_hscroll(u, line);
	ui_put_line(u, y, line, skip, ROLE_TITLE, true);
	ui_mark_sorted(u, y++, &proc_table, 0, skip, u->p.psort);
	if (!u->v || !u->v->procs) {
		ui_put_line(u, y, "  collecting processes...", 0, ROLE_DIM, false);
		return;
	}
	for (long i = u->ptop; i < u->ptop + vis && y < bottom; i++) {
		struct proc_cell cell = { .u = u };

		if (i >= (long)u->v->nprocs)
			break;
		cell.r = &u->v->procs[i];
		columns_row(&proc_table, 0, &cell, line, sizeof(line));
		ui_put_line(u, y++, line, skip,
			 i == u->pcursor ? ROLE_CURSOR : ROLE_NORMAL,
			 i == u->pcursor);
	}
}

/* --- detail ------------------------------------------------------------ */

static void tuple_text(char *buf, size_t len, const struct flow_key *k,
		       uint8_t family)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	format_addr(family, k->src, s, sizeof(s));
	format_addr(family, k->dst, d, sizeof(d));
	if (is_icmp(k->proto))
		snprintf(buf, len, "%s -> %s  (icmp type %u code %u id %u)", s, d,
			 icmp_byte(k, 0), icmp_byte(k, 1), ntohs(k->sport));
	else if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u -> [%s]:%u", s, ntohs(k->sport), d,
			 ntohs(k->dport));
	else
		snprintf(buf, len, "%s:%u -> %s:%u", s, ntohs(k->sport), d,
			 ntohs(k->dport));
}

/* What translation the reply tuple shows (it mirrors the original without NAT). */
static const char *nat_kind(const struct flow *f)
{
	static const char *const kinds[] = {
		[0] = "none",
		[FLOW_NAT_SRC] = "source NAT",
		[FLOW_NAT_DST] = "destination NAT",
		[FLOW_NAT_SRC | FLOW_NAT_DST] = "source and destination NAT",
	};

	if (!f->reply.family)
		return "unknown";
	return kinds[flow_nat(f) & (FLOW_NAT_SRC | FLOW_NAT_DST)];
}

static void endpoint_text(char *buf, size_t len, const struct endpoint_info *e,
			  const char *addr)
{
	size_t pos = (size_t)snprintf(buf, len, "%s", e->host[0] ? e->host : addr);

	if (e->host[0] && pos < len)
		pos += (size_t)snprintf(buf + pos, len - pos, " (%s)", addr);
	if (e->geo.country_code[0] && pos < len)
		pos += (size_t)snprintf(buf + pos, len - pos, "  %s %s%s%s",
					e->geo.country_code, e->geo.country,
					e->geo.city[0] ? ", " : "", e->geo.city);
	if (e->geo.asn && pos < len)
		snprintf(buf + pos, len - pos, "  AS%u %s", e->geo.asn,
			 e->geo.as_org);
}

/* What the detail's totals cover, and where they come from. */
static void totals_since(char *buf, size_t len, const struct flow *f,
			 double since)
{
	char when[32] = "-";
	time_t t = (time_t)since;
	struct tm tm;

	if (f->offloaded)
		snprintf(buf, len, "offloaded (flowtable): its packets skip "
			 "flowtop's counting; the totals are the kernel's "
			 "counters, where it keeps them");
	else if (f->whole_life)
		snprintf(buf, len, "since the flow began");
	else {
		if (since > 0 && localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(buf, len, "since %s, when flowtop began counting "
			 "(an older flow; no kernel counters)", when);
	}
}

static void draw_detail(struct ui *u)
{
	char line[LINE_MAX_BYTES], a[64], b[64], c[64], d[64], t[300];
	const struct flow *f = &u->sel_flow;
	const struct flow_key *k = &f->key;
	const struct hist_entry *h = hist_find(&u->hist, &u->sel);
	const char *state = flow_state_name(k->proto, f->state);
	float series[HIST_LEN];
	struct flow_info info;
	int y = UI_HEADER_ROWS;
	double now = u->v ? u->v->snap->meta.time : 0;

	ui_get_info(u, f, &info);
	snprintf(line, sizeof(line), " Flow detail%s%s%s",
		 f->destroyed ? "  [destroyed]" : "",
		 f->offloaded ? "  [offloaded]" : "",
		 u->sel_gone ? "  [gone: last values]" : "");
	ui_put_line(u, y++, line, 0, f->destroyed || u->sel_gone ? ROLE_GONE :
		 ROLE_TITLE, true);
	snprintf(line, sizeof(line), " %s %s  state %s  zone %u  mark 0x%x  "
		 "ct id %u  age %s", k->family == AF_INET6 ? "IPv6" : "IPv4",
		 proto_name(k->proto, a, sizeof(a)), state ? state : "-",
		 k->zone, f->mark, f->ct_id, fmt_age(b, sizeof(b), flow_age(f, now)));
	ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	tuple_text(t, sizeof(t), k, k->family);
	snprintf(line, sizeof(line), " original  %s", t);
	ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	tuple_text(t, sizeof(t), &f->reply, f->reply.family ? f->reply.family
							   : k->family);
	snprintf(line, sizeof(line), " reply     %s", t);
	ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	snprintf(line, sizeof(line), " NAT       %s", nat_kind(f));
	ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	if (info.proc.pid > 0)
		snprintf(line, sizeof(line), " process   %s  pid %d  user %s",
			 info.proc.comm, (int)info.proc.pid, info.proc.user);
	else
		snprintf(line, sizeof(line), " process   -");
	ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	format_addr(k->family, k->src, a, sizeof(a));
	endpoint_text(t, sizeof(t), &info.src, a);
	snprintf(line, sizeof(line), " source    %s", t);
	ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	format_addr(k->family, k->dst, a, sizeof(a));
	endpoint_text(t, sizeof(t), &info.dst, a);
	snprintf(line, sizeof(line), " dest      %s  %s", t,
		 port_text(b, sizeof(b), k, info.dst.service));
	ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	snprintf(line, sizeof(line), " %-9s %12s %10s %12s %12s", "", "packets",
		 "bytes", "packets/s", "rate");
	ui_put_line(u, y++, line, 0, ROLE_DIM, false);
	for (int dir = 0; dir < FLOW_DIR_COUNT; dir++) {
		snprintf(line, sizeof(line), " %-9s %12llu %10s %12.1f %12s",
			 dir == FLOW_DIR_ORIG ? "out (orig)" : "in (reply)",
			 (unsigned long long)f->total.packets[dir],
			 fmt_bytes(a, sizeof(a), f->total.bytes[dir]),
			 (double)f->pkt_rate[dir],
			 fmt_rate(b, sizeof(b), f->byte_rate[dir], u->bits));
		ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	}
	totals_since(t, sizeof(t), f,
		     u->v ? u->v->snap->meta.counting_since : 0);
	snprintf(line, sizeof(line), " totals    %s", t);
	ui_put_line(u, y++, line, 0, ROLE_DIM, false);
	for (int dir = 0; dir < FLOW_DIR_COUNT; dir++) {
		size_t n = h ? hist_series(h, dir, series, HIST_LEN) : 0;
		float max = 0;
		int w = COLS - 24;

		for (size_t i = 0; i < n; i++)
			if (series[i] > max)
				max = series[i];
		sparkline(t, sizeof(t), series, n, w > 0 ? (size_t)w : 0, u->utf8);
		snprintf(line, sizeof(line), " %s %-9s|%s| max %s",
			 dir == FLOW_DIR_ORIG ? "out" : "in ",
			 fmt_rate(c, sizeof(c), max, u->bits), t,
			 n ? fmt_count(d, sizeof(d), (double)n) : "0");
		ui_put_line(u, y++, line, 0, ROLE_NORMAL, false);
	}
	snprintf(line, sizeof(line), " sparklines: byte rate over the last %d "
		 "intervals (max per line; count of intervals at the end)",
		 HIST_LEN);
	ui_put_line(u, y, line, 0, ROLE_DIM, false);
}

/* --- help ------------------------------------------------------------- */

static const char *const help_lines[] = {
	" flowtop keys (any key closes this screen)",
	"  q              quit",
	"  Up k u / Down j d   move the cursor (it stays on the same flow)",
	"  PgUp PgDn Home End  page, first, last",
	"  Left h / Right l    scroll the columns sideways",
	"  Enter          detail of the flow (processes, groups tab: its flows)",
	"  Esc            back from the detail; clear the filter",
	"  TAB            flows -> processes -> groups -> flows",
	"  G              groups tab; there: next group key (src dst host net",
	"                 country asn process proto port)",
	"  /              filter: words to search in addresses (NAT'd ones too),",
	"                 names, ports, processes; or an expression such as",
	"                 dport 443 and src 192.0.2.0/24, bytes > 1M (man flowtop)",
	"  o > / O <      next / previous sort column",
	"  r              reverse the sort",
	"  space          pause the view (counting goes on)",
	"  a              active flows only (traffic in the last interval)",
	"  b              bits/s or bytes/s",
	"  s              show the source row",
	"  T U D I S      show/hide TCP, UDP, DCCP, ICMP, SCTP",
	"  n / g          DNS names / GeoIP on or off",
	"  ?              this help",
	" marks: x destroyed  o offloaded (counters from the kernel; one",
	"        offloaded before nf_conntrack_acct was on has none)",
	"        >12k  a total since flowtop began counting: the flow is",
	"              older and the kernel keeps no counters for it",
	" sort columns: rate bytes packets age proto state destination port",
	"               process country",
};

static void draw_help(struct ui *u)
{
	int n = (int)(sizeof(help_lines) / sizeof(help_lines[0]));

	for (int i = 0; i < n && i < LINES; i++)
		ui_put_line(u, i, help_lines[i], 0, i ? ROLE_NORMAL : ROLE_TITLE,
			 !i);
}

void ui_draw(struct ui *u)
{
	erase();
	if (u->help) {
		draw_help(u);
	} else {
		draw_header(u);
		if (u->detail)
			draw_detail(u);
		else if (u->tab == TAB_PROCS)
			draw_procs(u);
		else if (u->tab == TAB_GROUPS)
			ui_draw_groups(u);
		else
			draw_flows(u);
		draw_footer(u);
	}
	refresh();
}
