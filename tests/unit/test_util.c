// SPDX-License-Identifier: GPL-2.0
/* util.h: grow_array's growth and the clocks; utf8.h round trips */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "utf8.h"
#include "util.h"

static void test_grow_array(void **state)
{
	uint32_t *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(grow_array((void **)&v, &cap, 1, sizeof(*v), 4), 0);
	assert_int_equal(cap, 4);
	v[3] = 7;
	assert_int_equal(grow_array((void **)&v, &cap, 4, sizeof(*v), 4), 0);
	assert_int_equal(cap, 4);
	assert_int_equal(grow_array((void **)&v, &cap, 5, sizeof(*v), 4), 0);
	assert_int_equal(cap, 8);
	assert_int_equal(v[3], 7);
	assert_int_equal(grow_array((void **)&v, &cap, 33, sizeof(*v), 4), 0);
	assert_int_equal(cap, 64);
	/* too large to count: refused, nothing changed */
	assert_int_equal(grow_array((void **)&v, &cap, SIZE_MAX / 2, sizeof(*v), 4),
			 -ENOMEM);
	assert_int_equal(cap, 64);
	assert_int_equal(v[3], 7);
	free(v);
}

static void test_clocks(void **state)
{
	uint64_t a = mono_ns(), b = mono_ns();

	(void)state;
	assert_true(b >= a);
	assert_true(real_ns() > 1600000000ull * 1000000000ull);
	assert_true(mono_ms() * 1e3 + 1e6 >= (double)a / 1e3);
	assert_true(mono_s() * 1e9 + 1e6 >= (double)a);
}

static void test_utf8(void **state)
{
	static const uint32_t cps[] = { 0x41, 0xe9, 0x20ac, 0x1f600, 0x10ffff };
	char buf[5];
	uint32_t cp;

	(void)state;
	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		size_t n = utf8_encode(buf, cps[i]);

		assert_int_equal(utf8_decode((unsigned char *)buf, n, &cp), n);
		assert_int_equal(cp, cps[i]);
		/* cut short: not a sequence */
		if (n > 1)
			assert_int_equal(utf8_decode((unsigned char *)buf,
						     n - 1, &cp), 0);
	}
	/* overlong "/", a surrogate, past U+10FFFF */
	assert_int_equal(utf8_decode((const unsigned char *)"\xc0\xaf", 2, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
	/* NUL inside ends it */
	assert_int_equal(utf8_decode((const unsigned char *)"\xe2\x82", 4, &cp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_array),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
