// SPDX-License-Identifier: GPL-2.0
/* Filter expressions: grammar, matching, errors, hostile input. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "filter_expr.h"
#include "services.h"

#define NOW 1700000000.0

static uint32_t v4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/*
 * 192.0.2.10:40000 -> 203.0.113.5:443 TCP ESTABLISHED, SNAT to
 * 198.51.100.1:61000; 3000 bytes out, 1 MB back; 10 s old.
 */
static struct flow mk_tcp(void)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.ct_id = 77;
	f.key.family = AF_INET;
	f.key.proto = IPPROTO_TCP;
	f.key.src[0] = v4("192.0.2.10");
	f.key.dst[0] = v4("203.0.113.5");
	f.key.sport = htons(40000);
	f.key.dport = htons(443);
	f.key.zone = 3;
	f.reply = f.key;
	f.reply.src[0] = f.key.dst[0];
	f.reply.dst[0] = v4("198.51.100.1");
	f.reply.sport = htons(443);
	f.reply.dport = htons(61000);
	f.mark = 0x10;
	f.state = 3;	/* ESTABLISHED */
	f.total.bytes[0] = 3000;
	f.total.bytes[1] = 1000000;
	f.total.packets[0] = 30;
	f.total.packets[1] = 700;
	f.byte_rate[0] = 1500;
	f.byte_rate[1] = 150000;
	f.pkt_rate[0] = 5;
	f.pkt_rate[1] = 8;
	f.start_ns = (uint64_t)(NOW - 10) * 1000000000ull;
	return f;
}

static struct flow mk_v6_udp(void)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.key.family = AF_INET6;
	f.key.proto = IPPROTO_UDP;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", f.key.src), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::53", f.key.dst), 1);
	f.key.sport = htons(5353);
	f.key.dport = htons(53);
	f.reply = f.key;
	memcpy(f.reply.src, f.key.dst, 16);
	memcpy(f.reply.dst, f.key.src, 16);
	f.reply.sport = f.key.dport;
	f.reply.dport = f.key.sport;
	f.state = FLOW_STATE_NONE;
	f.total.bytes[0] = 100;
	f.start_ns = (uint64_t)(NOW - 1) * 1000000000ull;
	return f;
}

static struct flow_info mk_info(void)
{
	struct flow_info fi;

	memset(&fi, 0, sizeof(fi));
	fi.proc.pid = 4242;
	snprintf(fi.proc.comm, sizeof(fi.proc.comm), "curl");
	snprintf(fi.proc.user, sizeof(fi.proc.user), "alice");
	snprintf(fi.dst.host, sizeof(fi.dst.host), "www.example.com");
	snprintf(fi.dst.geo.country_code, sizeof(fi.dst.geo.country_code), "DE");
	snprintf(fi.dst.geo.country, sizeof(fi.dst.geo.country), "Germany");
	fi.dst.geo.asn = 64496;
	snprintf(fi.dst.service, sizeof(fi.dst.service), "https");
	return fi;
}

/* compiles s (must succeed) and matches f, info */
static bool m(const char *s, const struct flow *f, const struct flow_info *fi)
{
	struct filter_expr *e = NULL;
	struct filter_error err;
	bool r;
	int ret = filter_expr_compile(s, NULL, &e, &err);

	if (ret) {
		char msg[256];

		filter_error_format(&err, msg, sizeof(msg));
		print_error("'%s' did not compile: %s\n", s, msg);
		fail();
	}
	r = filter_expr_match(e, f, fi, NOW);
	filter_expr_free(e);
	return r;
}

/* compiling s fails at pos naming word */
static void bad(const char *s, size_t pos, const char *word)
{
	struct filter_expr *e = (struct filter_expr *)1;
	struct filter_error err;
	char msg[256];

	assert_int_equal(filter_expr_compile(s, NULL, &e, &err), -EINVAL);
	assert_null(e);
	filter_error_format(&err, msg, sizeof(msg));
	if (err.pos != pos || strcmp(err.word, word)) {
		print_error("'%s': got pos %zu word '%s' (%s), want %zu '%s'\n",
			    s, err.pos, err.word, msg, pos, word);
		fail();
	}
	assert_true(err.msg[0] != '\0');
}

