// SPDX-License-Identifier: GPL-2.0
/*
 * The interactive view's thread: poll, keys, cursor, view handoff. It
 * never sorts, filters, reads /proc or waits for a lookup; every pending
 * key is handled before the screen is drawn, and only visible rows are.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "filter.h"
#include "filter_expr.h"
#include "ui.h"
#include "ui_internal.h"
#include "util.h"


static void curses_end(void)
{
	if (ui_term_forget())
		endwin();
}

static void at_exit_restore(void)
{
	curses_end();
}

/* --- helpers -------------------------------------------------------- */

static size_t view_rows(const struct ui *u)
{
	if (!u->v)
		return 0;
	if (u->tab == TAB_GROUPS)
		return u->v->ngroups;
	return u->tab == TAB_PROCS ? u->v->nprocs : u->v->n;
}

static const struct flow *flow_at(const struct ui *u, long pos,
				  struct flow *buf)
{
	if (!u->v || pos < 0 || (size_t)pos >= u->v->n)
		return NULL;
	return snapshot_flow(u->v->snap, u->v->idx[pos], buf);
}

static void push_params(struct ui *u)
{
	ui_builder_set_params(u->b, &u->p);
}

/* The cursor moved or the view changed: record which flow it is on. */
static void update_selection(struct ui *u)
{
	struct flow buf;
	const struct flow *f = flow_at(u, u->cursor, &buf);

	if (f) {
		u->sel.ct_id = f->ct_id;
		u->sel.key = f->key;
		u->sel.idx = f->idx;
		u->sel_valid = true;
		u->sel_flow = *f;
		u->sel_gone = false;
	}
	ui_builder_set_selection(u->b, &u->sel, u->sel_valid);
	if (u->v && u->v->procs && u->pcursor >= 0 &&
	    (size_t)u->pcursor < u->v->nprocs) {
		u->psel_pid = u->v->procs[u->pcursor].pid;
		u->psel_valid = true;
	}
	if (u->v && u->v->groups && u->gcursor >= 0 &&
	    (size_t)u->gcursor < u->v->ngroups) {
		u->gsel = u->v->groups[u->gcursor].key;
		u->gsel_valid = true;
	}
}

static void clamp_scroll(long *cursor, long *top, long n, long vis)
{
	if (*cursor >= n)
		*cursor = n - 1;
	if (*cursor < 0)
		*cursor = 0;
	if (*top > *cursor)
		*top = *cursor;
	if (*cursor >= *top + vis)
		*top = *cursor - vis + 1;
	if (*top > n - vis)
		*top = n - vis;
	if (*top < 0)
		*top = 0;
}

static void move_cursor(struct ui *u, long delta, bool absolute)
{
	long n = (long)view_rows(u), vis = ui_visible_flows(u);
	long *cur = u->tab == TAB_PROCS ? &u->pcursor :
		    u->tab == TAB_GROUPS ? &u->gcursor : &u->cursor;
	long *top = u->tab == TAB_PROCS ? &u->ptop :
		    u->tab == TAB_GROUPS ? &u->gtop : &u->top;

	if (u->detail)
		cur = &u->cursor, top = &u->top, n = u->v ? (long)u->v->n : 0;
	*cur = absolute ? delta : *cur + delta;
	clamp_scroll(cur, top, n, vis);
	update_selection(u);
}

/* Where the selected flow is in v, searched near hint; -1 if not found. */
static long find_flow(const struct view *v, const struct flow_ident *id,
		      long hint)
{
	/* the builder located it unless the cursor moved meanwhile; then it
	 * is still near where the cursor was: look around there only, so
	 * that a million-row view costs the UI thread nothing */
	const long window = 2048;
	long lo = hint - window, hi = hint + window;
	struct flow buf;

	if (v->sel_pos >= 0 && v->sel.ct_id == id->ct_id &&
	    !memcmp(&v->sel.key, &id->key, sizeof(id->key)))
		return v->sel_pos;
	if (lo < 0)
		lo = 0;
	if (hi > (long)v->n)
		hi = (long)v->n;
	for (long i = lo; i < hi; i++)
		if (flow_ident_eq(id, snapshot_flow(v->snap, v->idx[i], &buf)))
			return i;
	return -1;
}

