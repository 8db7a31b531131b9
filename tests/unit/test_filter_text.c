// SPDX-License-Identifier: GPL-2.0
/* The quick text search of filter expressions (bare words). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "filter_text.h"
#include "names.h"

/* 192.0.2.1:40000 -> dst:dport over proto, SNAT'd to 198.51.100.1 */
static struct flow mk(uint8_t proto, uint32_t dst, uint16_t dport)
{
	struct flow f = {
		.key = { .family = AF_INET, .proto = proto,
			 .src = { htonl(0xc0000201) }, .dst = { htonl(dst) },
			 .sport = htons(40000), .dport = htons(dport) },
		.reply = { .family = AF_INET, .proto = proto,
			   .src = { htonl(dst) }, .dst = { htonl(0xc6336401) },
			   .sport = htons(dport), .dport = htons(40000) },
		.state = FLOW_STATE_NONE,
	};

	return f;
}

/* whether the quick search for words finds f, without enrichment */
static bool finds(const char *words, const struct flow *f)
{
	struct text_filter tf;

	text_filter_parse(&tf, words);
	return text_filter_match(&tf, f, NULL);
}

static void test_text_filter(void **state)
{
	struct flow f = mk(IPPROTO_TCP, 0xcb007101, 443);
	struct flow_info info;
	struct text_filter tf;

	(void)state;
	memset(&info, 0, sizeof(info));
	text_filter_parse(&tf, "");
	assert_int_equal(tf.nwords, 0);
	assert_true(text_filter_match(&tf, &f, NULL));

	assert_true(finds("203.0.113", &f));
	assert_true(finds("198.51.100.1", &f));	/* the NAT address (reply) */
	assert_true(finds("443", &f));
	assert_false(finds("44", &f));		/* ports match whole */
	assert_true(finds("TCP", &f));
	assert_false(finds("example", &f));

	strcpy(info.dst.host, "www.Example.org");
	strcpy(info.dst.service, "https");
	strcpy(info.dst.geo.country_code, "DE");
	strcpy(info.dst.geo.country, "Germany");
	strcpy(info.proc.comm, "firefox");
	info.proc.pid = 4242;
	text_filter_parse(&tf, "  EXAMPLE   https ");
	assert_int_equal(tf.nwords, 2);
	assert_string_equal(tf.word[0], "example");
	assert_true(text_filter_match(&tf, &f, &info));
	text_filter_parse(&tf, "example ssh");	/* all words must match */
	assert_false(text_filter_match(&tf, &f, &info));
	text_filter_parse(&tf, "germ");
	assert_true(text_filter_match(&tf, &f, &info));
	text_filter_parse(&tf, "fire 4242");
	assert_true(text_filter_match(&tf, &f, &info));
	text_filter_parse(&tf, "de");
	assert_true(text_filter_match(&tf, &f, &info));
}

/*
 * Words of digits and dots are tried on IPv4 addresses without writing
 * them out: the answer must be what a substring search in the written
 * addresses gives, for every alignment of the word on the dots.
 */
static bool ref_has(uint32_t a, const char *w)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
		 (a >> 8) & 255, a & 255);
	return strstr(buf, w) != NULL;
}

