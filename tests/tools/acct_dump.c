// SPDX-License-Identifier: GPL-2.0
/*
 * acct_dump: opens one accounting backend, waits, reads the counter map once
 * and prints every key, sorted, one per line:
 *
 *   udp 192.0.2.1:40000 -> 198.51.100.7:53 zone 0 orig 10/1280 reply 10/1280
 *   icmp 192.0.2.1 -> 192.0.2.2 type 8 code 0 id 77 zone 0 orig 3/252 reply 3/252
 *
 * (packets/bytes per direction; IPv6 addresses in brackets when a port
 * follows), then "# entries N evictions E read_ns T". For tests that compare
 * with `conntrack -L -o extended`.
 *
 *   acct_dump [--acct KIND] [--counter-map slots|lru] [--max-flows N]
 *             [--ready-file PATH] [SECONDS]
 *
 * Without SECONDS it waits for SIGINT, SIGTERM or SIGUSR1. PATH is created
 * once the program is attached, so traffic sent after it appears is counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"

struct row {
	struct flow_key key;
	struct flow_counters sum;
};

struct rows {
	struct row *v;
	size_t n, cap;
	int oom;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool collect(const struct flow_key *key, const struct flow_counters *sum,
		    void *arg)
{
	struct rows *r = arg;
	struct row *n;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;

		n = realloc(r->v, cap * sizeof(*n));
		if (!n) {
			r->oom = 1;
			return true;
		}
		r->v = n;
		r->cap = cap;
	}
	r->v[r->n].key = *key;
	r->v[r->n].sum = *sum;
	r->n++;
	return true;	/* every key is wanted here */
}

static int cmp_row(const void *a, const void *b)
{
	return memcmp(&((const struct row *)a)->key,
		      &((const struct row *)b)->key, sizeof(struct flow_key));
}

static void print_row(const struct row *r)
{
	const struct flow_key *k = &r->key;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], pbuf[8];
	int af = k->family == 10 ? AF_INET6 : AF_INET;
	const char *lb = af == AF_INET6 ? "[" : "", *rb = af == AF_INET6 ? "]" : "";

	inet_ntop(af, k->src, src, sizeof(src));
	inet_ntop(af, k->dst, dst, sizeof(dst));
	printf("%s ", proto_name(k->proto, pbuf, sizeof(pbuf)));
	if (k->proto == 1 || k->proto == 58) {
		const unsigned char *tc = (const unsigned char *)&k->dport;

		printf("%s -> %s type %u code %u id %u", src, dst, tc[0], tc[1],
		       ntohs(k->sport));
	} else {
		printf("%s%s%s:%u -> %s%s%s:%u", lb, src, rb, ntohs(k->sport),
		       lb, dst, rb, ntohs(k->dport));
	}
	printf(" zone %u orig %llu/%llu reply %llu/%llu\n", k->zone,
	       (unsigned long long)r->sum.packets[FLOW_DIR_ORIG],
	       (unsigned long long)r->sum.bytes[FLOW_DIR_ORIG],
	       (unsigned long long)r->sum.packets[FLOW_DIR_REPLY],
	       (unsigned long long)r->sum.bytes[FLOW_DIR_REPLY]);
}

static uint32_t default_max_flows(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_max", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? (uint32_t)v : 65536;
}

static void usage(void)
{
	fprintf(stderr, "usage: acct_dump [--acct auto|netfilter|fentry|kprobe|"
		"conntrack] [--counter-map slots|lru] [--max-flows N] "
		"[--ready-file PATH] [SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "acct", required_argument, NULL, 'a' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "counter-map", required_argument, NULL, 'l' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct acct_opts ao = {
		.kind = ACCT_NETFILTER,
		.layout = ACCT_LAYOUT_SLOTS,
		.max_flows = default_max_flows(),
		.sel = 0,	/* every flow, as conntrack -L lists them */
	};
	const char *ready = NULL;
	struct rows rows = { 0 };
	struct acct_stats st;
	struct acct *acct;
	struct sigaction sa;
	char err[512], *end;
	double secs = -1;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (acct_kind_parse(optarg, &ao.kind))
				usage();
			break;
		case 'l':
			if (acct_layout_parse(optarg, &ao.layout))
				usage();
			break;
		case 'm':
			ao.max_flows = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !ao.max_flows)
				usage();
			break;
		case 'r':
			ready = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind < argc) {
		secs = strtod(argv[optind], &end);
		if (*end || secs < 0)
			usage();
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	rc = acct_open(&acct, &ao, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "acct_dump: %s\n", err);
		return 1;
	}
	fprintf(stderr, "acct_dump: using %s accounting (%s counter map)\n",
		acct_kind_name(acct_kind_of(acct)),
		acct_layout_name(acct_layout_of(acct)));
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f) {
			fprintf(stderr, "acct_dump: cannot create %s: %s\n",
				ready, strerror(errno));
			acct_close(acct);
			return 1;
		}
		fclose(f);
	}

	if (secs >= 0) {
		struct timespec ts = { (time_t)secs,
				       (long)((secs - (time_t)secs) * 1e9) };

		while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
	} else {
		while (!stop)
			pause();
	}

	rc = acct_read(acct, collect, &rows);
	if (rc || rows.oom) {
		fprintf(stderr, "acct_dump: reading the counter map failed: %s\n",
			strerror(rc ? -rc : ENOMEM));
		acct_close(acct);
		free(rows.v);
		return 1;
	}
	acct_get_stats(acct, &st);
	if (rows.n)
		qsort(rows.v, rows.n, sizeof(*rows.v), cmp_row);
	for (i = 0; i < rows.n; i++)
		print_row(&rows.v[i]);
	printf("# entries %llu evictions %llu read_ns %llu\n",
	       (unsigned long long)st.entries,
	       (unsigned long long)st.evictions,
	       (unsigned long long)st.read_ns);
	acct_close(acct);
	free(rows.v);
	return 0;
}
