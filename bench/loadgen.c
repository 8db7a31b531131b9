// SPDX-License-Identifier: GPL-2.0
/*
 * loadgen — conntrack churn generator for flowtop's tests and benchmarks.
 *
 * Sends UDP datagrams (or TCP SYNs) with a different 5-tuple per packet
 * from a raw IPv4 socket (IP_HDRINCL, batched with sendmmsg), so that each
 * packet that reaches the namespace under test is a new conntrack flow
 * there. Meant to run inside a sender network namespace (ip netns exec)
 * whose only route to the destination range is a veth into the namespace
 * under test; it never sends anywhere else than the addresses it is given.
 *
 * Tuples are numbered 0 … F-1 (--flows) and cycled: tuple i is
 *   source  = src host (i mod nsrc)
 *   sport   = sport_lo + ((i / nsrc) mod nsport)
 *   dest    = dst host ((i / (nsrc * nsport)) mod ndst)
 *   dport   = dport_lo + ((i / (nsrc * nsport * ndst)) mod ndport)
 * so consecutive packets differ in source address first. With --rate R the
 * cycle takes F/R seconds; a namespace whose flow timeout is a little
 * shorter than F/R therefore sees every packet as a new flow and holds
 * about R × timeout flows (the tool prints the timeout to use).
 *
 * Bounded: stops after --duration seconds, --count packets, or (with
 * --burst and no duration) once every tuple was sent once.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX	256	/* packets per sendmmsg call */
#define PKT_MAX		128	/* bytes per packet buffer (IP + L4 + payload) */
#define DURATION_MAX	3600.0	/* hard upper bound on a run, seconds */
#define THREADS_MAX	64

struct range4 {
	uint32_t first;		/* host order */
	uint32_t count;
};

struct opts {
	struct range4 src, dst;
	uint32_t sport_lo, sport_n;
	uint32_t dport_lo, dport_n;
	int proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	double rate;		/* new tuples per second; 0 with --burst */
	bool burst;
	uint64_t flows;		/* F: tuples in the cycle */
	uint64_t start;		/* first tuple index */
	double duration;	/* seconds, 0 = not given */
	uint64_t count;		/* packets, 0 = not given */
	unsigned int payload;	/* UDP payload bytes */
	unsigned int batch;
	unsigned int threads;
	bool quiet;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: loadgen --rate R | --burst [options]\n"
"  --rate R          new tuples (packets) per second, paced in 1 ms slices\n"
"  --burst           send as fast as possible\n"
"  --flows F         distinct tuples to cycle through (default: rate x duration,\n"
"                    or the whole tuple space)\n"
"  --duration S      stop after S seconds (fractions allowed, max 3600)\n"
"  --count N         stop after N packets\n"
"  --start I         first tuple index (default 0), to continue a previous run\n"
"  --src CIDR        source range (default 198.51.100.0/24, .0 and .255 skipped)\n"
"  --dst CIDR|ADDR   destination range (default 203.0.113.0/24)\n"
"  --sport LO[-HI]   source ports (default 1024-65535)\n"
"  --dport LO[-HI]   destination ports (default 9)\n"
"  --tcp             send TCP SYNs instead of UDP datagrams\n"
"  --payload BYTES   UDP payload size (default 18, max 80)\n"
"  --batch N         packets per sendmmsg (default 64, max 256)\n"
"  --threads N       sending threads, each with its own socket and share of\n"
"                    the tuples and the rate (default 1)\n"
"  --quiet           print only the summary line\n"
"Runs inside a sender network namespace; traffic goes to --dst only.\n"
"Summary (stdout, one line): sent= tuples= cycles= seconds= rate= errors= cpu=\n");
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= min) || !(v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

/* "a.b.c.d" or "a.b.c.d/len"; for len <= 30 network and broadcast are skipped. */
static int parse_cidr(const char *s, struct range4 *r)
{
	char buf[64], *slash;
	struct in_addr a;
	uint64_t len = 32;
	uint32_t base, size;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_u64(slash + 1, 8, 32, &len))
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	if (len == 32) {
		r->first = ntohl(a.s_addr);
		r->count = 1;
		return 0;
	}
	size = (uint32_t)(1ULL << (32 - len));
	base = ntohl(a.s_addr) & ~(size - 1);
	if (len <= 30) {
		r->first = base + 1;
		r->count = size - 2;
	} else {
		r->first = base;
		r->count = size;
	}
	return 0;
}

static int parse_ports(const char *s, uint32_t *lo, uint32_t *n)
{
	char buf[32], *dash;
	uint64_t a, b;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_u64(buf, 1, 65535, &a))
		return -EINVAL;
	b = a;
	if (dash && parse_u64(dash + 1, a, 65535, &b))
		return -EINVAL;
	*lo = (uint32_t)a;
	*n = (uint32_t)(b - a + 1);
	return 0;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

