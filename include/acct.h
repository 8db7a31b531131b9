/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-flow counters: the backend choice, BPF load/attach and the
 * once-per-interval read of the counters (two layouts, below). The conntrack backend has no
 * BPF part: its counters come with the conntrack dump (see ct.h); this
 * module only records that it was chosen.
 */
#ifndef FLOWTOP_ACCT_H
#define FLOWTOP_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_key.h"
#include "names.h"

struct acct;

struct acct_stats {
	uint64_t entries;	/* flows with counters in the map at the last read */
	/*
	 * Flows that could not be given counters, cumulative. lru: keys the
	 * LRU map dropped to make room (their counts restart). slots: packets
	 * of new flows that found every slot taken and were not counted (each
	 * packet of such a flow counts once, until a slot is free).
	 * Either way: raise --max-flows.
	 */
	uint64_t evictions;
	uint64_t read_ns;	/* duration of the last acct_read */
	uint64_t reported;	/* keys passed to fn at the last read */
	uint64_t reclaimed;	/* slots: orphans (flows fn did not know) freed */
	uint64_t index_bytes;	/* slots: the key -> slot index's size, which
				 * follows the slots in use, not the most */
};

struct acct_opts {
	enum acct_kind kind;
	enum acct_layout layout;
	uint32_t max_flows;	/* flows to hold counters for; > 0 for BPF */
	/*
	 * SEL_* selection (filter.h): the BPF program counts only flows in
	 * it, so that no key is made for a flow nobody shows. 0 = every flow
	 * of any protocol (tools and tests).
	 */
	unsigned int sel;
};

/*
 * Opens the backend opts->kind with room for opts->max_flows keys.
 * ACCT_AUTO tries netfilter, fentry, kprobe, then conntrack, printing one
 * notice line per fallback on stderr. On failure returns a negative errno
 * and writes a one-line reason (what failed and what to do) into err.
 */
int acct_open(struct acct **out, const struct acct_opts *opts,
	      char *err, size_t errlen);

enum acct_kind acct_kind_of(const struct acct *acct);
enum acct_layout acct_layout_of(const struct acct *acct);

/*
 * Called by acct_read with a key and its cumulative counters (summed over
 * CPUs). Returns whether the key belongs to a flow the caller knows: the
 * slots layout frees the slot of a key that stays unknown for
 * ACCT_ORPHAN_READS reads in a row (a flow flowtop never learnt of).
 */
typedef bool (*acct_read_fn)(const struct flow_key *key,
			     const struct flow_counters *sum, void *arg);

#define ACCT_ORPHAN_READS	3

/*
 * Reads the counters once and calls fn. lru: for every key in the map.
 * slots: only for keys whose counters changed since the previous read,
 * plus keys fn did not know last time, plus a rotating 1/ACCT_RECHECK_DIV
 * of the used slots (to find flows that ended without the caller hearing
 * of it: their counters never move again); a key not reported still has
 * the counters it had. Then drops the keys queued with acct_forget (slots:
 * at most a share of a long queue per read, the rest at the next reads).
 * For the conntrack backend it does nothing and returns 0.
 */
#define ACCT_RECHECK_DIV	64

int acct_read(struct acct *acct, acct_read_fn fn, void *arg);

/*
 * acct_read with a hint: the slots layout reports keys a few at a time
 * and calls pre(key, 0, hash, arg) for each some keys before fn gets it
 * (hash: the key's flow_key_hash when the read has it, else 0), then
 * pre(key, 1, h, arg), h being what stage 0 returned, a few keys before:
 * fn's own lookups (a flow table of tens of MB) then find their memory
 * in cache. fn still gets every key in the order acct_read gives them,
 * and may ask acct_read_hint for that key's h.
 */
typedef uint64_t (*acct_prefetch_fn)(const struct flow_key *key, int stage,
				     uint64_t hint, void *arg);

int acct_read_prefetched(struct acct *acct, acct_read_fn fn,
			 acct_prefetch_fn pre, void *arg);

/*
 * From the next read on, the time (CLOCK_MONOTONIC, ns) by which a read
 * should be done with what can wait: the slots layout then stops
 * forgetting queued keys (a resync can queue half a million, ~0.2-0.6 us
 * each) and leaves the rest to the next reads. A read still forgets a
 * first batch, so that the queue drains however late reads are. 0: no
 * limit but the queue's share (the default).
 */
