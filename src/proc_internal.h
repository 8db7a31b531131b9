/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What proc's parts share (see proc.h): the lookup state, the socket
 * table that proc_sock.c fills from sock_diag, the inode → pid cache that
 * proc_fd.c keeps from /proc/PID/fd, and proc.c's flow cache and worker.
 */
#ifndef FLOWTOP_PROC_INTERNAL_H
#define FLOWTOP_PROC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc.h"

#define CACHE_BUCKETS 16384
#define SOCK_BUCKETS 65536
#define INODE_BUCKETS 65536

/* ------------------------------------------------------------- flow cache */

struct pentry {
	struct pentry *next;
	struct flow_key key;
	bool queued;
	bool done;
	double expires;
	struct proc_info info;
};

struct preq {
	struct flow_key key, reply;
};

/* ----------------------------------------------------------- socket table */

struct tuple {
	uint8_t proto, family;
	uint16_t lport, rport;	/* host order */
	uint8_t l[16], r[16];
};

struct sock_ent {
	struct tuple t;
	uint32_t uid;
	unsigned long inode;
	int next;		/* index, -1 = end */
};

struct inode_ent {
	struct inode_ent *next;
	unsigned long inode;
	pid_t pid;
	int fd;
};

struct proc_lookup {
	pthread_mutex_t lock;		/* cache + queue */
	struct pentry *cache[CACHE_BUCKETS];
	size_t entries;
	struct preq queue[PROC_QUEUE_MAX];
	size_t q_len;
	double last_sweep;

	/* worker only */
	int wake_fd;
	atomic_int notify_fd;		/* written after each batch, -1: none */
	atomic_bool stop;
	pthread_t thread;
	int diag_fd;
	struct sock_ent *socks;
	size_t nsocks, socks_cap;
	int *sock_heads;		/* SOCK_BUCKETS */
	struct inode_ent *inodes[INODE_BUCKETS];
	size_t ninodes;
	double last_scan;
};


static inline uint32_t proc_fnv(const void *p, size_t n, uint32_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}


/* proc_sock.c: dumps the sockets of the protocols reqs need (at most
 * PROC_MIN_PERIOD apart is proc.c's business); 0 or -errno */
int proc_refresh_socks(struct proc_lookup *p, const struct preq *reqs,
		       size_t n);
/* the socket owning a flow's local end, or NULL */
const struct sock_ent *proc_sock_of(const struct proc_lookup *p,
				    const struct preq *r);

/* proc_fd.c: the inode cache, and the /proc scan that fills it */
struct inode_ent **proc_inode_slot(struct proc_lookup *p, unsigned long ino);
void proc_inode_drop(struct proc_lookup *p, unsigned long ino);
bool proc_inode_valid(const struct inode_ent *e);
void proc_scan(struct proc_lookup *p, const unsigned long *wanted, size_t n);
bool proc_describe(pid_t pid, struct proc_info *out);

#endif