struct tuple {
	uint32_t saddr, daddr;	/* host order */
	uint16_t sport, dport;
};

static void tuple_of(const struct opts *o, uint64_t i, struct tuple *t)
{
	t->saddr = o->src.first + (uint32_t)(i % o->src.count);
	i /= o->src.count;
	t->sport = (uint16_t)(o->sport_lo + i % o->sport_n);
	i /= o->sport_n;
	t->daddr = o->dst.first + (uint32_t)(i % o->dst.count);
	i /= o->dst.count;
	t->dport = (uint16_t)(o->dport_lo + i % o->dport_n);
}

/*
 * Writes one packet for tuple t into buf; returns its length. The kernel
 * fills in the IP checksum and ID for IP_HDRINCL sockets; the TCP checksum
 * must be right because conntrack verifies it in PRE_ROUTING
 * (nf_conntrack_checksum=1 by default). UDP over IPv4 may carry checksum 0.
 */
static size_t build_packet(const struct opts *o, const struct tuple *t,
			   uint64_t seq, uint8_t *buf)
{
	struct iphdr *ip = (struct iphdr *)buf;
	size_t l4len;

	memset(buf, 0, PKT_MAX);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	/* non-zero: spares the kernel an ID lookup (ip_select_ident) per packet */
	ip->id = htons((uint16_t)(seq | 1));
	ip->protocol = (uint8_t)o->proto;
	ip->saddr = htonl(t->saddr);
	ip->daddr = htonl(t->daddr);

	if (o->proto == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)(ip + 1);

		l4len = sizeof(*uh) + o->payload;
		uh->source = htons(t->sport);
		uh->dest = htons(t->dport);
		uh->len = htons((uint16_t)l4len);
		uh->check = 0;
		memcpy(uh + 1, "flowtop-loadgen-payload-flowtop-loadgen-payload-"
		       "flowtop-loadgen-payload-flowtop-", o->payload);
	} else {
		struct tcphdr *th = (struct tcphdr *)(ip + 1);
		uint32_t sum = 0;
		uint16_t w[2];

		l4len = sizeof(*th);
		th->source = htons(t->sport);
		th->dest = htons(t->dport);
		th->seq = htonl((uint32_t)(seq * 2654435761u));
		th->doff = 5;
		th->syn = 1;
		th->window = htons(64240);
		sum = csum_add(sum, &ip->saddr, 4);
		sum = csum_add(sum, &ip->daddr, 4);
		w[0] = htons(IPPROTO_TCP);
		w[1] = htons((uint16_t)l4len);
		sum = csum_add(sum, w, sizeof(w));
		sum = csum_add(sum, th, l4len);
		th->check = htons(csum_fold(sum));
	}
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + l4len));
	return sizeof(*ip) + l4len;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		if (stop_requested)
			return;
}

/* One sending thread: its own socket and a contiguous block of the cycle. */
struct worker {
	const struct opts *o;
	pthread_t thread;
	int fd;
	uint64_t lo, n;		/* tuple indices lo … lo+n-1 */
	uint64_t next;		/* offset of the next tuple inside the block */
	double rate;		/* this thread's share, 0 = burst */
	uint64_t count;		/* this thread's share of --count, 0 = none */
	double t0;
	uint64_t sent, errors;
	int err;
	uint8_t pkts[BATCH_MAX][PKT_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_in to[BATCH_MAX];
	struct mmsghdr msgs[BATCH_MAX];
};

/* Sends the next n packets of the worker's block (cycling). */
static int send_batch(struct worker *w, unsigned int n)
{
	unsigned int i, done = 0;
	struct tuple t;

	for (i = 0; i < n; i++) {
		uint64_t idx = w->lo + (w->next + i) % w->n;

		tuple_of(w->o, idx, &t);
		w->iov[i].iov_base = w->pkts[i];
		w->iov[i].iov_len = build_packet(w->o, &t, idx, w->pkts[i]);
		w->to[i].sin_family = AF_INET;
		w->to[i].sin_addr.s_addr = htonl(t.daddr);
		memset(&w->msgs[i], 0, sizeof(w->msgs[i]));
		w->msgs[i].msg_hdr.msg_name = &w->to[i];
		w->msgs[i].msg_hdr.msg_namelen = sizeof(w->to[i]);
		w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
		w->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < n) {
		int r = sendmmsg(w->fd, w->msgs + done, n - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				/* transient: that packet is lost; count it and go on */
				w->errors++;
				done++;
				continue;
			}
			return -errno;
		}
		done += (unsigned int)r;
		w->sent += (uint64_t)r;
	}
	w->next = (w->next + n) % w->n;
	return 0;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	const double slice = 0.001;	/* pacing granularity: 1 ms */

