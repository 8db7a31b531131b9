// SPDX-License-Identifier: GPL-2.0
/* Least privilege after start-up (see privs.h): libcap-ng does the work. */
#include "privs.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef CAPNG_SELECT_ALL
#define CAPNG_SELECT_ALL CAPNG_SELECT_BOTH
#endif

#define BIT(c) (1ULL << (c))

static void setmsg(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

struct capsets {
	uint64_t eff, prm, inh, bnd;
};

/* This thread's sets straight from the kernel (not libcap-ng's copy). */
static int read_caps(struct capsets *c)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	memset(c, 0, sizeof(*c));
	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	/* PR_CAPBSET_READ fails (EINVAL) past the kernel's last capability */
	for (int i = 0; i < 64; i++) {
		int r = prctl(PR_CAPBSET_READ, i, 0, 0, 0);

		if (r < 0)
			break;
		if (r)
			c->bnd |= BIT(i);
	}
	return 0;
}

void privs_format(uint64_t caps, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (int i = 0; i < 64 && off < len; i++) {
		const char *name;
		int n;

		if (!(caps & BIT(i)))
			continue;
		name = capng_capability_to_name((unsigned int)i);
		n = name ? snprintf(buf + off, len - off, "%scap_%s",
				    off ? ", " : "", name)
			 : snprintf(buf + off, len - off, "%scap_%d",
				    off ? ", " : "", i);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "none");
}

/*
 * Before Linux 6.5 __sys_bpf() refused every command, map lookups and
 * batch reads on an fd we already hold included, to callers without
 * CAP_BPF/CAP_SYS_ADMIN while kernel.unprivileged_bpf_disabled was set
 * (6.5 moved the check into map and program creation).
 */
static bool bpf_fd_ops_need_cap(void)
{
	struct utsname u;
	unsigned int maj, min;
	char buf[16] = "";
	ssize_t n;
	int fd;

	if (uname(&u) || sscanf(u.release, "%u.%u", &maj, &min) != 2)
		return true;	/* cannot tell: keep what the reads may need */
	if (maj > 6 || (maj == 6 && min >= 5))
		return false;
	fd = open("/proc/sys/kernel/unprivileged_bpf_disabled",
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return !(n > 0 && buf[0] == '0');
}

uint64_t privs_kept(const struct privs *p, bool bpf)
{
	uint64_t keep = BIT(CAP_NET_ADMIN);
	struct capsets c;

	keep |= p->keep_proc;

	if (bpf && bpf_fd_ops_need_cap()) {
		/* CAP_BPF is 5.8+; before it the reads needed CAP_SYS_ADMIN */
		if (read_caps(&c) == 0 && (c.prm & BIT(CAP_BPF)))
			keep |= BIT(CAP_BPF);
		else
			keep |= BIT(CAP_SYS_ADMIN);
	}
	return keep;
}

int privs_prepare(struct privs *p, const char *user, char *err, size_t errlen)
{
	struct capsets c;
	uint64_t need = 0;
	char names[128];
	int ret;

	memset(p, 0, sizeof(*p));
	ret = read_caps(&c);
	if (ret) {
		setmsg(err, errlen, "cannot read the process capabilities "
		       "(capget): %s", strerror(-ret));
		return ret;
	}
	if (user) {
		struct passwd pw, *res = NULL;
		char buf[4096];

		ret = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
		if (ret || !res) {
			setmsg(err, errlen, "--user %s: %s", user,
			       ret ? strerror(ret) : "no such user; create it "
			       "(e.g. adduser --system) or name another");
			return ret ? -ret : -ENOENT;
		}
		p->switch_user = true;
		p->uid = pw.pw_uid;
		p->gid = pw.pw_gid;
		snprintf(p->user, sizeof(p->user), "%s", pw.pw_name);
		if (p->uid != getuid() || p->uid != geteuid())
			need |= BIT(CAP_SETUID);
		/* initgroups always sets the groups: CAP_SETGID either way */
		need |= BIT(CAP_SETGID);
	}
	/* for naming the owning processes: see privs.h */
	if (!p->switch_user)
		p->keep_proc = c.prm & (BIT(CAP_SYS_PTRACE) |
					BIT(CAP_DAC_READ_SEARCH));
	/* emptying the bounding set needs CAP_SETPCAP, unless it is small */
	if (c.bnd & ~privs_kept(p, false) & ~BIT(CAP_BPF) & ~BIT(CAP_SYS_ADMIN))
		need |= BIT(CAP_SETPCAP);
	if ((c.prm & need) != need) {
		privs_format(need & ~c.prm, names, sizeof(names));
		setmsg(err, errlen, "dropping privileges after start-up needs "
		       "%s%s; run as root, or add %s to the file capabilities "
		       "(see CAPABILITIES in flowtop(8))", names,
		       user ? " (for --user)" : "", names);
		return -EPERM;
	}
	return 0;
}

/* Threads made so far: each holds its own copy of the capabilities. */
static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* What capng_change_id's return values mean (libcap-ng 0.8). */
static const char *change_id_step(int rc)
{
	switch (rc) {
	case -1: return "no capability state";
	case -2: return "prctl(PR_SET_KEEPCAPS, 1)";
	case -3: return "raising CAP_SETUID/CAP_SETGID";
	case -4: return "setresgid";
	case -5: return "setting the supplementary groups (initgroups)";
	case -6: return "setresuid";
	case -7: return "prctl(PR_SET_KEEPCAPS, 0)";
	case -8: return "clearing the bounding set";
	case -9: return "applying the kept capabilities";
	case -10: return "looking up the user (getpwuid)";
	default: return "an unknown step";
	}
}

int privs_commit(uid_t uid, gid_t gid, bool user_groups, char *err,
		 size_t errlen)
{
	int ret;

	if (uid != (uid_t)-1) {
		/* keeps the prepared ones across setresuid, which would clear them */
		ret = capng_change_id((int)uid, (int)gid,
				      user_groups ? CAPNG_INIT_SUPP_GRP :
						    CAPNG_DROP_SUPP_GRP);
		if (ret) {
			setmsg(err, errlen, "cannot switch to uid %u gid %u: "
			       "%s failed: %s", (unsigned int)uid,
			       (unsigned int)gid, change_id_step(ret),
			       strerror(errno));
			return -EPERM;
		}
	} else if (capng_apply(CAPNG_SELECT_CAPS)) {
		setmsg(err, errlen, "cannot drop capabilities (capset): %s",
		       strerror(errno));
		return -EPERM;
	}
	/* already empty (inheritable is), said explicitly; EINVAL before 4.3 */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL) {
		setmsg(err, errlen, "cannot clear the ambient capabilities: %s",
		       strerror(errno));
		return -errno;
	}
	/* nothing executed afterwards may gain privileges back */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		setmsg(err, errlen, "cannot set no_new_privs: %s",
		       strerror(errno));
		return -errno;
	}
	return 0;
}

