/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fast writer under the batch formats: rows are assembled by hand in
 * a local buffer (no printf per field, no allocation per flow) and reach
 * stdio in large blocks, as a gateway snapshot of a quarter of a million
 * flows per interval needs. Numbers, JSON strings and CSV fields; the hot
 * small writers are inline so the formats built on them pay no calls.
 */
#ifndef FLOWTOP_WBUF_H
#define FLOWTOP_WBUF_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* "00" "01" ... "99": two digits per division */
extern const char wbuf_digits2[200];

/* Writes v in decimal at p; returns the end. At most 20 characters. */
static inline char *put_u64(char *p, uint64_t v)
{
	char tmp[20], *e = tmp + sizeof(tmp), *q = e;

	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	/* two digits per division: half the divisions of the plain loop */
	while (v >= 100) {
		q -= 2;
		memcpy(q, wbuf_digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, wbuf_digits2 + 2 * v, 2);
	} else {
		*--q = (char)('0' + v);
	}
	memcpy(p, q, (size_t)(e - q));
	return p + (e - q);
}

static const double pow10d[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
static const uint64_t pow10u[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

/* Largest |v| * 10^decimals handled exactly in a double's 53-bit mantissa. */
#define FIXED_LIMIT 9007199254740992.0

/* Room put_double needs: "%.17g" of any finite double, sign included. */
#define DOUBLE_MAX 32

/*
 * Writes a finite number with at most decimals (<= 6) fraction digits,
 * trailing zeros trimmed but one kept ("1.0", "12.5", "0.4"): a JSON
 * number that reads back as a float. NaN and infinities become 0.0: JSON
 * has no such numbers, and readers of a rate expect a number.
 */
static inline __attribute__((always_inline))
char *put_double(char *p, double v, int decimals)
{
	uint64_t scaled, ip, fp;
	double a;
	char frac[6];

	if (!isfinite(v) || v == 0)
		v = 0;	/* also turns -0.0 into 0.0 */
	a = fabs(v) * pow10d[decimals];
	if (a >= FIXED_LIMIT) {
		/* only absurd magnitudes get here; keep them valid JSON */
		return p + snprintf(p, DOUBLE_MAX, "%.17g", v);
	}
	scaled = (uint64_t)(a + 0.5);
	ip = scaled / pow10u[decimals];
	fp = scaled % pow10u[decimals];
	if (v < 0 && scaled)
		*p++ = '-';
	p = put_u64(p, ip);
	*p++ = '.';
	for (int i = decimals - 1; i >= 0; i--) {
		frac[i] = (char)('0' + fp % 10);
		fp /= 10;
	}
	/* decimals >= 1: at least one fraction digit stays ("1.0") */
	size_t n = (size_t)decimals;

	while (n > 1 && frac[n - 1] == '0')
		n--;
	memcpy(p, frac, n);
	return p + n;
}

#define WBUF_SIZE 32768

/* Rows are assembled here and reach stdio in WBUF_SIZE blocks. */
struct wbuf {
	FILE *out;
	int err;		/* first write error, -errno */
	size_t len;
	char b[WBUF_SIZE];
};

/* Flushes the buffer to its stream (the first error stays in err). */
void wb_flush(struct wbuf *w);
/* s as a JSON string literal, quotes included */
void wb_json_string(struct wbuf *w, const char *str);
/* s as one CSV field, quoted as RFC 4180 says when needed */
void wb_csv_field(struct wbuf *w, const char *s);
/* Flushes the buffer and the stream; the first error or 0. */
int wb_finish(struct wbuf *w);

/* Space for n more bytes (n <= WBUF_SIZE); returns where to write. */
static inline char *wb_room(struct wbuf *w, size_t n)
{
	if (w->len + n > WBUF_SIZE)
		wb_flush(w);
	return w->b + w->len;
}

static inline void wb_commit(struct wbuf *w, const char *end)
{
	w->len = (size_t)(end - w->b);
}

static inline void wb_put(struct wbuf *w, const char *s, size_t n)
{
	if (n > WBUF_SIZE / 2) {
		wb_flush(w);
		if (!w->err && fwrite_unlocked(s, 1, n, w->out) != n)
			w->err = errno ? -errno : -EIO;
		return;
	}
	memcpy(wb_room(w, n), s, n);
	w->len += n;
}

static inline void wb_puts(struct wbuf *w, const char *s)
{
	wb_put(w, s, strlen(s));
}

static inline void wb_char(struct wbuf *w, char c)
{
	*wb_room(w, 1) = c;
	w->len++;
}

static inline void wb_u64(struct wbuf *w, uint64_t v)
{
	wb_commit(w, put_u64(wb_room(w, 20), v));
}

static inline __attribute__((always_inline))
void wb_double(struct wbuf *w, double v, int decimals)
{
	wb_commit(w, put_double(wb_room(w, DOUBLE_MAX), v, decimals));
}

/* n blanks (the text table pads every cell: inline) */
static inline void wb_spaces(struct wbuf *w, size_t n)
{
	static const char sp[] = "                                ";

	while (n) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;

		wb_put(w, sp, k);
		n -= k;
	}
}

#endif
