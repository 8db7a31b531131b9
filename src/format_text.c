// SPDX-License-Identifier: GPL-2.0
/* Snapshots as a text table: a summary line, then aligned columns. */
#include "format_internal.h"

#include <arpa/inet.h>
#include <time.h>

#include "columns.h"
#include "sort.h"
#include "units.h"

/* "12.5s", "5m03s", "2h05m", "3d04h" */
static char *put_age(char *p, double age)
{
	uint64_t s;

	if (age < 100) {
		p = put_double(p, age, 1);
		*p++ = 's';
		return p;
	}
	/* ages come from realtime clocks: beyond 30 million years is garbage */
	s = age < 1e15 ? (uint64_t)age : 1000000000000000ull;
	uint64_t big, small;
	char bu, su;

	if (s < 3600) {
		big = s / 60; small = s % 60; bu = 'm'; su = 's';
	} else if (s < 86400) {
		big = s / 3600; small = s % 3600 / 60; bu = 'h'; su = 'm';
	} else {
		big = s / 86400; small = s % 86400 / 3600; bu = 'd'; su = 'h';
	}
	p = put_u64(p, big);
	*p++ = bu;
	*p++ = (char)('0' + small / 10);
	*p++ = (char)('0' + small % 10);
	*p++ = su;
	return p;
}

/* the longest cell: a host name (the longest address cell is "[" v6 "]:" port) */
#define CELL_MAX 256

/* What a text row's cells read: the flow, and its names when enriched. */
struct text_ctx {
	const struct flow *f;
	double now;
	const struct flow_info *fi;	/* NULL: a table without enrichment */
	unsigned int nat;	/* flow_nat(f) */
};

static size_t put_endpoint(char *cell, uint8_t family, const char *addr,
			   const struct flow_key *k, bool src)
{
	char *p = cell;
	size_t n = addr ? strlen(addr) : 0;

	if (!addr) {
		addr = "?";
		n = 1;
	}
	if (family == AF_INET6)
		*p++ = '[';
	memcpy(p, addr, n);
	p += n;
	if (family == AF_INET6)
		*p++ = ']';
	if (!is_icmp(k->proto)) {
		*p++ = ':';
		p = put_u64(p, ntohs(src ? k->sport : k->dport));
	}
	return (size_t)(p - cell);
}

/* Appends sep and f's translated side to a cell of len bytes. */
static size_t put_nat(char *cell, size_t len, const char *sep,
		      const struct flow *f, unsigned int side)
{
	char ep[ENDPOINT_STRLEN];
	int n;

	if (!flow_nat_endpoint(f, side, ep, sizeof(ep)))
		return len;
	n = snprintf(cell + len, CELL_MAX - len, "%s%s", sep, ep);
	if (n < 0)
		return len;
	return len + ((size_t)n < CELL_MAX - len ? (size_t)n : CELL_MAX - len - 1);
}

/* a constant or outside string into a cell: cut to CELL_MAX - 1, "-" when empty */
static size_t put_str(char *cell, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n) {
		cell[0] = '-';
		return 1;
	}
	if (n > CELL_MAX - 1)
		n = CELL_MAX - 1;
	if (s != cell)	/* proto_name may have written it there */
		memcpy(cell, s, n);
	return n;
}

static size_t tcell_proto(char *cell, const struct text_ctx *c)
{
	return put_str(cell, proto_name(c->f->key.proto, cell, CELL_MAX));
}

static size_t tcell_state(char *cell, const struct text_ctx *c)
{
	return put_str(cell, flow_state_name(c->f->key.proto, c->f->state));
}

/*
 * An end of the flow; a NAT'd flow's cell carries where it really came
 * from (" via ") or went to (" -> ") too, in ASCII so that the table lines
 * up by bytes on any terminal.
 */
static size_t tcell_end(char *cell, const struct text_ctx *c, bool src)
{
	const struct flow *f = c->f;
	const struct flow_key *k = &f->key;
	unsigned int side = src ? FLOW_NAT_SRC : FLOW_NAT_DST;
	char abuf[INET6_ADDRSTRLEN];
	const char *a = format_addr(k->family, src ? k->src : k->dst, abuf,
				    sizeof(abuf));
	size_t n = put_endpoint(cell, k->family, a, k, src);

	if (c->nat & side)
		n = put_nat(cell, n, src ? " via " : " -> ", f, side);
	return n;
}

static size_t tcell_src(char *cell, const struct text_ctx *c)
{
	return tcell_end(cell, c, true);
}

static size_t tcell_dst(char *cell, const struct text_ctx *c)
{
	return tcell_end(cell, c, false);
}

