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
 *          toggles, grouping, sorting the groups);
 *   rate-sorted  group_snapshot over a snapshot sorted by rate, as
 *          plain --batch gets it: the table's records are then read in
 *          random order.
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
#include "flowtab.h"
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
	struct snapshot_pool pool = { 0 };
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
	if (!sorted || !table_order) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	printf("group_bench: %zu flows (table span %u), %s of %u runs, "
	       "CPU ms per snapshot\n", sorted->n, flowtab_span(tab),
	       use_min ? "minimum" : "median", reps);
	pick = use_min ? 0 : reps / 2;
	printf("  %-15s %7s  %12s %12s %12s %12s\n", "key", "groups",
	       "batch group", "batch +json", "view build", "rate-sorted");

	/*
	 * country, asn and process without enrichment data (no GeoIP, no
	 * process table here): one group "?", the pass without lookups
	 */
	static const char *const keys[] = {
		"src", "net/24", "port", "proto", "dst", "net/16,net6/48",
		"host", "net6/64", "country", "asn", "process",
	};
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		struct ui_params p = { .sort = SORT_RATE, .protos = SEL_PROTOS,
				       .groups = true };
		double tg[1000], tj[1000], tv[1000], ts[1000];
		struct group_spec spec;
		struct group_agg *agg;
		char err[200];
		size_t groups = 0;

		if (only && strcmp(only, keys[k]))
			continue;
		if (group_spec_parse(keys[k], &spec, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		p.gspec = spec;
		agg = group_agg_new(&spec);
		if (!agg)
			return 1;
		for (uint32_t r = 0; r < reps; r++) {
			struct group_result res;
			struct view *v;
			double t0 = cpu_ms();

			if (group_snapshot(table_order, agg, NULL, NULL,
					   SORT_RATE, false, &res)) {
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
			if (group_snapshot(sorted, agg, NULL, NULL, SORT_RATE,
					   false, &res)) {
				fprintf(stderr, "group_snapshot failed\n");
				return 1;
			}
			ts[r] = cpu_ms() - t0;
			group_result_free(&res);

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
		qsort(tg, reps, sizeof(tg[0]), cmp_double);
		qsort(tj, reps, sizeof(tj[0]), cmp_double);
		qsort(tv, reps, sizeof(tv[0]), cmp_double);
		qsort(ts, reps, sizeof(ts[0]), cmp_double);
		printf("  %-15s %7zu  %9.1f ms %9.1f ms %9.1f ms %9.1f ms\n",
		       keys[k], groups, tg[pick], tj[pick], tv[pick], ts[pick]);
	}
	fclose(null);
	snapshot_put(sorted);
	snapshot_put(table_order);
	snapshot_pool_clear(&pool);
	flowtab_free(tab);
	return 0;
}
