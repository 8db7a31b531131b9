// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow byte and packet counters keyed by the conntrack original tuple
 * (+ zone). Three programs share one body; userspace loads exactly one:
 *
 *   flowacct_nf      BPF_PROG_TYPE_NETFILTER after conntrack (Linux >= 6.4),
 *                    on PRE_ROUTING and LOCAL_OUT, IPv4 and IPv6; with
 *                    flowacct_nf_pre just before conntrack on the same
 *                    hooks, which tells it which packets conntrack skips
 *   flowacct_fentry  fentry/nf_ct_acct_add (Linux >= 5.5 with BTF)
 *   flowacct_kprobe  kprobe/nf_ct_acct_add (CONFIG_KPROBES)
 *
 * The netfilter program mirrors what the kernel's own accounting counts
 * (nf_conntrack_in -> nf_ct_refresh_acct -> nf_ct_acct_add: skb->len and
 * one packet per skb, GSO included); the two probes see exactly those
 * calls, so they need no such rules.
 *
 * Two counter layouts, picked by userspace before load (layout below; the
 * verifier drops the other one's code):
 *
 *   slots  a flow gets a slot number: slot_of (hash, key -> slot) finds it,
 *          slot_keys[slot] holds its key and slot_counters[slot] its
 *          counters, both arrays mmap()ed by userspace (slot_keys a window
 *          at a time, as a read passes it) and read straight from
 *          memory, no system call per flow; slot_marks has a bit per
 *          slot set when its counters move, so a read visits only those.
 *          Free slots come from free_slots (recycled by userspace) or,
 *          while never-used ones are left, from the bump counter
 *          slot_next.
 *   lru    counters: per-CPU LRU hash key -> counters, read with batch
 *          lookups (the layout before slots; its read cost grows with the
 *          number of possible CPUs).
 *
 * Each entry also records the connection that owns it (struct flow_owner,
 * flow_key.h): slots in slot_owner[slot], which userspace does not scan;
 * lru in each CPU's share of the value. When a packet of a different
 * connection arrives on a tuple (conntrack -F, a timeout, a reused client
 * port), the entry restarts from zero for it here, at once, instead of
 * userspace deleting the key when it hears of the new connection: by then
 * the new connection's first packets are already in the entry.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "flow_key.h"

#define NFCT_INFOMASK	7UL
#define ETH_P_IP_BE	0x0008	/* htons(0x0800) */
#define ETH_P_IPV6_BE	0xdd86	/* htons(0x86dd) */
#define PROTO_ICMP	1
#define PROTO_ICMPV6	58
#define PROTO_TCP	6
#define PACKET_LOOPBACK	5	/* skb->pkt_type, uapi linux/if_packet.h */

char LICENSE[] SEC("license") = "GPL";

#define LAYOUT_SLOTS	0
#define LAYOUT_LRU	1

/*
 * A new slot's key must be visible before its first counter add: userspace
 * reads a slot's key once its counters moved. On x86 stores are not
 * reordered with the locked add that follows; weakly ordered CPUs (arm64)
 * need a fully ordered write in between, a BPF atomic with fetch (Linux
 * 5.12, -mcpu=v3, as take_slot's fetch-add). The netfilter program always
 * does it (it is the one tested here); the probes, which cannot be
 * attached on this project's test machines, only where it is needed.
 */
#ifndef FLOWACCT_ORDERED_PROBES
#ifdef __TARGET_ARCH_x86
#define FLOWACCT_ORDERED_PROBES 0
#else
#define FLOWACCT_ORDERED_PROBES 1
#endif
#endif

/* Set by userspace before load (read-only afterwards: the verifier sees
 * constants and removes the branches not taken). */
const volatile __u32 layout = LAYOUT_SLOTS;
const volatile __u32 nslots = 1;
/* lru layout: possible CPUs, for restarting every CPU's share at once */
const volatile __u32 ncpus = 1;
#define MAX_CPUS	8192
/*
 * The length of a jiffy in ns (clock_getres of CLOCK_MONOTONIC_COARSE,
 * which ticks with them), to turn a conntrack timeout into a time; 0: not
 * known, slot_expires stays 0.
 */
const volatile __u32 tick_ns = 0;
/*
 * The -4 -6 -T -U -D -I -S selection as a table built by userspace from
 * filter.c's rules (one source of truth): want[proto] bit 0 = counted for
 * IPv4, bit 1 = for IPv6. Flows outside it get no counter at all.
 */
const volatile __u8 want[256] = {};

/* slots layout: never-used slots below nslots start here (mmap()ed). */
__u64 slot_next = 0;

/*
 * max_entries of every map is set from userspace (bpf_map__set_max_entries)
 * before load; the maps of the layout not in use get 1.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, struct flow_lru_value);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, __u32);
} slot_of SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 65536);
	__type(value, __u32);
} free_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct flow_key);
} slot_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct flow_counters);
} slot_counters SEC(".maps");

/*
 * slots layout: when the kernel will end each slot's connection, and its
 * TCP state, as of its last packet (struct flow_end). Read by userspace
 * with a lookup, only for the flows found at start whose deadline came,
 * so that the packets since then need no conntrack GET to move it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct flow_end);
} slot_expires SEC(".maps");

/*
 * slots layout: a bit per slot (64 a word), set when its counters move.
 * Userspace (mmap()ed) visits the slots marked since its last read and
 * clears what it took, instead of comparing every slot handed out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} slot_marks SEC(".maps");

/* slots layout: who owns each slot's counters (not mmap()ed: not read) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct flow_owner);
} slot_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct acct_bpf_stats);
} stats SEC(".maps");

/*
 * What flowacct_nf_pre saw of the packet now between it and flowacct_nf
 * on this CPU, per hook (0 PRE_ROUTING, 1 LOCAL_OUT: a softirq may run
 * PRE_ROUTING inside a LOCAL_OUT pass on the same CPU).
 */
struct nf_pre_seen {
	__u64 skb;	/* the packet; another value: nothing known of it */
	__u64 tracked;	/* it came with a conntrack entry of its own */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct nf_pre_seen);
} nf_pre SEC(".maps");

