// SPDX-License-Identifier: GPL-2.0
/* Units, UTF-8 columns, sparklines and rate history of the view. */
#include <locale.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <wchar.h>
#include <stdbool.h>
#include <cmocka.h>

#include "ui_text.h"
#include "units.h"
#include "columns.h"

static void test_units(void **state)
{
	char b[32];

	(void)state;
	/* SI everywhere (powers of 1000), the view as the batch table */
	assert_string_equal(fmt_bytes(b, sizeof(b), 0), "0");
	assert_string_equal(fmt_bytes(b, sizeof(b), 999), "999");
	assert_string_equal(fmt_bytes(b, sizeof(b), 1023), "1.0k");
	assert_string_equal(fmt_bytes(b, sizeof(b), 1536), "1.5k");
	assert_string_equal(fmt_bytes(b, sizeof(b), 41120), "41.1k");
	assert_string_equal(fmt_bytes(b, sizeof(b), 300ull << 20), "314.6M");
	assert_string_equal(fmt_bytes(b, sizeof(b), 2000000), "2.0M");
	assert_string_equal(fmt_bytes(b, sizeof(b), 999950), "1.0M");
	assert_string_equal(fmt_rate(b, sizeof(b), 0, false), "0B/s");
	assert_string_equal(fmt_rate(b, sizeof(b), 0.5, false), "0.5B/s");
	assert_string_equal(fmt_rate(b, sizeof(b), 1200, false), "1.2kB/s");
	assert_string_equal(fmt_rate(b, sizeof(b), 1200, true), "9.6kb/s");
	assert_string_equal(fmt_rate(b, sizeof(b), 125e6, true), "1.0Gb/s");
	assert_string_equal(fmt_count(b, sizeof(b), 20000), "20.0k");
	assert_string_equal(fmt_count(b, sizeof(b), 950), "950");
	assert_string_equal(fmt_count(b, sizeof(b), 0.4), "0");
	/* the batch table's cells come from the same function */
	*units_put(b, 150000, false) = '\0';
	assert_string_equal(b, "150.0k");
	*units_put(b, 0.5, false) = '\0';
	assert_string_equal(b, "0.5");
	*units_put(b, 12, false) = '\0';
	assert_string_equal(b, "12");
	*units_put(b, 1e40, false) = '\0';
	assert_string_equal(b, "999999999999999E");
	assert_string_equal(units_fmt(b, sizeof(b), 1536, true, "B"), "1.5kB");
	assert_string_equal(fmt_age(b, sizeof(b), 59.9), "59s");
	assert_string_equal(fmt_age(b, sizeof(b), 184), "3m04s");
	assert_string_equal(fmt_age(b, sizeof(b), 7380), "2h03m");
	assert_string_equal(fmt_age(b, sizeof(b), 3 * 86400 + 4 * 3600), "3d04h");
	assert_string_equal(fmt_age(b, sizeof(b), -5), "0s");
}

static const char *cell_a(char *buf, size_t len, const void *ctx)
{
	snprintf(buf, len, "%s", (const char *)ctx);
	return buf;
}

static const char *cell_n(char *buf, size_t len, const void *ctx)
{
	snprintf(buf, len, "%zu", strlen(ctx));
	return buf;
}

/*
 * A layout's title, rows and widths all come from its fields' view
 * columns, in the layout's order, gaps blank.
 */
static void test_column_table(void **state)
{
	static const struct field fields[] = {
		{ .sort = 4, .view = { "LEN", 5, true, cell_n } },
		{ .sort = 3, .view = { "NAME", 6, false, cell_a } },
		{ .sort = COL_NO_SORT, .view = { "WIDE", 0, false, cell_a } },
	};
	static const int8_t ids[] = { COL_GAP(1), 1, 2, 0 };
	static const struct column_table t = COLUMN_TABLE(fields, ids);
	char line[128];
	int before, after, w;

	(void)state;
	columns_fixed(&t, &before, &after);
	assert_int_equal(before, 7);
	assert_int_equal(after, 5);
	columns_title(&t, 8, line, sizeof(line));
	assert_string_equal(line, " NAME  WIDE      LEN");
	columns_row(&t, 8, "abcdefghij", line, sizeof(line));
	assert_string_equal(line, " abcdefabcdefgh   10");
	assert_int_equal(columns_at(&t, 8, 3, &w), 15);
	assert_int_equal(w, 5);
	assert_int_equal(columns_at(&t, 8, 4, &w), -1);
	assert_int_equal(columns_sort(&t, 0), COL_NO_SORT);
	assert_int_equal(columns_sort(&t, 1), 3);
	assert_int_equal(columns_sort(&t, 3), 4);
}

