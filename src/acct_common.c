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
	fv->v = NULL;
	fv->n = fv->cap = 0;
}

int acct_forget_queue(struct acct *a, const struct flow_key *key,
		      uint64_t start_ns)
{
	struct acct_forgetvec *fv = &a->forget;
	struct acct_forget_ent *n;
	size_t cap;

	if (fv->n == fv->cap) {
		cap = fv->cap ? fv->cap * 2 : 1024;
		n = realloc(fv->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		fv->v = n;
		fv->cap = cap;
	}
	fv->v[fv->n].key = *key;
	fv->v[fv->n].start = start_ns;
	fv->v[fv->n].deferred = false;
	fv->n++;
	return 0;
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

void acct_unqueue_forget(struct acct *a, const struct flow_key *key)
{
	size_t i;

	/*
	 * A queued delete of the same tuple would otherwise remove the new
	 * flow's counters after the next read. Tuple reuse is rare, so a
	 * scan of the queue is cheap enough.
	 */
	for (i = 0; i < a->forget.n; ) {
		if (!memcmp(&a->forget.v[i].key, key, sizeof(*key)))
			a->forget.v[i] = a->forget.v[--a->forget.n];
		else
			i++;
	}
}