static void test_text_filter_v4_words(void **state)
{
	static const char *const fixed[] = {
		".", "..", "...", "....", "1.", ".1", "1..2", "0.0", "00", "256",
		"1234", "1.2.3.4.5", "255.255.255.255", "0.0.0.0", "10.", ".0.",
		"5.1", "25", "2.0", "3.7", "113.7", "203.0.113.7", "03.0", "0.11",
	};
	uint32_t addrs[] = { 0xcb007107, 0xcb00714f, 0x00000000, 0xffffffff,
			     0x0a000001, 0xc0000201, 0x01020304, 0x19191919 };
	struct text_filter tf;
	unsigned int seed = 7;

	(void)state;
	for (size_t ai = 0; ai < 2000; ai++) {
		/* the fixed addresses, then random ones */
		uint32_t dst = ai < sizeof(addrs) / sizeof(addrs[0]) ?
			       addrs[ai] : (uint32_t)rand_r(&seed) * 2654435761u;
		struct flow f = mk(IPPROTO_UDP, dst, 65535);
		char w[20], buf[16];

		f.key.sport = htons(65535);
		f.reply = f.key;	/* no NAT: only the two addresses */
		f.reply.src[0] = f.key.dst[0];
		f.reply.dst[0] = f.key.src[0];
		f.reply.sport = f.key.dport;
		f.reply.dport = f.key.sport;
		for (size_t wi = 0; wi < sizeof(fixed) / sizeof(fixed[0]) + 20; wi++) {
			if (wi < sizeof(fixed) / sizeof(fixed[0])) {
				snprintf(w, sizeof(w), "%s", fixed[wi]);
			} else {
				/* a piece of this address's text, or random */
				size_t len, at;

				snprintf(buf, sizeof(buf), "%u.%u.%u.%u", dst >> 24,
					 (dst >> 16) & 255, (dst >> 8) & 255, dst & 255);
				len = 1 + (size_t)rand_r(&seed) % strlen(buf);
				at = (size_t)rand_r(&seed) % (strlen(buf) - len + 1);
				snprintf(w, sizeof(w), "%.*s", (int)len, buf + at);
				if (wi % 3 == 0)
					w[rand_r(&seed) % len] = "0123456789."[rand_r(&seed) % 11];
			}
			if (!strcmp(w, "65535"))
				continue;	/* the ports' number */
			text_filter_parse(&tf, w);
			assert_int_equal(text_filter_match(&tf, &f, NULL),
					 ref_has(dst, w) || ref_has(0xc0000201, w));
		}
	}
	/* NAT'd: the translated address is tried too */
	{
		struct flow f = mk(IPPROTO_TCP, 0xc6336401, 8022);

		assert_true(finds("198.51.100.1", &f));
		assert_true(finds("51.100.1", &f));
		assert_false(finds("51.100.2", &f));
	}
}

/*
 * The written-out search, as the quick search is specified
 * (filter_text.h), for a flow without enrichment: the word in the
 * protocol's name, in an address of the original tuple or, on a NAT'd
 * side (flow_nat), of the reply's, in an "addr:port" end for words with a
 * colon, or a port equal to it. Reference for the search that does not
 * write addresses out.
 */
static bool ref_match(const struct flow *f, const char *w)
{
	const struct flow_key *k = &f->key, *r = &f->reply;
	unsigned int nat = flow_nat(f);
	char buf[ENDPOINT_STRLEN], num[16];
	const char *pn = proto_name(k->proto, num, sizeof(num));
	char *end;
	unsigned long v;

	if (strstr(pn, w))
		return true;
	if (w[0] >= '0' && w[0] <= '9' && (v = strtoul(w, &end, 10), !*end) &&
	    k->proto != IPPROTO_ICMP && k->proto != IPPROTO_ICMPV6 &&
	    (v == ntohs(k->sport) || v == ntohs(k->dport) ||
	     v == ntohs(r->sport) || v == ntohs(r->dport)))
		return true;
	if ((format_addr(k->family, k->src, buf, sizeof(buf)) && strstr(buf, w)) ||
	    (format_addr(k->family, k->dst, buf, sizeof(buf)) && strstr(buf, w)))
		return true;
	if (((nat & FLOW_NAT_SRC) &&
	     format_addr(r->family, r->dst, buf, sizeof(buf)) && strstr(buf, w)) ||
	    ((nat & FLOW_NAT_DST) &&
	     format_addr(r->family, r->src, buf, sizeof(buf)) && strstr(buf, w)))
		return true;
	if (!strchr(w, ':'))
		return false;
	return (format_endpoint(k, false, buf, sizeof(buf)) && strstr(buf, w)) ||
	       (format_endpoint(k, true, buf, sizeof(buf)) && strstr(buf, w)) ||
	       (flow_nat_endpoint(f, FLOW_NAT_SRC, buf, sizeof(buf)) &&
		strstr(buf, w)) ||
	       (flow_nat_endpoint(f, FLOW_NAT_DST, buf, sizeof(buf)) &&
		strstr(buf, w));
}

/*
 * Random IPv4 flows, NAT'd on either side, one side, or not at all, some
 * without a reply tuple, over several protocols (named, numbered, ICMP
 * without ports): every word (pieces of any of their addresses and ends,
 * protocol names, hex and colon words) matches exactly when the
 * written-out search finds it.
 */