static void adopt_view(struct ui *u, struct view *nv)
{
	struct view *old = u->v;
	long vis = ui_visible_flows(u), off = u->cursor - u->top, pos = -1;

	if (nv->new_snapshot)
		for (size_t i = 0; i < nv->nsamples; i++)
			hist_add(&u->hist, &nv->samples[i]);
	u->v = nv;
	if (u->sel_valid)
		pos = find_flow(nv, &u->sel, u->cursor);
	if (pos >= 0) {
		/* the same flow keeps the same screen line, as htop does */
		u->cursor = pos;
		u->top = pos - off;
	} else if (u->sel_valid) {
		u->sel_gone = true;
	}
	clamp_scroll(&u->cursor, &u->top, (long)nv->n, vis);

	if (u->psel_valid) {
		long poff = u->pcursor - u->ptop;

		for (size_t i = 0; i < nv->nprocs; i++)
			if (nv->procs[i].pid == u->psel_pid) {
				u->pcursor = (long)i;
				u->ptop = (long)i - poff;
				break;
			}
	}
	clamp_scroll(&u->pcursor, &u->ptop, (long)nv->nprocs, vis);
	/* the cursor stays on its group: looked for near where it was, so
	 * that a view of many groups costs the UI thread little */
	if (u->gsel_valid && nv->groups) {
		long goff = u->gcursor - u->gtop, lo = u->gcursor - 2048,
		     hi = u->gcursor + 2048;

		if (lo < 0)
			lo = 0;
		if (hi > (long)nv->ngroups)
			hi = (long)nv->ngroups;
		for (long i = lo; i < hi; i++)
			if (group_key_eq(&nv->groups[i].key, &u->gsel)) {
				u->gcursor = i;
				u->gtop = i - goff;
				break;
			}
	}
	clamp_scroll(&u->gcursor, &u->gtop, (long)nv->ngroups, vis);
	if (pos >= 0 || !u->sel_valid || !u->detail)
		update_selection(u);
	ui_builder_release(u->b, old);
}

static void set_pause(struct ui *u, bool on)
{
	u->paused = on;
	ui_builder_pin(u->b, on && u->v ? u->v->snap : NULL);
}

static void cycle_sort(struct ui *u, int dir)
{
	if (u->tab == TAB_PROCS && !u->detail)
		u->p.psort = proc_sort_next(u->p.psort, dir);
	else
		u->p.sort = sort_key_next(u->p.sort, dir);
	push_params(u);
}

static void toggle_proto(struct ui *u, unsigned int bit)
{
	u->p.protos ^= bit;
	push_params(u);
}

static void set_tab(struct ui *u, enum ui_tab t)
{
	u->tab = t;
	u->detail = false;
	if (u->p.procs != (t == TAB_PROCS) || u->p.groups != (t == TAB_GROUPS)) {
		/* the process rows cost a lookup per flow, the groups a
		 * pass of their own: only while shown */
		u->p.procs = t == TAB_PROCS;
		u->p.groups = t == TAB_GROUPS;
		push_params(u);
	}
}

static enum ui_tab next_tab(enum ui_tab t)
{
	return t == TAB_FLOWS ? TAB_PROCS : t == TAB_PROCS ? TAB_GROUPS :
	       TAB_FLOWS;
}

/* G: to the groups tab; there, the next group key */
static void group_key_cycle(struct ui *u)
{
	if (u->tab != TAB_GROUPS || u->detail) {
		set_tab(u, TAB_GROUPS);
		return;
	}
	group_spec_next(&u->p.gspec);
	u->gsel_valid = false;
	u->gcursor = u->gtop = 0;
	push_params(u);
}

static void clear_filters(struct ui *u)
{
	u->filter_err[0] = '\0';
	if (!u->p.filter[0] && !u->p.pid_filter_on && !u->p.group_filter_on)
		return;
	u->p.filter[0] = '\0';
	u->edit[0] = '\0';
	u->p.pid_filter_on = false;
	u->p.group_filter_on = false;
	push_params(u);
}

