// SPDX-License-Identifier: GPL-2.0
/* Reading and temporarily changing /proc/sys settings. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"

#define SYSCTL_ROOT "/proc/sys/"
#define MAX_SAVED 8

struct saved_setting {
	char path[160];
	char old[32];		/* the value as read, written back verbatim */
	size_t old_len;
	volatile sig_atomic_t pending;
};

static struct saved_setting saved[MAX_SAVED];
static volatile sig_atomic_t nsaved;

static int sysctl_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, SYSCTL_ROOT "%s", name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_text(const char *path, char *buf, size_t len)
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

/* Only async-signal-safe calls: used by sysctl_restore_all. */
static int write_text(const char *path, const char *buf, size_t len)
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

int sysctl_read_u64(const char *name, uint64_t *out)
{
	char path[160], buf[64], *end;
	unsigned long long v;
	int ret;

	ret = sysctl_path(name, path, sizeof(path));
	if (ret)
		return ret;
	ret = read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (end == buf || errno || (*end && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

int sysctl_set_saved(const char *name, uint64_t value)
{
	struct saved_setting *s;
	char path[160], old[32], val[32];
	uint64_t cur;
	int ret, n;

	ret = sysctl_read_u64(name, &cur);
	if (ret)
		return ret;
	if (cur == value)
		return 0;
	if (nsaved >= MAX_SAVED)
		return -ENOSPC;
	ret = sysctl_path(name, path, sizeof(path));
	if (ret)
		return ret;
	ret = read_text(path, old, sizeof(old));
	if (ret < 0)
		return ret;

	s = &saved[nsaved];
	snprintf(s->path, sizeof(s->path), "%s", path);
	memcpy(s->old, old, (size_t)ret);
	s->old_len = (size_t)ret;
	/* record before writing: a signal in between must still restore */
	s->pending = 1;
	nsaved++;

	n = snprintf(val, sizeof(val), "%" PRIu64 "\n", value);
	ret = write_text(path, val, (size_t)n);
	if (ret) {
		s->pending = 0;
		nsaved--;
	}
	return ret;
}

void sysctl_restore_all(void)
{
	int saved_errno = errno;

	for (int i = nsaved - 1; i >= 0; i--) {
		if (!saved[i].pending)
			continue;
		saved[i].pending = 0;
		write_text(saved[i].path, saved[i].old, saved[i].old_len);
	}
	errno = saved_errno;
}
