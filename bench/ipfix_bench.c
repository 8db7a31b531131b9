// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of the IPFIX export at scale: a synthetic snapshot of N flows
 * (default 262144: IPv4/IPv6, TCP/UDP/ICMP, one in eight NAT'd) goes
 * through the meter and the libfixbuf encoder, every flow producing a
 * record (the worst interval: all flows at their active timeout, or all
 * ending). Prints CPU seconds and records per second for
 *   meter    the record/delta logic alone
 *   file     meter + encoding, messages written to /dev/null
 *   udp      meter + encoding + sendto() over loopback to a local socket
 *            (1420-byte messages, as on the wire)
 * and the steady interval where no flow is due (meter bookkeeping only).
 * Each interval's snapshot is built as the collector builds one (rows of
 * a flow table, read back through snapshot_flow); its building is not
 * timed.
 *
 *	ipfix_bench [FLOWS] [ROUNDS]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipfix.h"
/* snapshots built as flowtop builds them: a flow table, snapshot_build */
#include "../tests/unit/snap_of_flows.h"

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_flows(struct flow *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct flow_key *k = &f[i].key, *r = &f[i].reply;
		uint8_t proto = i % 3 == 0 ? IPPROTO_TCP :
				i % 3 == 1 ? IPPROTO_UDP : IPPROTO_ICMP;

		memset(&f[i], 0, sizeof(f[i]));
		if (i % 4 == 3) {
			k->family = AF_INET6;
			k->src[0] = htonl(0x20010db8);
			k->src[3] = htonl((uint32_t)i);
			k->dst[0] = htonl(0x20010db8);
			k->dst[3] = htonl(0x10000u + (uint32_t)(i % 1000));
			if (proto == IPPROTO_ICMP)
				proto = IPPROTO_ICMPV6;
		} else {
			k->family = AF_INET;
			k->src[0] = htonl(0xc0000200u + (uint32_t)(i & 0xff));
			k->dst[0] = htonl(0xc6336400u + (uint32_t)(i % 200));
		}
		k->proto = proto;
		k->sport = htons((uint16_t)(1024 + i % 60000));
		k->dport = htons((uint16_t)(i >> 16) + 1);
		*r = *k;
		memcpy(r->src, k->dst, sizeof(r->src));
		memcpy(r->dst, k->src, sizeof(r->dst));
		r->sport = k->dport;
		r->dport = k->sport;
		if (i % 8 == 0) {	/* masqueraded */
			r->dst[0] = htonl(0xcb007101);
			r->dport = htons(40000);
		}
		f[i].ct_id = (uint32_t)i;
		f[i].counters_valid = true;
		f[i].start_ns = 1700000000ull * 1000000000ull;
	}
}

static void bump(struct flow *f, size_t n, uint64_t round)
{
	for (size_t i = 0; i < n; i++) {
		f[i].total.packets[0] = round * 10 + i % 7;
		f[i].total.bytes[0] = round * 10000 + i;
		f[i].total.packets[1] = round * 5;
		f[i].total.bytes[1] = round * 3000;
	}
}

static int count_only(const struct ipfix_record *r, void *arg)
{
	(void)r;
	(*(uint64_t *)arg)++;
	return 0;
}

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char buf[65536];

	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	return NULL;
}

/* the snapshot of f at time t, as the collector would build it */
static struct snapshot *snap_at(const struct flow *f, size_t n, double t)
{
	struct snapshot_meta m = { .seq = 1, .time = t, .interval = 1 };
	struct snapshot *s = snapshot_of_flows(f, n, &m);

	if (!s) {
		fprintf(stderr, "ipfix_bench: out of memory\n");
		exit(1);
	}
	return s;
}

enum mode { MODE_METER, MODE_FILE, MODE_UDP };

