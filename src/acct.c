// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow counters: backend choice, load/attach of the BPF counting
 * program (bpf/flowacct.bpf.c) and the once-per-interval read of its
 * per-CPU LRU hash with batch lookups.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "acct.h"
#include "nf_link.h"
#include "flowacct.skel.h"

#define NFPROTO_IPV4		2
#define NFPROTO_IPV6		10
#define NF_INET_PRE_ROUTING	0
#define NF_INET_LOCAL_OUT	3
/* NF_IP_PRI_CONNTRACK is -200: run right after conntrack attached _nfct */
#define ACCT_NF_PRIORITY	(-199)

/*
 * Keys per lookup batch. A batch never splits a hash bucket, so it must
 * exceed the longest bucket (a handful); bigger batches mean fewer
 * syscalls, and bench/acct_read_bench.c shows the gain flattening out
 * above a few thousand.
 */
#define ACCT_BATCH		16384

/*
 * The LRU map keeps up to 128 free nodes per CPU in local lists and evicts
 * to refill them once the global free list runs short, so it starts
 * evicting before max_entries keys are in it. Room for that per CPU keeps
 * max_flows live keys from being evicted.
 */
#define ACCT_LRU_SLACK_PER_CPU	256

#define ACCT_NF_LINKS		4

struct acct {
	enum acct_kind kind;
	struct flowacct_bpf *skel;
	struct bpf_link *probe_link;	/* fentry / kprobe */
	int nf_links[ACCT_NF_LINKS];
	int nnf_links;
	int map_fd;
	int stats_fd;
	int ncpus;

	/* batch buffers, allocated once */
	uint32_t batch;
	struct flow_key *keys;
	struct flow_counters *vals;	/* batch * ncpus */
	struct acct_bpf_stats *statv;	/* ncpus */

	/* keys queued by acct_forget, deleted after the next read */
	struct flow_key *forget;
	size_t nforget;
	size_t forget_cap;

	uint64_t deleted;	/* keys we deleted */
	struct acct_stats st;
};

static const char *const kind_names[] = {
	[ACCT_AUTO] = "auto",
	[ACCT_NETFILTER] = "netfilter",
	[ACCT_FENTRY] = "fentry",
	[ACCT_KPROBE] = "kprobe",
	[ACCT_CONNTRACK] = "conntrack",
};

