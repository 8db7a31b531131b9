// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of grouping (--group-by, the view's groups tab) at a gateway's
 * scale: a churned flow table of N synthetic flows (default 1048576: one
 * in eight IPv6; sources spread over 65536 IPv4 hosts in 256 /24s and
 * 16384 IPv6 hosts in 8192 /64s, destinations over 65536 IPv4 and 4096
 * IPv6 servers; 48 service ports; one flow in sixteen moving), then for
 * each key (src, net/24, port, proto and more):
 *
 *   batch  group_snapshot over a snapshot in table order, as --batch
 *          --group-by gets it, and that plus group_format of every
 *          group as JSON to /dev/null;
 *   view   view_build with the groups tab on, over a snapshot in table
 *          order, as the view builder gets it (all its per-view work:
 *          toggles, grouping, sorting the groups), afresh: as after a
 *          protocol toggle;
 *   rate-sorted  group_snapshot over a snapshot sorted by rate, as
 *          plain --batch gets it: the table's records are then read in
 *          random order;
 *   live   the groups kept from one snapshot to the next (group_live.h),
 *          as --batch --group-by and the view's groups tab run them:
 *          between two snapshots one flow in sixteen moves, 20000 flows
 *          end and 20000 begin (an interval of 1 s at 20,000 new flows/s;
 *          not timed), then group_snapshot (batch; and that plus the
 *          JSON of every group) and view_build (view) each move their
 *          groups on to the new snapshot. Each result is checked against
 *          a pass over every flow.
 *
 * Prints CPU milliseconds per snapshot (this thread's CPU time, median of
 * the repetitions, or with -m their minimum: the run the neighbours on a
 * shared machine disturbed least) and the number of groups.
 *
 * Keys country, asn and process run without enrichment data (one group).
 *
 *   build/bench/group_bench [-n FLOWS] [-r REPEAT] [-k KEY (one of them)] [-m]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bench.h"
#include "filter.h"
#include "filter_expr.h"
#include "flowtab.h"
#include "group_live.h"
#include "group_out.h"
#include "snapshot.h"
#include "ui_view.h"

static struct flow_key key_of(uint32_t i)
{
	static const uint16_t ports[48] = {
		80, 443, 53, 123, 22, 25, 587, 993, 995, 143, 110, 3478,
		5060, 8080, 8443, 1194, 51820, 500, 4500, 853, 3306, 5432, 6379,
		9000, 27017, 1935, 554, 5222, 5223, 6881, 19302, 3389, 5900, 21,
		990, 389, 636, 88, 464, 137, 138, 139, 445, 1883, 8883, 11211,
		9092, 2049,
	};
	uint32_t h = mix(i);
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.proto = h % 3 ? IPPROTO_TCP : IPPROTO_UDP;
	k.sport = htons((uint16_t)(1024 + i % 60000));
	k.dport = htons(ports[(h >> 8) % 48]);
	if (h % 8 == 0) {
		/* 8192 /64s of two hosts each */
		uint32_t host = mix(i * 5 + 3) % 16384;

		k.family = AF_INET6;
		k.src[0] = htonl(0x20010db8);
		k.src[1] = htonl(host / 2);
		k.src[3] = htonl(host % 2 + 1);
		k.dst[0] = htonl(0x20010db8);
		k.dst[1] = htonl(0xffff0000);
		k.dst[3] = htonl(mix(i + 7) % 4096);
	} else {
		k.family = AF_INET;
		/* 10.0.0.0/16 clients: 65536 hosts in 256 /24s, talking to
		 * 65536 servers */
		k.src[0] = htonl(0x0a000000 | (mix(i * 3 + 1) & 0xffff));
		k.dst[0] = htonl(0xcb000000 | (mix(i + 11) & 0xffff));
	}
	/* the sport makes every tuple unique */
	k.sport = htons((uint16_t)(i & 0xffff));
	k.zone = (uint16_t)(i >> 16);
	return k;
}

/*
 * One interval of a gateway's table (serial: the next new flow's): one
 * flow in sixteen moves (touched, counters up, a rate), gone flows end
 * and as many begin.
 */
