// SPDX-License-Identifier: GPL-2.0
/*
 * acct_read_bench: what one acct_read costs for F flows, per counter layout
 * (--counter-map slots / lru), and what the collector's per-interval work
 * around it costs.
 *
 * Loads and attaches the netfilter backend in a private network namespace
 * (so no real traffic reaches it), gives F distinct keys counters with
 * acct_set (as the BPF program would), then per round changes the counters
 * of all, 10 % or 1 % of the keys and times acct_read:
 *
 *   bare       the callback only checks the value (exactness: every key
 *              reported carries exactly the counters set for it, and every
 *              changed key is reported)
 *   collector  what the collector does every interval: zero every flow's
 *              rates (flowtab_foreach), then acct_read with a callback that
 *              looks the flow up in a flow table of F flows and updates it
 *
 *   acct_read_bench [-n FLOWS[,FLOWS...]] [-r ROUNDS] [-l slots|lru|both] [-x]
 *
 * -P: the collector case without acct_read_prefetched's hook (as before
 * it had one), for comparison. -s: the flow table filled in a shuffled
 * order (as a churned table is: records are not in slot order, so each
 * lookup misses on its record as well as its bucket).
 *
 * -f: instead, what a resync's ghosts cost to forget (run_forgets).
 * -g: instead, what reads cost while the table fills, GROW_STEP new keys
 * before each read (run_growth): the sustained load's first seconds,
 * where the key -> slot index grows with every read.
 *
 * Defaults: -n 262144,1048576 -r 5 -l both. -x adds the older layout
 * comparison (bare bpf_map_lookup_batch walks at several batch sizes and
 * over other hash types, and the memory floor).
 *
 * Goal from issue 2: <= 100 ms per read at 262144 flows on a 2-CPU machine;
 * the UI issue wants flowtop's whole CPU <= 25 % of a core at 262k flows.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "acct.h"
#include "flowtab.h"
#include "snapshot.h"

#define MAX_SIZES 8

struct check {
	const struct flow_counters *want;	/* per key index */
	const uint8_t *changed;			/* per key index: changed this round */
	uint32_t flows;
	uint64_t reported;
	uint64_t changed_seen;
	uint64_t bad;
};

struct coll {
	struct flowtab *tab;
	struct acct *acct;
	struct rate_list rates;	/* as the collector keeps them */
	uint64_t unknown;
	bool nomem;
};

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/*
 * CPU time of this thread (the kernel's walk included): unlike wall time it
 * does not grow when other work on the machine preempts the benchmark.
 */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

/* i-th synthetic UDP flow: 198.51.100.0/24 -> 203.0.113.0/24, ports vary */
static void make_key(struct flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->family = 2;
	k->proto = 17;
	k->src[0] = htobe32(0xc6336400u | (i & 0xff));
	k->dst[0] = htobe32(0xcb007100u | ((i >> 8) & 0xff));
	k->sport = htobe16((uint16_t)(1024 + (i >> 16)));
	k->dport = htobe16(53);
}

static uint32_t key_index(const struct flow_key *k)
{
	return (be32toh(k->src[0]) & 0xff) |
	       ((be32toh(k->dst[0]) & 0xff) << 8) |
	       ((uint32_t)(be16toh(k->sport) - 1024) << 16);
}

/* Counts a key's report into c: whether its counters are the ones set. */
static bool check_key(struct check *c, const struct flow_key *key,
		      const struct flow_counters *sum)
{
	uint32_t i = key_index(key);

	c->reported++;
	if (i >= c->flows || memcmp(sum, &c->want[i], sizeof(*sum))) {
		c->bad++;
		return false;
	}
	c->changed_seen += c->changed[i];
	return true;
}

static bool check_fn(const struct flow_key *key,
		     const struct flow_counters *sum, void *arg)
{
	return check_key(arg, key, sum);
}

static bool no_prefetch, shuffled;

