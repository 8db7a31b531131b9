// SPDX-License-Identifier: GPL-2.0
/* --group-by in batch: one pass over a snapshot, then JSON, CSV or text. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "group_out.h"
#include "units.h"
#include "wbuf.h"


/* rows of the table read this far ahead of the one grouped */
#define PREFETCH_AHEAD 32

/*
 * The common case (address, network, protocol or port keys, no filter
 * needing names): the key comes from the table's record and the counters
 * from the row, without assembling a whole flow. Batch snapshots are
 * sorted by rate, so the records are visited in random order: they are
 * fetched a few rows ahead.
 */
static int group_rows_fast(const struct snapshot *snap, struct group_agg *a)
{
	const struct flow_row *rows = snap->rows;
	size_t n = snap->n;

	for (size_t i = 0; i < n; i++) {
		const struct flow_row *r = &rows[i];
		const struct flow_rec *e;

		if (i + PREFETCH_AHEAD < n)
			__builtin_prefetch(flowtab_entry(snap->tab,
							 rows[i + PREFETCH_AHEAD].idx));
		e = flowtab_entry(snap->tab, r->idx);
		if (group_agg_add_tuple(a, &e->key, &r->total, r->pkt_rate,
					r->byte_rate, (uint32_t)i))
			return -ENOMEM;
	}
	return 0;
}

int group_snapshot(const struct snapshot *snap, struct group_agg *a,
		   struct enrich *enrich, const struct flow_match *m,
		   enum sort_key k, bool reverse, struct group_result *out)
{
	const struct group_spec *spec = group_agg_spec(a);
	bool filtered = m && m->match;
	bool need_info = enrich &&
			 (group_needs_info(spec) || (filtered && m->needs_info));
	struct flow_info info;
	struct flow buf;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	group_agg_reset(a, spec);
	if (snap->rows && !need_info && !filtered) {
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

/* --- output: the batch formats' writer (wbuf.h) ------------------------- */

/* v >= 0 with three decimals, trailing zeros trimmed to one ("12.5") */
static void gb_rate(struct wbuf *w, double v)
{
	wb_double(w, isfinite(v) && v > 0 ? v : 0, 3);
}

/*
 * A JSON string, or null for "". The strings here are group keys we
 * formatted and names the enrichment already sanitized (printable UTF-8):
 * quotes and backslashes are all that can need escaping, control bytes
 * are escaped anyway.
 */
static void gb_json_opt(struct wbuf *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (!s || !*s) {
		wb_put(w, "null", 4);
		return;
	}
	wb_put(w, "\"", 1);
	for (const char *p = s; *p; ) {
		size_t run = strcspn(p, "\"\\\x01\x02\x03\x04\x05\x06\x07"
				     "\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
				     "\x11\x12\x13\x14\x15\x16\x17\x18\x19"
				     "\x1a\x1b\x1c\x1d\x1e\x1f\x7f");
		unsigned char c;

		wb_put(w, p, run);
		p += run;
		if (!*p)
			break;
		c = (unsigned char)*p++;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			wb_put(w, e, 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			wb_put(w, e, 6);
		}
	}
	wb_put(w, "\"", 1);
}

/* a CSV field (RFC 4180), empty when unknown */
static void gb_csv(struct wbuf *w, const char *s)
{
	if (s && *s)
		wb_csv_field(w, s);
}

/* --- rows ---------------------------------------------------------------- */

static void names_of(const struct snapshot *snap, const struct group_spec *spec,
		     const struct group_row *r, struct enrich *enrich,
		     struct flow_info *info, const char **name,
		     const char **country)
{
	struct flow buf;

	if (!enrich || r->rep >= snap->n) {
		group_row_names(spec, NULL, name, country);
		return;
	}
	enrich_flow(enrich, snapshot_flow(snap, r->rep, &buf), info);
	group_row_names(spec, info, name, country);
}

static void json_row(struct wbuf *w, const struct group_row *r,
		     const char *key, const char *name, const char *country)
{
	wb_puts(w, "{\"key\": ");
	gb_json_opt(w, key);
	wb_puts(w, ", \"name\": ");
	gb_json_opt(w, name);
	wb_puts(w, ", \"country\": ");
	gb_json_opt(w, country);
	wb_puts(w, ", \"flows\": ");
	wb_u64(w, r->flows);
	wb_puts(w, ", \"orig_packets\": ");
	wb_u64(w, r->total.packets[FLOW_DIR_ORIG]);
	wb_puts(w, ", \"orig_bytes\": ");
	wb_u64(w, r->total.bytes[FLOW_DIR_ORIG]);
	wb_puts(w, ", \"reply_packets\": ");
	wb_u64(w, r->total.packets[FLOW_DIR_REPLY]);
	wb_puts(w, ", \"reply_bytes\": ");
	wb_u64(w, r->total.bytes[FLOW_DIR_REPLY]);
	wb_puts(w, ", \"orig_packet_rate\": ");
	gb_rate(w, r->pkt_rate[FLOW_DIR_ORIG]);
	wb_puts(w, ", \"orig_byte_rate\": ");
	gb_rate(w, r->byte_rate[FLOW_DIR_ORIG]);
	wb_puts(w, ", \"reply_packet_rate\": ");
	gb_rate(w, r->pkt_rate[FLOW_DIR_REPLY]);
	wb_puts(w, ", \"reply_byte_rate\": ");
	gb_rate(w, r->byte_rate[FLOW_DIR_REPLY]);
	wb_put(w, "}", 1);
}

static void csv_row(struct wbuf *w, const char *time, const char *by,
		    const struct group_row *r, const char *key,
		    const char *name, const char *country)
{
	wb_puts(w, time);
	wb_put(w, ",", 1);
	wb_puts(w, by);
	wb_put(w, ",", 1);
	gb_csv(w, key);
	wb_put(w, ",", 1);
	gb_csv(w, name);
	wb_put(w, ",", 1);
	gb_csv(w, country);
	wb_put(w, ",", 1);
	wb_u64(w, r->flows);
	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		wb_put(w, ",", 1);
		wb_u64(w, r->total.packets[d]);
		wb_put(w, ",", 1);
		wb_u64(w, r->total.bytes[d]);
	}
	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		wb_put(w, ",", 1);
		gb_rate(w, r->pkt_rate[d]);
		wb_put(w, ",", 1);
		gb_rate(w, r->byte_rate[d]);
	}
	wb_put(w, "\n", 1);
}

