// SPDX-License-Identifier: GPL-2.0
/* Option parsing and the protocol/family selection. */
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "config.h"
#include "filter.h"

/* Parses a NULL-terminated list of arguments; messages are captured. */
static enum config_result parse(struct config *cfg, char *err_buf,
				size_t err_len, ...)
{
	char *argv[32] = { "flowtop" };
	int argc = 1;
	va_list ap;
	FILE *out = fopen("/dev/null", "w");
	FILE *err = fmemopen(err_buf, err_len, "w");
	enum config_result r;

	va_start(ap, err_len);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	memset(err_buf, 0, err_len);
	r = config_parse(cfg, argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void test_defaults(void **state)
{
	struct config cfg;
	char err[4096];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), NULL), CONFIG_RUN);
	assert_int_equal(cfg.sel, SEL_IPV4 | SEL_IPV6 | SEL_TCP);
	assert_float_equal(cfg.interval_s, 1.0, 1e-9);
	assert_false(cfg.batch);
	assert_int_equal(cfg.count, 1);
	assert_int_equal(cfg.output, OUTPUT_TEXT);
	assert_int_equal(cfg.acct, ACCT_AUTO);
	assert_int_equal(cfg.max_flows, 0);
	assert_int_equal(cfg.counter_map, ACCT_LAYOUT_SLOTS);
}

static void test_selection_flags(void **state)
{
	struct config cfg;
	char err[4096];

	(void)state;
	/* any flag replaces the default set */
	assert_int_equal(parse(&cfg, err, sizeof(err), "-U", NULL), CONFIG_RUN);
	assert_int_equal(cfg.sel, SEL_IPV4 | SEL_IPV6 | SEL_UDP);
	assert_int_equal(parse(&cfg, err, sizeof(err), "-4", NULL), CONFIG_RUN);
	assert_int_equal(cfg.sel, SEL_IPV4 | SEL_TCP);
	assert_int_equal(parse(&cfg, err, sizeof(err), "-6", "-I", NULL),
			 CONFIG_RUN);
	assert_int_equal(cfg.sel, SEL_IPV6 | SEL_ICMP);
	assert_int_equal(parse(&cfg, err, sizeof(err), "-46UTDISs", NULL),
			 CONFIG_RUN);
	assert_int_equal(cfg.sel, SEL_FAMILIES | SEL_PROTOS);
	assert_true(cfg.show_src);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--udp", "--sctp",
			       "--ipv4", NULL), CONFIG_RUN);
	assert_int_equal(cfg.sel, SEL_IPV4 | SEL_UDP | SEL_SCTP);
}

static void test_sel_match(void **state)
{
	unsigned int sel = sel_complete(SEL_UDP | SEL_ICMP | SEL_IPV6);

	(void)state;
	assert_true(sel_match(sel, AF_INET6, IPPROTO_UDP));
	assert_true(sel_match(sel, AF_INET6, IPPROTO_UDPLITE));
	assert_true(sel_match(sel, AF_INET6, IPPROTO_ICMPV6));
	assert_false(sel_match(sel, AF_INET6, IPPROTO_ICMP));
	assert_false(sel_match(sel, AF_INET, IPPROTO_UDP));
	assert_false(sel_match(sel, AF_INET6, IPPROTO_TCP));
	assert_false(sel_match(sel, 99, IPPROTO_UDP));
	sel = sel_complete(SEL_ICMP);
	assert_true(sel_match(sel, AF_INET, IPPROTO_ICMP));
	assert_false(sel_match(sel, AF_INET, IPPROTO_ICMPV6));
	assert_true(sel_match(SEL_DEFAULT, AF_INET, IPPROTO_TCP));
	assert_false(sel_match(SEL_DEFAULT, AF_INET, IPPROTO_SCTP));
	assert_true(sel_match(sel_complete(SEL_SCTP), AF_INET, IPPROTO_SCTP));
	assert_true(sel_match(sel_complete(SEL_DCCP), AF_INET6, IPPROTO_DCCP));
	assert_false(sel_match(SEL_FAMILIES | SEL_PROTOS, AF_INET, IPPROTO_GRE));
}

