// SPDX-License-Identifier: GPL-2.0
/*
 * The slots counter layout (--counter-map slots, the default).
 *
 * The BPF program gives every new flow a slot: slot_keys[slot] holds its
 * key, slot_counters[slot] its counters (atomic adds, shared by all CPUs),
 * slot_of maps key -> slot for the program's own lookups. Both arrays are
 * mmap()ed here (up to the highest slot ever used, the mapping growing
 * with it), so a read is a scan of memory: no system call per flow, and
 * the cost does not grow with the number of CPUs. A shadow of the counters
 * as last reported (the low 32 bits of all of a slot's counts summed) lets
 * the read hand the caller only the slots that moved.
 *
 * Life of a slot:
 *
 *   free ──BPF: new flow──▶ in use, unseen ──read: counters moved──▶ live
 *     ▲                                                               │
 *     │                     acct_forget_conn (DESTROY, unless a newer │
 *     │                     connection owns it), acct_forget_now, or  │
 *     │                     unknown to the caller for                 │
 *     │                     ACCT_ORPHAN_READS reads in a row          ▼
 *     └── zeroed, pushed to free_slots ◀── quarantine ◀── key deleted from slot_of
 *
 * The quarantine lasts until a later read and at least
 * ACCT_QUARANTINE_MIN_NS: a program that found the slot through slot_of
 * just before the delete may still add to it for a moment, and those late
 * counts must land in a slot nobody reads rather than in the next flow's.
 * Unless they are a newer connection's (the program restarted the slot
 * for it): a slot retired for a destroyed connection whose counters moved
 * meanwhile is given to the newer owner at release (rescue_slot).
 *
 * A slot's owner (the connection its counters belong to) lives in
 * slot_owner, which the program keeps and restarts the counters by when
 * another connection takes the tuple; it is read here only to forget.
 *
 * Finding a key's slot (to forget it): an open-addressing index of slot
 * numbers keyed by the key's hash, filled as reads discover slots; the
 * key of a candidate is compared by one lookup in slot_keys.
 *
 * Only slot_counters stays mapped. slot_keys (40 B a slot: 9.4 MiB of
 * flowtop's resident memory at 262144 flows, the kernel's all the same)
 * is read in slot order by a read (the keys of the slots it reports) and
 * by an index rebuild, through a window of KEY_WINDOW_PAGES mapped at
 * one place over the part of the array the pass is in, each map in place
 * of the last, and unmapped when the read ends; the
 * other key reads (a forget's candidate, a rescue) are one system call
 * each, and keys are written (set, zeroed at release) by batch updates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "acct_internal.h"
#include "flowacct.skel.h"
#include "flowtab.h"
#include "hugemem.h"

/* slot states (struct acct_slots.state) */
enum {
	SLOT_FREE = 0,		/* free, or taken by BPF and not seen by a read yet */
	SLOT_LIVE,		/* in the index; the caller knows its key */
	SLOT_UNKNOWN,		/* in the index; the caller did not know it last time */
	SLOT_QUARANTINE,	/* key deleted from slot_of, not reusable yet */
};

static void grow_drop(struct acct_slots *sl);

#define ACCT_QUARANTINE_MIN_NS	(200ull * 1000000ull)

/*
 * Room beyond max_flows for slots in quarantine and flows destroyed since
 * the last read: churn × about two intervals. A quarter covers a table
 * that renews itself every 8 intervals.
 */
#define ACCT_SLOT_HEADROOM_DIV	4
#define ACCT_SLOT_HEADROOM_MIN	1024

