// SPDX-License-Identifier: GPL-2.0
/*
 * The interactive view's per-snapshot work, alone: a flow table of N flows
 * (churned so that indices are scattered, as after hours of running), one
 * snapshot in table order as the UI gets it, then view_build for several
 * sort keys and a text filter. Prints milliseconds per build (median of
 * the repetitions) and the bytes a snapshot takes; then the collector's
 * snapshot build after an interval in which a sixteenth of the flows
 * moved, and the versions it keeps for the snapshot held meanwhile.
 *
 *   build/bench/view_build_bench [-n FLOWS] [-r REPEAT]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "filter.h"
#include "flowtab.h"
#include "snapshot.h"
#include "ui_view.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct flow_key key_of(uint32_t i)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.proto = (i % 5) ? IPPROTO_UDP : IPPROTO_TCP;
	k.src[0] = htonl(0xc6336400 | (i % 254 + 1));	/* 198.51.100.x */
	k.dst[0] = htonl(0xcb007100 | (i / 254 % 254 + 1));	/* 203.0.113.x */
	k.sport = htons((uint16_t)(1024 + i / 64516));
	k.dport = htons((uint16_t)(i % 7 ? 9 : 53));
	return k;
}

int main(int argc, char **argv)
{
	uint32_t n = 262144, reps = 9, x = 2463534242u;
	struct snapshot_pool pool = { 0 };
	struct rate_list rates = { 0 };
	struct snapshot_meta m = { .seq = 1, .interval = 1 };
	struct flowtab *tab;
	struct snapshot *s;
	bool created;
	int c;

	while ((c = getopt(argc, argv, "n:r:")) != -1) {
		if (c == 'n')
			n = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'r')
			reps = (uint32_t)strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	if (!n || !reps || reps > 1000) {
		fprintf(stderr, "usage: %s [-n FLOWS] [-r REPEAT]\n", argv[0]);
		return 2;
	}
	tab = flowtab_new(n);
	/* 1.25 n flows in, a fifth out again: holes, as churn leaves them */
	for (uint32_t i = 0; i < n + n / 4; i++) {
		struct flow_key k = key_of(i);
		struct flow_rec *f = flowtab_upsert(tab, &k, &created);

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		f->ct_id = x;
		f->state = f->key.proto == IPPROTO_TCP ? 3 : FLOW_STATE_NONE;
		flow_rec_set_start(f, 1700000000ull * 1000000000ull + x % 100000);
		f->total.bytes[0] = x % 100000;
		f->total.packets[0] = x % 1000;
		/* most flows quiet, as under the benchmark's load */
		if (x % 16 == 0) {
			struct flow_rates r = {
				.byte_rate = { (float)(x % 5000), 0 },
				.pkt_rate = { (float)(x % 50), 0 },
			};

			if (rate_list_add(&rates, flowtab_index(tab, f), &r)) {
				fprintf(stderr, "out of memory\n");
				return 1;
			}
		}
	}
	for (uint32_t i = 0; i < n / 4; i++) {
		struct flow_key k = key_of(i * 5);

		flowtab_remove(tab, flowtab_lookup(tab, &k));
	}
	s = snapshot_pool_build(&pool, tab, &m, false, &rates);
	rate_list_free(&rates);
	if (!s) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	printf("view_build_bench: %zu flows, table span %u, snapshot %zu bytes (%zu B/flow), records %zu B\n",
	       s->n, flowtab_span(tab), s->n * sizeof(*s->order),
	       sizeof(*s->order), sizeof(struct flow_rec));

	static const struct {
		const char *name;
		enum sort_key sort;
		const char *filter;
	} cases[] = {
		{ "rate", SORT_RATE, "" },
		{ "bytes", SORT_BYTES, "" },
		{ "destination", SORT_DEST, "" },
		{ "age", SORT_AGE, "" },
		{ "rate, filter '203.0.113.7'", SORT_RATE, "203.0.113.7" },
		{ "bytes, filter 'dport 53 and src 198.51.100.0/25'", SORT_BYTES,
		  "dport 53 and src 198.51.100.0/25" },
		{ "rate, filter 'rate > 1k'", SORT_RATE, "rate > 1k" },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ui_params p = { .sort = cases[k].sort, .protos = SEL_PROTOS };
		double t[1000];
		size_t shown = 0;

		snprintf(p.filter, sizeof(p.filter), "%s", cases[k].filter);
		for (uint32_t r = 0; r < reps; r++) {
			double t0 = now_ms();
			struct view *v = view_build(s, &p, NULL, NULL, NULL,
						    false, NULL, 0);

			t[r] = now_ms() - t0;
			if (!v) {
				fprintf(stderr, "view_build failed\n");
				return 1;
			}
			shown = v->n;
			view_put(v);
		}
		qsort(t, reps, sizeof(t[0]), cmp_double);
		printf("  sort %-28s %8zu rows  %7.2f ms/build (median of %u)\n",
		       cases[k].name, shown, t[reps / 2], reps);
	}
	snapshot_put(s);

	/*
	 * The collector's side: an interval in which a sixteenth of the
	 * flows moved (a new total, a rate), then the snapshot, held while
	 * the next interval's changes come (as the view holds the one it
	 * shows): build time, and the versions kept for the one held.
	 */
	for (int sorted = 0; sorted < 2; sorted++) {
		struct snapshot *held = NULL;
		double t[1000];
		size_t kept = 0;

		for (uint32_t r = 0; r < reps; r++) {
			uint32_t span = flowtab_span(tab);
			double t0;

			rate_list_clear(&rates);
			for (uint32_t i = r % 16; i < span; i += 16) {
				struct flow_rec *f = flowtab_rec(tab, i);
				struct flow_rates fr = { .byte_rate = { 100, 0 } };

				if (!f->in_use)
					continue;
				flowtab_touch(tab, f);
				f->total.bytes[0] += 100;
				if (rate_list_add(&rates, i, &fr)) {
					fprintf(stderr, "out of memory\n");
					return 1;
				}
			}
			kept = flowtab_undo_count(tab);
			m.seq++;
			t0 = now_ms();
			s = snapshot_pool_build(&pool, tab, &m, sorted, &rates);
			t[r] = now_ms() - t0;
			if (!s) {
				fprintf(stderr, "snapshot_pool_build failed\n");
				return 1;
			}
			snapshot_put(held);
			held = s;
			snapshot_pool_collect(&pool, tab);
		}
		snapshot_put(held);
		qsort(t, reps, sizeof(t[0]), cmp_double);
		printf("  snapshot build, %s, 1/16 of the flows moved: %7.2f ms (median of %u); versions kept for the one held: %zu (%zu B)\n",
		       sorted ? "sorted by rate (batch)" : "table order (view)",
		       t[reps / 2], reps, kept, kept * 48);	/* 48 B an undo entry */
	}
	snapshot_pool_clear(&pool);
	flowtab_free(tab);
	return 0;
}
