// SPDX-License-Identifier: GPL-2.0
/*
 * ct_get: ct_get_entries on its own, for tests. Dumps the conntrack table
 * (every protocol flowtop shows), then asks the kernel about every flow it
 * listed with GET requests, plus --absent N tuples that match no
 * connection (they must get no answer, and must not stall the others),
 * and prints the answers as one flowtop-shaped JSON snapshot line (the
 * fields ftjson.py compares: tuple, zone, counters, "offloaded").
 *
 *   ct_get [--absent N]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct.h"
#include "ct_parse.h"
#include "filter.h"
#include "flowtab.h"
#include "names.h"

struct keys {
	struct flow_key *v;
	size_t n, cap;
};

static void add_key(struct flow_rec *f, void *arg)
{
	struct keys *k = arg;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 256;
		k->v = realloc(k->v, k->cap * sizeof(*k->v));
		if (!k->v) {
			perror("ct_get");
			exit(1);
		}
	}
	k->v[k->n++] = f->key;
}

static size_t answers;

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void print_entry(const struct ct_entry *e, void *arg)
{
	const struct flow_key *k = &e->key;
	int af = k->family == AF_INET6 ? AF_INET6 : AF_INET;
	const uint8_t *b = (const uint8_t *)&k->dport;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], pn[8];

	(void)arg;
	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	printf("%s{\"family\": \"%s\", \"proto\": \"%s\", \"src\": \"%s\", "
	       "\"dst\": \"%s\", ", answers++ ? ", " : "",
	       af == AF_INET6 ? "ipv6" : "ipv4", proto_name(k->proto, pn, sizeof(pn)), s, d);
	if (k->proto == 1 || k->proto == 58)
		printf("\"icmp_type\": %u, \"icmp_code\": %u, \"icmp_id\": %u, ",
		       b[0], b[1], ntohs(k->sport));
	else
		printf("\"sport\": %u, \"dport\": %u, ", ntohs(k->sport),
		       ntohs(k->dport));
	printf("\"zone\": %u, \"id\": %u, \"has_counters\": %s, "
	       "\"offloaded\": %s, \"orig_packets\": %llu, \"orig_bytes\": %llu, "
	       "\"reply_packets\": %llu, \"reply_bytes\": %llu}",
	       k->zone, e->ct_id, e->has_counters ? "true" : "false",
	       ct_status_offloaded(e->status) ? "true" : "false",
	       (unsigned long long)e->counters.packets[0],
	       (unsigned long long)e->counters.bytes[0],
	       (unsigned long long)e->counters.packets[1],
	       (unsigned long long)e->counters.bytes[1]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "absent", required_argument, NULL, 'a' },
		{ 0 }
	};
	struct ct_config cfg = { .sel = SEL_FAMILIES | SEL_PROTOS };
	struct ct_source *src;
	struct flowtab *tab = flowtab_new(1024);
	struct keys k = { 0 };
	char err[256];
	long absent = 0;
	double t0;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'a')
			return 2;
		absent = atol(optarg);
	}
	if (!tab || ct_open(&src, &cfg, err, sizeof(err))) {
		fprintf(stderr, "ct_get: %s\n", tab ? err : "out of memory");
		return 1;
	}
	ret = ct_resync(src, tab, NULL);
	if (ret) {
		fprintf(stderr, "ct_get: dump: %s\n", strerror(-ret));
		return 1;
	}
	flowtab_foreach(tab, add_key, &k);
	/* tuples of no connection (TEST-NET-3 ports nobody used), spread
	 * among the real ones */
	for (long i = 0; i < absent; i++) {
		struct flow_rec fake = { 0 };

		fake.key.family = AF_INET;
		fake.key.proto = 17;
		inet_pton(AF_INET, "203.0.113.250", &fake.key.src[0]);
		inet_pton(AF_INET, "203.0.113.251", &fake.key.dst[0]);
		fake.key.sport = htons((uint16_t)(1000 + i));
		fake.key.dport = htons(9);
		add_key(&fake, &k);
		if (k.n > 1) {
			struct flow_key t = k.v[k.n - 1];

			k.v[k.n - 1] = k.v[(size_t)i % (k.n - 1)];
			k.v[(size_t)i % (k.n - 1)] = t;
		}
	}
	printf("{\"asked\": %zu, \"flows\": [", k.n);
	t0 = mono_ms();
	ret = ct_get_entries(src, k.v, k.n, print_entry, NULL);
	t0 = mono_ms() - t0;
	printf("], \"answers\": %zu, \"get_ms\": %.1f}\n", answers, t0);
	if (ret) {
		fprintf(stderr, "ct_get: GET: %s\n", strerror(-ret));
		return 1;
	}
	free(k.v);
	ct_close(src);
	flowtab_free(tab);
	return 0;
}
