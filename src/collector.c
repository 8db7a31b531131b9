// SPDX-License-Identifier: GPL-2.0
/* The collector thread: events in, counters per interval, snapshots out. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool uses_bpf(const struct collector *c)
{
	return acct_kind_of(c->acct) != ACCT_CONNTRACK;
}

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
	if (uses_bpf(c))
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
	if (uses_bpf(c))
		acct_reused(c->acct, &f->key);
}

struct apply_ctx {
	struct collector *c;
	double interval_s;
	int err;		/* -ENOMEM: a rate could not be kept */
};

/*
 * One flow's cumulative counters. Returns whether the key is a flow we
 * track: the slots counter map frees slots of keys that stay unknown.
 */
static bool apply_counters(const struct flow_key *key,
			   const struct flow_counters *sum, void *arg)
{
	struct apply_ctx *a = arg;
	struct flow_rec *f = flowtab_lookup(a->c->tab, key);
	struct flow_rates rates;

	if (!f)
		return false;	/* not known (yet), or already reaped */
	/*
	 * A destroyed flow keeps its final counters: a lower reading is a new
	 * connection on its tuple, which the BPF program restarted the entry
	 * for before its NEW event (that restarts the flow) got here.
	 */
	if (f->destroyed && f->counters_valid && uses_bpf(a->c) &&
	    (sum->packets[0] < f->total.packets[0] ||
	     sum->packets[1] < f->total.packets[1] ||
	     sum->bytes[0] < f->total.bytes[0] ||
	     sum->bytes[1] < f->total.bytes[1]))
		return true;
	if (!f->counters_valid && !f->counts_from_zero)
		/* BPF counts from load time; the kernel's counters from the
		 * flow's start, so only flows born after the baseline read
		 * have a first reading that is a real delta */
		f->counts_from_zero = uses_bpf(a->c) ||
				      f->since_ns >= a->c->baseline_ns;
	if (flow_counters_update(f, sum, a->interval_s, &rates) &&
	    rate_list_add(&a->c->rates, flowtab_index(a->c->tab, f), &rates))
		a->err = -ENOMEM;
	return true;
}

/* ct_read_counters' callback has no answer to give */
static void apply_ct_counters(const struct flow_key *key,
			      const struct flow_counters *sum, void *arg)
{
	apply_counters(key, sum, arg);
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
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int ret;

	rate_list_clear(&c->rates);
	if (uses_bpf(c))
		ret = acct_read(c->acct, apply_counters, &a);
	else
		ret = ct_read_counters(c->ct, apply_ct_counters, &a);
	c->last_read_ms = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	return ret ? ret : a.err;
}

static const struct ct_hooks *hooks_of(struct collector *c)
{
	static _Thread_local struct ct_hooks h;

	h.destroyed = on_destroyed;
	h.reused = on_reused;
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
	m.time = (double)now_ns(CLOCK_REALTIME) / 1e9;
	m.interval = interval_s;
	m.acct = acct_kind_of(c->acct);
	m.lost_events = cs.lost_events;
	m.resyncs = cs.resyncs;
	m.evictions = as.evictions;
	m.events = cs.events;
	m.new_flows = cs.new_flows;
	m.destroyed_flows = cs.destroyed_flows;
	m.map_read_ms = c->last_read_ms;
	m.seq = ++c->seq;

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

/*
 * Connections that existed before flowtop subscribed to events never send
 * DESTROY (no event extension): while any are left, a full dump now and
 * then finds the ones that ended. Spaced so that dumping costs at most
 * about 5% of the time, and never more often than REFRESH_MIN_NS.
 */
#define REFRESH_MIN_NS (30ull * 1000000000ull)
#define REFRESH_COST_FACTOR 20

static int maybe_refresh(struct collector *c)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), spent, gap;
	int ret;

	if (!c->silent_flows || t0 < c->next_refresh_mono_ns)
		return 0;
	ret = ct_refresh(c->ct, c->tab, hooks_of(c));
	spent = now_ns(CLOCK_MONOTONIC) - t0;
	gap = spent * REFRESH_COST_FACTOR;
	c->next_refresh_mono_ns = t0 + (gap > REFRESH_MIN_NS ? gap : REFRESH_MIN_NS);
	return ret;
}

static int tick(struct collector *c)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	double interval_s = (double)(now - c->last_read_mono_ns) / 1e9;
	int ret;

	c->last_read_mono_ns = now;
	ret = read_counters(c, interval_s);
	if (ret)
		return ret;
	ret = publish(c, interval_s);
	/* destroyed flows were shown once, with their final counters */
	flowtab_end_interval(c->tab, &c->silent_flows);
	if (!ret)
		ret = maybe_refresh(c);
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
	c->baseline_ns = now_ns(CLOCK_REALTIME);
	c->last_read_mono_ns = now_ns(CLOCK_MONOTONIC);
	c->next_refresh_mono_ns = c->last_read_mono_ns + REFRESH_MIN_NS;
	ret = read_counters(c, 0);
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
 * it at EVENT_BYTES_PER_S, and never more than COALESCE_MAX_NS.
 */
#define COALESCE_MAX_NS (2ull * 1000000ull)
#define EVENT_BYTES_PER_S (64ull << 20)	/* ~200k events/s */

static uint64_t coalesce_ns_for(size_t buffer)
{
	uint64_t ns = (uint64_t)buffer / 4 * 1000000000ull / EVENT_BYTES_PER_S;

	return ns < COALESCE_MAX_NS ? ns : COALESCE_MAX_NS;
}

static void coalesce(const struct collector *c, uint64_t next_tick)
{
	uint64_t until = now_ns(CLOCK_MONOTONIC) + c->coalesce_ns;
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
	uint64_t interval_ns = (uint64_t)(c->cfg->interval_s * 1e9);
	uint64_t next;
	struct pollfd pfd[2] = {
		{ .fd = ct_event_fd(c->ct), .events = POLLIN },
		{ .fd = c->stop_fd, .events = POLLIN },
	};
	int ret = start_run(c);

	next = c->last_read_mono_ns + interval_ns;
	for (; !ret;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int timeout_ms = 0;

		if (now < next && !ct_resync_pending(c->ct))
			timeout_ms = (int)((next - now + 999999) / 1000000);
		if (poll(pfd, 2, timeout_ms) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents || ct_resync_pending(c->ct)) {
			ret = ct_process_events(c->ct, c->tab, hooks_of(c));
			if (ret)
				break;
			/* the reader lets go of the older snapshot soon after
			 * a publish: the indices it pinned get reused from
			 * then on, not only a whole interval later */
			snapshot_pool_collect(&c->pool, c->tab);
			if (c->coalesce_ns)
				coalesce(c, next);
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (now >= next) {
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
			next += interval_ns;
			/* after a stall, start a fresh interval, no catch-up burst */
			if (next <= now)
				next = now + interval_ns;
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
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	c->wake_fd = c->stop_fd = -1;
}
