// SPDX-License-Identifier: GPL-2.0
/* Snapshots as JSON: one object per snapshot and line. */
#include "format_internal.h"

#include <arpa/inet.h>

/* Decimals: microseconds for times, milliseconds for ages and rates. */
/*
 * Keys are string literals: ", \"key\": " is assembled by the compiler,
 * so writing a key is one copy of known length.
 */
#define JSON_KEY(key) ", \"" key "\": "
#define json_key(w, key) wb_put(w, JSON_KEY(key), sizeof(JSON_KEY(key)) - 1)
#define json_u64(w, key, v) do { json_key(w, key); wb_u64(w, v); } while (0)
#define json_double(w, key, v, dec) \
	do { json_key(w, key); wb_double(w, v, dec); } while (0)
#define json_str(w, key, s) do { json_key(w, key); json_value(w, s); } while (0)
/* addresses: inet text, nothing to escape */
#define json_addr(w, key, s) do { json_key(w, key); json_plain(w, s); } while (0)

/* a string or null */
static void json_value(struct wbuf *w, const char *s)
{
	if (s)
		wb_json_string(w, s);
	else
		wb_put(w, "null", 4);
}

static void json_plain(struct wbuf *w, const char *s)
{
	size_t n;
	char *p;

	if (!s) {
		wb_put(w, "null", 4);
		return;
	}
	n = strlen(s);
	p = wb_room(w, n + 2);
	*p++ = '"';
	memcpy(p, s, n);
	p += n;
	*p++ = '"';
	wb_commit(w, p);
}

/* a string that is "" when unknown: null then */
static void json_opt(struct wbuf *w, const char *s)
{
	json_value(w, s && *s ? s : NULL);
}

#define json_ostr(w, key, s) do { json_key(w, key); json_opt(w, s); } while (0)

static void json_geo(struct wbuf *w, const struct geo_info *g, bool dst)
{
	if (dst) {
		json_ostr(w, "dst_country", g->country_code);
		json_ostr(w, "dst_country_name", g->country);
		json_ostr(w, "dst_city", g->city);
		json_key(w, "dst_asn");
	} else {
		json_ostr(w, "src_country", g->country_code);
		json_ostr(w, "src_country_name", g->country);
		json_ostr(w, "src_city", g->city);
		json_key(w, "src_asn");
	}
	if (g->asn)
		wb_u64(w, g->asn);
	else
		wb_put(w, "null", 4);
	if (dst)
		json_ostr(w, "dst_as_org", g->as_org);
	else
		json_ostr(w, "src_as_org", g->as_org);
}

/* who and where: every string here came from outside and is escaped */
static void json_enrich(struct wbuf *w, const struct flow_info *fi)
{
	json_key(w, "pid");
	if (fi->proc.pid > 0)
		wb_u64(w, (uint64_t)fi->proc.pid);
	else
		wb_put(w, "null", 4);
	json_ostr(w, "process", fi->proc.pid > 0 ? fi->proc.comm : NULL);
	json_ostr(w, "user", fi->proc.pid > 0 ? fi->proc.user : NULL);
	json_ostr(w, "src_host", fi->src.host);
	json_ostr(w, "dst_host", fi->dst.host);
	json_geo(w, &fi->src.geo, false);
	json_geo(w, &fi->dst.geo, true);
	json_ostr(w, "sport_service", fi->src.service);
	json_ostr(w, "dport_service", fi->dst.service);
}

