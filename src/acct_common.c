// SPDX-License-Identifier: GPL-2.0
/*
 * What every counter backend shares (acct_internal.h): messages, the
 * clock, growable key lists and the queue of keys to forget with its
 * verdict. Below acct.c and every backend, so that none calls back up.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_internal.h"
#include "flowtab.h"
#include "util.h"

void acct_setmsg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

uint64_t acct_now_ns(void)
{
	return mono_ns();
}

int acct_keyvec_push(struct acct_keyvec *kv, const struct flow_key *key)
{
	struct flow_key *n;
	size_t cap;

	if (kv->n == kv->cap) {
		cap = kv->cap ? kv->cap * 2 : 1024;
		n = realloc(kv->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		kv->v = n;
		kv->cap = cap;
	}
	kv->v[kv->n++] = *key;
	return 0;
}

void acct_keyvec_free(struct acct_keyvec *kv)
{
	free(kv->v);
	kv->v = NULL;
	kv->n = kv->cap = 0;
}

void acct_forgetvec_free(struct acct_forgetvec *fv)
{
	free(fv->v);
	free(fv->idx);
	memset(fv, 0, sizeof(*fv));
}

static inline uint32_t forget_tag(const struct flow_key *key)
{
	return (uint32_t)flow_key_hash(key);
}

static void fidx_put(struct acct_forgetvec *fv, size_t pos)
{
	uint32_t tag = forget_tag(&fv->v[pos].key);
	size_t i = tag & fv->idx_mask;

	/* never full: twice the queue's room */
	while (fv->idx[i])
		i = (i + 1) & fv->idx_mask;
	fv->idx[i] = ((uint64_t)tag << 32) | (pos + 1);
}

/* The index anew for the n entries queued, with room for cap of them. */
static int fidx_rebuild(struct acct_forgetvec *fv, size_t cap)
{
	size_t want = 2048;

	while (want < cap * 2)
		want <<= 1;
	if (want != fv->idx_mask + 1 || !fv->idx) {
		uint64_t *idx = malloc(want * sizeof(*idx));

		if (!idx)
			return -ENOMEM;
		free(fv->idx);
		fv->idx = idx;
		fv->idx_mask = want - 1;
	}
	memset(fv->idx, 0, want * sizeof(*fv->idx));
	for (size_t i = fv->head; i < fv->n; i++)
		fidx_put(fv, i);
	return 0;
}

/* The queued entries moved to the front of v (positions change). */
static void forget_compact(struct acct_forgetvec *fv)
{
	if (!fv->head)
		return;
	memmove(fv->v, fv->v + fv->head, (fv->n - fv->head) * sizeof(*fv->v));
	fv->n -= fv->head;
	fv->head = 0;
}

