// SPDX-License-Identifier: GPL-2.0
/*
 * Reading and writing /proc/sys settings, and undoing one change: the
 * primitives below the saved changes (sysctl_saved.c) and the restore
 * helper (sysctl_guard.c), which both use them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"

#define SYSCTL_ROOT "/proc/sys/"

int sysctl_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, SYSCTL_ROOT "%s", name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Only async-signal-safe calls: used by sysctl_change_undo. */
int sysctl_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/* Only async-signal-safe calls: used by sysctl_change_undo. */
int sysctl_write_text(const char *path, const char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static size_t trimmed_len(const char *s, size_t len)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' ||
		       s[len - 1] == '\t'))
		len--;
	return len;
}

/* The same value as /proc/sys prints it, trailing newline aside. */
static bool same_value(const char *a, size_t alen, const char *b, size_t blen)
{
	alen = trimmed_len(a, alen);
	blen = trimmed_len(b, blen);
	return alen == blen && memcmp(a, b, alen) == 0;
}

int sysctl_read_u64(const char *name, uint64_t *out)
{
	char path[160], buf[64], *end;
	unsigned long long v;
	int ret;

	ret = sysctl_path(name, path, sizeof(path));
	if (ret)
		return ret;
	ret = sysctl_read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (end == buf || errno || (*end && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

int sysctl_change_undo(const struct sysctl_change *c)
{
	char now[sizeof(c->set) + 1];
	int ret;

	ret = sysctl_read_text(c->path, now, sizeof(now));
	if (ret < 0)
		return ret;
	/* someone else's value since flowtop wrote its own: theirs stays */
	if (!same_value(now, (size_t)ret, c->set, c->set_len))
		return 0;
	ret = sysctl_write_text(c->path, c->old, c->old_len);
	return ret ? ret : 1;
}
