// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots as text, JSON and CSV.
 *
 * A gateway snapshot can hold a quarter of a million flows or more, and a
 * batch run prints one per interval, so rows are built by hand into a local
 * buffer (no printf per field, no allocation per flow) and handed to stdio
 * in large blocks. Every number written is finite: JSON has no NaN.
 */
#include "format.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "units.h"
#include "utf8.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static const char *family_name(uint8_t family)
{
	switch (family) {
	case AF_INET:	return "ipv4";
	case AF_INET6:	return "ipv6";
	}
	return NULL;
}

/* ------------------------------------------------------ number writers */

static const char digits2[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes v in decimal at p; returns the end. At most 20 characters. */
static char *put_u64(char *p, uint64_t v)
{
	char tmp[20], *e = tmp + sizeof(tmp), *q = e;

	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	/* two digits per division: half the divisions of the plain loop */
	while (v >= 100) {
		q -= 2;
		memcpy(q, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, digits2 + 2 * v, 2);
	} else {
		*--q = (char)('0' + v);
	}
	memcpy(p, q, (size_t)(e - q));
	return p + (e - q);
}

static const double pow10d[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
static const uint64_t pow10u[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

/* Largest |v| * 10^decimals handled exactly in a double's 53-bit mantissa. */
#define FIXED_LIMIT 9007199254740992.0

/* Room put_double needs: "%.17g" of any finite double, sign included. */
#define DOUBLE_MAX 32

/*
 * Writes a finite number with at most decimals (<= 6) fraction digits,
 * trailing zeros trimmed but one kept ("1.0", "12.5", "0.4"): a JSON
 * number that reads back as a float. NaN and infinities become 0.0: JSON
 * has no such numbers, and readers of a rate expect a number.
 */
static inline __attribute__((always_inline))
char *put_double(char *p, double v, int decimals)
{
	uint64_t scaled, ip, fp;
	double a;
	char frac[6];

	if (!isfinite(v) || v == 0)
		v = 0;	/* also turns -0.0 into 0.0 */
	a = fabs(v) * pow10d[decimals];
	if (a >= FIXED_LIMIT) {
		/* only absurd magnitudes get here; keep them valid JSON */
		return p + snprintf(p, DOUBLE_MAX, "%.17g", v);
	}
	scaled = (uint64_t)(a + 0.5);
	ip = scaled / pow10u[decimals];
	fp = scaled % pow10u[decimals];
	if (v < 0 && scaled)
		*p++ = '-';
	p = put_u64(p, ip);
	*p++ = '.';
	for (int i = decimals - 1; i >= 0; i--) {
		frac[i] = (char)('0' + fp % 10);
		fp /= 10;
	}
	/* decimals >= 1: at least one fraction digit stays ("1.0") */
	size_t n = (size_t)decimals;

	while (n > 1 && frac[n - 1] == '0')
		n--;
	memcpy(p, frac, n);
	return p + n;
}

/* ------------------------------------------------------ output buffer */

#define WBUF_SIZE 32768

/* Rows are assembled here and reach stdio in WBUF_SIZE blocks. */
struct wbuf {
	FILE *out;
	int err;		/* first write error, -errno */
	size_t len;
	char b[WBUF_SIZE];
};

static void wb_flush(struct wbuf *w)
{
	if (w->len && !w->err &&
	    fwrite_unlocked(w->b, 1, w->len, w->out) != w->len)
		w->err = errno ? -errno : -EIO;
	w->len = 0;
}

/* Space for n more bytes (n <= WBUF_SIZE); returns where to write. */
static char *wb_room(struct wbuf *w, size_t n)
{
	if (w->len + n > WBUF_SIZE)
		wb_flush(w);
	return w->b + w->len;
}

static void wb_commit(struct wbuf *w, const char *end)
{
	w->len = (size_t)(end - w->b);
}

static void wb_put(struct wbuf *w, const char *s, size_t n)
{
	if (n > WBUF_SIZE / 2) {
		wb_flush(w);
		if (!w->err && fwrite_unlocked(s, 1, n, w->out) != n)
			w->err = errno ? -errno : -EIO;
		return;
	}
	memcpy(wb_room(w, n), s, n);
	w->len += n;
}

static void wb_puts(struct wbuf *w, const char *s)
{
	wb_put(w, s, strlen(s));
}

static void wb_char(struct wbuf *w, char c)
{
	*wb_room(w, 1) = c;
	w->len++;
}

static void wb_u64(struct wbuf *w, uint64_t v)
{
	wb_commit(w, put_u64(wb_room(w, 20), v));
}

static inline __attribute__((always_inline))
void wb_double(struct wbuf *w, double v, int decimals)
{
	wb_commit(w, put_double(wb_room(w, DOUBLE_MAX), v, decimals));
}

static void wb_spaces(struct wbuf *w, size_t n)
{
	static const char sp[] = "                                ";

	while (n) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;

		wb_put(w, sp, k);
		n -= k;
	}
}

/* ------------------------------------------------------ string escaping */

static void wb_json_string(struct wbuf *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;

	wb_char(w, '"');
	while (*s) {
		const unsigned char *run = s;

		/* copy plain ASCII in one go */
		while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
			s++;
		if (s > run)
			wb_put(w, (const char *)run, (size_t)(s - run));
		if (!*s)
			break;

		unsigned char c = *s;
		char *p = wb_room(w, 6);

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
			s++;
		} else if (c < 0x20) {
			*p++ = '\\';
			switch (c) {
			case '\b': *p++ = 'b'; break;
			case '\f': *p++ = 'f'; break;
			case '\n': *p++ = 'n'; break;
			case '\r': *p++ = 'r'; break;
			case '\t': *p++ = 't'; break;
			default:
				memcpy(p, "u00", 3);
				p += 3;
				*p++ = hex[c >> 4];
				*p++ = hex[c & 15];
			}
			s++;
		} else {
			/* JSON text must be UTF-8: bytes that are not become U+FFFD */
			uint32_t cp;
			size_t n = utf8_decode(s, 4, &cp);

			if (n) {
				memcpy(p, s, n);
				p += n;
				s += n;
			} else {
				memcpy(p, "\\ufffd", 6);
				p += 6;
				s++;
			}
		}
		wb_commit(w, p);
	}
	wb_char(w, '"');
}

static void wb_csv_field(struct wbuf *w, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		wb_puts(w, s);
		return;
	}
	/* RFC 4180: enclose in quotes, double the quotes inside */
	wb_char(w, '"');
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		wb_put(w, s, (size_t)(q - s) + 1);
		wb_char(w, '"');
	}
	wb_puts(w, s);
	wb_char(w, '"');
}