static void json_flow(struct wbuf *w, const struct flow *f, double now,
		      double since, struct enrich *enrich)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	struct flow_addrs a;
	char num[8];
	const char *fam = family_name(k->family);

	flow_addrs(f, &a);
	wb_puts(w, "{\"id\": ");
	wb_u64(w, f->ct_id);
	if (fam) {
		json_str(w, "family", fam);
	} else {
		snprintf(num, sizeof(num), "%u", k->family);
		json_str(w, "family", num);
	}
	json_str(w, "proto", proto_name(k->proto, num, sizeof(num)));
	json_str(w, "state", flow_state_name(k->proto, f->state));
	json_addr(w, "src", a.src);
	json_addr(w, "dst", a.dst);
	if (is_icmp(k->proto)) {
		json_u64(w, "icmp_type", icmp_type(k));
		json_u64(w, "icmp_code", icmp_code(k));
		json_u64(w, "icmp_id", ntohs(k->sport));
	} else {
		json_u64(w, "sport", ntohs(k->sport));
		json_u64(w, "dport", ntohs(k->dport));
	}
	json_addr(w, "reply_src", a.rsrc);
	json_addr(w, "reply_dst", a.rdst);
	if (is_icmp(k->proto)) {
		json_u64(w, "reply_icmp_type", icmp_type(r));
		json_u64(w, "reply_icmp_code", icmp_code(r));
		json_u64(w, "reply_icmp_id", ntohs(r->sport));
	} else {
		json_u64(w, "reply_sport", ntohs(r->sport));
		json_u64(w, "reply_dport", ntohs(r->dport));
	}
	json_u64(w, "zone", k->zone);
	json_u64(w, "mark", f->mark);
	json_double(w, "age", flow_age(f, now), DEC_RATE);
	json_u64(w, "orig_packets", f->total.packets[FLOW_DIR_ORIG]);
	json_u64(w, "orig_bytes", f->total.bytes[FLOW_DIR_ORIG]);
	json_u64(w, "reply_packets", f->total.packets[FLOW_DIR_REPLY]);
	json_u64(w, "reply_bytes", f->total.bytes[FLOW_DIR_REPLY]);
	json_double(w, "orig_packet_rate", f->pkt_rate[FLOW_DIR_ORIG], DEC_RATE);
	json_double(w, "orig_byte_rate", f->byte_rate[FLOW_DIR_ORIG], DEC_RATE);
	json_double(w, "reply_packet_rate", f->pkt_rate[FLOW_DIR_REPLY], DEC_RATE);
	json_double(w, "reply_byte_rate", f->byte_rate[FLOW_DIR_REPLY], DEC_RATE);
	json_key(w, "counted_from");
	counted_from(w, f, since, true);
	json_key(w, "offloaded");
	wb_puts(w, f->offloaded ? "true" : "false");
	if (enrich) {
		struct flow_info fi;

		enrich_flow(enrich, f, &fi);
		json_enrich(w, &fi);
	}
	wb_char(w, '}');
}

void format_json(struct wbuf *w, const struct snapshot *snap,
			struct enrich *enrich, const struct format_sel *sel)
{
	const struct snapshot_meta *m = &snap->meta;
	struct flow buf;

	wb_puts(w, "{\"time\": ");
	wb_double(w, m->time, DEC_TIME);
	json_double(w, "interval", m->interval, DEC_TIME);
	json_str(w, "acct", acct_name(m->acct));
	json_u64(w, "flows_total", snap->n);
	if (sel)
		json_u64(w, "flows_matched", sel->matched);
	json_u64(w, "lost_events", m->lost_events);
	json_u64(w, "resyncs", m->resyncs);
	json_u64(w, "evictions", m->evictions);
	json_u64(w, "events", m->events);
	json_u64(w, "new_flows", m->new_flows);
	json_u64(w, "destroyed_flows", m->destroyed_flows);
	json_u64(w, "refresh_dumps", m->refresh_dumps);
	json_u64(w, "gets", m->gets);
	json_u64(w, "silent_ends", m->silent_ends);
	json_double(w, "silent_ms", m->silent_ms, DEC_RATE);
	json_double(w, "map_read_ms", m->map_read_ms, DEC_RATE);
	json_key(w, "flows");
	wb_char(w, '[');
	for (size_t i = 0; i < sel_n(snap, sel); i++) {
		if (i)
			wb_put(w, ", ", 2);
		json_flow(w, sel_flow(snap, sel, i, &buf), m->time,
			  m->counting_since, enrich);
	}
	wb_put(w, "]}\n", 3);
}
