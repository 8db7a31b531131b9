// SPDX-License-Identifier: GPL-2.0
/*
 * acct_read_bench: how long one acct_read takes for F flows.
 *
 * Loads and attaches the netfilter backend in a private network namespace
 * (so no real traffic reaches it), fills the counter map with F distinct
 * keys from userspace, then times acct_read over several rounds. It also
 * times the bare bpf_map_lookup_batch walk at several batch sizes, to show
 * what the batch size buys and how much of acct_read is the kernel copy.
 *
 *   acct_read_bench [-n FLOWS] [-r ROUNDS]     (default 262144 flows, 10 rounds)
 *
 * Goal from issue 2: <= 100 ms per read at 262144 flows on a 2-CPU machine.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "acct.h"

/* batch size for the layout comparison (acct.c uses its own) */
#define ACCT_BENCH_BATCH	16384

struct tally {
	uint64_t keys;
	uint64_t packets;
};

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/*
 * CPU time of this thread (the kernel's walk included): unlike wall time it
 * does not grow when other work on the machine preempts the benchmark.
 */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

static bool count(const struct flow_key *key, const struct flow_counters *sum,
		  void *arg)
{
	struct tally *t = arg;

	(void)key;
	t->keys++;
	t->packets += sum->packets[FLOW_DIR_ORIG] + sum->packets[FLOW_DIR_REPLY];
	return true;
}

/* i-th synthetic UDP flow: 198.51.100.0/24 -> 203.0.113.0/24, ports vary */
static void make_key(struct flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->family = 2;
	k->proto = 17;
	k->src[0] = htobe32(0xc6336400u | (i & 0xff));
	k->dst[0] = htobe32(0xcb007100u | ((i >> 8) & 0xff));
	k->sport = htobe16((uint16_t)(1024 + (i >> 16)));
	k->dport = htobe16(53);
}

static int fill(int fd, uint32_t flows, int ncpus)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const uint32_t chunk = 8192;
	struct flow_counters *vals;
	struct flow_key *keys;
	uint32_t i, j, n;
	int rc = 0, c;

	keys = calloc(chunk, sizeof(*keys));
	vals = calloc((size_t)chunk * ncpus, sizeof(*vals));
	if (!keys || !vals) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < flows; i += n) {
		n = flows - i < chunk ? flows - i : chunk;
		for (j = 0; j < n; j++) {
			make_key(&keys[j], i + j);
			for (c = 0; c < ncpus; c++) {
				struct flow_counters *v = &vals[(size_t)j * ncpus + c];

				v->packets[0] = 1;
				v->packets[1] = 1;
				v->bytes[0] = 100;
				v->bytes[1] = 200;
			}
		}
		rc = bpf_map_update_batch(fd, keys, vals, &n, &opts);
		if (rc)
			break;
	}
out:
	free(keys);
	free(vals);
	return rc;
}

/* The bare kernel walk with one batch size: keys seen, or -errno. */
static long raw_walk(int fd, uint32_t batch, int ncpus)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct flow_key *keys = calloc(batch, sizeof(*keys));
	struct flow_counters *vals = calloc((size_t)batch * ncpus, sizeof(*vals));
	uint32_t in = 0, out = 0, n;
	long total = 0;
	int first = 1, rc;

	if (!keys || !vals) {
		total = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = batch;
		rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					  vals, &n, &opts);
		if (rc && rc != -ENOENT) {
			total = rc;
			break;
		}
		total += n;
		if (rc == -ENOENT)
			break;
		in = out;
		first = 0;
	}
out:
	free(keys);
	free(vals);
	return total;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Median wall and CPU ms of rounds bare walks of fd with batch size. */
static long time_walk(int fd, uint32_t batch, int ncpus, int rounds,
		      double *wall, double *cpu, double *scratch)
{
	double *w = scratch, *c = scratch + rounds, t0, c0;
	long n = 0;
	int r;

	for (r = 0; r < rounds; r++) {
		t0 = now_ms();
		c0 = cpu_ms();
		n = raw_walk(fd, batch, ncpus);
		c[r] = cpu_ms() - c0;
		w[r] = now_ms() - t0;
		if (n < 0)
			return n;
	}
	*wall = median(w, rounds);
	*cpu = median(c, rounds);
	return n;
}

/*
 * The same walk over other map layouts the counters could live in, for
 * the choice of layout: shared (not per-CPU) values are copied once instead
 * of once per possible CPU, and the last line is the memory floor, a read
 * of F counters straight from memory as an mmap()ed array would allow.
 */
