// SPDX-License-Identifier: GPL-2.0
/* The restore helper process (see sysctl_guard.h). */
#include "sysctl_guard.h"

#include "privs.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* How long start-up waits for the helper to say it runs. */
#define GUARD_START_MS 5000
/* How long a normal end waits for the helper to exit. */
#define GUARD_STOP_MS 2000

enum guard_op {
	GUARD_ANNOUNCE = 1,	/* about to make this change */
	GUARD_FORGET = 2,	/* undone by flowtop (or never made) */
};

struct guard_msg {
	uint32_t op;
	uint32_t idx;
	struct sysctl_change change;
};

static int guard_fd = -1;
static pid_t guard_pid;

static void setmsg(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void setmsg(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ---- the helper's side --------------------------------------------------- */

/* "net.netfilter.nf_conntrack_timestamp" for the path of the change. */
static void setting_name(const struct sysctl_change *c, char *buf, size_t len)
{
	const char *p = c->path;

	if (!strncmp(p, "/proc/sys/", 10))
		p += 10;
	snprintf(buf, len, "%s", p);
	for (char *q = buf; *q; q++)
		if (*q == '/')
			*q = '.';
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;	/* nobody to tell */
}

/*
 * A message from flowtop that the helper can act on safely: network
 * settings only (all flowtop changes), which CAP_NET_ADMIN may write
 * anyway, so a compromised flowtop gains nothing through the helper.
 */
static bool valid_msg(const struct guard_msg *m)
{
	const struct sysctl_change *c = &m->change;

	if (m->idx >= SYSCTL_MAX_CHANGES)
		return false;
	if (m->op == GUARD_FORGET)
		return true;
	return m->op == GUARD_ANNOUNCE &&
	       memchr(c->path, '\0', sizeof(c->path)) &&
	       !strncmp(c->path, "/proc/sys/net/", 14) &&
	       !strstr(c->path, "..") &&
	       c->old_len <= sizeof(c->old) && c->set_len <= sizeof(c->set);
}

/*
 * Signals: ignore the ones that end flowtop (the helper must outlive it,
 * and leaves by end-of-file), default for the rest, none blocked.
 */
static void helper_signals(void)
{
	static const int ignored[] = {
		SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2,
		SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM, SIGWINCH,
	};
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Descriptors: only the socket (moved to 3) and standard error, where a
 * restore is reported; standard input and output go to /dev/null so that
 * the helper does not hold a pipe or terminal flowtop was given.
 */
static int helper_fds(int sock)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return -errno;
	if (dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
		return -errno;
	if (null > STDERR_FILENO)
		close(null);
	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			return -errno;
		close(sock);
	}
	if (syscall(SYS_close_range, 4U, ~0U, 0U)) {
		long max = sysconf(_SC_OPEN_MAX);

		for (long fd = 4; fd < (max > 0 ? max : 1024); fd++)
			close((int)fd);
	}
	return 3;
}

/*
 * CAP_NET_ADMIN only (writing a network sysctl of the namespace needs it,
 * or root's uid), nothing inheritable or ambient, no_new_privs, and the
 * user flowtop becomes (--user) if any: no more than flowtop keeps. The
 * bounding set is emptied too where CAP_SETPCAP allows.
 */
static int helper_privs(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	bool net_admin, setpcap;

	if (capng_get_caps_process()) {
		setmsg(err, errlen, "cannot read its capabilities");
		return -EPERM;
	}
	net_admin = capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_BOTH);
	if (net_admin &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
			 CAPNG_BOUNDING_SET, CAP_NET_ADMIN)) {
		setmsg(err, errlen, "libcap-ng refused CAP_NET_ADMIN");
		return -EINVAL;
	}
	if (setpcap && capng_apply(CAPNG_SELECT_BOUNDS)) {
		setmsg(err, errlen, "cannot empty its bounding set: %s",
		       strerror(errno));
		return -EPERM;
	}
	return privs_commit(uid, gid, false, err, errlen);
}

/* Undoes what flowtop announced and did not undo itself, newest first. */
static void helper_undo(const struct sysctl_change *held, const bool *live)
{
	char name[160];

	for (int i = SYSCTL_MAX_CHANGES - 1; i >= 0; i--) {
		int ret, len;

		if (!live[i])
			continue;
		setting_name(&held[i], name, sizeof(name));
		ret = sysctl_change_undo(&held[i]);
		len = (int)strcspn(held[i].old, "\n");
		if (ret == 1)
			say(SYSCTL_GUARD_NAME ": flowtop ended without "
			    "restoring %s: set back to %.*s", name, len,
			    held[i].old);
		else if (ret == 0)
			say(SYSCTL_GUARD_NAME ": flowtop ended without "
			    "restoring %s, which someone else has changed "
			    "since: left as it is", name);
		else
			say(SYSCTL_GUARD_NAME ": cannot restore %s to %.*s "
			    "after flowtop ended: %s", name, len, held[i].old,
			    strerror(-ret));
	}
}

