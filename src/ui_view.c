// SPDX-License-Identifier: GPL-2.0
/* The view builder thread: snapshot + sort + filter → sorted row indexes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "group_live.h"
#include "group_out.h"
#include "ui_view.h"
#include "util.h"


#define GRAVE_MAX 16

struct ui_builder {
	struct collector *col;
	struct enrich *enrich;
	int ready_fd;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;	/* guards everything below; never held long */
	pthread_cond_t cond;
	bool stop, dirty;
	struct ui_params params;
	uint64_t params_gen;
	struct snapshot *pinned;
	struct flow_ident sel;
	bool sel_valid;
	struct flow_ident watch[UI_WATCH_MAX];
	size_t nwatch;
	struct view *out;
	struct view *grave[GRAVE_MAX];
	size_t ngrave;
	struct snapshot *grave_snap[GRAVE_MAX];
	size_t ngrave_snap;
};

struct view *view_get(struct view *v)
{
	if (v)
		atomic_fetch_add(&v->refs, 1);
	return v;
}

void view_put(struct view *v)
{
	if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	snapshot_put(v->snap);
	free(v->idx);
	free(v->procs);
	free(v->groups);
	free(v->samples);
	free(v);
}

/*
 * Small open hash over the watched flows, built per view: by conntrack id,
 * or by table index (by_idx) when the rows come from the flow table.
 */
struct watch_set {
	int16_t slot[UI_WATCH_MAX * 4];	/* index + 1, 0 = empty */
	const struct flow_ident *ids;
	size_t n;
	bool by_idx;
};

#define WATCH_MASK (UI_WATCH_MAX * 4 - 1)

static inline size_t watch_hash(uint32_t v)
{
	return (v * 2654435761u) & WATCH_MASK;
}

static void watch_init(struct watch_set *w, const struct flow_ident *ids,
		       size_t n, bool by_idx)
{
	memset(w->slot, 0, sizeof(w->slot));
	w->ids = ids;
	w->n = n > UI_WATCH_MAX ? UI_WATCH_MAX : n;
	w->by_idx = by_idx;
	for (size_t i = 0; i < w->n; i++) {
		size_t h = watch_hash(by_idx ? ids[i].idx : ids[i].ct_id);

		while (w->slot[h])
			h = (h + 1) & WATCH_MASK;
		w->slot[h] = (int16_t)(i + 1);
	}
}

/* f is row i of snap; a by_idx set looks at the table index first */
static bool watched(const struct watch_set *w, const struct snapshot *snap,
		    size_t i, struct flow *buf, const struct flow **fp)
{
	uint32_t v = w->by_idx ? snapshot_idx(snap, i) : (*fp)->ct_id;
	size_t h = watch_hash(v);

	while (w->slot[h]) {
		const struct flow_ident *id = &w->ids[w->slot[h] - 1];

		if (!w->by_idx || id->idx == v) {
			if (!*fp)
				*fp = snapshot_flow(snap, i, buf);
			if (flow_ident_eq(id, *fp))
				return true;
		}
		h = (h + 1) & WATCH_MASK;
	}
	return false;
}

/* Whether row i of snap is the flow id names (the hint first, if rows). */
static bool row_is(const struct snapshot *snap, size_t i,
		   const struct flow_ident *id, struct flow *buf)
{
	if (snap->order && snapshot_idx(snap, i) != id->idx)
		return false;
	return flow_ident_eq(id, snapshot_flow(snap, i, buf));
}

/*
 * The common case needs the counters alone: sort by rate, bytes or
 * packets, no filter text and no process data. The flows' tuples are then
 * read only for watched flows; the rest of the view code sees a flow
 * holding just the counters (flowtab_read).
 */
static bool rows_suffice(const struct snapshot *snap, const struct ui_params *p,
			 unsigned int filter_needs, bool need_info)
{
	return snap->order && !need_info && !filter_needs && !p->procs &&
	       !p->pid_filter_on && !p->groups && !p->group_filter_on &&
	       (p->sort == SORT_RATE || p->sort == SORT_BYTES ||
		p->sort == SORT_PACKETS);
}