static __always_inline struct acct_bpf_stats *get_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

/*
 * Builds the key from ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple. The ports are
 * copied as raw memory (u.all), so for ICMP the echo id lands in sport and
 * type/code in dport bytes 0/1, as flow_key.h documents.
 */
static __always_inline int make_key(struct flow_key *key, struct nf_conn *ct)
{
	struct nf_conntrack_tuple t;

	__builtin_memset(key, 0, sizeof(*key));
	/* one read for the whole tuple: its layout has not changed since 2.6 */
	if (bpf_core_read(&t, sizeof(t), &ct->tuplehash[0].tuple))
		return -1;
	key->family = (__u8)t.src.l3num;
	key->proto = t.dst.protonum;
	__builtin_memcpy(key->src, &t.src.u3, sizeof(key->src));
	__builtin_memcpy(key->dst, &t.dst.u3, sizeof(key->dst));
	key->sport = t.src.u.all;
	key->dport = t.dst.u.all;
	/* without CONFIG_NF_CONNTRACK_ZONES there is no zone: all flows are 0 */
	if (bpf_core_field_exists(ct->zone))
		key->zone = BPF_CORE_READ(ct, zone.id);
	return 0;
}

static __always_inline void stat_add(__u64 *field)
{
	__sync_fetch_and_add(field, 1);
}

/*
 * ct's stamp (flow_key.h): its conntrack timestamp start if it has one,
 * else whether it is confirmed. The start sits in the timestamp extension
 * (nf_conntrack_timestamp on when the connection was made): ct->ext holds
 * per extension id an offset from ext, 0 for "absent". The id's value is
 * taken from the running kernel's enum nf_ct_ext_id (CO-RE). The start is
 * written at confirmation (__nf_conntrack_confirm), after this program has
 * seen the connection's first packet(s): until then it is 0.
 */
static __always_inline __u64 conn_stamp(struct nf_conn *ct)
{
	struct nf_ct_ext *ext;
	__u64 start = 0;
	__u32 id;
	__u8 off = 0;

	if (bpf_core_enum_value_exists(enum nf_ct_ext_id, NF_CT_EXT_TSTAMP)) {
		id = bpf_core_enum_value(enum nf_ct_ext_id, NF_CT_EXT_TSTAMP);
		ext = BPF_CORE_READ(ct, ext);
		if (ext && id < bpf_core_field_size(ext->offset) &&
		    !bpf_probe_read_kernel(&off, 1, (void *)ext +
				bpf_core_field_offset(ext->offset) + id) && off)
			bpf_probe_read_kernel(&start, sizeof(start),
				(void *)ext + off +
				bpf_core_field_offset(struct nf_conn_tstamp,
						      start));
	}
	if (start > FLOW_STAMP_CONFIRMED)
		return start;
	/* older kernels set IPS_CONFIRMED just before the start, newer ones
	 * just after it: one may be seen without the other */
	return BPF_CORE_READ(ct, status) & IPS_CONFIRMED ?
	       FLOW_STAMP_CONFIRMED : FLOW_STAMP_UNCONFIRMED;
}

