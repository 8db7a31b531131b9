// SPDX-License-Identifier: GPL-2.0
/*
 * ct_watch: the conntrack source on its own, for tests and measurements.
 * Dumps the table, applies events for a while, then prints the flows (one
 * sorted line each, easy to diff against `conntrack -L`) and the counters.
 *
 *   ct_watch [-4 -6 -T -U -D -I -S] [--rcvbuf BYTES] [--seconds S]
 *            [--idle MS] [--pause S] [--counters] [--quiet]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ct.h"
#include "ct_parse.h"
#include "filter.h"
#include "flowtab.h"
#include "names.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct hook_counts {
	unsigned long destroyed, reused;
};

static void on_destroyed(struct flow_rec *f, void *arg)
{
	(void)f;
	((struct hook_counts *)arg)->destroyed++;
}

static void on_reused(struct flow_rec *f, void *arg)
{
	(void)f;
	((struct hook_counts *)arg)->reused++;
}

/* one direction's tuple: "src=A dst=B sport=P dport=Q" or the ICMP fields */
static int tuple_str(const struct flow_key *k, const char *pfx, char *out, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->family == 10 ? AF_INET6 : AF_INET;
	const uint8_t *b = (const uint8_t *)&k->dport;

	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	if (k->proto == 1 || k->proto == 58)
		return snprintf(out, len, "%ssrc=%s %sdst=%s %stype=%u %scode=%u %sid=%u",
				pfx, s, pfx, d, pfx, b[0], pfx, b[1], pfx, ntohs(k->sport));
	return snprintf(out, len, "%ssrc=%s %sdst=%s %ssport=%u %sdport=%u",
			pfx, s, pfx, d, pfx, ntohs(k->sport), pfx, ntohs(k->dport));
}

struct lines {
	const struct flowtab *tab;
	char **v;
	size_t n, cap;
	bool counters;
};

static void collect(struct flow_rec *f, void *arg)
{
	struct lines *l = arg;
	char o[256], r[256], p[16], line[768];
	struct flow_key reply;
	int n;

	if (f->destroyed)
		return;
	flowtab_reply(l->tab, f, &reply);
	tuple_str(&f->key, "", o, sizeof(o));
	tuple_str(&reply, "r", r, sizeof(r));
	n = snprintf(line, sizeof(line), "flow %s %s %s %s zone=%u ctid=%u mark=%u state=",
		     f->key.family == 10 ? "ipv6" : "ipv4",
		     proto_name(f->key.proto, p, sizeof(p)), o, r, f->key.zone,
		     f->ct_id, flowtab_mark(l->tab, f));
	if (f->state == FLOW_STATE_NONE)
		n += snprintf(line + n, sizeof(line) - n, "-");
	else
		n += snprintf(line + n, sizeof(line) - n, "%u", f->state);
	n += snprintf(line + n, sizeof(line) - n, " start=%s",
		      flow_rec_start(f) ? "yes" : "no");
	if (l->counters && f->counters_valid)
		snprintf(line + n, sizeof(line) - n,
			 " packets=%llu/%llu bytes=%llu/%llu",
			 (unsigned long long)f->total.packets[0],
			 (unsigned long long)f->total.packets[1],
			 (unsigned long long)f->total.bytes[0],
			 (unsigned long long)f->total.bytes[1]);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v) {
			perror("realloc");
			exit(1);
		}
	}
	l->v[l->n++] = strdup(line);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct counter_walk {
	struct flowtab *tab;
	unsigned long n;
};

