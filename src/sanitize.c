// SPDX-License-Identifier: GPL-2.0
/* Outside strings → printable UTF-8 (see sanitize.h). Pure, unit tested. */
#include "sanitize.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * Code points that change how a terminal shows what follows although
 * they are valid text: C1 controls, line/paragraph separators, bidi
 * embeddings/overrides/isolates (the "Trojan Source" characters), BOM.
 */
static bool is_unsafe(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0xfeff;
}

/*
 * Bytes of the escape sequence starting with ESC at s: the whole CSI
 * (ESC [ params intermediates final), OSC/DCS/APC/PM/SOS string (up to
 * BEL or ESC \), or ESC plus one byte. The body is printable ASCII, but
 * shown without its ESC it is still noise, so it is dropped with it.
 */
static size_t escape_len(const unsigned char *s, size_t n)
{
	size_t i = 1;

	if (n < 2)
		return 1;
	switch (s[1]) {
	case '[':
		i = 2;
		while (i < n && s[i] >= 0x20 && s[i] <= 0x3f)
			i++;
		if (i < n && s[i] >= 0x40 && s[i] <= 0x7e)
			i++;
		return i;
	case ']': case 'P': case '_': case '^': case 'X':
		for (i = 2; i < n; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == 0x1b && i + 1 < n && s[i + 1] == '\\')
				return i + 2;
			if (s[i] == 0x1b)
				return i;
		}
		return n;
	}
	return s[1] >= 0x20 && s[1] < 0x7f ? 2 : 1;
}

size_t sanitize_text(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t in = 0, out = 0;
	/* where the text would end if "..." had to be appended */
	size_t cut = 0;
	bool truncated = false;

	if (!size)
		return 0;
	while (in < len && s[in]) {
		size_t end = len;
		const void *nul = memchr(s + in, 0, len - in);
		const unsigned char *chunk;
		size_t clen;
		uint32_t cp;
		char q = '?';

		if (nul)
			end = (size_t)((const unsigned char *)nul - s);
		if (s[in] == 0x1b) {
			clen = escape_len(s + in, end - in);
			chunk = (const unsigned char *)&q;
			in += clen;
			clen = 1;
		} else {
			clen = utf8_decode(s + in, end - in, &cp);
			if (!clen || is_unsafe(cp)) {
				in += clen ? clen : 1;
				chunk = (const unsigned char *)&q;
				clen = 1;
			} else {
				chunk = s + in;
				in += clen;
			}
		}
		if (out + 3 <= size - 1)
			cut = out;
		if (out + clen > size - 1) {
			truncated = true;
			break;
		}
		memcpy(dst + out, chunk, clen);
		out += clen;
	}
	if (truncated) {
		/* room for "..." only if the buffer is big enough for it */
		if (size > 3) {
			out = cut;
			memcpy(dst + out, "...", 3);
			out += 3;
		}
	}
	dst[out] = '\0';
	return out;
}

size_t sanitize_str(char *dst, size_t size, const char *src)
{
	if (!src) {
		if (size)
			dst[0] = '\0';
		return 0;
	}
	return sanitize_text(dst, size, src, strlen(src));
}
