// SPDX-License-Identifier: GPL-2.0
/*
 * The IPFIX metering logic: which flow gets a record when, and with which
 * delta counts. Pure: snapshots in, records out through a callback.
 *
 * For each flow the meter keeps the counters already put into records
 * ("sent") and the last cumulative reading. A record carries reading -
 * sent and then sent = reading, so the records of a flow add up to its
 * totals and no byte is exported twice, whatever mix of active timeouts,
 * skipped snapshots and end records the flow goes through.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipfix.h"
#include "names.h"

#define METER_MIN_BUCKETS 1024

struct mflow {
	struct flow_key key;
	struct flow_key reply;
	uint32_t ct_id;
	uint32_t gen;			/* meter generation that last listed it */
	struct flow_counters sent;	/* already in records */
	struct flow_counters last;	/* last cumulative reading */
	uint64_t seg_start_ms;		/* start of the next record's span */
	uint64_t next_ms;		/* active timeout deadline */
	uint64_t last_ms;		/* snapshot time it was last listed */
	bool exported;			/* at least one record went out */
	struct mflow *next;
};

struct ipfix_meter {
	struct mflow **buckets;
	size_t nbuckets;		/* power of two */
	size_t count;
	uint32_t gen;
	uint64_t timeout_ms;
	struct ipfix_meter_stats st;
};

_Static_assert(sizeof(struct ipfix_record) == 144,
	       "struct ipfix_record must match the internal template in ipfix.c");

static uint64_t mflow_hash(const struct flow_key *key, uint32_t ct_id)
{
	uint64_t h = flow_key_hash(key) ^ ((uint64_t)ct_id * 0x9e3779b97f4a7c15ull);

	return h ^ (h >> 29);
}

struct ipfix_meter *ipfix_meter_new(double active_timeout_s)
{
	struct ipfix_meter *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nbuckets = METER_MIN_BUCKETS;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		return NULL;
	}
	m->timeout_ms = (uint64_t)llround(active_timeout_s * 1000.0);
	if (!m->timeout_ms)
		m->timeout_ms = 1;
	return m;
}

