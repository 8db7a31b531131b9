// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack netlink: one socket subscribed to NEW/UPDATE/DESTROY events
 * (non-blocking, large receive buffer, ENOBUFS left on so loss is seen)
 * and one blocking socket for dumps. Message → flow logic is in ct_parse.c.
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_compat.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct.h"
#include "ct_parse.h"
#include "filter.h"
#include "util.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

/* room for a burst: ~1 KiB of skb per event, so tens of thousands */
#define CT_DEFAULT_RCVBUF (16 << 20)
/* the dump socket's receive buffer: see GET_BATCH */
#define GET_RCVBUF (1 << 20)
/* events come one per datagram: read them in batches */
#define EV_BATCH 64
#define EV_MSG_MAX 8192
/* dump datagrams are at most ~32 KiB (netlink_dump) */
#define DUMP_BUF (256 << 10)
/* bound on one ct_process_events call, so the caller's timer still fires */
#define EV_BUDGET_NS (50 * 1000000ull)
#define EV_BUDGET_MSGS 200000
/* a stash this large (no memory, or a dump that never ends) is a loss */
#define STASH_MAX (512ull << 20)
/* a dump that stalls this long is broken */
#define DUMP_TIMEOUT_S 10

struct ct_source {
	struct mnl_socket *ev;
	struct mnl_socket *dump;
	struct ct_config cfg;
	int abort_fd;		/* see ct_set_abort_fd */
	struct ct_yield yield;	/* see ct_set_yield */
	struct ct_stats st;
	uint32_t seq;
	uint32_t gen;
	bool dumped;		/* the first dump is not a resync */
	bool dump_abandoned;	/* a dump was cut short by an exit signal */
	uint32_t last_drops;	/* SK_MEMINFO_DROPS, to accumulate across wraps */
	bool loss_pending;	/* events lost, the resync not done yet */
	char *dumpbuf;
	char *evbuf;
	/*
	 * Event datagrams read during a dump, applied after it (see
	 * ct_stash_events): [u32 length][datagram, padded to 4] each, applied
	 * from stash_off on.
	 */
	char *stash;
	size_t stash_len, stash_off, stash_cap;
	/* events parsed, waiting to be applied (see apply_events) */
	struct ev_item {
		enum ct_msg kind;
		struct ct_entry e;
	} items[EV_BATCH];
	size_t nitems;
	struct mmsghdr msgs[EV_BATCH];
	struct iovec iov[EV_BATCH];
	struct sockaddr_nl from[EV_BATCH];
};

static void open_error(int e, const char *what, char *err, size_t errlen)
{
	switch (e) {
	case EPERM:
	case EACCES:
		snprintf(err, errlen, "conntrack netlink: permission denied; "
			 "flowtop needs CAP_NET_ADMIN (run as root)");
		break;
	case EPROTONOSUPPORT:
	case ENOENT:
	case EOPNOTSUPP:
		snprintf(err, errlen, "conntrack netlink: not supported by this "
			 "kernel (%s: %s); load it with 'modprobe nf_conntrack "
			 "nf_conntrack_netlink'", what, strerror(e));
		break;
	default:
		snprintf(err, errlen, "conntrack netlink: %s: %s", what, strerror(e));
	}
}

static int set_rcvbuf(int fd, int bytes)
{
	/* FORCE passes net.core.rmem_max (CAP_NET_ADMIN); else take what we may */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) == 0)
		return 0;
	return -errno;
}

/*
 * Kernel-side filter on the event socket: the protocols not selected never
 * reach our queue, so they cannot overflow it. The userspace check stays
 * (families are not filtered here, and the filter is best effort).
 */