static void test_batch_options(void **state)
{
	struct config cfg;
	char err[4096];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--count",
			       "0", "--output", "json", "-t", "0.5",
			       "--acct=conntrack", "--max-flows", "1000",
			       "--netlink-buffer", "65536", NULL), CONFIG_RUN);
	assert_true(cfg.batch);
	assert_int_equal(cfg.count, 0);
	assert_int_equal(cfg.output, OUTPUT_JSON);
	assert_float_equal(cfg.interval_s, 0.5, 1e-9);
	assert_int_equal(cfg.acct, ACCT_CONNTRACK);
	assert_int_equal(cfg.max_flows, 1000);
	assert_int_equal(cfg.netlink_buffer, 65536);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--output=csv",
			       "--acct", "netfilter", NULL), CONFIG_RUN);
	assert_int_equal(cfg.output, OUTPUT_CSV);
	assert_int_equal(cfg.acct, ACCT_NETFILTER);
}

/* --wait: how long batch mode waits for a snapshot's lookups */
static void test_wait_option(void **state)
{
	struct config cfg;
	char err[4096];

	(void)state;
	/* default: 1 s, or the interval when that is shorter */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", NULL),
			 CONFIG_RUN);
	assert_float_equal(cfg.wait_s, 1.0, 1e-9);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "-t", "0.3",
			       NULL), CONFIG_RUN);
	assert_float_equal(cfg.wait_s, 0.3, 1e-9);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "-t", "5",
			       NULL), CONFIG_RUN);
	assert_float_equal(cfg.wait_s, 1.0, 1e-9);
	/* given: as given, also longer than the interval, also none */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait",
			       "2.5", "-t", "0.5", NULL), CONFIG_RUN);
	assert_float_equal(cfg.wait_s, 2.5, 1e-9);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait=0",
			       NULL), CONFIG_RUN);
	assert_float_equal(cfg.wait_s, 0.0, 1e-9);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait",
			       "0.0", NULL), CONFIG_RUN);
	assert_float_equal(cfg.wait_s, 0.0, 1e-9);
	/* the interactive view never waits: asking for it is a mistake */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--wait", "1", NULL),
			 CONFIG_USAGE);
	assert_non_null(strstr(err, "--wait is for --batch"));
	/* values */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait",
			       "-1", NULL), CONFIG_USAGE);
	assert_non_null(strstr(err, "--wait"));
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait",
			       "0x0", NULL), CONFIG_USAGE);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait",
			       "nan", NULL), CONFIG_USAGE);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait",
			       "0 ", NULL), CONFIG_USAGE);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait",
			       "", NULL), CONFIG_USAGE);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--wait",
			       "1e9", NULL), CONFIG_USAGE);
}

static void test_counter_map(void **state)
{
	struct config cfg;
	char err[4096];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--counter-map", "lru",
			       NULL), CONFIG_RUN);
	assert_int_equal(cfg.counter_map, ACCT_LAYOUT_LRU);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--counter-map=slots",
			       NULL), CONFIG_RUN);
	assert_int_equal(cfg.counter_map, ACCT_LAYOUT_SLOTS);
	/* the last one wins */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--counter-map=slots",
			       "--counter-map=lru", NULL), CONFIG_RUN);
	assert_int_equal(cfg.counter_map, ACCT_LAYOUT_LRU);
}

static void expect_usage(const char *a, const char *b, const char *needle);

static void test_user_option(void **state)
{
	static const char *const good[] = {
		"nobody", "_flowtop", "www-data", "a.b", "u1", "Debian-exim",
		"host$", "0day", "abcdefghijklmnopqrstuvwxyz012345",	/* 32 */
	};
	static const char *const bad[] = {
		"", "-n", "-", "123", "65534", "$", "1$", "a b", "a:b", "a/b",
		"a$b", "root\n", "na\xc3\xafve", "a\tb", "x;rm",
		"abcdefghijklmnopqrstuvwxyz0123456",			/* 33 */
	};
	struct config cfg;
	char err[4096];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), NULL), CONFIG_RUN);
	assert_null(cfg.user);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (parse(&cfg, err, sizeof(err), "--user", good[i], NULL) !=
		    CONFIG_RUN)
			fail_msg("--user '%s' refused: %s", good[i], err);
		assert_string_equal(cfg.user, good[i]);
	}
	assert_int_equal(parse(&cfg, err, sizeof(err), "--user=a",
			       "--user=b", NULL), CONFIG_RUN);
	assert_string_equal(cfg.user, "b");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_usage("--user", bad[i], "invalid value");
	expect_usage("--user", NULL, "needs a value");
	/* -u is a run of its own, without privileges to drop */
	assert_int_equal(parse(&cfg, err, sizeof(err), "-u", "--user", "nobody",
			       NULL), CONFIG_USAGE);
	assert_non_null(strstr(err, "--user is for the monitoring run"));
}

