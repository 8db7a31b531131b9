// SPDX-License-Identifier: GPL-2.0
/* The kernel's counters merged with BPF's: the rule is in kcount.h. */
#include <errno.h>
#include <string.h>

#include "kcount.h"

int kcount_note(struct flowtab *tab, struct flow_rec *f, bool destroy)
{
	if (destroy) {
		if (f->final)
			return 0;
		/* from now on the tuple's BPF entry may count a new
		 * connection: nothing of it belongs to f */
		f->final = true;
		return 1;
	}
	/* the base is taken once, and only for a flow BPF did not see from
	 * its start */
	return !f->final && !f->whole_life && !flowtab_kern(tab, f);
}

bool kcount_bpf(struct flowtab *tab, struct flow_rec *f,
		const struct flow_counters *bpf, struct flow_counters *now)
{
	const struct flow_kern *e;

	if (f->final)
		return false;
	e = flowtab_kern(tab, f);
	if (!e) {
		*now = *bpf;
		return true;
	}
	if (e->kind != KCOUNT_BASE)
		return false;
	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		now->packets[d] = e->c.packets[d] + bpf->packets[d];
		now->bytes[d] = e->c.bytes[d] + bpf->bytes[d];
	}
	return true;
}

static uint64_t above(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/*
 * k becomes f's total; rates from the previous total when with_rate, per
 * counter never below zero (the kernel skips packets BPF may count: a
 * lower final total is no restart).
 */
static bool kernel_total(struct flowtab *tab, struct flow_rec *f,
			 const struct flow_counters *k, double interval_s,
			 bool with_rate, struct flow_rates *rates)
{
	bool moving = false;

	flowtab_touch(tab, f);

	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		uint64_t dp = 0, db = 0;

		if (with_rate && f->counters_valid) {
			dp = above(k->packets[d], f->total.packets[d]);
			db = above(k->bytes[d], f->total.bytes[d]);
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

int kcount_settle(struct flowtab *tab, struct flow_rec *f, bool final,
		  const struct flow_counters *k, double interval_s,
		  struct flow_rates *rates)
{
	struct flow_counters total = { 0 }, base;
	struct flow_kern *e;
	uint64_t missed = 0;

	memset(rates, 0, sizeof(*rates));
	if (final)
		return kernel_total(tab, f, k, interval_s, true, rates);
	/* resolved already (two dumps in one interval), or overtaken by a
	 * DESTROY or an offload */
	if (f->final || f->whole_life || flowtab_kern(tab, f))
		return 0;
	/* f has no base yet: its total is BPF's count as last read, to
	 * which the base is added */
	if (f->counters_valid)
		total = f->total;
	for (int d = 0; d < FLOW_DIR_COUNT; d++) {
		base.packets[d] = above(k->packets[d], total.packets[d]);
		base.bytes[d] = above(k->bytes[d], total.bytes[d]);
		missed |= base.packets[d] | base.bytes[d];
		/* the jump by the base is no traffic: no rate for it, the
		 * next one is taken from here */
		total.packets[d] += base.packets[d];
		total.bytes[d] += base.bytes[d];
	}
	/* a base kept only where BPF missed something: not for a flow
	 * younger than the counting that it saw whole, as a resync dump
	 * lists them by the hundred thousand */
	if (missed) {
		e = flowtab_kern_make(tab, f);
		if (!e)
			return -ENOMEM;
		e->c = base;
		e->kind = KCOUNT_BASE;
	}
	flowtab_touch(tab, f);
	f->total = total;
	f->counters_valid = true;
	f->whole_life = true;
	return 0;
}

int kcount_kernel(struct flowtab *tab, struct flow_rec *f,
		  const struct flow_counters *k, double interval_s,
		  struct flow_rates *rates)
{
	struct flow_kern *e;
	bool again;

	memset(rates, 0, sizeof(*rates));
	if (f->final)
		return 0;	/* DESTROY's counters are the last word */
	e = flowtab_kern_make(tab, f);
	if (!e)
		return -ENOMEM;
	again = e->kind == KCOUNT_KERNEL;
	e->kind = KCOUNT_KERNEL;
	return kernel_total(tab, f, k, interval_s, again, rates);
}

bool kcount_is_kernel(struct flowtab *tab, const struct flow_rec *f)
{
	const struct flow_kern *e = flowtab_kern(tab, f);

	return f->final || (e && e->kind == KCOUNT_KERNEL);
}