static void attach_event_filter(int fd, unsigned int sel)
{
	static const struct {
		unsigned int bit;
		uint8_t proto;
	} map[] = {
		{ SEL_TCP, IPPROTO_TCP },	{ SEL_UDP, IPPROTO_UDP },
		{ SEL_UDP, IPPROTO_UDPLITE },	{ SEL_DCCP, IPPROTO_DCCP },
		{ SEL_SCTP, IPPROTO_SCTP },
	};
	struct nfct_filter *flt;

	if ((sel & SEL_PROTOS) == SEL_PROTOS)
		return;
	flt = nfct_filter_create();
	if (!flt)
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sel & map[i].bit)
			nfct_filter_add_attr_u32(flt, NFCT_FILTER_L4PROTO, map[i].proto);
	if ((sel & SEL_ICMP) && (sel & SEL_IPV4))
		nfct_filter_add_attr_u32(flt, NFCT_FILTER_L4PROTO, IPPROTO_ICMP);
	if ((sel & SEL_ICMP) && (sel & SEL_IPV6))
		nfct_filter_add_attr_u32(flt, NFCT_FILTER_L4PROTO, IPPROTO_ICMPV6);
	nfct_filter_set_logic(flt, NFCT_FILTER_L4PROTO, NFCT_FILTER_LOGIC_POSITIVE);
	if (nfct_filter_attach(fd, flt) < 0)
		nfct_filter_detach(fd);
	nfct_filter_destroy(flt);
}

/* The family a dump asks for: one family if only one is selected. */
static uint8_t dump_family(unsigned int sel)
{
	if ((sel & SEL_FAMILIES) == SEL_IPV4)
		return AF_INET;
	if ((sel & SEL_FAMILIES) == SEL_IPV6)
		return AF_INET6;
	return AF_UNSPEC;
}

static int send_request(struct ct_source *src, uint8_t msg, uint16_t flags,
			uint8_t family)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++src->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(src->dump, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

struct dump_walk {
	struct ct_source *src;
	int (*line)(struct dump_walk *w, const struct nlmsghdr *nlh);
	int err;		/* first error of a line; the rest is drained */
	struct ct_apply_ctx ctx;
	void (*fn)(const struct ct_entry *e, void *arg);
	void *arg;
	size_t lines;
	bool may_yield;		/* a table dump after the first: ct_yield */
};

/* The collector's tick, when it is due (ct_yield): between two parts of a
 * resync, its dump's or its ghost walk's. */
static int tick_if_due(struct ct_source *src)
{
	if (src->yield.due && src->yield.due(src->yield.arg))
		return src->yield.run(src->yield.arg);
	return 0;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_walk *w = data;

	w->lines++;
	if (!w->err && w->line)
		w->err = w->line(w, nlh);
	return MNL_CB_OK;
}

/*
 * Sends a request on the dump socket and reads every answer until DONE or
 * an error, calling w->line for each message. A failing line does not stop
 * the reading: the socket must be left empty for the next request.
 */
static bool exit_signal_pending(const struct ct_source *src)
{
	sigset_t pending;

	if (src->abort_fd >= 0) {
		struct pollfd pfd = { .fd = src->abort_fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) > 0)
			return true;
	}
	if (!src->cfg.abort_signals || sigpending(&pending))
		return false;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(src->cfg.abort_signals, sig) == 1 &&
		    sigismember(&pending, sig) == 1)
			return true;
	return false;
}

static int run_request(struct ct_source *src, uint8_t msg, uint16_t flags,
		       uint8_t family, struct dump_walk *w)
{
	unsigned int portid = mnl_socket_get_portid(src->dump);
	int ret;

	if (src->dump_abandoned)
		return -EIO;
	ret = send_request(src, msg, flags, family);
	if (ret)
		return ret;
	for (;;) {
		ssize_t n;

		if (exit_signal_pending(src)) {
			/* the rest of the dump stays queued: no more dumps */
			src->dump_abandoned = true;
			return -EINTR;
		}
		n = mnl_socket_recvfrom(src->dump, src->dumpbuf, DUMP_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			return -errno;
		}
		/* whole messages only: see ct_nlmsg_span */
		ret = mnl_cb_run(src->dumpbuf, ct_nlmsg_span(src->dumpbuf, (size_t)n),
				 src->seq, portid, dump_cb, w);
		if (ret == MNL_CB_STOP)
			break;
		if (ret < 0)
			return errno ? -errno : -EIO;
		/*
		 * Between two parts of a dump (each ~100 flows, ~0.1 ms):
		 * a dump of a million flows takes seconds, and 40k events/s
		 * overflow any socket buffer meanwhile (each event's skb
		 * takes ~1 KiB of it); the loss meant a resync, whose dump
		 * overflowed it again, for ever (bench/README.md). On a quiet
		 * socket that is one recvmmsg failing with EAGAIN per part:
		 * measured (bpftrace, a 262144-flow dump, ~196 flows a part)
		 * 1337-2307 such calls, 2.5-6.4 ms in all, against 410-800 ms
		 * in the dump's own recvmsg: under 1%, not worth a gate.
		 */
		if (flags & NLM_F_DUMP)
			ct_stash_events(src);
		if (w->may_yield && !w->err)
			w->err = tick_if_due(src);
	}
	return w->err;
}

