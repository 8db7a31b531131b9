// SPDX-License-Identifier: GPL-2.0
/* Bounded wait for a snapshot's lookups (see enrich_wait.h). */
#include "enrich_wait.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/*
 * Flows still waiting are checked again when a worker says answers came
 * in, and at least this often regardless (a lookup the workers' full
 * queues refused is queued again by the check).
 */
#define RECHECK_MAX_S 0.25

/* poll() timeout in ms for s seconds, rounded up so as not to spin */
static int poll_ms(double s)
{
	if (s <= 0)
		return 0;
	if (s > 3600)
		return 3600 * 1000;
	return (int)(s * 1000) + 1;
}

/* Checks the rows in pend[0..n) again; keeps the unanswered, returns how many. */
static size_t recheck(struct enrich *e, const struct snapshot *s,
		      uint32_t *pend, size_t n)
{
	struct flow buf;
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (!enrich_flow_answered(e, snapshot_flow(s, pend[i], &buf)))
			pend[kept++] = pend[i];
	return kept;
}

int enrich_wait_snapshot(struct enrich *e, const struct snapshot *s,
			 const uint32_t *rows, size_t nrows, double timeout_s,
			 int abort_fd, struct enrich_wait_stats *st)
{
	struct enrich_wait_stats local;
	double start = mono_s(), deadline = start + timeout_s;
	double next_check = start;
	struct flow buf;
	uint32_t *pend;
	size_t n = 0;
	int efd = enrich_answer_fd(e);
	uint64_t v;

	if (!st)
		st = &local;
	if (s && !rows)
		nrows = s->n;
	st->flows = s ? nrows : 0;
	st->waited_for = st->unanswered = 0;
	st->seconds = 0;
	if (!e || !s || !nrows || !(timeout_s > 0))
		return 0;
	pend = malloc(nrows * sizeof(*pend));
	if (!pend)
		return -ENOMEM;
	/* stale wake-ups from before would only cost a check */
	while (read(efd, &v, sizeof(v)) > 0)
		;
	/* one pass: every lookup is queued before any is waited for */
	for (size_t i = 0; i < nrows; i++) {
		uint32_t row = rows ? rows[i] : (uint32_t)i;

		if (!enrich_flow_answered(e, snapshot_flow(s, row, &buf)))
			pend[n++] = row;
	}
	st->waited_for = n;
	while (n) {
		struct pollfd pfd[2] = {
			{ .fd = efd, .events = POLLIN },
			{ .fd = abort_fd, .events = POLLIN },
		};
		double now = mono_s(), wait, t0;

		if (now >= deadline)
			break;
		/*
		 * A check walks every flow still waiting: spaced by a few
		 * times its own cost, so that a big snapshot answered one
		 * name at a time is not walked once per name.
		 */
		wait = deadline - now;
		if (next_check > now) {
			if (poll(pfd + 1, abort_fd >= 0 ? 1 : 0,
				 poll_ms(next_check < deadline ?
					 next_check - now : wait)) > 0)
				break;
			continue;
		}
		if (wait > RECHECK_MAX_S)
			wait = RECHECK_MAX_S;
		if (poll(pfd, abort_fd >= 0 ? 2 : 1, poll_ms(wait)) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[1].revents)
			break;	/* a signal to handle: print what there is */
		while (read(efd, &v, sizeof(v)) > 0)
			;
		t0 = mono_s();
		n = recheck(e, s, pend, n);
		now = mono_s();
		next_check = now + 3 * (now - t0);
	}
	st->unanswered = n;
	st->seconds = mono_s() - start;
	free(pend);
	return 0;
}
