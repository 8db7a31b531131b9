/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text helpers of the interactive view: numbers with units, ages, UTF-8
 * strings cut and padded to display columns, horizontal slices, sparklines
 * and the bounded rate history they are drawn from. Pure, unit tested.
 */
#ifndef FLOWTOP_UI_TEXT_H
#define FLOWTOP_UI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui_view.h"

/* Sizes, rates and counts in SI units (powers of 1000; units.h). */
/* "987", "1.2k", "45.6M", "7.0G", "1.1T" */
const char *fmt_bytes(char *buf, size_t len, uint64_t v);
/* Bytes per second as "1.2MB/s", or bits per second as "9.8Mb/s". */
const char *fmt_rate(char *buf, size_t len, double bytes_per_s, bool bits);
/* A count (per second or not), whole below 1000: "0", "950", "20.0k", "1.2M". */
const char *fmt_count(char *buf, size_t len, double v);
/* "12s", "3m04s", "2h03m", "3d04h". */
const char *fmt_age(char *buf, size_t len, double seconds);

/* Display columns of a UTF-8 string (invalid bytes count as one). */
int ustr_cols(const char *s);

/*
 * Appends s to dst (at *pos, capacity cap, always terminated) cut and
 * padded with spaces to exactly width display columns; right aligns when
 * right is set. Control characters and invalid bytes are shown as '?'.
 * Returns the columns written.
 */
int ustr_put(char *dst, size_t cap, size_t *pos, const char *s, int width,
	     bool right);

/*
 * The part of s from display column skip that fits in width columns, into
 * out (capacity cap). A wide character cut by either edge becomes spaces.
 */
void ustr_slice(const char *s, int skip, int width, char *out, size_t cap);

/*
 * A sparkline of v[0..n) (oldest first) scaled to its maximum, the last
 * width values, with block characters when utf8, else " .:-=+*#".
 * Returns out.
 */
const char *sparkline(char *out, size_t cap, const float *v, size_t n,
		      size_t width, bool utf8);

/* Rate history of watched flows: the last HIST_LEN intervals each. */
#define HIST_LEN 60
#define HIST_MAX 512

struct hist_entry {
	struct flow_ident id;
	float byte_rate[FLOW_DIR_COUNT][HIST_LEN];	/* ring */
	unsigned int head;	/* next slot to write */
	unsigned int count;	/* valid samples, <= HIST_LEN */
	uint64_t used;		/* last sample tick, for eviction */
};

struct ui_hist {
	struct hist_entry e[HIST_MAX];
	size_t n;
	uint64_t tick;
};

/* Records one interval's sample; the least recently sampled flow goes first. */
void hist_add(struct ui_hist *h, const struct hist_sample *s);
const struct hist_entry *hist_find(const struct ui_hist *h,
				   const struct flow_ident *id);
/* The entry's byte rates in direction dir, oldest first; returns how many. */
size_t hist_series(const struct hist_entry *e, int dir, float *out,
		   size_t max);

#endif
