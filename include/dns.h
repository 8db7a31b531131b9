/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Asynchronous reverse DNS: one worker thread runs c-ares; callers only
 * read a cache and queue misses. Answers are cached for their record's
 * TTL, failures (NXDOMAIN, no PTR, timeouts) for a while too, so a dead
 * server costs one query per address per negative TTL, never a wait.
 *
 * flowtop's own queries: the channel keeps one UDP socket per server open
 * (ARES_FLAG_STAYOPEN), so all its lookups share one source port and make
 * one conntrack flow per resolver instead of one per query, and that flow
 * stays attributed to flowtop by the process lookup (the socket is alive).
 * The user's DNS flows are shown like any other.
 */
#ifndef FLOWTOP_DNS_H
#define FLOWTOP_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DNS_QUEUE_MAX 1024	/* addresses waiting for a query */
#define DNS_INFLIGHT_MAX 32	/* queries on the wire at once */
#define DNS_CACHE_MAX 65536	/* addresses remembered */
#define DNS_NEG_TTL_DEFAULT 300	/* NXDOMAIN without an SOA */
#define DNS_FAIL_TTL 60		/* timeout, SERVFAIL, refused */
#define DNS_MIN_TTL 10		/* a TTL of 0 would mean a query per frame */
#define DNS_MAX_TTL 86400

enum dns_result {
	DNS_FOUND = 0,		/* name copied */
	DNS_NONE,		/* no name (negative answer cached) */
	DNS_PENDING,		/* queued or in flight: ask again later */
};

struct dns_stats {
	uint64_t queries;	/* sent */
	uint64_t answers;	/* positive */
	uint64_t negative;	/* NXDOMAIN / no PTR */
	uint64_t failures;	/* timeouts, SERVFAIL, ... */
	uint64_t dropped;	/* misses not queued: queue or cache full */
	uint64_t cache_entries;
};

struct dns;

/* Starts the worker (reads /etc/resolv.conf). 0 or -errno, reason on err. */
int dns_open(struct dns **out, FILE *err);
void dns_close(struct dns *d);

/*
 * The cached name of addr (family AF_INET/AF_INET6, network order), already
 * sanitized, into host (len bytes). A miss or an expired entry queues a
 * lookup; an expired name is still returned until the new answer is in.
 * Never blocks beyond a short cache lock; safe from any thread.
 */
enum dns_result dns_lookup(struct dns *d, int family, const void *addr,
			   char *host, size_t len);

void dns_get_stats(struct dns *d, struct dns_stats *st);

/*
 * An eventfd the worker writes to after every answer stored (names,
 * negative answers, failures), for a caller waiting on them (batch
 * mode); -1: none. Any thread.
 */
void dns_set_notify_fd(struct dns *d, int fd);

/*
 * Pure parts, unit tested: the PTR query name of an address, and an
 * answer's first PTR name (raw bytes, sanitized) with its TTL, or the
 * negative TTL of an answer without one. Return 0, or -ENOENT (no PTR;
 * *ttl is the negative TTL), or -EINVAL (malformed).
 */
int dns_ptr_name(int family, const void *addr, char *out, size_t len);
int dns_parse_ptr(const unsigned char *abuf, size_t alen, char *name,
		  size_t len, uint32_t *ttl);

#endif
