// SPDX-License-Identifier: GPL-2.0
/*
 * Flow table: open-addressed hash keyed by the 40-byte original tuple +
 * zone. Single writer (the collector thread), so no locking at all; snapshots
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
			tab->reserved = n;
			/* the two highest indices would read as SLOT_EMPTY
			 * and SLOT_TOMB under the highest tag */
			tab->max_flows = (uint32_t)(n < FLOWTAB_MAX_FLOWS ?
						    n : n - 2);
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

/* --- marks and NAT entries' numbers, by index ---------------------------- */

/* i's entry, or NULL when its chunk was never needed (all 0 then). */
static const struct flow_ext *ext_peek(const struct flowtab *tab, uint32_t i)
{
	return flow_ext_of(tab->ext_chunks, i);
}

struct flow_ext *const *flowtab_ext_chunks(const struct flowtab *tab)
{
	return tab->ext_chunks;
}

/* i's entry, its chunk made if need be (collector); NULL: no memory. */
static struct flow_ext *ext_make(struct flowtab *tab, uint32_t i)
{
	struct flow_ext **cp = &tab->ext_chunks[i >> EXT_CHUNK_SHIFT];

	if (!*cp) {
		struct flow_ext *c = calloc(EXT_CHUNK, sizeof(*c));

		if (!c)
			return NULL;
		__atomic_store_n(cp, c, __ATOMIC_RELEASE);
	}
	return &(*cp)[i & (EXT_CHUNK - 1)];
}

uint32_t flowtab_mark(const struct flowtab *tab, const struct flow_rec *f)
{
	const struct flow_ext *e = ext_peek(tab, index_of(tab, f));

	return e ? __atomic_load_n(&e->mark, __ATOMIC_RELAXED) : 0;
}

int flowtab_set_mark(struct flowtab *tab, struct flow_rec *f, uint32_t mark)
{
	struct flow_ext *e = (struct flow_ext *)ext_peek(tab, index_of(tab, f));

	if (!e && !mark)
		return 0;
	if (!e && !(e = ext_make(tab, index_of(tab, f))))
		return -ENOMEM;
	if (__atomic_load_n(&e->mark, __ATOMIC_RELAXED) != mark)
		__atomic_store_n(&e->mark, mark, __ATOMIC_RELAXED);
	return 0;
}

uint32_t flowtab_nat(const struct flowtab *tab, const struct flow_rec *f)
{
	const struct flow_ext *e = ext_peek(tab, index_of(tab, f));

	/* acquire: pairs with the release that published the NAT entry */
	return e ? __atomic_load_n(&e->nat, __ATOMIC_ACQUIRE) : 0;
}

