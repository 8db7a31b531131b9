// SPDX-License-Identifier: GPL-2.0
/*
 * Filter expressions (filter_expr.c): the input is the text typed at the
 * view's '/' or given to --filter. A bad one must give an error whose
 * position lies within the text and whose word is printable; a good one
 * is matched against a few flows, and the answer without enrichment
 * (prematch), when it gives one, must be the answer with it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "filter_expr.h"
#include "fuzz_util.h"
#include "services.h"

static const struct services *svc(void)
{
	static struct services *s;
	static const char etc[] = "ssh 22/tcp\nhttp 80/tcp\nhttps 443/tcp\n"
				  "domain 53/udp\ndomain 53/tcp\nntp 123/udp\n";
	char path[64];
	int fd;

	if (s)
		return s;
	s = services_new();
	if (!s)
		abort();
	fd = fuzz_memfd((const uint8_t *)etc, sizeof(etc) - 1, path, sizeof(path));
	services_load_etc(s, path);
	close(fd);
	return s;
}

static void flows(struct flow f[3], struct flow_info *fi)
{
	memset(f, 0, 3 * sizeof(*f));
	f[0].key.family = AF_INET;
	f[0].key.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "192.0.2.10", f[0].key.src);
	inet_pton(AF_INET, "203.0.113.5", f[0].key.dst);
	f[0].key.sport = htons(40000);
	f[0].key.dport = htons(443);
	f[0].reply = f[0].key;
	memcpy(f[0].reply.src, f[0].key.dst, 4);
	inet_pton(AF_INET, "198.51.100.1", f[0].reply.dst);
	f[0].reply.sport = htons(443);
	f[0].reply.dport = htons(61000);
	f[0].state = 3;
	f[0].mark = 16;
	f[0].total.bytes[0] = 3000;
	f[0].total.bytes[1] = 1000000;
	f[0].byte_rate[1] = 150000;
	f[0].start_ns = 1699999990ull * 1000000000ull;

	f[1].key.family = AF_INET6;
	f[1].key.proto = IPPROTO_UDP;
	inet_pton(AF_INET6, "2001:db8::1", f[1].key.src);
	inet_pton(AF_INET6, "2001:db8:1::53", f[1].key.dst);
	f[1].key.sport = htons(5353);
	f[1].key.dport = htons(53);
	f[1].state = 0xff;

	f[2].key.family = AF_INET;
	f[2].key.proto = IPPROTO_ICMP;
	f[2].state = 0xff;

	memset(fi, 0, sizeof(*fi));
	fi->proc.pid = 4242;
	strcpy(fi->proc.comm, "curl");
	strcpy(fi->proc.user, "alice");
	strcpy(fi->dst.host, "www.example.com");
	strcpy(fi->dst.geo.country_code, "DE");
	strcpy(fi->dst.geo.country, "Germany");
	fi->dst.geo.asn = 64496;
	strcpy(fi->dst.service, "https");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);
	struct filter_expr *e = NULL;
	struct filter_error err;
	struct flow_info fi;
	struct flow f[3];
	char msg[512];
	int ret;

	ret = filter_expr_compile(text, size & 1 ? svc() : NULL, &e, &err);
	if (ret) {
		if (ret != -EINVAL || e)
			abort();
		if (err.pos > strlen(text) + 1 || !err.msg[0])
			abort();
		for (const char *c = err.word; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
		filter_error_format(&err, msg, sizeof(msg));
		free(text);
		return 0;
	}
	flows(f, &fi);
	for (int i = 0; i < 3; i++) {
		int pre = filter_expr_prematch(e, &f[i], 1700000000.0);
		bool with = filter_expr_match(e, &f[i], &fi, 1700000000.0);
		bool without = filter_expr_match(e, &f[i], NULL, 1700000000.0);

		if (pre < -1 || pre > 1 || (pre >= 0 && pre != with))
			abort();
		if (!(filter_expr_needs(e) & FILTER_NEEDS_INFO) && with != without)
			abort();
	}
	filter_expr_free(e);
	free(text);
	return 0;
}
