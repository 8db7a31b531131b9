// SPDX-License-Identifier: GPL-2.0
/* /proc/net/stat/nf_conntrack parsing. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ct_stat.h"

/* as Linux 6.18 prints it, two CPUs */
static const char two_cpus[] =
	"entries  clashres found new invalid ignore delete chainlength insert "
	"insert_failed drop early_drop icmp_error  expect_new expect_create "
	"expect_delete search_restart\n"
	"0000002a  00000000 00000000 00000000 00000000 00000000 00000000 "
	"00000000 00000000 00000000 00000003 0000000f 00000000  00000000 "
	"00000000 00000000 00000001\n"
	"0000002a  00000000 00000000 00000000 00000000 00000000 00000000 "
	"00000000 00000000 00000000 00000000 000000f0 00000000  00000000 "
	"00000000 00000000 00000000\n";

static void sums_a_column(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(ct_stat_sum(two_cpus, "early_drop", &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(ct_stat_sum(two_cpus, "drop", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(ct_stat_sum(two_cpus, "search_restart", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ct_stat_sum("early_drop\n", "early_drop", &v), 0);
	assert_int_equal(v, 0);
}

static void bad_input(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(ct_stat_sum(two_cpus, "early", &v), -ENOENT);
	assert_int_equal(ct_stat_sum("", "early_drop", &v), -ENOENT);
	assert_int_equal(ct_stat_sum("a early_drop\n1 zz\n", "early_drop", &v),
			 -EINVAL);
	assert_int_equal(ct_stat_sum("a early_drop\n1\n", "early_drop", &v),
			 -EINVAL);
	assert_int_equal(v, 7);
	assert_int_equal(ct_stat_early_drops("/nonexistent/flowtop", &v), -ENOENT);
}

static void reads_this_kernel(void **state)
{
	uint64_t v;
	int r = ct_stat_early_drops(CT_STAT_PATH, &v);

	(void)state;
	/* absent without the conntrack module; never malformed */
	assert_true(r == 0 || r == -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sums_a_column),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(reads_this_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