/*
 * row i's counters (as of the snapshot) into f, from its record e: read
 * in place, inline, no flow_vals between; the record of row i +
 * SNAPSHOT_AHEAD is fetched meanwhile.
 */
static inline __attribute__((always_inline)) void
row_counts(const struct snapshot *snap, size_t i, const struct flow_rec *e,
	   struct flow *f)
{
	snapshot_prefetch(snap, i + SNAPSHOT_AHEAD);
	FLOWTAB_READ_INTO(snap->tab, e, snapshot_idx(snap, i), snap->gen, f,
			  FLOW_COUNTS_SET);
	snapshot_rates_into(snap, i, f->pkt_rate, f->byte_rate);
}

/*
 * The builder's grouping tables, kept from one view to the next while the
 * groups tab is shown (fresh pages every interval cost more than the
 * grouping) and given back when it is left (spec NULL).
 */
static struct group_agg *view_group_agg(const struct group_spec *spec)
{
	static _Thread_local struct group_agg *cached;

	if (!spec) {
		group_agg_free(cached);
		cached = NULL;
		return NULL;
	}
	if (cached)
		group_agg_reset(cached, spec);
	else
		cached = group_agg_new(spec);
	return cached;
}

/*
 * The same for the groups that move on from one snapshot to the next
 * (group_live.h), in the common case: kept while the groups tab shows a
 * key from the tuple, given back otherwise (spec NULL).
 */
static struct group_live *view_group_live(const struct group_spec *spec)
{
	static _Thread_local struct group_live *cached;

	if (!spec) {
		group_live_free(cached);
		cached = NULL;
		return NULL;
	}
	if (!cached)
		cached = group_live_new();
	return cached;
}

/* Sample of the watched flow f (the history graph's) into v. */
static void take_sample(struct view *v, const struct flow *f)
{
	struct hist_sample *s = &v->samples[v->nsamples++];

	s->id.ct_id = f->ct_id;
	s->id.key = f->key;
	s->id.idx = f->idx;
	memcpy(s->byte_rate, f->byte_rate, sizeof(s->byte_rate));
	memcpy(s->pkt_rate, f->pkt_rate, sizeof(s->pkt_rate));
}

