// SPDX-License-Identifier: GPL-2.0
/*
 * Country names from the iso-codes package's ISO 3166-1 JSON, by alpha-2
 * code (see geoip.h): a small reader for that one file's shape.
 */
#include "geoip.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "sanitize.h"
#include "utf8.h"


/* 26 × 26 slots, one per alpha-2 code */
static char *iso_names[26 * 26];
static pthread_once_t iso_once = PTHREAD_ONCE_INIT;

static int iso_slot(const char *code)
{
	int a, b;

	if (!code || !isalpha((unsigned char)code[0]) ||
	    !isalpha((unsigned char)code[1]) || code[2])
		return -1;
	a = toupper((unsigned char)code[0]) - 'A';
	b = toupper((unsigned char)code[1]) - 'A';
	return a * 26 + b;
}

static void put_utf8(char **o, char *end, uint32_t cp)
{
	char buf[4];
	size_t n = utf8_encode(buf, cp);

	if (*o + n < end) {
		memcpy(*o, buf, n);
		*o += n;
	}
}

/*
 * The value of exactly 4 hex digits at s, or -1. Not sscanf's %4x: that
 * also takes fewer digits, a sign or blanks, and the caller then skipped 4
 * bytes, past the end of the text ("\\uf" at its end; found by fuzzing).
 */
static long hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)s[i];	/* a NUL stops it: not a digit */

		if (!isxdigit(c))
			return -1;
		v = v << 4 | (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	return v;
}

/*
 * Reads the JSON string starting at the quote *p into out (cap bytes,
 * decoded to UTF-8, cut if longer); *p moves past it. false on bad input.
 */
static bool json_string(const char **p, char *out, size_t cap)
{
	const char *s = *p + 1;
	char *o = out, *end = out + cap - 1;

	while (*s && *s != '"') {
		if (*s != '\\') {
			if (o < end)
				*o++ = *s;
			s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'b': put_utf8(&o, end + 1, '\b'); break;
		case 'f': put_utf8(&o, end + 1, '\f'); break;
		case 'n': put_utf8(&o, end + 1, '\n'); break;
		case 'r': put_utf8(&o, end + 1, '\r'); break;
		case 't': put_utf8(&o, end + 1, '\t'); break;
		case 'u': {
			long cp = hex4(s + 1), lo;

			if (cp < 0)
				return false;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' &&
			    s[2] == 'u' && (lo = hex4(s + 3)) >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			put_utf8(&o, end + 1, (uint32_t)cp);
			break;
		}
		case '\0':
			return false;
		default:
			if (o < end)
				*o++ = *s;
		}
		s++;
	}
	if (*s != '"')
		return false;
	*o = '\0';
	*p = s + 1;
	return true;
}

static void copy_cut(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * iso_3166-1.json is {"3166-1": [{"alpha_2": "AW", "name": "Aruba", ...},
 * ...]}: every object with an alpha_2 gives one entry, its common_name
 * ("Taiwan") preferred over the formal name ("Taiwan, Province of China").
 */
static int iso_parse(const char *text)
{
	char key[32] = "", val[256], code[8] = "", name[256] = "", common[256] = "";
	const char *p = text;
	int n = 0;

	while (*p) {
		switch (*p) {
		case '{':
			code[0] = name[0] = common[0] = key[0] = '\0';
			p++;
			break;
		case '}': {
			int slot = iso_slot(code);
			const char *nm = common[0] ? common : name;

			if (slot >= 0 && nm[0] && !iso_names[slot]) {
				char clean[64];

				sanitize_str(clean, sizeof(clean), nm);
				iso_names[slot] = strdup(clean);
				n += iso_names[slot] != NULL;
			}
			code[0] = '\0';
			p++;
			break;
		}
		case '"': {
			const char *q;

			if (!json_string(&p, val, sizeof(val)))
				return -EINVAL;
			q = p;
			while (isspace((unsigned char)*q))
				q++;
			if (*q == ':') {
				copy_cut(key, sizeof(key), val);
				p = q + 1;
				break;
			}
			if (!strcmp(key, "alpha_2"))
				copy_cut(code, sizeof(code), val);
			else if (!strcmp(key, "name"))
				snprintf(name, sizeof(name), "%s", val);
			else if (!strcmp(key, "common_name"))
				snprintf(common, sizeof(common), "%s", val);
			key[0] = '\0';
			break;
		}
		default:
			p++;
		}
	}
	return n ? 0 : -ENOENT;
}

int iso_codes_load(const char *path)
{
	FILE *f = conf_fopen(path);
	char *text;
	long len;
	int ret;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	text = malloc((size_t)len + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(text, 1, (size_t)len, f) != (size_t)len) {
		free(text);
		fclose(f);
		return -EIO;
	}
	text[len] = '\0';
	fclose(f);
	ret = iso_parse(text);
	free(text);
	return ret;
}

static void iso_load_default(void)
{
	iso_codes_load(ISO_3166_JSON);
}

const char *iso_country_name(const char *code)
{
	int slot = iso_slot(code);

	pthread_once(&iso_once, iso_load_default);
	return slot >= 0 ? iso_names[slot] : NULL;
}