enum { OWNER_SAME, OWNER_REFINE, OWNER_OTHER, OWNER_TWIN, OWNER_TWIN_WON };

/*
 * Is (ct, stamp) the connection recorded in o? The same object with the
 * same stamp, or with a stamp that went up from unconfirmed/confirmed (the
 * connection got confirmed, or its start, since o was written: REFINE).
 * Anything else is another connection: a different object, or the same
 * object reused (its stamp went back to 0 or changed start).
 *
 * An unconfirmed connection is seen by one packet only, its first: no
 * other packet can find it before it is confirmed into the hash. So an
 * unconfirmed (ct, stamp) is always a new connection, even where o holds
 * the same object unconfirmed: that is an older connection in the same
 * object whose first packet was the last one on this CPU (lru) or whose
 * only packet it was (slots). Without timestamps the two look alike.
 */
static __always_inline int owner_cmp(const struct flow_owner *o, __u64 ct,
				     __u64 stamp)
{
	__u64 oct = *(volatile const __u64 *)&o->ct;
	__u64 ostamp = *(volatile const __u64 *)&o->stamp;

	if (oct != ct || stamp == FLOW_STAMP_UNCONFIRMED)
		return OWNER_OTHER;
	if (ostamp == stamp)
		return OWNER_SAME;
	if (ostamp < stamp && ostamp <= FLOW_STAMP_CONFIRMED)
		return OWNER_REFINE;
	return OWNER_OTHER;
}

/*
 * Counters restarted for a new owner. Plain stores: another CPU adding to
 * the same slots entry at this very moment (only possible for packets of
 * the new connection sent from two CPUs at once before either finished
 * here) may lose that one packet.
 */
static __always_inline void counters_zero(struct flow_counters *c)
{
	*(volatile __u64 *)&c->packets[FLOW_DIR_ORIG] = 0;
	*(volatile __u64 *)&c->packets[FLOW_DIR_REPLY] = 0;
	*(volatile __u64 *)&c->bytes[FLOW_DIR_ORIG] = 0;
	*(volatile __u64 *)&c->bytes[FLOW_DIR_REPLY] = 0;
}

/*
 * lru layout: the new owner for every other CPU's share of key that holds
 * another connection's counts (Linux >= 5.19 has the helper for it;
 * before, the branch goes away at load). Shares already the new owner's
 * (its earlier packets on other CPUs) and unused ones stay as they are.
 * Without this, a share keeps the old owner until a packet of the new one
 * reaches its CPU, and without timestamps that packet may look like the
 * old connection's (the same object, confirmed both times) and add to the
 * old counts; with timestamps its start tells them apart anyway.
 */
static __always_inline void lru_claim_others(struct flow_key *key,
					     struct flow_lru_value *mine,
					     __u64 now)
{
	struct flow_lru_value *v;
	__u32 cpu;

	if (!bpf_core_enum_value_exists(enum bpf_func_id,
					BPF_FUNC_map_lookup_percpu_elem))
		return;
	for (cpu = 0; cpu < MAX_CPUS && cpu < ncpus; cpu++) {
		v = bpf_map_lookup_percpu_elem(&counters, key, cpu);
		if (!v || v == mine || !v->owner.ct ||
		    owner_cmp(&v->owner, mine->owner.ct,
			      mine->owner.stamp) != OWNER_OTHER)
			continue;
		counters_zero(&v->c);
		v->owner.ct = mine->owner.ct;
		v->owner.stamp = mine->owner.stamp;
		v->since = now;
	}
}

/*
 * lru layout: this CPU's share of an entry, made (ct, stamp)'s, and on a
 * change of owner the other CPUs' shares too. Userspace sums only the
 * shares of the owner that took or refined a share last (since), which
 * covers the moments where the shares disagree.
 */