struct view *view_build(struct snapshot *snap, const struct ui_params *p,
			struct enrich *enrich,
			const struct snapshot_meta *prev_meta,
			const struct flow_ident *sel, bool sel_valid,
			const struct flow_ident *watch, size_t nwatch)
{
	double t0 = mono_ms();
	struct view *v = calloc(1, sizeof(*v));
	static const struct flow no_traffic;
	struct sort_item *items = NULL, *tmp = NULL, common, it;
	struct proc_agg *agg = NULL;
	struct group_agg *gagg = NULL;
	struct group_live *live = NULL;
	struct watch_set *ws = NULL, *wset = NULL;	/* ws: NULL once all found */
	struct filter_expr *own = NULL;
	const struct filter_expr *fx = p->expr;
	struct flow_info info;
	struct flow buf, counts;
	bool need_info, filter_info, fast, keyed, gonly;
	unsigned int fneeds;
	size_t n = snap->n, m = 0, nc = 0, i;
	double now = snap->meta.time;

	if (!v)
		return NULL;
	atomic_init(&v->refs, 1);
	v->snap = snapshot_get(snap);
	v->params = *p;
	v->params.expr = NULL;	/* the caller's, not the view's to keep */
	v->sel_pos = -1;
	if (!fx && p->filter[0]) {
		struct filter_error ferr;

		/* the UI checked it: failing here is running out of memory */
		if (filter_expr_compile(p->filter, enrich ?
					enrich_services(enrich) : NULL, &own,
					&ferr))
			goto fail;
		fx = own;
	}
	fneeds = filter_expr_needs(fx);
	/* info for the sort, the processes tab or the PID filter: every row */
	need_info = enrich &&
		    (sort_key_needs_info(p->sort) || p->procs ||
		     p->pid_filter_on ||
		     (p->groups && group_needs_info(&p->gspec)) ||
		     (p->group_filter_on &&
		      group_needs_info(&p->group_filter_spec)));
	/* info for the filter: only rows its other terms leave open */
	filter_info = enrich && (fneeds & FILTER_NEEDS_INFO);
	/*
	 * Room for every row; the pages of a big allocation are backed only
	 * as written, and items gets only the rows whose key differs from a
	 * quiet flow's (see sort_rows_with_common): the rest go straight to
	 * the index array.
	 */
	if (n) {
		items = malloc(n * sizeof(*items));
		v->idx = malloc(n * sizeof(*v->idx));
		if (!items || !v->idx)
			goto fail;
	}
	sort_item_fill(&common, p->sort, p->reverse, &no_traffic, NULL, 0);
	if (p->procs && !(agg = proc_agg_new()))
		goto fail;
	fast = rows_suffice(snap, p, fneeds, need_info);
	/*
	 * Grouping by address, network, protocol or port needs a flow's
	 * original tuple besides its row: read just that from the table
	 * instead of assembling the whole flow (a filter needs the flow).
	 */
	keyed = snap->order && p->groups && !need_info && !fneeds &&
		!p->pid_filter_on;
	/* ... and with nothing but the protocols to pick rows by, the rows
	 * left once no watched flow is left to find go in a loop of their
	 * own (group_view_rows: the same work, none of the tests) */
	gonly = keyed && !fx && !p->group_filter_on && !p->active_only && !agg;
	/*
	 * ... and in a table-order snapshot, by the changes alone: with no
	 * filter, or one (typed in the view: its text tells it apart) whose
	 * answer a flow keeps for life
	 */
	if (snap->order && snap->table_order && p->groups && !need_info &&
	    !p->pid_filter_on && !p->group_filter_on && !p->active_only &&
	    !agg && group_live_fits(&p->gspec) &&
	    (!fx || (fx == own && filter_expr_fixed(fx))))
		live = view_group_live(&p->gspec);
	else
		view_group_live(NULL);
	if (p->groups && !live)
		gagg = view_group_agg(&p->gspec);
	else
		view_group_agg(NULL);
	if (p->groups && !live && !gagg)
		goto fail;
	if (nwatch) {
		ws = wset = malloc(sizeof(*wset));
		v->samples = malloc(nwatch * sizeof(*v->samples));
		if (!wset || !v->samples)
			goto fail;
		watch_init(ws, watch, nwatch, snap->order != NULL);
	}
	memset(&info, 0, sizeof(info));
	memset(&counts, 0, sizeof(counts));

	if (live) {
		struct flow_match m = { .match = flow_match_fixed, .ctx = own,
					.fixed = p->filter };
		struct group_result gr;

		if (group_live_snapshot(live, snap, &p->gspec, p->protos,
					fx ? &m : NULL, p->sort, p->reverse,
					&gr, v->rate))
			goto fail;
		v->groups = gr.rows;
		v->ngroups = gr.n;
		/* the rows the groups took, and the watched flows' samples */
		for (i = 0; i < n; i++) {
			const struct flow *f = NULL;

			if (ws && watched(ws, snap, i, &buf, &f)) {
				take_sample(v, f);
				if (v->nsamples == nwatch)
					ws = NULL;
			}
			if (group_live_member(live, snapshot_idx(snap, i)))
				v->idx[nc++] = (uint32_t)i;
		}
		n = 0;	/* the loop below has nothing left to do */
	}

	for (i = 0; i < n; i++) {
		const struct flow *f = NULL;
		const struct flow_rec *rec = NULL;
		const struct flow_key *tuple;
		unsigned int bit;

		if (gonly && !ws) {
			if (group_view_rows(snap, i, gagg, p->protos, v->idx,
					    &nc, v->rate))
				goto fail;
			break;
		}
		if (fast || keyed) {
			/* the record's key (keyed) and counters, in place */
			rec = snapshot_rec(snap, i);
			row_counts(snap, i, rec, &counts);
			bit = rec->sel_bit;
		} else {
			f = snapshot_flow(snap, i, &buf);
			bit = sel_proto_bit(f->key.family, f->key.proto);
		}
		if (ws && watched(ws, snap, i, &buf, &f)) {
			take_sample(v, f);
			if (v->nsamples == nwatch)
				ws = NULL;	/* all found: stop looking */
		}
		if (!(bit & p->protos))
			continue;
		if (fast || keyed)
			f = &counts;
		/* keyed: counts has the row's counters only, the tuple is
		 * the record's */
		tuple = keyed ? &rec->key : &f->key;
		if (p->active_only && !flow_is_active(f))
			continue;
		if (need_info)
			enrich_flow(enrich, f, &info);
		if (fx) {
			int r;

			if (need_info || !filter_info) {
				r = filter_expr_match(fx, f, need_info ? &info : NULL,
						      now);
			} else {
				r = filter_expr_prematch(fx, f, now);
				if (r < 0) {
					enrich_flow(enrich, f, &info);
					r = filter_expr_match(fx, f, &info, now);
				}
			}
			if (!r)
				continue;
		}
		if (agg && proc_agg_add(agg, f, need_info ? &info.proc : NULL))
			goto fail;
		if (p->pid_filter_on &&
		    (need_info ? (info.proc.pid > 0 ? info.proc.pid : 0) : 0) !=
		    p->pid_filter)
			continue;
		if (p->group_filter_on) {
			struct group_key gk;

			group_key_from(&p->group_filter_spec, tuple,
				       need_info ? &info : NULL, &gk);
			if (!group_key_eq(&gk, &p->group_filter))
				continue;
		}
		/* the groups see exactly the flows the filters let through */
		if (gagg && (keyed ?
			     group_agg_add_tuple(gagg, tuple, &f->total,
						 f->pkt_rate, f->byte_rate,
						 (uint32_t)i) :
			     group_agg_add(gagg, f, need_info ? &info : NULL,
					   (uint32_t)i)))
			goto fail;
		v->rate[0] += f->byte_rate[0];
		v->rate[1] += f->byte_rate[1];
		if (gagg) {
			/* the flows tab is not shown: its rows need no order
			 * until it is (leaving the tab rebuilds the view) */
			v->idx[nc++] = (uint32_t)i;
			continue;
		}
		/*
		 * A flow without traffic (most of a big table) has common's
		 * key under the rate sort: no key to fill, as
		 * sort_item_same_key would find
		 */
		if (sort_key_quiet(p->sort, f)) {
			v->idx[nc++] = (uint32_t)i;
			continue;
		}
		/* ties keep the rows' order: the table's, fixed for as long
		 * as both flows live */
		sort_item_fill(&it, p->sort, p->reverse, f,
			       need_info ? &info : NULL, (uint32_t)i);
		if (sort_item_same_key(&it, &common))
			v->idx[nc++] = (uint32_t)i;
		else
			items[m++] = it;
	}
	if (m && !(tmp = malloc(m * sizeof(*tmp))))
		goto fail;
	if (m + nc)
		sort_rows_with_common(items, tmp, m, &common, v->idx, nc);
	free(tmp);
	free(items);
	tmp = NULL;
	items = NULL;
	m += nc;
	if (m) {
		uint32_t *shrunk = realloc(v->idx, m * sizeof(*v->idx));

		if (shrunk)
			v->idx = shrunk;
	} else {
		free(v->idx);
		v->idx = NULL;
	}
	v->n = m;
	if (agg && proc_agg_finish(agg, p->psort, p->preverse, &v->procs,
				   &v->nprocs))
		goto fail;
	proc_agg_free(agg);
	agg = NULL;
	if (gagg && group_agg_finish(gagg, p->sort, p->reverse, &v->groups,
				     &v->ngroups))
		goto fail;
	gagg = NULL;
	free(wset);
	filter_expr_free(own);
	own = NULL;

	if (sel_valid) {
		v->sel = *sel;
		for (i = 0; i < m; i++)
			if (row_is(snap, v->idx[i], sel, &buf)) {
				v->sel_pos = (long)i;
				break;
			}
	}
	if (prev_meta && snap->meta.time > prev_meta->time) {
		double dt = snap->meta.time - prev_meta->time;

		v->new_per_s = (double)(snap->meta.new_flows -
					prev_meta->new_flows) / dt;
		v->gone_per_s = (double)(snap->meta.destroyed_flows -
					 prev_meta->destroyed_flows) / dt;
	}
	v->build_ms = mono_ms() - t0;
	return v;
fail:
	free(items);
	free(tmp);
	free(wset);
	filter_expr_free(own);
	proc_agg_free(agg);
	if (gagg)
		group_agg_reset(gagg, &p->gspec);
	view_put(v);
	return NULL;
}

