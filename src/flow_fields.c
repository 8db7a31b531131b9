// SPDX-License-Identifier: GPL-2.0
/*
 * The flows' field table: for each field its JSON/CSV name and value, its
 * batch text cell and its view cell. Pure: the rows' names come in the
 * row context (struct flow_fctx).
 */
#include "flow_fields.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "format_fields.h"
#include "format_internal.h"
#include "sort.h"
#include "ui_text.h"

#define FCTX(ctx) ((const struct flow_fctx *)(ctx))

void flow_addrs(const struct flow *f, struct flow_addrs *a)
{
	const struct flow_key *k = &f->key, *r = &f->reply;

	a->src = format_addr(k->family, k->src, a->b[0], sizeof(a->b[0]));
	a->dst = format_addr(k->family, k->dst, a->b[1], sizeof(a->b[1]));
	if (r->family == k->family && !memcmp(r->src, k->dst, sizeof(r->src)))
		a->rsrc = a->dst;
	else
		a->rsrc = format_addr(r->family, r->src, a->b[2], sizeof(a->b[2]));
	if (r->family == k->family && !memcmp(r->dst, k->src, sizeof(r->dst)))
		a->rdst = a->src;
	else
		a->rdst = format_addr(r->family, r->dst, a->b[3], sizeof(a->b[3]));
}

/* ===================================================== JSON and CSV values */

static struct fval v_id(void *ctx)
{
	return FV_U64_V(FCTX(ctx)->f->ct_id);
}

static struct fval v_family(void *ctx)
{
	struct flow_fctx *c = ctx;
	const char *fam = family_name(c->f->key.family);

	if (!fam) {
		snprintf(c->num, sizeof(c->num), "%u", c->f->key.family);
		fam = c->num;
	}
	return fv_str(fam, FV_STR, false);
}

static struct fval v_proto(void *ctx)
{
	struct flow_fctx *c = ctx;

	return fv_str(proto_name(c->f->key.proto, c->num, sizeof(c->num)),
		      FV_STR, false);
}

static struct fval v_state(void *ctx)
{
	const struct flow *f = FCTX(ctx)->f;

	return fv_str(flow_state_name(f->key.proto, f->state), FV_STR, false);
}

#define V_ADDR(name, field)						\
static struct fval name(void *ctx)					\
{									\
	return fv_str(FCTX(ctx)->a.field, FV_PLAIN, false);		\
}
V_ADDR(v_src, src)
V_ADDR(v_dst, dst)
V_ADDR(v_reply_src, rsrc)
V_ADDR(v_reply_dst, rdst)

/* ports: absent for ICMP, which has type, code and id instead */
#define V_PORT(name, tuple, expr, icmp)					\
static struct fval name(void *ctx)					\
{									\
	const struct flow *f = FCTX(ctx)->f;				\
	const struct flow_key *t = &f->tuple;				\
									\
	if (is_icmp(f->key.proto) != (icmp))				\
		return FV_ABSENT_V;					\
	return FV_U64_V(expr);						\
}
V_PORT(v_sport, key, ntohs(t->sport), false)
V_PORT(v_dport, key, ntohs(t->dport), false)
V_PORT(v_icmp_type, key, icmp_type(t), true)
V_PORT(v_icmp_code, key, icmp_code(t), true)
V_PORT(v_icmp_id, key, ntohs(t->sport), true)
V_PORT(v_reply_sport, reply, ntohs(t->sport), false)
V_PORT(v_reply_dport, reply, ntohs(t->dport), false)
V_PORT(v_reply_icmp_type, reply, icmp_type(t), true)
V_PORT(v_reply_icmp_code, reply, icmp_code(t), true)
V_PORT(v_reply_icmp_id, reply, ntohs(t->sport), true)

static struct fval v_zone(void *ctx)
{
	return FV_U64_V(FCTX(ctx)->f->key.zone);
}

static struct fval v_mark(void *ctx)
{
	return FV_U64_V(FCTX(ctx)->f->mark);
}

static struct fval v_age(void *ctx)
{
	const struct flow_fctx *c = ctx;

	return FV_DOUBLE_V(flow_age(c->f, c->now), DEC_RATE);
}

