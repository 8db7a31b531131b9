/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared vocabulary at the bottom of the module graph: names of protocols,
 * conntrack states and counter backends, addresses and endpoints as text,
 * predicates on protocols. Uses no other flowtop module, so anything may
 * use it (as iproute2 keeps lib/utils.c apart from ss.c).
 */
#ifndef FLOWTOP_NAMES_H
#define FLOWTOP_NAMES_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_key.h"

struct flow;

/* "tcp", "udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "gre", or the number. */
const char *proto_name(uint8_t proto, char *buf, size_t len);

/* Conntrack state name ("ESTABLISHED", …) or NULL if the protocol has none. */
const char *flow_state_name(uint8_t proto, uint8_t state);

/* Numeric address of family from a flow_key address field. */
const char *format_addr(uint8_t family, const uint32_t addr[4], char *buf,
			size_t len);

/*
 * What NAT did to a flow, read from its reply tuple (the original tuple
 * turned around when nothing was translated): the source was rewritten
 * (SNAT, masquerade) when the reply goes to another address or port than
 * the original came from; the destination (DNAT, REDIRECT) when the reply
 * comes from another address or port than the original went to. ICMP has
 * no ports: only addresses count. A flow with an unknown reply tuple
 * (family 0) is not NAT'd.
 */
#define FLOW_NAT_SRC 0x1	/* translated source: reply dst, reply dport */
#define FLOW_NAT_DST 0x2	/* translated destination: reply src, reply sport */
unsigned int flow_nat(const struct flow *f);

/*
 * An end of a tuple as text: "192.0.2.2:22", "[2001:db8::2]:22", or the
 * address alone for ICMP. dst picks which end of k. Returns buf; "?" for
 * an unknown family.
 */
const char *format_endpoint(const struct flow_key *k, bool dst, char *buf,
			    size_t len);

/*
 * The translated side of f as format_endpoint writes it: the address and
 * port its source was rewritten to (side FLOW_NAT_SRC) or its destination
 * was sent on to (FLOW_NAT_DST). NULL when that side was not translated.
 */
const char *flow_nat_endpoint(const struct flow *f, unsigned int side,
			      char *buf, size_t len);

/* Longest format_endpoint text: "[" IPv6 "]:" port */
#define ENDPOINT_STRLEN (INET6_ADDRSTRLEN + 8)

/* TCP, UDP, UDP-Lite, SCTP and DCCP: the protocols whose tuples have ports */
bool proto_has_ports(uint8_t proto);

enum acct_kind {
	ACCT_AUTO = 0,
	ACCT_NETFILTER,	/* BPF_PROG_TYPE_NETFILTER after conntrack (Linux >= 6.4) */
	ACCT_FENTRY,	/* fentry/nf_ct_acct_add (Linux >= 5.7 with BTF) */
	ACCT_KPROBE,	/* kprobe/nf_ct_acct_add (CONFIG_KPROBES) */
	ACCT_CONNTRACK,	/* no BPF: the kernel's nf_conntrack_acct counters */
};

/*
 * fentry/kprobe see nf_ct_acct_add(ct, dir, packets, bytes), the kernel's
 * own accounting call: it is made for every accounted packet whether or not
 * nf_conntrack_acct is on (the function itself checks for the acct
 * extension), so these backends count right without the sysctl. main.c
 * enables it for them anyway, like for conntrack, so that `conntrack -L`
 * shows the same numbers for comparison.
 */
const char *acct_kind_name(enum acct_kind kind);
/* 0 and *kind set, or -EINVAL for an unknown name */
int acct_kind_parse(const char *name, enum acct_kind *kind);

/*
 * Where the BPF program keeps the counters (--counter-map):
 *
 * ACCT_LAYOUT_SLOTS (default): each flow gets a slot in two arrays that
 *   flowtop maps into its memory (key per slot, counters per slot, shared
 *   by all CPUs, atomic adds); a hash key -> slot serves the BPF side. A
 *   read is a scan of memory, no system call per flow, and reports only
 *   the slots whose counters moved since the previous read. Destroyed
 *   flows' slots are reused after a quarantine of at least one read.
 * ACCT_LAYOUT_LRU: a per-CPU LRU hash key -> counters read whole with
 *   batch lookups every interval; its cost grows with flows × CPUs, but it
 *   never refuses a new flow (it evicts the least recently used instead).
 */
enum acct_layout {
	ACCT_LAYOUT_SLOTS = 0,
	ACCT_LAYOUT_LRU,
};

const char *acct_layout_name(enum acct_layout layout);
/* 0 and *layout set, or -EINVAL for an unknown name ("slots", "lru") */
int acct_layout_parse(const char *name, enum acct_layout *layout);

#endif