/* Removes the index entry at i (backward-shift deletion). */
static void fidx_del_at(struct acct_forgetvec *fv, size_t i)
{
	size_t m = fv->idx_mask, j = i, home;

	for (;;) {
		j = (j + 1) & m;
		if (!fv->idx[j])
			break;
		home = (size_t)(fv->idx[j] >> 32) & m;
		/* it may move to the hole at i only if its home is not in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			fv->idx[i] = fv->idx[j];
			i = j;
		}
	}
	fv->idx[i] = 0;
}

/* The index entry of queue position pos (whose key hashes to tag). */
static size_t fidx_find_pos(const struct acct_forgetvec *fv, uint32_t tag,
			    size_t pos)
{
	size_t i = tag & fv->idx_mask;

	while ((uint32_t)fv->idx[i] != pos + 1)
		i = (i + 1) & fv->idx_mask;
	return i;
}

int acct_forget_queue(struct acct *a, const struct flow_key *key,
		      uint64_t start_ns)
{
	struct acct_forgetvec *fv = &a->forget;
	struct acct_forget_ent *n;
	size_t cap;

	if (fv->n == fv->cap || !fv->idx) {
		/* the room the queue's looked-at entries left, first */
		forget_compact(fv);
		cap = fv->n < fv->cap ? fv->cap : fv->cap ? fv->cap * 2 : 1024;
		n = realloc(fv->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		fv->v = n;
		fv->cap = cap;
		if (fidx_rebuild(fv, cap))
			return -ENOMEM;
	}
	fv->v[fv->n].key = *key;
	fv->v[fv->n].start = start_ns;
	fv->v[fv->n].deferred = false;
	fv->v[fv->n].keep = false;
	fidx_put(fv, fv->n++);
	return 0;
}

void acct_forget_done(struct acct *a, size_t end)
{
	struct acct_forgetvec *fv = &a->forget;
	size_t w = end;

	/*
	 * From the last entry looked at back to the oldest: a kept one moves
	 * to the last free place before end (each place it may take was
	 * looked at already), a dropped one leaves the index.
	 */
	for (size_t i = end; i-- > fv->head;) {
		struct acct_forget_ent *e = &fv->v[i];
		uint32_t tag = fv->idx ? forget_tag(&e->key) : 0;
		size_t at = fv->idx ? fidx_find_pos(fv, tag, i) : 0;

		if (!e->keep) {
			if (fv->idx)
				fidx_del_at(fv, at);
			continue;
		}
		e->keep = false;
		if (--w != i)
			fv->v[w] = *e;
		if (fv->idx)
			fv->idx[at] = ((uint64_t)tag << 32) | (w + 1);
	}
	fv->head = w;
	if (fv->head == fv->n) {
		fv->head = fv->n = 0;
	} else if (fv->head >= fv->n - fv->head) {
		/* half the room left behind: moved up, the index anew
		 * (no more work than the entries done since the last time;
		 * on failure the next queue tries) */
		forget_compact(fv);
		if (fv->idx && fidx_rebuild(fv, fv->cap)) {
			free(fv->idx);
			fv->idx = NULL;
			fv->idx_mask = 0;
		}
	}
}

enum acct_forget_verdict acct_forget_decide(const struct acct_forget_ent *e,
					    bool have_owner,
					    const struct flow_owner *owner)
{
	/* no start known (no timestamps), or no entry: as before owners */
	if (e->start <= FLOW_STAMP_CONFIRMED || !have_owner || !owner->ct)
		return ACCT_FORGET_DELETE;
	if (owner->stamp == e->start)
		return ACCT_FORGET_DELETE;
	/* another start: a newer connection restarted the entry already,
	 * and the flow table will hear of it (NEW) */
	if (owner->stamp > FLOW_STAMP_CONFIRMED)
		return ACCT_FORGET_KEEP;
	/*
	 * Not confirmed (or no start yet): a new connection's first packets,
	 * or the destroyed one seen only before its confirmation (a packet
	 * never answered). A new one's NEW event comes right after its
	 * confirmation and cancels this forget (acct_reused); else it goes.
	 */
	return e->deferred ? ACCT_FORGET_DELETE : ACCT_FORGET_DEFER;
}

void acct_forget_prefetch(const struct acct *a, uint64_t hash, int stage)
{
	const struct acct_forgetvec *fv = &a->forget;
	uint32_t tag = (uint32_t)hash;	/* forget_tag */
	uint64_t e;

	if (!fv->idx)
		return;
	if (!stage) {
		__builtin_prefetch(&fv->idx[tag & fv->idx_mask]);
		return;
	}
	/* the first entry of the run only: a hint */
	e = fv->idx[tag & fv->idx_mask];
	if (e && (uint32_t)(e >> 32) == tag && (uint32_t)e - 1 < fv->n)
		__builtin_prefetch(&fv->v[(uint32_t)e - 1]);
}

void acct_unqueue_forget(struct acct *a, const struct flow_key *key)
{
	struct acct_forgetvec *fv = &a->forget;
	uint32_t tag = forget_tag(key);
	size_t i, pos, last;

	/*
	 * A queued delete of the same tuple would otherwise remove the new
	 * flow's counters after the next read. Every entry of the key goes;
	 * the last entry of the queue takes the place of each.
	 */
	if (!fv->idx) {
		/* no memory for the index (acct_forget_done): a scan */
		for (i = fv->head; i < fv->n;) {
			if (!memcmp(&fv->v[i].key, key, sizeof(*key)))
				fv->v[i] = fv->v[--fv->n];
			else
				i++;
		}
		return;
	}
	for (i = tag & fv->idx_mask; fv->idx[i];) {
		uint64_t e = fv->idx[i];

		pos = (uint32_t)e - 1;
		if ((uint32_t)(e >> 32) != tag ||
		    memcmp(&fv->v[pos].key, key, sizeof(*key))) {
			i = (i + 1) & fv->idx_mask;
			continue;
		}
		fidx_del_at(fv, i);
		last = --fv->n;
		if (pos != last) {
			fv->idx[fidx_find_pos(fv, forget_tag(&fv->v[last].key),
					      last)] =
				((uint64_t)forget_tag(&fv->v[last].key) << 32) |
				(pos + 1);
			fv->v[pos] = fv->v[last];
		}
		/* the deletion shifted entries: look again from the start */
		i = tag & fv->idx_mask;
	}
}
