// SPDX-License-Identifier: GPL-2.0
/*
 * Undoing a setting flowtop changed (only while it still holds flowtop's
 * value), and the restore helper's start and normal end.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define TEST_TMPDIR_TEMPLATE "/tmp/ft-test-sysctl.XXXXXX"
#include "test_tmpdir.h"

#include "sysctl.h"
#include "sysctl_guard.h"

static void read_back(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void change_for(struct sysctl_change *c, const char *path,
		       const char *old, const char *set)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	memcpy(c->old, old, strlen(old));
	c->old_len = (uint8_t)strlen(old);
	memcpy(c->set, set, strlen(set));
	c->set_len = (uint8_t)strlen(set);
}

/* still flowtop's value (as /proc/sys prints it): the old one goes back */
static void test_undo_ours(void **state)
{
	struct sysctl_change c;
	char path[256], buf[64];

	(void)state;
	write_file("ours", "1\n", path);
	change_for(&c, path, "0\n", "1\n");
	assert_int_equal(sysctl_change_undo(&c), 1);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "0\n");

	/* the trailing newline is no difference */
	write_file("ours2", "1", path);
	change_for(&c, path, "0\n", "1\n");
	assert_int_equal(sysctl_change_undo(&c), 1);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
}

/* someone else set another value meanwhile: it stays */
static void test_undo_theirs(void **state)
{
	struct sysctl_change c;
	char path[256], buf[64];

	(void)state;
	write_file("theirs", "262144\n", path);
	change_for(&c, path, "65536\n", "131072\n");
	assert_int_equal(sysctl_change_undo(&c), 0);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "262144\n");

	/* a prefix of flowtop's value is another value */
	write_file("prefix", "13107\n", path);
	assert_int_equal(sysctl_change_undo(&c), 0);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "13107\n");
}

static void test_undo_missing(void **state)
{
	struct sysctl_change c;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/none", dir);
	change_for(&c, path, "0\n", "1\n");
	assert_int_equal(sysctl_change_undo(&c), -ENOENT);
}

/*
 * The helper starts (also without privileges), is a child of ours under
 * its own name, and is reaped by the normal end: no child left.
 */
static void test_guard_start_stop(void **state)
{
	char err[256] = "", comm[64] = "", path[64];
	pid_t pid;

	(void)state;
	assert_int_equal(sysctl_guard_pid(), 0);
	assert_int_equal(sysctl_guard_start((uid_t)-1, (gid_t)-1, err,
					    sizeof(err)), 0);
	pid = sysctl_guard_pid();
	assert_true(pid > 0);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	read_back(path, comm, sizeof(comm));
	assert_string_equal(comm, SYSCTL_GUARD_NAME "\n");
	/* announcing and forgetting work while it runs */
	assert_int_equal(sysctl_guard_forget(0), 0);
	assert_int_equal(sysctl_guard_forget(SYSCTL_MAX_CHANGES), -EINVAL);
	sysctl_guard_stop();
	assert_int_equal(sysctl_guard_pid(), 0);
	errno = 0;
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	/* without a helper announcing is a no-op */
	assert_int_equal(sysctl_guard_forget(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_undo_ours),
		cmocka_unit_test(test_undo_theirs),
		cmocka_unit_test(test_undo_missing),
		cmocka_unit_test(test_guard_start_stop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
