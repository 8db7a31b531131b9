// SPDX-License-Identifier: GPL-2.0
/*
 * geo_lookup DB.mmdb [DB.mmdb ...] -- ADDR [ADDR ...]
 *
 * Looks addresses up in MaxMind DB files the way flowtop does (both
 * layouts, iso-codes country names) and prints one tab-separated line per
 * address: addr, country code, country, city, asn, as org ("-" = unknown).
 * Exit 1 when no database opens. For tests and for checking a database.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "geoip.h"

static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

int main(int argc, char **argv)
{
	const char *files[GEOIP_MAX_DBS];
	struct geoip *g;
	int n = 0, i = 1;

	for (; i < argc && strcmp(argv[i], "--"); i++)
		if (n < GEOIP_MAX_DBS)
			files[n++] = argv[i];
	if (i >= argc || !n) {
		fprintf(stderr, "usage: geo_lookup DB... -- ADDR...\n");
		return 2;
	}
	if (geoip_open_files(&g, files, n, stderr))
		return 1;
	for (i++; i < argc; i++) {
		unsigned char a[16];
		struct geo_info gi;
		int fam = strchr(argv[i], ':') ? AF_INET6 : AF_INET;

		if (inet_pton(fam, argv[i], a) != 1) {
			fprintf(stderr, "geo_lookup: bad address %s\n", argv[i]);
			continue;
		}
		geoip_lookup(g, fam, a, &gi);
		printf("%s\t%s\t%s\t%s\t%u\t%s\n", argv[i], or_dash(gi.country_code),
		       or_dash(gi.country), or_dash(gi.city), gi.asn,
		       or_dash(gi.as_org));
	}
	geoip_close(g);
	return 0;
}
