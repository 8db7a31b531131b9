// SPDX-License-Identifier: GPL-2.0
/* The collector thread: events in, counters per interval, snapshots out. */
#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "collector_silent.h"
#include "ct_parse.h"
#include "kcount.h"
#include "util.h"

/*
 * A tuple reused at once (conntrack -F, then the same client port): the
 * kernel sends the old connection's DESTROY, the new one's first packet
 * passes the BPF program, which restarts the key's entry for it (its owner
 * changed), then comes the new one's NEW. Wherever a read falls:
 *   read, DESTROY ...     the old flow's counts, as always
 *   DESTROY, read, packet the read takes the old flow's final counts, the
 *                         forget deletes the key, the packet starts anew
 *   DESTROY, packet, read, NEW
 *                         the lower reading is not taken for the destroyed
 *                         flow; the forget finds a newer owner (or an
 *                         unconfirmed one: put off a read) and keeps the key
 *   packet, read, DESTROY the old flow shows the new counts for an interval
 *                         (a restart to counter_delta); no harm to the new
 *   NEW, read             forget cancelled, flow restarted at zero, the read
 *                         reports the key even if its counts look unchanged
 * so the new flow's counts are exact in every order. Without conntrack
 * timestamps the forget cannot tell owners apart and deletes the key: in
 * the third order the new flow then loses the packets before that read.
 */
static void on_destroyed(struct flow_rec *f, void *arg)
{
	struct collector *c = arg;

	/* the key goes after the next read, which takes its final counters;
	 * the start lets it stay if a new connection already took the tuple */
	acct_forget_conn(c->acct, &f->key, flow_rec_start(f));
}

static void on_reused(struct flow_rec *f, void *arg)
{
	struct collector *c = arg;

	/*
	 * The BPF program restarted the key's counters when the new
	 * connection's first packet came, which was before this event:
	 * deleting the key now would drop those packets. Only a pending
	 * forget of the old connection must not delete it.
	 */
	acct_reused(c->acct, &f->key);
}

static int idx_push(struct idx_list *l, uint32_t idx)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		uint32_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = idx;
	return 0;
}

static void idx_free(struct idx_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * A list that cannot grow loses a flow's kernel counters (it keeps BPF's)
 * or its offload refresh: counted as an error for the next read.
 */
static void on_kernel_counters(struct flow_rec *f, bool destroy,
			       const struct flow_counters *k, void *arg)
{
	struct collector *c = arg;
	struct settle_list *l = &c->settle;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct settle_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			c->list_err = -ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct settle_entry){
		.idx = flowtab_index(c->tab, f),
		.final = destroy,
		.k = *k,
	};
	/*
	 * A dump's counters are weighed against BPF's count at the next read
	 * (kcount_settle), which reports only the keys that moved; a key
	 * that did not and that flowtop took for its flow's meanwhile (kept
	 * during a resync, apply_counters) would look uncounted, its packets
	 * then counted twice. Reported at the next read whatever its
	 * counters, as after a NEW on a used tuple. Not needed for the first
	 * dump: the first read reports every key.
	 */
	if (!destroy && c->seq)
		acct_reused(c->acct, &f->key);
}

static void on_offloaded(struct flow_rec *f, void *arg)
{
	struct collector *c = arg;

	if (!c->offload_seen) {
		c->offload_seen = true;
		if (c->on_first_offload)
			c->on_first_offload(c->on_first_offload_arg);
	}
	/* a backend on the kernel's counters reads every flow's anyway */
	if (!c->kernel_counters && idx_push(&c->offl, flowtab_index(c->tab, f)))
		c->list_err = -ENOMEM;
}

static void on_event_prefetch(uint64_t hash, bool destroy, int stage, void *arg)
{
	struct collector *c = arg;

	/* a DESTROY queues a forget (on_destroyed), a NEW on a tuple whose
	 * flow ended cancels it (on_reused) */
	acct_prefetch(c->acct, hash, !destroy, stage);
}

static void on_silent_timeout(struct flow_rec *f, uint32_t timeout_s, void *arg)
{
	silent_deadline(arg, f, timeout_s);
}