static void test_columns_utf8(void **state)
{
	char line[128];
	size_t pos = 0;

	(void)state;
	assert_int_equal(ustr_cols("abc"), 3);
	assert_int_equal(ustr_cols("m\xc3\xbcnchen"), 7);	/* ü: one column */
	assert_int_equal(ustr_cols("\xe6\x9d\xb1\xe4\xba\xac"), 4);	/* 東京: wide */

	line[0] = '\0';
	ustr_put(line, sizeof(line), &pos, "m\xc3\xbcnchen.example", 8, false);
	assert_string_equal(line, "m\xc3\xbcnchen.");
	ustr_put(line, sizeof(line), &pos, "42", 4, true);
	assert_string_equal(line, "m\xc3\xbcnchen.  42");
	/* a wide character that does not fit is left out, padded */
	pos = 0;
	ustr_put(line, sizeof(line), &pos, "\xe6\x9d\xb1\xe4\xba\xac", 3, false);
	assert_string_equal(line, "\xe6\x9d\xb1 ");
	/* control characters and bad bytes never reach the terminal */
	pos = 0;
	ustr_put(line, sizeof(line), &pos, "a\x1b[2Jb\xff", 6, false);
	assert_string_equal(line, "a?[2Jb");

	ustr_slice("0123456789", 3, 4, line, sizeof(line));
	assert_string_equal(line, "3456");
	ustr_slice("ab\xe6\x9d\xb1" "cd", 3, 3, line, sizeof(line));
	assert_string_equal(line, " cd");	/* cut wide char: a space */
	ustr_slice("abc", 5, 4, line, sizeof(line));
	assert_string_equal(line, "");
	/* a tiny buffer stays terminated */
	pos = 0;
	ustr_put(line, 4, &pos, "abcdefgh", 8, false);
	assert_true(strlen(line) < 4);
}

/*
 * Every ASCII byte, which next_char answers without the locale: one
 * column, and '?' for the controls, as mbrtowc and wcwidth say (checked
 * here in C.UTF-8, and in C, the batch output's locale).
 */
static void check_ascii(void)
{
	for (int c = 1; c < 0x80; c++) {
		char in[2] = { (char)c, '\0' }, line[8];
		size_t pos = 0;
		wchar_t wc;
		mbstate_t st;
		bool ctl;

		memset(&st, 0, sizeof(st));
		assert_int_equal(mbrtowc(&wc, in, 1, &st), 1);
		ctl = wcwidth(wc) < 0;
		assert_int_equal(ustr_cols(in), 1);
		line[0] = '\0';
		ustr_put(line, sizeof(line), &pos, in, 2, false);
		assert_int_equal(line[0], ctl ? '?' : c);
		assert_string_equal(line + 1, " ");
	}
}

static void test_columns_ascii(void **state)
{
	(void)state;
	check_ascii();
	assert_non_null(setlocale(LC_ALL, "C"));
	check_ascii();
	assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
}

static void test_sparkline(void **state)
{
	float v[5] = { 0, 1, 2, 4, 8 };
	char out[64];

	(void)state;
	sparkline(out, sizeof(out), v, 5, 10, false);
	assert_string_equal(out, " .:=#");
	sparkline(out, sizeof(out), v, 5, 2, false);	/* the last 2 */
	assert_string_equal(out, "=#");
	sparkline(out, sizeof(out), v, 5, 10, true);
	assert_string_equal(out, "\u2581\u2582\u2583\u2585\u2588");
	sparkline(out, sizeof(out), v, 0, 10, true);
	assert_string_equal(out, "");
}

static void test_history(void **state)
{
	static struct ui_hist h;
	struct hist_sample s;
	float series[HIST_LEN];
	const struct hist_entry *e;
	size_t n;

	(void)state;
	memset(&h, 0, sizeof(h));
	memset(&s, 0, sizeof(s));
	s.id.ct_id = 7;
	for (int i = 0; i < 70; i++) {
		s.byte_rate[0] = (float)i;
		s.byte_rate[1] = (float)(2 * i);
		hist_add(&h, &s);
	}
	e = hist_find(&h, &s.id);
	assert_non_null(e);
	n = hist_series(e, 0, series, HIST_LEN);
	assert_int_equal(n, HIST_LEN);	/* bounded: the last 60 */
	assert_true(series[0] == 10.0f);
	assert_true(series[59] == 69.0f);
	n = hist_series(e, 1, series, 5);
	assert_int_equal(n, 5);
	assert_true(series[4] == 138.0f);

	/* more flows than room: the least recently sampled goes */
	for (uint32_t id = 100; id < 100 + HIST_MAX; id++) {
		s.id.ct_id = id;
		hist_add(&h, &s);
	}
	assert_int_equal(h.n, HIST_MAX);
	s.id.ct_id = 7;
	assert_null(hist_find(&h, &s.id));
	s.id.ct_id = 100 + HIST_MAX - 1;
	assert_non_null(hist_find(&h, &s.id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_column_table),
		cmocka_unit_test(test_columns_utf8),
		cmocka_unit_test(test_columns_ascii),
		cmocka_unit_test(test_sparkline),
		cmocka_unit_test(test_history),
	};

	if (!setlocale(LC_ALL, "C.UTF-8"))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
