/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What acct.c (the backend choice and dispatch), the implementations
 * (acct_slots.c, acct_lru.c, acct_conntrack.c) and the modules below them
 * (acct_bpf.c: the BPF program; acct_common.c: shared helpers) share.
 * Not part of the interface (acct.h).
 */
#ifndef FLOWTOP_ACCT_INTERNAL_H
#define FLOWTOP_ACCT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acct.h"

/* flowacct_nf_pre and flowacct_nf on 2 hooks, IPv4 and IPv6 */
#define ACCT_NF_LINKS		8

struct flowacct_bpf;
struct bpf_link;
struct acct;

/*
 * One counter backend, chosen once by acct_open; acct.c calls nothing
 * else of it. Every operation is required.
 */
struct acct_ops {
	const char *name;
	/*
	 * The counters are the kernel's conntrack accounting (since each
	 * flow began), which come with the conntrack dump; read reports
	 * nothing. Otherwise they are counted from load time by BPF.
	 */
	bool kernel_counters;
	/* a is reset; on failure the op leaves nothing to release */
	int (*open)(struct acct *a, const struct acct_opts *o, char *why,
		    size_t len);
	void (*close)(struct acct *a);
	int (*read)(struct acct *a, acct_read_fn fn, void *arg);
	int (*forget)(struct acct *a, const struct flow_key *key,
		      uint64_t start_ns);
	int (*reused)(struct acct *a, const struct flow_key *key);
	int (*forget_now)(struct acct *a, const struct flow_key *key);
	int (*set)(struct acct *a, const struct flow_key *keys,
		   const struct flow_counters *vals, uint32_t n);
	/* optional (NULL: nothing to fetch): see acct_prefetch */
	void (*prefetch)(struct acct *a, uint64_t hash, bool reuse, int stage);
	/* optional (NULL: -EOPNOTSUPP): see acct_expires */
	int (*expires)(struct acct *a, const struct flow_key *key,
		       struct flow_end *end);
};

extern const struct acct_ops acct_slots_ops;
extern const struct acct_ops acct_lru_ops;
extern const struct acct_ops acct_conntrack_ops;