/* the collector's hook (collector.c, prefetch_flow) */
static uint64_t coll_pre(const struct flow_key *key, int stage, uint64_t hash,
			 void *arg)
{
	struct coll *c = arg;

	if (!stage && !hash)
		hash = flow_key_hash(key);
	flowtab_prefetch(c->tab, hash, stage);
	return hash;
}

static bool coll_fn(const struct flow_key *key,
		    const struct flow_counters *sum, void *arg)
{
	struct coll *c = arg;
	uint64_t h = acct_read_hint(c->acct);
	struct flow_rec *f = h ? flowtab_lookup_hashed(c->tab, key, h) :
			     flowtab_lookup(c->tab, key);
	struct flow_rates r;

	if (!f) {
		c->unknown++;
		return false;
	}
	f->counts_from_zero = true;
	if (flow_counters_update(f, sum, 1.0, &r) &&
	    rate_list_add(&c->rates, flowtab_index(c->tab, f), &r))
		c->nomem = true;
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Bumps the counters of every key i with changed[i]; sets want. */
static int change(struct acct *acct, struct flow_key *keys,
		  struct flow_counters *want, uint8_t *changed, uint32_t flows,
		  unsigned int pct, unsigned int round, struct flow_key *kbuf,
		  struct flow_counters *vbuf)
{
	uint32_t i, n = 0;

	for (i = 0; i < flows; i++) {
		/* a different pct % each round */
		changed[i] = pct >= 100 || (i + round) % (100 / pct) == 0;
		if (!changed[i])
			continue;
		want[i].packets[0] += 1;
		want[i].packets[1] += 2;
		want[i].bytes[0] += 100 + i % 1400;
		want[i].bytes[1] += 200;
		kbuf[n] = keys[i];
		vbuf[n] = want[i];
		n++;
	}
	return acct_set(acct, kbuf, vbuf, n);
}

struct result {
	double wall, cpu;		/* acct_read alone, bare callback */
	double cwall, ccpu;	/* collector: read + apply */
	uint64_t reported;		/* keys reported per read (bare, last) */
};

/* -s: a fixed pseudo-random order (Fisher-Yates, xorshift64) */
static void shuffle_keys(struct flow_key *k, uint32_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (uint32_t i = n; i > 1; i--) {
		struct flow_key t;
		uint32_t j;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (uint32_t)(x % i);
		t = k[i - 1];
		k[i - 1] = k[j];
		k[j] = t;
	}
}

/* The per-key arrays of a case: keys, their counters as set, the buffers
 * a change passes, which keys it changed. */
struct bufs {
	struct flow_key *keys, *kbuf;
	struct flow_counters *want, *vbuf;
	uint8_t *changed;
};

static void bufs_free(struct bufs *b)
{
	free(b->keys);
	free(b->kbuf);
	free(b->want);
	free(b->vbuf);
	free(b->changed);
}

static int bufs_alloc(struct bufs *b, uint32_t flows)
{
	b->keys = calloc(flows, sizeof(*b->keys));
	b->kbuf = calloc(flows, sizeof(*b->kbuf));
	b->want = calloc(flows, sizeof(*b->want));
	b->vbuf = calloc(flows, sizeof(*b->vbuf));
	b->changed = calloc(flows, 1);
	if (b->keys && b->kbuf && b->want && b->vbuf && b->changed)
		return 0;
	fprintf(stderr, "acct_read_bench: out of memory\n");
	bufs_free(b);
	return -ENOMEM;
}

/* The slots layout for flows keys, keys[] made (0 to flows - 1). 0 or 1. */
static int open_slots(struct acct **acct, uint32_t flows,
		      struct flow_key *keys)
{
	struct acct_opts ao = { .kind = ACCT_NETFILTER,
				.layout = ACCT_LAYOUT_SLOTS,
				.max_flows = flows };
	char err[512];

	if (acct_open(acct, &ao, err, sizeof(err))) {
		fprintf(stderr, "acct_read_bench: %s\n", err);
		return 1;
	}
	for (uint32_t i = 0; i < flows; i++)
		make_key(&keys[i], i);
	return 0;
}

/* The CPU time of a case's reads: in all, and the slowest. */
struct read_cpu {
	double total, slowest;
	int reads;
};

static int timed_read(struct read_cpu *t, struct acct *acct, acct_read_fn fn,
		      void *arg)
{
	double c0 = cpu_ms(), c;
	int rc = acct_read(acct, fn, arg);

	c = cpu_ms() - c0;
	t->reads++;
	t->total += c;
	if (c > t->slowest)
		t->slowest = c;
	return rc;
}

/* new keys a read of the -g case finds: the sustained load's ~250k/s */
#define GROW_STEP	262144u

static int run_growth(uint32_t flows)
{
	struct bufs b;
	struct acct *acct = NULL;
	struct read_cpu t = { 0 };
	uint32_t i, have = 0;
	int rc = 1;

	if (bufs_alloc(&b, flows))
		return 1;
	if (open_slots(&acct, flows, b.keys))
		goto out;
	while (have < flows) {
		uint32_t n = flows - have < GROW_STEP ? flows - have : GROW_STEP;
		struct check ck = { b.want, b.changed, flows, 0, 0, 0 };

		memset(b.changed, 0, flows);
		for (i = 0; i < n; i++) {
			b.want[have + i].packets[0] = 1;
			b.want[have + i].bytes[0] = 60;
			b.changed[have + i] = 1;
		}
		rc = acct_set(acct, b.keys + have, b.want + have, n);
		if (rc) {
			fprintf(stderr, "acct_read_bench: adding keys failed\n");
			goto out;
		}
		rc = timed_read(&t, acct, check_fn, &ck);
		if (rc || ck.bad || ck.changed_seen != n) {
			fprintf(stderr, "acct_read_bench: growth read %d: rc %d,"
				" %llu wrong, %llu of %u new keys\n", t.reads, rc,
				(unsigned long long)ck.bad,
				(unsigned long long)ck.changed_seen, n);
			rc = 1;
			goto out;
		}
		have += n;
	}
	printf("slots %8u flows, %u new keys a read: %d reads, %.1f ms cpu in "
	       "all, %.1f ns a key, slowest read %.1f ms cpu\n", flows,
	       GROW_STEP, t.reads, t.total, t.total * 1e6 / flows, t.slowest);
	rc = 0;
out:
	acct_close(acct);
	bufs_free(&b);
	return rc;
}

static int run_case(enum acct_layout layout, uint32_t flows, int rounds,
		    double *scratch)
{
	struct acct_opts ao = { .kind = ACCT_NETFILTER, .layout = layout,
				.max_flows = flows };
	struct flow_counters *want, *vbuf;
	struct flow_key *keys, *kbuf;
	static const unsigned int pcts[] = { 100, 10, 1 };
	struct flowtab *tab = NULL;
	struct bufs b;
	uint8_t *changed;
	struct acct *acct = NULL;
	struct acct_stats st;
	double t0, c0, first_ms, fill_ms;
	char err[512];
	unsigned int p;
	int rc = 1, r;
	uint32_t i;

	if (bufs_alloc(&b, flows))
		return 1;
	keys = b.keys;
	kbuf = b.kbuf;
	want = b.want;
	vbuf = b.vbuf;
	changed = b.changed;
	tab = flowtab_new(flows);
	if (!tab) {
		fprintf(stderr, "acct_read_bench: out of memory\n");
		goto out;
	}
	if (acct_open(&acct, &ao, err, sizeof(err))) {
		fprintf(stderr, "acct_read_bench: %s\n", err);
		goto out;
	}
	for (i = 0; i < flows; i++)
		make_key(&kbuf[i], i);
	if (shuffled)
		shuffle_keys(kbuf, flows);
	for (i = 0; i < flows; i++) {
		bool created;

		make_key(&keys[i], i);
		if (!flowtab_upsert(tab, &kbuf[i], &created)) {
			fprintf(stderr, "acct_read_bench: out of memory\n");
			goto out;
		}
	}
	t0 = now_ms();
	if (change(acct, keys, want, changed, flows, 100, 0, kbuf, vbuf)) {
		fprintf(stderr, "acct_read_bench: filling the map failed\n");
		goto out;
	}
	fill_ms = now_ms() - t0;
	{
		struct check ck = { want, changed, flows, 0, 0, 0 };

		t0 = now_ms();
		rc = acct_read(acct, check_fn, &ck);
		first_ms = now_ms() - t0;
		if (rc || ck.bad || ck.changed_seen != flows) {
			fprintf(stderr, "acct_read_bench: first read: rc %d, "
				"%llu wrong, %llu of %u keys\n", rc,
				(unsigned long long)ck.bad,
				(unsigned long long)ck.changed_seen, flows);
			rc = 1;
			goto out;
		}
	}
	printf("%-5s %8u flows: fill %.0f ms, first read %.1f ms\n",
	       acct_layout_name(layout), flows, fill_ms, first_ms);

	for (p = 0; p < sizeof(pcts) / sizeof(pcts[0]); p++) {
		double *w = scratch, *c = scratch + rounds,
		       *cw = scratch + 2 * rounds, *cc = scratch + 3 * rounds;
		struct result res = { 0 };
		uint64_t changed_n = 0;

		for (r = 0; r < rounds; r++) {
			struct check ck = { want, changed, flows, 0, 0, 0 };
			struct coll co = { .tab = tab, .acct = acct };

			rc = change(acct, keys, want, changed, flows, pcts[p],
				    2 * r + 1, kbuf, vbuf);
			if (rc)
				goto fail;
			for (changed_n = 0, i = 0; i < flows; i++)
				changed_n += changed[i];
			t0 = now_ms();
			c0 = cpu_ms();
			rc = acct_read(acct, check_fn, &ck);
			c[r] = cpu_ms() - c0;
			w[r] = now_ms() - t0;
			if (rc)
				goto fail;
			if (ck.bad || ck.changed_seen != changed_n) {
				fprintf(stderr, "acct_read_bench: %s: %llu keys "
					"with wrong counters, %llu of %llu "
					"changed keys reported\n",
					acct_layout_name(layout),
					(unsigned long long)ck.bad,
					(unsigned long long)ck.changed_seen,
					(unsigned long long)changed_n);
				rc = 1;
				goto out;
			}
			res.reported = ck.reported;

			/* the collector's turn, with another change */
			rc = change(acct, keys, want, changed, flows, pcts[p],
				    2 * r + 2, kbuf, vbuf);
			if (rc)
				goto fail;
			t0 = now_ms();
			c0 = cpu_ms();
			rate_list_clear(&co.rates);
			rc = acct_read_prefetched(acct, coll_fn,
						  no_prefetch ? NULL : coll_pre,
						  &co);
			cc[r] = cpu_ms() - c0;
			cw[r] = now_ms() - t0;
			rate_list_free(&co.rates);
			if (!rc && co.nomem)
				rc = -ENOMEM;
			if (rc)
				goto fail;
			if (co.unknown) {
				fprintf(stderr, "acct_read_bench: %llu keys not "
					"in the flow table\n",
					(unsigned long long)co.unknown);
				rc = 1;
				goto out;
			}
		}
		res.wall = median(w, rounds);
		res.cpu = median(c, rounds);
		res.cwall = median(cw, rounds);
		res.ccpu = median(cc, rounds);
		acct_get_stats(acct, &st);
		printf("%-5s %8u flows, %3u%% changed: acct_read %6.1f ms wall "
		       "%6.1f ms cpu, %7llu keys reported | collector %6.1f ms "
		       "wall %6.1f ms cpu\n",
		       acct_layout_name(layout), flows, pcts[p], res.wall,
		       res.cpu, (unsigned long long)res.reported, res.cwall,
		       res.ccpu);
	}
	printf("%-5s %8u flows: entries %llu, evictions %llu\n",
	       acct_layout_name(layout), flows,
	       (unsigned long long)st.entries,
	       (unsigned long long)st.evictions);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "acct_read_bench: %s with %u flows: %s\n",
		acct_layout_name(layout), flows, strerror(rc < 0 ? -rc : EIO));
	rc = 1;
out:
	acct_close(acct);
	flowtab_free(tab);
	bufs_free(&b);
	return rc;
}