static int apply_line(struct dump_walk *w, const struct nlmsghdr *nlh)
{
	struct ct_entry e;
	int ret = ct_entry_from_nlmsg(nlh, &e);

	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		return 0;	/* a family/protocol we do not show */
	ret = ct_apply(&w->ctx, CT_MSG_DUMP, &e);
	return ret < 0 ? ret : 0;
}

static int counters_line(struct dump_walk *w, const struct nlmsghdr *nlh)
{
	struct ct_entry e;
	int ret = ct_entry_from_nlmsg(nlh, &e);

	if (ret == -ENOMEM)
		return ret;
	/* without nf_conntrack_acct the kernel sends no counters at all */
	if (ret < 0 || !e.has_counters || !ct_entry_selected(&e, w->src->cfg.sel))
		return 0;
	w->fn(&e, w->arg);
	return 0;
}

static uint32_t read_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

/* netlink_overrun() counts every event it could not queue in sk_drops */
/* Returns whether events were lost since the last call. */
static bool update_lost(struct ct_source *src)
{
	uint32_t now = read_drops(mnl_socket_get_fd(src->ev));
	uint32_t lost = now - src->last_drops;

	src->st.lost_events += lost;
	src->last_drops = now;
	return lost != 0;
}

/*
 * A socket subscribed to conntrack's events, with cfg's receive buffer and
 * selection filter, non-blocking. 0, or a negative errno and a message.
 */
