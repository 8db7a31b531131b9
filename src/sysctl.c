// SPDX-License-Identifier: GPL-2.0
/* Reading and temporarily changing /proc/sys settings. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"
#include "sysctl_guard.h"

#define SYSCTL_ROOT "/proc/sys/"

struct saved_setting {
	struct sysctl_change change;
	volatile sig_atomic_t pending;
};

static struct saved_setting saved[SYSCTL_MAX_CHANGES];
static volatile sig_atomic_t nsaved;

static int sysctl_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, SYSCTL_ROOT "%s", name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Only async-signal-safe calls: used by sysctl_change_undo. */
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

/* Only async-signal-safe calls: used by sysctl_change_undo. */
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

int sysctl_change_undo(const struct sysctl_change *c)
{
	char now[sizeof(c->set) + 1];
	int ret;

	ret = read_text(c->path, now, sizeof(now));
	if (ret < 0)
		return ret;
	/* someone else's value since flowtop wrote its own: theirs stays */
	if (!same_value(now, (size_t)ret, c->set, c->set_len))
		return 0;
	ret = write_text(c->path, c->old, c->old_len);
	return ret ? ret : 1;
}

int sysctl_set_saved(const char *name, uint64_t value)
{
	struct saved_setting *s;
	struct sysctl_change *c;
	char path[160], old[sizeof(c->old)];
	uint64_t cur;
	int ret, n, idx;

	ret = sysctl_read_u64(name, &cur);
	if (ret)
		return ret;
	if (cur == value)
		return 0;
	if (nsaved >= SYSCTL_MAX_CHANGES)
		return -ENOSPC;
	ret = sysctl_path(name, path, sizeof(path));
	if (ret)
		return ret;
	ret = read_text(path, old, sizeof(old));
	if (ret < 0)
		return ret;

	idx = nsaved;
	s = &saved[idx];
	c = &s->change;
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	memcpy(c->old, old, (size_t)ret);
	c->old_len = (uint8_t)ret;
	n = snprintf(c->set, sizeof(c->set), "%" PRIu64 "\n", value);
	c->set_len = (uint8_t)n;
	/*
	 * Recorded, here and in the restore helper, before writing: a signal
	 * or a SIGKILL in between must still restore. Without the helper
	 * (it could not start, or was killed) the other exits still do.
	 */
	s->pending = 1;
	nsaved++;
	sysctl_guard_announce(idx, c);

	ret = write_text(path, c->set, c->set_len);
	if (ret) {
		sysctl_guard_forget(idx);
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
		/* a failed write is left to the helper to try again */
		if (sysctl_change_undo(&saved[i].change) >= 0)
			sysctl_guard_forget(i);
	}
	errno = saved_errno;
}