static size_t tcell_age(char *cell, const struct text_ctx *c)
{
	return (size_t)(put_age(cell, flow_age(c->f, c->now)) - cell);
}

/* counters exact */
#define TCELL_COUNTER(name, field, dir)					\
static size_t name(char *cell, const struct text_ctx *c)		\
{									\
	return (size_t)(put_u64(cell, c->f->total.field[dir]) - cell);	\
}
TCELL_COUNTER(tcell_opkts, packets, FLOW_DIR_ORIG)
TCELL_COUNTER(tcell_obytes, bytes, FLOW_DIR_ORIG)
TCELL_COUNTER(tcell_rpkts, packets, FLOW_DIR_REPLY)
TCELL_COUNTER(tcell_rbytes, bytes, FLOW_DIR_REPLY)

/* packets/s, a slash, bytes/s: SI units (units.c) */
static size_t tcell_rate(char *cell, const struct text_ctx *c, int dir)
{
	char *p = units_put(cell, c->f->pkt_rate[dir], false);

	*p++ = '/';
	return (size_t)(units_put(p, c->f->byte_rate[dir], false) - cell);
}

static size_t tcell_orate(char *cell, const struct text_ctx *c)
{
	return tcell_rate(cell, c, FLOW_DIR_ORIG);
}

static size_t tcell_rrate(char *cell, const struct text_ctx *c)
{
	return tcell_rate(cell, c, FLOW_DIR_REPLY);
}

/* "comm[pid]" */
static size_t tcell_process(char *cell, const struct text_ctx *c)
{
	const struct proc_info *p = &c->fi->proc;
	char buf[CELL_MAX];

	if (p->pid <= 0)
		return put_str(cell, NULL);
	snprintf(buf, sizeof(buf), "%s[%d]", p->comm, (int)p->pid);
	return put_str(cell, buf);
}

static size_t tcell_service(char *cell, const struct text_ctx *c)
{
	return put_str(cell, c->fi->dst.service);
}

static size_t tcell_dsthost(char *cell, const struct text_ctx *c)
{
	return put_str(cell, c->fi->dst.host);
}

/* "CC City AS123" */
static size_t tcell_dstgeo(char *cell, const struct text_ctx *c)
{
	const struct geo_info *g = &c->fi->dst.geo;
	char buf[CELL_MAX];
	size_t len = sizeof(buf);
	int n = 0;

	buf[0] = '\0';
	if (g->country_code[0])
		n += snprintf(buf + n, len - (size_t)n, "%s", g->country_code);
	if (g->city[0] && n < (int)len)
		n += snprintf(buf + n, len - (size_t)n, "%s%s", n ? " " : "", g->city);
	if (g->asn && n < (int)len)
		snprintf(buf + n, len - (size_t)n, "%sAS%u", n ? " " : "", g->asn);
	return put_str(cell, buf);
}

/*
 * One column of the batch text table: the view's struct column carries a
 * display width and writes a string; a text cell is measured in bytes
 * (the table sizes every column to its widest cell) and its writer
 * returns the length, which spares a strlen per cell at a quarter of a
 * million rows.
 */
struct text_col {
	const char *title;
	bool right;	/* right-aligned (numbers) */
	int sort;	/* the --sort key that orders rows by it, or COL_NO_SORT */
	size_t (*put)(char *cell, const struct text_ctx *c);
};

/*
 * The batch text table, left to right: the first TEXT_PLAIN columns
 * always, the rest with enrichment.
 */
static const struct text_col text_cols[] = {
	{ "PROTO", false, SORT_PROTO, tcell_proto },
	{ "STATE", false, SORT_STATE, tcell_state },
	{ "SOURCE", false, COL_NO_SORT, tcell_src },
	{ "DESTINATION", false, SORT_DEST, tcell_dst },
	{ "AGE", true, SORT_AGE, tcell_age },
	{ "ORIG PKTS", true, SORT_PACKETS, tcell_opkts },
	{ "ORIG BYTES", true, SORT_BYTES, tcell_obytes },
	{ "REPLY PKTS", true, SORT_PACKETS, tcell_rpkts },
	{ "REPLY BYTES", true, SORT_BYTES, tcell_rbytes },
	{ "ORIG PPS/BPS", true, SORT_RATE, tcell_orate },
	{ "REPLY PPS/BPS", true, SORT_RATE, tcell_rrate },
	/* TEXT_PLAIN */
	{ "PROCESS", false, SORT_PROCESS, tcell_process },
	{ "SERVICE", false, COL_NO_SORT, tcell_service },
	{ "DST HOST", false, COL_NO_SORT, tcell_dsthost },
	{ "DST GEO", false, SORT_COUNTRY, tcell_dstgeo },
};

