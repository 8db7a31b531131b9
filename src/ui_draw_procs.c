// SPDX-License-Identifier: GPL-2.0
/* The processes tab: one row per owning process, from its column table. */
#include <curses.h>
#include <stdio.h>

#include "columns.h"
#include "ui_internal.h"

/* --- processes tab --------------------------------------------------- */

/* What a process row's cells read. */
struct proc_cell {
	const struct ui *u;
	const struct proc_row *r;
};

#define PROC_ROW(ctx) (((const struct proc_cell *)(ctx))->r)

static const char *pcell_pid(char *buf, size_t len, const void *ctx)
{
	const struct proc_row *r = PROC_ROW(ctx);

	if (r->pid <= 0)
		return "-";
	snprintf(buf, len, "%d", (int)r->pid);
	return buf;
}

static const char *pcell_user(char *buf, size_t len, const void *ctx)
{
	const struct proc_row *r = PROC_ROW(ctx);

	(void)buf;
	(void)len;
	return r->pid > 0 ? r->user : "-";
}

static const char *pcell_comm(char *buf, size_t len, const void *ctx)
{
	const struct proc_row *r = PROC_ROW(ctx);

	(void)buf;
	(void)len;
	return r->pid > 0 ? r->comm : "(no local process)";
}

static const char *pcell_flows(char *buf, size_t len, const void *ctx)
{
	snprintf(buf, len, "%u", PROC_ROW(ctx)->flows);
	return buf;
}

static const char *pcell_bytes(char *buf, size_t len, const void *ctx, int dir)
{
	return fmt_bytes(buf, len, PROC_ROW(ctx)->bytes[dir]);
}

static const char *pcell_rate(char *buf, size_t len, const void *ctx, int dir)
{
	const struct proc_cell *c = ctx;

	return fmt_rate(buf, len, c->r->rate[dir], c->u->bits);
}

static const char *pcell_out(char *buf, size_t len, const void *ctx)
{
	return pcell_bytes(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *pcell_out_rate(char *buf, size_t len, const void *ctx)
{
	return pcell_rate(buf, len, ctx, FLOW_DIR_ORIG);
}

static const char *pcell_in(char *buf, size_t len, const void *ctx)
{
	return pcell_bytes(buf, len, ctx, FLOW_DIR_REPLY);
}

static const char *pcell_in_rate(char *buf, size_t len, const void *ctx)
{
	return pcell_rate(buf, len, ctx, FLOW_DIR_REPLY);
}

/* The processes tab, left to right. */
static const struct column proc_cols[] = {
	{ "PID", 8, true, PSORT_PID, pcell_pid },
	{ "", 1, false, COL_NO_SORT, NULL },
	{ "USER", 11, false, COL_NO_SORT, pcell_user },
	{ "PROCESS", 17, false, PSORT_NAME, pcell_comm },
	{ "FLOWS", 7, true, PSORT_FLOWS, pcell_flows },
	{ "OUT", 8, true, PSORT_BYTES, pcell_out },
	{ "OUT/s", 10, true, PSORT_RATE, pcell_out_rate },
	{ "IN", 8, true, PSORT_BYTES, pcell_in },
	{ "IN/s", 10, true, PSORT_RATE, pcell_in_rate },
};

static const struct column_table proc_table = COLUMN_TABLE(proc_cols);

void ui_draw_procs(struct ui *u)
{
	char line[LINE_MAX_BYTES];
	int y = UI_HEADER_ROWS, bottom = LINES - 1, skip;
	long vis = ui_list_rows() > 0 ? ui_list_rows() : 1;

	columns_title(&proc_table, 0, line, sizeof(line));
	skip = ui_clamp_hscroll(u, line);
	ui_put_line(u, y, line, skip, ROLE_TITLE, true);
	ui_mark_sorted(u, y++, &proc_table, 0, skip, u->p.psort);
	if (!u->v || !u->v->procs) {
		ui_put_line(u, y, "  collecting processes...", 0, ROLE_DIM, false);
		return;
	}
	for (long i = u->ptop; i < u->ptop + vis && y < bottom; i++) {
		struct proc_cell cell = { .u = u };

		if (i >= (long)u->v->nprocs)
			break;
		cell.r = &u->v->procs[i];
		columns_row(&proc_table, 0, &cell, line, sizeof(line));
		ui_put_line(u, y++, line, skip,
			 i == u->pcursor ? ROLE_CURSOR : ROLE_NORMAL,
			 i == u->pcursor);
	}
}