/*
 * Whether text compiles as a filter expression (the same check as
 * --filter, service names from the enrichment's table): 0, with
 * u->filter_err emptied, or -EINVAL / -ENOMEM, with the reason there.
 * Compiling takes microseconds: fine on the UI thread.
 */
static int filter_check(struct ui *u, const char *text)
{
	struct filter_expr *e = NULL;
	struct filter_error err;
	int ret;

	ret = filter_expr_compile(text, u->enrich ?
				  enrich_services(u->enrich) : NULL, &e, &err);
	filter_expr_free(e);
	if (ret == -EINVAL)
		filter_error_format(&err, u->filter_err, sizeof(u->filter_err));
	else if (ret)
		snprintf(u->filter_err, sizeof(u->filter_err), "%s",
			 strerror(-ret));
	else
		u->filter_err[0] = '\0';
	return ret;
}

static void edit_key(struct ui *u, int ch)
{
	size_t len = strlen(u->edit);

	switch (ch) {
	case 27:		/* Esc: drop the filter */
		u->editing = false;
		clear_filters(u);
		return;
	case '\n':
	case '\r':
	case KEY_ENTER:
		u->editing = false;
		return;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		/* remove one whole UTF-8 character */
		while (len > 0) {
			len--;
			if (((unsigned char)u->edit[len] & 0xc0) != 0x80)
				break;
		}
		u->edit[len] = '\0';
		break;
	case 21:		/* ^U */
		u->edit[0] = '\0';
		break;
	default:
		if (ch < 0x20 || ch > 0xff || ch == 0x7f)
			return;
		if (len + 1 >= sizeof(u->edit))
			return;
		u->edit[len] = (char)ch;
		u->edit[len + 1] = '\0';
		break;
	}
	/*
	 * Live filtering: the builder narrows the rows as one types, with
	 * every text that is a valid expression; a half-typed or wrong one
	 * leaves the last valid filter in force and says what is wrong.
	 */
	if (filter_check(u, u->edit) == 0 && strcmp(u->p.filter, u->edit)) {
		snprintf(u->p.filter, sizeof(u->p.filter), "%s", u->edit);
		push_params(u);
	}
}

static void enter_key(struct ui *u)
{
	if (u->tab == TAB_PROCS) {
		if (!u->v || u->pcursor < 0 || (size_t)u->pcursor >= u->v->nprocs)
			return;
		u->p.pid_filter_on = true;
		u->p.pid_filter = u->v->procs[u->pcursor].pid;
		push_params(u);
		u->tab = TAB_FLOWS;
		u->cursor = u->top = 0;
		u->sel_valid = false;
		return;
	}
	if (u->tab == TAB_GROUPS) {
		if (!u->v || !u->v->groups || u->gcursor < 0 ||
		    (size_t)u->gcursor >= u->v->ngroups)
			return;
		/* the group's flows: a filter on its key, as for a process */
		u->p.group_filter_on = true;
		u->p.group_filter_spec = u->p.gspec;
		u->p.group_filter = u->v->groups[u->gcursor].key;
		u->p.groups = false;
		push_params(u);
		u->tab = TAB_FLOWS;
		u->cursor = u->top = 0;
		u->sel_valid = false;
		return;
	}
	if (u->sel_valid)
		u->detail = !u->detail;
}