static int open_events(const struct ct_config *cfg, struct mnl_socket **out,
		       char *err, size_t errlen)
{
	struct mnl_socket *ev = mnl_socket_open(NETLINK_NETFILTER);
	int fd, ret;

	*out = NULL;
	if (!ev) {
		ret = -errno;
		open_error(errno, "event socket", err, errlen);
		return ret;
	}
	fd = mnl_socket_get_fd(ev);
	ret = set_rcvbuf(fd, cfg->rcvbuf > 0 ? cfg->rcvbuf : CT_DEFAULT_RCVBUF);
	if (ret) {
		open_error(-ret, "setting the event socket receive buffer", err, errlen);
		goto fail;
	}
	attach_event_filter(fd, cfg->sel);
	if (mnl_socket_bind(ev, NF_NETLINK_CONNTRACK_NEW |
			    NF_NETLINK_CONNTRACK_UPDATE |
			    NF_NETLINK_CONNTRACK_DESTROY, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		open_error(errno, "subscribing to conntrack events", err, errlen);
		goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		ret = -errno;
		open_error(errno, "making the event socket non-blocking", err, errlen);
		goto fail;
	}
	*out = ev;
	return 0;
fail:
	mnl_socket_close(ev);
	return ret;
}

int ct_open(struct ct_source **out, const struct ct_config *cfg,
	    char *err, size_t errlen)
{
	struct ct_source *src;
	struct dump_walk w = { 0 };
	struct timeval tv = { .tv_sec = DUMP_TIMEOUT_S };
	int fd, ret;

	*out = NULL;
	src = calloc(1, sizeof(*src));
	if (!src) {
		snprintf(err, errlen, "conntrack netlink: out of memory");
		return -ENOMEM;
	}
	src->cfg = *cfg;
	src->abort_fd = -1;
	src->seq = (uint32_t)time(NULL);
	src->dumpbuf = malloc(DUMP_BUF);
	src->evbuf = malloc((size_t)EV_BATCH * EV_MSG_MAX);
	if (!src->dumpbuf || !src->evbuf) {
		snprintf(err, errlen, "conntrack netlink: out of memory");
		ret = -ENOMEM;
		goto fail;
	}

	ret = open_events(cfg, &src->ev, err, errlen);
	if (ret)
		goto fail;
	fd = mnl_socket_get_fd(src->ev);
	src->last_drops = read_drops(fd);

	src->dump = mnl_socket_open(NETLINK_NETFILTER);
	if (!src->dump) {
		ret = -errno;
		open_error(errno, "dump socket", err, errlen);
		goto fail;
	}
	if (mnl_socket_bind(src->dump, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		open_error(errno, "binding the dump socket", err, errlen);
		goto fail;
	}
	setsockopt(mnl_socket_get_fd(src->dump), SOL_SOCKET, SO_RCVTIMEO,
		   &tv, sizeof(tv));
	/* room for a batch of GET answers (ct_get_entries); best effort */
	set_rcvbuf(mnl_socket_get_fd(src->dump), GET_RCVBUF);

	/*
	 * A cheap request that needs the same privilege and module as a dump,
	 * so that a missing CAP_NET_ADMIN or nf_conntrack_netlink is reported
	 * here, in one clear line.
	 */
	w.src = src;
	ret = run_request(src, IPCTNL_MSG_CT_GET_STATS, NLM_F_ACK, AF_UNSPEC, &w);
	if (ret) {
		open_error(-ret, "querying conntrack", err, errlen);
		goto fail;
	}

	for (int i = 0; i < EV_BATCH; i++) {
		src->iov[i].iov_base = src->evbuf + (size_t)i * EV_MSG_MAX;
		src->iov[i].iov_len = EV_MSG_MAX;
		src->msgs[i].msg_hdr.msg_iov = &src->iov[i];
		src->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	*out = src;
	return 0;
fail:
	ct_close(src);
	return ret;
}

int ct_event_fd(const struct ct_source *src)
{
	return mnl_socket_get_fd(src->ev);
}

/* Between two parts of a resync's ghost walk: as between parts of its dump. */
static int ghost_pause(void *arg)
{
	struct ct_source *src = arg;

	ct_stash_events(src);
	return tick_if_due(src);
}

static int do_dump(struct ct_source *src, struct flowtab *tab,
		   const struct ct_hooks *hooks, bool may_yield)
{
	struct dump_walk w = {
		.src = src,
		.line = apply_line,
		.ctx = {
			.tab = tab,
			.sel = src->cfg.sel,
			.hooks = hooks,
			.stats = &src->st,
			.counters = src->cfg.counters,
			.now_ns = clock_ns(CLOCK_REALTIME),
			.counting_since_ns = src->cfg.counting_since_ns,
		},
	};
	int ret;

	/* 0 is what a fresh flow carries: never a generation */
	if (++src->gen == 0)
		src->gen = 1;
	w.ctx.gen = src->gen;
	w.may_yield = may_yield;
	ret = run_request(src, IPCTNL_MSG_CT_GET, NLM_F_DUMP,
			  dump_family(src->cfg.sel), &w);
	if (ret)
		return ret;
	/*
	 * Events that arrived during the dump are still queued and are
	 * applied after it, so the table now matches the dump's moment: what
	 * it did not list is gone. A resync's walk gives the ticks their
	 * turn as its dump did: with the load that caused it, the walk over
	 * millions of flows took 3.8 s (bench/README.md, session 12).
	 */
	return ct_drop_ghosts_pausing(&w.ctx, may_yield ? ghost_pause : NULL,
				      src, NULL);
}

int ct_resync(struct ct_source *src, struct flowtab *tab,
	      const struct ct_hooks *hooks)
{
	/*
	 * A resync after a loss may give the collector its ticks (ct_yield);
	 * the first dump may not (the first snapshot shows a whole table),
	 * nor a refresh, which runs while no event was lost: a tick takes the
	 * waiting events before it reads, which it cannot in a dump.
	 */
	int ret = do_dump(src, tab, hooks, src->dumped);

	if (ret)
		return ret;
	if (src->dumped)
		src->st.resyncs++;
	src->dumped = true;
	return 0;
}

int ct_refresh(struct ct_source *src, struct flowtab *tab,
	       const struct ct_hooks *hooks)
{
	int ret = do_dump(src, tab, hooks, false);

	if (!ret)
		src->st.refreshes++;
	return ret;
}

/*
 * The fallback of drop_queued_events: the queue read empty (only then does
 * the kernel clear the socket's congested state, netlink_rcv_wake; until
 * then it drops every new event and reports ENOBUFS no more). Discarding
 * is faster than the kernel can produce, so the bound is a safety net.
 */
#define DRAIN_BUDGET_NS (2000 * 1000000ull)

static void stash_clear(struct ct_source *src)
{
	src->stash_len = src->stash_off = 0;
	/* a large dump's stash is not kept for ever */
	if (src->stash_cap > (4u << 20)) {
		free(src->stash);
		src->stash = NULL;
		src->stash_cap = 0;
	}
}

static void drain_events(struct ct_source *src)
{
	int fd = mnl_socket_get_fd(src->ev);
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + DRAIN_BUDGET_NS;

	stash_clear(src);

	for (;;) {
		int n = recvmmsg(fd, src->msgs, EV_BATCH, MSG_DONTWAIT, NULL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				src->st.enobufs++;
				continue;
			}
			break;
		}
		if (clock_ns(CLOCK_MONOTONIC) > end)
			break;
	}
}

/*
 * After a loss the queue holds events older than it; applied after the
 * resync dump they could bring back flows whose DESTROY was lost: throw
 * them away. A new socket subscribes and takes the old one's descriptor
 * (dup2: poll() watches that number), which closes the old one with all
 * it holds; the events from the new one's subscription on are kept, as
 * the rest of the resync keeps them. Reading the old queue empty instead
 * took up to 1.4 s at the start of a resync under load (megabytes of
 * events, with the load leaving the collector a tenth of a CPU), time in
 * which no tick could run (bench/README.md). Read empty only if no new
 * socket can be had.
 */
static void drop_queued_events(struct ct_source *src)
{
	int fd = mnl_socket_get_fd(src->ev);
	struct mnl_socket *fresh;
	char why[160];

	if (!open_events(&src->cfg, &fresh, why, sizeof(why))) {
		/* the old socket's drops, before it goes */
		update_lost(src);
		if (dup2(mnl_socket_get_fd(fresh), fd) >= 0) {
			/* closes fresh's own descriptor; the socket stays */
			mnl_socket_close(fresh);
			stash_clear(src);
			src->last_drops = read_drops(fd);
			return;
		}
		mnl_socket_close(fresh);
	}
	drain_events(src);
}

/* Up to EV_BATCH event datagrams, without waiting (recvmmsg's answer). */
static int recv_events(struct ct_source *src, int fd)
{
	for (int i = 0; i < EV_BATCH; i++) {
		src->msgs[i].msg_hdr.msg_name = &src->from[i];
		src->msgs[i].msg_hdr.msg_namelen = sizeof(src->from[i]);
		src->msgs[i].msg_hdr.msg_flags = 0;
	}
	return recvmmsg(fd, src->msgs, EV_BATCH, MSG_DONTWAIT, NULL);
}

/* Appends one datagram's whole messages to the stash; false: no room. */
static bool stash_put(struct ct_source *src, const void *buf, size_t len)
{
	size_t need = src->stash_len + sizeof(uint32_t) + NLMSG_ALIGN(len);

	if (need > src->stash_cap) {
		size_t cap = src->stash_cap ? src->stash_cap : (1u << 20);
		char *n;

		while (cap < need)
			cap *= 2;
		if (cap > STASH_MAX || !(n = realloc(src->stash, cap)))
			return false;
		src->stash = n;
		src->stash_cap = cap;
	}
	memcpy(src->stash + src->stash_len, &(uint32_t){ (uint32_t)len },
	       sizeof(uint32_t));
	memcpy(src->stash + src->stash_len + sizeof(uint32_t), buf, len);
	src->stash_len = need;
	return true;
}

/*
 * In a dump: moves what the event socket holds into the stash, to be
 * applied after the dump in the order it came (as if the socket had held
 * it all). A loss found here (ENOBUFS, or a stash that cannot grow) is a
 * loss as in take_events: what is stashed goes, the resync follows.
 */
void ct_stash_events(struct ct_source *src)
{
	int fd = mnl_socket_get_fd(src->ev);

	if (src->loss_pending)
		return;		/* resynced anyway: the queue is drained then */
	for (;;) {
		int n;

		n = recv_events(src, fd);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				src->st.enobufs++;
				src->loss_pending = true;
				stash_clear(src);
			}
			return;
		}
		for (int i = 0; i < n; i++) {
			const struct mmsghdr *m = &src->msgs[i];

			/* only the kernel speaks on these groups */
			if (src->from[i].nl_pid != 0 ||
			    (m->msg_hdr.msg_flags & MSG_TRUNC))
				continue;
			if (!stash_put(src, m->msg_hdr.msg_iov->iov_base,
				       ct_nlmsg_span(m->msg_hdr.msg_iov->iov_base,
						     m->msg_len))) {
				src->loss_pending = true;
				stash_clear(src);
				return;
			}
		}
	}
}

