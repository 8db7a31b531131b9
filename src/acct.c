// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow counters: the backend chosen once at open, then every call goes
 * through its operations (struct acct_ops, acct_internal.h), as the
 * kernel's maps go through bpf_map_ops. Implementations: acct_slots.c and
 * acct_lru.c (the BPF program's two counter layouts, for any of its
 * hooks) and acct_conntrack.c (the kernel's own counters, no BPF).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "acct_internal.h"
#include "log.h"

#define setmsg acct_setmsg

/* indexed by enum acct_layout: the BPF backends' implementations */
static const struct acct_ops *const layout_ops[] = {
	[ACCT_LAYOUT_SLOTS] = &acct_slots_ops,
	[ACCT_LAYOUT_LRU] = &acct_lru_ops,
};

enum acct_kind acct_kind_of(const struct acct *acct)
{
	return acct->kind;
}

enum acct_layout acct_layout_of(const struct acct *acct)
{
	return acct->layout;
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

static void reset(struct acct *a, enum acct_layout layout)
{
	memset(a, 0, sizeof(*a));
	a->layout = layout;
	a->map_fd = a->stats_fd = -1;
}

/* a (reset) runs ops from here on, or is left reset on failure */
static int open_ops(struct acct *a, const struct acct_ops *ops,
		    const struct acct_opts *o, char *why, size_t len)
{
	int rc;

	a->ops = ops;
	rc = ops->open(a, o, why, len);
	if (rc)
		reset(a, o->layout);
	return rc;
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
	const struct acct_ops *bpf_ops;
	struct acct *a;
	unsigned int i;
	int rc;

	*out = NULL;
	if ((unsigned int)opts->layout >=
	    sizeof(layout_ops) / sizeof(layout_ops[0])) {
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
	/* the layout picks the implementation; the kind only the hooks */
	bpf_ops = layout_ops[opts->layout];
	a = calloc(1, sizeof(*a));
	if (!a) {
		setmsg(err, errlen, "out of memory for the accounting state");
		return -ENOMEM;
	}
	reset(a, opts->layout);

	if (want == ACCT_CONNTRACK)
		goto conntrack;

	rc = acct_bpf_usable(why, sizeof(why));
	if (rc) {
		if (want == ACCT_AUTO) {
			flowtop_log(FT_LOG_WARN, "flowtop: BPF unavailable (%s); "
				    "trying conntrack\n", why);
			goto conntrack;
		}
		setmsg(err, errlen, "%s accounting: BPF unavailable: %s; use "
		       "--acct=conntrack", acct_kind_name(want), why);
		free(a);
		return rc;
	}

	if (want != ACCT_AUTO) {
		rc = open_ops(a, bpf_ops, &o, why, sizeof(why));
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
		rc = open_ops(a, bpf_ops, &o, why, sizeof(why));
		if (!rc) {
			*out = a;
			return 0;
		}
		/*
		 * No permission for BPF at all: the probes would fail the
		 * same way (fentry alone is refused with EPERM under lockdown).
		 */
		if (rc == -EPERM && order[i] != ACCT_FENTRY) {
			flowtop_log(FT_LOG_WARN, "flowtop: BPF unavailable "
				    "(%s: %s); trying conntrack\n", why,
				    kind_hint(order[i], rc));
			break;
		}
		flowtop_log(FT_LOG_WARN, "flowtop: %s accounting unavailable "
			    "(%s); trying %s\n", acct_kind_name(order[i]), why,
			    i + 1 < sizeof(order) / sizeof(order[0]) ?
			    acct_kind_name(order[i + 1]) : "conntrack");
	}
conntrack:
	o.kind = ACCT_CONNTRACK;
	rc = open_ops(a, &acct_conntrack_ops, &o, why, sizeof(why));
	if (rc) {
		setmsg(err, errlen, "conntrack accounting: %s", why);
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int acct_read(struct acct *a, acct_read_fn fn, void *arg)
{
	return acct_read_prefetched(a, fn, NULL, arg);
}

int acct_read_prefetched(struct acct *a, acct_read_fn fn,
			 acct_prefetch_fn pre, void *arg)
{
	int rc;

	a->pre = pre;
	a->read_hint = 0;
	rc = a->ops->read(a, fn, arg);
	a->pre = NULL;
	a->read_hint = 0;
	return rc;
}

void acct_set_read_deadline(struct acct *a, uint64_t mono_ns)
{
	a->read_until = mono_ns;
}

uint64_t acct_read_hint(const struct acct *a)
{
	return a->read_hint;
}

int acct_forget_conn(struct acct *a, const struct flow_key *key,
		     uint64_t start_ns)
{
	return a->ops->forget(a, key, start_ns);
}

int acct_forget(struct acct *a, const struct flow_key *key)
{
	return acct_forget_conn(a, key, 0);
}

int acct_reused(struct acct *a, const struct flow_key *key)
{
	return a->ops->reused(a, key);
}

void acct_prefetch(struct acct *a, uint64_t hash, bool reuse, int stage)
{
	if (a->ops->prefetch)
		a->ops->prefetch(a, hash, reuse, stage);
}

int acct_forget_now(struct acct *a, const struct flow_key *key)
{
	return a->ops->forget_now(a, key);
}

int acct_set(struct acct *a, const struct flow_key *keys,
	     const struct flow_counters *vals, uint32_t n)
{
	return a->ops->set(a, keys, vals, n);
}

int acct_expires(struct acct *a, const struct flow_key *key,
		 struct flow_end *end)
{
	return a->ops->expires ? a->ops->expires(a, key, end) : -EOPNOTSUPP;
}

bool acct_kernel_counters(const struct acct *a)
{
	return a->ops->kernel_counters;
}

void acct_get_stats(const struct acct *a, struct acct_stats *st)
{
	*st = a->st;
}

int acct_map_fd(const struct acct *a)
{
	return a->map_fd;
}

void acct_close(struct acct *a)
{
	if (!a)
		return;
	a->ops->close(a);
	free(a);
}

int acct_load_only(enum acct_kind kind, char *err, size_t errlen)
{
	static const enum acct_layout layouts[] = {
		ACCT_LAYOUT_SLOTS, ACCT_LAYOUT_LRU,
	};
	struct acct_opts o = { .kind = kind, .max_flows = 1024 };
		char why[256];
	unsigned int i;
	int rc;

	if (kind != ACCT_NETFILTER && kind != ACCT_FENTRY &&
	    kind != ACCT_KPROBE) {
		setmsg(err, errlen, "%s accounting has no BPF program to load",
		       acct_kind_name(kind));
		return -EINVAL;
	}
	rc = acct_bpf_usable(why, sizeof(why));
	/* each layout is a different program for the verifier */
	for (i = 0; !rc && i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		o.layout = layouts[i];
		rc = acct_bpf_load_only(&o, 1024, acct_slots_count(1024), why,
					sizeof(why));
	}
	if (rc) {
		setmsg(err, errlen, "%s accounting: %s (%s)",
		       acct_kind_name(kind), why, kind_hint(kind, rc));
		return rc;
	}
	return 0;
}
