// SPDX-License-Identifier: GPL-2.0
/*
 * flowtop: options → configuration, privilege checks, signals, the choice
 * between batch output and the interactive view, and the cleanup ladder
 * that restores every system setting on every exit path.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "collector.h"
#include "config.h"
#include "ct.h"
#include "enrich.h"
#include "enrich_wait.h"
#include "filter.h"
#include "filter_expr.h"
#include "flowtab.h"
#include "format.h"
#include "geoip.h"
#include "group_live.h"
#include "group_out.h"
#include "ipfix.h"
#include "privs.h"
#include "services.h"
#include "snapshot.h"
#include "sysctl.h"
#include "sysctl_guard.h"
#include "ui.h"
#include "ui_view.h"
#include "util.h"

#define SYSCTL_TIMESTAMP "net/netfilter/nf_conntrack_timestamp"
#define SYSCTL_ACCT "net/netfilter/nf_conntrack_acct"
#define SYSCTL_CT_MAX "net/netfilter/nf_conntrack_max"
#define DEFAULT_MAX_FLOWS 262144
#define DEFAULT_NETLINK_BUFFER (16 << 20)

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif

static bool can_use_bpf(void)
{
	return has_cap(CAP_SYS_ADMIN) ||
	       (has_cap(CAP_BPF) && has_cap(CAP_PERFMON));
}

/* A crash must not leave the sysctls changed: restore, then die as before. */
static void on_fatal_signal(int sig)
{
	ui_emergency_restore();	/* the terminal too: async-signal-safe */
	sysctl_restore_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_fatal_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa = { .sa_handler = on_fatal_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is an EPIPE error */
	atexit(sysctl_restore_all);
}

/*
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT are blocked in every thread (the collector
 * inherits the mask) and read from a signalfd by the main loop, so they end
 * the run through the normal cleanup; blocked, they are queued even when
 * flowtop was started with them ignored (a shell's background job). SIGUSR1 (and SIGHUP in headless mode, which
 * has no terminal to lose) reloads the GeoIP databases instead.
 */
static int block_exit_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Ctrl-\ ends a top-like tool too; its default action (a core
	 * dump) would skip the cleanup */
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	/* SIGWINCH too, but not in this fd: the interactive view reads it
	 * from its own signalfd, which only works if no thread takes it */
	sigaddset(&set, SIGWINCH);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd < 0 ? -errno : fd;
}

static uint32_t pick_max_flows(const struct config *cfg)
{
	uint64_t v;

	if (cfg->max_flows)
		return cfg->max_flows;
	if (sysctl_read_u64(SYSCTL_CT_MAX, &v) == 0 && v > 0 && v <= (1u << 26))
		return (uint32_t)v;
	return DEFAULT_MAX_FLOWS;
}

static int enable_settings_for(enum acct_kind kind)
{
	int ret;

	/* fentry/kprobe watch the kernel's own accounting, which must be on */
	if (kind != ACCT_CONNTRACK && kind != ACCT_FENTRY && kind != ACCT_KPROBE)
		return 0;
	ret = sysctl_set_saved(SYSCTL_ACCT, 1);
	if (ret)
		fprintf(stderr,
			"flowtop: cannot enable %s: %s; the %s backend needs it "
			"(turn it on beforehand, make /proc/sys writable, or "
			"use --acct netfilter)\n",
			SYSCTL_ACCT, strerror(-ret), acct_kind_name(kind));
	return ret;
}

/*
 * The first offloaded flow: the kernel's counters are the only ones that
 * see its packets, so nf_conntrack_acct goes on for the run (restored
 * with the other settings). Flows offloaded before it was on have none:
 * the snapshots count them (offloaded_uncounted) and the view says so.
 * Called in the collector thread.
 */
static void enable_acct_for_offload(void *arg)
{
	const struct config *cfg = arg;
	int ret = sysctl_set_saved(SYSCTL_ACCT, 1);

	/* the view owns the terminal: it shows the count instead */
	if (!cfg->batch)
		return;
	if (ret)
		fprintf(stderr, "flowtop: offloaded flows seen, but %s cannot "
			"be enabled (%s): offloaded flows are counted only "
			"until they were offloaded\n", SYSCTL_ACCT,
			strerror(-ret));
	else
		fprintf(stderr, "flowtop: offloaded flows seen: their counters "
			"come from the kernel (%s is on for the run)\n",
			SYSCTL_ACCT);
}

