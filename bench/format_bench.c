// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of the batch writers (format_snapshot: text, JSON, CSV) over a
 * rate-sorted snapshot as --batch gets it: N synthetic flows (default
 * 262144; one in eight IPv6, one in sixteen ICMP, one in thirty-two
 * NAT'd, a sixteenth moving), rendered to /dev/null, plain and with an
 * enrich handle whose lookups are off (service names only, as with -n -G
 * and no process lookups).
 *
 * Prints this thread's CPU milliseconds per snapshot, the median and the
 * best of the repetitions. With -o DIR it writes each format's output to
 * DIR/{text,json,csv}{,-enrich} once instead: two builds' outputs compare
 * with cmp (the snapshot's time is fixed; text's summary line is in local
 * time).
 *
 * -f FORMAT times that format only (text, json or csv).
 *
 *   build/bench/format_bench [-n FLOWS] [-r REPEAT] [-f FORMAT] [-o DIR]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bench.h"
#include "enrich.h"
#include "flowtab.h"
#include "format.h"
#include "snapshot.h"

static struct flow_key key_of(uint32_t i)
{
	static const uint16_t ports[8] = { 80, 443, 53, 123, 22, 25, 8080, 9 };
	uint32_t h = mix(i);
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.proto = h % 16 == 1 ? IPPROTO_ICMP : h % 3 ? IPPROTO_TCP : IPPROTO_UDP;
	k.sport = htons((uint16_t)(1024 + i % 60000));
	k.dport = htons(ports[(h >> 8) % 8]);
	if (h % 8 == 0) {
		k.family = AF_INET6;
		if (k.proto == IPPROTO_ICMP)
			k.proto = IPPROTO_ICMPV6;
		k.src[0] = htonl(0x20010db8);
		k.src[3] = htonl(mix(i * 5 + 3) % 16384 + 1);
		k.dst[0] = htonl(0x20010db8);
		k.dst[1] = htonl(0xffff0000);
		k.dst[3] = htonl(mix(i + 7) % 4096);
	} else {
		k.family = AF_INET;
		k.src[0] = htonl(0xc0000200 | (mix(i * 3 + 1) & 0xff));
		k.dst[0] = htonl(0xcb007100 | (mix(i + 11) & 0xff));
	}
	if (k.proto == IPPROTO_ICMP || k.proto == IPPROTO_ICMPV6)
		k.dport = htons(0x0800);	/* type 8 code 0 */
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
	for (uint32_t i = 0; i < n; i++) {
		struct flow_key k = key_of(i);
		struct flow_rec *f = flowtab_upsert(tab, &k, &created);
		uint32_t x = mix(i ^ 0x5bd1e995);

		if (!f)
			return NULL;
		f->ct_id = x;
		if (flowtab_set_mark(tab, f, x % 7 ? 0 : x % 100))
			return NULL;
		f->state = k.proto == IPPROTO_TCP ? 3 : FLOW_STATE_NONE;
		f->counters_valid = 1;
		f->whole_life = x % 4 != 0;
		f->offloaded = x % 64 == 0;
		f->since_ns = (1700000000ull - x % 200000) * 1000000000ull +
			      x % 1000000000u;
		f->start_known = x % 5 != 0;
		f->total.bytes[0] = x % 100000;
		f->total.packets[0] = x % 1000;
		f->total.bytes[1] = x % 300000;
		f->total.packets[1] = x % 700;
		if (x % 32 == 0 && k.family == AF_INET) {
			/* masqueraded: the reply comes back to 198.51.100.1 */
			struct flow_key r = k;

			memcpy(r.src, k.dst, sizeof(r.src));
			memcpy(r.dst, k.src, sizeof(r.dst));
			r.sport = k.dport;
			r.dport = htons((uint16_t)(30000 + x % 30000));
			r.dst[0] = htonl(0xc6336401);
			if (flowtab_set_reply(tab, f, &r))
				return NULL;
		}
		if (x % 16 == 0) {
			struct flow_rates r = {
				.byte_rate = { (float)(x % 5000) + 0.5f,
					       (float)(x % 9000) },
				.pkt_rate = { (float)(x % 50), (float)(x % 70) },
			};

			if (rate_list_add(rates, flowtab_index(tab, f), &r))
				return NULL;
		}
	}
	return tab;
}

static const struct {
	const char *name;
	enum output_format fmt;
} formats[] = {
	{ "text", OUTPUT_TEXT },
	{ "json", OUTPUT_JSON },
	{ "csv", OUTPUT_CSV },
};

int main(int argc, char **argv)
{
	uint32_t n = 262144, reps = 7;
	const char *dir = NULL, *only = NULL;
	struct rate_list rates = { 0 };
	struct snapshot_meta m = { .seq = 1, .interval = 1,
				   .time = 1700000123.25,
				   .counting_since = 1699990000.5 };
	struct enrich_config cfg = { 0 };
	struct enrich *e = NULL;
	struct snapshot *snap;
	struct flowtab *tab;
	double t[1000];
	FILE *null;
	int c;

	while ((c = getopt(argc, argv, "n:r:o:f:")) != -1) {
		if (c == 'n')
			n = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'r')
			reps = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'o')
			dir = optarg;
		else if (c == 'f')
			only = optarg;
		else
			return 2;
	}
	if (!n || !reps || reps > 1000) {
		fprintf(stderr, "usage: %s [-n FLOWS] [-r REPEAT] [-f FORMAT] [-o DIR]\n",
			argv[0]);
		return 2;
	}
	tab = make_table(n, &rates);
	null = fopen("/dev/null", "w");
	if (!tab || !null || enrich_open(&e, &cfg)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	snap = snapshot_build(tab, &m, true, &rates);
	rate_list_free(&rates);
	if (!snap) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	if (!dir)
		printf("format_bench: %zu flows, CPU ms per snapshot "
		       "(median / best of %u)\n", snap->n, reps);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (only && strcmp(only, formats[i].name))
			continue;
		for (int enr = 0; enr < 2; enr++) {
			struct enrich *en = enr ? e : NULL;

			if (dir) {
				char path[4096];
				FILE *out;

				snprintf(path, sizeof(path), "%s/%s%s", dir,
					 formats[i].name, enr ? "-enrich" : "");
				out = fopen(path, "w");
				if (!out || format_snapshot(out, snap,
							    formats[i].fmt,
							    true, en) ||
				    fclose(out)) {
					fprintf(stderr, "%s: write failed\n",
						path);
					return 1;
				}
				continue;
			}
			for (uint32_t r = 0; r < reps; r++) {
				double t0 = cpu_ms();

				format_snapshot(null, snap, formats[i].fmt,
						true, en);
				t[r] = cpu_ms() - t0;
			}
			qsort(t, reps, sizeof(t[0]), cmp_double);
			printf("  %-4s %-7s %8.1f %8.1f\n", formats[i].name,
			       enr ? "+enrich" : "", t[reps / 2], t[0]);
		}
	}
	snapshot_put(snap);
	enrich_close(e);
	flowtab_free(tab);
	fclose(null);
	return 0;
}