static void handle_key(struct ui *u, int ch)
{
	long page = ui_visible_flows(u);

	if (u->editing) {
		edit_key(u, ch);
		return;
	}
	if (u->help && ch != KEY_RESIZE && ch != 'q') {
		u->help = false;
		return;
	}
	switch (ch) {
	case 'q':
		u->quit = true;
		break;
	case KEY_UP: case 'k': case 'u':
		move_cursor(u, -1, false);
		break;
	case KEY_DOWN: case 'j': case 'd':
		move_cursor(u, 1, false);
		break;
	case KEY_PPAGE:
		move_cursor(u, -page, false);
		break;
	case KEY_NPAGE:
		move_cursor(u, page, false);
		break;
	case KEY_HOME:
		move_cursor(u, 0, true);
		break;
	case KEY_END:
		move_cursor(u, (long)view_rows(u) - 1, true);
		break;
	case KEY_LEFT: case 'h':
		if (u->detail) {
			u->detail = false;
			break;
		}
		u->hscroll = u->hscroll > 8 ? u->hscroll - 8 : 0;
		break;
	case KEY_RIGHT: case 'l':
		u->hscroll += 8;	/* bounded by the row width when drawn */
		break;
	case '\t':
		set_tab(u, next_tab(u->tab));
		break;
	case 'G':
		group_key_cycle(u);
		break;
	case '?':
		u->help = true;
		break;
	case 'b':
		u->bits = !u->bits;
		break;
	case 'a':
		u->p.active_only = !u->p.active_only;
		push_params(u);
		break;
	case 's':
		u->show_src = !u->show_src;
		move_cursor(u, 0, false);
		break;
	case 'T': toggle_proto(u, SEL_TCP); break;
	case 'U': toggle_proto(u, SEL_UDP); break;
	case 'D': toggle_proto(u, SEL_DCCP); break;
	case 'I': toggle_proto(u, SEL_ICMP); break;
	case 'S': toggle_proto(u, SEL_SCTP); break;
	case 'o': case '>':
		cycle_sort(u, 1);
		break;
	case 'O': case '<':
		cycle_sort(u, -1);
		break;
	case 'r':
		if (u->tab == TAB_PROCS && !u->detail)
			u->p.preverse = !u->p.preverse;
		else
			u->p.reverse = !u->p.reverse;
		push_params(u);
		break;
	case '/':
		u->editing = true;
		u->detail = false;
		/* a refused expression comes back for mending */
		if (!u->filter_err[0])
			snprintf(u->edit, sizeof(u->edit), "%s", u->p.filter);
		break;
	case 27:	/* Esc */
		if (u->detail)
			u->detail = false;
		else
			clear_filters(u);
		break;
	case ' ':
		set_pause(u, !u->paused);
		break;
	case '\n': case '\r': case KEY_ENTER:
		enter_key(u);
		break;
	case KEY_BACKSPACE: case 127:
		u->detail = false;
		break;
	case 'n':
		u->dns = !u->dns;
		if (u->enrich)
			enrich_set_dns(u->enrich, u->dns);
		break;
	case 'g':
		u->geo = !u->geo;
		if (u->enrich)
			enrich_set_geoip(u->enrich, u->geo);
		break;
	default:
		break;
	}
}

static void resize(struct ui *u)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resize_term(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
	clamp_scroll(&u->cursor, &u->top, u->v ? (long)u->v->n : 0,
		     ui_visible_flows(u));
	clamp_scroll(&u->pcursor, &u->ptop, u->v ? (long)u->v->nprocs : 0,
		     ui_visible_flows(u));
	clamp_scroll(&u->gcursor, &u->gtop, u->v ? (long)u->v->ngroups : 0,
		     ui_visible_flows(u));
}

/* The flows on screen and the selected one: their rates are sampled. */
static void update_watch(struct ui *u)
{
	struct flow_ident ids[UI_WATCH_MAX];
	long vis = ui_visible_flows(u);
	size_t n = 0;

	if (u->sel_valid)
		ids[n++] = u->sel;
	for (long i = u->top; i < u->top + vis && n < UI_WATCH_MAX; i++) {
		struct flow buf;
		const struct flow *f = flow_at(u, i, &buf);

		if (!f)
			break;
		ids[n].ct_id = f->ct_id;
		ids[n].key = f->key;
		ids[n].idx = f->idx;
		n++;
	}
	if (n == u->nwatch && !memcmp(ids, u->watch, n * sizeof(*ids)))
		return;
	memcpy(u->watch, ids, n * sizeof(*ids));
	u->nwatch = n;
	ui_builder_set_watch(u->b, ids, n);
}

static int winch_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	/* main blocks it in every thread; the calling thread too, to be sure */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static bool want_color(void)
{
	const char *nc = getenv("NO_COLOR");

	/* https://no-color.org: present and not empty means no colour */
	return !(nc && *nc) && has_colors();
}

