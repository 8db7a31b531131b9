// SPDX-License-Identifier: GPL-2.0
/*
 * Filter expressions over a snapshot, alone: a flow table of N flows
 * (default 1,048,576, churned so that indices are scattered), one
 * snapshot in table order, then for each of a few typical expressions the
 * pass that view_build and batch make before grouping, sorting and
 * output: every row's flow read from the table (snapshot_flow) and
 * matched. Expressions on counters and rates alone are matched on the
 * rows, as view_build does then. Prints milliseconds of CPU per 1M
 * flows (median of the repetitions, or with -m their minimum: the run the
 * neighbours on a shared machine disturbed least), how many flows matched
 * and how many
 * only a lookup could settle ("open"). A pass that only reads every
 * row's flow (no filter) is timed first: the filter's own share is the
 * difference. No enrichment: terms that need it are answered by
 * prematch, as the view does before it looks anything up.
 *
 *   build/bench/filter_bench [-n FLOWS] [-r REPEAT] [-e EXPR] [-m]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "filter_expr.h"
#include "flowtab.h"
#include "snapshot.h"

/*
 * CPU time of this thread: the cost asked about is CPU per interval, and
 * on a shared machine wall time would mostly measure the neighbours.
 */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* 198.51.100.x:port -> 203.0.113.y:9 or :53, a fifth of them TCP */
static struct flow_key key_of(uint32_t i)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.proto = (i % 5) ? IPPROTO_UDP : IPPROTO_TCP;
	k.src[0] = htonl(0xc6336400 | (i % 254 + 1));
	k.dst[0] = htonl(0xcb007100 | (i / 254 % 254 + 1));
	k.sport = htons((uint16_t)(1024 + i / 64516));
	k.dport = htons((uint16_t)(i % 7 ? 9 : 53));
	return k;
}

/*
 * Rows matched by e (*open: those only a lookup can settle); the
 * counters-only case reads the counters alone.
 */
static size_t run(const struct snapshot *s, const struct filter_expr *e,
		  size_t *open)
{
	bool rows_only = !(filter_expr_needs(e) & FILTER_NEEDS_FLOW);
	double now = s->meta.time;
	struct flow buf;
	size_t hits = 0;

	memset(&buf, 0, sizeof(buf));
	for (size_t i = 0; i < s->n; i++) {
		const struct flow *f;

		if (rows_only) {
			struct flow_vals v;

			snapshot_vals(s, i, &v);
			buf.total = v.total;
			memcpy(buf.byte_rate, v.rates.byte_rate, sizeof(buf.byte_rate));
			memcpy(buf.pkt_rate, v.rates.pkt_rate, sizeof(buf.pkt_rate));
			f = &buf;
		} else {
			f = snapshot_flow(s, i, &buf);
		}
		switch (filter_expr_prematch(e, f, now)) {
		case 1:
			hits++;
			break;
		case -1:
			(*open)++;
			break;
		}
	}
	return hits;
}

int main(int argc, char **argv)
{
	uint32_t n = 1048576, reps = 7, x = 2463534242u;
	struct snapshot_pool pool = { 0 };
	struct rate_list rates = { 0 };
	struct snapshot_meta m = { .seq = 1, .interval = 1, .time = 1700000100.0 };
	struct flowtab *tab;
	const char *only = NULL;
	struct snapshot *s;
	bool created, use_min = false;
	uint32_t pick;
	int c;

	while ((c = getopt(argc, argv, "n:r:e:m")) != -1) {
		if (c == 'n')
			n = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'r')
			reps = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'e')
			only = optarg;
		else if (c == 'm')
			use_min = true;
		else
			return 2;
	}
	if (!n || !reps || reps > 1000) {
		fprintf(stderr, "usage: %s [-n FLOWS] [-r REPEAT] [-e EXPR] [-m]\n",
			argv[0]);
		return 2;
	}
	tab = flowtab_new(n);
	/* 1.25 n flows in, a fifth out again: holes, as churn leaves them */
	for (uint32_t i = 0; i < n + n / 4; i++) {
		struct flow_key k = key_of(i);
		struct flow_rec *f = flowtab_upsert(tab, &k, &created);

		if (!f) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		f->ct_id = x;
		f->state = f->key.proto == IPPROTO_TCP ? 3 : FLOW_STATE_NONE;
		flow_rec_set_start(f, 1700000000ull * 1000000000ull + x % 100000);
		f->total.bytes[0] = x % 100000;
		f->total.bytes[1] = x % 3000000;
		f->total.packets[0] = x % 1000;
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
		struct flow_key k = key_of(i * 5 + 2);

		flowtab_remove(tab, flowtab_lookup(tab, &k));
	}
	s = snapshot_pool_build(&pool, tab, &m, false, &rates);
	rate_list_free(&rates);
	if (!s) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	printf("filter_bench: %zu flows (table span %u), CPU ms per 1M flows, "
	       "%s of %u\n", s->n, flowtab_span(tab),
	       use_min ? "minimum" : "median", reps);
	pick = use_min ? 0 : reps / 2;
	{
		double t[1000];
		struct flow buf;
		volatile uint32_t sink = 0;

		for (uint32_t r = 0; r < reps; r++) {
			double t0 = now_ms();

			for (size_t i = 0; i < s->n; i++)
				sink += snapshot_flow(s, i, &buf)->key.dport;
			t[r] = now_ms() - t0;
		}
		qsort(t, reps, sizeof(t[0]), cmp_double);
		printf("  %-48s %7s       %7s       %6.1f ms/1M flows\n",
		       "(every flow read, no filter)", "", "", t[pick] *
		       1048576.0 / (double)s->n);
	}

	static const char *const exprs[] = {
		"dport 9",
		"dport 9 and src 198.51.100.0/24",
		"src 203.0.113.0/24 or dst 192.0.2.0/24",
		"proto tcp and state established and not port 22",
		"bytes > 1M",
		"rate > 100k or pps >= 10",
		"age < 5s and sport 1024-65535",
		"dport 53 and process unbound",
		"203.0.113.7",
		"192.0.2",
		"ssh",
	};
	for (size_t k = 0; k < sizeof(exprs) / sizeof(exprs[0]); k++) {
		struct filter_expr *e;
		struct filter_error err;
		double t[1000];
		size_t hits = 0, open = 0;

		if (only && k)
			break;
		if (filter_expr_compile(only ? only : exprs[k], NULL, &e, &err)) {
			char msg[256];

			filter_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "'%s': %s\n", exprs[k], msg);
			return 1;
		}
		for (uint32_t r = 0; r < reps; r++) {
			double t0 = now_ms();

			open = 0;
			hits = run(s, e, &open);
			t[r] = now_ms() - t0;
		}
		qsort(t, reps, sizeof(t[0]), cmp_double);
		printf("  %-48s %7zu match %7zu open  %6.1f ms/1M flows\n",
		       only ? only : exprs[k], hits, open,
		       t[pick] * 1048576.0 / (double)s->n);
		filter_expr_free(e);
	}
	snapshot_put(s);
	snapshot_pool_clear(&pool);
	flowtab_free(tab);
	return 0;
}
