// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for geoip.c: geoip.conf parsing, iso-codes country names,
 * database location and validation of files that are not databases.
 * (Lookups in real MaxMind DB files are tested in t40_geoip with
 * databases written at test time.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geoip.h"

#define TEST_TMPDIR_TEMPLATE "/tmp/ft-test-geoip.XXXXXX"
#include "test_tmpdir.h"

static void test_conf_good(void **state)
{
	struct geoip_conf c;
	char path[256], text[1024], loc[4096];

	(void)state;
	snprintf(text, sizeof(text),
		 "# comment\n"
		 "path /nonexistent/a\n"
		 "path %s   # trailing\n"
		 "database country.mmdb country*\n"
		 "database /abs/asn.mmdb\n"
		 "mirror country.mmdb https://mirror.example/c.mmdb\n"
		 "mirror country.mmdb http://second.example/c.mmdb.gz\n"
		 "timeout 5\n", dir);
	write_file("geoip.conf", text, path);
	assert_int_equal(geoip_conf_read(&c, path, stderr), 0);
	assert_int_equal(c.npaths, 2);
	assert_string_equal(c.paths[1], dir);
	assert_int_equal(c.ndb, 2);
	assert_string_equal(c.db[0].file, "country.mmdb");
	assert_string_equal(c.db[0].type, "country*");
	assert_string_equal(c.db[1].type, "*");
	assert_int_equal(c.db[0].nmirrors, 2);
	assert_string_equal(c.db[0].mirrors[1], "http://second.example/c.mmdb.gz");
	assert_int_equal(c.db[1].nmirrors, 0);
	assert_int_equal(c.timeout_s, 5);

	/* located in the second path directory once it exists there */
	assert_int_equal(geoip_db_locate(&c, &c.db[0], loc, sizeof(loc)), -ENOENT);
	write_file("country.mmdb", "x", path);
	assert_int_equal(geoip_db_locate(&c, &c.db[0], loc, sizeof(loc)), 0);
	assert_string_equal(loc, path);
	assert_int_equal(geoip_db_locate(&c, &c.db[1], loc, sizeof(loc)), -ENOENT);

	/* ... where -u validation refuses it: not a database */
	assert_int_equal(geoip_validate(path, "*", text, sizeof(text)), -EINVAL);
	assert_non_null(strstr(text, "not a MaxMind DB"));
	geoip_conf_free(&c);
}

static void test_conf_errors(void **state)
{
	static const char *const bad[] = {
		"bogus directive\n",
		"path\n",
		"path a b\n",
		"database\n",
		"database a.mmdb t extra\n",
		"database a.mmdb\ndatabase a.mmdb\n",
		"mirror a.mmdb http://x/\n",	/* before its database line */
		"database a.mmdb\nmirror a.mmdb ftp://x/a\n",
		"database a.mmdb\nmirror a.mmdb\n",
		"timeout 0\n",
		"timeout 5s\n",
		"timeout 99999\n",
	};
	struct geoip_conf c;
	char path[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *msgs = NULL, want[300];
		size_t len = 0;
		FILE *err = open_memstream(&msgs, &len);
		int lines = 0;

		write_file("bad.conf", bad[i], path);
		assert_int_equal(geoip_conf_read(&c, path, err), -EINVAL);
		fclose(err);
		for (const char *p = bad[i]; *p; p++)
			lines += *p == '\n';
		/* the error names the file and the offending (last) line */
		snprintf(want, sizeof(want), "%s:%d: ", path, lines);
		if (!strstr(msgs, want))
			fail_msg("case %zu: '%s' lacks '%s'", i, msgs, want);
		free(msgs);
	}
	assert_int_equal(geoip_conf_read(&c, "/nonexistent/geoip.conf", NULL), -ENOENT);
}

static void test_iso_codes(void **state)
{
	(void)state;
	if (access(ISO_3166_JSON, R_OK))
		skip();	/* iso-codes not installed */
	assert_string_equal(iso_country_name("PT"), "Portugal");
	assert_string_equal(iso_country_name("de"), "Germany");
	/* common_name wins over the formal name */
	assert_string_equal(iso_country_name("TW"), "Taiwan");
	/* non-ASCII names arrive as UTF-8 */
	assert_string_equal(iso_country_name("AX"), "Åland Islands");
	assert_null(iso_country_name("ZZ"));
	assert_null(iso_country_name("P"));
	assert_null(iso_country_name("PRT"));
	assert_null(iso_country_name(NULL));
}

static void test_iso_parse(void **state)
{
	char path[256];

	(void)state;
	/* JSON escapes (\u with a surrogate pair, \") and a hostile name */
	write_file("iso.json",
		   "{\"3166-1\": [\n"
		   " {\"alpha_2\": \"QM\", \"name\": \"Caf\\u00e9 \\\"Land\\\" \\ud83d\\ude00\"},\n"
		   " {\"alpha_2\": \"QN\", \"name\": \"Bad\\u001b[31mName\"},\n"
		   " {\"alpha_3\": \"QQQ\", \"name\": \"No alpha 2\"}\n"
		   "]}\n", path);
	assert_int_equal(iso_codes_load(path), 0);
	assert_string_equal(iso_country_name("QM"), "Café \"Land\" \xf0\x9f\x98\x80");
	assert_string_equal(iso_country_name("QN"), "Bad?Name");
	write_file("empty.json", "{}", path);
	assert_int_equal(iso_codes_load(path), -ENOENT);
	assert_int_equal(iso_codes_load("/nonexistent.json"), -ENOENT);
}

static void test_lookup_without_db(void **state)
{
	struct geo_info g;
	const char *files[] = { "/nonexistent/x.mmdb" };
	struct geoip *db = NULL;
	unsigned char a[4] = { 192, 0, 2, 1 };

	(void)state;
	assert_false(geoip_lookup(NULL, 2, a, &g));
	assert_string_equal(g.country_code, "");
	assert_int_equal(geoip_open_files(&db, files, 1, NULL), -ENOENT);
	assert_null(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_good),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_iso_codes),
		cmocka_unit_test(test_iso_parse),
		cmocka_unit_test(test_lookup_without_db),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