static void test_addresses(void **state)
{
	struct flow f = mk_tcp(), g = mk_v6_udp();

	(void)state;
	assert_true(m("src 192.0.2.10", &f, NULL));
	assert_false(m("dst 192.0.2.10", &f, NULL));
	assert_true(m("dst 203.0.113.0/24", &f, NULL));
	assert_true(m("net 192.0.2.0/24", &f, NULL));
	assert_true(m("host 203.0.113.5", &f, NULL));
	assert_true(m("src net 192.0.0.0/16", &f, NULL));
	assert_false(m("src 192.0.3.0/24", &f, NULL));
	/* the translated source (SNAT) matches as a source too */
	assert_true(m("src 198.51.100.1", &f, NULL));
	assert_false(m("dst 198.51.100.1", &f, NULL));
	assert_true(m("host 198.51.100.0/24", &f, NULL));
	/* host bits beyond the prefix are ignored; /0 is everything */
	assert_true(m("src 192.0.2.99/24", &f, NULL));
	assert_true(m("net 0.0.0.0/0", &f, NULL));
	/* families do not mix */
	assert_false(m("net ::/0", &f, NULL));
	assert_true(m("src 2001:db8::/32", &g, NULL));
	assert_true(m("dst 2001:db8:1::/48", &g, NULL));
	assert_false(m("dst 2001:db8:2::/48", &g, NULL));
	assert_true(m("src 2001:db8::1", &g, NULL));
	assert_false(m("src 2001:db8::1/128 and dst 2001:db8::1", &g, NULL));
	assert_false(m("net 0.0.0.0/0", &g, NULL));
	assert_true(m("family 6", &g, NULL));
	assert_true(m("family ipv4", &f, NULL));
}

static void test_ports_proto_state(void **state)
{
	struct flow f = mk_tcp(), g = mk_v6_udp(), icmp = mk_tcp();
	struct services *svc;
	struct filter_expr *e;
	struct filter_error err;

	(void)state;
	assert_true(m("dport 443", &f, NULL));
	assert_false(m("sport 443", &f, NULL));
	assert_true(m("port 443", &f, NULL));
	assert_true(m("sport 1024-65535", &f, NULL));
	assert_false(m("dport 1024-65535", &f, NULL));
	/* the translated source port (reply's destination) */
	assert_true(m("sport 61000", &f, NULL));
	assert_true(m("src port 40000", &f, NULL));
	assert_true(m("dst port 443", &f, NULL));
	assert_true(m("dport < 1024", &f, NULL));
	assert_true(m("dport >= 443 and dport <= 443", &f, NULL));
	assert_false(m("dport > 443", &f, NULL));
	assert_true(m("dport != 80", &f, NULL));
	assert_false(m("port != 443", &f, NULL));
	assert_true(m("proto tcp", &f, NULL));
	assert_true(m("proto 6", &f, NULL));
	assert_false(m("proto udp", &f, NULL));
	assert_true(m("proto udp", &g, NULL));
	assert_true(m("state established", &f, NULL));
	assert_true(m("state ESTABLISHED", &f, NULL));
	assert_false(m("state time_wait", &f, NULL));
	assert_false(m("state established", &g, NULL));
	assert_true(m("zone 3 and mark 0x10 and id 77", &f, NULL));
	assert_false(m("mark 16 and zone 0", &f, NULL));
	/* ICMP has no ports: its id and type/code are not ports */
	icmp.key.proto = IPPROTO_ICMP;
	icmp.reply.proto = IPPROTO_ICMP;
	assert_false(m("port 443", &icmp, NULL));
	assert_true(m("proto icmp", &icmp, NULL));

	/* service names come from the services table */
	svc = services_new();
	assert_non_null(svc);
	assert_int_equal(filter_expr_compile("dport https", svc, &e, &err), -EINVAL);
	assert_string_equal(err.word, "https");
	services_free(svc);
	svc = services_load(NULL, NULL);
	assert_non_null(svc);
	if (services_name(svc, IPPROTO_TCP, 443)) {
		char expr[64];

		snprintf(expr, sizeof(expr), "dport %s",
			 services_name(svc, IPPROTO_TCP, 443));
		assert_int_equal(filter_expr_compile(expr, svc, &e, &err), 0);
		assert_true(filter_expr_match(e, &f, NULL, NOW));
		assert_false(filter_expr_match(e, &g, NULL, NOW));
		filter_expr_free(e);
	}
	services_free(svc);
}

