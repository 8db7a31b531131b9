/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Grouping that follows the changes: the groups of one table snapshot
 * are kept for the next and moved only by the flows that came, went or
 * changed in between, instead of a pass over every flow per interval. On
 * a big table most flows are idle in any one interval: at 1M flows with
 * one in sixteen moving, that is a twentieth of the work.
 *
 * What came and went is the difference of the two snapshots' lists (both
 * in table order); what changed, the table's changes between them
 * (flowtab_changed), read as of each snapshot's generation, which the
 * previous snapshot, held here until the next one comes, keeps readable.
 * Rates are the interval's own: summed again from the rows that moved.
 *
 * For keys taken from the original tuple (src, dst, host, net, proto,
 * port), without a filter or with one whose answer a flow keeps for life
 * (addresses, ports, protocols: filter_expr_fixed), asked once per flow:
 * the common case of the view's groups tab and of --batch --group-by. The result is group_snapshot's exactly (rows,
 * their order, their first flow); a pass over every flow is made when
 * there is nothing to follow (the first snapshot, another key, another
 * table, a snapshot sorted by rate, changes the table could not note),
 * when most flows changed anyway, another filter, and now and then to
 * drop the groups no flow is left in.
 */
#ifndef FLOWTOP_GROUP_LIVE_H
#define FLOWTOP_GROUP_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "group.h"
#include "group_out.h"
#include "snapshot.h"

struct group_live;

struct group_live *group_live_new(void);
/* Frees g and lets go of the snapshot it holds. */
void group_live_free(struct group_live *g);

/* Whether group_live_snapshot takes flows grouped by spec. */
bool group_live_fits(const struct group_spec *spec);

/* protos for every flow, whatever its protocol (batch) */
#define GROUP_LIVE_EVERY (~0u)

/*
 * Groups the flows of snap whose protocol bit (the record's sel_bit) is
 * in protos (or all: GROUP_LIVE_EVERY) and that m accepts (m NULL: all;
 * else m->fixed must be set, and m->match is asked without enrichment)
 * by spec (group_live_fits), sorted by k (and reverse) as group_snapshot
 * does, into out (rows' rep: rows of snap). rate, if not NULL, gets the
 * sums of those flows' byte rates, each direction, added in row order as
 * the view adds them. snap is held until the next call. 0, -EINVAL (snap
 * not in table order, m not fixed) or -ENOMEM (then the next call starts
 * afresh).
 */
int group_live_snapshot(struct group_live *g, struct snapshot *snap,
			const struct group_spec *spec, unsigned int protos,
			const struct flow_match *m, enum sort_key k,
			bool reverse, struct group_result *out,
			double rate[FLOW_DIR_COUNT]);

/* Whether table index idx was in the groups of the last snapshot. */
bool group_live_member(const struct group_live *g, uint32_t idx);

/* How the snapshots were grouped so far: passes over every flow, steps. */
struct group_live_stats {
	unsigned long full, steps;
};

void group_live_stats(const struct group_live *g, struct group_live_stats *s);

#endif