static const char csv_header[] =
	"time,group_by,key,name,country,flows,orig_packets,orig_bytes,"
	"reply_packets,reply_bytes,orig_packet_rate,orig_byte_rate,"
	"reply_packet_rate,reply_byte_rate\n";

/* the text table's columns */
enum { TC_KEY, TC_NAME, TC_CC, TC_FLOWS, TC_OPKTS, TC_OBYTES, TC_RPKTS,
       TC_RBYTES, TC_ORATE, TC_RRATE, TC_COUNT };

static const char *const text_head[TC_COUNT] = {
	"KEY", "NAME", "CC", "FLOWS", "ORIG PKTS", "ORIG BYTES", "REPLY PKTS",
	"REPLY BYTES", "ORIG PPS/BPS", "REPLY PPS/BPS",
};

#define TCELL 128

static void text_cells(char cell[TC_COUNT][TCELL], const struct group_row *r,
		       const char *key, const char *name, const char *country)
{
	char a[32], b[32];

	snprintf(cell[TC_KEY], TCELL, "%s", key);
	snprintf(cell[TC_NAME], TCELL, "%s", name && *name ? name : "-");
	snprintf(cell[TC_CC], TCELL, "%s", country && *country ? country : "-");
	snprintf(cell[TC_FLOWS], TCELL, "%u", r->flows);
	snprintf(cell[TC_OPKTS], TCELL, "%llu",
		 (unsigned long long)r->total.packets[FLOW_DIR_ORIG]);
	snprintf(cell[TC_OBYTES], TCELL, "%llu",
		 (unsigned long long)r->total.bytes[FLOW_DIR_ORIG]);
	snprintf(cell[TC_RPKTS], TCELL, "%llu",
		 (unsigned long long)r->total.packets[FLOW_DIR_REPLY]);
	snprintf(cell[TC_RBYTES], TCELL, "%llu",
		 (unsigned long long)r->total.bytes[FLOW_DIR_REPLY]);
	/* the flow table's rate cells: the same units, fractions kept */
	for (int d = 0; d < FLOW_DIR_COUNT; d++)
		snprintf(cell[TC_ORATE + d], TCELL, "%s/%s",
			 units_fmt(a, sizeof(a), r->pkt_rate[d], false, ""),
			 units_fmt(b, sizeof(b), r->byte_rate[d], false, ""));
}