static __always_inline struct flow_counters *
lru_share(struct flow_key *key, struct flow_lru_value *v, __u64 ct,
	  __u64 stamp, struct acct_bpf_stats *st)
{
	__u64 now, had;

	switch (owner_cmp(&v->owner, ct, stamp)) {
	case OWNER_OTHER:
		had = v->owner.ct;
		now = bpf_ktime_get_ns();
		counters_zero(&v->c);
		v->owner.ct = ct;
		v->owner.stamp = stamp;
		v->since = now;
		if (had && st)
			stat_add(&st->owner_changes);
		/*
		 * A share never used (another CPU made the entry) is the new
		 * owner's first packet here: if it is a connection's very
		 * first (unconfirmed), the other CPUs may still hold an older
		 * connection's counts. Otherwise they hold this connection's,
		 * or a different one's that their own next packet tells.
		 */
		if (had || stamp == FLOW_STAMP_UNCONFIRMED)
			lru_claim_others(key, v, now);
		break;
	case OWNER_REFINE:
		v->owner.stamp = stamp;
		v->since = bpf_ktime_get_ns();
		break;
	}
	return &v->c;
}

/*
 * lru layout: a new key is inserted already holding this packet (the other
 * CPUs' slots start at zero); if another CPU inserted the same key between
 * our lookup and our insert, the insert fails with -EEXIST and we add to
 * the winner's entry, so each key's insert is counted exactly once.
 */
static __always_inline struct flow_counters *
lru_counters(struct flow_key *key, __u32 dir, __u64 packets, __u64 bytes,
	     __u64 ct, __u64 stamp, struct acct_bpf_stats *st)
{
	struct flow_lru_value *v;
	long err;

	v = bpf_map_lookup_elem(&counters, key);
	if (v)
		return lru_share(key, v, ct, stamp, st);
	struct flow_lru_value init = {
		.owner = { .ct = ct, .stamp = stamp },
		.since = bpf_ktime_get_ns(),
	};

	/* constant indices: the verifier loses dir's bound */
	if (dir == FLOW_DIR_ORIG) {
		init.c.packets[FLOW_DIR_ORIG] = packets;
		init.c.bytes[FLOW_DIR_ORIG] = bytes;
	} else {
		init.c.packets[FLOW_DIR_REPLY] = packets;
		init.c.bytes[FLOW_DIR_REPLY] = bytes;
	}
	err = bpf_map_update_elem(&counters, key, &init, BPF_NOEXIST);
	if (!err) {
		if (st)
			stat_add(&st->inserts);
		return NULL;	/* counted by the insert */
	}
	/* EEXIST: another CPU inserted the key first; our share is empty */
	if (err == -17 && (v = bpf_map_lookup_elem(&counters, key)))
		return lru_share(key, v, ct, stamp, st);
	if (st)
		stat_add(&st->insert_errors);
	return NULL;
}

/* A free slot: a recycled one first (keeps the used range short), else a
 * never-used one. 0, or -1 when every slot is taken. */
static __always_inline int take_slot(__u32 *slot)
{
	__u64 s;

	if (!bpf_map_pop_elem(&free_slots, slot))
		return 0;
	/* checked first so that slot_next stops growing once all are out */
	if (*(volatile __u64 *)&slot_next >= nslots)
		return -1;
	s = __sync_fetch_and_add(&slot_next, 1);
	if (s >= nslots)
		return -1;	/* another CPU took the last one */
	*slot = (__u32)s;
	return 0;
}

/*
 * The key into a new slot: all but its last word with plain stores, that
 * word (zone, family, proto) with an exchange when ordered, which is fully
 * ordered: every store before it is visible before any access after it,
 * the counter adds of this slot included. Userspace's read (counters, an
 * acquire fence, the key) pairs with it.
 */
static __always_inline void key_publish(struct flow_key *kslot,
					const struct flow_key *key,
					int ordered)
{
	__u32 tail;

	if (!ordered) {
		__builtin_memcpy(kslot, key, sizeof(*key));
		return;
	}
	__builtin_memcpy(kslot, key, offsetof(struct flow_key, zone));
	__builtin_memcpy(&tail, &key->zone, sizeof(tail));
	__sync_lock_test_and_set((__u32 *)&kslot->zone, tail);
}

/*
 * slots layout: the key's slot, taking a free one for a new key. The key is
 * written into slot_keys (and the owner into slot_owner) before slot_of
 * publishes the slot and before any counter in it moves (key_publish), so
 * userspace, which looks at a slot only once its counters moved, finds its
 * key complete. Two CPUs adding the same new key both take a slot; the one
 * whose slot_of insert fails gives its slot back and counts in the
 * winner's. *slot set and 0 (an existing slot) or 1 (taken here, owner's
 * already, counters zero), or -1.
 */