static int wb_finish(struct wbuf *w)
{
	wb_flush(w);
	if (!w->err && fflush(w->out))
		w->err = errno ? -errno : -EIO;
	return w->err;
}

int format_json_string(FILE *out, const char *s)
{
	struct wbuf w = { .out = out };

	wb_json_string(&w, s);
	wb_flush(&w);
	return w.err;
}

int format_csv_field(FILE *out, const char *s)
{
	struct wbuf w = { .out = out };

	wb_csv_field(&w, s);
	wb_flush(&w);
	return w.err;
}

/* ------------------------------------------------------ flow fields */

double flow_age(const struct flow *f, double now)
{
	uint64_t start = f->start_ns ? f->start_ns : f->first_seen_ns;
	double age;

	if (!start || !isfinite(now))
		return 0;
	/* split to keep nanoseconds: a double holds ~16 digits */
	age = (now - (double)(start / 1000000000ull)) -
	      (double)(start % 1000000000ull) / 1e9;
	return age > 0 ? age : 0;
}

static uint8_t icmp_type(const struct flow_key *k)
{
	return ((const uint8_t *)&k->dport)[0];
}

static uint8_t icmp_code(const struct flow_key *k)
{
	return ((const uint8_t *)&k->dport)[1];
}

/*
 * The four addresses of a flow as text. Without NAT the reply tuple is the
 * original one mirrored, so its strings are copied rather than formatted
 * again (inet_ntop of IPv6 is the costliest step of a row).
 */
struct flow_addrs {
	const char *src, *dst, *rsrc, *rdst;	/* NULL: unknown family */
	char b[4][INET6_ADDRSTRLEN];
};

static void flow_addrs(const struct flow *f, struct flow_addrs *a)
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

/* ------------------------------------------------------ JSON */

/* Decimals: microseconds for times, milliseconds for ages and rates. */
#define DEC_TIME 6
#define DEC_RATE 3

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

/*
 * Where the totals begin: "start" (the flow's start: the kernel's
 * counters, or a flow the backend saw from its first packet), else the
 * UNIX time the backend began counting (since), null if unknown.
 */