/*
 * Reads the pending signals: false if one of them ends the run, true if
 * all only asked for a GeoIP reload (SIGUSR1; SIGHUP when headless, i.e.
 * --batch --output none, where no terminal can have gone away).
 */
static bool reload_signals(int sig_fd, const struct config *cfg,
			   struct enrich *enrich)
{
	struct signalfd_siginfo si;
	bool reload = false, any = false;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		any = true;
		if (si.ssi_signo == SIGUSR1 ||
		    (si.ssi_signo == SIGHUP && cfg->batch && cfg->output_none))
			reload = true;
		else
			return false;
	}
	if (reload)
		enrich_reload(enrich);
	return reload || !any;
}

/*
 * Compiles --filter before anything is set up, so that a bad expression
 * costs nothing but the message (exit 2). The service names come from
 * a table of their own: enrichment starts much later.
 */
static int compile_filter(const struct config *cfg, struct filter_expr **fx)
{
	struct filter_error ferr;
	struct services *svc;
	char msg[320];
	int ret;

	*fx = NULL;
	if (!cfg->filter)
		return 0;
	/* conf file complaints are for the enrichment to report, once */
	svc = services_load(cfg->conf_dir, NULL);
	ret = filter_expr_compile(cfg->filter, svc, fx, &ferr);
	services_free(svc);
	if (ret == -EINVAL) {
		filter_error_format(&ferr, msg, sizeof(msg));
		fprintf(stderr, "flowtop: --filter: %s\n", msg);
		return 2;
	}
	if (ret) {
		fprintf(stderr, "flowtop: --filter: %s\n", strerror(-ret));
		return 1;
	}
	if (!cfg->batch && strlen(cfg->filter) >= UI_FILTER_MAX) {
		fprintf(stderr, "flowtop: --filter: the view takes expressions "
			"of up to %d bytes\n", UI_FILTER_MAX - 1);
		filter_expr_free(*fx);
		*fx = NULL;
		return 2;
	}
	return 0;
}

/* Whether batch output is a selection (--filter, --sort, --top). */
static bool batch_selects(const struct config *cfg)
{
	return cfg->filter || cfg->sort_given || cfg->top;
}

/*
 * Waits (--wait) for the lookups of the rows of s about to be printed
 * (rows NULL: all); a signal cuts it short: what there is is printed.
 */
static void wait_lookups(const struct snapshot *s, const uint32_t *rows,
			 size_t n, const struct config *cfg,
			 struct enrich *enrich, int sig_fd)
{
	if (cfg->wait_s > 0)
		enrich_wait_snapshot(enrich, s, rows, n, cfg->wait_s, sig_fd,
				     NULL);
}

/*
 * Prints s: every flow, or those --filter keeps in --sort's order, cut
 * to --top. The selection is the view builder's work (view_build), so
 * batch and the view agree on what a filter and a sort key mean.
 */
static int print_snapshot(struct snapshot *s, const struct config *cfg,
			  bool first, struct enrich *enrich,
			  const struct filter_expr *fx, int sig_fd)
{
	struct ui_params p = {
		.sort = cfg->sort,
		.reverse = cfg->reverse,
		.protos = SEL_PROTOS,	/* the collector kept only cfg->sel's */
		.expr = fx,
	};
	struct format_sel sel;
	struct view *v;
	bool info_first;
	int ret;

	/* a filter or sort on names or processes needs them first, for
	 * every flow; else only the flows printed are waited for */
	info_first = sort_key_needs_info(cfg->sort) ||
		     (filter_expr_needs(fx) & FILTER_NEEDS_INFO);
	if (!batch_selects(cfg) || info_first)
		wait_lookups(s, NULL, 0, cfg, enrich, sig_fd);
	if (!batch_selects(cfg))
		return format_snapshot(stdout, s, cfg->output, first, enrich);
	v = view_build(s, &p, enrich, NULL, NULL, false, NULL, 0);
	if (!v)
		return -ENOMEM;
	sel.rows = v->idx;
	sel.matched = v->n;
	sel.n = cfg->top && (size_t)cfg->top < v->n ? (size_t)cfg->top : v->n;
	if (!info_first)
		wait_lookups(s, sel.rows, sel.n, cfg, enrich, sig_fd);
	ret = format_snapshot_sel(stdout, s, cfg->output, first, enrich, &sel);
	view_put(v);
	return ret;
}