/*
 * The events parsed so far, applied in order. Their flows' buckets and
 * records are asked for first, all of them before the first is looked
 * up: each lookup in a table of tens of megabytes would otherwise wait
 * for two cache misses in turn (a fifth of the collector thread at 40k
 * events/s, bench/README.md).
 */
static int apply_events(struct ct_source *src, const struct ct_apply_ctx *ctx)
{
	const struct ct_hooks *h = ctx->hooks;
	bool pre = h && h->prefetch;
	size_t n = src->nitems;
	int ret = 0;

	src->nitems = 0;

	for (size_t i = 0; i < n; i++) {
		struct ct_entry *e = &src->items[i].e;

		e->key_hash = flow_key_hash(&e->key);
		e->has_hash = true;
		flowtab_prefetch(ctx->tab, e->key_hash, 0);
		if (pre)
			h->prefetch(e->key_hash,
				    src->items[i].kind == CT_MSG_DESTROY, 0,
				    h->arg);
	}
	for (size_t i = 0; i < n; i++) {
		flowtab_prefetch(ctx->tab, src->items[i].e.key_hash, 1);
		if (pre)
			h->prefetch(src->items[i].e.key_hash,
				    src->items[i].kind == CT_MSG_DESTROY, 1,
				    h->arg);
	}
	for (size_t i = 0; i < n && ret >= 0; i++)
		ret = ct_apply(ctx, src->items[i].kind, &src->items[i].e);
	return ret < 0 ? ret : 0;
}