static int churn(struct flowtab *tab, struct rate_list *rates,
		 uint32_t *serial, uint32_t gone, uint32_t *x)
{
	uint32_t moved = (uint32_t)(flowtab_count(tab) / 16);
	bool created;

	/* as many end as begin: the table keeps its size */
	for (uint32_t i = 0, tries = 0; i < gone && tries < 100 * gone;
	     tries++) {
		struct flow_key k = key_of(mix((*x)++) % *serial);
		struct flow_rec *f = flowtab_lookup(tab, &k);

		if (f) {
			flowtab_remove(tab, f);
			i++;
		}
	}
	for (uint32_t i = 0, tries = 0; i < moved && tries < 100 * moved;
	     tries++) {
		struct flow_key k = key_of(mix((*x)++) % *serial);
		struct flow_rec *f = flowtab_lookup(tab, &k);
		uint32_t r = mix(*x);
		struct flow_rates fr = {
			.byte_rate = { (float)(r % 5000), (float)(r % 9000) },
			.pkt_rate = { (float)(r % 50), (float)(r % 70) },
		};

		if (!f)
			continue;
		i++;
		flowtab_touch(tab, f);
		f->total.bytes[0] += r % 5000;
		f->total.packets[0] += r % 50;
		f->total.bytes[1] += r % 9000;
		f->total.packets[1] += r % 70;
		if (rate_list_add(rates, flowtab_index(tab, f), &fr))
			return -1;
	}
	for (uint32_t i = 0; i < gone; i++) {
		struct flow_key k = key_of((*serial)++);
		struct flow_rec *f = flowtab_upsert(tab, &k, &created);

		if (!f)
			return -1;
		f->ct_id = *serial;
		f->state = FLOW_STATE_NONE;
		f->counters_valid = 1;
		f->total.bytes[0] = *serial % 1000;
		f->total.packets[0] = 1;
	}
	return 0;
}

/* whether two results are the same rows, in the same order */
static bool same_groups(const struct group_row *a, size_t na,
			const struct group_row *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!group_key_eq(&a[i].key, &b[i].key) ||
		    a[i].flows != b[i].flows || a[i].rep != b[i].rep ||
		    memcmp(&a[i].total, &b[i].total, sizeof(a[i].total)) ||
		    a[i].byte_rate[0] != b[i].byte_rate[0] ||
		    a[i].pkt_rate[1] != b[i].pkt_rate[1])
			return false;
	return true;
}

/*
 * The live columns for key spec (1: not a key group_live takes): reps
 * intervals of churn on tab (a table of its own), each
 * snapshot grouped by a batch group_live (then printed as JSON to null)
 * and by view_build (p), both checked against group_snapshot without
 * live. CPU ms into tb[] (grouping), tj[] (and the JSON), tv[] (view).
 */
static int run_live(struct flowtab *tab, struct snapshot_pool *pool,
		    const struct group_spec *spec, const struct ui_params *p,
		    const struct flow_match *m, uint32_t reps, FILE *null,
		    double *tb, double *tj, double *tv)
{
	/* the same filter asked of every flow: the reference */
	struct flow_match every = { .match = m ? m->match : NULL,
				    .ctx = m ? m->ctx : NULL };
	static uint32_t serial, x = 7;
	struct group_live *live = group_live_new();
	struct group_agg *agg = group_agg_new(spec);
	struct snapshot_meta meta = { .seq = 100, .interval = 1,
				      .time = 1.8e9 };
	struct rate_list rates = { 0 };
	struct group_live_stats st;
	int ret = -1;

	if (!group_live_fits(spec))
		return 1;
	if (!serial)
		serial = flowtab_span(tab) + (uint32_t)flowtab_count(tab);
	if (!live || !agg)
		goto out;
	/* reps + 1 snapshots: the first is grouped afresh, not timed */
	for (uint32_t r = 0; r <= reps; r++) {
		struct group_result res, want;
		struct snapshot *s;
		struct view *v;
		double t0;

		if (churn(tab, &rates, &serial, 20000, &x))
			goto out;
		meta.seq++;
		meta.time += 1;
		s = snapshot_pool_build(pool, tab, &meta, false, &rates);
		rate_list_clear(&rates);
		if (!s)
			goto out;
		t0 = cpu_ms();
		if (group_snapshot(s, agg, live, NULL, m, SORT_RATE, false,
				   &res)) {
			snapshot_put(s);
			goto out;
		}
		if (r)
			tb[r - 1] = cpu_ms() - t0;
		if (group_format(null, s, spec, &res, 0, OUTPUT_JSON, true,
				 NULL)) {
			snapshot_put(s);
			goto out;
		}
		fflush(null);
		if (r)
			tj[r - 1] = cpu_ms() - t0;
		t0 = cpu_ms();
		v = view_build(s, p, NULL, NULL, NULL, false, NULL, 0);
		if (r)
			tv[r - 1] = cpu_ms() - t0;
		if (group_snapshot(s, agg, NULL, NULL, m ? &every : NULL,
				   SORT_RATE, false, &want) || !v ||
		    !same_groups(res.rows, res.n, want.rows, want.n) ||
		    !same_groups(v->groups, v->ngroups, want.rows, want.n)) {
			fprintf(stderr, "live groups differ from a full pass\n");
			snapshot_put(s);
			goto out;
		}
		group_result_free(&res);
		group_result_free(&want);
		view_put(v);
		snapshot_put(s);
		snapshot_pool_collect(pool, tab);
	}
	group_live_stats(live, &st);
	ret = st.steps == reps ? 0 : -1;
	if (ret)
		fprintf(stderr, "live: %lu steps of %u\n", st.steps, reps);
out:
	group_live_free(live);
	group_agg_free(agg);
	rate_list_free(&rates);
	snapshot_pool_collect(pool, tab);
	return ret;
}

