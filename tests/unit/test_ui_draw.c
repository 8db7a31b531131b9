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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_keeps_position),
	};

	return cmocka_run_group_tests(tests, term_up, term_down);
}
