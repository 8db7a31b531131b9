// SPDX-License-Identifier: GPL-2.0
/* When the tick after one that ran inside a resync dump is due. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector.h"

#define S 1000000000ull

/* a quick tick: the next one an interval after this one was due */
static void quick_tick_keeps_the_cadence(void **state)
{
	(void)state;
	assert_int_equal(collector_due_after_dump_tick(10 * S, 10 * S,
						       10 * S + S / 10, S),
			 11 * S);
	/* begun a little late (the dump's chunk ran on): still on time */
	assert_int_equal(collector_due_after_dump_tick(10 * S, 10 * S + S / 5,
						       10 * S + S / 2, S),
			 11 * S);
}

/*
 * A read of 1.2 s (the sustained bench's, with the load holding the
 * CPUs): the next tick a quarter interval after it ended, not a whole
 * interval (which made that interval 2.2 s), so that the interval is the
 * read's length and the dump advances meanwhile.
 */
static void slow_tick_puts_off_by_a_quarter_only(void **state)
{
	(void)state;
	assert_int_equal(collector_due_after_dump_tick(10 * S, 10 * S,
						       11 * S + S / 5, S),
			 11 * S + S / 5 + S / 4);
	/* due long ago (a stalled dump): an interval after it began, at
	 * least a quarter after it ended */
	assert_int_equal(collector_due_after_dump_tick(5 * S, 10 * S,
						       10 * S + S / 10, S),
			 11 * S);
	assert_int_equal(collector_due_after_dump_tick(5 * S, 10 * S,
						       10 * S + 9 * S / 10, S),
			 11 * S + S / 20 * 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quick_tick_keeps_the_cadence),
		cmocka_unit_test(slow_tick_puts_off_by_a_quarter_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
