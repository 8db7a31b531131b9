/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Grouping a whole snapshot for batch output (--group-by), and printing
 * the group rows as JSON, CSV or a text table.
 */
#ifndef FLOWTOP_GROUP_OUT_H
#define FLOWTOP_GROUP_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "enrich.h"
#include "group.h"
#include "snapshot.h"

/*
 * Which flows go into the groups: the filter's "does this flow match"
 * hook, asked for every flow of the snapshot before it is grouped. info
 * is the flow's enrichment when needs_info is set (and enrichment is on),
 * else NULL.
 */
struct flow_match {
	bool (*match)(void *ctx, const struct flow *f,
		      const struct flow_info *info);
	void *ctx;
	bool needs_info;
};

struct group_result {
	struct group_row *rows;	/* sorted; free with group_result_free */
	size_t n;
	size_t flows_matched;	/* flows that went into the groups */
};

/*
 * Groups the flows of snap that m accepts (m NULL or m->match NULL: all)
 * with a (its key; emptied first, and reused from one snapshot to the
 * next), sorted by k (and reverse) as group_agg_finish does. enrich may
 * be NULL (country, asn, process: one unknown group). 0 or -ENOMEM.
 */
int group_snapshot(const struct snapshot *snap, struct group_agg *a,
		   struct enrich *enrich, const struct flow_match *m,
		   enum sort_key k, bool reverse, struct group_result *out);
void group_result_free(struct group_result *r);

/*
 * Prints the first limit rows of r (0: all) in fmt. first: the run's
 * first snapshot (CSV prints its header then). enrich, when not NULL,
 * names the groups (host names, countries, AS names, processes,
 * services) from each group's first flow. 0 or -errno.
 */
int group_format(FILE *out, const struct snapshot *snap,
		 const struct group_spec *spec, const struct group_result *r,
		 size_t limit, enum output_format fmt, bool first,
		 struct enrich *enrich);

/*
 * The name and country of group row r (from its first flow's enrichment
 * in info): "" when none. For the view and the batch output alike.
 */
void group_row_names(const struct group_spec *spec,
		     const struct flow_info *info, const char **name,
		     const char **country);

#endif