/* ---- -f: what forgetting the flows of a resync's ghosts costs ------------ */

/*
 * Survivors (odd i) are known; a forgotten key may still be reported (the
 * read's rotating recheck) until its forget's turn comes, as the caller's
 * flow is gone: unknown. Every key's counters must be right.
 */
static bool forget_fn(const struct flow_key *key,
		      const struct flow_counters *sum, void *arg)
{
	return check_key(arg, key, sum) && (key_index(key) & 1);
}

/*
 * F flows with slots; then the ghosts of a resync come at once: half of
 * them (even i) and as many keys that never had a slot are forgotten.
 * Reads run (a quarantine apart) until every forgotten slot is back with
 * the program; prints their CPU time in all and per forget, and the
 * slowest read. The survivors' counters are checked after.
 */
static int run_forgets(uint32_t flows)
{
	struct flow_key k;
	struct bufs b;
	struct acct *acct = NULL;
	struct acct_stats st;
	struct read_cpu t = { 0 };
	uint32_t i, nforget = 0, half = flows / 2;
	int rc = 1, settled = 0;

	if (bufs_alloc(&b, flows))
		return 1;
	if (open_slots(&acct, flows, b.keys))
		goto out;
	if (change(acct, b.keys, b.want, b.changed, flows, 100, 0, b.kbuf,
		   b.vbuf)) {
		fprintf(stderr, "acct_read_bench: filling the map failed\n");
		goto out;
	}
	{
		struct check ck = { b.want, b.changed, flows, 0, 0, 0 };

		rc = acct_read(acct, check_fn, &ck);
		if (rc || ck.bad)
			goto fail;
	}
	for (i = 0; i < flows; i += 2) {
		make_key(&k, i);
		if (acct_forget_conn(acct, &k, 0))
			goto fail;
		/* a ghost that never had a slot (no packet counted) */
		make_key(&k, flows + i / 2);
		if (acct_forget_conn(acct, &k, 0))
			goto fail;
		nforget += 2;
	}
	memset(b.changed, 0, flows);
	/* until the slots are back (entries at half) and one more read */
	while (t.reads < 400 && settled < 2) {
		struct check ck = { b.want, b.changed, flows, 0, 0, 0 };

		rc = timed_read(&t, acct, forget_fn, &ck);
		if (rc || ck.bad) {
			fprintf(stderr, "acct_read_bench: forget read %d: rc %d,"
				" %llu b.keys wrong\n", t.reads, rc,
				(unsigned long long)ck.bad);
			rc = 1;
			goto out;
		}
		acct_get_stats(acct, &st);
		if (st.entries <= flows - half)
			settled++;
		/* the quarantine: a slot goes back a read and 200 ms later */
		usleep(210 * 1000);
	}
	{
		struct check ck = { b.want, b.changed, flows, 0, 0, 0 };
		uint32_t n = 0;

		for (i = 1; i < flows; i += 2) {
			b.want[i].packets[0] += 3;
			b.changed[i] = 1;
			b.kbuf[n] = b.keys[i];
			b.vbuf[n++] = b.want[i];
		}
		rc = acct_set(acct, b.kbuf, b.vbuf, n);
		if (!rc)
			rc = acct_read(acct, forget_fn, &ck);
		if (rc || ck.bad || ck.changed_seen != n || settled < 2) {
			fprintf(stderr, "acct_read_bench: after the forgets: rc "
				"%d, %llu wrong, %llu of %u survivors, entries "
				"%llu\n", rc, (unsigned long long)ck.bad,
				(unsigned long long)ck.changed_seen, n,
				(unsigned long long)st.entries);
			rc = 1;
			goto out;
		}
	}
	printf("slots %8u flows, %u forgets (half without a slot): %d reads, "
	       "%.1f ms cpu in all, %.2f us a forget, slowest read %.1f ms "
	       "cpu\n", flows, nforget, t.reads, t.total,
	       t.total * 1e3 / nforget, t.slowest);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "acct_read_bench: forgets with %u flows: %s\n", flows,
		strerror(rc < 0 ? -rc : EIO));
	rc = 1;