static void __attribute__((noreturn)) helper_main(int sock, uid_t uid,
						  gid_t gid)
{
	struct sysctl_change held[SYSCTL_MAX_CHANGES];
	bool live[SYSCTL_MAX_CHANGES] = { false };
	char err[256] = "";
	int ret;

	/* the OOM killer must pick flowtop, not its guard (needs
	 * CAP_SYS_RESOURCE, still held here; best effort) */
	ret = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (ret >= 0) {
		if (write(ret, "-1000", 5) < 0)
			errno = 0;	/* not allowed: keep the inherited score */
		close(ret);
	}
	prctl(PR_SET_NAME, SYSCTL_GUARD_NAME, 0, 0, 0);
	setsid();	/* out of flowtop's process group and terminal */
	helper_signals();
	sock = helper_fds(sock);
	if (sock < 0) {
		setmsg(err, sizeof(err), "cannot set up its descriptors: %s",
		       strerror(-sock));
		sock = 3;
	} else {
		helper_privs(uid, gid, err, sizeof(err));
	}
	/* an empty string: ready; otherwise what went wrong */
	if (send(sock, err, strlen(err) + 1, MSG_NOSIGNAL) < 0 || err[0])
		_exit(1);

	for (;;) {
		struct guard_msg m;
		ssize_t n = recv(sock, &m, sizeof(m), 0);

		if (n == 0)
			break;	/* flowtop's process has ended */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;	/* cannot happen; undo as on an end */
		}
		if ((size_t)n != sizeof(m) || !valid_msg(&m))
			continue;
		if (m.op == GUARD_ANNOUNCE) {
			held[m.idx] = m.change;
			live[m.idx] = true;
		} else {
			live[m.idx] = false;
		}
	}
	helper_undo(held, live);
	_exit(0);
}

/* ---- flowtop's side ------------------------------------------------------ */

int sysctl_guard_start(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct pollfd pfd;
	char msg[256];
	int sv[2], ret;
	ssize_t n;
	pid_t pid;

	if (guard_fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		ret = -errno;
		setmsg(err, errlen, "socketpair: %s", strerror(errno));
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		setmsg(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (pid == 0) {
		/* only flowtop may hold this end: its exit is the signal */
		close(sv[0]);
		helper_main(sv[1], uid, gid);
	}
	close(sv[1]);

	pfd.fd = sv[0];
	pfd.events = POLLIN;
	do
		ret = poll(&pfd, 1, GUARD_START_MS);
	while (ret < 0 && errno == EINTR);
	n = ret > 0 ? recv(sv[0], msg, sizeof(msg) - 1, MSG_DONTWAIT) : -1;
	if (n > 0 && msg[0] == '\0') {
		guard_fd = sv[0];
		guard_pid = pid;
		return 0;
	}
	if (n > 0) {
		msg[n] = '\0';
		setmsg(err, errlen, "%s", msg);
	} else {
		setmsg(err, errlen, ret == 0 ? "it did not start within %d s" :
		       "it ended at start-up", GUARD_START_MS / 1000);
	}
	close(sv[0]);
	if (ret != 0)
		waitpid(pid, NULL, 0);
	return -ECHILD;
}

pid_t sysctl_guard_pid(void)
{
	return guard_fd >= 0 ? guard_pid : 0;
}

static int guard_send(enum guard_op op, int idx, const struct sysctl_change *c)
{
	struct guard_msg m;

	if (guard_fd < 0)
		return 0;
	if (idx < 0 || idx >= SYSCTL_MAX_CHANGES)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.op = op;
	m.idx = (uint32_t)idx;
	if (c)
		m.change = *c;
	/* blocks only while the helper's queue is full: it reads at once */
	while (send(guard_fd, &m, sizeof(m), MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int sysctl_guard_announce(int idx, const struct sysctl_change *c)
{
	int saved_errno = errno, ret = guard_send(GUARD_ANNOUNCE, idx, c);

	errno = saved_errno;
	return ret;
}

int sysctl_guard_forget(int idx)
{
	int saved_errno = errno, ret = guard_send(GUARD_FORGET, idx, NULL);

	errno = saved_errno;
	return ret;
}

void sysctl_guard_stop(void)
{
	struct pollfd pfd = { .fd = guard_fd, .events = POLLIN };
	int ret;

	if (guard_fd < 0)
		return;
	/* end-of-file for the helper; its end closes when it exits */
	shutdown(guard_fd, SHUT_WR);
	do
		ret = poll(&pfd, 1, GUARD_STOP_MS);
	while (ret < 0 && errno == EINTR);
	close(guard_fd);
	guard_fd = -1;
	/* gone or about to be: reap it (it cannot hang once its end closed) */
	if (ret > 0)
		waitpid(guard_pid, NULL, 0);
	guard_pid = 0;
}
