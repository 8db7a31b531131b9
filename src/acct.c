// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow counters: backend choice, load/attach of the BPF counting
 * program (bpf/flowacct.bpf.c) with the counter layout asked for, and the
 * dispatch to that layout's read (acct_slots.c, acct_lru.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "acct.h"
#include "acct_internal.h"
#include "filter.h"
#include "nf_link.h"
#include "flowacct.skel.h"
#include "util.h"
#include "log.h"

#define NFPROTO_IPV4		2
#define NFPROTO_IPV6		10
#define NF_INET_PRE_ROUTING	0
#define NF_INET_LOCAL_OUT	3
/* NF_IP_PRI_CONNTRACK is -200: run right after conntrack attached _nfct */
#define ACCT_NF_PRIORITY	(-199)
/* and right before it: does the packet arrive with an entry already? */
#define ACCT_NF_PRE_PRIORITY	(-201)

/*
 * The LRU map keeps up to 128 free nodes per CPU in local lists and evicts
 * to refill them once the global free list runs short, so it starts
 * evicting before max_entries keys are in it. Room for that per CPU keeps
 * max_flows live keys from being evicted.
 */
#define ACCT_LRU_SLACK_PER_CPU	256

/* must match bpf/flowacct.bpf.c */
#define BPF_LAYOUT_SLOTS	0
#define BPF_LAYOUT_LRU		1

enum acct_kind acct_kind_of(const struct acct *acct)
{
	return acct->kind;
}

enum acct_layout acct_layout_of(const struct acct *acct)
{
	return acct->layout;
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
	flowtop_vlog(FT_LOG_WARN, fmt, ap);
	return 0;
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

/* want[] of the BPF program: which protocols count, per family */
static void fill_want(volatile uint8_t *want, unsigned int sel)
{
	unsigned int p;

	for (p = 0; p < 256; p++) {
		uint8_t w = 0;

		if (!sel || sel_match(sel, AF_INET, (uint8_t)p))
			w |= 1;
		if (!sel || sel_match(sel, AF_INET6, (uint8_t)p))
			w |= 2;
		want[p] = w;
	}
}

static int set_sizes(struct flowacct_bpf *skel, const struct acct_opts *o,
		     uint32_t lru_entries, uint32_t nslots)
{
	bool slots = o->layout == ACCT_LAYOUT_SLOTS;
	int err;

	/* the other layout's maps: as small as a map can be */
	err = bpf_map__set_max_entries(skel->maps.counters,
				       slots ? 1 : lru_entries);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.slot_of,
					       slots ? nslots : 1);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.free_slots,
					       slots ? nslots : 1);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.slot_keys,
					       slots ? nslots : 1);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.slot_counters,
					       slots ? nslots : 1);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.slot_owner,
					       slots ? nslots : 1);
	return err;
}

/*
 * Opens the skeleton with only kind's program to load. Loading verifies it;
 * the map sizes and the layout are set here since they are fixed at load.
 */
