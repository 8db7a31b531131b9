// SPDX-License-Identifier: GPL-2.0
/* The processes tab: one row per owning process, from its column table. */
#include <curses.h>
#include <stdio.h>

#include "columns.h"
#include "ui_internal.h"

/* --- processes tab --------------------------------------------------- */

/* What a process row's cells read. */
struct proc_cell {
	const struct proc_row *r;
	bool bits;	/* rates in bits per second */
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

	return fmt_rate(buf, len, c->r->rate[dir], c->bits);
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

/*
 * The processes' field table (columns.h): shown in the view only, so
 * without JSON/CSV names or text cells.
 */
enum proc_field {
	PF_PID, PF_USER, PF_PROCESS, PF_FLOWS, PF_OUT, PF_OUT_RATE, PF_IN,
	PF_IN_RATE, PF_COUNT,
};

static const struct field proc_fields[PF_COUNT] = {
	[PF_PID] = { .sort = PSORT_PID, .view = { "PID", 8, true, pcell_pid } },
	[PF_USER] = { .sort = COL_NO_SORT,
		.view = { "USER", 11, false, pcell_user } },
	[PF_PROCESS] = { .sort = PSORT_NAME,
		.view = { "PROCESS", 17, false, pcell_comm } },
	[PF_FLOWS] = { .sort = PSORT_FLOWS,
		.view = { "FLOWS", 7, true, pcell_flows } },
	[PF_OUT] = { .sort = PSORT_BYTES,
		.view = { "OUT", 8, true, pcell_out } },
	[PF_OUT_RATE] = { .sort = PSORT_RATE,
		.view = { "OUT/s", 10, true, pcell_out_rate } },
	[PF_IN] = { .sort = PSORT_BYTES, .view = { "IN", 8, true, pcell_in } },
	[PF_IN_RATE] = { .sort = PSORT_RATE,
		.view = { "IN/s", 10, true, pcell_in_rate } },
};

const size_t proc_fields_n = PF_COUNT;

/* The processes tab, left to right. */
static const int8_t proc_view[] = {
	PF_PID, COL_GAP(1), PF_USER, PF_PROCESS, PF_FLOWS, PF_OUT,
	PF_OUT_RATE, PF_IN, PF_IN_RATE,
};

const struct column_table proc_view_layout = COLUMN_TABLE(proc_fields,
							  proc_view);

void ui_draw_procs(struct ui *u)
{
	char line[LINE_MAX_BYTES];
	int y = UI_HEADER_ROWS, bottom = LINES - 1, skip;
	long vis = ui_list_rows() > 0 ? ui_list_rows() : 1;

	columns_title(&proc_view_layout, 0, line, sizeof(line));
	skip = ui_clamp_hscroll(u, line);
	ui_put_line(u, y, line, skip, ROLE_TITLE, true);
	ui_mark_sorted(u, y++, &proc_view_layout, 0, skip, u->p.psort);
	if (!u->v || !u->v->procs) {
		ui_put_line(u, y, "  collecting processes...", 0, ROLE_DIM, false);
		return;
	}
	for (long i = u->ptop; i < u->ptop + vis && y < bottom; i++) {
		struct proc_cell cell = { .bits = u->bits };

		if (i >= (long)u->v->nprocs)
			break;
		cell.r = &u->v->procs[i];
		columns_row(&proc_view_layout, 0, &cell, line, sizeof(line));
		ui_put_line(u, y++, line, skip,
			 i == u->pcursor ? ROLE_CURSOR : ROLE_NORMAL,
			 i == u->pcursor);
	}
}
