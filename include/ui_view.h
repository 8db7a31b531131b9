/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The view builder: a thread that turns the latest snapshot plus the UI's
 * sort key, filter and toggles into a sorted array of row indexes (and the
 * processes tab's rows), and publishes it the way the collector publishes
 * snapshots: an immutable, reference-counted object behind a pointer swap,
 * announced on an eventfd. The UI thread never sorts or filters, so a key
 * is answered at once even while a million-row view is being rebuilt.
 */
#ifndef FLOWTOP_UI_VIEW_H
#define FLOWTOP_UI_VIEW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collector.h"
#include "enrich.h"
#include "filter_expr.h"
#include "group.h"
#include "snapshot.h"
#include "sort.h"

#define UI_FILTER_MAX 1024	/* a filter expression typed in the view */
#define UI_WATCH_MAX 256	/* flows whose rate history is recorded */

/* What the UI asks for. Copied whole into the builder. */
struct ui_params {
	enum sort_key sort;
	bool reverse;
	unsigned int protos;	/* SEL_* protocol bits shown */
	bool active_only;
	bool pid_filter_on;	/* show only flows of pid_filter */
	int32_t pid_filter;
	char filter[UI_FILTER_MAX];	/* a filter expression (filter_expr.h),
					 * checked by the UI before it comes here */
	/*
	 * Batch compiles --filter once for the whole run: when set, this is
	 * used instead of filter (the caller keeps it alive).
	 */
	const struct filter_expr *expr;
	bool procs;		/* the processes tab wants its rows */
	enum proc_sort psort;
	bool preverse;
	bool groups;		/* the groups tab wants its rows … */
	struct group_spec gspec;	/* … grouped by this key */
	bool group_filter_on;	/* show only the flows of one group: */
	struct group_spec group_filter_spec;	/* its key kind */
	struct group_key group_filter;		/* and key */
};

/* The identity of one flow across snapshots (the cursor, history). */
struct flow_ident {
	uint32_t ct_id;
	struct flow_key key;
	uint32_t idx;		/* a hint: its table index when last seen (the
				 * view checks rows there first, then confirms
				 * by id and key) */
};

static inline bool flow_ident_eq(const struct flow_ident *a,
				 const struct flow *f)
{
	return a->ct_id == f->ct_id &&
	       !memcmp(&a->key, &f->key, sizeof(a->key));
}

/* One interval's rates of a watched flow, for the history. */
struct hist_sample {
	struct flow_ident id;
	float byte_rate[FLOW_DIR_COUNT];
	float pkt_rate[FLOW_DIR_COUNT];
};

struct view {
	atomic_int refs;
	struct snapshot *snap;		/* holds a reference */
	uint64_t params_gen;		/* the ui_params generation it shows */
	struct ui_params params;
	uint32_t *idx;			/* rows shown, in order */
	size_t n;
	struct proc_row *procs;		/* when params.procs */
	size_t nprocs;
	struct group_row *groups;	/* when params.groups; rep: a row of snap */
	size_t ngroups;
	double rate[FLOW_DIR_COUNT];	/* bytes/s summed over rows shown */
	double new_per_s;		/* flows created / destroyed per second */
	double gone_per_s;
	struct flow_ident sel;		/* the selection asked for … */
	long sel_pos;			/* … and its position in idx, or -1 */
	bool new_snapshot;		/* first view of this snapshot */
	struct hist_sample *samples;	/* watched flows of this snapshot */
	size_t nsamples;
	double build_ms;
};

struct view *view_get(struct view *v);
void view_put(struct view *v);

struct ui_builder;

/*
 * Starts the builder on col's snapshots. ready_fd (returned) becomes
 * readable when a new view is published. enrich may be NULL.
 */
int ui_builder_start(struct ui_builder **out, struct collector *col,
		     struct enrich *enrich, const struct ui_params *p);
void ui_builder_stop(struct ui_builder *b);
int ui_builder_fd(const struct ui_builder *b);

/* New parameters (sort, filter, toggles): a rebuild follows. */
void ui_builder_set_params(struct ui_builder *b, const struct ui_params *p);
/* A snapshot was published: rebuild unless pinned. */
void ui_builder_kick(struct ui_builder *b);
/*
 * Pause: keep building from snap (the view shown now) instead of the
 * latest one; NULL resumes. Takes its own reference.
 */
void ui_builder_pin(struct ui_builder *b, struct snapshot *snap);
/* The flow the cursor is on: the next view says where it went. */
void ui_builder_set_selection(struct ui_builder *b, const struct flow_ident *id,
			      bool valid);
/* The flows whose rates the next views sample (on screen + selected). */
void ui_builder_set_watch(struct ui_builder *b, const struct flow_ident *ids,
			  size_t n);
/* The latest view (a new reference), or NULL. */
struct view *ui_builder_take(struct ui_builder *b);
/*
 * Drops the UI's reference in the builder thread: the last reference of a
 * view may free a snapshot of hundreds of megabytes, which must not stall
 * the UI thread.
 */
void ui_builder_release(struct ui_builder *b, struct view *v);

/*
 * The building itself, without the thread: used by the builder and by
 * tests and benchmarks. prev_meta (may be NULL) gives the per-second rates.
 */
struct view *view_build(struct snapshot *snap, const struct ui_params *p,
			struct enrich *enrich,
			const struct snapshot_meta *prev_meta,
			const struct flow_ident *sel, bool sel_valid,
			const struct flow_ident *watch, size_t nwatch);

#endif
