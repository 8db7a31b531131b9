// SPDX-License-Identifier: GPL-2.0
/*
 * The drawn screen (ncurses on a terminal written to /dev/null, read back
 * from curses' own screen): what a key must change there.
 */
#include <arpa/inet.h>
#include <curses.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "collector.h"
#include "config.h"
#include "filter.h"
#include "snap_of_flows.h"
#include "ui_internal.h"
#include "ui_view.h"

#define ROWS 100

static SCREEN *scr;
static FILE *term_out, *term_in;

static int term_up(void **state)
{
	(void)state;
	term_out = fopen("/dev/null", "w");
	term_in = fopen("/dev/null", "r");
	if (!term_out || !term_in)
		return -1;
	scr = newterm("vt100", term_out, term_in);
	if (!scr)
		return -1;
	resizeterm(30, 120);
	return 0;
}

static int term_down(void **state)
{
	(void)state;
	endwin();
	delscreen(scr);
	fclose(term_out);
	fclose(term_in);
	return 0;
}

/* ROWS flows that look alike on screen: one host pair, one service */
static struct view *alike_view(void)
{
	struct snapshot_meta m = { .seq = 2, .time = 100.0 };
	struct flow *flows = calloc(ROWS, sizeof(*flows));
	struct ui_params p = { .sort = SORT_BYTES, .protos = SEL_PROTOS };
	struct snapshot *s;
	struct view *v;

	assert_non_null(flows);
	for (size_t i = 0; i < ROWS; i++) {
		flows[i].ct_id = (uint32_t)(1 + i);
		flows[i].key.family = AF_INET;
		flows[i].key.proto = IPPROTO_UDP;
		flows[i].key.src[0] = htonl(0xc0000201);
		flows[i].key.dst[0] = htonl(0xc6336407);
		flows[i].key.sport = htons((uint16_t)(40000 + i));
		flows[i].key.dport = htons(9);
	}
	s = snapshot_of_flows(flows, ROWS, &m);
	assert_non_null(s);
	free(flows);
	v = view_build(s, &p, NULL, NULL, NULL, false, NULL, 0);
	assert_non_null(v);
	snapshot_put(s);
	return v;
}

static const char *footer(void)
{
	static char line[512];

	mvinnstr(LINES - 1, 0, line, COLS);
	return line;
}

static void test_message_keeps_position(void **state)
{
	struct config cfg = { .interval_s = 1 };
	struct ui u = { .cfg = &cfg };
	char before[512];

	(void)state;
	ui_draw_init(&u);
	u.v = alike_view();
	u.cursor = 41;
	u.top = 20;

	ui_draw(&u);
	assert_non_null(strstr(footer(), " row 42/100 "));

	/* a message logged meanwhile (GeoIP without a database, say) */
	snprintf(u.status, sizeof(u.status), "no geoip.conf found; running "
		 "without GeoIP");
	ui_draw(&u);
	assert_non_null(strstr(footer(), "no geoip.conf found"));
	assert_non_null(strstr(footer(), " row 42/100 "));
	snprintf(before, sizeof(before), "%s", footer());

	/* one row down among rows alike: the footer is what changes */
	u.cursor++;
	ui_draw(&u);
	assert_non_null(strstr(footer(), " row 43/100 "));
	assert_string_not_equal(before, footer());

	/* a message too long for the line gives way to the position */
	memset(u.status, 'x', sizeof(u.status) - 1);
	u.status[sizeof(u.status) - 1] = '\0';
	ui_draw(&u);
	assert_non_null(strstr(footer(), " row 43/100 "));

	/* so does the note of a filter that was not applied */
	u.status[0] = '\0';
	snprintf(u.filter_err, sizeof(u.filter_err), "unknown word \"dprt\"");
	ui_draw(&u);
	assert_non_null(strstr(footer(), "bad filter, not applied"));
	assert_non_null(strstr(footer(), " row 43/100 "));

	view_put(u.v);
}

/* row y of the screen as cells: characters with their attributes */
static void row_cells(int y, chtype *cells, int n)
{
	for (int x = 0; x < n; x++)
		cells[x] = mvinch(y, x);
}

/*
 * What the previous way of drawing a line left on screen (attrset, then
 * addstr of the text from column skip, padded to the width): the
 * reference for ui_put_line's cells.
 */
static void reference_line(int y, const char *text, int skip, int attr,
			   bool fill)
{
	char out[512];
	int width = y == LINES - 1 ? COLS - 1 : COLS;
	int n = snprintf(out, sizeof(out), "%s",
			 (size_t)skip < strlen(text) ? text + skip : "");

	if (n > width)
		out[width] = '\0';
	while (fill && (int)strlen(out) < width)
		strcat(out, " ");
	attrset(attr);
	mvaddstr(y, 0, out);
	attrset(A_NORMAL);
}

static void test_line_cells_match_addstr(void **state)
{
	static const char *const texts[] = {
		"  192.0.2.1:40001  udp  9  12.5k  3.4M",
		"",
		"x",
		/* longer than the 120 columns: clipped */
		"0123456789012345678901234567890123456789012345678901234567890"
		"1234567890123456789012345678901234567890123456789012345678901"
		"23456789",
	};
	struct config cfg = { .interval_s = 1 };
	struct ui u = { .cfg = &cfg };
	chtype want[120], got[120];

	(void)state;
	u.attr[ROLE_NORMAL] = A_NORMAL;
	u.attr[ROLE_CURSOR] = A_REVERSE | A_BOLD;
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		for (int skip = 0; skip < 4; skip += 3) {
			for (int fill = 0; fill < 2; fill++) {
				for (int role = ROLE_NORMAL; role <= ROLE_CURSOR;
				     role += ROLE_CURSOR - ROLE_NORMAL) {
					/* rows prefilled so that a
					 * missing pad shows */
					erase();
					mvaddstr(3, 0, "########");
					mvaddstr(4, 0, "########");
					mvaddstr(LINES - 1, 100, "#####");
					reference_line(3, texts[t], skip,
						       u.attr[role], fill);
					ui_put_line(&u, 4, texts[t], skip, role,
						    fill);
					row_cells(3, want, COLS);
					row_cells(4, got, COLS);
					assert_memory_equal(want, got,
							    sizeof(want));
					/* the last line keeps its last cell */
					ui_put_line(&u, LINES - 1, texts[t],
						    skip, role, fill);
					row_cells(LINES - 1, got, COLS);
					assert_int_equal(got[COLS - 1] & A_CHARTEXT,
							 ' ');
				}
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_keeps_position),
		cmocka_unit_test(test_line_cells_match_addstr),
	};

	return cmocka_run_group_tests(tests, term_up, term_down);
}