static __always_inline int slot_find(struct flow_key *key,
				     const struct flow_owner *owner,
				     struct acct_bpf_stats *st, __u32 *slot,
				     int ordered)
{
	struct flow_owner *o;
	struct flow_key *kslot;
	__u32 *sp;
	long err;

	sp = bpf_map_lookup_elem(&slot_of, key);
	if (sp) {
		*slot = *sp;
		return 0;
	}
	if (take_slot(slot)) {
		if (st)
			stat_add(&st->no_room);
		return -1;
	}
	kslot = bpf_map_lookup_elem(&slot_keys, slot);
	o = bpf_map_lookup_elem(&slot_owner, slot);
	if (!kslot || !o)
		return -1;	/* slot >= max_entries: cannot happen */
	*o = *owner;
	key_publish(kslot, key, ordered);
	err = bpf_map_update_elem(&slot_of, key, slot, BPF_NOEXIST);
	if (!err) {
		if (st)
			stat_add(&st->inserts);
		return 1;
	}
	__builtin_memset(kslot, 0, sizeof(*kslot));
	bpf_map_push_elem(&free_slots, slot, 0);
	if (err == -17 /* EEXIST: lost the race */) {
		sp = bpf_map_lookup_elem(&slot_of, key);
		if (sp) {
			*slot = *sp;
			return 0;
		}
	}
	if (st)
		stat_add(&st->insert_errors);
	return -1;
}

/*
 * Is oct still a live connection of key, not dying? Unconfirmed, its first
 * packet is on its way (or queued to userspace); confirmed since, it is in
 * the table, where a connection made for the tuple meanwhile cannot get
 * (conntrack would have found it, had it been there): either way the
 * newer one will be merged into it or it into the newer one.
 */
static __always_inline int twin_pending(__u64 oct, const struct flow_key *key)
{
	struct nf_conn *o = (struct nf_conn *)oct;
	const __u64 *a, *b;
	struct flow_key k;
	__u32 use = 0;

	/* refcount_t, atomic_t before Linux 6.0: an int either way */
	if (bpf_core_read(&use, sizeof(use), &o->ct_general.use) || !use)
		return 0;	/* freed (SLAB_TYPESAFE_BY_RCU keeps it readable) */
	if (BPF_CORE_READ(o, status) & IPS_DYING)
		return 0;
	if (make_key(&k, o))
		return 0;
	a = (const __u64 *)&k;
	b = (const __u64 *)key;
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
	       a[4] == b[4];
}

/*
 * slots layout: owner_cmp, and twins. Two connections of one tuple can be
 * unconfirmed at once: first packets sent from two CPUs together, or a
 * second one while the first is queued to userspace (NFQUEUE). Only one
 * gets into the table; when the other is confirmed, conntrack merges it
 * into the winner, its counters included (nf_ct_resolve_clash,
 * nf_ct_acct_merge). So a packet of another connection on a slot whose
 * owner is still such an unconfirmed twin adds to the slot (TWIN) rather
 * than restarting it, and a confirmed packet of another connection on a
 * slot whose owner never got past unconfirmed is the twin that won
 * (TWIN_WON): a new connection after an owner that died unconfirmed
 * (dropped) would have restarted the slot with its first, unconfirmed,
 * packet. The cost: a twin that loses and is dropped instead (TCP: clash
 * not allowed) is counted.
 */
static __always_inline int slot_owner_cmp(const struct flow_owner *o,
					  const struct flow_owner *owner,
					  const struct flow_key *key)
{
	int r = owner_cmp(o, owner->ct, owner->stamp);
	__u64 oct;

	if (r != OWNER_OTHER)
		return r;
	oct = *(volatile const __u64 *)&o->ct;
	if (!oct || oct == owner->ct ||
	    *(volatile const __u64 *)&o->stamp != FLOW_STAMP_UNCONFIRMED)
		return r;
	if (owner->stamp != FLOW_STAMP_UNCONFIRMED)
		return OWNER_TWIN_WON;
	return twin_pending(oct, key) ? OWNER_TWIN : r;
}