out:
	acct_close(acct);
	bufs_free(&b);
	return rc;
}

/* ---- -x: the layout comparison that chose the slots layout ---------------- */

static int fill_raw(int fd, uint32_t flows, int ncpus)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const uint32_t chunk = 8192;
	struct flow_counters *vals;
	struct flow_key *keys;
	uint32_t i, j, n;
	int rc = 0, c;

	keys = calloc(chunk, sizeof(*keys));
	vals = calloc((size_t)chunk * ncpus, sizeof(*vals));
	if (!keys || !vals) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < flows; i += n) {
		n = flows - i < chunk ? flows - i : chunk;
		for (j = 0; j < n; j++) {
			make_key(&keys[j], i + j);
			for (c = 0; c < ncpus; c++)
				vals[(size_t)j * ncpus + c].packets[0] = 1;
		}
		rc = bpf_map_update_batch(fd, keys, vals, &n, &opts);
		if (rc)
			break;
	}
out:
	free(keys);
	free(vals);
	return rc;
}

/* The bare kernel walk with one batch size: keys seen, or -errno. */
static long raw_walk(int fd, uint32_t batch, int ncpus)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct flow_key *keys = calloc(batch, sizeof(*keys));
	struct flow_counters *vals = calloc((size_t)batch * ncpus, sizeof(*vals));
	uint32_t in = 0, out = 0, n;
	long total = 0;
	int first = 1, rc;

	if (!keys || !vals) {
		total = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = batch;
		rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					  vals, &n, &opts);
		if (rc && rc != -ENOENT) {
			total = rc;
			break;
		}
		total += n;
		if (rc == -ENOENT)
			break;
		in = out;
		first = 0;
	}
