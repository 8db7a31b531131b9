// SPDX-License-Identifier: GPL-2.0
/*
 * Drawing the interactive view: header, flow detail with sparklines, help
 * and footer; the tabs' lists are ui_draw_flows.c, ui_draw_procs.c and
 * ui_draw_group.c. Reads the current view and the enrichment caches;
 * never blocks.
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
	/*
	 * A message in the footer keeps the cursor's position beside it (its
	 * tail gives way): among rows that look alike the position is all a
	 * cursor key changes on screen, and hiding it made every such key
	 * look ignored until the next refresh for as long as the message
	 * showed (5 s at start-up when GeoIP has no database, say).
	 */
	if (u->filter_err[0] && !u->detail) {
		/* Enter on a wrong expression: say so until it is mended */
		snprintf(line, sizeof(line), "bad filter, not applied: %s   "
			 "/ mend  Esc clear", u->filter_err);
		ui_put_line(u, LINES - 1, line, 0, ROLE_FOOTER, true);
		draw_position(u);
		return;
	}
	if (u->status[0]) {	/* a logged message (log.h), for a while */
		ui_put_line(u, LINES - 1, u->status, 0, ROLE_FOOTER, true);
		draw_position(u);
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

/* --- detail ------------------------------------------------------------ */

static void tuple_text(char *buf, size_t len, const struct flow_key *k,
		       uint8_t family)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	format_addr(family, k->src, s, sizeof(s));
	format_addr(family, k->dst, d, sizeof(d));
	if (ui_is_icmp(k->proto))
		snprintf(buf, len, "%s -> %s  (icmp type %u code %u id %u)", s, d,
			 ui_icmp_byte(k, 0), ui_icmp_byte(k, 1), ntohs(k->sport));
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
		 ui_port_text(b, sizeof(b), k, info.dst.service));
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
			ui_draw_procs(u);
		else if (u->tab == TAB_GROUPS)
			ui_draw_groups(u);
		else
			ui_draw_flows(u);
		draw_footer(u);
	}
	refresh();
}
