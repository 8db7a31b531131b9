// SPDX-License-Identifier: GPL-2.0
/*
 * The lru counter layout (--counter-map lru): a per-CPU LRU hash key ->
 * counters, read whole every interval with batch lookups. Every key is
 * reported to the caller at every read. Costs flows × possible CPUs of
 * copying per read (bench/acct_read_bench.c), but never refuses a flow.
 *
 * Each CPU's share of a value records the connection it counts for
 * (flow_key.h): when a packet of another connection on the same tuple
 * comes, the BPF program restarts that CPU's share and the other CPUs'
 * shares that hold another connection's counts (Linux >= 5.19; before,
 * each share when a packet reaches its CPU). A read sums only the shares
 * of the newest owner, so a share not restarted yet does not count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "acct_internal.h"
#include "flowacct.skel.h"

/*
 * Keys per lookup batch. A batch never splits a hash bucket, so it must
 * exceed the longest bucket (a handful); bigger batches mean fewer
 * syscalls, and bench/acct_read_bench.c shows the gain flattening out
 * above a few thousand.
 */
#define ACCT_BATCH		16384

int acct_lru_alloc(struct acct *a)
{
	a->batch = ACCT_BATCH;
	a->keys = calloc(a->batch, sizeof(*a->keys));
	a->vals = calloc((size_t)a->batch * a->ncpus, sizeof(*a->vals));
	a->one = calloc(a->ncpus, sizeof(*a->one));
	if (!a->keys || !a->vals || !a->one)
		return -ENOMEM;
	return 0;
}

void acct_lru_free(struct acct *a)
{
	free(a->keys);
	free(a->vals);
	free(a->one);
	acct_keyvec_free(&a->del);
	a->keys = NULL;
	a->vals = NULL;
	a->one = NULL;
}

/* Did share s's owner take or refine it after share n's? */
static bool share_newer(const struct flow_lru_value *s,
			const struct flow_lru_value *n)
{
	if (s->since != n->since)
		return s->since > n->since;
	if (s->owner.stamp != n->owner.stamp)
		return s->owner.stamp > n->owner.stamp;
	return s->owner.ct > n->owner.ct;
}

/*
 * Does share s count for connection o, whose newest share is n? The same
 * object, and a stamp that is o's or an earlier state of it (unconfirmed
 * or confirmed, before the start was seen). A share that had a start, or
 * was confirmed, before o was seen unconfirmed is an older connection in
 * the same object. An unconfirmed o has had one packet, its first, in n:
 * another share unconfirmed in the same object is an older connection's
 * first packet (a kernel without bpf_map_lookup_percpu_elem leaves it).
 */
static bool share_of(const struct flow_lru_value *s, const struct flow_owner *o,
		     const struct flow_lru_value *n)
{
	if (!s->owner.ct)
		return true;	/* never used by a packet: zero, or acct_set's */
	if (s->owner.ct != o->ct)
		return false;
	if (o->stamp == FLOW_STAMP_UNCONFIRMED)
		return s == n;
	return s->owner.stamp == o->stamp ||
	       (s->owner.stamp < o->stamp &&
		s->owner.stamp <= FLOW_STAMP_CONFIRMED);
}

void acct_lru_sum(const struct flow_lru_value *v, int ncpus,
		  struct flow_counters *sum, struct flow_owner *owner)
{
	const struct flow_lru_value *newest = NULL;
	int c;

	for (c = 0; c < ncpus; c++)
		if (v[c].owner.ct && (!newest || share_newer(&v[c], newest)))
			newest = &v[c];
	memset(sum, 0, sizeof(*sum));
	memset(owner, 0, sizeof(*owner));
	if (newest)
		*owner = newest->owner;
	for (c = 0; c < ncpus; c++) {
		if (newest && !share_of(&v[c], owner, newest))
			continue;
		sum->packets[0] += v[c].c.packets[0];
		sum->packets[1] += v[c].c.packets[1];
		sum->bytes[0] += v[c].c.bytes[0];
		sum->bytes[1] += v[c].c.bytes[1];
	}
}

/*
 * Moves the queued forgets whose keys are to go into a->del: all but those
 * a newer connection owns (dropped) and those put off to the next read
 * (kept queued). One lookup per destroyed flow whose start is known.
 */
static int forget_sort(struct acct *a, struct acct_keyvec *del)
{
	struct flow_counters sum;
	struct flow_owner owner;
	size_t i;
	int rc = 0;

	for (i = a->forget.head; i < a->forget.n; i++) {
		struct acct_forget_ent *e = &a->forget.v[i];
		bool have = false;

		if (e->start > FLOW_STAMP_CONFIRMED &&
		    !bpf_map_lookup_elem(a->map_fd, &e->key, a->one)) {
			acct_lru_sum(a->one, a->ncpus, &sum, &owner);
			have = true;
		}
		switch (acct_forget_decide(e, have, &owner)) {
		case ACCT_FORGET_KEEP:
			break;
		case ACCT_FORGET_DEFER:
			e->deferred = true;
			e->keep = true;
			break;
		case ACCT_FORGET_DELETE:
			if (!rc)
				rc = acct_keyvec_push(del, &e->key);
			if (rc)	/* no memory: try again next read */
				e->keep = true;
			break;
		}
	}
	acct_forget_done(a, a->forget.n);
	return rc;
}

