// SPDX-License-Identifier: GPL-2.0
/* Unit tests for services.c: conf files, /etc/services files, lookups. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"
#include "services.h"

#include "util.h"

#define TEST_TMPDIR_TEMPLATE "/tmp/ft-test-services.XXXXXX"
#include "test_tmpdir.h"

static void test_conf(void **state)
{
	char path[256], *msgs = NULL;
	size_t len = 0;
	struct services *s = services_new();
	FILE *err = open_memstream(&msgs, &len);

	(void)state;
	write_file("tcp.conf",
		   "# comment line\n"
		   "\n"
		   "22, ssh\n"
		   "  80 ,  www   # trailing comment\n"
		   "80, second-wins-not\n"
		   "x, bad\n"
		   "65536, big\n"
		   "443\n"
		   "8080,\n"
		   "9000, a b\n"
		   "9001, 0123456789012345678901234567890123\n"
		   "65535, top\n"
		   "0, zero\n", path);
	assert_int_equal(services_load_conf(s, IPPROTO_TCP, path, err), 4);
	fclose(err);
	assert_string_equal(services_name(s, IPPROTO_TCP, 22), "ssh");
	assert_string_equal(services_name(s, IPPROTO_TCP, 80), "www");
	assert_string_equal(services_name(s, IPPROTO_TCP, 65535), "top");
	assert_string_equal(services_name(s, IPPROTO_TCP, 0), "zero");
	assert_null(services_name(s, IPPROTO_TCP, 443));
	assert_null(services_name(s, IPPROTO_UDP, 22));
	/* each bad line reported with file:line */
	for (int l = 6; l <= 11; l++) {
		char want[300];

		snprintf(want, sizeof(want), "%s:%d: ", path, l);
		assert_non_null(strstr(msgs, want));
	}
	assert_null(strstr(msgs, ":3: "));
	assert_null(strstr(msgs, ":5: "));	/* a duplicate is not an error */
	free(msgs);
	assert_int_equal(services_load_conf(s, IPPROTO_TCP, "/nonexistent/x", NULL),
			 -ENOENT);
	services_free(s);
}

static void test_etc_and_protocols(void **state)
{
	char path[256];
	struct services *s = services_new();

	(void)state;
	write_file("udp.conf", "53, my-dns\n", path);
	assert_int_equal(services_load_conf(s, IPPROTO_UDP, path, NULL), 1);
	write_file("services",
		   "# /etc/services style\n"
		   "domain\t\t53/tcp\n"
		   "domain\t\t53/udp\t\t# conf wins for udp\n"
		   "http\t\t80/tcp\t\twww\n"
		   "amqp\t\t5672/sctp\n"
		   "sip\t\t5060/udp\n"
		   "weird\t\t99/xyz\n"
		   "broken-line\n"
		   "bad\t\tnotaport/tcp\n", path);
	assert_int_equal(services_load_etc(s, path), 4);	/* udp 53: conf has it */
	assert_string_equal(services_name(s, IPPROTO_TCP, 53), "domain");
	assert_string_equal(services_name(s, IPPROTO_UDP, 53), "my-dns");
	/* UDP-Lite shares the UDP names */
	assert_string_equal(services_name(s, IPPROTO_UDPLITE, 5060), "sip");
	/* SCTP: its own entry, then the TCP name; DCCP: the TCP name */
	assert_string_equal(services_name(s, IPPROTO_SCTP, 5672), "amqp");
	assert_string_equal(services_name(s, IPPROTO_SCTP, 80), "http");
	assert_string_equal(services_name(s, IPPROTO_DCCP, 80), "http");
	assert_null(services_name(s, IPPROTO_ICMP, 80));
	assert_null(services_name(s, IPPROTO_TCP, 99));
	assert_null(services_name(NULL, IPPROTO_TCP, 80));
	services_free(s);
}

static void test_names_sanitized(void **state)
{
	char path[256];
	struct services *s = services_new();

	(void)state;
	write_file("tcp2.conf", "7, e\x1b[31mvil\n", path);
	assert_int_equal(services_load_conf(s, IPPROTO_TCP, path, NULL), 1);
	assert_string_equal(services_name(s, IPPROTO_TCP, 7), "e?vil");
	services_free(s);
}

static void test_conf_find(void **state)
{
	char path[512], want[300];

	(void)state;
	write_file("only-here.conf", "x\n", want);
	assert_int_equal(conf_find(dir, "only-here.conf", path, sizeof(path)), 0);
	assert_string_equal(path, want);
	assert_int_equal(conf_find(dir, "nowhere-at-all.conf", path, sizeof(path)),
			 -ENOENT);
	/* services_load with a conf dir: its files first */
	write_file("tcp.conf", "7001, from-conf-dir\n", want);
	{
		struct services *s = services_load(dir, NULL);

		assert_non_null(s);
		assert_string_equal(services_name(s, IPPROTO_TCP, 7001), "from-conf-dir");
		services_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_etc_and_protocols),
		cmocka_unit_test(test_names_sanitized),
		cmocka_unit_test(test_conf_find),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
