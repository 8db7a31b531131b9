/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process owning a flow's local socket. A worker thread dumps the
 * namespace's TCP/UDP/UDP-Lite sockets with sock_diag (inet_diag) once per
 * batch of requests, matches the flow's tuples to a socket, and maps the
 * socket's inode to a process through a cache of /proc/PID/fd links that
 * is validated entry by entry and rescanned (newest processes first,
 * stopping once everything wanted is found) only when an inode is unknown.
 *
 * Which end is local: the original source for outbound flows, the reply
 * source for inbound ones (after DNAT that is the address and port the
 * socket really has, so flows NAT'd to this host find their socket too).
 */
#ifndef FLOWTOP_PROC_H
#define FLOWTOP_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "enrich.h"
#include "flowtab.h"

#define PROC_QUEUE_MAX 4096
#define PROC_CACHE_MAX 65536
#define PROC_TTL_FOUND 10.0	/* seconds a found owner is trusted */
#define PROC_TTL_NONE 2.0	/* a flow seen before its socket was accepted */
#define PROC_MIN_PERIOD 0.2	/* at most five socket dumps a second */

struct proc_lookup;

int proc_open(struct proc_lookup **out, FILE *err);
void proc_close(struct proc_lookup *p);

/*
 * Fills *out (pid 0 when unknown) from the cache; a miss or an expired
 * entry queues the flow for the worker. Never blocks beyond a short cache
 * lock; safe from any thread. Returns true when *out is an answer (also
 * "no process" for a protocol without sockets, or p NULL), false while
 * the answer is still to come.
 */
bool proc_lookup_flow(struct proc_lookup *p, const struct flow *f,
		      struct proc_info *out);

/*
 * An eventfd the worker writes to after every batch of answers, for a
 * caller waiting on them (batch mode); -1: none. Any thread.
 */
void proc_set_notify_fd(struct proc_lookup *p, int fd);

/*
 * The socket table alone, without worker thread or sockets (the fuzzer
 * and tests use it; proc_open builds on it). proc_diag_parse adds the
 * sockets of one received sock_diag (inet_diag) dump buffer for proto
 * (IPPROTO_TCP/UDP/UDPLITE): 1 at NLMSG_DONE, 0 when more is to come, or
 * a negative errno (the kernel's NLMSG_ERROR, -ENOMEM). proc_table_inode
 * is the inode of the socket owning a flow (original and reply tuples),
 * 0 when no socket matches.
 */
struct proc_lookup *proc_table_new(void);
void proc_table_free(struct proc_lookup *p);
void proc_table_reset(struct proc_lookup *p);	/* forget every socket */
int proc_diag_parse(struct proc_lookup *p, const void *buf, size_t len,
		    uint8_t proto);
unsigned long proc_table_inode(const struct proc_lookup *p,
			       const struct flow_key *key,
			       const struct flow_key *reply);

/* Pure helper (unit tested): inode from a /proc/PID/fd link, or 0. */
unsigned long proc_socket_inode(const char *link);

#endif
