// SPDX-License-Identifier: GPL-2.0
/* Socket inode → process: /proc/PID/fd links, cached (see proc.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_internal.h"
#include "sanitize.h"

/* ----------------------------------------------------------- inode → pid */

unsigned long proc_socket_inode(const char *link)
{
	char *end;
	unsigned long v;

	if (strncmp(link, "socket:[", 8) || !isdigit((unsigned char)link[8]))
		return 0;
	errno = 0;
	v = strtoul(link + 8, &end, 10);
	if (errno || end[0] != ']' || end[1])
		return 0;
	return v;
}

struct inode_ent **proc_inode_slot(struct proc_lookup *p, unsigned long ino)
{
	struct inode_ent **pp = &p->inodes[(ino * 2654435761u) & (INODE_BUCKETS - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->inode == ino)
			return pp;
	return pp;
}

static void inode_put(struct proc_lookup *p, unsigned long ino, pid_t pid, int fd)
{
	struct inode_ent **pp = proc_inode_slot(p, ino), *e = *pp;

	if (!e) {
		if (p->ninodes >= (1u << 20))
			return;	/* a million sockets: enough memory spent */
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		e->inode = ino;
		*pp = e;
		p->ninodes++;
	}
	e->pid = pid;
	e->fd = fd;
}

void proc_inode_drop(struct proc_lookup *p, unsigned long ino)
{
	struct inode_ent **pp = proc_inode_slot(p, ino), *e = *pp;

	if (e) {
		*pp = e->next;
		free(e);
		p->ninodes--;
	}
}

/* Is fd of pid still the socket ino? (cheap check of one cache entry) */
bool proc_inode_valid(const struct inode_ent *e)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", e->pid, e->fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return proc_socket_inode(link) == e->inode;
}

static int cmp_pid_desc(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static bool wanted_has(const unsigned long *w, size_t n, unsigned long ino)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] == ino)
			return true;
	return false;
}

/*
 * Records every socket fd of every process, newest processes first (new
 * sockets mostly belong to them), until all wanted inodes were seen. A
 * process or fd that vanishes meanwhile is skipped.
 */
void proc_scan(struct proc_lookup *p, const unsigned long *wanted,
	       size_t nwanted)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t *pids = NULL;
	size_t npids = 0, cap = 0, found = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end || v <= 0)
			continue;
		if (npids == cap) {
			pid_t *n = realloc(pids, (cap = cap ? cap * 2 : 1024) * sizeof(*n));

			if (!n)
				break;
			pids = n;
		}
		pids[npids++] = (pid_t)v;
	}
	closedir(d);
	qsort(pids, npids, sizeof(*pids), cmp_pid_desc);
	for (size_t i = 0; i < npids && found < nwanted; i++) {
		char path[64];
		DIR *fdd;
		int dfd;

		snprintf(path, sizeof(path), "/proc/%d/fd", pids[i]);
		fdd = opendir(path);
		if (!fdd)
			continue;	/* exited, or a kernel thread */
		dfd = dirfd(fdd);
		while ((de = readdir(fdd))) {
			char link[64];
			unsigned long ino;
			ssize_t n;

			if (de->d_name[0] == '.')
				continue;
			n = readlinkat(dfd, de->d_name, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			ino = proc_socket_inode(link);
			if (!ino)
				continue;
			if (wanted_has(wanted, nwanted, ino) &&
			    !*proc_inode_slot(p, ino))
				found++;
			inode_put(p, ino, pids[i], atoi(de->d_name));
		}
		closedir(fdd);
	}
	free(pids);
}

/* Program name, user: false when the process is gone. */
bool proc_describe(pid_t pid, struct proc_info *out)
{
	char path[64], comm[64], pwbuf[1024];
	struct passwd pw, *res = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return false;
	if (comm[n - 1] == '\n')
		n--;
	out->pid = pid;
	sanitize_text(out->comm, sizeof(out->comm), comm, (size_t)n);
	if (getpwuid_r(st.st_uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		sanitize_str(out->user, sizeof(out->user), pw.pw_name);
	else
		snprintf(out->user, sizeof(out->user), "%u", (unsigned)st.st_uid);
	return true;
}

