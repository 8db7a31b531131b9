/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Grouping flows: who is using the link, by source, destination, client,
 * network prefix, country, AS, process, protocol or service port. One
 * pass over the flows that passed the filters, into an open-addressing
 * hash table keyed by the group key (grown by doubling, no allocation per
 * flow), then the rows are sorted like flows. Pure (no threads, no I/O),
 * unit tested; the view builder and the batch front end both use it.
 */
#ifndef FLOWTOP_GROUP_H
#define FLOWTOP_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "enrich.h"
#include "flowtab.h"
#include "sort.h"

enum group_kind {
	GROUP_NONE = 0,
	GROUP_SRC,	/* original source address */
	GROUP_DST,	/* original destination address */
	GROUP_HOST,	/* the client: the side that opened the flow, i.e. the
			 * original source (before any source NAT) */
	GROUP_NET,	/* source network: IPv4 by v4_prefix, IPv6 by v6_prefix */
	GROUP_COUNTRY,	/* the original destination's country (GeoIP) */
	GROUP_ASN,	/* the original destination's AS (GeoIP) */
	GROUP_PROCESS,	/* the local process owning the socket */
	GROUP_PROTO,	/* IP protocol, both families together */
	GROUP_PORT,	/* protocol + the service side's port: the original
			 * destination port (ICMP: the protocol alone) */
	GROUP_KIND_COUNT,
};

#define GROUP_V4_PREFIX_DEFAULT 24
#define GROUP_V6_PREFIX_DEFAULT 64

struct group_spec {
	enum group_kind kind;
	uint8_t v4_prefix;	/* GROUP_NET: 0-32 */
	uint8_t v6_prefix;	/* GROUP_NET: 0-128 */
};

/*
 * Parses "src", "dst", "host", "net/N", "net6/N", "net/N,net6/M" (either
 * order; the prefix not given keeps its default, /24 or /64), "country",
 * "asn", "process", "proto" or "port". 0, or -EINVAL with a message
 * naming the bad part in err.
 */
int group_spec_parse(const char *s, struct group_spec *out, char *err,
		     size_t errlen);

/* The spec as group_spec_parse reads it ("src", "net/24,net6/64"). */
const char *group_spec_name(const struct group_spec *s, char *buf, size_t len);

/* The next kind in the view's cycle (G key): src → dst → … → port → src. */
void group_spec_next(struct group_spec *s);

/* Whether the key needs the flow's enrichment (country, asn, process). */
bool group_needs_info(const struct group_spec *s);

/* A group's identity: 24 bytes, compared and hashed whole. */
struct group_key {
	uint32_t addr[4];	/* address or network (masked), network order */
	uint32_t num;		/* prefix length, port, pid or AS number */
	uint8_t family;		/* AF_INET / AF_INET6 for address keys, else 0 */
	uint8_t proto;		/* GROUP_PROTO, GROUP_PORT */
	char cc[2];		/* GROUP_COUNTRY: ISO code, "\0\0" unknown */
};

/*
 * The key of flow f under s. info may be NULL (no enrichment): country,
 * AS and process are then unknown (one group).
 */
void group_key_of(const struct group_spec *s, const struct flow *f,
		  const struct flow_info *info, struct group_key *out);
/* The same from the flow's original tuple alone. */
void group_key_from(const struct group_spec *s, const struct flow_key *k,
		    const struct flow_info *info, struct group_key *out);

_Static_assert(sizeof(struct group_key) == 24, "group_key: 3 words, no padding");

/* word w (of 3) of a key */
static inline uint64_t group_key_word(const struct group_key *k, int w)
{
	uint64_t x;

	memcpy(&x, (const char *)k + 8 * w, sizeof(x));
	return x;
}

/*
 * every field equal: the three words, as the key has no padding (each
 * loaded on its own: copies of the whole keys went through the stack)
 */
static inline bool group_key_eq(const struct group_key *a,
				const struct group_key *b)
{
	return !((group_key_word(a, 0) ^ group_key_word(b, 0)) |
		 (group_key_word(a, 1) ^ group_key_word(b, 1)) |
		 (group_key_word(a, 2) ^ group_key_word(b, 2)));
}

/*
 * The key as text: "192.0.2.7", "2001:db8::/48", "tcp/443", "udp",
 * "DE", "AS64496", "1234" (pid); "?" for unknown country, AS or process
 * ("-" would read as a value in CSV).
 */
const char *group_key_text(const struct group_spec *s,
			   const struct group_key *k, char *buf, size_t len);

/* One group: the sums of its flows (exact for the counters). */
struct group_row {
	struct group_key key;
	uint32_t flows;
	uint32_t rep;		/* the first flow's row in the input: the view
				 * and batch output read names (host, country,
				 * service, process) from it */
	struct flow_counters total;
	double pkt_rate[FLOW_DIR_COUNT];	/* per second */
	double byte_rate[FLOW_DIR_COUNT];
};

struct group_agg;

/*
 * NULL when out of memory. An aggregate keeps its tables from one pass to
 * the next (reset, or finish): fresh pages for tens of thousands of
 * groups every interval would cost more than the grouping itself.
 */
struct group_agg *group_agg_new(const struct group_spec *s);
void group_agg_free(struct group_agg *a);
/* Empties a for a new pass, grouping by s from now on. */
void group_agg_reset(struct group_agg *a, const struct group_spec *s);
const struct group_spec *group_agg_spec(const struct group_agg *a);

/*
 * Accounts flow f (row number row of the input) to its group; info as
 * for group_key_of. Flows are taken in blocks (their memory is fetched
 * ahead a block at a time); a failure may surface on a later call or in
 * group_agg_finish. 0 or -ENOMEM.
 */
int group_agg_add(struct group_agg *a, const struct flow *f,
		  const struct flow_info *info, uint32_t row);

/*
 * The same for a flow known by its original tuple and counters alone
 * (read from the table's record and a snapshot row, without assembling
 * the flow); no enrichment. 0 or -ENOMEM.
 */
int group_agg_add_tuple(struct group_agg *a, const struct flow_key *k,
			const struct flow_counters *total,
			const float pkt_rate[FLOW_DIR_COUNT],
			const float byte_rate[FLOW_DIR_COUNT], uint32_t row);

/* Groups so far. */
size_t group_agg_count(struct group_agg *a);

/*
 * Sorts the groups like flows and hands them over (*rows, *n; the caller
 * frees *rows; the aggregate is empty afterwards, ready for another pass).
 * rate, bytes and packets sort by the group's sums (most first; ties in
 * the order the groups were first seen), with a linear radix sort; every
 * other key sorts by the group key (ascending: addresses numerically, IPv4
 * before IPv6; countries by code, AS and process by number; unknown
 * last). reverse flips the order.
 * 0 or -ENOMEM.
 */
int group_agg_finish(struct group_agg *a, enum sort_key k, bool reverse,
		     struct group_row **rows, size_t *n);

#endif
