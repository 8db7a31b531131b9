/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A private temporary directory for a cmocka group, and files written into
 * it. Define TEST_TMPDIR_TEMPLATE ("/tmp/ft-test-NAME.XXXXXX") first.
 */
#ifndef FLOWTOP_TEST_TMPDIR_H
#define FLOWTOP_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = TEST_TMPDIR_TEMPLATE;

/* Writes len bytes to dir/name; path receives the file's path. */
static inline void write_bytes(const char *name, const void *data,
			       size_t len, char *path)
{
	FILE *f;

	sprintf(path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Writes text to dir/name; path receives the file's path. */
static inline void write_file(const char *name, const char *text, char *path)
{
	write_bytes(name, text, strlen(text), path);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

#endif
