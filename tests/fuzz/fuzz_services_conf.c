// SPDX-License-Identifier: GPL-2.0
/*
 * Service name files (services.c): the input is one file, read as
 * tcp.conf, as udp.conf (netsniff-ng "port, name" lines) and as
 * /etc/services ("name port/proto"), the way services_load stacks them;
 * then names are looked up for every protocol and a few ports.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, 136,
					  IPPROTO_SCTP, IPPROTO_DCCP, 1 };
	struct services *s = services_new();
	char path[64];
	int fd;

	if (!s)
		return 0;
	fd = fuzz_memfd(data, size, path, sizeof(path));
	services_load_conf(s, IPPROTO_TCP, path, fuzz_devnull());
	services_load_conf(s, IPPROTO_UDP, path, fuzz_devnull());
	services_load_etc(s, path);
	for (size_t i = 0; i < sizeof(protos); i++) {
		/* ports named by the input's first bytes, and the extremes */
		uint16_t ports[3] = { 0, 65535, 22 };

		if (size >= 2)
			memcpy(&ports[2], data, 2);
		for (size_t j = 0; j < 3; j++) {
			const char *n = services_name(s, protos[i], ports[j]);

			if (n && strlen(n) >= SERVICE_NAME_MAX)
				abort();
		}
	}
	close(fd);
	services_free(s);
	return 0;
}