static void test_numbers(void **state)
{
	struct flow f = mk_tcp(), g = mk_v6_udp();

	(void)state;
	/* bytes: both directions, 1,003,000 */
	assert_true(m("bytes > 1M", &f, NULL));
	assert_false(m("bytes > 1.1M", &f, NULL));
	assert_true(m("bytes = 1003000", &f, NULL));
	assert_true(m("bytes 1003000", &f, NULL));
	assert_true(m("bytes 1M-2M", &f, NULL));
	assert_true(m("bytes < 1Mi", &f, NULL));	/* 1,048,576 */
	assert_true(m("bytes > 979KiB", &f, NULL));
	assert_true(m("orig_bytes == 3k and reply_bytes >= 1MB", &f, NULL));
	assert_true(m("packets 730 and orig_packets 30 and pkts < 1k", &f, NULL));
	/* rates per second, both directions summed */
	assert_true(m("rate > 100k", &f, NULL));
	assert_true(m("rate >= 151.5k/s and rate <= 151.5kB/s", &f, NULL));
	assert_true(m("orig_rate < 2k and reply_rate > 100k", &f, NULL));
	assert_true(m("pps >= 13 and pps < 14 and orig_pps 5", &f, NULL));
	/* age: 10 s */
	assert_true(m("age > 5s", &f, NULL));
	assert_true(m("age < 1m and age > 9500ms", &f, NULL));
	assert_false(m("age < 5", &f, NULL));
	assert_true(m("age < 5s", &g, NULL));
	assert_true(m("age 5s-11s", &f, NULL));
	assert_false(m("bytes > 18446744073709551615", &f, NULL));
}

static void test_logic(void **state)
{
	struct flow f = mk_tcp(), g = mk_v6_udp();

	(void)state;
	assert_true(m("dport 443 and proto tcp", &f, NULL));
	assert_true(m("dport 443 proto tcp", &f, NULL));	/* side by side: and */
	assert_true(m("dport 443 && !proto udp", &f, NULL));
	assert_true(m("dport 80 or dport 443", &f, NULL));
	assert_true(m("dport 80 || dport 443", &f, NULL));
	assert_false(m("not dport 443", &f, NULL));
	assert_true(m("not not dport 443", &f, NULL));
	/* and binds tighter than or */
	assert_true(m("dport 80 and proto udp or proto tcp", &f, NULL));
	assert_false(m("dport 80 and (proto udp or proto tcp)", &f, NULL));
	assert_true(m("(dport 80 or dport 443) and (src 192.0.2.0/24)", &f, NULL));
	assert_true(m("((((proto tcp))))", &f, NULL));
	assert_false(m("((((proto tcp)))) and family 6", &f, NULL));
	assert_true(m("NOT proto udp AND Dport 443", &f, NULL));
	assert_false(m("proto tcp or dport 53", &(struct flow){ 0 }, NULL));
	assert_true(m("proto udp and dport 53", &g, NULL));
	/* blank: everything */
	assert_true(m("", &f, NULL));
	assert_true(m("   \t ", &f, NULL));
}

/* whether s compiles to an expression whose answer a flow keeps */
static bool fixed(const char *s)
{
	struct filter_expr *e = NULL;
	struct filter_error err;
	bool r;

	assert_int_equal(filter_expr_compile(s, NULL, &e, &err), 0);
	r = filter_expr_fixed(e);
	filter_expr_free(e);
	return r;
}

static void test_fixed(void **state)
{
	(void)state;
	assert_true(filter_expr_fixed(NULL));
	assert_true(fixed(""));
	assert_true(fixed("dport 443 or (src 192.0.2.0/24 and not proto udp)"));
	assert_true(fixed("port 1024-65535 and sport 53 and zone 3"));
	assert_true(fixed("family 6 or net 2001:db8::/32"));
	/* what moves in a flow's life, or comes later */
	assert_false(fixed("dport 443 and state established"));
	assert_false(fixed("dport 443 and bytes > 1M"));
	assert_false(fixed("rate > 100k or dport 53"));
	assert_false(fixed("not age < 5s"));
	assert_false(fixed("mark 7"));
	assert_false(fixed("id 1234"));
	assert_false(fixed("dport 443 and country DE"));
	assert_false(fixed("process unbound"));
	assert_false(fixed("192.0.2"));
}

