// SPDX-License-Identifier: GPL-2.0
/* Units, UTF-8 column arithmetic, sparklines and rate history for the view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui_text.h"
#include "units.h"

/* Sizes, rates and counts: SI units, as everywhere in flowtop (units.c). */
const char *fmt_bytes(char *buf, size_t len, uint64_t v)
{
	return units_fmt(buf, len, (double)v, true, "");
}

const char *fmt_rate(char *buf, size_t len, double bytes_per_s, bool bits)
{
	if (bits)
		return units_fmt(buf, len, bytes_per_s * 8, false, "b/s");
	return units_fmt(buf, len, bytes_per_s, false, "B/s");
}

const char *fmt_count(char *buf, size_t len, double v)
{
	return units_fmt(buf, len, v, true, "");
}

const char *fmt_age(char *buf, size_t len, double s)
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	if (t < 60)
		snprintf(buf, len, "%llus", t);
	else if (t < 3600)
		snprintf(buf, len, "%llum%02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%lluh%02llum", t / 3600, t / 60 % 60);
	else
		snprintf(buf, len, "%llud%02lluh", t / 86400, t / 3600 % 24);
	return buf;
}

/* Next character of s: its byte length and display width (>= 0). */
static size_t next_char(const char *s, int *width, bool *bad)
{
	unsigned char c = (unsigned char)*s;
	mbstate_t st;
	wchar_t wc;
	size_t n;
	int w;

	/*
	 * ASCII, nearly every byte of a screen: what mbrtowc and wcwidth
	 * answer for it (one column, controls -1: bad) without the two
	 * calls through the locale, a quarter of the view thread's time at
	 * 262144 flows (bench/README.md, session 7)
	 */
	if (c < 0x80) {
		*bad = c < 0x20 || c == 0x7f;
		*width = 1;
		return 1;
	}
	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
	*bad = false;
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*bad = true;
		*width = 1;
		return 1;
	}
	w = wcwidth(wc);
	if (w < 0) {
		*bad = true;
		w = 1;
	}
	*width = w;
	return n;
}

int ustr_cols(const char *s)
{
	int cols = 0, w;
	bool bad;

	while (s && *s) {
		s += next_char(s, &w, &bad);
		cols += w;
	}
	return cols;
}

static void put_bytes(char *dst, size_t cap, size_t *pos, const char *s,
		      size_t n)
{
	if (*pos + n >= cap)
		return;
	memcpy(dst + *pos, s, n);
	*pos += n;
	dst[*pos] = '\0';
}

static void put_spaces(char *dst, size_t cap, size_t *pos, int n)
{
	while (n-- > 0)
		put_bytes(dst, cap, pos, " ", 1);
}

int ustr_put(char *dst, size_t cap, size_t *pos, const char *s, int width,
	     bool right)
{
	int used = 0, w, pad;
	const char *p = s ? s : "";
	size_t start, n;
	bool bad;

	if (cap == 0 || width <= 0)
		return 0;
	if (*pos >= cap)
		*pos = cap - 1;
	dst[*pos] = '\0';
	/* how much of s fits */
	for (n = 0; p[n];) {
		size_t l = next_char(p + n, &w, &bad);

		if (used + w > width)
			break;
		used += w;
		n += l;
	}
	pad = width - used;
	if (right)
		put_spaces(dst, cap, pos, pad);
	for (start = 0; start < n;) {
		size_t l = next_char(p + start, &w, &bad);

		if (bad || (unsigned char)p[start] < 0x20)
			put_bytes(dst, cap, pos, "?", 1);
		else
			put_bytes(dst, cap, pos, p + start, l);
		start += l;
	}
	if (!right)
		put_spaces(dst, cap, pos, pad);
	return width;
}

void ustr_slice(const char *s, int skip, int width, char *out, size_t cap)
{
	size_t pos = 0;
	int col = 0, w;
	bool bad;

	if (!cap)
		return;
	out[0] = '\0';
	while (*s && col < skip + width) {
		size_t l = next_char(s, &w, &bad);

		if (col >= skip && col + w <= skip + width) {
			if (bad || (unsigned char)*s < 0x20)
				put_bytes(out, cap, &pos, "?", 1);
			else
				put_bytes(out, cap, &pos, s, l);
		} else if (col + w > skip) {
			/* a wide character cut by an edge */
			int vis = (col + w > skip + width ? skip + width : col + w) -
				  (col < skip ? skip : col);

			put_spaces(out, cap, &pos, vis);
		}
		col += w;
		s += l;
	}
}

const char *sparkline(char *out, size_t cap, const float *v, size_t n,
		      size_t width, bool utf8)
{
	static const char *const blocks[8] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588",
	};
	static const char ascii[] = " .:-=+*#";
	size_t pos = 0, i, first = n > width ? n - width : 0;
	float max = 0;

	if (!cap)
		return out;
	out[0] = '\0';
	for (i = first; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (i = first; i < n; i++) {
		int level = 0;

		if (max > 0 && v[i] > 0) {
			level = (int)(v[i] / max * 7.0f + 0.5f);
			if (level < 1)
				level = 1;	/* any traffic shows */
			if (level > 7)
				level = 7;
		}
		if (utf8)
			put_bytes(out, cap, &pos, blocks[level], strlen(blocks[level]));
		else
			put_bytes(out, cap, &pos, &ascii[level], 1);
	}
	return out;
}

static struct hist_entry *hist_lookup(const struct ui_hist *h,
				      const struct flow_ident *id)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct hist_entry *e = &h->e[i];

		if (e->id.ct_id == id->ct_id &&
		    !memcmp(&e->id.key, &id->key, sizeof(id->key)))
			return (struct hist_entry *)e;
	}
	return NULL;
}

void hist_add(struct ui_hist *h, const struct hist_sample *s)
{
	struct hist_entry *e = hist_lookup(h, &s->id);

	h->tick++;
	if (!e) {
		if (h->n < HIST_MAX) {
			e = &h->e[h->n++];
		} else {
			e = &h->e[0];
			for (size_t i = 1; i < h->n; i++)
				if (h->e[i].used < e->used)
					e = &h->e[i];
		}
		memset(e, 0, sizeof(*e));
		e->id = s->id;
	}
	for (int d = 0; d < FLOW_DIR_COUNT; d++)
		e->byte_rate[d][e->head] = s->byte_rate[d];
	e->head = (e->head + 1) % HIST_LEN;
	if (e->count < HIST_LEN)
		e->count++;
	e->used = h->tick;
}

const struct hist_entry *hist_find(const struct ui_hist *h,
				   const struct flow_ident *id)
{
	return hist_lookup(h, id);
}

size_t hist_series(const struct hist_entry *e, int dir, float *out,
		   size_t max)
{
	size_t n = e->count < max ? e->count : max;
	unsigned int start = (e->head + HIST_LEN - n) % HIST_LEN;

	for (size_t i = 0; i < n; i++)
		out[i] = e->byte_rate[dir][(start + i) % HIST_LEN];
	return n;
}
