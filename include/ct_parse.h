/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Conntrack entry → flow fields, and the rules that apply one conntrack
 * message (dump line or event) to the flow table. No sockets here: pure
 * conversion and table logic, so it can be unit tested and fuzzed.
 */
#ifndef FLOWTOP_CT_PARSE_H
#define FLOWTOP_CT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct.h"
#include "flow_key.h"
#include "flowtab.h"

struct nlmsghdr;

/* What one conntrack message says about one connection. */
struct ct_entry {
	struct flow_key key;	/* original tuple + zone, as the kernel keeps it */
	struct flow_key reply;	/* reply tuple + zone */
	uint32_t ct_id;		/* 0 if the message had none */
	uint32_t mark;
	uint8_t state;		/* FLOW_STATE_NONE unless has_state */
	bool has_mark;		/* events omit an unchanged (or zero) mark */
	bool has_state;		/* events omit unchanged protocol info */
	bool has_counters;	/* dumps and DESTROY events with nf_conntrack_acct */
	bool has_status;	/* CTA_STATUS: dumps and every event carry it */
	uint32_t status;	/* IPS_* bits (host order) when has_status */
	uint64_t start_ns;	/* CLOCK_REALTIME ns, 0 if absent */
	uint32_t timeout_s;	/* CTA_TIMEOUT: seconds left, when has_timeout */
	bool has_timeout;	/* dumps and GET answers carry it */
	struct flow_counters counters;
	uint64_t key_hash;	/* flow_key_hash(&key) when has_hash */
	bool has_hash;		/* set by the caller (ct.c's prefetch) */
};

/*
 * Whether conntrack status bits say offloaded to a flowtable: IPS_OFFLOAD
 * (software, Linux >= 4.16) or IPS_HW_OFFLOAD (hardware, >= 5.7).
 */
static inline bool ct_status_offloaded(uint32_t status)
{
	return status & ((1u << 14) | (1u << 15));
}

/* What kind of conntrack message a netlink message is. */
enum ct_msg {
	CT_MSG_DUMP = 0,	/* one line of a dump reply */
	CT_MSG_NEW,		/* event: connection confirmed */
	CT_MSG_UPDATE,		/* event: state, mark, status … changed */
	CT_MSG_DESTROY,		/* event: connection gone */
};

/*
 * Classifies a conntrack netlink message: CT_MSG_* or a negative errno
 * (-ENOMSG: not a ctnetlink conntrack message, -EINVAL: truncated).
 * Dump replies carry NLM_F_MULTI; events say NEW with NLM_F_CREATE.
 */
int ct_msg_kind(const struct nlmsghdr *nlh);

/*
 * How many bytes from the start of a received buffer hold whole netlink
 * messages (at most INT_MAX): walk only those. libmnl 1.0.4's
 * mnl_nlmsg_ok compares nlmsg_len as a signed int, so a header claiming
 * 2 GiB or more passes it and mnl_nlmsg_next / mnl_cb_run then step
 * outside the buffer (found by fuzzing). buf must be 4-byte aligned.
 */
size_t ct_nlmsg_span(const void *buf, size_t len);

/*
 * Fills e from one ctnetlink message (event or dump line). -EAFNOSUPPORT
 * for a family other than IPv4/IPv6, -EPROTONOSUPPORT for a protocol
 * flowtop does not show, -EINVAL when the original or reply tuple is
 * incomplete or the message is malformed (an attribute flowtop uses with
 * the wrong size included). e is only meaningful when 0 is returned. Safe on arbitrary
 * bytes as long as nlh->nlmsg_len bytes are readable; never exits (reads
 * with libmnl, see ct_parse.c).
 */
int ct_entry_from_nlmsg(const struct nlmsghdr *nlh, struct ct_entry *e);

/*
 * Writes into buf (len bytes) a ctnetlink GET request for the connection
 * whose original tuple and zone are key, with sequence number seq.
 * Returns the message's length, -ENOSPC if len is too small, -EINVAL for
 * a key of a family or protocol flowtop does not show.
 */
int ct_build_get(void *buf, size_t len, const struct flow_key *key,
		 uint32_t seq);

/* Whether the selection (SEL_*) shows this entry. */
bool ct_entry_selected(const struct ct_entry *e, unsigned int sel);

/* Where an entry is applied: table, selection, hooks and counters. */
struct ct_apply_ctx {
	struct flowtab *tab;
	unsigned int sel;
	const struct ct_hooks *hooks;	/* may be NULL */
	struct ct_stats *stats;
	uint32_t gen;		/* dump generation (CT_MSG_DUMP only) */
	bool counters;		/* conntrack backend: keep DESTROY's final counters */
	uint64_t now_ns;	/* CLOCK_REALTIME, for first_seen_ns */
	/*
	 * CLOCK_REALTIME ns since when the counters count every packet
	 * (the BPF program's attach): a flow that started later is counted
	 * from its start. 0: unknown.
	 */
	uint64_t counting_since_ns;
};

/*
 * Applies one message to the table (events count in stats->events). With
 * a BPF backend (!ctx->counters), the kernel's counters a dump line or a
 * DESTROY carries go to hooks->kernel_counters where kcount_note (kcount.h)
 * says they matter; CTA_STATUS sets f->offloaded (hooks->offloaded on the
 * change to offloaded).
 * Returns 1 when the table changed, 0 when the entry was ignored (outside
 * the selection, unknown flow, stale event), -ENOMEM.
 */
int ct_apply(const struct ct_apply_ctx *ctx, enum ct_msg kind,
	     const struct ct_entry *e);

/*
 * After the dump of generation ctx->gen: flows it did not list lost their
 * DESTROY event. With a destroyed hook they are handled as that lost event
 * (marked, hook called, the collector reaps them after reading their final
 * counters); without one they are removed at once. Returns how many.
 */
size_t ct_drop_ghosts(const struct ct_apply_ctx *ctx);

/*
 * The same, calling pause(arg) every CT_GHOST_PAUSE flows walked: the walk
 * over a table of millions, each ghost handed to the hook, takes seconds
 * on a loaded machine, and a resync's caller must keep its interval
 * meanwhile (ct.h, ct_yield). A nonzero return from pause ends the walk
 * and is returned; else 0. *n (may be NULL): the ghosts found.
 */
#define CT_GHOST_PAUSE 4096
int ct_drop_ghosts_pausing(const struct ct_apply_ctx *ctx,
			   int (*pause)(void *arg), void *arg, size_t *n);

#endif