uint32_t acct_slots_count(uint32_t max_flows)
{
	uint64_t extra = max_flows / ACCT_SLOT_HEADROOM_DIV, n;

	if (extra < ACCT_SLOT_HEADROOM_MIN)
		extra = ACCT_SLOT_HEADROOM_MIN;
	n = (uint64_t)max_flows + extra;
	/* u32 slot numbers, and index entries hold slot + 1 */
	return n > (1u << 31) ? (1u << 31) : (uint32_t)n;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

/*
 * Slots the mapped prefix grows by (more when a read finds it short): what
 * is mapped ahead of slot_next is resident too, so small steps (a remap is
 * one mmap call, at most 64 of them as the table fills).
 */
static uint32_t map_step(const struct acct_slots *sl)
{
	uint32_t step = sl->nslots / 64;

	return step < 4096 ? 4096 : step;
}

/* Maps the first n slots of the array fd over the reservation at base. */
static int map_over(void *base, size_t len, int fd)
{
	void *p = mmap(base, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, fd, 0);

	return p == MAP_FAILED ? -errno : 0;
}

static int map_counters(struct acct_slots *sl, uint32_t n)
{
	return map_over(sl->ctr, page_round((size_t)n * sizeof(*sl->ctr)),
			sl->ctr_fd);
}

/*
 * Maps the counters up to at least want slots (at most nslots), in place:
 * the array has address space reserved for all its slots, and a longer
 * mapping replaces the shorter one at the same address in one step (never
 * both mapped at once, and no pointer changes). If that fails the shorter
 * one is put back; if even that fails nothing is mapped (mapped = 0) and
 * every access checks that first.
 */
static int map_prefix(struct acct_slots *sl, uint32_t want)
{
	uint32_t old = sl->mapped;
	uint64_t n;
	int err;

	if (want <= sl->mapped)
		return 0;
	n = ((uint64_t)want + map_step(sl)) / map_step(sl) * map_step(sl);
	if (n > sl->nslots)
		n = sl->nslots;
	err = map_counters(sl, (uint32_t)n);
	if (!err) {
		sl->mapped = (uint32_t)n;
		return 0;
	}
	sl->mapped = 0;
	if (old && !map_counters(sl, old))
		sl->mapped = old;
	return err;
}

/* Address space for all nslots of an array, nothing mapped yet. */
static void *reserve(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- slot_keys: a window, else a system call ------------------------ */

/* Pages of slot_keys a window maps (512 KiB: ~13k keys, 20 windows for
 * the keys of 262144 slots). */
#define KEY_WINDOW_PAGES	128

static size_t key_window_bytes(void)
{
	return KEY_WINDOW_PAGES * (size_t)sysconf(_SC_PAGESIZE);
}

/* The window back to its reservation (no access, not resident). */
static void keys_unmap(struct acct_slots *sl)
{
	void *p;

	if (sl->kwin_hi == sl->kwin_lo)
		return;
	p = mmap(sl->keys, key_window_bytes(), PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		/* not left mapped, and no window again: a MAP_FIXED over
		 * the hole could land on whatever the process maps there
		 * next; the keys are read by system call from now on */
		munmap(sl->keys, key_window_bytes());
		sl->keys = NULL;
	}
	sl->kwin_lo = sl->kwin_hi = 0;
}

/*
 * Maps the window over the pages of slot_keys from the one holding slot
 * s's key: in place of the window before (one system call).
 */
static int keys_window(struct acct_slots *sl, uint32_t s)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t lo = (size_t)s * sizeof(struct flow_key) / pg * pg;
	size_t hi = lo + KEY_WINDOW_PAGES * pg;
	void *p;

	if (!sl->keys)
		return -ENOMEM;	/* the reservation is gone (keys_unmap) */
	if (hi > sl->keys_len)
		hi = sl->keys_len;
	p = mmap(sl->keys, hi - lo, PROT_READ, MAP_SHARED | MAP_FIXED,
		 sl->keys_fd, (off_t)lo);
	if (p == MAP_FAILED) {
		int err = -errno;

		/* the window may be gone: its reservation again */
		sl->kwin_hi = 1;
		keys_unmap(sl);
		return err;
	}
	sl->kwin_lo = lo;
	sl->kwin_hi = hi;
	sl->key_maps++;
	return 0;
}

/* Is the key of slot s in the window? */
static inline bool key_in_window(const struct acct_slots *sl, uint32_t s)
{
	size_t lo = (size_t)s * sizeof(struct flow_key);

	return lo >= sl->kwin_lo && lo + sizeof(struct flow_key) <= sl->kwin_hi;
}

/* The key of slot s by system call. 0 or -errno. */
static int key_lookup(struct acct_slots *sl, uint32_t s, struct flow_key *key)
{
	sl->key_lookups++;
	return bpf_map_lookup_elem(sl->keys_fd, &s, key) ? -errno : 0;
}

/*
 * The key of slot s, for a pass in slot order (seq: the window moves to
 * s when it does not hold it) or a single read (one system call unless
 * the window holds it). 0 or -errno.
 */
static int key_get(struct acct_slots *sl, uint32_t s, struct flow_key *key,
		   bool seq)
{
	if (!key_in_window(sl, s) && (!seq || keys_window(sl, s)))
		return key_lookup(sl, s, key);
	memcpy(key, (const char *)sl->keys +
	       ((size_t)s * sizeof(*key) - sl->kwin_lo), sizeof(*key));
	return 0;
}

/* Slots in use or used before: [0, slot_next), mapped to read (else
 * the scan is not whole). */
static uint32_t used_slots(struct acct_slots *sl)
{
	uint64_t next = __atomic_load_n(sl->next, __ATOMIC_ACQUIRE);
	uint32_t hi = next < sl->nslots ? (uint32_t)next : sl->nslots;

	/* cannot grow (no memory for page tables): the rest next time */
	if (map_prefix(sl, hi) && hi > sl->mapped) {
		sl->scan_whole = false;
		return sl->mapped;
	}
	return hi;
}

/* ---- marks: the slots a read visits ---------------------------------- */

/* 64-bit words of a bitmap of n slots */
static inline size_t mark_words(uint32_t n)
{
	return ((size_t)n + 63) / 64;
}

/* The next read visits slot s whatever its mark. */
static inline void visit_again(struct acct_slots *sl, uint32_t s)
{
	sl->again[s / 64] |= 1ull << (s % 64);
}

/* Slot s's counters moved, as the program marks it (acct_set). */
static inline void mark_moved(struct acct_slots *sl, uint32_t s)
{
	__atomic_fetch_or(&sl->marks[s / 64], 1ull << (s % 64),
			  __ATOMIC_SEQ_CST);
}

/* Bits [a, b) of a word (0 <= a <= b <= 64). */
static inline uint64_t bit_range(uint32_t a, uint32_t b)
{
	uint64_t hi = b >= 64 ? ~0ull : (1ull << b) - 1;

	return hi & ~((1ull << a) - 1);
}

/*
 * The slots of word w (slots 64w..64w+63, below hi) a read visits: those
 * the program marked (the marks taken: cleared, all at once, then the
 * counters read, see slot_mark in the program), those marked to visit
 * again, and those in the rotating re-check's range [ws, we).
 */
static uint64_t slots_to_visit(struct acct_slots *sl, uint32_t w, uint32_t hi,
			       uint32_t ws, uint32_t we)
{
	uint32_t lo = w * 64;
	uint64_t m = hi - lo >= 64 ? ~0ull : bit_range(0, hi - lo), bits;

	bits = sl->again[w] & m;
	sl->again[w] &= ~m;
	if (__atomic_load_n(&sl->marks[w], __ATOMIC_RELAXED) & m)
		bits |= __atomic_fetch_and(&sl->marks[w], ~m,
					   __ATOMIC_SEQ_CST) & m;
	if (lo < we && lo + 64 > ws)
		bits |= bit_range(ws > lo ? ws - lo : 0,
				  we - lo < 64 ? we - lo : 64) & m;
	return bits;
}

int acct_slots_init(struct acct *a, int keys_fd, int ctr_fd,
		    volatile uint64_t *next, char *why, size_t len)
{
	struct acct_slots *sl = &a->sl;
	int err;

	sl->next = next;
	sl->keys_fd = keys_fd;
	sl->ctr_fd = ctr_fd;
	sl->keys_len = page_round((size_t)sl->nslots * sizeof(struct flow_key));
	sl->ctr_len = page_round((size_t)sl->nslots * sizeof(*sl->ctr));
	sl->keys = reserve(key_window_bytes());
	sl->ctr = reserve(sl->ctr_len);
	err = sl->keys && sl->ctr ? map_prefix(sl, 1) : -ENOMEM;
	if (!err) {
		/* all of it: 1 bit a slot */
		sl->marks_len = page_round(mark_words(sl->nslots) *
					   sizeof(*sl->marks));
		sl->marks = mmap(NULL, sl->marks_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED, sl->marks_fd, 0);
		if (sl->marks == MAP_FAILED) {
			err = -errno;
			sl->marks = NULL;
		}
	}
	if (err) {
		if (why && len)
			snprintf(why, len, "cannot map the counter slot arrays:"
				 " %s (needs Linux >= 5.5 for BPF_F_MMAPABLE; "
				 "or use --counter-map lru)", strerror(-err));
		return err;
	}

	/* entries hold slot + 1 in their low bits, a tag in the others */
	/* one value past nslots + 1 free: the tombstone's (INDEX_TOMB) */
	sl->index_bits = 1;
	while (sl->index_bits < 32 &&
	       ((uint64_t)1 << sl->index_bits) <= (uint64_t)sl->nslots + 1)
		sl->index_bits++;
	/* sized for the slots in the index, grown with them (index_add) */
	sl->index_mask = ACCT_INDEX_MIN - 1;
	sl->index = huge_map(ACCT_INDEX_MIN * sizeof(*sl->index));
	sl->shadow = calloc(sl->nslots, sizeof(*sl->shadow));
	sl->state = calloc(sl->nslots, 1);
	sl->misses = calloc(sl->nslots, 1);
	sl->moved = calloc(sl->nslots, 1);
	sl->again = calloc(mark_words(sl->nslots), sizeof(*sl->again));
	if (!sl->index || !sl->shadow || !sl->state || !sl->misses ||
	    !sl->moved || !sl->again) {
		if (why && len)
			snprintf(why, len, "out of memory for the state of %u "
				 "counter slots; lower --max-flows",
				 sl->nslots);
		return -ENOMEM;
	}
	return 0;
}

void acct_slots_free(struct acct *a)
{
	struct acct_slots *sl = &a->sl;

	if (sl->keys)
		munmap(sl->keys, key_window_bytes());
	if (sl->ctr)
		munmap(sl->ctr, sl->ctr_len);
	if (sl->marks)
		munmap(sl->marks, sl->marks_len);
	if (sl->index)
		huge_unmap(sl->index,
			   ((size_t)sl->index_mask + 1) * sizeof(*sl->index));
	grow_drop(sl);
	free(sl->shadow);
	free(sl->state);
	free(sl->misses);
	free(sl->moved);
	free(sl->again);
	free(sl->quar);
	free(sl->fprobe);
	free(sl->fcand);
	free(sl->fsorted);
	free(sl->fbucket);
	acct_keyvec_free(&sl->del);
	memset(sl, 0, sizeof(*sl));
	sl->slot_of_fd = sl->free_fd = sl->keys_fd = sl->ctr_fd = -1;
	sl->owner_fd = sl->expires_fd = sl->marks_fd = -1;
}

/* ---- key -> slot index ------------------------------------------------ */

/*
 * 4-byte entries: slot + 1 in the low index_bits, the top bits of the key's
 * hash above them (a tag that spares most key comparisons), 0 = empty. The
 * table is sized for the slots in it, not for every slot there may be
 * (at 4M flows nslots is 7.9M: 128 MiB of 8-byte entries, resident since
 * lookups land everywhere): it doubles when it is 4/5 full, rebuilt from
 * the slots' states. An entry's home (the low hash bits) is not kept, so a
 * deletion cannot shift the entries after it home without hashing their
 * keys (a cache miss in slot_keys each, more the fuller the table): it
 * leaves a tombstone, which lookups pass and insertions reuse, and a
 * rebuild at the same size clears them when live entries and tombstones
 * together fill 4/5.
 */
#define INDEX_TOMB(sl)	((uint32_t)(((uint64_t)1 << (sl)->index_bits) - 1))

static inline uint64_t key_hash(const struct flow_key *key)
{
	return flow_key_hash(key);
}

static inline uint32_t entry_slot(const struct acct_slots *sl, uint32_t e)
{
	return (uint32_t)(e & (uint32_t)(((uint64_t)1 << sl->index_bits) - 1)) - 1;
}

/* The tag of hash h, in place (the bits of an entry above the slot's). */
static inline uint32_t hash_tag(const struct acct_slots *sl, uint64_t h)
{
	return (uint32_t)(((h >> 32) << sl->index_bits) & 0xffffffffu);
}

static inline uint32_t entry_tag(const struct acct_slots *sl, uint32_t e)
{
	return (uint32_t)(((uint64_t)e >> sl->index_bits) << sl->index_bits);
}

/* The slot holding key, or -1: each candidate's key read (key_get). */
static int64_t index_find(struct acct_slots *sl, const struct flow_key *key)
{
	uint64_t h = key_hash(key);
	uint32_t tag = hash_tag(sl, h), i = (uint32_t)h & sl->index_mask, e;
	struct flow_key k;

	if (sl->index_stale)
		return -1;	/* the caller asks the program's map */
	while ((e = sl->index[i])) {
		if (entry_tag(sl, e) == tag && entry_slot(sl, e) < sl->mapped &&
		    !key_get(sl, entry_slot(sl, e), &k, false) &&
		    !memcmp(&k, key, sizeof(*key)))
			return entry_slot(sl, e);
		i = (i + 1) & sl->index_mask;
	}
	return -1;
}

/* Puts slot into a table (index or grow, with its tombstone count). */
static void index_put(struct acct_slots *sl, uint32_t *index, uint32_t mask,
		      uint32_t *tombs, uint32_t slot, uint64_t h)
{
	uint32_t i = (uint32_t)h & mask, tomb = INDEX_TOMB(sl);

	/* the slot is not in the index: the first free place will do */
	while (index[i] && index[i] != tomb)
		i = (i + 1) & mask;
	if (index[i] == tomb)
		(*tombs)--;
	index[i] = hash_tag(sl, h) | (slot + 1);
}

/* Removes slot (key hash h) from a table: a tombstone in its place, or
 * free places at the end of a run. Whether it was there. */
static bool table_del(struct acct_slots *sl, uint32_t *index, uint32_t m,
		      uint32_t *tombs, uint32_t slot, uint64_t h)
{
	uint32_t i = (uint32_t)h & m, e;

	while ((e = index[i]) && entry_slot(sl, e) != slot)
		i = (i + 1) & m;
	if (!e)
		return false;
	if (!index[(i + 1) & m]) {
		/* the end of a run: it and the tombstones before it are
		 * free places again */
		index[i] = 0;
		while (index[i = (i - 1) & m] == INDEX_TOMB(sl)) {
			index[i] = 0;
			(*tombs)--;
		}
	} else {
		index[i] = INDEX_TOMB(sl);
		(*tombs)++;
	}
	return true;
}

/* Index entries for n slots: a power of two, at most 4/5 full. */
static size_t index_cap_for(size_t n)
{
	size_t cap = ACCT_INDEX_MIN;

	while (cap < ((size_t)1 << 32) && (n + 1) * 5 > cap * 4)
		cap <<= 1;
	return cap;
}

/* The slots taken so far: every slot in the index is below. */
static uint32_t taken_slots(const struct acct_slots *sl)
{
	uint64_t next = __atomic_load_n(sl->next, __ATOMIC_ACQUIRE);

	return next < sl->nslots ? (uint32_t)next : sl->nslots;
}

/*
 * Growing the index, a share per read. A rebuild reads the key of every
 * slot in the index (its hash is not kept): at 1.7M slots, 260 ms of CPU
 * in one read, which a collector sharing the CPUs with the load took
 * 2.7 s to get (bench/README.md, "Sustained new flows and resyncs"). So
 * once the index is 3/5 full (of live entries: twice the size; of live
 * entries and tombstones: the same size, in a large index), its
 * successor is built in slot order, a share at the end of each read
 * (grow_step): at least GROW_MIN entries, and GROW_RATIO times the
 * entries the read added, which fills it before the index reaches 4/5
 * (the live entries at the start, 3/5, are 3 times the 1/5 left). The index stays the one lookups use; adds
 * and deletes of slots the build has passed go to both. If the index
 * reaches 4/5 all the same, the rest is done at once (index_add), as the
 * whole rebuild was before.
 */
#define GROW_MIN	16384u
#define GROW_RATIO	4u
/*
 * A rebuild at the same size (tombstones, not live entries, filled it) is
 * spread only from this many entries on. Below, one at 4/5 is cheap (at
 * 2^20 entries at most 840k keys read, the few times a table of that size
 * has churned a third of itself), while a successor begun at 3/5 is
 * resident beside the index for several reads and begun again sooner,
 * every ~5 s at 262144 flows and 20000 new flows/s: more RSS and CPU than
 * the rebuild it spreads (bench/README.md, session 10).
 */
#define GROW_SAME_SPREAD	((size_t)1 << 21)

/* The entries a read puts into the successor, having added that many. */
static uint32_t grow_budget(uint32_t added)
{
	uint64_t b = (uint64_t)added * GROW_RATIO;

	return b < GROW_MIN ? GROW_MIN : b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

static void grow_drop(struct acct_slots *sl)
{
	if (!sl->grow)
		return;
	huge_unmap(sl->grow, ((size_t)sl->grow_mask + 1) * sizeof(*sl->grow));
	sl->grow = NULL;
	sl->grow_mask = sl->grow_live = sl->grow_tombs = sl->grow_pos = 0;
}

/* Starts a successor of cap entries when the index needs one. */
static void grow_start(struct acct_slots *sl)
{
	size_t cap = (size_t)sl->index_mask + 1, ncap;

	if (sl->grow || sl->index_stale)
		return;
	if ((size_t)sl->live * 5 > cap * 3 && cap < ((size_t)1 << 32))
		ncap = cap * 2;
	else if (((size_t)sl->live + sl->tombs) * 5 > cap * 3 &&
		 cap >= GROW_SAME_SPREAD)
		ncap = cap;
	else
		return;
	sl->grow = huge_map(ncap * sizeof(*sl->grow));
	if (!sl->grow)
		return;		/* at 4/5, a rebuild at once (index_add) */
	sl->grow_mask = (uint32_t)(ncap - 1);
	sl->grow_live = sl->grow_tombs = sl->grow_pos = 0;
}

/*
 * Puts up to budget index slots from grow_pos on into the successor,
 * their keys read in slot order; once it holds every slot taken so far
 * (all the index can have), it replaces the index. 0, or -EAGAIN with the
 * successor dropped (a key could not be read, or the slot is not mapped).
 *
 * The keys are read in order, but their places in the successor are
 * random, a cache miss each in tens of MB: almost half of what a read
 * costs while the table fills (acct_read_bench -g). So each place is
 * asked for GROW_AHEAD slots before it is written.
 */
#define GROW_AHEAD	16u

static int grow_step(struct acct_slots *sl, uint32_t budget)
{
	uint32_t s = sl->grow_pos, moved = 0, hi = taken_slots(sl);
	uint32_t ring_slot[GROW_AHEAD], r;
	uint64_t ring_hash[GROW_AHEAD];

	for (; s < hi && moved < budget; s++) {
		struct flow_key k;
		uint64_t h;

		if (sl->state[s] != SLOT_LIVE && sl->state[s] != SLOT_UNKNOWN)
			continue;
		if (s >= sl->mapped || key_get(sl, s, &k, true)) {
			grow_drop(sl);
			return -EAGAIN;
		}
		h = key_hash(&k);
		__builtin_prefetch(&sl->grow[(uint32_t)h & sl->grow_mask], 1);
		/* the place asked for GROW_AHEAD slots ago is written now */
		r = moved % GROW_AHEAD;
		if (moved >= GROW_AHEAD)
			index_put(sl, sl->grow, sl->grow_mask, &sl->grow_tombs,
				  ring_slot[r], ring_hash[r]);
		ring_slot[r] = s;
		ring_hash[r] = h;
		moved++;
	}
	/* the last ones asked for */
	for (r = moved > GROW_AHEAD ? moved - GROW_AHEAD : 0; r < moved; r++)
		index_put(sl, sl->grow, sl->grow_mask, &sl->grow_tombs,
			  ring_slot[r % GROW_AHEAD], ring_hash[r % GROW_AHEAD]);
	sl->grow_live += moved;
	sl->grow_pos = s;
	sl->grow_moved += moved;
	if (s < hi)
		return 0;
	huge_unmap(sl->index, ((size_t)sl->index_mask + 1) * sizeof(*sl->index));
	sl->index = sl->grow;
	sl->index_mask = sl->grow_mask;
	sl->live = sl->grow_live;
	sl->tombs = sl->grow_tombs;
	sl->grow = NULL;
	sl->grow_mask = sl->grow_live = sl->grow_tombs = sl->grow_pos = 0;
	return 0;
}

/*
 * The index anew, with room for min_cap entries at least, from the slots'
 * states (in the index: SLOT_LIVE and SLOT_UNKNOWN), their keys read in
 * slot order. Every such slot is below mapped (added by a read that saw
 * it mapped), unless a remap failed and unmapped everything: then the
 * index stays stale (index_find answers nothing and slot_of_key asks the
 * program) until a read finds the arrays mapped again. A successor being
 * filled a share per read is dropped: this one is filled at once, by the
 * same walk (grow_step). On failure the old index stays. 0, -EAGAIN (not
 * mapped) or -ENOMEM.
 */
static int index_rebuild(struct acct_slots *sl, size_t min_cap)
{
	uint32_t hi = taken_slots(sl);
	size_t n = 0, cap;
	int ret;

	for (uint32_t s = 0; s < hi; s++) {
		if (sl->state[s] != SLOT_LIVE && sl->state[s] != SLOT_UNKNOWN)
			continue;
		if (s >= sl->mapped)
			return -EAGAIN;
		n++;
	}
	cap = index_cap_for(n);
	if (cap < min_cap)
		cap = min_cap;
	/* a successor filled in one step: the same walk as a share's */
	grow_drop(sl);
	sl->grow = huge_map(cap * sizeof(*sl->grow));
	if (!sl->grow)
		return -ENOMEM;
	sl->grow_mask = (uint32_t)(cap - 1);
	ret = grow_step(sl, UINT32_MAX);
	if (ret)
		return ret;
	sl->index_stale = false;
	return 0;
}

/* Adds slot, whose key hashes to h; the caller sets its state to SLOT_LIVE. */
static void index_add(struct acct_slots *sl, uint32_t slot, uint64_t h)
{
	size_t cap = (size_t)sl->index_mask + 1;

	if (sl->index_stale)
		return;		/* the rebuild finds it by its state */
	/*
	 * At most 4/5 full: the successor finished at once if one is being
	 * built (grow_step), else doubled (in one rebuild) when it would
	 * pass, rebuilt at its size when tombstones fill it that far.
	 */
	if (((size_t)sl->live + 1) * 5 > cap * 4 && cap < ((size_t)1 << 32)) {
		if (!sl->grow || sl->grow_mask + (size_t)1 < cap * 2 ||
		    grow_step(sl, UINT32_MAX))
			index_rebuild(sl, cap * 2);
	} else if (((size_t)sl->live + sl->tombs + 1) * 5 > cap * 4) {
		if (!sl->grow || grow_step(sl, UINT32_MAX))
			index_rebuild(sl, cap);
	}
	if ((size_t)sl->live + sl->tombs + 1 >= (size_t)sl->index_mask + 1) {
		/* no memory to grow and full: a rebuild when there is */
		grow_drop(sl);
		sl->index_stale = true;
		return;
	}
	index_put(sl, sl->index, sl->index_mask, &sl->tombs, slot, h);
	sl->live++;
	sl->added++;
	/* a successor past it already: there too */
	if (sl->grow && slot < sl->grow_pos) {
		index_put(sl, sl->grow, sl->grow_mask, &sl->grow_tombs, slot, h);
		sl->grow_live++;
	}
}

/* Removes slot (whose key is key): a tombstone in its place. */
static void index_del(struct acct_slots *sl, uint32_t slot,
		      const struct flow_key *key)
{
	uint64_t h;

	if (sl->index_stale)
		return;
	h = key_hash(key);
	if (table_del(sl, sl->index, sl->index_mask, &sl->tombs, slot, h))
		sl->live--;
	if (sl->grow && slot < sl->grow_pos &&
	    table_del(sl, sl->grow, sl->grow_mask, &sl->grow_tombs, slot, h))
		sl->grow_live--;
}

/* ---- slot life -------------------------------------------------------- */

static int quarantine_push(struct acct_slots *sl, uint32_t slot, uint64_t seq,
			   uint64_t start)
{
	struct acct_quarantine *q;
	size_t cap;

	if (sl->nquar == sl->quar_cap) {
		cap = sl->quar_cap ? sl->quar_cap * 2 : 1024;
		q = realloc(sl->quar, cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		sl->quar = q;
		sl->quar_cap = cap;
	}
	sl->quar[sl->nquar].slot = slot;
	sl->quar[sl->nquar].seq = seq;
	sl->quar[sl->nquar].ns = acct_now_ns();
	sl->quar[sl->nquar].start = start;
	sl->nquar++;
	return 0;
}

/*
 * Takes slot out of use: out of the index, into quarantine. The caller
 * deletes its key from slot_of (queued in sl->del, or at once). Released
 * at the first read numbered above seq. start: the destroyed connection
 * whose slot it was, if known (> FLOW_STAMP_CONFIRMED), for rescue_slot.
 */
static int retire(struct acct_slots *sl, uint32_t slot,
		  const struct flow_key *key, uint64_t seq, uint64_t start)
{
	int rc = quarantine_push(sl, slot, seq, start);

	if (rc)
		return rc;	/* stays in use; tried again later */
	if (sl->state[slot] == SLOT_LIVE || sl->state[slot] == SLOT_UNKNOWN)
		index_del(sl, slot, key);
	sl->state[slot] = SLOT_QUARANTINE;
	return 0;
}

static inline void load_counters(const struct flow_counters *src,
				 struct flow_counters *dst)
{
	/* the BPF program adds concurrently: whole 64-bit loads */
	dst->packets[0] = __atomic_load_n(&src->packets[0], __ATOMIC_RELAXED);
	dst->packets[1] = __atomic_load_n(&src->packets[1], __ATOMIC_RELAXED);
	dst->bytes[0] = __atomic_load_n(&src->bytes[0], __ATOMIC_RELAXED);
	dst->bytes[1] = __atomic_load_n(&src->bytes[1], __ATOMIC_RELAXED);
}

static inline void store_counters(struct flow_counters *dst,
				  const struct flow_counters *v)
{
	__atomic_store_n(&dst->packets[0], v->packets[0], __ATOMIC_RELAXED);
	__atomic_store_n(&dst->packets[1], v->packets[1], __ATOMIC_RELAXED);
	__atomic_store_n(&dst->bytes[0], v->bytes[0], __ATOMIC_RELAXED);
	__atomic_store_n(&dst->bytes[1], v->bytes[1], __ATOMIC_RELAXED);
}

/* The low 32 bits of all of a slot's counts summed (its shadow). */
static inline uint32_t counters_sum32(const struct flow_counters *c)
{
	return (uint32_t)(c->packets[0] + c->packets[1] + c->bytes[0] +
			  c->bytes[1]);
}

/* The slot of key in the program's map, mapped here, or -1. */
static int64_t program_slot(struct acct_slots *sl, const struct flow_key *key)
{
	uint32_t v;

	if (bpf_map_lookup_elem(sl->slot_of_fd, key, &v) || v >= sl->nslots ||
	    map_prefix(sl, v + 1))
		return -1;
	return v;
}

/*
 * A slot retired for a destroyed connection (start) whose counters moved
 * after they were last reported: a packet of a newer connection on the
 * tuple arrived after the read had passed the slot, or between the
 * decision to forget and the delete from slot_of, and the program
 * restarted the slot for it. Those counts are the newer connection's:
 * the slot goes back to the key if no other slot took it since (the read
 * reports it as new), or they are added to the slot that did, if that one
 * belongs to the same connection. True if the slot stays in use.
 */
static bool rescue_slot(struct acct_slots *sl, uint32_t s, uint64_t start)
{
	struct flow_owner owner, owner2;
	struct flow_counters c;
	struct flow_key key;
	uint32_t slot = s;
	int64_t s2;

	load_counters(&sl->ctr[s], &c);
	if (counters_sum32(&c) == sl->shadow[s])
		return false;	/* nothing since the last report */
	if (bpf_map_lookup_elem(sl->owner_fd, &slot, &owner) || !owner.ct ||
	    owner.stamp == start)
		return false;	/* late counts of the destroyed connection */
	if (key_get(sl, s, &key, false) || !key.family)
		return false;
	if (!bpf_map_update_elem(sl->slot_of_fd, &key, &slot, BPF_NOEXIST)) {
		/* the key's again: reported as a slot never seen */
		sl->shadow[s] = 0;
		sl->misses[s] = 0;
		sl->state[s] = SLOT_FREE;
		visit_again(sl, s);
		sl->rescued++;
		return true;
	}
	s2 = program_slot(sl, &key);
	slot = (uint32_t)s2;
	if (s2 < 0 || s2 == s ||
	    bpf_map_lookup_elem(sl->owner_fd, &slot, &owner2) ||
	    owner2.ct != owner.ct)
		return false;
	/* the same connection went on in a slot of its own */
	__atomic_fetch_add(&sl->ctr[s2].packets[0], c.packets[0],
			   __ATOMIC_RELAXED);
	__atomic_fetch_add(&sl->ctr[s2].packets[1], c.packets[1],
			   __ATOMIC_RELAXED);
	__atomic_fetch_add(&sl->ctr[s2].bytes[0], c.bytes[0], __ATOMIC_RELAXED);
	__atomic_fetch_add(&sl->ctr[s2].bytes[1], c.bytes[1], __ATOMIC_RELAXED);
	mark_moved(sl, (uint32_t)s2);
	sl->rescued++;
	return false;
}

/* Keys a batch update writes at most (zeroed at release: a static array). */
#define KEY_BATCH	256

/*
 * Writes the n keys (n <= KEY_BATCH; NULL: zero keys) of slots into
 * slot_keys: one batch update, one update a key for what it left.
 * Returns the number written from the start (all unless an update fails).
 */
static uint32_t keys_write(struct acct_slots *sl, const uint32_t *slots,
			   const struct flow_key *keys, uint32_t n)
{
	static const struct flow_key zero[KEY_BATCH];
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t done = 0, cnt;

	while (done < n) {
		cnt = n - done;
		if (!bpf_map_update_batch(sl->keys_fd, slots + done,
					  keys ? keys + done : zero, &cnt,
					  &opts)) {
			done = n;
			break;
		}
		/* cnt: updated before the failure; that one alone */
		done += cnt;
		if (done >= n || bpf_map_update_elem(sl->keys_fd, slots + done,
					keys ? keys + done : zero, BPF_ANY))
			break;
		done++;
	}
	return done;
}

/*
 * Zeroes the keys of the n slots of rel (their counters are zero already),
 * then hands them to the program: the system calls order the zeroing
 * before its reuse. A slot that cannot be zeroed or pushed stays in
 * quarantine (put back at sl->quar[*keep]).
 */
static void release_batch(struct acct_slots *sl, struct acct_quarantine *rel,
			  uint32_t n, size_t *keep)
{
	uint32_t slots[KEY_BATCH] = { 0 }, zeroed, i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		slots[i] = rel[i].slot;
	zeroed = keys_write(sl, slots, NULL, n);
	for (i = 0; i < n; i++) {
		uint32_t s = slots[i];

		if (i >= zeroed ||
		    bpf_map_update_elem(sl->free_fd, NULL, &s, BPF_ANY)) {
			/* cannot happen (room for every slot); keep it out of
			 * circulation rather than lose track of it */
			sl->quar[(*keep)++] = rel[i];
			continue;
		}
		sl->state[s] = SLOT_FREE;
		sl->recycled++;
	}
}

/* Quarantined slots old enough: zeroed and handed back to the program. */
static void release_quarantine(struct acct_slots *sl)
{
	static const struct flow_counters zero;
	struct acct_quarantine rel[KEY_BATCH];
	uint64_t now = acct_now_ns();
	size_t i, keep = 0;
	uint32_t s, nrel = 0;

	for (i = 0; i < sl->nquar; i++) {
		struct acct_quarantine *q = &sl->quar[i];

		if (q->seq >= sl->seq || now - q->ns < ACCT_QUARANTINE_MIN_NS) {
			sl->quar[keep++] = *q;
			continue;
		}
		s = q->slot;
		if (s >= sl->mapped) {
			/* nothing mapped (map_prefix failed): later */
			sl->quar[keep++] = *q;
			continue;
		}
		if (q->start > FLOW_STAMP_CONFIRMED && rescue_slot(sl, s, q->start))
			continue;
		store_counters(&sl->ctr[s], &zero);
		sl->shadow[s] = 0;
		sl->misses[s] = 0;
		/* stays SLOT_QUARANTINE until its key is zeroed (release_batch;
		 * the entries before i are done with, so keep + nrel <= i) */
		rel[nrel++] = *q;
		if (nrel == KEY_BATCH) {
			release_batch(sl, rel, nrel, &keep);
			nrel = 0;
		}
	}
	release_batch(sl, rel, nrel, &keep);
	sl->nquar = keep;
}

/* Deletes the keys of slots retired during this read from slot_of. */
static void flush_deletes(struct acct_slots *sl)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct acct_keyvec *d = &sl->del;
	size_t i = 0;
	uint32_t n;
	int rc;

	while (i < d->n) {
		n = (uint32_t)(d->n - i);
		rc = bpf_map_delete_batch(sl->slot_of_fd, d->v + i, &n, &opts);
		if (!rc)
			break;
		/* the batch stops at the first failing key, index i + n */
		i += n;
		if (rc != -ENOENT) {
			for (; i < d->n; i++)
				bpf_map_delete_elem(sl->slot_of_fd, d->v + i);
			break;
		}
		i++;	/* gone already: nothing to do */
	}
	d->n = 0;
}

/* The slot of key in the program's own map (one syscall), or -1. */
static int64_t slot_of_program(struct acct_slots *sl,
			       const struct flow_key *key)
{
	uint32_t v;

	sl->slot_lookups++;
	if (bpf_map_lookup_elem(sl->slot_of_fd, key, &v) || v >= sl->nslots)
		return -1;
	return v;
}

/* The slot of key: the index, else the program's own map (one syscall). */
static int64_t slot_of_key(struct acct_slots *sl, const struct flow_key *key)
{
	int64_t s = index_find(sl, key);

	/* else taken by the program after the last scan passed it, or never
	 * counted (no packet since flowtop started) */
	return s >= 0 ? s : slot_of_program(sl, key);
}

/* Queues key's delete from slot_of for this read's batch (at once if the
 * queue cannot grow: the key must be gone before its slot is reused). */
static void drop_key(struct acct_slots *sl, const struct flow_key *key)
{
	if (acct_keyvec_push(&sl->del, key))
		bpf_map_delete_elem(sl->slot_of_fd, key);
}

/*
 * Did slot s move during this read's scan, or since the scan passed it
 * (a memory read, no system call)? A slot beyond the mapped part was taken
 * after the scan began: it moved.
 */
static bool moved_lately(struct acct_slots *sl, int64_t s)
{
	struct flow_counters c;

	if (sl->moved[s] == (uint8_t)sl->seq || s >= sl->mapped)
		return true;
	load_counters(&sl->ctr[s], &c);
	return counters_sum32(&c) != sl->shadow[s];
}

/*
 * The forgets with a slot a read does at most, of n queued: FORGET_MIN
 * (more than the churn of the benches' tables, 20000 flows ending per
 * second), or a sixteenth of the queue (forget_queued: those without a
 * slot cost little and are not counted). Each costs its key compared in
 * a window, a delete from slot_of and, a read later, a release; at first
 * a system call or two more each: 2.5-3.7 us of CPU. A resync can queue
 * the ghosts of half a million flows at once (flows that ended while
 * events were lost): 1.2 s of CPU then, most of it in one read, which
 * took 9.4 s with the load holding the CPUs (bench/README.md, "Sustained
 * new flows and resyncs"); a budget of 32768 drains them in 15 reads at
 * most. The rest
 * waits in the queue, oldest first: a NEW on a waiting tuple cancels its
 * forget as it would have before the read (acct_reused), a newer
 * connection on it keeps the slot (acct_forget_decide), and a slot whose
 * flow was reaped meanwhile and counts again is an orphan (reclaimed).
 */
#define FORGET_MIN	32768u

static size_t forget_budget(size_t n)
{
	return n / 16 > FORGET_MIN ? n / 16 : FORGET_MIN;
}

/* ---- finding the slots of a batch of forgets ------------------------ */

struct forget_probe {
	uint64_t hash;
	uint32_t slot1;		/* slot + 1 whose key is the entry's; 0: none */
};

struct forget_cand {
	uint32_t slot;		/* an index entry whose tag matched */
	uint32_t pos;		/* the forget's place in the batch */
};

/* Grows *v (of *cap elements of size) to hold n. 0 or -ENOMEM. */
static int scratch_room(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 1024;
	void *p;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

static int cand_push(struct acct_slots *sl, size_t *n, uint32_t slot,
		     uint32_t pos)
{
	if (scratch_room((void **)&sl->fcand, &sl->fcand_cap, *n + 1,
			 sizeof(*sl->fcand)))
		return -ENOMEM;
	sl->fcand[(*n)++] = (struct forget_cand){ slot, pos };
	return 0;
}

/* Distance in entries at which a batch's index places are prefetched. */
#define FORGET_AHEAD	8

/* Slots a bucket of the sort spans: half a key window (see find_slots). */
static uint32_t bucket_slots(void)
{
	return (uint32_t)(key_window_bytes() / 2 / sizeof(struct flow_key));
}

/*
 * The slots of the n keys of e[] (into sl->fprobe[i].slot1), as
 * index_find would, but with their keys compared in slot order through
 * the window rather than by a system call each: every index entry whose
 * tag matches becomes a candidate, the candidates are sorted by part of
 * slot_keys (half a window each, so that a window mapped at a part's
 * start holds all of it), and each part's keys are compared in one
 * window (one mmap, every page mapped at once). A resync's ghosts are
 * forgotten by the hundred thousand (forget_budget): a lookup each was
 * ~0.6 us of system call, a window ~20 us for ~6500 keys. -ENOMEM: no
 * room for the candidates; the caller asks index_find.
 */
static int find_slots(struct acct_slots *sl, const struct acct_forget_ent *e,
		      size_t n)
{
	uint32_t per = bucket_slots(), nb, b, i, p, win = UINT32_MAX;
	struct forget_probe *fp;
	size_t nc = 0, c;

	if (scratch_room((void **)&sl->fprobe, &sl->fprobe_cap, n,
			 sizeof(*sl->fprobe)))
		return -ENOMEM;
	fp = sl->fprobe;
	for (i = 0; i < n && i < FORGET_AHEAD; i++)
		fp[i].hash = key_hash(&e[i].key);
	for (i = 0; i < n; i++) {
		uint32_t tag, at, ent;

		if (i + FORGET_AHEAD < n) {
			fp[i + FORGET_AHEAD].hash =
				key_hash(&e[i + FORGET_AHEAD].key);
			__builtin_prefetch(&sl->index[(uint32_t)fp[i +
				FORGET_AHEAD].hash & sl->index_mask]);
		}
		fp[i].slot1 = 0;
		tag = hash_tag(sl, fp[i].hash);
		for (at = (uint32_t)fp[i].hash & sl->index_mask;
		     (ent = sl->index[at]); at = (at + 1) & sl->index_mask)
			if (entry_tag(sl, ent) == tag &&
			    entry_slot(sl, ent) < sl->mapped &&
			    cand_push(sl, &nc, entry_slot(sl, ent), i))
				return -ENOMEM;
	}
	if (!nc)
		return 0;

	/* counting sort of the candidates by part (bucket) of slot_keys */
	nb = sl->mapped / per + 1;
	if (scratch_room((void **)&sl->fbucket, &sl->fbucket_cap,
			 (size_t)nb + 1, sizeof(*sl->fbucket)) ||
	    scratch_room((void **)&sl->fsorted, &sl->fsorted_cap, nc,
			 sizeof(*sl->fsorted)))
		return -ENOMEM;
	memset(sl->fbucket, 0, ((size_t)nb + 1) * sizeof(*sl->fbucket));
	for (c = 0; c < nc; c++)
		sl->fbucket[sl->fcand[c].slot / per + 1]++;
	for (b = 0; b < nb; b++)
		sl->fbucket[b + 1] += sl->fbucket[b];
	for (c = 0; c < nc; c++)
		sl->fsorted[sl->fbucket[sl->fcand[c].slot / per]++] =
			sl->fcand[c];

	for (c = 0; c < nc; c++) {
		const struct forget_cand *fc = &sl->fsorted[c];
		struct flow_key k;

		p = fc->pos;
		if (fp[p].slot1)
			continue;	/* found already (a tag matched twice) */
		b = fc->slot / per;
		if (b != win) {
			uint32_t last = (b + 1) * per - 1;

			win = b;
			if (last >= sl->nslots)
				last = sl->nslots - 1;
			/* a window from the part's start holds all of it;
			 * failing that, key_get asks by system call */
			if (!key_in_window(sl, b * per) ||
			    !key_in_window(sl, last))
				keys_window(sl, b * per);
		}
		if (!key_get(sl, fc->slot, &k, false) &&
		    !memcmp(&k, &e[p].key, sizeof(k)))
			fp[p].slot1 = fc->slot + 1;
	}
	return 0;
}

/*
 * A queued forget whose key has slot s (-1: none): retire the slot of the
 * destroyed flow, unless a newer connection owns it already. Its owner is
 * read only here, and only when its counters moved since they were last
 * reported (during the scan, or after it passed the slot): else no packet
 * came since the last read, of the new connection or any other (most
 * flows end idle: timeouts, TIME_WAIT), and there is no lookup to pay. A
 * packet that comes after this look and before the key is gone from
 * slot_of is found at the slot's release (rescue_slot).
 */
static void forget_one(struct acct_slots *sl, struct acct_forget_ent *e,
		       int64_t s)
{
	struct flow_owner owner;
	bool have = false;
	uint32_t slot;

	if (s < 0 || sl->state[s] == SLOT_QUARANTINE)
		return;
	if (e->start > FLOW_STAMP_CONFIRMED && moved_lately(sl, s)) {
		slot = (uint32_t)s;
		have = !bpf_map_lookup_elem(sl->owner_fd, &slot, &owner);
	}
	switch (acct_forget_decide(e, have, &owner)) {
	case ACCT_FORGET_KEEP:
		return;
	case ACCT_FORGET_DEFER:
		e->deferred = true;
		e->keep = true;
		return;
	case ACCT_FORGET_DELETE:
		break;
	}
	if (!retire(sl, (uint32_t)s, &e->key, sl->seq, e->start))
		drop_key(sl, &e->key);
}

/*
 * acct_forget_conn's queue, oldest first, a budget (forget_budget) a read.
 * The budget counts the forgets that cost a system call or more (a slot
 * to retire, or a lookup in slot_of): a key the index shows slotless
 * after a whole scan costs a hash and a probe, and after a resync about
 * half of the ghosts are such keys (flows with no packet counted since
 * flowtop started, or none since every slot was taken). Those go too,
 * up to FORGET_FREE_MUL times the budget in all. In batches of at least
 * FORGET_BATCH_MIN (each batch's keys compared a window at a time).
 *
 * With a deadline (acct_set_read_deadline), a read does the forgets
 * that fit in the time left, at the wall time per forget of the reads
 * before (forget_ns, their deletes from slot_of included: about as much
 * again), and at least a batch. The sustained load's ghosts, 450k
 * forgets in one read, took 85 ms of CPU and 870 ms with the load
 * holding the CPUs, and the snapshot waited for them (bench/README.md,
 * "Sustained new flows and resyncs"). Returns the forgets done.
 */
#define FORGET_FREE_MUL		8u
#define FORGET_BATCH_MIN	1024u
/* the wall time per forget assumed before any was timed */
#define FORGET_NS_FIRST		1000u

/*
 * Forgets that fit before the read's deadline (all: none set). A queue
 * longer than half the slots is forgets falling behind for more than a
 * resync's ghosts (at most a table's flows): then the deadline yields,
 * memory before a late snapshot.
 */
static size_t forgets_in_time(const struct acct *a, uint64_t now)
{
	uint64_t per = a->sl.forget_ns ? a->sl.forget_ns : FORGET_NS_FIRST;

	if (!a->read_until ||
	    acct_forget_queued(&a->forget) > a->sl.nslots / 2)
		return SIZE_MAX;
	return now >= a->read_until ? 0 : (a->read_until - now) / per;
}

static size_t forget_queued(struct acct *a)
{
	struct acct_slots *sl = &a->sl;
	struct acct_forgetvec *fv = &a->forget;
	size_t budget = forget_budget(acct_forget_queued(fv)), costly = 0;
	size_t i = fv->head, end = i + budget * FORGET_FREE_MUL, b, bend, n;
	size_t fit = forgets_in_time(a, acct_now_ns()), done;
	bool found;
	int64_t s;

	/* over this read's budget: the next reads' */
	if (end > fv->n)
		end = fv->n;
	for (b = i; b < end && costly < budget; b = bend) {
		done = b - fv->head;
		if (done && (done >= fit || (fit != SIZE_MAX &&
					     acct_now_ns() >= a->read_until)))
			break;		/* the deadline: the next read's */
		n = budget - costly;
		if (n > fit - done)
			n = fit - done;
		bend = b + (n > FORGET_BATCH_MIN ? n : FORGET_BATCH_MIN);
		if (bend > end)
			bend = end;
		found = !sl->index_stale && !find_slots(sl, fv->v + b, bend - b);
		for (i = b; i < bend; i++) {
			struct acct_forget_ent *e = &fv->v[i];

			if (!found)
				s = slot_of_key(sl, &e->key);
			else if (sl->fprobe[i - b].slot1)
				s = sl->fprobe[i - b].slot1 - 1;
			else if (sl->scan_whole)
				/* every slot taken before the scan is in the
				 * index, and a destroyed flow's was taken
				 * before its DESTROY came */
				s = -1;
			else
				s = slot_of_program(sl, &e->key);
			costly += s >= 0 || !found || !sl->scan_whole;
			forget_one(sl, e, s);
		}
	}
	done = b - fv->head;
	acct_forget_done(a, b);
	return done;
}

/* Times forgets that took ns in all: the mean forget_queued sizes by. */
static void forget_timed(struct acct_slots *sl, size_t forgets, uint64_t ns)
{
	uint64_t per;

	/* a few: a read's deletes of orphans' keys would weigh on them */
	if (forgets < FORGET_BATCH_MIN)
		return;
	/* this read's mean, averaged with the reads' before */
	per = ns / forgets + 1;
	sl->forget_ns = sl->forget_ns ? (sl->forget_ns + per) / 2 : per;
}

/*
 * The keys a read reports wait in a short queue: the caller's prefetch
 * hook (acct_read_prefetched) sees each READ_AHEAD keys before fn does,
 * and again READ_AHEAD / 2 keys before, so that fn's lookups (a bucket,
 * then a record, in a flow table of tens of MB) are in cache when fn runs.
 */
#define READ_AHEAD	16

struct read_pending {
	struct flow_key key;
	struct flow_counters c;
	uint64_t hint;
	uint64_t hash;		/* a new slot's key hash, for index_add */
	uint32_t slot;
	bool fresh;		/* a new slot: into the index first */
};

struct read_queue {
	struct read_pending v[READ_AHEAD];
	uint32_t head, tail, hinted;	/* counts; hinted: stage 1 issued below */
};

/* fn for the oldest queued key, and what its answer does to its slot */
static void report_oldest(struct acct *a, struct read_queue *q,
			  acct_read_fn fn, void *arg)
{
	struct acct_slots *sl = &a->sl;
	struct read_pending *p = &q->v[q->head++ % READ_AHEAD];
	uint32_t s = p->slot;

	if (p->fresh) {
		index_add(sl, s, p->hash);
		sl->state[s] = SLOT_LIVE;
	}
	a->read_hint = p->hint;
	if (fn(&p->key, &p->c, arg)) {
		sl->misses[s] = 0;
		sl->state[s] = SLOT_LIVE;
	} else if (++sl->misses[s] >= ACCT_ORPHAN_READS) {
		/* a flow the caller never learnt of: free its slot */
		if (!retire(sl, s, &p->key, sl->seq, 0)) {
			drop_key(sl, &p->key);
			sl->reclaimed++;
		}
	} else {
		sl->state[s] = SLOT_UNKNOWN;
		visit_again(sl, s);
	}
}

/* Stage 1 for the queued keys up to (not including) position upto. */
static void hint_upto(struct acct *a, struct read_queue *q, uint32_t upto,
		      void *arg)
{
	for (; q->hinted < upto; q->hinted++) {
		struct read_pending *p = &q->v[q->hinted % READ_AHEAD];

		if (a->pre)
			a->pre(&p->key, 1, p->hint, arg);
	}
}

static void queue_report(struct acct *a, struct read_queue *q, uint32_t s,
			 const struct flow_key *key,
			 const struct flow_counters *c, bool fresh,
			 acct_read_fn fn, void *arg)
{
	struct acct_slots *sl = &a->sl;
	struct read_pending *p;

	if (q->tail - q->head == READ_AHEAD)
		report_oldest(a, q, fn, arg);
	p = &q->v[q->tail % READ_AHEAD];
	p->key = *key;
	p->c = *c;
	p->slot = s;
	p->fresh = fresh;
	if (fresh) {
		/* its place in the index, a cache miss in megabytes: asked
		 * for now, taken READ_AHEAD keys later (report_oldest) */
		p->hash = key_hash(key);
		if (!sl->index_stale)
			__builtin_prefetch(&sl->index[(uint32_t)p->hash &
						      sl->index_mask]);
	}
	p->hint = a->pre ? a->pre(key, 0, fresh ? p->hash : 0, arg) : 0;
	q->tail++;
	if (q->tail - q->head > READ_AHEAD / 2)
		hint_upto(a, q, q->tail - READ_AHEAD / 2, arg);
}

/*
 * A read's look at slot s (marked, to visit again, or in the re-check's
 * range [ws, we)): reports it if its counters moved, if the caller did
 * not know it last time, or in the range. Returns whether it did.
 */
static bool visit_slot(struct acct *a, struct read_queue *q, uint32_t s,
		       uint32_t ws, uint32_t we, acct_read_fn fn, void *arg)
{
	struct acct_slots *sl = &a->sl;
	uint8_t st = sl->state[s];
	struct flow_counters c;
	struct flow_key key;
	uint32_t now;

	sl->visits++;
	if (st == SLOT_QUARANTINE)
		return false;
	load_counters(&sl->ctr[s], &c);
	now = counters_sum32(&c);
	if (now == sl->shadow[s]) {
		if (st == SLOT_FREE)
			return false;
		if (st == SLOT_LIVE && (s < ws || s >= we))
			return false;
	} else {
		sl->moved[s] = (uint8_t)sl->seq;
	}
	/* counters first, then the key they belong to: pairs with the
	 * program's fully ordered key_publish, so once they moved the whole
	 * key is there, also on weakly ordered CPUs */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	/* cannot be read (no window, no lookup), or not visible yet: the
	 * next read (its mark is taken) */
	if (key_get(sl, s, &key, true) || (st == SLOT_FREE && !key.family)) {
		if (st == SLOT_LIVE)
			sl->state[s] = SLOT_UNKNOWN;
		visit_again(sl, s);
		sl->scan_whole = false;
		return false;
	}
	sl->shadow[s] = now;
	/* a new slot goes into the index (SLOT_LIVE) as it is reported: until
	 * then it stays SLOT_FREE, which an index_rebuild meanwhile leaves
	 * out, and nothing else of this read looks at it */
	queue_report(a, q, s, &key, &c, st == SLOT_FREE, fn, arg);
	return true;
}

int acct_slots_read(struct acct *a, acct_read_fn fn, void *arg)
{
	struct acct_slots *sl = &a->sl;
	uint64_t start = acct_now_ns(), forget_start;
	uint32_t hi, w, ws, we, reported = 0;
	size_t forgets;
	struct acct_bpf_stats bs;
	struct read_queue q;

	q.head = q.tail = q.hinted = 0;
	sl->seq++;
	sl->added = 0;
	sl->scan_whole = true;
	hi = used_slots(sl);
	if (sl->index_stale)
		index_rebuild(sl, 0);
	/*
	 * The slots visited: those whose counters moved (marked by the
	 * program), those to visit again, and a rotating window of live
	 * slots, unchanged ones included, asked about again so that a slot
	 * whose flow ended without flowtop hearing of it (and whose counters
	 * therefore never move again) is found and freed.
	 */
	ws = sl->sweep_pos < hi ? sl->sweep_pos : 0;
	we = (hi + ACCT_RECHECK_DIV - 1) / ACCT_RECHECK_DIV;
	we = we < hi - ws ? ws + we : hi;
	sl->sweep_pos = we < hi ? we : 0;

	for (w = 0; w < mark_words(hi); w++) {
		uint64_t bits = slots_to_visit(sl, w, hi, ws, we);

		for (; bits; bits &= bits - 1)
			reported += visit_slot(a, &q, w * 64 +
					       (uint32_t)__builtin_ctzll(bits),
					       ws, we, fn, arg);
	}
	hint_upto(a, &q, q.tail, arg);
	while (q.head != q.tail)
		report_oldest(a, &q, fn, arg);
	/* the index's successor, if it needs one: this read's share */
	grow_start(sl);
	if (sl->grow)
		grow_step(sl, grow_budget(sl->added));

	/* the slots the reads before retired, then this read's forgets in
	 * the time that leaves (forget_queued), with their deletes */
	release_quarantine(sl);
	forget_start = acct_now_ns();
	forgets = forget_queued(a);
	keys_unmap(sl);
	flush_deletes(sl);
	forget_timed(sl, forgets, acct_now_ns() - forget_start);

	if (!acct_bpf_stats_sum(a, &bs))
		a->st.evictions = bs.no_room;
	a->st.entries = sl->live;
	a->st.index_bytes = ((uint64_t)sl->index_mask + 1) * sizeof(*sl->index);
	a->st.reported = reported;
	a->st.reclaimed = sl->reclaimed;
	a->st.read_ns = acct_now_ns() - start;
	return 0;
}

int acct_slots_forget_now(struct acct *a, const struct flow_key *key)
{
	struct acct_slots *sl = &a->sl;
	int64_t s = slot_of_key(sl, key);
	int rc;

	if (s < 0 || sl->state[s] == SLOT_QUARANTINE)
		return 0;	/* never counted, or already going */
	/* new packets of the tuple must start a new slot from now on */
	if (bpf_map_delete_elem(sl->slot_of_fd, key) && errno != ENOENT)
		return -errno;
	/* quarantined past the next read: a whole interval from now */
	rc = retire(sl, (uint32_t)s, key, sl->seq + 1, 0);
	return rc;
}

void acct_slots_reused(struct acct *a, const struct flow_key *key)
{
	struct acct_slots *sl = &a->sl;
	uint64_t h = key_hash(key);
	uint32_t tag = hash_tag(sl, h), i = (uint32_t)h & sl->index_mask, e, s;

	/*
	 * Reported at the next read whatever its counters: restarted for the
	 * new connection, they may equal what was reported for the old one.
	 * A slot not in the index yet is reported as soon as it counts.
	 * Every slot in the key's run with its tag is (no key is read: a
	 * system call each); another key's slot reported once more is its
	 * own counters again, which the caller takes as they are.
	 */
	if (sl->index_stale)
		return;
	while ((e = sl->index[i])) {
		s = entry_slot(sl, e);
		if (e != INDEX_TOMB(sl) && entry_tag(sl, e) == tag &&
		    s < sl->nslots && sl->state[s] == SLOT_LIVE) {
			sl->state[s] = SLOT_UNKNOWN;
			visit_again(sl, s);
		}
		i = (i + 1) & sl->index_mask;
	}
}

/* A slot for a new key, as the program takes one. */
static int take_slot(struct acct_slots *sl, uint32_t *slot)
{
	uint64_t n;

	if (!bpf_map_lookup_and_delete_elem(sl->free_fd, NULL, slot))
		return 0;
	if (__atomic_load_n(sl->next, __ATOMIC_RELAXED) >= sl->nslots)
		return -ENOSPC;
	n = __atomic_fetch_add(sl->next, 1, __ATOMIC_RELAXED);
	if (n >= sl->nslots)
		return -ENOSPC;
	*slot = (uint32_t)n;
	/* a slot never used may lie beyond the mapped prefix */
	return map_prefix(sl, *slot + 1);
}

int acct_slots_set(struct acct *a, const struct flow_key *keys,
		   const struct flow_counters *vals, uint32_t n)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct acct_slots *sl = &a->sl;
	struct acct_keyvec nk = { 0 };
	uint32_t *nslot = NULL, *nval = NULL, i, cnt, w, k = 0;
	int64_t s;
	int rc = 0;

	nslot = calloc(n ? n : 1, sizeof(*nslot));
	nval = calloc(n ? n : 1, sizeof(*nval));
	if (!nslot || !nval) {
		free(nslot);
		free(nval);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		uint32_t slot;

		s = slot_of_key(sl, &keys[i]);
		if (s >= 0 && sl->state[s] != SLOT_QUARANTINE) {
			store_counters(&sl->ctr[s], &vals[i]);
			mark_moved(sl, (uint32_t)s);
			continue;
		}
		rc = take_slot(sl, &slot);
		if (rc)
			break;
		rc = acct_keyvec_push(&nk, &keys[i]);
		if (rc) {
			/* not ours to keep: back to the program */
			bpf_map_update_elem(sl->free_fd, NULL, &slot, BPF_ANY);
			break;
		}
		nval[k] = i;
		nslot[k++] = slot;
	}
	/* keys before counters, as the program does (the system call orders
	 * them); a slot whose key could not be written keeps zero counters */
	for (i = 0; i < k; i += w) {
		cnt = k - i < KEY_BATCH ? k - i : KEY_BATCH;
		w = keys_write(sl, nslot + i, nk.v + i, cnt);
		for (uint32_t j = 0; j < w; j++) {
			store_counters(&sl->ctr[nslot[i + j]], &vals[nval[i + j]]);
			mark_moved(sl, nslot[i + j]);
		}
		if (w < cnt) {
			rc = rc ? rc : -EIO;
			k = i + w;
			break;
		}
	}
	/* one batch for the new keys (no duplicates in keys, as documented) */
	for (i = 0; i < k && !rc; i += cnt) {
		cnt = k - i;
		rc = bpf_map_update_batch(sl->slot_of_fd, nk.v + i, nslot + i,
					  &cnt, &opts);
	}
	acct_keyvec_free(&nk);
	free(nslot);
	free(nval);
	return rc;
}

/*
 * acct_prefetch: a NEW on a tuple (reuse) looks for its queued forget and
 * for its slot in the index (acct_slots_reused: a cache miss in the index,
 * then one in the slots' states; no key is compared), a DESTROY queues a
 * forget. Measured at 262144 flows, 40k events/s (every NEW on a tuple
 * reused): those misses were ~5 % of flowtop's samples (bench/README.md,
 * session 7).
 */
static void slots_prefetch(struct acct *a, uint64_t h, bool reuse, int stage)
{
	struct acct_slots *sl = &a->sl;
	uint32_t i, e, tag, s;

	acct_forget_prefetch(a, h, stage);
	if (!reuse || sl->index_stale)
		return;
	i = (uint32_t)h & sl->index_mask;
	if (!stage) {
		__builtin_prefetch(&sl->index[i]);
		return;
	}
	/* the first entry with the key's tag (the run's first few): its
	 * state, which acct_slots_reused changes (no key: not mapped) */
	tag = hash_tag(sl, h);
	for (int k = 0; k < 4 && (e = sl->index[i]); k++) {
		if (entry_tag(sl, e) == tag && e != INDEX_TOMB(sl)) {
			s = entry_slot(sl, e);
			if (s < sl->nslots)
				__builtin_prefetch(&sl->state[s]);
			return;
		}
		i = (i + 1) & sl->index_mask;
	}
}

static void slots_close(struct acct *a)
{
	acct_bpf_detach(a);
	acct_slots_free(a);
	acct_bpf_release(a);
}

static int slots_open(struct acct *a, const struct acct_opts *o, char *why,
		      size_t len)
{
	uint32_t nslots = acct_slots_count(o->max_flows);
	int err;

	a->sl.slot_of_fd = a->sl.free_fd = a->sl.owner_fd = -1;
	a->sl.expires_fd = a->sl.marks_fd = -1;
	/* the LRU map stays at one entry: this layout never uses it */
	err = acct_bpf_load(a, o, 1, nslots, why, len);
	if (err)
		return err;
	a->sl.nslots = nslots;
	a->sl.slot_of_fd = bpf_map__fd(a->skel->maps.slot_of);
	a->sl.free_fd = bpf_map__fd(a->skel->maps.free_slots);
	a->sl.owner_fd = bpf_map__fd(a->skel->maps.slot_owner);
	a->sl.expires_fd = bpf_map__fd(a->skel->maps.slot_expires);
	a->sl.marks_fd = bpf_map__fd(a->skel->maps.slot_marks);
	err = acct_slots_init(a, bpf_map__fd(a->skel->maps.slot_keys),
			      bpf_map__fd(a->skel->maps.slot_counters),
			      (volatile uint64_t *)&a->skel->bss->slot_next,
			      why, len);
	if (!err)
		err = acct_bpf_attach(a, why, len);
	if (err)
		slots_close(a);
	return err;
}

static int slots_reused(struct acct *a, const struct flow_key *key)
{
	acct_unqueue_forget(a, key);
	acct_slots_reused(a, key);
	return 0;
}

static int slots_forget_now(struct acct *a, const struct flow_key *key)
{
	acct_unqueue_forget(a, key);
	return acct_slots_forget_now(a, key);
}

static int slots_expires(struct acct *a, const struct flow_key *key,
			 struct flow_end *end)
{
	int64_t s = slot_of_key(&a->sl, key);
	uint32_t slot = (uint32_t)s;
	struct flow_end v;

	if (s < 0 || bpf_map_lookup_elem(a->sl.expires_fd, &slot, &v) ||
	    !v.end)
		return -ENOENT;
	*end = v;
	return 0;
}

const struct acct_ops acct_slots_ops = {
	.name = "slots",
	.open = slots_open,
	.close = slots_close,
	.read = acct_slots_read,
	.forget = acct_forget_queue,
	.reused = slots_reused,
	.forget_now = slots_forget_now,
	.set = acct_slots_set,
	.prefetch = slots_prefetch,
	.expires = slots_expires,
};
