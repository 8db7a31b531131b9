// SPDX-License-Identifier: GPL-2.0
/*
 * Flow table: chained hash keyed by the 40-byte original tuple + zone.
 * Single writer (the collector thread), so no locking at all; snapshots
 * read the fixed fields of flows by index (flowtab_entry).
 */
#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "flowtab.h"
#include "hugemem.h"
#include "util.h"

#include "flowtab_internal.h"

static inline uint64_t mix64(uint64_t h)
{
	/* splitmix64 finaliser: cheap, and spreads nearby addresses/ports */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

uint64_t flow_key_hash(const struct flow_key *key)
{
	uint64_t w[FLOW_KEY_SIZE / 8];
	uint64_t h = 0x9e3779b97f4a7c15ULL;

	_Static_assert(sizeof(struct flow_key) == FLOW_KEY_SIZE,
		       "flow_key must have no padding");
	memcpy(w, key, sizeof(w));
	for (size_t i = 0; i < FLOW_KEY_SIZE / 8; i++)
		h = mix64(h ^ w[i]);
	return h;
}

static size_t round_pow2(size_t n)
{
	size_t p = FLOWTAB_MIN_BUCKETS;

	while (p < n && p < ((size_t)1 << 40))
		p <<= 1;
	return p;
}


/*
 * The flow array's address space: the most that can be had up to
 * FLOWTAB_MAX_FLOWS (a strict overcommit policy or an address-space limit
 * may refuse the largest).
 */
static int reserve_flows(struct flowtab *tab)
{
	size_t n;

	for (n = FLOWTAB_MAX_FLOWS; n >= FLOWTAB_MIN_FLOWS; n /= 2) {
		tab->flows = huge_map(n * sizeof(struct flow_rec));
		if (tab->flows) {
			tab->max_flows = (uint32_t)n;
			return 0;
		}
	}
	return -ENOMEM;
}

const struct flow_rec *flowtab_entry(const struct flowtab *tab, uint32_t idx)
{
	return at(tab, idx);
}

struct flow_rec *flowtab_rec(struct flowtab *tab, uint32_t idx)
{
	return at(tab, idx);
}

uint32_t flowtab_index(const struct flowtab *tab, const struct flow_rec *f)
{
	return index_of(tab, f);
}

/* --- reply tuples --------------------------------------------------------- */

static struct flow_key *nat_entry(const struct flowtab *tab, uint32_t n)
{
	return &tab->nat_chunks[n >> NAT_CHUNK_SHIFT][n & (NAT_CHUNK - 1)];
}

/* A free NAT entry's number, or UINT32_MAX when out of memory. */
static uint32_t nat_take(struct flowtab *tab)
{
	uint32_t n = tab->nat_span, c = n >> NAT_CHUNK_SHIFT;

	if (tab->nat_nfree)
		return tab->nat_free[--tab->nat_nfree];
	/* one NAT entry per flow at most: max_flows bounds the chunks */
	if (n >= tab->max_flows)
		return UINT32_MAX;
	if (!tab->nat_chunks) {
		tab->nat_chunks = calloc(((size_t)tab->max_flows +
					  NAT_CHUNK - 1) / NAT_CHUNK,
					 sizeof(*tab->nat_chunks));
		if (!tab->nat_chunks)
			return UINT32_MAX;
	}
	if (!tab->nat_chunks[c]) {
		tab->nat_chunks[c] = malloc(NAT_CHUNK *
					    sizeof(struct flow_key));
		if (!tab->nat_chunks[c])
			return UINT32_MAX;
	}
	tab->nat_span++;
	return n;
}

/* Gives back f's NAT entry; if that fails (no memory) it is leaked. */
static void nat_put(struct flowtab *tab, struct flow_rec *f)
{
	if (!f->nat)
		return;
	if (grow_array((void **)&tab->nat_free, &tab->nat_free_cap,
		       tab->nat_nfree + 1, sizeof(*tab->nat_free), 1024)) {
		f->nat = 0;
		return;
	}
	tab->nat_free[tab->nat_nfree++] = f->nat - 1;
	f->nat = 0;
}

void flowtab_reply(const struct flowtab *tab, const struct flow_rec *f,
		   struct flow_key *out)
{
	/* acquire: pairs with the release that published the entry */
	uint32_t nat = __atomic_load_n(&f->nat, __ATOMIC_ACQUIRE);

	if (nat)
		*out = *nat_entry(tab, nat - 1);
	else
		flow_key_mirror(&f->key, out);
}

int flowtab_set_reply(struct flowtab *tab, struct flow_rec *f,
		      const struct flow_key *reply)
{
	struct flow_key cur;
	uint32_t n;

	flowtab_reply(tab, f, &cur);
	if (!memcmp(&cur, reply, sizeof(cur)))
		return 0;
	if (f->nat) {
		/* a tuple changed under a flow already shown: rare enough
		 * that the entry is rewritten in place, as the record's
		 * fields are */
		*nat_entry(tab, f->nat - 1) = *reply;
		return 0;
	}
	n = nat_take(tab);
	if (n == UINT32_MAX)
		return -ENOMEM;
	*nat_entry(tab, n) = *reply;
	__atomic_store_n(&f->nat, n + 1, __ATOMIC_RELEASE);
	return 0;
}

/* --- the kernel's counters ------------------------------------------------ */

static struct flow_kern *kern_at(const struct flowtab *tab, uint32_t i)
{
	struct flow_kern *chunk;

	if (!tab->kern_chunks)
		return NULL;
	chunk = tab->kern_chunks[i >> KERN_CHUNK_SHIFT];
	return chunk ? &chunk[i & (KERN_CHUNK - 1)] : NULL;
}

/* A new flow at index i: no entry of the flow that had it before. */
static void kern_clear(struct flowtab *tab, uint32_t i)
{
	struct flow_kern *k = kern_at(tab, i);

	if (k)
		k->kind = 0;
}

struct flow_kern *flowtab_kern(struct flowtab *tab, const struct flow_rec *f)
{
	struct flow_kern *k = kern_at(tab, flowtab_index(tab, f));

	return k && k->kind ? k : NULL;
}

struct flow_kern *flowtab_kern_make(struct flowtab *tab, struct flow_rec *f)
{
	uint32_t i = flowtab_index(tab, f), c = i >> KERN_CHUNK_SHIFT;

	if (!tab->kern_chunks) {
		tab->kern_chunks = calloc(((size_t)tab->max_flows +
					   KERN_CHUNK - 1) / KERN_CHUNK,
					  sizeof(*tab->kern_chunks));
		if (!tab->kern_chunks)
			return NULL;
	}
	if (!tab->kern_chunks[c]) {
		/* zeroed: every entry of it starts without a kind */
		tab->kern_chunks[c] = calloc(KERN_CHUNK, sizeof(struct flow_kern));
		if (!tab->kern_chunks[c])
			return NULL;
	}
	return kern_at(tab, i);
}

/* --- versions ------------------------------------------------------------ */

static uint32_t *new_buckets(size_t n)
{
	uint32_t *b = huge_map(n * sizeof(*b));

	if (b)
		memset(b, 0xff, n * sizeof(*b));	/* FLOWTAB_NONE */
	return b;
}

struct flowtab *flowtab_new(size_t expected_flows)
{
	struct flowtab *tab = calloc(1, sizeof(*tab));

	if (!tab)
		return NULL;
	atomic_init(&tab->refs, 1);
	tab->nbuckets = round_pow2(expected_flows / FLOWTAB_MAX_LOAD);
	tab->buckets = new_buckets(tab->nbuckets);
	if (!tab->buckets || reserve_flows(tab)) {
		huge_unmap(tab->buckets, tab->nbuckets * sizeof(uint32_t));
		free(tab);
		return NULL;
	}
	return tab;
}

struct flowtab *flowtab_get(struct flowtab *tab)
{
	if (tab)
		atomic_fetch_add(&tab->refs, 1);
	return tab;
}

void flowtab_free(struct flowtab *tab)
{
	if (!tab || atomic_fetch_sub(&tab->refs, 1) != 1)
		return;
	huge_unmap(tab->flows,
		   (size_t)tab->max_flows * sizeof(struct flow_rec));
	huge_unmap(tab->buckets, tab->nbuckets * sizeof(uint32_t));
	if (tab->nat_chunks)
		for (uint32_t c = 0; c * NAT_CHUNK < tab->nat_span; c++)
			free(tab->nat_chunks[c]);
	free(tab->nat_chunks);
	if (tab->kern_chunks)
		for (uint32_t c = 0; c * KERN_CHUNK < tab->span; c++)
			free(tab->kern_chunks[c]);
	free(tab->kern_chunks);
	if (tab->undo_chunks)
		for (uint32_t c = 0; c < UNDO_SLOTS; c++)
			free(tab->undo_chunks[c]);
	free(tab->undo_chunks);
	free(tab->undo_spare);
	free(tab->marks);
	free(tab->rated);
	free(tab->ended);
	free(tab->nat_free);
	free(tab->free_idx);
	free(tab->live);
	free(tab->limbo);
	free(tab);
}

size_t flowtab_count(const struct flowtab *tab)
{
	return tab->count;
}

uint32_t flowtab_span(const struct flowtab *tab)
{
	return tab->span;
}

size_t flowtab_list(const struct flowtab *tab, uint32_t *out)
{
	size_t n = 0;

	for (size_t w = 0; w * 64 < tab->span; w++) {
		uint64_t bits = tab->live[w];

		while (bits) {
			out[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
			bits &= bits - 1;
		}
	}
	return n;
}

static inline size_t bucket_of(const struct flowtab *tab,
			       const struct flow_key *key)
{
	return flow_key_hash(key) & (tab->nbuckets - 1);
}

struct flow_rec *flowtab_lookup(const struct flowtab *tab,
				const struct flow_key *key)
{
	return flowtab_lookup_hashed(tab, key, flow_key_hash(key));
}

void flowtab_prefetch(const struct flowtab *tab, uint64_t hash, int stage)
{
	const uint32_t *b = &tab->buckets[hash & (tab->nbuckets - 1)];

	if (!stage) {
		__builtin_prefetch(b);
		return;
	}
	if (*b != FLOWTAB_NONE) {
		/* the key to compare, and the line a change writes */
		__builtin_prefetch(&at(tab, *b)->key);
		__builtin_prefetch(&at(tab, *b)->state, 1);
	}
}

struct flow_rec *flowtab_lookup_hashed(const struct flowtab *tab,
				       const struct flow_key *key,
				       uint64_t hash)
{
	uint32_t i = tab->buckets[hash & (tab->nbuckets - 1)];

	while (i != FLOWTAB_NONE) {
		struct flow_rec *f = at(tab, i);

		if (!memcmp(&f->key, key, sizeof(*key)))
			return f;
		i = f->hnext;
	}
	return NULL;
}

/* Doubling is best effort: a failed grow only makes chains longer. */
static void flowtab_grow(struct flowtab *tab)
{
	size_t n = tab->nbuckets * 2;
	uint32_t *nb = new_buckets(n);

	if (!nb)
		return;
	for (uint32_t i = 0; i < tab->span; i++) {
		struct flow_rec *f = at(tab, i);
		size_t b;

		if (!f->in_use)
			continue;
		b = flow_key_hash(&f->key) & (n - 1);
		f->hnext = nb[b];
		nb[b] = i;
	}
	huge_unmap(tab->buckets, tab->nbuckets * sizeof(uint32_t));
	tab->buckets = nb;
	tab->nbuckets = n;
}

/* An unused index: a reclaimed one, else a new one. FLOWTAB_NONE if none. */
static uint32_t take_index(struct flowtab *tab)
{
	uint32_t i = tab->span;

	if (tab->nfree)
		return tab->free_idx[--tab->nfree];
	if (i >= tab->max_flows ||
	    grow_array((void **)&tab->live, &tab->live_cap, i / 64 + 1,
		       sizeof(*tab->live), 1024))
		return FLOWTAB_NONE;
	/* grow_array leaves new room as it was: the word is new at bit 0 */
	if (!(i % 64))
		tab->live[i / 64] = 0;
	tab->span++;
	return i;
}

/* Links a zeroed flow for key at a free index. */
struct flow_rec *flowtab_insert(struct flowtab *tab,
				const struct flow_key *key)
{
	uint32_t i;
	struct flow_rec *f;
	size_t b;

	/* before the new flow is in use: the rehash must not link it */
	if (tab->count + 1 > tab->nbuckets * FLOWTAB_MAX_LOAD)
		flowtab_grow(tab);
	i = take_index(tab);
	if (i == FLOWTAB_NONE)
		return NULL;
	f = at(tab, i);
	memset(f, 0, sizeof(*f));
	kern_clear(tab, i);
	/* no snapshot lists it yet: nothing of it needs keeping */
	f->wgen = (uint32_t)(tab->epoch + 1);
	f->key = *key;
	f->state = FLOW_STATE_NONE;
	f->sel_bit = (uint8_t)sel_proto_bit(key->family, key->proto);
	f->in_use = true;
	tab->live[i / 64] |= 1ull << (i % 64);
	tab->silent++;		/* until an event names it */
	b = bucket_of(tab, key);
	f->hnext = tab->buckets[b];
	tab->buckets[b] = i;
	tab->count++;
	return f;
}

struct flow_rec *flowtab_upsert(struct flowtab *tab,
				const struct flow_key *key, bool *created)
{
	struct flow_rec *f = flowtab_lookup(tab, key);

	*created = false;
	if (f)
		return f;
	f = flowtab_insert(tab, key);
	*created = f != NULL;
	return f;
}

/* Puts idx in limbo; if that fails (no memory) it is leaked, never reused. */
static void to_limbo(struct flowtab *tab, uint32_t idx)
{
	if (tab->limbo_head + tab->limbo_len == tab->limbo_cap) {
		if (tab->limbo_head) {
			memmove(tab->limbo, tab->limbo + tab->limbo_head,
				tab->limbo_len * sizeof(*tab->limbo));
			tab->limbo_head = 0;
		}
		if (tab->limbo_len == tab->limbo_cap) {
			size_t cap = tab->limbo_cap ? tab->limbo_cap * 2 : 1024;
			struct limbo_entry *l = realloc(tab->limbo,
							cap * sizeof(*l));

			if (!l)
				return;
			tab->limbo = l;
			tab->limbo_cap = cap;
		}
	}
	tab->limbo[tab->limbo_head + tab->limbo_len++] =
		(struct limbo_entry){ .tag = tab->epoch, .idx = idx };
}

/* Unlinks f from its chain, whose link to it is *pp. */
static void unlink_at(struct flowtab *tab, uint32_t *pp, struct flow_rec *f)
{
	uint32_t i = flowtab_index(tab, f);

	*pp = f->hnext;
	f->in_use = false;
	tab->live[i / 64] &= ~(1ull << (i % 64));
	if (!f->events_seen)
		tab->silent--;
	f->hnext = FLOWTAB_NONE;
	tab->count--;
	to_limbo(tab, flowtab_index(tab, f));
}

static uint32_t *link_to(struct flowtab *tab, const struct flow_rec *f)
{
	uint32_t *pp = &tab->buckets[bucket_of(tab, &f->key)];
	uint32_t idx = flowtab_index(tab, f);

	while (*pp != FLOWTAB_NONE && *pp != idx)
		pp = &at(tab, *pp)->hnext;
	return *pp == FLOWTAB_NONE ? NULL : pp;
}

void flowtab_remove(struct flowtab *tab, struct flow_rec *f)
{
	uint32_t *pp = link_to(tab, f);

	if (pp)
		unlink_at(tab, pp, f);
}

struct flow_rec *flowtab_renew(struct flowtab *tab, struct flow_rec *f)
{
	struct flow_key key = f->key;
	uint32_t i = take_index(tab);
	uint32_t *pp = link_to(tab, f);
	struct flow_rec *n;

	if (i == FLOWTAB_NONE || !pp)
		return NULL;
	n = at(tab, i);
	memset(n, 0, sizeof(*n));
	kern_clear(tab, i);
	n->wgen = (uint32_t)(tab->epoch + 1);
	n->key = key;
	n->state = FLOW_STATE_NONE;
	n->sel_bit = f->sel_bit;
	n->in_use = true;
	tab->live[i / 64] |= 1ull << (i % 64);
	tab->silent++;
	/* the new flow takes the old one's place in the chain */
	n->hnext = f->hnext;
	unlink_at(tab, pp, f);
	*pp = i;
	tab->count++;
	return n;
}

void flowtab_set_epoch(struct flowtab *tab, uint64_t seq)
{
	tab->epoch = seq;
}

void flowtab_reclaim(struct flowtab *tab, uint64_t min_live_seq)
{
	uint32_t idx;

	/* first: a reclaimed index has no entry left */
	flowtab_undo_collect(tab, min_live_seq);
	while (tab->limbo_len &&
	       tab->limbo[tab->limbo_head].tag < min_live_seq) {
		/* on failure it stays in limbo: tried again later */
		if (grow_array((void **)&tab->free_idx, &tab->free_cap,
			       tab->nfree + 1, sizeof(*tab->free_idx), 1024))
			return;
		idx = tab->limbo[tab->limbo_head].idx;
		/* no snapshot can read its reply tuple any more */
		nat_put(tab, at(tab, idx));
		tab->free_idx[tab->nfree++] = idx;
		tab->limbo_head++;
		tab->limbo_len--;
	}
	if (!tab->limbo_len)
		tab->limbo_head = 0;
}

void flowtab_foreach(const struct flowtab *tab,
		     void (*fn)(struct flow_rec *f, void *arg), void *arg)
{
	for (uint32_t i = 0; i < tab->span; i++) {
		struct flow_rec *f = at(tab, i);

		if (f->in_use)
			fn(f, arg);
	}
}

/*
 * Removes every flow for which drop() says so; returns how many. The scan
 * runs over the array in order (memory order, not the buckets' random
 * one); only the flows it removes walk their chain.
 */
static size_t flowtab_remove_if(struct flowtab *tab,
				bool (*drop)(const struct flow_rec *f,
					     uint32_t arg),
				uint32_t arg)
{
	size_t removed = 0;

	for (uint32_t i = 0; i < tab->span; i++) {
		struct flow_rec *f = at(tab, i);
		uint32_t *pp;

		if (!f->in_use || !drop(f, arg))
			continue;
		pp = link_to(tab, f);
		if (pp) {
			unlink_at(tab, pp, f);
			removed++;
		}
	}
	return removed;
}

static bool not_seen_in(const struct flow_rec *f, uint32_t gen)
{
	return f->seen_gen != gen;
}

static bool is_destroyed(const struct flow_rec *f, uint32_t unused)
{
	(void)unused;
	return f->destroyed;
}

size_t flowtab_sweep(struct flowtab *tab, uint32_t gen)
{
	return flowtab_remove_if(tab, not_seen_in, gen);
}

size_t flowtab_reap_destroyed(struct flowtab *tab)
{
	return flowtab_remove_if(tab, is_destroyed, 0);
}

void flowtab_set_destroyed(struct flowtab *tab, struct flow_rec *f)
{
	if (f->destroyed)
		return;
	flowtab_touch(tab, f);
	f->destroyed = true;
	if (grow_array((void **)&tab->ended, &tab->ended_cap, tab->nended + 1,
		       sizeof(*tab->ended), 1024))
		tab->ended_lost = true;
	else
		tab->ended[tab->nended++] = flowtab_index(tab, f);
}

void flowtab_set_events_seen(struct flowtab *tab, struct flow_rec *f)
{
	if (f->events_seen)
		return;
	flowtab_touch(tab, f);
	f->events_seen = true;
	if (f->in_use)
		tab->silent--;
}

/* Unlinks f if it is in use and destroyed; returns whether it did. */
static bool reap(struct flowtab *tab, struct flow_rec *f)
{
	uint32_t *pp;

	if (!f->in_use || !f->destroyed || !(pp = link_to(tab, f)))
		return false;
	unlink_at(tab, pp, f);
	return true;
}

size_t flowtab_end_interval(struct flowtab *tab, size_t *silent)
{
	size_t removed = 0;

	/* a flow listed twice (ended, its index reused, ended again) is
	 * reaped once: the second time it is no longer in use */
	for (size_t k = 0; k < tab->nended; k++)
		removed += reap(tab, at(tab, tab->ended[k]));
	tab->nended = 0;
	/* a burst's list is not kept for ever */
	if (tab->ended_cap > 65536) {
		free(tab->ended);
		tab->ended = NULL;
		tab->ended_cap = 0;
	}
	if (tab->ended_lost) {
		/* out of memory once: the flows in use, by their bits */
		for (size_t w = 0; w * 64 < tab->span; w++)
			for (uint64_t bits = tab->live[w]; bits; bits &= bits - 1)
				removed += reap(tab, at(tab, (uint32_t)(w * 64 +
						(size_t)__builtin_ctzll(bits))));
		tab->ended_lost = false;
	}
	*silent = tab->silent;
	return removed;
}

uint64_t counter_delta(uint64_t prev, uint64_t now)
{
	/* a counter never goes down: a lower value is a fresh counter */
	return now >= prev ? now - prev : now;
}

bool flow_counters_update(struct flow_rec *f, const struct flow_counters *now,
			  double interval_s, struct flow_rates *rates)
{
	bool have_base = f->counters_valid || f->counts_from_zero;
	bool moving = false;

	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		uint64_t base_p = f->counters_valid ? f->total.packets[d] : 0;
		uint64_t base_b = f->counters_valid ? f->total.bytes[d] : 0;
		uint64_t dp = counter_delta(base_p, now->packets[d]);
		uint64_t db = counter_delta(base_b, now->bytes[d]);

		if (have_base && interval_s > 0) {
			rates->pkt_rate[d] = (float)(dp / interval_s);
			rates->byte_rate[d] = (float)(db / interval_s);
		} else {
			rates->pkt_rate[d] = 0;
			rates->byte_rate[d] = 0;
		}
		moving |= rates->pkt_rate[d] > 0 || rates->byte_rate[d] > 0;
	}
	f->total = *now;
	f->counters_valid = true;
	return moving;
}
