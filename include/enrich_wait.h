/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batch mode's wait for the lookups of the flows it is about to print
 * (owner process, reverse DNS; GeoIP and service names answer at once):
 * a one-shot snapshot is then complete instead of printing null for
 * what the workers had no time to find. The interactive view never
 * waits.
 */
#ifndef FLOWTOP_ENRICH_WAIT_H
#define FLOWTOP_ENRICH_WAIT_H

#include <stddef.h>
#include <stdint.h>

#include "enrich.h"
#include "snapshot.h"

struct enrich_wait_stats {
	size_t flows;		/* rows looked at */
	size_t waited_for;	/* flows with a lookup to wait for at first */
	size_t unanswered;	/* of those, still without an answer at the end */
	double seconds;		/* time spent */
};

/*
 * Queues every lookup of the flows of s that the caches cannot answer,
 * all at once (the workers run them side by side: a socket dump serves
 * all process lookups, DNS queries go out together), then waits until
 * each has its answer, timeout_s has passed, or abort_fd (-1: none)
 * becomes readable (a signal to handle), whichever comes first. What did
 * not answer in time stays unknown. The flows: rows[0..nrows) (row
 * numbers of s), or every row when rows is NULL. st may be NULL. 0, or
 * -ENOMEM (then nothing was waited for).
 */
int enrich_wait_snapshot(struct enrich *e, const struct snapshot *s,
			 const uint32_t *rows, size_t nrows, double timeout_s,
			 int abort_fd, struct enrich_wait_stats *st);

#endif
