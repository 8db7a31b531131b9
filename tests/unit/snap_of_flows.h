/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the tests and benches: a snapshot of given whole flows, built as
 * flowtop builds every snapshot (a flow table, snapshot_build), its rows
 * in the flows' order. What the table does not keep of a flow comes back
 * as the table gives it: first_seen_ns is the start when that is known,
 * idx the row's index, sel_bit the key's.
 */
#ifndef FLOWTOP_SNAP_OF_FLOWS_H
#define FLOWTOP_SNAP_OF_FLOWS_H

#include <stdio.h>
#include <stdlib.h>

#include "flowtab.h"
#include "snapshot.h"

/* NULL: out of memory. Put it with snapshot_put. */
static inline struct snapshot *snapshot_of_flows(const struct flow *flows,
						 size_t n,
						 const struct snapshot_meta *m)
{
	struct flowtab *tab = flowtab_new(n ? n : 1);
	struct rate_list rates = { 0 };
	struct snapshot *s = NULL;

	if (!tab)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct flow *f = &flows[i];
		struct flow_rec *r = flowtab_insert(tab, &f->key);
		struct flow_rates fr;

		if (!r || flowtab_set_reply(tab, r, &f->reply))
			goto out;
		r->ct_id = f->ct_id;
		if (flowtab_set_mark(tab, r, f->mark))
			goto out;
		r->state = f->state;
		r->destroyed = f->destroyed;
		r->counters_valid = f->counters_valid;
		r->counts_from_zero = f->counts_from_zero;
		r->events_seen = f->events_seen;
		r->offloaded = f->offloaded;
		r->whole_life = f->whole_life;
		r->since_ns = f->first_seen_ns;
		flow_rec_set_start(r, f->start_ns);
		r->total = f->total;
		memcpy(fr.pkt_rate, f->pkt_rate, sizeof(fr.pkt_rate));
		memcpy(fr.byte_rate, f->byte_rate, sizeof(fr.byte_rate));
		if (rate_list_add(&rates, flowtab_index(tab, r), &fr))
			goto out;
	}
	s = snapshot_build(tab, m, false, &rates);
out:
	rate_list_free(&rates);
	flowtab_free(tab);	/* the snapshot holds its own reference */
	return s;
}

#endif
