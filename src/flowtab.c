// SPDX-License-Identifier: GPL-2.0
/*
 * Flow table: chained hash keyed by the 40-byte original tuple + zone.
 * Single writer (the collector thread), so no locking at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"

struct flowtab {
	struct flow **buckets;
	size_t nbuckets;	/* power of two */
	size_t count;
};

/* Grow when the average chain passes this length: keeps lookups O(1). */
#define FLOWTAB_MAX_LOAD 1
#define FLOWTAB_MIN_BUCKETS 1024

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

struct flowtab *flowtab_new(size_t expected_flows)
{
	struct flowtab *tab = calloc(1, sizeof(*tab));

	if (!tab)
		return NULL;
	tab->nbuckets = round_pow2(expected_flows / FLOWTAB_MAX_LOAD);
	tab->buckets = calloc(tab->nbuckets, sizeof(*tab->buckets));
	if (!tab->buckets) {
		free(tab);
		return NULL;
	}
	return tab;
}

void flowtab_free(struct flowtab *tab)
{
	if (!tab)
		return;
	for (size_t i = 0; i < tab->nbuckets; i++) {
		struct flow *f = tab->buckets[i], *next;

		for (; f; f = next) {
			next = f->hnext;
			free(f);
		}
	}
	free(tab->buckets);
	free(tab);
}

size_t flowtab_count(const struct flowtab *tab)
{
	return tab->count;
}

static inline size_t bucket_of(const struct flowtab *tab,
			       const struct flow_key *key)
{
	return flow_key_hash(key) & (tab->nbuckets - 1);
}

struct flow *flowtab_lookup(const struct flowtab *tab,
			    const struct flow_key *key)
{
	struct flow *f = tab->buckets[bucket_of(tab, key)];

	for (; f; f = f->hnext)
		if (!memcmp(&f->key, key, sizeof(*key)))
			return f;
	return NULL;
}

/* Doubling is best effort: a failed grow only makes chains longer. */
static void flowtab_grow(struct flowtab *tab)
{
	size_t n = tab->nbuckets * 2;
	struct flow **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; i < tab->nbuckets; i++) {
		struct flow *f = tab->buckets[i], *next;

		for (; f; f = next) {
			size_t b = flow_key_hash(&f->key) & (n - 1);

			next = f->hnext;
			f->hnext = nb[b];
			nb[b] = f;
		}
	}
	free(tab->buckets);
	tab->buckets = nb;
	tab->nbuckets = n;
}

struct flow *flowtab_upsert(struct flowtab *tab, const struct flow_key *key,
			    bool *created)
{
	struct flow *f = flowtab_lookup(tab, key);
	size_t b;

	*created = false;
	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->key = *key;
	f->state = FLOW_STATE_NONE;
	if (tab->count + 1 > tab->nbuckets * FLOWTAB_MAX_LOAD)
		flowtab_grow(tab);
	b = bucket_of(tab, key);
	f->hnext = tab->buckets[b];
	tab->buckets[b] = f;
	tab->count++;
	*created = true;
	return f;
}

void flowtab_remove(struct flowtab *tab, struct flow *f)
{
	struct flow **pp = &tab->buckets[bucket_of(tab, &f->key)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			tab->count--;
			free(f);
			return;
		}
	}
}

void flowtab_foreach(const struct flowtab *tab,
		     void (*fn)(struct flow *f, void *arg), void *arg)
{
	for (size_t i = 0; i < tab->nbuckets; i++)
		for (struct flow *f = tab->buckets[i]; f; f = f->hnext)
			fn(f, arg);
}

/* Removes every flow for which drop() says so; returns how many. */
static size_t flowtab_remove_if(struct flowtab *tab,
				bool (*drop)(const struct flow *f, uint32_t arg),
				uint32_t arg)
{
	size_t removed = 0;

	for (size_t i = 0; i < tab->nbuckets; i++) {
		struct flow **pp = &tab->buckets[i];

		while (*pp) {
			struct flow *f = *pp;

			if (drop(f, arg)) {
				*pp = f->hnext;
				free(f);
				removed++;
			} else {
				pp = &f->hnext;
			}
		}
	}
	tab->count -= removed;
	return removed;
}

static bool not_seen_in(const struct flow *f, uint32_t gen)
{
	return f->seen_gen != gen;
}

static bool is_destroyed(const struct flow *f, uint32_t unused)
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

uint64_t counter_delta(uint64_t prev, uint64_t now)
{
	/* a counter never goes down: a lower value is a fresh counter */
	return now >= prev ? now - prev : now;
}

void flow_counters_update(struct flow *f, const struct flow_counters *now,
			  double interval_s)
{
	bool have_base = f->counters_valid || f->counts_from_zero;

	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		uint64_t base_p = f->counters_valid ? f->total.packets[d] : 0;
		uint64_t base_b = f->counters_valid ? f->total.bytes[d] : 0;
		uint64_t dp = counter_delta(base_p, now->packets[d]);
		uint64_t db = counter_delta(base_b, now->bytes[d]);

		if (have_base && interval_s > 0) {
			f->pkt_rate[d] = (float)(dp / interval_s);
			f->byte_rate[d] = (float)(db / interval_s);
		} else {
			f->pkt_rate[d] = 0;
			f->byte_rate[d] = 0;
		}
	}
	f->total = *now;
	f->counters_valid = true;
}
