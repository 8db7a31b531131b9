// SPDX-License-Identifier: GPL-2.0
/*
 * iso-codes country names (geoip.c): the input is an iso_3166-1.json.
 * The table is filled once per process (first name of a code wins), so
 * later inputs mostly exercise the JSON reader, which is the point.
 */
#include <stdint.h>

#include "fuzz_util.h"
#include "geoip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path, sizeof(path));

	iso_codes_load(path);
	iso_country_name("NZ");
	close(fd);
	return 0;
}