const char *acct_kind_name(enum acct_kind kind)
{
	if ((unsigned int)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

int acct_kind_parse(const char *name, enum acct_kind *kind)
{
	unsigned int i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (!strcmp(name, kind_names[i])) {
			*kind = (enum acct_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum acct_kind acct_kind_of(const struct acct *acct)
{
	return acct->kind;
}

static void setmsg(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void setmsg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * libbpf prints the verifier log and every failed probe on stderr, which
 * would bury our one-line reasons (and an expected fallback is not an
 * error). FLOWTOP_BPF_DEBUG=1 lets it through for diagnosis.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	static int debug = -1;

	if (debug < 0)
		debug = getenv("FLOWTOP_BPF_DEBUG") != NULL;
	if (!debug || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* 0, or -errno and a reason when BPF cannot work at all on this system */
static int bpf_usable(char *why, size_t len)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		setmsg(why, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux "
		       "missing; needs CONFIG_DEBUG_INFO_BTF)");
		return -ENOTSUP;
	}
	return 0;
}

static const char *kind_hint(enum acct_kind kind, int err)
{
	if (err == -EACCES)
		return "the verifier rejected it; FLOWTOP_BPF_DEBUG=1 shows "
		       "its log";
	if (err == -EPERM)
		return kind == ACCT_FENTRY ?
		       "the kernel refuses tracing programs: lockdown, a "
		       "security module, or no BPF trampoline support?" :
		       "run as root or with CAP_BPF, CAP_PERFMON and "
		       "CAP_NET_ADMIN";
	switch (kind) {
	case ACCT_NETFILTER:
		return "netfilter BPF programs need Linux >= 6.4";
	case ACCT_FENTRY:
		return "needs Linux >= 5.7 with BTF and BPF trampolines";
	case ACCT_KPROBE:
		return "kernel built without CONFIG_KPROBES?";
	default:
		return "";
	}
}

static const char *kind_alternatives(enum acct_kind kind)
{
	switch (kind) {
	case ACCT_NETFILTER:
		return "use --acct=fentry, --acct=kprobe or --acct=conntrack";
	case ACCT_FENTRY:
		return "use --acct=netfilter, --acct=kprobe or --acct=conntrack";
	case ACCT_KPROBE:
		return "use --acct=netfilter, --acct=fentry or --acct=conntrack";
	default:
		return "use --acct=conntrack";
	}
}

static struct bpf_program *kind_prog(struct flowacct_bpf *skel,
				     enum acct_kind kind)
{
	switch (kind) {
	case ACCT_NETFILTER:
		return skel->progs.flowacct_nf;
	case ACCT_FENTRY:
		return skel->progs.flowacct_fentry;
	case ACCT_KPROBE:
		return skel->progs.flowacct_kprobe;
	default:
		return NULL;
	}
}

/*
 * Opens the skeleton with only kind's program to load. Loading verifies it;
 * the map sizes are set here since they are fixed at load.
 */
static int skel_load(struct flowacct_bpf **out, enum acct_kind kind,
		     uint32_t max_entries, char *why, size_t len)
{
	struct flowacct_bpf *skel;
	struct bpf_program *prog;
	int err;

	libbpf_set_print(libbpf_print);
	skel = flowacct_bpf__open();
	if (!skel) {
		err = -errno;
		setmsg(why, len, "cannot open the BPF object: %s",
		       strerror(-err));
		return err;
	}
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == kind_prog(skel, kind));
	if (kind == ACCT_NETFILTER) {
		/* libbpf 1.1 does not know SEC("netfilter") (added in 1.2) */
		bpf_program__set_type(skel->progs.flowacct_nf,
				      NF_LINK_PROG_TYPE);
		bpf_program__set_expected_attach_type(skel->progs.flowacct_nf,
						      NF_LINK_ATTACH_TYPE);
	}
	err = bpf_map__set_max_entries(skel->maps.counters, max_entries);
	if (!err)
		err = flowacct_bpf__load(skel);
	if (err) {
		err = err < 0 ? err : -EINVAL;
		setmsg(why, len, "cannot load the %s program: %s",
		       acct_kind_name(kind), strerror(-err));
		flowacct_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static int attach_netfilter(struct acct *a, char *why, size_t len)
{
	static const struct {
		uint32_t pf, hook;
	} hooks[ACCT_NF_LINKS] = {
		{ NFPROTO_IPV4, NF_INET_PRE_ROUTING },
		{ NFPROTO_IPV4, NF_INET_LOCAL_OUT },
		{ NFPROTO_IPV6, NF_INET_PRE_ROUTING },
		{ NFPROTO_IPV6, NF_INET_LOCAL_OUT },
	};
	int prog_fd = bpf_program__fd(a->skel->progs.flowacct_nf);
	bool have_ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	int i, fd;

	for (i = 0; i < ACCT_NF_LINKS; i++) {
		if (hooks[i].pf == NFPROTO_IPV6 && !have_ipv6)
			continue;	/* booted with ipv6.disable=1 */
		fd = nf_link_create(prog_fd, hooks[i].pf, hooks[i].hook,
				    ACCT_NF_PRIORITY);
		if (fd < 0) {
			setmsg(why, len, "cannot attach the netfilter program "
			       "(%s %s): %s",
			       hooks[i].pf == NFPROTO_IPV4 ? "ipv4" : "ipv6",
			       hooks[i].hook == NF_INET_PRE_ROUTING ?
			       "prerouting" : "output", strerror(-fd));
			return fd;
		}
		a->nf_links[a->nnf_links++] = fd;
	}
	return 0;
}

static int attach_probe(struct acct *a, enum acct_kind kind, char *why,
			size_t len)
{
	struct bpf_link *link;
	int err;

	if (kind == ACCT_FENTRY)
		link = bpf_program__attach_trace(a->skel->progs.flowacct_fentry);
	else
		link = bpf_program__attach_kprobe(a->skel->progs.flowacct_kprobe,
						  false, "nf_ct_acct_add");
	err = libbpf_get_error(link);
	if (err) {
		setmsg(why, len, "cannot attach %s to nf_ct_acct_add: %s",
		       acct_kind_name(kind), strerror(-err));
		return err;
	}
	a->probe_link = link;
	return 0;
}

static int alloc_buffers(struct acct *a, char *why, size_t len)
{
	a->batch = ACCT_BATCH;
	a->keys = calloc(a->batch, sizeof(*a->keys));
	a->vals = calloc((size_t)a->batch * a->ncpus, sizeof(*a->vals));
	a->statv = calloc(a->ncpus, sizeof(*a->statv));
	if (!a->keys || !a->vals || !a->statv) {
		setmsg(why, len, "out of memory for the counter read buffers");
		return -ENOMEM;
	}
	return 0;
}

static void release(struct acct *a)
{
	int i;

	for (i = 0; i < a->nnf_links; i++)
		close(a->nf_links[i]);
	a->nnf_links = 0;
	bpf_link__destroy(a->probe_link);
	a->probe_link = NULL;
	flowacct_bpf__destroy(a->skel);
	a->skel = NULL;
	free(a->keys);
	free(a->vals);
	free(a->statv);
	free(a->forget);
	a->keys = NULL;
	a->vals = NULL;
	a->statv = NULL;
	a->forget = NULL;
}

/* Loads and attaches one BPF backend into a (zeroed). */
static int open_bpf(struct acct *a, enum acct_kind kind, uint32_t max_flows,
		    char *why, size_t len)
{
	uint64_t entries;
	int err;

	a->kind = kind;
	a->ncpus = libbpf_num_possible_cpus();
	if (a->ncpus <= 0) {
		err = a->ncpus < 0 ? a->ncpus : -EINVAL;
		setmsg(why, len, "cannot count possible CPUs: %s",
		       strerror(-err));
		return err;
	}
	entries = (uint64_t)max_flows + (uint64_t)a->ncpus *
		  ACCT_LRU_SLACK_PER_CPU;
	if (entries > UINT32_MAX)
		entries = UINT32_MAX;
	err = skel_load(&a->skel, kind, (uint32_t)entries, why, len);
	if (err)
		return err;
	a->map_fd = bpf_map__fd(a->skel->maps.counters);
	a->stats_fd = bpf_map__fd(a->skel->maps.stats);
	err = alloc_buffers(a, why, len);
	if (!err)
		err = kind == ACCT_NETFILTER ? attach_netfilter(a, why, len) :
		      attach_probe(a, kind, why, len);
	if (err)
		release(a);
	return err;
}

int acct_open(struct acct **out, enum acct_kind want, uint32_t max_flows,
	      char *err, size_t errlen)
{
	static const enum acct_kind order[] = {
		ACCT_NETFILTER, ACCT_FENTRY, ACCT_KPROBE,
	};
	char why[256];
	struct acct *a;
	unsigned int i;
	int rc;

	*out = NULL;
	if (want > ACCT_CONNTRACK) {
		setmsg(err, errlen, "unknown accounting backend %d", want);
		return -EINVAL;
	}
	if (want != ACCT_CONNTRACK && max_flows == 0) {
		setmsg(err, errlen, "%s accounting: the counter map needs room "
		       "for at least one flow", acct_kind_name(want));
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		setmsg(err, errlen, "out of memory for the accounting state");
		return -ENOMEM;
	}
	a->map_fd = a->stats_fd = -1;

	if (want == ACCT_CONNTRACK)
		goto conntrack;

	rc = bpf_usable(why, sizeof(why));
	if (rc) {
		if (want == ACCT_AUTO) {
			fprintf(stderr, "flowtop: BPF unavailable (%s); trying "
				"conntrack\n", why);
			goto conntrack;
		}
		setmsg(err, errlen, "%s accounting: BPF unavailable: %s; use "
		       "--acct=conntrack", acct_kind_name(want), why);
		free(a);
		return rc;
	}

	if (want != ACCT_AUTO) {
		rc = open_bpf(a, want, max_flows, why, sizeof(why));
		if (rc == -EPERM && want != ACCT_FENTRY) {
			setmsg(err, errlen, "%s accounting: BPF unavailable: %s "
			       "(%s); or use --acct=conntrack",
			       acct_kind_name(want), why, kind_hint(want, rc));
			free(a);
			return rc;
		}
		if (rc) {
			setmsg(err, errlen, "%s accounting: %s (%s); %s",
			       acct_kind_name(want), why, kind_hint(want, rc),
			       kind_alternatives(want));
			free(a);
			return rc;
		}
		*out = a;
		return 0;
	}

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		rc = open_bpf(a, order[i], max_flows, why, sizeof(why));
		if (!rc) {
			*out = a;
			return 0;
		}
		memset(a, 0, sizeof(*a));
		a->map_fd = a->stats_fd = -1;
		/*
		 * No permission for BPF at all: the probes would fail the
		 * same way (fentry alone is refused with EPERM under lockdown).
		 */
		if (rc == -EPERM && order[i] != ACCT_FENTRY) {
			fprintf(stderr, "flowtop: BPF unavailable (%s: %s); "
				"trying conntrack\n", why,
				kind_hint(order[i], rc));
			break;
		}
		fprintf(stderr, "flowtop: %s accounting unavailable (%s); "
			"trying %s\n", acct_kind_name(order[i]), why,
			i + 1 < sizeof(order) / sizeof(order[0]) ?
			acct_kind_name(order[i + 1]) : "conntrack");
	}
conntrack:
	a->kind = ACCT_CONNTRACK;
	*out = a;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sum of the BPF program's insert counts over all CPUs. */
static int read_inserts(struct acct *a, uint64_t *inserts)
{
	uint32_t zero = 0;
	int i;

	if (bpf_map_lookup_elem(a->stats_fd, &zero, a->statv))
		return -errno;
	*inserts = 0;
	for (i = 0; i < a->ncpus; i++)
		*inserts += a->statv[i].inserts;
	return 0;
}

/* Deletes the keys queued by acct_forget; missing ones were evicted. */
static void flush_forget(struct acct *a)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t i = 0;
	uint32_t n;
	int rc;

	while (i < a->nforget) {
		n = (uint32_t)(a->nforget - i);
		rc = bpf_map_delete_batch(a->map_fd, a->forget + i, &n, &opts);
		a->deleted += n;
		if (!rc)
			break;
		/* the batch stops at the first failing key, index i + n */
		i += n;
		if (rc != -ENOENT) {
			/* e.g. no batch support: one key at a time */
			for (; i < a->nforget; i++)
				if (!bpf_map_delete_elem(a->map_fd,
							 a->forget + i))
					a->deleted++;
			break;
		}
		i++;	/* already evicted */
	}
	a->nforget = 0;
}

int acct_read(struct acct *a,
	      void (*fn)(const struct flow_key *key,
			 const struct flow_counters *sum, void *arg),
	      void *arg)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t start, inserts = 0, present = 0, ev;
	struct flow_counters sum;
	uint32_t in_tok = 0, out_tok = 0, count, i;
	int rc, c, have_inserts;
	bool first = true, done = false;

	if (a->kind == ACCT_CONNTRACK)
		return 0;
	start = now_ns();
	/*
	 * Inserts are read before the map: a key added during the walk then
	 * can only make the eviction estimate low (corrected next time),
	 * never count a live key as evicted.
	 */
	have_inserts = read_inserts(a, &inserts) == 0;

	while (!done) {
		count = a->batch;
		rc = bpf_map_lookup_batch(a->map_fd, first ? NULL : &in_tok,
					  &out_tok, a->keys, a->vals, &count,
					  &opts);
		if (rc) {
			if (rc == -ENOENT) {
				done = true;	/* last batch, may hold keys */
			} else {
				a->st.read_ns = now_ns() - start;
				return rc;
			}
		}
		for (i = 0; i < count; i++) {
			const struct flow_counters *v =
				a->vals + (size_t)i * a->ncpus;

			sum = v[0];
			for (c = 1; c < a->ncpus; c++) {
				sum.packets[0] += v[c].packets[0];
				sum.packets[1] += v[c].packets[1];
				sum.bytes[0] += v[c].bytes[0];
				sum.bytes[1] += v[c].bytes[1];
			}
			fn(&a->keys[i], &sum, arg);
		}
		present += count;
		in_tok = out_tok;
		first = false;
	}
	a->st.entries = present;
	if (have_inserts && inserts > a->deleted + present) {
		ev = inserts - a->deleted - present;
		if (ev > a->st.evictions)
			a->st.evictions = ev;
	}
	flush_forget(a);
	a->st.read_ns = now_ns() - start;
	return 0;
}

int acct_forget(struct acct *a, const struct flow_key *key)
{
	struct flow_key *n;
	size_t cap;

	if (a->kind == ACCT_CONNTRACK)
		return 0;
	if (a->nforget == a->forget_cap) {
		cap = a->forget_cap ? a->forget_cap * 2 : 1024;
		n = realloc(a->forget, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		a->forget = n;
		a->forget_cap = cap;
	}
	a->forget[a->nforget++] = *key;
	return 0;
}

int acct_forget_now(struct acct *a, const struct flow_key *key)
{
	size_t i;

	if (a->kind == ACCT_CONNTRACK)
		return 0;
	/*
	 * A queued delete of the same tuple would otherwise remove the new
	 * flow's counters after the next read. Tuple reuse is rare, so a
	 * scan of the queue is cheap enough.
	 */
	for (i = 0; i < a->nforget; ) {
		if (!memcmp(&a->forget[i], key, sizeof(*key)))
			a->forget[i] = a->forget[--a->nforget];
		else
			i++;
	}
	if (bpf_map_delete_elem(a->map_fd, key)) {
		if (errno == ENOENT)
			return 0;	/* never counted, or evicted */
		return -errno;
	}
	a->deleted++;
	return 0;
}

void acct_get_stats(const struct acct *a, struct acct_stats *st)
{
	*st = a->st;
}

int acct_map_fd(const struct acct *a)
{
	return a->kind == ACCT_CONNTRACK ? -1 : a->map_fd;
}

void acct_close(struct acct *a)
{
	if (!a)
		return;
	release(a);
	free(a);
}

int acct_load_only(enum acct_kind kind, char *err, size_t errlen)
{
	struct flowacct_bpf *skel = NULL;
	char why[256];
	int rc;

	if (kind != ACCT_NETFILTER && kind != ACCT_FENTRY &&
	    kind != ACCT_KPROBE) {
		setmsg(err, errlen, "%s accounting has no BPF program to load",
		       acct_kind_name(kind));
		return -EINVAL;
	}
	rc = bpf_usable(why, sizeof(why));
	if (!rc)
		rc = skel_load(&skel, kind, 1024, why, sizeof(why));
	if (rc) {
		setmsg(err, errlen, "%s accounting: %s (%s)",
		       acct_kind_name(kind), why, kind_hint(kind, rc));
		return rc;
	}
	flowacct_bpf__destroy(skel);
	return 0;
}