/* What --filter asks of a flow while it is grouped. */
struct group_filter_ctx {
	const struct filter_expr *fx;
	struct enrich *enrich;
	double now;
};

static bool group_filter_match(void *arg, const struct flow *f,
			       const struct flow_info *info)
{
	struct group_filter_ctx *c = arg;
	struct flow_info own;
	int r;

	(void)info;
	/* the lookups only for the flows the other terms leave open */
	r = filter_expr_prematch(c->fx, f, c->now);
	if (r >= 0)
		return r;
	if (c->enrich) {
		enrich_flow(c->enrich, f, &own);
		return filter_expr_match(c->fx, f, &own, c->now);
	}
	return filter_expr_match(c->fx, f, NULL, c->now);
}

/*
 * Waits (--wait) for the lookups of the first flows of the groups of r
 * that will be printed (--top): their names are the groups'.
 */
static int wait_group_names(const struct snapshot *s,
			    const struct group_result *r,
			    const struct config *cfg, struct enrich *enrich,
			    int sig_fd)
{
	size_t n = cfg->top && (size_t)cfg->top < r->n ? (size_t)cfg->top :
							 r->n;
	uint32_t *reps;

	if (!enrich || !n || !(cfg->wait_s > 0))
		return 0;
	reps = malloc(n * sizeof(*reps));
	if (!reps)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		reps[i] = r->rows[i].rep;
	wait_lookups(s, reps, n, cfg, enrich, sig_fd);
	free(reps);
	return 0;
}

/*
 * --group-by's tables, kept from one snapshot to the next: they are big,
 * and the groups of one snapshot move on to the next by what changed
 * (group_live.h).
 */
struct batch_groups {
	struct group_agg *agg;
	struct group_live *live;
};

static void batch_groups_free(struct batch_groups *bg)
{
	group_agg_free(bg->agg);
	group_live_free(bg->live);
	memset(bg, 0, sizeof(*bg));
}

/*
 * --group-by: one row per group of the flows --filter keeps, in --sort's
 * order, cut to --top groups.
 */
static int print_groups(struct snapshot *s, const struct config *cfg,
			bool first, struct enrich *enrich,
			const struct filter_expr *fx, int sig_fd,
			struct batch_groups *bg)
{
	struct group_filter_ctx ctx = { fx, enrich, s->meta.time };
	/* a filter on what a flow keeps for life is asked once per flow:
	 * the groups then follow the changes (group_live.h) */
	struct flow_match m = { .match = group_filter_match, .ctx = &ctx,
				.fixed = filter_expr_fixed(fx) ? cfg->filter :
								NULL };
	struct group_result r;
	bool info_first;
	int ret;

	if (!bg->agg && !(bg->agg = group_agg_new(&cfg->group_by)))
		return -ENOMEM;
	if (!bg->live && !(bg->live = group_live_new()))
		return -ENOMEM;
	/* a key or filter on processes or names needs every flow's lookups
	 * first; else only the groups printed, named from their first
	 * flows, are waited for */
	info_first = group_needs_info(&cfg->group_by) ||
		     (filter_expr_needs(fx) & FILTER_NEEDS_INFO);
	if (info_first)
		wait_lookups(s, NULL, 0, cfg, enrich, sig_fd);
	ret = group_snapshot(s, bg->agg, bg->live, enrich, fx ? &m : NULL,
			     cfg->sort, cfg->reverse, &r);
	if (!ret && !info_first)
		ret = wait_group_names(s, &r, cfg, enrich, sig_fd);
	if (!ret)
		ret = group_format(stdout, s, &cfg->group_by, &r,
				   (size_t)cfg->top, cfg->output, first,
				   enrich);
	group_result_free(&r);
	return ret;
}

