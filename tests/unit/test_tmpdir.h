/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A private temporary directory for a cmocka group, and files written into
 * it. Define TEST_TMPDIR_TEMPLATE ("/tmp/ft-test-NAME.XXXXXX") first.
 */
#ifndef FLOWTOP_TEST_TMPDIR_H
#define FLOWTOP_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

static char dir[] = TEST_TMPDIR_TEMPLATE;

/* Writes text to dir/name; path receives the file's path. */
static void write_file(const char *name, const char *text, char *path)
{
	FILE *f;

	sprintf(path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
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