/* The drop as the kernel sees it now: the expected sets, ids and flag. */
static int verify(const struct privs *p, uint64_t keep, char *err,
		  size_t errlen)
{
	struct capsets c;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	char have[256], want[128];
	int ret = read_caps(&c);

	if (ret) {
		setmsg(err, errlen, "cannot check the dropped capabilities "
		       "(capget): %s", strerror(-ret));
		return ret;
	}
	privs_format(keep, want, sizeof(want));
	if (c.eff != keep || c.prm != keep || c.inh || (c.bnd & ~keep)) {
		privs_format(c.prm | c.eff | c.inh | c.bnd, have, sizeof(have));
		setmsg(err, errlen, "capabilities not dropped as asked: "
		       "holding %s, want only %s", have, want);
		return -EPERM;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		setmsg(err, errlen, "no_new_privs is not set");
		return -EPERM;
	}
	if (p->switch_user) {
		if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg))
			return -errno;
		if (ru != p->uid || eu != p->uid || su != p->uid ||
		    rg != p->gid || eg != p->gid || sg != p->gid) {
			setmsg(err, errlen, "still uid %u/%u/%u gid %u/%u/%u "
			       "after switching to %s (%u:%u)", ru, eu, su,
			       rg, eg, sg, p->user, p->uid, p->gid);
			return -EPERM;
		}
	}
	return 0;
}

int privs_drop(const struct privs *p, bool bpf, char *err, size_t errlen)
{
	uint64_t keep = privs_kept(p, bpf);
	struct capsets c;
	int ret, n;

	n = thread_count();
	if (n < 0) {
		setmsg(err, errlen, "cannot count the threads in "
		       "/proc/self/task: %s", strerror(-n));
		return n;
	}
	if (n != 1) {
		setmsg(err, errlen, "%d threads already run: capabilities "
		       "belong to each thread, so they must be dropped before "
		       "the first thread starts (a bug in flowtop)", n);
		return -EBUSY;
	}
	ret = read_caps(&c);
	if (ret) {
		setmsg(err, errlen, "cannot read the process capabilities "
		       "(capget): %s", strerror(-ret));
		return ret;
	}
	if ((c.prm & keep) != keep) {
		char names[128];

		privs_format(keep & ~c.prm, names, sizeof(names));
		setmsg(err, errlen, "the run needs %s, which this process "
		       "does not hold", names);
		return -EPERM;
	}

	capng_clear(CAPNG_SELECT_ALL);
	for (int i = 0; i < 64; i++) {
		if (!(keep & BIT(i)))
			continue;
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				 CAPNG_BOUNDING_SET, (unsigned int)i)) {
			setmsg(err, errlen, "libcap-ng refused capability %d", i);
			return -EINVAL;
		}
	}
	/* the bounding set first: it needs CAP_SETPCAP, dropped just below */
	if ((c.bnd & ~keep) && capng_apply(CAPNG_SELECT_BOUNDS)) {
		setmsg(err, errlen, "cannot drop capabilities from the bounding "
		       "set (needs CAP_SETPCAP): %s", strerror(errno));
		return -EPERM;
	}
	ret = privs_commit(p->switch_user ? p->uid : (uid_t)-1, p->gid, true,
			   err, errlen);
	if (ret && p->switch_user && err && errlen) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		setmsg(err, errlen, "--user %s: %s", p->user, why);
	}
	if (ret)
		return ret;
	return verify(p, keep, err, errlen);
}