static void test_enrichment_terms(void **state)
{
	struct flow f = mk_tcp();
	struct flow_info fi = mk_info();
	struct filter_expr *e;
	struct filter_error err;

	(void)state;
	assert_true(m("process curl", &f, &fi));
	assert_true(m("process CURL", &f, &fi));
	assert_false(m("process cur", &f, &fi));
	assert_true(m("process cu*", &f, &fi));
	assert_true(m("process != wget", &f, &fi));
	assert_true(m("user alice and pid 4242", &f, &fi));
	assert_true(m("pid > 4000", &f, &fi));
	assert_true(m("country de", &f, &fi));
	assert_true(m("country Germany", &f, &fi));
	assert_true(m("dst country DE", &f, &fi));
	assert_false(m("src country DE", &f, &fi));
	assert_true(m("asn 64496", &f, &fi));
	assert_true(m("asn AS64496", &f, &fi));
	assert_true(m("dst asn 64496", &f, &fi));
	assert_false(m("src asn 64496", &f, &fi));
	assert_true(m("name example.com", &f, &fi));
	assert_true(m("name www.example.com", &f, &fi));
	assert_true(m("name .example.com", &f, &fi));
	assert_false(m("name ample.com", &f, &fi));
	assert_true(m("name '*.example.*'", &f, &fi));
	assert_true(m("dst name example.com", &f, &fi));
	/* nothing known: enrichment terms do not match */
	assert_false(m("process curl", &f, NULL));
	assert_true(m("not process curl", &f, NULL));
	assert_false(m("country de", &f, NULL));
	assert_false(m("pid 4242", &f, NULL));

	/* which expressions need what */
	assert_int_equal(filter_expr_compile("bytes > 1 and rate > 2", NULL, &e,
					     &err), 0);
	assert_int_equal(filter_expr_needs(e), 0);
	filter_expr_free(e);
	assert_int_equal(filter_expr_compile("dport 9 or age > 1", NULL, &e,
					     &err), 0);
	assert_int_equal(filter_expr_needs(e), FILTER_NEEDS_FLOW);
	filter_expr_free(e);
	assert_int_equal(filter_expr_compile("dport 9 and process curl", NULL,
					     &e, &err), 0);
	assert_int_equal(filter_expr_needs(e),
			 FILTER_NEEDS_FLOW | FILTER_NEEDS_INFO);
	/* other terms settle it: no lookup needed */
	f.key.dport = htons(10);
	f.reply.sport = htons(10);
	assert_int_equal(filter_expr_prematch(e, &f, NOW), 0);
	f.key.dport = htons(9);
	assert_int_equal(filter_expr_prematch(e, &f, NOW), -1);
	assert_true(filter_expr_match(e, &f, &fi, NOW));
	filter_expr_free(e);
	assert_int_equal(filter_expr_compile("dport 9 or process curl", NULL,
					     &e, &err), 0);
	assert_int_equal(filter_expr_prematch(e, &f, NOW), 1);
	filter_expr_free(e);
	assert_null(NULL);
	assert_int_equal(filter_expr_prematch(NULL, &f, NOW), 1);
	assert_int_equal(filter_expr_needs(NULL), 0);
}

static void test_bare_words(void **state)
{
	struct flow f = mk_tcp();
	struct flow_info fi = mk_info();

	(void)state;
	/* today's quick text search: substrings of addresses, names, ... */
	assert_true(m("203.0.113", &f, NULL));
	assert_true(m("198.51.100", &f, NULL));	/* the NAT address */
	assert_true(m("443", &f, NULL));
	assert_true(m("example", &f, &fi));
	assert_true(m("germany", &f, &fi));
	assert_true(m("curl example", &f, &fi));
	assert_false(m("curl nosuchthing", &f, &fi));
	assert_true(m("curl or nosuchthing", &f, &fi));
	assert_true(m("not nosuchthing", &f, &fi));
	/* quoted: never a keyword */
	assert_false(m("\"src\"", &f, &fi));
	assert_true(m("'www.example' and dport 443", &f, &fi));
	assert_true(m("tcp", &f, NULL));
}