	for (;;) {
		uint64_t done = w->sent + w->errors, target;
		double elapsed = now_s() - w->t0;
		unsigned int n = o->batch;

		if (stop_requested || elapsed >= o->duration ||
		    (w->count && done >= w->count))
			break;
		if (w->rate > 0) {
			/* what should be out by the end of the current slice */
			double slice_end = (double)((uint64_t)(elapsed / slice) + 1) * slice;

			if (slice_end > o->duration)
				slice_end = o->duration;
			target = (uint64_t)(w->rate * slice_end);
			if (target <= done) {
				sleep_until(w->t0 + slice_end);
				continue;
			}
			if (target - done < n)
				n = (unsigned int)(target - done);
		}
		if (w->count && done + n > w->count)
			n = (unsigned int)(w->count - done);
		w->err = send_batch(w, n);
		if (w->err)
			break;
	}
	return NULL;
}

/*
 * The load is spoofed traffic meant for a test namespace: only send it from
 * a namespace made with `ip netns add` (bind-mounted under /run/netns), never
 * from the host's own, where the destination range may be routed somewhere
 * real (PID 1's namespace is not always visible, so that alone is no test).
 */
static int check_netns(void)
{
	static const char *const dirs[] = { "/run/netns", "/var/run/netns" };
	struct stat self, st;
	char path[512];

	if (stat("/proc/self/ns/net", &self)) {
		fprintf(stderr, "loadgen: cannot stat /proc/self/ns/net: %s\n",
			strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;
		bool found = false;

		if (!d)
			continue;
		while (!found && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
			found = !stat(path, &st) && st.st_dev == self.st_dev &&
				st.st_ino == self.st_ino;
		}
		closedir(d);
		if (found)
			return 0;
	}
	fprintf(stderr, "loadgen: not inside a network namespace made with 'ip netns add'; "
		"refusing to send spoofed load from here. Run it as "
		"'ip netns exec SENDER loadgen ...'\n");
	return -EPERM;
}

static int open_raw(void)
{
	int fd, one = 1, sndbuf = 4 << 20;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "loadgen: raw socket: %s (needs CAP_NET_RAW; run as root "
			"inside the sender namespace)\n", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		fprintf(stderr, "loadgen: IP_HDRINCL: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	/* a deep send buffer keeps sendmmsg from blocking on skb accounting */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return fd;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "burst", no_argument, NULL, 'B' },
		{ "flows", required_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "start", required_argument, NULL, 'S' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'D' },
		{ "sport", required_argument, NULL, 'p' },
		{ "dport", required_argument, NULL, 'P' },
		{ "tcp", no_argument, NULL, 'T' },
		{ "payload", required_argument, NULL, 'L' },
		{ "batch", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t space, v;
	int c, li = 0;

	memset(o, 0, sizeof(*o));
	parse_cidr("198.51.100.0/24", &o->src);
	parse_cidr("203.0.113.0/24", &o->dst);
	o->sport_lo = 1024;
	o->sport_n = 65535 - 1024 + 1;
	o->dport_lo = 9;
	o->dport_n = 1;
	o->proto = IPPROTO_UDP;
	o->payload = 18;
	o->batch = 64;
	o->threads = 1;

	while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		switch (c) {
		case 'r':
			if (parse_double(optarg, 1, 1e8, &o->rate))
				goto bad;
			break;
		case 'B':
			o->burst = true;
			break;
		case 'f':
			if (parse_u64(optarg, 1, UINT64_MAX, &o->flows))
				goto bad;
			break;
		case 'd':
			if (parse_double(optarg, 0.001, DURATION_MAX, &o->duration))
				goto bad;
			break;
		case 'c':
			if (parse_u64(optarg, 1, UINT64_MAX, &o->count))
				goto bad;
			break;
		case 'S':
			if (parse_u64(optarg, 0, UINT64_MAX, &o->start))
				goto bad;
			break;
		case 's':
			if (parse_cidr(optarg, &o->src))
				goto bad;
			break;
		case 'D':
			if (parse_cidr(optarg, &o->dst))
				goto bad;
			break;
		case 'p':
			if (parse_ports(optarg, &o->sport_lo, &o->sport_n))
				goto bad;
			break;
		case 'P':
			if (parse_ports(optarg, &o->dport_lo, &o->dport_n))
				goto bad;
			break;
		case 'T':
			o->proto = IPPROTO_TCP;
			break;
		case 'L':
			if (parse_u64(optarg, 0, 80, &v))
				goto bad;
			o->payload = (unsigned int)v;
			break;
		case 'b':
			if (parse_u64(optarg, 1, BATCH_MAX, &v))
				goto bad;
			o->batch = (unsigned int)v;
			break;
		case 'j':
			if (parse_u64(optarg, 1, THREADS_MAX, &v))
				goto bad;
			o->threads = (unsigned int)v;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "loadgen: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (o->burst == (o->rate > 0)) {
		fprintf(stderr, "loadgen: give exactly one of --rate R or --burst\n");
		usage(stderr);
		return -EINVAL;
	}
	space = (uint64_t)o->src.count * o->sport_n * o->dst.count * o->dport_n;
	if (!o->flows) {
		if (o->rate > 0 && o->duration > 0)
			o->flows = (uint64_t)(o->rate * o->duration + 0.5);
		else
			o->flows = space;
		if (o->flows > space)
			o->flows = space;
		if (!o->flows)
			o->flows = 1;
	}
	if (o->flows > space) {
		fprintf(stderr,
			"loadgen: --flows %llu exceeds the tuple space of %llu "
			"(sources x sports x destinations x dports); widen --sport or --dst\n",
			(unsigned long long)o->flows, (unsigned long long)space);
		return -EINVAL;
	}
	/* Bounded in time and count: a burst without limits sends F packets. */
	if (!o->duration && !o->count) {
		if (o->burst)
			o->count = o->flows;
		else
			o->duration = 10;
	}
	if (!o->duration)
		o->duration = DURATION_MAX;
	if (o->threads > o->flows)
		o->threads = (unsigned int)o->flows;
	return 0;
bad:
	fprintf(stderr, "loadgen: bad value '%s' for --%s\n", optarg,
		longopts[li].name);
	usage(stderr);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static struct worker workers[THREADS_MAX];
	uint64_t sent = 0, errors = 0, attempted, tuples;
	struct sigaction sa;
	struct opts o;
	unsigned int i;
	double t0, elapsed, cpu;
	struct rusage ru;
	int rc = 0;

	if (parse_args(argc, argv, &o))
		return 2;
	if (check_netns())
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!o.quiet) {
		fprintf(stderr, "loadgen: %s %s, %u thread(s), %llu tuples in the cycle",
			o.proto == IPPROTO_UDP ? "udp" : "tcp-syn",
			o.burst ? "burst" : "paced", o.threads,
			(unsigned long long)o.flows);
		if (o.rate > 0)
			fprintf(stderr, " (one cycle = %.2f s: a flow timeout below that makes "
				"every packet a new flow, holding ~rate x timeout)",
				(double)o.flows / o.rate);
		fputc('\n', stderr);
	}

	/* Each thread owns a contiguous block of the cycle and a share of it all. */
	for (i = 0; i < o.threads; i++) {
		struct worker *w = &workers[i];

		w->o = &o;
		w->lo = o.flows * i / o.threads;
		w->n = o.flows * (i + 1) / o.threads - w->lo;
		w->next = (o.start % o.flows) % w->n;
		w->rate = o.rate / o.threads;
		w->count = o.count ? o.count / o.threads + (i < o.count % o.threads) : 0;
		w->fd = open_raw();
		if (w->fd < 0)
			return 1;
	}
	t0 = now_s();
	for (i = 0; i < o.threads; i++) {
		workers[i].t0 = t0;
		if (pthread_create(&workers[i].thread, NULL, worker_run, &workers[i])) {
			fprintf(stderr, "loadgen: cannot start thread %u\n", i);
			stop_requested = 1;
			o.threads = i;
			rc = 1;
			break;
		}
	}
	for (i = 0; i < o.threads; i++) {
		pthread_join(workers[i].thread, NULL);
		sent += workers[i].sent;
		errors += workers[i].errors;
		if (workers[i].err && !rc) {
			fprintf(stderr, "loadgen: sendmmsg: %s (is there a route to the "
				"destination range in this namespace?)\n",
				strerror(-workers[i].err));
			rc = 1;
		}
		close(workers[i].fd);
	}
	elapsed = now_s() - t0;

	/*
	 * CPU time of all threads; the namespace under test's receive path
	 * (conntrack, events, BPF) mostly runs here too, in softirq on the
	 * sending CPU, so cpu/sent is roughly the kernel's cost per new flow.
	 */
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;

	attempted = sent + errors;
	tuples = attempted < o.flows ? attempted : o.flows;
	printf("sent=%llu tuples=%llu cycles=%.2f seconds=%.3f rate=%.0f errors=%llu cpu=%.2f\n",
	       (unsigned long long)sent, (unsigned long long)tuples,
	       (double)attempted / (double)o.flows, elapsed,
	       elapsed > 0 ? (double)sent / elapsed : 0.0,
	       (unsigned long long)errors, cpu);
	if (fflush(stdout))
		rc = 1;
	return rc;
}