/*
 * When the kernel will end ct if no packet comes: whole seconds of
 * CLOCK_MONOTONIC (bpf_ktime_get_ns's clock) + 1, so never 0, rounded up
 * like userspace's deadlines (collector_silent.c). Conntrack has already
 * moved ct->timeout for this packet: it runs before this program's hook
 * (netfilter), or calls nf_ct_acct_add after it (the probes). It counts
 * in jiffies: from the moment the connection is confirmed, ct->timeout is
 * the jiffy it expires at; before that, the jiffies it will get. Whether
 * it is, its owner stamp says (conn_stamp: 0 until confirmed), which
 * spares a read of ct->status on every packet.
 */
static __always_inline __u32 conn_expires(struct nf_conn *ct, __u64 stamp)
{
	__u32 timeout = BPF_CORE_READ(ct, timeout);
	__s64 left;

	if (!tick_ns)
		return 0;
	if (stamp != FLOW_STAMP_UNCONFIRMED)
		left = (__s32)(timeout - (__u32)bpf_jiffies64());
	else
		left = timeout;
	if (left < 0)
		left = 0;
	return (__u32)((bpf_ktime_get_ns() + (__u64)left * tick_ns) /
		       1000000000ull) + 1;
}

/* slots layout: a packet of the slot's connection moved its end */
static __always_inline void slot_expires_set(__u32 slot, struct nf_conn *ct,
					     __u64 stamp, __u8 proto)
{
	struct flow_end *e = bpf_map_lookup_elem(&slot_expires, &slot);
	union {
		struct flow_end rec;
		__u64 word;
	} v = { .rec = { .state = FLOW_END_NO_STATE } };

	if (!e)
		return;
	v.rec.end = conn_expires(ct, stamp);
	if (proto == PROTO_TCP)
		v.rec.state = BPF_CORE_READ(ct, proto.tcp.state);
	/* the same second and state mostly: no store, the line stays
	 * shared; one 8-byte word, so a reader sees one packet's record */
	if (*(volatile __u64 *)e != v.word)
		*(volatile __u64 *)e = v.word;
}

/*
 * slots layout: slot's counters moved (after the adds). On x86 the bit is
 * set only when it is clear: a store, and the cache line taken from the
 * other CPUs, once per slot per read rather than on every packet. That
 * is safe because the adds before the look are locked (fully ordered), as
 * userspace's clear before it loads the counters is: either it sees these
 * adds, or this look sees the bit it cleared and sets it again. Weakly
 * ordered CPUs have no ordering between a non-fetching add and the look:
 * there the bit is set every time, by a fetching (fully ordered) or.
 */
#ifdef __TARGET_ARCH_x86
#define FLOWACCT_MARK_IF_CLEAR 1
#else
#define FLOWACCT_MARK_IF_CLEAR 0
#endif

static __always_inline void slot_mark(__u32 slot)
{
	__u32 w = slot / 64;
	__u64 bit = 1ull << (slot % 64), old;
	__u64 *word = bpf_map_lookup_elem(&slot_marks, &w);

	if (!word)
		return;
	if (FLOWACCT_MARK_IF_CLEAR) {
		if (!(*(volatile __u64 *)word & bit))
			__sync_fetch_and_or(word, bit);
		return;
	}
	old = __sync_fetch_and_or(word, bit);
	barrier_var(old);	/* the fetching form */
}

/* slots layout: the counters of key's slot, made owner's (*slot its number) */
static __always_inline struct flow_counters *
slot_counters_of(struct flow_key *key, const struct flow_owner *owner,
		 struct acct_bpf_stats *st, int ordered, __u32 *slot_out)
{
	struct flow_counters *c;
	struct flow_owner *o;
	__u32 slot;
	int fresh;

	fresh = slot_find(key, owner, st, &slot, ordered);
	*slot_out = slot;
	if (fresh < 0)
		return NULL;
	c = bpf_map_lookup_elem(&slot_counters, &slot);
	o = bpf_map_lookup_elem(&slot_owner, &slot);
	if (!c || !o)
		return NULL;
	/*
	 * Taken here: nothing to restart. Comparing would: an unconfirmed
	 * owner always differs (owner_cmp), and zeroing now could wipe a
	 * twin's packet added on another CPU since slot_of published it.
	 */
	if (fresh)
		return c;
	switch (slot_owner_cmp(o, owner, key)) {
	case OWNER_OTHER:
		/* owner first: another CPU's packet of the new connection
		 * then adds instead of restarting the counters once more */
		o->ct = owner->ct;
		o->stamp = owner->stamp;
		counters_zero(c);
		if (st)
			stat_add(&st->owner_changes);
		break;
	case OWNER_REFINE:
		o->stamp = owner->stamp;
		break;
	case OWNER_TWIN_WON:
		o->ct = owner->ct;
		o->stamp = owner->stamp;
		break;
	}
	return c;
}