static void test_errors(void **state)
{
	(void)state;
	bad("src", 4, "");
	bad("src foo", 5, "foo");
	bad("dst 192.0.2.0/33", 5, "192.0.2.0/33");
	bad("src 2001:db8::/129", 5, "2001:db8::/129");
	bad("src 192.0.2.0/", 5, "192.0.2.0/");
	bad("src 192.0.2.0/2x", 5, "192.0.2.0/2x");
	bad("src 300.1.2.3", 5, "300.1.2.3");
	bad("dport 9 and", 9, "and");
	bad("dport 70000", 7, "70000");
	bad("dport nosuchservice", 7, "nosuchservice");
	bad("dport 2000-1000", 7, "2000-1000");
	bad("bytes > lots", 9, "lots");
	bad("bytes > 1X", 9, "1X");
	bad("age < 5y", 7, "5y");
	bad("proto foo", 7, "foo");
	bad("state sleepy", 7, "sleepy");
	bad("frobs > 3", 1, "frobs");
	bad("(dport 9", 1, "(");
	bad("dport 9)", 8, ")");
	bad(")", 1, ")");
	bad("dport 9 and or proto tcp", 13, "or");
	bad("and", 1, "and");
	bad("not", 1, "not");
	bad("> 5", 1, ">");
	bad("bytes > 5 > 6", 11, ">");
	bad("process", 8, "");
	bad("process < x", 9, "<");
	bad("mark 0x1ffffffff", 6, "0x1ffffffff");
	bad("zone 65536", 6, "65536");
	bad("dport 9 & proto tcp", 9, "&");
	bad("\"unclosed", 1, "\"unclosed");
	bad("family 5", 8, "5");
	bad("bytes > 99999999999999999999999999999", 9,
	    "99999999999999999999999999999");
	bad("pid 1.5", 5, "1.5");
	bad("asn ASX", 5, "ASX");
	/* typos of keywords are not taken for text to search */
	bad("dport 9 and srcx 127.20.0.0/16", 13, "srcx");
	bad("dprot 9", 1, "dprot");
	bad("bytess > 1M", 1, "bytess");
	bad("proot tcp", 1, "proot");
	bad("stat established", 1, "stat");
}

static void test_hostile(void **state)
{
	struct flow f = mk_tcp();
	struct filter_expr *e;
	struct filter_error err;
	char *s;
	size_t n;

	(void)state;
	/* nesting deeper than allowed: an error, not a stack overflow */
	n = 100000;
	s = malloc(n + 1);
	assert_non_null(s);
	memset(s, '(', n);
	s[n] = '\0';
	assert_int_equal(filter_expr_compile(s, NULL, &e, &err), -EINVAL);
	assert_null(e);
	memset(s, '!', n);
	assert_int_equal(filter_expr_compile(s, NULL, &e, &err), -EINVAL);
	/* longer than FILTER_EXPR_MAX */
	memset(s, 'a', n);
	assert_int_equal(filter_expr_compile(s, NULL, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "longer"));
	free(s);

	/* nesting just within the limit works */
	{
		char buf[FILTER_EXPR_DEPTH * 2 + 16];
		size_t k = 0;

		for (int i = 0; i < FILTER_EXPR_DEPTH; i++)
			buf[k++] = '(';
		memcpy(buf + k, "tcp", 3);
		k += 3;
		for (int i = 0; i < FILTER_EXPR_DEPTH; i++)
			buf[k++] = ')';
		buf[k] = '\0';
		assert_int_equal(filter_expr_compile(buf, NULL, &e, &err), 0);
		assert_true(filter_expr_match(e, &f, NULL, NOW));
		filter_expr_free(e);
		/* one more is too deep */
		memmove(buf + 1, buf, k + 1);
		buf[0] = '(';
		memcpy(buf + k + 1, ")", 2);
		assert_int_equal(filter_expr_compile(buf, NULL, &e, &err), -EINVAL);
	}

	/* very many terms: a few hundred work, more are an error */
	n = FILTER_EXPR_MAX;
	s = malloc(n + 1);
	assert_non_null(s);
	memset(s, ' ', n);
	s[n] = '\0';
	for (size_t i = 0; i < 400; i++)
		memcpy(s + 2 * i, "x ", 2);
	assert_int_equal(filter_expr_compile(s, NULL, &e, &err), 0);
	assert_false(filter_expr_match(e, &f, NULL, NOW));
	filter_expr_free(e);
	for (size_t i = 0; i + 5 <= n; i += 5)
		memcpy(s + i, "x or ", 5);
	assert_int_equal(filter_expr_compile(s, NULL, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "too long"));
	assert_null(e);
	free(s);

	/* control bytes and invalid UTF-8 in the word come back printable */
	assert_int_equal(filter_expr_compile("src \x1b[31m\xff", NULL, &e, &err),
			 -EINVAL);
	for (const char *c = err.word; *c; c++)
		assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
	/* a NULL text is blank */
	assert_int_equal(filter_expr_compile(NULL, NULL, &e, &err), 0);
	assert_null(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ports_proto_state),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_enrichment_terms),
		cmocka_unit_test(test_bare_words),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