/* Prints snapshots as they come until count is reached or a signal. */
static int batch_loop(struct collector *col, const struct config *cfg,
		      int sig_fd, struct enrich *enrich,
		      const struct filter_expr *fx, struct batch_groups *bg)
{
	struct pollfd pfd[2] = {
		{ .fd = col->wake_fd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
	};
	uint64_t last_seq = 0;
	long printed = 0;
	bool told_uncounted = false;

	for (;;) {
		struct snapshot *s;
		uint64_t cnt;
		int ret;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents) {
			if (!reload_signals(sig_fd, cfg, enrich))
				return 0;
			continue;
		}
		if (read(col->wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			return -errno;
		ret = atomic_load(&col->error);
		if (ret) {
			if (col->errmsg[0])
				fprintf(stderr, "flowtop: %s\n", col->errmsg);
			else
				fprintf(stderr, "flowtop: collector stopped: %s\n",
					strerror(-ret));
			return ret;
		}
		s = snapshot_acquire(&col->slot);
		if (!s || s->meta.seq == last_seq) {
			snapshot_put(s);
			continue;
		}
		last_seq = s->meta.seq;
		if (s->meta.offloaded_uncounted && !told_uncounted) {
			told_uncounted = true;
			fprintf(stderr, "flowtop: %llu offloaded flows have no "
				"kernel counters: their totals stop where the "
				"offload began (nf_conntrack_acct was off when "
				"they started); see OFFLOADED FLOWS in "
				"flowtop(8)\n",
				(unsigned long long)s->meta.offloaded_uncounted);
		}
		/* --output none: the snapshots only feed the exporter */
		if (cfg->output_none)
			ret = 0;
		else if (cfg->group_by.kind != GROUP_NONE)
			ret = print_groups(s, cfg, printed == 0, enrich,
					   fx, sig_fd, bg);
		else
			ret = print_snapshot(s, cfg, printed == 0, enrich, fx,
					     sig_fd);
		snapshot_put(s);
		if (!ret && !cfg->output_none && fflush(stdout))
			ret = -errno;
		if (ret) {
			fprintf(stderr, "flowtop: writing the snapshot failed: %s\n",
				strerror(-ret));
			return ret;
		}
		if (cfg->count && ++printed >= cfg->count)
			return 0;
		if (!cfg->count)
			printed++;
	}
}

static int run_batch(struct collector *col, const struct config *cfg,
		     int sig_fd, struct enrich *enrich,
		     const struct filter_expr *fx)
{
	struct batch_groups bg = { 0 };
	int ret = batch_loop(col, cfg, sig_fd, enrich, fx, &bg);

	batch_groups_free(&bg);
	return ret;
}

/*
 * A closed standard descriptor would be handed out again by the next
 * open() and receive output meant for the terminal: park /dev/null there.
 * Returns whether stdout was closed.
 */
static bool reserve_std_fds(void)
{
	bool stdout_closed = false;

	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (fd == 1)
			stdout_closed = true;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			exit(1);
	}
	return stdout_closed;
}

/*
 * Snapshots and sort keys are large blocks freed every interval. glibc
 * raises its mmap threshold to the size of each freed mapped block (up
 * to 32 MiB), after which such blocks come from the heap and their pages
 * stay in RSS once freed. A fixed threshold keeps them mapped (returned
 * to the kernel on free); few arenas keep worker threads from holding
 * their own idle heaps.
 */
static void tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	mallopt(M_ARENA_MAX, 2);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct collector col = { .wake_fd = -1, .stop_fd = -1 };
	struct ct_config ctc = { 0 };
	struct acct_opts aopts = { 0 };
	sigset_t abort_signals;
	struct ct_source *ct = NULL;
	struct acct *acct = NULL;
	struct flowtab *tab = NULL;
	struct enrich *enrich = NULL;
	struct enrich_config ecfg = { .process = true };
	struct ipfix_exporter *ipfix = NULL;
	/* static: reachable until exit on the early returns below */
	static struct filter_expr *fx;
	struct privs privs;
	enum acct_kind want;
	char err[512] = "";
	uint32_t max_flows;
	int sig_fd = -1, ret, status = 1;
	bool stdout_closed = reserve_std_fds();

	tune_malloc();
	switch (config_parse(&cfg, argc, argv, stdout, stderr)) {
	case CONFIG_EXIT_OK:
		return 0;
	case CONFIG_USAGE:
		return 2;
	case CONFIG_RUN:
		break;
	}
	/* a service (--output none) may well run without a stdout */
	if (stdout_closed && !cfg.output_none) {
		fprintf(stderr, "flowtop: standard output is closed\n");
		return 1;
	}
	/* -u needs no privileges: only write access to the database files */
	if (cfg.update)
		return geoip_update_run(cfg.conf_dir) ? 1 : 0;
	ret = compile_filter(&cfg, &fx);
	if (ret)
		return ret;
	if (!has_cap(CAP_NET_ADMIN)) {
		fprintf(stderr, "flowtop: needs CAP_NET_ADMIN (conntrack netlink, "
			"sysctls); run it as root\n");
		return 1;
	}
	want = cfg.acct;
	if (!can_use_bpf()) {
		if (want != ACCT_AUTO && want != ACCT_CONNTRACK) {
			fprintf(stderr, "flowtop: --acct=%s needs CAP_BPF and "
				"CAP_PERFMON (or CAP_SYS_ADMIN); use "
				"--acct=conntrack or run as root\n",
				acct_kind_name(want));
			return 1;
		}
		if (want == ACCT_AUTO)
			fprintf(stderr, "flowtop: no CAP_BPF/CAP_SYS_ADMIN: "
				"using the kernel's conntrack counters\n");
		want = ACCT_CONNTRACK;
	}
	/* --user resolved and the drop's own needs checked before any change */
	if (privs_prepare(&privs, cfg.user, err, sizeof(err))) {
		fprintf(stderr, "flowtop: %s\n", err);
		return 1;
	}

	install_fatal_handlers();
	sig_fd = block_exit_signals();
	if (sig_fd < 0) {
		fprintf(stderr, "flowtop: cannot set up signal handling: %s\n",
			strerror(-sig_fd));
		return 1;
	}

	/* before the first change, and before any thread: it is forked */
	ret = sysctl_guard_start(privs.switch_user ? privs.uid : (uid_t)-1,
				 privs.gid, err, sizeof(err));
	if (ret)
		fprintf(stderr, "flowtop: cannot start the restore helper (%s): "
			"the settings changed are restored on every exit but "
			"SIGKILL\n", err);
	err[0] = '\0';

	ret = sysctl_set_saved(SYSCTL_TIMESTAMP, 1);
	if (ret)
		fprintf(stderr, "flowtop: cannot enable %s (%s): flow ages are "
			"counted from when flowtop first saw each flow\n",
			SYSCTL_TIMESTAMP, strerror(-ret));

	max_flows = pick_max_flows(&cfg);
	/* the view's protocol toggles (T U D I S) must be able to show any
	 * protocol with its counters intact: collect them all, filter in the
	 * view (the families stay as selected) */
	ctc.sel = cfg.batch ? cfg.sel : (cfg.sel | SEL_PROTOS);
	aopts.kind = want;
	aopts.layout = cfg.counter_map;
	aopts.max_flows = max_flows;
	aopts.sel = ctc.sel;	/* no counters for flows nobody tracks */
	ret = acct_open(&acct, &aopts, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "flowtop: %s\n", err);
		goto out;
	}
	/* after the attach: a flow that started later is counted whole */
	ctc.counting_since_ns = real_ns();
	if (acct_kind_of(acct) == ACCT_CONNTRACK)
		fprintf(stderr, "flowtop: counters from the conntrack backend\n");
	else
		fprintf(stderr, "flowtop: counters from the %s backend (%s "
			"counter map)\n", acct_kind_name(acct_kind_of(acct)),
			acct_layout_name(acct_layout_of(acct)));
	if (enable_settings_for(acct_kind_of(acct)))
		goto out;

	ctc.rcvbuf = cfg.netlink_buffer ? cfg.netlink_buffer
					: DEFAULT_NETLINK_BUFFER;
	ctc.counters = acct_kernel_counters(acct);
	/* the signals that end the run also cut a long dump short (SIGHUP
	 * reloads GeoIP in the headless mode, so it does not there) */
	sigemptyset(&abort_signals);
	sigaddset(&abort_signals, SIGINT);
	sigaddset(&abort_signals, SIGTERM);
	sigaddset(&abort_signals, SIGQUIT);
	if (!cfg.output_none)
		sigaddset(&abort_signals, SIGHUP);
	ctc.abort_signals = &abort_signals;
	ret = ct_open(&ct, &ctc, err, sizeof(err));
	if (ret == -EINTR) {
		status = 0;	/* told to stop while starting */
		goto out;
	}
	if (ret) {
		fprintf(stderr, "flowtop: %s\n", err);
		goto out;
	}
	tab = flowtab_new(max_flows < 65536 ? max_flows : 65536);
	if (!tab) {
		fprintf(stderr, "flowtop: out of memory for the flow table\n");
		goto out;
	}
	/*
	 * Everything that needs privileges is open: drop them, before the
	 * first thread starts (each thread has its own capabilities, copied
	 * from its creator). What follows needs none beyond the kept ones:
	 * the IPFIX socket, the enrichment sockets and files, /proc reads.
	 */
	ret = privs_drop(&privs, acct_kind_of(acct) != ACCT_CONNTRACK, err,
			 sizeof(err));
	if (ret) {
		fprintf(stderr, "flowtop: %s\n", err);
		goto out;
	}

	if (cfg.ipfix_host[0]) {
		ret = ipfix_open(&ipfix, &cfg, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "flowtop: %s\n", err);
			goto out;
		}
		/* every snapshot, not just the latest: records are deltas */
		col.on_snapshot = ipfix_on_snapshot;
		col.on_snapshot_arg = ipfix;
	}

	col.cfg = &cfg;
	col.ct = ct;
	col.acct = acct;
	col.tab = tab;
	/* the interactive view sorts by its own column anyway, a selection
	 * is sorted by view_build, and groups have an order of their own:
	 * the table's order reads faster */
	col.unsorted = !cfg.batch || batch_selects(&cfg) ||
		       cfg.group_by.kind != GROUP_NONE;
	col.early_first = !cfg.batch && !ipfix;
	col.event_buffer = (size_t)ctc.rcvbuf;
	col.counting_since_ns = ctc.counting_since_ns;
	col.on_first_offload = enable_acct_for_offload;
	col.on_first_offload_arg = &cfg;
	/* the first dump is the collector thread's: a stop during it is
	 * the thread's to handle, not this call's */
	ret = collector_start(&col, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "flowtop: %s\n", err);
		goto out;
	}
	/* names, places and processes of the flows shown, from caches that
	 * worker threads fill; a part that cannot start is left out */
	ecfg.conf_dir = cfg.conf_dir;
	ecfg.dns = !cfg.no_dns;
	ecfg.geoip = !cfg.no_geoip;
	ret = enrich_open(&enrich, &ecfg);
	if (ret) {
		fprintf(stderr, "flowtop: cannot start the name, GeoIP and "
			"process lookups: %s\n", strerror(-ret));
		goto out;
	}

	if (cfg.batch)
		status = run_batch(&col, &cfg, sig_fd, enrich, fx) ? 1 : 0;
	else
		status = ui_run(&col, &cfg, sig_fd, enrich) ? 1 : 0;

out:
	collector_stop(&col);
	enrich_close(enrich);
	filter_expr_free(fx);
	/* after the collector: no snapshot comes any more; sends the final
	 * records of the flows still live */
	ipfix_close(ipfix);
	ct_close(ct);
	acct_close(acct);
	flowtab_free(tab);
	sysctl_restore_all();
	sysctl_guard_stop();
	if (sig_fd >= 0)
		close(sig_fd);
	return status;
}
