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

#include "columns.h"
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
	/* not NULL: match's answer for a flow never changes in its life
	 * (filter_expr_fixed), and this text tells the filter from others;
	 * the groups can then follow the changes (group_live.h) */
	const char *fixed;
};

/*
 * flow_match's hook for a filter expression (ctx) whose answers are
 * fixed (filter_expr_fixed): no time, no enrichment asked.
 */
bool flow_match_fixed(void *ctx, const struct flow *f,
		      const struct flow_info *info);

struct group_result {
	struct group_row *rows;	/* sorted; free with group_result_free */
	size_t n;
	size_t flows_matched;	/* flows that went into the groups */
};

struct group_live;

/*
 * Groups the flows of snap that m accepts (m NULL or m->match NULL: all)
 * with a (its key; emptied first, and reused from one snapshot to the
 * next), sorted by k (and reverse) as group_agg_finish does. enrich may
 * be NULL (country, asn, process: one unknown group). live, if not NULL,
 * keeps the groups from one snapshot to the next where it can
 * (group_live.h: a key from the tuple, no filter or one whose answers
 * are fixed (m->fixed), a table-order snapshot), with the same result;
 * it then holds snap until the next call. 0 or -ENOMEM.
 */
int group_snapshot(struct snapshot *snap, struct group_agg *a,
		   struct group_live *live, struct enrich *enrich,
		   const struct flow_match *m, enum sort_key k, bool reverse,
		   struct group_result *out);
void group_result_free(struct group_result *r);

/*
 * The view's groups tab in its common case (a table snapshot, a key
 * from the tuple, no filter): rows from.. of snap whose protocol bit
 * (the record's sel_bit) is in protos go into a; each one's row number
 * is appended at idx[*nidx] (*nidx moved on) and its byte rates are
 * added to rate[], in row order, as the view's own loop does them.
 * 0 or -ENOMEM.
 */
int group_view_rows(const struct snapshot *snap, size_t from,
		    struct group_agg *a, unsigned int protos, uint32_t *idx,
		    size_t *nidx, double rate[FLOW_DIR_COUNT]);

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

/*
 * The groups' field table (columns.h): what a group row has in JSON and
 * CSV (after the snapshot's time and group_by columns, which JSON has in
 * the enclosing object), in the batch text table and in the view's
 * groups tab. Groups sort by rate, bytes or packets.
 */
enum group_field {
	GF_KEY,
	GF_NAME,
	GF_COUNTRY,
	GF_FLOWS,
	GF_ORIG_PACKETS,
	GF_ORIG_BYTES,
	GF_REPLY_PACKETS,
	GF_REPLY_BYTES,
	GF_ORIG_PACKET_RATE,
	GF_ORIG_BYTE_RATE,
	GF_REPLY_PACKET_RATE,
	GF_REPLY_BYTE_RATE,
	GF_COUNT,
};

extern const struct field group_fields[GF_COUNT];

/* The layouts: the batch text table and the view's groups tab. */
extern const struct column_table group_text_layout, group_view_layout;

/* What the groups' fields read of a row. */
struct group_fctx {
	const struct group_spec *spec;
	const struct group_row *r;
	const struct flow_info *info;	/* its first flow's names (the
					 * view's process user), or NULL */
	const char *key;	/* group_key_text */
	const char *name, *cc;	/* group_row_names: "" when none */
	bool bits;		/* the view's: rates in bits per second */
};

#endif
