/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one unit formatter of flowtop: the view, the batch text table and
 * the group tables all write sizes, rates and counts through it, so a
 * number reads the same wherever it appears (see UNITS in flowtop(8)).
 */
#ifndef FLOWTOP_UNITS_H
#define FLOWTOP_UNITS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest units_put text: a clamped 15-digit number and a prefix. */
#define UNITS_MAX 16

/*
 * Writes v at p with an SI prefix (powers of 1000: k M G T P E) and at
 * most four significant characters before it: "0", "0.5", "12", "999",
 * "1.2k", "34.5M", "999.9G". whole: v counts whole things (bytes,
 * packets, flows): below 1000 it is written without a fraction ("12",
 * never "12.0"). Not finite, zero or negative: "0". No NUL; returns the
 * end (at most UNITS_MAX bytes written).
 */
char *units_put(char *p, double v, bool whole);

/* units_put into buf, then suffix ("B/s", "b/s", ""); returns buf. */
const char *units_fmt(char *buf, size_t len, double v, bool whole,
		      const char *suffix);

#endif