out:
	free(keys);
	free(vals);
	return total;
}

static long time_walk(int fd, uint32_t batch, int ncpus, int rounds,
		      double *wall, double *cpu, double *scratch)
{
	double *w = scratch, *c = scratch + rounds, t0, c0;
	long n = 0;
	int r;

	for (r = 0; r < rounds; r++) {
		t0 = now_ms();
		c0 = cpu_ms();
		n = raw_walk(fd, batch, ncpus);
		c[r] = cpu_ms() - c0;
		w[r] = now_ms() - t0;
		if (n < 0)
			return n;
	}
	*wall = median(w, rounds);
	*cpu = median(c, rounds);
	return n;
}

static void layouts(uint32_t flows, int ncpus, int rounds, double *scratch)
{
	static const uint32_t batches[] = { 1024, 16384, 262144 };
	static const struct {
		enum bpf_map_type type;
		const char *name;
		int percpu;
	} l[] = {
		{ BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash", 1 },
		{ BPF_MAP_TYPE_LRU_HASH, "lru_hash (shared)", 0 },
		{ BPF_MAP_TYPE_HASH, "hash (shared)", 0 },
	};
	struct flow_counters *mem;
	double wall, cpu, t0;
	unsigned int i, b;
	uint64_t sum;
	uint32_t k;
	long n;
	int fd, r;

	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		fd = bpf_map_create(l[i].type, NULL, sizeof(struct flow_key),
				    sizeof(struct flow_counters),
				    flows + 256 * ncpus, NULL);
		if (fd < 0) {
			printf("layout %-18s: cannot create: %s\n", l[i].name,
			       strerror(-fd));
			continue;
		}
		n = fill_raw(fd, flows, l[i].percpu ? ncpus : 1);
		for (b = 0; !n && b < sizeof(batches) / sizeof(batches[0]); b++) {
			long got = time_walk(fd, batches[b],
					     l[i].percpu ? ncpus : 1, rounds,
					     &wall, &cpu, scratch);

			if (got < 0) {
				printf("layout %-18s: %s\n", l[i].name,
				       strerror((int)-got));
				break;
			}
			printf("layout %-18s batch %6u: walk median %.1f ms "
			       "wall, %.1f ms cpu\n", l[i].name, batches[b],
			       wall, cpu);
		}
		close(fd);
	}

	mem = calloc(flows, sizeof(*mem));
	if (!mem)
		return;
	for (k = 0; k < flows; k++)
		mem[k].packets[0] = k;
	for (r = 0; r < rounds; r++) {
		t0 = cpu_ms();
		sum = 0;
		for (k = 0; k < flows; k++)
			sum += mem[k].packets[0] + mem[k].packets[1] +
			       mem[k].bytes[0] + mem[k].bytes[1];
		scratch[r] = cpu_ms() - t0;
		if (sum == 1)	/* keeps the loop */
			printf("?\n");
	}
	printf("layout %-18s: read median %.2f ms cpu (memory floor)\n",
	       "flat array", median(scratch, rounds));
	free(mem);
}

