// SPDX-License-Identifier: GPL-2.0
/*
 * The settings flowtop changes for its run, remembered for their
 * restoration (sysctl.h): each announced to the restore helper before it
 * is written, forgotten there once undone.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sysctl.h"
#include "sysctl_guard.h"

struct saved_setting {
	struct sysctl_change change;
	volatile sig_atomic_t pending;
};

static struct saved_setting saved[SYSCTL_MAX_CHANGES];
static volatile sig_atomic_t nsaved;

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
	ret = sysctl_read_text(path, old, sizeof(old));
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

	ret = sysctl_write_text(path, c->set, c->set_len);
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