/* Parses the events of a datagram's len bytes into src->items (applied
 * when it is full). */
static int handle_messages(struct ct_source *src, const struct ct_apply_ctx *ctx,
			   const struct nlmsghdr *nlh, int len)
{
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct ev_item *it;
		int kind = ct_msg_kind(nlh);
		int ret;

		if (kind < 0 || kind == CT_MSG_DUMP)
			continue;
		if (src->nitems == EV_BATCH && (ret = apply_events(src, ctx)))
			return ret;
		it = &src->items[src->nitems];
		ret = ct_entry_from_nlmsg(nlh, &it->e);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0) {
			src->st.events++;	/* seen, not shown */
			continue;
		}
		it->kind = kind;
		src->nitems++;
	}
	return 0;
}

static int handle_datagram(struct ct_source *src, const struct ct_apply_ctx *ctx,
			   const struct mmsghdr *m, const struct sockaddr_nl *from)
{
	const struct nlmsghdr *nlh = m->msg_hdr.msg_iov->iov_base;

	/* only the kernel speaks on these groups */
	if (from->nl_pid != 0 || (m->msg_hdr.msg_flags & MSG_TRUNC))
		return 0;
	/* whole messages only: see ct_nlmsg_span */
	return handle_messages(src, ctx, nlh, (int)ct_nlmsg_span(nlh, m->msg_len));
}

/*
 * Applies the stash, oldest first, until end (CLOCK_MONOTONIC ns): 1 when
 * it is empty, 0 when the time ran out first, or a negative errno.
 */
static int apply_stash(struct ct_source *src, struct ct_apply_ctx *ctx,
		       uint64_t end)
{
	int ret = 0;

	ctx->now_ns = clock_ns(CLOCK_REALTIME);
	while (src->stash_off < src->stash_len) {
		uint32_t len;

		memcpy(&len, src->stash + src->stash_off, sizeof(len));
		ret = handle_messages(src, ctx, (const struct nlmsghdr *)
				      (src->stash + src->stash_off + sizeof(len)),
				      (int)len);
		src->stash_off += sizeof(len) + NLMSG_ALIGN(len);
		if (ret)
			break;
		/* the time, every batch's worth */
		if (src->nitems == 0 && clock_ns(CLOCK_MONOTONIC) > end)
			break;
	}
	if (!ret)
		ret = apply_events(src, ctx);
	src->nitems = 0;
	if (ret)
		return ret;
	if (src->stash_off < src->stash_len)
		return 0;
	stash_clear(src);
	return 1;
}

