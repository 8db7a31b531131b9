// SPDX-License-Identifier: GPL-2.0
/*
 * The collector's silent flows: connections found by a dump that will not
 * report their end (no event extension). Each gets a deadline from the
 * timeout the dump gave it; only flows whose time is up are asked about
 * (GETs in batches), and a full dump is the fallback after early drops.
 * The hooks are the collector's (ct.h): an ended flow goes through its
 * destroyed hook like one a DESTROY named.
 */
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>

#include "collector_silent.h"
#include "ct_parse.h"
#include "ct_stat.h"
#include "util.h"

/* Whole seconds of CLOCK_MONOTONIC, + 1 so that none is 0 (deadline.h). */
static uint32_t mono_sec(void)
{
	return (uint32_t)(mono_ns() / 1000000000ull) + 1;
}

/*
 * A silent flow is looked at again once the kernel has dropped it if no
 * packet came: the timeout is whole seconds left (rounded down) and now
 * whole seconds too (rounded up), so two seconds more are always past it.
 * A packet since then only moves its end later, which the look finds.
 */
#define SILENT_MARGIN_S 2

static void set_deadline_at(struct collector *c, struct flow_rec *f,
			    uint64_t at)
{
	if (at > UINT32_MAX)
		at = UINT32_MAX;
	/* no memory: it stays without a deadline, found by the next
	 * fallback dump instead */
	if (deadline_set(&c->silent_dl, flowtab_index(c->tab, f), (uint32_t)at))
		c->list_err = -ENOMEM;
}

static void set_silent_deadline(struct collector *c, struct flow_rec *f,
				uint32_t now, uint32_t timeout_s)
{
	set_deadline_at(c, f, (uint64_t)now + timeout_s + SILENT_MARGIN_S);
}

/* A silent flow that is still what it was: no event named it since. */
static bool still_silent(const struct flow_rec *f)
{
	return f->in_use && !f->events_seen && !f->destroyed;
}

/*
 * A silent flow that ended: what a DESTROY would have said, without the
 * kernel's final counters, so the last totals read stay its totals. Shown
 * once more, then reaped.
 */
static void silent_ended(struct collector *c, const struct ct_hooks *hooks,
			 struct flow_rec *f)
{
	flowtab_set_destroyed(c->tab, f);
	c->silent_ends++;
	hooks->destroyed(f, hooks->arg);
}

struct silent_walk {
	struct collector *c;
	const struct ct_hooks *hooks;
	uint32_t now;
};

static void silent_answer(const struct ct_entry *e, size_t i, void *arg)
{
	struct silent_walk *w = arg;
	struct collector *c = w->c;
	struct flow_rec *f = flowtab_rec(c->tab, c->due[i]);

	if (!still_silent(f))
		return;
	/* the same connection, with its timeout refreshed by traffic */
	if (e && !(e->ct_id && f->ct_id && e->ct_id != f->ct_id)) {
		if (e->has_timeout)
			set_silent_deadline(c, f, w->now, e->timeout_s);
		return;
	}
	/* gone (or another connection took the tuple) */
	deadline_clear(&c->silent_dl, c->due[i]);
	silent_ended(c, w->hooks, f);
}

/*
 * Connections that existed before flowtop subscribed to events never send
 * DESTROY (no event extension). Each has a deadline from the timeout the
 * dump gave it: only the flows whose deadline passed are asked about, with
 * GET requests in batches; an answer brings the new timeout, ENOENT the
 * end. The cost follows the flows whose time is up, not the table.
 */
#define SILENT_RETRY_S 10	/* a flow the kernel did not answer for */
/*
 * At most this many GETs per interval (~200 ms here): a table found full
 * of flows with the same timeout has them all due in the same second, and
 * the snapshots must stay on time. The rest wait for the next intervals
 * (at a second each, a million flows are through in 20 s). And at most a
 * quarter interval of wall time, popped SILENT_CHUNK at a time: with the
 * CPUs taken by a load that overflows the event socket, the flows a
 * resync listed (their events lost, so silent) come due by the hundred
 * thousand, and 50000 GETs took 0.4-3 s of a 1-s interval (bench/README,
 * sustained).
 */
#define SILENT_GETS_MAX 50000
#define SILENT_CHUNK 1024
#define SILENT_LOOK_SHARE 4	/* of the interval */

/*
 * The flow is asked about now; if no answer comes (an error: only ENOENT
 * and answers make a call), it is asked again at the retry deadline. The
 * deadline is marked touched for that: an untouched one that passes
 * means "the kernel's timer ran out", which nobody knows here (the flow
 * had packets, or its backend cannot tell).
 */
static void ask_again_later(struct collector *c, struct flow_rec *f,
			    uint32_t now)
{
	set_silent_deadline(c, f, now, SILENT_RETRY_S);
	deadline_touch(&c->silent_dl, flowtab_index(c->tab, f));
}