static void layouts(uint32_t flows, int ncpus, int rounds, double *scratch)
{
	static const struct {
		enum bpf_map_type type;
		const char *name;
		int percpu;
	} l[] = {
		{ BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash", 1 },
		{ BPF_MAP_TYPE_LRU_HASH, "lru_hash (shared)", 0 },
		{ BPF_MAP_TYPE_HASH, "hash (shared)", 0 },
	};
	struct flow_counters *mem;
	double wall, cpu, t0;
	unsigned int i;
	uint64_t sum;
	uint32_t k;
	long n;
	int fd, r;

	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		fd = bpf_map_create(l[i].type, NULL, sizeof(struct flow_key),
				    sizeof(struct flow_counters),
				    flows + 256 * ncpus, NULL);
		if (fd < 0) {
			printf("layout %-18s: cannot create: %s\n", l[i].name,
			       strerror(-fd));
			continue;
		}
		n = fill(fd, flows, l[i].percpu ? ncpus : 1);
		if (!n)
			n = time_walk(fd, ACCT_BENCH_BATCH, l[i].percpu ? ncpus : 1,
				      rounds, &wall, &cpu, scratch);
		close(fd);
		if (n < 0) {
			printf("layout %-18s: %s\n", l[i].name, strerror((int)-n));
			continue;
		}
		printf("layout %-18s: walk median %.1f ms wall, %.1f ms cpu\n",
		       l[i].name, wall, cpu);
	}

	mem = calloc(flows, sizeof(*mem));
	if (!mem)
		return;
	for (k = 0; k < flows; k++)
		mem[k].packets[0] = k;
	for (r = 0; r < rounds; r++) {
		t0 = cpu_ms();
		sum = 0;
		for (k = 0; k < flows; k++)
			sum += mem[k].packets[0] + mem[k].packets[1] +
			       mem[k].bytes[0] + mem[k].bytes[1];
		scratch[r] = cpu_ms() - t0;
		if (sum == 1)	/* keeps the loop */
			printf("?\n");
	}
	printf("layout %-18s: read median %.2f ms cpu (memory floor)\n",
	       "flat array", median(scratch, rounds));
	free(mem);
}

int main(int argc, char **argv)
{
	static const uint32_t batches[] = { 256, 1024, 4096, 16384, 65536, 262144 };
	uint32_t flows = 262144;
	int rounds = 10, opt, ncpus, fd, rc, r;
	double *wall, *cpu, *scratch, t0, c0, wmed, cmed;
	struct acct_stats st;
	struct acct *acct;
	char err[512];
	unsigned int b;
	long n;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		switch (opt) {
		case 'n':
			flows = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: acct_read_bench [-n FLOWS] [-r ROUNDS]\n");
			return 2;
		}
	}
	if (!flows || rounds <= 0) {
		fprintf(stderr, "acct_read_bench: -n and -r must be positive\n");
		return 2;
	}
	/* the hooks go into a namespace of our own: no real packets counted */
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "acct_read_bench: unshare(CLONE_NEWNET): %s "
			"(run as root)\n", strerror(errno));
		return 1;
	}
	wall = calloc(rounds, sizeof(double));
	cpu = calloc(rounds, sizeof(double));
	scratch = calloc(2 * (size_t)rounds, sizeof(double));
	if (!wall || !cpu || !scratch) {
		fprintf(stderr, "acct_read_bench: out of memory\n");
		return 1;
	}
	struct acct_opts ao = { .kind = ACCT_NETFILTER,
				.layout = ACCT_LAYOUT_LRU, .max_flows = flows };
	rc = acct_open(&acct, &ao, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "acct_read_bench: %s\n", err);
		return 1;
	}
	fd = acct_map_fd(acct);
	ncpus = libbpf_num_possible_cpus();
	t0 = now_ms();
	rc = fill(fd, flows, ncpus);
	if (rc) {
		fprintf(stderr, "acct_read_bench: filling the map failed: %s\n",
			strerror(-rc));
		acct_close(acct);
		return 1;
	}
	printf("flows %u, possible cpus %d, fill %.1f ms\n", flows, ncpus,
	       now_ms() - t0);

	for (r = 0; r < rounds; r++) {
		struct tally t = { 0 };

		c0 = cpu_ms();
		rc = acct_read(acct, count, &t);
		cpu[r] = cpu_ms() - c0;
		if (rc) {
			fprintf(stderr, "acct_read_bench: acct_read: %s\n",
				strerror(-rc));
			acct_close(acct);
			return 1;
		}
		acct_get_stats(acct, &st);
		wall[r] = st.read_ns / 1e6;
		/* every key read once, with the per-CPU values summed */
		if (t.keys != flows || t.packets != 2ull * ncpus * flows) {
			fprintf(stderr, "acct_read_bench: read %llu keys / %llu "
				"packets, expected %u / %llu\n",
				(unsigned long long)t.keys,
				(unsigned long long)t.packets, flows,
				2ull * ncpus * flows);
			acct_close(acct);
			return 1;
		}
	}
	wmed = median(wall, rounds);	/* sorts: wall[0] is the minimum */
	cmed = median(cpu, rounds);
	printf("acct_read: %d rounds, wall median %.1f ms (min %.1f, max %.1f), "
	       "cpu median %.1f ms, %.2f M keys/s, entries %llu\n", rounds,
	       wmed, wall[0], wall[rounds - 1], cmed, flows / wmed / 1e3,
	       (unsigned long long)st.entries);

	for (b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		double w, c;

		n = time_walk(fd, batches[b], ncpus, rounds, &w, &c, scratch);
		if (n < 0)
			printf("lookup_batch %6u: %s\n", batches[b],
			       strerror((int)-n));
		else
			printf("lookup_batch %6u: walk median %.1f ms wall, "
			       "%.1f ms cpu, %ld keys\n", batches[b], w, c, n);
	}
	acct_close(acct);

	layouts(flows, ncpus, rounds, scratch);
	free(wall);
	free(cpu);
	free(scratch);
	return 0;
}