static int skel_load(struct flowacct_bpf **out, const struct acct_opts *o,
		     uint32_t lru_entries, uint32_t nslots, char *why,
		     size_t len)
{
	struct flowacct_bpf *skel;
	struct bpf_program *prog;
	int err, ncpus;

	libbpf_set_print(libbpf_print);
	skel = flowacct_bpf__open();
	if (!skel) {
		err = -errno;
		setmsg(why, len, "cannot open the BPF object: %s",
		       strerror(-err));
		return err;
	}
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == kind_prog(skel, o->kind) ||
					  (o->kind == ACCT_NETFILTER &&
					   prog == skel->progs.flowacct_nf_pre));
	if (o->kind == ACCT_NETFILTER) {
		/* libbpf 1.1 does not know SEC("netfilter") (added in 1.2) */
		bpf_program__set_type(skel->progs.flowacct_nf,
				      NF_LINK_PROG_TYPE);
		bpf_program__set_expected_attach_type(skel->progs.flowacct_nf,
						      NF_LINK_ATTACH_TYPE);
		bpf_program__set_type(skel->progs.flowacct_nf_pre,
				      NF_LINK_PROG_TYPE);
		bpf_program__set_expected_attach_type(skel->progs.flowacct_nf_pre,
						      NF_LINK_ATTACH_TYPE);
	}
	skel->rodata->layout = o->layout == ACCT_LAYOUT_LRU ? BPF_LAYOUT_LRU :
			       BPF_LAYOUT_SLOTS;
	skel->rodata->nslots = nslots;
	ncpus = libbpf_num_possible_cpus();
	skel->rodata->ncpus = ncpus > 0 ? (uint32_t)ncpus : 1;
	fill_want(skel->rodata->want, o->sel);
	err = set_sizes(skel, o, lru_entries, nslots);
	if (!err)
		err = flowacct_bpf__load(skel);
	if (err) {
		err = err < 0 ? err : -EINVAL;
		setmsg(why, len, "cannot load the %s program (%s counters): %s",
		       acct_kind_name(o->kind), acct_layout_name(o->layout),
		       strerror(-err));
		flowacct_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static int attach_netfilter(struct acct *a, char *why, size_t len)
{
	/* the one before conntrack first: the counting one relies on it */
	static const struct {
		uint32_t pf, hook;
		bool pre;
	} hooks[ACCT_NF_LINKS] = {
		{ NFPROTO_IPV4, NF_INET_PRE_ROUTING, true },
		{ NFPROTO_IPV4, NF_INET_LOCAL_OUT, true },
		{ NFPROTO_IPV6, NF_INET_PRE_ROUTING, true },
		{ NFPROTO_IPV6, NF_INET_LOCAL_OUT, true },
		{ NFPROTO_IPV4, NF_INET_PRE_ROUTING, false },
		{ NFPROTO_IPV4, NF_INET_LOCAL_OUT, false },
		{ NFPROTO_IPV6, NF_INET_PRE_ROUTING, false },
		{ NFPROTO_IPV6, NF_INET_LOCAL_OUT, false },
	};
	int prog_fd = bpf_program__fd(a->skel->progs.flowacct_nf);
	int pre_fd = bpf_program__fd(a->skel->progs.flowacct_nf_pre);
	bool have_ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	int i, fd;

	for (i = 0; i < ACCT_NF_LINKS; i++) {
		if (hooks[i].pf == NFPROTO_IPV6 && !have_ipv6)
			continue;	/* booted with ipv6.disable=1 */
		fd = nf_link_create(hooks[i].pre ? pre_fd : prog_fd,
				    hooks[i].pf, hooks[i].hook,
				    hooks[i].pre ? ACCT_NF_PRE_PRIORITY :
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

static void release(struct acct *a)
{
	int i;

	for (i = 0; i < a->nnf_links; i++)
		close(a->nf_links[i]);
	a->nnf_links = 0;
	bpf_link__destroy(a->probe_link);
	a->probe_link = NULL;
	acct_slots_free(a);
	acct_lru_free(a);
	flowacct_bpf__destroy(a->skel);
	a->skel = NULL;
	free(a->statv);
	a->statv = NULL;
	acct_forgetvec_free(&a->forget);
}

static void reset(struct acct *a, enum acct_layout layout)
{
	memset(a, 0, sizeof(*a));
	a->layout = layout;
	a->map_fd = a->stats_fd = -1;
	a->sl.slot_of_fd = a->sl.free_fd = a->sl.owner_fd = -1;
}

/* Loads and attaches one BPF backend into a (reset). */
static int open_bpf(struct acct *a, const struct acct_opts *o, char *why,
		    size_t len)
{
	uint64_t entries;
	uint32_t nslots;
	int err;

	a->kind = o->kind;
	a->ncpus = libbpf_num_possible_cpus();
	if (a->ncpus <= 0) {
		err = a->ncpus < 0 ? a->ncpus : -EINVAL;
		setmsg(why, len, "cannot count possible CPUs: %s",
		       strerror(-err));
		return err;
	}
	entries = (uint64_t)o->max_flows + (uint64_t)a->ncpus *
		  ACCT_LRU_SLACK_PER_CPU;
	if (entries > UINT32_MAX)
		entries = UINT32_MAX;
	nslots = acct_slots_count(o->max_flows);
	err = skel_load(&a->skel, o, (uint32_t)entries, nslots, why, len);
	if (err)
		return err;
	a->stats_fd = bpf_map__fd(a->skel->maps.stats);
	a->statv = calloc(a->ncpus, sizeof(*a->statv));
	if (!a->statv) {
		setmsg(why, len, "out of memory for the counter statistics");
		err = -ENOMEM;
	} else if (a->layout == ACCT_LAYOUT_LRU) {
		a->map_fd = bpf_map__fd(a->skel->maps.counters);
		err = acct_lru_alloc(a);
		if (err)
			setmsg(why, len, "out of memory for the counter read "
			       "buffers");
	} else {
		a->sl.nslots = nslots;
		a->sl.slot_of_fd = bpf_map__fd(a->skel->maps.slot_of);
		a->sl.free_fd = bpf_map__fd(a->skel->maps.free_slots);
		a->sl.owner_fd = bpf_map__fd(a->skel->maps.slot_owner);
		err = acct_slots_init(a, bpf_map__fd(a->skel->maps.slot_keys),
				      bpf_map__fd(a->skel->maps.slot_counters),
				      (volatile uint64_t *)&a->skel->bss->slot_next,
				      why, len);
	}
	if (!err)
		err = o->kind == ACCT_NETFILTER ? attach_netfilter(a, why, len) :
		      attach_probe(a, o->kind, why, len);
	if (err)
		release(a);
	return err;
}

int acct_open(struct acct **out, const struct acct_opts *opts,
	      char *err, size_t errlen)
{
	static const enum acct_kind order[] = {
		ACCT_NETFILTER, ACCT_FENTRY, ACCT_KPROBE,
	};
	enum acct_kind want = opts->kind;
	uint32_t max_flows = opts->max_flows;
	struct acct_opts o = *opts;
	char why[256];
	struct acct *a;
	unsigned int i;
	int rc;

	*out = NULL;
	if (opts->layout != ACCT_LAYOUT_SLOTS &&
	    opts->layout != ACCT_LAYOUT_LRU) {
		setmsg(err, errlen, "unknown counter layout %d", opts->layout);
		return -EINVAL;
	}
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
	reset(a, opts->layout);

	if (want == ACCT_CONNTRACK)
		goto conntrack;

	rc = bpf_usable(why, sizeof(why));
	if (rc) {
		if (want == ACCT_AUTO) {
			flowtop_log(FT_LOG_WARN, "flowtop: BPF unavailable (%s); trying "
					 "conntrack\n", why);
			goto conntrack;
		}
		setmsg(err, errlen, "%s accounting: BPF unavailable: %s; use "
		       "--acct=conntrack", acct_kind_name(want), why);
		free(a);
		return rc;
	}

	if (want != ACCT_AUTO) {
		rc = open_bpf(a, &o, why, sizeof(why));
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
		o.kind = order[i];
		rc = open_bpf(a, &o, why, sizeof(why));
		if (!rc) {
			*out = a;
			return 0;
		}
		reset(a, opts->layout);
		/*
		 * No permission for BPF at all: the probes would fail the
		 * same way (fentry alone is refused with EPERM under lockdown).
		 */
		if (rc == -EPERM && order[i] != ACCT_FENTRY) {
			flowtop_log(FT_LOG_WARN, "flowtop: BPF unavailable (%s: %s); "
					 "trying conntrack\n", why,
					 kind_hint(order[i], rc));
			break;
		}
		flowtop_log(FT_LOG_WARN, "flowtop: %s accounting unavailable (%s); "
				 "trying %s\n", acct_kind_name(order[i]), why,
				 i + 1 < sizeof(order) / sizeof(order[0]) ?
				 acct_kind_name(order[i + 1]) : "conntrack");
	}
conntrack:
	a->kind = ACCT_CONNTRACK;
	*out = a;
	return 0;
}

uint64_t acct_now_ns(void)
{
	return mono_ns();
}

int acct_bpf_stats_sum(struct acct *a, struct acct_bpf_stats *sum)
{
	uint32_t zero = 0;
	int i;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(a->stats_fd, &zero, a->statv))
		return -errno;
	for (i = 0; i < a->ncpus; i++) {
		sum->inserts += a->statv[i].inserts;
		sum->insert_errors += a->statv[i].insert_errors;
		sum->skipped_related += a->statv[i].skipped_related;
		sum->skipped_loopback += a->statv[i].skipped_loopback;
		sum->no_room += a->statv[i].no_room;
		sum->skipped_unselected += a->statv[i].skipped_unselected;
		sum->owner_changes += a->statv[i].owner_changes;
	}
	return 0;
}

int acct_read(struct acct *a, acct_read_fn fn, void *arg)
{
	if (a->kind == ACCT_CONNTRACK)
		return 0;
	if (a->layout == ACCT_LAYOUT_LRU)
		return acct_lru_read(a, fn, arg);
	return acct_slots_read(a, fn, arg);
}

int acct_keyvec_push(struct acct_keyvec *kv, const struct flow_key *key)
{
	struct flow_key *n;
	size_t cap;

	if (kv->n == kv->cap) {
		cap = kv->cap ? kv->cap * 2 : 1024;
		n = realloc(kv->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		kv->v = n;
		kv->cap = cap;
	}
	kv->v[kv->n++] = *key;
	return 0;
}

void acct_keyvec_free(struct acct_keyvec *kv)
{
	free(kv->v);
	kv->v = NULL;
	kv->n = kv->cap = 0;
}

void acct_forgetvec_free(struct acct_forgetvec *fv)
{
	free(fv->v);
	fv->v = NULL;
	fv->n = fv->cap = 0;
}

int acct_forget_conn(struct acct *a, const struct flow_key *key,
		     uint64_t start_ns)
{
	struct acct_forgetvec *fv = &a->forget;
	struct acct_forget_ent *n;
	size_t cap;

	if (a->kind == ACCT_CONNTRACK)
		return 0;
	if (fv->n == fv->cap) {
		cap = fv->cap ? fv->cap * 2 : 1024;
		n = realloc(fv->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		fv->v = n;
		fv->cap = cap;
	}
	fv->v[fv->n].key = *key;
	fv->v[fv->n].start = start_ns;
	fv->v[fv->n].deferred = false;
	fv->n++;
	return 0;
}

int acct_forget(struct acct *a, const struct flow_key *key)
{
	return acct_forget_conn(a, key, 0);
}

enum acct_forget_verdict acct_forget_decide(const struct acct_forget_ent *e,
					    bool have_owner,
					    const struct flow_owner *owner)
{
	/* no start known (no timestamps), or no entry: as before owners */
	if (e->start <= FLOW_STAMP_CONFIRMED || !have_owner || !owner->ct)
		return ACCT_FORGET_DELETE;
	if (owner->stamp == e->start)
		return ACCT_FORGET_DELETE;
	/* another start: a newer connection restarted the entry already,
	 * and the flow table will hear of it (NEW) */
	if (owner->stamp > FLOW_STAMP_CONFIRMED)
		return ACCT_FORGET_KEEP;
	/*
	 * Not confirmed (or no start yet): a new connection's first packets,
	 * or the destroyed one seen only before its confirmation (a packet
	 * never answered). A new one's NEW event comes right after its
	 * confirmation and cancels this forget (acct_reused); else it goes.
	 */
	return e->deferred ? ACCT_FORGET_DELETE : ACCT_FORGET_DEFER;
}

void acct_unqueue_forget(struct acct *a, const struct flow_key *key)
{
	size_t i;

	/*
	 * A queued delete of the same tuple would otherwise remove the new
	 * flow's counters after the next read. Tuple reuse is rare, so a
	 * scan of the queue is cheap enough.
	 */
	for (i = 0; i < a->forget.n; ) {
		if (!memcmp(&a->forget.v[i].key, key, sizeof(*key)))
			a->forget.v[i] = a->forget.v[--a->forget.n];
		else
			i++;
	}
}

int acct_reused(struct acct *a, const struct flow_key *key)
{
	if (a->kind == ACCT_CONNTRACK)
		return 0;
	acct_unqueue_forget(a, key);
	if (a->layout == ACCT_LAYOUT_SLOTS)
		acct_slots_reused(a, key);
	return 0;
}

int acct_forget_now(struct acct *a, const struct flow_key *key)
{
	if (a->kind == ACCT_CONNTRACK)
		return 0;
	acct_unqueue_forget(a, key);
	if (a->layout == ACCT_LAYOUT_LRU)
		return acct_lru_forget_now(a, key);
	return acct_slots_forget_now(a, key);
}

int acct_set(struct acct *a, const struct flow_key *keys,
	     const struct flow_counters *vals, uint32_t n)
{
	if (a->kind == ACCT_CONNTRACK)
		return -EINVAL;
	if (a->layout == ACCT_LAYOUT_LRU)
		return acct_lru_set(a, keys, vals, n);
	return acct_slots_set(a, keys, vals, n);
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
	static const enum acct_layout layouts[] = {
		ACCT_LAYOUT_SLOTS, ACCT_LAYOUT_LRU,
	};
	struct acct_opts o = { .kind = kind, .max_flows = 1024 };
	struct flowacct_bpf *skel = NULL;
	char why[256];
	unsigned int i;
	int rc;

	if (kind != ACCT_NETFILTER && kind != ACCT_FENTRY &&
	    kind != ACCT_KPROBE) {
		setmsg(err, errlen, "%s accounting has no BPF program to load",
		       acct_kind_name(kind));
		return -EINVAL;
	}
	rc = bpf_usable(why, sizeof(why));
	/* each layout is a different program for the verifier */
	for (i = 0; !rc && i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		o.layout = layouts[i];
		rc = skel_load(&skel, &o, 1024, acct_slots_count(1024), why,
			       sizeof(why));
		if (!rc)
			flowacct_bpf__destroy(skel);
	}
	if (rc) {
		setmsg(err, errlen, "%s accounting: %s (%s)",
		       acct_kind_name(kind), why, kind_hint(kind, rc));
		return rc;
	}
	return 0;
}
