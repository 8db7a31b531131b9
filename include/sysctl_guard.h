/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The restore helper: a small process forked at start-up that outlives
 * flowtop and undoes the system settings flowtop changed when flowtop's
 * process ends without doing it itself (SIGKILL, the OOM killer).
 *
 * flowtop holds the only end of a socket pair; the helper holds the other
 * and reads from it. Each change is announced before it is made, and
 * forgotten once flowtop undid it. When flowtop's process is gone, its end
 * is closed by the kernel, the helper reads end-of-file and undoes what
 * is still announced (only where the setting still holds flowtop's value:
 * sysctl_change_undo). A pipe or socket reaches end-of-file when the last
 * holder exits, whichever thread ends last; PR_SET_PDEATHSIG would fire
 * when the thread that forked the helper ends, not the process.
 *
 * The helper runs in flowtop's network namespace (the sysctls under
 * net.netfilter are per namespace) as the user flowtop runs as after
 * start-up, with CAP_NET_ADMIN only: what writing a network sysctl takes.
 * It writes nothing but settings under /proc/sys/net. It leaves flowtop's
 * process group and session and ignores the signals that end flowtop (a
 * Ctrl-C in the terminal must not reach it first).
 */
#ifndef FLOWTOP_SYSCTL_GUARD_H
#define FLOWTOP_SYSCTL_GUARD_H

#include <stddef.h>
#include <sys/types.h>

#include "sysctl.h"

/* The helper's process name (comm), at most 15 characters. */
#define SYSCTL_GUARD_NAME "flowtop-restore"

/*
 * Forks the helper and waits until it runs with its reduced privileges,
 * as uid/gid if uid is not (uid_t)-1 (flowtop's --user), else as
 * flowtop's user. Call it before the first sysctl_set_saved and before
 * any thread starts. 0, or a negative errno with a message in err.
 */
int sysctl_guard_start(uid_t uid, gid_t gid, char *err, size_t errlen);

/* The helper's pid, or 0 if none runs. */
pid_t sysctl_guard_pid(void);

/*
 * Tells the helper about change number idx (< SYSCTL_MAX_CHANGES), or
 * that flowtop undid it itself. No-ops without a helper.
 * Async-signal-safe. 0 or a negative errno.
 */
int sysctl_guard_announce(int idx, const struct sysctl_change *c);
int sysctl_guard_forget(int idx);

/*
 * Normal end: closes flowtop's end (the helper undoes what is still
 * announced, normally nothing) and reaps the helper.
 */
void sysctl_guard_stop(void);

#endif