static struct flowtab *make_table(uint32_t n, struct rate_list *rates)
{
	struct flowtab *tab = flowtab_new(n);
	bool created;

	if (!tab)
		return NULL;
	/* 1.25 n flows in, a fifth out again: holes, as churn leaves them */
	for (uint32_t i = 0; i < n + n / 4; i++) {
		struct flow_key k = key_of(i);
		struct flow_rec *f = flowtab_upsert(tab, &k, &created);
		uint32_t x = mix(i ^ 0x5bd1e995);

		if (!f)
			return NULL;
		f->ct_id = x;
		f->state = FLOW_STATE_NONE;
		f->counters_valid = 1;
		f->total.bytes[0] = x % 100000;
		f->total.packets[0] = x % 1000;
		f->total.bytes[1] = x % 300000;
		f->total.packets[1] = x % 700;
		if (x % 16 == 0) {
			struct flow_rates r = {
				.byte_rate = { (float)(x % 5000), (float)(x % 9000) },
				.pkt_rate = { (float)(x % 50), (float)(x % 70) },
			};

			if (rate_list_add(rates, flowtab_index(tab, f), &r))
				return NULL;
		}
	}
	for (uint32_t i = 0; i < n / 4; i++) {
		struct flow_key k = key_of(i * 5);

		flowtab_remove(tab, flowtab_lookup(tab, &k));
	}
	return tab;
}