struct apply_ctx {
	struct collector *c;
	double interval_s;
	int err;		/* -ENOMEM: a rate could not be kept */
	/* the conntrack backend's read: the listed flow's timeout */
	const struct ct_entry *listed;
};

/*
 * One flow's cumulative counters. Returns whether the key is a flow we
 * track: the slots counter map frees slots of keys that stay unknown.
 */
static bool apply_counters(const struct flow_key *key,
			   const struct flow_counters *sum, void *arg)
{
	struct apply_ctx *a = arg;
	/* the hash prefetch_flow took, if it ran for this key */
	uint64_t h = a->listed ? 0 : acct_read_hint(a->c->acct);
	struct flow_rec *f = h ? flowtab_lookup_hashed(a->c->tab, key, h) :
			     flowtab_lookup(a->c->tab, key);
	struct flow_rates rates;
	struct flow_counters now;

	if (!f)
		/* not known (yet), or already reaped; in the middle of a dump
		 * it may be listed further on: not an orphan (yet) */
		return a->c->in_dump;
	/* a silent flow: its end may have moved */
	if (!f->events_seen) {
		if (a->listed)
			silent_listed(a->c, f, a->listed);
		else
			silent_moved(a->c, f);
	}
	if (a->c->kernel_counters) {
		/* the kernel's counters: since the flow began */
		if (!f->whole_life) {
			flowtab_touch(a->c->tab, f);
			f->whole_life = true;
		}
		now = *sum;
	} else if (!kcount_bpf(a->c->tab, f, sum, &now)) {
		/* the kernel's counters rule it (DESTROY's, offloaded) */
		return true;
	}
	sum = &now;
	/*
	 * A destroyed flow keeps its final counters: a lower reading is a new
	 * connection on its tuple, which the BPF program restarted the entry
	 * for before its NEW event (that restarts the flow) got here.
	 */
	if (f->destroyed && f->counters_valid && !a->c->kernel_counters &&
	    (sum->packets[0] < f->total.packets[0] ||
	     sum->packets[1] < f->total.packets[1] ||
	     sum->bytes[0] < f->total.bytes[0] ||
	     sum->bytes[1] < f->total.bytes[1]))
		return true;
	/* the conntrack backend reads every flow: most did not change */
	if (!f->counters_valid || memcmp(&f->total, sum, sizeof(*sum)))
		flowtab_touch(a->c->tab, f);
	if (!f->counters_valid && !f->counts_from_zero)
		/* BPF counts from load time; the kernel's counters from the
		 * flow's start, so only flows born after the baseline read
		 * have a first reading that is a real delta */
		f->counts_from_zero = !a->c->kernel_counters ||
				      f->since_ns >= a->c->baseline_ns;
	if (flow_counters_update(f, sum, a->interval_s, &rates) &&
	    rate_list_add(&a->c->rates, flowtab_index(a->c->tab, f), &rates))
		a->err = -ENOMEM;
	return true;
}

/* ct_read_counters' callback has no answer to give */
/*
 * acct_read's prefetch hook for apply_counters' lookup: the key's bucket
 * (stage 0, its hash kept: apply_counters takes it back with
 * acct_read_hint), then the record it leads to (stage 1).
 */
static uint64_t prefetch_flow(const struct flow_key *key, int stage,
			      uint64_t hash, void *arg)
{
	struct apply_ctx *a = arg;

	/* stage 0: the read's own hash of the key, when it has one */
	if (!stage && !hash)
		hash = flow_key_hash(key);
	flowtab_prefetch(a->c->tab, hash, stage);
	return hash;
}

static void apply_ct_counters(const struct ct_entry *e, void *arg)
{
	struct apply_ctx *a = arg;

	a->listed = e;
	apply_counters(&e->key, &e->counters, arg);
	a->listed = NULL;
}