/* acct_common.c */
void acct_setmsg(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keys queued by acct_forget: a growable array. */
struct acct_keyvec {
	struct flow_key *v;
	size_t n, cap;
};

int acct_keyvec_push(struct acct_keyvec *kv, const struct flow_key *key);
void acct_keyvec_free(struct acct_keyvec *kv);

/* Destroyed connections whose keys go after the next read (acct_forget_conn). */
struct acct_forget_ent {
	struct flow_key key;
	uint64_t start;		/* its conntrack start, 0 if unknown */
	bool deferred;		/* kept once already: the owner was unclear */
	bool keep;		/* a read looked at it and keeps it queued
				 * (acct_forget_done) */
};

/*
 * The queue, with an index of its entries by key: a NEW on a tuple whose
 * forget is queued (acct_unqueue_forget) is the common case when a table
 * renews itself at a high rate (a client's ports come round again), and a
 * scan of the queue per NEW cost the collector more than the rest of it.
 */
struct acct_forgetvec {
	struct acct_forget_ent *v;	/* queued: v[head..n), oldest first */
	size_t head, n, cap;
	uint64_t *idx;		/* open addressing: hash << 32 | position + 1 */
	size_t idx_mask;	/* idx has idx_mask + 1 entries (0: no idx) */
};

enum acct_forget_verdict {
	ACCT_FORGET_DELETE,	/* the key is still the destroyed connection's */
	ACCT_FORGET_KEEP,	/* a newer connection owns it: do not delete */
	ACCT_FORGET_DEFER,	/* cannot tell yet: ask again at the next read */
};

/*
 * What to do with a queued forget, given the owner the key's entry has now
 * (have_owner false: none found). Pure; unit tested.
 */
enum acct_forget_verdict acct_forget_decide(const struct acct_forget_ent *e,
					    bool have_owner,
					    const struct flow_owner *owner);

/*
 * lru: sums into *sum the per-CPU shares that belong to the newest owner
 * (the one that took or refined a share last) and stores that owner in
 * *owner (zero when no share has one). Pure; unit tested.
 */
void acct_lru_sum(const struct flow_lru_value *v, int ncpus,
		  struct flow_counters *sum, struct flow_owner *owner);

/* slots layout state (acct_slots.c) */
/* the key -> slot index's least size (entries): it grows with the slots in it */
#define ACCT_INDEX_MIN	4096u

struct acct_slots {
	uint32_t nslots;
	volatile uint64_t *next;	/* BPF .bss slot_next: never-used slots start here */
	/*
	 * The arrays are mapped only up to the slots handed out so far
	 * (mapped, grown in steps as slot_next passes it): a mapping of a
	 * BPF array is backed at once, so mapping all nslots would count
	 * the never-used headroom in flowtop's resident memory.
	 */
	/*
	 * slot_keys is not kept mapped: 40 B a slot, read only for the slots
	 * a read reports (in slot order) and by an index rebuild, through a
	 * window of pages mapped while a pass needs it (bytes [kwin_lo,
	 * kwin_hi) of the array at keys; none between reads), else one
	 * lookup system call (acct_slots.c: key_get).
	 */
	void *keys;			/* the window's reservation */
	struct flow_counters *ctr;	/* mmap of slot_counters, [0, mapped) */
	size_t keys_len;		/* slot_keys' bytes (pages, all nslots) */
	size_t ctr_len;			/* reserved bytes (all nslots) */
	uint32_t mapped;		/* slots the counters' mapping covers */
	size_t kwin_lo, kwin_hi;	/* bytes of slot_keys in the window */
	uint64_t key_maps;		/* windows mapped so far */
	uint64_t key_lookups;		/* keys read by system call */
	uint64_t slot_lookups;		/* keys looked up in slot_of */
	uint64_t forget_ns;		/* wall time per queued forget (mean) */
	int keys_fd, ctr_fd;
	int slot_of_fd, free_fd;
	int owner_fd;			/* slot_owner: read only to forget */
	int expires_fd;			/* slot_expires: read by acct_expires */

	/*
	 * Per slot, as of the last report: the low 32 bits of packets plus
	 * bytes, both directions summed. Every packet the program counts
	 * raises that sum (by one packet and at least one byte), so it
	 * stands still only when nothing moved, or when a slot moved a
	 * multiple of 4 GiB exactly between two reads (then the rotating
	 * recheck reports it a little later). A read torn between the
	 * program's packet and byte adds sees a sum the finished adds then
	 * move again, so the next read reports the slot again. 4 bytes a
	 * slot instead of a 32-byte copy.
	 */
	uint32_t *shadow;
	uint8_t *state;			/* SLOT_* per slot */
	uint8_t *misses;		/* consecutive reads fn said "unknown" */
	uint8_t *moved;			/* low 8 bits of the read that last saw
					 * its counters move */
	/*
	 * The program's slot_marks (mmap()ed, a bit per slot, 64 a word):
	 * set when a slot's counters move, cleared by the read that visits
	 * it. again: the slots the next read visits whatever their marks
	 * (the caller did not know the key, or its key could not be read).
	 */
	uint64_t *marks;
	uint64_t visits;		/* slots reads looked at, cumulative */
	size_t marks_len;
	int marks_fd;
	uint64_t *again;

	/* key -> slot index over slot_keys: open addressing, linear
	 * probing, sized for the slots in it (acct_slots.c) */
	uint32_t *index;		/* tag | (slot + 1); 0 = empty */
	uint32_t index_mask;
	uint32_t index_bits;		/* bits of slot + 1: the tag is above */
	uint32_t live;			/* slots in the index */
	uint32_t tombs;			/* deleted entries left in its runs */
	bool index_stale;		/* to be rebuilt from the slots' states */
	/*
	 * The index's successor (larger, or the same size without the
	 * tombstones) while it is built a share per read, in slot order
	 * (acct_slots.c: grow_step): the index slots below grow_pos are in
	 * it too, and adds and deletes of those go to both. NULL: none.
	 */
	uint32_t *grow;
	uint32_t grow_mask;
	uint32_t grow_live, grow_tombs;
	uint32_t grow_pos;
	uint32_t added;			/* slots added to the index this read */
	uint64_t grow_moved;		/* entries put into a successor so far */

	/* slots whose key was deleted from slot_of, waiting to be reused */
	struct acct_quarantine {
		uint32_t slot;
		uint64_t seq;		/* read that deleted the key */
		uint64_t ns;		/* when */
		uint64_t start;		/* destroyed connection's start, or
					 * 0: nothing to rescue */
	} *quar;
	size_t nquar, quar_cap;

	struct acct_keyvec del;		/* keys to delete from slot_of this read */
	uint64_t seq;			/* reads so far */
	uint32_t sweep_pos;		/* next slot of the "still known?" sweep */
	uint64_t reclaimed;		/* orphans reclaimed */
	uint64_t rescued;		/* newer connections' counts taken
					 * back from quarantine */
	uint64_t recycled;		/* slots given back to free_slots */
	/*
	 * This read's scan put every slot in use into the index (no key it
	 * could not read, none beyond the mapping): a key not there has no
	 * slot, and a forget need not ask slot_of (acct_slots.c).
	 */
	bool scan_whole;
	/* forget_queued's scratch, kept from read to read */
	struct forget_probe *fprobe;	/* per entry: hash, slot found */
	struct forget_cand *fcand, *fsorted;	/* tag matches to compare */
	uint32_t *fbucket;		/* counting sort by part of slot_keys */
	size_t fprobe_cap, fcand_cap, fsorted_cap, fbucket_cap;
};

struct acct {
	const struct acct_ops *ops;
	acct_prefetch_fn pre;		/* of the read in progress, or NULL */
	uint64_t read_hint;		/* pre's for the key fn has now */
	uint64_t read_until;		/* acct_set_read_deadline's, or 0 */
	enum acct_kind kind;
	enum acct_layout layout;
	struct flowacct_bpf *skel;
	struct bpf_link *probe_link;	/* fentry / kprobe */
	int nf_links[ACCT_NF_LINKS];
	int nnf_links;
	int map_fd;			/* lru: the counter map */
	int stats_fd;
	int ncpus;
	struct acct_bpf_stats *statv;	/* ncpus */

	/* lru: batch buffers, allocated once */
	uint32_t batch;
	struct flow_key *keys;
	struct flow_lru_value *vals;	/* batch * ncpus */
	struct flow_lru_value *one;	/* ncpus: one key's shares */
	struct acct_keyvec del;		/* keys to delete after this read */
	uint64_t deleted;		/* keys we deleted */

	/* keys queued by acct_forget_conn, dropped after the next read */
	struct acct_forgetvec forget;

	struct acct_slots sl;
	struct acct_stats st;
};

uint64_t acct_now_ns(void);
/* Queues key to go after the next read (acct_forget_conn). 0 or -ENOMEM. */
int acct_forget_queue(struct acct *a, const struct flow_key *key,
		      uint64_t start_ns);
/* Drops key from the forget queue (a new flow reuses the tuple). */
void acct_unqueue_forget(struct acct *a, const struct flow_key *key);
/* Forgets queued. */
static inline size_t acct_forget_queued(const struct acct_forgetvec *fv)
{
	return fv->n - fv->head;
}
/*
 * After a read looked at the oldest queued entries, v[head..end), and set
 * keep on those that stay queued: they stay first, in their order, the
 * others leave; the entries from end on stay where they are. The work
 * follows the entries looked at, not the queue: a resync can queue half a
 * million forgets, done a share per read (acct_slots.c, forget_budget),
 * and the queue's index rebuilt after each read was 10 % of flowtop's CPU
 * in the sustained bench.
 */
void acct_forget_done(struct acct *a, size_t end);
/*
 * The forget queue's part of acct_prefetch for a key whose flow_key_hash
 * is hash: its index entry (stage 0), then the queued entry it names, if
 * its tag is the key's (stage 1; only acct_unqueue_forget reads that).
 */
void acct_forget_prefetch(const struct acct *a, uint64_t hash, int stage);
void acct_forgetvec_free(struct acct_forgetvec *fv);

/* acct_bpf.c: the BPF program, for the layouts */
/* 0, or -errno and a reason when BPF cannot work at all on this system */
int acct_bpf_usable(char *why, size_t len);
/*
 * Loads o->kind's program for o->layout with those map sizes: a->kind,
 * a->ncpus, a->skel, the statistics. 0, or -errno with nothing loaded.
 */
int acct_bpf_load(struct acct *a, const struct acct_opts *o,
		  uint32_t lru_entries, uint32_t nslots, char *why, size_t len);
/* Attaches the loaded program to a->kind's hooks. 0 or -errno. */
int acct_bpf_attach(struct acct *a, char *why, size_t len);
/* Detaches it (links), then releases everything acct_bpf_load made. */
void acct_bpf_detach(struct acct *a);
void acct_bpf_release(struct acct *a);
/* Loads (verifies) and drops the program: acct_load_only. 0 or -errno. */
int acct_bpf_load_only(const struct acct_opts *o, uint32_t lru_entries,
		       uint32_t nslots, char *why, size_t len);
/* Sums the BPF program's per-CPU statistics into *sum. 0 or -errno. */
int acct_bpf_stats_sum(struct acct *a, struct acct_bpf_stats *sum);

int acct_lru_alloc(struct acct *a);
void acct_lru_free(struct acct *a);
int acct_lru_read(struct acct *a, acct_read_fn fn, void *arg);
int acct_lru_forget_now(struct acct *a, const struct flow_key *key);
int acct_lru_set(struct acct *a, const struct flow_key *keys,
		 const struct flow_counters *vals, uint32_t n);

/* slot arrays for max_flows live flows (headroom for quarantine added) */
uint32_t acct_slots_count(uint32_t max_flows);
/* maps the arrays and allocates the userspace state; fds set by acct.c */
int acct_slots_init(struct acct *a, int keys_fd, int ctr_fd,
		    volatile uint64_t *next, char *why, size_t len);
void acct_slots_free(struct acct *a);
int acct_slots_read(struct acct *a, acct_read_fn fn, void *arg);
int acct_slots_forget_now(struct acct *a, const struct flow_key *key);
void acct_slots_reused(struct acct *a, const struct flow_key *key);
int acct_slots_set(struct acct *a, const struct flow_key *keys,
		   const struct flow_counters *vals, uint32_t n);

#endif