/* Room for n keys to ask about (c->get_keys is shared with read_offloaded). */
static int grow_due(struct collector *c, size_t n)
{
	size_t cap = n < 1024 ? 1024 : n * 2;

	if (n > c->due_cap) {
		uint32_t *d = realloc(c->due, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		c->due = d;
		c->due_cap = cap;
	}
	if (n > c->get_cap) {
		struct flow_key *k = realloc(c->get_keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		c->get_keys = k;
		c->get_cap = cap;
	}
	return 0;
}

/*
 * Whether the BPF program sees the packets that can move a silent flow's
 * end: the netfilter hook right after conntrack does (the fentry and
 * kprobe programs count only flows with the acct extension); an
 * offloaded flow's packets skip it. It counts every one of a flow that
 * has a counter slot, and records the flow's end with each
 * (acct_expires); a live flow keeps its slot once it has one.
 */
static bool program_sees(const struct collector *c, const struct flow_rec *f)
{
	return acct_kind_of(c->acct) == ACCT_NETFILTER && !f->offloaded;
}

/* ... and every packet at all: its map never ran out of slots */
static bool packets_all_seen(const struct collector *c, const struct flow_rec *f)
{
	struct acct_stats as;

	if (!program_sees(c, f))
		return false;
	acct_get_stats(c->acct, &as);
	return !as.evictions;
}

/*
 * A silent flow's end as the dump gave it holds until a packet comes. A
 * packet moves it later, or earlier: a TCP connection's timeout follows
 * its state (5 days established, 10 s after a RST, 2 minutes in
 * TIME_WAIT), as SCTP's, DCCP's and GRE's do. Only UDP's and ICMP's stay
 * or grow. So a flow of the others is looked at again at most
 * SILENT_RECHECK_S after its first packet since its deadline was set,
 * where the program's record of its end (acct_expires) tells where the
 * deadline goes (a GET, where the program may not see every packet): a
 * flow that closed leaves the view within about that much of its end. A
 * flow that keeps moving costs one look per SILENT_RECHECK_S (a heap
 * entry and two lookups, no GET); an idle one none before its end.
 */
#define SILENT_RECHECK_S 30

static bool end_may_come_sooner(uint8_t proto)
{
	return proto != IPPROTO_UDP && proto != IPPROTO_UDPLITE &&
	       proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6;
}

void silent_moved(struct collector *c, struct flow_rec *f)
{
	uint32_t idx = flowtab_index(c->tab, f), now;

	/* the first packet since the deadline was set (the conntrack
	 * backend lists the new timeout instead: silent_listed) */
	if (!deadline_touch(&c->silent_dl, idx) ||
	    !end_may_come_sooner(f->key.proto) || c->kernel_counters)
		return;
	now = mono_sec();
	if (deadline_of(&c->silent_dl, idx) <= now + SILENT_RECHECK_S)
		return;
	set_deadline_at(c, f, (uint64_t)now + SILENT_RECHECK_S);
	deadline_touch(&c->silent_dl, idx);	/* it had a packet */
}

/* A silent flow's state from a listing or the program's record: no event
 * tells it, and a closing connection shows it until it leaves the view. */
static void silent_state(struct collector *c, struct flow_rec *f,
			 uint8_t state)
{
	if (f->state != FLOW_STATE_NONE)
		flowtab_set_state(c->tab, f, state);
}

void silent_listed(struct collector *c, struct flow_rec *f,
		   const struct ct_entry *e)
{
	uint32_t idx = flowtab_index(c->tab, f);
	uint64_t at;

	if (e->has_state)
		silent_state(c, f, e->state);
	if (!e->has_timeout)
		return;
	/* later: the look at the old deadline asks and learns it */
	at = (uint64_t)mono_sec() + e->timeout_s + SILENT_MARGIN_S;
	if (at < deadline_of(&c->silent_dl, idx)) {
		set_deadline_at(c, f, at);
		deadline_touch(&c->silent_dl, idx);
	}
}

/*
 * A due flow whose end the program recorded as of its last packet
 * (acct_expires, end): past, the kernel's timer ran out; to come, that is
 * the new deadline, with no need to ask. The record covers every packet
 * since the flow got its slot, and no packet of a key that has one goes
 * uncounted, so it holds also when the map ran out of slots for others.
 * False when there is no record: the caller asks the kernel.
 */
static bool settle_by_record(struct collector *c, const struct ct_hooks *hooks,
			     struct flow_rec *f, uint32_t now)
{
	struct flow_end rec;

	if (acct_expires(c->acct, &f->key, &rec))
		return false;
	if ((uint64_t)rec.end + SILENT_MARGIN_S <= now) {
		silent_ended(c, hooks, f);
		return true;
	}
	if (rec.state != FLOW_END_NO_STATE)
		silent_state(c, f, rec.state);
	set_deadline_at(c, f, (uint64_t)rec.end + SILENT_MARGIN_S);
	c->silent_rearms++;
	return true;
}

/*
 * Pops up to max due flows: those that need asking into c->due and
 * c->get_keys (how many in *n), the others settled at once. False when
 * none is due any more. Those settled count too: after a resync they
 * come due by the hundred thousand, each a record's two lookups or an
 * end, and the look's time budget is checked between calls.
 */
static bool pop_due(struct collector *c, const struct ct_hooks *hooks,
		    uint32_t now, size_t max, size_t *n)
{
	uint32_t idx;
	bool touched;

	*n = 0;
	for (size_t popped = 0; popped < max; popped++) {
		struct flow_rec *f;

		if (!deadline_pop_due(&c->silent_dl, now, &idx, &touched))
			return false;
		f = flowtab_rec(c->tab, idx);
		if (!still_silent(f))
			continue;
		/*
		 * No packet since its timeout was read: the kernel's timer
		 * ran out untouched, the flow is gone (or going: expired
		 * entries are not listed or found). No need to ask.
		 */
		if (program_sees(c, f)) {
			if (!touched && packets_all_seen(c, f)) {
				silent_ended(c, hooks, f);
				continue;
			}
			if (settle_by_record(c, hooks, f, now))
				continue;
		}
		if (grow_due(c, *n + 1)) {
			ask_again_later(c, f, now);
			return false;	/* these first; the rest at the next look */
		}
		ask_again_later(c, f, now);
		c->due[*n] = idx;
		c->get_keys[(*n)++] = f->key;
	}
	return true;
}

static int check_silent(struct collector *c, const struct ct_hooks *hooks)
{
	struct silent_walk w = { .c = c, .hooks = hooks, .now = mono_sec() };
	uint64_t t0 = mono_ns();
	uint64_t budget = (uint64_t)(c->cfg->interval_s * 1e9) / SILENT_LOOK_SHARE;
	size_t asked = 0, n;
	bool more = true;
	int ret = 0;

	while (more && asked < SILENT_GETS_MAX && !ret) {
		size_t max = SILENT_GETS_MAX - asked;

		more = pop_due(c, hooks, w.now,
			       max < SILENT_CHUNK ? max : SILENT_CHUNK, &n);
		if (n)
			ret = ct_check_entries(c->ct, c->get_keys, n,
					       silent_answer, &w);
		asked += n;
		/* the flows still due stay due: the next look's */
		if (mono_ns() - t0 >= budget)
			break;
	}
	return ret;
}

/*
 * The fallback: a full dump while silent flows are left, when the kernel
 * dropped connections early to make room in a full table (those never
 * reach their deadline's answer in time to matter, and may be many at
 * once). Spaced so that dumping costs at most about 5% of the time, and
 * never more often than REFRESH_MIN_NS: the cost bound rules a large table
 * (a dump of a million flows, seconds, is followed by minutes without
 * one); the floor only keeps a small table's dumps from running every
 * interval while the kernel keeps dropping, and lets the flows an early
 * drop ended leave the view within seconds.
 */
#define REFRESH_MIN_NS (10ull * 1000000000ull)
#define REFRESH_COST_FACTOR 20

static bool early_drops_grew(struct collector *c)
{
	uint64_t v;

	if (ct_stat_early_drops(CT_STAT_PATH, &v))
		return false;
	if (c->early_drops_known && v == c->early_drops)
		return false;
	/* the first look only sets where counting starts */
	if (!c->early_drops_known) {
		c->early_drops_known = true;
		c->early_drops = v;
		return false;
	}
	c->early_drops = v;
	return true;
}

int silent_look(struct collector *c, const struct ct_hooks *hooks)
{
	uint64_t t0 = mono_ns(), spent, gap;
	int ret;

	if (!c->silent_flows) {
		/* none left: the heap's leftovers (moved or ended deadlines)
		 * need not keep their memory, ~13 B per flow at the start */
		if (c->silent_dl.cap)
			deadline_free(&c->silent_dl);
		return 0;
	}
	ret = check_silent(c, hooks);
	c->silent_ns += mono_ns() - t0;
	if (ret || t0 < c->next_refresh_mono_ns || !early_drops_grew(c))
		return ret;
	t0 = mono_ns();
	ret = ct_refresh(c->ct, c->tab, hooks);
	spent = mono_ns() - t0;
	gap = spent * REFRESH_COST_FACTOR;
	c->next_refresh_mono_ns = t0 + (gap > REFRESH_MIN_NS ? gap : REFRESH_MIN_NS);
	return ret;
}

void silent_start(struct collector *c)
{
	c->next_refresh_mono_ns = c->last_read_mono_ns + REFRESH_MIN_NS;
	early_drops_grew(c);	/* where counting starts */
}

void silent_deadline(struct collector *c, struct flow_rec *f,
		     uint32_t timeout_s)
{
	set_silent_deadline(c, f, mono_sec(), timeout_s);
}
