// SPDX-License-Identifier: GPL-2.0
/*
 * The conntrack backend: no BPF, the kernel's own per-connection counters
 * (nf_conntrack_acct), which the conntrack dump brings (ct.c). Nothing to
 * load, read or forget here; it exists so that acct.c and the collector
 * treat every backend alike.
 */
#include <errno.h>

#include "acct_internal.h"

static int ct_open(struct acct *a, const struct acct_opts *o, char *why,
		   size_t len)
{
	(void)o;
	(void)why;
	(void)len;
	a->kind = ACCT_CONNTRACK;
	return 0;
}

static void ct_close(struct acct *a)
{
	(void)a;
}

/* ct_read_counters reads them, with the dump */
static int ct_read(struct acct *a, acct_read_fn fn, void *arg)
{
	(void)a;
	(void)fn;
	(void)arg;
	return 0;
}

/* the kernel drops a destroyed connection's counters itself */
static int ct_forget(struct acct *a, const struct flow_key *key,
		     uint64_t start_ns)
{
	(void)a;
	(void)key;
	(void)start_ns;
	return 0;
}

static int ct_key_op(struct acct *a, const struct flow_key *key)
{
	(void)a;
	(void)key;
	return 0;
}

/* the kernel's counters cannot be set */
static int ct_set(struct acct *a, const struct flow_key *keys,
		  const struct flow_counters *vals, uint32_t n)
{
	(void)a;
	(void)keys;
	(void)vals;
	(void)n;
	return -EINVAL;
}

const struct acct_ops acct_conntrack_ops = {
	.name = "conntrack",
	.kernel_counters = true,
	.open = ct_open,
	.close = ct_close,
	.read = ct_read,
	.forget = ct_forget,
	.reused = ct_key_op,
	.forget_now = ct_key_op,
	.set = ct_set,
};
