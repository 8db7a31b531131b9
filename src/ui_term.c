// SPDX-License-Identifier: GPL-2.0
/*
 * Terminal restore that also works from a fatal signal handler. Kept
 * apart because <term.h> defines macros (lines, tab, …) that clash with
 * ordinary identifiers elsewhere.
 */
#include <curses.h>
#include <signal.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "ui_term.h"

static volatile sig_atomic_t curses_on;
static struct termios saved_tio;
static bool saved_tio_ok;
static char restore_seq[256];	/* rmcup + cnorm + sgr0 from terminfo */
static size_t restore_len;

static void add_cap(const char *name)
{
	char *s = tigetstr(name);
	size_t l;

	if (!s || s == (char *)-1)
		return;
	l = strlen(s);
	if (restore_len + l < sizeof(restore_seq)) {
		memcpy(restore_seq + restore_len, s, l);
		restore_len += l;
	}
}

void ui_term_save(void)
{
	saved_tio_ok = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
}

void ui_term_started(void)
{
	restore_len = 0;
	add_cap("rmcup");
	add_cap("cnorm");
	add_cap("sgr0");
	curses_on = 1;
}

bool ui_term_forget(void)
{
	bool was = curses_on;

	curses_on = 0;
	return was;
}

void ui_emergency_restore(void)
{
	if (!curses_on)
		return;
	curses_on = 0;
	/* write() and tcsetattr() are async-signal-safe; endwin() is not */
	if (restore_len && write(STDOUT_FILENO, restore_seq, restore_len) < 0)
		(void)0;
	if (saved_tio_ok)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
}
