/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-flow counters: the backend choice, BPF load/attach and the
 * once-per-interval read of the counter map. The conntrack backend has no
 * BPF part: its counters come with the conntrack dump (see ct.h); this
 * module only records that it was chosen.
 */
#ifndef FLOWTOP_ACCT_H
#define FLOWTOP_ACCT_H

#include <stddef.h>
#include <stdint.h>

#include "flow_key.h"

enum acct_kind {
	ACCT_AUTO = 0,
	ACCT_NETFILTER,	/* BPF_PROG_TYPE_NETFILTER after conntrack (Linux >= 6.4) */
	ACCT_FENTRY,	/* fentry/nf_ct_acct_add (Linux >= 5.7 with BTF) */
	ACCT_KPROBE,	/* kprobe/nf_ct_acct_add (CONFIG_KPROBES) */
	ACCT_CONNTRACK,	/* no BPF: the kernel's nf_conntrack_acct counters */
};

/*
 * fentry/kprobe see nf_ct_acct_add(ct, dir, packets, bytes), the kernel's
 * own accounting call: it is made for every accounted packet whether or not
 * nf_conntrack_acct is on (the function itself checks for the acct
 * extension), so these backends count right without the sysctl. main.c
 * enables it for them anyway, like for conntrack, so that `conntrack -L`
 * shows the same numbers for comparison.
 */
const char *acct_kind_name(enum acct_kind kind);
/* 0 and *kind set, or -EINVAL for an unknown name */
int acct_kind_parse(const char *name, enum acct_kind *kind);

struct acct;

struct acct_stats {
	uint64_t entries;	/* keys in the counter map at the last read */
	uint64_t evictions;	/* keys the LRU map dropped to make room */
	uint64_t read_ns;	/* duration of the last acct_read */
};

/*
 * Opens the backend want with room for max_flows keys. ACCT_AUTO tries
 * netfilter, fentry, kprobe, then conntrack, printing one notice line per
 * fallback on stderr. On failure returns a negative errno and writes a
 * one-line reason (what failed and what to do) into err.
 */
int acct_open(struct acct **out, enum acct_kind want, uint32_t max_flows,
	      char *err, size_t errlen);

enum acct_kind acct_kind_of(const struct acct *acct);

/*
 * Reads the whole counter map once, sums per-CPU values and calls fn for
 * each key. Then deletes the keys queued with acct_forget. For the
 * conntrack backend it does nothing and returns 0.
 */
int acct_read(struct acct *acct,
	      void (*fn)(const struct flow_key *key,
			 const struct flow_counters *sum, void *arg),
	      void *arg);

/* Queue key for deletion after the next acct_read (the flow was destroyed). */
int acct_forget(struct acct *acct, const struct flow_key *key);

/* Delete key now (a new flow reuses the tuple of one not yet forgotten). */
int acct_forget_now(struct acct *acct, const struct flow_key *key);

void acct_get_stats(const struct acct *acct, struct acct_stats *st);

/*
 * The counter map's fd (BPF_MAP_TYPE_LRU_PERCPU_HASH, struct flow_key ->
 * struct flow_counters per CPU), or -1 for the conntrack backend. For
 * tests and benchmarks that fill or inspect the map directly.
 */
int acct_map_fd(const struct acct *acct);

void acct_close(struct acct *acct);

/*
 * Loads (verifier included) the program of kind without attaching it.
 * For tests and diagnostics: shows that a backend's program is valid on
 * kernels where it cannot attach. 0 or a negative errno.
 */
int acct_load_only(enum acct_kind kind, char *err, size_t errlen);

#endif
