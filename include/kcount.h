/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own counters (CTA_COUNTERS, nf_conntrack_acct) merged with
 * the BPF program's counts, for the BPF backends. Pure table logic, unit
 * tested; the collector calls it.
 *
 * The rule. The BPF program counts a flow from the moment it was attached
 * (or the flow's first packet, if later); the kernel counts from the
 * flow's first packet, so its counters include every packet BPF counted.
 *  - A flow older than the BPF program gets a base when a dump first
 *    brings its kernel counters K: base = K - B, with B the BPF count read
 *    at the first counter read after that dump line (per direction, never
 *    below 0). Its total is then base + the BPF count, so it is counted
 *    from the flow's start and no packet twice. A packet that passes
 *    between the dump line and that read is in B but not in K: such a
 *    packet is missed (the total is low by the traffic of that moment; an
 *    idle flow's total equals the kernel's exactly). The base is taken
 *    once; later dumps do not change it.
 *  - A DESTROY that carries K makes K the flow's final total (applied at
 *    the next read, with the rate of its last interval): BPF readings of
 *    the tuple are ignored from then on, so a new connection that took
 *    the tuple (and restarted its BPF entry) before the DESTROY was
 *    applied cannot add to the old one's final record.
 *  - An offloaded flow (flowtable) is counted by the kernel only: each
 *    interval flowtop asks the kernel for its counters (kcount_kernel),
 *    and BPF readings are ignored once a kernel reading came.
 * Without kernel counters a flow older than BPF keeps BPF's counts: since
 * flowtop began counting (f->whole_life clear).
 */
#ifndef FLOWTOP_KCOUNT_H
#define FLOWTOP_KCOUNT_H

#include <stdbool.h>

#include "flowtab.h"

/* struct flow_kern.kind */
enum kcount_kind {
	KCOUNT_NONE = 0,
	KCOUNT_PENDING,		/* c: kernel counters of a dump, to be set
				 * against the BPF count at the next read */
	KCOUNT_BASE,		/* c: added to every BPF reading */
	KCOUNT_FINAL_PENDING,	/* c: DESTROY's counters, for the next read */
	KCOUNT_KERNEL,		/* the total is the kernel's: BPF ignored */
};

/*
 * A dump line (destroy false) or a DESTROY event (true) brought the
 * kernel's counters k for f. Returns 1 when f now waits for kcount_settle
 * at the next read, 0 when there was nothing to do, -ENOMEM.
 */
int kcount_note(struct flowtab *tab, struct flow_rec *f, bool destroy,
		const struct flow_counters *k);

/*
 * A BPF reading for f: false when it is to be ignored (the kernel's
 * counters rule), else true with f's new total in *now. Resolving a
 * pending base here moves f->total by the base (no rate for that jump).
 */
bool kcount_bpf(struct flowtab *tab, struct flow_rec *f,
		const struct flow_counters *bpf, struct flow_counters *now);

/*
 * After a read, for a flow kcount_note returned 1 for: takes a pending
 * base against the BPF count last read, or applies the final counters.
 * Returns whether *rates holds rates above zero (a final reading).
 */
bool kcount_settle(struct flowtab *tab, struct flow_rec *f,
		   double interval_s, struct flow_rates *rates);

/*
 * The kernel's counters k as f's reading (an offloaded flow's, asked for
 * each interval): the total becomes k. Rates from the previous kernel
 * reading; the first one gives none (the jump from BPF's handshake count
 * is not one interval's traffic). Returns 1 if a rate is above zero, 0,
 * or -ENOMEM.
 */
int kcount_kernel(struct flowtab *tab, struct flow_rec *f,
		  const struct flow_counters *k, double interval_s,
		  struct flow_rates *rates);

/* Whether f's totals come from the kernel now (BPF readings ignored). */
bool kcount_is_kernel(struct flowtab *tab, const struct flow_rec *f);

#endif
