/* SPDX-License-Identifier: GPL-2.0 */
/* State shared by the interactive view's parts (ui.c keys, ui_draw.c). */
#ifndef FLOWTOP_UI_INTERNAL_H
#define FLOWTOP_UI_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>

#include "collector.h"
#include "config.h"
#include "enrich.h"
#include "log.h"
#include "ui_term.h"
#include "ui_text.h"
#include "ui_view.h"

enum ui_tab { TAB_FLOWS = 0, TAB_PROCS, TAB_GROUPS };

/* colour pairs / attributes by role (monochrome fallbacks in ui_draw.c) */
enum ui_role {
	ROLE_NORMAL = 0,
	ROLE_HEADER,
	ROLE_TITLE,
	ROLE_CURSOR,
	ROLE_GONE,
	ROLE_PAUSED,
	ROLE_FOOTER,
	ROLE_DIM,
	ROLE_COUNT,
};

struct ui {
	struct collector *col;
	const struct config *cfg;
	struct enrich *enrich;
	struct ui_builder *b;
	struct view *v;			/* shown now; NULL before the first */
	struct ui_params p;

	enum ui_tab tab;
	long cursor, top;		/* flows tab: positions in v->idx */
	struct flow_ident sel;		/* the flow the cursor is on */
	bool sel_valid;
	struct flow sel_flow;		/* its last copy (detail of a gone flow) */
	bool sel_gone;
	long pcursor, ptop;		/* processes tab */
	int32_t psel_pid;
	bool psel_valid;
	long gcursor, gtop;		/* groups tab */
	struct group_key gsel;		/* the group the cursor is on */
	bool gsel_valid;
	int hscroll;

	bool detail, help, editing, paused, bits, show_src, dns, geo;
	bool quit;
	char edit[UI_FILTER_MAX];
	/* why the text typed at '/' is no filter expression ("" when it
	 * is one); the last valid filter stays in force meanwhile */
	char filter_err[256];

	bool color, utf8;
	int attr[ROLE_COUNT];
	struct ui_hist hist;
	struct flow_ident watch[UI_WATCH_MAX];
	size_t nwatch;

	/* the newest logged message, in the footer until status_until */
	char status[LOG_MSG_MAX];
	uint64_t status_seq, status_until;	/* log_latest's; mono ns */
};

/* room for one screen line of any tab (before it is cut to COLS) */
#define LINE_MAX_BYTES 2048

/* layout: header rows on top, title row, list, one footer row */
#define UI_HEADER_ROWS 2

/* ui_lines.c: geometry and line output for every tab */
int ui_list_rows(void);
int ui_flow_height(const struct ui *u);
long ui_visible_flows(const struct ui *u);

/* one screen line: text from display column skip, padded when fill */
void ui_put_line(const struct ui *u, int y, const char *text, int skip,
		 enum ui_role role, bool fill);
void ui_get_info(const struct ui *u, const struct flow *f,
		 struct flow_info *info);
int ui_clamp_hscroll(struct ui *u, const char *title);

/* ui_draw.c: the whole screen */
void ui_draw_init(struct ui *u);
void ui_draw(struct ui *u);

/* ui_draw_flows.c, ui_draw_procs.c: the flows and processes tabs */
void ui_draw_flows(struct ui *u);
void ui_draw_procs(struct ui *u);
/* "http", "8080" or ICMP "type/code" for the destination port */
const char *ui_port_text(char *buf, size_t len, const struct flow_key *k,
			 const char *service);

static inline bool ui_is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* ICMP type (0) and code (1) are the bytes of dport, in memory order */
static inline unsigned int ui_icmp_byte(const struct flow_key *k, int i)
{
	return ((const uint8_t *)&k->dport)[i];
}

/* ui_draw_group.c: the groups tab */
void ui_draw_groups(struct ui *u);

struct column_table;

/* ui_lines.c: underlines the titles (row y) of the columns sorted by key */
void ui_mark_sorted(const struct ui *u, int y, const struct column_table *t,
		    int flex, int skip, int key);

#endif
