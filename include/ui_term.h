/* SPDX-License-Identifier: GPL-2.0 */
/* The saved terminal state behind ui_emergency_restore() (ui_term.c). */
#ifndef FLOWTOP_UI_TERM_H
#define FLOWTOP_UI_TERM_H

#include <stdbool.h>

void ui_term_save(void);	/* before curses starts */
void ui_term_started(void);	/* once it runs */
bool ui_term_forget(void);	/* curses is ending: true if it ran */
void ui_emergency_restore(void);

#endif
