// SPDX-License-Identifier: GPL-2.0
/* log.c: stderr normally; while captured a ring the view reads, given back
 * to stderr in order when the capture ends */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static char errpath[] = "/tmp/ft-test-log.XXXXXX";
static int saved_err = -1;

/* stderr into a file for the test; returns what it got so far */
static const char *err_text(void)
{
	static char buf[8192];
	FILE *f;
	size_t n;

	fflush(stderr);
	f = fopen(errpath, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	int fd = mkstemp(errpath);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	saved_err = dup(STDERR_FILENO);
	return freopen(errpath, "w", stderr) ? 0 : -1;
}

/* the real stderr back, with what went to the file (cmocka's failure
 * messages among it) */
static int teardown(void **state)
{
	const char *text = err_text();

	(void)state;
	dup2(saved_err, STDERR_FILENO);
	close(saved_err);
	fprintf(stderr, "stderr while testing:\n%s", text);
	return 0;
}

static void test_plain_goes_to_stderr(void **state)
{
	uint64_t seq = 0, when;
	char buf[64];

	(void)state;
	flowtop_log(FT_LOG_WARN, "flowtop: plain %d\n", 1);
	assert_string_equal(err_text(), "flowtop: plain 1\n");
	/* nothing kept for a view that does not run */
	assert_false(log_latest(&seq, buf, sizeof(buf), &when));
}

static void test_captured_then_given_back(void **state)
{
	uint64_t seq = 0, seen, when;
	char buf[16];
	size_t before;

	(void)state;
	before = strlen(err_text());
	log_capture(true);
	assert_false(log_latest(&seq, buf, sizeof(buf), &when));
	flowtop_log(FT_LOG_WARN, "flowtop: first\n");
	flowtop_log(FT_LOG_INFO, "flowtop: second, a long message\n");
	assert_int_equal(strlen(err_text()), before);	/* nothing written */
	/* the newest, without prefix and newline, cut to the buffer */
	assert_true(log_latest(&seq, buf, sizeof(buf), &when));
	assert_string_equal(buf, "second, a long ");
	assert_true(when > 0);
	seen = seq;
	assert_false(log_latest(&seq, buf, sizeof(buf), &when));
	assert_int_equal(seq, seen);
	log_capture(false);
	assert_string_equal(err_text() + before,
			    "flowtop: first\nflowtop: second, a long message\n");
}

static void test_ring_drops_oldest(void **state)
{
	char want[64];
	const char *got;
	size_t before;

	(void)state;
	before = strlen(err_text());
	log_capture(true);
	for (int i = 0; i < LOG_RING + 3; i++)
		flowtop_log(FT_LOG_WARN, "flowtop: m%d\n", i);
	log_capture(false);
	got = err_text() + before;
	assert_non_null(strstr(got, "flowtop: 3 earlier messages were dropped"));
	assert_null(strstr(got, "m2\n"));
	snprintf(want, sizeof(want), "flowtop: m%d\n", LOG_RING + 2);
	assert_non_null(strstr(got, want));
	assert_non_null(strstr(got, "flowtop: m3\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_goes_to_stderr),
		cmocka_unit_test(test_captured_then_given_back),
		cmocka_unit_test(test_ring_drops_oldest),
	};
	int ret;

	ret = cmocka_run_group_tests(tests, setup, teardown);
	unlink(errpath);
	return ret;
}
