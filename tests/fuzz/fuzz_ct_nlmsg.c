// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack netlink: the input is one received buffer (any number of
 * netlink messages), walked the two ways ct.c walks them: as a dump reply
 * (mnl_cb_run, every ctnetlink message applied as a dump line) and as an
 * event datagram (mnl_nlmsg_ok/next, events applied by kind), both over
 * ct_nlmsg_span's whole messages. Each message goes through ct_msg_kind
 * and ct_entry_from_nlmsg (libnetfilter_conntrack's attribute parser plus
 * our walk of the reply tuple); then the ghost sweep that ends a dump.
 */
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "ct_parse.h"
#include "filter.h"
#include "flowtab.h"
#include "fuzz_util.h"

static void on_destroyed(struct flow_rec *f, void *arg)
{
	(void)f;
	(*(size_t *)arg)++;
}

static void on_reused(struct flow_rec *f, void *arg)
{
	(void)f;
	(*(size_t *)arg)++;
}

/* ct.c's apply_line */
static int dump_line(const struct nlmsghdr *nlh, void *arg)
{
	struct ct_entry e;

	if (ct_msg_kind(nlh) >= 0 && ct_entry_from_nlmsg(nlh, &e) == 0)
		ct_apply(arg, CT_MSG_DUMP, &e);
	return MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)data;
	struct flowtab *tab = flowtab_new(64);
	struct ct_stats st = { 0 };
	size_t calls = 0;
	struct ct_hooks hooks = {
		.destroyed = on_destroyed,
		.reused = on_reused,
		.arg = &calls,
	};
	struct ct_apply_ctx ctx = {
		.tab = tab,
		.sel = SEL_FAMILIES | SEL_PROTOS,
		.hooks = &hooks,
		.stats = &st,
		.gen = 1,
		.counters = true,
		.now_ns = 1,
	};
	size_t span = ct_nlmsg_span(data, size);
	int len = (int)span;

	if (!tab)
		return 0;
	/* seq and portid 0: mnl_cb_run checks neither */
	mnl_cb_run(data, span, 0, 0, dump_line, &ctx);
	ct_drop_ghosts(&ctx);
	ctx.gen = 2;
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct ct_entry e;
		int kind = ct_msg_kind(nlh);

		if (kind < 0 || kind == CT_MSG_DUMP)
			continue;
		if (ct_entry_from_nlmsg(nlh, &e) < 0)
			continue;
		ct_entry_selected(&e, SEL_DEFAULT);
		ct_apply(&ctx, kind, &e);
	}
	/* without a destroyed hook, ghosts are removed at once */
	ctx.hooks = NULL;
	ctx.gen = 3;
	ct_drop_ghosts(&ctx);
	flowtab_reap_destroyed(tab);
	flowtab_free(tab);
	return 0;
}
