// SPDX-License-Identifier: GPL-2.0
/*
 * DNS answers (dns.c): the input is a reply as c-ares hands it over.
 * dns_parse_ptr reads its PTR name (compression, SOA negative TTL) into
 * the buffer size flowtop uses and into a tiny one; the name must come
 * out sanitized. The PTR query name of the first bytes is built as well.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "fuzz_util.h"

static void check_name(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256], tiny[6], q[80];
	uint8_t addr[16] = { 0 };
	uint32_t ttl;

	if (dns_parse_ptr(data, size, name, sizeof(name), &ttl) == 0)
		check_name(name, sizeof(name));
	if (dns_parse_ptr(data, size, tiny, sizeof(tiny), &ttl) == 0)
		check_name(tiny, sizeof(tiny));
	memcpy(addr, data, size < 16 ? size : 16);
	dns_ptr_name(AF_INET, addr, q, sizeof(q));
	dns_ptr_name(AF_INET6, addr, q, sizeof(q));
	return 0;
}
