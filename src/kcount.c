// SPDX-License-Identifier: GPL-2.0
/* The kernel's counters merged with BPF's: the rule is in kcount.h. */
#include <errno.h>
#include <string.h>

#include "kcount.h"

int kcount_note(struct flowtab *tab, struct flow_rec *f, bool destroy,
		const struct flow_counters *k)
{
	struct flow_kern *e = flowtab_kern(tab, f);

	if (!destroy) {
		/* the base is taken once, and only for a flow BPF did not
		 * see from its start */
		if (f->whole_life || (e && e->kind != KCOUNT_NONE))
			return 0;
	} else if (e && e->kind == KCOUNT_FINAL_PENDING) {
		return 0;
	}
	if (!e && !(e = flowtab_kern_make(tab, f)))
		return -ENOMEM;
	e->c = *k;
	e->kind = destroy ? KCOUNT_FINAL_PENDING : KCOUNT_PENDING;
	return 1;
}

/* base = k - bpf, per counter, never below zero */
static void take_base(struct flow_rec *f, struct flow_kern *e,
		      const struct flow_counters *bpf)
{
	struct flow_counters last = { 0 };

	/* BPF's last reading of f: the total, as f had no base until now */
	if (f->counters_valid)
		last = f->total;
	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		e->c.packets[d] = e->c.packets[d] > bpf->packets[d] ?
				  e->c.packets[d] - bpf->packets[d] : 0;
		e->c.bytes[d] = e->c.bytes[d] > bpf->bytes[d] ?
				e->c.bytes[d] - bpf->bytes[d] : 0;
		/* the jump by the base is no traffic: the next rate is
		 * taken from here */
		f->total.packets[d] = e->c.packets[d] + last.packets[d];
		f->total.bytes[d] = e->c.bytes[d] + last.bytes[d];
	}
	e->kind = KCOUNT_BASE;
	f->counters_valid = true;
	f->whole_life = true;
}

bool kcount_bpf(struct flowtab *tab, struct flow_rec *f,
		const struct flow_counters *bpf, struct flow_counters *now)
{
	struct flow_kern *e = flowtab_kern(tab, f);

	if (!e || e->kind == KCOUNT_NONE) {
		*now = *bpf;
		return true;
	}
	switch (e->kind) {
	case KCOUNT_PENDING:
		take_base(f, e, bpf);
		/* fall through */
	case KCOUNT_BASE:
		for (int d = 0; d < FLOW_DIR_COUNT; d++) {
			now->packets[d] = e->c.packets[d] + bpf->packets[d];
			now->bytes[d] = e->c.bytes[d] + bpf->bytes[d];
		}
		return true;
	default:
		return false;
	}
}

/*
 * k becomes f's total; rates from the previous total when with_rate, per
 * counter never below zero (the kernel skips packets BPF counts, such as
 * TCP retransmissions it ignores: a lower final total is no restart).
 */
static bool kernel_total(struct flow_rec *f, const struct flow_counters *k,
			 double interval_s, bool with_rate,
			 struct flow_rates *rates)
{
	bool moving = false;

	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		uint64_t dp = 0, db = 0;

		if (with_rate && f->counters_valid) {
			if (k->packets[d] > f->total.packets[d])
				dp = k->packets[d] - f->total.packets[d];
			if (k->bytes[d] > f->total.bytes[d])
				db = k->bytes[d] - f->total.bytes[d];
		}
		rates->pkt_rate[d] = interval_s > 0 ? (float)(dp / interval_s) : 0;
		rates->byte_rate[d] = interval_s > 0 ? (float)(db / interval_s) : 0;
		moving |= rates->pkt_rate[d] > 0 || rates->byte_rate[d] > 0;
	}
	f->total = *k;
	f->counters_valid = true;
	f->whole_life = true;
	return moving;
}

bool kcount_settle(struct flowtab *tab, struct flow_rec *f,
		   double interval_s, struct flow_rates *rates)
{
	struct flow_kern *e = flowtab_kern(tab, f);
	struct flow_counters last = { 0 };

	memset(rates, 0, sizeof(*rates));
	if (!e)
		return false;
	switch (e->kind) {
	case KCOUNT_PENDING:
		/* no BPF reading this time: its count is the last one */
		if (f->counters_valid)
			last = f->total;
		take_base(f, e, &last);
		return false;
	case KCOUNT_FINAL_PENDING:
		e->kind = KCOUNT_KERNEL;
		return kernel_total(f, &e->c, interval_s, true, rates);
	default:
		return false;
	}
}

int kcount_kernel(struct flowtab *tab, struct flow_rec *f,
		  const struct flow_counters *k, double interval_s,
		  struct flow_rates *rates)
{
	struct flow_kern *e = flowtab_kern(tab, f);
	bool again = e && e->kind == KCOUNT_KERNEL;

	if (e && e->kind == KCOUNT_FINAL_PENDING)
		return 0;	/* DESTROY's counters are the last word */
	if (!e && !(e = flowtab_kern_make(tab, f)))
		return -ENOMEM;
	e->kind = KCOUNT_KERNEL;
	return kernel_total(f, k, interval_s, again, rates);
}

bool kcount_is_kernel(struct flowtab *tab, const struct flow_rec *f)
{
	const struct flow_kern *e = flowtab_kern(tab, f);

	return e && (e->kind == KCOUNT_KERNEL ||
		     e->kind == KCOUNT_FINAL_PENDING);
}