/* Deletes the keys queued by acct_forget_conn; missing ones were evicted. */
static void flush_forget(struct acct *a)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct acct_keyvec *f = &a->del;
	size_t i = 0;
	uint32_t n;
	int rc;

	forget_sort(a, f);

	while (i < f->n) {
		n = (uint32_t)(f->n - i);
		rc = bpf_map_delete_batch(a->map_fd, f->v + i, &n, &opts);
		a->deleted += n;
		if (!rc)
			break;
		/* the batch stops at the first failing key, index i + n */
		i += n;
		if (rc != -ENOENT) {
			/* e.g. no batch support: one key at a time */
			for (; i < f->n; i++)
				if (!bpf_map_delete_elem(a->map_fd, f->v + i))
					a->deleted++;
			break;
		}
		i++;	/* already evicted */
	}
	f->n = 0;
}

int acct_lru_read(struct acct *a, acct_read_fn fn, void *arg)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t start, present = 0, ev;
	struct acct_bpf_stats bs;
	struct flow_counters sum;
	struct flow_owner owner;
	uint32_t in_tok = 0, out_tok = 0, count, i;
	int rc, have_inserts;
	bool first = true, done = false;

	start = acct_now_ns();
	/*
	 * Inserts are read before the map: a key added during the walk then
	 * can only make the eviction estimate low (corrected next time),
	 * never count a live key as evicted.
	 */
	have_inserts = acct_bpf_stats_sum(a, &bs) == 0;

	while (!done) {
		count = a->batch;
		rc = bpf_map_lookup_batch(a->map_fd, first ? NULL : &in_tok,
					  &out_tok, a->keys, a->vals, &count,
					  &opts);
		if (rc) {
			if (rc == -ENOENT) {
				done = true;	/* last batch, may hold keys */
			} else {
				a->st.read_ns = acct_now_ns() - start;
				return rc;
			}
		}
		for (i = 0; i < count; i++) {
			acct_lru_sum(a->vals + (size_t)i * a->ncpus, a->ncpus,
				     &sum, &owner);
			/* every key, every time: whether fn knows it changes
			 * nothing here (the LRU evicts what nobody refreshes) */
			fn(&a->keys[i], &sum, arg);
		}
		present += count;
		in_tok = out_tok;
		first = false;
	}
	a->st.entries = present;
	a->st.reported = present;
	if (have_inserts && bs.inserts > a->deleted + present) {
		ev = bs.inserts - a->deleted - present;
		if (ev > a->st.evictions)
			a->st.evictions = ev;
	}
	flush_forget(a);
	a->st.read_ns = acct_now_ns() - start;
	return 0;
}

int acct_lru_forget_now(struct acct *a, const struct flow_key *key)
{
	if (bpf_map_delete_elem(a->map_fd, key)) {
		if (errno == ENOENT)
			return 0;	/* never counted, or evicted */
		return -errno;
	}
	a->deleted++;
	return 0;
}

/* Whole values on CPU 0, zero on the others (the sum is what counts);
 * no owner, so the program restarts them at its first packet. */
int acct_lru_set(struct acct *a, const struct flow_key *keys,
		 const struct flow_counters *vals, uint32_t n)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct flow_lru_value *v;
	uint32_t i, j, chunk;
	int rc = 0;

	v = calloc((size_t)a->batch * a->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n && !rc; i += chunk) {
		chunk = n - i < a->batch ? n - i : a->batch;
		for (j = 0; j < chunk; j++)
			v[(size_t)j * a->ncpus].c = vals[i + j];
		rc = bpf_map_update_batch(a->map_fd, keys + i, v, &chunk,
					  &opts);
		if (rc == -E2BIG || rc == -ENOMEM)
			rc = -ENOSPC;
	}
	free(v);
	return rc;
}

/*
 * The LRU map keeps up to 128 free nodes per CPU in local lists and evicts
 * to refill them once the global free list runs short, so it starts
 * evicting before max_entries keys are in it. Room for that per CPU keeps
 * max_flows live keys from being evicted.
 */
#define ACCT_LRU_SLACK_PER_CPU	256

static void lru_close(struct acct *a)
{
	acct_bpf_detach(a);
	acct_lru_free(a);
	acct_bpf_release(a);
}

static int lru_open(struct acct *a, const struct acct_opts *o, char *why,
		    size_t len)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t entries;
	int err;

	entries = (uint64_t)o->max_flows +
		  (uint64_t)(ncpus > 0 ? ncpus : 1) * ACCT_LRU_SLACK_PER_CPU;
	if (entries > UINT32_MAX)
		entries = UINT32_MAX;
	/* the slot maps stay at one entry: this layout never takes a slot */
	err = acct_bpf_load(a, o, (uint32_t)entries, 1, why, len);
	if (err)
		return err;
	a->map_fd = bpf_map__fd(a->skel->maps.counters);
	err = acct_lru_alloc(a);
	if (err)
		acct_setmsg(why, len, "out of memory for the counter read "
			    "buffers");
	else
		err = acct_bpf_attach(a, why, len);
	if (err)
		lru_close(a);
	return err;
}

static int lru_reused(struct acct *a, const struct flow_key *key)
{
	acct_unqueue_forget(a, key);
	return 0;
}

static int lru_forget_now(struct acct *a, const struct flow_key *key)
{
	acct_unqueue_forget(a, key);
	return acct_lru_forget_now(a, key);
}

const struct acct_ops acct_lru_ops = {
	.name = "lru",
	.open = lru_open,
	.close = lru_close,
	.read = acct_lru_read,
	.forget = acct_forget_queue,
	.reused = lru_reused,
	.forget_now = lru_forget_now,
	.set = acct_lru_set,
};
