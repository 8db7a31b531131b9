// SPDX-License-Identifier: GPL-2.0
/*
 * geoip.conf (geoip.c): the input is the file. What parses is then used
 * as flowtop uses it: every database located along the path lines.
 */
#include <limits.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "geoip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct geoip_conf c;	/* 70 kB: not on the stack */
	char path[64], where[PATH_MAX];
	int fd = fuzz_memfd(data, size, path, sizeof(path));

	if (geoip_conf_read(&c, path, fuzz_devnull()) == 0) {
		for (int i = 0; i < c.ndb; i++)
			geoip_db_locate(&c, &c.db[i], where, sizeof(where));
		geoip_conf_free(&c);
	}
	close(fd);
	return 0;
}
