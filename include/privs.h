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
 *   CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, those held at start, when
 *                  there is no --user: the owning process of a flow is found
 *                  by reading the /proc/PID/fd links. Opening another
 *                  user's /proc/PID/fd (mode 0500) takes CAP_DAC_READ_SEARCH;
 *                  reading a link takes the target's uid and every one of
 *                  its capabilities, or CAP_SYS_PTRACE (ptrace_may_access,
 *                  cap_ptrace_access_check): without it not even root's
 *                  daemons would be named. They add little to a process
 *                  that stays uid 0 (which may rewrite any root-owned file
 *                  anyway); with --user they would undo the switch (any
 *                  process could be taken over), so --user drops them and
 *                  names only that user's processes.
 *   CAP_BPF        only on kernels before 6.5 with a BPF backend and
 *                  kernel.unprivileged_bpf_disabled set: there every bpf()
 *                  command, map reads on an open fd included, needed it
 *                  (CAP_SYS_ADMIN where CAP_BPF is missing, before 5.8).
 * Everything else goes: CAP_PERFMON, CAP_SYS_ADMIN, CAP_SETPCAP, ...
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
	uint64_t keep_proc;	/* CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH bits */
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
uint64_t privs_kept(const struct privs *p, bool bpf);

/*
 * Drops to privs_kept(p, bpf) in every set, sets no_new_privs, switches to
 * p's user (with its groups) if asked, then checks the result. 0 or a
 * negative errno with a message in err: the caller must stop then.
 */
int privs_drop(const struct privs *p, bool bpf, char *err, size_t errlen);

/*
 * Makes the capability state prepared in libcap-ng (capng_clear and
 * capng_update, the bounding set already applied) the process's: switches
 * to uid/gid keeping those capabilities (uid (uid_t)-1: no switch; the
 * user's supplementary groups when user_groups, none otherwise) or applies
 * them as they are, clears the ambient set and sets no_new_privs. Shared
 * by privs_drop and the sysctl guard's helper process. 0 or a negative
 * errno with a message in err.
 */
int privs_commit(uid_t uid, gid_t gid, bool user_groups, char *err,
		 size_t errlen);

/* "cap_net_admin" / "cap_net_admin, cap_bpf": for messages */
void privs_format(uint64_t caps, char *buf, size_t len);

#endif