static void expect_usage(const char *a, const char *b, const char *needle)
{
	struct config cfg;
	char err[4096];

	assert_int_equal(parse(&cfg, err, sizeof(err), a, b, NULL),
			 CONFIG_USAGE);
	if (!strstr(err, needle))
		fail_msg("'%s %s': expected '%s' in: %s", a, b ? b : "",
			 needle, err);
}

static void test_bad_options(void **state)
{
	(void)state;
	expect_usage("-t", "0", "-t/--interval");
	expect_usage("-t", "abc", "-t/--interval");
	expect_usage("-t", "-1", "-t/--interval");
	expect_usage("-t", "nan", "-t/--interval");
	expect_usage("-t", "inf", "-t/--interval");
	expect_usage("-t", "1e999", "-t/--interval");
	expect_usage("-t", "", "-t/--interval");
	expect_usage("-t", "0x10", "-t/--interval");
	expect_usage("--count", "-1", "--count");
	expect_usage("--count", "1x", "--count");
	expect_usage("--count", "99999999999999999999999", "--count");
	expect_usage("--output", "xml", "--output");
	expect_usage("--acct", "magic", "--acct");
	expect_usage("--max-flows", "0", "--max-flows");
	expect_usage("--counter-map", "LRU", "--counter-map");
	expect_usage("--counter-map", "", "--counter-map");
	expect_usage("--counter-map", "slots ", "--counter-map");
	expect_usage("--counter-map", "hash", "slots or lru");
	expect_usage("--counter-map", NULL, "needs a value");
	expect_usage("--netlink-buffer", "12", "--netlink-buffer");
	expect_usage("-x", NULL, "unknown option -x");
	expect_usage("--frobnicate", NULL, "unknown option '--frobnicate'");
	expect_usage("-t", NULL, "needs a value");
	expect_usage("--count", NULL, "needs a value");
	expect_usage("stray", NULL, "unexpected argument");
	/* usage text follows the error */
	expect_usage("-x", NULL, "Usage: flowtop");
	expect_usage("-t", "0", "Usage: flowtop");
	expect_usage("--count", "-1", "Usage: flowtop");
}

static void test_help_version(void **state)
{
	struct config cfg;
	char err[4096];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "-h", NULL),
			 CONFIG_EXIT_OK);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--version", NULL),
			 CONFIG_EXIT_OK);
}

static void test_number_parsers(void **state)
{
	double d;
	long l;

	(void)state;
	assert_int_equal(parse_seconds("2.25", &d), 0);
	assert_float_equal(d, 2.25, 1e-12);
	assert_int_not_equal(parse_seconds("0.0001", &d), 0);
	assert_int_not_equal(parse_seconds("1 ", &d), 0);
	assert_int_not_equal(parse_seconds("100000", &d), 0);
	assert_int_equal(parse_long("42", 0, 100, &l), 0);
	assert_int_equal(l, 42);
	assert_int_equal(parse_long("101", 0, 100, &l), -ERANGE);
	assert_int_equal(parse_long("", 0, 100, &l), -EINVAL);
	assert_int_equal(parse_long(" 4", 0, 100, &l), -EINVAL);
	assert_int_not_equal(parse_seconds(" 1", &d), 0);
}