/* After a BPF read: the kernel counters that came since the last one. */
static int settle_kernel(struct collector *c, double interval_s)
{
	int err = 0;

	for (size_t i = 0; i < c->settle.n && !err; i++) {
		const struct settle_entry *s = &c->settle.v[i];
		struct flow_rec *f = flowtab_rec(c->tab, s->idx);
		struct flow_rates rates;
		int r;

		/*
		 * Indices taken since are not reused before the next
		 * snapshot (flowtab_reclaim), so an index in use is still the
		 * flow the counters came for.
		 */
		if (!f->in_use || (s->final && !f->final))
			continue;
		r = kcount_settle(c->tab, f, s->final, &s->k, interval_s,
				  &rates);
		if (r < 0 || (r > 0 && rate_list_add(&c->rates, s->idx, &rates)))
			err = -ENOMEM;
	}
	c->settle.n = 0;
	/* a large initial dump's list is not kept for ever */
	if (c->settle.cap > 65536) {
		free(c->settle.v);
		c->settle.v = NULL;
		c->settle.cap = 0;
	}
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Keeps the offloaded flows that are still there, each once: those
 * offloaded now, and those counted by the kernel since (an offload can
 * end, the kernel's total must stay the total). Returns how many.
 */
static size_t prune_offloaded(struct collector *c)
{
	struct idx_list *l = &c->offl;
	size_t k = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
	for (size_t i = 0; i < l->n; i++) {
		const struct flow_rec *f = flowtab_rec(c->tab, l->v[i]);

		if ((k && l->v[k - 1] == l->v[i]) || !f->in_use ||
		    f->destroyed || (!f->offloaded && !kcount_is_kernel(c->tab, f)))
			continue;
		l->v[k++] = l->v[i];
	}
	l->n = k;
	return k;
}

struct offl_walk {
	struct collector *c;
	double interval_s;
	int err;
};

static void offl_answer(const struct ct_entry *e, void *arg)
{
	struct offl_walk *w = arg;
	struct collector *c = w->c;
	struct flow_rec *f = flowtab_lookup(c->tab, &e->key);
	struct flow_rates rates;
	int r;

	/* gone, or a newer connection on the tuple (its NEW not yet here) */
	if (!f || f->destroyed || (e->ct_id && f->ct_id && e->ct_id != f->ct_id))
		return;
	if (e->has_status && f->offloaded != ct_status_offloaded(e->status)) {
		flowtab_touch(c->tab, f);
		f->offloaded = ct_status_offloaded(e->status);
	}
	if (f->offloaded)
		c->offloaded_now++;
	if (!e->has_counters) {
		/* no acct extension: BPF's count of the handshake is all */
		if (f->offloaded)
			c->offloaded_uncounted++;
		return;
	}
	r = kcount_kernel(c->tab, f, &e->counters, w->interval_s, &rates);
	if (r < 0 || (r > 0 && rate_list_add(&c->rates,
					     flowtab_index(c->tab, f), &rates)))
		w->err = -ENOMEM;
}

/*
 * Offloaded flows' packets skip the hooks the BPF program sits on: their
 * counters are the kernel's, asked for flow by flow (GET requests in
 * batches), never with a dump of the whole table.
 */
static int read_offloaded(struct collector *c, double interval_s)
{
	struct offl_walk w = { .c = c, .interval_s = interval_s };
	size_t n = prune_offloaded(c);
	int ret;

	c->offloaded_now = c->offloaded_uncounted = 0;
	if (!n)
		return 0;
	if (n > c->get_cap) {
		struct flow_key *k = realloc(c->get_keys, n * sizeof(*k));

		if (!k)
			return -ENOMEM;
		c->get_keys = k;
		c->get_cap = n;
	}
	for (size_t i = 0; i < n; i++)
		c->get_keys[i] = flowtab_rec(c->tab, c->offl.v[i])->key;
	ret = ct_get_entries(c->ct, c->get_keys, n, offl_answer, &w);
	return ret ? ret : w.err;
}

/*
 * One counter read. Flows without a reading this time had no traffic: the
 * slots counter map reports only the flows whose counters moved, so only
 * those are in c->rates for the next snapshot, and the others' totals
 * stay as last read.
 */
static int read_counters(struct collector *c, double interval_s)
{
	struct apply_ctx a = { .c = c, .interval_s = interval_s };
	uint64_t t0 = mono_ns();
	int ret;

	rate_list_clear(&c->rates);
	if (!c->kernel_counters) {
		/*
		 * What the read can put off (forgetting the slots of ended
		 * flows) stops half an interval after the tick began: the
		 * rest of the interval is the snapshot's, the end of the
		 * interval's and, in a resync, the dump's, and a tick that
		 * ran past the interval delayed every snapshot after it.
		 */
		acct_set_read_deadline(c->acct, t0 + (uint64_t)(
				       c->cfg->interval_s * 1e9 / 2));
		ret = acct_read_prefetched(c->acct, apply_counters,
					   prefetch_flow, &a);
		if (!ret)
			ret = settle_kernel(c, interval_s);
		/* GETs go out on the dump's socket: not while it is busy */
		if (!ret && !c->in_dump)
			ret = read_offloaded(c, interval_s);
		if (!ret && c->list_err)
			ret = c->list_err;
	} else {
		ret = ct_read_counters(c->ct, apply_ct_counters, &a);
	}
	c->last_read_ms = (double)(mono_ns() - t0) / 1e6;
	return ret ? ret : a.err;
}

static const struct ct_hooks *hooks_of(struct collector *c)
{
	static _Thread_local struct ct_hooks h;

	h.destroyed = on_destroyed;
	h.reused = on_reused;
	h.kernel_counters = on_kernel_counters;
	h.offloaded = on_offloaded;
	h.silent_timeout = on_silent_timeout;
	h.prefetch = on_event_prefetch;
	h.arg = c;
	return &h;
}

static int publish(struct collector *c, double interval_s)
{
	struct snapshot_meta m = { 0 };
	struct ct_stats cs;
	struct acct_stats as;
	struct snapshot *s;
	uint64_t one = 1;

	ct_get_stats(c->ct, &cs);
	acct_get_stats(c->acct, &as);
	m.time = (double)real_ns() / 1e9;
	m.interval = interval_s;
	m.acct = acct_kind_of(c->acct);
	m.lost_events = cs.lost_events;
	m.resyncs = cs.resyncs;
	m.resyncing = c->in_dump;
	m.evictions = as.evictions;
	m.events = cs.events;
	m.new_flows = cs.new_flows;
	m.destroyed_flows = cs.destroyed_flows + c->silent_ends;
	m.refresh_dumps = cs.refreshes;
	m.gets = cs.gets;
	m.silent_ends = c->silent_ends;
	m.silent_rearms = c->silent_rearms;
	m.silent_ms = (double)c->silent_ns / 1e6;
	m.map_read_ms = c->last_read_ms;
	m.seq = ++c->seq;
	m.counting_since = (double)c->counting_since_ns / 1e9;
	m.offloaded = c->offloaded_now;
	m.offloaded_uncounted = c->offloaded_uncounted;

	/* retired snapshots give their rows back, and the table the indices
	 * of removed flows that no snapshot still held can show */
	snapshot_pool_collect(&c->pool, c->tab);
	s = snapshot_pool_build(&c->pool, c->tab, &m, !c->unsorted, &c->rates);
	if (!s)
		return -ENOMEM;
	if (c->on_snapshot)
		c->on_snapshot(snapshot_get(s), c->on_snapshot_arg);
	snapshot_publish(&c->slot, s);
	if (write(c->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static int tick(struct collector *c)
{
	uint64_t now = mono_ns();
	double interval_s = (double)(now - c->last_read_mono_ns) / 1e9;
	int ret;

	c->last_read_mono_ns = now;
	ret = read_counters(c, interval_s);
	if (ret)
		return ret;
	/* the socket's events wait in the stash meanwhile (ct.h) */
	ct_stash_events(c->ct);
	ret = publish(c, interval_s);
	ct_stash_events(c->ct);
	/* destroyed flows were shown once, with their final counters */
	flowtab_end_interval(c->tab, &c->silent_flows);
	if (!ret && !c->in_dump)
		ret = silent_look(c, hooks_of(c));
	return ret;
}

/* The interval after a tick at now: no catch-up burst after a stall. */
static void next_tick(struct collector *c, uint64_t now)
{
	uint64_t interval_ns = (uint64_t)(c->cfg->interval_s * 1e9);

	c->next_tick_mono_ns += interval_ns;
	if (c->next_tick_mono_ns <= now)
		c->next_tick_mono_ns = now + interval_ns;
}

/*
 * ct_yield: a resync dump of a large table, under load, takes
 * seconds (measured: 4-9 s per resync at ~300k flows with the generator
 * holding both CPUs), and snapshots must keep their interval meanwhile.
 * The tick between two chunks of the dump reads the BPF counters and
 * publishes what the table holds: the flows listed so far fresh, the
 * others as they were. Not with the conntrack backend, whose read is a
 * dump itself.
 */
static bool tick_due_in_dump(void *arg)
{
	struct collector *c = arg;

	return !c->kernel_counters &&
	       mono_ns() >= c->next_tick_mono_ns;
}

static int tick_in_dump(void *arg)
{
	struct collector *c = arg;
	uint64_t start = mono_ns();
	int ret;

	c->in_dump = true;
	ret = tick(c);
	c->in_dump = false;
	/* a read slowed by the dump's load: the next one not an interval
	 * after its end, which made every interval a read longer (the
	 * sustained bench: 1-2 s reads, 2-3 s intervals) */
	c->next_tick_mono_ns = collector_due_after_dump_tick(
		c->next_tick_mono_ns, start, mono_ns(),
		(uint64_t)(c->cfg->interval_s * 1e9));
	return ret;
}

/*
 * The first dump and the baseline read, in the thread: a table of a
 * million flows takes seconds to dump, and the view must answer keys
 * meanwhile. 0, or a negative errno with c->errmsg set.
 */
static int start_run(struct collector *c)
{
	int ret = ct_resync(c->ct, c->tab, hooks_of(c));

	if (ret) {
		snprintf(c->errmsg, sizeof(c->errmsg),
			 "initial conntrack dump failed: %s", strerror(-ret));
		return ret;
	}
	/* baseline: rates of the first snapshot cover exactly one interval */
	c->baseline_ns = real_ns();
	if (!c->counting_since_ns)
		c->counting_since_ns = c->baseline_ns;
	c->last_read_mono_ns = mono_ns();
	silent_start(c);
	ct_stash_events(c->ct);
	ret = read_counters(c, 0);
	ct_stash_events(c->ct);
	if (ret)
		snprintf(c->errmsg, sizeof(c->errmsg),
			 "reading the flow counters failed: %s", strerror(-ret));
	return ret;
}

/*
 * Events come a few at a time: at 40k events/s a wake-up per handful costs
 * more in poll, recvmmsg and scheduling than the events themselves. After
 * reading, the thread lets them gather for a moment, as long as the socket
 * buffer holds what the fastest churn sends meanwhile: at most a quarter of
 * it at EVENT_BYTES_PER_S, and never more than COALESCE_MAX_NS. Nothing
 * waits for an event sooner: a tick takes the waiting ones before it reads
 * (ct_take_waiting_events), and the pause ends at the tick. 2 ms (~450
 * wake-ups a second at 40k events/s) -> 10 ms: bench/README.md, session 7.
 */
#define COALESCE_MAX_NS (10ull * 1000000ull)
#define EVENT_BYTES_PER_S (64ull << 20)	/* ~200k events/s */

static uint64_t coalesce_ns_for(size_t buffer)
{
	uint64_t ns = (uint64_t)buffer / 4 * 1000000000ull / EVENT_BYTES_PER_S;

	return ns < COALESCE_MAX_NS ? ns : COALESCE_MAX_NS;
}

static void coalesce(const struct collector *c, uint64_t next_tick)
{
	uint64_t until = mono_ns() + c->coalesce_ns;
	struct timespec ts;

	if (until > next_tick)
		until = next_tick;
	ts.tv_sec = (time_t)(until / 1000000000ull);
	ts.tv_nsec = (long)(until % 1000000000ull);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *collector_main(void *arg)
{
	struct collector *c = arg;
	struct pollfd pfd[2] = {
		{ .fd = ct_event_fd(c->ct), .events = POLLIN },
		{ .fd = c->stop_fd, .events = POLLIN },
	};
	const struct ct_yield yield = {
		.due = tick_due_in_dump,
		.run = tick_in_dump,
		.arg = c,
	};
	int ret = start_run(c);

	if (!ret && c->early_first)
		ret = publish(c, 0);
	ct_stash_events(c->ct);
	c->next_tick_mono_ns = c->last_read_mono_ns +
			       (uint64_t)(c->cfg->interval_s * 1e9);
	ct_set_yield(c->ct, &yield);
	for (; !ret;) {
		uint64_t now = mono_ns(), next = c->next_tick_mono_ns;
		int timeout_ms = 0;

		if (now < next && !ct_events_pending(c->ct))
			timeout_ms = (int)((next - now + 999999) / 1000000);
		if (poll(pfd, 2, timeout_ms) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents || ct_events_pending(c->ct)) {
			ret = ct_process_events(c->ct, c->tab, hooks_of(c));
			if (ret)
				break;
			/* the reader lets go of the older snapshot soon after
			 * a publish: the indices it pinned get reused from
			 * then on, not only a whole interval later */
			snapshot_pool_collect(&c->pool, c->tab);
			if (c->coalesce_ns)
				coalesce(c, c->next_tick_mono_ns);
		}
		now = mono_ns();
		if (now >= c->next_tick_mono_ns) {
			/*
			 * Events up to now first, which the pause above let
			 * wait: a NEW on a tuple whose DESTROY came before
			 * must cancel that tuple's forget before the read
			 * deletes the counters its first packets are in. A
			 * loss found here resyncs after the read, as it would
			 * have without this (the first snapshot of a table
			 * of a million flows is not put off by a second dump).
			 */
			ret = ct_take_waiting_events(c->ct, c->tab, hooks_of(c));
			if (!ret)
				ret = tick(c);
			if (ret)
				break;
			next_tick(c, now);
		}
	}
	/* -EINTR: a dump gave way to an exit signal, which main handles */
	if (ret && ret != -EINTR) {
		uint64_t one = 1;

		atomic_store(&c->error, ret);
		/* wake the reader so it sees the error */
		if (write(c->wake_fd, &one, sizeof(one)) < 0)
			(void)0;
	}
	return NULL;
}

int collector_start(struct collector *c, char *err, size_t errlen)
{
	int ret;

	pthread_mutex_init(&c->slot.lock, NULL);
	c->slot.cur = NULL;
	atomic_init(&c->error, 0);
	c->errmsg[0] = '\0';
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0 || c->stop_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -errno;
	}
	/* stopping must not wait for a dump of a million flows to end */
	ct_set_abort_fd(c->ct, c->stop_fd);
	c->coalesce_ns = coalesce_ns_for(c->event_buffer);
	c->kernel_counters = acct_kernel_counters(c->acct);
	ret = pthread_create(&c->thread, NULL, collector_main, c);
	if (ret) {
		snprintf(err, errlen, "cannot start the collector thread: %s",
			 strerror(ret));
		return -ret;
	}
	c->running = true;
	return 0;
}

void collector_stop(struct collector *c)
{
	uint64_t one = 1;

	if (c->running) {
		if (write(c->stop_fd, &one, sizeof(one)) < 0)
			(void)0;
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	snapshot_publish(&c->slot, NULL);
	snapshot_pool_clear(&c->pool);
	rate_list_free(&c->rates);
	free(c->settle.v);
	memset(&c->settle, 0, sizeof(c->settle));
	idx_free(&c->offl);
	free(c->get_keys);
	c->get_keys = NULL;
	c->get_cap = 0;
	free(c->due);
	c->due = NULL;
	c->due_cap = 0;
	deadline_free(&c->silent_dl);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	c->wake_fd = c->stop_fd = -1;
}