static void test_text_filter_v4_nat_random(void **state)
{
	static const uint8_t protos[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_ICMP,
		IPPROTO_SCTP, IPPROTO_GRE, 200, 7, 17,
	};
	static const char *const fixed[] = {
		"udp", "ud", "p", "lite", "cmp", "i", "200", "20", "0", "7",
		"tcp", "gre", "a", "c0", ":", "1:", ".1:", "::", "0.0.0.0",
		"abc", "x",
	};
	struct text_filter tf;
	unsigned int seed = 12;

	(void)state;
	for (int fi = 0; fi < 3000; fi++) {
		struct flow f;
		uint32_t a[4];
		char w[TEXT_FILTER_WORD_MAX], buf[ENDPOINT_STRLEN];

		memset(&f, 0, sizeof(f));
		for (int i = 0; i < 4; i++) {
			/* few octets, so that words often fit several */
			uint32_t x = (uint32_t)rand_r(&seed);

			a[i] = x % 3 ? (x * 2654435761u) :
			       ((x & 0x3) << 24 | (x >> 4 & 0x3) << 8 | 10u << 16);
		}
		f.key.family = AF_INET;
		f.key.proto = protos[rand_r(&seed) % sizeof(protos)];
		f.key.src[0] = htonl(a[0]);
		f.key.dst[0] = htonl(a[1]);
		f.key.sport = htons((uint16_t)(rand_r(&seed) % 4 ? 40000 : 20));
		f.key.dport = htons((uint16_t)(rand_r(&seed) % 2 ? 53 : 7));
		switch (rand_r(&seed) % 5) {
		case 0:
			break;		/* no reply tuple */
		default:
			f.reply = f.key;
			f.reply.src[0] = rand_r(&seed) % 2 ? htonl(a[2]) : f.key.dst[0];
			f.reply.dst[0] = rand_r(&seed) % 2 ? htonl(a[3]) : f.key.src[0];
			f.reply.sport = rand_r(&seed) % 3 ? f.key.dport : htons(8022);
			f.reply.dport = rand_r(&seed) % 3 ? f.key.sport : htons(1);
			break;
		}
		for (size_t wi = 0; wi < sizeof(fixed) / sizeof(fixed[0]) + 24; wi++) {
			if (wi < sizeof(fixed) / sizeof(fixed[0])) {
				snprintf(w, sizeof(w), "%s", fixed[wi]);
			} else {
				/* a piece of one of the four addresses or ends */
				uint32_t x = a[rand_r(&seed) % 4];
				size_t len, at;

				snprintf(buf, sizeof(buf), "%u.%u.%u.%u%s",
					 x >> 24, (x >> 16) & 255, (x >> 8) & 255,
					 x & 255, wi % 4 ? "" : ":53");
				len = 1 + (size_t)rand_r(&seed) % strlen(buf);
				at = (size_t)rand_r(&seed) % (strlen(buf) - len + 1);
				snprintf(w, sizeof(w), "%.*s", (int)len, buf + at);
				if (wi % 5 == 0)
					w[rand_r(&seed) % len] = "0123456789."[rand_r(&seed) % 11];
			}
			text_filter_parse(&tf, w);
			if (text_filter_match(&tf, &f, NULL) != ref_match(&f, w))
				fail_msg("word '%s', flow %08x -> %08x reply %08x <- %08x "
					 "family %u proto %u", w, a[0], a[1],
					 ntohl(f.reply.src[0]), ntohl(f.reply.dst[0]),
					 f.reply.family, f.key.proto);
		}
	}
}

/*
 * Words that are no IPv4 address's text (hex letters, colons, other
 * letters) still match an IPv6 flow's written addresses.
 */