void ct_set_yield(struct ct_source *src, const struct ct_yield *y)
{
	src->yield = *y;
}

void ct_set_abort_fd(struct ct_source *src, int fd)
{
	src->abort_fd = fd;
}

/*
 * Applies what the event socket holds. A loss found (ENOBUFS, or drops
 * counted) means a resync: now if resync, else it waits for the next call
 * that may resync (src->loss_pending).
 */
static int take_events(struct ct_source *src, struct flowtab *tab,
		       const struct ct_hooks *hooks, bool resync)
{
	int fd = mnl_socket_get_fd(src->ev);
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + EV_BUDGET_NS;
	struct ct_apply_ctx ctx = {
		.tab = tab,
		.sel = src->cfg.sel,
		.hooks = hooks,
		.stats = &src->st,
		.counters = src->cfg.counters,
		.counting_since_ns = src->cfg.counting_since_ns,
	};
	size_t done = 0;
	int ret = 0;

	if (resync && src->loss_pending)
		goto lost;
	/*
	 * What a dump stashed came before what the socket holds: until the
	 * stash is applied, the socket's events go behind it (applying a
	 * million-flow dump's stash takes longer than the socket holds
	 * events for).
	 */
	if (src->stash_len) {
		ct_stash_events(src);
		if (src->loss_pending) {
			if (resync)
				goto lost;
			return 0;
		}
		ret = apply_stash(src, &ctx, end);
		if (ret <= 0)
			return ret;
		ret = 0;
	}
	while (done < EV_BUDGET_MSGS) {
		int n;

		n = recv_events(src, fd);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				src->st.enobufs++;
				src->loss_pending = true;
				break;
			}
			ret = -errno;
			break;
		}
		ctx.now_ns = clock_ns(CLOCK_REALTIME);
		for (int i = 0; i < n && !ret; i++)
			ret = handle_datagram(src, &ctx, &src->msgs[i], &src->from[i]);
		if (!ret)
			ret = apply_events(src, &ctx);
		src->nitems = 0;
		if (ret)
			break;
		done += (size_t)n;
		if (clock_ns(CLOCK_MONOTONIC) > end)
			break;
	}
	/*
	 * The kernel reports ENOBUFS once per congestion episode; drops it
	 * counts after that are as much a loss: resync on either.
	 */
	if (ret)
		return ret;
	if (update_lost(src))
		src->loss_pending = true;
	if (!src->loss_pending || !resync)
		return 0;
lost:
	src->loss_pending = false;
	drop_queued_events(src);
	update_lost(src);
	return ct_resync(src, tab, hooks);
}

int ct_process_events(struct ct_source *src, struct flowtab *tab,
		      const struct ct_hooks *hooks)
{
	return take_events(src, tab, hooks, true);
}

int ct_take_waiting_events(struct ct_source *src, struct flowtab *tab,
			   const struct ct_hooks *hooks)
{
	return take_events(src, tab, hooks, false);
}

bool ct_resync_pending(const struct ct_source *src)
{
	return src->loss_pending;
}

bool ct_events_pending(const struct ct_source *src)
{
	return src->loss_pending || src->stash_off < src->stash_len;
}

int ct_read_counters(struct ct_source *src,
		     void (*fn)(const struct ct_entry *e, void *arg),
		     void *arg)
{
	struct dump_walk w = {
		.src = src,
		.line = counters_line,
		.fn = fn,
		.arg = arg,
	};

	return run_request(src, IPCTNL_MSG_CT_GET, NLM_F_DUMP,
			   dump_family(src->cfg.sel), &w);
}

/*
 * GET requests per system call: every answer is queued on the socket
 * before the first is read, and this many (at most about 2.5 KiB of
 * buffer each) fit in the default receive buffer (208 KiB), let alone in
 * the one ct_open asks for. 64 against 32: bench/README.md.
 */
#define GET_BATCH 64
#define GET_MSG_MAX 256