static int curses_start(struct ui *u)
{
	const char *cs = setlocale(LC_ALL, "");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "flowtop: the interactive view needs a terminal "
			"on standard input and output; use --batch for scripts\n");
		return -ENOTTY;
	}
	ui_term_save();
	if (!newterm(NULL, stdout, stdin)) {
		fprintf(stderr, "flowtop: cannot start the terminal view "
			"(TERM=%s unknown?); set TERM or use --batch\n",
			getenv("TERM") ? getenv("TERM") : "");
		return -ENOTTY;
	}
	ui_term_started();
	atexit(at_exit_restore);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	u->utf8 = cs && (strstr(cs, "UTF-8") || strstr(cs, "utf8") ||
			 strstr(cs, "UTF8") || strstr(cs, "utf-8"));
	u->color = want_color();
	if (u->color) {
		start_color();
		use_default_colors();
	}
	ui_draw_init(u);
	return 0;
}

static int drain_fd(int fd)
{
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/* Reads main's pending signals: true if they only asked for a GeoIP
 * reload (SIGUSR1), done then; a lost terminal (SIGHUP) ends the view. */
static bool only_reload(struct ui *u, int sig_fd)
{
	struct signalfd_siginfo si;
	bool reload = false, any = false;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		any = true;
		if (si.ssi_signo != SIGUSR1)
			return false;
		reload = true;
	}
	if (reload)
		enrich_reload(u->enrich);
	return reload || !any;
}

/* how long a logged message stays in the footer */
#define STATUS_SHOW_NS (5 * 1000000000ull)
/* how soon a message from another thread shows when nothing else wakes
 * the loop (a long -t interval, a paused view) */
#define STATUS_CHECK_MS 500

/* true when the footer's status line changed: a new message, or expired */
static bool poll_status(struct ui *u)
{
	uint64_t when;

	if (log_latest(&u->status_seq, u->status, sizeof(u->status), &when)) {
		u->status_until = when + STATUS_SHOW_NS;
		if (u->status_until > mono_ns())
			return true;
		u->status[0] = '\0';	/* came long before the view looked */
		return false;
	}
	if (u->status[0] && mono_ns() >= u->status_until) {
		u->status[0] = '\0';
		return true;
	}
	return false;
}

/* poll()'s timeout: when the status line is due to go, or the next check */
static int status_timeout(const struct ui *u)
{
	uint64_t now = mono_ns(), left_ms;

	if (!u->status[0])
		return STATUS_CHECK_MS;
	if (u->status_until <= now)
		return 0;
	left_ms = (u->status_until - now + 999999) / 1000000;
	return left_ms < STATUS_CHECK_MS ? (int)left_ms : STATUS_CHECK_MS;
}

int ui_run(struct collector *col, const struct config *cfg, int sig_fd,
	   struct enrich *enrich)
{
	struct ui *u = calloc(1, sizeof(*u));
	int winch_fd = -1, ret = 0;
	const char *why = NULL;

	if (!u) {
		fprintf(stderr, "flowtop: out of memory for the view\n");
		return -ENOMEM;
	}
	u->col = col;
	u->cfg = cfg;
	u->enrich = enrich;
	u->bits = cfg->bits;
	u->show_src = cfg->show_src;
	u->dns = !cfg->no_dns;
	u->geo = !cfg->no_geoip;
	u->p.sort = cfg->sort;
	u->p.reverse = cfg->reverse;
	/* --filter: checked by main, and short enough for the view */
	if (cfg->filter)
		snprintf(u->p.filter, sizeof(u->p.filter), "%s", cfg->filter);
	/* the toggles start from the command line's selection */
	u->p.protos = cfg->sel & SEL_PROTOS;
	/* the groups tab starts with --group-by's key, else by source */
	u->p.gspec = cfg->group_by;
	if (u->p.gspec.kind == GROUP_NONE)
		group_spec_next(&u->p.gspec);

