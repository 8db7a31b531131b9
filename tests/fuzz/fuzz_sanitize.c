// SPDX-License-Identifier: GPL-2.0
/*
 * Outside strings (sanitize.c, and proc.c's /proc/PID/fd link reader):
 * the first byte is the output buffer size, the rest the string (a PTR
 * name, GeoIP field, process or user name). The output is checked, not
 * only survived: NUL-terminated within the buffer, its length returned,
 * valid UTF-8 without controls, ESC or bidi overrides. Then both the raw
 * and the sanitized string go through the view's column code (ui_text.c:
 * display width, cut and pad, horizontal slice), as a PTR name does.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "proc.h"
#include "sanitize.h"
#include "ui_text.h"

/* Length of the valid, shortest-form UTF-8 character at s, or 0. */
static size_t utf8_len(const unsigned char *s, uint32_t *cp)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 :
		   s[0] >= 0xc2 ? 2 : 0;
	uint32_t v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1f :
		     n == 3 ? s[0] & 0x0f : s[0] & 0x07;

	if (!n || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v < 0xe000) || v > 0x10ffff)
		return 0;
	*cp = v;
	return n;
}

static void check(const char *dst, size_t size, size_t ret)
{
	const unsigned char *s = (const unsigned char *)dst;

	if (!size)
		return;
	if (ret >= size || strlen(dst) != ret)
		abort();
	for (size_t i = 0; i < ret;) {
		uint32_t cp;
		size_t n = utf8_len(s + i, &cp);

		if (!n || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			abort();
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dst, *str;
	size_t cap, ret;

	if (!size)
		return 0;
	cap = data[0];
	dst = malloc(cap ? cap : 1);
	if (!dst)
		return 0;
	ret = sanitize_text(dst, cap, (const char *)data + 1, size - 1);
	check(dst, cap, ret);
	str = fuzz_strdup(data + 1, size - 1);
	ret = sanitize_str(dst, cap, str);
	check(dst, cap, ret);
	proc_socket_inode(str);

	{
		char line[128] = "";
		size_t pos = 0;
		int w = data[0] % 90;
		/* a 0-byte buffer got nothing, not even a NUL */
		const char *clean = cap ? dst : "";

		ustr_cols(str);
		ustr_cols(clean);
		ustr_put(line, sizeof(line), &pos, str, w, data[0] & 1);
		ustr_put(line, sizeof(line), &pos, clean, w, false);
		if (pos >= sizeof(line) || strlen(line) != pos)
			abort();
		ustr_slice(str, data[0] % 7, w, line, sizeof(line));
		ustr_slice(clean, data[0] % 5, w, line, 8);
	}
	free(str);
	free(dst);
	return 0;
}