#define V_COUNTER(name, field, dir)					\
static struct fval name(void *ctx)					\
{									\
	return FV_U64_V(FCTX(ctx)->f->total.field[dir]);		\
}
V_COUNTER(v_orig_packets, packets, FLOW_DIR_ORIG)
V_COUNTER(v_orig_bytes, bytes, FLOW_DIR_ORIG)
V_COUNTER(v_reply_packets, packets, FLOW_DIR_REPLY)
V_COUNTER(v_reply_bytes, bytes, FLOW_DIR_REPLY)

#define V_RATE(name, field, dir)					\
static struct fval name(void *ctx)					\
{									\
	return FV_DOUBLE_V(FCTX(ctx)->f->field[dir], DEC_RATE);		\
}
V_RATE(v_orig_packet_rate, pkt_rate, FLOW_DIR_ORIG)
V_RATE(v_orig_byte_rate, byte_rate, FLOW_DIR_ORIG)
V_RATE(v_reply_packet_rate, pkt_rate, FLOW_DIR_REPLY)
V_RATE(v_reply_byte_rate, byte_rate, FLOW_DIR_REPLY)

/*
 * Where the totals begin: "start" (the flow's start: the kernel's
 * counters, or a flow the backend saw from its first packet), else the
 * UNIX time the backend began counting, null if unknown.
 */
static struct fval v_counted_from(void *ctx)
{
	const struct flow_fctx *c = ctx;

	if (c->f->whole_life)
		return fv_str("start", FV_PLAIN, false);
	if (c->since > 0)
		return FV_DOUBLE_V(c->since, DEC_TIME);
	return FV_NULL_V;
}

static struct fval v_offloaded(void *ctx)
{
	return FV_BOOL_V(FCTX(ctx)->f->offloaded);
}

/* who and where: every string here came from outside and is escaped */
static struct fval v_pid(void *ctx)
{
	const struct proc_info *p = &FCTX(ctx)->fi->proc;

	return p->pid > 0 ? FV_U64_V((uint64_t)p->pid) : FV_NULL_V;
}

static struct fval v_process(void *ctx)
{
	const struct proc_info *p = &FCTX(ctx)->fi->proc;

	return fv_str(p->pid > 0 ? p->comm : NULL, FV_STR, true);
}

static struct fval v_user(void *ctx)
{
	const struct proc_info *p = &FCTX(ctx)->fi->proc;

	return fv_str(p->pid > 0 ? p->user : NULL, FV_STR, true);
}

#define V_INFO(name, expr)						\
static struct fval name(void *ctx)					\
{									\
	const struct flow_info *fi = FCTX(ctx)->fi;			\
									\
	return fv_str(expr, FV_STR, true);				\
}
V_INFO(v_src_host, fi->src.host)
V_INFO(v_dst_host, fi->dst.host)
V_INFO(v_src_country, fi->src.geo.country_code)
V_INFO(v_src_country_name, fi->src.geo.country)
V_INFO(v_src_city, fi->src.geo.city)
V_INFO(v_src_as_org, fi->src.geo.as_org)
V_INFO(v_dst_country, fi->dst.geo.country_code)
V_INFO(v_dst_country_name, fi->dst.geo.country)
V_INFO(v_dst_city, fi->dst.geo.city)
V_INFO(v_dst_as_org, fi->dst.geo.as_org)
V_INFO(v_sport_service, fi->src.service)
V_INFO(v_dport_service, fi->dst.service)

static struct fval v_src_asn(void *ctx)
{
	uint32_t asn = FCTX(ctx)->fi->src.geo.asn;

	return asn ? FV_U64_V(asn) : FV_NULL_V;
}

static struct fval v_dst_asn(void *ctx)
{
	uint32_t asn = FCTX(ctx)->fi->dst.geo.asn;

	return asn ? FV_U64_V(asn) : FV_NULL_V;
}

/* ===================================================== batch text cells */

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
	n = snprintf(cell + len, TEXT_CELL_MAX - len, "%s%s", sep, ep);
	if (n < 0)
		return len;
	return len + ((size_t)n < TEXT_CELL_MAX - len ? (size_t)n :
		      TEXT_CELL_MAX - len - 1);
}

