/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Conntrack netlink: one dump at start, then NEW/UPDATE/DESTROY events,
 * a full resync after ENOBUFS. Feeds the flow table; only the collector
 * thread calls into it.
 */
#ifndef FLOWTOP_CT_H
#define FLOWTOP_CT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "flowtab.h"

struct ct_entry;

struct ct_config {
	unsigned int sel;	/* SEL_* selection (filter.h) */
	int rcvbuf;		/* event socket receive buffer in bytes, 0: default */
	bool counters;		/* take the kernel's counters (conntrack backend) */
	uint64_t counting_since_ns;	/* see struct ct_apply_ctx */
	/*
	 * Give up a dump (-EINTR) as soon as one of these signals is
	 * pending: a dump of a million flows takes seconds, and Ctrl-C must
	 * not wait for it. NULL: dumps always finish.
	 */
	const sigset_t *abort_signals;
};

struct ct_stats {
	uint64_t events;	/* events handled */
	uint64_t lost_events;	/* events the kernel dropped (socket overruns) */
	uint64_t enobufs;	/* ENOBUFS errors seen */
	uint64_t resyncs;	/* full dumps done after ENOBUFS */
	uint64_t refreshes;	/* full dumps done to find silent ends */
	uint64_t gets;		/* GET requests sent (ct_check_entries) */
	uint64_t new_flows;	/* flows added (dump or event) */
	uint64_t destroyed_flows;
};

/* What the collector wants to hear about while events are applied. */
struct ct_hooks {
	/* f got a DESTROY; it stays in the table, marked, until reaped */
	void (*destroyed)(struct flow_rec *f, void *arg);
	/* a new connection took the tuple of f, whose counters must restart */
	void (*reused)(struct flow_rec *f, void *arg);
	/* the kernel's counters k of f, from a dump line or a DESTROY
	 * (destroy), to be given to kcount_settle after the next read */
	void (*kernel_counters)(struct flow_rec *f, bool destroy,
				const struct flow_counters *k, void *arg);
	/* f became offloaded (flowtable): its counters must come from the
	 * kernel (ct_get_counters) */
	void (*offloaded)(struct flow_rec *f, void *arg);
	/* a dump listed f, which no event ever named (its end will not be
	 * reported), with timeout_s seconds left before the kernel drops it
	 * unless a packet comes */
	void (*silent_timeout)(struct flow_rec *f, uint32_t timeout_s, void *arg);
	/* optional: an event of key hash (flow_key_hash) is about to be
	 * applied, a DESTROY (destroy) or one that may restart its flow:
	 * what its hooks will look at may be asked for, in two stages */
	void (*prefetch)(uint64_t hash, bool destroy, int stage, void *arg);
	void *arg;
};

struct ct_source;

/* 0 or negative errno with a one-line reason in err. */
int ct_open(struct ct_source **out, const struct ct_config *cfg,
	    char *err, size_t errlen);

/* The event socket, for poll(). */
int ct_event_fd(const struct ct_source *src);

/*
 * Full dump into tab: adds and updates listed flows, removes those not
 * listed (ghosts). With cfg.counters, also takes each flow's counters.
 */
int ct_resync(struct ct_source *src, struct flowtab *tab,
	      const struct ct_hooks *hooks);

/*
 * The same full dump, done to find connections that ended without an
 * event (see flow.events_seen); counted as a refresh, not a resync.
 */
int ct_refresh(struct ct_source *src, struct flowtab *tab,
	       const struct ct_hooks *hooks);

/*
 * Also give up a dump (-EINTR) as soon as fd is readable: the collector's
 * stop eventfd, for dumps in its thread once the main thread has taken the
 * exit signal. -1 (the default): none.
 */
void ct_set_abort_fd(struct ct_source *src, int fd);

/*
 * A dump of a large table takes seconds, longer under load; the collector's
 * interval must not stretch with it. Between chunks of a resync dump (not
 * the first dump, whose snapshot is a whole table, nor a refresh), when
 * due(arg) says so, run(arg) is called with the table consistent (between
 * two messages) but the dump unfinished: flows not listed yet are as they
 * were, ghosts still there. run must not send conntrack requests (the dump
 * socket is busy) nor take events. An error it returns ends the dump with
 * that error, once the dump is read out.
 */
struct ct_yield {
	bool (*due)(void *arg);
	int (*run)(void *arg);
	void *arg;
};

void ct_set_yield(struct ct_source *src, const struct ct_yield *y);

/*
 * Applies every pending event without blocking. On ENOBUFS it discards
 * what is queued, counts it and resyncs. 0 or negative errno.
 */
int ct_process_events(struct ct_source *src, struct flowtab *tab,
		      const struct ct_hooks *hooks);

/*
 * The same, except that a loss it finds is only noted: the resync (a dump
 * that may take seconds) is left to the next ct_process_events, which
 * ct_resync_pending says is due even if no event is waiting. For taking
 * the events queued up to a moment (the collector's counter read) without
 * putting that moment off by a dump.
 */
int ct_take_waiting_events(struct ct_source *src, struct flowtab *tab,
			   const struct ct_hooks *hooks);
bool ct_resync_pending(const struct ct_source *src);

/*
 * Whether ct_process_events has work even if the event socket is quiet: a
 * resync due, or events a dump read from the socket (a dump of a large
 * table takes seconds, and the socket would overflow meanwhile) and that
 * wait to be applied.
 */
bool ct_events_pending(const struct ct_source *src);

/*
 * Moves what the event socket holds into the stash, applied by the next
 * ct_process_events or ct_take_waiting_events before anything newer. For
 * long work between them (a counter read and a snapshot of a million
 * flows take longer than the socket holds 40k events/s for). A loss found
 * is noted as in ct_take_waiting_events.
 */
void ct_stash_events(struct ct_source *src);

/*
 * Conntrack backend: dumps the table and calls fn with every listed flow
 * that has the kernel's cumulative counters (e->has_counters; same
 * contract as acct_read), its timeout too.
 */
int ct_read_counters(struct ct_source *src,
		     void (*fn)(const struct ct_entry *e, void *arg),
		     void *arg);

/*
 * Asks the kernel about each of the n connections keys (original tuple +
 * zone) with GET requests, many per system call, on the dump socket: the
 * way to read a few flows' counters without a dump. fn gets every answer
 * (e->has_counters false: the kernel keeps no counters for it); a
 * connection that is gone gets no call. 0 or a negative errno.
 */
int ct_get_entries(struct ct_source *src, const struct flow_key *keys,
		   size_t n, void (*fn)(const struct ct_entry *e, void *arg),
		   void *arg);

/*
 * The same, telling also which connections are gone: fn gets the answer
 * for keys[i] with i, or NULL and i when the kernel has no such
 * connection (ENOENT). Keys not asked about (family or protocol flowtop
 * does not show) and other errors get no call.
 */
int ct_check_entries(struct ct_source *src, const struct flow_key *keys,
		     size_t n,
		     void (*fn)(const struct ct_entry *e, size_t i, void *arg),
		     void *arg);

void ct_get_stats(const struct ct_source *src, struct ct_stats *st);

void ct_close(struct ct_source *src);

#endif
