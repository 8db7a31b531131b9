// SPDX-License-Identifier: GPL-2.0
/*
 * SI units for every number flowtop scales.
 *
 * Powers of 1000, not 1024, everywhere: link speeds, interface counters
 * and the tools a network engineer compares flowtop with (iftop, nload,
 * ip -s -h, bmon) quote traffic in decimal units, and a byte total next
 * to a byte rate must use the same step or 1.0M of total after one
 * second at 1.0MB/s would not add up. Sizes used to be 1024-based in the
 * view and 1000-based in the batch table; now there is one rule.
 */
#include "units.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static char *put_whole(char *p, uint64_t v)
{
	char tmp[20], *e = tmp + sizeof(tmp), *q = e;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(p, q, (size_t)(e - q));
	return p + (e - q);
}

char *units_put(char *p, double v, bool whole)
{
	static const char prefix[] = "kMGTPE";
	int u = -1;

	if (!isfinite(v) || v <= 0) {
		*p++ = '0';
		return p;
	}
	/* 999.95 would round to "1000.0k": switch prefix before that */
	while (v >= 999.95 && u < (int)sizeof(prefix) - 2) {
		v /= 1000;
		u++;
	}
	if ((u < 0 && (whole || v >= 9.95)) || v >= 999.95) {
		/* whole numbers; past the last prefix, clamp what cannot be real */
		p = put_whole(p, v < 1e15 ? (uint64_t)(v + 0.5) : 999999999999999ull);
	} else {
		uint64_t tenths = (uint64_t)(v * 10 + 0.5);

		p = put_whole(p, tenths / 10);
		*p++ = '.';
		*p++ = (char)('0' + tenths % 10);
	}
	if (u >= 0)
		*p++ = prefix[u];
	return p;
}

const char *units_fmt(char *buf, size_t len, double v, bool whole,
		      const char *suffix)
{
	char tmp[UNITS_MAX + 1];
	char *e = units_put(tmp, v, whole);

	*e = '\0';
	if (len)
		snprintf(buf, len, "%s%s", tmp, suffix ? suffix : "");
	return buf;
}