static void take_counters(const struct ct_entry *e, void *arg)
{
	struct counter_walk *w = arg;
	struct flow_rec *f = flowtab_lookup(w->tab, &e->key);
	struct flow_rates rates;

	w->n++;
	if (f)
		flow_counters_update(f, &e->counters, 0, &rates);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ct_watch [-4 -6 -T -U -D -I -S] [--rcvbuf BYTES] [--seconds S]\n"
		"                [--idle MS] [--pause S] [--counters] [--quiet]\n"
		"  --seconds S  apply events for S seconds after the dump (default 0)\n"
		"  --idle MS    stop earlier once no event came for MS milliseconds\n"
		"  --pause S    after the dump, wait S seconds before reading events\n"
		"               (they queue up: measures the event loop on a burst)\n"
		"  --counters   conntrack backend: print the kernel's counters\n"
		"  --quiet      print the stats line only\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 's' },
		{ "idle", required_argument, NULL, 'i' },
		{ "pause", required_argument, NULL, 'p' },
		{ "counters", no_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ct_config cfg = { 0 };
	unsigned int given = 0;
	double seconds = 0, pause_s = 0, idle_ms = 0;
	bool quiet = false;
	struct hook_counts hc = { 0 };
	struct ct_hooks hooks = { .destroyed = on_destroyed, .reused = on_reused,
				  .arg = &hc };
	struct ct_source *src;
	struct flowtab *tab;
	struct ct_stats st;
	struct lines lines = { 0 };
	char err[256];
	double t0, dump_s, busy_s = 0, last_event, end;
	uint64_t ev_before;
	int c, ret;

	while ((c = getopt_long(argc, argv, "46TUDISh", opts, NULL)) != -1) {
		switch (c) {
		case '4': given |= SEL_IPV4; break;
		case '6': given |= SEL_IPV6; break;
		case 'T': given |= SEL_TCP; break;
		case 'U': given |= SEL_UDP; break;
		case 'D': given |= SEL_DCCP; break;
		case 'I': given |= SEL_ICMP; break;
		case 'S': given |= SEL_SCTP; break;
		case 'b': cfg.rcvbuf = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'i': idle_ms = atof(optarg); break;
		case 'p': pause_s = atof(optarg); break;
		case 'c': cfg.counters = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	cfg.sel = sel_complete(given);
	lines.counters = cfg.counters;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	ret = ct_open(&src, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ct_watch: %s\n", err);
		return 1;
	}
	tab = flowtab_new(1024);
	if (!tab) {
		fprintf(stderr, "ct_watch: out of memory\n");
		return 1;
	}

	t0 = mono_s();
	ret = ct_resync(src, tab, &hooks);
	dump_s = mono_s() - t0;
	if (ret) {
		fprintf(stderr, "ct_watch: dump failed: %s\n", strerror(-ret));
		return 1;
	}
	fprintf(stderr, "ct_watch: dumped %zu flows in %.1f ms\n",
		flowtab_count(tab), dump_s * 1e3);
	if (pause_s > 0)
		usleep((useconds_t)(pause_s * 1e6));

	ct_get_stats(src, &st);
	ev_before = st.events;
	last_event = mono_s();
	end = last_event + seconds;
	while (!stop && mono_s() < end) {
		struct pollfd pfd = { .fd = ct_event_fd(src), .events = POLLIN };
		double left_ms = (end - mono_s()) * 1e3, now, t1;
		uint64_t before;

		if (idle_ms > 0 && left_ms > idle_ms)
			left_ms = idle_ms;
		if (poll(&pfd, 1, left_ms > 0 ? (int)left_ms + 1 : 0) < 0 && errno != EINTR)
			break;
		now = mono_s();
		if (!(pfd.revents & POLLIN)) {
			if (idle_ms > 0 && (now - last_event) * 1e3 >= idle_ms)
				break;
			continue;
		}
		ct_get_stats(src, &st);
		before = st.events + st.resyncs;
		t1 = now;
		ret = ct_process_events(src, tab, &hooks);
		busy_s += mono_s() - t1;
		if (ret) {
			fprintf(stderr, "ct_watch: events: %s\n", strerror(-ret));
			return 1;
		}
		ct_get_stats(src, &st);
		if (st.events + st.resyncs != before)
			last_event = mono_s();
	}

	if (cfg.counters) {
		struct counter_walk w = { .tab = tab };

		ret = ct_read_counters(src, take_counters, &w);
		if (ret)
			fprintf(stderr, "ct_watch: counters: %s\n", strerror(-ret));
	}

	ct_get_stats(src, &st);
	flowtab_reap_destroyed(tab);
	if (!quiet) {
		lines.tab = tab;
		flowtab_foreach(tab, collect, &lines);
		qsort(lines.v, lines.n, sizeof(*lines.v), cmp);
		for (size_t i = 0; i < lines.n; i++) {
			puts(lines.v[i]);
			free(lines.v[i]);
		}
		free(lines.v);
	}
	printf("stats flows=%zu events=%llu new=%llu destroyed=%llu enobufs=%llu "
	       "resyncs=%llu lost_events=%llu hook_destroyed=%lu hook_reused=%lu "
	       "dump_ms=%.1f busy_ms=%.1f events_per_s=%.0f\n",
	       flowtab_count(tab), (unsigned long long)st.events,
	       (unsigned long long)st.new_flows,
	       (unsigned long long)st.destroyed_flows,
	       (unsigned long long)st.enobufs, (unsigned long long)st.resyncs,
	       (unsigned long long)st.lost_events, hc.destroyed, hc.reused,
	       dump_s * 1e3, busy_s * 1e3,
	       busy_s > 0 ? (double)(st.events - ev_before) / busy_s : 0.0);
	ct_close(src);
	flowtab_free(tab);
	return 0;
}