static void test_ipfix_options(void **state)
{
	struct config cfg;
	char err[4096];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), NULL), CONFIG_RUN);
	assert_string_equal(cfg.ipfix_host, "");
	assert_int_equal(cfg.ipfix_proto, IPFIX_UDP);
	assert_float_equal(cfg.ipfix_active_timeout_s, 60.0, 1e-9);
	assert_float_equal(cfg.ipfix_template_refresh_s, 60.0, 1e-9);
	assert_int_equal(cfg.ipfix_domain, 1);
	assert_false(cfg.output_none);

	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--count",
			       "0", "--output", "none", "--ipfix",
			       "127.0.0.1:4739", "--ipfix-proto", "tcp",
			       "--ipfix-active-timeout", "30",
			       "--ipfix-domain=4294967295",
			       "--ipfix-template-refresh", "0.5", NULL),
			 CONFIG_RUN);
	assert_true(cfg.output_none);
	assert_string_equal(cfg.ipfix_host, "127.0.0.1");
	assert_int_equal(cfg.ipfix_port, 4739);
	assert_int_equal(cfg.ipfix_proto, IPFIX_TCP);
	assert_float_equal(cfg.ipfix_active_timeout_s, 30.0, 1e-9);
	assert_float_equal(cfg.ipfix_template_refresh_s, 0.5, 1e-9);
	assert_int_equal(cfg.ipfix_domain, 4294967295u);

	/* export beside printed snapshots; the last --output wins */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--batch", "--output",
			       "none", "--output", "json", "--ipfix",
			       "[2001:db8::5]:2055", NULL), CONFIG_RUN);
	assert_false(cfg.output_none);
	assert_int_equal(cfg.output, OUTPUT_JSON);
	assert_string_equal(cfg.ipfix_host, "2001:db8::5");
	assert_int_equal(cfg.ipfix_port, 2055);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--ipfix",
			       "collector.example:9995", NULL), CONFIG_RUN);
	assert_string_equal(cfg.ipfix_host, "collector.example");
}

static void test_ipfix_bad_options(void **state)
{
	(void)state;
	expect_usage("--ipfix", "127.0.0.1", "--ipfix");
	expect_usage("--ipfix", "127.0.0.1:", "--ipfix");
	expect_usage("--ipfix", ":4739", "--ipfix");
	expect_usage("--ipfix", "127.0.0.1:0", "--ipfix");
	expect_usage("--ipfix", "127.0.0.1:65536", "--ipfix");
	expect_usage("--ipfix", "127.0.0.1:47x", "--ipfix");
	expect_usage("--ipfix", "127.0.0.1: 4739", "--ipfix");
	expect_usage("--ipfix", "2001:db8::1:4739", "--ipfix");
	expect_usage("--ipfix", "[2001:db8::1]4739", "--ipfix");
	expect_usage("--ipfix", "[192.0.2.1]:4739", "--ipfix");
	expect_usage("--ipfix", "[]:4739", "--ipfix");
	expect_usage("--ipfix", "", "--ipfix");
	expect_usage("--ipfix-proto", "sctp", "--ipfix-proto");
	expect_usage("--ipfix-active-timeout", "0", "--ipfix-active-timeout");
	expect_usage("--ipfix-active-timeout", "-5", "--ipfix-active-timeout");
	expect_usage("--ipfix-template-refresh", "nan",
		     "--ipfix-template-refresh");
	expect_usage("--ipfix-domain", "4294967296", "--ipfix-domain");
	expect_usage("--ipfix-domain", "-1", "--ipfix-domain");
	/* an --ipfix-* option without --ipfix is a mistake, not a no-op */
	expect_usage("--ipfix-proto", "tcp", "add --ipfix");
	expect_usage("--ipfix-domain", "7", "'--ipfix-domain'");
	/* --output none prints nothing: only with --batch and --ipfix */
	expect_usage("--output", "none", "--output none is for --batch");
	expect_usage("--batch", "--output=none", "without --ipfix");
}

static void test_host_port_parser(void **state)
{
	char host[16];
	uint16_t port = 0;

	(void)state;
	assert_int_equal(parse_host_port("localhost:1", host, sizeof(host),
					 &port), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 1);
	assert_int_equal(parse_host_port("[::1]:65535", host, sizeof(host),
					 &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	/* too long for the buffer: an error, not a cut name */
	assert_int_equal(parse_host_port("a-very-long-host-name:1", host,
					 sizeof(host), &port), -ERANGE);
	assert_int_equal(parse_host_port(NULL, host, sizeof(host), &port),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_selection_flags),
		cmocka_unit_test(test_sel_match),
		cmocka_unit_test(test_batch_options),
		cmocka_unit_test(test_wait_option),
		cmocka_unit_test(test_counter_map),
		cmocka_unit_test(test_user_option),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_number_parsers),
		cmocka_unit_test(test_ipfix_options),
		cmocka_unit_test(test_ipfix_bad_options),
		cmocka_unit_test(test_host_port_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