/* --- the thread -------------------------------------------------------- */

static void bury_all(struct ui_builder *b, struct view **views, size_t *nv,
		     struct snapshot **snaps, size_t *ns)
{
	pthread_mutex_lock(&b->lock);
	*nv = b->ngrave;
	memcpy(views, b->grave, b->ngrave * sizeof(*views));
	b->ngrave = 0;
	*ns = b->ngrave_snap;
	memcpy(snaps, b->grave_snap, b->ngrave_snap * sizeof(*snaps));
	b->ngrave_snap = 0;
	pthread_mutex_unlock(&b->lock);
	for (size_t i = 0; i < *nv; i++)
		view_put(views[i]);
	for (size_t i = 0; i < *ns; i++)
		snapshot_put(snaps[i]);
}

static void *builder_main(void *arg)
{
	struct ui_builder *b = arg;
	static _Thread_local struct flow_ident watch[UI_WATCH_MAX];
	struct snapshot_meta last_meta = { 0 }, prev_meta = { 0 };
	struct view *dead[GRAVE_MAX];
	struct snapshot *dead_snap[GRAVE_MAX];
	uint64_t built_seq = 0, built_gen = 0;
	bool have_prev = false;

	for (;;) {
		struct ui_params p;
		struct flow_ident sel;
		struct snapshot *snap;
		struct view *v, *old;
		size_t nwatch, nd, nds;
		uint64_t gen, one = 1;
		bool sel_valid, fresh;

		pthread_mutex_lock(&b->lock);
		while (!b->stop && !b->dirty && !b->ngrave && !b->ngrave_snap)
			pthread_cond_wait(&b->cond, &b->lock);
		if (b->stop) {
			pthread_mutex_unlock(&b->lock);
			break;
		}
		bool dirty = b->dirty;

		b->dirty = false;
		p = b->params;
		gen = b->params_gen;
		sel = b->sel;
		sel_valid = b->sel_valid;
		nwatch = b->nwatch;
		memcpy(watch, b->watch, nwatch * sizeof(*watch));
		snap = snapshot_get(b->pinned);
		pthread_mutex_unlock(&b->lock);

		bury_all(b, dead, &nd, dead_snap, &nds);
		if (!dirty) {
			snapshot_put(snap);
			continue;
		}
		if (!snap)
			snap = snapshot_acquire(&b->col->slot);
		if (!snap)
			continue;
		if (snap->meta.seq == built_seq && gen == built_gen) {
			snapshot_put(snap);
			continue;
		}
		fresh = snap->meta.seq != built_seq;
		if (fresh && snap->meta.seq != last_meta.seq) {
			have_prev = last_meta.seq != 0;
			prev_meta = last_meta;
			last_meta = snap->meta;
		}
		v = view_build(snap, &p, b->enrich, have_prev ? &prev_meta : NULL,
			       &sel, sel_valid, watch, fresh ? nwatch : 0);
		snapshot_put(snap);
		if (!v)
			continue;	/* out of memory: keep showing the last view */
		v->params_gen = gen;
		v->new_snapshot = fresh;
		built_seq = v->snap->meta.seq;
		built_gen = gen;

		pthread_mutex_lock(&b->lock);
		old = b->out;
		b->out = v;
		pthread_mutex_unlock(&b->lock);
		view_put(old);
		if (write(b->ready_fd, &one, sizeof(one)) < 0)
			(void)0;	/* counter full: the UI is already woken */
	}
	/* the grouping tables die with the thread */
	view_group_agg(NULL);
	view_group_live(NULL);
	return NULL;
}

