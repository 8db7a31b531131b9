// SPDX-License-Identifier: GPL-2.0
/* Per-flow deadlines in a min-heap with lazy deletion (see deadline.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"

static void sift_up(struct deadline_ent *h, size_t i)
{
	struct deadline_ent e = h[i];

	while (i) {
		size_t p = (i - 1) / 2;

		if (h[p].sec <= e.sec)
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

static void sift_down(struct deadline_ent *h, size_t n, size_t i)
{
	struct deadline_ent e = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1].sec < h[c].sec)
			c++;
		if (e.sec <= h[c].sec)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

static bool is_live(const struct deadline_heap *d, const struct deadline_ent *e)
{
	return e->idx < d->at_cap && d->at[e->idx] == e->sec;
}

/*
 * Drops the entries of moved or cleared deadlines: without it a flow whose
 * deadline moves every few seconds for hours would grow the heap for ever.
 * Linear, and done only when the stale entries are more than half.
 */
static void compact(struct deadline_heap *d)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n; i++)
		if (is_live(d, &d->h[i]))
			d->h[k++] = d->h[i];
	d->n = k;
	for (size_t i = k / 2; i-- > 0;)
		sift_down(d->h, d->n, i);
}

static int grow_at(struct deadline_heap *d, uint32_t idx)
{
	size_t cap;
	uint32_t *at;
	uint8_t *t;

	if (idx < d->at_cap)
		return 0;
	cap = d->at_cap ? d->at_cap : 1024;
	while (cap <= idx)
		cap *= 2;
	/* touched first: if at cannot grow, at_cap still fits both */
	t = realloc(d->touched, cap);
	if (!t)
		return -ENOMEM;
	d->touched = t;
	at = realloc(d->at, cap * sizeof(*at));
	if (!at)
		return -ENOMEM;
	memset(at + d->at_cap, 0, (cap - d->at_cap) * sizeof(*at));
	memset(t + d->at_cap, 0, cap - d->at_cap);
	d->at = at;
	d->at_cap = cap;
	return 0;
}

int deadline_set(struct deadline_heap *d, uint32_t idx, uint32_t sec)
{
	if (!sec)
		return -EINVAL;
	if (grow_at(d, idx))
		return -ENOMEM;
	d->touched[idx] = 0;
	if (d->at[idx] == sec)
		return 0;	/* its entry is in the heap already */
	if (d->n > 2 * d->live + 1024)
		compact(d);
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		struct deadline_ent *h = realloc(d->h, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		d->h = h;
		d->cap = cap;
	}
	if (!d->at[idx])
		d->live++;
	d->at[idx] = sec;
	d->h[d->n] = (struct deadline_ent){ .sec = sec, .idx = idx };
	sift_up(d->h, d->n++);
	return 0;
}

bool deadline_touch(struct deadline_heap *d, uint32_t idx)
{
	if (idx >= d->at_cap || !d->at[idx] || d->touched[idx])
		return false;
	d->touched[idx] = 1;
	return true;
}

void deadline_clear(struct deadline_heap *d, uint32_t idx)
{
	if (idx < d->at_cap && d->at[idx]) {
		d->at[idx] = 0;
		d->live--;
	}
}

uint32_t deadline_of(const struct deadline_heap *d, uint32_t idx)
{
	return idx < d->at_cap ? d->at[idx] : 0;
}

bool deadline_pop_due(struct deadline_heap *d, uint32_t now, uint32_t *idx,
		      bool *touched)
{
	while (d->n && d->h[0].sec <= now) {
		struct deadline_ent e = d->h[0];

		d->h[0] = d->h[--d->n];
		if (d->n)
			sift_down(d->h, d->n, 0);
		if (!is_live(d, &e))
			continue;
		*touched = d->touched[e.idx];
		deadline_clear(d, e.idx);
		*idx = e.idx;
		return true;
	}
	return false;
}

void deadline_free(struct deadline_heap *d)
{
	free(d->h);
	free(d->at);
	free(d->touched);
	memset(d, 0, sizeof(*d));
}