/* a constant or outside string into a cell: cut to TEXT_CELL_MAX - 1, "-" when empty */
static size_t put_str(char *cell, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n) {
		cell[0] = '-';
		return 1;
	}
	if (n > TEXT_CELL_MAX - 1)
		n = TEXT_CELL_MAX - 1;
	if (s != cell)	/* proto_name may have written it there */
		memcpy(cell, s, n);
	return n;
}

static size_t t_proto(char *cell, const void *ctx)
{
	return put_str(cell, proto_name(FCTX(ctx)->f->key.proto, cell,
					TEXT_CELL_MAX));
}

static size_t t_state(char *cell, const void *ctx)
{
	const struct flow *f = FCTX(ctx)->f;

	return put_str(cell, flow_state_name(f->key.proto, f->state));
}

/*
 * An end of the flow; a NAT'd flow's cell carries where it really came
 * from (" via ") or went to (" -> ") too, in ASCII so that the table lines
 * up by bytes on any terminal.
 */
static size_t t_end(char *cell, const struct flow_fctx *c, bool src)
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

static size_t t_src(char *cell, const void *ctx)
{
	return t_end(cell, ctx, true);
}

static size_t t_dst(char *cell, const void *ctx)
{
	return t_end(cell, ctx, false);
}

static size_t t_age(char *cell, const void *ctx)
{
	const struct flow_fctx *c = ctx;

	return (size_t)(put_age(cell, flow_age(c->f, c->now)) - cell);
}

/* counters exact */
#define T_COUNTER(name, field, dir)					\
static size_t name(char *cell, const void *ctx)				\
{									\
	return (size_t)(put_u64(cell, FCTX(ctx)->f->total.field[dir]) - cell); \
}
T_COUNTER(t_orig_packets, packets, FLOW_DIR_ORIG)
T_COUNTER(t_orig_bytes, bytes, FLOW_DIR_ORIG)
T_COUNTER(t_reply_packets, packets, FLOW_DIR_REPLY)
T_COUNTER(t_reply_bytes, bytes, FLOW_DIR_REPLY)

static size_t t_rate(char *cell, const struct flow *f, int dir)
{
	return text_rate_cell(cell, f->pkt_rate[dir], f->byte_rate[dir]);
}

static size_t t_orig_rate(char *cell, const void *ctx)
{
	return t_rate(cell, FCTX(ctx)->f, FLOW_DIR_ORIG);
}

static size_t t_reply_rate(char *cell, const void *ctx)
{
	return t_rate(cell, FCTX(ctx)->f, FLOW_DIR_REPLY);
}

/* "comm[pid]" */
static size_t t_process(char *cell, const void *ctx)
{
	const struct proc_info *p = &FCTX(ctx)->fi->proc;
	char buf[TEXT_CELL_MAX];

	if (p->pid <= 0)
		return put_str(cell, NULL);
	snprintf(buf, sizeof(buf), "%s[%d]", p->comm, (int)p->pid);
	return put_str(cell, buf);
}

static size_t t_service(char *cell, const void *ctx)
{
	return put_str(cell, FCTX(ctx)->fi->dst.service);
}

static size_t t_dst_host(char *cell, const void *ctx)
{
	return put_str(cell, FCTX(ctx)->fi->dst.host);
}