struct get_batch {
	uint32_t first_seq;	/* request k of the batch has first_seq + k */
	size_t which[GET_BATCH];	/* request k asked about keys[which[k]] */
	size_t sent;
	void (*fn)(const struct ct_entry *e, size_t i, void *arg);
	void *arg;
};

/* The key index a message answers (by its sequence number), or SIZE_MAX. */
static size_t answer_of(const struct get_batch *b, const struct nlmsghdr *nlh)
{
	uint32_t k = nlh->nlmsg_seq - b->first_seq;

	return k < b->sent ? b->which[k] : SIZE_MAX;
}

/* Reads answers until one per request came (see below). */
static int read_answers(struct ct_source *src, const struct get_batch *b)
{
	int fd = mnl_socket_get_fd(src->dump);
	size_t got = 0;

	while (got < b->sent) {
		/* the event socket's buffers: not in use while the collector
		 * reads counters; every answer is a datagram of its own */
		int n = recvmmsg(fd, src->msgs, EV_BATCH, MSG_WAITFORONE, NULL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			const struct nlmsghdr *nlh = src->iov[i].iov_base;
			int len = (int)ct_nlmsg_span(nlh, src->msgs[i].msg_len);

			/*
			 * An answer is the connection (IPCTNL_MSG_CT_NEW) or
			 * an error (ENOENT: gone meanwhile); a GET without
			 * NLM_F_ACK gets nothing more.
			 */
			for (; mnl_nlmsg_ok(nlh, len);
			     nlh = mnl_nlmsg_next(nlh, &len)) {
				size_t which = answer_of(b, nlh);
				struct ct_entry e;

				if (nlh->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *err =
						mnl_nlmsg_get_payload(nlh);

					got++;
					if (which != SIZE_MAX &&
					    nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*err)) &&
					    err->error == -ENOENT)
						b->fn(NULL, which, b->arg);
					continue;
				}
				if (ct_msg_kind(nlh) < 0)
					continue;
				got++;
				if (which != SIZE_MAX &&
				    ct_entry_from_nlmsg(nlh, &e) == 0)
					b->fn(&e, which, b->arg);
			}
		}
	}
	return 0;
}

int ct_check_entries(struct ct_source *src, const struct flow_key *keys,
		     size_t n,
		     void (*fn)(const struct ct_entry *e, size_t i, void *arg),
		     void *arg)
{
	static _Thread_local char req[GET_BATCH * GET_MSG_MAX];
	struct get_batch b = { .fn = fn, .arg = arg };

	if (src->dump_abandoned)
		return -EIO;
	for (size_t i = 0; i < n;) {
		size_t off = 0;
		int ret;

		b.sent = 0;
		b.first_seq = src->seq + 1;
		for (; i < n && b.sent < GET_BATCH; i++) {
			int len = ct_build_get(req + off, GET_MSG_MAX, &keys[i],
					       src->seq + 1);

			if (len < 0)
				continue;	/* not a key we ask about */
			src->seq++;
			b.which[b.sent++] = i;
			off += NLMSG_ALIGN((size_t)len);
		}
		if (!b.sent)
			break;
		src->st.gets += b.sent;
		/* the kernel handles every message of one datagram */
		if (mnl_socket_sendto(src->dump, req, off) < 0)
			return -errno;
		ret = read_answers(src, &b);
		if (ret)
			return ret;
	}
	return 0;
}

struct get_fwd {
	void (*fn)(const struct ct_entry *e, void *arg);
	void *arg;
};

static void get_fwd(const struct ct_entry *e, size_t i, void *arg)
{
	const struct get_fwd *g = arg;

	(void)i;
	if (e)
		g->fn(e, g->arg);
}

int ct_get_entries(struct ct_source *src, const struct flow_key *keys,
		   size_t n, void (*fn)(const struct ct_entry *e, void *arg),
		   void *arg)
{
	struct get_fwd g = { .fn = fn, .arg = arg };

	return ct_check_entries(src, keys, n, get_fwd, &g);
}

void ct_get_stats(const struct ct_source *src, struct ct_stats *st)
{
	*st = src->st;
}

void ct_close(struct ct_source *src)
{
	if (!src)
		return;
	if (src->ev)
		mnl_socket_close(src->ev);
	if (src->dump)
		mnl_socket_close(src->dump);
	free(src->dumpbuf);
	free(src->evbuf);
	free(src->stash);
	free(src);
}