static void text_line(struct wbuf *w, char cell[TC_COUNT][TCELL],
		      const size_t width[TC_COUNT])
{
	for (int c = 0; c < TC_COUNT; c++) {
		size_t len = strlen(cell[c]);
		size_t pad = len < width[c] ? width[c] - len : 0;
		bool left = c <= TC_CC;

		if (c)
			wb_put(w, "  ", 2);
		if (!left)
			wb_spaces(w, pad);
		wb_put(w, cell[c], len);
		if (left)
			wb_spaces(w, pad);
	}
	wb_char(w, '\n');
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
	char by[48], key[80], time[40];
	const char *name, *country;
	struct flow_info info;
	int err;

	if (!w)
		return -ENOMEM;
	w->out = out;
	w->err = 0;
	w->len = 0;
	group_spec_name(spec, by, sizeof(by));
	snprintf(time, sizeof(time), "%.6f", snap->meta.time);
	memset(&info, 0, sizeof(info));
	switch (fmt) {
	case OUTPUT_JSON:
		wb_puts(w, "{\"time\": ");
		wb_puts(w, time);
		snprintf(key, sizeof(key), "%.6f", snap->meta.interval);
		wb_puts(w, ", \"interval\": ");
		wb_puts(w, key);
		wb_puts(w, ", \"acct\": ");
		gb_json_opt(w, acct_kind_name(snap->meta.acct));
		wb_puts(w, ", \"flows_total\": ");
		wb_u64(w, snap->n);
		wb_puts(w, ", \"flows_matched\": ");
		wb_u64(w, r->flows_matched);
		wb_puts(w, ", \"group_by\": ");
		gb_json_opt(w, by);
		wb_puts(w, ", \"groups_total\": ");
		wb_u64(w, r->n);
		wb_puts(w, ", \"groups\": [");
		for (size_t i = 0; i < n; i++) {
			names_of(snap, spec, &r->rows[i], enrich, &info, &name,
				 &country);
			if (i)
				wb_put(w, ", ", 2);
			json_row(w, &r->rows[i],
				 group_key_text(spec, &r->rows[i].key, key,
						sizeof(key)), name, country);
		}
		wb_puts(w, "]}\n");
		break;
	case OUTPUT_CSV:
		if (first)
			wb_puts(w, csv_header);
		for (size_t i = 0; i < n; i++) {
			names_of(snap, spec, &r->rows[i], enrich, &info, &name,
				 &country);
			csv_row(w, time, by, &r->rows[i],
				group_key_text(spec, &r->rows[i].key, key,
					       sizeof(key)), name, country);
		}
		break;
	case OUTPUT_TEXT: {
		char cell[TC_COUNT][TCELL];
		size_t width[TC_COUNT];

		if (!first)
			wb_put(w, "\n", 1);
		text_summary(w, snap, by, r);
		for (int c = 0; c < TC_COUNT; c++) {
			width[c] = strlen(text_head[c]);
			snprintf(cell[c], TCELL, "%s", text_head[c]);
		}
		/* widths first, then the lines: formatting twice costs less
		 * than keeping every row's text (as format.c does for flows) */
		for (int pass = 0; pass < 2; pass++) {
			if (pass)
				text_line(w, cell, width);
			for (size_t i = 0; i < n; i++) {
				names_of(snap, spec, &r->rows[i], enrich, &info,
					 &name, &country);
				text_cells(cell, &r->rows[i],
					   group_key_text(spec, &r->rows[i].key,
							  key, sizeof(key)),
					   name, country);
				if (pass) {
					text_line(w, cell, width);
					continue;
				}
				for (int c = 0; c < TC_COUNT; c++)
					if (strlen(cell[c]) > width[c])
						width[c] = strlen(cell[c]);
			}
			if (!pass)
				for (int c = 0; c < TC_COUNT; c++)
					snprintf(cell[c], TCELL, "%s", text_head[c]);
		}
		break;
	}
	default:
		free(w);
		return -EINVAL;
	}
	wb_flush(w);
	err = w->err;
	free(w);
	return err;
}
