// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to the pure parsers: every option that takes a value with
 * values it can never take (config_parse: CONFIG_USAGE, a short message
 * without control bytes); conf files (tcp.conf via services_load_conf,
 * geoip.conf via geoip_conf_read) holding binary data, NUL bytes, a 1 MB
 * line, no final newline, or a directory or FIFO in the file's place
 * (refused at once, no hang).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "geoip.h"
#include "services.h"

#define TEST_TMPDIR_TEMPLATE "/tmp/ft-test-badinput.XXXXXX"
#include "test_tmpdir.h"

/* a FIFO open that blocked would hang the test: fail it instead */
static int setup_with_alarm(void **state)
{
	alarm(60);
	return setup(state);
}

static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* config_parse of flowtop OPT VAL (or OPT=VAL): must be a usage error */
static void want_usage(const char *opt, const char *val, bool eq)
{
	char *argv[4], buf[8], joined[4096], *msgs = NULL, *outs = NULL;
	size_t len = 0, olen = 0;
	FILE *err = open_memstream(&msgs, &len);
	FILE *out = open_memstream(&outs, &olen);
	struct config cfg;
	int argc = 0;

	strcpy(buf, "flowtop");
	argv[argc++] = buf;
	if (eq && val && strlen(opt) + strlen(val) + 2 < sizeof(joined)) {
		strcpy(joined, opt);
		strcat(joined, "=");
		strcat(joined, val);
		argv[argc++] = joined;
	} else {
		argv[argc++] = (char *)opt;
		if (val)
			argv[argc++] = (char *)val;
	}
	argv[argc] = NULL;
	if (config_parse(&cfg, argc, argv, out, err) != CONFIG_USAGE)
		fail_msg("%s %.40s: accepted", opt, val ? val : "(missing)");
	fclose(err);
	fclose(out);
	assert_true(len > 0 && len < 8000);
	assert_false(has_control(msgs, len));
	assert_non_null(strstr(msgs, "Usage: flowtop"));
	free(msgs);
	free(outs);
}

static void test_option_values(void **state)
{
	static const char *const opts[] = {
		"-t", "--interval", "--count", "--output", "--acct",
		"--max-flows", "--counter-map", "--netlink-buffer", "--ipfix",
		"--ipfix-proto", "--ipfix-active-timeout", "--ipfix-domain",
		"--ipfix-template-refresh",
	};
	static const char *const vals[] = {
		"", "-1", "-0.5", "99999999999999999999999999", "1e9", "0x10",
		" 1", "1 ", "abc", "nan", "inf", "-inf", "1.5.5", "\x1b[2J",
		"\xff\xfe", "1\n", "+-1",
	};
	size_t big = 100000;
	char *digits = malloc(big + 1), *letters = malloc(big + 1);

	(void)state;
	assert_non_null(digits);
	assert_non_null(letters);
	memset(digits, '7', big);
	memset(letters, 'a', big);
	digits[big] = letters[big] = '\0';
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		want_usage(opts[i], NULL, false);	/* missing */
		for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
			want_usage(opts[i], vals[j], false);
			if (opts[i][1] == '-')
				want_usage(opts[i], vals[j], true);
		}
		want_usage(opts[i], digits, false);
		want_usage(opts[i], letters, false);
	}
	/* --user: free text, but never this */
	want_usage("--user", "", false);
	want_usage("--user", "-1", false);
	want_usage("--user", "12345", false);
	want_usage("--user", "\x1b]0;x\x07", false);
	want_usage("--user", letters, false);
	want_usage("--conf-dir", "", false);
	want_usage("--conf-dir", NULL, false);
	/* flags take no value; unknown options are named sanitized */
	want_usage("--batch=1", NULL, false);
	want_usage("--no-dns=", NULL, false);
	want_usage("--\x1b]0;pwned\x07", NULL, false);
	want_usage("-\x1b", NULL, false);
	want_usage(letters, NULL, false);
	free(digits);
	free(letters);
}