/* The shared body: add packets/bytes to direction dir of ct's key
 * (ordered: see key_publish). */
static __always_inline void account(struct nf_conn *ct, __u32 dir,
				    __u64 packets, __u64 bytes, int ordered)
{
	struct acct_bpf_stats *st = get_stats();
	struct flow_counters *c;
	struct flow_owner owner;
	struct flow_key key;
	__u32 slot = 0;
	__u8 fam;

	if (dir >= FLOW_DIR_COUNT || make_key(&key, ct))
		return;
	fam = key.family == 2 ? 1 : key.family == 10 ? 2 : 0;
	if (!(want[key.proto] & fam)) {
		if (st)
			stat_add(&st->skipped_unselected);
		return;
	}
	owner.ct = (__u64)ct;
	owner.stamp = conn_stamp(ct);
	if (layout == LAYOUT_LRU)
		c = lru_counters(&key, dir, packets, bytes, owner.ct,
				 owner.stamp, st);
	else
		c = slot_counters_of(&key, &owner, st, ordered, &slot);
	if (!c)
		return;
	if (layout != LAYOUT_LRU)
		slot_expires_set(slot, ct, owner.stamp, key.proto);
	/*
	 * Shared counters (slots) or a per-CPU slot that a softirq
	 * (PRE_ROUTING) can interrupt in a process context program
	 * (LOCAL_OUT) on the same CPU (lru): atomic adds keep both exact.
	 */
	if (dir == FLOW_DIR_ORIG) {
		__sync_fetch_and_add(&c->packets[FLOW_DIR_ORIG], packets);
		__sync_fetch_and_add(&c->bytes[FLOW_DIR_ORIG], bytes);
	} else {
		__sync_fetch_and_add(&c->packets[FLOW_DIR_REPLY], packets);
		__sync_fetch_and_add(&c->bytes[FLOW_DIR_REPLY], bytes);
	}
	if (layout != LAYOUT_LRU)
		slot_mark(slot);
}

/*
 * ctinfo RELATED (1) / RELATED_REPLY (4) is given to two kinds of packet:
 * ICMP errors about a flow, which the kernel attaches to that flow without
 * accounting them, and the first packets of an expected connection (FTP,
 * TFTP ... helpers) before its reply is seen, which the kernel accounts.
 * The second kind always has the connection's own protocol and is never
 * ICMP and never RELATED_REPLY. The first header after the IP header is
 * checked; an expected IPv6 connection whose packets carry extension
 * headers is the one case this undercounts.
 */
static __always_inline int related_is_counted(struct sk_buff *skb,
					      struct nf_conn *ct,
					      __u32 ctinfo)
{
	__u8 ctproto, proto = 0;
	unsigned char *head;
	__u16 nh, l3;

	if (ctinfo != IP_CT_RELATED)
		return 0;
	ctproto = BPF_CORE_READ(ct, tuplehash[0].tuple.dst.protonum);
	if (ctproto == PROTO_ICMP || ctproto == PROTO_ICMPV6)
		return 0;
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	l3 = BPF_CORE_READ(skb, protocol);
	if (l3 == ETH_P_IP_BE)
		bpf_probe_read_kernel(&proto, 1,
				      head + nh + offsetof(struct iphdr, protocol));
	else if (l3 == ETH_P_IPV6_BE)
		bpf_probe_read_kernel(&proto, 1,
				      head + nh + offsetof(struct ipv6hdr, nexthdr));
	return proto == ctproto;
}

static __always_inline __u32 pre_index(__u32 hook)
{
	return hook == NF_INET_PRE_ROUTING ? 0 : 1;
}

