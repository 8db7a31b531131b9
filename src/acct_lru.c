// SPDX-License-Identifier: GPL-2.0
/*
 * The lru counter layout (--counter-map lru): a per-CPU LRU hash key ->
 * counters, read whole every interval with batch lookups. Every key is
 * reported to the caller at every read. Costs flows × possible CPUs of
 * copying per read (bench/acct_read_bench.c), but never refuses a flow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "acct_internal.h"

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
	if (!a->keys || !a->vals)
		return -ENOMEM;
	return 0;
}

void acct_lru_free(struct acct *a)
{
	free(a->keys);
	free(a->vals);
	a->keys = NULL;
	a->vals = NULL;
}

/* Deletes the keys queued by acct_forget; missing ones were evicted. */
static void flush_forget(struct acct *a)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct acct_keyvec *f = &a->forget;
	size_t i = 0;
	uint32_t n;
	int rc;

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
	uint32_t in_tok = 0, out_tok = 0, count, i;
	int rc, c, have_inserts;
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
			const struct flow_counters *v =
				a->vals + (size_t)i * a->ncpus;

			sum = v[0];
			for (c = 1; c < a->ncpus; c++) {
				sum.packets[0] += v[c].packets[0];
				sum.packets[1] += v[c].packets[1];
				sum.bytes[0] += v[c].bytes[0];
				sum.bytes[1] += v[c].bytes[1];
			}
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

/* Whole values on CPU 0, zero on the others (the sum is what counts). */
int acct_lru_set(struct acct *a, const struct flow_key *keys,
		 const struct flow_counters *vals, uint32_t n)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct flow_counters *v;
	uint32_t i, j, chunk;
	int rc = 0;

	v = calloc((size_t)a->batch * a->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n && !rc; i += chunk) {
		chunk = n - i < a->batch ? n - i : a->batch;
		for (j = 0; j < chunk; j++)
			v[(size_t)j * a->ncpus] = vals[i + j];
		rc = bpf_map_update_batch(a->map_fd, keys + i, v, &chunk,
					  &opts);
		if (rc == -E2BIG || rc == -ENOMEM)
			rc = -ENOSPC;
	}
	free(v);
	return rc;
}