int main(int argc, char **argv)
{
	uint32_t n = 1048576, reps = 7;
	const char *only = NULL;
	struct snapshot_pool pool = { 0 }, live_pool = { 0 };
	struct flowtab *live_tab;
	struct rate_list rates = { 0 }, rates2 = { 0 };
	struct snapshot_meta m = { .seq = 1, .interval = 1, .time = 1.7e9 };
	struct snapshot *sorted, *table_order;
	struct flowtab *tab;
	bool use_min = false;
	uint32_t pick;
	FILE *null;
	int c;

	while ((c = getopt(argc, argv, "n:r:k:m")) != -1) {
		if (c == 'k')
			only = optarg;
		else if (c == 'n')
			n = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'r')
			reps = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'm')
			use_min = true;
		else
			return 2;
	}
	if (!n || !reps || reps > 1000) {
		fprintf(stderr, "usage: %s [-n FLOWS] [-r REPEAT] [-k KEY] [-m]\n",
			argv[0]);
		return 2;
	}
	tab = make_table(n, &rates);
	null = fopen("/dev/null", "w");
	if (!tab || !null) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	/* the same rates for the second snapshot (a build consumes them) */
	for (size_t i = 0; i < rates.n; i++)
		if (rate_list_add(&rates2, rates.v[i].idx, &rates.v[i].r))
			return 1;
	sorted = snapshot_pool_build(&pool, tab, &m, true, &rates);
	m.seq = 2;
	table_order = snapshot_pool_build(&pool, tab, &m, false, &rates2);
	rate_list_free(&rates);
	rate_list_free(&rates2);
	/* the live columns churn a table of their own: the snapshots above
	 * keep showing theirs as it was */
	live_tab = make_table(n, &rates);
	rate_list_free(&rates);
	if (!sorted || !table_order || !live_tab) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	printf("group_bench: %zu flows (table span %u), %s of %u runs, "
	       "CPU ms per snapshot\n", sorted->n, flowtab_span(tab),
	       use_min ? "minimum" : "median", reps);
	pick = use_min ? 0 : reps / 2;
	printf("  %-15s %7s  %12s %12s %12s %12s %12s %12s %12s\n", "key",
	       "groups", "batch group", "batch +json", "view build",
	       "rate-sorted", "batch live", "live +json", "view live");

	/*
	 * country, asn and process without enrichment data (no GeoIP, no
	 * process table here): one group "?", the pass without lookups
	 */
	static const struct {
		const char *key, *filter;
	} keys[] = {
		{ "src", NULL }, { "net/24", NULL }, { "port", NULL },
		{ "proto", NULL }, { "dst", NULL }, { "net/16,net6/48", NULL },
		{ "host", NULL }, { "net6/64", NULL }, { "country", NULL },
		{ "asn", NULL }, { "process", NULL },
		/* a filter on what flows keep (kept groups: asked once) */
		{ "src", "dport 443 or dport 53" },
	};
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		struct ui_params p = { .sort = SORT_RATE, .protos = SEL_PROTOS,
				       .groups = true };
		double tg[1000], tj[1000], tv[1000], ts[1000];
		double tlb[1000], tlj[1000], tlv[1000];
		int live;
		struct group_spec spec;
		struct group_agg *agg;
		struct filter_expr *fx = NULL;
		struct filter_error ferr;
		struct flow_match mf = { .match = flow_match_fixed }, ml;
		char err[200], label[64];
		size_t groups = 0;

		if (only && strcmp(only, keys[k].key))
			continue;
		if (group_spec_parse(keys[k].key, &spec, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		p.gspec = spec;
		snprintf(label, sizeof(label), "%s", keys[k].key);
		if (keys[k].filter) {
			if (filter_expr_compile(keys[k].filter, NULL, &fx,
						&ferr))
				return 1;
			snprintf(p.filter, sizeof(p.filter), "%s",
				 keys[k].filter);
			snprintf(label, sizeof(label), "%s, filter",
				 keys[k].key);
		}
		mf.ctx = fx;
		ml = mf;
		ml.fixed = keys[k].filter;
		agg = group_agg_new(&spec);
		if (!agg)
			return 1;
		for (uint32_t r = 0; r < reps; r++) {
			struct group_result res;
			struct view *v;
			double t0 = cpu_ms();

			if (group_snapshot(table_order, agg, NULL, NULL,
					   fx ? &mf : NULL, SORT_RATE, false,
					   &res)) {
				fprintf(stderr, "group_snapshot failed\n");
				return 1;
			}
			tg[r] = cpu_ms() - t0;
			if (group_format(null, table_order, &spec, &res, 0,
					 OUTPUT_JSON, true, NULL)) {
				fprintf(stderr, "group_format failed\n");
				return 1;
			}
			fflush(null);
			tj[r] = cpu_ms() - t0;
			groups = res.n;
			group_result_free(&res);

			/* the same over a snapshot sorted by rate */
			t0 = cpu_ms();
			if (group_snapshot(sorted, agg, NULL, NULL,
					   fx ? &mf : NULL, SORT_RATE, false,
					   &res)) {
				fprintf(stderr, "group_snapshot failed\n");
				return 1;
			}
			ts[r] = cpu_ms() - t0;
			group_result_free(&res);

			/* a full pass, as after a protocol toggle: the kept
			 * groups were of other protocols (the family bits
			 * change no flow's membership, only the toggles) */
			p.protos = r % 2 ? SEL_PROTOS : SEL_PROTOS | SEL_FAMILIES;
			t0 = cpu_ms();
			v = view_build(table_order, &p, NULL, NULL, NULL, false,
				       NULL, 0);
			tv[r] = cpu_ms() - t0;
			if (!v || v->ngroups != groups) {
				fprintf(stderr, "view_build: %zu groups, batch %zu\n",
					v ? v->ngroups : 0, groups);
				return 1;
			}
			view_put(v);
		}
		group_agg_free(agg);
		live = run_live(live_tab, &live_pool, &spec, &p,
				fx ? &ml : NULL, reps, null, tlb, tlj, tlv);
		filter_expr_free(fx);
		if (live < 0)
			return 1;
		qsort(tlb, reps, sizeof(tlb[0]), cmp_double);
		qsort(tlj, reps, sizeof(tlj[0]), cmp_double);
		qsort(tlv, reps, sizeof(tlv[0]), cmp_double);
		qsort(tg, reps, sizeof(tg[0]), cmp_double);
		qsort(tj, reps, sizeof(tj[0]), cmp_double);
		qsort(tv, reps, sizeof(tv[0]), cmp_double);
		qsort(ts, reps, sizeof(ts[0]), cmp_double);
		printf("  %-15s %7zu  %9.1f ms %9.1f ms %9.1f ms %9.1f ms",
		       label, groups, tg[pick], tj[pick], tv[pick],
		       ts[pick]);
		if (live)
			printf(" %12s %12s %12s\n", "-", "-", "-");
		else
			printf(" %9.1f ms %9.1f ms %9.1f ms\n", tlb[pick],
			       tlj[pick], tlv[pick]);
	}
	fclose(null);
	snapshot_put(sorted);
	snapshot_put(table_order);
	snapshot_pool_clear(&pool);
	snapshot_pool_clear(&live_pool);
	flowtab_free(tab);
	flowtab_free(live_tab);
	return 0;
}