/* One interval where every flow is due: rounds x N records. */
static void run(const char *name, enum mode mode, struct flow *f, size_t n,
		int rounds)
{
	struct ipfix_meter *m = ipfix_meter_new(1);	/* 1 s: all due */
	struct ipfix_encoder *enc = NULL;
	struct ipfix_encoder_stats es = { 0 };
	struct snapshot *s;
	char err[256];
	uint64_t recs = 0;
	double t = 1700000100.0, c0, w0, c = 0, w = 0;

	if (mode == MODE_FILE &&
	    ipfix_encoder_open_file(&enc, "/dev/null", 1, err, sizeof(err))) {
		fprintf(stderr, "ipfix_bench: %s\n", err);
		exit(1);
	}
	if (mode == MODE_UDP &&
	    ipfix_encoder_open_net(&enc, "127.0.0.1", 47390, IPFIX_UDP, 1,
				   err, sizeof(err))) {
		fprintf(stderr, "ipfix_bench: %s\n", err);
		exit(1);
	}
	/* first sight: no record yet */
	bump(f, n, 1);
	s = snap_at(f, n, t);
	ipfix_meter_process(m, s, count_only, &recs);
	snapshot_put(s);
	recs = 0;
	/* the export alone is timed, not the building of the snapshots */
	for (int r = 0; r < rounds; r++) {
		bump(f, n, (uint64_t)r + 2);
		t += 2.0;
		s = snap_at(f, n, t);
		c0 = cpu_s();
		w0 = wall_s();
		if (enc) {
			ipfix_meter_process(m, s, ipfix_encoder_emit, enc);
			ipfix_encoder_flush(enc);
		} else {
			ipfix_meter_process(m, s, count_only, &recs);
		}
		c += cpu_s() - c0;
		w += wall_s() - w0;
		snapshot_put(s);
	}
	if (enc) {
		ipfix_encoder_get_stats(enc, &es);
		recs = es.records;
	}
	printf("%-7s %8zu flows x %d: %9llu records, CPU %.3f s per interval "
	       "(wall %.3f s), %.2f M records/s of CPU%s\n", name, n, rounds,
	       (unsigned long long)recs, c / rounds, w / rounds,
	       (double)recs / c / 1e6,
	       es.lost ? " (records lost)" : "");
	ipfix_encoder_close(enc);
	ipfix_meter_free(m);
}

/* The common interval: no flow due, only the bookkeeping per snapshot. */
static void run_idle(struct flow *f, size_t n, int rounds)
{
	struct ipfix_meter *m = ipfix_meter_new(3600);
	struct snapshot *s = snap_at(f, n, 1700000100.0);
	uint64_t recs = 0;
	double c0, c;

	ipfix_meter_process(m, s, count_only, &recs);
	c0 = cpu_s();
	for (int r = 0; r < rounds; r++) {
		s->meta.time += 1.0;
		ipfix_meter_process(m, s, count_only, &recs);
	}
	c = cpu_s() - c0;
	snapshot_put(s);
	printf("%-7s %8zu flows x %d: %9llu records, CPU %.3f s per interval "
	       "(no flow due)\n", "idle", n, rounds, (unsigned long long)recs,
	       c / rounds);
	ipfix_meter_free(m);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 262144;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	struct flow *f = calloc(n, sizeof(*f));
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(47390),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int rcv = socket(AF_INET, SOCK_DGRAM, 0), big = 64 << 20;
	pthread_t th;
	struct rusage ru;

	if (!f || n == 0 || rounds <= 0) {
		fprintf(stderr, "usage: ipfix_bench [FLOWS] [ROUNDS]\n");
		return 2;
	}
	make_flows(f, n);
	run_idle(f, n, rounds);
	run("meter", MODE_METER, f, n, rounds);
	run("file", MODE_FILE, f, n, rounds);
	/* a local receiver so that the sends are real and nothing is refused */
	setsockopt(rcv, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (rcv < 0 || bind(rcv, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("ipfix_bench: receiver on 127.0.0.1:47390");
		return 1;
	}
	pthread_create(&th, NULL, drain, &rcv);
	run("udp", MODE_UDP, f, n, rounds);
	shutdown(rcv, SHUT_RDWR);
	getrusage(RUSAGE_SELF, &ru);
	printf("max RSS %.0f MiB (the synthetic snapshot is %.0f MiB)\n",
	       (double)ru.ru_maxrss / 1024,
	       (double)n * sizeof(*f) / (1 << 20));
	free(f);
	return 0;
}
