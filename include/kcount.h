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
 *    brings its kernel counters K: base = K - B, with B the BPF count as
 *    of the first counter read after that dump line (per direction, never
 *    below 0). Its total is then base + the BPF count, so it is counted
 *    from the flow's start and no packet twice. A packet that passes
 *    between the dump line and that read is in B but not in K: such a
 *    packet is missed (the total is low by the traffic of that moment; an
 *    idle flow's total equals the kernel's exactly). The base is taken
 *    once; later dumps do not change it.
 *  - So is a younger flow first heard of in a dump (its NEW event lost, so
 *    BPF may have missed packets of it: its slot let go as an orphan's,
 *    or none free when it began). When B is not below K in any counter,
 *    BPF missed nothing: no base is kept, the total stays B.
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
	KCOUNT_BASE,		/* c: added to every BPF reading */
	KCOUNT_KERNEL,		/* the total is the kernel's reading (an
				 * offloaded flow): BPF readings ignored */
};

/*
 * A dump line (destroy false) or a DESTROY event (true) brought the
 * kernel's counters for f. Returns 1 when they are to be kept for
 * kcount_settle at the next read (a DESTROY's: from now on BPF readings
 * of f are ignored), 0 when they change nothing.
 */
int kcount_note(struct flowtab *tab, struct flow_rec *f, bool destroy);

/*
 * A BPF reading for f: false when it is to be ignored (the kernel's
 * counters rule), else true with f's new total in *now.
 */
bool kcount_bpf(struct flowtab *tab, struct flow_rec *f,
		const struct flow_counters *bpf, struct flow_counters *now);

/*
 * After a read, the kernel's counters k that kcount_note kept for f:
 * a dump's become f's base against the BPF count just read (f->total
 * jumps to k, no rate for the jump), a DESTROY's (final) become its total
 * with the rate of the last interval. Returns 1 when *rates has a rate
 * above zero, 0, or -ENOMEM.
 */
int kcount_settle(struct flowtab *tab, struct flow_rec *f, bool final,
		  const struct flow_counters *k, double interval_s,
		  struct flow_rates *rates);

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