void acct_set_read_deadline(struct acct *acct, uint64_t mono_ns);

/*
 * In fn, during acct_read_prefetched: what pre's stage 0 returned for the
 * key fn has now (e.g. its hash, not to be computed a third time); 0 when
 * there is none (no hook, or a layout without one).
 */
uint64_t acct_read_hint(const struct acct *acct);

/*
 * The connection on key was destroyed: its entry goes after the next
 * acct_read (which takes its final counters; slots: or a later one, when
 * more are queued than a read drops). start_ns is its conntrack
 * timestamp start (CTA_TIMESTAMP_START), 0 if unknown. Every entry records
 * the connection that owns it (flow_key.h, struct flow_owner), and a new
 * connection on the same tuple restarts the entry in the BPF program. With
 * start_ns known, the delete is skipped when a newer connection already
 * owns the entry (its NEW event not yet applied), and put off by one read
 * when the owner is not confirmed yet (a new connection, or the destroyed
 * one seen only before its confirmation); with start_ns 0 it is done.
 */
int acct_forget_conn(struct acct *acct, const struct flow_key *key,
		     uint64_t start_ns);
/* acct_forget_conn with the start unknown */
int acct_forget(struct acct *acct, const struct flow_key *key);

/*
 * A new connection took key's tuple (the flow table restarted the flow):
 * cancels a queued forget of key, and makes the next read report key even
 * if its counters happen to equal the old connection's. The BPF program
 * has already restarted the counters for it (or will, at its first packet
 * here), so the entry stays. 0 or a negative errno.
 */
int acct_reused(struct acct *acct, const struct flow_key *key);

/*
 * What acct_reused (reuse) or acct_forget_conn (!reuse) of a key whose
 * flow_key_hash is hash will look at, asked for ahead of the call: stage
 * 0 the index entries, stage 1 (a while later, once they came) what they
 * lead to. A hint that changes no result; the conntrack events come in
 * batches, each a cache miss or two in tables of megabytes otherwise.
 */
void acct_prefetch(struct acct *acct, uint64_t hash, bool reuse, int stage);

/*
 * Delete key now. flowtop itself no longer needs this (see acct_reused):
 * it would also drop the new connection's first packets. For tests.
 */
int acct_forget_now(struct acct *acct, const struct flow_key *key);

void acct_get_stats(const struct acct *acct, struct acct_stats *st);

/*
 * Whether the backend's counters are the kernel's conntrack accounting
 * (counted since each flow began, read with the conntrack dump: see
 * ct_read_counters) rather than the BPF program's, counted from its load
 * and read with acct_read, which then has nothing to report. Fixed at
 * open.
 */
bool acct_kernel_counters(const struct acct *acct);

/*
 * When the kernel will end key's connection if no packet comes, and its
 * TCP state, as of the last packet the program counted (struct flow_end,
 * flow_key.h: end in whole seconds of CLOCK_MONOTONIC + 1, never 0 here).
 * Two system calls: for the few flows whose deadline came
 * (collector_silent.c), never per read. 0; -ENOENT when the program has
 * no slot for key (no packet since it was loaded) or cannot tell (the
 * jiffy's length unknown); -EOPNOTSUPP for the lru layout and the
 * conntrack backend.
 */
int acct_expires(struct acct *acct, const struct flow_key *key,
		 struct flow_end *end);

/*
 * For tests and benchmarks, with no traffic counted meanwhile: sets the
 * cumulative counters of n distinct keys as if the BPF program had counted
 * them, creating their entries as needed (lru: with no owner recorded). 0, -ENOSPC when the map is full, or
 * another negative errno. -EINVAL for the conntrack backend.
 */
int acct_set(struct acct *acct, const struct flow_key *keys,
	     const struct flow_counters *vals, uint32_t n);

/*
 * The lru layout's counter map fd (BPF_MAP_TYPE_LRU_PERCPU_HASH, struct
 * flow_key -> struct flow_lru_value per CPU), or -1 (slots layout,
 * conntrack backend). For tests and benchmarks.
 */
int acct_map_fd(const struct acct *acct);

void acct_close(struct acct *acct);

/*
 * Loads (verifier included) the program of kind without attaching it.
 * For tests and diagnostics: shows that a backend's program is valid on
 * kernels where it cannot attach. 0 or a negative errno.
 */
int acct_load_only(enum acct_kind kind, char *err, size_t errlen);

#endif
