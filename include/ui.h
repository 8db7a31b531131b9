/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interactive ncurses view. One UI thread polls the terminal, the
 * collector's wake-up fd, the view builder's fd and the signal fds; it
 * handles every pending key before drawing and draws only what is on
 * screen. Sorting and filtering happen in the view builder (ui_view.h).
 */
#ifndef FLOWTOP_UI_H
#define FLOWTOP_UI_H

#include "collector.h"
#include "config.h"
#include "enrich.h"

/*
 * Runs the view until the user quits (q) or a signal arrives on sig_fd
 * (a signalfd for SIGINT/SIGTERM/SIGHUP). SIGWINCH must be blocked in
 * every thread: the view reads it from its own signalfd. The terminal is
 * restored before returning, on every path. 0 or a negative errno (the
 * reason is printed on stderr).
 */
int ui_run(struct collector *col, const struct config *cfg, int sig_fd,
	   struct enrich *enrich);

/*
 * ui_emergency_restore() (ui_term.h): async-signal-safe terminal restore
 * for fatal signal handlers: leaves the alternate screen, shows the cursor
 * and puts back the terminal modes saved when the view started. Does
 * nothing when no view runs.
 */
#include "ui_term.h"

#endif