int ui_builder_start(struct ui_builder **out, struct collector *col,
		     struct enrich *enrich, const struct ui_params *p)
{
	struct ui_builder *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	b->col = col;
	b->enrich = enrich;
	b->params = *p;
	b->params_gen = 1;
	b->dirty = true;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->ready_fd < 0) {
		ret = -errno;
		free(b);
		return ret;
	}
	ret = pthread_create(&b->thread, NULL, builder_main, b);
	if (ret) {
		close(b->ready_fd);
		free(b);
		return -ret;
	}
	b->started = true;
	/*
	 * The view's thread wakes the builder on every snapshot; a woken
	 * builder of the default class took the CPU from it there, and a
	 * key read in that turn waited for a slice of sorting (traced: the
	 * view's wakeup call returned 2 ms later).
	 */
	thread_background(b->thread);
	*out = b;
	return 0;
}

void ui_builder_stop(struct ui_builder *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	if (b->started)
		pthread_join(b->thread, NULL);
	for (size_t i = 0; i < b->ngrave; i++)
		view_put(b->grave[i]);
	for (size_t i = 0; i < b->ngrave_snap; i++)
		snapshot_put(b->grave_snap[i]);
	view_put(b->out);
	snapshot_put(b->pinned);
	close(b->ready_fd);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

int ui_builder_fd(const struct ui_builder *b)
{
	return b->ready_fd;
}

void ui_builder_set_params(struct ui_builder *b, const struct ui_params *p)
{
	pthread_mutex_lock(&b->lock);
	b->params = *p;
	b->params_gen++;
	b->dirty = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

void ui_builder_kick(struct ui_builder *b)
{
	pthread_mutex_lock(&b->lock);
	if (!b->pinned) {
		b->dirty = true;
		pthread_cond_signal(&b->cond);
	}
	pthread_mutex_unlock(&b->lock);
}

void ui_builder_pin(struct ui_builder *b, struct snapshot *snap)
{
	struct snapshot *old;

	snapshot_get(snap);
	pthread_mutex_lock(&b->lock);
	old = b->pinned;
	b->pinned = snap;
	if (old && b->ngrave_snap < GRAVE_MAX) {
		b->grave_snap[b->ngrave_snap++] = old;
		old = NULL;
	}
	/* resuming shows the current data at once */
	b->dirty = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	snapshot_put(old);
}

void ui_builder_set_selection(struct ui_builder *b, const struct flow_ident *id,
			      bool valid)
{
	pthread_mutex_lock(&b->lock);
	if (valid)
		b->sel = *id;
	b->sel_valid = valid;
	pthread_mutex_unlock(&b->lock);
}

void ui_builder_set_watch(struct ui_builder *b, const struct flow_ident *ids,
			  size_t n)
{
	if (n > UI_WATCH_MAX)
		n = UI_WATCH_MAX;
	pthread_mutex_lock(&b->lock);
	memcpy(b->watch, ids, n * sizeof(*ids));
	b->nwatch = n;
	pthread_mutex_unlock(&b->lock);
}

struct view *ui_builder_take(struct ui_builder *b)
{
	struct view *v;

	pthread_mutex_lock(&b->lock);
	v = view_get(b->out);
	pthread_mutex_unlock(&b->lock);
	return v;
}

void ui_builder_release(struct ui_builder *b, struct view *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&b->lock);
	if (b->ngrave < GRAVE_MAX) {
		b->grave[b->ngrave++] = v;
		v = NULL;
		pthread_cond_signal(&b->cond);
	}
	pthread_mutex_unlock(&b->lock);
	view_put(v);	/* graveyard full: rare, pay the cost here */
}