/* "CC City AS123" */
static size_t t_dst_geo(char *cell, const void *ctx)
{
	const struct geo_info *g = &FCTX(ctx)->fi->dst.geo;
	char buf[TEXT_CELL_MAX];
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

/* ===================================================== view cells */

void flow_dest_text(char *buf, size_t len, const struct flow *f,
		    const struct flow_info *info, bool utf8)
{
	char addr[INET6_ADDRSTRLEN], ep[ENDPOINT_STRLEN];
	const char *name = info->dst.host;

	if (!name[0])
		name = format_addr(f->key.family, f->key.dst, addr, sizeof(addr));
	if (flow_nat_endpoint(f, FLOW_NAT_DST, ep, sizeof(ep)))
		snprintf(buf, len, "%s %s %s", name ? name : "?",
			 utf8 ? "\xe2\x86\x92" : "->", ep);
	else
		snprintf(buf, len, "%s", name ? name : "?");
}

const char *flow_port_text(char *buf, size_t len, const struct flow_key *k,
			   const char *service)
{
	if (is_icmp(k->proto))
		snprintf(buf, len, "%u/%u", icmp_type(k), icmp_code(k));
	else if (service && *service)
		snprintf(buf, len, "%s", service);
	else
		snprintf(buf, len, "%u", ntohs(k->dport));
	return buf;
}

/* First column: x destroyed (shown once more), o offloaded (flowtable). */
static const char *c_row_mark(char *buf, size_t len, const void *ctx)
{
	const struct flow *f = FCTX(ctx)->f;

	(void)buf;
	(void)len;
	return f->destroyed ? "x" : f->offloaded ? "o" : " ";
}

static const char *c_process(char *buf, size_t len, const void *ctx)
{
	const struct proc_info *p = &FCTX(ctx)->fi->proc;

	(void)buf;
	(void)len;
	return p->pid > 0 ? p->comm : "-";
}

static const char *c_pid(char *buf, size_t len, const void *ctx)
{
	const struct proc_info *p = &FCTX(ctx)->fi->proc;

	if (p->pid <= 0)
		return "-";
	snprintf(buf, len, "%d", (int)p->pid);
	return buf;
}

static const char *c_proto(char *buf, size_t len, const void *ctx)
{
	return proto_name(FCTX(ctx)->f->key.proto, buf, len);
}

static const char *c_state(char *buf, size_t len, const void *ctx)
{
	const struct flow *f = FCTX(ctx)->f;
	const char *state = flow_state_name(f->key.proto, f->state);

	(void)buf;
	(void)len;
	return state ? state : "-";
}

static const char *c_age(char *buf, size_t len, const void *ctx)
{
	const struct flow_fctx *c = ctx;

	return fmt_age(buf, len, flow_age(c->f, c->now));
}

static const char *c_dest(char *buf, size_t len, const void *ctx)
{
	const struct flow_fctx *c = ctx;

	flow_dest_text(buf, len, c->f, c->fi, c->utf8);
	return buf;
}

static const char *c_port(char *buf, size_t len, const void *ctx)
{
	const struct flow_fctx *c = ctx;

	return flow_port_text(buf, len, &c->f->key, c->fi->dst.service);
}

static const char *c_cc(char *buf, size_t len, const void *ctx)
{
	const char *cc = FCTX(ctx)->fi->dst.geo.country_code;

	(void)buf;
	(void)len;
	return cc[0] ? cc : "-";
}

/*
 * A byte total; ">" in front when it counts only since flowtop began
 * counting (a flow older than flowtop, without kernel counters).
 */
static const char *c_total(char *buf, size_t len, const void *ctx, int dir)
{
	const struct flow *f = FCTX(ctx)->f;
	char num[32];

	fmt_bytes(num, sizeof(num), f->total.bytes[dir]);
	snprintf(buf, len, "%s%s", f->whole_life ? "" : ">", num);
	return buf;
}

static const char *c_rate(char *buf, size_t len, const void *ctx, int dir)
{
	const struct flow_fctx *c = ctx;

	return fmt_rate(buf, len, c->f->byte_rate[dir], c->bits);
}

static const char *c_out(char *buf, size_t len, const void *ctx)
{
	return c_total(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *c_out_rate(char *buf, size_t len, const void *ctx)
{
	return c_rate(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *c_in(char *buf, size_t len, const void *ctx)
{
	return c_total(buf, len, ctx, FLOW_DIR_REPLY);
}

static const char *c_in_rate(char *buf, size_t len, const void *ctx)
{
	return c_rate(buf, len, ctx, FLOW_DIR_REPLY);
}

/* ===================================================== the table */

#define NOSORT .sort = COL_NO_SORT
#define ENRICH .enrich = true

const struct field flow_fields[FF_COUNT] = {
	[FF_ID] = { FIELD_NAME("id"), NOSORT, .value = v_id },
	[FF_FAMILY] = { FIELD_NAME("family"), NOSORT, .value = v_family },
	[FF_PROTO] = { FIELD_NAME("proto"), .sort = SORT_PROTO,
		.value = v_proto,
		.text = { "PROTO", false, t_proto },
		.view = { "PROTO", 8, false, c_proto } },
	[FF_STATE] = { FIELD_NAME("state"), .sort = SORT_STATE,
		.value = v_state,
		.text = { "STATE", false, t_state },
		.view = { "STATE", 12, false, c_state } },
	[FF_SRC] = { FIELD_NAME("src"), NOSORT, .value = v_src,
		.text = { "SOURCE", false, t_src } },
	/* the view: the name, else the address */
	[FF_DST] = { FIELD_NAME("dst"), .sort = SORT_DEST, .value = v_dst,
		.text = { "DESTINATION", false, t_dst },
		.view = { "DESTINATION", 0, false, c_dest } },
	[FF_SPORT] = { FIELD_NAME("sport"), NOSORT, .value = v_sport },
	/* the view: the service, else the port; ICMP's type/code */
	[FF_DPORT] = { FIELD_NAME("dport"), .sort = SORT_PORT,
		.value = v_dport,
		.view = { "PORT", 12, false, c_port } },
	[FF_ICMP_TYPE] = { FIELD_NAME("icmp_type"), NOSORT,
		.value = v_icmp_type },
	[FF_ICMP_CODE] = { FIELD_NAME("icmp_code"), NOSORT,
		.value = v_icmp_code },
	[FF_ICMP_ID] = { FIELD_NAME("icmp_id"), NOSORT, .value = v_icmp_id },
	[FF_REPLY_SRC] = { FIELD_NAME("reply_src"), NOSORT,
		.value = v_reply_src },
	[FF_REPLY_DST] = { FIELD_NAME("reply_dst"), NOSORT,
		.value = v_reply_dst },
	[FF_REPLY_SPORT] = { FIELD_NAME("reply_sport"), NOSORT,
		.value = v_reply_sport },
	[FF_REPLY_DPORT] = { FIELD_NAME("reply_dport"), NOSORT,
		.value = v_reply_dport },
	[FF_REPLY_ICMP_TYPE] = { FIELD_NAME("reply_icmp_type"), NOSORT,
		.value = v_reply_icmp_type },
	[FF_REPLY_ICMP_CODE] = { FIELD_NAME("reply_icmp_code"), NOSORT,
		.value = v_reply_icmp_code },
	[FF_REPLY_ICMP_ID] = { FIELD_NAME("reply_icmp_id"), NOSORT,
		.value = v_reply_icmp_id },
	[FF_ZONE] = { FIELD_NAME("zone"), NOSORT, .value = v_zone },
	[FF_MARK] = { FIELD_NAME("mark"), NOSORT, .value = v_mark },
	[FF_AGE] = { FIELD_NAME("age"), .sort = SORT_AGE, .value = v_age,
		.text = { "AGE", true, t_age },
		.view = { "AGE", 7, true, c_age } },
	[FF_ORIG_PACKETS] = { FIELD_NAME("orig_packets"),
		.sort = SORT_PACKETS, .value = v_orig_packets,
		.text = { "ORIG PKTS", true, t_orig_packets } },
	/* the view: SI units, ">" when counted since flowtop began */
	[FF_ORIG_BYTES] = { FIELD_NAME("orig_bytes"), .sort = SORT_BYTES,
		.value = v_orig_bytes,
		.text = { "ORIG BYTES", true, t_orig_bytes },
		.view = { "OUT", 7, true, c_out } },
	[FF_REPLY_PACKETS] = { FIELD_NAME("reply_packets"),
		.sort = SORT_PACKETS, .value = v_reply_packets,
		.text = { "REPLY PKTS", true, t_reply_packets } },
	[FF_REPLY_BYTES] = { FIELD_NAME("reply_bytes"), .sort = SORT_BYTES,
		.value = v_reply_bytes,
		.text = { "REPLY BYTES", true, t_reply_bytes },
		.view = { "IN", 8, true, c_in } },
	[FF_ORIG_PACKET_RATE] = { FIELD_NAME("orig_packet_rate"), NOSORT,
		.value = v_orig_packet_rate },
	/* the text table: packets/s and bytes/s in one cell */
	[FF_ORIG_BYTE_RATE] = { FIELD_NAME("orig_byte_rate"),
		.sort = SORT_RATE, .value = v_orig_byte_rate,
		.text = { "ORIG PPS/BPS", true, t_orig_rate },
		.view = { "OUT/s", 10, true, c_out_rate } },
	[FF_REPLY_PACKET_RATE] = { FIELD_NAME("reply_packet_rate"), NOSORT,
		.value = v_reply_packet_rate },
	[FF_REPLY_BYTE_RATE] = { FIELD_NAME("reply_byte_rate"),
		.sort = SORT_RATE, .value = v_reply_byte_rate,
		.text = { "REPLY PPS/BPS", true, t_reply_rate },
		.view = { "IN/s", 10, true, c_in_rate } },
	[FF_COUNTED_FROM] = { FIELD_NAME("counted_from"), NOSORT,
		.value = v_counted_from },
	[FF_OFFLOADED] = { FIELD_NAME("offloaded"), NOSORT,
		.value = v_offloaded },

	[FF_PID] = { FIELD_NAME("pid"), ENRICH, NOSORT, .value = v_pid,
		.view = { "PID", 7, true, c_pid } },
	/* the text table: "comm[pid]" */
	[FF_PROCESS] = { FIELD_NAME("process"), ENRICH, .sort = SORT_PROCESS,
		.value = v_process,
		.text = { "PROCESS", false, t_process },
		.view = { "PROCESS", 13, false, c_process } },
	[FF_USER] = { FIELD_NAME("user"), ENRICH, NOSORT, .value = v_user },
	[FF_SRC_HOST] = { FIELD_NAME("src_host"), ENRICH, NOSORT,
		.value = v_src_host },
	[FF_DST_HOST] = { FIELD_NAME("dst_host"), ENRICH, NOSORT,
		.value = v_dst_host,
		.text = { "DST HOST", false, t_dst_host } },
	[FF_SRC_COUNTRY] = { FIELD_NAME("src_country"), ENRICH, NOSORT,
		.value = v_src_country },
	[FF_SRC_COUNTRY_NAME] = { FIELD_NAME("src_country_name"), ENRICH,
		NOSORT, .value = v_src_country_name },
	[FF_SRC_CITY] = { FIELD_NAME("src_city"), ENRICH, NOSORT,
		.value = v_src_city },
	[FF_SRC_ASN] = { FIELD_NAME("src_asn"), ENRICH, NOSORT,
		.value = v_src_asn },
	[FF_SRC_AS_ORG] = { FIELD_NAME("src_as_org"), ENRICH, NOSORT,
		.value = v_src_as_org },
	/* the text table: "CC City AS123" */
	[FF_DST_COUNTRY] = { FIELD_NAME("dst_country"), ENRICH,
		.sort = SORT_COUNTRY, .value = v_dst_country,
		.text = { "DST GEO", false, t_dst_geo },
		.view = { "CC", 3, false, c_cc } },
	[FF_DST_COUNTRY_NAME] = { FIELD_NAME("dst_country_name"), ENRICH,
		NOSORT, .value = v_dst_country_name },
	[FF_DST_CITY] = { FIELD_NAME("dst_city"), ENRICH, NOSORT,
		.value = v_dst_city },
	[FF_DST_ASN] = { FIELD_NAME("dst_asn"), ENRICH, NOSORT,
		.value = v_dst_asn },
	[FF_DST_AS_ORG] = { FIELD_NAME("dst_as_org"), ENRICH, NOSORT,
		.value = v_dst_as_org },
	[FF_SPORT_SERVICE] = { FIELD_NAME("sport_service"), ENRICH, NOSORT,
		.value = v_sport_service },
	[FF_DPORT_SERVICE] = { FIELD_NAME("dport_service"), ENRICH, NOSORT,
		.value = v_dport_service,
		.text = { "SERVICE", false, t_service } },

	[FF_ROW_MARK] = { NOSORT, .view = { "", 2, false, c_row_mark } },
};

/* ===================================================== JSON and CSV rows */

/*
 * Here, with the table in sight: fields_json and fields_csv compile to
 * straight code over it (format_fields.h).
 */
__attribute__((flatten))
void flow_json_row(struct wbuf *w, struct flow_fctx *c)
{
	flow_addrs(c->f, &c->a);
	if (c->fi)
		fields_json(w, flow_fields, FF_NAMED, c);
	else
		fields_json(w, flow_fields, FF_PLAIN, c);
}

__attribute__((flatten))
void flow_csv_row(struct wbuf *w, struct flow_fctx *c)
{
	flow_addrs(c->f, &c->a);
	if (c->fi)
		fields_csv(w, flow_fields, FF_NAMED, c);
	else
		fields_csv(w, flow_fields, FF_PLAIN, c);
}
