// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF counting program (bpf/flowacct.bpf.c) for the backends that
 * have one: loading it with a layout's map sizes, attaching it to the
 * netfilter hooks or to nf_ct_acct_add, detaching and releasing it, and
 * its statistics. The layouts (acct_slots.c, acct_lru.c) use this; it
 * knows nothing of them.
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

#include "acct_internal.h"
#include "filter.h"
#include "nf_link.h"
#include "flowacct.skel.h"
#include "log.h"

#define setmsg acct_setmsg

#define NFPROTO_IPV4		2
#define NFPROTO_IPV6		10
#define NF_INET_PRE_ROUTING	0
#define NF_INET_LOCAL_OUT	3
/* NF_IP_PRI_CONNTRACK is -200: run right after conntrack attached _nfct */
#define ACCT_NF_PRIORITY	(-199)
/* and right before it: does the packet arrive with an entry already? */
#define ACCT_NF_PRE_PRIORITY	(-201)

/* must match bpf/flowacct.bpf.c */
#define BPF_LAYOUT_SLOTS	0
#define BPF_LAYOUT_LRU		1

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
int acct_bpf_usable(char *why, size_t len)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		setmsg(why, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux "
		       "missing; needs CONFIG_DEBUG_INFO_BTF)");
		return -ENOTSUP;
	}
	return 0;
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
/*
 * The length of a jiffy, in which conntrack counts its timeouts: the
 * coarse clocks tick with them, so their resolution is one (TICK_NSEC).
 * 0 when that does not look like a jiffy (HZ from 24 to 10000 is what
 * Linux can be built with): the program then leaves the flows' ends
 * unknown and the collector asks the kernel instead.
 */
static uint32_t jiffy_ns(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) || res.tv_sec ||
	    res.tv_nsec < 100000 || res.tv_nsec > 50000000)
		return 0;
	return (uint32_t)res.tv_nsec;
}

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
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.slot_expires,
					       slots ? nslots : 1);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.slot_marks, slots ?
					       (uint32_t)(((uint64_t)nslots + 63) / 64) : 1);
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
	skel->rodata->tick_ns = jiffy_ns();
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

/*
 * Loads kind's program with the layout asked for into a: a->kind,
 * a->ncpus, a->skel, the statistics map and buffer. On failure nothing
 * stays loaded.
 */
int acct_bpf_load(struct acct *a, const struct acct_opts *o,
		  uint32_t lru_entries, uint32_t nslots, char *why, size_t len)
{
	int err;

	a->kind = o->kind;
	a->ncpus = libbpf_num_possible_cpus();
	if (a->ncpus <= 0) {
		err = a->ncpus < 0 ? a->ncpus : -EINVAL;
		setmsg(why, len, "cannot count possible CPUs: %s",
		       strerror(-err));
		return err;
	}
	err = skel_load(&a->skel, o, lru_entries, nslots, why, len);
	if (err)
		return err;
	a->stats_fd = bpf_map__fd(a->skel->maps.stats);
	a->statv = calloc(a->ncpus, sizeof(*a->statv));
	if (!a->statv) {
		setmsg(why, len, "out of memory for the counter statistics");
		acct_bpf_release(a);
		return -ENOMEM;
	}
	return 0;
}

int acct_bpf_load_only(const struct acct_opts *o, uint32_t lru_entries,
		       uint32_t nslots, char *why, size_t len)
{
	struct flowacct_bpf *skel = NULL;
	int err = skel_load(&skel, o, lru_entries, nslots, why, len);

	if (!err)
		flowacct_bpf__destroy(skel);
	return err;
}

int acct_bpf_attach(struct acct *a, char *why, size_t len)
{
	return a->kind == ACCT_NETFILTER ? attach_netfilter(a, why, len) :
	       attach_probe(a, a->kind, why, len);
}

void acct_bpf_detach(struct acct *a)
{
	int i;

	for (i = 0; i < a->nnf_links; i++)
		close(a->nf_links[i]);
	a->nnf_links = 0;
	bpf_link__destroy(a->probe_link);
	a->probe_link = NULL;
}

void acct_bpf_release(struct acct *a)
{
	acct_bpf_detach(a);
	flowacct_bpf__destroy(a->skel);
	a->skel = NULL;
	free(a->statv);
	a->statv = NULL;
	acct_forgetvec_free(&a->forget);
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
