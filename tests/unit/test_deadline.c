// SPDX-License-Identifier: GPL-2.0
/* Per-flow deadlines: order, moves, clears, compaction. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "deadline.h"

static void pops_in_order_only_when_due(void **state)
{
	struct deadline_heap d = { 0 };
	uint32_t idx;
	bool t;

	(void)state;
	assert_int_equal(deadline_set(&d, 7, 30), 0);
	assert_int_equal(deadline_set(&d, 3, 10), 0);
	assert_int_equal(deadline_set(&d, 5, 20), 0);
	assert_int_equal(deadline_count(&d), 3);
	assert_false(deadline_pop_due(&d, 9, &idx, &t));
	assert_true(deadline_pop_due(&d, 25, &idx, &t));
	assert_int_equal(idx, 3);
	assert_true(deadline_pop_due(&d, 25, &idx, &t));
	assert_int_equal(idx, 5);
	assert_false(deadline_pop_due(&d, 25, &idx, &t));
	assert_int_equal(deadline_of(&d, 5), 0);
	assert_int_equal(deadline_of(&d, 7), 30);
	assert_int_equal(deadline_count(&d), 1);
	assert_int_equal(deadline_set(&d, 1, 0), -EINVAL);
	deadline_free(&d);
}

static void moved_and_cleared_deadlines(void **state)
{
	struct deadline_heap d = { 0 };
	uint32_t idx;
	bool t;

	(void)state;
	assert_int_equal(deadline_set(&d, 1, 10), 0);
	assert_int_equal(deadline_set(&d, 2, 10), 0);
	assert_int_equal(deadline_set(&d, 1, 50), 0);	/* pushed on */
	assert_int_equal(deadline_set(&d, 2, 10), 0);	/* same: no duplicate */
	deadline_clear(&d, 2);
	deadline_clear(&d, 2);
	deadline_clear(&d, 999999);	/* never had one */
	assert_int_equal(deadline_count(&d), 1);
	assert_false(deadline_pop_due(&d, 49, &idx, &t));
	assert_true(deadline_pop_due(&d, 50, &idx, &t));
	assert_int_equal(idx, 1);
	assert_false(deadline_pop_due(&d, 1000, &idx, &t));
	assert_int_equal(deadline_count(&d), 0);
	/* an index popped and set again is due again */
	assert_int_equal(deadline_set(&d, 1, 60), 0);
	assert_true(deadline_pop_due(&d, 60, &idx, &t));
	deadline_free(&d);
}

/* A deadline moved often stays one entry's worth of memory, and the
 * heap still gives every live index once, in order. */
static void moves_do_not_grow_the_heap(void **state)
{
	struct deadline_heap d = { 0 };
	enum { N = 5000, MOVES = 40 };
	uint32_t idx, last = 0;
	bool t;
	size_t got = 0;

	(void)state;
	for (uint32_t m = 1; m <= MOVES; m++)
		for (uint32_t i = 0; i < N; i++)
			assert_int_equal(deadline_set(&d, i, m * 100 + (i * 7919u) % 97 + 1), 0);
	assert_int_equal(deadline_count(&d), N);
	assert_true(d.n <= 2 * N + 1024 + 1);
	while (deadline_pop_due(&d, UINT32_MAX, &idx, &t)) {
		uint32_t sec = MOVES * 100 + (idx * 7919u) % 97 + 1;

		assert_true(sec >= last);
		last = sec;
		got++;
	}
	assert_int_equal(got, N);
	assert_int_equal(deadline_count(&d), 0);
	deadline_free(&d);
}

/* A touch lasts until the deadline is set again; none without a deadline. */
static void touched_until_set(void **state)
{
	struct deadline_heap d = { 0 };
	uint32_t idx;
	bool t;

	(void)state;
	assert_false(deadline_touch(&d, 4));	/* no deadline: nothing */
	assert_int_equal(deadline_set(&d, 4, 10), 0);
	assert_int_equal(deadline_set(&d, 5, 10), 0);
	assert_true(deadline_touch(&d, 5));	/* the first since set */
	assert_false(deadline_touch(&d, 5));
	assert_true(deadline_pop_due(&d, 10, &idx, &t));
	assert_int_equal(idx, 4);
	assert_false(t);
	assert_true(deadline_pop_due(&d, 10, &idx, &t));
	assert_int_equal(idx, 5);
	assert_true(t);
	/* set again: fresh knowledge, untouched */
	assert_int_equal(deadline_set(&d, 5, 20), 0);
	assert_false(deadline_touch(&d, 4));	/* popped: no deadline any more */
	assert_true(deadline_pop_due(&d, 20, &idx, &t));
	assert_int_equal(idx, 5);
	assert_false(t);
	assert_int_equal(deadline_set(&d, 4, 30), 0);
	assert_true(deadline_pop_due(&d, 30, &idx, &t));
	assert_false(t);
	deadline_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pops_in_order_only_when_due),
		cmocka_unit_test(moved_and_cleared_deadlines),
		cmocka_unit_test(moves_do_not_grow_the_heap),
		cmocka_unit_test(touched_until_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
