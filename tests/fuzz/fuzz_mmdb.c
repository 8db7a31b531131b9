// SPDX-License-Identifier: GPL-2.0
/*
 * GeoIP databases (geoip.c over libmaxminddb): the input is a .mmdb file.
 * It is opened as flowtop opens one (private copy, type and search-tree
 * checks), then looked up for IPv4 and IPv6 addresses, fixed ones and one
 * taken from the input, so every field extraction and the sanitizing of
 * the strings run; and checked as flowtop -u checks a download.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_util.h"
#include "geoip.h"

static void check_str(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();	/* the sanitizer let a control through */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t v4[][4] = {
		{ 192, 0, 2, 1 }, { 198, 51, 100, 7 }, { 203, 0, 113, 200 },
		{ 1, 1, 1, 1 }, { 0, 0, 0, 0 }, { 255, 255, 255, 255 },
	};
	static const uint8_t v6[][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		{ 0x2a, 0x00, [15] = 1 },
		{ [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 },
		{ [0 ... 15] = 0xff },
	};
	char path[64], why[256];
	const char *files[1] = { path };
	struct geoip *g = NULL;
	int fd = fuzz_memfd(data, size, path, sizeof(path));

	if (geoip_open_files(&g, files, 1, fuzz_devnull()) == 0) {
		struct geo_info gi;
		uint8_t any[16] = { 0 };

		memcpy(any, data, size < 16 ? size : 16);
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
			geoip_lookup(g, AF_INET, v4[i], &gi);
		for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
			geoip_lookup(g, AF_INET6, v6[i], &gi);
		geoip_lookup(g, AF_INET, any, &gi);
		geoip_lookup(g, AF_INET6, any, &gi);
		check_str(gi.country_code, sizeof(gi.country_code));
		check_str(gi.country, sizeof(gi.country));
		check_str(gi.city, sizeof(gi.city));
		check_str(gi.as_org, sizeof(gi.as_org));
		geoip_close(g);
	}
	geoip_validate(path, "*", why, sizeof(why));
	close(fd);
	return 0;
}
