// SPDX-License-Identifier: GPL-2.0
/* --group-by in batch: one pass over a snapshot, then JSON, CSV or text. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter_expr.h"
#include "format_fields.h"
#include "group_live.h"
#include "group_out.h"
#include "ui_text.h"


/* the total of src (a record or a flow_vals) into c */
#define SET_COUNTERS(c, src)						\
	do {								\
		(c)->total = (src)->total;				\
	} while (0)

/*
 * The common case (address, network, protocol or port keys, no filter
 * needing names): the key and the counters (the snapshot's version) come
 * from the table's record, without assembling a whole flow, nor reading
 * the flags. Batch snapshots are sorted by rate, so the records are
 * visited in random order: fetched a few rows ahead.
 *
 * Rows from.. of snap. With idx (the view's): only those whose protocol
 * bit is in protos, each one's row number appended at idx[*nidx] and its
 * byte rates added to rate[], in row order; batch takes every row, none
 * of that work (inlined into each caller, the tests fold away).
 */
static inline __attribute__((always_inline)) int
rows_into(const struct snapshot *snap, size_t from, struct group_agg *a,
	  unsigned int protos, uint32_t *idx, size_t *nidx,
	  double rate[FLOW_DIR_COUNT])
{
	size_t n = snap->n, ni = idx ? *nidx : 0;
	double r0 = idx ? rate[0] : 0, r1 = idx ? rate[1] : 0;

	for (size_t i = from; i < n; i++) {
		const struct flow_rec *e = snapshot_rec(snap, i);
		struct {
			struct flow_counters total;
			struct flow_rates rates;
		} c;

		snapshot_prefetch(snap, i + SNAPSHOT_AHEAD);
		if (idx && !(e->sel_bit & protos))
			continue;
		FLOWTAB_READ_INTO(snap->tab, e, snapshot_idx(snap, i),
				  snap->gen, &c, SET_COUNTERS);
		/* and the rates, the snapshot's: all a group sums */
		snapshot_rates_into(snap, i, c.rates.pkt_rate,
				    c.rates.byte_rate);
		if (group_agg_add_tuple(a, &e->key, &c.total, c.rates.pkt_rate,
					c.rates.byte_rate, (uint32_t)i))
			return -ENOMEM;
		if (idx) {
			idx[ni++] = (uint32_t)i;
			r0 += c.rates.byte_rate[0];
			r1 += c.rates.byte_rate[1];
		}
	}
	if (idx) {
		*nidx = ni;
		rate[0] = r0;
		rate[1] = r1;
	}
	return 0;
}

static int group_rows_fast(const struct snapshot *snap, struct group_agg *a)
{
	return rows_into(snap, 0, a, 0, NULL, NULL, NULL);
}

int group_view_rows(const struct snapshot *snap, size_t from,
		    struct group_agg *a, unsigned int protos, uint32_t *idx,
		    size_t *nidx, double rate[FLOW_DIR_COUNT])
{
	return rows_into(snap, from, a, protos, idx, nidx, rate);
}

int group_snapshot(struct snapshot *snap, struct group_agg *a,
		   struct group_live *live, struct enrich *enrich,
		   const struct flow_match *m, enum sort_key k, bool reverse,
		   struct group_result *out)
{
	const struct group_spec *spec = group_agg_spec(a);
	bool filtered = m && m->match;
	bool need_info = enrich &&
			 (group_needs_info(spec) || (filtered && m->needs_info));
	struct flow_info info;
	struct flow buf;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (live && snap->table_order && !need_info &&
	    (!filtered || m->fixed) && group_live_fits(spec))
		return group_live_snapshot(live, snap, spec, GROUP_LIVE_EVERY,
					   filtered ? m : NULL, k, reverse, out,
					   NULL);
	group_agg_reset(a, spec);
	if (snap->order && !need_info && !filtered) {
		ret = group_rows_fast(snap, a);
		out->flows_matched = snap->n;
	} else {
		memset(&info, 0, sizeof(info));
		for (size_t i = 0; i < snap->n && !ret; i++) {
			const struct flow *f = snapshot_flow(snap, i, &buf);

			if (need_info)
				enrich_flow(enrich, f, &info);
			if (filtered && !m->match(m->ctx, f, need_info ? &info : NULL))
				continue;
			out->flows_matched++;
			ret = group_agg_add(a, f, need_info ? &info : NULL,
					    (uint32_t)i);
		}
	}
	if (!ret)
		ret = group_agg_finish(a, k, reverse, &out->rows, &out->n);
	else
		group_agg_reset(a, spec);
	return ret;
}