	winch_fd = winch_open();
	if (winch_fd < 0) {
		ret = -errno;
		fprintf(stderr, "flowtop: cannot watch terminal resizes: %s\n",
			strerror(errno));
		goto out;
	}
	ret = ui_builder_start(&u->b, col, enrich, &u->p);
	if (ret) {
		fprintf(stderr, "flowtop: cannot start the view builder: %s\n",
			strerror(-ret));
		goto out;
	}
	ret = curses_start(u);
	if (ret)
		goto out;
	log_capture(true);	/* messages to the footer, not over the view */
	poll_status(u);
	ui_draw(u);

	/*
	 * The loop waits in one place: its poll, on the terminal, signals,
	 * resizes and the two wake-up eventfds. Nothing else in it blocks on
	 * another thread. The collector (dumps, resyncs, counter reads) and
	 * the view builder (sorting a million rows) never hold a lock that
	 * this thread takes while they work: the builder's lock guards a few
	 * pointers and parameters, a snapshot is taken by reference and freed
	 * in the builder (ui_builder_release), and the enrichment caches are
	 * locked per lookup by their workers, not across a query or a /proc
	 * scan. So every key is handled and drawn from the view already here
	 * (cursor, scroll, toggles, help, detail); a key that changes what
	 * the rows are (sort, filter, protocols) is drawn at once too, with
	 * the old rows, and the builder's result follows. The threads it
	 * wakes (builder, lookups) are SCHED_BATCH, so waking one does not
	 * hand it this thread's CPU in the middle of a key.
	 */
	while (!u->quit) {
		struct pollfd pfd[5] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = winch_fd, .events = POLLIN },
			{ .fd = col->wake_fd, .events = POLLIN },
			{ .fd = ui_builder_fd(u->b), .events = POLLIN },
		};
		bool dirty = false;
		int ch;

		if (poll(pfd, 5, status_timeout(u)) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			why = "poll";
			break;
		}
		if (pfd[1].revents && !only_reload(u, sig_fd))
			break;	/* SIGINT/SIGTERM/SIGHUP: main cleans up */
		/*
		 * The terminal went away: the same end as the SIGHUP the
		 * kernel sends with it (a clean one, status 0), whichever of
		 * the two this poll saw first.
		 */
		if (pfd[0].revents & POLLHUP)
			break;
		if (pfd[0].revents & (POLLERR | POLLNVAL)) {
			why = "terminal error";
			ret = -EIO;
			break;
		}
		if (pfd[2].revents) {
			struct signalfd_siginfo si;

			while (read(winch_fd, &si, sizeof(si)) == sizeof(si))
				;
			resize(u);
			dirty = true;
		}
		if (pfd[3].revents) {
			drain_fd(col->wake_fd);
			ret = atomic_load(&col->error);
			if (ret) {
				why = "collector stopped";
				break;
			}
			if (!u->paused)
				ui_builder_kick(u->b);
		}
		if (pfd[4].revents) {
			struct view *nv;

			drain_fd(ui_builder_fd(u->b));
			nv = ui_builder_take(u->b);
			if (nv && nv != u->v) {
				adopt_view(u, nv);
				dirty = true;
			} else if (nv) {
				view_put(nv);
			}
		}
		/* every pending key before one draw */
		while ((ch = getch()) != ERR) {
			if (ch == KEY_RESIZE)
				resize(u);
			else
				handle_key(u, ch);
			dirty = true;
			if (u->quit)
				break;
		}
		if (poll_status(u))
			dirty = true;
		if (dirty && !u->quit) {
			ui_draw(u);
			update_watch(u);
		}
	}
out:
	curses_end();
	log_capture(false);	/* what it held goes to stderr after all */
	if (why && col->errmsg[0])
		fprintf(stderr, "flowtop: %s\n", col->errmsg);
	else if (why)
		fprintf(stderr, "flowtop: view stopped: %s: %s\n", why,
			strerror(-ret));
	if (u->b) {
		if (u->v)
			view_put(u->v);
		ui_builder_stop(u->b);
	}
	if (winch_fd >= 0)
		close(winch_fd);
	free(u);
	return ret;
}