static void test_text_filter_v6_words(void **state)
{
	static const char *const words[] = {
		"2001", "db8", "DB8:", "2001:db8::", "::2", "b8:2", "abc", "a",
		"c0", "192.0.2", "0.2.1", "::ffff", "ffff:192.0.2.1", "x", "udp",
		"53", "7",
	};
	struct text_filter tf;

	(void)state;
	for (int v = 0; v < 2; v++) {
		struct flow f;

		memset(&f, 0, sizeof(f));
		f.key.family = AF_INET6;
		f.key.proto = IPPROTO_UDP;
		f.key.src[0] = htonl(0x20010db8);
		f.key.src[3] = htonl(2);			/* 2001:db8::2 */
		if (v) {
			f.key.dst[2] = htonl(0xffff);
			f.key.dst[3] = htonl(0xc0000201);	/* ::ffff:192.0.2.1 */
		} else {
			f.key.dst[0] = htonl(0x20010db8);
			f.key.dst[3] = htonl(0xabc);		/* 2001:db8::abc */
		}
		f.key.sport = htons(40000);
		f.key.dport = htons(53);
		f.reply = f.key;
		memcpy(f.reply.src, f.key.dst, sizeof(f.reply.src));
		memcpy(f.reply.dst, f.key.src, sizeof(f.reply.dst));
		f.reply.sport = f.key.dport;
		f.reply.dport = f.key.sport;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			char lw[TEXT_FILTER_WORD_MAX];
			size_t j;

			for (j = 0; words[i][j]; j++)
				lw[j] = (char)tolower((unsigned char)words[i][j]);
			lw[j] = '\0';
			text_filter_parse(&tf, words[i]);
			if (text_filter_match(&tf, &f, NULL) != ref_match(&f, lw))
				fail_msg("word '%s' on the %s flow", words[i],
					 v ? "v4-mapped" : "plain");
		}
	}
}

/* The translated ends of NAT'd flows match, in every form a row shows them. */
static void test_text_filter_nat(void **state)
{
	/* 192.0.2.1:40000 → 198.51.100.1:8022, DNAT'd to 192.0.2.2:22 */
	struct flow f = mk(IPPROTO_TCP, 0xc6336401, 8022);
	struct flow plain = mk(IPPROTO_TCP, 0xc6336401, 8022);

	(void)state;
	f.reply.src[0] = htonl(0xc0000202);	/* 192.0.2.2 */
	f.reply.sport = htons(22);
	f.reply.dst[0] = f.key.src[0];		/* no SNAT */
	plain.reply.dst[0] = plain.key.src[0];	/* no NAT at all */

	assert_true(finds("192.0.2.2", &f));
	assert_false(finds("192.0.2.2", &plain));
	assert_true(finds("22", &f));		/* the translated port */
	assert_false(finds("22", &plain));
	assert_true(finds("8022", &f));
	/* an end as the rows write it */
	assert_true(finds("192.0.2.2:22", &f));
	assert_false(finds("192.0.2.2:22", &plain));
	assert_true(finds("198.51.100.1:8022", &f));
	assert_true(finds("198.51.100.1:8022", &plain));
	assert_true(finds("192.0.2.1:40000", &f));
	assert_false(finds("192.0.2.2:8022", &f));	/* not a real end */

	/* IPv6 masquerade: the translated source, bracketed with its port */
	memset(&f, 0, sizeof(f));
	f.key.family = AF_INET6;
	f.key.proto = IPPROTO_UDP;
	f.key.src[0] = htonl(0x20010db8);
	f.key.src[1] = htonl(0x00010000);
	f.key.src[3] = htonl(2);		/* 2001:db8:1::2 */
	f.key.dst[0] = htonl(0x20010db8);
	f.key.dst[1] = htonl(0x00020000);
	f.key.dst[3] = htonl(2);		/* 2001:db8:2::2 */
	f.key.sport = htons(40004);
	f.key.dport = htons(7001);
	f.reply = f.key;
	memcpy(f.reply.src, f.key.dst, sizeof(f.reply.src));
	memcpy(f.reply.dst, f.key.dst, sizeof(f.reply.dst));
	f.reply.dst[3] = htonl(1);		/* 2001:db8:2::1 */
	f.reply.sport = f.key.dport;
	f.reply.dport = htons(40004);
	assert_true(finds("2001:db8:2::1", &f));
	assert_true(finds("[2001:db8:2::1]:40004", &f));
	assert_false(finds("2001:db8:3", &f));

	/* an unknown reply tuple adds nothing (no 0.0.0.0 ends) */
	memset(&plain.reply, 0, sizeof(plain.reply));
	assert_false(finds("0.0.0.0", &plain));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_filter),
		cmocka_unit_test(test_text_filter_nat),
		cmocka_unit_test(test_text_filter_v4_words),
		cmocka_unit_test(test_text_filter_v4_nat_random),
		cmocka_unit_test(test_text_filter_v6_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