/* tcp.conf with hostile content: loads what is valid, few messages */
static void test_services_conf(void **state)
{
	char path[256], *msgs = NULL, *data;
	size_t len = 0, big = 1 << 20;
	struct services *s = services_new();
	FILE *err;
	int ret;

	(void)state;
	assert_non_null(s);
	data = malloc(big + 64);
	assert_non_null(data);

	/* binary data: random-looking bytes with many newlines */
	for (size_t i = 0; i < big; i++)
		data[i] = (char)((i * 2654435761u) >> 13);
	write_bytes("binary.conf", data, big, path);
	err = open_memstream(&msgs, &len);
	ret = services_load_conf(s, IPPROTO_TCP, path, err);
	fclose(err);
	assert_true(ret >= 0);
	assert_true(len < 4000);	/* 10 lines and a count, not thousands */
	assert_non_null(strstr(msgs, "more bad lines skipped"));
	assert_false(has_control(msgs, len));
	free(msgs);

	/* NUL bytes: the rest of the line is ignored, the next line is read */
	write_bytes("nul.conf", "80, ht\0tp\n81, x\0\0\n\0\0\n82, ok", 27, path);
	ret = services_load_conf(s, IPPROTO_TCP, path, NULL);
	assert_int_equal(ret, 3);
	assert_string_equal(services_name(s, IPPROTO_TCP, 80), "ht");
	/* no final newline: the last line still counts */
	assert_string_equal(services_name(s, IPPROTO_TCP, 82), "ok");

	/* a 1 MB line, then a good one without a newline */
	memcpy(data, "83, ", 4);
	memset(data + 4, 'a', big);
	memcpy(data + 4 + big, "\n84, fine", 9);
	write_bytes("long.conf", data, big + 13, path);
	msgs = NULL;
	err = open_memstream(&msgs, &len);
	ret = services_load_conf(s, IPPROTO_TCP, path, err);
	fclose(err);
	assert_int_equal(ret, 1);
	assert_null(services_name(s, IPPROTO_TCP, 83));
	assert_string_equal(services_name(s, IPPROTO_TCP, 84), "fine");
	assert_true(len < 400);
	free(msgs);

	/* a directory and a FIFO in the file's place: refused, no hang */
	sprintf(path, "%s/dir.conf", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(services_load_conf(s, IPPROTO_TCP, path, NULL), -EISDIR);
	sprintf(path, "%s/fifo.conf", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(services_load_conf(s, IPPROTO_TCP, path, NULL), -EINVAL);
	assert_int_equal(services_load_etc(s, path), -EINVAL);
	free(data);
	services_free(s);
}

static void test_geoip_conf(void **state)
{
	struct geoip_conf c;
	char path[256], *msgs = NULL, *data;
	size_t len = 0, big = 1 << 20;
	FILE *err;

	(void)state;
	data = malloc(big + 64);
	assert_non_null(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)((i * 2654435761u) >> 11);
	write_bytes("bin-geoip.conf", data, big, path);
	err = open_memstream(&msgs, &len);
	assert_int_equal(geoip_conf_read(&c, path, err), -EINVAL);
	fclose(err);
	assert_true(len < 4000);
	assert_false(has_control(msgs, len));
	free(msgs);

	/* a 1 MB database name: refused with file:line, nothing overflows */
	memcpy(data, "database ", 9);
	memset(data + 9, 'x', big);
	write_bytes("long-geoip.conf", data, big + 9, path);
	msgs = NULL;
	err = open_memstream(&msgs, &len);
	assert_int_equal(geoip_conf_read(&c, path, err), -EINVAL);
	fclose(err);
	assert_non_null(strstr(msgs, "long-geoip.conf:1: file name or type too long"));
	free(msgs);

	/* NUL bytes end a line's text; no final newline is fine */
	write_bytes("nul-geoip.conf", "path /x\0garbage\ndatabase a.mmdb", 31, path);
	assert_int_equal(geoip_conf_read(&c, path, NULL), 0);
	assert_string_equal(c.paths[0], "/x");
	assert_int_equal(c.ndb, 1);
	assert_string_equal(c.db[0].file, "a.mmdb");
	geoip_conf_free(&c);

	sprintf(path, "%s/geoip-dir.conf", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(geoip_conf_read(&c, path, NULL), -EISDIR);
	sprintf(path, "%s/geoip-fifo.conf", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(geoip_conf_read(&c, path, NULL), -EINVAL);
	assert_int_equal(iso_codes_load(path), -EINVAL);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_services_conf),
		cmocka_unit_test(test_geoip_conf),
	};

	return cmocka_run_group_tests(tests, setup_with_alarm, teardown);
}
