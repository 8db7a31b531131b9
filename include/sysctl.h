/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System settings flowtop changes for its run, and their restoration.
 * Restoring is async-signal-safe and idempotent so that it can run from the
 * normal cleanup, an atexit handler and a fatal-signal handler alike; the
 * restore helper (sysctl_guard.h) does the same when flowtop is killed.
 */
#ifndef FLOWTOP_SYSCTL_H
#define FLOWTOP_SYSCTL_H

#include <stddef.h>
#include <stdint.h>

/* At most this many settings changed in one run. */
#define SYSCTL_MAX_CHANGES 8

/* One change made: where, the value found there and the value written. */
struct sysctl_change {
	char path[160];		/* absolute, under /proc/sys */
	char old[32];		/* as read, written back verbatim */
	char set[32];		/* as written */
	uint8_t old_len, set_len;
};

/* "/proc/sys/" name into buf; 0 or -ENAMETOOLONG */
int sysctl_path(const char *name, char *buf, size_t len);

/*
 * A whole small file read into buf (NUL-terminated; its length) or written
 * from buf (0); a negative errno. Async-signal-safe.
 */
int sysctl_read_text(const char *path, char *buf, size_t len);
int sysctl_write_text(const char *path, const char *buf, size_t len);

/* name is relative to /proc/sys, with slashes: "net/netfilter/nf_conntrack_acct" */
int sysctl_read_u64(const char *name, uint64_t *out);

/*
 * Sets name to value unless it already has it, remembering the old value
 * for sysctl_restore_all (and telling the restore helper first, if one
 * runs). 0 or a negative errno.
 */
int sysctl_set_saved(const char *name, uint64_t value);

/*
 * Writes c->old back to c->path if the setting still holds c->set (the
 * value flowtop wrote): a value someone else set meanwhile stays. 1 if
 * written back, 0 if left alone, or a negative errno. Async-signal-safe.
 */
int sysctl_change_undo(const struct sysctl_change *c);

/* Undoes every remembered change (once). Async-signal-safe. */
void sysctl_restore_all(void);

#endif