bool flow_match_fixed(void *ctx, const struct flow *f,
		      const struct flow_info *info)
{
	(void)info;
	return filter_expr_match(ctx, f, NULL, 0);
}

void group_result_free(struct group_result *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

void group_row_names(const struct group_spec *spec,
		     const struct flow_info *info, const char **name,
		     const char **country)
{
	*name = "";
	*country = "";
	if (!info)
		return;
	switch (spec->kind) {
	case GROUP_SRC:
	case GROUP_HOST:
		*name = info->src.host;
		*country = info->src.geo.country_code;
		break;
	case GROUP_DST:
		*name = info->dst.host;
		*country = info->dst.geo.country_code;
		break;
	case GROUP_NET:
		/* a network can span countries: its first flow's says little */
		break;
	case GROUP_COUNTRY:
		*name = info->dst.geo.country;
		*country = info->dst.geo.country_code;
		break;
	case GROUP_ASN:
		*name = info->dst.geo.as_org;
		break;
	case GROUP_PROCESS:
		*name = info->proc.pid > 0 ? info->proc.comm : "";
		break;
	case GROUP_PORT:
		*name = info->dst.service;
		break;
	default:
		break;
	}
}

/* --- the groups' fields ------------------------------------------------ */

#define GCTX(ctx) ((const struct group_fctx *)(ctx))

/* JSON and CSV */

static struct fval v_key(void *ctx)
{
	return fv_str(GCTX(ctx)->key, FV_NAME, true);
}

static struct fval v_name(void *ctx)
{
	return fv_str(GCTX(ctx)->name, FV_NAME, true);
}

static struct fval v_country(void *ctx)
{
	return fv_str(GCTX(ctx)->cc, FV_NAME, true);
}

static struct fval v_flows(void *ctx)
{
	return FV_U64_V(GCTX(ctx)->r->flows);
}

#define V_COUNTER(name, field, dir)					\
static struct fval name(void *ctx)					\
{									\
	return FV_U64_V(GCTX(ctx)->r->total.field[dir]);		\
}
V_COUNTER(v_orig_packets, packets, FLOW_DIR_ORIG)
V_COUNTER(v_orig_bytes, bytes, FLOW_DIR_ORIG)
V_COUNTER(v_reply_packets, packets, FLOW_DIR_REPLY)
V_COUNTER(v_reply_bytes, bytes, FLOW_DIR_REPLY)

/* v >= 0 with three decimals, trailing zeros trimmed to one ("12.5") */
#define V_RATE(name, field, dir)					\
static struct fval name(void *ctx)					\
{									\
	double v = GCTX(ctx)->r->field[dir];				\
									\
	return FV_DOUBLE_V(isfinite(v) && v > 0 ? v : 0, 3);		\
}
V_RATE(v_orig_packet_rate, pkt_rate, FLOW_DIR_ORIG)
V_RATE(v_orig_byte_rate, byte_rate, FLOW_DIR_ORIG)
V_RATE(v_reply_packet_rate, pkt_rate, FLOW_DIR_REPLY)
V_RATE(v_reply_byte_rate, byte_rate, FLOW_DIR_REPLY)

/* the batch text table: cells of up to TCELL - 1 bytes */

#define TCELL 128

static size_t cell_of(int n)
{
	return n < 0 ? 0 : (size_t)n < TCELL ? (size_t)n : TCELL - 1;
}

static size_t t_key(char *cell, const void *ctx)
{
	return cell_of(snprintf(cell, TCELL, "%s", GCTX(ctx)->key));
}

static size_t t_name(char *cell, const void *ctx)
{
	const char *s = GCTX(ctx)->name;

	return cell_of(snprintf(cell, TCELL, "%s", *s ? s : "-"));
}

static size_t t_country(char *cell, const void *ctx)
{
	const char *s = GCTX(ctx)->cc;

	return cell_of(snprintf(cell, TCELL, "%s", *s ? s : "-"));
}

static size_t t_flows(char *cell, const void *ctx)
{
	return (size_t)(put_u64(cell, GCTX(ctx)->r->flows) - cell);
}

#define T_COUNTER(name, field, dir)					\
static size_t name(char *cell, const void *ctx)				\
{									\
	return (size_t)(put_u64(cell, GCTX(ctx)->r->total.field[dir]) - cell); \
}
T_COUNTER(t_orig_packets, packets, FLOW_DIR_ORIG)
T_COUNTER(t_orig_bytes, bytes, FLOW_DIR_ORIG)
T_COUNTER(t_reply_packets, packets, FLOW_DIR_REPLY)
T_COUNTER(t_reply_bytes, bytes, FLOW_DIR_REPLY)

/* the flow table's rate cells: the same units, fractions kept */
static size_t t_rate(char *cell, const void *ctx, int dir)
{
	const struct group_row *r = GCTX(ctx)->r;

	return text_rate_cell(cell, r->pkt_rate[dir], r->byte_rate[dir]);
}

static size_t t_orig_rate(char *cell, const void *ctx)
{
	return t_rate(cell, ctx, FLOW_DIR_ORIG);
}

static size_t t_reply_rate(char *cell, const void *ctx)
{
	return t_rate(cell, ctx, FLOW_DIR_REPLY);
}

/* the view */

static const char *c_key(char *buf, size_t len, const void *ctx)
{
	(void)buf;
	(void)len;
	return GCTX(ctx)->key;
}

/* a process's user after its name */
static const char *c_name(char *buf, size_t len, const void *ctx)
{
	const struct group_fctx *c = ctx;

	if (c->spec->kind == GROUP_PROCESS && *c->name && c->info)
		snprintf(buf, len, "%s (%s)", c->name, c->info->proc.user);
	else
		snprintf(buf, len, "%s", *c->name ? c->name : "-");
	return buf;
}

static const char *c_country(char *buf, size_t len, const void *ctx)
{
	const char *cc = GCTX(ctx)->cc;

	(void)buf;
	(void)len;
	return *cc ? cc : "-";
}

static const char *c_flows(char *buf, size_t len, const void *ctx)
{
	snprintf(buf, len, "%u", GCTX(ctx)->r->flows);
	return buf;
}

/* packets exact: they are what one compares with other counters */
static const char *c_pkts(char *buf, size_t len, const void *ctx, int dir)
{
	snprintf(buf, len, "%llu",
		 (unsigned long long)GCTX(ctx)->r->total.packets[dir]);
	return buf;
}

static const char *c_bytes(char *buf, size_t len, const void *ctx, int dir)
{
	return fmt_bytes(buf, len, GCTX(ctx)->r->total.bytes[dir]);
}

static const char *c_rate(char *buf, size_t len, const void *ctx, int dir)
{
	const struct group_fctx *c = ctx;

	return fmt_rate(buf, len, c->r->byte_rate[dir], c->bits);
}

#define C_DIR(name, of, dir)						\
static const char *name(char *buf, size_t len, const void *ctx)	\
{									\
	return of(buf, len, ctx, dir);					\
}
C_DIR(c_out_pkts, c_pkts, FLOW_DIR_ORIG)
C_DIR(c_out, c_bytes, FLOW_DIR_ORIG)
C_DIR(c_out_rate, c_rate, FLOW_DIR_ORIG)
C_DIR(c_in_pkts, c_pkts, FLOW_DIR_REPLY)
C_DIR(c_in, c_bytes, FLOW_DIR_REPLY)
C_DIR(c_in_rate, c_rate, FLOW_DIR_REPLY)

#define NOSORT .sort = COL_NO_SORT

/* the view's GROUP is as wide as the longest key on screen */
const struct field group_fields[GF_COUNT] = {
	[GF_KEY] = { FIELD_NAME("key"), NOSORT, .value = v_key,
		.text = { "KEY", false, t_key },
		.view = { "GROUP", 0, false, c_key } },
	[GF_NAME] = { FIELD_NAME("name"), NOSORT, .value = v_name,
		.text = { "NAME", false, t_name },
		.view = { "NAME", 23, false, c_name } },
	[GF_COUNTRY] = { FIELD_NAME("country"), NOSORT, .value = v_country,
		.text = { "CC", false, t_country },
		.view = { "CC", 3, false, c_country } },
	[GF_FLOWS] = { FIELD_NAME("flows"), NOSORT, .value = v_flows,
		.text = { "FLOWS", true, t_flows },
		.view = { "FLOWS", 7, true, c_flows } },
	[GF_ORIG_PACKETS] = { FIELD_NAME("orig_packets"), .sort = SORT_PACKETS,
		.value = v_orig_packets,
		.text = { "ORIG PKTS", true, t_orig_packets },
		.view = { "OUT PKTS", 10, true, c_out_pkts } },
	[GF_ORIG_BYTES] = { FIELD_NAME("orig_bytes"), .sort = SORT_BYTES,
		.value = v_orig_bytes,
		.text = { "ORIG BYTES", true, t_orig_bytes },
		.view = { "OUT", 8, true, c_out } },
	[GF_REPLY_PACKETS] = { FIELD_NAME("reply_packets"),
		.sort = SORT_PACKETS, .value = v_reply_packets,
		.text = { "REPLY PKTS", true, t_reply_packets },
		.view = { "IN PKTS", 10, true, c_in_pkts } },
	[GF_REPLY_BYTES] = { FIELD_NAME("reply_bytes"), .sort = SORT_BYTES,
		.value = v_reply_bytes,
		.text = { "REPLY BYTES", true, t_reply_bytes },
		.view = { "IN", 8, true, c_in } },
	[GF_ORIG_PACKET_RATE] = { FIELD_NAME("orig_packet_rate"), NOSORT,
		.value = v_orig_packet_rate },
	/* the text table: packets/s and bytes/s in one cell */
	[GF_ORIG_BYTE_RATE] = { FIELD_NAME("orig_byte_rate"),
		.sort = SORT_RATE, .value = v_orig_byte_rate,
		.text = { "ORIG PPS/BPS", true, t_orig_rate },
		.view = { "OUT/s", 10, true, c_out_rate } },
	[GF_REPLY_PACKET_RATE] = { FIELD_NAME("reply_packet_rate"), NOSORT,
		.value = v_reply_packet_rate },
	[GF_REPLY_BYTE_RATE] = { FIELD_NAME("reply_byte_rate"),
		.sort = SORT_RATE, .value = v_reply_byte_rate,
		.text = { "REPLY PPS/BPS", true, t_reply_rate },
		.view = { "IN/s", 10, true, c_in_rate } },
};

/* The batch text table, left to right. */
static const int8_t text_ids[] = {
	GF_KEY, GF_NAME, GF_COUNTRY, GF_FLOWS, GF_ORIG_PACKETS, GF_ORIG_BYTES,
	GF_REPLY_PACKETS, GF_REPLY_BYTES, GF_ORIG_BYTE_RATE,
	GF_REPLY_BYTE_RATE,
};

const struct column_table group_text_layout = COLUMN_TABLE(group_fields,
							    text_ids);

/* --- rows ---------------------------------------------------------------- */

struct group_rows {
	const struct snapshot *snap;
	const struct group_result *r;
	struct enrich *enrich;
	struct flow_info info;
	char key[80];
	struct group_fctx c;
};

/* row i's context: its key and the names of its first flow */
static const void *group_ctx(void *arg, size_t i)
{
	struct group_rows *g = arg;
	const struct group_row *r = &g->r->rows[i];
	struct flow buf;

	g->c.r = r;
	g->c.key = group_key_text(g->c.spec, &r->key, g->key, sizeof(g->key));
	if (!g->enrich || r->rep >= g->snap->n) {
		group_row_names(g->c.spec, NULL, &g->c.name, &g->c.cc);
		return &g->c;
	}
	enrich_flow(g->enrich, snapshot_flow(g->snap, r->rep, &buf), &g->info);
	group_row_names(g->c.spec, &g->info, &g->c.name, &g->c.cc);
	return &g->c;
}

static void text_summary(struct wbuf *w, const struct snapshot *snap,
			 const char *by, const struct group_result *r)
{
	char tbuf[64];
	double t = snap->meta.time;
	time_t sec = isfinite(t) && t > 0 && t < 1e12 ? (time_t)t : 0;
	struct tm tm;

	if (localtime_r(&sec, &tm) &&
	    strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S %z", &tm))
		wb_puts(w, tbuf);
	snprintf(tbuf, sizeof(tbuf), "  interval %gs  flows ", snap->meta.interval);
	wb_puts(w, tbuf);
	wb_u64(w, snap->n);
	wb_puts(w, "  matched ");
	wb_u64(w, r->flows_matched);
	wb_puts(w, "  groups ");
	wb_u64(w, r->n);
	wb_puts(w, "  by ");
	wb_puts(w, by);
	wb_put(w, "\n", 1);
}

int group_format(FILE *out, const struct snapshot *snap,
		 const struct group_spec *spec, const struct group_result *r,
		 size_t limit, enum output_format fmt, bool first,
		 struct enrich *enrich)
{
	size_t n = limit && limit < r->n ? limit : r->n;
	struct wbuf *w = malloc(sizeof(*w));
	struct group_rows *g = malloc(sizeof(*g));
	char by[48], num[40], time[40];
	int err;

	if (!w || !g) {
		free(w);
		free(g);
		return -ENOMEM;
	}
	w->out = out;
	w->err = 0;
	w->len = 0;
	memset(g, 0, sizeof(*g));
	g->snap = snap;
	g->r = r;
	g->enrich = enrich;
	g->c.spec = spec;
	group_spec_name(spec, by, sizeof(by));
	snprintf(time, sizeof(time), "%.6f", snap->meta.time);
	switch (fmt) {
	case OUTPUT_JSON:
		wb_puts(w, "{\"time\": ");
		wb_puts(w, time);
		snprintf(num, sizeof(num), "%.6f", snap->meta.interval);
		wb_puts(w, ", \"interval\": ");
		wb_puts(w, num);
		wb_puts(w, ", \"acct\": ");
		fval_json(w, fv_str(acct_kind_name(snap->meta.acct), FV_NAME,
				    true));
		wb_puts(w, ", \"flows_total\": ");
		wb_u64(w, snap->n);
		wb_puts(w, ", \"flows_matched\": ");
		wb_u64(w, r->flows_matched);
		wb_puts(w, ", \"group_by\": ");
		fval_json(w, fv_str(by, FV_NAME, true));
		wb_puts(w, ", \"groups_total\": ");
		wb_u64(w, r->n);
		wb_puts(w, ", \"groups\": [");
		for (size_t i = 0; i < n; i++) {
			if (i)
				wb_put(w, ", ", 2);
			fields_json(w, group_fields, GF_COUNT,
				    (void *)group_ctx(g, i));
		}
		wb_puts(w, "]}\n");
		break;
	case OUTPUT_CSV:
		/* the snapshot's time and the key kind, then the fields */
		if (first) {
			wb_puts(w, "time,group_by");
			fields_csv_header(w, group_fields, GF_COUNT);
			wb_char(w, '\n');
		}
		for (size_t i = 0; i < n; i++) {
			const void *c = group_ctx(g, i);

			wb_puts(w, time);
			wb_char(w, ',');
			wb_puts(w, by);
			fields_csv(w, group_fields, GF_COUNT, (void *)c);
			wb_char(w, '\n');
		}
		break;
	case OUTPUT_TEXT: {
		struct text_table t = {
			.layout = &group_text_layout,
			.ncols = (int)group_text_layout.n,
			.nrows = n, .row = group_ctx, .arg = g,
		};

		if (!first)
			wb_put(w, "\n", 1);
		text_summary(w, snap, by, r);
		text_table(w, &t);
		break;
	}
	default:
		free(w);
		free(g);
		return -EINVAL;
	}
	wb_flush(w);
	err = w->err;
	free(w);
	free(g);
	return err;
}