/*
 * Did conntrack pass this packet by without accounting it? It does so
 * when the packet already carries a real entry (not a template of the raw
 * table's CT rules) on arrival: the second pass of a packet it saw once.
 * That is a packet to a local address, which passes LOCAL_OUT and then
 * PRE_ROUTING on lo; and a looped-back copy of a multicast or broadcast
 * packet sent (or forwarded) out of a real device (dev_loopback_xmit),
 * which re-enters PRE_ROUTING on that device. flowacct_nf_pre looked just
 * before conntrack. Where it could not tell (the packet was queued to
 * userspace in between, and reinjected elsewhere), the marks of the two
 * known cases stand in: the loopback device, and the PACKET_LOOPBACK type
 * dev_loopback_xmit gives its copies (a packet injected on lo with an
 * AF_PACKET socket, which conntrack does count, is missed then).
 */
static __always_inline int conntrack_skipped(struct sk_buff *skb, __u32 hook)
{
	__u32 i = pre_index(hook);
	struct nf_pre_seen *seen = bpf_map_lookup_elem(&nf_pre, &i);

	if (seen && seen->skb == (__u64)skb)
		return seen->tracked != 0;
	if (hook != NF_INET_PRE_ROUTING)
		return 0;
	if (BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type) == PACKET_LOOPBACK)
		return 1;
	return (BPF_CORE_READ(skb, dev, flags) & IFF_LOOPBACK) != 0;
}

/* Just before conntrack: does the packet bring an entry along? */
SEC("netfilter")
int flowacct_nf_pre(struct bpf_nf_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;
	struct nf_pre_seen *seen;
	unsigned long nfct;
	struct nf_conn *ct;
	__u32 i;

	i = pre_index(BPF_CORE_READ(ctx->state, hook));
	seen = bpf_map_lookup_elem(&nf_pre, &i);
	if (!seen)
		return 1;
	nfct = BPF_CORE_READ(skb, _nfct);
	ct = (struct nf_conn *)(nfct & ~NFCT_INFOMASK);
	seen->skb = (__u64)skb;
	seen->tracked = ct && !(BPF_CORE_READ(ct, status) & IPS_TEMPLATE);
	return 1 /* NF_ACCEPT */;
}

SEC("netfilter")
int flowacct_nf(struct bpf_nf_ctx *ctx)
{
	const struct nf_hook_state *state = ctx->state;
	struct sk_buff *skb = ctx->skb;
	struct acct_bpf_stats *st;
	unsigned long nfct;
	struct nf_conn *ct;
	__u32 ctinfo;

	nfct = BPF_CORE_READ(skb, _nfct);
	ct = (struct nf_conn *)(nfct & ~NFCT_INFOMASK);
	ctinfo = nfct & NFCT_INFOMASK;
	/* no conntrack entry, or IP_CT_UNTRACKED (ct pointer NULL) */
	if (!ct)
		return 1 /* NF_ACCEPT */;

	if (ctinfo == IP_CT_RELATED || ctinfo == IP_CT_RELATED_REPLY) {
		if (!related_is_counted(skb, ct, ctinfo)) {
			st = get_stats();
			if (st)
				stat_add(&st->skipped_related);
			return 1;
		}
	}

	if (conntrack_skipped(skb, BPF_CORE_READ(state, hook))) {
		st = get_stats();
		if (st)
			stat_add(&st->skipped_loopback);
		return 1;
	}

	account(ct, ctinfo >= IP_CT_IS_REPLY ? FLOW_DIR_REPLY : FLOW_DIR_ORIG,
		1, BPF_CORE_READ(skb, len), 1);
	return 1 /* NF_ACCEPT */;
}

/*
 * nf_ct_acct_add(struct nf_conn *ct, u32 dir, unsigned int packets,
 *                unsigned int bytes) is where the kernel adds to a
 * conntrack's counters (dir: IP_CT_DIR_ORIGINAL 0 / IP_CT_DIR_REPLY 1).
 * It is called for every accounted packet and for flowtable offload stats;
 * it only stores anything when the conntrack has the acct extension, but
 * we count every call, so the counts are right whatever the sysctl says.
 */
SEC("fentry/nf_ct_acct_add")
int BPF_PROG(flowacct_fentry, struct nf_conn *ct, u32 dir,
	     unsigned int packets, unsigned int bytes)
{
	account(ct, dir, packets, bytes, FLOWACCT_ORDERED_PROBES);
	return 0;
}

SEC("kprobe/nf_ct_acct_add")
int BPF_KPROBE(flowacct_kprobe, struct nf_conn *ct, u32 dir,
	       unsigned int packets, unsigned int bytes)
{
	account(ct, dir, packets, bytes, FLOWACCT_ORDERED_PROBES);
	return 0;
}