#define TEXT_COLS ((int)ARRAY_SIZE(text_cols))
#define TEXT_PLAIN 11

struct text_row {
	char cell[TEXT_COLS][CELL_MAX];
	size_t len[TEXT_COLS];
};

static void text_row(struct text_row *row, const struct flow *f, double now,
		     struct enrich *enrich)
{
	struct text_ctx ctx = { .f = f, .now = now, .nat = flow_nat(f) };
	struct flow_info fi;
	int ncols = TEXT_PLAIN;

	if (enrich) {
		enrich_flow(enrich, f, &fi);
		ctx.fi = &fi;
		ncols = TEXT_COLS;
	}
	for (int c = 0; c < ncols; c++)
		row->len[c] = text_cols[c].put(row->cell[c], &ctx);
}

static void text_line(struct wbuf *w, const char *const cell[],
		      const size_t len[], const size_t width[], int ncols)
{
	for (int c = 0; c < ncols; c++) {
		size_t pad = text_pad(width[c], len[c]);
		bool left = !text_cols[c].right;

		if (c)
			wb_put(w, "  ", 2);
		if (!left)
			wb_spaces(w, pad);
		wb_put(w, cell[c], len[c]);
		/* no trailing blanks after the last column */
		if (left && c != ncols - 1)
			wb_spaces(w, pad);
	}
	wb_char(w, '\n');
}

static void text_summary(struct wbuf *w, const struct snapshot *snap,
			 const struct format_sel *sel)
{
	const struct snapshot_meta *m = &snap->meta;
	char tbuf[64];
	/* time_t conversion of a wild value would be undefined: 0 instead */
	double t = isfinite(m->time) && m->time > 0 && m->time < 1e12 ? m->time : 0;
	time_t sec = (time_t)t;
	long ms = (long)((t - (double)sec) * 1000);
	struct tm tm;

	if (ms > 999)
		ms = 999;
	if (localtime_r(&sec, &tm) &&
	    strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm)) {
		wb_puts(w, tbuf);
		snprintf(tbuf, sizeof(tbuf), ".%03ld", ms);
		wb_puts(w, tbuf);
		if (strftime(tbuf, sizeof(tbuf), " %z", &tm))
			wb_puts(w, tbuf);
	} else {
		wb_double(w, t, DEC_TIME);
	}
	wb_puts(w, "  interval ");
	wb_double(w, m->interval, DEC_TIME);
	wb_puts(w, "s  acct ");
	wb_puts(w, acct_name(m->acct));
	wb_puts(w, "  flows ");
	wb_u64(w, snap->n);
	if (sel) {
		wb_puts(w, "  matched ");
		wb_u64(w, sel->matched);
	}
	wb_puts(w, "  lost events ");
	wb_u64(w, m->lost_events);
	wb_puts(w, "  resyncs ");
	wb_u64(w, m->resyncs);
	wb_puts(w, "  evictions ");
	wb_u64(w, m->evictions);
	wb_char(w, '\n');
}

void format_text(struct wbuf *w, const struct snapshot *snap, bool first,
			struct enrich *enrich, const struct format_sel *sel)
{
	int ncols = enrich ? TEXT_COLS : TEXT_PLAIN;
	size_t width[TEXT_COLS], hlen[TEXT_COLS];
	const char *head[TEXT_COLS];
	struct text_row row;
	const char *cell[TEXT_COLS];
	struct flow buf;

	if (!first)
		wb_char(w, '\n');
	text_summary(w, snap, sel);

	for (int c = 0; c < TEXT_COLS; c++) {
		head[c] = text_cols[c].title;
		width[c] = hlen[c] = strlen(head[c]);
	}
	/*
	 * Widths need every row first. Formatting twice costs less than
	 * keeping every row's text around: a table is for reading, not for
	 * a million flows.
	 */
	for (size_t i = 0; i < sel_n(snap, sel); i++) {
		text_row(&row, sel_flow(snap, sel, i, &buf), snap->meta.time,
			 enrich);
		for (int c = 0; c < ncols; c++)
			if (row.len[c] > width[c])
				width[c] = row.len[c];
	}
	text_line(w, head, hlen, width, ncols);
	for (int c = 0; c < TEXT_COLS; c++)
		cell[c] = row.cell[c];
	for (size_t i = 0; i < sel_n(snap, sel); i++) {
		text_row(&row, sel_flow(snap, sel, i, &buf), snap->meta.time,
			 enrich);
		text_line(w, cell, row.len, width, ncols);
	}
}