static void counted_from(struct wbuf *w, const struct flow *f, double since,
			 bool json)
{
	if (f->whole_life)
		wb_puts(w, json ? "\"start\"" : "start");
	else if (since > 0)
		wb_double(w, since, DEC_TIME);
	else if (json)
		wb_puts(w, "null");
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

static const char *acct_name(enum acct_kind kind)
{
	const char *s = acct_kind_name(kind);

	return s ? s : "unknown";
}

/* rows to print: sel's, or all of them */
static size_t sel_n(const struct snapshot *snap, const struct format_sel *sel)
{
	return sel ? sel->n : snap->n;
}

static const struct flow *sel_flow(const struct snapshot *snap,
				   const struct format_sel *sel, size_t i,
				   struct flow *buf)
{
	return snapshot_flow(snap, sel ? sel->rows[i] : i, buf);
}

static void format_json(struct wbuf *w, const struct snapshot *snap,
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

/* ------------------------------------------------------ CSV */

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

static void format_csv(struct wbuf *w, const struct snapshot *snap, bool first,
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

/* ------------------------------------------------------ text */

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

enum text_col {
	COL_PROTO, COL_STATE, COL_SRC, COL_DST, COL_AGE,
	COL_OPKTS, COL_OBYTES, COL_RPKTS, COL_RBYTES, COL_ORATE, COL_RRATE,
	COL_PLAIN,	/* columns of a table without enrichment */
	COL_PROCESS = COL_PLAIN, COL_SERVICE, COL_DSTHOST, COL_DSTGEO,
	COL_COUNT,
};

static const char *const col_head[COL_COUNT] = {
	"PROTO", "STATE", "SOURCE", "DESTINATION", "AGE",
	"ORIG PKTS", "ORIG BYTES", "REPLY PKTS", "REPLY BYTES",
	"ORIG PPS/BPS", "REPLY PPS/BPS",
	"PROCESS", "SERVICE", "DST HOST", "DST GEO",
};

/* left-aligned text columns; the numbers are right-aligned */
static bool col_left(int c)
{
	return c <= COL_DST || c >= COL_PLAIN;
}

/* the longest cell: a host name (the longest address cell is "[" v6 "]:" port) */
#define CELL_MAX 256

struct text_row {
	char cell[COL_COUNT][CELL_MAX];
	size_t len[COL_COUNT];
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

static size_t put_rate_pair(char *cell, float pkts, float bytes)
{
	char *p = units_put(cell, pkts, false);

	*p++ = '/';
	return (size_t)(units_put(p, bytes, false) - cell);
}

static size_t put_str(char *cell, const char *s)
{
	size_t n = strnlen(s, CELL_MAX - 1);

	if (!n) {
		cell[0] = '-';
		return 1;
	}
	memcpy(cell, s, n);
	return n;
}

/* "comm[pid]", the dport service, the destination name and "CC City AS123" */
static void text_enrich(struct text_row *row, const struct flow *f,
			struct enrich *enrich)
{
	const struct geo_info *g;
	struct flow_info fi;
	char geo[CELL_MAX];
	int n = 0;

	enrich_flow(enrich, f, &fi);
	if (fi.proc.pid > 0) {
		snprintf(geo, sizeof(geo), "%s[%d]", fi.proc.comm, (int)fi.proc.pid);
		row->len[COL_PROCESS] = put_str(row->cell[COL_PROCESS], geo);
	} else {
		row->len[COL_PROCESS] = put_str(row->cell[COL_PROCESS], "");
	}
	row->len[COL_SERVICE] = put_str(row->cell[COL_SERVICE], fi.dst.service);
	row->len[COL_DSTHOST] = put_str(row->cell[COL_DSTHOST], fi.dst.host);
	g = &fi.dst.geo;
	geo[0] = '\0';
	if (g->country_code[0])
		n += snprintf(geo + n, sizeof(geo) - (size_t)n, "%s", g->country_code);
	if (g->city[0] && n < (int)sizeof(geo))
		n += snprintf(geo + n, sizeof(geo) - (size_t)n, "%s%s", n ? " " : "", g->city);
	if (g->asn && n < (int)sizeof(geo))
		snprintf(geo + n, sizeof(geo) - (size_t)n, "%sAS%u", n ? " " : "", g->asn);
	row->len[COL_DSTGEO] = put_str(row->cell[COL_DSTGEO], geo);
}

static void text_row(struct text_row *row, const struct flow *f, double now,
		     struct enrich *enrich)
{
	const struct flow_key *k = &f->key;
	char abuf[INET6_ADDRSTRLEN];
	unsigned int nat;
	const char *s;
	char *p;

	s = proto_name(k->proto, row->cell[COL_PROTO], CELL_MAX);
	if (s != row->cell[COL_PROTO])
		strcpy(row->cell[COL_PROTO], s);
	row->len[COL_PROTO] = strlen(row->cell[COL_PROTO]);

	s = flow_state_name(k->proto, f->state);
	strcpy(row->cell[COL_STATE], s ? s : "-");
	row->len[COL_STATE] = strlen(row->cell[COL_STATE]);

	s = format_addr(k->family, k->src, abuf, sizeof(abuf));
	row->len[COL_SRC] = put_endpoint(row->cell[COL_SRC], k->family, s, k, true);
	s = format_addr(k->family, k->dst, abuf, sizeof(abuf));
	row->len[COL_DST] = put_endpoint(row->cell[COL_DST], k->family, s, k, false);
	/* NAT'd flows: where the flow really came from and went to (ASCII,
	 * so that the table lines up by bytes on any terminal) */
	nat = flow_nat(f);
	if (nat & FLOW_NAT_SRC)
		row->len[COL_SRC] = put_nat(row->cell[COL_SRC], row->len[COL_SRC],
					    " via ", f, FLOW_NAT_SRC);
	if (nat & FLOW_NAT_DST)
		row->len[COL_DST] = put_nat(row->cell[COL_DST], row->len[COL_DST],
					    " -> ", f, FLOW_NAT_DST);

	p = put_age(row->cell[COL_AGE], flow_age(f, now));
	row->len[COL_AGE] = (size_t)(p - row->cell[COL_AGE]);

	static const struct { int col, dir; bool bytes; } ctr[] = {
		{ COL_OPKTS, FLOW_DIR_ORIG, false },
		{ COL_OBYTES, FLOW_DIR_ORIG, true },
		{ COL_RPKTS, FLOW_DIR_REPLY, false },
		{ COL_RBYTES, FLOW_DIR_REPLY, true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ctr); i++) {
		uint64_t v = ctr[i].bytes ? f->total.bytes[ctr[i].dir] :
					    f->total.packets[ctr[i].dir];

		p = put_u64(row->cell[ctr[i].col], v);
		row->len[ctr[i].col] = (size_t)(p - row->cell[ctr[i].col]);
	}
	row->len[COL_ORATE] = put_rate_pair(row->cell[COL_ORATE],
					    f->pkt_rate[FLOW_DIR_ORIG],
					    f->byte_rate[FLOW_DIR_ORIG]);
	row->len[COL_RRATE] = put_rate_pair(row->cell[COL_RRATE],
					    f->pkt_rate[FLOW_DIR_REPLY],
					    f->byte_rate[FLOW_DIR_REPLY]);
	if (enrich)
		text_enrich(row, f, enrich);
}

static void text_line(struct wbuf *w, const char *const cell[],
		      const size_t len[], const size_t width[], int ncols)
{
	for (int c = 0; c < ncols; c++) {
		size_t pad = text_pad(width[c], len[c]);

		if (c)
			wb_put(w, "  ", 2);
		if (!col_left(c))
			wb_spaces(w, pad);
		wb_put(w, cell[c], len[c]);
		/* no trailing blanks after the last column */
		if (col_left(c) && c != ncols - 1)
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

static void format_text(struct wbuf *w, const struct snapshot *snap, bool first,
			struct enrich *enrich, const struct format_sel *sel)
{
	int ncols = enrich ? COL_COUNT : COL_PLAIN;
	size_t width[COL_COUNT], hlen[COL_COUNT];
	struct text_row row;
	const char *cell[COL_COUNT];
	struct flow buf;

	if (!first)
		wb_char(w, '\n');
	text_summary(w, snap, sel);

	for (int c = 0; c < COL_COUNT; c++)
		width[c] = hlen[c] = strlen(col_head[c]);
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
	text_line(w, col_head, hlen, width, ncols);
	for (int c = 0; c < COL_COUNT; c++)
		cell[c] = row.cell[c];
	for (size_t i = 0; i < sel_n(snap, sel); i++) {
		text_row(&row, sel_flow(snap, sel, i, &buf), snap->meta.time,
			 enrich);
		text_line(w, cell, row.len, width, ncols);
	}
}

/* ------------------------------------------------------ entry point */

int format_snapshot(FILE *out, const struct snapshot *snap,
		    enum output_format fmt, bool first, struct enrich *enrich)
{
	return format_snapshot_sel(out, snap, fmt, first, enrich, NULL);
}

int format_snapshot_sel(FILE *out, const struct snapshot *snap,
			enum output_format fmt, bool first,
			struct enrich *enrich, const struct format_sel *sel)
{
	struct wbuf w;
	int err;

	if (!out || !snap || (snap->n && !snap->flows && !snap->rows))
		return -EINVAL;
	if (sel && ((sel->n && !sel->rows) || sel->n > snap->n))
		return -EINVAL;
	if (fmt != OUTPUT_TEXT && fmt != OUTPUT_JSON && fmt != OUTPUT_CSV)
		return -EINVAL;

	w.out = out;
	w.err = 0;
	w.len = 0;
	flockfile(out);
	switch (fmt) {
	case OUTPUT_JSON:
		format_json(&w, snap, enrich, sel);
		break;
	case OUTPUT_CSV:
		format_csv(&w, snap, first, enrich, sel);
		break;
	case OUTPUT_TEXT:
		format_text(&w, snap, first, enrich, sel);
		break;
	}
	err = wb_finish(&w);
	funlockfile(out);
	return err;
}
