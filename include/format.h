/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turning flows and snapshots into text, JSON and CSV. Unit tested; not
 * pure: the names, places and processes it prints come from enrich's
 * caches, and a miss there queues a lookup.
 */
#ifndef FLOWTOP_FORMAT_H
#define FLOWTOP_FORMAT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "enrich.h"
#include "names.h"
#include "snapshot.h"

/* Flow age in seconds at time now (realtime seconds), >= 0. */
double flow_age(const struct flow *f, double now);

/*
 * Prints one snapshot. first says whether this is the first snapshot of
 * the run (CSV prints its header row only then). enrich, when not NULL,
 * adds who and where to every flow (process, host names, GeoIP, service
 * names: what its caches hold now; JSON null / empty CSV field when not
 * known); NULL prints the flows alone. Returns 0 or -errno.
 */
int format_snapshot(FILE *out, const struct snapshot *snap,
		    enum output_format fmt, bool first, struct enrich *enrich);

/*
 * Which rows of a snapshot to print, in what order: batch's --filter,
 * --sort and --top. matched (how many flows the filter kept, before
 * --top) goes into the JSON object as flows_matched and into the text
 * summary.
 */
struct format_sel {
	const uint32_t *rows;	/* row numbers of the snapshot */
	size_t n;
	size_t matched;
};

/* format_snapshot of the rows sel names (NULL: every row, in order). */
int format_snapshot_sel(FILE *out, const struct snapshot *snap,
			enum output_format fmt, bool first,
			struct enrich *enrich, const struct format_sel *sel);

/*
 * Writes s as a JSON string literal, quotes included (RFC 8259 escapes;
 * bytes that are not UTF-8 become U+FFFD). 0 or -errno.
 */
int format_json_string(FILE *out, const char *s);

/* Writes s as one CSV field, quoted as RFC 4180 says when needed. 0 or -errno. */
int format_csv_field(FILE *out, const char *s);

/*
 * Blanks that pad a text cell of len bytes to a column of width. The text
 * table formats its rows twice (widths first, then lines) and a name or
 * process may arrive from the lookup threads in between: a row can come
 * out longer than its column the second time. It then sticks out; never
 * width - len wrapped around to an endless run of blanks.
 */
static inline size_t text_pad(size_t width, size_t len)
{
	return len < width ? width - len : 0;
}

#endif