static void usage(void)
{
	fprintf(stderr, "usage: acct_read_bench [-n FLOWS[,FLOWS...]] "
		"[-r ROUNDS] [-l slots|lru|both] [-x] [-P] [-s] [-f] [-g]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint32_t sizes[MAX_SIZES] = { 262144, 1048576 };
	int nsizes = 2, rounds = 5, opt, rc = 0, s;
	bool extra = false, forgets = false, growth = false, want_slots = true, want_lru = true;
	double *scratch;
	char *p, *end;

	while ((opt = getopt(argc, argv, "n:r:l:xPsfg")) != -1) {
		switch (opt) {
		case 'n':
			nsizes = 0;
			for (p = optarg; *p && nsizes < MAX_SIZES; p = end) {
				unsigned long v = strtoul(p, &end, 10);

				if (end == p || !v || v > (1ul << 30))
					usage();
				sizes[nsizes++] = (uint32_t)v;
				if (*end == ',')
					end++;
				else if (*end)
					usage();
			}
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'l':
			want_slots = !strcmp(optarg, "slots") ||
				     !strcmp(optarg, "both");
			want_lru = !strcmp(optarg, "lru") ||
				   !strcmp(optarg, "both");
			if (!want_slots && !want_lru)
				usage();
			break;
		case 'x':
			extra = true;
			break;
		case 'P':
			no_prefetch = true;
			break;
		case 's':
			shuffled = true;
			break;
		case 'f':
			forgets = true;
			break;
		case 'g':
			growth = true;
			break;
		default:
			usage();
		}
	}
	if (!nsizes || rounds <= 0)
		usage();
	/* the hooks go into a namespace of our own: no real packets counted */
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "acct_read_bench: unshare(CLONE_NEWNET): %s "
			"(run as root)\n", strerror(errno));
		return 1;
	}
	scratch = calloc(5 * (size_t)rounds, sizeof(double));
	if (!scratch)
		return 1;
	printf("possible cpus %d, %d rounds per figure (medians); "
	       "collector = zero all rates + read + flow table lookup/update "
	       "per reported key\n", libbpf_num_possible_cpus(), rounds);
	for (s = 0; forgets && s < nsizes; s++)
		rc |= run_forgets(sizes[s]);
	for (s = 0; growth && s < nsizes; s++)
		rc |= run_growth(sizes[s]);
	for (s = 0; !forgets && !growth && s < nsizes; s++) {
		if (want_slots)
			rc |= run_case(ACCT_LAYOUT_SLOTS, sizes[s], rounds,
				       scratch);
		if (want_lru)
			rc |= run_case(ACCT_LAYOUT_LRU, sizes[s], rounds,
				       scratch);
	}
	if (extra)
		for (s = 0; s < nsizes; s++)
			layouts(sizes[s], libbpf_num_possible_cpus(), rounds,
				scratch);
	free(scratch);
	return rc;
}
