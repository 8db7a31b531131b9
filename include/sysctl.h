/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System settings flowtop changes for its run, and their restoration.
 * Restoring is async-signal-safe and idempotent so that it can run from the
 * normal cleanup, an atexit handler and a fatal-signal handler alike.
 */
#ifndef FLOWTOP_SYSCTL_H
#define FLOWTOP_SYSCTL_H

#include <stdint.h>

/* name is relative to /proc/sys, with slashes: "net/netfilter/nf_conntrack_acct" */
int sysctl_read_u64(const char *name, uint64_t *out);

/*
 * Sets name to value unless it already has it, remembering the old value
 * for sysctl_restore_all. 0 or a negative errno.
 */
int sysctl_set_saved(const char *name, uint64_t value);

/* Writes back every remembered value (once). Async-signal-safe. */
void sysctl_restore_all(void);

#endif
