/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The layout shared by the BPF counting programs and userspace: the key is
 * the conntrack original tuple plus zone, exactly as the kernel stores it in
 * struct nf_conntrack_tuple, so that both sides build byte-identical keys.
 * Fixed-width types only; no implicit padding (BPF hashes compare raw bytes).
 */
#ifndef FLOWTOP_FLOW_KEY_H
#define FLOWTOP_FLOW_KEY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum flow_dir {
	FLOW_DIR_ORIG = 0,	/* as the connection was first seen */
	FLOW_DIR_REPLY = 1,	/* the answering direction */
	FLOW_DIR_COUNT = 2,
};

struct flow_key {
	__u32 src[4];	/* network byte order; IPv4 uses src[0], rest zero */
	__u32 dst[4];
	__u16 sport;	/* network byte order; ICMP/ICMPv6: echo id */
	__u16 dport;	/* network byte order; ICMP/ICMPv6: byte 0 type, byte 1 code */
	__u16 zone;	/* conntrack zone id */
	__u8 family;	/* AF_INET (2) or AF_INET6 (10) */
	__u8 proto;	/* IPPROTO_* */
};

struct flow_counters {
	__u64 packets[FLOW_DIR_COUNT];
	__u64 bytes[FLOW_DIR_COUNT];
};

/*
 * Which conntrack connection a counter entry belongs to. Entries are keyed
 * by tuple, and a tuple outlives its connection (conntrack -F, a timeout,
 * a client reusing its port): the BPF program restarts an entry's counters
 * from zero when a different connection shows up on it, so userspace never
 * has to delete a live key to separate two connections.
 *
 * ct alone does not tell them apart: a freed nf_conn is typically reused at
 * once for the next connection (SLAB_TYPESAFE_BY_RCU), and with the same
 * tuple. stamp adds the connection's conntrack timestamp (its start, set
 * when the connection is confirmed, with nf_conntrack_timestamp on), or,
 * without one, whether it is confirmed yet:
 *   0  not confirmed yet (the first packet(s) of a connection)
 *   1  confirmed, no timestamp
 *   >1 the start, CLOCK_REALTIME ns (as CTA_TIMESTAMP_START reports it)
 * A connection's stamp only goes up, 0 -> 1 -> start, never back.
 */
struct flow_owner {
	__u64 ct;	/* struct nf_conn address; 0: no owner recorded */
	__u64 stamp;
};

#define FLOW_STAMP_UNCONFIRMED	0
#define FLOW_STAMP_CONFIRMED	1

/*
 * The lru layout's per-CPU value. When the owner changes, the program
 * restarts this CPU's share and those of the other CPUs it can reach, so
 * the shares of one key may belong to different connections for a moment
 * (or, before Linux 5.19, until each CPU sees the new one); userspace sums
 * the shares of the connection that took or refined a share last (since:
 * bpf_ktime_get_ns() of that).
 */
struct flow_lru_value {
	struct flow_counters c;
	struct flow_owner owner;
	__u64 since;
};

/*
 * slots layout: what the program records of a slot's connection with each
 * packet (slot_expires): when the kernel will end it if no other packet
 * comes (whole seconds of CLOCK_MONOTONIC + 1; 0: not known), and its
 * TCP state then (FLOW_END_NO_STATE for the other protocols).
 */
struct flow_end {
	__u32 end;
	__u8 state;
	__u8 pad[3];
} __attribute__((aligned(8)));

#define FLOW_END_NO_STATE 0xff

/* Per-CPU statistics the BPF program keeps about itself (array, one slot). */
struct acct_bpf_stats {
	__u64 inserts;		/* new keys added to the counter map */
	__u64 insert_errors;	/* update failed (map full without LRU room) */
	__u64 skipped_related;	/* ICMP errors: not counted, as the kernel does */
	__u64 skipped_loopback;	/* passed by conntrack unaccounted: 2nd pass
				 * on lo, looped-back multicast/broadcast */
	__u64 no_room;		/* slots layout: packets of a new flow that
				 * found no free counter slot (not counted) */
	__u64 skipped_unselected; /* flows outside the -4 -6 -T -U ... selection */
	__u64 owner_changes;	/* entries restarted for a new connection */
};

#define FLOW_KEY_SIZE 40

#endif
