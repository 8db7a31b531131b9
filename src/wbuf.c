// SPDX-License-Identifier: GPL-2.0
/* The batch formats' writer: flushing, blanks, JSON and CSV escaping. */
#include "wbuf.h"

#include <errno.h>

#include "utf8.h"

const char wbuf_digits2[200] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

void wb_flush(struct wbuf *w)
{
	if (w->len && !w->err &&
	    fwrite_unlocked(w->b, 1, w->len, w->out) != w->len)
		w->err = errno ? -errno : -EIO;
	w->len = 0;
}

void wb_json_string(struct wbuf *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;

	wb_char(w, '"');
	while (*s) {
		const unsigned char *run = s;

		/* copy plain ASCII in one go */
		while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
			s++;
		if (s > run)
			wb_put(w, (const char *)run, (size_t)(s - run));
		if (!*s)
			break;

		unsigned char c = *s;
		char *p = wb_room(w, 6);

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
			s++;
		} else if (c < 0x20) {
			*p++ = '\\';
			switch (c) {
			case '\b': *p++ = 'b'; break;
			case '\f': *p++ = 'f'; break;
			case '\n': *p++ = 'n'; break;
			case '\r': *p++ = 'r'; break;
			case '\t': *p++ = 't'; break;
			default:
				memcpy(p, "u00", 3);
				p += 3;
				*p++ = hex[c >> 4];
				*p++ = hex[c & 15];
			}
			s++;
		} else {
			/* JSON text must be UTF-8: bytes that are not become U+FFFD */
			uint32_t cp;
			size_t n = utf8_decode(s, 4, &cp);

			if (n) {
				memcpy(p, s, n);
				p += n;
				s += n;
			} else {
				memcpy(p, "\\ufffd", 6);
				p += 6;
				s++;
			}
		}
		wb_commit(w, p);
	}
	wb_char(w, '"');
}

void wb_csv_field(struct wbuf *w, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		wb_puts(w, s);
		return;
	}
	/* RFC 4180: enclose in quotes, double the quotes inside */
	wb_char(w, '"');
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		wb_put(w, s, (size_t)(q - s) + 1);
		wb_char(w, '"');
	}
	wb_puts(w, s);
	wb_char(w, '"');
}

int wb_finish(struct wbuf *w)
{
	wb_flush(w);
	if (!w->err && fflush(w->out))
		w->err = errno ? -errno : -EIO;
	return w->err;
}