void ipfix_meter_free(struct ipfix_meter *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct mflow *e = m->buckets[i], *n;

		for (; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	free(m->buckets);
	free(m);
}

/* Doubles the table; on failure the table keeps working, only slower. */
static void grow(struct ipfix_meter *m)
{
	size_t nb = m->nbuckets * 2;
	struct mflow **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct mflow *e = m->buckets[i], *n;

		for (; e; e = n) {
			size_t j = mflow_hash(&e->key, e->ct_id) & (nb - 1);

			n = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
}

static struct mflow *lookup(struct ipfix_meter *m, const struct flow *f,
			    struct mflow ***slot)
{
	size_t i = mflow_hash(&f->key, f->ct_id) & (m->nbuckets - 1);
	struct mflow **p = &m->buckets[i];

	for (; *p; p = &(*p)->next)
		if ((*p)->ct_id == f->ct_id &&
		    !memcmp(&(*p)->key, &f->key, sizeof(f->key)))
			break;
	*slot = p;
	return *p;
}

static bool is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

void ipfix_record_from_tuples(struct ipfix_record *r,
			      const struct flow_key *key,
			      const struct flow_key *reply)
{
	bool v6 = key->family == AF_INET6;
	bool nat = false;

	r->family = key->family;
	r->proto = key->proto;
	if (v6) {
		memcpy(r->src6, key->src, 16);
		memcpy(r->dst6, key->dst, 16);
	} else {
		r->src4 = ntohl(key->src[0]);
		r->dst4 = ntohl(key->dst[0]);
	}
	if (proto_has_ports(key->proto)) {
		r->kind = IPFIX_KIND_PORTS;
		r->sport = ntohs(key->sport);
		r->dport = ntohs(key->dport);
	} else if ((!v6 && key->proto == IPPROTO_ICMP) ||
		   (v6 && key->proto == IPPROTO_ICMPV6)) {
		/* flow_key: byte 0 of dport is the type, byte 1 the code */
		uint16_t tc = ntohs(key->dport);

		r->kind = IPFIX_KIND_ICMP;
		if (v6)
			r->icmp6 = tc;
		else
			r->icmp4 = tc;
	} else {
		r->kind = IPFIX_KIND_PLAIN;
	}

	/*
	 * The reply tuple is the original one turned around, unless NAT
	 * rewrote it: its destination is the source after SNAT, its source
	 * the destination after DNAT (and the same for ports).
	 */
	if (!reply || is_zero(reply->src, sizeof(reply->src)))
		return;
	if (memcmp(reply->dst, key->src, sizeof(key->src)) ||
	    memcmp(reply->src, key->dst, sizeof(key->dst)))
		nat = true;
	/* ICMP "ports" are the echo id and the type, which replies change */
	if (r->kind == IPFIX_KIND_PORTS &&
	    (reply->dport != key->sport || reply->sport != key->dport))
		nat = true;
	if (!nat)
		return;
	r->nat = 1;
	if (v6) {
		memcpy(r->nat_src6, reply->dst, 16);
		memcpy(r->nat_dst6, reply->src, 16);
	} else {
		r->nat_src4 = ntohl(reply->dst[0]);
		r->nat_dst4 = ntohl(reply->src[0]);
	}
	if (r->kind == IPFIX_KIND_PORTS) {
		r->nat_sport = ntohs(reply->dport);
		r->nat_dport = ntohs(reply->sport);
	}
}

static uint64_t end_delta(uint64_t prev, uint64_t now)
{
	return now > prev ? now - prev : 0;
}

/* Makes a record of everything counted since the previous one. */
static void emit_record(struct ipfix_meter *m, struct mflow *e,
			uint64_t end_ms, uint8_t reason,
			ipfix_emit_fn emit, void *arg)
{
	struct ipfix_record r;
	/*
	 * A flow's end carries the kernel's final counters where it keeps
	 * them (kcount.h); they may be a little below what was exported
	 * (BPF counted packets the kernel ignores): that is no restart.
	 */
	uint64_t (*delta)(uint64_t, uint64_t) =
		reason == IPFIX_END_EOF ? end_delta : counter_delta;

	memset(&r, 0, sizeof(r));
	ipfix_record_from_tuples(&r, &e->key, &e->reply);
	r.start_ms = e->seg_start_ms <= end_ms ? e->seg_start_ms : end_ms;
	r.end_ms = end_ms;
	r.octets = delta(e->sent.bytes[FLOW_DIR_ORIG],
			 e->last.bytes[FLOW_DIR_ORIG]);
	r.packets = delta(e->sent.packets[FLOW_DIR_ORIG],
			  e->last.packets[FLOW_DIR_ORIG]);
	r.rev_octets = delta(e->sent.bytes[FLOW_DIR_REPLY],
			     e->last.bytes[FLOW_DIR_REPLY]);
	r.rev_packets = delta(e->sent.packets[FLOW_DIR_REPLY],
			      e->last.packets[FLOW_DIR_REPLY]);
	r.end_reason = reason;
	e->sent = e->last;
	e->seg_start_ms = end_ms;
	e->exported = true;
	m->st.records++;
	switch (reason) {
	case IPFIX_END_ACTIVE: m->st.active++; break;
	case IPFIX_END_EOF: m->st.ended++; break;
	case IPFIX_END_LACK: m->st.vanished++; break;
	default: m->st.forced++; break;
	}
	if (emit(&r, arg))
		m->st.emit_errors++;
}

static bool has_unsent(const struct mflow *e)
{
	return memcmp(&e->sent, &e->last, sizeof(e->sent)) != 0;
}

static uint64_t ns_to_ms(uint64_t ns)
{
	return ns / 1000000u;
}

void ipfix_meter_process(struct ipfix_meter *m, const struct snapshot *s,
			 ipfix_emit_fn emit, void *arg)
{
	uint64_t now_ms = (uint64_t)llround(s->meta.time * 1000.0);
	uint32_t gen = ++m->gen;
	size_t listed = 0;	/* live flows of the table in this snapshot */

	for (size_t i = 0; i < s->n; i++) {
		struct flow buf;
		const struct flow *f = snapshot_flow(s, i, &buf);
		struct mflow **slot, *e = lookup(m, f, &slot);

		if (!e) {
			e = calloc(1, sizeof(*e));
			if (!e)
				continue;	/* counted again next time */
			e->key = f->key;
			e->reply = f->reply;
			e->ct_id = f->ct_id;
			e->seg_start_ms = f->start_ns ? ns_to_ms(f->start_ns) :
					  f->first_seen_ns ?
					  ns_to_ms(f->first_seen_ns) : now_ms;
			e->next_ms = now_ms + m->timeout_ms;
			*slot = e;
			if (++m->count > m->nbuckets)
				grow(m);
		}
		/* NAT may be set up after the first packet */
		e->reply = f->reply;
		if (f->counters_valid)
			e->last = f->total;
		e->gen = gen;
		e->last_ms = now_ms;

		if (f->destroyed) {
			emit_record(m, e, now_ms, IPFIX_END_EOF, emit, arg);
			/* lookup again: grow() may have moved it */
			lookup(m, f, &slot);
			*slot = e->next;
			free(e);
			m->count--;
			continue;
		}
		listed++;
		if (now_ms >= e->next_ms) {
			if (has_unsent(e))
				emit_record(m, e, now_ms, IPFIX_END_ACTIVE,
					    emit, arg);
			e->next_ms = now_ms + m->timeout_ms;
		}
	}

	/* every tracked flow was listed: no walk over the table needed */
	if (listed == m->count)
		return;
	/* flows that left without a DESTROY we saw */
	for (size_t b = 0; b < m->nbuckets; b++) {
		struct mflow **p = &m->buckets[b];

		while (*p) {
			struct mflow *e = *p;

			if (e->gen == gen) {
				p = &e->next;
				continue;
			}
			emit_record(m, e, e->last_ms, IPFIX_END_LACK, emit, arg);
			*p = e->next;
			free(e);
			m->count--;
		}
	}
}

void ipfix_meter_flush(struct ipfix_meter *m, uint64_t now_ms, uint8_t reason,
		       ipfix_emit_fn emit, void *arg)
{
	for (size_t b = 0; b < m->nbuckets; b++) {
		struct mflow *e = m->buckets[b], *n;

		for (; e; e = n) {
			n = e->next;
			if (has_unsent(e) || !e->exported)
				emit_record(m, e, now_ms, reason, emit, arg);
			free(e);
		}
		m->buckets[b] = NULL;
	}
	m->count = 0;
}

void ipfix_meter_get_stats(const struct ipfix_meter *m,
			   struct ipfix_meter_stats *st)
{
	*st = m->st;
	st->tracked = m->count;
}
