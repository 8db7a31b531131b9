// SPDX-License-Identifier: GPL-2.0
/* Snapshots as CSV: a header row once, then one row per flow. */
#include "format_internal.h"

#include <arpa/inet.h>

static const char csv_header[] =
	"time,id,family,proto,state,src,dst,sport,dport,"
	"icmp_type,icmp_code,icmp_id,reply_src,reply_dst,"
	"reply_sport,reply_dport,reply_icmp_type,reply_icmp_code,"
	"reply_icmp_id,zone,mark,age,orig_packets,orig_bytes,"
	"reply_packets,reply_bytes,orig_packet_rate,orig_byte_rate,"
	"reply_packet_rate,reply_byte_rate,counted_from,offloaded\n";

/* appended (before the newline) when the output is enriched */
static const char csv_header_enrich[] =
	",pid,process,user,src_host,dst_host,"
	"src_country,src_country_name,src_city,src_asn,src_as_org,"
	"dst_country,dst_country_name,dst_city,dst_asn,dst_as_org,"
	"sport_service,dport_service\n";

static void csv_sep_u64(struct wbuf *w, uint64_t v)
{
	wb_char(w, ',');
	wb_u64(w, v);
}

static void csv_sep_str(struct wbuf *w, const char *s)
{
	wb_char(w, ',');
	if (s)
		wb_csv_field(w, s);
}

static void csv_sep_double(struct wbuf *w, double v, int dec)
{
	wb_char(w, ',');
	wb_double(w, v, dec);
}

static void csv_geo(struct wbuf *w, const struct geo_info *g)
{
	csv_sep_str(w, g->country_code);
	csv_sep_str(w, g->country);
	csv_sep_str(w, g->city);
	wb_char(w, ',');
	if (g->asn)
		wb_u64(w, g->asn);
	csv_sep_str(w, g->as_org);
}

static void csv_enrich(struct wbuf *w, const struct flow_info *fi)
{
	wb_char(w, ',');
	if (fi->proc.pid > 0)
		wb_u64(w, (uint64_t)fi->proc.pid);
	csv_sep_str(w, fi->proc.pid > 0 ? fi->proc.comm : NULL);
	csv_sep_str(w, fi->proc.pid > 0 ? fi->proc.user : NULL);
	csv_sep_str(w, fi->src.host);
	csv_sep_str(w, fi->dst.host);
	csv_geo(w, &fi->src.geo);
	csv_geo(w, &fi->dst.geo);
	csv_sep_str(w, fi->src.service);
	csv_sep_str(w, fi->dst.service);
}

static void csv_flow(struct wbuf *w, const char *time, size_t time_len,
		     const struct flow *f, double now, double since,
		     struct enrich *enrich)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	bool icmp = is_icmp(k->proto);
	struct flow_addrs a;
	char num[8];
	const char *fam = family_name(k->family);

	flow_addrs(f, &a);
	wb_put(w, time, time_len);
	csv_sep_u64(w, f->ct_id);
	if (!fam) {
		snprintf(num, sizeof(num), "%u", k->family);
		fam = num;
	}
	csv_sep_str(w, fam);
	csv_sep_str(w, proto_name(k->proto, num, sizeof(num)));
	csv_sep_str(w, flow_state_name(k->proto, f->state));
	csv_sep_str(w, a.src);
	csv_sep_str(w, a.dst);
	if (icmp) {
		wb_put(w, ",,", 2);
		csv_sep_u64(w, icmp_type(k));
		csv_sep_u64(w, icmp_code(k));
		csv_sep_u64(w, ntohs(k->sport));
	} else {
		csv_sep_u64(w, ntohs(k->sport));
		csv_sep_u64(w, ntohs(k->dport));
		wb_put(w, ",,,", 3);
	}
	csv_sep_str(w, a.rsrc);
	csv_sep_str(w, a.rdst);
	if (icmp) {
		wb_put(w, ",,", 2);
		csv_sep_u64(w, icmp_type(r));
		csv_sep_u64(w, icmp_code(r));
		csv_sep_u64(w, ntohs(r->sport));
	} else {
		csv_sep_u64(w, ntohs(r->sport));
		csv_sep_u64(w, ntohs(r->dport));
		wb_put(w, ",,,", 3);
	}
	csv_sep_u64(w, k->zone);
	csv_sep_u64(w, f->mark);
	csv_sep_double(w, flow_age(f, now), DEC_RATE);
	csv_sep_u64(w, f->total.packets[FLOW_DIR_ORIG]);
	csv_sep_u64(w, f->total.bytes[FLOW_DIR_ORIG]);
	csv_sep_u64(w, f->total.packets[FLOW_DIR_REPLY]);
	csv_sep_u64(w, f->total.bytes[FLOW_DIR_REPLY]);
	csv_sep_double(w, f->pkt_rate[FLOW_DIR_ORIG], DEC_RATE);
	csv_sep_double(w, f->byte_rate[FLOW_DIR_ORIG], DEC_RATE);
	csv_sep_double(w, f->pkt_rate[FLOW_DIR_REPLY], DEC_RATE);
	csv_sep_double(w, f->byte_rate[FLOW_DIR_REPLY], DEC_RATE);
	wb_char(w, ',');
	counted_from(w, f, since, false);
	wb_puts(w, f->offloaded ? ",1" : ",0");
	if (enrich) {
		struct flow_info fi;

		enrich_flow(enrich, f, &fi);
		csv_enrich(w, &fi);
	}
	wb_char(w, '\n');
}

void format_csv(struct wbuf *w, const struct snapshot *snap, bool first,
		       struct enrich *enrich, const struct format_sel *sel)
{
	char time[DOUBLE_MAX];
	size_t time_len;
	struct flow buf;

	if (first && enrich) {
		wb_put(w, csv_header, sizeof(csv_header) - 2);
		wb_put(w, csv_header_enrich, sizeof(csv_header_enrich) - 1);
	} else if (first) {
		wb_put(w, csv_header, sizeof(csv_header) - 1);
	}
	time_len = (size_t)(put_double(time, snap->meta.time, DEC_TIME) - time);
	for (size_t i = 0; i < sel_n(snap, sel); i++)
		csv_flow(w, time, time_len, sel_flow(snap, sel, i, &buf),
			 snap->meta.time, snap->meta.counting_since, enrich);
}