/* A new flow at index i: no mark of the flow that had it before. */
static void ext_clear(struct flowtab *tab, uint32_t i)
{
	struct flow_ext *e = (struct flow_ext *)ext_peek(tab, i);

	if (e)
		__atomic_store_n(&e->mark, 0, __ATOMIC_RELAXED);
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

/*
 * Gives back the NAT entry of the flow at index i; if that fails (no
 * memory) it is leaked.
 */
static void nat_put(struct flowtab *tab, uint32_t i)
{
	struct flow_ext *e = (struct flow_ext *)ext_peek(tab, i);

	if (!e || !e->nat)
		return;
	if (!grow_array((void **)&tab->nat_free, &tab->nat_free_cap,
			tab->nat_nfree + 1, sizeof(*tab->nat_free), 1024))
		tab->nat_free[tab->nat_nfree++] = e->nat - 1;
	__atomic_store_n(&e->nat, 0, __ATOMIC_RELAXED);
}

void flowtab_nat_reply(const struct flowtab *tab, uint32_t nat,
		       struct flow_key *out)
{
	*out = *nat_entry(tab, nat - 1);
}

void flowtab_reply(const struct flowtab *tab, const struct flow_rec *f,
		   struct flow_key *out)
{
	uint32_t nat = flowtab_nat(tab, f);

	if (nat)
		flowtab_nat_reply(tab, nat, out);
	else
		flow_key_mirror(&f->key, out);
}

int flowtab_set_reply(struct flowtab *tab, struct flow_rec *f,
		      const struct flow_key *reply)
{
	uint32_t nat = flowtab_nat(tab, f), n;
	struct flow_key cur;
	struct flow_ext *e;

	flowtab_reply(tab, f, &cur);
	if (!memcmp(&cur, reply, sizeof(cur)))
		return 0;
	if (nat) {
		/* a tuple changed under a flow already shown: rare enough
		 * that the entry is rewritten in place, as the record's
		 * fields are */
		*nat_entry(tab, nat - 1) = *reply;
		return 0;
	}
	e = ext_make(tab, index_of(tab, f));
	if (!e)
		return -ENOMEM;
	n = nat_take(tab);
	if (n == UINT32_MAX)
		return -ENOMEM;
	*nat_entry(tab, n) = *reply;
	__atomic_store_n(&e->nat, n + 1, __ATOMIC_RELEASE);
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

/* --- the table ----------------------------------------------------------- */

static uint32_t *new_buckets(size_t n)
{
	uint32_t *b = huge_map(n * sizeof(*b));

	if (b)
		memset(b, 0xff, n * sizeof(*b));	/* SLOT_EMPTY */
	return b;
}

struct flowtab *flowtab_new(size_t expected_flows)
{
	struct flowtab *tab = calloc(1, sizeof(*tab));

	if (!tab)
		return NULL;
	atomic_init(&tab->refs, 1);
	tab->nbuckets = round_pow2(expected_flows * SLOT_GROW_DEN /
				   SLOT_GROW_NUM);
	tab->buckets = new_buckets(tab->nbuckets);
	if (!tab->buckets || reserve_flows(tab)) {
		huge_unmap(tab->buckets, tab->nbuckets * sizeof(uint32_t));
		free(tab);
		return NULL;
	}
	/* address space: the pages are touched chunk by chunk, as used */
	tab->ext_chunks = calloc(((size_t)tab->max_flows + EXT_CHUNK - 1) /
				 EXT_CHUNK, sizeof(*tab->ext_chunks));
	if (!tab->ext_chunks) {
		huge_unmap(tab->flows, tab->reserved * sizeof(struct flow_rec));
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
	huge_unmap(tab->flows, tab->reserved * sizeof(struct flow_rec));
	huge_unmap(tab->buckets, tab->nbuckets * sizeof(uint32_t));
	if (tab->next)
		huge_unmap(tab->next, tab->next_n * sizeof(uint32_t));
	if (tab->nat_chunks)
		for (uint32_t c = 0; c * NAT_CHUNK < tab->nat_span; c++)
			free(tab->nat_chunks[c]);
	free(tab->nat_chunks);
	if (tab->kern_chunks)
		for (uint32_t c = 0; c * KERN_CHUNK < tab->span; c++)
			free(tab->kern_chunks[c]);
	free(tab->kern_chunks);
	for (uint32_t c = 0; c * EXT_CHUNK < tab->span; c++)
		free(tab->ext_chunks[c]);
	free(tab->ext_chunks);
	if (tab->undo_chunks)
		for (uint32_t c = 0; c < UNDO_SLOTS; c++)
			free(tab->undo_chunks[c]);
	free(tab->undo_chunks);
	free(tab->undo_spare);
	free(tab->marks);
	free(tab->ended);
	free(tab->nat_free);
	free(tab->free_idx);
	free(tab->live);
	free(tab->seen);
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

size_t flowtab_list(const struct flowtab *tab, uint32_t *out,
		    uint32_t *ranks)
{
	size_t n = 0;

	for (size_t w = 0; w * 64 < tab->span; w++) {
		uint64_t bits = tab->live[w];

		if (ranks)
			ranks[w] = (uint32_t)n;
		while (bits) {
			out[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
			bits &= bits - 1;
		}
	}
	return n;
}

uint32_t flowtab_row(const struct flowtab *tab, const uint32_t *ranks,
		     uint32_t idx)
{
	uint64_t w;

	if (idx >= tab->span)
		return FLOWTAB_NONE;
	w = tab->live[idx / 64];
	if (!(w >> (idx % 64) & 1))
		return FLOWTAB_NONE;
	return ranks[idx / 64] +
	       (uint32_t)__builtin_popcountll(w & ((1ull << (idx % 64)) - 1));
}

/* --- dump generations ----------------------------------------------------- */

void flowtab_set_seen(struct flowtab *tab, const struct flow_rec *f,
		      uint32_t gen)
{
	uint32_t i = index_of(tab, f);

	if (tab->seen_gen != gen) {
		/* a new dump: the last one's marks go */
		memset(tab->seen, 0, (tab->span + 63) / 64 * sizeof(*tab->seen));
		tab->seen_gen = gen;
	}
	tab->seen[i / 64] |= 1ull << (i % 64);
}

bool flowtab_seen(const struct flowtab *tab, const struct flow_rec *f,
		  uint32_t gen)
{
	uint32_t i = index_of(tab, f);

	return tab->seen_gen == gen && (tab->seen[i / 64] >> (i % 64) & 1);
}

/* --- the hash index ------------------------------------------------------- */

/* the slot of index i under hash h */
static inline uint32_t slot_val(uint64_t h, uint32_t i)
{
	return (uint32_t)(h >> (64 - (32 - SLOT_IDX_BITS))) << SLOT_IDX_BITS | i;
}

/* whether slot s holds a flow whose key's hash has h's tag */
static inline bool slot_tag_is(uint32_t s, uint64_t h)
{
	return s < SLOT_TOMB && (s & ~SLOT_IDX_MASK) == (slot_val(h, 0));
}

struct flow_rec *flowtab_lookup(const struct flowtab *tab,
				const struct flow_key *key)
{
	return flowtab_lookup_hashed(tab, key, flow_key_hash(key));
}

void flowtab_prefetch(const struct flowtab *tab, uint64_t hash, int stage)
{
	size_t mask = tab->nbuckets - 1, p = hash & mask;

	if (!stage) {
		__builtin_prefetch(&tab->buckets[p]);
		return;
	}
	for (uint32_t s; (s = tab->buckets[p]) != SLOT_EMPTY; p = (p + 1) & mask) {
		if (slot_tag_is(s, hash)) {
			const char *r = (const char *)at(tab, s & SLOT_IDX_MASK);

			/* the key to compare, and the total a change writes
			 * (96 bytes: two lines, wherever the record starts) */
			__builtin_prefetch(r, 1);
			__builtin_prefetch(r + sizeof(struct flow_rec) - 1, 1);
			return;
		}
	}
}

struct flow_rec *flowtab_lookup_hashed(const struct flowtab *tab,
				       const struct flow_key *key,
				       uint64_t hash)
{
	size_t mask = tab->nbuckets - 1, p = hash & mask;

	/* the index always has an empty slot: SLOT_FULL_NUM < DEN */
	for (uint32_t s; (s = tab->buckets[p]) != SLOT_EMPTY; p = (p + 1) & mask) {
		if (slot_tag_is(s, hash)) {
			struct flow_rec *f = at(tab, s & SLOT_IDX_MASK);

			if (!memcmp(&f->key, key, sizeof(*key)))
				return f;
		}
	}
	return NULL;
}

/* Where a flow whose key hashes to h goes in index b of n: the first
 * free slot. */
static uint32_t *free_slot_in(uint32_t *b, size_t n, uint64_t h)
{
	size_t mask = n - 1, p = h & mask;

	while (b[p] < SLOT_TOMB)
		p = (p + 1) & mask;
	return &b[p];
}

static uint32_t *free_slot(struct flowtab *tab, uint64_t h)
{
	return free_slot_in(tab->buckets, tab->nbuckets, h);
}

/* The slot of index b (n slots) that holds want, NULL if none does. */
static uint32_t *find_in(uint32_t *b, size_t n, uint64_t h, uint32_t want)
{
	size_t mask = n - 1, p = h & mask;

	for (uint32_t s; (s = b[p]) != SLOT_EMPTY; p = (p + 1) & mask)
		if (s == want)
			return &b[p];
	return NULL;
}

/*
 * Empties the slot sp of index b (n slots, *tombs tombstones): a
 * tombstone, unless the next slot is empty (no probe passes it then);
 * the tombstones before it go the same way.
 */
static void clear_in(uint32_t *b, size_t n, size_t *tombs, uint32_t *sp)
{
	size_t mask = n - 1, p = (size_t)(sp - b);

	if (b[(p + 1) & mask] != SLOT_EMPTY) {
		*sp = SLOT_TOMB;
		(*tombs)++;
		return;
	}
	*sp = SLOT_EMPTY;
	for (p = (p - 1) & mask; b[p] == SLOT_TOMB; p = (p - 1) & mask) {
		b[p] = SLOT_EMPTY;
		(*tombs)--;
	}
}

/* Index i (key hash h) into the successor, if the move has passed it. */
static void next_add(struct flowtab *tab, uint32_t i, uint64_t h)
{
	uint32_t *sp;

	if (!tab->next || i >= tab->move_pos)
		return;
	sp = free_slot_in(tab->next, tab->next_n, h);
	if (*sp == SLOT_TOMB)
		tab->next_tombs--;
	*sp = slot_val(h, i);
}

/* Index i (key hash h) out of the successor, if the move has passed it. */
static void next_del(struct flowtab *tab, uint32_t i, uint64_t h)
{
	uint32_t *sp;

	if (!tab->next || i >= tab->move_pos)
		return;
	sp = find_in(tab->next, tab->next_n, h, slot_val(h, i));
	if (sp)
		clear_in(tab->next, tab->next_n, &tab->next_tombs, sp);
}

/*
 * Rebuilding the index (twice the size, or the same size without its
 * tombstones) went through every flow at once: at 2M flows 80 ms of CPU
 * in one insert, and 0.85 s without a tick when a load left the
 * collector a tenth of a CPU (bench/README.md, session 13). The successor
 * is now built MOVE_STEP indices per insert or removal, in index order
 * (move_pos); changes to flows below move_pos go to both. It begins at
 * SLOT_GROW (flows) or SLOT_CLEAN (flows and tombstones); the indices in
 * use are at most the index's size times SLOT_GROW (the span never
 * passes the most flows ever held), so it is done within size / MOVE_STEP
 * changes, before the old one can reach SLOT_FULL by inserts; if it does
 * (removals' tombstones), the rest is moved at once.
 */
#define MOVE_STEP	8u

/* The successor takes over. */
static void move_done(struct flowtab *tab)
{
	huge_unmap(tab->buckets, tab->nbuckets * sizeof(uint32_t));
	tab->buckets = tab->next;
	tab->nbuckets = tab->next_n;
	tab->ntombs = tab->next_tombs;
	tab->next = NULL;
	tab->next_n = tab->next_tombs = 0;
	tab->move_pos = 0;
}

/* Up to budget more indices into the successor; done: it takes over. */
static void move_step(struct flowtab *tab, uint32_t budget)
{
	while (budget-- && tab->move_pos < tab->span) {
		uint32_t i = tab->move_pos++;
		uint64_t h;

		if (!(tab->live[i / 64] & (1ull << (i % 64))))
			continue;
		h = flow_key_hash(&at(tab, i)->key);
		*free_slot_in(tab->next, tab->next_n, h) = slot_val(h, i);
	}
	if (tab->move_pos >= tab->span)
		move_done(tab);
}

/* A successor of n slots begins (best effort: without memory, none). */
static void move_begin(struct flowtab *tab, size_t n)
{
	tab->next = new_buckets(n);
	if (!tab->next)
		return;
	tab->next_n = n;
	tab->next_tombs = 0;
	tab->move_pos = 0;
}

/* Room for one more flow in the index: a successor begun, moved on, or
 * finished at once if need be. */
static void make_room(struct flowtab *tab)
{
	size_t n = tab->nbuckets;
	bool full = (tab->count + tab->ntombs + 1) * SLOT_FULL_DEN >
		    n * SLOT_FULL_NUM;

	if (tab->next) {
		move_step(tab, full ? UINT32_MAX : MOVE_STEP);
		return;
	}
	if ((tab->count + 1) * SLOT_GROW_DEN > n * SLOT_GROW_NUM)
		move_begin(tab, n * 2);
	else if ((tab->count + tab->ntombs + 1) * SLOT_CLEAN_DEN >
		 n * SLOT_CLEAN_NUM)
		move_begin(tab, n);
	if (tab->next)
		move_step(tab, full ? UINT32_MAX : MOVE_STEP);
}

/* The slot holding f, NULL if none does. */
static uint32_t *slot_of(struct flowtab *tab, const struct flow_rec *f)
{
	uint64_t h = flow_key_hash(&f->key);

	return find_in(tab->buckets, tab->nbuckets, h,
		       slot_val(h, index_of(tab, f)));
}

/* Empties the slot sp, which holds f (also in the successor). */
static void slot_clear(struct flowtab *tab, uint32_t *sp,
		       const struct flow_rec *f)
{
	clear_in(tab->buckets, tab->nbuckets, &tab->ntombs, sp);
	if (tab->next) {
		next_del(tab, index_of(tab, f), flow_key_hash(&f->key));
		move_step(tab, MOVE_STEP);
	}
}

/* An unused index: a reclaimed one, else a new one. FLOWTAB_NONE if none. */
static uint32_t take_index(struct flowtab *tab)
{
	uint32_t i = tab->span;

	if (tab->nfree)
		return tab->free_idx[--tab->nfree];
	if (i >= tab->max_flows ||
	    grow_array((void **)&tab->live, &tab->live_cap, i / 64 + 1,
		       sizeof(*tab->live), 1024) ||
	    grow_array((void **)&tab->seen, &tab->seen_cap, i / 64 + 1,
		       sizeof(*tab->seen), 1024))
		return FLOWTAB_NONE;
	/* grow_array leaves new room as it was: the word is new at bit 0 */
	if (!(i % 64)) {
		tab->live[i / 64] = 0;
		tab->seen[i / 64] = 0;
	}
	tab->span++;
	return i;
}

/* The record at index i, zeroed, for a new flow with key (in use). */
static struct flow_rec *begin_flow(struct flowtab *tab, uint32_t i,
				   const struct flow_key *key)
{
	struct flow_rec *f = at(tab, i);

	memset(f, 0, sizeof(*f));
	kern_clear(tab, i);
	ext_clear(tab, i);
	tab->seen[i / 64] &= ~(1ull << (i % 64));
	/* no snapshot lists it yet: nothing of it needs keeping */
	f->wgen = (uint32_t)(tab->epoch + 1);
	f->key = *key;
	f->state = FLOW_STATE_NONE;
	f->sel_bit = (uint8_t)sel_proto_bit(key->family, key->proto);
	f->in_use = true;
	tab->live[i / 64] |= 1ull << (i % 64);
	tab->silent++;		/* until an event names it */
	tab->count++;
	return f;
}

/* Links a zeroed flow for key at a free index. */
struct flow_rec *flowtab_insert(struct flowtab *tab,
				const struct flow_key *key)
{
	uint64_t h = flow_key_hash(key);
	uint32_t i, *sp;

	/* before the new flow is in use: the rehash must not link it */
	make_room(tab);
	/* a lookup stops at an empty slot: one is always left (a rebuild
	 * that found no memory may leave the index fuller than it likes) */
	if (tab->count + tab->ntombs + 2 > tab->nbuckets)
		return NULL;
	i = take_index(tab);
	if (i == FLOWTAB_NONE)
		return NULL;
	sp = free_slot(tab, h);
	if (*sp == SLOT_TOMB)
		tab->ntombs--;
	*sp = slot_val(h, i);
	next_add(tab, i, h);
	return begin_flow(tab, i, key);
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

/* f out of use; its index goes to limbo. */
static void end_flow(struct flowtab *tab, struct flow_rec *f)
{
	uint32_t i = flowtab_index(tab, f);

	f->in_use = false;
	tab->live[i / 64] &= ~(1ull << (i % 64));
	if (!f->events_seen)
		tab->silent--;
	tab->count--;
	to_limbo(tab, i);
}

/* Unlinks f, whose slot is *sp. */
static void unlink_at(struct flowtab *tab, uint32_t *sp, struct flow_rec *f)
{
	slot_clear(tab, sp, f);
	end_flow(tab, f);
}

void flowtab_remove(struct flowtab *tab, struct flow_rec *f)
{
	uint32_t *sp = slot_of(tab, f);

	if (sp)
		unlink_at(tab, sp, f);
}

struct flow_rec *flowtab_renew(struct flowtab *tab, struct flow_rec *f)
{
	struct flow_key key = f->key;
	uint32_t *sp = slot_of(tab, f);
	uint32_t i;

	if (!sp)
		return NULL;
	i = take_index(tab);
	if (i == FLOWTAB_NONE)
		return NULL;
	/* the new flow takes the old one's slot (same key: same tag) */
	*sp = (*sp & ~SLOT_IDX_MASK) | i;
	if (tab->next) {
		uint64_t h = flow_key_hash(&key);

		next_del(tab, index_of(tab, f), h);
		next_add(tab, i, h);
	}
	end_flow(tab, f);
	return begin_flow(tab, i, &key);
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
		nat_put(tab, idx);
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
				bool (*drop)(const struct flowtab *tab,
					     const struct flow_rec *f,
					     uint32_t arg),
				uint32_t arg)
{
	size_t removed = 0;

	for (uint32_t i = 0; i < tab->span; i++) {
		struct flow_rec *f = at(tab, i);
		uint32_t *sp;

		if (!f->in_use || !drop(tab, f, arg))
			continue;
		sp = slot_of(tab, f);
		if (sp) {
			unlink_at(tab, sp, f);
			removed++;
		}
	}
	return removed;
}

static bool not_seen_in(const struct flowtab *tab, const struct flow_rec *f,
			uint32_t gen)
{
	return !flowtab_seen(tab, f, gen);
}

static bool is_destroyed(const struct flowtab *tab, const struct flow_rec *f,
			 uint32_t unused)
{
	(void)tab;
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
	uint32_t *sp;

	if (!f->in_use || !f->destroyed || !(sp = slot_of(tab, f)))
		return false;
	unlink_at(tab, sp, f);
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
