// SPDX-License-Identifier: GPL-2.0
/* Unit tests for sanitize.c: outside strings → printable, capped UTF-8. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sanitize.h"

static const char *san(const char *s, size_t size)
{
	static char buf[512];

	assert_true(size <= sizeof(buf));
	sanitize_text(buf, size, s, strlen(s));
	return buf;
}

static void test_plain(void **state)
{
	(void)state;
	assert_string_equal(san("host.example.com", 256), "host.example.com");
	assert_string_equal(san("", 256), "");
	/* valid UTF-8 stays */
	assert_string_equal(san("Zürich Åland 東京", 256), "Zürich Åland 東京");
}

static void test_controls(void **state)
{
	(void)state;
	assert_string_equal(san("a\nb\tc\rd", 256), "a?b?c?d");
	assert_string_equal(san("del\x7f", 256), "del?");
	/* C1 control U+009B (CSI) encoded as UTF-8 */
	assert_string_equal(san("x\xc2\x9b" "2Jy", 256), "x?2Jy");
	/* bidi override (Trojan Source) and line separator */
	assert_string_equal(san("a\xe2\x80\xae" "b\xe2\x80\xa8" "c", 256), "a?b?c");
}

static void test_escapes(void **state)
{
	(void)state;
	/* a CSI sequence goes whole, as one '?' */
	assert_string_equal(san("evil\x1b[31mred", 256), "evil?red");
	assert_string_equal(san("\x1b[2J\x1b[H", 256), "??");
	/* OSC (window title) up to BEL, and up to ST */
	assert_string_equal(san("a\x1b]0;pwned\x07z", 256), "a?z");
	assert_string_equal(san("a\x1b]2;t\x1b\\z", 256), "a?z");
	/* a lone ESC at the end, ESC + one byte */
	assert_string_equal(san("end\x1b", 256), "end?");
	assert_string_equal(san("a\x1b" "7b", 256), "a?b");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	assert_string_equal(san("a\xff" "b", 256), "a?b");
	assert_string_equal(san("a\xc3", 256), "a?");		/* cut sequence */
	assert_string_equal(san("\xc0\xaf", 256), "??");	/* overlong '/' */
	assert_string_equal(san("\xed\xa0\x80", 256), "???");	/* surrogate */
	assert_string_equal(san("\xf4\x90\x80\x80", 256), "????"); /* > U+10FFFF */
}

static void test_cap(void **state)
{
	char buf[8];
	size_t n;

	(void)state;
	/* fits exactly: 7 bytes + NUL */
	n = sanitize_text(buf, sizeof(buf), "abcdefg", 7);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "abcdefg");
	/* too long: cut, with a visible "..." */
	n = sanitize_text(buf, sizeof(buf), "abcdefgh", 8);
	assert_string_equal(buf, "abcd...");
	assert_int_equal(n, 7);
	/* never cut inside a character */
	sanitize_text(buf, sizeof(buf), "ééééé", strlen("ééééé"));
	assert_string_equal(buf, "éé...");
	/* tiny buffers */
	sanitize_text(buf, 1, "abc", 3);
	assert_string_equal(buf, "");
	sanitize_text(buf, 3, "abc", 3);
	assert_string_equal(buf, "ab");
	/* len bounds the input; a NUL ends it */
	sanitize_text(buf, sizeof(buf), "abcdef", 3);
	assert_string_equal(buf, "abc");
	sanitize_text(buf, sizeof(buf), "ab\0cd", 5);
	assert_string_equal(buf, "ab");
	assert_int_equal(sanitize_str(buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
