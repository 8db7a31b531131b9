/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Least privilege (libcap-ng): once the privileged start-up is done,
 * flowtop keeps only the capabilities its run still needs, in every set
 * (effective, permitted, inheritable, ambient, bounding), sets
 * no_new_privs and, with --user NAME, becomes that user.
 *
 * Kept after start-up (see CAPABILITIES in flowtop(8)):
 *   CAP_NET_ADMIN  conntrack netlink checks the caller's capability on
 *                  every request, the resync and counter dumps on the
 *                  sockets opened at start included; with --user it is
 *                  also what lets flowtop write the /proc/sys/net/netfilter
 *                  settings back on exit (net_ctl_permissions).
 *   CAP_BPF        only on kernels before 6.5 with a BPF backend and
 *                  kernel.unprivileged_bpf_disabled set: there every bpf()
 *                  command, map reads on an open fd included, needed it
 *                  (CAP_SYS_ADMIN where CAP_BPF is missing, before 5.8).
 * Not kept: CAP_SYS_PTRACE (reading the /proc/PID/fd links of another
 * user's process needs it, CAP_DAC_READ_SEARCH only lists them; it would
 * let flowtop take over any process, so the owning process is named only
 * for processes of flowtop's own user), CAP_PERFMON, CAP_SYS_ADMIN, ...
 *
 * Capabilities belong to each thread and a thread starts with a copy of
 * its creator's: privs_drop must run before the first thread is started,
 * and refuses to run (-EBUSY) in a process with more than one thread.
 */
#ifndef FLOWTOP_PRIVS_H
#define FLOWTOP_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct privs {
	bool switch_user;	/* --user given */
	uid_t uid;
	gid_t gid;
	char user[64];
};

/*
 * Before anything privileged is done: resolves user (NULL = stay who we
 * are) and checks that the drop will be possible (CAP_SETPCAP for the
 * bounding set, CAP_SETUID/CAP_SETGID for --user), so that a run that
 * could not drop fails before it changed anything. 0 or a negative errno
 * with a message in err.
 */
int privs_prepare(struct privs *p, const char *user, char *err, size_t errlen);

/*
 * The capability bit mask (1 << CAP_x) kept after the drop; bpf: a BPF
 * counting backend is in use.
 */
uint64_t privs_kept(bool bpf);

/*
 * Drops to privs_kept(bpf) in every set, sets no_new_privs, switches to
 * p's user (with its groups) if asked, then checks the result. 0 or a
 * negative errno with a message in err: the caller must stop then.
 */
int privs_drop(const struct privs *p, bool bpf, char *err, size_t errlen);

/* "cap_net_admin" / "cap_net_admin, cap_bpf": for messages */
void privs_format(uint64_t caps, char *buf, size_t len);

#endif
